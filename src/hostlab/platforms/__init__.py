"""The platforms: host-routed origins the tutorial puts CloudFront in front of, on both backends.

A platform is described by :class:`Platform`: its name, how to recognise its origin domain, and the module of
its tutorial helpers (find, wait for and clean up its resources; hostlab.platforms.<name>.resources). This
module imports none of them, and nothing local: the aws backend uses it too. What the local backend adds per
platform (control plane, front) is described in hostlab.local.platforms.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Platform:
    name: str
    # What the console and the docs call it.
    title: str
    # The default domains the platform gives a service, as DNS suffixes: a CloudFront origin whose domain
    # ends with one of them is this platform's.
    origin_suffixes: tuple[str, ...]
    # The module of the platform's tutorial helpers (read by the notebooks as ``tr``).
    tutorial_helpers: str
    # A regular expression for default domains a suffix cannot tell apart (ECS Express's *.on.aws, which
    # Lambda function URLs share).
    origin_pattern: str | None = None

    def owns_domain(self, domain: str) -> bool:
        """True when ``domain`` is one of the platform's default service domains."""
        name = domain.lower().rstrip(".")
        if self.origin_pattern and re.fullmatch(self.origin_pattern, name):
            return True
        return any(name.endswith(suffix) for suffix in self.origin_suffixes)

    def helpers(self) -> ModuleType:
        return importlib.import_module(self.tutorial_helpers)


APPRUNNER = Platform(
    name="apprunner",
    title="App Runner",
    # ServiceUrl: <id>.<region>.awsapprunner.com (App Runner API reference, Service.ServiceUrl).
    origin_suffixes=(".awsapprunner.com",),
    tutorial_helpers="hostlab.platforms.apprunner.resources",
)

EXPRESS = Platform(
    name="express",
    title="ECS Express Mode",
    # Endpoints: <2 letters>-<32 hex>.ecs.<region>.on.aws (public deployments; docs/behaviours.md).
    origin_suffixes=(),
    origin_pattern=r"[a-z]{2}-[0-9a-f]{32}\.ecs\.[a-z0-9-]+\.on\.aws",
    # The Express track's helpers (find, wait for, clean up); service.py and waiters.py beneath them.
    tutorial_helpers="hostlab.platforms.express.resources",
)

PLATFORMS: tuple[Platform, ...] = (APPRUNNER, EXPRESS)


def platform_named(name: str) -> Platform:
    for platform in PLATFORMS:
        if platform.name == name:
            return platform
    raise KeyError(f"no platform {name!r}; known: {', '.join(p.name for p in PLATFORMS)}")


def platform_of_domain(domain: str) -> Platform | None:
    """The platform whose default domain ``domain`` is, or None (a custom domain, another origin)."""
    for platform in PLATFORMS:
        if platform.owns_domain(domain):
            return platform
    return None
