"""App Runner's front: routing by Host, TLS, forwarded headers, Envoy-like answers, demo-app processes.

Most tests drive a real front (real listeners, TLS from a local CA, real demo-app processes) from a
hand-written App Runner state (front_fakes.FakeState); the last ones go through the session's real backend
(control plane + CONNECT proxy) with the App Runner API. Every socket and request has a timeout.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest
import requests
from edge_support import free_port_closed
from front_fakes import FakeState
from requests.adapters import HTTPAdapter

import hostlab.app as demo
from hostlab.local.dataplane.apps import Deployment
from hostlab.local.dataplane.tls import LocalCA
from hostlab.local.platforms.apprunner.front import AppRunnerFront
from hostlab.local.platforms.apprunner.front_state import (
    DomainView,
    ServiceView,
    Snapshot,
    normalise_host,
    region_of,
    routing_table,
    wildcard_for,
)
from hostlab.settings import Settings

TIMEOUT = 10
# The fake control plane's operation time (see front_fakes): short, but longer than the front's 100 ms
# snapshot age, as with the real control plane's settings.
OPERATION_SECONDS = 0.2
TESTS_DIR = Path(__file__).parent


# -- helpers -------------------------------------------------------------------------------------------------


class ResolvingAdapter(HTTPAdapter):
    """Sends https://NAME/... to one loopback address, keeping NAME for SNI, the certificate check and Host:
    what DNS (or the CONNECT proxy) does for a real client."""

    def __init__(self, address: tuple[str, int]):
        self.address = address
        super().__init__(max_retries=0)

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        name = urlsplit(request.url).hostname
        return self.poolmanager.connection_from_host(
            self.address[0], self.address[1], scheme="https",
            pool_kwargs={"server_hostname": name, "assert_hostname": name},
        )

    def add_headers(self, request, **kwargs):
        request.headers.setdefault("Host", urlsplit(request.url).netloc)


def client(front: AppRunnerFront) -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # the environment's proxies and CA bundles must not interfere
    session.verify = str(front.ca.ca_pem)
    session.mount("https://", ResolvingAdapter(front.https_address))
    return session


def wait_until(condition, timeout: float = TIMEOUT, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"{what} not reached within {timeout} s")


def process_gone(pid: int) -> bool:
    if not sys.platform.startswith("linux"):  # no /proc (macOS): psutil asks the kernel
        import psutil

        try:
            return psutil.Process(pid).status() in (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)
        except psutil.NoSuchProcess:
            return True
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] in ("Z", "X")  # a zombie has stopped running
    except (FileNotFoundError, ProcessLookupError):  # gone between the open and the read: ESRCH
        return True


@pytest.fixture
def make_front(tmp_path):
    fronts = []

    def make(**settings_overrides) -> tuple[AppRunnerFront, FakeState]:
        home = tmp_path / f"home{len(fronts)}"
        settings = Settings(home=home, apprunner_operation_seconds=OPERATION_SECONDS, **settings_overrides)
        state = FakeState(OPERATION_SECONDS)
        front = AppRunnerFront(settings, LocalCA(home / "ca"), "http://unused.invalid", state=state)
        front.start()
        fronts.append(front)
        return front, state

    yield make
    for front in fronts:
        front.stop()


# -- pure routing --------------------------------------------------------------------------------------------


def test_routing_table_serves_service_urls_and_active_domains_only():
    domains = (DomainView("example.com", "ACTIVE", True), DomainView("pending.example", "CREATING", False),
               DomainView("old.example", "DELETING", False))
    snapshot = Snapshot((
        ServiceView("arn:a", "a", "abc.us-east-1.awsapprunner.com", "RUNNING", "1", domains),
        ServiceView("arn:b", "b", "def.us-east-1.awsapprunner.com", "OPERATION_IN_PROGRESS", "1"),
    ))
    table = routing_table(snapshot)
    assert table.hosts["abc.us-east-1.awsapprunner.com"].arn == "arn:a"
    assert table.hosts["example.com"].arn == table.hosts["www.example.com"].arn == "arn:a"
    assert "pending.example" not in table.hosts and "pending.example" in table.associated
    assert table.hosts["old.example"].settling  # a domain being removed still routes, but is re-checked
    assert table.hosts["def.us-east-1.awsapprunner.com"].settling
    assert table.certificates["www.example.com"] == ("example.com", "www.example.com")


def test_host_normalisation_and_wildcards():
    assert normalise_host("ABC.us-east-1.AWSAPPRUNNER.com:443") == "abc.us-east-1.awsapprunner.com"
    assert normalise_host("example.com.") == "example.com"
    assert wildcard_for("abc.eu-west-1.awsapprunner.com") == "*.eu-west-1.awsapprunner.com"
    assert wildcard_for("example.com") is None
    assert region_of("abc.eu-west-1.awsapprunner.com") == "eu-west-1"
    assert region_of("abc.not-a-region.awsapprunner.com") is None  # a made-up Host adds no region to read


# -- routing through the real front --------------------------------------------------------------------------


def test_route_answers_for_apprunner_names_and_associated_domains(make_front):
    front, state = make_front()
    state.add("a", domains=(DomainView("shop.example", "PENDING_CERTIFICATE_DNS_VALIDATION", False),))
    assert front.route("anything.us-east-1.awsapprunner.com", 443) == front.https_address
    assert front.route("anything.us-east-1.awsapprunner.com", 80) == front.http_address
    assert front.route("anything.us-east-1.awsapprunner.com", 8443) is None
    assert front.route("shop.example", 443) == front.https_address  # the reader's DNS record points here
    assert front.route("unrelated.example", 443) is None


class _ListingState(FakeState):
    """FakeState with ApiState's cheap look (statuses()), counting whole reads and looks."""

    def __init__(self, operation_seconds: float):
        super().__init__(operation_seconds)
        self.snapshots = 0
        self.looks = 0

    def snapshot(self):
        self.snapshots += 1
        return super().snapshot()

    def statuses(self):
        self.looks += 1
        return {view.arn: (view.status, view.updated_at) for view in super().snapshot().services}


class _DeadDeployment:
    def alive(self) -> bool:
        return False


def test_the_poll_reads_the_whole_state_only_when_the_listing_changed(tmp_path):
    state = _ListingState(OPERATION_SECONDS)
    arn, _ = state.add("paused-one", status="PAUSED")  # PAUSED: no app is started by these reads
    settings = Settings(home=tmp_path, apprunner_operation_seconds=OPERATION_SECONDS)
    front = AppRunnerFront(settings, LocalCA(tmp_path / "ca"), "http://unused.invalid", state=state)
    front._read_state()  # the first reconcile, as the first poll or request would make it
    assert state.snapshots == 1

    assert front._poll_needed(front._tables.value) is False  # nothing changed: no whole read
    state.set(arn, status="RUNNING")  # positive control: a new status (and UpdatedAt) is seen
    assert front._poll_needed(front._tables.value) is True
    state.set(arn, status="PAUSED")
    front._read_state()
    assert front._poll_needed(front._tables.value) is False
    state.add("new-one", status="PAUSED")  # a service that was not there
    assert front._poll_needed(front._tables.value) is True
    front._read_state()
    front._deployments["arn:gone"] = _DeadDeployment()  # an app that died must be restarted by a read
    assert front._poll_needed(front._tables.value) is True
    assert state.looks == 4 and state.snapshots == 3  # a dead app is seen without looking


def test_service_url_routes_to_the_demo_app(make_front):
    front, state = make_front()
    _, url = state.add("web")
    answer = client(front).get(f"https://{url}/echo", timeout=TIMEOUT)
    assert answer.status_code == 200
    assert answer.json()["host"] == url
    assert answer.headers["server"] == "envoy"
    assert int(answer.headers["x-envoy-upstream-service-time"]) >= 0
    assert all(name == name.lower() for name in answer.raw.headers)  # Envoy writes lower-case names


def test_unknown_host_gets_envoy_404_with_empty_body(make_front):
    front, state = make_front()
    _, url = state.add("web")
    # TLS for the service's name, but the Host a CloudFront AllViewer policy would forward.
    answer = client(front).get(f"https://{url}/echo", headers={"Host": "d111111abcdef8.cloudfront.net"},
                               timeout=TIMEOUT)
    assert (answer.status_code, answer.content) == (404, b"")
    assert answer.headers["server"] == "envoy"
    assert answer.headers["content-length"] == "0"


def test_two_services_on_the_same_port_do_not_clash(make_front):
    front, state = make_front()
    arn_a, url_a = state.add("a", source=demo.source_configuration(env={"APP_NAME": "first"}))
    arn_b, url_b = state.add("b", source=demo.source_configuration(env={"APP_NAME": "second"}))
    session = client(front)
    assert session.get(f"https://{url_a}/echo", timeout=TIMEOUT).json()["app"] == "first"
    assert session.get(f"https://{url_b}/echo", timeout=TIMEOUT).json()["app"] == "second"
    a, b = front.deployment(arn_a), front.deployment(arn_b)
    assert a.port == b.port == 8080 and a.address != b.address


def test_custom_domain_gets_its_own_certificate_once_active(make_front):
    front, state = make_front()
    state.add("web", domains=(DomainView("shop.example", "ACTIVE", True),
                              DomainView("later.example", "PENDING_CERTIFICATE_DNS_VALIDATION", False)))
    session = client(front)
    for name in ("shop.example", "www.shop.example"):
        answer = session.get(f"https://{name}/echo", timeout=TIMEOUT)
        assert answer.status_code == 200 and answer.json()["host"] == name
    # Not validated yet: App Runner has no certificate for it, so the default one fails the name check.
    with pytest.raises(requests.exceptions.SSLError):
        session.get("https://later.example/echo", timeout=TIMEOUT)


# -- headers to the app --------------------------------------------------------------------------------------


def test_forwarded_headers_request_id_and_hop_by_hop(make_front):
    front, state = make_front()
    _, url = state.add("web")
    echo = client(front).get(f"https://{url}/echo", timeout=TIMEOUT, headers={
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Proto": "http",
        "X-Request-ID": "chosen-by-client",
        "X-Envoy-Retry-On": "5xx",
        "Connection": "keep-alive, X-Secret-Hop",
        "X-Secret-Hop": "1",
    }).json()
    headers = echo["headers"]
    assert headers["x-forwarded-for"] == "203.0.113.7, 127.0.0.1"  # the client address is appended
    assert headers["x-forwarded-proto"] == "https"
    assert headers["x-request-id"] != "chosen-by-client" and len(headers["x-request-id"]) == 36
    assert "x-forwarded-host" not in headers  # App Runner adds none (apprunner-roadmap issue 52)
    assert "x-envoy-retry-on" not in headers and "x-secret-hop" not in headers and "connection" not in headers


def test_request_ids_differ_per_request(make_front):
    front, state = make_front()
    _, url = state.add("web")
    session = client(front)
    ids = {session.get(f"https://{url}/echo", timeout=TIMEOUT).json()["request_id"] for _ in range(3)}
    assert len(ids) == 3


def test_forwarded_host_from_upstream_reaches_the_app(make_front):
    """The fix the tutorial applies: a CloudFront Function adds X-Forwarded-Host, the front keeps it."""
    front, state = make_front()
    _, url = state.add("web", source=demo.source_configuration(origin_secret="s3cret"))
    session = client(front)
    assert session.get(f"https://{url}/echo", timeout=TIMEOUT).status_code == 403
    echo = session.get(f"https://{url}/echo", timeout=TIMEOUT,
                       headers={"X-Forwarded-Host": "www.example.com", "x-origin-secret": "s3cret"}).json()
    assert echo["public_url"] == "https://www.example.com/echo"


def test_request_bodies_are_forwarded(make_front):
    front, state = make_front()
    _, url = state.add("web")
    session = client(front)
    sized = session.post(f"https://{url}/echo", data=b"y" * 70000, timeout=TIMEOUT)
    assert sized.json()["body_bytes"] == 70000
    chunked = session.post(f"https://{url}/echo", data=iter([b"abc", b"de"]), timeout=TIMEOUT)
    assert chunked.json()["body_bytes"] == 5


def test_app_redirect_and_cookies_pass_through(make_front):
    front, state = make_front()
    _, url = state.add("web")
    answer = client(front).get(f"https://{url}/login?user=bob", allow_redirects=False, timeout=TIMEOUT)
    assert answer.status_code == 302
    assert answer.headers["location"] == f"https://{url}/account"
    assert answer.cookies["user"] == "bob"


def test_malformed_request_is_answered_by_the_front(make_front):
    front, state = make_front()
    _, url = state.add("web")
    context = ssl.create_default_context(cafile=str(front.ca.ca_pem))
    with socket.create_connection(front.https_address, timeout=TIMEOUT) as raw, \
            context.wrap_socket(raw, server_hostname=url) as tls:
        tls.sendall(b"GET /echo HTTP/1.1\r\nHost: " + url.encode() + b"\r\nContent-Length: nope\r\n\r\n")
        reply = tls.recv(4096)
    assert reply.startswith(b"HTTP/1.1 400")
    assert b"server: envoy" in reply


def tls_to(front: AppRunnerFront, url: str) -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=str(front.ca.ca_pem))
    raw = socket.create_connection(front.https_address, timeout=TIMEOUT)
    return context.wrap_socket(raw, server_hostname=url)


def read_to_close(sock: ssl.SSLSocket) -> bytes:
    """Everything the front sends until it closes (each answer below closes; else the 10 s timeout fails)."""
    data = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65536):
            data += chunk
    return data


def poll_answer(tls: ssl.SSLSocket) -> bytes | None:
    """What the front has sent so far, without waiting: None when nothing (TLS 1.3 session tickets make the
    socket readable without any application data), b"" when it has closed."""
    if not (tls.pending() or select.select([tls], [], [], 0)[0]):
        return None
    tls.setblocking(False)
    try:
        return tls.recv(65536)
    except (ssl.SSLWantReadError, BlockingIOError):
        return None
    except ConnectionResetError:
        return b""
    finally:
        tls.settimeout(TIMEOUT)


def status_of(reply: bytes) -> int:
    assert reply.startswith(b"HTTP/1.1 "), reply[:80]
    return int(reply[9:12])


def front_bad_requests(url: str) -> list[tuple[str, bytes, int]]:
    """(case, request, strict answer); each was mishandled before (issue 10, "Bad input")."""
    host = b"Host: " + url.encode() + b"\r\n"
    return [
        # Was forwarded as Content-Length: 4 with an empty body, then 504 after 120 s.
        ("content-length-and-chunked", b"POST /echo HTTP/1.1\r\n" + host
         + b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\n\r\n", 400),
        ("no-version", b"GET /echo\r\n" + host + b"\r\n", 400),  # was accepted
        ("no-host-on-1.1", b"GET /echo HTTP/1.1\r\nAccept: */*\r\n\r\n", 400),  # was 404
        ("bare-cr", b"GET /echo HTTP/1.1\r\n" + host + b"X-A: one\rX-B: two\r\n\r\n", 400),
        ("length-4e9", b"POST /echo HTTP/1.1\r\n" + host + b"Content-Length: 4e9\r\n\r\n", 400),
        # Was a closed connection with no answer.
        ("length-10^12", b"POST /echo HTTP/1.1\r\n" + host + b"Content-Length: 1000000000000\r\n\r\n", 413),
        ("head-over-60-KiB", b"GET /echo HTTP/1.1\r\n" + host + b"X-Big: " + b"a" * 62_000 + b"\r\n\r\n",
         431),
        ("unknown-transfer-coding", b"POST /echo HTTP/1.1\r\n" + host
         + b"Transfer-Encoding: gzip\r\n\r\n", 501),
        ("http-2-line", b"GET /echo HTTP/2.0\r\n" + host + b"\r\n", 505),
    ]


def test_bad_requests_get_strict_answers_and_the_connection_closes(make_front):
    front, state = make_front()
    _, url = state.add("web")
    for case, request, status in front_bad_requests(url):
        with tls_to(front, url) as tls:
            tls.sendall(request)
            reply = read_to_close(tls)
        assert status_of(reply) == status, case
        assert b"server: envoy" in reply and b"connection: close" in reply, case
    # Positive controls: the same shapes, well formed, reach the app.
    session = client(front)
    near = session.get(f"https://{url}/echo", headers={"X-Big": "a" * 50_000}, timeout=TIMEOUT)
    assert near.status_code == 200 and near.json()["headers"]["x-big"] == "a" * 50_000
    sized = session.post(f"https://{url}/echo", data=b"abcd", timeout=TIMEOUT)
    assert sized.json()["body_bytes"] == 4
    legacy = session.get(f"https://{url}/echo", headers={"X-A": "one", "X-B": "two"}, timeout=TIMEOUT).json()
    assert (legacy["headers"]["x-a"], legacy["headers"]["x-b"]) == ("one", "two")


def test_a_body_over_the_limit_gets_413_and_memory_stays_bounded(make_front):
    """300 MB of chunked body (issue 10: the old front buffered it all, 140 -> 693 MB). The front answers 413
    once the body passes settings.apprunner_max_body_bytes (32 MiB) and never holds much more than that."""
    front, state = make_front()
    _, url = state.add("web")
    assert client(front).post(f"https://{url}/echo", data=b"warm", timeout=TIMEOUT).status_code == 200
    process = psutil.Process()
    before = process.memory_info().rss
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.wait(0.005):
            peak[0] = max(peak[0], process.memory_info().rss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    piece = b"100000\r\n" + b"x" * 0x100000 + b"\r\n"  # 1 MiB chunks
    sent = 0
    try:
        with tls_to(front, url) as tls:
            tls.sendall(
                b"POST /echo HTTP/1.1\r\nHost: " + url.encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
            )
            reply = None
            for _ in range(300):
                if (reply := poll_answer(tls)) is not None:
                    break  # the front has answered
                try:
                    tls.sendall(piece)
                except OSError:
                    break
                sent += 1
            reply = (reply or b"") + read_to_close(tls)
    finally:
        done.set()
        sampler.join(TIMEOUT)
    assert status_of(reply) == 413 and b"connection: close" in reply
    assert 32 <= sent < 300  # the answer came once the limit was passed, not after the whole body
    growth_mib = (peak[0] - before) / 2**20
    assert growth_mib < 128, f"RSS grew by {growth_mib:.0f} MiB"


def test_a_slow_request_head_gets_408_while_others_are_served(make_front):
    front, state = make_front(request_head_timeout=2.0)
    _, url = state.add("web")
    session = client(front)
    with tls_to(front, url) as slow:
        slow.sendall(b"GET /echo HTTP/1.1\r\nHost: " + url.encode() + b"\r\nX-Slow: ")
        trickled = 0
        reply = None
        for _ in range(200):  # one byte every 0.1 s, ~20 s at most: each read is short, the head is not
            time.sleep(0.1)
            if (reply := poll_answer(slow)) is not None:
                break
            try:
                slow.sendall(b"X")
            except OSError:
                break
            trickled += 1
            if trickled == 2:  # the head is on its way: others are served meanwhile
                assert session.get(f"https://{url}/healthz", timeout=TIMEOUT).status_code == 200
        reply = (reply or b"") + read_to_close(slow)
    assert trickled >= 2  # bytes kept coming (every read short) and the head was cut all the same
    assert status_of(reply) == 408 and b"connection: close" in reply
    # Positive control: a head sent in pieces, each well within the timeout, is served.
    with tls_to(front, url) as pieces:
        host = url.encode()
        for piece in (b"GET /healthz HT", b"TP/1.1\r\nHost: " + host, b"\r\nConnection: close\r\n\r\n"):
            pieces.sendall(piece)
            time.sleep(0.05)
        assert status_of(read_to_close(pieces)) == 200


# -- TLS versions --------------------------------------------------------------------------------------------


def _handshake(front: AppRunnerFront, version: str, name: str) -> str:
    context = front.ca.client_context([version])
    with socket.create_connection(front.https_address, timeout=TIMEOUT) as raw, \
            context.wrap_socket(raw, server_hostname=name) as tls:
        return tls.version()


def test_tls_versions_follow_the_setting(make_front):
    # Default: TLS 1.2 only (an ASSUMPTION after a community measurement, see settings.py).
    front, state = make_front()
    _, url = state.add("web")
    assert _handshake(front, "TLSv1.2", url) == "TLSv1.2"
    for refused in ("TLSv1", "TLSv1.1", "TLSv1.3"):
        with pytest.raises(ssl.SSLError):
            _handshake(front, refused, url)
    # The refusals are the server's: the same client gets TLS 1.1 and 1.3 from a front configured to accept
    # them.
    tolerant, tolerant_state = make_front(apprunner_tls_versions=("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"))
    _, other = tolerant_state.add("old")
    assert _handshake(tolerant, "TLSv1.1", other) == "TLSv1.1"
    assert _handshake(tolerant, "TLSv1.3", other) == "TLSv1.3"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_openssl_s_client_sees_the_same(make_front):
    front, state = make_front()
    _, url = state.add("web")
    host, port = front.https_address

    def s_client(*flags: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["openssl", "s_client", "-connect", f"{host}:{port}", "-servername", url, "-CAfile",
             str(front.ca.ca_pem), "-verify_return_error", "-brief", *flags],
            input=b"", capture_output=True, timeout=TIMEOUT,
        )

    modern = s_client("-tls1_2")
    assert modern.returncode == 0, modern.stderr.decode()
    assert b"TLSv1.2" in modern.stdout + modern.stderr
    old = s_client("-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0")
    assert old.returncode != 0
    assert b"CONNECTION ESTABLISHED" not in old.stdout + old.stderr


# -- port 80 -------------------------------------------------------------------------------------------------


def _plain_get(front: AppRunnerFront, host: str, target: str) -> requests.Response:
    session = requests.Session()
    session.trust_env = False
    host_ip, port = front.http_address
    return session.get(f"http://{host_ip}:{port}{target}", headers={"Host": host}, allow_redirects=False,
                       timeout=TIMEOUT)


def test_http_redirects_to_https_with_301(make_front):
    front, state = make_front()
    _, url = state.add("web")
    answer = _plain_get(front, url, "/echo?x=1")
    assert answer.status_code == 301
    assert answer.headers["location"] == f"https://{url}/echo?x=1"
    assert answer.headers["server"] == "envoy"
    assert _plain_get(front, "unknown.example", "/").status_code == 404


def test_port_80_keeps_bodiless_requests_alive_and_closes_after_an_unread_body(make_front):
    front, state = make_front()
    _, url = state.add("web")
    host = b"Host: " + url.encode() + b"\r\n"
    with socket.create_connection(front.http_address, timeout=TIMEOUT) as sock:
        sock.sendall(b"GET /a HTTP/1.1\r\n" + host + b"\r\n")
        first = sock.recv(65536)
        assert status_of(first) == 301 and b"connection: close" not in first
        # The same connection carries the next request (the body of this one is never read: 301 and close).
        sock.sendall(b"POST /b HTTP/1.1\r\n" + host + b"Content-Length: 3\r\n\r\nabc")
        second = read_to_close(sock)
    assert status_of(second) == 301 and b"connection: close" in second and b"/b" in second


# -- lifecycle of services and their apps --------------------------------------------------------------------


def test_paused_service_answers_like_an_unknown_host_and_its_app_stops(make_front):
    front, state = make_front()
    arn, url = state.add("web")
    session = client(front)
    assert session.get(f"https://{url}/healthz", timeout=TIMEOUT).status_code == 200
    pid = front.deployment(arn).pid
    state.begin(arn)  # PauseService started: still serving meanwhile
    assert session.get(f"https://{url}/healthz", timeout=TIMEOUT).status_code == 200
    state.finish(arn, "PAUSED")  # a client saw PAUSED: its very next request sees it too
    answer = session.get(f"https://{url}/healthz", timeout=TIMEOUT)
    assert (answer.status_code, answer.content, answer.headers["server"]) == (404, b"", "envoy")
    wait_until(lambda: process_gone(pid), what="the paused service's app to stop")


def test_paused_answer_is_a_setting(make_front):
    front, state = make_front(apprunner_paused_status=503)
    _, url = state.add("web", status="PAUSED")
    answer = client(front).get(f"https://{url}/healthz", timeout=TIMEOUT)
    assert (answer.status_code, answer.text) == (503, "no healthy upstream")


def test_new_service_is_served_on_the_first_request_after_running(make_front):
    front, state = make_front()
    arn, url = state.add("web", status="OPERATION_IN_PROGRESS")  # CreateService in progress
    session = client(front)
    assert session.get(f"https://{url}/healthz", timeout=TIMEOUT).status_code == 404  # being created
    state.finish(arn, "RUNNING")
    assert session.get(f"https://{url}/healthz", timeout=TIMEOUT).status_code == 200


def test_update_replaces_the_app_and_retires_the_old_one(make_front):
    front, state = make_front()
    arn, url = state.add("web", source=demo.source_configuration(env={"APP_NAME": "v1"}))
    session = client(front)
    assert session.get(f"https://{url}/echo", timeout=TIMEOUT).json()["app"] == "v1"
    old = front.deployment(arn)
    state.begin(arn, source=demo.source_configuration(env={"APP_NAME": "v2"}))
    assert session.get(f"https://{url}/echo", timeout=TIMEOUT).json()["app"] == "v1"  # still deploying
    state.finish(arn, "RUNNING")
    assert session.get(f"https://{url}/echo", timeout=TIMEOUT).json()["app"] == "v2"
    assert front.deployment(arn).pid != old.pid
    wait_until(lambda: process_gone(old.pid), what="the old deployment to stop")


def test_deleted_service_is_no_longer_served(make_front):
    front, state = make_front()
    arn, url = state.add("web")
    session = client(front)
    assert session.get(f"https://{url}/healthz", timeout=TIMEOUT).status_code == 200
    pid = front.deployment(arn).pid
    state.begin(arn)
    state.finish(arn, "DELETED")
    assert session.get(f"https://{url}/healthz", timeout=TIMEOUT).status_code == 404
    wait_until(lambda: process_gone(pid), what="the deleted service's app to stop")


def test_request_timeout_gives_504(make_front):
    front, state = make_front(apprunner_request_timeout=0.5)
    _, url = state.add("web")
    answer = client(front).get(f"https://{url}/slow?seconds=5", timeout=TIMEOUT)
    assert (answer.status_code, answer.text) == (504, "upstream request timeout")
    assert answer.headers["server"] == "envoy"


def test_unreachable_app_gives_503_with_envoys_text(make_front):
    front, state = make_front()
    arn, url = state.add("web")
    session = client(front)
    assert session.get(f"https://{url}/healthz", timeout=TIMEOUT).status_code == 200
    running = front.deployment(arn)
    # The same live process of the same configuration (so the front keeps it), but reached at a port where
    # nothing listens: the connection is refused, deterministically (a killed app races with its
    # replacement, see the next test).
    deaf = Deployment(running.service_name, running.generation, "127.0.0.1", free_port_closed(),
                      running.config, running.process, running.log_path)
    front._deployments[arn] = deaf
    try:
        answer = session.get(f"https://{url}/healthz", timeout=TIMEOUT)
    finally:
        front._deployments[arn] = running
        deaf.pool.close()
    assert (answer.status_code, answer.headers["server"]) == (503, "envoy")
    assert answer.text == ("upstream connect error or disconnect/reset before headers. reset reason: "
                           "connection failure, transport failure reason: delayed connect error: 111")


def test_dead_app_is_replaced(make_front):
    front, state = make_front()
    arn, url = state.add("web")
    session = client(front)
    assert session.get(f"https://{url}/healthz", timeout=TIMEOUT).status_code == 200
    dead = front.deployment(arn)
    os.killpg(dead.pid, signal.SIGKILL)
    dead.process.wait(timeout=TIMEOUT)
    wait_until(lambda: session.get(f"https://{url}/healthz", timeout=TIMEOUT).status_code == 200,
               what="a replacement app")
    assert front.deployment(arn).pid != dead.pid


def test_app_that_cannot_start_gives_503(make_front):
    front, state = make_front()
    source = demo.source_configuration()
    del source["ImageRepository"]["ImageConfiguration"]["RuntimeEnvironmentVariables"][demo.SOURCE_VAR]
    _, url = state.add("broken", source=source)  # the start command finds no code to run
    answer = client(front).get(f"https://{url}/healthz", timeout=TIMEOUT)
    assert (answer.status_code, answer.text) == (503, "no healthy upstream")
    assert any(front.settings.apps_dir.glob("broken-*.log"))


def test_other_start_commands_run_the_bundled_demo_app(make_front):
    front, state = make_front()
    source = demo.source_configuration(env={"APP_NAME": "bundled"})
    source["ImageRepository"]["ImageConfiguration"]["StartCommand"] = "node server.js"  # no runtime for it
    _, url = state.add("other", source=source)
    assert client(front).get(f"https://{url}/echo", timeout=TIMEOUT).json()["app"] == "bundled"


def test_concurrent_clients(make_front):
    front, state = make_front()
    _, url = state.add("web")
    local = threading.local()

    def fetch(_):
        if not hasattr(local, "session"):
            local.session = client(front)
        return local.session.get(f"https://{url}/echo", timeout=TIMEOUT).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(pool.map(fetch, range(200)))
    assert statuses == [200] * 200


# -- processes -----------------------------------------------------------------------------------------------


def test_stop_kills_every_app_and_keeps_logs(make_front, tmp_path):
    front, state = make_front()
    arns = [state.add(name)[0] for name in ("one", "two")]
    front.ensure_fresh(time.monotonic())
    pids = [front.deployment(arn).pid for arn in arns]
    front.stop()
    assert all(process_gone(pid) for pid in pids)
    assert sorted(path.name for path in front.settings.apps_dir.glob("*.log")) == ["one-1.log", "two-2.log"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG exists on Linux only")
def test_apps_die_with_the_server(tmp_path):
    """SIGKILL on the server process leaves no orphan app (PR_SET_PDEATHSIG via the launcher)."""
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(TESTS_DIR)!r})
        from pathlib import Path
        from front_fakes import FakeState
        from hostlab.local.platforms.apprunner.front import AppRunnerFront
        from hostlab.local.dataplane.tls import LocalCA
        from hostlab.settings import Settings
        home = Path({str(tmp_path)!r})
        state = FakeState(0.2)
        arn, _ = state.add("orphan")
        ca = LocalCA(home / "ca")
        front = AppRunnerFront(Settings(home=home), ca, "http://unused.invalid", state=state)
        front.start()
        front.ensure_fresh(time.monotonic())
        print(front.deployment(arn).pid, flush=True)
        time.sleep(120)
    """)
    server = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, start_new_session=True)
    try:
        line = server.stdout.readline()
        assert line.strip().isdigit(), "the child server did not report its app"
        app_pid = int(line)
        assert not process_gone(app_pid)
    finally:
        os.killpg(server.pid, signal.SIGKILL)  # the app has its own process group: this does not reach it
        server.wait(timeout=TIMEOUT)
        server.stdout.close()
    wait_until(lambda: process_gone(app_pid), what="the orphaned app to exit")


# -- through the real backend (control plane + CONNECT proxy) ------------------------------------------------


def _wait_status(apprunner, arn: str, status: str) -> None:
    wait_until(lambda: apprunner.describe_service(ServiceArn=arn)["Service"]["Status"] == status,
               what=f"status {status}")


def test_end_to_end_with_the_app_runner_api(apprunner, proxied):
    created = apprunner.create_service(ServiceName="front-e2e",
                                       SourceConfiguration=demo.source_configuration(origin_secret="e2e"))
    arn, url = created["Service"]["ServiceArn"], created["Service"]["ServiceUrl"]
    try:
        _wait_status(apprunner, arn, "RUNNING")
        secret = {"x-origin-secret": "e2e"}
        echo = proxied.get(f"https://{url}/echo", headers=secret, timeout=TIMEOUT)
        assert echo.status_code == 200 and echo.json()["host"] == url
        assert proxied.get(f"https://{url}/echo", timeout=TIMEOUT).status_code == 403
        assert proxied.get(f"http://{url}/echo", allow_redirects=False, timeout=TIMEOUT).status_code == 301

        apprunner.associate_custom_domain(ServiceArn=arn, DomainName="e2e.example.com",
                                          EnableWWWSubdomain=False)
        wait_until(lambda: apprunner.describe_custom_domains(ServiceArn=arn)["CustomDomains"][0]["Status"]
                   .upper() == "ACTIVE", what="an ACTIVE custom domain")
        by_domain = proxied.get("https://e2e.example.com/echo", headers=secret, timeout=TIMEOUT)
        assert by_domain.status_code == 200 and by_domain.json()["host"] == "e2e.example.com"

        apprunner.pause_service(ServiceArn=arn)
        _wait_status(apprunner, arn, "PAUSED")
        paused = proxied.get(f"https://{url}/echo", headers=secret, timeout=TIMEOUT)
        assert (paused.status_code, paused.content) == (404, b"")
    finally:
        status = apprunner.describe_service(ServiceArn=arn)["Service"]["Status"]
        if status == "OPERATION_IN_PROGRESS":
            wait_until(lambda: apprunner.describe_service(ServiceArn=arn)["Service"]["Status"]
                       != "OPERATION_IN_PROGRESS", what="a settled service")
        apprunner.delete_service(ServiceArn=arn)


@pytest.mark.skipif(shutil.which("curl") is None or shutil.which("openssl") is None,
                    reason="curl or openssl is not installed")
def test_curl_and_openssl_through_the_proxy(apprunner, client_env):
    source = demo.source_configuration()
    created = apprunner.create_service(ServiceName="front-tools", SourceConfiguration=source)
    arn, url = created["Service"]["ServiceArn"], created["Service"]["ServiceUrl"]
    try:
        _wait_status(apprunner, arn, "RUNNING")
        env = {**os.environ, **client_env}

        def curl(*args: str) -> list[str]:
            done = subprocess.run(
                ["curl", "-sS", "--max-time", str(TIMEOUT), "-o", "/dev/null",
                 "-w", "%{http_code} %{redirect_url}", *args],
                env=env, capture_output=True, timeout=TIMEOUT * 2, text=True,
            )
            return done.stdout.split() or [done.stderr]

        assert curl(f"http://{url}/healthz") == ["301", f"https://{url}/healthz"]
        assert curl(f"https://{url}/healthz") == ["200"]
        assert curl(f"https://{url}/healthz", "-H", "Host: unknown.example") == ["404"]
        proxy = client_env["HTTPS_PROXY"].split("//", 1)[1]

        def s_client(*flags: str) -> subprocess.CompletedProcess:
            return subprocess.run(
                ["openssl", "s_client", "-proxy", proxy, "-connect", f"{url}:443", "-servername", url,
                 "-CAfile", client_env["REQUESTS_CA_BUNDLE"], "-verify_return_error", "-brief", *flags],
                input=b"", capture_output=True, timeout=TIMEOUT,
            )

        assert s_client("-tls1_2").returncode == 0
        assert s_client("-tls1", "-cipher", "DEFAULT@SECLEVEL=0").returncode != 0
    finally:
        apprunner.delete_service(ServiceArn=arn)
