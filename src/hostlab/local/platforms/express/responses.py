"""The ECS API with Express Mode: moto's ECS responses plus the operations moto 5.2.5 lacks.

moto parses each request with botocore's ECS model and serializes each result with it, so shapes,
timestamps and error bodies are the model's. Added: Create/Describe/Update/DeleteExpressGatewayService and
DescribeServiceRevisions (moto has neither); ListServices learns ``resourceManagementType``. Everything else
is moto's own ECS.
"""

from __future__ import annotations

from typing import Any

from hostlab.local.controlplane.moto_glue import ActionResult, EcsResponse, moto_list_services
from hostlab.local.platforms.express.backend import (
    ACTIVE,
    ExpressBackend,
    ExpressService,
    Revision,
    clock,
    express_backends,
    stamp,
)
from hostlab.local.platforms.express.errors import InvalidParameterException
from hostlab.local.platforms.express.resources import CONTAINER_NAME


def _configuration(service: ExpressService, revision: Revision) -> dict[str, Any]:
    """ExpressGatewayServiceConfiguration of one revision."""
    owned = service.resources
    access = "PUBLIC" if owned.alb.scheme == "internet-facing" else "PRIVATE"
    config = {
        "serviceRevisionArn": revision.arn,
        **revision.config,
        "taskDefinitionArn": revision.config.get("taskDefinitionArn") or owned.task_definition_arn,
        "networkConfiguration": {
            "subnets": list(owned.alb.subnets),
            "securityGroups": list(owned.security_group_ids),
        },
        # The endpoint without a scheme, as public reports show it (ingressPaths[].endpoint).
        "ingressPaths": [{"accessType": access, "endpoint": owned.endpoint}],
        "createdAt": stamp(revision.created),
    }
    return config


def _service(service: ExpressService, with_tags: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "cluster": service.cluster_arn,
        "serviceName": service.name,
        "serviceArn": service.arn,
        "infrastructureRoleArn": service.infrastructure_role_arn,
        "status": {"statusCode": service.status()},
        "currentDeployment": service.deployment_arn,
        "activeConfigurations": [] if service.inactive_since else [_configuration(service, service.current)],
        "createdAt": stamp(service.created),
        "updatedAt": stamp(service.updated),
    }
    if with_tags:
        body["tags"] = list(service.tags)
    return body


def _managed(
    backend: ExpressBackend, service: ExpressService, revision: Revision, now: float, **extra: Any
) -> dict[str, Any]:
    status, updated, reason = backend.resource_status(service, revision, now, **extra)
    body: dict[str, Any] = {"status": status, "updatedAt": stamp(updated)}
    if reason:
        body["statusReason"] = reason
    return body


def _ecs_managed_resources(
    backend: ExpressBackend, service: ExpressService, revision: Revision, now: float
) -> dict[str, Any]:
    owned = service.resources
    alb = owned.alb
    port = (revision.config.get("primaryContainer") or {}).get("containerPort", 80)
    region, account, partition = backend.region_name, backend.account_id, backend.partition

    def group_arn(group_id: str) -> str:
        return f"arn:{partition}:ec2:{region}:{account}:security-group/{group_id}"

    def managed(arn: str, **extra: Any) -> dict[str, Any]:
        return {"arn": arn, **_managed(backend, service, revision, now)} | extra

    target_groups = []
    for index, arn in enumerate(owned.target_groups):
        # The primary target group turns ACTIVE once the task is registered in it (backend.resource_status).
        state = _managed(backend, service, revision, now, needs_task=index == 0)
        target_groups.append(
            {
                "arn": arn,
                **state,
                "healthCheckPath": revision.config["healthCheckPath"],
                "healthCheckPort": port,
                "port": port,
            }
        )
    ingress = {
        "accessType": "PUBLIC" if alb.scheme == "internet-facing" else "PRIVATE",
        "endpoint": owned.endpoint,
        "loadBalancer": managed(
            alb.arn, scheme=alb.scheme, subnetIds=list(alb.subnets), securityGroupIds=[alb.security_group_id]
        ),
        "loadBalancerSecurityGroups": [managed(group_arn(alb.security_group_id))],
        "certificate": managed(alb.certificate_arn, domainName=f"*.ecs.{region}.on.aws"),
        "listener": managed(alb.listener_arn),
        "rule": managed(owned.rule_arn),
        "targetGroups": target_groups,
    }
    body: dict[str, Any] = {
        "ingressPaths": [ingress],
        "serviceSecurityGroups": [
            managed(group_arn(g)) for g in owned.security_group_ids if g == owned.own_security_group_id
        ],
    }
    if owned.log_group:
        body["logGroups"] = [
            managed(
                f"arn:{partition}:logs:{region}:{account}:log-group:{owned.log_group}",
                logGroupName=owned.log_group,
            )
        ]
    # Not modelled locally (moto would hold them in Application Auto Scaling and CloudWatch): autoScaling
    # and metricAlarms are left out of the answer rather than shown with made-up ARNs.
    return body


def _revision(
    backend: ExpressBackend, service: ExpressService, revision: Revision, now: float
) -> dict[str, Any]:
    owned = service.resources
    container = revision.config.get("primaryContainer") or {}
    port = container.get("containerPort", 80)
    return {
        "serviceRevisionArn": revision.arn,
        "serviceArn": service.arn,
        "clusterArn": service.cluster_arn,
        "taskDefinition": revision.config.get("taskDefinitionArn") or owned.task_definition_arn,
        "launchType": "FARGATE",
        "platformVersion": "1.4.0",
        "platformFamily": "Linux",
        "loadBalancers": [
            {"targetGroupArn": owned.target_groups[0], "containerName": CONTAINER_NAME, "containerPort": port}
        ],
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": list(owned.alb.subnets),
                "securityGroups": list(owned.security_group_ids),
                "assignPublicIp": "ENABLED" if owned.alb.scheme == "internet-facing" else "DISABLED",
            }
        },
        "containerImages": [{"containerName": CONTAINER_NAME, "image": container.get("image", "")}],
        "createdAt": stamp(revision.created),
        "ecsManagedResources": _ecs_managed_resources(backend, service, revision, now),
    }


class EcsWithExpressResponse(EcsResponse):
    @property
    def express(self) -> ExpressBackend:
        return express_backends[self.current_account][self.region]

    def _params(self) -> dict[str, Any]:
        return dict(self.params or {})

    def create_express_gateway_service(self) -> ActionResult:
        service = self.express.create(self._params(), self.get_access_key())
        return ActionResult({"service": _service(service, with_tags=True)})

    def describe_express_gateway_service(self) -> ActionResult:
        params = self._params()
        service = self.express.describe(params.get("serviceArn"))
        return ActionResult({"service": _service(service, with_tags="TAGS" in (params.get("include") or []))})

    def update_express_gateway_service(self) -> ActionResult:
        service, revision = self.express.update(self._params())
        return ActionResult(
            {
                "service": {
                    "serviceArn": service.arn,
                    "cluster": service.cluster_arn,
                    "serviceName": service.name,
                    "status": {"statusCode": service.status()},
                    "targetConfiguration": _configuration(service, revision),
                    "createdAt": stamp(service.created),
                    "updatedAt": stamp(service.updated),
                }
            }
        )

    def delete_express_gateway_service(self) -> ActionResult:
        service = self.express.delete(self._params().get("serviceArn"))
        return ActionResult({"service": _service(service, with_tags=True)})

    def describe_service_revisions(self) -> ActionResult:
        arns = self._params().get("serviceRevisionArns") or []
        # API reference DescribeServiceRevisions: "You can specify a maximum of 20 ARNs."
        if not arns or len(arns) > 20:
            raise InvalidParameterException("serviceRevisionArns must name between 1 and 20 ARNs.")
        backend = self.express
        backend.settle()
        now = clock()
        found, failures = [], []
        for arn in arns:
            entry = backend.revisions.get(arn)
            if entry is None:
                # Revisions of services this control plane did not make are not modelled (moto has none).
                failures.append({"arn": arn, "reason": "MISSING"})
                continue
            found.append(_revision(backend, *entry, now))
        return ActionResult({"serviceRevisions": found, "failures": failures})

    def list_services(self) -> ActionResult:
        params = self._params()
        arns = moto_list_services(
            self,
            params.get("cluster") or "default",
            params.get("schedulingStrategy"),
            params.get("launchType"),
        )
        managed = self.express.managed_arns()
        # Express services DRAINING or INACTIVE are left out, as ECS leaves out its own (API reference
        # DeleteService: a DRAINING service "is no longer visible in ... ListServices").
        arns = [arn for arn in arns if managed.get(arn, ACTIVE) == ACTIVE]
        wanted = params.get("resourceManagementType")
        if wanted == "ECS":
            arns = [arn for arn in arns if arn in managed]
        elif wanted == "CUSTOMER":
            arns = [arn for arn in arns if arn not in managed]
        return ActionResult({"serviceArns": arns})
