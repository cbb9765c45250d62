"""The HTTP side of the shared ALB: strict request reading, rule evaluation, the hop to a target, and the
load balancer's own answers.

Sources (ELB-ALB = ELB user guide for Application Load Balancers, docs.aws.amazon.com/elasticloadbalancing/
latest/application/):
- Requests are read by the data plane's strict HTTP/1.1 reader (dataplane/http1.py, h11); a malformed one
  gets 400 and the connection closes (ELB-ALB load-balancer-troubleshooting.html, "HTTP 400: Bad request").
- Headers added towards the target (ELB-ALB x-forwarded-headers.html): X-Forwarded-For with the client's
  address appended to any value the client sent (routing.http.xff_header_processing.mode, default
  "append"); X-Forwarded-Proto, the protocol the client used to reach the listener; X-Forwarded-Port, the
  listener's port. X-Amzn-Trace-Id (ELB-ALB load-balancer-request-tracing.html): added with a Root field
  when absent; a Self field inserted when the request carries a Root; an existing Self field updated.
  No X-Forwarded-Host is added (the page lists only the three X-Forwarded headers). Host goes through
  unchanged (ASSUMPTION for the HTTPS listener on 443: with routing.http.preserve_host_header.enabled at
  its default false the ALB appends the listener port to Host when it is not the scheme's default one,
  per AWS's announcement on re:Post "New ALB enhancements provide options to specify how to process Host
  header and X-Forwarded-For header"; on 443 nothing changes).
  ASSUMPTION: an X-Forwarded-Proto or X-Forwarded-Port the client sent is replaced, not kept.
- To the target: HTTP/1.1 (ELB-ALB load-balancer-target-groups.html, "Protocol version": HTTP/1.1 by
  default), round robin across the group's healthy targets (same page, "Routing algorithms": round robin
  is the default); when no target is healthy the load balancer routes to all of them ("fail open",
  target-group-health-checks.html).
- Its own answers carry ``server: awselb/2.0`` (ELB-ALB header-modification.html: the
  routing.http.response.server.enabled attribute, default true, lets the load balancer send its Server
  header; value as in public captures, e.g. esi/esi-issues issue 902, 2018-05-05, a 502 with
  ``Server: awselb/2.0``). Error answers are small HTML pages (same capture; current body without the
  bgcolor attribute, as 2021 to 2026 captures show with Content-Length 122 for 502 and 162 for 503).
- 503 when the target group has no registered target; 502 when the target refuses the connection or
  closes it before answering; 504 when the target does not answer within the idle timeout (60 s default,
  routing attribute idle_timeout.timeout_seconds) (ELB-ALB load-balancer-troubleshooting.html, HTTP 502,
  503 and 504).
- Response headers from the target go to the client unchanged but for hop-by-hop ones (RFC 9110 7.6.1):
  the ALB does not replace the target's Server header (ASSUMPTION, consistent with the attribute above
  only governing the load balancer's own answers).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socketserver
import time
from email.utils import formatdate
from http import HTTPStatus
from urllib.parse import urlsplit

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
from hostlab.local.platforms.express.alb_rules import (
    Request,
    choose_target_group,
    matching_rule,
    redirect_location,
)

log = logging.getLogger("hostlab.express.http")

SERVER = "awselb/2.0"
# ELB quotas (ELB-ALB load-balancer-limits.html, "HTTP header limits": request line 16 K, a single header
# 16 K, the whole header 64 K).
MAX_REQUEST_HEADERS_BYTES = 64 * 1024
# Local value, not AWS behaviour: the most of a request body held in memory at once.
MAX_BODY_BYTES = 64 * 1024 * 1024
# The idle timeout's default (ELB-ALB application-load-balancers.html, "Connection idle timeout": 60 s).
IDLE_TIMEOUT_SECONDS = 60.0
CONNECT_TIMEOUT_SECONDS = 10.0  # local value: a target on loopback answers at once or not at all
CHUNK_BYTES = 64 * 1024

HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization", "te",
    "trailer", "transfer-encoding", "upgrade", "expect",
})
REPLACED = frozenset({"x-forwarded-for", "x-forwarded-proto", "x-forwarded-port", "x-amzn-trace-id"})
# The reason phrases of the load balancer's own pages (nginx's, as the captures show).
REASONS = {503: "Service Temporarily Unavailable"}


def reason(status: int) -> str:
    if status in REASONS:
        return REASONS[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def error_page(status: int) -> bytes:
    title = f"{status} {reason(status)}"
    return (f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>"
            f"\r\n</body>\r\n</html>\r\n").encode()


def trace_id(incoming: str | None, now: float | None = None) -> str:
    """X-Amzn-Trace-Id towards the target (module docstring)."""
    fresh = f"1-{int(now if now is not None else time.time()):08x}-{os.urandom(12).hex()}"
    fields = [f.strip() for f in (incoming or "").split(";") if f.strip()]
    if not any(f.startswith("Root=") for f in fields):
        return f"Root={fresh}"
    others = [f for f in fields if not f.startswith("Self=")]
    return ";".join([f"Self={fresh}", *others])


def upstream_headers(headers: list[tuple[str, str]], source_ip: str, protocol: str, port: int
                     ) -> list[tuple[str, str]]:
    """What the target receives, from what the client sent (module docstring)."""
    named = {t.strip().lower() for n, v in headers if n.lower() == "connection" for t in v.split(",")}
    out: list[tuple[str, str]] = []
    forwarded_for: list[str] = []
    trace = None
    for name, value in headers:
        key = name.lower()
        if key in HOP_BY_HOP or key in named:
            continue
        if key == "x-forwarded-for":
            forwarded_for.append(value.strip())
        elif key == "x-amzn-trace-id":
            trace = value
        elif key not in REPLACED:
            out.append((name, value))
    out.append(("X-Forwarded-For", ", ".join([*forwarded_for, source_ip])))
    out.append(("X-Forwarded-Proto", protocol.lower()))
    out.append(("X-Forwarded-Port", str(port)))
    out.append(("X-Amzn-Trace-Id", trace_id(trace)))
    return out


def _head(status: int, phrase: str, headers: list[tuple[str, str]]) -> bytes:
    lines = [f"HTTP/1.1 {status} {phrase}"] + [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")


class AlbHandler(socketserver.StreamRequestHandler):
    """One client connection to one listener of one load balancer."""

    timeout = IDLE_TIMEOUT_SECONDS
    disable_nagle_algorithm = True
    # server: alb_front.AlbListenerServer (front, listener_view()); not imported here, alb_front imports us.

    def setup(self):
        super().setup()
        # The server hands over the address the connection stands for (dataplane/sources.py), not loopback.
        self.source_ip = self.client_address[0]

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
        self.command = head.method
        self.close_connection = head.wants_close
        self.handle_request(head)
        return not self.close_connection

    def _refuse(self, exc: http1.RequestError) -> None:
        self.command = None  # the refused request has none; not the previous request's
        log.debug("refused a request from %s: %s", self.source_ip, exc.detail)
        self.close_connection = True
        status = 400 if exc.status in (431, 408) else exc.status
        self.local_reply(status, error_page(status), "text/html")

    # -- one request ---------------------------------------------------------------------------------------

    def handle_request(self, head: http1.RequestHead) -> None:
        listener = self.server.listener_view()
        if listener is None:  # the listener was deleted while the connection was open
            self.close_connection = True
            return
        target = urlsplit(head.target if head.target.startswith("/") else "/" + head.target.split("/", 3)[-1])
        request = Request(
            host=head.header("host") or "",
            path=target.path or "/",
            query=target.query,
            method=head.method,
            headers=tuple(head.headers),
            source_ip=self.source_ip,
            protocol=listener.protocol,
            port=listener.port,
        )
        rule = matching_rule(listener.rules, request)
        body = self.reader.read_body(head, MAX_BODY_BYTES)
        action = rule.action if rule is not None else None
        if action is None or action.type not in ("forward", "fixed-response", "redirect"):
            return self.local_reply(503, error_page(503), "text/html")
        if action.type == "fixed-response":
            content_type = action.content_type or "text/plain"
            return self.local_reply(action.status, action.body.encode(), f"{content_type}; charset=utf-8")
        if action.type == "redirect":
            # ASSUMPTION: the redirect carries the same kind of HTML page as the error answers.
            return self.local_reply(action.status, error_page(action.status), "text/html",
                                    [("Location", redirect_location(action, request))])
        group = choose_target_group(action, self.server.front.rng)
        address = self.server.front.pick_target(group) if group else None
        if address is None:
            return self.local_reply(503, error_page(503), "text/html")
        self.forward(address, head, body, listener.protocol, listener.port)

    def forward(self, address: tuple[str, int], head: http1.RequestHead, body: bytes, protocol: str,
                port: int) -> None:
        headers = upstream_headers(list(head.headers), self.source_ip, protocol, port)
        present = {name.lower() for name, _ in headers}
        skipped = [name for name in ("User-Agent", "Accept-Encoding") if name.lower() not in present]
        headers += [(name, SKIP_HEADER) for name in skipped]
        pool = self.server.front.pool(address)
        try:
            response = pool.urlopen(
                head.method, head.target, body=body if body or head.method not in ("GET", "HEAD") else None,
                headers=urllib3.HTTPHeaderDict(headers), retries=False, redirect=False,
                assert_same_host=False, preload_content=False, decode_content=False,
                timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT_SECONDS, read=IDLE_TIMEOUT_SECONDS),
            )
        except ReadTimeoutError:
            return self.local_reply(504, error_page(504), "text/html")
        except (NewConnectionError, ConnectTimeoutError, ProtocolError, HTTPError, OSError):
            return self.local_reply(502, error_page(502), "text/html")
        self.relay(response)

    def relay(self, response) -> None:
        headers = [(n, v) for n, v in response.headers.items() if n.lower() not in HOP_BY_HOP
                   and n.lower() != "content-length"]
        status = response.status
        no_body = self.command == "HEAD" or status in (204, 304) or 100 <= status < 200
        length = response.headers.get("content-length")
        chunked = False
        if length is not None and length.strip().isdigit():
            headers.append(("Content-Length", length.strip()))
        elif not no_body:
            if self.head.version == "1.1":
                chunked = True
                headers.append(("Transfer-Encoding", "chunked"))
            else:
                self.close_connection = True
        if self.close_connection:
            headers.append(("Connection", "close"))
        pending = _head(status, response.reason or reason(status), headers)
        try:
            if not no_body:
                for chunk in response.stream(CHUNK_BYTES, decode_content=False):
                    if chunk:
                        pending += b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk
                        self.wfile.write(pending)
                        pending = b""
                if chunked:
                    pending += b"0\r\n\r\n"
            if pending:
                self.wfile.write(pending)
        except (OSError, HTTPError, TimeoutError) as exc:
            log.debug("relay aborted: %s", exc)
            self.close_connection = True
            response.close()
            return
        response.release_conn()

    def local_reply(self, status: int, body: bytes, content_type: str,
                    extra: list[tuple[str, str]] | None = None) -> None:
        headers = [
            ("Server", SERVER),
            ("Date", formatdate(usegmt=True)),
            ("Content-Type", content_type),
            ("Content-Length", str(len(body))),
            *(extra or []),
            ("Connection", "close" if self.close_connection else "keep-alive"),
        ]
        payload = _head(status, reason(status), headers)
        if self.command != "HEAD":
            payload += body
        with contextlib.suppress(OSError):
            self.wfile.write(payload)
