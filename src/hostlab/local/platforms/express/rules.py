"""What CreateExpressGatewayService and UpdateExpressGatewayService accept, and the defaults they fill in.

Pure functions over the request's parameters (as botocore's ECS model names them); nothing here touches moto
or the network. Sources are named next to each rule; docs/behaviours.md ("ECS Express Mode") lists them.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from hostlab.local.platforms.express.errors import ClientException, InvalidParameterException

# Defaults Express fills in (ECS Developer Guide express-service-work.html, "Task definition defaults" and
# "Service defaults"; API reference CreateExpressGatewayService).
DEFAULT_CLUSTER = "default"
DEFAULT_CONTAINER_PORT = 80  # API reference ExpressGatewayContainer.containerPort: "default 80"
# The API reference says /ping; the developer guide says "/". The API reference is followed here (it is the
# contract the SDKs document), the conflict is recorded in docs/behaviours.md.
DEFAULT_HEALTH_CHECK_PATH = "/ping"
# The API reference gives 256 / 512; the developer guide (express-service-work.html) 1024 / 2048. The
# developer guide describes what the service does; the API reference text reads like a copied example.
DEFAULT_CPU = "1024"
DEFAULT_MEMORY = "2048"
DEFAULT_CPU_ARCHITECTURE = "X86_64"
DEFAULT_SCALING = {
    # ExpressGatewayScalingTarget (API reference): min 1, max 20, AVERAGE_CPU at 60.
    "minTaskCount": 1,
    "maxTaskCount": 20,
    "autoScalingMetric": "AVERAGE_CPU",
    "autoScalingTargetValue": 60,
}

# Fargate task sizes (ECS Developer Guide fargate-tasks-services.html, "Task CPU and memory"): for each CPU
# value, the memory values allowed (MiB).
_FARGATE_MEMORY = {
    256: [512, 1024, 2048],
    512: list(range(1024, 4096 + 1, 1024)),
    1024: list(range(2048, 8192 + 1, 1024)),
    2048: list(range(4096, 16384 + 1, 1024)),
    4096: list(range(8192, 30720 + 1, 1024)),
    8192: list(range(16384, 61440 + 1, 4096)),
    16384: list(range(32768, 122880 + 1, 8192)),
}

# ECS service names: "Up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are
# allowed" (API reference CreateService, serviceName; Express services are ECS services).
_SERVICE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
# IAM role ARNs (IAM User Guide reference_identifiers.html): arn:<partition>:iam::<account>:role/<path/>name.
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*([\w+=,.@-]{1,64})$")
# Health check paths: an ALB target group's HealthCheckPath is 1-1024 characters starting with "/" (ELB API
# reference CreateTargetGroup, HealthCheckPath).
_HEALTH_PATH = re.compile(r"^/[\x21-\x7e]{0,1023}$")


def check_service_name(name: str) -> None:
    if not _SERVICE_NAME.match(name or ""):
        raise InvalidParameterException(
            "Service name must be 1-255 characters: letters, numbers, hyphens and underscores."
        )


def role_name(arn: str, parameter: str) -> str:
    """The role name in an IAM role ARN; InvalidParameterException names the parameter when it is not one."""
    match = _ROLE_ARN.match(arn or "")
    if not match:
        raise InvalidParameterException(f"{parameter} is not a valid IAM role ARN: {arn!r}")
    return match.group(2)


def _check_task_size(cpu: str, memory: str) -> None:
    try:
        cpu_units, memory_mib = int(cpu), int(memory)
    except (TypeError, ValueError):
        raise InvalidParameterException(
            f"cpu and memory must be numbers of units: cpu={cpu!r}, memory={memory!r}"
        ) from None
    # ASSUMPTION (wording): the message RegisterTaskDefinition gives for a size Fargate does not offer (widely
    # quoted, e.g. aws/containers-roadmap issues); Express registers a Fargate task definition.
    if memory_mib not in _FARGATE_MEMORY.get(cpu_units, []):
        raise ClientException(
            f"No Fargate configuration exists for given values: {cpu} CPU, {memory} memory. "
            "See the Amazon ECS documentation for the valid values."
        )


def _check_container(container: dict[str, Any]) -> dict[str, Any]:
    if not (container.get("image") or "").strip():
        raise InvalidParameterException("primaryContainer.image must not be empty.")
    port = container.get("containerPort", DEFAULT_CONTAINER_PORT)
    # A TCP port (ECS PortMapping.containerPort, 1-65535).
    if not isinstance(port, int) or not 1 <= port <= 65535:
        raise InvalidParameterException(f"containerPort must be between 1 and 65535: {port!r}")
    checked = {**container, "containerPort": port}
    logs = container.get("awsLogsConfiguration")
    if logs is not None and not (logs.get("logGroup") and logs.get("logStreamPrefix")):
        raise InvalidParameterException("awsLogsConfiguration needs logGroup and logStreamPrefix.")
    return checked


def _check_scaling(scaling: dict[str, Any]) -> dict[str, Any]:
    merged = {**DEFAULT_SCALING, **{k: v for k, v in scaling.items() if v is not None}}
    low, high = merged["minTaskCount"], merged["maxTaskCount"]
    # ASSUMPTION (bounds and wording): counts are non-negative and min <= max, as for Application Auto
    # Scaling's RegisterScalableTarget (MinCapacity <= MaxCapacity).
    if low < 0 or high < 1 or low > high:
        raise InvalidParameterException(
            f"scalingTarget: minTaskCount ({low}) must be between 0 and maxTaskCount ({high})."
        )
    return merged


def _check_health_path(path: str) -> str:
    if not _HEALTH_PATH.match(path):
        raise InvalidParameterException(f"healthCheckPath must start with '/' (1-1024 characters): {path!r}")
    return path


def configuration(params: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """The service's configuration after a Create (``current`` None) or an Update: the request's values over
    the current ones (Update keeps what it does not name), defaults where Create names nothing. The shape is
    ExpressGatewayServiceConfiguration without serviceRevisionArn, ingressPaths and createdAt."""
    config: dict[str, Any] = (
        copy.deepcopy(current)
        if current
        else {
            "cpu": DEFAULT_CPU,
            "memory": DEFAULT_MEMORY,
            "cpuArchitecture": DEFAULT_CPU_ARCHITECTURE,
            "healthCheckPath": DEFAULT_HEALTH_CHECK_PATH,
            "scalingTarget": dict(DEFAULT_SCALING),
        }
    )
    for key in ("executionRoleArn", "taskRoleArn", "taskDefinitionArn", "cpu", "memory", "cpuArchitecture"):
        if params.get(key) is not None:
            config[key] = params[key]
    if params.get("healthCheckPath") is not None:
        config["healthCheckPath"] = _check_health_path(params["healthCheckPath"])
    if params.get("primaryContainer") is not None:
        config["primaryContainer"] = _check_container(params["primaryContainer"])
    if params.get("scalingTarget") is not None:
        config["scalingTarget"] = _check_scaling(
            {**config.get("scalingTarget", {}), **params["scalingTarget"]}
        )
    if params.get("networkConfiguration") is not None:
        config["networkConfiguration"] = {
            key: list(values) for key, values in params["networkConfiguration"].items() if values
        }
    if "primaryContainer" not in config and "taskDefinitionArn" not in config:
        # The model marks neither required; without one there is nothing to run.
        raise InvalidParameterException("Either primaryContainer or taskDefinitionArn must be specified.")
    # ECS Developer Guide express-service-overview.html: an Express service needs "a container image, task
    # execution role and infrastructure role" (the model requires only the last). ASSUMPTION (wording).
    if not config.get("executionRoleArn"):
        raise InvalidParameterException("executionRoleArn must be specified.")
    role_name(config["executionRoleArn"], "executionRoleArn")
    if config.get("taskRoleArn"):
        role_name(config["taskRoleArn"], "taskRoleArn")
    _check_task_size(config["cpu"], config["memory"])
    return config


def endpoint_prefix(service_name: str, mode: str, letters: str) -> str:
    """The two letters before the endpoint's 32 hex digits (Settings.express_endpoint_prefix).

    ``letters``: two random lowercase letters, used in "random" mode and to fill up a name with fewer than
    two letters."""
    if mode == "random":
        return letters
    own = [c for c in service_name.lower() if "a" <= c <= "z"][:2]
    return "".join(own) + letters[len(own) :]
