"""What every input reader produces and what every check consumes: the contract of hostlab.check.

An input reader (hostlab.check.inputs.*) turns one file or folder into :class:`DistributionInput` objects.
Everything downstream works on the API's shape only (CloudFront API reference, DistributionConfig: the
``{"Quantity": n, "Items": [...]}`` lists and the API's property names), so a check is written once for
CloudFormation, Terraform, a plan and a get-distribution-config JSON alike. What ties a finding back to the
reader's file is the :class:`SourceMap` each reader provides: it names, in the input's own language, where an
API property is (or would go), and renders a suggested patch there.

API paths are tuples of keys and list indexes into the DistributionConfig, e.g.
``("Origins", "Items", 0, "CustomOriginConfig", "OriginSslProtocols")`` or
``("CacheBehaviors", "Items", 1, "CachePolicyId")``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

ApiPath = tuple[str | int, ...]

# The input languages, as findings and patches name them.
CLOUDFORMATION = "cloudformation"
TERRAFORM = "terraform"
TERRAFORM_PLAN = "terraform-plan"
DISTRIBUTION_CONFIG = "distribution-config"  # aws cloudfront get-distribution-config, or a live read
LANGUAGES = (CLOUDFORMATION, TERRAFORM, TERRAFORM_PLAN, DISTRIBUTION_CONFIG)

# Origin kinds (hostlab.check.origins decides; --origin-kind overrides).
APPRUNNER = "apprunner"
EXPRESS = "express"  # an ECS Express Mode endpoint (*.ecs.<region>.on.aws) behind its shared ALB
ALB = "alb"
API_GATEWAY = "apigateway"
LAMBDA_URL = "lambda-url"
S3 = "s3"
CUSTOM = "custom"
ORIGIN_KINDS = (APPRUNNER, EXPRESS, ALB, API_GATEWAY, LAMBDA_URL, S3, CUSTOM)

# Verdicts (the JSON schema in README.md, "Check your own distribution").
OK = "OK"
FAIL = "FAIL"
NOT_CHECKED = "NOT_CHECKED"
NA = "N/A"
VERDICTS = (OK, FAIL, NOT_CHECKED, NA)

# Checks, in the order the table shows them; the value is the post's section that explains the fix.
POST_URL = "posts/2026-11-27-cloudfront-apprunner-host-problem/index.qmd"
CHECKS: dict[str, str] = {
    "host": "#host-fix",                 # the viewer's Host reaching a host-routed front: 404
    "origin-tls": "#origin-tls",         # OriginSslProtocols the origin does not accept: 502
    "personal-cache": "#personal-page",  # a cookie/Authorization-dependent page cached across users
    "cached-error": "#cached-404s",      # an error kept in the cache after its cause is fixed
    "read-timeout": "#timeouts",         # OriginReadTimeout shorter than the origin's own limit: 504
    "origin-bypass": "#bypass",          # the origin reachable without CloudFront
    "viewer-tls": "#viewer-tls",         # the viewer TLS policy with the default certificate
}


class CheckInputError(ValueError):
    """An input the checker cannot read or does not support. The message names the file, the construct and
    where it is (``template.yaml: Resources.Cdn.Properties.DistributionConfig.Origins[0]: Fn::ImportValue is
    not supported``), and, when one exists, what to pass instead (``--param Name=Value``)."""


@dataclass(frozen=True)
class Where:
    """A place in the reader's input, in its own language."""

    file: str  # as the reader named it (relative paths stay relative)
    path: str  # property path in the input's language, e.g. "Resources.Cdn.Properties.DistributionConfig
    #            .Origins[0].CustomOriginConfig.OriginSSLProtocols" or "aws_cloudfront_distribution.cdn
    #            .origin[0].custom_origin_config.origin_ssl_protocols" or "module.cdn.aws_cloudfront_..."
    line: int | None = None  # 1-based, when the reader knows it
    present: bool = True  # False: the property is absent (its default applies); path is where it would go

    def __str__(self) -> str:
        line = f":{self.line}" if self.line else ""
        absent = " (absent: the default applies)" if not self.present else ""
        return f"{self.file}{line}: {self.path}{absent}"


class SourceMap(Protocol):
    """Provided by each input reader for each distribution."""

    language: str  # one of LANGUAGES

    def where(self, api_path: ApiPath) -> Where:
        """Where this API property is in the input, or where it would go when absent (present=False).
        Never raises for a path inside DistributionConfig: an unknown one maps to its nearest known parent."""

    def patch(self, api_path: ApiPath, api_value: Any) -> str:
        """A suggested change in the input's own language that sets this API property to ``api_value``
        (given in the API's shape), e.g. for CloudFormation the YAML lines under the resource, for Terraform
        the attribute inside its block, for a DistributionConfig the JSON path and value. Plain text, a few
        lines, ready to copy."""


@dataclass
class FunctionInput:
    """A CloudFront Function defined in the input, with its code (read from the file it names, if any)."""

    name: str
    runtime: str  # cloudfront-js-1.0 | cloudfront-js-2.0
    code: str
    where: Where


@dataclass
class PolicyInput:
    """A custom policy defined in the input, in the API's shape (CachePolicyConfig, OriginRequestPolicyConfig
    or ResponseHeadersPolicyConfig)."""

    kind: str  # "cache" | "origin-request" | "response-headers"
    config: dict[str, Any]
    where: Where


@dataclass
class OriginHint:
    """What the input says about one origin beyond its domain name."""

    origin_id: str
    # One of ORIGIN_KINDS when the input makes it certain (a GetAtt to an App Runner service, a Terraform
    # reference to aws_lb...), else None: decided from the domain name.
    kind: str | None = None
    reason: str = ""  # why, in words: "GetAtt AppRunnerService.ServiceUrl", "aws_lb.main.dns_name"
    # App Runner service NetworkConfiguration.IngressConfiguration.IsPubliclyAccessible when the input has the
    # service; None when unknown (the service is defined elsewhere).
    publicly_accessible: bool | None = None
    # The ingress the input gives the origin's load balancer, when it defines it: True when only CloudFront's
    # origin-facing managed prefix list is allowed in; None when unknown.
    restricted_to_cloudfront: bool | None = None


# Placeholders in DistributionInput.config for things the input defines itself, replaced by real IDs/ARNs
# when the checker creates them on the local backend.
def policy_ref(name: str) -> str:
    """Stands for the ID of ``policies[name]`` in CachePolicyId / OriginRequestPolicyId / ..."""
    return f"hostlab-policy:{name}"


def function_ref(name: str) -> str:
    """Stands for the ARN of ``functions[name]`` in FunctionAssociations' FunctionARN."""
    return f"hostlab-function:{name}"


# A secret the input does not contain (a CloudFormation NoEcho parameter without a value, a dynamic
# reference, a sensitive Terraform variable without a default): the checker uses a stand-in value.
SECRET_PLACEHOLDER = "hostlab-check-secret-placeholder"


@dataclass
class DistributionInput:
    """One distribution found in an input."""

    # Logical ID ("Distribution"), resource address ("module.cdn.aws_cloudfront_distribution.this"), file
    # name, or the distribution ID for a live read.
    name: str
    source_file: str
    source: SourceMap
    # DistributionConfig in the API's shape (botocore's CreateDistribution input), complete enough for
    # CreateDistribution: CallerReference, Comment, Enabled, Origins, DefaultCacheBehavior at least. Managed
    # policy names looked up by a data source are already their IDs; custom ones are policy_ref(name).
    config: dict[str, Any]
    functions: dict[str, FunctionInput] = field(default_factory=dict)
    policies: dict[str, PolicyInput] = field(default_factory=dict)
    origins: dict[str, OriginHint] = field(default_factory=dict)  # by origin Id
    # What the input has that the checker reads but cannot emulate, as (api_path, reason): reported as
    # NOT_CHECKED on the checks it affects, never silently dropped.
    not_emulated: list[tuple[ApiPath, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. "NoEcho parameter OriginSecret: stand-in value"


@dataclass
class Finding:
    """One row of the report (and one object of --format json)."""

    distribution: str
    behavior: str  # the path pattern; "Default (*)" for the default cache behaviour
    check: str  # a key of CHECKS
    verdict: str  # one of VERDICTS
    symptom: str  # what a user would see: "GET /hostlab-check/echo -> 404, server: envoy, body 0 bytes"
    cause: str  # the property and its value: "OriginRequestPolicyId = AllViewer forwards the viewer's Host"
    where: str  # str(Where): file and property path in the input
    fix: str  # one sentence and the post's section: "use AllViewerExceptHostHeader (post#host-fix)"
    patch: str | None = None  # for a FAIL: the suggested change in the input's language

    def as_json(self) -> dict[str, Any]:
        return {
            "distribution": self.distribution,
            "behavior": self.behavior,
            "check": self.check,
            "verdict": self.verdict,
            "symptom": self.symptom,
            "cause": self.cause,
            "where": self.where,
            "fix": self.fix,
            "patch": self.patch,
        }


@dataclass
class Report:
    """What check() returns: every finding, in the order of distributions, behaviours, then CHECKS."""

    findings: list[Finding]
    distributions: list[str]  # names, in input order
    notes: list[str] = field(default_factory=list)  # stand-in values used, what was not read, ...

    @property
    def failed(self) -> bool:
        return any(f.verdict == FAIL for f in self.findings)
