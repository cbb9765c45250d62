"""Viewer-facing listeners: HTTP/1.1 over TLS (one listener per viewer security policy) and plain HTTP.

An SNI callback can swap the certificate of a handshake in progress but not its protocol versions, so the edge
runs one HTTPS listener per distinct set of versions and ``Edge.route`` sends each name to the right one.

Parsing uses the standard library (http.client.parse_headers) rather than http.server's request handler,
because CloudFront's limit is on the whole request head: over 20,480 bytes gets 413 and the connection is
closed (see pipeline.py for the source), which http.server's per-line limits cannot express. Malformed
requests get 400 and the connection is closed. Connections, TLS handshakes and stop() are servers.py's.

ASSUMPTION: idle viewer connections are closed after VIEWER_IDLE_TIMEOUT seconds and bodies are limited to
MAX_BODY_BYTES locally (CloudFront documents neither for this kind of request).
"""

from __future__ import annotations

import http.client
import logging
import socketserver
import ssl
from urllib.parse import urlsplit

from hostlab.local.dataplane.chunked import BodyTooLarge, read_chunked
from hostlab.local.dataplane.edge import errors
from hostlab.local.dataplane.edge.messages import EdgeResponse, ViewerRequest
from hostlab.local.dataplane.edge.pipeline import MAX_REQUEST_HEAD_BYTES, Pipeline
from hostlab.local.dataplane.servers import Listener, TrackedServer

log = logging.getLogger(__name__)

VIEWER_IDLE_TIMEOUT = 30.0
MAX_BODY_BYTES = 16 * 1024 * 1024
_METHOD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


class _HeadTooLarge(Exception):
    pass


class _BadRequest(Exception):
    pass


class _HeadReader:
    """A readline() source for http.client.parse_headers that stops at CloudFront's head size limit."""

    def __init__(self, rfile, limit: int):
        self.rfile = rfile
        self.left = limit

    def readline(self, size: int = -1) -> bytes:
        line = self.rfile.readline(self.left + 1)
        self.left -= len(line)
        if self.left < 0:
            raise _HeadTooLarge
        return line


class _ViewerHandler(socketserver.StreamRequestHandler):
    server: _ViewerServer
    timeout = VIEWER_IDLE_TIMEOUT
    disable_nagle_algorithm = True  # head and body are one write, but a 100 Continue comes first

    def handle(self) -> None:
        keep_open = True
        while keep_open:
            try:
                keep_open = self._one_request()
            except (TimeoutError, ConnectionError, ssl.SSLError):
                return

    def _one_request(self) -> bool:
        reader = _HeadReader(self.rfile, MAX_REQUEST_HEAD_BYTES)
        try:
            line = reader.readline()
            if not line:
                return False
            if line in (b"\r\n", b"\n"):  # tolerate a stray empty line between requests (RFC 9112 §2.2)
                line = reader.readline()
            method, target, version = self._request_line(line)
            headers = http.client.parse_headers(reader)  # type: ignore[arg-type]
        except _HeadTooLarge:
            self._write(errors.error_response(413, errors.BAD_REQUEST, errors.new_request_id(), close=True))
            return False
        except (_BadRequest, http.client.HTTPException, UnicodeDecodeError):
            self._write(errors.error_response(400, errors.BAD_REQUEST, errors.new_request_id(), close=True))
            return False
        pairs = list(headers.items())
        try:
            body = self._body(pairs)
        except _BadRequest:
            self._write(errors.error_response(400, errors.BAD_REQUEST, errors.new_request_id(), close=True))
            return False
        except _HeadTooLarge:
            self._write(errors.error_response(413, errors.BAD_REQUEST, errors.new_request_id(), close=True))
            return False
        if target.startswith(("http://", "https://")):  # absolute-form: keep the path and query only
            parts = urlsplit(target)
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        path, _, query = target.partition("?")
        client_ip, client_port = self.client_address[:2]
        req = ViewerRequest(
            method,
            path,
            query,
            pairs,
            body,
            self.server.scheme,
            client_ip,
            client_port,
            version.split("/", 1)[1],
        )
        try:
            resp = self.server.pipeline.handle(req)
        except Exception:
            log.exception("edge failed on %s %s", method, target)
            resp = errors.error_response(500, errors.BAD_REQUEST, errors.new_request_id(), close=True)
        connection = (req.header("connection") or "").lower()
        close = (
            resp.close or "close" in connection or (version == "HTTP/1.0" and "keep-alive" not in connection)
        )
        resp.close = close
        self._write(resp, head_only=(method == "HEAD"))
        return not close

    @staticmethod
    def _request_line(line: bytes) -> tuple[str, str, str]:
        parts = line.decode("latin-1").rstrip("\r\n").split(" ")
        if len(parts) != 3:
            raise _BadRequest
        method, target, version = parts
        if not method or not set(method) <= _METHOD_CHARS or version not in ("HTTP/1.0", "HTTP/1.1"):
            raise _BadRequest
        if not (target.startswith("/") or target.startswith(("http://", "https://")) or target == "*"):
            raise _BadRequest
        if any(ord(c) < 0x21 or ord(c) == 0x7F for c in target):
            raise _BadRequest
        return method, target, version

    def _body(self, headers: list[tuple[str, str]]) -> bytes:
        lengths = {v.strip() for n, v in headers if n.lower() == "content-length"}
        chunked = any(n.lower() == "transfer-encoding" and "chunked" in v.lower() for n, v in headers)
        expects = any(n.lower() == "expect" and v.strip().lower() == "100-continue" for n, v in headers)
        if (chunked and lengths) or len(lengths) > 1:
            raise _BadRequest
        if (chunked or lengths) and expects:
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if chunked:
            try:
                return read_chunked(self.rfile, MAX_BODY_BYTES)
            except BodyTooLarge:
                raise _HeadTooLarge from None
            except ValueError:
                raise _BadRequest from None
        if not lengths:
            return b""
        raw = lengths.pop()
        if not raw.isdigit():
            raise _BadRequest
        size = int(raw)
        if size > MAX_BODY_BYTES:
            raise _HeadTooLarge
        body = self.rfile.read(size)
        if len(body) != size:
            raise _BadRequest
        return body

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
        self, address: tuple[str, int], pipeline: Pipeline, scheme: str, ssl_context: ssl.SSLContext | None
    ):
        self.pipeline = pipeline
        self.scheme = scheme
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
    ):
        super().__init__(_ViewerServer((host, 0), pipeline, scheme, ssl_context), f"edge-{name or scheme}")
