"""The App Runner track's tutorial helpers: find, wait for and clean up the tutorial's App Runner service.

The notebooks of the App Runner track import this module as ``tr``: besides App Runner's own helpers it
answers every name of hostlab.tutorial.resources (the helpers all platforms share: CloudFront, ACM, Route 53,
tags, cleanup of those), so one namespace serves a notebook. Shared helpers stay defined there, once.

App Runner service       CreateService Tags (project=hostlab-tutorial), name SERVICE_NAME
"""

from __future__ import annotations

import copy
import os
import time
from collections.abc import Iterator

from botocore.exceptions import ClientError

from hostlab.tutorial import resources as shared
from hostlab.tutorial.resources import (
    ALIAS_ENV,
    PROJECT_TAG_KEY,
    PROJECT_TAG_VALUE,
    SERVICE_ENV,
    SERVICE_NAME,
    ZONE_ENV,
    NeedsDomain,
    NotCreatedYet,
    Patience,
    _as_notebook_02_left_it,
    _notebook_02_view,
    _patience,
    _tagged,
    delete_certificate,
    delete_distribution,
    delete_function,
    invalidate,
    on_aws,
    tutorial_certificates,
    tutorial_distributions,
    tutorial_functions,
)

# The shared helpers, so that ``tr.listed``, ``tr.change_distribution``... read the same in every track.
__getattr__, __dir__ = shared.lend_helpers(__name__, globals())


# ---------------------------------------------------------------------------------------------------------
# Waiting for and finding the service
# ---------------------------------------------------------------------------------------------------------

def wait_service_running(apprunner, service_arn: str) -> str:
    """Wait until the App Runner service leaves OPERATION_IN_PROGRESS (hostlab.waiters' ServiceRunning,
    built from botocore's waiter machinery since botocore has none); prints and returns the final status."""
    from hostlab import waiters

    waiter = waiters.apprunner_waiter(apprunner, "ServiceRunning")
    return waiters.wait(waiter, "App Runner service", ServiceArn=service_arn)


def _service_summaries(apprunner) -> Iterator[dict]:
    token = None
    while True:
        page = apprunner.list_services(**({"NextToken": token} if token else {}))
        yield from page.get("ServiceSummaryList", [])
        token = page.get("NextToken")
        if not token:
            return


def tutorial_services(apprunner) -> list[dict]:
    """Every App Runner service carrying the tutorial's tag (ListServices + ListTagsForResource)."""
    found = []
    for summary in _service_summaries(apprunner):
        if summary.get("Status") == "DELETED":
            continue
        try:
            tags = apprunner.list_tags_for_resource(ResourceArn=summary["ServiceArn"]).get("Tags", [])
        except ClientError as exc:
            # Its deletion finished between ListServices and this call (someone else's, or a test's): gone.
            if exc.response["Error"]["Code"] == "ResourceNotFoundException":
                continue
            raise
        if _tagged(tags):
            found.append(summary)
    return found


def service_or_none(apprunner) -> dict | None:
    """The tutorial's App Runner service (DescribeService), or None before notebook 01 created it.

    App Runner refuses a second service of the same name in an account and region (CreateService:
    InvalidRequestException), so notebook 01 looks first and updates the service it finds instead.
    """
    for summary in tutorial_services(apprunner):
        if summary["ServiceName"] == SERVICE_NAME:
            return apprunner.describe_service(ServiceArn=summary["ServiceArn"])["Service"]
    return None


def find_service(apprunner) -> dict:
    """The tutorial's App Runner service (DescribeService), or NotCreatedYet."""
    if (service := service_or_none(apprunner)) is not None:
        return service
    raise NotCreatedYet(
        f"no App Runner service {SERVICE_NAME!r} tagged {PROJECT_TAG_KEY}={PROJECT_TAG_VALUE}: "
        "run notebooks/01-create-service.ipynb first"
    )


# ---------------------------------------------------------------------------------------------------------
# Notebook 03 starts where notebooks 01 and 02 leave off, also when 03 or 04 already ran
# ---------------------------------------------------------------------------------------------------------

def start_from_notebook_02(apprunner, cloudfront, service: dict, distribution_id: str) -> dict:
    """Bring the service back to notebook 01's configuration and the distribution to notebook 02's, when a
    run of notebook 03 or 04 changed them; nothing when they are as 01 and 02 left them. Prints nothing, so
    that notebook 03 reads the same on every run. Returns the service (DescribeService).

    A reset waits for the deployments (botocore waiters, quietly) and invalidates /*, so that no answer
    cached under a later configuration is served.
    """
    from hostlab import waiters
    from hostlab.app import source_configuration

    variables = service["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"].get(
        "RuntimeEnvironmentVariables", {}
    )
    if "ORIGIN_SECRET" in variables:  # notebook 04's origin secret: the app would answer 403 to the probes
        apprunner.update_service(
            ServiceArn=service["ServiceArn"], SourceConfiguration=source_configuration(env=SERVICE_ENV)
        )
        waiters.apprunner_waiter(apprunner, "ServiceRunning").wait(ServiceArn=service["ServiceArn"])
        service = apprunner.describe_service(ServiceArn=service["ServiceArn"])["Service"]
    current = cloudfront.get_distribution_config(Id=distribution_id)
    config = copy.deepcopy(current["DistributionConfig"])
    _as_notebook_02_left_it(config)
    if _notebook_02_view(config) != _notebook_02_view(current["DistributionConfig"]):
        cloudfront.update_distribution(Id=distribution_id, IfMatch=current["ETag"], DistributionConfig=config)
        waiters.distribution_deployed_waiter(cloudfront).wait(Id=distribution_id)
        invalidate(cloudfront, distribution_id)
    return service


# ---------------------------------------------------------------------------------------------------------
# The alternative fix of notebook 04: the alias as a custom domain of the App Runner service
# ---------------------------------------------------------------------------------------------------------

def custom_domain_or_none(apprunner, service_arn: str, domain: str) -> dict | None:
    """The service's custom domain ``domain`` as DescribeCustomDomains lists it, or None
    (AssociateCustomDomain refuses a name the service already has, so notebook 04 looks first)."""
    token = None
    while True:
        page = apprunner.describe_custom_domains(
            ServiceArn=service_arn, **({"NextToken": token} if token else {})
        )
        for custom in page.get("CustomDomains", []):
            if custom["DomainName"] == domain:
                return custom
        token = page.get("NextToken")
        if not token:
            return None


def custom_domain_validation_records(apprunner, service_arn: str, domain: str) -> list[dict]:
    """The custom domain's CertificateValidationRecords, once App Runner lists them: not while the domain is
    "creating", the first seconds after AssociateCustomDomain (AR-DG manage-custom-domains.html)."""
    p = _patience(apprunner, Patience(5.0, 60))
    for _ in range(p.max_attempts):
        custom = custom_domain_or_none(apprunner, service_arn, domain) or {}
        if records := custom.get("CertificateValidationRecords"):
            return records
        time.sleep(p.delay)
    raise TimeoutError(f"App Runner listed no validation records for {domain} after {p.max_attempts} polls")


def custom_domain_records_in_route53(records: list[dict], action: str = "UPSERT") -> None:
    """On AWS, write (UPSERT) or remove (DELETE) App Runner's certificate validation records of a custom
    domain in HOSTLAB_ROUTE53_ZONE_ID; nothing on the local backend, which validates by itself.

    App Runner validates a custom domain through DNS records the owner of the domain creates
    (AssociateCustomDomain, CustomDomain.CertificateValidationRecords; AR-DG manage-custom-domains.html).
    """
    zone = os.environ.get(ZONE_ENV, "").strip()
    if not on_aws() or not records:
        return
    if not zone:
        if action == "UPSERT":
            raise NeedsDomain(f"set {ZONE_ENV} to the Route 53 hosted zone of {ALIAS_ENV}")
        return
    import boto3

    changes = [
        {
            "Action": action,
            "ResourceRecordSet": {
                "Name": r["Name"],
                "Type": r["Type"],
                "TTL": 300,
                "ResourceRecords": [{"Value": r["Value"]}],
            },
        }
        for r in records
    ]
    try:
        boto3.client("route53").change_resource_record_sets(
            HostedZoneId=zone, ChangeBatch={"Comment": "hostlab tutorial custom domain", "Changes": changes}
        )
    except ClientError as exc:
        # DELETE of records that are already gone: InvalidChangeBatch; nothing left to do.
        if not (action == "DELETE" and exc.response["Error"]["Code"] == "InvalidChangeBatch"):
            raise


# ---------------------------------------------------------------------------------------------------------
# What a full run costs on AWS, and the summary of notebook 04
# ---------------------------------------------------------------------------------------------------------

# ASSUMPTION: a full run on AWS (01 -> 05) keeps the service for about an hour and a half: about 5 minutes
# to create it, 6-8 distribution deployments of a few minutes each, one service update, and cleanup.
RUN_HOURS = 1.5


INSTANCE_VCPU = 0.25


INSTANCE_GB = 0.5


def run_cost_line() -> str:
    """The estimated AWS cost of a full run, from src/hostlab/data/prices.json (read by
    hostlab.analysis.prices)."""
    from hostlab.analysis.prices import load_prices

    prices = load_prices()
    provisioned = INSTANCE_GB * prices["apprunner.provisioned_memory_gb_hour"] * RUN_HOURS
    # Upper bound: the instance counted as active (vCPU and memory billed) for the whole run.
    active = (
        INSTANCE_VCPU * prices["apprunner.active_vcpu_hour"]
        + INSTANCE_GB * prices["apprunner.active_memory_gb_hour"]
    ) * RUN_HOURS
    return (
        f"A full run on AWS (about {RUN_HOURS:g} h of one {INSTANCE_VCPU:g} vCPU / {INSTANCE_GB:g} GB "
        f"App Runner instance) costs at most USD {provisioned + active:.2f}; CloudFront requests, the "
        "function and the certificate stay within their free allowances. The local backend costs nothing."
    )


def summary_rows(service_url: str, distribution_url: str, distribution_domain: str, alias: str | None):
    """Every probe of notebooks 03 and 04 once more: (check, result) pairs derived from live answers."""
    from hostlab import probes

    echo = probes.get(f"{distribution_url}/echo")
    yield "through CloudFront /echo (was 404, 502)", str(echo.status)
    public = echo.echo().get("public_url", "-")
    yield "the app's public URL", public.replace(distribution_domain, "<distribution>")
    login = probes.get(f"{distribution_url}/login?user=alice")
    yield "login redirect", login.header("location").replace(distribution_domain, "<distribution>")
    pages = [probes.get(f"{distribution_url}/account", cookies={"user": u}).h1 for u in ("alice", "bob")]
    yield "/account for alice, then bob", " / ".join(pages)
    static = [probes.get(f"{distribution_url}/static/app.css").header("x-cache") for _ in range(2)]
    yield "/static/app.css twice", " -> ".join(static)
    if alias:
        refused = not probes.tls_accepts(distribution_domain, "TLSv1", server_name=alias)
        yield "TLS 1.0 to the alias", "refused" if refused else "accepted"
    yield "straight to awsapprunner.com", str(probes.get(f"{service_url}/echo").status)


# ---------------------------------------------------------------------------------------------------------
# Cleanup: every step checks first, so it can run again, and after an interrupted run
# ---------------------------------------------------------------------------------------------------------

def delete_service(apprunner, service_arn: str) -> None:
    """DeleteService is refused while an operation runs (InvalidStateException), so wait for it first."""
    from hostlab import waiters

    if apprunner.describe_service(ServiceArn=service_arn)["Service"]["Status"] == "OPERATION_IN_PROGRESS":
        wait_service_running(apprunner, service_arn)
    if on_aws():  # notebook 04's custom domain: its validation records in Route 53 go with the service
        for custom in apprunner.describe_custom_domains(ServiceArn=service_arn).get("CustomDomains", []):
            custom_domain_records_in_route53(custom.get("CertificateValidationRecords", []), "DELETE")
    apprunner.delete_service(ServiceArn=service_arn)
    waiters.wait(
        waiters.apprunner_waiter(apprunner, "ServiceDeleted"), "App Runner service", ServiceArn=service_arn
    )
    print(f"deleted App Runner service {SERVICE_NAME}")


def delete_everything(apprunner, cloudfront, acm) -> int:
    """Delete every resource carrying the tutorial's tag, in dependency order; return how many.

    Distributions first (they use the function, the certificate and the service's domain), then functions
    and certificates (refused while a distribution uses them), then the service.
    """
    count = 0
    for summary in tutorial_distributions(cloudfront):
        delete_distribution(cloudfront, summary["Id"])
        count += 1
    for function in tutorial_functions(cloudfront):
        delete_function(cloudfront, function["Name"])
        count += 1
    for certificate in tutorial_certificates(acm):
        delete_certificate(acm, certificate["CertificateArn"])
        count += 1
    for service in tutorial_services(apprunner):
        delete_service(apprunner, service["ServiceArn"])
        count += 1
    return count


def leftovers(apprunner, cloudfront, acm) -> dict[str, list[str]]:
    """What still carries the tutorial's tag, per kind (empty lists when cleanup is complete)."""
    return {
        "App Runner services": [s["ServiceName"] for s in tutorial_services(apprunner)],
        "CloudFront distributions": [d["Id"] for d in tutorial_distributions(cloudfront)],
        "CloudFront Functions": [f["Name"] for f in tutorial_functions(cloudfront)],
        "ACM certificates": [c["DomainName"] for c in tutorial_certificates(acm)],
    }
