"""Reading a ``Transfer-Encoding: chunked`` request body (RFC 9112 section 7.1), for the edge and the front.

http.server and http.client parse request heads but leave request bodies to the handler. Both listeners
read the whole body before passing the request on, so the next hop gets a Content-Length; request trailers
are dropped (CloudFront removes Trailer: see edge/origin_request.py; the front is HTTP/1.1 to the app).
"""

from __future__ import annotations

# Longest chunk-size line read (hex size plus chunk extensions); longer lines are malformed here.
MAX_SIZE_LINE_BYTES = 1024
MAX_TRAILER_LINE_BYTES = 8192


class BodyTooLarge(ValueError):
    """The chunks add up to more than the caller's limit."""


def read_chunked(stream, max_bytes: int | None = None) -> bytes:
    """The body of a chunked request from ``stream`` (a buffered binary file); ValueError when malformed,
    BodyTooLarge (a ValueError) past ``max_bytes``."""
    parts: list[bytes] = []
    total = 0
    while True:
        line = stream.readline(MAX_SIZE_LINE_BYTES + 2)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise ValueError(f"bad chunk size line {line[:40]!r}") from None
        if size < 0:
            raise ValueError("negative chunk size")
        if size == 0:
            while stream.readline(MAX_TRAILER_LINE_BYTES) not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(parts)
        total += size
        if max_bytes is not None and total > max_bytes:
            raise BodyTooLarge(f"chunked body over {max_bytes} bytes")
        chunk = stream.read(size)
        if len(chunk) != size or stream.readline(3) not in (b"\r\n", b"\n"):
            raise ValueError("chunk shorter than its size, or not followed by CRLF")
        parts.append(chunk)
