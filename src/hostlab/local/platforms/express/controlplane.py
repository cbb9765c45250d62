"""ECS Express Mode's control-plane extension, registered into moto's server (called through
hostlab.local.platforms.EXPRESS by hostlab.local.controlplane.extensions)."""

from __future__ import annotations

from hostlab.local.controlplane.moto_glue import repoint_ecs_route
from hostlab.settings import Settings


def register(settings: Settings) -> None:
    """Make moto's ECS answer the Express operations (responses.py). Idempotent.

    responses.py subclasses moto's ECS responses, whose import pulls in moto.ec2 (seconds): it is imported
    only when moto's server first routes an ECS request."""
    from hostlab.local.platforms.express import backend

    backend.configure(settings)
    repoint_ecs_route(_dispatch)


def _dispatch(*args, **kwargs):
    from hostlab.local.platforms.express.responses import EcsWithExpressResponse

    return EcsWithExpressResponse.dispatch(*args, **kwargs)


def shutdown() -> None:
    """Stop the tasks (demo-app processes) this control plane started."""
    from hostlab.local.platforms.express import backend

    backend.shutdown()
