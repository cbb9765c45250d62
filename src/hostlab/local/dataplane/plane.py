"""The data plane as one unit: CloudFront's edge, each platform's front and the CONNECT proxy in front of
them.

The server starts it after the control plane answers and stops it on shutdown. Each part implements the
contract of hostlab.local.dataplane (start, stop, route). The plane's own route asks the edge first, then
each platform's front in the order of hostlab.local.platforms.LOCAL_PLATFORMS: a name that is both a
distribution alias and a platform's custom domain reaches the edge, as it does in the setup the tutorial
builds, where the public DNS record of that name points at CloudFront.

The edge reaches its origins by name (e.g. ``<id>.<region>.awsapprunner.com``): the plane hands it its own
route function (``Edge.use_router``), so origins resolve exactly as viewers' names do.
"""

from __future__ import annotations

import errno
import logging
import socket
import time

from hostlab.local.dataplane.edge import Edge
from hostlab.local.dataplane.proxy import ConnectProxy
from hostlab.local.dataplane.tls import LocalCA
from hostlab.local.platforms import LOCAL_PLATFORMS
from hostlab.local.ports import PORT_VARIABLES, PortInUseError
from hostlab.names import normalise_host
from hostlab.settings import Settings

log = logging.getLogger("hostlab.dataplane")


class DataPlane:
    def __init__(self, settings: Settings, ca: LocalCA, api_url: str):
        self.settings = settings
        edge = Edge(settings, ca, api_url)
        edge.use_router(self.route)
        # In routing order: the edge first, then the platforms' fronts (see the module docstring).
        self._parts = [("edge", edge)]
        for platform in LOCAL_PLATFORMS:
            front = platform.make_front(settings, ca, api_url)
            if front is not None:  # a platform without a front (yet) serves nothing here
                self._parts.append((platform.part_name, front))
        self.proxy = ConnectProxy(settings.host, settings.proxy_port, self.route)
        self._started: list = []

    @property
    def parts(self) -> list[str]:
        return [name for name, _ in self._parts]

    @property
    def url(self) -> str:
        return self.proxy.url

    def route(self, hostname: str, port: int) -> tuple[str, int] | None:
        hostname = normalise_host(hostname)
        for _, part in self._parts:
            target = part.route(hostname, port)
            if target is not None:
                return target
        return None

    def start(self) -> None:
        """Start the parts, then the proxy (so no viewer arrives before they listen)."""
        for name, part in self._parts:
            part.start()
            self._started.append((name, part))
        try:
            self.proxy.start()
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise
            host, port = self.settings.host, self.settings.proxy_port
            raise PortInUseError(host, port, PORT_VARIABLES["proxy"]) from exc
        self._started.append(("proxy", self.proxy))

    def answers(self) -> bool:
        """True when the proxy accepts a TCP connection."""
        try:
            with socket.create_connection(self.proxy.address, timeout=2):
                return True
        except (OSError, RuntimeError):
            return False

    def stop(self) -> None:
        """Stop everything started, in reverse order; one failing part does not keep the others running."""
        while self._started:
            name, part = self._started.pop()
            began = time.monotonic()
            try:
                part.stop()
            except Exception:
                log.exception("stopping %s failed", name)
            log.info("stopped %s in %.2f s", name, time.monotonic() - began)
