"""The local seam between the shared backend and each host-routed platform (App Runner, later others).

Each local platform brings its control-plane extension (a service registered into moto's server) and its
front in the data plane (how it terminates TLS, routes by Host and reaches the demo app). The shared parts
only iterate :data:`LOCAL_PLATFORMS`:
- hostlab.local.controlplane.extensions calls :meth:`LocalPlatform.register_control_plane` for each one;
- hostlab.local.dataplane.plane builds each :meth:`LocalPlatform.make_front` after CloudFront's edge, and the
  CONNECT proxy names :attr:`LocalPlatform.served_names` when it refuses a host.

The descriptors hold dotted names, resolved on use, so this module imports nothing: the data plane never
pulls in a control-plane extension (which imports moto), and no platform module imports this one back.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


def _resolve(reference: str) -> Any:
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)


@dataclass(frozen=True)
class LocalPlatform:
    name: str
    # "module:function": register(settings) makes moto's server answer the platform's API (idempotent).
    control_plane: str
    # "module:class": the front, built as cls(settings, ca, api_url) and implementing the data plane's
    # part contract (start, stop, route: see hostlab.local.dataplane). None: no front yet (the data plane
    # skips the platform).
    front: str | None
    # Host name patterns the front serves by default (the proxy names them when it refuses a host); names
    # the reader configures (custom domains) come from the front's route() at run time.
    served_names: tuple[str, ...]
    # "module:function": stops what the control plane runs besides moto (tasks), when the server stops.
    control_plane_shutdown: str | None = None

    def register_control_plane(self, settings: Any) -> None:
        _resolve(self.control_plane)(settings)

    def shutdown_control_plane(self) -> None:
        if self.control_plane_shutdown:
            _resolve(self.control_plane_shutdown)()

    def make_front(self, settings: Any, ca: Any, api_url: str) -> Any:
        return None if self.front is None else _resolve(self.front)(settings, ca, api_url)

    @property
    def part_name(self) -> str:
        """The front's name among the data plane's parts (State.dataplane, the server's log)."""
        return f"{self.name}-front"


APPRUNNER = LocalPlatform(
    name="apprunner",
    control_plane="hostlab.local.platforms.apprunner.controlplane:register",
    front="hostlab.local.platforms.apprunner.front:AppRunnerFront",
    served_names=("*.awsapprunner.com",),
)

EXPRESS = LocalPlatform(
    name="express",
    control_plane="hostlab.local.platforms.express.controlplane:register",
    control_plane_shutdown="hostlab.local.platforms.express.controlplane:shutdown",
    # ECS Express Mode's shared Application Load Balancers, read through ELBv2/EC2/ACM: their DNS names and
    # every name their host-header rules route (the *.ecs.<region>.on.aws endpoints).
    front="hostlab.local.platforms.express.alb_front:ExpressAlbFront",
    served_names=("*.ecs.<region>.on.aws", "*.elb.amazonaws.com"),
)

# In the data plane's routing order (after CloudFront's edge).
LOCAL_PLATFORMS: tuple[LocalPlatform, ...] = (APPRUNNER, EXPRESS)


def served_names() -> str:
    """Every platform's default host names, for messages: "*.awsapprunner.com"."""
    return ", ".join(
        name for platform in LOCAL_PLATFORMS if platform.front is not None for name in platform.served_names
    )
