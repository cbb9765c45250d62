"""Which kind of origin a DistributionConfig origin is: an override first, then what the input says (its
OriginHint), then the domain name's form.

Domain forms, each from the page that documents it:
- App Runner: the service's default domain ``<id>.<region>.awsapprunner.com`` (App Runner API reference,
  Service.ServiceUrl, https://docs.aws.amazon.com/apprunner/latest/api/API_Service.html).
- ECS Express Mode: ``<prefix>-<hex>.ecs.<region>.on.aws``, an alias of the service's shared ALB (ECS
  Developer Guide, https://docs.aws.amazon.com/AmazonECS/latest/developerguide/express-service-work.html).
- Application Load Balancer: ``<name>-<id>.<region>.elb.amazonaws.com`` (ALB User Guide, "DNS name",
  https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html).
  An internal load balancer's name starts with ``internal-``; same kind.
- API Gateway: ``<api-id>.execute-api.<region>.amazonaws.com`` (API Gateway Developer Guide,
  https://docs.aws.amazon.com/apigateway/latest/developerguide/how-to-call-api.html).
- Lambda function URL: ``<url-id>.lambda-url.<region>.on.aws`` (Lambda Developer Guide,
  https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html).
- Amazon S3: an origin with S3OriginConfig (CloudFront API reference, Origin), or a bucket endpoint
  ``<bucket>.s3.amazonaws.com`` / ``<bucket>.s3.<region>.amazonaws.com`` (S3 User Guide, VirtualHosting.html)
  or a website endpoint ``<bucket>.s3-website-<region>.amazonaws.com`` / ``.s3-website.<region>.`` (S3 User
  Guide, WebsiteEndpoints.html), which CloudFront reaches as a custom origin.
Anything else is ``custom``.
"""

from __future__ import annotations

import re
from typing import Any

from hostlab.check.model import (
    ALB,
    API_GATEWAY,
    APPRUNNER,
    CUSTOM,
    EXPRESS,
    LAMBDA_URL,
    ORIGIN_KINDS,
    S3,
    CheckInputError,
    OriginHint,
)

_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d+"
# (kind, pattern on the lower-cased domain without a trailing dot, the form in words)
DOMAIN_FORMS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (
        APPRUNNER,
        re.compile(r"^[a-z0-9-]+\.(?:" + _REGION + r"\.)?awsapprunner\.com$"),
        "*.awsapprunner.com (App Runner ServiceUrl)",
    ),
    (
        EXPRESS,
        re.compile(r"^[a-z0-9-]+\.ecs\." + _REGION + r"\.on\.aws$"),
        "*.ecs.<region>.on.aws (ECS Express Mode endpoint)",
    ),
    (
        ALB,
        re.compile(r"^[a-z0-9.-]+\." + _REGION + r"\.elb\.amazonaws\.com$"),
        "*.<region>.elb.amazonaws.com (load balancer DNS name)",
    ),
    (
        API_GATEWAY,
        re.compile(r"^[a-z0-9]+\.execute-api\." + _REGION + r"\.amazonaws\.com$"),
        "*.execute-api.<region>.amazonaws.com (API Gateway endpoint)",
    ),
    (
        LAMBDA_URL,
        re.compile(r"^[a-z0-9]+\.lambda-url\." + _REGION + r"\.on\.aws$"),
        "*.lambda-url.<region>.on.aws (Lambda function URL)",
    ),
    (
        S3,
        re.compile(r"^[a-z0-9.-]+\.s3(?:[.-][a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?$"),
        "*.s3*.amazonaws.com (Amazon S3 endpoint)",
    ),
)


def kind_from_domain(domain: str) -> tuple[str, str]:
    """The kind that the domain's form names, with the form; (CUSTOM, ...) when none matches."""
    name = domain.strip().lower().rstrip(".")
    for kind, pattern, words in DOMAIN_FORMS:
        if pattern.match(name):
            return kind, f"domain {domain} matches {words}"
    return CUSTOM, f"domain {domain} matches no AWS endpoint form: a custom origin"


def origin_kind(
    origin: dict[str, Any], hint: OriginHint | None, override: dict[str, str] | None = None
) -> tuple[str, str]:
    """(kind, reason) of one API Origin. ``override`` maps "*" or an origin Id to a kind (--origin-kind);
    an origin Id wins over "*"."""
    override = override or {}
    origin_id = origin.get("Id", "")
    for key in (origin_id, "*"):
        if key in override:
            kind = override[key]
            if kind not in ORIGIN_KINDS:
                raise CheckInputError(
                    f"--origin-kind {key}={kind}: unknown kind; use one of {', '.join(ORIGIN_KINDS)}"
                )
            return kind, f"--origin-kind {key}={kind}"
    if hint is not None and hint.kind:
        if hint.kind not in ORIGIN_KINDS:
            raise CheckInputError(f"origin {origin_id}: the reader named an unknown kind {hint.kind!r}")
        return hint.kind, hint.reason or f"the input makes origin {origin_id} a {hint.kind} origin"
    if "S3OriginConfig" in origin:
        return S3, f"origin {origin_id} has S3OriginConfig"
    return kind_from_domain(origin.get("DomainName", ""))
