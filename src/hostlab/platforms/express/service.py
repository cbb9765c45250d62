"""The demo app as an ECS Express service: the same image, start command and environment as on App Runner,
and the bits of an Express answer the tutorial reads. Plain dicts for boto3; both backends."""

from __future__ import annotations

import shlex
from typing import Any

from hostlab.app import HEALTH_CHECK_PATH, IMAGE, PORT, START_COMMAND, runtime_environment


def primary_container(
    port: int = PORT,
    env: dict[str, str] | None = None,
    *,
    origin_secret: str | None = None,
    image: str = IMAGE,
) -> dict[str, Any]:
    """``primaryContainer`` for ``ecs.create_express_gateway_service`` running the demo app: the same
    image, start command (as the list ECS's ``command`` takes) and environment as on App Runner."""
    variables = runtime_environment(port, env, origin_secret=origin_secret)
    return {
        "image": image,
        "containerPort": port,
        "command": shlex.split(START_COMMAND),
        "environment": [{"name": k, "value": v} for k, v in variables.items()],
    }


# The demo app answers its health check here; Express's default path (/ping in the API reference) would
# fail the ALB's health check on AWS, so the tutorial names it.
DEMO_HEALTH_CHECK_PATH = HEALTH_CHECK_PATH


def endpoint(service: dict[str, Any]) -> str:
    """The service's endpoint (host name, no scheme) from a Create/Describe answer's ``service``."""
    return service["activeConfigurations"][0]["ingressPaths"][0]["endpoint"]


def revision_arn(service: dict[str, Any]) -> str:
    return service["activeConfigurations"][0]["serviceRevisionArn"]
