"""ACM DNS validation against the local backend's own Route 53: a certificate whose domain lies in a hosted
zone of this backend turns ISSUED only once that zone holds the validation CNAME ACM asked for.

On AWS, a DNS-validated certificate stays PENDING_VALIDATION until ACM finds the CNAME record it asked for
(DomainValidationOptions[].ResourceRecord) in the domain's DNS, and turns ISSUED once validation has
succeeded (ACM API reference, CertificateDetail.Status; ACM User Guide, dns-validation.html).
The local backend has no DNS, so by default HOSTLAB_ACM_VALIDATION_SECONDS stands in for it (moto_glue
_time_acm_validation). Its Route 53 (moto's) is the only DNS it knows: when a public hosted zone there covers
a domain of the certificate, that zone is the domain's DNS, and the record must be in it. The aws tier's
rehearsal (hostlab.tutorial.rehearsal) relies on this: notebook 04's Route 53 code is what issues the
certificate.

moto internals touched (moto 5.2.5): acm.models.CertBundle.check (turns a pending certificate ISSUED after
moto.settings.ACM_VALIDATION_WAIT), .describe(), .arn, .status;
route53.models.route53_backends[account][partition].zones, FakeZone.name/.private_zone/.rrsets, RecordSet
.name/.type/.records.
"""

from __future__ import annotations

from typing import Any

from hostlab.local.controlplane.moto_glue import CertBundle, route53_backends

_INSTALLED = "_hostlab_dns_validation"


def _value(record: Any) -> str:
    # moto keeps a record's values as strings, except SOA's, which it keeps as {"Value": ...}.
    return str(record.get("Value", "")) if isinstance(record, dict) else str(record)


def _fqdn(name: str) -> str:
    return name.lower().rstrip(".") + "."


def _covering_zone(zones, domain: str):
    """The public hosted zone whose name is the longest suffix of ``domain`` (a wildcard's record lives in
    the zone of the name after "*."), or None."""
    name = _fqdn(domain[2:] if domain.startswith("*.") else domain)
    best = None
    for zone in zones:
        zone_name = _fqdn(zone.name)
        if zone.private_zone or not (name == zone_name or name.endswith("." + zone_name)):
            continue
        if best is None or len(zone_name) > len(_fqdn(best.name)):
            best = zone
    return best


def dns_validated(certificate) -> bool:
    """False while a domain of ``certificate`` lies in a hosted zone of this backend that lacks its
    validation CNAME; True otherwise (no zone of ours covers it: the delay stands in for DNS)."""
    # arn:<partition>:acm:<region>:<account>:certificate/<id>; Route 53 is one backend per partition.
    _, partition, _, _, account, _ = certificate.arn.split(":", 5)
    zones = list(route53_backends[account][partition].zones.values())
    if not zones:
        return True
    options = certificate.describe()["Certificate"].get("DomainValidationOptions", [])
    for option in options:
        wanted = option.get("ResourceRecord")
        zone = _covering_zone(zones, option["DomainName"])
        if wanted is None or zone is None:
            continue
        found = any(
            _fqdn(rrset.name) == _fqdn(wanted["Name"])
            and rrset.type == wanted["Type"]
            and any(_fqdn(_value(r)) == _fqdn(wanted["Value"]) for r in rrset.records)
            for rrset in zone.rrsets
        )
        if not found:
            return False
    return True


def install() -> None:
    """Wrap moto's CertBundle.check so that the delay alone no longer issues a certificate whose DNS is
    here. Idempotent."""
    if getattr(CertBundle.check, _INSTALLED, False):
        return
    original = CertBundle.check

    def check(self) -> None:
        pending = self.status == "PENDING_VALIDATION"
        original(self)
        if pending and self.status == "ISSUED" and not dns_validated(self):
            self.status = "PENDING_VALIDATION"

    setattr(check, _INSTALLED, True)
    CertBundle.check = check
