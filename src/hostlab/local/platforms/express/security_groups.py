"""Whether an ALB's security groups let a connection in: the inbound rules as EC2's DescribeSecurityGroups
returns them, with managed prefix lists expanded through GetManagedPrefixListEntries.

Sources: Amazon VPC user guide, "Security group rules"
(https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html): rules only allow ("You can
specify allow rules, but not deny rules"); a group with no inbound rule lets nothing in; with several
groups the rules of all of them apply together ("the rules from each security group are effectively
aggregated"); a rule's source is an IPv4 or IPv6 CIDR block, a prefix list ID, or another security group;
protocol -1 means all protocols and ports. ELB user guide for ALBs, "Security groups for your Application
Load Balancer" (load-balancer-update-security-groups.html): the load balancer's groups must allow traffic
from clients on the listener ports. CloudFront developer guide, "Locations and IP address ranges of
CloudFront edge servers" (LocationsOfEdgeServers.html) and VPC user guide "AWS-managed prefix lists": the
managed prefix list com.amazonaws.global.cloudfront.origin-facing holds the addresses CloudFront uses to
reach origins.

A source that is another security group matches no local client: neither a viewer nor the edge sits in a
security group of the account (documented limit of the local model).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Permission:
    """One inbound rule, its prefix lists already expanded into ``networks``."""

    protocol: str  # "tcp", "udp", "icmp", "-1" (all), or a protocol number as text
    from_port: int | None
    to_port: int | None
    networks: tuple[Network, ...]


def _port_allowed(permission: Permission, port: int) -> bool:
    if permission.protocol == "-1":
        return True  # all traffic (the API reports no ports for it)
    if permission.protocol not in ("tcp", "6"):
        return False
    low = permission.from_port if permission.from_port is not None else 0
    high = permission.to_port if permission.to_port is not None else 65535
    if low == -1 or high == -1:
        return True
    return low <= port <= high


def allows(permissions: Iterable[Permission], source_ip: str, port: int) -> bool:
    """Whether a TCP connection from ``source_ip`` to ``port`` is allowed by any of the rules."""
    try:
        source = ipaddress.ip_address(source_ip)
    except ValueError:
        return False
    if isinstance(source, ipaddress.IPv6Address) and source.ipv4_mapped is not None:
        source = source.ipv4_mapped
    for permission in permissions:
        if not _port_allowed(permission, port):
            continue
        if any(source.version == net.version and source in net for net in permission.networks):
            return True
    return False


def permissions_from_api(
    groups: list[dict], prefix_lists: dict[str, tuple[str, ...]]
) -> tuple[Permission, ...]:
    """The inbound rules of DescribeSecurityGroups' ``SecurityGroups``; ``prefix_lists`` maps a prefix list
    ID to its CIDR entries (a list that could not be read contributes nothing)."""
    out: list[Permission] = []
    for group in groups:
        for rule in group.get("IpPermissions") or ():
            cidrs = [r["CidrIp"] for r in rule.get("IpRanges") or () if r.get("CidrIp")]
            cidrs += [r["CidrIpv6"] for r in rule.get("Ipv6Ranges") or () if r.get("CidrIpv6")]
            for ref in rule.get("PrefixListIds") or ():
                cidrs += prefix_lists.get(ref.get("PrefixListId", ""), ())
            networks = []
            for cidr in cidrs:
                try:
                    networks.append(ipaddress.ip_network(cidr, strict=False))
                except ValueError:
                    continue
            out.append(Permission(
                protocol=str(rule.get("IpProtocol", "-1")),
                from_port=rule.get("FromPort"),
                to_port=rule.get("ToPort"),
                networks=tuple(networks),
            ))
    return tuple(out)


def prefix_list_ids(groups: list[dict]) -> set[str]:
    """Every prefix list the groups' inbound rules name (to be expanded before permissions_from_api)."""
    return {
        ref["PrefixListId"]
        for group in groups
        for rule in group.get("IpPermissions") or ()
        for ref in rule.get("PrefixListIds") or ()
        if ref.get("PrefixListId")
    }
