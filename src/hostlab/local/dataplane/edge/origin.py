"""Connecting to origins: name resolution, TCP, a real TLS handshake restricted to OriginSslProtocols,
the certificate check, HTTP/1.1 exchanges and a keep-alive pool.

Sources (CF-DG = CloudFront Developer Guide):
- OriginProtocolPolicy http-only / https-only / match-viewer: distribution-web-values-specify.html.
- OriginSslProtocols is the exact list of protocols CloudFront offers (API reference, OriginSslProtocols).
  SSLv3 cannot be negotiated by OpenSSL 3, so it is dropped from the list: [TLSv1, SSLv3] offers TLS 1.0 only,
  and [SSLv3] alone offers nothing: 502 without any connection (a shortcut; CloudFront would attempt an
  SSLv3 handshake that a TLS 1.2+ origin refuses). Against a TLS 1.2+ origin a TLSv1-only list fails inside
  the handshake, as on AWS; against an origin that accepts TLS 1.0 it succeeds.
- Certificate: one of its names must match the origin domain name or, when Host is forwarded, the Host value;
  an invalid, expired or self-signed certificate fails too; either way 502 (http-502-bad-gateway.html).
- SNI: the forwarded Host when Host is forwarded, else the origin domain. http-502-bad-gateway.html tells to
  test a Host-forwarding origin with ``openssl s_client -servername <CNAME>``, i.e. CloudFront sends the Host
  as SNI.
- Connection attempts (1-3, default 3) and connection timeout (1-10 s, default 10); response (read) timeout
  between packets (default 30 s); for GET and HEAD a timed-out response is retried up to the number of
  attempts, other methods are not retried (distribution-web-values-specify.html, "Origin response timeout").
  ASSUMPTION: other methods also wait OriginReadTimeout; the 2023 copy of
  RequestAndResponseBehaviorCustomOrigin.html ("Origin response timeout") gives them a fixed 30 s, the
  default value anyway.
- Keep-alive: idle origin connections are reused for OriginKeepaliveTimeout seconds (default 5 s).
- HTTP/1.1 to custom origins (RequestAndResponseBehaviorCustomOrigin.html, "HTTP version").
- Name resolution failure: 502 (http-502-bad-gateway.html, "DNS issues").
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from hostlab.local.dataplane.edge.model import Origin
from hostlab.local.dataplane.edge.origin_request import OriginRequest
from hostlab.local.dataplane.sources import EDGE_SOURCE_IP, connect_as
from hostlab.local.dataplane.tls import TLS_VERSIONS, LocalCA
from hostlab.names import dns_name_matches

log = logging.getLogger(__name__)

Resolver = Callable[[str, int], "tuple[str, int] | None"]
# A reused keep-alive connection that the origin has just closed fails before any response byte arrives.
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, http.client.BadStatusLine)


class OriginFailure(Exception):
    """The origin could not be reached or did not answer; ``status`` is what CloudFront returns (502/504).

    ``kind`` names the cause, so that the edge's log (and tests) can tell one 502 from another: "dns" (the
    name does not resolve), "connect" (refused), "connect_timeout", "tls_no_version" (nothing left to offer:
    no connection is attempted), "tls_handshake" (the handshake failed offering ``offered``; ``ssl_reason``
    is OpenSSL's reason, e.g. TLSV1_ALERT_PROTOCOL_VERSION), "tls_certificate" (chain or names rejected),
    "read_timeout", "protocol" (the origin broke the HTTP exchange).
    """

    def __init__(self, kind: str, detail: str, *, offered: tuple[str, ...] = (), ssl_reason: str = ""):
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.offered = offered
        self.ssl_reason = ssl_reason

    @property
    def status(self) -> int:
        return 504 if self.kind in ("connect_timeout", "read_timeout") else 502


@dataclass
class OriginResponse:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes


def loopback_only(host: str, port: int) -> tuple[str, int] | None:
    """Default resolver: nothing leaves the machine, so only loopback literals resolve."""
    return (host, port) if host in ("127.0.0.1", "localhost", "::1") else None


def offered_versions(ssl_protocols: tuple[str, ...]) -> tuple[str, ...]:
    """OriginSslProtocols minus SSLv3 (not negotiable with OpenSSL 3), in protocol order."""
    return tuple(v for v in TLS_VERSIONS if v in ssl_protocols)


@dataclass(frozen=True)
class _Route:
    scheme: str
    address: tuple[str, int]
    sni: str
    versions: tuple[str, ...]
    names: tuple[str, ...]


class OriginPool:
    """Origin connections, pooled per (address, scheme, SNI, TLS versions, accepted names)."""

    def __init__(self, ca: LocalCA, resolve: Resolver | None = None, *, sni_from_host: bool = True):
        self.ca = ca
        self.resolve = resolve or loopback_only
        # Settings.cloudfront_origin_sni (ASSUMPTION, HOSTLAB_CLOUDFRONT_ORIGIN_SNI): which name goes in SNI
        # when Host is forwarded. The certificate may match either name in both cases (http-502-bad-gateway).
        self.sni_from_host = sni_from_host
        self._lock = threading.Lock()
        self._idle: dict[_Route, list[tuple[http.client.HTTPConnection, float]]] = {}
        self._contexts: dict[tuple[str, ...], ssl.SSLContext] = {}
        self.connections_opened = 0  # visible to tests and benchmarks: pooling works when this stays small

    def fetch(self, origin: Origin, scheme: str, req: OriginRequest) -> OriginResponse:
        """Send ``req`` to ``origin`` over ``scheme`` ("http" or "https") and read the whole response."""
        port = origin.https_port if scheme == "https" else origin.http_port
        address = self.resolve(origin.domain_name, port)
        if address is None:
            raise OriginFailure("dns", f"cannot resolve {origin.domain_name}")
        forwarded = req.host.rsplit(":", 1)[0] if req.host_forwarded else origin.domain_name
        sni = forwarded if self.sni_from_host else origin.domain_name
        names = tuple(dict.fromkeys((origin.domain_name, forwarded)))
        route = _Route(scheme, address, sni, offered_versions(origin.ssl_protocols), names)
        attempts = max(1, origin.connection_attempts) if req.method in ("GET", "HEAD") else 1
        failure: OriginFailure | None = None
        for _ in range(attempts):
            try:
                return self._exchange(route, origin, req)
            except OriginFailure as exc:
                if exc.kind != "read_timeout":
                    raise
                failure = exc
        assert failure is not None
        raise failure

    # -- one exchange, on a pooled connection when one is idle -----------------------------------------------

    def _exchange(self, route: _Route, origin: Origin, req: OriginRequest) -> OriginResponse:
        conn = self._checkout(route, origin.keepalive_timeout)
        reused = conn is not None
        if conn is None:
            conn = self._connect(route, origin)
        try:
            response, reusable = self._send(conn, req, origin.read_timeout)
        except _STALE as exc:
            conn.close()
            if not reused:
                raise OriginFailure("protocol", f"origin closed the connection: {exc!r}") from None
            conn = self._connect(route, origin)  # a stale keep-alive connection: one fresh try
            try:
                response, reusable = self._send(conn, req, origin.read_timeout)
            except _STALE as exc2:
                conn.close()
                raise OriginFailure("protocol", f"origin closed the connection: {exc2!r}") from None
        if reusable:
            self._release(route, conn)
        else:
            conn.close()
        return response

    def _send(
        self, conn: http.client.HTTPConnection, req: OriginRequest, read_timeout: float
    ) -> tuple[OriginResponse, bool]:
        """The whole response, and whether the connection may carry another request."""
        try:
            conn.sock.settimeout(read_timeout)
            conn.putrequest(req.method, req.target, skip_host=True, skip_accept_encoding=True)
            for name, value in req.headers:
                conn.putheader(name, value)
            conn.endheaders(req.body or None)
            resp = conn.getresponse()
            body = resp.read()
        except TimeoutError:
            conn.close()
            raise OriginFailure("read_timeout", f"no response within {read_timeout:g} s") from None
        except _STALE:
            raise
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            raise OriginFailure("protocol", repr(exc)) from None
        return OriginResponse(resp.status, resp.reason, resp.getheaders(), body), not resp.will_close

    def _release(self, route: _Route, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            self._idle.setdefault(route, []).append((conn, time.monotonic()))

    def _checkout(self, route: _Route, keepalive: float) -> http.client.HTTPConnection | None:
        now = time.monotonic()
        with self._lock:
            idle = self._idle.get(route, [])
            while idle:
                conn, since = idle.pop()
                if now - since < keepalive:
                    return conn
                conn.close()
        return None

    def close(self) -> None:
        with self._lock:
            for idle in self._idle.values():
                for conn, _ in idle:
                    conn.close()
            self._idle.clear()

    # -- connecting ------------------------------------------------------------------------------------------

    def _connect(self, route: _Route, origin: Origin) -> http.client.HTTPConnection:
        if route.scheme == "https" and not route.versions:
            # [SSLv3] alone: OpenSSL here cannot speak SSLv3, so there is nothing to offer and no connection
            # is attempted; CloudFront would try an SSLv3 handshake, which a TLS 1.2+ origin refuses: 502
            # either way (docs/behaviours.md, "origin TLS").
            raise OriginFailure(
                "tls_no_version", f"no TLS version left to offer from {list(origin.ssl_protocols)}"
            )
        sock = self._tcp(route.address, origin)
        if route.scheme == "https":
            sock = self._tls(sock, route, origin)
        conn = http.client.HTTPConnection(*route.address, timeout=origin.read_timeout)
        conn.sock = sock
        conn.auto_open = 0  # never reconnect behind the pool's back
        with self._lock:
            self.connections_opened += 1
        return conn

    def _tcp(self, address: tuple[str, int], origin: Origin) -> socket.socket:
        last: OriginFailure | None = None
        for _ in range(max(1, origin.connection_attempts)):
            try:
                # Written down as coming from a CloudFront origin-facing address (sources.py), so that an
                # origin filtering by source (an ALB security group) sees the edge as AWS would.
                sock = connect_as(address, EDGE_SOURCE_IP, timeout=origin.connection_timeout)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return sock
            except TimeoutError:
                last = OriginFailure(
                    "connect_timeout", f"no connection to {address} within {origin.connection_timeout:g} s"
                )
            except OSError as exc:
                last = OriginFailure("connect", f"cannot connect to {address}: {exc.strerror or exc!r}")
        assert last is not None
        raise last

    def _tls(self, sock: socket.socket, route: _Route, origin: Origin) -> ssl.SSLSocket:
        ctx = self._context(route.versions)
        try:
            sock.settimeout(origin.connection_timeout)
            tls = ctx.wrap_socket(sock, server_hostname=route.sni)
        except ssl.SSLCertVerificationError as exc:
            sock.close()
            raise OriginFailure(
                "tls_certificate", f"certificate of {route.sni} not trusted: {exc.verify_message}",
                offered=route.versions, ssl_reason=exc.reason or "",
            ) from None
        except (ssl.SSLError, OSError) as exc:
            sock.close()
            offered = list(route.versions)
            raise OriginFailure(
                "tls_handshake", f"TLS handshake with {route.sni} failed offering {offered}: {exc}",
                offered=route.versions, ssl_reason=getattr(exc, "reason", None) or "",
            ) from None
        cert = tls.getpeercert() or {}
        cert_names = [value for kind, value in cert.get("subjectAltName", ()) if kind == "DNS"]
        if not any(dns_name_matches(p, n) for p in cert_names for n in route.names):
            tls.close()
            raise OriginFailure(
                "tls_certificate", f"certificate names {cert_names} match none of {list(route.names)}",
                offered=route.versions,
            )
        return tls

    def _context(self, versions: tuple[str, ...]) -> ssl.SSLContext:
        with self._lock:
            ctx = self._contexts.get(versions)
            if ctx is None:
                ctx = self.ca.client_context(versions)
                # The chain is verified by OpenSSL; the name is checked against two candidates in _tls.
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_REQUIRED
                self._contexts[versions] = ctx
            return ctx
