"""Installs everything this project adds to moto, in the server process before moto's server starts.

moto_glue holds moto's building blocks and touch points and imports none of what is built on them; this
module is the one place that knows the extensions: each local platform's control plane (through
hostlab.local.platforms), the CloudFront extension, and ACM's DNS validation and in-use check.
"""

from __future__ import annotations

from hostlab.local.controlplane import acm_in_use, acm_validation, cloudfront_extension, moto_glue
from hostlab.local.platforms import LOCAL_PLATFORMS
from hostlab.settings import Settings


def install(settings: Settings) -> None:
    """Apply every extension. Idempotent."""
    moto_glue.prepare(settings)
    for platform in LOCAL_PLATFORMS:
        platform.register_control_plane(settings)
    cloudfront_extension.install(settings)
    # A certificate whose domain lies in a hosted zone of this backend waits for its validation record, and
    # a certificate a distribution uses cannot be deleted.
    acm_validation.install()
    acm_in_use.install()


def shutdown() -> None:
    """Stop what the platforms' control planes run besides moto (ECS Express tasks)."""
    for platform in LOCAL_PLATFORMS:
        platform.shutdown_control_plane()
