"""The edge serving real clients (requests, curl, openssl) through the project's CONNECT proxy.

The CloudFront API is a double here (edge_support.FakeCloudFront) so each rule can be set up directly, and
the origin is a TLS 1.2+ echo server standing in for App Runner's front (tests/test_edge_backend.py runs the
same scenarios against the real control plane, front and demo app). Cache time is a FakeClock: tests move it
instead of sleeping.
"""

from __future__ import annotations

import concurrent.futures
import re
import shutil
import socket
import ssl
import subprocess

import pytest
import requests
from edge_support import (
    ALL_VIEWER,
    ALL_VIEWER_EXCEPT_HOST,
    CACHING_DISABLED,
    CACHING_OPTIMIZED,
    EchoOrigin,
    FakeClock,
    FakeCloudFront,
    behavior,
    cache_policy,
    client_context,
    distribution_config,
    free_port_closed,
    origin,
)

from hostlab.local.dataplane.edge import Edge
from hostlab.local.dataplane.proxy import ConnectProxy
from hostlab.local.dataplane.tls import LocalCA
from hostlab.settings import Settings
from hostlab.tls_trust import BundleParsedOnce

APP = "abc123.us-east-1.awsapprunner.com"
TIMEOUT = 10


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return LocalCA(tmp_path_factory.mktemp("edge-ca"))


@pytest.fixture(scope="module")
def front(ca):
    # Envoy-like: only the service's own domain is routed; TLS 1.2+ like the front's default setting.
    server = EchoOrigin(ca, names=("*.us-east-1.awsapprunner.com",), hosts=(APP,))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def names(front):
    """Origin name -> loopback address, the edge's resolver (tests add entries)."""
    return {APP: ("127.0.0.1", front.port)}


@pytest.fixture(scope="module")
def api():
    return FakeCloudFront()


@pytest.fixture(scope="module")
def clock():
    return FakeClock()


@pytest.fixture(scope="module")
def edge(ca, api, names, clock):
    settings = Settings(api_port=0, proxy_port=0, cloudfront_deploy_seconds=api_deploy_seconds(api))
    e = Edge(
        settings,
        ca,
        "http://unused.invalid",
        client=api,
        clock=clock,
        resolve=lambda host, port: names.get(host),
    )
    e.start()
    yield e
    e.stop()


@pytest.fixture(scope="module")
def proxy(edge):
    p = ConnectProxy("127.0.0.1", 0, edge.route)
    p.start()
    yield p
    p.stop()


@pytest.fixture
def http(proxy, ca):
    s = requests.Session()
    s.proxies = {"https": proxy.url, "http": proxy.url}
    s.verify = str(ca.bundle_pem)
    s.trust_env = False
    yield s
    s.close()


def api_deploy_seconds(api: FakeCloudFront) -> float:
    """The edge is told the API's deploy delay, as the backend tells it settings.cloudfront_deploy_seconds."""
    return api.deploy_seconds


def deploy(api, default, behaviors=(), origins=None, **kw) -> str:
    """A Deployed distribution; returns its domain name."""
    dist_id = api.add(distribution_config(origins or [origin(APP)], default, behaviors, **kw))
    api.wait_deployed(dist_id)
    return api.domain(dist_id)


FIXED = {"cache_policy_id": CACHING_DISABLED, "origin_request_policy_id": ALL_VIEWER_EXCEPT_HOST}


# --- the three failures and the fix -------------------------------------------------------------------------


def test_host_forwarded_with_all_viewer_gets_envoy_404(api, http):
    domain = deploy(api, behavior(cache_policy_id=CACHING_DISABLED, origin_request_policy_id=ALL_VIEWER))
    r = http.get(f"https://{domain}/echo", timeout=TIMEOUT)
    assert r.status_code == 404
    assert r.headers["server"] == "envoy" and r.content == b""
    assert r.headers["x-cache"] == "Error from cloudfront"


def test_sni_to_the_origin_is_the_forwarded_host_or_the_origin_domain(api, http, front):
    forwarding = deploy(
        api,
        behavior(cache_policy_id=CACHING_DISABLED, origin_request_policy_id=ALL_VIEWER),
        origins=[origin(APP, keepalive=1)],
    )
    front.sni.clear()
    http.get(f"https://{forwarding}/sni", timeout=TIMEOUT)
    fixed = deploy(api, behavior(**FIXED))
    http.get(f"https://{fixed}/sni", timeout=TIMEOUT)
    assert front.sni == [forwarding, APP]


def test_legacy_forwarding_of_all_headers_gets_envoy_404(api, http):
    fv = {"QueryString": True, "Cookies": {"Forward": "all"}, "Headers": {"Quantity": 1, "Items": ["*"]}}
    domain = deploy(api, behavior(forwarded_values=fv))
    r = http.get(f"https://{domain}/echo", timeout=TIMEOUT)
    assert (r.status_code, r.headers["server"]) == (404, "envoy")


def failure_of(edge, response):
    """The origin failure the edge recorded for this response (by its X-Amz-Cf-Id)."""
    return edge.pipeline.origin_failures[response.headers["x-amz-cf-id"]]


def test_cloudformation_default_origin_protocols_get_the_502_page(api, http, edge):
    domain = deploy(api, behavior(**FIXED), origins=[origin(APP, ssl_protocols=("TLSv1", "SSLv3"))])
    r = http.get(f"https://{domain}/echo", timeout=TIMEOUT)
    assert r.status_code == 502
    assert "<TITLE>ERROR: The request could not be satisfied</TITLE>" in r.text
    assert "CloudFront wasn't able to connect to the origin." in r.text
    assert r.headers["server"] == "CloudFront"
    assert r.headers["x-cache"] == "Error from cloudfront"
    assert re.fullmatch(r"1\.1 [0-9a-f]{32}\.cloudfront\.net \(CloudFront\)", r.headers["via"])
    assert r.headers["x-amz-cf-pop"]
    assert f"Request ID: {r.headers['x-amz-cf-id']}" in r.text
    assert len(r.headers["x-amz-cf-id"]) == 56
    # The cause: a TLS handshake offering TLS 1.0 only, which the origin refused with a protocol_version
    # alert (RFC 8446 section 6.2) - not DNS, a refused connection or the certificate.
    failure = failure_of(edge, r)
    assert (failure.kind, failure.offered) == ("tls_handshake", ("TLSv1",))
    assert failure.ssl_reason == "TLSV1_ALERT_PROTOCOL_VERSION", failure


def test_the_same_origin_protocols_reach_an_origin_that_accepts_tls_1_0(api, http, names, ca):
    """Positive control of the 502 above: the same OriginSslProtocols, an origin that speaks TLS 1.0: 200."""
    legacy = EchoOrigin(ca, names=("legacy.test",), tls_versions=("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"))
    try:
        names["legacy.test"] = ("127.0.0.1", legacy.port)
        legacy_origin = origin("legacy.test", ssl_protocols=("TLSv1", "SSLv3"))
        domain = deploy(api, behavior(**FIXED), origins=[legacy_origin])
        r = http.get(f"https://{domain}/echo", timeout=TIMEOUT)
        assert r.status_code == 200 and r.json()["host"] == "legacy.test"
        assert legacy.versions == ["TLSv1"]  # the edge offered, and got, TLS 1.0
    finally:
        legacy.stop()


def test_sslv3_alone_gets_502_without_any_connection(api, http, edge):
    """The shortcut (docs/behaviours.md): OpenSSL here cannot speak SSLv3, so nothing is offered and no
    connection is made; CloudFront would attempt an SSLv3 handshake that a TLS 1.2+ origin refuses."""
    assert not ssl.HAS_SSLv3  # the reason for the shortcut: this OpenSSL cannot offer SSLv3
    domain = deploy(api, behavior(**FIXED), origins=[origin(APP, ssl_protocols=("SSLv3",))])
    r = http.get(f"https://{domain}/echo", timeout=TIMEOUT)
    assert r.status_code == 502 and "CloudFront wasn't able to connect to the origin." in r.text
    failure = failure_of(edge, r)
    assert (failure.kind, failure.offered, failure.ssl_reason) == ("tls_no_version", (), "")


def test_fixed_configuration_reaches_the_app_with_the_origin_host(api, http, front):
    domain = deploy(api, behavior(**FIXED))
    r = http.get(f"https://{domain}/echo?x=1", headers={"User-Agent": "reader"}, timeout=TIMEOUT)
    assert r.status_code == 200
    seen = r.json()
    assert seen["host"] == APP
    assert seen["path"] == "/echo?x=1"
    got = {k.lower(): v for k, v in seen["headers"]}
    assert got["user-agent"] == "reader"  # AllViewerExceptHostHeader forwards the rest
    assert got["x-amz-cf-id"] == r.headers["x-amz-cf-id"]
    assert got["x-forwarded-for"].endswith("127.0.0.1")
    assert r.headers["x-cache"] == "Miss from cloudfront"


# --- caching ------------------------------------------------------------------------------------------------


def test_cache_miss_then_hit_with_age(api, http, front, clock):
    domain = deploy(api, behavior(cache_policy_id=CACHING_OPTIMIZED))
    first = http.get(f"https://{domain}/miss-hit", timeout=TIMEOUT)
    clock.advance(7)
    second = http.get(f"https://{domain}/miss-hit", timeout=TIMEOUT)
    assert first.headers["x-cache"] == "Miss from cloudfront" and "age" not in first.headers
    assert second.headers["x-cache"] == "Hit from cloudfront"
    assert second.headers["age"] == "7"
    assert second.content == first.content and front.hits["/miss-hit"] == 1
    assert second.headers["x-amz-cf-id"] != first.headers["x-amz-cf-id"]


def test_expired_object_is_revalidated_as_refresh_hit(api, http, front, clock):
    front.routes["/etag"] = (200, [("ETag", '"v1"'), ("Cache-Control", "max-age=5")], 0.0)
    domain = deploy(api, behavior(cache_policy_id="short"))
    api.cache_policies["short"] = cache_policy(0, 5, 60)
    http.get(f"https://{domain}/etag", timeout=TIMEOUT)
    clock.advance(6)
    r = http.get(f"https://{domain}/etag", timeout=TIMEOUT)
    assert r.headers["x-cache"] == "RefreshHit from cloudfront"
    assert r.json()["path"] == "/etag" and front.hits["/etag"] == 2
    assert http.get(f"https://{domain}/etag", timeout=TIMEOUT).headers["x-cache"] == "Hit from cloudfront"


def test_errors_are_cached_ten_seconds_by_default(api, http, front, clock):
    front.routes["/missing"] = (404, [], 0.0)
    domain = deploy(api, behavior(cache_policy_id=CACHING_OPTIMIZED))
    statuses = [http.get(f"https://{domain}/missing", timeout=TIMEOUT).status_code for _ in range(3)]
    assert statuses == [404, 404, 404] and front.hits["/missing"] == 1
    clock.advance(9)
    http.get(f"https://{domain}/missing", timeout=TIMEOUT)
    assert front.hits["/missing"] == 1
    clock.advance(2)
    http.get(f"https://{domain}/missing", timeout=TIMEOUT)
    assert front.hits["/missing"] == 2


def test_cached_objects_survive_a_config_update_and_its_deployment(api, http, front):
    # No page says an update purges the cache; objects stay until they expire or are invalidated (config.py).
    dist_id = api.add(distribution_config([origin(APP)], behavior(cache_policy_id=CACHING_OPTIMIZED)))
    api.wait_deployed(dist_id)
    url = f"https://{api.domain(dist_id)}/kept"
    assert http.get(url, timeout=TIMEOUT).headers["x-cache"] == "Miss from cloudfront"
    api.update(
        dist_id,
        distribution_config([origin(APP, read_timeout=20)], behavior(cache_policy_id=CACHING_OPTIMIZED)),
    )
    assert api.status(dist_id) == "InProgress"
    during = http.get(url, timeout=TIMEOUT)
    api.wait_deployed(dist_id)
    after = http.get(url, timeout=TIMEOUT)
    assert [during.headers["x-cache"], after.headers["x-cache"]] == ["Hit from cloudfront"] * 2
    assert front.hits["/kept"] == 1


# --- invalidations ------------------------------------------------------------------------------------------


def _cached(http, domain: str, *targets: str) -> None:
    for target in targets:
        http.get(f"https://{domain}{target}", timeout=TIMEOUT)


def _x_cache(http, domain: str, target: str) -> str:
    return http.get(f"https://{domain}{target}", timeout=TIMEOUT).headers["x-cache"].split()[0]


def test_invalidation_purges_exactly_the_named_paths(api, http):
    dist_id = api.add(distribution_config([origin(APP)], behavior(cache_policy_id=CACHING_OPTIMIZED)))
    api.wait_deployed(dist_id)
    domain = api.domain(dist_id)
    targets = ["/inv/a.css", "/inv/a.css.map", "/inv/A.css", "/inv/b.css", "/other/a.css"]
    _cached(http, domain, *targets)
    api.wait_completed(dist_id, api.invalidate(dist_id, ["/inv/a.css"]))
    # Exact and case sensitive (CF-DG Invalidation.html): only /inv/a.css goes.
    assert {t: _x_cache(http, domain, t) for t in targets} == {
        "/inv/a.css": "Miss",
        "/inv/a.css.map": "Hit",
        "/inv/A.css": "Hit",
        "/inv/b.css": "Hit",
        "/other/a.css": "Hit",
    }


def test_wildcard_invalidation_purges_a_prefix(api, http):
    dist_id = api.add(distribution_config([origin(APP)], behavior(cache_policy_id=CACHING_OPTIMIZED)))
    api.wait_deployed(dist_id)
    domain = api.domain(dist_id)
    targets = ["/img/x.png", "/img/sub/y.png", "/img", "/imgs/z.png", "/js/app.js"]
    _cached(http, domain, *targets)
    api.wait_completed(dist_id, api.invalidate(dist_id, ["/img/*"]))
    assert {t: _x_cache(http, domain, t) for t in targets} == {
        "/img/x.png": "Miss",
        "/img/sub/y.png": "Miss",
        "/img": "Hit",
        "/imgs/z.png": "Hit",
        "/js/app.js": "Hit",
    }
    api.wait_completed(dist_id, api.invalidate(dist_id, ["/*"]))
    assert {_x_cache(http, domain, t) for t in targets} == {"Miss"}


def test_invalidation_paths_include_the_query_strings_in_the_cache_key(api, http):
    # With query strings in the key, "/q" names the object without a query; "/q*" every version (CF-DG
    # Invalidation.html, "Forwarding query strings"). Headers and cookies never matter.
    api.cache_policies["query-key"] = cache_policy(query="all")
    dist_id = api.add(distribution_config([origin(APP)], behavior(cache_policy_id="query-key")))
    api.wait_deployed(dist_id)
    domain = api.domain(dist_id)
    _cached(http, domain, "/q", "/q?v=1", "/q?v=2")
    api.wait_completed(dist_id, api.invalidate(dist_id, ["/q", "/q?v=2"]))
    assert [_x_cache(http, domain, t) for t in ("/q", "/q?v=1", "/q?v=2")] == ["Miss", "Hit", "Miss"]
    api.wait_completed(dist_id, api.invalidate(dist_id, ["/q*"]))
    assert [_x_cache(http, domain, t) for t in ("/q", "/q?v=1", "/q?v=2")] == ["Miss"] * 3


def test_invalidations_of_one_distribution_leave_another_alone(api, http):
    first, second = (
        api.add(distribution_config([origin(APP)], behavior(cache_policy_id=CACHING_OPTIMIZED)))
        for _ in range(2)
    )
    api.wait_deployed(first)
    api.wait_deployed(second)
    _cached(http, api.domain(first), "/shared")
    _cached(http, api.domain(second), "/shared")
    api.wait_completed(first, api.invalidate(first, ["/*"]))
    assert _x_cache(http, api.domain(second), "/shared") == "Hit"
    assert _x_cache(http, api.domain(first), "/shared") == "Miss"


def test_request_after_completed_is_never_served_from_a_purged_object(api, http, front, edge):
    """The notebooks' contract: once a client has seen Completed, its next request misses.

    Each round caches the object, refreshes the edge's snapshot on the spot (the hardest case: the snapshot
    is as young as it gets when the invalidation is created), then waits for Completed and asks again."""
    dist_id = api.add(distribution_config([origin(APP)], behavior(cache_policy_id=CACHING_OPTIMIZED)))
    api.wait_deployed(dist_id)
    url = f"https://{api.domain(dist_id)}/ordered"
    misses = []
    for _ in range(8):
        assert http.get(url, timeout=TIMEOUT).headers["x-cache"] in (
            "Miss from cloudfront",
            "Hit from cloudfront",
        )
        edge.store.refresh()
        invalidation_id = api.invalidate(dist_id, ["/ordered"])
        api.wait_completed(dist_id, invalidation_id)
        misses.append(http.get(url, timeout=TIMEOUT).headers["x-cache"])
    assert misses == ["Miss from cloudfront"] * 8
    assert front.hits["/ordered"] == 9


def test_response_headers_removed_or_replaced(api, http, front):
    front.routes["/vary"] = (200, [("Vary", "User-Agent, Accept-Encoding"), ("Via", "1.1 app-proxy")], 0.0)
    domain = deploy(api, behavior(cache_policy_id=CACHING_DISABLED))  # User-Agent is not forwarded
    r = http.get(f"https://{domain}/vary", timeout=TIMEOUT)
    assert r.headers["vary"] == "Accept-Encoding"
    assert r.headers["via"].endswith(".cloudfront.net (CloudFront)") and "app-proxy" not in r.headers["via"]
    assert r.headers["server"] == "envoy"  # the origin's own headers pass


def test_caching_disabled_never_caches(api, http, front):
    front.routes["/nocache"] = (500, [("Cache-Control", "max-age=60")], 0.0)
    domain = deploy(api, behavior(cache_policy_id=CACHING_DISABLED))
    for _ in range(3):
        assert http.get(f"https://{domain}/nocache", timeout=TIMEOUT).status_code == 500
    assert front.hits["/nocache"] == 3


def test_a_wrong_cache_policy_serves_one_users_page_to_another(api, http, front):
    # CachingOptimized keeps cookies out of the key; AllViewer still sends them to the app.
    domain = deploy(
        api, behavior(cache_policy_id=CACHING_OPTIMIZED, origin_request_policy_id=ALL_VIEWER_EXCEPT_HOST)
    )
    alice = http.get(f"https://{domain}/me", cookies={"session": "alice"}, timeout=TIMEOUT)
    bob = http.get(f"https://{domain}/me", cookies={"session": "bob"}, timeout=TIMEOUT)
    assert ["Cookie", "session=alice"] in alice.json()["headers"]
    assert bob.headers["x-cache"] == "Hit from cloudfront"
    assert bob.json() == alice.json()  # Bob gets Alice's page


# --- functions ----------------------------------------------------------------------------------------------


def test_function_adding_x_forwarded_host(api, http):
    api.put_function(
        "add-xfh",
        "function handler(event) { var r = event.request;"
        " r.headers['x-forwarded-host'] = {value: r.headers.host.value}; return r; }",
    )
    domain = deploy(api, behavior(**FIXED, functions=["add-xfh"]))
    seen = http.get(f"https://{domain}/echo", timeout=TIMEOUT).json()
    assert ["X-Forwarded-Host", domain] in seen["headers"]
    assert seen["host"] == APP


def test_function_changing_host_gets_502(api, http, front):
    api.put_function(
        "set-host",
        "function handler(event) {"
        f" event.request.headers.host = {{value: '{APP}'}}; return event.request; }}",
    )
    domain = deploy(
        api,
        behavior(
            cache_policy_id=CACHING_DISABLED, origin_request_policy_id=ALL_VIEWER, functions=["set-host"]
        ),
    )
    before = dict(front.hits)
    r = http.get(f"https://{domain}/function-host", timeout=TIMEOUT)
    assert r.status_code == 502 and r.headers["x-cache"] == "Error from cloudfront"
    assert "read-only" in r.text
    assert front.hits == before  # the request never left the edge


def test_function_generated_response(api, http):
    api.put_function(
        "redirect",
        "function handler(e) { return {statusCode: 302, statusDescription: 'Found',"
        " headers: {location: {value: 'https://example.com/'}}}; }",
    )
    domain = deploy(api, behavior(**FIXED, functions=["redirect"]))
    r = http.get(f"https://{domain}/", allow_redirects=False, timeout=TIMEOUT)
    assert r.status_code == 302 and r.headers["location"] == "https://example.com/"
    assert r.headers["x-cache"] == "FunctionGeneratedResponse from cloudfront"
    assert r.headers["server"] == "CloudFront"


def test_function_without_live_stage_gets_503(api, http):
    domain = deploy(api, behavior(**FIXED, functions=["never-published"]))
    assert http.get(f"https://{domain}/", timeout=TIMEOUT).status_code == 503


# --- the secret origin header -------------------------------------------------------------------------------


def test_origin_custom_header_reaches_the_app_and_cannot_be_forged(api, http):
    domain = deploy(
        api, behavior(**FIXED), origins=[origin(APP, custom_headers=[("X-Origin-Verify", "s3cret")])]
    )
    seen = http.get(f"https://{domain}/echo", headers={"X-Origin-Verify": "forged"}, timeout=TIMEOUT).json()
    assert [v for k, v in seen["headers"] if k.lower() == "x-origin-verify"] == ["s3cret"]


# --- viewer protocol and methods ----------------------------------------------------------------------------


def test_redirect_to_https_and_https_only(api, http):
    redirecting = deploy(api, behavior(**FIXED, viewer="redirect-to-https"))
    r = http.get(f"http://{redirecting}/a/b?c=1", allow_redirects=False, timeout=TIMEOUT)
    assert r.status_code == 301 and r.headers["location"] == f"https://{redirecting}/a/b?c=1"
    assert r.headers["x-cache"] == "Redirect from cloudfront"
    strict = deploy(api, behavior(**FIXED, viewer="https-only"))
    assert http.get(f"http://{strict}/", timeout=TIMEOUT).status_code == 403
    assert http.get(f"https://{strict}/", timeout=TIMEOUT).status_code == 200


def test_methods_outside_allowed_methods_and_get_with_body_are_refused(api, http):
    domain = deploy(api, behavior(**FIXED))
    assert http.post(f"https://{domain}/echo", data=b"x", timeout=TIMEOUT).status_code == 403
    assert http.request("GET", f"https://{domain}/echo", data=b"body", timeout=TIMEOUT).status_code == 403
    writable = deploy(
        api, behavior(**FIXED, methods=("GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"))
    )
    r = http.post(f"https://{writable}/echo", data=b"hello", timeout=TIMEOUT)
    assert r.status_code == 200 and r.json()["body"] == "hello" and r.json()["method"] == "POST"


# --- viewer TLS (CF-DG secure-connections-supported-viewer-protocols-ciphers.html) --------------------------


def tunnel(proxy, host: str, port: int = 443) -> socket.socket:
    sock = socket.create_connection(proxy.address, timeout=TIMEOUT)
    sock.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1024)
        assert chunk, "proxy closed the tunnel"
        head += chunk
    assert head.startswith(b"HTTP/1.1 200"), head
    return sock


def handshake(proxy, ca, host, versions) -> str | None:
    """The negotiated version, or None when the handshake fails."""
    sock = tunnel(proxy, host)
    try:
        with client_context(ca, versions).wrap_socket(sock, server_hostname=host) as tls:
            return tls.version()
    except ssl.SSLError:
        return None
    finally:
        sock.close()


def test_default_certificate_means_the_tlsv1_policy(api, proxy, ca):
    domain = deploy(
        api,
        behavior(**FIXED),
        certificate={"CloudFrontDefaultCertificate": True, "MinimumProtocolVersion": "TLSv1.2_2021"},
    )
    assert handshake(proxy, ca, domain, ["TLSv1"]) == "TLSv1"
    assert handshake(proxy, ca, domain, ["TLSv1.3"]) == "TLSv1.3"


def test_alias_with_acm_certificate_applies_minimum_protocol_version(api, proxy, ca, http):
    cert = {
        "ACMCertificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/x",
        "SSLSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
        "CloudFrontDefaultCertificate": False,
    }
    domain = deploy(api, behavior(**FIXED), aliases=["www.example.test"], certificate=cert)
    assert handshake(proxy, ca, "www.example.test", ["TLSv1", "TLSv1.1"]) is None
    assert handshake(proxy, ca, "www.example.test", ["TLSv1.2"]) == "TLSv1.2"
    assert handshake(proxy, ca, domain, ["TLSv1"]) == "TLSv1"  # the cloudfront.net name keeps TLSv1
    assert http.get("https://www.example.test/echo", timeout=TIMEOUT).json()["host"] == APP


# --- the InProgress / Deployed model ------------------------------------------------------------------------


def test_in_progress_keeps_serving_the_last_deployed_config(api, edge, http):
    dist_id = api.add(distribution_config([origin(APP)], behavior(**FIXED)))
    api.wait_deployed(dist_id)
    domain = api.domain(dist_id)
    assert http.get(f"https://{domain}/echo", timeout=TIMEOUT).status_code == 200
    broken = distribution_config(
        [origin(APP)], behavior(cache_policy_id=CACHING_DISABLED, origin_request_policy_id=ALL_VIEWER)
    )
    api.update(dist_id, broken, status="InProgress")
    edge.store.refresh()  # the edge has seen InProgress (a snapshot older than the update proves nothing)
    assert http.get(f"https://{domain}/echo", timeout=TIMEOUT).status_code == 200  # old config
    api.set_status(dist_id, "Deployed")
    assert http.get(f"https://{domain}/echo", timeout=TIMEOUT).status_code == 404  # the very next request


def test_update_is_served_once_the_api_says_deployed(api, http):
    dist_id = api.add(distribution_config([origin(APP)], behavior(**FIXED)))
    api.wait_deployed(dist_id)
    domain = api.domain(dist_id)
    for round_ in range(3):  # flip between the fixed and the broken config, as a notebook would
        policy = ALL_VIEWER if round_ % 2 == 0 else ALL_VIEWER_EXCEPT_HOST
        api.update(
            dist_id,
            distribution_config(
                [origin(APP)], behavior(cache_policy_id=CACHING_DISABLED, origin_request_policy_id=policy)
            ),
        )
        api.wait_deployed(dist_id)
        expected = 404 if policy == ALL_VIEWER else 200
        assert http.get(f"https://{domain}/echo", timeout=TIMEOUT).status_code == expected


def test_never_deployed_distribution_is_not_served(api, edge, http):
    dist_id = api.add(distribution_config([origin(APP)], behavior(**FIXED)), status="InProgress")
    edge.store.refresh()  # the edge has seen the distribution, InProgress
    assert edge.route(api.domain(dist_id), 443) is None
    with pytest.raises(requests.exceptions.ProxyError):
        http.get(f"https://{api.domain(dist_id)}/", timeout=TIMEOUT)


# --- bad input ----------------------------------------------------------------------------------------------


def raw_exchange(proxy, ca, host: str, payload: bytes) -> bytes:
    sock = tunnel(proxy, host)
    with client_context(ca).wrap_socket(sock, server_hostname=host) as tls:
        tls.sendall(payload)
        data = b""
        while chunk := tls.recv(65536):
            data += chunk
        return data  # the edge closed the connection: recv returned b""


def test_malformed_http_gets_400_and_the_connection_closes(api, proxy, ca):
    domain = deploy(api, behavior(**FIXED))
    for garbage in (
        b"HELLO\r\n\r\n",
        b"GET /x HTTP/9.9\r\nHost: a\r\n\r\n",
        b"GET /x HTTP/1.1\r\nno colon\r\n\r\n",
    ):
        reply = raw_exchange(proxy, ca, domain, garbage)
        assert reply.startswith(b"HTTP/1.1 400 "), reply[:60]
        assert b"Connection: close" in reply


def test_request_head_over_20480_bytes_gets_413_and_close(api, http, proxy, ca):
    domain = deploy(api, behavior(**FIXED))
    r = http.get(f"https://{domain}/echo", headers={"X-Big": "a" * 21_000}, timeout=TIMEOUT)
    assert r.status_code == 413 and r.headers["connection"] == "close"
    near = http.get(f"https://{domain}/echo", headers={"X-Big": "a" * 19_000}, timeout=TIMEOUT)
    assert near.status_code == 200


def test_url_over_8192_bytes_gets_413(api, http):
    domain = deploy(api, behavior(**FIXED))
    assert http.get(f"https://{domain}/{'p' * 8200}", timeout=TIMEOUT).status_code == 413
    assert http.get(f"https://{domain}/{'p' * 8000}", timeout=TIMEOUT).status_code == 200


def test_unknown_names(api, http, proxy, ca):
    with pytest.raises(requests.exceptions.ProxyError):
        http.get("https://dnothere.cloudfront.net/", timeout=TIMEOUT)
    # A known name in TLS but an unknown Host header: CloudFront's 403.
    domain = deploy(api, behavior(**FIXED))
    reply = raw_exchange(
        proxy, ca, domain, b"GET / HTTP/1.1\r\nHost: dother.cloudfront.net\r\nConnection: close\r\n\r\n"
    )
    assert reply.startswith(b"HTTP/1.1 403 ") and b"Bad request." in reply


# --- faults -------------------------------------------------------------------------------------------------


def test_origin_down_gets_502(api, http, names, edge):
    names["down.test"] = ("127.0.0.1", free_port_closed())
    domain = deploy(api, behavior(**FIXED), origins=[origin("down.test", attempts=1)])
    r = http.get(f"https://{domain}/", timeout=TIMEOUT)
    assert r.status_code == 502 and "CloudFront wasn't able to connect to the origin." in r.text
    assert failure_of(edge, r).kind == "connect"


def test_unresolvable_origin_gets_502(api, http, edge):
    domain = deploy(api, behavior(**FIXED), origins=[origin("nowhere.invalid", attempts=1)])
    r = http.get(f"https://{domain}/", timeout=TIMEOUT)
    assert r.status_code == 502 and failure_of(edge, r).kind == "dns"


def test_origin_slower_than_read_timeout_gets_504(api, http, front):
    front.routes["/slow"] = (200, [], 1.5)
    domain = deploy(api, behavior(**FIXED), origins=[origin(APP, read_timeout=1, attempts=1)])
    r = http.get(f"https://{domain}/slow", timeout=TIMEOUT)
    assert r.status_code == 504
    assert "CloudFront attempted to establish a connection with the origin" in r.text


def test_certificate_for_another_name_gets_502(api, http, names, ca, edge):
    other = EchoOrigin(ca, names=("someone-else.test",))
    try:
        names["mismatch.test"] = ("127.0.0.1", other.port)
        domain = deploy(api, behavior(**FIXED), origins=[origin("mismatch.test")])
        r = http.get(f"https://{domain}/", timeout=TIMEOUT)
        assert r.status_code == 502 and failure_of(edge, r).kind == "tls_certificate"
        assert other.hits == {}  # the handshake failed before any request
    finally:
        other.stop()


def test_http_only_origin(api, http, names):
    plain = EchoOrigin()
    try:
        names["plain.test"] = ("127.0.0.1", plain.port)
        domain = deploy(api, behavior(**FIXED), origins=[origin("plain.test", protocol="http-only")])
        assert http.get(f"https://{domain}/echo", timeout=TIMEOUT).json()["host"] == "plain.test"
    finally:
        plain.stop()


# --- load and pooling ---------------------------------------------------------------------------------------


def test_fifty_clients_times_twenty_requests(api, proxy, ca, edge):
    domain = deploy(api, behavior(**FIXED))
    opened_before = edge.origins.connections_opened

    def client(i: int) -> list[int]:
        with requests.Session() as s:
            # Fifty clients with connections of their own; the bundle parsed once for all (hostlab.tls_trust).
            s.mount("https://", BundleParsedOnce())
            s.proxies, s.verify, s.trust_env = {"https": proxy.url}, str(ca.bundle_pem), False
            return [s.get(f"https://{domain}/echo?c={i}&n={n}", timeout=30).status_code for n in range(20)]

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(client, range(50), timeout=120))
    assert [s for statuses in results for s in statuses] == [200] * 1000
    # Keep-alive pooling: far fewer origin connections than requests.
    assert edge.origins.connections_opened - opened_before <= 100


# --- curl and openssl ---------------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_through_the_proxy(api, proxy, ca):
    domain = deploy(api, behavior(**FIXED))
    out = subprocess.run(
        [
            "curl",
            "-sS",
            "--max-time",
            "10",
            "--proxy",
            proxy.url,
            "--cacert",
            str(ca.ca_pem),
            "-D",
            "-",
            f"https://{domain}/echo",
        ],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("HTTP/1.1 200")
    assert "x-cache: miss from cloudfront" in out.stdout.lower()
    assert f'"host": "{APP}"' in out.stdout


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_openssl_s_client_through_the_proxy(api, proxy, ca):
    domain = deploy(api, behavior(**FIXED))
    host, port = proxy.address
    request = f"GET /echo HTTP/1.1\r\nHost: {domain}\r\nConnection: close\r\n\r\n"
    out = subprocess.run(
        [
            "openssl",
            "s_client",
            "-proxy",
            f"{host}:{port}",
            "-connect",
            f"{domain}:443",
            "-servername",
            domain,
            "-CAfile",
            str(ca.ca_pem),
            "-verify_return_error",
            "-quiet",
            "-tls1",
            "-cipher",
            "DEFAULT@SECLEVEL=0",
        ],
        input=request,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert "HTTP/1.1 200 OK" in out.stdout, out.stderr  # TLS 1.0 accepted on the default certificate
    assert f'"host": "{APP}"' in out.stdout
