"""What App Runner's front knows about services: a snapshot read through the public App Runner API.

The front never looks inside the control plane; it calls ListServices, DescribeCustomDomains and
DescribeService with boto3 against the endpoint, exactly as any client would. :class:`ApiState` does the
calls; the rest of this module is plain data and pure functions, so routing can be tested with a
hand-written snapshot.

Routing rules (each with its source):
- A service is reachable at its ServiceUrl, the bare domain ``<id>.<region>.awsapprunner.com``
  (API reference Service.ServiceUrl), and at each custom domain whose status is ACTIVE, plus
  ``www.<domain>`` when EnableWWWSubdomain is true (API reference CustomDomain; AR-DG
  manage-custom-domains.html). CREATING, PENDING_CERTIFICATE_DNS_VALIDATION and BINDING_CERTIFICATE do not
  route yet. ASSUMPTION: a DELETING domain still routes until it is gone (the teardown takes time).
- Only a RUNNING service is served. OPERATION_IN_PROGRESS keeps serving what already ran (an update or a
  pause in progress); a service being created is not served yet. PAUSED has its own answer (see front.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from hostlab.local.dataplane.api_clients import api_client, new_session
from hostlab.local.dataplane.apps import RuntimeConfig
from hostlab.local.platforms.apprunner.deployment import runtime_config
from hostlab.names import normalise_host

RUNNING = "RUNNING"
PAUSED = "PAUSED"
IN_PROGRESS = "OPERATION_IN_PROGRESS"
ACTIVE = "ACTIVE"
DELETING = "DELETING"
APPRUNNER_SUFFIX = ".awsapprunner.com"


@dataclass(frozen=True)
class DomainView:
    name: str
    status: str
    www: bool

    def hostnames(self) -> tuple[str, ...]:
        return (self.name, f"www.{self.name}") if self.www else (self.name,)


@dataclass(frozen=True)
class ServiceView:
    arn: str
    name: str
    url: str  # bare domain, no scheme
    status: str
    updated_at: str  # the summary's UpdatedAt, as text: a change means a new deployment to look at
    domains: tuple[DomainView, ...] = ()


@dataclass(frozen=True)
class Snapshot:
    """Every service the API lists (when the read began is kept by snapshots.Refresher)."""

    services: tuple[ServiceView, ...] = ()


@dataclass(frozen=True)
class HostRoute:
    """Where a Host header leads: a service, in the status the snapshot saw."""

    arn: str
    status: str
    # True while the route itself is changing (service OPERATION_IN_PROGRESS, domain DELETING): the front
    # then insists on a snapshot newer than the request (see front.py).
    settling: bool = False


@dataclass
class RoutingTable:
    hosts: dict[str, HostRoute] = field(default_factory=dict)
    # Every custom domain associated with a service, whatever its status: the proxy must send those names
    # here (as the reader's DNS record would) even before App Runner serves them.
    associated: set[str] = field(default_factory=set)
    # Certificates the front presents, by SNI name: a custom domain's names once it is ACTIVE.
    certificates: dict[str, tuple[str, ...]] = field(default_factory=dict)


def routing_table(snapshot: Snapshot) -> RoutingTable:
    table = RoutingTable()
    for service in snapshot.services:
        in_progress = service.status == IN_PROGRESS
        url = normalise_host(service.url)
        table.hosts[url] = HostRoute(service.arn, service.status, settling=in_progress)
        for domain in service.domains:
            table.associated.update(domain.hostnames())
            if domain.status not in (ACTIVE, DELETING):
                continue
            for name in domain.hostnames():
                table.hosts[name] = HostRoute(service.arn, service.status,
                                              settling=in_progress or domain.status == DELETING)
                table.certificates[name] = domain.hostnames()
    return table


def wildcard_for(hostname: str) -> str | None:
    """``abc.us-east-1.awsapprunner.com`` -> ``*.us-east-1.awsapprunner.com``.

    ASSUMPTION (not documented): App Runner presents one wildcard certificate per regional default domain;
    either way a client checking the ServiceUrl sees a valid name.
    """
    labels = hostname.split(".")
    if hostname.endswith(APPRUNNER_SUFFIX) and len(labels) == 4:
        return "*." + ".".join(labels[1:])
    return None


@cache
def apprunner_regions() -> frozenset[str]:
    """Regions where App Runner exists, from botocore's endpoint data (no network)."""
    return frozenset(new_session().get_available_regions("apprunner"))


def region_of(hostname: str) -> str | None:
    """The region of a default domain, if it names one where App Runner exists (a made-up Host must not
    make the front read a region the API does not have)."""
    labels = hostname.split(".")
    if hostname.endswith(APPRUNNER_SUFFIX) and len(labels) == 4 and labels[1] in apprunner_regions():
        return labels[1]
    return None


def _timestamp(value) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


class ApiState:
    """Reads App Runner state through boto3 against ``api_url``, one region set at a time."""

    def __init__(self, api_url: str, regions: set[str]):
        self.api_url = api_url
        self.regions = set(regions)
        self._clients: dict[tuple[str, str], object] = {}

    def client(self, service: str, region: str):
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = api_client(service, self.api_url, region)
        return self._clients[key]

    def snapshot(self) -> Snapshot:
        return Snapshot(tuple(self._service_view(client, summary) for client, summary in self._listed()))

    def statuses(self) -> dict[str, tuple[str, str]]:
        """arn -> (Status, UpdatedAt) of every service, from ListServices alone (no per-service call)."""
        return {
            summary["ServiceArn"]: (summary.get("Status", ""), _timestamp(summary.get("UpdatedAt", "")))
            for _, summary in self._listed()
        }

    def _listed(self):
        """(client, ServiceSummary) for every service of every region read."""
        for region in sorted(self.regions):
            client = self.client("apprunner", region)
            token = None
            while True:  # botocore defines no paginator for App Runner's ListServices
                page = client.list_services(**({"NextToken": token} if token else {}))
                for summary in page.get("ServiceSummaryList", []):
                    yield client, summary
                token = page.get("NextToken")
                if not token:
                    break

    def _service_view(self, client, summary: dict) -> ServiceView:
        status = summary.get("Status", "")
        domains: tuple[DomainView, ...] = ()
        if status in (RUNNING, PAUSED, IN_PROGRESS):
            domains = tuple(self._domains(client, summary["ServiceArn"]))
        return ServiceView(
            arn=summary["ServiceArn"],
            name=summary.get("ServiceName", ""),
            url=summary.get("ServiceUrl", ""),
            status=status,
            updated_at=_timestamp(summary.get("UpdatedAt", "")),
            domains=domains,
        )

    @staticmethod
    def _domains(client, arn: str):
        token = None
        while True:
            kwargs = {"ServiceArn": arn, **({"NextToken": token} if token else {})}
            page = client.describe_custom_domains(**kwargs)
            for domain in page.get("CustomDomains", []):
                yield DomainView(
                    name=normalise_host(domain["DomainName"]),
                    # The API answers these statuses in lower case ("active") although its model lists
                    # them in upper case (recorded responses in xebia/xebia-email-signature, quoted in
                    # platforms/apprunner/models.py); compare without case either way.
                    status=domain.get("Status", "").upper(),
                    # API reference AssociateCustomDomain: EnableWWWSubdomain defaults to true.
                    www=domain.get("EnableWWWSubdomain", True) is not False,
                )
            token = page.get("NextToken")
            if not token:
                return

    def describe(self, arn: str) -> RuntimeConfig:
        region = arn.split(":")[3]
        service = self.client("apprunner", region).describe_service(ServiceArn=arn)["Service"]
        return runtime_config(service)

    def resolve_secret(self, reference: str) -> str:
        """A RuntimeEnvironmentSecrets value: a Secrets Manager secret ARN or an SSM parameter ARN/name
        (API reference ImageConfiguration.RuntimeEnvironmentSecrets)."""
        parts = reference.split(":")
        is_arn = reference.startswith("arn:") and len(parts) > 3
        region = parts[3] if is_arn else sorted(self.regions)[0]
        if ":secretsmanager:" in reference:
            return self.client("secretsmanager", region).get_secret_value(SecretId=reference)["SecretString"]
        name = reference.split(":parameter", 1)[-1] if reference.startswith("arn:") else reference
        answer = self.client("ssm", region).get_parameter(Name=name, WithDecryption=True)
        return answer["Parameter"]["Value"]
