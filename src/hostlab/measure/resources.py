"""The probe's own resources: one App Runner service running the demo app and one distribution in front.

They carry the tag project=hostlab-measure, not the tutorial's project=hostlab-tutorial, so the tutorial's
cleanup (05-cleanup, hostlab.platforms.apprunner.resources.delete_everything) and this one never touch each
other's
resources. Resources are made on first use (:class:`Lab`), so a resumed run that has nothing left to probe
creates nothing; :func:`cleanup` deletes everything carrying the tag, and runs before and after each run.
"""

from __future__ import annotations

import copy
import time
import uuid
from typing import Any

from hostlab import app, waiters
from hostlab.tutorial import resources as tr

TAG_KEY = tr.PROJECT_TAG_KEY
TAG_VALUE = "hostlab-measure"
# The smallest instance App Runner offers (AR-DG architecture.html, supported configurations): the probes
# send a few dozen requests.
INSTANCE = {"Cpu": "0.25 vCPU", "Memory": "0.5 GB"}
# CustomErrorResponses: keep a 404 for an hour (ErrorCachingMinTTL, CF-DG custom-error-pages-expiration.html)
# so a cached error outlives a distribution deployment, which takes minutes on AWS.
ERROR_CACHING_MIN_TTL = 3600
STATUS_PATH = "/status/*"


def _tagged(tags: list[dict[str, str]]) -> bool:
    return any(t.get("Key") == TAG_KEY and t.get("Value") == TAG_VALUE for t in tags)


def measure_services(apprunner) -> list[dict]:
    found = []
    for page in _pages(apprunner.list_services, "ServiceSummaryList"):
        for summary in page:
            if summary.get("Status") == "DELETED":
                continue
            try:
                tags = apprunner.list_tags_for_resource(ResourceArn=summary["ServiceArn"]).get("Tags", [])
            except apprunner.exceptions.ResourceNotFoundException:
                continue  # deleted between the list and this call (a service being deleted is listed)
            if _tagged(tags):
                found.append(summary)
    return found


def _pages(call, key: str):
    token = None
    while True:
        page = call(**({"NextToken": token} if token else {}))
        yield page.get(key, [])
        token = page.get("NextToken")
        if not token:
            return


def measure_distributions(cloudfront) -> list[dict]:
    found = []
    for page in cloudfront.get_paginator("list_distributions").paginate():
        for summary in page.get("DistributionList", {}).get("Items", []) or []:
            try:
                tags = cloudfront.list_tags_for_resource(Resource=summary["ARN"])["Tags"].get("Items", [])
            except cloudfront.exceptions.NoSuchResource:
                continue  # deleted between the list and this call
            if _tagged(tags):
                found.append(summary)
    return found


def cleanup(apprunner, cloudfront, say=print) -> int:
    """Delete every distribution, then every service, tagged project=hostlab-measure; return how many."""
    count = 0
    for summary in measure_distributions(cloudfront):
        say("measure: deleting a distribution (disable, wait until deployed, delete)")
        delete_distribution(cloudfront, summary["Id"])
        count += 1
    for summary in measure_services(apprunner):
        say("measure: deleting an App Runner service")
        arn = summary["ServiceArn"]
        if apprunner.describe_service(ServiceArn=arn)["Service"]["Status"] == "OPERATION_IN_PROGRESS":
            waiters.apprunner_waiter(apprunner, "ServiceRunning").wait(ServiceArn=arn)
        apprunner.delete_service(ServiceArn=arn)
        waiters.apprunner_waiter(apprunner, "ServiceDeleted").wait(ServiceArn=arn)
        count += 1
    return count


def delete_distribution(cloudfront, distribution_id: str) -> None:
    """Disable (UpdateDistribution with IfMatch), wait until Deployed, delete with the new ETag: CloudFront
    deletes only a disabled distribution whose disabling has deployed (API reference, DeleteDistribution)."""
    current = cloudfront.get_distribution_config(Id=distribution_id)
    if current["DistributionConfig"]["Enabled"]:
        config = {**current["DistributionConfig"], "Enabled": False}
        cloudfront.update_distribution(Id=distribution_id, IfMatch=current["ETag"], DistributionConfig=config)
    waiters.distribution_deployed_waiter(cloudfront).wait(Id=distribution_id)
    etag = cloudfront.get_distribution(Id=distribution_id)["ETag"]
    cloudfront.delete_distribution(Id=distribution_id, IfMatch=etag)


class Lab:
    """The resources of one run, made on first use, with what making them taught (timings, read-backs)."""

    def __init__(self, apprunner, cloudfront, say=print):
        self.apprunner = apprunner
        self.cloudfront = cloudfront
        self.say = say
        self._service: dict | None = None
        self._distribution: dict | None = None
        # OriginSslProtocols as GetDistributionConfig returned them for an origin created without them.
        self.omitted_protocols_readback: dict[str, Any] | None = None
        self.timings: dict[str, float] = {}

    # -- App Runner ------------------------------------------------------------------------------------

    def service(self) -> dict:
        if self._service is None:
            name = f"hostlab-measure-{uuid.uuid4().hex[:8]}"
            self.say("measure: creating an App Runner service (about 5 minutes on AWS)")
            began = time.monotonic()
            created = self.apprunner.create_service(
                ServiceName=name,
                SourceConfiguration=app.source_configuration(),
                InstanceConfiguration=INSTANCE,
                HealthCheckConfiguration=app.health_check_configuration(),
                Tags=[{"Key": TAG_KEY, "Value": TAG_VALUE}],
            )["Service"]
            waiters.apprunner_waiter(self.apprunner, "ServiceRunning").wait(ServiceArn=created["ServiceArn"])
            self.timings["apprunner_create_to_running_seconds"] = round(time.monotonic() - began, 1)
            self._service = self.apprunner.describe_service(ServiceArn=created["ServiceArn"])["Service"]
        return self._service

    def pause_service(self) -> None:
        arn = self.service()["ServiceArn"]
        began = time.monotonic()
        self.apprunner.pause_service(ServiceArn=arn)
        waiters.apprunner_waiter(self.apprunner, "ServicePaused").wait(ServiceArn=arn)
        self.timings["apprunner_pause_seconds"] = round(time.monotonic() - began, 1)

    # -- CloudFront ------------------------------------------------------------------------------------

    def distribution(self) -> dict:
        """The probe distribution, Deployed, configured by :func:`probe_config` (see there)."""
        if self._distribution is None:
            origin_domain = self.service()["ServiceUrl"]
            config = probe_config(origin_domain)
            omitted = copy.deepcopy(config)
            del tr.app_origin(omitted)["CustomOriginConfig"]["OriginSslProtocols"]
            self.say("measure: creating a distribution (a few minutes on AWS)")
            began = time.monotonic()
            created = self.cloudfront.create_distribution_with_tags(
                DistributionConfigWithTags={
                    "DistributionConfig": omitted,
                    "Tags": {"Items": [{"Key": TAG_KEY, "Value": TAG_VALUE}]},
                }
            )["Distribution"]
            dist_id = created["Id"]
            # What the API stored for the origin created without OriginSslProtocols, read back at once...
            stored = self.cloudfront.get_distribution_config(Id=dist_id)
            custom = tr.app_origin(stored["DistributionConfig"])["CustomOriginConfig"]
            self.omitted_protocols_readback = {"present": "OriginSslProtocols" in custom}
            if "OriginSslProtocols" in custom:
                self.omitted_protocols_readback["items"] = list(
                    custom["OriginSslProtocols"].get("Items") or []
                )
            # ...then the probes' configuration (TLSv1.2 to the origin), before anything is served.
            config["CallerReference"] = stored["DistributionConfig"]["CallerReference"]  # it cannot change
            self.cloudfront.update_distribution(Id=dist_id, IfMatch=stored["ETag"], DistributionConfig=config)
            waiters.distribution_deployed_waiter(self.cloudfront).wait(Id=dist_id)
            self.timings["cloudfront_create_to_deployed_seconds"] = round(time.monotonic() - began, 1)
            self._distribution = self.cloudfront.get_distribution(Id=dist_id)["Distribution"]
        return self._distribution

    def change_default_request_policy(self, policy_id: str) -> None:
        """UpdateDistribution (IfMatch) of the default behaviour's origin request policy; wait Deployed; no
        invalidation, which is the point of the probe that calls it."""
        dist_id = self.distribution()["Id"]
        began = time.monotonic()
        current = self.cloudfront.get_distribution_config(Id=dist_id)
        config = copy.deepcopy(current["DistributionConfig"])
        config["DefaultCacheBehavior"]["OriginRequestPolicyId"] = policy_id
        self.cloudfront.update_distribution(Id=dist_id, IfMatch=current["ETag"], DistributionConfig=config)
        waiters.distribution_deployed_waiter(self.cloudfront).wait(Id=dist_id)
        self.timings["cloudfront_update_to_deployed_seconds"] = round(time.monotonic() - began, 1)

    def known_values(self) -> list[str]:
        """Identifying values of this run's resources, for the scrubber."""
        values = []
        if self._service:
            s = self._service
            values += [
                s.get("ServiceArn", ""),
                s.get("ServiceId", ""),
                s.get("ServiceName", ""),
                s.get("ServiceUrl", ""),
            ]
        if self._distribution:
            d = self._distribution
            values += [d.get("ARN", ""), d.get("Id", ""), d.get("DomainName", "")]
        return values


def probe_config(origin_domain: str) -> dict:
    """The probe distribution: the service as its only origin (HTTPS, TLSv1.2).

    - default behaviour: CachingOptimized + AllViewer, so the viewer's Host reaches App Runner's front and
      every path gets its 404 for an unknown host, cached (CachingOptimized caches errors) for
      ERROR_CACHING_MIN_TTL; the config-change probe then switches to AllViewerExceptHostHeader;
    - ``/status/*``: CachingDisabled + AllViewerExceptHostHeader, so the demo app answers /status/404 itself,
      for the probe of error caching under CachingDisabled.
    """
    behaviour = {
        "TargetOriginId": tr.ORIGIN_ID,
        "ViewerProtocolPolicy": "redirect-to-https",
        "CachePolicyId": tr.CACHING_OPTIMIZED,
        "OriginRequestPolicyId": tr.ALL_VIEWER,
        "Compress": False,
    }
    status = {
        **behaviour,
        "PathPattern": STATUS_PATH,
        "CachePolicyId": tr.CACHING_DISABLED,
        "OriginRequestPolicyId": tr.ALL_VIEWER_EXCEPT_HOST_HEADER,
    }
    return {
        "CallerReference": tr.caller_reference(),
        "Comment": "hostlab measure (deleted at the end of the run)",
        "Enabled": True,
        "PriceClass": "PriceClass_100",
        "Origins": tr.listed(
            [
                {
                    "Id": tr.ORIGIN_ID,
                    "DomainName": origin_domain,
                    "CustomOriginConfig": {
                        "HTTPPort": 80,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "https-only",
                        "OriginSslProtocols": tr.listed(["TLSv1.2"]),
                    },
                }
            ]
        ),
        "DefaultCacheBehavior": behaviour,
        "CacheBehaviors": tr.listed([status]),
        "CustomErrorResponses": tr.listed([{"ErrorCode": 404, "ErrorCachingMinTTL": ERROR_CACHING_MIN_TTL}]),
    }
