"""servers.py, the listening side of the proxy, the edge and the front: TLS handshakes on each connection's
own thread, a failed handshake ending only its connection, and stop() ending the connections still open;
plus strict request reading at the edge's viewer listener (http1.py) and the small helpers the listeners
share (host names, the local CA)."""

from __future__ import annotations

import contextlib
import logging
import select
import selectors
import socket
import socketserver
import ssl
import threading
import time

import psutil
import pytest

from hostlab.local.dataplane import servers
from hostlab.local.dataplane.edge.listener import ViewerListener
from hostlab.local.dataplane.edge.messages import EdgeResponse
from hostlab.local.dataplane.servers import Listener, TrackedServer
from hostlab.local.dataplane.tls import LocalCA, restrict_versions
from hostlab.names import normalise_host
from hostlab.settings import Settings

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


def test_the_accept_loop_sleeps_without_a_timeout_and_stop_wakes_it(ca, monkeypatch):
    timeouts = []

    class Recording(selectors.DefaultSelector):
        def select(self, timeout=None):
            timeouts.append(timeout)
            return super().select(timeout)

    monkeypatch.setattr(servers.selectors, "DefaultSelector", Recording)
    handler = type("Echo", (LineEcho,), {"ended": threading.Event()})
    listener = Listener(TrackedServer(("127.0.0.1", 0), handler, ca.server_context([NAME], ["TLSv1.3"])), "t")
    listener.start()
    with tls_client(ca, listener.address, versions=("TLSv1.3",)) as client:
        assert exchange(client, b"served\n") == b"served\n"  # positive control: the loop accepts
    listener.stop()
    assert not listener._thread.is_alive()  # woken by stop(), not left waiting for a connection
    assert timeouts and set(timeouts) == {None}  # no periodic wake-ups while idle


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


# --- strict HTTP/1.1 at the edge's viewer listener (http1.py, h11) ------------------------------------------


class _Recorder:
    """A stand-in pipeline that answers 200 with what it received, so a test sees which headers and how
    many body bytes got through."""

    def __init__(self):
        self.requests = []

    def handle(self, request):
        self.requests.append(request)
        names = ",".join(n.lower() for n, _ in request.headers)
        return EdgeResponse(200, "OK", [("X-Names", names), ("X-Body-Bytes", str(len(request.body)))], b"ok")


@pytest.fixture
def viewer():
    """A plain-HTTP viewer listener with a 1 MiB body limit and a 1 s head timeout, and its recorder."""
    recorder = _Recorder()
    settings = Settings(cloudfront_max_body_bytes=1024 * 1024, request_head_timeout=1.0)
    listener = ViewerListener("127.0.0.1", recorder, scheme="http", settings=settings)
    listener.start()
    yield listener, recorder
    listener.stop()


def send_raw(address, payload: bytes) -> bytes:
    """Send ``payload`` and read until the server closes (every answer below closes, or the test fails on
    the 10 s timeout)."""
    with socket.create_connection(address, timeout=TIMEOUT) as sock:
        sock.sendall(payload)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        return data


def status_of(reply: bytes) -> int:
    assert reply.startswith(b"HTTP/1.1 "), reply[:80]
    return int(reply[9:12])


HOST = b"Host: d111.cloudfront.net\r\n"
GOOD_POST = b"POST /p HTTP/1.1\r\n" + HOST + b"Content-Length: 4\r\nConnection: close\r\n\r\nabcd"

# (name, request, strict answer): each was mishandled before (issue 10, "Bad input").
BAD_REQUESTS = [
    ("content-length-and-chunked",
     b"POST /p HTTP/1.1\r\n" + HOST + b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"4\r\nabcd\r\n0\r\n\r\n", 400),
    ("no-version", b"GET /p\r\n" + HOST + b"\r\n", 400),
    ("no-host-on-1.1", b"GET /p HTTP/1.1\r\nAccept: */*\r\n\r\n", 400),
    ("bare-cr", b"GET /p HTTP/1.1\r\n" + HOST + b"X-A: one\rX-B: two\r\nX-C: three\r\n\r\n", 400),
    ("length-not-digits", b"POST /p HTTP/1.1\r\n" + HOST + b"Content-Length: 4e9\r\n\r\n", 400),
    ("bad-chunk-size", b"POST /p HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n"
     b"zz\r\nabc\r\n0\r\n\r\n", 400),
    ("length-10^12", b"POST /p HTTP/1.1\r\n" + HOST + b"Content-Length: 1000000000000\r\n\r\n", 413),
]


@pytest.mark.parametrize(("name", "request_bytes", "status"), BAD_REQUESTS, ids=[c[0] for c in BAD_REQUESTS])
def test_the_edge_answers_bad_requests_strictly_and_closes(viewer, name, request_bytes, status):
    listener, recorder = viewer
    reply = send_raw(listener.address, request_bytes)  # returns only once the edge has closed
    assert status_of(reply) == status
    assert b"Connection: close" in reply and b"Server: CloudFront" in reply
    assert recorder.requests == []  # nothing reached the pipeline
    # Positive control: a well-formed request on a new connection is served.
    good = send_raw(listener.address, GOOD_POST)
    assert status_of(good) == 200 and b"X-Body-Bytes: 4" in good


def test_an_unfinished_head_over_20480_bytes_gets_413_without_waiting_for_its_end(viewer):
    """The limit applies while the head is still arriving: no end of head is sent here, so a reader that
    waited for it would answer 408 after the head timeout instead."""
    listener, _ = viewer
    reply = send_raw(listener.address, b"GET /p HTTP/1.1\r\n" + HOST + b"X-Big: " + b"a" * 25_000)
    assert status_of(reply) == 413
    # Positive control: the same head, finished and under the limit, is served.
    near = send_raw(listener.address, b"GET /p HTTP/1.1\r\n" + HOST + b"X-Big: " + b"a" * 19_000
                    + b"\r\nConnection: close\r\n\r\n")
    assert status_of(near) == 200


def test_with_crlf_line_ends_every_header_reaches_the_pipeline(viewer):
    """The positive side of the bare-CR case: with CRLF line ends, every header after X-A arrives."""
    listener, _ = viewer
    reply = send_raw(listener.address, b"GET /p HTTP/1.1\r\nHost: d111.cloudfront.net\r\nX-A: one\r\n"
                                       b"X-B: two\r\nX-C: three\r\nConnection: close\r\n\r\n")
    assert b"X-Names: host,x-a,x-b,x-c,connection" in reply


def test_chunked_bodies_are_joined_and_the_next_request_is_kept(viewer):
    listener, recorder = viewer
    reply = send_raw(
        listener.address,
        b"POST /a HTTP/1.1\r\nHost: d111.cloudfront.net\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n"
        b"GET /b HTTP/1.1\r\nHost: d111.cloudfront.net\r\nConnection: close\r\n\r\n",
    )
    assert reply.count(b"HTTP/1.1 200 OK") == 2
    assert [(r.path, r.body) for r in recorder.requests] == [("/a", b"abcde"), ("/b", b"")]


def test_a_chunked_body_over_the_limit_gets_413_and_close(viewer):
    listener, recorder = viewer
    head = b"POST /p HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    piece = b"%x\r\n%b\r\n" % (256 * 1024, b"x" * 256 * 1024)
    over = send_raw(listener.address, head + piece * 5 + b"0\r\n\r\n")  # 1.25 MiB against 1 MiB
    assert status_of(over) == 413 and recorder.requests == []
    under = send_raw(listener.address, head + piece * 3 + b"0\r\n\r\n")  # 0.75 MiB: served
    assert status_of(under) == 200 and b"X-Body-Bytes: 786432" in under


def test_a_300_mb_body_gets_413_and_the_edge_memory_stays_bounded(viewer):
    """The edge's side of the 300 MB case: it answers once the chunked body passes its limit (1 MiB here)
    and never holds the body; the process's RSS is sampled while the client sends."""
    listener, recorder = viewer
    process = psutil.Process()
    before = process.memory_info().rss
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.wait(0.005):
            peak[0] = max(peak[0], process.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    piece = b"100000\r\n" + b"x" * 0x100000 + b"\r\n"
    sent = 0
    try:
        with socket.create_connection(listener.address, timeout=TIMEOUT) as sock:
            sock.sendall(b"POST /p HTTP/1.1\r\n" + HOST + b"Transfer-Encoding: chunked\r\n\r\n")
            for _ in range(300):
                if select.select([sock], [], [], 0)[0]:
                    break  # the edge has answered
                try:
                    sock.sendall(piece)
                except OSError:
                    break
                sent += 1
            reply = b""
            with contextlib.suppress(ConnectionResetError):
                while chunk := sock.recv(65536):
                    reply += chunk
    finally:
        done.set()
        sampler.join(TIMEOUT)
    assert status_of(reply) == 413 and recorder.requests == []
    assert sent < 300  # answered once the limit was passed, not after the whole body
    growth_mib = (peak[0] - before) / 2**20
    assert growth_mib < 64, f"RSS grew by {growth_mib:.0f} MiB"


def test_expect_100_continue_gets_the_final_answer_when_the_length_is_over_the_limit(viewer):
    listener, recorder = viewer
    expect = b"POST /p HTTP/1.1\r\n" + HOST + b"Expect: 100-continue\r\nConnection: close\r\n"
    with socket.create_connection(listener.address, timeout=TIMEOUT) as sock:
        sock.sendall(expect + b"Content-Length: 2000000\r\n\r\n")  # 2 MB against 1 MiB: no 100
        assert sock.recv(65536).startswith(b"HTTP/1.1 413 ")
    # Positive control: a length within the limit gets 100 Continue, then the body is read and served.
    with socket.create_connection(listener.address, timeout=TIMEOUT) as sock:
        sock.sendall(expect + b"Content-Length: 4\r\n\r\n")
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"abcd")
        assert status_of(sock.recv(65536)) == 200
    assert [r.body for r in recorder.requests] == [b"abcd"]


def trickle_until_answered(sock: socket.socket, rounds: int = 100) -> bytes:
    """Send one more byte of header every 0.1 s until the server answers or closes (at most ``rounds``
    bytes, ~10 s); then everything it sent."""
    for _ in range(rounds):
        if select.select([sock], [], [], 0.1)[0]:
            break
        try:
            sock.sendall(b"X")
        except OSError:  # closed by the server: its answer is waiting
            break
    reply = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            reply += chunk
    return reply


def test_a_slow_request_head_is_cut_while_others_are_served(viewer):
    """Slowloris: one byte of head at a time keeps every single read short, so only a timer on the whole
    head (1 s here) ends it; another viewer is served meanwhile."""
    listener, _ = viewer
    with socket.create_connection(listener.address, timeout=TIMEOUT) as slow:
        slow.sendall(b"GET / HTTP/1.1\r\nHost: d111.cloudfront.net\r\nX-Slow: ")
        assert status_of(send_raw(listener.address, GOOD_POST)) == 200  # served while the slow head waits
        reply = trickle_until_answered(slow)
    assert status_of(reply) == 408 and b"Connection: close" in reply


def test_a_head_sent_in_pieces_within_the_timeout_is_served(viewer):
    listener, _ = viewer
    with socket.create_connection(listener.address, timeout=TIMEOUT) as sock:
        for piece in (b"GET / HT", b"TP/1.1\r\nHost: d111.cloud", b"front.net\r\nConnection: close\r\n\r\n"):
            sock.sendall(piece)
            time.sleep(0.05)
        assert status_of(sock.recv(65536)) == 200


# --- handler errors reach the server log --------------------------------------------------------------------


class Crashing(socketserver.BaseRequestHandler):
    def handle(self):
        raise RuntimeError("handler bug 7f3a")


def test_a_handler_crash_is_logged_at_warning_with_its_traceback(tmp_path):
    """server.py logs at INFO, so a crash logged at DEBUG never reached server.log; this one must."""
    log_file = tmp_path / "server.log"
    handler = logging.FileHandler(log_file)
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("hostlab.local.dataplane.servers")
    old_level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    listener = Listener(TrackedServer(("127.0.0.1", 0), Crashing), "test-crash")
    listener.start()
    try:
        with socket.create_connection(listener.address, timeout=TIMEOUT) as sock:
            assert sock.recv(1) == b""  # the crash ended this connection
        deadline = time.monotonic() + TIMEOUT
        while "handler bug 7f3a" not in log_file.read_text() and time.monotonic() < deadline:
            time.sleep(0.02)
        text = log_file.read_text()
        # Positive control of the listener itself: it still accepts connections after the crash.
        with socket.create_connection(listener.address, timeout=TIMEOUT) as again:
            assert again.recv(1) == b""
    finally:
        listener.stop()
        logger.removeHandler(handler)
        logger.setLevel(old_level)
        handler.close()
    assert "WARNING hostlab.local.dataplane.servers: TrackedServer: connection from 127.0.0.1" in text
    assert "Traceback" in text and "RuntimeError: handler bug 7f3a" in text


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
