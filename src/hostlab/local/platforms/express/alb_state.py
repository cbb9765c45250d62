"""What the shared ALB front knows: a snapshot of Application Load Balancers read through the public
ELBv2, EC2 and ACM APIs (boto3 against the endpoint, as any client would; never moto's internals).

Per region: DescribeLoadBalancers (Type application), per load balancer DescribeListeners, per listener
DescribeRules and DescribeListenerCertificates, per target group a rule forwards to DescribeTargetHealth,
DescribeSecurityGroups for the load balancers' groups and GetManagedPrefixListEntries for the prefix lists
their rules name; ACM DescribeCertificate once per certificate ARN (the names a certificate covers do not
change under the same ARN for ACM-issued certificates).

Names that lead to a load balancer (the proxy's routing, i.e. what DNS would resolve):
- its DNSName (``<name>-<id>.<region>.elb.amazonaws.com``; ELB user guide, "Application Load Balancers",
  DNS name);
- every name a host-header condition of one of its listeners' rules matches: an Express Mode endpoint
  ``<prefix>-<hex>.ecs.<region>.on.aws`` is an alias record to its shared ALB, which routes it with such a
  rule (ECS developer guide, express-service-work.html; ASSUMPTION for custom domains: the reader's DNS
  record points at the ALB once the host is in a rule).
Only internet-facing load balancers are reachable from outside their VPC (ELB user guide, "Load balancer
scheme"); an internal one gets no route here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import cache

from botocore.exceptions import ClientError

from hostlab.local.dataplane.api_clients import api_client, new_session
from hostlab.local.platforms.express.alb_rules import Rule, ordered, rule_from_api, wildcard_match
from hostlab.local.platforms.express.security_groups import (
    Permission,
    permissions_from_api,
    prefix_list_ids,
)
from hostlab.names import normalise_host

log = logging.getLogger("hostlab.express.state")
# ELBv2's answers for a load balancer or listener that no longer exists (ELB API Reference, DescribeListeners
# and DescribeRules, "Errors"). One deleted while a read runs (a service torn down meanwhile) is left out of
# that read, as the next one would show it, instead of failing the whole read: a failed read keeps the old
# snapshot for REFRESH_RETRY_SECONDS, during which a just-created load balancer would not be reachable.
GONE_CODES = frozenset({"LoadBalancerNotFound", "ListenerNotFound"})


def _gone(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") in GONE_CODES

ELB_SUFFIX = ".elb.amazonaws.com"
ON_AWS_SUFFIX = ".on.aws"
HEALTHY = "healthy"


@dataclass(frozen=True)
class Target:
    ip: str
    port: int
    state: str  # TargetHealth.State: initial | healthy | unhealthy | unused | draining | unavailable


@dataclass(frozen=True)
class ListenerView:
    arn: str
    port: int
    protocol: str  # HTTP | HTTPS
    ssl_policy: str
    certificates: tuple[tuple[str, ...], ...]  # names of each certificate, the default one first
    rules: tuple[Rule, ...]  # priority order, default last


@dataclass(frozen=True)
class AlbView:
    arn: str
    dns_name: str
    scheme: str
    listeners: dict[int, ListenerView]
    permissions: tuple[Permission, ...]

    def host_patterns(self) -> tuple[str, ...]:
        return tuple(
            value
            for listener in self.listeners.values()
            for rule in listener.rules
            for condition in rule.conditions
            if condition.field == "host-header"
            for value in condition.values
        )

    def serves(self, name: str) -> bool:
        patterns = self.host_patterns()
        return name == self.dns_name or any(wildcard_match(p, name, ignore_case=True) for p in patterns)


@dataclass(frozen=True)
class AlbSnapshot:
    albs: tuple[AlbView, ...] = ()
    targets: dict[str, tuple[Target, ...]] = field(default_factory=dict)  # target group ARN -> targets

    def by_name(self, name: str) -> AlbView | None:
        """The internet-facing load balancer ``name`` leads to (module docstring)."""
        name = normalise_host(name)
        for alb in self.albs:
            if alb.scheme == "internet-facing" and name == alb.dns_name:
                return alb
        for alb in self.albs:
            if alb.scheme == "internet-facing" and alb.serves(name):
                return alb
        return None

    def by_arn(self, arn: str) -> AlbView | None:
        return next((alb for alb in self.albs if alb.arn == arn), None)


@cache
def elbv2_regions() -> frozenset[str]:
    """Regions where ELBv2 exists, from botocore's endpoint data (no network)."""
    return frozenset(new_session().get_available_regions("elbv2"))


def region_of(name: str) -> str | None:
    """The region a load balancer's DNS name or an Express endpoint names, if it is a real one (a made-up
    name must not make the front read a region the API does not have)."""
    labels = name.split(".")
    region = None
    if name.endswith(ELB_SUFFIX) and len(labels) == 5:
        region = labels[1]
    elif name.endswith(ON_AWS_SUFFIX) and len(labels) == 5 and labels[1] == "ecs":
        region = labels[2]
    return region if region in elbv2_regions() else None


def _pages(call, key: str, **kwargs):
    marker = None
    while True:
        page = call(**kwargs, **({"Marker": marker} if marker else {}))
        yield from page.get(key, [])
        marker = page.get("NextMarker")
        if not marker:
            return


class AlbApiState:
    """Reads the ALB snapshot through boto3 against ``api_url``, for a set of regions."""

    def __init__(self, api_url: str, regions: set[str]):
        self.api_url = api_url
        self.regions = set(regions)
        self._clients: dict[tuple[str, str], object] = {}
        self._certificate_names: dict[str, tuple[str, ...]] = {}

    def client(self, service: str, region: str):
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = api_client(service, self.api_url, region)
        return self._clients[key]

    def snapshot(self) -> AlbSnapshot:
        albs: list[AlbView] = []
        targets: dict[str, tuple[Target, ...]] = {}
        for region in sorted(self.regions):
            elbv2 = self.client("elbv2", region)
            balancers = [
                lb for lb in _pages(elbv2.describe_load_balancers, "LoadBalancers")
                if lb.get("Type", "application") == "application"
            ]
            if not balancers:
                continue
            group_ids = {sg for lb in balancers for sg in lb.get("SecurityGroups") or ()}
            groups = self._security_groups(region, group_ids)
            for lb in balancers:
                listeners = {}
                try:
                    found = list(
                        _pages(elbv2.describe_listeners, "Listeners", LoadBalancerArn=lb["LoadBalancerArn"])
                    )
                except ClientError as exc:
                    if not _gone(exc):
                        raise
                    continue  # deleted since DescribeLoadBalancers
                for data in found:
                    try:
                        view = self._listener(region, data)
                    except ClientError as exc:
                        if not _gone(exc):
                            raise
                        continue  # deleted since DescribeListeners
                    listeners[view.port] = view
                    for rule in view.rules:
                        for arn, _ in rule.action.target_groups:
                            if arn not in targets:
                                targets[arn] = self._targets(elbv2, arn)
                own = [groups[sg] for sg in lb.get("SecurityGroups") or () if sg in groups]
                albs.append(AlbView(
                    arn=lb["LoadBalancerArn"],
                    dns_name=normalise_host(lb.get("DNSName", "")),
                    scheme=lb.get("Scheme", "internet-facing"),
                    listeners=listeners,
                    permissions=self._permissions(region, own),
                ))
        return AlbSnapshot(tuple(albs), targets)

    def _listener(self, region: str, data: dict) -> ListenerView:
        elbv2 = self.client("elbv2", region)
        found = _pages(elbv2.describe_rules, "Rules", ListenerArn=data["ListenerArn"])
        rules = [rule_from_api(r) for r in found]
        arns = [c["CertificateArn"] for c in data.get("Certificates") or () if c.get("CertificateArn")]
        if data.get("Protocol") == "HTTPS":
            try:
                extra = elbv2.describe_listener_certificates(ListenerArn=data["ListenerArn"])["Certificates"]
                arns += [c["CertificateArn"] for c in extra
                         if not c.get("IsDefault") and c["CertificateArn"] not in arns]
            except Exception:  # an endpoint without the operation: the default certificate alone
                log.debug("DescribeListenerCertificates failed", exc_info=True)
        return ListenerView(
            arn=data["ListenerArn"],
            port=int(data["Port"]),
            protocol=data.get("Protocol", "HTTP"),
            ssl_policy=data.get("SslPolicy") or "",
            certificates=tuple(names for names in (self._names(region, arn) for arn in arns) if names),
            rules=ordered(rules),
        )

    def _names(self, region: str, arn: str) -> tuple[str, ...]:
        names = self._certificate_names.get(arn)
        if names is None:
            try:
                cert_region = arn.split(":")[3] if arn.startswith("arn:") else region
                cert = self.client("acm", cert_region).describe_certificate(CertificateArn=arn)["Certificate"]
                found = [cert.get("DomainName", ""), *(cert.get("SubjectAlternativeNames") or ())]
                names = tuple(dict.fromkeys(n.lower() for n in found if n))
            except Exception:  # not an ACM certificate (IAM), or gone: no names known
                log.debug("DescribeCertificate %s failed", arn, exc_info=True)
                names = ()
            self._certificate_names[arn] = names
        return names

    @staticmethod
    def _targets(elbv2, arn: str) -> tuple[Target, ...]:
        try:
            described = elbv2.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]
        except Exception:  # a group deleted between two reads: no targets
            log.debug("DescribeTargetHealth %s failed", arn, exc_info=True)
            return ()
        return tuple(
            Target(
                d["Target"]["Id"],
                int(d["Target"].get("Port") or 80),
                (d.get("TargetHealth") or {}).get("State", ""),
            )
            for d in described
        )

    def _security_groups(self, region: str, ids: set[str]) -> dict[str, dict]:
        if not ids:
            return {}
        ec2 = self.client("ec2", region)
        found = ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": sorted(ids)}])
        return {g["GroupId"]: g for g in found.get("SecurityGroups", [])}

    def _permissions(self, region: str, groups: list[dict]) -> tuple[Permission, ...]:
        ec2 = self.client("ec2", region)
        lists: dict[str, tuple[str, ...]] = {}
        for pl_id in sorted(prefix_list_ids(groups)):
            try:
                entries = ec2.get_managed_prefix_list_entries(PrefixListId=pl_id)["Entries"]
                lists[pl_id] = tuple(e["Cidr"] for e in entries)
            except Exception:
                log.debug("GetManagedPrefixListEntries %s failed", pl_id, exc_info=True)
        return permissions_from_api(groups, lists)
