"""Distributions: the config CloudFront keeps, the checks it makes, and its deployment clock.

moto 5.2.5 rebuilds the config into its own objects and drops what it does not model (FunctionAssociations,
OriginRequestPolicyId on the default behaviour, ...). Here the config is kept as the client sent it, with
quantities checked and CloudFront's defaults filled in, so GetDistributionConfig gives back what was put.

Deployment: a distribution is InProgress for a while (``deploy_timing``) after each create or update, then
Deployed (CF-DG distribution-web-creating-console.html: "the value of the Status column ... changes from
In Progress to Deployed"). The status is computed when read (progress.Countdown); nothing runs in the
background.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hostlab.local.controlplane import cloudfront_errors as errors
from hostlab.local.controlplane.botocore_model import enum
from hostlab.local.controlplane.cloudfront_lists import items_of, normalise_quantities, page, parse_max_items
from hostlab.local.controlplane.progress import Countdown, Timing
from hostlab.names import dns_name_matches

# Enumerations of botocore's CloudFront model; the server checks them (cloudfront_errors.validation_error).
ORIGIN_PROTOCOL_POLICIES = enum("cloudfront", "OriginProtocolPolicy")
SSL_PROTOCOLS = enum("cloudfront", "SslProtocol")
VIEWER_PROTOCOL_POLICIES = enum("cloudfront", "ViewerProtocolPolicy")
SSL_SUPPORT_METHODS = enum("cloudfront", "SSLSupportMethod")
MINIMUM_PROTOCOL_VERSIONS = enum("cloudfront", "MinimumProtocolVersion")
# CloudFront Functions run on viewer events only (CF-DG edge-functions-choosing.html): the model's EventType
# also lists the origin events, which only Lambda@Edge associations take.
FUNCTION_EVENT_TYPES = [e for e in enum("cloudfront", "EventType") if e.startswith("viewer-")]
# Origin response (read) timeout and keep-alive timeout: the API reference (CustomOriginConfig) allows
# 1-120 s for both; defaults 30 s and 5 s; connection attempts 3 and connection timeout 10 s (CF-DG
# distribution-web-values-specify.html). Above 60 s an account needs a raised quota first: "To configure a
# Response timeout value that's greater than 60 seconds, you must request a quota increase" (AWS Knowledge
# Center cloudfront-custom-origin-response; default quotas in CF-DG cloudfront-limits.html). The local
# backend is an account at the default quotas, so 61-120 s is refused like any value out of range
# (ASSUMPTION: the same error code; AWS documents none for a value above the account's quota). The
# documented ranges of ConnectionAttempts (1-3) and ConnectionTimeout (1-10 s) are not checked here.
API_TIMEOUT_RANGE = range(1, 121)
DEFAULT_TIMEOUT_QUOTA_SECONDS = 60
TIMEOUT_RANGE = range(API_TIMEOUT_RANGE.start, DEFAULT_TIMEOUT_QUOTA_SECONDS + 1)
DEFAULT_READ_TIMEOUT = 30
DEFAULT_KEEPALIVE_TIMEOUT = 5
DEFAULT_CONNECTION_ATTEMPTS = 3
DEFAULT_CONNECTION_TIMEOUT = 10
LEGACY_MIN_TTL, LEGACY_DEFAULT_TTL, LEGACY_MAX_TTL = 0, 86_400, 31_536_000  # see _fill_legacy_ttls
# Set from Settings.cloudfront_default_origin_ssl_protocols by use_settings() (cloudfront_extension.install).
DEFAULT_ORIGIN_SSL_PROTOCOLS: tuple[str, ...] = ()
MAX_ORIGIN_CUSTOM_HEADERS = 10  # CF-DG cloudfront-limits.html, "Quotas on Custom Headers"
# The domain of an S3 origin (S3OriginConfig) is the bucket's REST endpoint:
# bucket-name.s3.region.amazonaws.com, or the legacy bucket-name.s3.amazonaws.com and
# bucket-name.s3-region.amazonaws.com (CF-DG DownloadDistS3AndCustomOrigins.html and
# distribution-web-values-specify.html, "Origin domain"); .com.cn in the China Regions. A website endpoint
# (bucket.s3-website-region...) is a custom origin: with S3OriginConfig it is refused
# (hashicorp/terraform-provider-aws issue 33214), as is any other name (pulumi/examples pull request 1296: an
# API Gateway URL). The message is the one those reports quote.
S3_REST_ENDPOINT = re.compile(
    r"[a-z0-9][a-z0-9.-]*[a-z0-9]\.s3(\.[a-z]{2}(-[a-z]+)+-\d+|-(?!website)[a-z]{2}(-[a-z]+)+-\d+)?"
    r"\.amazonaws\.com(\.cn)?"
)
# CF-DG distribution-web-values-specify.html, "Allowed HTTP methods": GET, HEAD by default.
DEFAULT_ALLOWED_METHODS = {
    "Quantity": 2,
    "Items": ["HEAD", "GET"],
    "CachedMethods": {"Quantity": 2, "Items": ["HEAD", "GET"]},
}


@dataclass
class Lookups:
    """What a distribution check needs to know about the rest of the account (and of CloudFront)."""

    cache_policy_exists: Callable[[str], bool]
    origin_request_policy_exists: Callable[[str], bool]
    # None: no such function; False: exists but never published; True: has a LIVE stage.
    function_is_live: Callable[[str], bool | None]
    # (status, domain names) of an ACM certificate in us-east-1 of the caller's account, or None.
    certificate: Callable[[str], tuple[str, list[str]] | None]
    # The distribution (any account) that already holds an alias, or None.
    alias_owner: Callable[[str], str | None]


@dataclass
class Distribution:
    id: str
    arn: str
    domain_name: str
    config: dict[str, Any]
    etag: str
    last_modified: datetime
    # The latest change's deployment, on the monotonic ``timer``.
    deployment: Countdown
    timer: Callable[[], float] = field(default=lambda: 0.0, repr=False)
    # InProgressInvalidationBatches, counted by the account's invalidation store when read.
    invalidations_in_progress: Callable[[], int] = field(default=lambda: 0, repr=False)

    @property
    def status(self) -> str:
        return "Deployed" if self.deployment.done(self.timer()) else "InProgress"

    @property
    def location(self) -> str:
        return f"https://cloudfront.amazonaws.com/2020-05-31/distribution/{self.id}"

    @property
    def caller_reference(self) -> str:
        return self.config["CallerReference"]

    def resource(self) -> dict[str, Any]:
        """The Distribution structure of the API."""
        return {
            "Id": self.id,
            "ARN": self.arn,
            "Status": self.status,
            "LastModifiedTime": self.last_modified,
            "InProgressInvalidationBatches": self.invalidations_in_progress(),
            "DomainName": self.domain_name,
            "ActiveTrustedSigners": {"Enabled": False, "Quantity": 0},
            "ActiveTrustedKeyGroups": {"Enabled": False, "Quantity": 0},
            "DistributionConfig": copy.deepcopy(self.config),
        }

    def summary(self) -> dict[str, Any]:
        """The DistributionSummary structure of ListDistributions."""
        config = copy.deepcopy(self.config)
        summary = {key: config[key] for key in SUMMARY_CONFIG_KEYS if key in config}
        summary.update(
            Id=self.id,
            ARN=self.arn,
            ETag=self.etag,
            Status=self.status,
            LastModifiedTime=self.last_modified,
            DomainName=self.domain_name,
        )
        return summary


# DistributionConfig members that DistributionSummary repeats (botocore model).
SUMMARY_CONFIG_KEYS = [
    "Aliases",
    "Origins",
    "OriginGroups",
    "DefaultCacheBehavior",
    "CacheBehaviors",
    "CustomErrorResponses",
    "Comment",
    "PriceClass",
    "Enabled",
    "ViewerCertificate",
    "Restrictions",
    "WebACLId",
    "HttpVersion",
    "IsIPV6Enabled",
    "Staging",
]


def behaviours(config: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The default cache behaviour, then the ordered ones."""
    yield config["DefaultCacheBehavior"]
    yield from items_of(config.get("CacheBehaviors"))


def use_settings(default_origin_ssl_protocols: tuple[str, ...]) -> None:
    """Take the assumption settings this module reads (called once by cloudfront_extension.install)."""
    global DEFAULT_ORIGIN_SSL_PROTOCOLS
    DEFAULT_ORIGIN_SSL_PROTOCOLS = tuple(default_origin_ssl_protocols)


# --- validation --------------------------------------------------------------------------------------


def _check_enum(value: Any, allowed: list[str], path: str) -> None:
    if value not in allowed:
        raise errors.validation_error(value, path, allowed)


def _check_origin(origin: dict[str, Any], index: int) -> None:
    path = f"distributionConfig.origins.items.{index}.member"
    origin.setdefault("OriginPath", "")
    origin.setdefault("CustomHeaders", {"Quantity": 0})
    origin.setdefault("ConnectionAttempts", DEFAULT_CONNECTION_ATTEMPTS)
    origin.setdefault("ConnectionTimeout", DEFAULT_CONNECTION_TIMEOUT)
    origin.setdefault("OriginShield", {"Enabled": False})
    if len(items_of(origin["CustomHeaders"])) > MAX_ORIGIN_CUSTOM_HEADERS:
        raise errors.too_many_origin_custom_headers()
    custom = origin.get("CustomOriginConfig")
    if custom is not None and "S3OriginConfig" in origin:
        # Code and message as AWS answered in ansible-collections/community.aws issue 1819.
        raise errors.CloudFrontError(
            "InvalidOrigin", "You must specify either a CustomOrigin or an S3Origin. You cannot specify both."
        )
    if "S3OriginConfig" in origin and not S3_REST_ENDPOINT.fullmatch(str(origin.get("DomainName", ""))):
        raise errors.invalid_argument("The parameter Origin DomainName does not refer to a valid S3 bucket.")
    if custom is None:
        return
    _check_enum(
        custom.get("OriginProtocolPolicy"),
        ORIGIN_PROTOCOL_POLICIES,
        f"{path}.customOriginConfig.originProtocolPolicy",
    )
    for n, protocol in enumerate(items_of(custom.get("OriginSslProtocols")), start=1):
        _check_enum(protocol, SSL_PROTOCOLS, f"{path}.customOriginConfig.originSslProtocols.items.{n}.member")
    # ASSUMPTION (setting HOSTLAB_CLOUDFRONT_DEFAULT_ORIGIN_SSL_PROTOCOLS, default: none): what is stored
    # when the request has no OriginSslProtocols. The API reference (OriginSslProtocols) gives no default;
    # CloudFormation's registry schema fills [TLSv1, SSLv3] and CDK's HttpOrigin [TLSv1.2] before the API
    # sees the request; a live read-back of a VPC origin created without the list shows [SSLv3, TLSv1]
    # (go-to-k/cdk-real-drift issue 1734), another API object. `hostlab measure` reads back what
    # CreateDistribution itself stores.
    if "OriginSslProtocols" not in custom and DEFAULT_ORIGIN_SSL_PROTOCOLS:
        custom["OriginSslProtocols"] = {
            "Quantity": len(DEFAULT_ORIGIN_SSL_PROTOCOLS),
            "Items": list(DEFAULT_ORIGIN_SSL_PROTOCOLS),
        }
    custom.setdefault("OriginReadTimeout", DEFAULT_READ_TIMEOUT)
    custom.setdefault("OriginKeepaliveTimeout", DEFAULT_KEEPALIVE_TIMEOUT)
    if custom["OriginReadTimeout"] not in TIMEOUT_RANGE:
        raise errors.invalid_origin_read_timeout()
    if custom["OriginKeepaliveTimeout"] not in TIMEOUT_RANGE:
        raise errors.invalid_origin_keepalive_timeout()


def _fill_legacy_ttls(behaviour: dict[str, Any]) -> None:
    """A legacy (ForwardedValues) behaviour's MinTTL / DefaultTTL / MaxTTL as CloudFront keeps them.

    Left out, they are 0 / 86400 / 31536000 (CloudFormation's registry schema for
    AWS::CloudFront::Distribution, DefaultCacheBehavior and CacheBehavior, as shipped in cfn-lint), with
    DefaultTTL raised to MinTTL above one day and MaxTTL to DefaultTTL above one year (CF-DG
    distribution-web-values-specify.html, "Default TTL" and "Maximum TTL"). moto 5.2.5 answers 0 and 0,
    which would make a legacy behaviour cache nothing on the local edge.
    """
    min_ttl = behaviour.setdefault("MinTTL", LEGACY_MIN_TTL)
    default_ttl = behaviour.setdefault("DefaultTTL", max(LEGACY_DEFAULT_TTL, min_ttl))
    behaviour.setdefault("MaxTTL", max(LEGACY_MAX_TTL, default_ttl))
    if not min_ttl <= default_ttl <= behaviour["MaxTTL"]:
        raise errors.ttl_order()


def _fill_behaviour_defaults(behaviour: dict[str, Any]) -> None:
    """The members CloudFront answers for a cache behaviour when the request left them out.

    The AWS CLI's examples of GetDistributionConfig and CreateDistribution, whose outputs are AWS's answers
    (awscli/examples/cloudfront/get-distribution-config.rst and create-distribution.rst, also on the CF-DG
    page example_cloudfront_GetDistributionConfig_section.html), answer TrustedSigners and TrustedKeyGroups as
    {Enabled: false, Quantity: 0}, SmoothStreaming false, Compress false, FieldLevelEncryptionId "", and, in a
    legacy behaviour, ForwardedValues Headers and QueryStringCacheKeys as {Quantity: 0}, for requests that did
    not set them. ASSUMPTION: both signer lists are always answered (the 2019 example predates key groups and
    shows TrustedSigners only; the 2025 one shows TrustedKeyGroups only).
    """
    behaviour.setdefault("TrustedSigners", {"Enabled": False, "Quantity": 0})
    behaviour.setdefault("TrustedKeyGroups", {"Enabled": False, "Quantity": 0})
    behaviour.setdefault("SmoothStreaming", False)
    behaviour.setdefault("Compress", False)
    behaviour.setdefault("FieldLevelEncryptionId", "")
    forwarded = behaviour.get("ForwardedValues")
    if isinstance(forwarded, dict):
        forwarded.setdefault("Headers", {"Quantity": 0})
        forwarded.setdefault("QueryStringCacheKeys", {"Quantity": 0})


def _check_behaviour(behaviour: dict[str, Any], path: str, origin_ids: set[str], lookups: Lookups) -> None:
    if behaviour.get("TargetOriginId") not in origin_ids:
        raise errors.no_such_origin()
    _check_enum(
        behaviour.get("ViewerProtocolPolicy"), VIEWER_PROTOCOL_POLICIES, f"{path}.viewerProtocolPolicy"
    )
    cache_policy = behaviour.get("CachePolicyId") or ""
    origin_policy = behaviour.get("OriginRequestPolicyId") or ""
    if cache_policy and "ForwardedValues" in behaviour:
        raise errors.forwarded_values_with_cache_policy()
    if not cache_policy and "ForwardedValues" not in behaviour:
        raise errors.forwarded_values_required()
    if origin_policy and not cache_policy:
        raise errors.origin_request_policy_without_cache_policy()
    if cache_policy and not lookups.cache_policy_exists(cache_policy):
        raise errors.no_such_cache_policy()
    if origin_policy and not lookups.origin_request_policy_exists(origin_policy):
        raise errors.no_such_origin_request_policy()
    if "ForwardedValues" in behaviour:
        _fill_legacy_ttls(behaviour)

    behaviour.setdefault("AllowedMethods", copy.deepcopy(DEFAULT_ALLOWED_METHODS))
    _fill_behaviour_defaults(behaviour)
    behaviour.setdefault("LambdaFunctionAssociations", {"Quantity": 0})
    behaviour.setdefault("FunctionAssociations", {"Quantity": 0})
    for n, association in enumerate(items_of(behaviour["FunctionAssociations"]), start=1):
        _check_enum(
            association.get("EventType"),
            FUNCTION_EVENT_TYPES,
            f"{path}.functionAssociations.items.{n}.member.eventType",
        )
        arn = association.get("FunctionARN", "")
        live = lookups.function_is_live(arn)
        if live is None:
            raise errors.invalid_function_association(f"The function ARN {arn} does not exist.")
        if not live:
            raise errors.invalid_function_association(
                f"The function {arn} must be published to the LIVE stage before it can be associated."
            )


def _check_viewer_certificate(config: dict[str, Any], lookups: Lookups) -> None:
    certificate = config.setdefault(
        "ViewerCertificate",
        # With the default *.cloudfront.net certificate CloudFront uses the TLSv1 policy (API reference
        # ViewerCertificate.MinimumProtocolVersion).
        {"CloudFrontDefaultCertificate": True, "MinimumProtocolVersion": "TLSv1"},
    )
    if certificate.get("CloudFrontDefaultCertificate"):
        # "If the distribution uses the CloudFront domain name ... (you set CloudFrontDefaultCertificate to
        # true), CloudFront automatically sets the security policy to TLSv1" (API reference
        # ViewerCertificate.MinimumProtocolVersion); GetDistributionConfig then answers TLSv1 (AWS CLI example
        # get-distribution-config.rst). Notebook 02 sends {"CloudFrontDefaultCertificate": true} alone.
        certificate.setdefault("MinimumProtocolVersion", "TLSv1")
    path = "distributionConfig.viewerCertificate"
    if (
        "MinimumProtocolVersion" in certificate
        and certificate["MinimumProtocolVersion"] not in MINIMUM_PROTOCOL_VERSIONS
    ):
        raise errors.CloudFrontError(
            # Code and message = API reference (InvalidMinimumProtocolVersion).
            "InvalidMinimumProtocolVersion",
            "The minimum protocol version specified is not valid.",
        )
    if "SSLSupportMethod" in certificate:
        _check_enum(certificate["SSLSupportMethod"], SSL_SUPPORT_METHODS, f"{path}.sSLSupportMethod")
    acm_arn = certificate.get("ACMCertificateArn")
    iam_id = certificate.get("IAMCertificateId")
    # CertificateSource is deprecated but still answered: acm, iam or cloudfront (API reference).
    certificate["CertificateSource"] = "acm" if acm_arn else "iam" if iam_id else "cloudfront"

    aliases = items_of(config.get("Aliases"))
    if not aliases:
        return
    if not acm_arn and not iam_id:
        raise errors.cname_without_certificate()
    if acm_arn:
        # ACM certificates for CloudFront must be requested or imported in us-east-1 (API reference
        # ViewerCertificate.ACMCertificateArn) and be issued.
        found = lookups.certificate(acm_arn) if ":us-east-1:" in acm_arn else None
        if found is None or found[0] != "ISSUED":
            raise errors.certificate_not_usable()
        names = found[1]
        for alias in aliases:
            if not any(dns_name_matches(name, alias) for name in names):
                raise errors.certificate_does_not_cover(alias)
    # ASSUMPTION: IAM server certificates are accepted unchecked (the tutorial uses ACM).


def _check_aliases(config: dict[str, Any], own_id: str | None, lookups: Lookups) -> None:
    for alias in items_of(config.get("Aliases")):
        owner = lookups.alias_owner(alias)
        if owner is not None and owner != own_id:
            raise errors.cname_already_exists()


def validate_distribution_config(
    raw: dict[str, Any], lookups: Lookups, own_id: str | None = None
) -> dict[str, Any]:
    """The DistributionConfig as CloudFront stores it, or the error CloudFront answers."""
    config = normalise_quantities(copy.deepcopy(raw))

    origins = items_of(config.get("Origins"))
    for index, origin in enumerate(origins, start=1):
        _check_origin(origin, index)
    origin_ids = {o["Id"] for o in origins} | {g["Id"] for g in items_of(config.get("OriginGroups"))}

    _check_behaviour(
        config["DefaultCacheBehavior"], "distributionConfig.defaultCacheBehavior", origin_ids, lookups
    )
    for index, behaviour in enumerate(items_of(config.get("CacheBehaviors")), start=1):
        _check_behaviour(
            behaviour, f"distributionConfig.cacheBehaviors.items.{index}.member", origin_ids, lookups
        )

    _check_viewer_certificate(config, lookups)
    _check_aliases(config, own_id, lookups)

    # Defaults the API answers with when the request left them out. HttpVersion http2: the API reference
    # (DistributionConfig.HttpVersion: "The default value for new distributions is http2"); CloudFormation's
    # schema defaults to http1.1 instead. ASSUMPTION for IsIPV6Enabled: moto 5.2.5's default (true).
    config.setdefault("Aliases", {"Quantity": 0})
    config.setdefault("OriginGroups", {"Quantity": 0})
    config.setdefault("CacheBehaviors", {"Quantity": 0})
    config.setdefault("CustomErrorResponses", {"Quantity": 0})
    config.setdefault("DefaultRootObject", "")
    config.setdefault("Logging", {"Enabled": False, "IncludeCookies": False, "Bucket": "", "Prefix": ""})
    config.setdefault("PriceClass", "PriceClass_All")  # API reference DistributionConfig.PriceClass
    config.setdefault("Restrictions", {"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}})
    config.setdefault("WebACLId", "")
    config.setdefault("HttpVersion", "http2")
    config.setdefault("IsIPV6Enabled", True)
    config.setdefault("Staging", False)
    return config


def uses(config: dict[str, Any], key: str, value: str) -> bool:
    """Does any behaviour of ``config`` name ``value`` under ``key`` (CachePolicyId, ...)?"""
    return any(b.get(key) == value for b in behaviours(config))


def function_arns(config: dict[str, Any]) -> set[str]:
    return {
        a.get("FunctionARN", "") for b in behaviours(config) for a in items_of(b.get("FunctionAssociations"))
    }


class DistributionStore:
    """One account's distributions."""

    def __init__(
        self,
        *,
        account_id: str,
        partition: str = "aws",
        new_id: Callable[[], str],
        new_domain: Callable[[], str],
        new_etag: Callable[[], str],
        clock: Callable[[], datetime],
        timer: Callable[[], float],
        deploy_timing: Timing,
        distributions: dict[str, Distribution] | None = None,
        invalidations_in_progress: Callable[[str], int] = lambda _id: 0,
    ) -> None:
        self._account_id = account_id
        self._partition = partition
        self._invalidations_in_progress = invalidations_in_progress
        self._new_id = new_id
        self._new_domain = new_domain
        self._new_etag = new_etag
        self._clock = clock
        self._timer = timer
        self._deploy_timing = deploy_timing
        # The dict is shared with moto's backend so its invalidation code finds the distributions.
        self.distributions: dict[str, Distribution] = {} if distributions is None else distributions

    def get(self, distribution_id: str) -> Distribution:
        distribution = self.distributions.get(distribution_id)
        if distribution is None:
            raise errors.no_such_distribution()
        return distribution

    def create(self, raw_config: dict[str, Any], lookups: Lookups) -> Distribution:
        config = validate_distribution_config(raw_config, lookups)
        for existing in self.distributions.values():
            if existing.caller_reference == config["CallerReference"]:
                raise errors.distribution_already_exists(existing.id)
        distribution_id = self._new_id()
        distribution = Distribution(
            id=distribution_id,
            arn=f"arn:{self._partition}:cloudfront::{self._account_id}:distribution/{distribution_id}",
            domain_name=self._new_domain(),
            config=config,
            etag=self._new_etag(),
            last_modified=self._clock(),
            deployment=Countdown.start(self._timer(), self._deploy_timing),
            timer=self._timer,
            invalidations_in_progress=lambda: self._invalidations_in_progress(distribution_id),
        )
        self.distributions[distribution_id] = distribution
        return distribution

    def update(
        self, distribution_id: str, raw_config: dict[str, Any], if_match: str | None, lookups: Lookups
    ) -> Distribution:
        distribution = self.get(distribution_id)
        errors.check_if_match(if_match, distribution.etag)
        config = validate_distribution_config(raw_config, lookups, own_id=distribution_id)
        if config["CallerReference"] != distribution.caller_reference:
            raise errors.illegal_caller_reference_change()
        distribution.config = config
        distribution.etag = self._new_etag()
        distribution.last_modified = self._clock()
        distribution.deployment = Countdown.start(self._timer(), self._deploy_timing)
        return distribution

    def delete(self, distribution_id: str, if_match: str | None) -> None:
        distribution = self.get(distribution_id)
        errors.check_if_match(if_match, distribution.etag)
        # A distribution must be disabled, and that change deployed, before deletion (CF-DG
        # HowToDeleteDistribution.html). ASSUMPTION: while the disabling is still InProgress the answer is
        # DistributionNotDisabled too.
        if distribution.config.get("Enabled") or distribution.status != "Deployed":
            raise errors.distribution_not_disabled()
        del self.distributions[distribution_id]

    def list(
        self, marker: str | None, max_items: str | int | None
    ) -> tuple[list[Distribution], str | None, int]:
        """One page of ListDistributions: the distributions after ``marker``, NextMarker the ID of the page's
        last one (cloudfront_lists.page). ASSUMPTION: in creation order (moto's; the API reference says
        nothing about the order)."""
        size = parse_max_items(max_items)
        chunk, next_marker = page(list(self.distributions.values()), lambda d: d.id, marker, size)
        return chunk, next_marker, size

    def count_using(self, key: str, value: str) -> int:
        return sum(uses(d.config, key, value) for d in self.distributions.values())

    def count_using_function(self, arn: str) -> int:
        return sum(arn in function_arns(d.config) for d in self.distributions.values())

    def alias_owner(self, alias: str) -> str | None:
        alias = alias.lower()
        for distribution in self.distributions.values():
            if alias in (a.lower() for a in items_of(distribution.config.get("Aliases"))):
                return distribution.id
        return None
