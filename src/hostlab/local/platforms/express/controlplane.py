"""ECS Express Mode's control-plane extension, registered into moto's server (called through
hostlab.local.platforms.EXPRESS by hostlab.local.controlplane.extensions)."""

from __future__ import annotations

from hostlab.local.controlplane.moto_glue import route_ecs_to
from hostlab.local.platforms.express import backend
from hostlab.local.platforms.express.responses import EcsWithExpressResponse
from hostlab.settings import Settings


def register(settings: Settings) -> None:
    """Make moto's server answer the Express operations besides moto's own ECS ones. Idempotent."""
    backend.configure(settings)
    route_ecs_to(EcsWithExpressResponse.dispatch)


def shutdown() -> None:
    """Stop what the control plane runs besides moto (the Express services' tasks)."""
    backend.shutdown()
