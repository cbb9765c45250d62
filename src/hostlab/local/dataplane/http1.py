"""Reading HTTP/1.1 requests strictly, for the edge's viewer listeners and App Runner's front.

The request side is framed by h11 (python-hyper/h11, a strict HTTP/1.1 state machine). h11 refuses, as
RFC 9112 asks, a request line without a version or with a malformed method or target (section 3), header
lines with a bare CR, a space before the colon or another malformed field (section 5, and 2.2 on bare CR),
an HTTP/1.1 request without Host or with two (RFC 9112 section 3.2: "A server MUST respond with a 400"),
a Content-Length that is not digits or has conflicting values (section 6.3), a Transfer-Encoding other than
chunked (501 hint), and a malformed chunked body (section 7.1). On top of h11, this module:
- refuses Content-Length together with Transfer-Encoding (RFC 9112 section 6.1: a server MAY reject such a
  request; section 6.3 item 3 says it "ought to be handled as an error", since it is how requests are
  smuggled); h11 would let Transfer-Encoding win and forward the request;
- accepts only HTTP/1.0 and HTTP/1.1 (h11 parses any digit.digit);
- measures the head exactly and refuses one over the caller's limit (h11's own limit only applies while the
  head is incomplete);
- cuts a head that takes longer than ``head_timeout`` in total, counted from its first byte (per-read timeouts
  never end a client that sends one byte at a time);
- refuses a declared body over the caller's limit before reading any of it, and stops a chunked body as soon
  as it passes the limit, so no request holds more than the limit in memory.

Responses are still written by the listeners: their exact bytes (Envoy's lower-case names at the front,
CloudFront's pages and header order at the edge) are what the tests pin. One h11.Connection per request;
bytes received past a request (a pipelined next request) start the next one.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import h11

RECV_BYTES = 64 * 1024
# After an error answer that closes the connection, how long and how much the client's unread input is
# drained before closing: closing with unread input makes the kernel send a reset, which can destroy the
# answer before the client reads it ("lingering close", as Apache httpd and nginx do).
LINGER_SECONDS = 2.0
LINGER_BYTES = 64 * 1024 * 1024


class RequestError(Exception):
    """A request the server must refuse; ``status`` is the strict answer, ``detail`` says why."""

    status = 400

    def __init__(self, detail: str, status: int | None = None):
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status


class HeadTooLarge(RequestError):
    status = 431  # RFC 6585 section 5; the edge answers CloudFront's 413 instead


class BodyTooLarge(RequestError):
    status = 413  # RFC 9110 section 15.5.14


class HeadTimeout(RequestError):
    status = 408  # RFC 9110 section 15.5.9


@dataclass
class RequestHead:
    method: str
    target: str
    version: str  # "1.0" or "1.1"
    headers: list[tuple[str, str]]  # names as sent, in order, duplicates kept
    size: int  # bytes of the request line and header lines, final empty line included
    chunked: bool
    length: int | None  # the Content-Length, None when absent or chunked

    def header(self, name: str) -> str | None:
        lower = name.lower()
        return next((v for n, v in self.headers if n.lower() == lower), None)

    @property
    def has_body(self) -> bool:
        return self.chunked or bool(self.length)

    @property
    def expects_continue(self) -> bool:
        return self.version == "1.1" and (self.header("expect") or "").strip().lower() == "100-continue"

    @property
    def wants_close(self) -> bool:
        """The client ends the connection after this request: `Connection: close`, or HTTP/1.0 without
        keep-alive (RFC 9112 section 9.3)."""
        connection = (self.header("connection") or "").lower()
        return "close" in connection or (self.version == "1.0" and "keep-alive" not in connection)


class RequestReader:
    """Reads the requests of one connection, one after the other."""

    def __init__(self, sock: socket.socket, *, max_head_bytes: int, head_timeout: float, idle_timeout: float):
        self.sock = sock
        self.max_head_bytes = max_head_bytes
        self.head_timeout = head_timeout
        self.idle_timeout = idle_timeout
        self._pending = b""  # bytes received after the previous request
        self._conn: h11.Connection | None = None
        self.body_done = True  # False while a request's body has not been read to its end

    # -- the head --------------------------------------------------------------------------------------------

    def read_head(self) -> RequestHead | None:
        """The next request's head; None when the client closed or stayed idle between requests.

        RequestError (or a subclass) when the head must be refused."""
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=self.max_head_bytes)
        self._conn = conn
        self.body_done = False
        # RFC 9112 section 2.2: empty lines before a request line are ignored.
        data, self._pending = self._pending.lstrip(b"\r\n"), b""
        fed = 0
        deadline = time.monotonic() + self.head_timeout if data else None
        while True:
            if data:
                conn.receive_data(data)
                fed += len(data)
                data = b""
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                if exc.error_status_hint == 431:
                    raise HeadTooLarge(str(exc)) from None
                raise RequestError(str(exc), exc.error_status_hint) from None
            if isinstance(event, h11.Request):
                break
            if event is not h11.NEED_DATA:
                raise RequestError(f"unexpected {type(event).__name__}")
            if deadline is None:
                chunk = self._recv(self.idle_timeout)
                if chunk is None or not chunk:
                    return None  # idle past the timeout, or closed, between requests
                data = chunk.lstrip(b"\r\n")
                if data:
                    deadline = time.monotonic() + self.head_timeout
                continue
            left = deadline - time.monotonic()
            chunk = self._recv(left) if left > 0 else None
            if chunk is None:
                raise HeadTimeout(f"request head not complete within {self.head_timeout:g} s")
            if not chunk:
                return None  # closed in the middle of a head: nobody to answer
            data = chunk
        size = fed - len(conn.trailing_data[0])
        if size > self.max_head_bytes:
            raise HeadTooLarge(f"request head of {size} bytes")
        version = event.http_version.decode()
        if version not in ("1.0", "1.1"):
            raise RequestError(f"HTTP/{version} is not supported", 505)
        headers = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in event.headers.raw_items()]
        lowered = {n.lower() for n, _ in headers}
        chunked = "transfer-encoding" in lowered
        if chunked and "content-length" in lowered:
            raise RequestError("both Content-Length and Transfer-Encoding")
        length = None
        if not chunked and "content-length" in lowered:
            length = int(next(v for n, v in event.headers if n == b"content-length"))
        head = RequestHead(
            event.method.decode("ascii"), event.target.decode("latin-1"), version, headers, size, chunked,
            length,
        )
        if not head.has_body:
            for _ in self.body(head, 0):  # h11's EndOfMessage: no byte to read, the next request may follow
                pass
        return head

    # -- the body --------------------------------------------------------------------------------------------

    def accept_body(self, head: RequestHead, max_bytes: int) -> bool:
        """Before reading a body: BodyTooLarge when its declared length is over ``max_bytes``, so a client
        waiting on ``Expect: 100-continue`` gets the final answer instead of a 100 (RFC 9110 section
        10.1.1); else whether a 100 Continue should be sent now."""
        if head.length is not None and head.length > max_bytes:
            raise BodyTooLarge(f"Content-Length {head.length} over {max_bytes}")
        return head.has_body and head.expects_continue and not self.body_done

    def body(self, head: RequestHead, max_bytes: int) -> Iterator[bytes]:
        """The body's pieces as they arrive; BodyTooLarge past ``max_bytes`` (a declared length over it is
        refused before anything is read), RequestError when malformed or cut short."""
        if self.body_done:  # a request without a body (read_head has consumed its end already)
            return
        if head.length is not None and head.length > max_bytes:
            raise BodyTooLarge(f"Content-Length {head.length} over {max_bytes}")
        conn = self._conn
        assert conn is not None
        total = 0
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError as exc:
                raise RequestError(str(exc)) from None
            if event is h11.NEED_DATA:
                chunk = self._recv(self.idle_timeout)
                if chunk is None:
                    raise TimeoutError("request body stalled")
                conn.receive_data(chunk)
            elif isinstance(event, h11.Data):
                total += len(event.data)
                if total > max_bytes:
                    raise BodyTooLarge(f"body over {max_bytes} bytes")
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                self._pending = conn.trailing_data[0]
                self.body_done = True
                return
            else:
                raise RequestError(f"unexpected {type(event).__name__}")

    def read_body(self, head: RequestHead, max_bytes: int) -> bytes:
        out = bytearray()
        for piece in self.body(head, max_bytes):
            out += piece
        return bytes(out)

    # -- the socket ------------------------------------------------------------------------------------------

    def _recv(self, timeout: float) -> bytes | None:
        """Bytes from the client, b"" at its end, None after ``timeout`` seconds without any."""
        self.sock.settimeout(max(timeout, 0.001))
        try:
            return self.sock.recv(RECV_BYTES)
        except TimeoutError:
            return None

    def linger(self) -> None:
        """Before closing after an error answer: stop sending, then drain what the client still sends for a
        bounded time and amount, so its pending input does not turn into a reset that eats the answer."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + LINGER_SECONDS
        drained = 0
        with contextlib.suppress(OSError, ValueError):
            while drained < LINGER_BYTES:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.sock.settimeout(left)
                chunk = self.sock.recv(RECV_BYTES)
                if not chunk:
                    break
                drained += len(chunk)


def serve_connection(
    reader: RequestReader,
    answer: Callable[[RequestHead], bool],
    refuse: Callable[[RequestError], None],
) -> None:
    """Answer the requests of one connection, one after the other, until either side ends it (the
    keep-alive loop of the platforms' fronts).

    ``answer(head)`` answers one request and says whether the connection may go on. ``refuse(error)`` answers
    a request the reader refused; the connection then ends, after the client's unread input is drained. So
    does a connection whose last request was answered without its body being read to its end.
    """
    while True:
        try:
            head = reader.read_head()
            if head is None:
                return
            goes_on = answer(head)
        except RequestError as exc:
            refuse(exc)
            reader.linger()
            return
        except (TimeoutError, ConnectionError, ssl.SSLError):
            return
        if not reader.body_done:  # answered without reading the body: the connection cannot go on
            reader.linger()
            return
        if not goes_on:
            return
