"""Which client a loopback connection stands for: the source address a listener should see.

Everything in the data plane talks over loopback, so every connection arrives from 127.0.0.1. A listener
that filters by source (the Express ALB's security group) needs the address the connection *would* have
come from on AWS: the viewer's for a direct client that came through the CONNECT proxy, a CloudFront
origin-facing address for the edge's origin connections.

How, on Linux and macOS alike (macOS only has 127.0.0.1 on loopback unless aliases are added, so "one
loopback address per role" is not portable): the opener binds its socket to an ephemeral port on loopback
*before* connecting, writes (its local address -> the source it stands for) into this book, then connects.
The listener reads the entry for its peer's (address, port) right after accept(). The entry exists before
the connection does, so there is no race; the listener takes it (each connection is accepted once), a
failed connect removes it, and entries nobody took (connections to listeners that do not ask) expire after
ENTRY_SECONDS. A connection nobody wrote down (a test's own socket, a client connecting to the loopback
port directly) stands for its real peer address.

The edge's origin connections stand for EDGE_SOURCE_IP (see below); the proxy's tunnels stand for the
address of the client that sent CONNECT.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

# The address the local edge's origin connections stand for: inside 130.176.0.0/18, an entry of the
# managed prefix list com.amazonaws.global.cloudfront.origin-facing as the local control plane publishes it
# (tests/test_express_alb.py reads the list through EC2 and checks). CloudFront reaches origins from the
# addresses of that list (CF-DG LocationsOfEdgeServers.html; VPC user guide, AWS-managed prefix lists).
EDGE_SOURCE_IP = "130.176.0.1"
# How long an entry nobody took is kept. A listener takes its entry within milliseconds of the connect;
# expiry only bounds the book's size for connections to listeners that never ask.
ENTRY_SECONDS = 30.0


class SourceBook:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, int], tuple[str, float]] = {}

    def connect(self, address: tuple[str, int], source_ip: str, timeout: float) -> socket.socket:
        """A TCP connection to ``address`` (loopback) written down as coming from ``source_ip``; raises
        OSError (TimeoutError included) like socket.create_connection."""
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        local = None
        try:
            sock.bind((address[0], 0))
            local = sock.getsockname()[:2]
            self._write(local, source_ip)
            sock.settimeout(timeout)
            sock.connect(address)
        except BaseException:
            if local is not None:
                self.take(local)
            sock.close()
            raise
        return sock

    def take(self, peer: tuple[str, int]) -> str | None:
        """The source written down for a connection whose peer is ``peer``, removing the entry."""
        with self._lock:
            entry = self._entries.pop((peer[0], int(peer[1])), None)
        if entry is None or time.monotonic() - entry[1] > ENTRY_SECONDS:
            return None
        return entry[0]

    def _write(self, local: tuple[str, int], source_ip: str) -> None:
        now = time.monotonic()
        with self._lock:
            if len(self._entries) > 1024:
                for key in [k for k, (_, t) in self._entries.items() if now - t > ENTRY_SECONDS]:
                    del self._entries[key]
            self._entries[(local[0], int(local[1]))] = (source_ip, now)

    def __len__(self) -> int:
        return len(self._entries)


# One book per process: the edge, the proxy and the fronts of one data plane share it.
BOOK = SourceBook()


def connect_as(address: tuple[str, int], source_ip: str, timeout: float) -> socket.socket:
    return BOOK.connect(address, source_ip, timeout)


def source_of(peer: tuple[str, int]) -> str:
    """The address a connection accepted from ``peer`` stands for."""
    with contextlib.suppress(Exception):
        written = BOOK.take(peer)
        if written is not None:
            return written
    return peer[0]
