"""Express services of one account in one region: their state, and the four Express operations.

Timing follows the rest of the control plane (controlplane/progress.py): nothing polls in the background.
- Create and Update start a provisioning Countdown (Settings.express_operation_seconds, or longer through
  moto's state manager, model "ecs::express_gateway_service"): the managed resources that
  DescribeServiceRevisions reports stay PROVISIONING until it ends and, locally, until the service's task
  listens and is registered in its primary target group (ASSUMPTION: so that a waiter's end means the
  endpoint answers), then ACTIVE. The service itself is ACTIVE from the start (ECS API reference
  ExpressGatewayServiceStatus; Create answers ACTIVE).
- Delete moves the service to DRAINING (API reference DeleteExpressGatewayService: "The service enters a
  DRAINING state where existing tasks complete current requests"), and after the same Countdown to INACTIVE,
  when the task stops and the resources go (resources.remove_service). A timer does that at the Countdown's
  end; any Express call after it does it too, whichever comes first.

ids come from moto's seeded random, drawn only under this backend's lock in a fixed order, so the same calls
give the same endpoints and ARNs.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hostlab.local.controlplane.moto_glue import BackendDict, BaseBackend, mock_random, timing
from hostlab.local.controlplane.progress import EXPRESS_SERVICE, Countdown
from hostlab.local.platforms.express import resources, rules
from hostlab.local.platforms.express.errors import (
    InvalidParameterException,
    ResourceNotFoundException,
    ServiceNotActiveException,
    ServiceNotFoundException,
)

OPERATION_TIMING = timing(EXPRESS_SERVICE)
ACTIVE, DRAINING, INACTIVE = "ACTIVE", "DRAINING", "INACTIVE"
PROVISIONING, FAILED, DEPROVISIONING, DELETED = "PROVISIONING", "FAILED", "DEPROVISIONING", "DELETED"

# Set by configure() in the server process (Settings, and the task runner).
_runtime: dict[str, Any] = {}


def configure(settings: Any) -> None:
    from hostlab.local.platforms.express.tasks import Tasks

    old = _runtime.get("tasks")
    _runtime["settings"] = settings
    _runtime["tasks"] = Tasks(settings.apps_dir)
    if old is not None:
        old.close()


def shutdown() -> None:
    tasks = _runtime.pop("tasks", None)
    if tasks is not None:
        tasks.close()


def _settings() -> Any:
    if "settings" not in _runtime:
        from hostlab.settings import Settings

        configure(Settings())
    return _runtime["settings"]


def _tasks() -> Any:
    _settings()
    return _runtime["tasks"]


def clock() -> float:
    return time.time()


def stamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@dataclass
class Revision:
    arn: str
    config: dict[str, Any]
    created: float
    provisioning: Countdown


@dataclass
class ExpressService:
    arn: str
    name: str
    cluster_arn: str
    infrastructure_role_arn: str
    created: float
    updated: float
    tags: list[dict[str, str]]
    revisions: list[Revision]
    deployment_arn: str
    resources: resources.ServiceResources
    apis: resources.Apis
    draining: Countdown | None = None
    inactive_since: float | None = None
    task: Any = None  # the running Deployment (local/dataplane/apps.py)
    task_generation: int = 0
    task_failure: str | None = None
    task_registered_at: float | None = None
    _timers: list[threading.Timer] = field(default_factory=list)

    @property
    def current(self) -> Revision:
        return self.revisions[-1]

    def status(self) -> str:
        if self.inactive_since is not None:
            return INACTIVE
        return DRAINING if self.draining is not None else ACTIVE


class ExpressBackend(BaseBackend):
    def __init__(self, region_name: str, account_id: str):
        super().__init__(region_name, account_id)
        self.services: dict[str, ExpressService] = {}
        self.revisions: dict[str, tuple[ExpressService, Revision]] = {}
        self.albs: list[resources.SharedAlb] = []
        self._lock = threading.RLock()

    # -- helpers --------------------------------------------------------------------------------------

    def managed_arns(self) -> dict[str, str]:
        """service ARN -> status of every Express service (read without the lock: ListServices needs it
        while a Create holds the lock and makes its own ECS calls)."""
        return {arn: service.status() for arn, service in list(self.services.items())}

    def _arn_prefix(self, kind: str) -> str:
        return f"arn:{self.partition}:ecs:{self.region_name}:{self.account_id}:{kind}/"

    def _lookup(self, arn: str, missing: type[Exception]) -> ExpressService:
        if not isinstance(arn, str) or not arn.startswith("arn:") or ":service/" not in arn:
            # ASSUMPTION (wording): ECS answers malformed identifiers with InvalidParameterException.
            raise InvalidParameterException(f"Invalid identifier: {arn!r} is not a service ARN.")
        service = self.services.get(arn)
        if service is None:
            raise missing("Service not found.") if missing is ResourceNotFoundException else missing()
        return service

    def _require_active(self, service: ExpressService) -> None:
        status = service.status()
        # Messages as terraform-provider-aws matches them (internal/service/ecs/express_gateway_service.go:
        # "Cannot perform this operation on a service in INACTIVE status"); the DRAINING one by analogy.
        if status == DRAINING:
            raise ServiceNotActiveException("Service is in DRAINING status")
        if status == INACTIVE:
            raise ServiceNotActiveException("Cannot perform this operation on a service in INACTIVE status")

    def settle(self) -> None:
        """Finish every drain whose time has come (see the module docstring)."""
        with self._lock:
            now = clock()
            for service in list(self.services.values()):
                if (
                    service.draining is not None
                    and service.inactive_since is None
                    and service.draining.done(now)
                ):
                    self._tear_down(service, now)

    def _tear_down(self, service: ExpressService, now: float) -> None:
        settings = _settings()
        service.task_generation += 1  # a task still starting is stopped when it reports
        if service.task is not None:
            _tasks().stop(service.task)
            service.task = None
        alb_empty = resources.remove_service(
            service.apis, service.resources, service.cluster_arn, settings.express_delete_keeps_log_group
        )
        if alb_empty:
            resources.delete_shared_alb(service.apis, service.resources.alb)
            self.albs = [a for a in self.albs if a is not service.resources.alb]
        service.inactive_since = now
        service.updated = now

    # -- tasks ------------------------------------------------------------------------------------------

    def _start_task(self, service: ExpressService) -> None:
        container = service.current.config.get("primaryContainer")
        if not container:
            # taskDefinitionArn without primaryContainer: nothing the local backend can run.
            service.task_failure = "the local backend runs only primaryContainer configurations"
            return
        service.task_generation += 1
        generation = service.task_generation

        def ready(deployment: Any) -> None:
            with self._lock:
                if generation != service.task_generation or service.status() != ACTIVE:
                    _tasks().stop(deployment)
                    return
                old = service.task
                resources.register_target(
                    service.apis, service.resources, deployment.address, deployment.port
                )
                service.task, service.task_failure = deployment, None
                service.task_registered_at = clock()
                if old is not None:
                    resources.deregister_target(service.apis, service.resources, old.address, old.port)
                    _tasks().stop(old)

        def failed(reason: str) -> None:
            with self._lock:
                if generation == service.task_generation:
                    service.task_failure = reason

        _tasks().start(service.name, container, ready, failed)

    # -- operations -------------------------------------------------------------------------------------

    def create(self, params: dict[str, Any], access_key: str) -> ExpressService:
        settings = _settings()
        with self._lock:
            self.settle()
            apis = resources.Apis(access_key, self.region_name)
            if not params.get("infrastructureRoleArn"):
                raise InvalidParameterException("infrastructureRoleArn must be specified.")
            rules.role_name(params["infrastructureRoleArn"], "infrastructureRoleArn")
            name = params.get("serviceName")
            if name is not None:
                rules.check_service_name(name)
            config = rules.configuration(params, None)
            cluster_arn = resources.ensure_cluster(apis, params.get("cluster") or rules.DEFAULT_CLUSTER)
            cluster_name = cluster_arn.split("/")[-1]
            for parameter in ("infrastructureRoleArn",):
                resources.check_role(apis, params[parameter], parameter)
            for parameter in ("executionRoleArn", "taskRoleArn"):
                if config.get(parameter):
                    resources.check_role(apis, config[parameter], parameter)
            vpc_id, subnets, scheme, groups = resources.network(apis, config)
            if name is None:
                # ASSUMPTION (format): a generated name; AWS documents only that one is generated.
                name = f"express-service-{mock_random.get_random_hex(8)}"
            # "If you attempt to create a new service with the same name as an existing service in either
            # ACTIVE or DRAINING status, you receive an error" (API reference DeleteService); the message is
            # the one CreateService gives ("Creation of service was not idempotent.", widely quoted).
            existing = apis.ecs.describe_services(cluster=cluster_arn, services=[name])["services"]
            if any(s.get("status") in (ACTIVE, DRAINING) for s in existing):
                raise InvalidParameterException("Creation of service was not idempotent.")
            alb = next(
                (
                    a
                    for a in self.albs
                    if a.vpc_id == vpc_id
                    and a.scheme == scheme
                    and len(a.services) < settings.express_services_per_alb
                ),
                None,
            )
            if alb is None:
                alb = resources.create_shared_alb(
                    apis, mock_random.get_random_hex(8), vpc_id, subnets, scheme, settings
                )
                self.albs.append(alb)
            letters = "".join(mock_random.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(2))
            prefix = rules.endpoint_prefix(name, settings.express_endpoint_prefix, letters)
            endpoint = f"{prefix}-{mock_random.get_random_hex(32)}.ecs.{self.region_name}.on.aws"
            owned = resources.add_service(
                apis,
                alb,
                suffix=mock_random.get_random_hex(8),
                tg_suffixes=(mock_random.get_random_hex(12), mock_random.get_random_hex(12)),
                cluster_arn=cluster_arn,
                service_name=name,
                endpoint=endpoint,
                config=config,
                groups=groups,
                tags=params.get("tags") or [],
            )
            now = clock()
            revision = self._new_revision(cluster_name, name, config, now)
            service = ExpressService(
                arn=owned.ecs_service_arn,
                name=name,
                cluster_arn=cluster_arn,
                infrastructure_role_arn=params["infrastructureRoleArn"],
                created=now,
                updated=now,
                tags=list(params.get("tags") or []),
                revisions=[revision],
                deployment_arn=self._deployment_arn(cluster_name, name),
                resources=owned,
                apis=apis,
            )
            self.services[service.arn] = service
            self.revisions[revision.arn] = (service, revision)
            self._start_task(service)
            return service

    def _new_revision(self, cluster_name: str, name: str, config: dict[str, Any], now: float) -> Revision:
        # Shapes as the API reference's examples: service-revision/<cluster>/<service>/<19 digits>.
        number = mock_random.randint(10**18, 10**19 - 1)
        arn = f"{self._arn_prefix('service-revision')}{cluster_name}/{name}/{number}"
        return Revision(arn, config, now, Countdown.start(now, OPERATION_TIMING))

    def _deployment_arn(self, cluster_name: str, name: str) -> str:
        # service-deployment/<cluster>/<service>/<22 characters> (API reference ServiceDeployment examples).
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        deployment_id = "".join(mock_random.choice(alphabet) for _ in range(22))
        return f"{self._arn_prefix('service-deployment')}{cluster_name}/{name}/{deployment_id}"

    def describe(self, arn: str) -> ExpressService:
        with self._lock:
            self.settle()
            # ASSUMPTION: an unknown ARN is ResourceNotFoundException (the model lists it for this operation;
            # terraform-provider-aws also accepts InvalidParameterException "Resource not found"). DRAINING
            # and INACTIVE services stay describable (terraform waits for INACTIVE through this call).
            return self._lookup(arn, ResourceNotFoundException)

    def update(self, params: dict[str, Any]) -> tuple[ExpressService, Revision]:
        with self._lock:
            self.settle()
            service = self._lookup(params.get("serviceArn"), ServiceNotFoundException)
            self._require_active(service)
            config = rules.configuration(params, service.current.config)
            for parameter in ("executionRoleArn", "taskRoleArn"):
                if params.get(parameter):
                    resources.check_role(service.apis, config[parameter], parameter)
            if params.get("networkConfiguration") is not None:
                # express-service-work.html: the first service on a shared ALB fixes its subnets.
                # ASSUMPTION: an update that names other subnets is refused rather than moved to a new ALB.
                wanted = set(params["networkConfiguration"].get("subnets") or [])
                if wanted and wanted != set(service.resources.alb.subnets):
                    raise InvalidParameterException(
                        "networkConfiguration.subnets cannot change: the service's load balancer uses "
                        f"{sorted(service.resources.alb.subnets)}."
                    )
            resources.update_service(
                service.apis, service.resources, service.cluster_arn, service.name, config
            )
            now = clock()
            revision = self._new_revision(service.cluster_arn.split("/")[-1], service.name, config, now)
            before = service.current.config.get("primaryContainer")
            service.revisions.append(revision)
            self.revisions[revision.arn] = (service, revision)
            service.deployment_arn = self._deployment_arn(service.cluster_arn.split("/")[-1], service.name)
            service.updated = now
            if config.get("primaryContainer") != before:
                service.task_registered_at = None
                self._start_task(service)
            return service, revision

    def delete(self, arn: str) -> ExpressService:
        with self._lock:
            self.settle()
            service = self._lookup(arn, ServiceNotFoundException)
            self._require_active(service)
            now = clock()
            service.draining = Countdown.start(now, OPERATION_TIMING)
            service.updated = now
            timer = threading.Timer(service.draining.seconds() + 0.05, self.settle)
            timer.daemon = True
            service._timers.append(timer)
            timer.start()
            return service

    # -- what the responses show ------------------------------------------------------------------------

    def resource_status(
        self, service: ExpressService, revision: Revision, now: float, needs_task: bool = False
    ) -> tuple[str, float, str | None]:
        """(status, updatedAt, statusReason) of a managed resource, as DescribeServiceRevisions shows it."""
        if service.inactive_since is not None:
            return DELETED, service.inactive_since, None
        if service.draining is not None:
            return DEPROVISIONING, service.draining.started, None
        if not revision.provisioning.done(now):
            return PROVISIONING, revision.created, None
        if needs_task and revision is service.current:
            if service.task_failure:
                return FAILED, now, f"Task failed to start: {service.task_failure}"
            if service.task_registered_at is None:
                return PROVISIONING, revision.created, None
        return ACTIVE, revision.provisioning.ends, None


express_backends = BackendDict(ExpressBackend, "ecs")
