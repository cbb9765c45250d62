"""The HTTP CONNECT proxy: how ordinary clients reach the local data plane without touching name resolution.

With HTTPS_PROXY pointing here, `requests.get("https://d111.cloudfront.net/echo")`, curl and
`openssl s_client -proxy` send `CONNECT d111.cloudfront.net:443`. The proxy asks the data plane which
loopback listener serves that name (route(host, port)) and splices bytes both ways: the TLS handshake is
between the client and the edge or front, end to end, as it would be with DNS. With HTTP_PROXY, plain
`GET http://name/...` requests (absolute form) go to route(host, 80), which is how App Runner's 301 to
https can be shown.

It forwards nothing to the internet: a name no local part serves gets a 502 that says so.
The proxy's own limits (timeouts, buffer sizes) are not AWS behaviour, just sane local values.
"""

from __future__ import annotations

import contextlib
import http.server
import ipaddress
import logging
import re
import selectors
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from hostlab.local.dataplane.servers import Listener, TrackedServer
from hostlab.local.dataplane.sources import connect_as
from hostlab.local.platforms import served_names

log = logging.getLogger("hostlab.proxy")

Route = Callable[[str, int], "tuple[str, int] | None"]

# Seconds a client gets to send its request head: a silent or very slow client cannot hold a thread longer.
HEAD_TIMEOUT_SECONDS = 30.0
# Seconds a tunnel may stay silent in both directions before the proxy closes it. Longer than any timeout
# the parts behind it model (App Runner's 120 s request timeout, CloudFront's origin timeouts), so the
# proxy is never the component that gives up first.
TUNNEL_IDLE_SECONDS = 330.0
# Seconds a send may block on a peer that does not read.
SEND_TIMEOUT_SECONDS = 60.0
# Seconds to connect to a loopback listener of the data plane.
CONNECT_TIMEOUT_SECONDS = 5.0
# Bytes read at once from either side (the only buffer per direction).
CHUNK_BYTES = 64 * 1024
# Largest response head accepted from a plain-HTTP upstream.
MAX_HEAD_BYTES = 64 * 1024

SERVED_NAMES = (
    f"*.cloudfront.net, {served_names()} and the aliases, custom domains and ALB host rules configured on "
    "them"
)
_HOSTNAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,252})$")
# Hop-by-hop headers (RFC 9110 section 7.6.1) plus the proxy-only ones: never passed to the next hop.
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}


class _BadRequest(ValueError):
    pass


def parse_authority(authority: str, default_port: int | None = None) -> tuple[str, int]:
    """'host:port' or '[v6]:port' -> (lower-case host, port); the port may be left out when a default is
    given. Raises _BadRequest."""
    if authority.startswith("["):
        host, bracket, rest = authority[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")) or not _is_ip(host):
            raise _BadRequest(f"bad host in {authority!r}")
        port_text = rest[1:]
    elif authority.count(":") == 1:
        host, port_text = authority.split(":")
    elif ":" in authority:
        raise _BadRequest(f"an IPv6 address needs brackets: {authority!r}")
    else:
        host, port_text = authority, ""
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise _BadRequest(f"bad port in {authority!r}")
        port = int(port_text)
    elif default_port is not None:
        port = default_port
    else:
        raise _BadRequest(f"CONNECT needs host:port, got {authority!r}")
    host = host.rstrip(".").lower()
    if not (_HOSTNAME.match(host) or _is_ip(host)):
        raise _BadRequest(f"bad host in {authority!r}")
    return host, port


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def splice(a: socket.socket, b: socket.socket, idle_timeout: float = TUNNEL_IDLE_SECONDS) -> None:
    """Copy bytes both ways until both sides have finished sending (or one fails, or both stay idle).

    When one side ends its stream, the other side's write half is shut down, so a half-close (a TLS
    close_notify followed by FIN, a client that sends then waits) is passed on faithfully.
    """
    peer = {a: b, b: a}
    reading = {a, b}
    for sock in (a, b):
        sock.settimeout(SEND_TIMEOUT_SECONDS)
    with selectors.DefaultSelector() as selector:
        for sock in reading:
            selector.register(sock, selectors.EVENT_READ)
        while reading:
            ready = selector.select(idle_timeout)
            if not ready:
                return
            for key, _ in ready:
                source = key.fileobj
                target = peer[source]
                try:
                    data = source.recv(CHUNK_BYTES)
                except OSError:
                    return
                if data:
                    try:
                        target.sendall(data)
                    except OSError:
                        return
                else:
                    selector.unregister(source)
                    reading.discard(source)
                    with contextlib.suppress(OSError):
                        target.shutdown(socket.SHUT_WR)


class _Handler(http.server.BaseHTTPRequestHandler):
    """One client connection. http.server parses the request line and headers and answers malformed ones
    (400, 414, 431, 501) itself."""

    server: _ProxyServer
    protocol_version = "HTTP/1.1"
    # Unbuffered reads: after the CONNECT head, no byte of the client's TLS stream may sit in a buffer.
    rbufsize = 0
    timeout = HEAD_TIMEOUT_SECONDS
    server_version = "hostlab-proxy"
    sys_version = ""
    error_content_type = "text/plain; charset=utf-8"
    error_message_format = "hostlab proxy: %(code)d %(message)s\n%(explain)s\n"

    def log_message(self, format, *args):
        log.debug("%s %s", self.client_address[0], format % args)

    # --- CONNECT: the tunnel for https:// names -----------------------------------------------------------

    def do_CONNECT(self) -> None:
        self.close_connection = True
        try:
            host, port = parse_authority(self.path)
        except _BadRequest as exc:
            self.send_error(400, "Bad CONNECT target", str(exc))
            return
        upstream = self._open_upstream(host, port)
        if upstream is None:
            return
        with upstream, self.server.track(upstream):
            self.send_response_only(200, "Connection established")
            self.end_headers()
            splice(self.connection, upstream)

    # --- absolute-form plain HTTP: GET http://name/path ---------------------------------------------------

    def _forward_plain(self) -> None:
        self.close_connection = True
        url = urlsplit(self.path)
        if url.scheme != "http" or not url.netloc:
            self.send_error(
                400,
                "Not a proxy request",
                "Send CONNECT host:443 for https:// URLs, or an absolute http:// URL (set HTTP_PROXY).",
            )
            return
        try:
            host, port = parse_authority(url.netloc.rpartition("@")[2], default_port=80)
        except _BadRequest as exc:
            self.send_error(400, "Bad URL", str(exc))
            return
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.send_error(411, "Length Required", "The proxy forwards bodies with Content-Length only.")
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            self.send_error(400, "Bad Content-Length")
            return
        upstream = self._open_upstream(host, port)
        if upstream is None:
            return
        with upstream, self.server.track(upstream):
            upstream.settimeout(SEND_TIMEOUT_SECONDS)
            try:
                upstream.sendall(self._origin_request_head(url, host, port))
                self._copy_body(length, upstream)
                head, rest = _read_head(upstream)
                self.wfile.write(_close_after(head) + rest)
                while data := upstream.recv(CHUNK_BYTES):
                    self.wfile.write(data)
            except (OSError, _BadRequest) as exc:
                log.info("plain HTTP to %s:%d failed: %s", host, port, exc)

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _forward_plain

    def _origin_request_head(self, url, host: str, port: int) -> bytes:
        target = (url.path or "/") + (f"?{url.query}" if url.query else "")
        named_hop = {v.strip().lower() for v in self.headers.get("Connection", "").split(",") if v.strip()}
        lines = [f"{self.command} {target} HTTP/1.1"]
        for name, value in self.headers.items():
            if name.lower() not in _HOP_BY_HOP and name.lower() not in named_hop:
                lines.append(f"{name}: {value}")
        if "Host" not in self.headers:
            lines.append(f"Host: {host}" if port == 80 else f"Host: {host}:{port}")
        lines.append("Connection: close")  # one request per upstream connection keeps the relay simple
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def _copy_body(self, length: int, upstream: socket.socket) -> None:
        while length > 0:
            data = self.connection.recv(min(length, CHUNK_BYTES))
            if not data:
                raise _BadRequest("client closed before sending its whole body")
            upstream.sendall(data)
            length -= len(data)

    # --- shared ------------------------------------------------------------------------------------------

    def _open_upstream(self, host: str, port: int) -> socket.socket | None:
        try:
            target = self.server.route(host, port)
        except Exception:
            log.exception("route(%s, %d) failed", host, port)
            self._fail(502, host, port, "the local data plane failed to look this name up (see server.log)")
            return None
        if target is None:
            self._fail(
                502,
                host,
                port,
                f"the local backend serves only {SERVED_NAMES}, on ports 443 and 80. "
                "It forwards nothing to the internet.",
                reason=f"hostlab: no local endpoint for {host}:{port}",
            )
            return None
        if not _is_loopback(target[0]):  # defence in depth: never leave the machine, whatever a part says
            self._fail(502, host, port, f"refusing a non-loopback upstream {target[0]}")
            return None
        try:
            # Written down as coming from the client (sources.py): a listener that filters by source sees
            # the client that asked for the tunnel, not the proxy.
            return connect_as(target, self.client_address[0], timeout=CONNECT_TIMEOUT_SECONDS)
        except OSError as exc:
            self._fail(502, host, port, f"its local listener {target[0]}:{target[1]} does not answer ({exc})")
            return None

    def _fail(self, code: int, host: str, port: int, why: str, reason: str | None = None) -> None:
        body = f"hostlab proxy: no connection to {host}:{port}: {why}\n".encode()
        self.send_response_only(code, reason or "hostlab: local endpoint not available")
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _read_head(sock: socket.socket) -> tuple[bytes, bytes]:
    """Read an HTTP response head; return (head without its final blank line, bytes read past it)."""
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        if len(buffer) > MAX_HEAD_BYTES:
            raise _BadRequest("upstream response head too large")
        data = sock.recv(CHUNK_BYTES)
        if not data:
            raise _BadRequest("upstream closed before a full response head")
        buffer += data
    head, _, rest = buffer.partition(b"\r\n\r\n")
    return head, rest


def _close_after(head: bytes) -> bytes:
    """The response head with its connection headers replaced by `Connection: close`."""
    lines = head.split(b"\r\n")
    dropped = (b"connection", b"keep-alive")
    kept = [lines[0]] + [line for line in lines[1:] if line.split(b":", 1)[0].strip().lower() not in dropped]
    return b"\r\n".join([*kept, b"Connection: close", b"", b""])


class _ProxyServer(TrackedServer):
    def __init__(self, address: tuple[str, int], route: Route):
        self.route = route
        super().__init__(address, _Handler)


class ConnectProxy:
    """The proxy on ``host:port`` (port 0: any free port), asking ``route`` where each name is served."""

    def __init__(self, host: str, port: int, route: Route):
        self._address = (host, port)
        self._route = route
        self._listener: Listener | None = None

    def start(self) -> None:
        """Bind (OSError if the port is taken) and serve in a background thread."""
        self._listener = Listener(_ProxyServer(self._address, self._route), "connect-proxy")
        self._listener.start()

    @property
    def address(self) -> tuple[str, int]:
        if self._listener is None:
            raise RuntimeError("the proxy is not started")
        return self._listener.address

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{host}:{port}"

    def stop(self) -> None:
        """Stop accepting, then end every open connection (both sides of each tunnel)."""
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
