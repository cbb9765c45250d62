"""ECS Express Mode's control-plane extension, registered into moto's server (called through
hostlab.local.platforms.EXPRESS by hostlab.local.controlplane.extensions)."""

from __future__ import annotations

from hostlab.settings import Settings


def register(settings: Settings) -> None:
    """Make moto's server answer the Express operations. Idempotent. (Filled in by the control-plane
    branch, express-cp.)"""
    del settings
