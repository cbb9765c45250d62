"""What the tutorial creates, how each notebook finds it again, and how 05-cleanup removes it.

State lives in the backend, not in a notebook's kernel: every notebook looks its resources up through the
API, by the tutorial's tag (``project=hostlab-tutorial``) and names. So notebooks can run in separate
kernels, be re-run, or be resumed after an interruption, on the local backend and on AWS alike.

Everything the tutorial creates carries the tag:
    App Runner service      CreateService Tags
    CloudFront distribution CreateDistributionWithTags
    CloudFront Function     CreateFunction Tags (also found by its name, in case a run created it untagged)
    ACM certificate         RequestCertificate Tags
"""

from __future__ import annotations

import copy
import json
import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

PROJECT_TAG_KEY = "project"
PROJECT_TAG_VALUE = "hostlab-tutorial"
SERVICE_NAME = "hostlab-demo"
FUNCTION_NAME = "hostlab-forwarded-host"
ORIGIN_ID = "apprunner"
STATIC_PATH = "/static/*"
# The alternate domain name of notebook 04's viewer-TLS step. The local backend serves any name; on AWS it
# must be a name you control, with a Route 53 hosted zone (HOSTLAB_ROUTE53_ZONE_ID) for DNS validation.
ALIAS_ENV = "HOSTLAB_ALIAS"
ZONE_ENV = "HOSTLAB_ROUTE53_ZONE_ID"
LOCAL_ALIAS = "www.hostlab-tutorial.example"
# The App Runner service's plain environment in notebook 01 (/account sent without Cache-Control, as Flask and
# Express do unless told otherwise); notebook 04 adds the origin secret to it.
SERVICE_ENV = {"ACCOUNT_CACHE_CONTROL": "none"}
DISTRIBUTION_COMMENT = "hostlab tutorial: CloudFront in front of App Runner"

# Managed policies: the same IDs in every account (CloudFront Developer Guide, "Use managed cache policies",
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html, and
# "Use managed origin request policies", .../using-managed-origin-request-policies.html).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
POLICY_NAMES = {
    CACHING_OPTIMIZED: "CachingOptimized",
    CACHING_DISABLED: "CachingDisabled",
    ALL_VIEWER: "AllViewer",
    ALL_VIEWER_EXCEPT_HOST_HEADER: "AllViewerExceptHostHeader",
}


def apprunner_tags() -> list[dict[str, str]]:
    """App Runner and ACM take tags as a list of {Key, Value}."""
    return [{"Key": PROJECT_TAG_KEY, "Value": PROJECT_TAG_VALUE}]


def cloudfront_tags() -> dict:
    """CloudFront takes tags as {Items: [{Key, Value}]}."""
    return {"Items": [{"Key": PROJECT_TAG_KEY, "Value": PROJECT_TAG_VALUE}]}


def listed(items: list) -> dict:
    """CloudFront's XML-shaped lists: {"Quantity": n, "Items": [...]}."""
    return {"Quantity": len(items), "Items": list(items)}


def caller_reference() -> str:
    """CreateDistribution's idempotency token. Random on purpose: it never appears in printed output."""
    return f"hostlab-{uuid.uuid4()}"


def on_aws() -> bool:
    return os.environ.get("HOSTLAB_BACKEND", "").strip().lower() == "aws"


def required_alias() -> str:
    """The alternate domain name, or NeedsDomain on AWS when the reader named none (HOSTLAB_ALIAS)."""
    if (alias := alias_name()) is None:
        raise NeedsDomain(
            f"on the aws backend this step needs {ALIAS_ENV}=<a domain name you control> and "
            f"{ZONE_ENV}=<its Route 53 hosted zone ID>: ACM issues a certificate only after DNS validation"
        )
    return alias


def alias_name() -> str | None:
    """The alternate domain name for the viewer-TLS step; None on AWS when the reader named none."""
    if value := os.environ.get(ALIAS_ENV, "").strip():
        return value
    return None if on_aws() else LOCAL_ALIAS


def _tagged(tags: list[dict[str, str]]) -> bool:
    return any(t.get("Key") == PROJECT_TAG_KEY and t.get("Value") == PROJECT_TAG_VALUE for t in tags)


# ---------------------------------------------------------------------------------------------------------
# Waiting: hostlab.waiters for services and distributions (progress bar, one stable line printed);
# botocore's own waiters, quietly, for invalidations and certificates
# ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Patience:
    """How often to poll and how many times."""

    delay: float
    max_attempts: int


# Against AWS. Invalidations usually complete within a minute or two (botocore's InvalidationCompleted
# waiter allows 20 s x 30 = 10 min; 15 min here). ACM DNS validation can take up to 30 minutes after the
# record exists (ACM User Guide, dns-validation.html; botocore's CertificateValidated allows only
# 60 s x 5), so 40 minutes here.
INVALIDATION_AWS = Patience(10.0, 90)
CERTIFICATE_AWS = Patience(20.0, 120)
# Against the local backend, whose delays are seconds or less (settings HOSTLAB_*_SECONDS): poll as often
# as hostlab.waiters.LOCAL does, for up to 2 minutes.
LOCAL = Patience(0.1, 1200)


def _patience(client, aws: Patience) -> Patience:
    from hostlab import waiters
    from hostlab.tutorial import rehearsal

    if rehearsal.rehearsing():
        # The aws tier rehearsed on the local backend (hostlab.tutorial.rehearsal): AWS's patience, shortened
        # delays.
        return Patience(rehearsal.scaled_delay(aws.delay), aws.max_attempts)
    return LOCAL if waiters.is_local_endpoint(client) else aws


def waiter_config(client, kind: str) -> dict:
    """``WaiterConfig`` for botocore's own waiters: ``kind`` is "distribution" (distribution_deployed),
    "invalidation" (invalidation_completed) or "certificate" (certificate_validated).

    botocore's defaults (60 s x 35, 20 s x 30, 60 s x 5) are made for AWS: against the local backend the
    first 60 s sleep alone would outlast the whole deployment, and on AWS certificate validation can take
    longer than 5 minutes (see above).
    """
    from hostlab import waiters

    aws = {
        "distribution": Patience(waiters.CLOUDFRONT_AWS.delay, waiters.CLOUDFRONT_AWS.max_attempts),
        "invalidation": INVALIDATION_AWS,
        "certificate": CERTIFICATE_AWS,
    }[kind]
    p = _patience(client, aws)
    return {"Delay": p.delay, "MaxAttempts": p.max_attempts}


def wait_distribution_deployed(cloudfront, distribution_id: str) -> str:
    """Wait until the distribution is Deployed (botocore's DistributionDeployed waiter with limits that fit
    the backend: up to 45 minutes on AWS); prints and returns the final status."""
    from hostlab import waiters

    waiter = waiters.distribution_deployed_waiter(cloudfront)
    return waiters.wait(waiter, "distribution", Id=distribution_id)


def invalidate(cloudfront, distribution_id: str, paths: list[str] | None = None) -> str:
    """Invalidate ``paths`` (default /*) and wait until done, so cached answers no longer hide a change.

    "/*" counts as one path; the first 1,000 paths a month are free (https://aws.amazon.com/cloudfront/pricing/).
    """
    created = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={"Paths": listed(paths or ["/*"]), "CallerReference": caller_reference()},
    )
    cloudfront.get_waiter("invalidation_completed").wait(
        DistributionId=distribution_id,
        Id=created["Invalidation"]["Id"],
        WaiterConfig=waiter_config(cloudfront, "invalidation"),
    )
    return cloudfront.get_invalidation(DistributionId=distribution_id, Id=created["Invalidation"]["Id"])[
        "Invalidation"
    ]["Status"]


# ---------------------------------------------------------------------------------------------------------
# Finding the tutorial's resources through the API
# ---------------------------------------------------------------------------------------------------------


class NotCreatedYet(LookupError):
    """A notebook needs a resource that an earlier notebook creates."""


def tutorial_distributions(cloudfront) -> list[dict]:
    """Every distribution carrying the tutorial's tag (ListDistributions + ListTagsForResource)."""
    found = []
    for page in cloudfront.get_paginator("list_distributions").paginate():
        for summary in page.get("DistributionList", {}).get("Items", []) or []:
            tags = cloudfront.list_tags_for_resource(Resource=summary["ARN"])["Tags"].get("Items", [])
            if _tagged(tags):
                found.append(summary)
    return found


def distribution_or_none(cloudfront) -> dict | None:
    """The tutorial's distribution (GetDistribution's Distribution), or None before notebook 02 created it.

    CloudFront happily creates any number of distributions with the same settings (each CreateDistribution
    with a new CallerReference is a new one), so notebook 02 looks first and updates the one it finds. Should
    several carry the tag (an interrupted run, or an older version of this tutorial), the choice is the same
    every time: notebook 02's comment first, then the lowest Id.
    """
    found = sorted(
        tutorial_distributions(cloudfront), key=lambda d: (d.get("Comment") != DISTRIBUTION_COMMENT, d["Id"])
    )
    if not found:
        return None
    return cloudfront.get_distribution(Id=found[0]["Id"])["Distribution"]


def find_distribution(cloudfront) -> dict:
    """The tutorial's distribution (see :func:`distribution_or_none`), or NotCreatedYet."""
    if (distribution := distribution_or_none(cloudfront)) is not None:
        return distribution
    raise NotCreatedYet(
        f"no CloudFront distribution tagged {PROJECT_TAG_KEY}={PROJECT_TAG_VALUE}: "
        "run notebooks/02-attach-cloudfront.ipynb first"
    )


def _function_is_tagged(cloudfront, summary: dict) -> bool:
    arn = summary.get("FunctionMetadata", {}).get("FunctionARN")
    if summary.get("Name") == FUNCTION_NAME:
        return True
    try:
        tags = cloudfront.list_tags_for_resource(Resource=arn)["Tags"].get("Items", [])
    except ClientError:
        return False
    return _tagged(tags)


def tutorial_functions(cloudfront) -> list[dict]:
    """The tutorial's CloudFront Functions (its name, or its tag), in either stage."""
    found, marker = [], None
    while True:
        page = cloudfront.list_functions(**({"Marker": marker} if marker else {}))["FunctionList"]
        found += [f for f in page.get("Items", []) or [] if _function_is_tagged(cloudfront, f)]
        marker = page.get("NextMarker")
        if not marker:
            return found


def tutorial_certificates(acm) -> list[dict]:
    """ACM certificates (us-east-1, where CloudFront reads them) carrying the tutorial's tag."""
    found = []
    for page in acm.get_paginator("list_certificates").paginate():
        for summary in page.get("CertificateSummaryList", []):
            tags = acm.list_tags_for_certificate(CertificateArn=summary["CertificateArn"]).get("Tags", [])
            if _tagged(tags):
                found.append(summary)
    return found


# ---------------------------------------------------------------------------------------------------------
# Changing a distribution the way AWS wants it: read config + ETag, edit, update with IfMatch
# ---------------------------------------------------------------------------------------------------------


def change_distribution(
    cloudfront,
    distribution_id: str,
    edit: Callable[[dict], None],
    *,
    wait: bool = True,
    refresh_cache: bool = True,
) -> dict:
    """Apply ``edit`` (a function that changes a DistributionConfig in place); by default then wait until
    Deployed and invalidate /* so that the next request shows the new configuration.

    UpdateDistribution replaces the whole config and needs the ETag of the config it was derived from
    (IfMatch); a stale ETag is refused with PreconditionFailed, so no concurrent change is lost
    (CloudFront API reference, UpdateDistribution). Returns the Distribution as UpdateDistribution (or, after
    waiting, GetDistribution) describes it.
    """
    current = cloudfront.get_distribution_config(Id=distribution_id)
    config = copy.deepcopy(current["DistributionConfig"])
    edit(config)
    updated = cloudfront.update_distribution(
        Id=distribution_id, IfMatch=current["ETag"], DistributionConfig=config
    )
    if not wait:
        return updated["Distribution"]
    wait_distribution_deployed(cloudfront, distribution_id)
    if refresh_cache:
        print("invalidation:", invalidate(cloudfront, distribution_id))
    return cloudfront.get_distribution(Id=distribution_id)["Distribution"]


def default_behavior(config: dict) -> dict:
    return config["DefaultCacheBehavior"]


def app_origin(config: dict) -> dict:
    return next(o for o in config["Origins"]["Items"] if o["Id"] == ORIGIN_ID)


def behaviour_lines(config: dict) -> list[str]:
    """One line per cache behaviour: path pattern, cache policy, origin request policy, functions."""
    behaviours = [*(config.get("CacheBehaviors", {}).get("Items") or []), config["DefaultCacheBehavior"]]
    lines = []
    for b in behaviours:
        functions = [a["EventType"] for a in (b.get("FunctionAssociations", {}).get("Items") or [])]
        lines.append(
            f"{b.get('PathPattern', 'default (*)'):12}"
            f" cache: {POLICY_NAMES.get(b.get('CachePolicyId'), b.get('CachePolicyId', '-')):17}"
            f" origin request: {POLICY_NAMES.get(b.get('OriginRequestPolicyId'), '-'):26}"
            f" functions: {', '.join(functions) or '-'}"
        )
    return lines


# ---------------------------------------------------------------------------------------------------------
# Notebook 03 starts where notebooks 01 and 02 leave off, also when 03 or 04 already ran
# ---------------------------------------------------------------------------------------------------------

# What notebook 02 configures and notebooks 03 and 04 change, as notebook 02 sets it. Notebook 02's cell
# "distribution-config" is the one to read; these values must match it (tests/test_tutorial_helpers.py).
NOTEBOOK_02_ERROR_RESPONSES = [{"ErrorCode": 404, "ErrorCachingMinTTL": 600}]
NOTEBOOK_02_READ_TIMEOUT = 30


def _as_notebook_02_left_it(config: dict) -> None:
    """Put back, in a DistributionConfig, every setting that notebooks 03 and 04 change."""
    origin = app_origin(config)
    origin["CustomHeaders"] = listed([])
    custom = origin["CustomOriginConfig"]
    custom["OriginSslProtocols"] = listed(["TLSv1.2"])
    custom["OriginReadTimeout"] = NOTEBOOK_02_READ_TIMEOUT
    default = default_behavior(config)
    default.update(
        CachePolicyId=CACHING_OPTIMIZED,
        OriginRequestPolicyId=ALL_VIEWER,
        Compress=True,
        FunctionAssociations=listed([]),
    )
    config["CacheBehaviors"] = listed([])
    config["CustomErrorResponses"] = listed(copy.deepcopy(NOTEBOOK_02_ERROR_RESPONSES))
    config["Aliases"] = listed([])
    config["ViewerCertificate"] = {"CloudFrontDefaultCertificate": True}


def _notebook_02_view(config: dict) -> tuple:
    """The settings :func:`_as_notebook_02_left_it` puts back, in a form that ignores the defaults CloudFront
    fills in (an empty list's missing Items, a certificate's derived fields)."""
    return (
        *origin_and_behaviour_view(config, app_origin(config)),
        len(config.get("Aliases", {}).get("Items") or []),
        bool(config.get("ViewerCertificate", {}).get("CloudFrontDefaultCertificate")),
    )


def origin_and_behaviour_view(config: dict, origin: dict) -> tuple:
    """What a track's notebooks change in ``origin`` (the app's, in ``config``), the behaviours and error
    caching, in a form that ignores the defaults CloudFront fills in (an empty list's missing Items)."""
    custom = origin["CustomOriginConfig"]
    default = default_behavior(config)
    errors = config.get("CustomErrorResponses", {}).get("Items") or []
    return (
        tuple(sorted(custom["OriginSslProtocols"]["Items"])),
        custom.get("OriginReadTimeout"),
        len(origin.get("CustomHeaders", {}).get("Items") or []),
        default.get("CachePolicyId"),
        default.get("OriginRequestPolicyId"),
        default.get("Compress"),
        len(default.get("FunctionAssociations", {}).get("Items") or []),
        len(config.get("CacheBehaviors", {}).get("Items") or []),
        tuple(sorted((int(e["ErrorCode"]), int(e.get("ErrorCachingMinTTL", -1))) for e in errors)),
    )


# ---------------------------------------------------------------------------------------------------------
# The CloudFront Function of notebook 04
# ---------------------------------------------------------------------------------------------------------

FUNCTION_SOURCE = Path(__file__).resolve().parents[3] / "infra" / "cloudfront-function" / "forwarded-host.js"


def function_code() -> str:
    """The function's JavaScript, kept in infra/ so that notebooks, CLI and IaC examples share one copy."""
    try:
        return FUNCTION_SOURCE.read_text()
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{FUNCTION_SOURCE} not found: the tutorial reads the function from the repository's infra/ "
            "folder, so install the package from a clone (pip install -e .)"
        ) from None


def function_etag_or_none(cloudfront) -> str | None:
    """The ETag of the tutorial's function in the DEVELOPMENT stage, or None before notebook 04 created it
    (DescribeFunction: NoSuchFunctionExists). CreateFunction refuses a name that exists
    (FunctionAlreadyExists), so a re-run of notebook 04 updates the function instead."""
    try:
        return cloudfront.describe_function(Name=FUNCTION_NAME, Stage="DEVELOPMENT")["ETag"]
    except cloudfront.exceptions.NoSuchFunctionExists:
        return None


def viewer_request_event(host: str, uri: str = "/echo") -> bytes:
    """A viewer-request event for TestFunction (CloudFront Functions event structure, version 1.0)."""
    event = {
        "version": "1.0",
        "context": {"eventType": "viewer-request"},
        "viewer": {"ip": "192.0.2.10"},  # documentation address range (RFC 5737)
        "request": {
            "method": "GET",
            "uri": uri,
            "querystring": {},
            "headers": {"host": {"value": host}},
            "cookies": {},
        },
    }
    return json.dumps(event).encode()


def function_result(tested: dict) -> dict:
    """TestFunction's FunctionOutput, parsed; raises with the function's error message if it failed."""
    result = tested["TestResult"]
    if result.get("FunctionErrorMessage"):
        raise RuntimeError(f"the function failed: {result['FunctionErrorMessage']}")
    return json.loads(result["FunctionOutput"])


# ---------------------------------------------------------------------------------------------------------
# The viewer certificate of notebook 04 (ACM in us-east-1, where CloudFront reads certificates)
# ---------------------------------------------------------------------------------------------------------


class NeedsDomain(RuntimeError):
    """The aws backend needs a domain the reader controls for the alternate-domain-name step."""


def issued_certificate(acm, domain: str | None) -> str:
    """An ISSUED certificate for ``domain`` carrying the tutorial's tag (reused on a re-run), DNS-validated.

    On AWS the validation CNAME goes into the Route 53 hosted zone HOSTLAB_ROUTE53_ZONE_ID; 05-cleanup
    removes it. The local backend's ACM (moto) validates by itself after a moment.
    """
    if domain is None:
        raise NeedsDomain(
            f"on the aws backend this step needs {ALIAS_ENV}=<a domain name you control> and "
            f"{ZONE_ENV}=<its Route 53 hosted zone ID>: ACM issues a certificate only after DNS validation"
        )
    arn = (
        certificate_or_none(acm, domain)
        or acm.request_certificate(DomainName=domain, ValidationMethod="DNS", Tags=apprunner_tags())[
            "CertificateArn"
        ]
    )
    validation_record_in_route53(acm, arn)
    acm.get_waiter("certificate_validated").wait(
        CertificateArn=arn, WaiterConfig=waiter_config(acm, "certificate")
    )
    return arn


def certificate_or_none(acm, domain: str) -> str | None:
    """The ARN of the tutorial's certificate for ``domain`` (issued, or still being validated), or None."""
    for summary in tutorial_certificates(acm):
        if summary["DomainName"] == domain and summary.get("Status") in ("ISSUED", "PENDING_VALIDATION"):
            return summary["CertificateArn"]
    return None


def validation_record_in_route53(acm, certificate_arn: str) -> None:
    """On AWS, create the certificate's DNS validation record in HOSTLAB_ROUTE53_ZONE_ID (UPSERT, so a re-run
    is harmless); nothing on the local backend, whose ACM validates by itself after a moment."""
    if on_aws():
        _route53_validation(acm, certificate_arn, "UPSERT")


def _validation_record(acm, certificate_arn: str) -> dict | None:
    """The CNAME that ACM wants for DNS validation; it can take a few seconds to appear after the request."""
    p = _patience(acm, Patience(5.0, 24))
    for _ in range(p.max_attempts):
        options = acm.describe_certificate(CertificateArn=certificate_arn)["Certificate"].get(
            "DomainValidationOptions", []
        )
        records = [o["ResourceRecord"] for o in options if o.get("ResourceRecord")]
        if records:
            return records[0]
        time.sleep(p.delay)
    return None


def _route53_validation(acm, certificate_arn: str, action: str) -> None:
    zone = os.environ.get(ZONE_ENV, "").strip()
    if not zone:
        if action == "UPSERT":
            raise NeedsDomain(f"set {ZONE_ENV} to the Route 53 hosted zone of {ALIAS_ENV}")
        return
    record = _validation_record(acm, certificate_arn)
    if record is None:
        return
    import boto3

    change = {
        "Action": action,
        "ResourceRecordSet": {
            "Name": record["Name"],
            "Type": record["Type"],
            "TTL": 300,
            "ResourceRecords": [{"Value": record["Value"]}],
        },
    }
    try:
        boto3.client("route53").change_resource_record_sets(
            HostedZoneId=zone, ChangeBatch={"Comment": "hostlab tutorial ACM validation", "Changes": [change]}
        )
    except ClientError as exc:
        # DELETE of a record that is already gone: InvalidChangeBatch; nothing left to do.
        if not (action == "DELETE" and exc.response["Error"]["Code"] == "InvalidChangeBatch"):
            raise


# ---------------------------------------------------------------------------------------------------------
# Cleanup: every step checks first, so it can run again, and after an interrupted run
# ---------------------------------------------------------------------------------------------------------


def delete_distribution(cloudfront, distribution_id: str) -> None:
    """Disable, wait until Deployed, delete: CloudFront deletes only a disabled distribution whose disabling
    has deployed (DistributionNotDisabled otherwise; CloudFront API reference, DeleteDistribution)."""
    current = cloudfront.get_distribution_config(Id=distribution_id)
    if current["DistributionConfig"]["Enabled"]:
        print(f"disabling distribution {distribution_id}")
        change_distribution(
            cloudfront, distribution_id, lambda c: c.update(Enabled=False), refresh_cache=False
        )
    else:
        wait_distribution_deployed(cloudfront, distribution_id)
    etag = cloudfront.get_distribution(Id=distribution_id)["ETag"]
    cloudfront.delete_distribution(Id=distribution_id, IfMatch=etag)
    print(f"deleted distribution {distribution_id}")


def delete_function(cloudfront, name: str) -> None:
    """DeleteFunction needs the function's ETag; CloudFront refuses it while a distribution uses it."""
    etag = cloudfront.describe_function(Name=name)["ETag"]
    cloudfront.delete_function(Name=name, IfMatch=etag)
    print(f"deleted function {name}")


# ACM goes on reporting a certificate in use (ResourceInUseException) for a while after the resource that
# used it is deleted: 10-20 minutes after a CloudFront distribution in amplify-education/
# serverless-domain-manager issue 32 (2017); terraform-provider-aws retries DeleteCertificate for it (issue
# 3866 and pull request 3868, 2018, where a reviewer found 10 minutes too short). 30 minutes here
# (30 s x 60); shortened in a rehearsal, quick on the local backend.
CERTIFICATE_RELEASE_AWS = Patience(30.0, 60)


def delete_certificate(acm, certificate_arn: str) -> None:
    """The Route 53 validation record first (on AWS), then the certificate, retried while ACM still counts
    it in use by the distribution deleted just before (a certificate left behind costs nothing, and the next
    cleanup deletes it: its record is gone already, which that cleanup tolerates)."""
    domain = acm.describe_certificate(CertificateArn=certificate_arn)["Certificate"]["DomainName"]
    if on_aws():
        _route53_validation(acm, certificate_arn, "DELETE")
    p = _patience(acm, CERTIFICATE_RELEASE_AWS)
    for attempt in range(1, p.max_attempts + 1):
        try:
            acm.delete_certificate(CertificateArn=certificate_arn)
            break
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "ResourceInUseException" or attempt == p.max_attempts:
                raise
            time.sleep(p.delay)
    # The alias is the reader's own domain on AWS (HOSTLAB_ALIAS), so it is not printed: the line must read
    # the same on both backends for nbval.
    print(f"deleted certificate for {'the alias' if domain == alias_name() else domain}")


def lend_helpers(
    module_name: str, module_globals: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A platform's tutorial module's ``__getattr__`` and ``__dir__``: the names it does not define itself
    come from this module, so ``tr.listed``, ``tr.change_distribution``... read the same in every track."""
    shared = sys.modules[__name__]

    def getattr_(name: str) -> Any:
        try:
            return getattr(shared, name)
        except AttributeError:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}") from None

    def dir_() -> list[str]:
        return sorted(set(module_globals) | set(dir(shared)))

    return getattr_, dir_
