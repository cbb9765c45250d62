"""hostlab.check.origins (origin kinds), the probe paths (hostlab.check.probes) and the configuration rules
(hostlab.check.rules): pure functions, no backend."""

from __future__ import annotations

import pytest
from check_support import (
    ALL_VIEWER,
    ALL_VIEWER_EXCEPT_HOST,
    CACHING_DISABLED,
    CACHING_OPTIMIZED,
    tutorial_broken,
    tutorial_fixed,
)

from hostlab.check import rules
from hostlab.check.model import CheckInputError, OriginHint
from hostlab.check.origins import kind_from_domain, origin_kind
from hostlab.check.probes import pattern_matches, probe_path
from hostlab.check.runner import refused_path


@pytest.mark.parametrize(
    ("domain", "kind"),
    [
        ("abcdefghij.us-east-1.awsapprunner.com", "apprunner"),
        ("ab-0123456789abcdef0123456789abcdef.ecs.eu-west-1.on.aws", "express"),
        ("my-alb-1234567890.us-east-1.elb.amazonaws.com", "alb"),
        ("internal-my-alb-1234567890.eu-central-1.elb.amazonaws.com", "alb"),
        ("a1b2c3d4e5.execute-api.us-east-1.amazonaws.com", "apigateway"),
        ("abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws", "lambda-url"),
        ("my-bucket.s3.amazonaws.com", "s3"),
        ("my-bucket.s3.eu-west-1.amazonaws.com", "s3"),
        ("my-bucket.s3-website-us-east-1.amazonaws.com", "s3"),
        ("my-bucket.s3-website.eu-west-1.amazonaws.com", "s3"),
        ("Origin.Example.COM.", "custom"),
        ("awsapprunner.com.example.org", "custom"),  # positive control: the suffix must end the name
        ("foo.on.aws", "custom"),
    ],
)
def test_kind_from_domain_follows_each_documented_form(domain, kind):
    assert kind_from_domain(domain)[0] == kind


def test_override_then_hint_then_s3_origin_config_then_domain():
    origin = {"Id": "web", "DomainName": "abcdefghij.us-east-1.awsapprunner.com"}
    hint = OriginHint("web", kind="alb", reason="aws_lb.main.dns_name")
    assert origin_kind(origin, None, {})[0] == "apprunner"
    assert origin_kind(origin, hint, {}) == ("alb", "aws_lb.main.dns_name")
    assert origin_kind(origin, hint, {"*": "custom"})[0] == "custom"
    assert origin_kind(origin, hint, {"*": "custom", "web": "express"})[0] == "express"  # the Id wins
    assert origin_kind(origin, hint, {"other": "express"})[0] == "alb"
    s3 = {"Id": "files", "DomainName": "files.example.com", "S3OriginConfig": {"OriginAccessIdentity": ""}}
    assert origin_kind(s3, None)[0] == "s3"
    with pytest.raises(CheckInputError, match="unknown kind"):
        origin_kind(origin, None, {"*": "beanstalk"})


@pytest.mark.parametrize(
    ("pattern", "route", "expected"),
    [
        ("*", "echo", "/hostlab-check/echo/n1"),
        ("/static/*", "account", "/static/hostlab-check/account/n1"),
        ("api/*", "echo", "/api/hostlab-check/echo/n1"),
        ("*.jpg", "status/503", "/hostlab-check/status/503/n1.jpg"),
        ("/img/??/*.p*g", "echo", "/img/aa/hostlab-check/echo/n1.pxg"),
        ("/exact/path", "echo", None),
    ],
)
def test_probe_paths_carry_the_route_and_match_their_pattern(pattern, route, expected):
    path = probe_path(pattern, route, "n1")
    assert path == expected
    if path is not None:
        assert pattern_matches(pattern, path)


def test_pattern_matching_is_cloudfronts():
    assert pattern_matches("/static/*", "/static/a/b.css")
    assert not pattern_matches("/static/*", "/Static/a.css")  # case-sensitive
    assert pattern_matches("*.jpg", "/a/b.jpg")
    assert not pattern_matches("*.jpg", "/a/b.jpeg")
    assert pattern_matches("/a?c", "/abc")
    assert not pattern_matches("/a?c", "/abbc")


def test_refused_path_reads_the_api_validation_message():
    message = (
        "Value 'TLSv1.3' at 'distributionConfig.origins.items.1.member.customOriginConfig.originSslProtocols"
        ".items.1.member' failed to satisfy constraint"
    )
    expected = ("Origins", "Items", 0, "CustomOriginConfig", "OriginSslProtocols", "Items", 0)
    assert refused_path(message) == expected
    assert refused_path("InvalidArgument: something else") == ()


CACHE = {
    CACHING_DISABLED: {
        "MinTTL": 0,
        "DefaultTTL": 0,
        "MaxTTL": 0,
        "ParametersInCacheKeyAndForwardedToOrigin": {},
    },
    CACHING_OPTIMIZED: {
        "MinTTL": 1,
        "DefaultTTL": 86400,
        "MaxTTL": 31536000,
        "ParametersInCacheKeyAndForwardedToOrigin": {"CookiesConfig": {"CookieBehavior": "none"}},
    },
}
ORIGIN_REQUEST = {
    ALL_VIEWER: {
        "HeadersConfig": {"HeaderBehavior": "allViewer"},
        "CookiesConfig": {"CookieBehavior": "all"},
    },
    ALL_VIEWER_EXCEPT_HOST: {
        "HeadersConfig": {"HeaderBehavior": "allExcept", "Headers": {"Quantity": 1, "Items": ["Host"]}},
        "CookiesConfig": {"CookieBehavior": "all"},
    },
}


def _views(dist):
    """Behaviour views with the managed policies' settings (CF-DG using-managed-*-policies.html)."""
    views = rules.behaviors(dist.config)
    for view in views:
        view.cache_policy = CACHE[view.settings["CachePolicyId"]]
        view.cache_policy_name = view.settings["CachePolicyId"]
        if "OriginRequestPolicyId" in view.settings:
            view.origin_request_policy = ORIGIN_REQUEST[view.settings["OriginRequestPolicyId"]]
            view.origin_request_policy_name = view.settings["OriginRequestPolicyId"]
    return views


def test_rules_on_the_tutorials_broken_and_fixed_configurations():
    broken, fixed = _views(tutorial_broken()), _views(tutorial_fixed())
    # Host: AllViewer forwards it, AllViewerExceptHostHeader does not.
    assert [p for p, _ in rules.host_forwarders(broken[0])] == [
        ("DefaultCacheBehavior", "OriginRequestPolicyId")
    ]
    assert rules.host_forwarders(fixed[0]) == []
    # A personal page: cookies reach the origin, not in the key, cached a day -> shared; CachingDisabled not.
    assert rules.personal_page_cached(broken[0])[0] is True
    assert rules.personal_page_cached(fixed[0])[0] is False
    assert rules.personal_page_cached(fixed[1])[0] is False  # /static/*: the cookie never reaches the origin
    # Errors: 10 s by default, 0 with the fixed error responses, none under CachingDisabled.
    assert rules.error_ttl(tutorial_broken().config, broken[1], 404)[0] == 10
    assert rules.error_ttl(tutorial_fixed().config, fixed[1], 404)[0] == 0
    assert rules.error_ttl(tutorial_broken().config, fixed[0], 502)[0] == 0
    assert rules.error_ttl({}, fixed[0], 502, caching_disabled_caches_errors=True)[0] == 10
    # Read timeout: absent means 30 s.
    assert rules.read_timeout(tutorial_broken().config["Origins"]["Items"][0]) == (30, False)
    assert rules.read_timeout(tutorial_fixed().config["Origins"]["Items"][0]) == (60, True)


def test_viewer_policy_is_tlsv1_with_the_default_certificate_whatever_it_says():
    default = {"CloudFrontDefaultCertificate": True, "MinimumProtocolVersion": "TLSv1.2_2021"}
    own = {"ACMCertificateArn": "arn", "MinimumProtocolVersion": "TLSv1.2_2021"}
    assert rules.viewer_policy({"ViewerCertificate": default}) == ("TLSv1", True)
    assert rules.viewer_policy({"ViewerCertificate": own}) == ("TLSv1.2_2021", False)
    assert rules.viewer_policy({}) == ("TLSv1", True)


def test_legacy_forwarded_values_are_read_too():
    settings = {
        "ForwardedValues": {
            "QueryString": False,
            "Headers": {"Quantity": 1, "Items": ["*"]},
            "Cookies": {"Forward": "none"},
        },
        "MinTTL": 0,
        "DefaultTTL": 300,
        "MaxTTL": 600,
    }
    view = rules.BehaviorView("Default (*)", "*", ("DefaultCacheBehavior",), settings)
    assert rules.host_forwarders(view)[0][0] == ("DefaultCacheBehavior", "ForwardedValues", "Headers")
    assert rules.personal_page_cached(view)[0] is False  # no cookie reaches the origin
    settings["ForwardedValues"]["Cookies"] = {"Forward": "all"}
    assert rules.personal_page_cached(view)[0] is False  # in the key: each user has their own copy
    settings["ForwardedValues"]["Headers"] = {"Quantity": 1, "Items": ["Accept"]}
    assert rules.host_forwarders(view) == []


def _prober_without_backend(dist):
    """A Prober that has already tried the viewer handshake: only the configuration is left to judge."""
    from hostlab.check.probes import Prober
    from hostlab.check.standup import Deployed

    prober = Prober.__new__(Prober)
    prober.deployed = Deployed(dist, {})
    prober.views = rules.behaviors(dist.config)
    prober._viewer_tls = ("unknown", "this Python's OpenSSL cannot offer TLSv1; cannot offer TLSv1.1")
    return prober


def test_viewer_tls_is_judged_from_the_configuration_when_openssl_cannot_offer_tlsv1():
    default = _prober_without_backend(tutorial_fixed())
    found = default.check_viewer_tls(default.views[0])
    assert found.verdict == "FAIL" and found.symptom.startswith("from the configuration")
    assert "TLSv1.2_2021" in found.patch
    own = tutorial_fixed()
    own.config["ViewerCertificate"] = {"ACMCertificateArn": "arn", "MinimumProtocolVersion": "TLSv1.2_2021"}
    alias = _prober_without_backend(own)
    assert alias.check_viewer_tls(alias.views[0]).verdict == "OK"
