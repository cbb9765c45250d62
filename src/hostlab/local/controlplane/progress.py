"""Work that takes a while on AWS, modelled without threads: one rule for every clock of the control plane.

App Runner operations and custom domains, CloudFront deployments and invalidations are each a
:class:`Countdown`: in progress from the moment they start until their duration has passed, computed
whenever a status is read. Nothing runs in the background, so a waiter polling the local API sees exactly
what it would see polling AWS: in progress, then done.

How long a piece of work lasts is decided by a :data:`Timing`, called as the work starts; what it gives
back (:data:`Seconds`) is read again at every status read. The glue (moto_glue.timing) answers from moto's
state manager: work lasts the settings' time, or longer while a transition set through
``POST /moto-api/state-manager/set-transition`` is in force, and falls back to the settings' time once that
transition is changed or unset. So tests can hold work in progress and release it, finished work never
starts again, and nothing is ever shorter than the settings' time, which the data plane's freshness rules
rely on (dataplane/front.py, dataplane/edge/__init__.py). AWS documents none of these durations: each is an
ASSUMPTION setting.

Nothing here imports moto.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Seconds = Callable[[], float]  # the duration of one piece of work, read whenever its status is read
Timing = Callable[[], Seconds]  # called as a piece of work starts: its Seconds

# Model names in moto's state manager (its "service::model" convention). "cloudfront::distribution" is the
# name moto itself registers for distributions, which this control plane answers instead.
APPRUNNER_SERVICE = "apprunner::service"  # CreateService, UpdateService, Pause/Resume/DeleteService
APPRUNNER_CUSTOM_DOMAIN = "apprunner::custom_domain"  # AssociateCustomDomain, DisassociateCustomDomain
CLOUDFRONT_DISTRIBUTION = "cloudfront::distribution"  # CreateDistribution, UpdateDistribution
CLOUDFRONT_INVALIDATION = "cloudfront::invalidation"  # CreateInvalidation
# ECS Express Mode (local/platforms/express): managed resources PROVISIONING -> ACTIVE after Create and
# Update, and a deleted service DRAINING -> INACTIVE.
EXPRESS_SERVICE = "ecs::express_gateway_service"


def fixed(seconds: float) -> Timing:
    """Every piece of work lasts ``seconds`` (plain unit tests)."""
    return lambda: lambda: seconds


@dataclass
class Countdown:
    """Something that started at ``started`` (seconds on the caller's clock) and lasts ``seconds()``."""

    started: float
    seconds: Seconds

    @classmethod
    def start(cls, now: float, timing: Timing) -> Countdown:
        return cls(now, timing())

    @property
    def ends(self) -> float:
        return self.started + self.seconds()

    def done(self, now: float) -> bool:
        return now >= self.ends

    def elapsed_share(self, now: float) -> float:
        """How far along it is: 0 at the start, 1 (and beyond) once done."""
        duration = self.seconds()
        return (now - self.started) / duration if duration > 0 else 1.0
