"""The CONNECT proxy on its own (test listeners and a route function), with real clients: requests, curl,
openssl; plus the proxy of the session's backend refusing a name it does not serve."""

from __future__ import annotations

import contextlib
import http.server
import shutil
import socket
import socketserver
import ssl
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from hostlab.local.dataplane.proxy import ConnectProxy, parse_authority
from hostlab.local.dataplane.tls import LocalCA

NAME = "abc123.us-east-1.awsapprunner.com"
TIMEOUT = 10  # seconds, for every client socket here


class _Echo(http.server.BaseHTTPRequestHandler):
    """Answers every request with what it received: method, target, and headers as 'name: value' lines."""

    protocol_version = "HTTP/1.1"
    timeout = TIMEOUT
    tls_context: ssl.SSLContext | None = None

    def setup(self):
        if self.tls_context is not None:
            self.request.settimeout(TIMEOUT)  # the handshake too
            self.request = self.tls_context.wrap_socket(self.request, server_side=True)
        super().setup()

    def log_message(self, *args):
        pass

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body_in = self.rfile.read(length) if length else b""
        lines = [f"{self.command} {self.path}", *(f"{k.lower()}: {v}" for k, v in self.headers.items())]
        body = ("\n".join(lines) + "\n").encode() + body_in
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "keep-alive")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_HEAD = _answer


class _Listener(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


@contextlib.contextmanager
def serving(handler):
    server = _Listener(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address
    finally:
        server.shutdown()
        server.server_close()


class _RawEcho(socketserver.BaseRequestHandler):
    """Sends back every byte until the client ends its stream, then ends its own (a half-close test)."""

    def handle(self):
        self.request.settimeout(TIMEOUT)
        while data := self.request.recv(65536):
            self.request.sendall(data)
        self.request.shutdown(socket.SHUT_WR)


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return LocalCA(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def upstreams(ca):
    tls = type("TLSEcho", (_Echo,), {"tls_context": ca.server_context([NAME], ["TLSv1.2", "TLSv1.3"])})
    with serving(tls) as https, serving(_Echo) as http_, serving(_RawEcho) as raw:
        yield {(NAME, 443): https, (NAME, 80): http_, ("raw.cloudfront.net", 443): raw}


@pytest.fixture(scope="module")
def proxy(upstreams):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    down = closed.getsockname()  # bound, never listening: connections are refused
    special = {
        ("down.cloudfront.net", 443): down,
        ("outside.cloudfront.net", 443): ("192.0.2.1", 443),
    }

    def route(host, port):
        if host == "broken.cloudfront.net":
            raise RuntimeError("a part failed")
        return upstreams.get((host, port)) or special.get((host, port))

    server = ConnectProxy("127.0.0.1", 0, route)
    server.start()
    yield server
    server.stop()
    closed.close()


def raw_exchange(proxy, data: bytes) -> bytes:
    """Send ``data`` to the proxy and read its whole answer."""
    with socket.create_connection(proxy.address, timeout=TIMEOUT) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def proxies(proxy) -> dict[str, str]:
    return {"https": proxy.url, "http": proxy.url}


# --- the tunnel -------------------------------------------------------------------------------------------


def test_https_through_the_tunnel_is_end_to_end_tls(proxy, ca):
    response = requests.get(
        f"https://{NAME}/echo?x=1", proxies=proxies(proxy), verify=str(ca.ca_pem), timeout=TIMEOUT
    )
    assert response.status_code == 200
    # The upstream got the request itself (the proxy never saw it in clear), with the viewer's Host.
    assert response.text.splitlines()[0] == "GET /echo?x=1"
    assert f"host: {NAME}" in response.text.splitlines()


def test_curl_through_the_proxy(proxy, ca):
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    result = subprocess.run(
        [curl, "-sS", "--max-time", str(TIMEOUT), "--proxy", proxy.url, "--cacert", str(ca.ca_pem),
         f"https://{NAME}/from-curl"],
        capture_output=True, text=True, timeout=TIMEOUT + 5,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "GET /from-curl"


def test_openssl_s_client_through_the_proxy(proxy, ca):
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    host, port = proxy.address
    result = subprocess.run(
        [openssl, "s_client", "-proxy", f"{host}:{port}", "-connect", f"{NAME}:443", "-servername", NAME,
         "-CAfile", str(ca.ca_pem), "-verify_return_error", "-brief"],
        input="", capture_output=True, text=True, timeout=TIMEOUT + 5,
    )
    assert result.returncode == 0, result.stderr
    assert "Verification: OK" in result.stderr


def test_tunnel_carries_large_payloads_and_half_close(proxy):
    payload = bytes(range(256)) * 8192  # 2 MiB, much more than one buffer
    with socket.create_connection(proxy.address, timeout=TIMEOUT) as sock:
        sock.sendall(b"CONNECT raw.cloudfront.net:443 HTTP/1.1\r\nHost: raw.cloudfront.net:443\r\n\r\n")
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(1)
        assert head.startswith(b"HTTP/1.1 200")
        received = bytearray()

        def read_all():
            while chunk := sock.recv(65536):
                received.extend(chunk)

        reader = threading.Thread(target=read_all)
        reader.start()
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)  # our end of the stream reaches the upstream, which then ends its own
        reader.join(TIMEOUT)
    assert not reader.is_alive()
    assert bytes(received) == payload


def test_fifty_concurrent_clients(proxy, ca):
    def one(i):
        with requests.Session() as session:
            codes = []
            for j in range(5):
                response = session.get(
                    f"https://{NAME}/c{i}/{j}", proxies=proxies(proxy), verify=str(ca.ca_pem), timeout=TIMEOUT
                )
                codes.append((response.status_code, response.text.splitlines()[0]))
            return codes

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(one, range(50)))
    assert all(code == 200 for codes in results for code, _ in codes)
    assert results[7][3] == (200, "GET /c7/3")  # each answer belongs to its own request


def test_stop_closes_open_tunnels(upstreams):
    proxy = ConnectProxy("127.0.0.1", 0, lambda host, port: upstreams.get((host, port)))
    proxy.start()
    address = proxy.address
    with socket.create_connection(address, timeout=TIMEOUT) as sock:
        sock.sendall(b"CONNECT raw.cloudfront.net:443 HTTP/1.1\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 200")
        proxy.stop()
        assert sock.recv(100) == b""  # closed by stop(), not left hanging
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(address, timeout=TIMEOUT)


# --- plain HTTP (absolute form) -----------------------------------------------------------------------------


def test_plain_http_absolute_form_goes_to_port_80(proxy):
    response = requests.post(
        f"http://{NAME}/login?next=/", data=b"name=ada", proxies=proxies(proxy), timeout=TIMEOUT,
        headers={"Proxy-Authorization": "Basic c2VjcmV0"},
    )
    assert response.status_code == 200
    lines = response.text.splitlines()
    assert lines[0] == "POST /login?next=/"  # origin form towards the upstream
    assert f"host: {NAME}" in lines
    assert "connection: close" in lines
    assert not any(line.startswith("proxy-") for line in lines)  # proxy-only headers stay with the proxy
    assert response.text.endswith("name=ada")
    assert response.headers["Connection"] == "close"


# --- refusals ---------------------------------------------------------------------------------------------


def test_unknown_host_gets_a_clear_502(proxy):
    answer = raw_exchange(proxy, b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 502 hostlab: no local endpoint for example.com:443")
    text = body.decode()
    assert "example.com:443" in text
    assert "*.cloudfront.net, *.awsapprunner.com" in text and "forwards nothing to the internet" in text

    with pytest.raises(requests.exceptions.ProxyError, match=r"no local endpoint for example\.org:443"):
        requests.get("https://example.org/", proxies=proxies(proxy), timeout=TIMEOUT)
    plain = requests.get("http://example.org/", proxies=proxies(proxy), timeout=TIMEOUT)
    assert plain.status_code == 502 and "example.org:80" in plain.text


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"garbage\r\n\r\n", b"400"),
        (b"CONNECT no-port-here HTTP/1.1\r\n\r\n", b"400"),
        (b"CONNECT bad_host!:443 HTTP/1.1\r\n\r\n", b"400"),
        (b"CONNECT abc.cloudfront.net:99999 HTTP/1.1\r\n\r\n", b"400"),
        (b"GET / HTTP/1.1\r\nHost: abc.cloudfront.net\r\n\r\n", b"400"),  # not a proxy request
        (b"GET https://abc.cloudfront.net/ HTTP/1.1\r\n\r\n", b"400"),  # https needs CONNECT
        (b"GET http://abc.cloudfront.net/ HTTP/9.9\r\n\r\n", b"505"),
        (b"BREW http://abc.cloudfront.net/ HTTP/1.1\r\n\r\n", b"501"),
        (b"CONNECT abc.cloudfront.net:443 HTTP/1.1\r\nX: " + b"a" * 70000 + b"\r\n\r\n", b"431"),
        (b"POST http://" + NAME.encode() + b"/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", b"411"),
    ],
)
def test_malformed_requests_are_refused(proxy, request_bytes, status):
    answer = raw_exchange(proxy, request_bytes)
    # A request line without a valid version is answered the HTTP/0.9 way (http.server): body only.
    words = answer.split(b" ", 3)
    code = words[1] if answer.startswith(b"HTTP/") else words[2].rstrip(b":")
    assert code == status, answer[:200]


def test_failures_behind_the_proxy_are_502(proxy):
    for name, why in [
        ("down.cloudfront.net", b"does not answer"),
        ("outside.cloudfront.net", b"non-loopback"),
        ("broken.cloudfront.net", b"failed to look this name up"),
    ]:
        answer = raw_exchange(proxy, f"CONNECT {name}:443 HTTP/1.1\r\n\r\n".encode())
        assert answer.startswith(b"HTTP/1.1 502") and why in answer, answer


def test_parse_authority():
    assert parse_authority("ABC.CloudFront.net.:443") == ("abc.cloudfront.net", 443)
    assert parse_authority("[::1]:8443") == ("::1", 8443)
    assert parse_authority("abc.cloudfront.net", default_port=80) == ("abc.cloudfront.net", 80)
    for bad in ("abc.cloudfront.net", "::1:443", "[nope]:443", "a b:443", "x:0"):
        with pytest.raises(ValueError):
            parse_authority(bad)


# --- the backend's own proxy ------------------------------------------------------------------------------


def test_backend_proxy_refuses_names_it_does_not_serve(client_env, monkeypatch):
    for name, value in client_env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(requests.exceptions.ProxyError, match=r"no local endpoint for example\.com:443"):
        requests.get("https://example.com/", timeout=TIMEOUT)  # proxy and CA from the environment only
