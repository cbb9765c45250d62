"""The App Runner backend: services, operations, custom domains and tags of one account in one region.

moto keeps one backend per account and region (``apprunner_backends[account][region]``), so two accounts
and two regions never see each other's services. :mod:`.controlplane` registers ``apprunner_backends`` into
moto's server (moto_glue.register_service); requests reach the backend through :mod:`.responses`.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from hostlab.local.controlplane.moto_glue import BackendDict, ExtensionBackend, mock_random, timing
from hostlab.local.controlplane.progress import APPRUNNER_CUSTOM_DOMAIN, APPRUNNER_SERVICE, Countdown
from hostlab.local.platforms.apprunner import rules
from hostlab.local.platforms.apprunner.errors import (
    InvalidRequestException,
    InvalidStateException,
    ResourceNotFoundException,
    service_not_found,
)
from hostlab.local.platforms.apprunner.models import (
    CREATE_SERVICE,
    DELETE_SERVICE,
    DELETED,
    PAUSE_SERVICE,
    PAUSED,
    RESUME_SERVICE,
    RUNNING,
    UPDATE_SERVICE,
    CustomDomain,
    Operation,
    Service,
    new_service_id,
    new_subdomain,
    validation_records,
)

# How long operations and custom domain (dis)associations last: Settings.apprunner_operation_seconds, or
# longer through moto's state manager (see moto_glue.timing).
OPERATION_TIMING = timing(APPRUNNER_SERVICE)
DOMAIN_TIMING = timing(APPRUNNER_CUSTOM_DOMAIN)


def clock() -> float:
    return time.time()


class AppRunnerBackend(ExtensionBackend):
    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        self.services: dict[str, Service] = {}
        self._default_auto_scaling_arn: str | None = None
        # moto's server answers requests on several threads.
        self._lock = threading.RLock()

    # -- lookups --------------------------------------------------------------------------------------

    def _service(self, arn: str, now: float, *, deleted_ok: bool = False) -> Service:
        service = self.services.get(arn)
        # ASSUMPTION: calls that change a DELETED service answer ResourceNotFoundException, as if it were
        # gone (terraform-provider-aws findServiceByARN treats Status DELETED like ResourceNotFoundException).
        if service is None or (service.deleted(now) and not deleted_ok):
            raise service_not_found(arn)
        return service

    def _require_status(self, service: Service, now: float, allowed: tuple[str, ...], action: str) -> None:
        status = service.status(now)
        if status not in allowed:
            raise InvalidStateException(
                f"Service {service.arn} is in status {status}; {action} needs status {' or '.join(allowed)}"
            )

    def _default_auto_scaling(self) -> dict[str, Any]:
        # Every account has a default configuration "DefaultConfiguration" revision 1 that services use
        # when they name none (terraform-provider-aws service_test.go matches
        # autoscalingconfiguration/DefaultConfiguration/1/.+ for a service created without one).
        if self._default_auto_scaling_arn is None:
            self._default_auto_scaling_arn = (
                f"arn:{self.partition}:apprunner:{self.region_name}:{self.account_id}:autoscalingconfiguration/"
                f"{rules.DEFAULT_AUTO_SCALING_NAME}/1/{mock_random.uuid4().hex}"
            )
        return rules.auto_scaling_summary(self._default_auto_scaling_arn, self.region_name, self.account_id)

    def _auto_scaling(self, arn: str | None) -> dict[str, Any]:
        if arn is None:
            return self._default_auto_scaling()
        return rules.auto_scaling_summary(arn, self.region_name, self.account_id)

    # -- services -------------------------------------------------------------------------------------

    def create_service(self, params: dict[str, Any]) -> tuple[Service, Operation]:
        with self._lock:
            now = clock()
            name = params["ServiceName"]
            # ASSUMPTION (code and wording): a second service with the same name in the same account and
            # region is refused; the ARN embeds the name, AR-DG architecture.html
            # (arn:aws:apprunner:region:account-id:service/service-name[/service-id]).
            if any(s.name == name and not s.deleted(now) for s in self.services.values()):
                raise InvalidRequestException(f"Service with the provided name already exists: {name}")
            config = {
                "SourceConfiguration": rules.source_configuration(
                    params["SourceConfiguration"], self.account_id
                ),
                "InstanceConfiguration": rules.instance_configuration(
                    params.get("InstanceConfiguration"), None
                ),
                "HealthCheckConfiguration": rules.health_check_configuration(
                    params.get("HealthCheckConfiguration"), None
                ),
                "NetworkConfiguration": rules.network_configuration(params.get("NetworkConfiguration"), None),
            }
            for optional in ("EncryptionConfiguration", "ObservabilityConfiguration"):
                if params.get(optional):
                    config[optional] = params[optional]
            # Validated before any id is drawn, so a refused call leaves the seeded sequence alone.
            config["AutoScalingConfigurationSummary"] = self._auto_scaling(
                params.get("AutoScalingConfigurationArn")
            )
            service_id = new_service_id()
            subdomain = new_subdomain()
            service = Service(
                name=name,
                id=service_id,
                arn=f"arn:{self.partition}:apprunner:{self.region_name}:{self.account_id}:service/{name}/{service_id}",
                url=f"{subdomain}.{self.region_name}.awsapprunner.com",
                created=now,
                config=config,
                tags={tag["Key"]: tag.get("Value", "") for tag in params.get("Tags") or []},
            )
            operation = service.start(CREATE_SERVICE, now, OPERATION_TIMING, RUNNING)
            self.services[service.arn] = service
            return service, operation

    def describe_service(self, arn: str) -> tuple[Service, float]:
        with self._lock:
            now = clock()
            # API_Service: "It can describe a service in any state, including deleted services."
            # ASSUMPTION: AWS forgets deleted services after a while; locally they stay until reset.
            return self._service(arn, now, deleted_ok=True), now

    def list_services(self) -> tuple[list[Service], float]:
        with self._lock:
            now = clock()
            # ListServices "Returns a list of running App Runner services" (API reference); ASSUMPTION:
            # DELETED ones are left out. Oldest first, so pages are stable.
            return [s for s in self.services.values() if not s.deleted(now)], now

    def update_service(self, params: dict[str, Any]) -> tuple[Service, Operation]:
        with self._lock:
            now = clock()
            service = self._service(params["ServiceArn"], now)
            # "Service status must be RUNNING or PAUSED to be updated" (console message quoted in
            # aws/apprunner-roadmap issue 95).
            self._require_status(service, now, (RUNNING, PAUSED), "UpdateService")
            config = dict(service.config)
            source = params.get("SourceConfiguration")
            if source:
                current = config["SourceConfiguration"]
                # API_UpdateService, SourceConfiguration: "you can't switch from code to image or the
                # other way around".
                if ("ImageRepository" in current) != bool(source.get("ImageRepository")):
                    raise InvalidRequestException(
                        "UpdateService can't switch between code and image repositories"
                    )
                config["SourceConfiguration"] = rules.source_configuration(source, self.account_id)
            config["InstanceConfiguration"] = rules.instance_configuration(
                params.get("InstanceConfiguration"), config["InstanceConfiguration"]
            )
            config["HealthCheckConfiguration"] = rules.health_check_configuration(
                params.get("HealthCheckConfiguration"), config["HealthCheckConfiguration"]
            )
            config["NetworkConfiguration"] = rules.network_configuration(
                params.get("NetworkConfiguration"), config["NetworkConfiguration"]
            )
            if params.get("AutoScalingConfigurationArn"):
                config["AutoScalingConfigurationSummary"] = self._auto_scaling(
                    params["AutoScalingConfigurationArn"]
                )
            if params.get("ObservabilityConfiguration"):
                config["ObservabilityConfiguration"] = params["ObservabilityConfiguration"]
            # API_UpdateService: "All configuration values in the returned Service structure reflect
            # configuration changes that are being applied by this request."
            service.config = config
            # ASSUMPTION: a PAUSED service stays PAUSED after an update.
            resting = service.status(now)
            return service, service.start(UPDATE_SERVICE, now, OPERATION_TIMING, resting)

    def delete_service(self, arn: str) -> tuple[Service, Operation]:
        with self._lock:
            now = clock()
            service = self._service(arn, now)
            # AR-DG architecture.html: while OPERATION_IN_PROGRESS, "Actions on your service (for example,
            # deployment, configuration update, pause/resume, or deletion) are blocked".
            self._require_status(
                service, now, (RUNNING, PAUSED, "CREATE_FAILED", "DELETE_FAILED"), "DeleteService"
            )
            return service, service.start(DELETE_SERVICE, now, OPERATION_TIMING, DELETED)

    def pause_service(self, arn: str) -> tuple[Service, Operation]:
        with self._lock:
            now = clock()
            service = self._service(arn, now)
            # API_PauseService: "Pause an active App Runner service."
            self._require_status(service, now, (RUNNING,), "PauseService")
            return service, service.start(PAUSE_SERVICE, now, OPERATION_TIMING, PAUSED)

    def resume_service(self, arn: str) -> tuple[Service, Operation]:
        with self._lock:
            now = clock()
            service = self._service(arn, now)
            # API_ResumeService resumes a paused service.
            self._require_status(service, now, (PAUSED,), "ResumeService")
            return service, service.start(RESUME_SERVICE, now, OPERATION_TIMING, RUNNING)

    def list_operations(self, arn: str) -> tuple[list[Operation], float]:
        with self._lock:
            now = clock()
            service = self._service(arn, now, deleted_ok=True)
            # API_ListOperations: "sorted in reverse chronological order. The first object on the list
            # represents the last started operation."
            return list(reversed(service.operations)), now

    # -- custom domains -------------------------------------------------------------------------------

    def associate_custom_domain(
        self, arn: str, domain: str, www: bool
    ) -> tuple[Service, CustomDomain, float]:
        with self._lock:
            now = clock()
            service = self._service(arn, now)
            # ASSUMPTION: like the other changes, an association needs a RUNNING service.
            self._require_status(service, now, (RUNNING,), "AssociateCustomDomain")
            rules.check_domain_name(domain, www)
            live = service.live_domains(now)
            # ASSUMPTION (code and wording): associating a name the service already has is refused.
            if domain in service.domains:
                raise InvalidRequestException(f"Domain {domain} is already associated with service {arn}")
            if len(live) >= rules.MAX_CUSTOM_DOMAINS:
                # ASSUMPTION: InvalidRequestException (ServiceQuotaExceededException is not among the errors
                # the model lists for AssociateCustomDomain).
                raise InvalidRequestException(
                    f"Service {arn} already has {len(live)} custom domains; "
                    f"the maximum is {rules.MAX_CUSTOM_DOMAINS}"
                )
            records = validation_records(domain, www)
            custom = CustomDomain(domain, www, Countdown.start(now, DOMAIN_TIMING), records)
            service.domains[domain] = custom
            return service, custom, now

    def describe_custom_domains(self, arn: str) -> tuple[Service, list[CustomDomain], float]:
        with self._lock:
            now = clock()
            service = self._service(arn, now, deleted_ok=True)
            return service, service.live_domains(now), now

    def disassociate_custom_domain(self, arn: str, domain: str) -> tuple[Service, CustomDomain, float]:
        with self._lock:
            now = clock()
            service = self._service(arn, now)
            service.live_domains(now)
            custom = service.domains.get(domain)
            if custom is None:
                raise ResourceNotFoundException(f"Domain {domain} is not associated with service {arn}")
            # ASSUMPTION (code): InvalidStateException is the model's error for a resource in the wrong state.
            if custom.disassociation is not None:
                raise InvalidStateException(f"Domain {domain} is already being disassociated")
            # AR-DG manage-custom-domains.html: the returned domain "should show a status of DELETING".
            custom.disassociation = Countdown.start(now, DOMAIN_TIMING)
            return service, custom, now

    # -- tags -----------------------------------------------------------------------------------------

    def _tagged(self, arn: str) -> Service:
        # Only services exist here, so any other App Runner ARN names nothing. ASSUMPTION: the answer for
        # such an ARN is ResourceNotFoundException, as for an unknown service.
        return self._service(arn, clock())

    def tag_resource(self, arn: str, tags: list[dict[str, str]]) -> None:
        with self._lock:
            self._tagged(arn).tags.update({tag["Key"]: tag.get("Value", "") for tag in tags})

    def untag_resource(self, arn: str, keys: list[str]) -> None:
        with self._lock:
            service = self._tagged(arn)
            for key in keys:
                service.tags.pop(key, None)

    def list_tags_for_resource(self, arn: str) -> list[dict[str, str]]:
        with self._lock:
            return [{"Key": k, "Value": v} for k, v in self._tagged(arn).tags.items()]


apprunner_backends = BackendDict(AppRunnerBackend, "apprunner")
