"""Cache policies and origin request policies: validation and one account's store.

Plain Python, no moto: the store gets its ID/ETag generators and clock from the caller, so IDs follow
moto's seeded random when the glue wires it.

Rules enforced, each with its source:
- MinTTL <= DefaultTTL <= MaxTTL; DefaultTTL defaults to max(86400, MinTTL) and MaxTTL to
  max(31536000, DefaultTTL) (API reference CachePolicyConfig, DefaultTTL and MaxTTL).
- A policy whose TTLs are all 0 disables caching, and then nothing may be added to the cache key, not even
  compression (observed errors, see cloudfront_errors.caching_disabled_parameter; CF-DG
  awsdocs/amazon-cloudfront-developer-guide pull request 51: "the compression settings are not available in
  a cache policy when you set the TTL values to 0").
- Accept-Encoding is handled by the EnableAcceptEncoding* flags, not by the header list, when either flag is
  true (API reference ParametersInCacheKeyAndForwardedToOrigin; a 400 observed in jetbridge/cdk-nextjs
  issue 189).
- An origin request policy cannot forward Authorization: it must be in the cache key (AWS knowledge center
  "cloudfront-authorization-header": "CloudFront returns an HTTP 400 error if you create an origin request
  policy that forwards the Authorization header"). Host is allowed (the managed AllViewer and HostHeaderOnly
  policies forward it).
- Comments are at most 128 characters (API reference CachePolicyConfig/OriginRequestPolicyConfig, Comment).
- At most 10 headers, cookies and query strings per policy and 20 custom policies of each kind per account
  (CF-DG cloudfront-limits.html, General Quotas on Policies).
- Names are unique among an account's custom policies of a kind (API reference CachePolicyAlreadyExists).
  ASSUMPTION: managed policies live in their own namespace, so a custom policy may reuse a managed name.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from hostlab.local.controlplane import cloudfront_errors as errors
from hostlab.local.controlplane.botocore_model import enum
from hostlab.local.controlplane.cloudfront_lists import items_of, normalise_quantities, page, parse_max_items
from hostlab.local.controlplane.cloudfront_managed_policies import (
    MANAGED_CACHE_POLICIES,
    MANAGED_LAST_MODIFIED,
    MANAGED_ORIGIN_REQUEST_POLICIES,
)

Kind = Literal["cache", "origin_request"]

MAX_COMMENT = 128
MAX_NAMES_PER_LIST = 10
MAX_CUSTOM_POLICIES = 20
DEFAULT_TTL_FLOOR = 86_400
MAX_TTL_FLOOR = 31_536_000

# The three parts of a policy: (config key, behaviour key, names key, behaviours allowed). The enumerations
# are botocore's CloudFront model's (CachePolicyHeaderBehavior, ...); the server checks them.
CACHE_PARTS = [
    ("HeadersConfig", "HeaderBehavior", "Headers", enum("cloudfront", "CachePolicyHeaderBehavior")),
    ("CookiesConfig", "CookieBehavior", "Cookies", enum("cloudfront", "CachePolicyCookieBehavior")),
    (
        "QueryStringsConfig",
        "QueryStringBehavior",
        "QueryStrings",
        enum("cloudfront", "CachePolicyQueryStringBehavior"),
    ),
]
ORIGIN_REQUEST_PARTS = [
    ("HeadersConfig", "HeaderBehavior", "Headers", enum("cloudfront", "OriginRequestPolicyHeaderBehavior")),
    ("CookiesConfig", "CookieBehavior", "Cookies", enum("cloudfront", "OriginRequestPolicyCookieBehavior")),
    (
        "QueryStringsConfig",
        "QueryStringBehavior",
        "QueryStrings",
        enum("cloudfront", "OriginRequestPolicyQueryStringBehavior"),
    ),
]
POLICY_TYPES = enum("cloudfront", "CachePolicyType")  # managed, custom
# Behaviours that take a list of names (API reference CachePolicyHeadersConfig and friends).
LISTING_BEHAVIORS = {"whitelist", "allExcept", "allViewerAndWhitelistCloudFront"}


@dataclass
class Policy:
    kind: Kind
    id: str
    config: dict[str, Any]
    etag: str
    last_modified: datetime
    managed: bool

    @property
    def type(self) -> str:
        return "managed" if self.managed else "custom"

    @property
    def name(self) -> str:
        return self.config["Name"]

    def resource(self) -> dict[str, Any]:
        """The CachePolicy / OriginRequestPolicy structure of the API."""
        config_key = "CachePolicyConfig" if self.kind == "cache" else "OriginRequestPolicyConfig"
        return {"Id": self.id, "LastModifiedTime": self.last_modified, config_key: copy.deepcopy(self.config)}


# --- validation --------------------------------------------------------------------------------------


def _check_comment(config: dict[str, Any]) -> None:
    if len(config.get("Comment") or "") > MAX_COMMENT:
        # ASSUMPTION: wording; the 128-character limit is in the API reference.
        raise errors.invalid_argument(f"The parameter Comment is longer than {MAX_COMMENT} characters.")


def _lower_camel(name: str) -> str:
    return name[0].lower() + name[1:]


def _check_parts(
    container: dict[str, Any], parts: list[tuple[str, str, str, list[str]]], path: str, kind: Kind
) -> None:
    """Check the headers / cookies / query strings parts of a policy; absent parts mean "none"."""
    for config_key, behavior_key, names_key, allowed in parts:
        section = container.setdefault(config_key, {behavior_key: "none"})
        behavior = section.get(behavior_key)
        if behavior not in allowed:
            where = f"{path}.{_lower_camel(config_key)}.{_lower_camel(behavior_key)}"
            raise errors.validation_error(behavior, where, allowed)
        names = items_of(section.get(names_key))
        if behavior in LISTING_BEHAVIORS and not names:
            # ASSUMPTION: wording, and that an empty allow/deny list is refused rather than read as "none".
            raise errors.invalid_argument(
                f"The parameter {names_key} is required when {behavior_key} is {behavior}."
            )
        if behavior not in LISTING_BEHAVIORS and names:
            # ASSUMPTION: wording; names only mean something for list behaviours.
            raise errors.invalid_argument(
                f"The parameter {names_key} cannot be used when {behavior_key} is {behavior}."
            )
        if len(names) > MAX_NAMES_PER_LIST:
            raise errors.too_many_in_policy(kind, names_key)


def _ttl(config: dict[str, Any], key: str, default: int) -> int:
    value = config.get(key)
    value = default if value is None else int(value)
    if value < 0:
        # ASSUMPTION: wording; TTLs are seconds and cannot be negative.
        raise errors.invalid_argument(f"The parameter {key} must not be negative.")
    return value


def validate_cache_policy_config(raw: dict[str, Any]) -> dict[str, Any]:
    """The CachePolicyConfig as CloudFront stores it, or the error CloudFront answers."""
    config = normalise_quantities(copy.deepcopy(raw))
    _check_comment(config)
    min_ttl = _ttl(config, "MinTTL", 0)
    default_ttl = _ttl(config, "DefaultTTL", max(DEFAULT_TTL_FLOOR, min_ttl))
    max_ttl = _ttl(config, "MaxTTL", max(MAX_TTL_FLOOR, default_ttl))
    if not min_ttl <= default_ttl <= max_ttl:
        # ASSUMPTION: wording; the order is implied by the field definitions (API reference
        # CachePolicyConfig) and CloudFormation deployments fail when MinTTL > MaxTTL
        # (aws-cloudformation/cloudformation-coverage-roadmap issue 571).
        raise errors.invalid_argument("The TTL values must satisfy MinTTL <= DefaultTTL <= MaxTTL.")
    config.update(MinTTL=min_ttl, DefaultTTL=default_ttl, MaxTTL=max_ttl)

    # ASSUMPTION: a config without ParametersInCacheKeyAndForwardedToOrigin means "nothing in the key".
    params = config.setdefault(
        "ParametersInCacheKeyAndForwardedToOrigin", {"EnableAcceptEncodingGzip": False}
    )
    _check_parts(params, CACHE_PARTS, "cachePolicyConfig.parametersInCacheKeyAndForwardedToOrigin", "cache")
    headers, cookies, query = params["HeadersConfig"], params["CookiesConfig"], params["QueryStringsConfig"]
    gzip = bool(params.get("EnableAcceptEncodingGzip"))
    brotli = bool(params.get("EnableAcceptEncodingBrotli"))
    params["EnableAcceptEncodingGzip"] = gzip

    if max_ttl == 0:  # with the order above this means every TTL is 0: caching disabled
        for parameter, used in (
            ("EnableAcceptEncodingGzip", gzip),
            ("EnableAcceptEncodingBrotli", brotli),
            ("HeaderBehavior", headers["HeaderBehavior"] != "none"),
            ("CookieBehavior", cookies["CookieBehavior"] != "none"),
            ("QueryStringBehavior", query["QueryStringBehavior"] != "none"),
        ):
            if used:
                raise errors.caching_disabled_parameter(parameter)

    header_names = {h.lower() for h in items_of(headers.get("Headers"))}
    if (gzip or brotli) and "accept-encoding" in header_names:
        # ASSUMPTION: wording (the rule's sources are in the module docstring).
        raise errors.invalid_argument(
            "The parameter Headers cannot contain Accept-Encoding when EnableAcceptEncodingGzip or "
            "EnableAcceptEncodingBrotli is true."
        )
    return config


def validate_origin_request_policy_config(raw: dict[str, Any]) -> dict[str, Any]:
    """The OriginRequestPolicyConfig as CloudFront stores it, or the error CloudFront answers."""
    config = normalise_quantities(copy.deepcopy(raw))
    _check_comment(config)
    _check_parts(config, ORIGIN_REQUEST_PARTS, "originRequestPolicyConfig", "origin_request")
    headers = config["HeadersConfig"]
    named = {h.lower() for h in items_of(headers.get("Headers"))}
    if (
        headers["HeaderBehavior"] in ("whitelist", "allViewerAndWhitelistCloudFront")
        and "authorization" in named
    ):
        # ASSUMPTION: wording (the 400 itself is documented, see the module docstring).
        raise errors.invalid_argument(
            "The parameter Headers contains Authorization, which cannot be forwarded by an origin request "
            "policy; include it in the cache policy instead."
        )
    return config


VALIDATORS: dict[Kind, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "cache": validate_cache_policy_config,
    "origin_request": validate_origin_request_policy_config,
}
NOT_FOUND: dict[Kind, Callable[[], errors.CloudFrontError]] = {
    "cache": errors.no_such_cache_policy,
    "origin_request": errors.no_such_origin_request_policy,
}


# --- the store ---------------------------------------------------------------------------------------


def managed_policies(kind: Kind) -> list[Policy]:
    """The managed policies of a kind, fresh objects (they are the same in every account)."""
    table = MANAGED_CACHE_POLICIES if kind == "cache" else MANAGED_ORIGIN_REQUEST_POLICIES
    return [
        Policy(
            kind=kind,
            id=policy_id,
            config=copy.deepcopy(config),
            # ASSUMPTION: a fixed ETag per managed policy (they never change, so neither does it).
            etag="E" + policy_id.replace("-", "")[:13].upper(),
            last_modified=MANAGED_LAST_MODIFIED,
            managed=True,
        )
        for policy_id, config in table.items()
    ]


class PolicyStore:
    """One account's policies of one kind: the managed ones plus the account's own."""

    def __init__(
        self,
        kind: Kind,
        *,
        new_id: Callable[[], str],
        new_etag: Callable[[], str],
        clock: Callable[[], datetime],
    ) -> None:
        self.kind = kind
        self._new_id = new_id
        self._new_etag = new_etag
        self._clock = clock
        self._managed = {p.id: p for p in managed_policies(kind)}
        self._custom: dict[str, Policy] = {}

    def __contains__(self, policy_id: str) -> bool:
        return policy_id in self._managed or policy_id in self._custom

    def get(self, policy_id: str) -> Policy:
        policy = self._managed.get(policy_id) or self._custom.get(policy_id)
        if policy is None:
            raise NOT_FOUND[self.kind]()
        return policy

    def list(
        self, type_filter: str | None, marker: str | None, max_items: str | int | None
    ) -> tuple[list[Policy], str | None, int]:
        if type_filter not in (None, "", *POLICY_TYPES):
            raise errors.validation_error(type_filter, "type", POLICY_TYPES)
        records = [
            *(self._managed.values() if type_filter in (None, "", "managed") else ()),
            *(self._custom.values() if type_filter in (None, "", "custom") else ()),
        ]
        size = parse_max_items(max_items)
        chunk, next_marker = page(records, lambda p: p.id, marker, size)
        return chunk, next_marker, size

    def create(self, raw_config: dict[str, Any]) -> Policy:
        config = VALIDATORS[self.kind](raw_config)
        self._check_unique_name(config["Name"], exclude=None)
        if len(self._custom) >= MAX_CUSTOM_POLICIES:
            raise errors.too_many_policies(self.kind)
        policy = Policy(
            kind=self.kind,
            id=self._new_id(),
            config=config,
            etag=self._new_etag(),
            last_modified=self._clock(),
            managed=False,
        )
        self._custom[policy.id] = policy
        return policy

    def update(self, policy_id: str, raw_config: dict[str, Any], if_match: str | None) -> Policy:
        policy = self.get(policy_id)
        if policy.managed:
            raise errors.managed_policy_update()
        errors.check_if_match(if_match, policy.etag)
        config = VALIDATORS[self.kind](raw_config)
        self._check_unique_name(config["Name"], exclude=policy_id)
        policy.config = config
        policy.etag = self._new_etag()
        policy.last_modified = self._clock()
        return policy

    def delete(self, policy_id: str, if_match: str | None, in_use: Callable[[str], bool]) -> None:
        policy = self.get(policy_id)
        if policy.managed:
            raise errors.managed_policy_delete()
        errors.check_if_match(if_match, policy.etag)
        if in_use(policy_id):
            raise errors.policy_in_use(self.kind)
        del self._custom[policy_id]

    def _check_unique_name(self, name: str, exclude: str | None) -> None:
        if any(p.name == name and p.id != exclude for p in self._custom.values()):
            raise errors.policy_already_exists(self.kind)
