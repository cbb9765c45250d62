"""The policy matrix (hostlab.analysis.matrix): its cases come from the backend, its predictions follow the
policies'
settings, its verdicts and pictures are stable, and a run against the local backend reproduces what the
tutorial claims and what the predictions say."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from hostlab import probes
from hostlab.analysis import matrix
from hostlab.analysis.matrix import Case


def fake_probe(body: dict | bytes, status: int = 200) -> probes.Probe:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return probes.Probe(url="https://d.example/echo", status=status, headers={}, body=raw)


# --- pure parts ---------------------------------------------------------------------------------------------


def test_host_seen_names_the_origin_the_viewer_or_nobody():
    origin, viewer = "abc.us-east-1.awsapprunner.com", "d123.cloudfront.net"
    assert matrix.host_seen(fake_probe({"host": origin}), origin, viewer) == "origin domain"
    assert matrix.host_seen(fake_probe({"host": "D123.cloudfront.net"}), origin, viewer) == "viewer host"
    assert matrix.host_seen(fake_probe(b"", 404), origin, viewer) == "-"
    assert matrix.host_seen(fake_probe(b"<html>error</html>", 502), origin, viewer) == "-"
    assert matrix.host_seen(fake_probe({"host": "other.example"}), origin, viewer) == "other.example"


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("status", "200", matrix.GOOD),
        ("status", "404", matrix.BAD),
        ("status", "502", matrix.BAD),
        ("host the app saw", "origin domain", matrix.GOOD),
        ("host the app saw", "viewer host", matrix.BAD),
        ("host the app saw", "-", matrix.NEUTRAL),
        ("x-cache (repeat)", "Miss from cloudfront", matrix.GOOD),
        ("x-cache (repeat)", "Hit from cloudfront", matrix.CACHED),
        ("x-cache (repeat)", "RefreshHit from cloudfront", matrix.CACHED),
        ("x-cache (repeat)", "Error from cloudfront", matrix.BAD),
        ("server", "envoy", matrix.NEUTRAL),
    ],
)
def test_verdicts(column, value, expected):
    assert matrix.verdict(column, value) == expected


def test_distribution_config_uses_policies_or_legacy_forwarded_values():
    ids = {"Managed-CachingDisabled": "cp-1", "Managed-AllViewer": "orp-1"}
    modern = matrix.distribution_config(
        Case("g", "x", "Managed-CachingDisabled", "Managed-AllViewer", ("TLSv1",)), "o.example", ids
    )
    behaviour = modern["DefaultCacheBehavior"]
    assert (behaviour["CachePolicyId"], behaviour["OriginRequestPolicyId"]) == ("cp-1", "orp-1")
    assert "ForwardedValues" not in behaviour
    origin = modern["Origins"]["Items"][0]
    assert origin["DomainName"] == "o.example"
    assert origin["CustomOriginConfig"]["OriginSslProtocols"] == {"Quantity": 1, "Items": ["TLSv1"]}
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"

    without_orp = matrix.distribution_config(
        Case("g", "x", "Managed-CachingDisabled", None, ("TLSv1.2",)), "o", ids
    )
    assert "OriginRequestPolicyId" not in without_orp["DefaultCacheBehavior"]

    legacy = matrix.distribution_config(
        Case("g", "x", None, None, ("TLSv1.2",), legacy_forward_all=True), "o", ids
    )
    behaviour = legacy["DefaultCacheBehavior"]
    assert behaviour["ForwardedValues"]["Headers"] == {"Quantity": 1, "Items": ["*"]}
    assert "CachePolicyId" not in behaviour


def synthetic_results() -> pd.DataFrame:
    rows = [
        ("origin request policy", "Managed-AllViewer", "404", "envoy", "-", "Error from cloudfront"),
        ("origin request policy", "none", "200", "envoy", "origin domain", "Miss from cloudfront"),
        ("cache policy", "Managed-CachingOptimized", "200", "envoy", "origin domain", "Hit from cloudfront"),
        ("origin SSL protocols", "TLSv1", "502", "CloudFront", "-", "Error from cloudfront"),
    ]
    frame = pd.DataFrame(rows, columns=["group", "case", *matrix.COLUMNS])
    return frame.set_index(["group", "case"])


def test_styled_table_colours_each_cell_by_its_verdict_and_is_stable():
    html = matrix.styled(synthetic_results()).to_html()
    assert html == matrix.styled(synthetic_results()).to_html()
    assert "T_policy-matrix" in html
    for colour in (matrix.VERDICT_COLORS[matrix.GOOD], matrix.VERDICT_COLORS[matrix.BAD]):
        assert colour in html
    assert matrix.VERDICT_COLORS[matrix.CACHED] in html  # the CachingOptimized Hit


def test_heatmap_writes_every_measured_value_and_draws_the_same_bytes_twice():
    results = synthetic_results()
    fig = matrix.heatmap(results)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == [str(v) for v in results.to_numpy().ravel()]

    def png(f):
        buffer = io.BytesIO()
        f.savefig(buffer, format="png", metadata={"Software": None})
        return buffer.getvalue()

    assert png(fig) == png(matrix.heatmap(results))


def cache_policy(headers=(), cookies="none", ttls=(0, 0, 0)) -> dict:
    key_headers = {
        "HeaderBehavior": "whitelist",
        "Headers": {"Quantity": len(headers), "Items": list(headers)},
    }
    return {
        "MinTTL": ttls[0],
        "DefaultTTL": ttls[1],
        "MaxTTL": ttls[2],
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "HeadersConfig": key_headers if headers else {"HeaderBehavior": "none"},
            "CookiesConfig": {"CookieBehavior": cookies},
        },
    }


def origin_request_policy(behaviour, headers=()) -> dict:
    config = {"HeaderBehavior": behaviour}
    if headers:
        config["Headers"] = {"Quantity": len(headers), "Items": list(headers)}
    return {"HeadersConfig": config}


CONFIGS = {
    "no-cache": cache_policy(),
    "keeps": cache_policy(ttls=(1, 86400, 31536000)),
    "host-key": cache_policy(headers=["Origin", "host"], cookies="all", ttls=(0, 0, 300)),
    "all-viewer": origin_request_policy("allViewer"),
    "all-but-host": origin_request_policy("allExcept", ["Host"]),
    "host-only": origin_request_policy("whitelist", ["Host"]),
    "ua-only": origin_request_policy("whitelist", ["User-Agent"]),
}
ACCEPTED = ("TLSv1.2", "TLSv1.3")


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        # The baseline of the fix: the origin's own Host, nothing cached.
        (Case("g", "x", "no-cache", "all-but-host", ("TLSv1.2",)), ("200", "envoy", "origin domain", "Miss")),
        # Host forwarded three ways: a policy forwarding everything, one naming Host, the legacy "*".
        (Case("g", "x", "no-cache", "all-viewer", ("TLSv1.2",)), ("404", "envoy", "-", "Error")),
        (Case("g", "x", "no-cache", "host-only", ("TLSv1.2",)), ("404", "envoy", "-", "Error")),
        (Case("g", "x", None, None, ("TLSv1.2",), legacy_forward_all=True), ("404", "envoy", "-", "Error")),
        # Host in the cache key reaches the origin even next to a policy that leaves Host out.
        (Case("g", "x", "host-key", "all-but-host", ("TLSv1.2",)), ("404", "envoy", "-", "Error")),
        # A whitelist without Host forwards the origin's name.
        (Case("g", "x", "no-cache", "ua-only", ("TLSv1.2",)), ("200", "envoy", "origin domain", "Miss")),
        # A policy that keeps answers: the repeat is a Hit.
        (Case("g", "x", "keeps", "all-but-host", ("TLSv1.2",)), ("200", "envoy", "origin domain", "Hit")),
        # No offered version accepted: CloudFront's 502, whatever the policies would do next.
        (Case("g", "x", "no-cache", "all-viewer", ("TLSv1", "SSLv3")), ("502", "CloudFront", "-", "Error")),
    ],
)
def test_predict_applies_the_rules_in_the_order_a_request_meets_them(case, expected):
    predicted = matrix.predict(case, CONFIGS, ACCEPTED)
    status, server, host, x_cache = expected
    assert (predicted["status"], predicted["server"], predicted["host the app saw"]) == (status, server, host)
    assert predicted["x-cache (repeat)"] == f"{x_cache} from cloudfront"
    assert predicted[matrix.WHY]


def test_predicted_origin_tls_follows_the_assumption_setting(monkeypatch):
    case = Case("g", "x", "no-cache", "all-but-host", ("TLSv1",))
    monkeypatch.setenv("HOSTLAB_APPRUNNER_TLS_VERSIONS", "TLSv1,TLSv1.2")
    assert matrix.assumed_origin_tls() == ("TLSv1", "TLSv1.2")
    assert matrix.predict(case, CONFIGS, matrix.assumed_origin_tls())["status"] == "200"
    monkeypatch.setenv("HOSTLAB_APPRUNNER_TLS_VERSIONS", "TLSv1.2")
    assert matrix.predict(case, CONFIGS, matrix.assumed_origin_tls())["status"] == "502"


def test_disagreements_name_each_value_that_differs_and_none_when_all_agree():
    case_list = [
        Case("origin request policy", "Managed-AllViewer", "no-cache", "all-viewer", ("TLSv1.2",)),
        Case("origin request policy", "none", "no-cache", None, ("TLSv1.2",)),
        Case("cache policy", "Managed-CachingOptimized", "keeps", "all-but-host", ("TLSv1.2",)),
        Case("origin SSL protocols", "TLSv1", "no-cache", "all-but-host", ("TLSv1",)),
    ]
    predicted = matrix.predictions(case_list, CONFIGS, ACCEPTED)
    results = synthetic_results()
    assert list(predicted.index) == list(results.index)
    assert matrix.disagreements(results, predicted) == []
    changed = results.copy()
    changed.loc[("origin request policy", "none"), "x-cache (repeat)"] = "Hit from cloudfront"
    [line] = matrix.disagreements(changed, predicted)
    assert "none" in line and "x-cache (repeat)" in line and "Miss from cloudfront" in line


def test_policy_configs_hold_every_listed_policy_and_the_matrix_own(cloudfront):
    configs = matrix.policy_configs(cloudfront)
    assert configs[matrix.CUSTOM_CACHE_POLICY_NAME] == matrix.CUSTOM_CACHE_POLICY_CONFIG
    assert "Managed-AllViewerExceptHostHeader" in configs and "UseOriginCacheControlHeaders" in configs
    keyed = configs["UseOriginCacheControlHeaders"]["ParametersInCacheKeyAndForwardedToOrigin"][
        "HeadersConfig"
    ]
    assert "Host" in keyed["Headers"]["Items"]


# --- against the local backend ------------------------------------------------------------------------------


def test_cases_come_from_the_backends_own_lists(cloudfront):
    listed = {
        item["OriginRequestPolicy"]["OriginRequestPolicyConfig"]["Name"]
        for item in cloudfront.list_origin_request_policies(Type="managed")["OriginRequestPolicyList"][
            "Items"
        ]
    }
    found = matrix.cases(cloudfront)
    orp_cases = [c.label for c in found if c.group == matrix.GROUP_ORP]
    assert set(orp_cases) == listed | {matrix.NO_POLICY, matrix.LEGACY_FORWARD_ALL}
    assert "Managed-AllViewer" in orp_cases and "Managed-AllViewerExceptHostHeader" in orp_cases
    assert [c.label for c in found if c.group == matrix.GROUP_TLS] == ["SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2"]
    managed_cache = {
        item["CachePolicy"]["CachePolicyConfig"]["Name"]
        for item in cloudfront.list_cache_policies(Type="managed")["CachePolicyList"]["Items"]
    }
    cache_cases = [c.label for c in found if c.group == matrix.GROUP_CACHE]
    assert cache_cases == [*sorted(managed_cache), matrix.CUSTOM_CACHE_POLICY_NAME]
    # The Host-keyed managed cache policies of issue 9 are among them.
    assert {
        "UseOriginCacheControlHeaders",
        "UseOriginCacheControlHeaders-QueryStrings",
        "Managed-Amplify",
    } <= set(cache_cases)


def test_cleanup_removes_what_a_run_left_behind(apprunner, cloudfront):
    matrix.ensure_service(apprunner)
    policy_id = matrix.ensure_custom_cache_policy(cloudfront)
    assert matrix.ensure_custom_cache_policy(cloudfront) == policy_id  # found again, not created twice
    assert matrix.cleanup(apprunner, cloudfront) == {
        "distributions": 0,
        "cache policies": 1,
        "App Runner services": 1,
    }
    assert matrix.cleanup(apprunner, cloudfront) == {
        "distributions": 0,
        "cache policies": 0,
        "App Runner services": 0,
    }


def test_a_run_reproduces_the_host_problem_and_its_fixes(apprunner, cloudfront, client_env, monkeypatch):
    # The probes go through the backend's proxy and trust its CA, as a reader's notebook does.
    for name, value in client_env.items():
        monkeypatch.setenv(name, value)
    wanted = {
        (matrix.GROUP_ORP, "Managed-AllViewer"),
        (matrix.GROUP_ORP, "Managed-AllViewerExceptHostHeader"),
        (matrix.GROUP_CACHE, matrix.CACHING_OPTIMIZED),
        (matrix.GROUP_CACHE, matrix.CUSTOM_CACHE_POLICY_NAME),
        (matrix.GROUP_TLS, "TLSv1"),
    }
    chosen = [c for c in matrix.cases(cloudfront) if (c.group, c.label) in wanted]
    try:
        results = matrix.run(apprunner, cloudfront, chosen)
    finally:
        deleted = matrix.cleanup(apprunner, cloudfront)
    assert deleted == {"distributions": 5, "cache policies": 1, "App Runner services": 1}
    rows = {case: tuple(row) for (_, case), row in results.iterrows()}
    # Host forwarded: App Runner's front has no route for the distribution's name (404 from envoy).
    assert rows["Managed-AllViewer"] == ("404", "envoy", "-", "Error from cloudfront")
    # Host in the cache key is forwarded too, whatever the origin request policy says.
    assert rows[matrix.CUSTOM_CACHE_POLICY_NAME][:3] == ("404", "envoy", "-")
    # The fix: the origin's own domain reaches the app, and nothing is cached.
    assert rows["Managed-AllViewerExceptHostHeader"] == (
        "200",
        "envoy",
        "origin domain",
        "Miss from cloudfront",
    )
    # CachingOptimized keeps the personal page: the second viewer gets the first one's copy.
    assert rows[matrix.CACHING_OPTIMIZED][:3] == ("200", "envoy", "origin domain")
    assert rows[matrix.CACHING_OPTIMIZED][3].startswith("Hit")
    # TLSv1 only: the handshake with App Runner's front fails, CloudFront answers 502 itself.
    assert rows["TLSv1"][:3] == ("502", "CloudFront", "-")
    # And every probed value is what the rules predict from the policies' own settings.
    predicted = matrix.predictions(chosen, matrix.policy_configs(cloudfront), matrix.assumed_origin_tls())
    assert matrix.disagreements(results, predicted) == []


def test_probe_all_keeps_each_distributions_requests_in_case_order(monkeypatch):
    # Cases sharing settings share a distribution; their probes must reach it one after the other, in case
    # order, as a one-by-one run would send them, and the results must come back in case order.
    shared = ("Managed-CachingDisabled", "Managed-AllViewerExceptHostHeader", ("TLSv1.2",), False)
    case_list = [
        Case("g", "a", "Managed-CachingDisabled", "Managed-AllViewerExceptHostHeader", ("TLSv1.2",)),
        Case("g", "b", "Managed-CachingOptimized", "Managed-AllViewerExceptHostHeader", ("TLSv1.2",)),
        Case("h", "c", "Managed-CachingDisabled", "Managed-AllViewerExceptHostHeader", ("TLSv1.2",)),
        Case("i", "d", "Managed-CachingDisabled", "Managed-AllViewer", ("TLSv1.2",)),
        Case("i", "e", "Managed-CachingDisabled", "Managed-AllViewerExceptHostHeader", ("TLSv1.2",)),
    ]
    assert case_list[0].settings == case_list[2].settings == case_list[4].settings == shared
    domains = {c.settings: f"d{n}.cloudfront.net" for n, c in enumerate(case_list)}
    domains[shared] = "dshared.cloudfront.net"
    seen: dict[str, list[int]] = {}
    calls = iter(range(100))

    def fake(viewer_domain, origin_domain):
        assert origin_domain == "o.example"
        number = next(calls)
        seen.setdefault(viewer_domain, []).append(number)
        return {"status": viewer_domain, "server": str(len(seen[viewer_domain]))}

    monkeypatch.setattr(matrix, "probe", fake)
    results = matrix.probe_all(case_list, domains, "o.example")
    assert [r["status"] for r in results] == [domains[c.settings] for c in case_list]
    # The shared distribution was asked three times; the answers went to cases a, c, e in that order.
    assert [r["server"] for r in results] == ["1", "1", "2", "1", "3"]
    assert sorted(len(v) for v in seen.values()) == [1, 1, 3]
