"""The edge's pure rules: path patterns, policy parsing, cache keys, origin requests, TTLs (no sockets)."""

from __future__ import annotations

import pytest
from edge_support import (
    ALL_VIEWER,
    ALL_VIEWER_EXCEPT_HOST,
    CACHING_DISABLED,
    CACHING_OPTIMIZED,
    MANAGED_CACHE,
    MANAGED_ORIGIN_REQUEST,
    behavior,
    cache_policy,
    distribution_config,
    origin,
    origin_request_policy,
)

from hostlab.local.dataplane.edge.behaviours import path_matches, select_behavior
from hostlab.local.dataplane.edge.cache import ResponseCache, response_ttl
from hostlab.local.dataplane.edge.cache_key import cache_key
from hostlab.local.dataplane.edge.messages import ViewerRequest, join_query, split_query
from hostlab.local.dataplane.edge.model import ConfigError, parse_distribution
from hostlab.local.dataplane.edge.origin import offered_versions
from hostlab.local.dataplane.edge.origin_request import build_origin_request, host_is_forwarded

ORIGIN = "abc123.us-east-1.awsapprunner.com"


def dist(default, behaviors=(), origins=None, cache_policies=None, request_policies=None, **kw):
    config = distribution_config(origins or [origin(ORIGIN)], default, behaviors, **kw)
    return parse_distribution(
        "EDIST",
        "d111.cloudfront.net",
        config,
        cache_policies={**MANAGED_CACHE, **(cache_policies or {})},
        origin_request_policies={**MANAGED_ORIGIN_REQUEST, **(request_policies or {})},
    )


def viewer(path="/echo", query="", headers=(), method="GET", scheme="https"):
    base = [
        ("Host", "d111.cloudfront.net"),
        ("User-Agent", "pytest"),
        ("Accept", "text/html"),
        ("Accept-Language", "en"),
        ("Referer", "https://elsewhere/"),
        ("X-Custom", "1"),
        ("Cookie", "session=alice; theme=dark"),
        ("X-Forwarded-For", "203.0.113.9"),
        ("X-Forwarded-Proto", "http"),
        ("Proxy-Authorization", "x"),
        ("Accept-Encoding", "gzip, deflate, br"),
        ("If-None-Match", '"v1"'),
    ]
    return ViewerRequest(method, path, query, [*base, *headers], b"", scheme, "198.51.100.7", 50000)


def origin_request(d, req=None, **kw):
    b = select_behavior(d, (req or viewer()).path)
    return build_origin_request(
        req or viewer(), b, d.origins[b.target_origin_id], request_id="RID", via_id="v", **kw
    )


def names(headers):
    return [n.lower() for n, _ in headers]


def value(headers, name):
    return next((v for n, v in headers if n.lower() == name.lower()), None)


# --- path patterns (CF-DG distribution-web-values-specify.html, "Path pattern") -----------------------------


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("images/*.jpg", "/images/a.jpg", True),
        ("images/*.jpg", "/images/product1/a.jpg", True),  # * spans sub-directories
        ("/images/*.jpg", "/images/a.jpg", True),  # a leading / makes no difference
        ("*.jpg", "/LOGO.JPG", False),  # case-sensitive
        ("a??.jpg", "/ant.jpg", True),
        ("a??.jpg", "/an.jpg", False),  # ? is exactly one character
        ("*.doc*", "/x.docx", True),
        ("*.doc?", "/x.doc", False),
        ("static/[abc].css", "/static/[abc].css", True),  # brackets are literal, not a class
        ("static/[abc].css", "/static/a.css", False),
        ("*", "/anything/at/all", True),
    ],
)
def test_path_patterns(pattern, path, expected):
    assert path_matches(pattern, path) is expected


def test_first_matching_behavior_wins_and_default_is_last():
    d = dist(
        behavior(cache_policy_id=CACHING_OPTIMIZED),
        [
            behavior(cache_policy_id=CACHING_DISABLED, path="images/*.jpg"),
            behavior(cache_policy_id=CACHING_OPTIMIZED, path="images/*"),
            behavior(cache_policy_id=CACHING_DISABLED, path="*.gif"),
        ],
    )
    assert select_behavior(d, "/images/sample.gif").path_pattern == "images/*"  # the documented example
    assert select_behavior(d, "/images/a.jpg").path_pattern == "images/*.jpg"
    assert select_behavior(d, "/x.gif").path_pattern == "*.gif"
    assert select_behavior(d, "/index.html").path_pattern == "*"


# --- the Host rule ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("default", "forwarded"),
    [
        (behavior(cache_policy_id=CACHING_OPTIMIZED), False),
        (behavior(cache_policy_id=CACHING_DISABLED, origin_request_policy_id=ALL_VIEWER), True),
        (behavior(cache_policy_id=CACHING_DISABLED, origin_request_policy_id=ALL_VIEWER_EXCEPT_HOST), False),
        (
            behavior(
                forwarded_values={
                    "QueryString": True,
                    "Cookies": {"Forward": "all"},
                    "Headers": {"Quantity": 1, "Items": ["*"]},
                }
            ),
            True,
        ),
        (
            behavior(
                forwarded_values={
                    "QueryString": False,
                    "Cookies": {"Forward": "none"},
                    "Headers": {"Quantity": 1, "Items": ["Host"]},
                }
            ),
            True,
        ),
        (
            behavior(
                forwarded_values={
                    "QueryString": False,
                    "Cookies": {"Forward": "none"},
                    "Headers": {"Quantity": 0},
                }
            ),
            False,
        ),
    ],
)
def test_host_forwarding_rule(default, forwarded):
    d = dist(default)
    req = origin_request(d)
    assert host_is_forwarded(d.default_behavior) is forwarded
    assert value(req.headers, "Host") == ("d111.cloudfront.net" if forwarded else ORIGIN)
    assert names(req.headers).count("host") == 1


def test_cache_policy_allow_list_beats_origin_request_policy_block_list():
    # understanding-how-origin-request-policies-and-cache-policies-work-together.html
    d = dist(
        behavior(cache_policy_id="custom", origin_request_policy_id=ALL_VIEWER_EXCEPT_HOST),
        cache_policies={"custom": cache_policy(headers=["Host"])},
    )
    assert value(origin_request(d).headers, "Host") == "d111.cloudfront.net"


# --- documented removals and additions ----------------------------------------------------------------------


def test_defaults_when_nothing_is_forwarded():
    d = dist(behavior(cache_policy_id=CACHING_OPTIMIZED))
    req = origin_request(d)
    got = names(req.headers)
    for removed in (
        "accept",
        "accept-language",
        "referer",
        "cookie",
        "x-forwarded-proto",
        "proxy-authorization",
        "x-custom",
    ):
        assert removed not in got, removed
    assert value(req.headers, "User-Agent") == "Amazon CloudFront"
    assert value(req.headers, "X-Forwarded-For") == "203.0.113.9,198.51.100.7"
    assert value(req.headers, "Via") == "1.1 v.cloudfront.net (CloudFront)"
    assert value(req.headers, "X-Amz-Cf-Id") == "RID"
    assert value(req.headers, "Connection") == "Keep-Alive"
    assert value(req.headers, "If-None-Match") == '"v1"'  # standard headers pass
    assert value(req.headers, "Accept-Encoding") == "br,gzip"  # normalized (CachingOptimized: gzip + br)
    assert req.target == "/echo"  # no query string in the key, no origin request policy


def test_all_viewer_forwards_viewer_headers_cookies_and_query_but_never_hop_by_hop():
    d = dist(behavior(cache_policy_id=CACHING_DISABLED, origin_request_policy_id=ALL_VIEWER))
    req = origin_request(d, viewer(query="a=1&b"))
    assert value(req.headers, "User-Agent") == "pytest"
    assert value(req.headers, "X-Custom") == "1"
    assert value(req.headers, "Cookie") == "session=alice; theme=dark"
    assert "proxy-authorization" not in names(req.headers)
    assert "x-forwarded-proto" not in names(req.headers)
    assert req.target == "/echo?a=1&b"


def test_origin_custom_headers_override_viewer_headers():
    d = dist(
        behavior(cache_policy_id=CACHING_DISABLED, origin_request_policy_id=ALL_VIEWER),
        origins=[origin(ORIGIN, custom_headers=[("X-Origin-Secret", "s3cret"), ("X-Custom", "from-cf")])],
    )
    req = origin_request(d, viewer(headers=[("X-Origin-Secret", "forged")]))
    assert [v for n, v in req.headers if n.lower() == "x-origin-secret"] == ["s3cret"]
    assert [v for n, v in req.headers if n.lower() == "x-custom"] == ["from-cf"]


def test_cloudfront_headers_are_generated_when_named():
    d = dist(
        behavior(cache_policy_id=CACHING_DISABLED, origin_request_policy_id="cf"),
        request_policies={
            "cf": origin_request_policy(
                "allViewerAndWhitelistCloudFront", ["CloudFront-Forwarded-Proto", "CloudFront-Viewer-Address"]
            )
        },
    )
    req = origin_request(d, viewer(headers=[("CloudFront-Forwarded-Proto", "forged")]))
    assert [v for n, v in req.headers if n.lower() == "cloudfront-forwarded-proto"] == ["https"]
    assert value(req.headers, "CloudFront-Viewer-Address") == "198.51.100.7:50000"


def test_authorization_only_for_methods_other_than_get_and_head():
    d = dist(
        behavior(
            cache_policy_id=CACHING_DISABLED,
            methods=("GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"),
        )
    )
    assert "authorization" not in names(
        origin_request(d, viewer(headers=[("Authorization", "Bearer t")])).headers
    )
    post = viewer(method="POST", headers=[("Authorization", "Bearer t")])
    assert value(origin_request(d, post).headers, "Authorization") == "Bearer t"


def test_legacy_whitelists_and_query_keys():
    fv = {
        "QueryString": True,
        "QueryStringCacheKeys": {"Quantity": 1, "Items": ["a"]},
        "Cookies": {"Forward": "whitelist", "WhitelistedNames": {"Quantity": 1, "Items": ["sess*"]}},
        "Headers": {"Quantity": 1, "Items": ["Accept-Language"]},
    }
    d = dist(behavior(forwarded_values=fv))
    req = origin_request(d, viewer(query="a=1&b=2"))
    assert req.target == "/echo?a=1&b=2"  # all query strings forwarded
    assert value(req.headers, "Cookie") == "session=alice"  # wildcard whitelist
    assert value(req.headers, "Accept-Language") == "en"
    key1 = cache_key("EDIST", viewer(query="a=1&b=2"), d.default_behavior)
    key2 = cache_key("EDIST", viewer(query="a=1&b=3"), d.default_behavior)
    key3 = cache_key("EDIST", viewer(query="a=2&b=2"), d.default_behavior)
    assert key1 == key2 != key3  # only QueryStringCacheKeys in the key


def test_legacy_settings_forward_other_defined_headers_but_not_the_removed_standard_ones():
    # The header table of RequestAndResponseBehaviorCustomOrigin.html: "Other-defined headers" are forwarded;
    # Accept, Accept-Language and Referer are removed unless configured.
    fv = {"QueryString": False, "Cookies": {"Forward": "none"}, "Headers": {"Quantity": 0}}
    legacy = origin_request(dist(behavior(forwarded_values=fv)))
    assert value(legacy.headers, "X-Custom") == "1"
    for removed in ("accept", "accept-language", "referer", "cookie", "x-forwarded-proto"):
        assert removed not in names(legacy.headers), removed
    # Control: the same viewer request under cache policies alone keeps the custom header back.
    policies = origin_request(dist(behavior(cache_policy_id=CACHING_OPTIMIZED)))
    assert "x-custom" not in names(policies.headers)


# --- cache keys ---------------------------------------------------------------------------------------------


def test_caching_optimized_key_ignores_cookies_which_is_how_pages_leak():
    d = dist(behavior(cache_policy_id=CACHING_OPTIMIZED, origin_request_policy_id=ALL_VIEWER))
    alice = viewer(headers=[])
    bob = ViewerRequest(
        "GET",
        "/echo",
        "",
        [(n, "session=bob") if n == "Cookie" else (n, v) for n, v in alice.headers],
        b"",
        "https",
        "198.51.100.8",
        1,
    )
    assert cache_key("E", alice, d.default_behavior) == cache_key("E", bob, d.default_behavior)
    # ...while the cookie still reaches the origin through the origin request policy.
    assert value(origin_request(d, bob).headers, "Cookie") == "session=bob"


def test_key_header_names_are_case_insensitive_values_case_sensitive():
    d = dist(behavior(cache_policy_id="p"), cache_policies={"p": cache_policy(headers=["Product"])})
    b = d.default_behavior
    k = [
        cache_key("E", viewer(headers=[(name, val)]), b)
        for name, val in (("Product", "Acme"), ("product", "Acme"), ("Product", "acme"))
    ]
    assert k[0] == k[1] != k[2]


def test_unreadable_policy_is_a_config_error():
    with pytest.raises(ConfigError):
        dist(behavior(cache_policy_id="missing"))


# --- TTLs (CF-DG Expiration.html, HTTPStatusCodes.html, custom-error-pages-expiration.html) -----------------

OPTIMIZED = dist(behavior(cache_policy_id=CACHING_OPTIMIZED)).default_behavior.cache  # 1 / 86400 / 31536000
ZERO_MIN = dist(
    behavior(cache_policy_id="z"), cache_policies={"z": cache_policy(0, 60, 600)}
).default_behavior.cache


@pytest.mark.parametrize(
    ("rules", "status", "headers", "ttl"),
    [
        (OPTIMIZED, 200, [], 86400),  # no header: max(Min, Default)
        (ZERO_MIN, 200, [], 60),
        (ZERO_MIN, 200, [("Cache-Control", "max-age=30")], 30),
        (ZERO_MIN, 200, [("Cache-Control", "max-age=9999")], 600),  # capped by MaxTTL
        (ZERO_MIN, 200, [("Cache-Control", "max-age=100, s-maxage=20")], 20),  # s-maxage wins
        (ZERO_MIN, 200, [("Cache-Control", "no-store")], 0),
        (OPTIMIZED, 200, [("Cache-Control", "no-cache")], 1),  # MinTTL > 0 caches even no-cache
        (OPTIMIZED, 200, [("Cache-Control", "private, max-age=0")], 1),
        (OPTIMIZED, 200, [("Cache-Control", "max-age=0")], 1),  # clamped up to MinTTL
        (ZERO_MIN, 404, [], 10),  # errors: 10 s by default
        (ZERO_MIN, 500, [("Cache-Control", "max-age=300")], 300),  # or the origin's max-age
        (ZERO_MIN, 503, [("Cache-Control", "no-store")], 10),  # no-store ignored for 503
        (ZERO_MIN, 404, [("Cache-Control", "no-store")], 0),  # but respected for 404
        (ZERO_MIN, 403, [], 0),  # 403 only with max-age
        (ZERO_MIN, 403, [("Cache-Control", "max-age=5")], 10),
        (ZERO_MIN, 416, [("Cache-Control", "max-age=50")], 0),  # never cached
        (dist(behavior(cache_policy_id=CACHING_DISABLED)).default_behavior.cache, 404, [], 0),
        (
            dist(
                behavior(
                    forwarded_values={
                        "QueryString": False,
                        "Cookies": {"Forward": "none"},
                        "Headers": {"Quantity": 1, "Items": ["*"]},
                    },
                    ttls=(0, 60, 600),
                )
            ).default_behavior.cache,
            200,
            [],
            0,
        ),  # legacy forward-all-headers never caches
    ],
)
def test_ttl_rules(rules, status, headers, ttl):
    assert response_ttl(status, headers, rules) == ttl


def test_error_caching_min_ttl_from_custom_error_responses():
    assert response_ttl(502, [], ZERO_MIN, {502: 0}) == 0
    assert response_ttl(502, [], ZERO_MIN, {502: 42}) == 42


def test_response_cache_is_bounded_and_flushes_per_distribution():
    clock = [0.0]
    cache = ResponseCache(lambda: clock[0], max_entries=2)
    for i in range(3):
        cache.put(("A", i), 200, "OK", [], b"x", ttl=10)
    assert cache.get(("A", 0)) is None and len(cache) == 2
    cache.put(("B", 0), 200, "OK", [], b"y", ttl=10)
    cache.flush("A")
    assert len(cache) == 1 and cache.get(("B", 0)) is not None
    clock[0] = 11
    assert not cache.get(("B", 0)).fresh(clock[0])


# --- small helpers ------------------------------------------------------------------------------------------


def test_query_split_keeps_bytes():
    for raw in ("a=1&b&c=&d=%20x", ""):
        assert join_query(split_query(raw)) == raw


def test_sslv3_is_dropped_from_offered_versions():
    # CloudFormation's default [TLSv1, SSLv3] offers TLS 1.0 only; OpenSSL 3 cannot speak SSLv3.
    assert offered_versions(("TLSv1", "SSLv3")) == ("TLSv1",)
    assert offered_versions(("SSLv3",)) == ()
    assert offered_versions(("TLSv1.2", "TLSv1")) == ("TLSv1", "TLSv1.2")
