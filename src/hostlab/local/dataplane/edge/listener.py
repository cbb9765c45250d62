"""Viewer-facing listeners: HTTP/1.1 over TLS (one listener per viewer security policy) and plain HTTP.

An SNI callback can swap the certificate of a handshake in progress but not its protocol versions, so the edge
runs one HTTPS listener per distinct set of versions and ``Edge.route`` sends each name to the right one.

Requests are read by http1.RequestReader (h11, strict RFC 9112 framing). The answers:
- a head over 20,480 bytes: 413 and the connection is closed (CloudFront's limit on the whole request head,
  see pipeline.py for the source);
- anything h11 or http1 refuses (a malformed request line or header line, a bare CR, HTTP/1.1 without Host,
  Content-Length with Transfer-Encoding, a malformed chunked body, a version other than 1.0 and 1.1): 400
  with CloudFront's error page, then the connection is closed (RFC 9112 sections 3, 3.2, 5, 6.1, 7.1).
  ASSUMPTION: CloudFront uses its "Bad request." page for all of them;
- a body over settings.cloudfront_max_body_bytes: 413 and close (ASSUMPTION, see settings.py);
- a head not complete within settings.request_head_timeout from its first byte: 408 and close (ASSUMPTION).
Connections, TLS handshakes and stop() are servers.py's.

ASSUMPTION: idle viewer connections are closed after VIEWER_IDLE_TIMEOUT seconds (CloudFront documents no
value for viewers).
"""

from __future__ import annotations

import logging
import socketserver
import ssl
from urllib.parse import urlsplit

from hostlab.local.dataplane import http1
from hostlab.local.dataplane.edge import errors
from hostlab.local.dataplane.edge.messages import EdgeResponse, ViewerRequest
from hostlab.local.dataplane.edge.pipeline import MAX_REQUEST_HEAD_BYTES, Pipeline
from hostlab.local.dataplane.servers import Listener, TrackedServer
from hostlab.settings import Settings

log = logging.getLogger(__name__)

VIEWER_IDLE_TIMEOUT = 30.0
_METHOD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


class _ViewerHandler(socketserver.StreamRequestHandler):
    server: _ViewerServer
    timeout = VIEWER_IDLE_TIMEOUT
    disable_nagle_algorithm = True  # head and body are one write, but a 100 Continue comes first

    def handle(self) -> None:
        reader = http1.RequestReader(
            self.connection,
            max_head_bytes=MAX_REQUEST_HEAD_BYTES,
            head_timeout=self.server.head_timeout,
            idle_timeout=VIEWER_IDLE_TIMEOUT,
        )
        keep_open = True
        while keep_open:
            try:
                keep_open = self._one_request(reader)
            except http1.RequestError as exc:
                log.debug("refused a request from %s: %s", self.client_address[0], exc.detail)
                self._write(errors.error_response(self._status_for(exc), errors.BAD_REQUEST,
                                                  errors.new_request_id(), close=True))
                reader.linger()
                return
            except (TimeoutError, ConnectionError, ssl.SSLError):
                return

    @staticmethod
    def _status_for(exc: http1.RequestError) -> int:
        """413 for a head or a body too large (pipeline.py), 408 for a slow head, 400 for the rest."""
        if isinstance(exc, (http1.HeadTooLarge, http1.BodyTooLarge)):
            return 413
        if isinstance(exc, http1.HeadTimeout):
            return 408
        return 400

    def _one_request(self, reader: http1.RequestReader) -> bool:
        head = reader.read_head()
        if head is None:
            return False
        self._check_request_line(head.method, head.target)
        if reader.accept_body(head, self.server.max_body_bytes):
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = reader.read_body(head, self.server.max_body_bytes)
        target = head.target
        if target.startswith(("http://", "https://")):  # absolute-form: keep the path and query only
            parts = urlsplit(target)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        path, _, query = target.partition("?")
        client_ip, client_port = self.client_address[:2]
        req = ViewerRequest(
            head.method,
            path,
            query,
            head.headers,
            body,
            self.server.scheme,
            client_ip,
            client_port,
            head.version,
        )
        try:
            resp = self.server.pipeline.handle(req)
        except Exception:
            log.exception("edge failed on %s %s", head.method, head.target)
            resp = errors.error_response(500, errors.BAD_REQUEST, errors.new_request_id(), close=True)
        connection = (req.header("connection") or "").lower()
        close = (
            resp.close or "close" in connection or (head.version == "1.0" and "keep-alive" not in connection)
        )
        resp.close = close
        self._write(resp, head_only=(head.method == "HEAD"))
        return not close

    @staticmethod
    def _check_request_line(method: str, target: str) -> None:
        """What CloudFront takes beyond h11's grammar: upper-case methods, and origin-form, absolute-form or
        "*" targets without control characters."""
        if not set(method) <= _METHOD_CHARS:
            raise http1.RequestError(f"method {method!r}")
        if not (target.startswith("/") or target.startswith(("http://", "https://")) or target == "*"):
            raise http1.RequestError(f"request target {target[:40]!r}")
        if any(ord(c) < 0x21 or ord(c) == 0x7F for c in target):
            raise http1.RequestError("control character in the request target")

    def _write(self, resp: EdgeResponse, head_only: bool = False) -> None:
        no_body = resp.status < 200 or resp.status in (204, 304)
        lines = [f"HTTP/1.1 {resp.status} {resp.reason}".rstrip()]
        lines += [f"{name}: {value}" for name, value in resp.headers]
        if not no_body and resp.header("content-length") is None:
            lines.append(f"Content-Length: {len(resp.body)}")
        lines.append("Connection: close" if resp.close else "Connection: keep-alive")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        self.wfile.write(head if (head_only or no_body) else head + resp.body)


class _ViewerServer(TrackedServer):
    def __init__(
        self,
        address: tuple[str, int],
        pipeline: Pipeline,
        scheme: str,
        ssl_context: ssl.SSLContext | None,
        settings: Settings,
    ):
        self.pipeline = pipeline
        self.scheme = scheme
        self.head_timeout = settings.request_head_timeout
        self.max_body_bytes = settings.cloudfront_max_body_bytes
        super().__init__(address, _ViewerHandler, ssl_context)


class ViewerListener(Listener):
    """One listening socket on loopback serving viewers with ``pipeline``."""

    def __init__(
        self,
        host: str,
        pipeline: Pipeline,
        *,
        scheme: str,
        ssl_context: ssl.SSLContext | None = None,
        name: str = "",
        settings: Settings | None = None,
    ):
        server = _ViewerServer((host, 0), pipeline, scheme, ssl_context, settings or Settings())
        super().__init__(server, f"edge-{name or scheme}")
