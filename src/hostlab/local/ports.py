"""Loopback ports of the local backend: the 127.0.0.1-only rule and the "port taken" message.

Shared by `hostlab up` (checks before spawning, so the common case fails fast with a clear message) and the
server (which reports the same message if it loses a race for the port).
"""

from __future__ import annotations

import ipaddress
import socket

# The environment variable that sets each port, named in every error so the fix is one line.
PORT_VARIABLES = {"api": "HOSTLAB_PORT", "proxy": "HOSTLAB_PROXY_PORT"}


class PortInUseError(RuntimeError):
    """A port the backend needs is already taken by another process."""

    def __init__(self, host: str, port: int, variable: str):
        self.host, self.port, self.variable = host, port, variable
        super().__init__(
            f"port {port} on {host} is already in use by another process. "
            f"Set {variable} to a free port (or to 0 to pick one), e.g. `export {variable}=0`, "
            f"or stop what listens there."
        )


def require_loopback(host: str) -> None:
    """The backend must never be reachable from another machine: refuse anything but a loopback address."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the local backend binds loopback addresses only, not {host!r}")


def check_port_free(host: str, port: int, variable: str) -> None:
    """Raise PortInUseError when ``port`` cannot be bound on ``host``; port 0 (any free port) always passes.

    SO_REUSEADDR mirrors what the servers themselves set, so a port that only has connections in TIME_WAIT
    (a backend stopped a moment ago) counts as free, as it is for them.
    """
    if port == 0:
        return
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))
        probe.listen(1)
    except OSError as exc:
        raise PortInUseError(host, port, variable) from exc
    finally:
        probe.close()
