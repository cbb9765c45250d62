"""App Runner's control-plane extension, registered into moto's server (called through
hostlab.local.platforms.APPRUNNER by hostlab.local.controlplane.extensions)."""

from __future__ import annotations

from hostlab.local.controlplane.moto_glue import register_service
from hostlab.local.platforms.apprunner.backend import apprunner_backends
from hostlab.local.platforms.apprunner.responses import AppRunnerResponse
from hostlab.settings import Settings


def register(settings: Settings) -> None:
    """Make moto's server answer App Runner's API (a service moto lacks). Idempotent."""
    del settings  # App Runner's durations are read through moto_glue.timing
    register_service(
        "apprunner",
        apprunner_backends,
        AppRunnerResponse.dispatch,
        r"https?://apprunner\.(.+)\.amazonaws\.com",
    )
