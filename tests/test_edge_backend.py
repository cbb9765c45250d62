"""The edge inside the real local backend: boto3 against the control plane, requests / curl / openssl through
the CONNECT proxy, the App Runner front and the demo app behind it. The tutorial's failures and fixes, end to
end, with the environment `hostlab env` gives a reader.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid

import pytest
from cloudfront_support import cache_policy_config

from hostlab import app as demo
from hostlab.settings import Settings

TIMEOUT = 15
SECRET = "e2e-edge-secret"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"


def wait_until(condition, what: str, timeout: float = 30.0):
    """A bounded wait for an event (not a speed assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


# What this module creates in the session's backend, removed again at the end (cleanup fixture).
CREATED: dict[str, list[str]] = {"distributions": [], "functions": [], "cache_policies": []}


@pytest.fixture(scope="module", autouse=True)
def cleanup(make_client):
    yield
    cloudfront = make_client("cloudfront")
    for dist_id in CREATED["distributions"]:  # disable, wait for the deployment, delete (the API's order)
        current = cloudfront.get_distribution_config(Id=dist_id)
        config = {**current["DistributionConfig"], "Enabled": False}
        cloudfront.update_distribution(Id=dist_id, DistributionConfig=config, IfMatch=current["ETag"])
    for dist_id in CREATED["distributions"]:
        wait_deployed(cloudfront, dist_id)
        cloudfront.delete_distribution(Id=dist_id, IfMatch=cloudfront.get_distribution(Id=dist_id)["ETag"])
    for name in CREATED["functions"]:
        cloudfront.delete_function(Name=name, IfMatch=cloudfront.describe_function(Name=name)["ETag"])
    for policy_id in CREATED["cache_policies"]:
        cloudfront.delete_cache_policy(
            Id=policy_id, IfMatch=cloudfront.get_cache_policy(Id=policy_id)["ETag"]
        )
    for kind in CREATED.values():
        kind.clear()


def server_log() -> str:
    """The session backend's server.log (its HOSTLAB_HOME is in the environment, see conftest.py)."""
    return Settings.from_env().log_file.read_text(encoding="utf-8", errors="replace")


def qi(items):
    return {"Quantity": len(items), "Items": list(items)}


@pytest.fixture(scope="module")
def service(make_client):
    apprunner = make_client("apprunner")
    created = apprunner.create_service(
        ServiceName=f"edge-e2e-{uuid.uuid4().hex[:6]}",
        SourceConfiguration=demo.source_configuration(origin_secret=SECRET),
    )
    arn, url = created["Service"]["ServiceArn"], created["Service"]["ServiceUrl"]
    wait_until(
        lambda: apprunner.describe_service(ServiceArn=arn)["Service"]["Status"] == "RUNNING", "RUNNING"
    )
    yield url
    apprunner.delete_service(ServiceArn=arn)


def app_origin(domain, protocols=("TLSv1.2",), secret=True):
    return {
        "Id": "app",
        "DomainName": domain,
        "CustomHeaders": qi([{"HeaderName": "x-origin-secret", "HeaderValue": SECRET}] if secret else []),
        "CustomOriginConfig": {
            "HTTPPort": 80,
            "HTTPSPort": 443,
            "OriginProtocolPolicy": "https-only",
            "OriginSslProtocols": qi(list(protocols)),
        },
    }


def create(
    cloudfront, origin, cache_policy=CACHING_DISABLED, request_policy=ALL_VIEWER_EXCEPT_HOST, functions=()
) -> tuple[str, str]:
    behavior = {
        "TargetOriginId": "app",
        "ViewerProtocolPolicy": "redirect-to-https",
        "CachePolicyId": cache_policy,
        "FunctionAssociations": qi(
            [{"FunctionARN": arn, "EventType": "viewer-request"} for arn in functions]
        ),
    }
    if request_policy:
        behavior["OriginRequestPolicyId"] = request_policy
    config = {
        "CallerReference": uuid.uuid4().hex,
        "Comment": "edge e2e",
        "Enabled": True,
        "Origins": qi([origin]),
        "DefaultCacheBehavior": behavior,
    }
    dist = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    CREATED["distributions"].append(dist["Id"])
    wait_deployed(cloudfront, dist["Id"])
    return dist["Id"], dist["DomainName"]


def wait_deployed(cloudfront, dist_id):
    wait_until(
        lambda: cloudfront.get_distribution(Id=dist_id)["Distribution"]["Status"] == "Deployed", "Deployed"
    )


def function(cloudfront, code) -> str:
    name = f"edge-e2e-{uuid.uuid4().hex[:8]}"
    created = cloudfront.create_function(
        Name=name, FunctionCode=code.encode(), FunctionConfig={"Comment": "", "Runtime": "cloudfront-js-2.0"}
    )
    CREATED["functions"].append(name)
    published = cloudfront.publish_function(Name=name, IfMatch=created["ETag"])
    return published["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]


def test_host_forwarded_gets_envoy_404_through_the_real_front(cloudfront, service, proxied):
    _, domain = create(cloudfront, app_origin(service), request_policy=ALL_VIEWER)
    r = proxied.get(f"https://{domain}/echo", timeout=TIMEOUT)
    assert (r.status_code, r.headers.get("server"), r.content) == (404, "envoy", b"")
    assert r.headers["x-cache"] == "Error from cloudfront"


def test_tlsv1_only_origin_protocols_get_the_502_page(cloudfront, service, proxied):
    _, domain = create(cloudfront, app_origin(service, protocols=("TLSv1", "SSLv3")))
    r = proxied.get(f"https://{domain}/echo", timeout=TIMEOUT)
    assert r.status_code == 502 and "ERROR: The request could not be satisfied" in r.text
    assert r.headers["server"] == "CloudFront" and r.headers["x-cache"] == "Error from cloudfront"
    # The cause, from the backend's log line for this request ID: the front refused a TLS 1.0-only
    # handshake with a protocol_version alert (not DNS, a refused connection or a certificate mismatch).
    # Positive control (an origin that accepts TLS 1.0 gets 200 with the same protocols): see
    # test_edge_serving.py::test_the_same_origin_protocols_reach_an_origin_that_accepts_tls_1_0.
    rid = r.headers["x-amz-cf-id"]
    line = wait_until(
        lambda: next((x for x in server_log().splitlines() if f"[{rid}]" in x), None), "the log line"
    )
    assert "tls_handshake" in line and "offering ['TLSv1']" in line and "TLSV1_ALERT_PROTOCOL_VERSION" in line


def test_fixed_config_then_the_function_then_the_update(cloudfront, service, proxied):
    dist_id, domain = create(cloudfront, app_origin(service))
    echo = proxied.get(f"https://{domain}/echo", timeout=TIMEOUT).json()
    assert echo["host"] == service
    assert echo["public_url"].startswith(f"https://{service}")  # the app believes it is the origin
    # Without the secret header the app refuses (origin-bypass protection).
    _, unprotected = create(cloudfront, app_origin(service, secret=False))
    assert proxied.get(f"https://{unprotected}/echo", timeout=TIMEOUT).status_code == 403

    # The fix at app level: a function passes the public host in X-Forwarded-Host.
    xfh = function(
        cloudfront,
        "function handler(event) { var r = event.request;"
        " r.headers['x-forwarded-host'] = {value: r.headers.host.value}; return r; }",
    )
    current = cloudfront.get_distribution_config(Id=dist_id)
    config = current["DistributionConfig"]
    config["DefaultCacheBehavior"]["FunctionAssociations"] = qi(
        [{"FunctionARN": xfh, "EventType": "viewer-request"}]
    )
    cloudfront.update_distribution(Id=dist_id, DistributionConfig=config, IfMatch=current["ETag"])
    wait_deployed(cloudfront, dist_id)
    echo = proxied.get(f"https://{domain}/echo", timeout=TIMEOUT).json()
    assert echo["headers"]["x-forwarded-host"] == domain
    assert echo["public_url"].startswith(f"https://{domain}")


def test_function_changing_host_gets_502(cloudfront, service, proxied):
    arn = function(
        cloudfront,
        f"function handler(event) {{ event.request.headers.host = {{value: '{service}'}};"
        " return event.request; }",
    )
    _, domain = create(cloudfront, app_origin(service), request_policy=ALL_VIEWER, functions=[arn])
    r = proxied.get(f"https://{domain}/echo", timeout=TIMEOUT)
    assert r.status_code == 502 and r.headers["x-cache"] == "Error from cloudfront"


def test_cache_miss_hit_and_error_caching(cloudfront, service, proxied):
    _, domain = create(cloudfront, app_origin(service), cache_policy=CACHING_OPTIMIZED)
    first = proxied.get(f"https://{domain}/static/app.css", timeout=TIMEOUT)
    second = proxied.get(f"https://{domain}/static/app.css", timeout=TIMEOUT)
    assert (first.headers["x-cache"], second.headers["x-cache"]) == (
        "Miss from cloudfront",
        "Hit from cloudfront",
    )
    assert "age" in second.headers
    missing = [proxied.get(f"https://{domain}/status/404", timeout=TIMEOUT) for _ in range(2)]
    assert [m.status_code for m in missing] == [404, 404]
    assert "age" not in missing[0].headers and "age" in missing[1].headers  # the second came from the cache


def test_wrong_cache_policy_serves_alices_account_page_to_bob(cloudfront, service, proxied):
    # Cookies reach the app (AllViewerExceptHostHeader) but not the cache key, and MinTTL > 0 caches even the
    # "private" answer of /account (CachePolicyConfig, MinTTL note): Bob gets Alice's page.
    policy = cloudfront.create_cache_policy(
        CachePolicyConfig=cache_policy_config(
            f"edge-e2e-{uuid.uuid4().hex[:8]}",
            MinTTL=60,
            DefaultTTL=60,
            MaxTTL=60,
            params={"EnableAcceptEncodingGzip": False, "EnableAcceptEncodingBrotli": False},
        )
    )["CachePolicy"]["Id"]
    CREATED["cache_policies"].append(policy)
    _, domain = create(cloudfront, app_origin(service), cache_policy=policy)
    alice = proxied.get(f"https://{domain}/account", cookies={"user": "alice"}, timeout=TIMEOUT)
    bob = proxied.get(f"https://{domain}/account", cookies={"user": "bob"}, timeout=TIMEOUT)
    assert "alice" in alice.text
    assert bob.headers["x-cache"] == "Hit from cloudfront"
    assert "alice" in bob.text and "bob" not in bob.text


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_with_the_readers_environment(cloudfront, service, client_env):
    _, domain = create(cloudfront, app_origin(service))
    env = {"PATH": "/usr/bin:/bin", **client_env}
    out = subprocess.run(
        ["curl", "-sS", "--max-time", "10", "-i", f"https://{domain}/echo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("HTTP/1.1 200") and service in out.stdout


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_openssl_s_client_with_the_readers_proxy(cloudfront, service, client_env):
    _, domain = create(cloudfront, app_origin(service))
    proxy = client_env["HTTPS_PROXY"].split("://", 1)[1].rstrip("/")
    request = f"GET /echo HTTP/1.1\r\nHost: {domain}\r\nConnection: close\r\n\r\n"
    out = subprocess.run(
        [
            "openssl",
            "s_client",
            "-proxy",
            proxy,
            "-connect",
            f"{domain}:443",
            "-servername",
            domain,
            "-CAfile",
            client_env["SSL_CERT_FILE"],
            "-verify_return_error",
            "-quiet",
        ],
        input=request,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert "HTTP/1.1 200 OK" in out.stdout, out.stderr
    assert service in out.stdout


def invalidate_and_wait(cloudfront, dist_id, paths) -> str:
    created = cloudfront.create_invalidation(
        DistributionId=dist_id,
        InvalidationBatch={"Paths": qi(paths), "CallerReference": uuid.uuid4().hex},
    )["Invalidation"]
    cloudfront.get_waiter("invalidation_completed").wait(
        DistributionId=dist_id, Id=created["Id"], WaiterConfig={"Delay": 0.1, "MaxAttempts": 100}
    )
    return cloudfront.get_invalidation(DistributionId=dist_id, Id=created["Id"])["Invalidation"]["Status"]


def test_cached_404_outlives_the_fix_until_invalidated(cloudfront, service, proxied):
    # The tutorial's "the fix didn't work": Host forwarded -> Envoy's 404, cached (404 is always cached, 10 s
    # by default); the fixed configuration deploys, but the cache still answers the 404 until an invalidation.
    dist_id, domain = create(
        cloudfront, app_origin(service), cache_policy=CACHING_OPTIMIZED, request_policy=ALL_VIEWER
    )
    assert proxied.get(f"https://{domain}/echo", timeout=TIMEOUT).status_code == 404
    current = cloudfront.get_distribution_config(Id=dist_id)
    config = current["DistributionConfig"]
    config["DefaultCacheBehavior"]["OriginRequestPolicyId"] = ALL_VIEWER_EXCEPT_HOST
    cloudfront.update_distribution(Id=dist_id, DistributionConfig=config, IfMatch=current["ETag"])
    wait_deployed(cloudfront, dist_id)
    stale = proxied.get(f"https://{domain}/echo", timeout=TIMEOUT)
    assert (stale.status_code, stale.headers["x-cache"]) == (404, "Error from cloudfront")
    assert "age" in stale.headers  # served from the cache, not by the origin
    assert invalidate_and_wait(cloudfront, dist_id, ["/echo"]) == "Completed"
    fixed = proxied.get(f"https://{domain}/echo", timeout=TIMEOUT)
    assert (fixed.status_code, fixed.headers["x-cache"]) == (200, "Miss from cloudfront")
    assert fixed.json()["host"] == service


def test_completed_invalidation_is_seen_by_the_very_next_request(cloudfront, service, proxied):
    dist_id, domain = create(cloudfront, app_origin(service), cache_policy=CACHING_OPTIMIZED)
    numbers = []
    for _ in range(3):
        first = proxied.get(f"https://{domain}/echo", timeout=TIMEOUT).json()["request_number"]
        invalidate_and_wait(cloudfront, dist_id, ["/*"])
        after = proxied.get(f"https://{domain}/echo", timeout=TIMEOUT)
        assert after.headers["x-cache"] == "Miss from cloudfront"
        numbers.append((first, after.json()["request_number"]))
    assert all(after > first for first, after in numbers)


def test_legacy_behaviour_without_ttls_caches_for_the_default_day(cloudfront, service, proxied):
    # moto answers MinTTL/DefaultTTL/MaxTTL 0 when left out, which would cache nothing; CloudFront keeps
    # 0 / 86400 / 31536000, so /echo (no Cache-Control) is cached.
    config = {
        "CallerReference": uuid.uuid4().hex,
        "Comment": "edge e2e legacy",
        "Enabled": True,
        "Origins": qi([app_origin(service)]),
        "DefaultCacheBehavior": {
            "TargetOriginId": "app",
            "ViewerProtocolPolicy": "redirect-to-https",
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
        },
    }
    dist = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    CREATED["distributions"].append(dist["Id"])
    behaviour = dist["DistributionConfig"]["DefaultCacheBehavior"]
    assert (behaviour["MinTTL"], behaviour["DefaultTTL"], behaviour["MaxTTL"]) == (0, 86400, 31536000)
    wait_deployed(cloudfront, dist["Id"])
    answers = [proxied.get(f"https://{dist['DomainName']}/echo", timeout=TIMEOUT) for _ in range(2)]
    assert [a.headers["x-cache"] for a in answers] == ["Miss from cloudfront", "Hit from cloudfront"]
    assert answers[1].json()["request_number"] == answers[0].json()["request_number"]
