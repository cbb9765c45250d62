"""App Runner's resources and how their status moves with time.

Nothing runs in the background: every status is computed when it is read, from the time its operation
started and how long operations last locally (a :class:`~.progress.Countdown`; the duration is
``Settings.apprunner_operation_seconds`` unless moto's state manager lengthens it). So a service is
OPERATION_IN_PROGRESS for that long after CreateService and then RUNNING, exactly as a waiter polling AWS
sees it, without a thread per service.

Every generated identifier comes from moto's seeded random, so the same calls after
``POST /moto-api/seed?a=N`` give the same ids, URLs and validation records.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hostlab.local.controlplane.moto_glue import mock_random
from hostlab.local.controlplane.progress import Countdown, Timing

# API_Service, Status: CREATE_FAILED | RUNNING | DELETED | DELETE_FAILED | PAUSED | OPERATION_IN_PROGRESS.
RUNNING = "RUNNING"
PAUSED = "PAUSED"
DELETED = "DELETED"
OPERATION_IN_PROGRESS = "OPERATION_IN_PROGRESS"

# API_OperationSummary: Type START_DEPLOYMENT | CREATE_SERVICE | PAUSE_SERVICE | RESUME_SERVICE |
# DELETE_SERVICE | UPDATE_SERVICE; Status PENDING | IN_PROGRESS | FAILED | SUCCEEDED | ROLLBACK_*.
# Locally operations never fail, so they go IN_PROGRESS -> SUCCEEDED.
CREATE_SERVICE = "CREATE_SERVICE"
UPDATE_SERVICE = "UPDATE_SERVICE"
PAUSE_SERVICE = "PAUSE_SERVICE"
RESUME_SERVICE = "RESUME_SERVICE"
DELETE_SERVICE = "DELETE_SERVICE"

# Custom domain statuses as the API sends them: lower case, although the model's enum
# (CustomDomainAssociationStatus) is upper case. Sources: terraform-provider-aws
# internal/service/apprunner/status.go ("creating", "pending_certificate_dns_validation", "active",
# "deleting", "binding_certificate") and its acceptance test expecting "pending_certificate_dns_validation";
# recorded AWS responses in xebia/xebia-email-signature tests/custom_resource (Status "creating" right after
# AssociateCustomDomain, later "pending_certificate_dns_validation" and "active").
DOMAIN_CREATING = "creating"
DOMAIN_PENDING_VALIDATION = "pending_certificate_dns_validation"
DOMAIN_ACTIVE = "active"
DOMAIN_DELETING = "deleting"


def timestamp(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC)


def new_service_id() -> str:
    # 32 lower-case hex digits, e.g. 8fe1e10304f84fd2b0df550fe98a71fa (API_Service, ServiceId: "Fixed
    # length of 32"; example in the AWS CLI reference, apprunner create-service). The same page gives a
    # dashed-UUID pattern, 36 characters, which contradicts the length; the example decides.
    return mock_random.uuid4().hex


def new_operation_id() -> str:
    # A UUID with dashes (model shape UUID, length 36), e.g. 17fe9f55-7e91-4097-b243-fcabbb69a4cf.
    return str(mock_random.uuid4())


def new_subdomain() -> str:
    # ServiceUrl is "<10 lower-case letters and digits>.<region>.awsapprunner.com", e.g.
    # psbqam834h.us-east-1.awsapprunner.com (AWS CLI reference, apprunner create-service) and the
    # DNSTarget values in public reports (42rip6hbxu, sb5ym6yws5, vceuhthrgs). The format is not documented.
    return "".join(mock_random.choice(string.ascii_lowercase + string.digits) for _ in range(10))


@dataclass
class Operation:
    """An asynchronous operation on a service (ListOperations)."""

    id: str
    type: str
    target_arn: str
    progress: Countdown
    # The service status once this operation has ended (RUNNING, PAUSED or DELETED).
    resting: str

    @property
    def started(self) -> float:
        return self.progress.started

    def done(self, now: float) -> bool:
        return self.progress.done(now)

    def summary(self, now: float) -> dict[str, Any]:
        done = self.done(now)
        ends = self.progress.ends
        result = {
            "Id": self.id,
            "Type": self.type,
            "Status": "SUCCEEDED" if done else "IN_PROGRESS",
            "TargetArn": self.target_arn,
            "StartedAt": timestamp(self.started),
            "UpdatedAt": timestamp(ends if done else self.started),
        }
        if done:
            result["EndedAt"] = timestamp(ends)
        return result


@dataclass
class CustomDomain:
    """A custom domain of a service.

    Local model (no DNS exists here, so nobody can add the CNAME records): a domain is "creating" for the
    first half of the operation time, then "pending_certificate_dns_validation" with its validation records,
    and "active" once the operation time has passed, as if the records had been added at once. After
    DisassociateCustomDomain it is "deleting" for the operation time and then gone.
    """

    name: str
    www: bool
    association: Countdown
    records: list[dict[str, str]]
    # Set by DisassociateCustomDomain.
    disassociation: Countdown | None = None

    def status(self, now: float) -> str:
        if self.disassociation is not None:
            return DOMAIN_DELETING
        if self.association.done(now):
            return DOMAIN_ACTIVE
        return DOMAIN_CREATING if self.association.elapsed_share(now) < 0.5 else DOMAIN_PENDING_VALIDATION

    def gone(self, now: float) -> bool:
        return self.disassociation is not None and self.disassociation.done(now)

    def describe(self, now: float) -> dict[str, Any]:
        status = self.status(now)
        result: dict[str, Any] = {"DomainName": self.name, "EnableWWWSubdomain": self.www, "Status": status}
        # The recorded responses show no records while "creating".
        if status != DOMAIN_CREATING:
            # A domain disassociated before it turned active keeps the records it had then.
            at = self.disassociation.started if self.disassociation is not None else now
            validated = self.association.done(at)
            result["CertificateValidationRecords"] = [
                {**record, "Type": "CNAME", "Status": "SUCCESS" if validated else "PENDING_VALIDATION"}
                for record in self.records
            ]
        return result


def validation_records(domain: str, www: bool) -> list[dict[str, str]]:
    """CNAME records shaped like ACM's: one for the domain, one for www when asked, one for App Runner's
    own subdomain of it. Shapes from recorded responses (xebia/xebia-email-signature: names
    "_<32 hex>.<domain>." and "_<32 hex>.<31 chars>.<domain>.", values
    "_<32 hex>.<10 chars>.acm-validations.aws.") and terraform-provider-aws (three records with
    EnableWWWSubdomain true).
    """
    names = [domain] + ([f"www.{domain}"] if www else [])
    inner = "".join(mock_random.choice(string.ascii_lowercase + string.digits) for _ in range(31))
    names.append(f"{inner}.{domain}")
    zone = "".join(mock_random.choice(string.ascii_lowercase) for _ in range(10))
    return [
        {
            "Name": f"_{mock_random.get_random_hex(32)}.{name}.",
            "Value": f"_{mock_random.get_random_hex(32)}.{zone}.acm-validations.aws.",
        }
        for name in names
    ]


@dataclass
class Service:
    """An App Runner service in one account and region."""

    name: str
    id: str
    arn: str
    url: str
    created: float
    config: dict[str, Any]
    tags: dict[str, str] = field(default_factory=dict)
    operations: list[Operation] = field(default_factory=list)
    domains: dict[str, CustomDomain] = field(default_factory=dict)
    updated: float = 0.0

    def latest_operation(self) -> Operation:
        return self.operations[-1]

    def status(self, now: float) -> str:
        latest = self.latest_operation()
        return latest.resting if latest.done(now) else OPERATION_IN_PROGRESS

    def deleted(self, now: float) -> bool:
        return self.status(now) == DELETED

    def start(self, kind: str, started: float, timing: Timing, resting: str) -> Operation:
        operation = Operation(new_operation_id(), kind, self.arn, Countdown.start(started, timing), resting)
        self.operations.append(operation)
        self.updated = started
        return operation

    def summary(self, now: float) -> dict[str, Any]:
        return {
            "ServiceName": self.name,
            "ServiceId": self.id,
            "ServiceArn": self.arn,
            "ServiceUrl": self.url,
            "CreatedAt": timestamp(self.created),
            "UpdatedAt": timestamp(self.updated),
            "Status": self.status(now),
        }

    def describe(self, now: float, status: str | None = None) -> dict[str, Any]:
        result = {**self.summary(now), **self.config}
        if status is not None:
            result["Status"] = status
        if self.deleted(now):
            result["DeletedAt"] = timestamp(self.latest_operation().progress.ends)
        return result

    def live_domains(self, now: float) -> list[CustomDomain]:
        for name in [name for name, domain in self.domains.items() if domain.gone(now)]:
            del self.domains[name]
        return list(self.domains.values())
