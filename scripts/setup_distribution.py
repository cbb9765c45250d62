"""Put the demo app on App Runner with a CloudFront distribution in front, configured one named way.

    python scripts/setup_distribution.py forward-host | tls-v1 | except-host | fixed
    python scripts/setup_distribution.py cleanup

Used by scripts/reproduce.sh, one configuration per step; each one changes one thing against a working base
(origin TLSv1.2, Host not forwarded, CachingDisabled so that every probe reaches the origin):

    forward-host  AllViewer forwards the viewer's Host; App Runner's front routes by Host   -> 404, envoy
    tls-v1        OriginSslProtocols [TLSv1, SSLv3], CloudFormation's default               -> 502
    except-host   AllViewerExceptHostHeader, and nothing else: the app sees only its own
                  awsapprunner.com name, so its redirects point there                     -> wrong Location
    fixed         except-host + a viewer-request function copying Host to X-Forwarded-Host
                  + a secret origin header the app checks before trusting that header      -> 200, right host

Idempotent: the service and the distribution are found again by their tag (project=hostlab-reproduce, not
the notebooks' tag, so neither cleanup touches the other's resources) and reused; a configuration already
in place is not updated again. After every distribution change it waits for Deployed with the project's
waiters and invalidates /*, so the next request shows the new configuration.

stdout carries only shell assignments for `eval` (DISTRIBUTION_DOMAIN, SERVICE_DOMAIN); progress goes to
stderr. The backend is the one hostlab.connect() chooses: the local one (started if needed, or the one named
by HOSTLAB_HOME), or, with HOSTLAB_BACKEND=aws, the sandbox account the guard accepts.
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import shlex
import sys
from dataclasses import dataclass

import boto3

import hostlab
from hostlab import aws_guard, waiters
from hostlab.app import DEFAULT_SECRET_HEADER, source_configuration
from hostlab.platforms.apprunner import resources as tr

TAG_KEY = "project"
TAG_VALUE = "hostlab-reproduce"
TAGS = [{"Key": TAG_KEY, "Value": TAG_VALUE}]  # App Runner's shape; CloudFront wants {"Items": TAGS}
SERVICE_NAME = "hostlab-reproduce"
FUNCTION_NAME = "hostlab-reproduce-forwarded-host"
COMMENT = "hostlab reproduce.sh: CloudFront in front of App Runner"
# Environment variable of the demo app holding the origin secret (hostlab.app.runtime_environment).
SECRET_VARIABLE = "ORIGIN_SECRET"


@dataclass(frozen=True)
class Configuration:
    ssl_protocols: tuple[str, ...]
    origin_request_policy: str
    forwarded_host: bool  # the viewer-request function plus the secret origin header (and the app's secret)


# CF-DG: the CloudFront Developer Guide, https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/
CONFIGURATIONS = {
    # AllViewer sends every viewer header, Host included, to the origin (CF-DG
    # using-managed-origin-request-policies.html). App Runner's shared Envoy front routes by Host and answers
    # an unknown one 404 (community evidence, see docs/behaviours.md: AWS does not document it).
    "forward-host": Configuration(("TLSv1.2",), tr.ALL_VIEWER, forwarded_host=False),
    # [TLSv1, SSLv3] is the schema default of OriginSSLProtocols in AWS::CloudFront::Distribution (cfn-lint's
    # copy of the CloudFormation registry schema); when CloudFront cannot negotiate a protocol the origin
    # accepts it answers 502 (CF-DG http-502-bad-gateway.html). That App Runner refuses TLS 1.0/1.1 is an
    # ASSUMPTION of the local backend (HOSTLAB_APPRUNNER_TLS_VERSIONS), measured on the aws backend.
    "tls-v1": Configuration(("TLSv1", "SSLv3"), tr.ALL_VIEWER_EXCEPT_HOST_HEADER, forwarded_host=False),
    # Without Host forwarding CloudFront sets Host to the origin's domain name (CF-DG
    # RequestAndResponseBehaviorCustomOrigin.html, "Host"): routing works, but the app's own URLs use it.
    "except-host": Configuration(("TLSv1.2",), tr.ALL_VIEWER_EXCEPT_HOST_HEADER, forwarded_host=False),
    # A viewer-request function may add X-Forwarded-Host but not change Host (CF-DG
    # edge-function-restrictions-all.html); App Runner sets no X-Forwarded-Host of its own
    # (https://github.com/aws/apprunner-roadmap/issues/52).
    "fixed": Configuration(("TLSv1.2",), tr.ALL_VIEWER_EXCEPT_HOST_HEADER, forwarded_host=True),
}


def say(message: str) -> None:
    print(f"setup: {message}", file=sys.stderr)


def tagged(tags: list[dict[str, str]]) -> bool:
    return any(t.get("Key") == TAG_KEY and t.get("Value") == TAG_VALUE for t in tags)


# ---------------------------------------------------------------------------------------------------------
# App Runner service
# ---------------------------------------------------------------------------------------------------------


def find_services(apprunner) -> list[dict]:
    """Summaries of this script's services (ListServices + ListTagsForResource), deleted ones left out."""
    found, token = [], None
    while True:
        page = apprunner.list_services(**({"NextToken": token} if token else {}))
        for summary in page.get("ServiceSummaryList", []):
            if summary.get("Status") == "DELETED":
                continue
            tags = apprunner.list_tags_for_resource(ResourceArn=summary["ServiceArn"]).get("Tags", [])
            if summary["ServiceName"] == SERVICE_NAME and tagged(tags):
                found.append(summary)
        token = page.get("NextToken")
        if not token:
            return found


def current_secret(service: dict) -> str | None:
    image = service["SourceConfiguration"].get("ImageRepository", {}).get("ImageConfiguration", {})
    return (image.get("RuntimeEnvironmentVariables") or {}).get(SECRET_VARIABLE) or None


def wait_running(apprunner, service_arn: str) -> dict:
    tr.wait_service_running(apprunner, service_arn)
    return apprunner.describe_service(ServiceArn=service_arn)["Service"]


def ready_service(apprunner, secret_if_created: str | None) -> dict:
    """This script's service, RUNNING: the tagged one, or a new one (with ``secret_if_created``)."""
    found = find_services(apprunner)
    if not found:
        created = apprunner.create_service(
            ServiceName=SERVICE_NAME,
            SourceConfiguration=source_configuration(origin_secret=secret_if_created),
            InstanceConfiguration={"Cpu": "0.25 vCPU", "Memory": "0.5 GB"},
            Tags=TAGS,
        )["Service"]
        say(f"created App Runner service {SERVICE_NAME}")
        return wait_running(apprunner, created["ServiceArn"])
    arn = found[0]["ServiceArn"]
    service = apprunner.describe_service(ServiceArn=arn)["Service"]
    if service["Status"] == "OPERATION_IN_PROGRESS":  # an earlier run was interrupted mid-operation
        service = wait_running(apprunner, arn)
    if service["Status"] != "RUNNING":
        raise SystemExit(f"setup: service {SERVICE_NAME} is {service['Status']}; run `cleanup` and retry")
    state = "on" if current_secret(service) else "off"
    say(f"reusing App Runner service {SERVICE_NAME} (origin secret: {state})")
    return service


def set_service_secret(apprunner, service: dict, secret: str | None) -> dict:
    """Turn the app's origin-secret check on (with ``secret``) or off; the app reads it at start, so this is
    an UpdateService (a new deployment), waited for."""
    arn = service["ServiceArn"]
    apprunner.update_service(ServiceArn=arn, SourceConfiguration=source_configuration(origin_secret=secret))
    say(f"updating App Runner service {SERVICE_NAME}: origin secret {'on' if secret else 'off'}")
    return wait_running(apprunner, arn)


# ---------------------------------------------------------------------------------------------------------
# CloudFront Function
# ---------------------------------------------------------------------------------------------------------


def published_function(cloudfront) -> str:
    """Create or update the viewer-request function (infra/cloudfront-function/forwarded-host.js), publish
    it to LIVE when its code changed, and return its ARN."""
    code = tr.function_code().encode()
    config = {"Comment": "Copy the viewer's Host into X-Forwarded-Host", "Runtime": "cloudfront-js-2.0"}
    try:
        described = cloudfront.describe_function(Name=FUNCTION_NAME, Stage="DEVELOPMENT")
    except cloudfront.exceptions.NoSuchFunctionExists:
        etag = cloudfront.create_function(
            Name=FUNCTION_NAME,
            FunctionConfig=config,
            FunctionCode=code,
            Tags={"Items": TAGS},
        )["ETag"]
    else:
        live_code = None
        with contextlib.suppress(cloudfront.exceptions.NoSuchFunctionExists):
            live_code = cloudfront.get_function(Name=FUNCTION_NAME, Stage="LIVE")["FunctionCode"].read()
        if live_code == code:
            return described["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]
        etag = cloudfront.update_function(
            Name=FUNCTION_NAME, IfMatch=described["ETag"], FunctionConfig=config, FunctionCode=code
        )["ETag"]
    published = cloudfront.publish_function(Name=FUNCTION_NAME, IfMatch=etag)["FunctionSummary"]
    say(f"published CloudFront Function {FUNCTION_NAME}")
    return published["FunctionMetadata"]["FunctionARN"]


# ---------------------------------------------------------------------------------------------------------
# Distribution
# ---------------------------------------------------------------------------------------------------------


def find_distributions(cloudfront) -> list[dict]:
    """Summaries of this script's distributions (ListDistributions + ListTagsForResource)."""
    found = []
    for page in cloudfront.get_paginator("list_distributions").paginate():
        for summary in page.get("DistributionList", {}).get("Items", []) or []:
            tags = cloudfront.list_tags_for_resource(Resource=summary["ARN"])["Tags"].get("Items", [])
            if tagged(tags):
                found.append(summary)
    return found


def apply_configuration(
    config: dict, chosen: Configuration, origin_domain: str, secret: str | None, function_arn: str | None
) -> None:
    """Make ``config`` (a DistributionConfig, changed in place) say what ``chosen`` says, and nothing else."""
    origin = {
        "Id": tr.ORIGIN_ID,
        "DomainName": origin_domain,
        "OriginPath": "",
        "CustomHeaders": tr.listed(
            [{"HeaderName": DEFAULT_SECRET_HEADER, "HeaderValue": secret}] if secret else []
        ),
        "CustomOriginConfig": {
            "HTTPPort": 80,
            "HTTPSPort": 443,
            "OriginProtocolPolicy": "https-only",
            "OriginSslProtocols": tr.listed(list(chosen.ssl_protocols)),
            "OriginReadTimeout": 30,
            "OriginKeepaliveTimeout": 5,
        },
    }
    associations = [{"EventType": "viewer-request", "FunctionARN": function_arn}] if function_arn else []
    behaviour = {
        "TargetOriginId": tr.ORIGIN_ID,
        "ViewerProtocolPolicy": "redirect-to-https",
        "AllowedMethods": {**tr.listed(["GET", "HEAD"]), "CachedMethods": tr.listed(["GET", "HEAD"])},
        "Compress": False,
        # Nothing cached: each probe shows what the origin answers under this configuration.
        "CachePolicyId": tr.CACHING_DISABLED,
        "OriginRequestPolicyId": chosen.origin_request_policy,
        "FunctionAssociations": tr.listed(associations),
    }
    config.update(
        Comment=COMMENT,
        Enabled=True,
        Origins=tr.listed([origin]),
        DefaultCacheBehavior=behaviour,
        CacheBehaviors=tr.listed([]),
    )


def differs(current: dict, wanted: dict) -> bool:
    """True when a key ``wanted`` sets has another value in ``current``. GetDistributionConfig adds keys
    with their defaults, and leaves Items out of an empty list ({"Quantity": 0}): neither is a difference."""
    if isinstance(wanted, dict):
        return not isinstance(current, dict) or any(differs(current.get(k), v) for k, v in wanted.items())
    if isinstance(wanted, list):
        current = [] if current is None else current
        return (
            not isinstance(current, list)
            or len(current) != len(wanted)
            or any(differs(c, w) for c, w in zip(current, wanted, strict=True))
        )
    return current != wanted


def ensure_distribution(cloudfront, chosen: Configuration, origin_domain: str, secret, function_arn) -> dict:
    found = find_distributions(cloudfront)
    if not found:
        config = {
            "CallerReference": tr.caller_reference(),
            "PriceClass": "PriceClass_100",
            "ViewerCertificate": {"CloudFrontDefaultCertificate": True},
        }
        apply_configuration(config, chosen, origin_domain, secret, function_arn)
        created = cloudfront.create_distribution_with_tags(
            DistributionConfigWithTags={
                "DistributionConfig": config,
                "Tags": {"Items": TAGS},
            }
        )["Distribution"]
        say(f"created distribution {created['Id']}")
        tr.wait_distribution_deployed(cloudfront, created["Id"])
        return created
    distribution_id = found[0]["Id"]
    current = cloudfront.get_distribution_config(Id=distribution_id)["DistributionConfig"]
    wanted: dict = {}
    apply_configuration(wanted, chosen, origin_domain, secret, function_arn)
    if differs(current, wanted):
        say(f"updating distribution {distribution_id}")
        tr.change_distribution(  # UpdateDistribution with IfMatch, wait for Deployed, invalidate /*
            cloudfront,
            distribution_id,
            lambda config: apply_configuration(config, chosen, origin_domain, secret, function_arn),
        )
    else:
        say(f"distribution {distribution_id} already has this configuration")
        tr.wait_distribution_deployed(cloudfront, distribution_id)
        # A probe right after must reach the origin, not an answer cached under an earlier configuration.
        print("invalidation:", tr.invalidate(cloudfront, distribution_id))
    return cloudfront.get_distribution(Id=distribution_id)["Distribution"]


# ---------------------------------------------------------------------------------------------------------
# Cleanup
# ---------------------------------------------------------------------------------------------------------


def cleanup(apprunner, cloudfront) -> int:
    """Delete what this script created (distributions first: they use the function and the service)."""
    count = 0
    for summary in find_distributions(cloudfront):
        tr.delete_distribution(cloudfront, summary["Id"])  # disable, wait for Deployed, delete
        count += 1
    with contextlib.suppress(cloudfront.exceptions.NoSuchFunctionExists):
        tr.delete_function(cloudfront, FUNCTION_NAME)
        count += 1
    for summary in find_services(apprunner):
        arn = summary["ServiceArn"]
        if apprunner.describe_service(ServiceArn=arn)["Service"]["Status"] == "OPERATION_IN_PROGRESS":
            wait_running(apprunner, arn)  # DeleteService is refused while an operation runs
        apprunner.delete_service(ServiceArn=arn)
        deleted = waiters.apprunner_waiter(apprunner, "ServiceDeleted")
        waiters.wait(deleted, "App Runner service", ServiceArn=arn)
        say(f"deleted App Runner service {SERVICE_NAME}")
        count += 1
    return count


def apply(apprunner, cloudfront, name: str) -> dict[str, str]:
    """Put configuration ``name`` in place on the service and the distribution; return their domains.

    The order avoids 403s while the secret changes: a distribution may send the secret header before the
    app checks it (an app without a secret ignores it), and the app must stop checking before the
    distribution stops sending it.
    """
    chosen = CONFIGURATIONS[name]
    # A plain environment variable keeps this demonstration short; a real deployment keeps the secret in
    # Secrets Manager or SSM (source_configuration(secrets=...); AR-DG env-variable.html).
    fresh_secret = secrets.token_urlsafe(32) if chosen.forwarded_host else None
    service = ready_service(apprunner, secret_if_created=fresh_secret)
    had = current_secret(service)
    # A secret already in place is kept, so a re-run of "fixed" changes nothing on either side.
    secret = (had or fresh_secret) if chosen.forwarded_host else None
    function_arn = published_function(cloudfront) if chosen.forwarded_host else None
    if had and not secret:
        service = set_service_secret(apprunner, service, None)
    distribution = ensure_distribution(cloudfront, chosen, service["ServiceUrl"], secret, function_arn)
    if secret and not had:
        service = set_service_secret(apprunner, service, secret)
        # Answers cached while the app did not yet trust X-Forwarded-Host must not outlive the change.
        print("invalidation:", tr.invalidate(cloudfront, distribution["Id"]))
    say(f"configuration {name!r} is live on {distribution['DomainName']}")
    return {"DISTRIBUTION_DOMAIN": distribution["DomainName"], "SERVICE_DOMAIN": service["ServiceUrl"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("configuration", choices=[*CONFIGURATIONS, "cleanup"])
    args = parser.parse_args(argv)

    assignments: dict[str, str] = {}
    # stdout is for `eval`: every line the project's helpers print (waiters, invalidations) goes to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        hostlab.connect()
        apprunner = aws_guard.explained(boto3.client("apprunner"))
        cloudfront = boto3.client("cloudfront")
        if args.configuration == "cleanup":
            say(f"deleted {cleanup(apprunner, cloudfront)} resource(s) tagged {TAG_KEY}={TAG_VALUE}")
        else:
            assignments = apply(apprunner, cloudfront, args.configuration)
    for name, value in assignments.items():
        print(f"{name}={shlex.quote(value)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
