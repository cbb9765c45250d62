"""The control plane: moto in server mode, extended with what the tutorial needs and moto lacks.

``install(settings)`` must run in the server process before moto's server starts.
Every touch point on moto internals lives in :mod:`.moto_glue`; :mod:`.extensions` installs what is built
on it (the platforms' control planes from hostlab.local.platforms, CloudFront, ACM).
"""

from __future__ import annotations

from hostlab.settings import Settings


def install(settings: Settings) -> None:
    """Register every platform's control plane and the CloudFront and ACM extensions into moto."""
    from hostlab.local.controlplane import extensions

    extensions.install(settings)


def seed_ids(seed: int) -> None:
    """Restart moto's seeded random (every generated ID) at ``seed``."""
    from hostlab.local.controlplane import moto_glue

    moto_glue.seed_ids(seed)


def shutdown() -> None:
    """Stop the processes the control plane started (ECS Express tasks)."""
    from hostlab.local.controlplane import extensions

    extensions.shutdown()
