"""The HTTP side of App Runner's front: listeners, Envoy-style answers, and the hop to the app.

App Runner fronts every service with a shared, Envoy-based request router (community evidence:
``server: envoy`` on its answers, in the reports cited for the 404 below). What this module reproduces,
with sources:

- Requests are read strictly (http1.py, h11): a malformed request line or header field, a bare CR,
  HTTP/1.1 without Host, Content-Length with Transfer-Encoding or a malformed chunked body get 400 (RFC 9112
  sections 3, 3.2, 5, 6.1, 7.1), a Transfer-Encoding other than chunked 501, a version other than 1.0/1.1
  505; a head over 60 KiB 431 (Envoy's max_request_headers_kb default, see MAX_REQUEST_HEADERS_BYTES); a
  body over settings.apprunner_max_body_bytes 413 (ASSUMPTION, see settings.py); a head not complete within
  settings.request_head_timeout 408 (ASSUMPTION). Each of these answers closes the connection. ASSUMPTION:
  the body of these local replies is the reason phrase (Envoy's own texts for them were not found).

- Unknown Host: 404, ``server: envoy``, empty body. Community evidence (tech-blog-e34.pages.dev post on
  App Runner + CloudFront 404, zenn.dev/peraichi_blog article on App Runner routing by Host); plain Envoy
  answers an unmatched route that way (envoyproxy/envoy issue 5292).
- To the app: HTTP/1.1 (AR-DG develop.html), X-Forwarded-For with the client address appended
  (AR-DG network-incoming.html "Headers"), X-Forwarded-Proto set to the listener's scheme
  (replacing a client's value is Envoy's default, an assumption: App Runner's docs only say it sets the
  header), X-Request-ID overwritten (apprunner-roadmap issue 124), no X-Forwarded-Host added
  (apprunner-roadmap issue 52),
  hop-by-hop headers removed (RFC 9110 section 7.6.1), x-envoy-* headers from the client removed (Envoy
  docs, HTTP header manipulation: Envoy cleans them from external requests).
- From the app: ``server: envoy`` replaces the app's Server header and ``x-envoy-upstream-service-time``
  is added (Envoy defaults: server_header_transformation OVERWRITE, router filter). ASSUMPTION: App Runner
  keeps these Envoy defaults. Header names are lower case, as Envoy's HTTP/1 codec writes them.
- App not reachable: 503 with the text App Runner users report
  ("upstream connect error or disconnect/reset before headers. reset reason: connection failure,
  transport failure reason: delayed connect error: 111", apprunner-roadmap issue 265).
- Request timeout: 120 s in total (AR-DG develop.html), then 504 "upstream request timeout" (Envoy's
  router answer; ASSUMPTION that App Runner shows it unchanged).
- Port 80: 301 to https (AR-DG develop.html: "App Runner redirects all incoming HTTP requests to
  corresponding HTTPS endpoints"; the 301 code: apprunner-roadmap issue 231).
"""

from __future__ import annotations

import contextlib
import logging
import socketserver
import ssl
import time
import uuid
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from typing import TYPE_CHECKING

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.util.request import SKIP_HEADER

from hostlab.local.dataplane import http1
from hostlab.local.dataplane.apps import CONNECT_TIMEOUT_SECONDS
from hostlab.local.dataplane.servers import TrackedServer

if TYPE_CHECKING:
    from hostlab.local.dataplane.apps import Deployment

log = logging.getLogger("hostlab.front.http")

# Local value, not AWS behaviour: how long an idle keep-alive connection may last.
# ASSUMPTION: App Runner's idle timeout is not documented; CloudFront closes idle origin connections
# after 5 s by default (its keep-alive timeout), long before this.
IDLE_TIMEOUT_SECONDS = 65.0
# Envoy's HttpConnectionManager max_request_headers_kb defaults to 60 KiB; a longer head gets 431 (Envoy API
# reference, HttpConnectionManager). ASSUMPTION: App Runner keeps that default.
MAX_REQUEST_HEADERS_BYTES = 60 * 1024
CHUNK_BYTES = 64 * 1024

CONNECT_FAILURE = (b"upstream connect error or disconnect/reset before headers. reset reason: connection "
                   b"failure, transport failure reason: delayed connect error: 111")
# ASSUMPTION: when the app drops the connection App Runner shows Envoy's own text for that reset reason
# (only the "connection failure" variant above has been reported from App Runner).
CONNECTION_TERMINATED = (b"upstream connect error or disconnect/reset before headers. reset reason: "
                         b"connection termination")
NO_HEALTHY_UPSTREAM = b"no healthy upstream"
REQUEST_TIMEOUT = b"upstream request timeout"

# Hop-by-hop headers (RFC 9110 section 7.6.1), plus Expect. ASSUMPTION: App Runner keeps Envoy's default of
# answering 100-continue itself rather than passing Expect to the app.
HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te",
    "trailer", "transfer-encoding", "upgrade", "expect",
})


@dataclass(frozen=True)
class Decision:
    """What the front does with a request: forward it to a deployment, or answer locally."""

    deployment: Deployment | None = None
    status: int = 404
    body: bytes = b""

    @property
    def forward(self) -> bool:
        return self.deployment is not None


NOT_FOUND = Decision(status=404)
UNAVAILABLE = Decision(status=503, body=NO_HEALTHY_UPSTREAM)


def upstream_headers(headers: list[tuple[str, str]], client_ip: str, scheme: str) -> list[tuple[str, str]]:
    """The headers the app receives, from the headers the client sent."""
    named_in_connection = {
        token.strip().lower()
        for name, value in headers if name.lower() == "connection"
        for token in value.split(",")
    }
    out: list[tuple[str, str]] = []
    forwarded_for = []
    for name, value in headers:
        key = name.lower()
        if key in HOP_BY_HOP or key in named_in_connection or key.startswith("x-envoy-"):
            continue
        if key == "x-forwarded-for":
            forwarded_for.append(value.strip())
        elif key not in ("x-forwarded-proto", "x-request-id"):
            out.append((key, value))
    # AR-DG network-incoming.html ("Headers") only says the source address is kept in X-Forwarded-For.
    # ASSUMPTION: an incoming value is kept and the address appended, as Envoy does by default.
    out.append(("x-forwarded-for", ", ".join([*forwarded_for, client_ip])))
    out.append(("x-forwarded-proto", scheme))
    out.append(("x-request-id", str(uuid.uuid4())))
    return out


def downstream_headers(headers, upstream_ms: int) -> list[tuple[str, str]]:
    """The headers the client receives, from the app's response headers (framing is added later)."""
    out = [
        (name.lower(), value)
        for name, value in headers
        if name.lower() not in HOP_BY_HOP and name.lower() not in ("server", "content-length")
    ]
    out.append(("x-envoy-upstream-service-time", str(upstream_ms)))
    out.append(("server", "envoy"))
    return out


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _head(version: str, status: int, reason: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"{version} {status} {reason}"] + [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")


class _Headers:
    """The request's header fields as sent, looked up without case (RFC 9110 section 5.1)."""

    def __init__(self, fields: list[tuple[str, str]]):
        self._fields = fields

    def get(self, name: str, default: str | None = None) -> str | None:
        lower = name.lower()
        return next((v for n, v in self._fields if n.lower() == lower), default)

    def items(self) -> list[tuple[str, str]]:
        return list(self._fields)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None


class _FrontHandler(socketserver.StreamRequestHandler):
    """Shared by both listeners: strict request reading (http1.py), Envoy-like local answers, keep-alive."""

    timeout = IDLE_TIMEOUT_SECONDS
    disable_nagle_algorithm = True  # head and body are separate writes; Nagle would delay the second
    server: FrontServer

    def handle(self) -> None:
        reader = http1.RequestReader(
            self.connection,
            max_head_bytes=MAX_REQUEST_HEADERS_BYTES,
            head_timeout=self.server.front.settings.request_head_timeout,
            idle_timeout=IDLE_TIMEOUT_SECONDS,
        )
        self.reader = reader
        http1.serve_connection(reader, self._answer, self._refuse)

    def _answer(self, head: http1.RequestHead) -> bool:
        self.head = head
        self.command, self.path = head.method, head.target
        self.request_version = f"HTTP/{head.version}"
        self.headers = _Headers(head.headers)
        self.close_connection = head.wants_close
        self.handle_any()
        return not self.close_connection

    def _refuse(self, exc: http1.RequestError) -> None:
        self.command = None  # the refused request has none; not the previous request's
        log.debug("refused a request from %s: %s", self.client_address[0], exc.detail)
        self.close_connection = True
        self.local_reply(exc.status, _phrase(exc.status).encode())

    def handle_any(self) -> None:
        raise NotImplementedError

    def local_reply(self, status: int, body: bytes = b"", extra: list[tuple[str, str]] | None = None) -> None:
        headers = [("content-length", str(len(body)))]
        if body:
            headers.append(("content-type", "text/plain"))
        headers += [("date", formatdate(usegmt=True)), ("server", "envoy"), *(extra or [])]
        if self.close_connection:
            headers.append(("connection", "close"))
        payload = _head("HTTP/1.1", status, _phrase(status), headers)
        if self.command != "HEAD":
            payload += body
        with contextlib.suppress(OSError):
            self.wfile.write(payload)

    def host_header(self) -> str:
        return self.headers.get("host", "") or ""


class HttpsHandler(_FrontHandler):
    """The TLS listener: route by Host, forward to the app, relay the answer."""

    def handle_any(self):
        arrived = time.monotonic()
        front = self.server.front
        decision = front.resolve(self.host_header(), arrived)
        body = self._read_body()
        if not decision.forward:
            return self.local_reply(decision.status, decision.body)
        self._forward(decision.deployment, body, arrived + front.settings.apprunner_request_timeout)

    def _read_body(self) -> bytes:
        """The whole request body; http1.RequestError (400, 413) when malformed or over the limit, before
        more than the limit is held in memory."""
        limit = self.server.front.settings.apprunner_max_body_bytes
        if self.reader.accept_body(self.head, limit):
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        return self.reader.read_body(self.head, limit)

    def _forward(self, deployment: Deployment, body: bytes, deadline: float) -> None:
        headers = upstream_headers(list(self.headers.items()), self.client_address[0], "https")
        present = {name for name, _ in headers}
        # urllib3 would add its own User-Agent and Accept-Encoding; the app must see only what came in.
        headers += [(name, SKIP_HEADER) for name in ("user-agent", "accept-encoding") if name not in present]
        sent = time.monotonic()
        try:
            response = deployment.pool.urlopen(
                self.command, self.path, body=body if body or self.command not in ("GET", "HEAD") else None,
                headers=urllib3.HTTPHeaderDict(headers), retries=False, redirect=False,
                assert_same_host=False, preload_content=False, decode_content=False,
                timeout=urllib3.Timeout(
                    connect=CONNECT_TIMEOUT_SECONDS, read=max(deadline - time.monotonic(), 0.001)
                ),
            )
        except ReadTimeoutError:
            return self.local_reply(504, REQUEST_TIMEOUT)
        except (NewConnectionError, ConnectTimeoutError):
            return self.local_reply(503, CONNECT_FAILURE)
        except (ProtocolError, HTTPError, OSError):
            return self.local_reply(503, CONNECTION_TERMINATED)
        self._relay(response, int((time.monotonic() - sent) * 1000), deadline)

    def _relay(self, response, upstream_ms: int, deadline: float) -> None:
        headers = downstream_headers(response.headers.items(), upstream_ms)
        status = response.status
        no_body = self.command == "HEAD" or status in (204, 304) or 100 <= status < 200
        length = response.headers.get("content-length")
        chunked = False
        if length is not None and length.strip().isdigit():
            headers.append(("content-length", length.strip()))
        elif not no_body:
            if self.request_version == "HTTP/1.1":
                chunked = True
                headers.append(("transfer-encoding", "chunked"))
            else:
                self.close_connection = True  # HTTP/1.0: the end of the body is the end of the connection
        if self.close_connection:
            headers.append(("connection", "close"))
        head = _head("HTTP/1.1", status, response.reason or "", headers)
        try:
            if no_body:
                self.wfile.write(head)
            else:
                self._stream(response, head, chunked, deadline)
        except (OSError, HTTPError, TimeoutError) as exc:
            # The client went away, or the app stalled past the deadline: like Envoy, reset the stream.
            log.debug("relay aborted: %s", exc)
            self.close_connection = True
            response.close()
            return
        response.release_conn()

    def _stream(self, response, head: bytes, chunked: bool, deadline: float) -> None:
        pending = head
        for chunk in response.stream(CHUNK_BYTES, decode_content=False):
            if time.monotonic() > deadline:
                raise TimeoutError("request timeout while streaming the response")
            if chunk:
                pending += b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk
                self.wfile.write(pending)
                pending = b""
        if chunked:
            pending += b"0\r\n\r\n"
        if pending:
            self.wfile.write(pending)


class HttpHandler(_FrontHandler):
    """Port 80: a known service name is redirected to https with 301; anything else is Envoy's 404."""

    def handle_any(self):
        # The body is never read here: a request that has one ends the connection, and the answer says so.
        self.close_connection = self.close_connection or self.head.has_body
        host = self.host_header()
        if not self.server.front.redirects(host, time.monotonic()):
            return self.local_reply(404)
        self.local_reply(301, extra=[("location", f"https://{host.rsplit(':', 1)[0]}{self.path}")])


class FrontServer(TrackedServer):
    """A listener of the front (see servers.py), knowing the front its handlers ask."""

    def __init__(self, address, handler, front, ssl_context: ssl.SSLContext | None = None):
        self.front = front
        super().__init__(address, handler, ssl_context)
