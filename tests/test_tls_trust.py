"""hostlab.tls_trust: probes parse the CA bundle once, and still refuse what they refused before."""

from __future__ import annotations

import http.server
import socket
import ssl
import threading

import pytest
import requests
import trustme

from hostlab import probes, tls_trust


class _Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


@pytest.fixture
def https_server():
    """An HTTPS server on loopback (port 0) with a certificate for "localhost" from a CA of its own."""
    ca = trustme.CA()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost").configure_cert(ctx)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    server.timeout = 5
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield ca, server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def trusting(tmp_path, monkeypatch):
    """Point REQUESTS_CA_BUNDLE at a bundle holding the given CA; no proxy in the way."""
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)

    def point_at(ca: trustme.CA, name: str = "bundle.pem"):
        bundle = tmp_path / name
        ca.cert_pem.write_to_path(str(bundle))
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
        return bundle

    return point_at


def calls_during(monkeypatch, method: str, action) -> int:
    """How many times ``action`` called ssl.SSLContext.<method> (any context, anywhere)."""
    calls = []
    real = getattr(ssl.SSLContext, method)

    def counting(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, method, counting)
    action()
    return len(calls)


def loads_during(monkeypatch, action) -> int:
    """How many times ``action`` parsed a CA bundle into an SSLContext."""
    tls_trust._context.cache_clear()
    return calls_during(monkeypatch, "load_verify_locations", action)


def test_probes_parse_the_bundle_once_and_still_verify(https_server, trusting, monkeypatch):
    ca, port = https_server
    trusting(ca)

    def three_probes():
        for _ in range(3):
            assert probes.get(f"https://localhost:{port}/").body == b"hello"

    assert loads_during(monkeypatch, three_probes) == 1


def test_a_certificate_from_another_ca_is_still_refused(https_server, trusting):
    _ca, port = https_server
    trusting(trustme.CA())
    with pytest.raises(requests.exceptions.SSLError):
        probes.get(f"https://localhost:{port}/")


def test_a_name_the_certificate_does_not_carry_is_still_refused(https_server, trusting):
    ca, port = https_server
    trusting(ca)
    # Same server, same trusted CA, but asked for as 127.0.0.1: the certificate names only localhost.
    with pytest.raises(requests.exceptions.SSLError):
        probes.get(f"https://127.0.0.1:{port}/")


def test_a_rewritten_bundle_is_read_again(https_server, trusting):
    ca, port = https_server
    bundle = trusting(trustme.CA())
    with pytest.raises(requests.exceptions.SSLError):
        probes.get(f"https://localhost:{port}/")
    # A new backend writes its new CA to the same path: the next probe must trust it.
    ca.cert_pem.write_to_path(str(bundle))
    assert probes.get(f"https://localhost:{port}/").status == 200


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_verify_false_shares_one_context_that_checks_nothing(https_server, monkeypatch):
    """Sessions told verify=False (`hostlab check` going around CloudFront) reach a server they do not trust,
    without loading the system's roots for each connection; verification asked for still refuses."""
    _ca, port = https_server
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)

    def unverified_requests():
        for path in ("/a", "/b"):  # a session, a pool and a connection each
            with requests.Session() as session:
                session.mount("https://", tls_trust.BundleParsedOnce())
                assert session.get(f"https://localhost:{port}{path}", verify=False).status_code == 200

    tls_trust._unverified.cache_clear()
    assert calls_during(monkeypatch, "load_default_certs", unverified_requests) == 0
    with requests.Session() as session, pytest.raises(requests.exceptions.SSLError):
        session.mount("https://", tls_trust.BundleParsedOnce())
        session.get(f"https://localhost:{port}/", verify=True)


def test_one_version_contexts_are_built_once_and_still_verify(https_server, tmp_path, monkeypatch):
    ca, port = https_server
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    stranger = tmp_path / "stranger.pem"
    trustme.CA().cert_pem.write_to_path(str(stranger))

    def handshake(context: ssl.SSLContext) -> str:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname="localhost") as tls,
        ):
            return tls.version()

    def twice():
        for _ in range(2):
            assert handshake(tls_trust.one_version_context(ssl.TLSVersion.TLSv1_2, str(bundle))) == "TLSv1.2"

    tls_trust._one_version.cache_clear()
    assert loads_during(monkeypatch, twice) == 1
    assert tls_trust.one_version_context(ssl.TLSVersion.TLSv1_3, str(bundle)).maximum_version == (
        ssl.TLSVersion.TLSv1_3
    )
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(tls_trust.one_version_context(ssl.TLSVersion.TLSv1_2, str(stranger)))
