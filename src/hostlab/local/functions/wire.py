"""Messages between the backend and a CloudFront Functions worker: JSON, each prefixed by its length.

Plain file descriptors (os.read / os.write) rather than buffered files: the backend waits for an answer with
poll() and a deadline, which only works when no bytes hide in a Python buffer. poll() rather than select(),
which cannot watch a descriptor numbered 1024 or more, and a busy backend holds many sockets. Standard library
only, so a worker imports nothing heavy.
"""

from __future__ import annotations

import json
import math
import os
import select
import struct
import time
from typing import Any

_HEADER = struct.Struct(">I")
# A frame carries at most an event or a result: a viewer request's headers, or a returned object that fitted
# in the function's 2 MB of memory. Anything bigger is a broken peer, not a message.
MAX_FRAME_BYTES = 16 * 1024 * 1024


class PeerGone(EOFError):
    """The other end closed its pipe (it exited or was killed) or sent something that is not a frame."""


class PeerReset(PeerGone):
    """The other end closed without reading all that was sent to it: on a Unix socket, a read then fails with
    ECONNRESET instead of end of file (Linux unix(7) sockets; checked in tests/test_function_wire.py). A
    worker reads a whole request before it runs anything, so a request met with this never ran."""


class Deadline(TimeoutError):
    """No complete answer before the deadline."""


def readable(fd: int, timeout: float) -> bool:
    """True once ``fd`` has data or reached end of file (or failed), False after ``timeout`` seconds."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(max(0, math.ceil(timeout * 1000))))


def encode(message: Any) -> bytes:
    body = json.dumps(message, separators=(",", ":")).encode()
    return _HEADER.pack(len(body)) + body


def write(fd: int, message: Any) -> None:
    data = memoryview(encode(message))
    while data:
        try:
            sent = os.write(fd, data)
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise PeerGone(str(exc)) from None
        data = data[sent:]


def read(fd: int, deadline: float | None = None) -> Any:
    """One message from ``fd``; waits until ``deadline`` (time.monotonic()) or forever when None."""
    header = _read_exactly(fd, _HEADER.size, deadline)
    (size,) = _HEADER.unpack(header)
    if size > MAX_FRAME_BYTES:
        raise PeerGone(f"a frame of {size} bytes is over the {MAX_FRAME_BYTES}-byte limit")
    try:
        return json.loads(_read_exactly(fd, size, deadline))
    except ValueError as exc:
        raise PeerGone(f"not a JSON frame: {exc}") from None


def _read_exactly(fd: int, size: int, deadline: float | None) -> bytes:
    chunks: list[bytes] = []
    missing = size
    while missing:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not readable(fd, remaining):
                raise Deadline()
        try:
            chunk = os.read(fd, min(missing, 1 << 20))
        except ConnectionResetError as exc:
            raise PeerReset(str(exc)) from None
        if not chunk:
            raise PeerGone("end of file")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)
