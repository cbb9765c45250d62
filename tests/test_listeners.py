"""servers.py, the listening side of the proxy, the edge and the front: TLS handshakes on each connection's
own thread, a failed handshake ending only its connection, and stop() ending the connections still open;
plus the small helpers the listeners share (chunked bodies, host names, the local CA)."""

from __future__ import annotations

import io
import socket
import socketserver
import ssl
import threading

import pytest

from hostlab.local.dataplane.chunked import BodyTooLarge, read_chunked
from hostlab.local.dataplane.edge.listener import ViewerListener
from hostlab.local.dataplane.edge.messages import EdgeResponse
from hostlab.local.dataplane.servers import Listener, TrackedServer
from hostlab.local.dataplane.tls import LocalCA, restrict_versions
from hostlab.names import normalise_host

TIMEOUT = 10.0  # seconds, for every socket and wait here
NAME = "svc.test"


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return LocalCA(tmp_path_factory.mktemp("listeners-ca"))


class LineEcho(socketserver.StreamRequestHandler):
    """Answers each line with the same line, until the client ends; records that its thread ended."""

    timeout = TIMEOUT
    ended = threading.Event()

    def handle(self):
        try:
            while line := self.rfile.readline():
                self.wfile.write(line)
        finally:
            type(self).ended.set()


@pytest.fixture
def tls_listener(ca):
    handler = type("Echo", (LineEcho,), {"ended": threading.Event()})
    context = ca.server_context([NAME], ["TLSv1.2", "TLSv1.3"])
    listener = Listener(TrackedServer(("127.0.0.1", 0), handler, context), "test-listener")
    listener.start()
    yield listener, handler
    listener.stop()


def tls_client(ca, address, versions=("TLSv1.2", "TLSv1.3")) -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=str(ca.ca_pem))
    restrict_versions(context, versions)
    return context.wrap_socket(socket.create_connection(address, timeout=TIMEOUT), server_hostname=NAME)


def exchange(sock: ssl.SSLSocket, line: bytes) -> bytes:
    sock.sendall(line)
    return sock.recv(1024)


def test_a_silent_client_does_not_hold_up_other_handshakes(ca, tls_listener):
    listener, _ = tls_listener
    # The first connection never says hello; the second must be served all the same.
    silent = socket.create_connection(listener.address, timeout=TIMEOUT)
    with silent, tls_client(ca, listener.address) as other:
        assert exchange(other, b"hello\n") == b"hello\n"


def test_a_failed_handshake_ends_only_its_connection(ca, tls_listener):
    listener, _ = tls_listener
    with pytest.raises(ssl.SSLError):
        tls_client(ca, listener.address, versions=("TLSv1",))
    with tls_client(ca, listener.address) as good:
        assert exchange(good, b"still serving\n") == b"still serving\n"


def test_stop_ends_an_idle_keep_alive_connection_and_its_thread(ca, tls_listener):
    listener, handler = tls_listener
    with tls_client(ca, listener.address) as idle:
        assert exchange(idle, b"one\n") == b"one\n"
        listener.stop()
        assert idle.recv(1024) == b""  # ended by stop(), not by the handler's 10 s timeout
    assert handler.ended.wait(TIMEOUT)


class _OnePage:
    """A stand-in for the edge's pipeline: every request gets the same small page."""

    def handle(self, _request):
        return EdgeResponse(200, "OK", [("Content-Type", "text/plain")], b"page")


def test_the_edge_listener_ends_keep_alive_viewers_on_stop():
    listener = ViewerListener("127.0.0.1", _OnePage(), scheme="http")
    listener.start()
    try:
        with socket.create_connection(listener.address, timeout=TIMEOUT) as viewer:
            viewer.sendall(b"GET / HTTP/1.1\r\nHost: d111.cloudfront.net\r\n\r\n")
            first = viewer.recv(4096)
            assert first.startswith(b"HTTP/1.1 200 OK") and b"Connection: keep-alive" in first
            listener.stop()
            assert viewer.recv(4096) == b""
    finally:
        listener.stop()


# --- chunked request bodies (RFC 9112 section 7.1) ----------------------------------------------------------


def test_read_chunked_joins_chunks_and_skips_extensions_and_trailers():
    stream = io.BytesIO(b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\nNEXT")
    assert read_chunked(stream) == b"abcde"
    assert stream.read() == b"NEXT"  # the next request on the connection is left in place


@pytest.mark.parametrize(
    "raw", [b"zz\r\nabc\r\n0\r\n\r\n", b"-1\r\nabc\r\n0\r\n\r\n", b"5\r\nabc", b"3\r\nabcXY0\r\n\r\n"]
)
def test_read_chunked_refuses_malformed_bodies(raw):
    with pytest.raises(ValueError):
        read_chunked(io.BytesIO(raw))


def test_read_chunked_stops_past_the_limit():
    with pytest.raises(BodyTooLarge):
        read_chunked(io.BytesIO(b"4\r\nabcd\r\n4\r\nefgh\r\n0\r\n\r\n"), max_bytes=6)


# --- host names and the local CA ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("ABC.us-east-1.AWSAPPRUNNER.com:443", "abc.us-east-1.awsapprunner.com"),
        (" example.com. ", "example.com"),
        ("[::1]:8443", "[::1]"),
        ("", ""),
    ],
)
def test_normalise_host(value, name):
    assert normalise_host(value) == name


def test_the_ca_keeps_no_leaf_files_and_accepts_any_iterable_of_versions(tmp_path):
    ca = LocalCA(tmp_path)
    context = ca.server_context(iter(["svc.test"]), iter(["TLSv1.2", "TLSv1.3"]))
    assert (context.minimum_version, context.maximum_version) == (
        ssl.TLSVersion.TLSv1_2,
        ssl.TLSVersion.TLSv1_3,
    )
    ca.client_context(["TLSv1.2"])
    # Leaf keys live in memory only: nothing but the CA and the client bundle is written.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle.pem", "ca.key", "ca.pem"]
