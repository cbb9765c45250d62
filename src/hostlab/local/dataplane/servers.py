"""The listening side shared by the proxy, the edge and the front: a threaded TCP server on loopback.

What every listener of the data plane needs, in one place:
- one thread per connection (keep-alive connections each hold one);
- the TLS handshake on that connection's thread, with a timeout, never on the accept loop, so a silent or
  slow client cannot hold up the others; a failed handshake (a version outside the allowed list, a client
  that does not trust the CA) only ends that connection;
- the accept loop sleeps until a connection or stop() arrives: an idle listener costs no CPU (socketserver's
  serve_forever wakes every poll interval to look for shutdown(); six listeners at 50 ms were about a third
  of an idle backend's CPU);
- stop() ends the connections still open (an idle keep-alive client, a tunnel) instead of leaving their
  threads and sockets behind until their timeouts fire;
- a handler that raises is logged at WARNING with its traceback (handle_error), and ends only its connection.
The timeouts here are local values, not AWS behaviour.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import socketserver
import ssl
import threading

log = logging.getLogger(__name__)

# Seconds a client gets to complete its TLS handshake.
HANDSHAKE_TIMEOUT_SECONDS = 10.0
# Pending connections the kernel queues while every thread is busy (socketserver's default is 5).
BACKLOG = 256
# How long stop() waits for the accept loop's thread.
JOIN_SECONDS = 5.0


class TrackedServer(socketserver.ThreadingTCPServer):
    """A threaded server that optionally speaks TLS and knows its open connections.

    ``track(sock)`` also registers sockets a handler opens itself (the proxy's upstream side), so stop()
    ends both sides of a tunnel.
    """

    daemon_threads = True
    block_on_close = False  # close_connections() ends the connection threads instead
    allow_reuse_address = True  # restart right after a stop, while old connections sit in TIME_WAIT
    request_queue_size = BACKLOG

    def __init__(self, address: tuple[str, int], handler, ssl_context: ssl.SSLContext | None = None):
        self.ssl_context = ssl_context
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        self._stopping = threading.Event()
        self._wake_reader, self._wake_writer = socket.socketpair()
        super().__init__(address, handler)

    def serve_until_stopped(self) -> None:
        """Accept connections until stop_serving(); select() waits on the listening socket and on a wake-up
        socket that stop_serving() writes to, with no timeout."""
        with selectors.DefaultSelector() as selector:
            selector.register(self, selectors.EVENT_READ)
            selector.register(self._wake_reader, selectors.EVENT_READ)
            while not self._stopping.is_set():
                for key, _events in selector.select():
                    if key.fileobj is self and not self._stopping.is_set():
                        self._handle_request_noblock()

    def stop_serving(self) -> None:
        """Make serve_until_stopped() return (at once, or after the connection it is accepting)."""
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._wake_writer.send(b"\0")

    def server_close(self) -> None:
        super().server_close()
        self._wake_reader.close()
        self._wake_writer.close()

    @contextlib.contextmanager
    def track(self, sock: socket.socket):
        with self._open_lock:
            self._open.add(sock)
        try:
            yield sock
        finally:
            with self._open_lock:
                self._open.discard(sock)

    def finish_request(self, request, client_address):
        connection = request
        if self.ssl_context is not None:
            try:
                request.settimeout(HANDSHAKE_TIMEOUT_SECONDS)
                connection = self.ssl_context.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as exc:
                log.debug("TLS handshake from %s failed: %s", client_address[0], exc)
                return
        # The socket in use is tracked: wrapping detaches the plain one, which then closes nothing.
        try:
            with self.track(connection):
                self.RequestHandlerClass(connection, client_address, self)
        finally:
            if connection is not request:
                with contextlib.suppress(OSError):
                    connection.close()

    def handle_error(self, request, client_address):
        """A handler raised: a bug, not a client's mistake (handlers answer bad input themselves), so it is
        logged at WARNING with its traceback, which reaches server.log (the server logs at INFO). Only that
        connection ends; the server goes on serving the others."""
        log.warning("%s: connection from %s ended with an error", self.__class__.__name__, client_address[0],
                    exc_info=True)

    def close_connections(self) -> None:
        with self._open_lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class Listener:
    """A TrackedServer serving on a background thread."""

    def __init__(self, server: TrackedServer, name: str):
        self.server = server
        self.name = name
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        host, port = self.server.server_address[:2]
        return str(host), int(port)

    def start(self) -> None:
        self._thread = threading.Thread(target=self.server.serve_until_stopped, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting, then end every open connection, so no connection thread stays behind."""
        self.server.stop_serving()
        if self._thread is not None:
            self._thread.join(JOIN_SECONDS)
        self.server.server_close()
        self.server.close_connections()
