"""The probe set (hostlab.check.probes) on hand-built inputs. For each check, a FAIL case beside an OK case;
the tutorial's broken configuration (derived from infra/apprunner/cli/distribution-config.json) and the fixed
one; the kinds without a local front; what the checker cannot emulate; what the backend refuses.

Each distribution is checked once per test process (Runs below): a test names the ones it needs, which are
checked together on one private backend. A single module-wide run would be repeated whole by every xdist
worker that gets one of these tests.
"""

from __future__ import annotations

import contextlib
import copy

import pytest
from check_support import (
    ALL_VIEWER,
    APPRUNNER_DOMAIN,
    CACHING_DISABLED,
    dist_input,
    listed,
    tutorial_broken,
    tutorial_fixed,
)

from hostlab.check.backend import private_backend
from hostlab.check.model import (
    CHECKS,
    FAIL,
    NA,
    NOT_CHECKED,
    OK,
    POST_URL,
    OriginHint,
    PolicyInput,
    Where,
    policy_ref,
)
from hostlab.check.runner import check_inputs

EXPRESS_DOMAIN = "sh-0123456789abcdef0123456789abcdef.ecs.us-east-1.on.aws"
ALB_DOMAIN = "shop-alb-1234567890.us-east-1.elb.amazonaws.com"


def _variant(name, change, **extra):
    fixed = tutorial_fixed()
    config = copy.deepcopy(fixed.config)
    change(config)
    return dist_input(config, name=name, functions=fixed.functions, **extra)


def _alias(config):
    config["Aliases"] = listed(["shop.example.com"])
    config["ViewerCertificate"] = {
        "ACMCertificateArn": "arn:aws:acm:us-east-1:111122223333:certificate/0a1b2c3d",
        "SSLSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }


def _session_cache(config):
    behavior = copy.deepcopy(config["CacheBehaviors"]["Items"][0])
    behavior.update(PathPattern="/account/*", CachePolicyId=policy_ref("SessionCache"))
    behavior["OriginRequestPolicyId"] = ALL_VIEWER_EXCEPT_HOST_ID
    config["CacheBehaviors"] = listed([config["CacheBehaviors"]["Items"][0], behavior])


ALL_VIEWER_EXCEPT_HOST_ID = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
SESSION_CACHE = PolicyInput(
    "cache",
    {
        "Name": "SessionCache",
        "MinTTL": 0,
        "DefaultTTL": 60,
        "MaxTTL": 3600,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": False,
            "HeadersConfig": {"HeaderBehavior": "none"},
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "none"},
        },
    },
    Where("config.json", "SessionCache"),
)


HOST_KEY = PolicyInput(
    "cache",
    {
        "Name": "PerHost",
        "MinTTL": 0,
        "DefaultTTL": 0,
        "MaxTTL": 1,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": False,
            "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": {"Quantity": 1, "Items": ["Host"]}},
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "none"},
        },
    },
    Where("template.yaml", "Resources.PerHost"),
)


def _host_in_keys(config):
    """Host in a custom cache policy's key (default behaviour), and legacy ForwardedValues with Host."""
    default = config["DefaultCacheBehavior"]
    default["CachePolicyId"] = policy_ref("PerHost")
    del default["OriginRequestPolicyId"]
    static = config["CacheBehaviors"]["Items"][0]
    del static["CachePolicyId"]
    static.update(
        ForwardedValues={
            "QueryString": False,
            "Cookies": {"Forward": "none"},
            "Headers": {"Quantity": 1, "Items": ["Host"]},
        },
        MinTTL=0,
        DefaultTTL=0,
        MaxTTL=0,
    )


def _domain(domain, *, protocol=None, secret=True, viewer_host=False):
    def change(config):
        origin = config["Origins"]["Items"][0]
        origin["DomainName"] = domain
        if protocol:
            origin["CustomOriginConfig"]["OriginProtocolPolicy"] = protocol
        if not secret:
            origin["CustomHeaders"] = listed([])
        if viewer_host:
            config["DefaultCacheBehavior"]["OriginRequestPolicyId"] = ALL_VIEWER

    return change


def _other_kinds(config):
    """API Gateway behind the default behaviour (with AllViewer), an S3 bucket behind /files/*."""
    _domain("a1b2c3d4e5.execute-api.us-east-1.amazonaws.com", viewer_host=True)(config)
    config["Origins"] = listed(
        [
            config["Origins"]["Items"][0],
            {
                "Id": "files",
                "DomainName": "shop-files.s3.us-east-1.amazonaws.com",
                "S3OriginConfig": {"OriginAccessIdentity": ""},
            },
        ]
    )
    files = copy.deepcopy(config["CacheBehaviors"]["Items"][0])
    files.update(PathPattern="/files/*", TargetOriginId="files")
    config["CacheBehaviors"] = listed([config["CacheBehaviors"]["Items"][0], files])


def _express_with_exact_pattern(config):
    _domain(EXPRESS_DOMAIN)(config)
    exact = copy.deepcopy(config["CacheBehaviors"]["Items"][0])
    exact.update(PathPattern="/robots.txt")
    config["CacheBehaviors"] = listed([config["CacheBehaviors"]["Items"][0], exact])


def _refused(config):
    config["Origins"]["Items"][0]["CustomOriginConfig"]["OriginSslProtocols"] = listed(["TLSv1.3"])


INPUTS = [
    tutorial_broken(),
    tutorial_fixed(),
    _variant("AliasTls", _alias),
    _variant("SessionCache", _session_cache, policies={"SessionCache": SESSION_CACHE}),
    _variant("HostInKey", _host_in_keys, policies={"PerHost": HOST_KEY}),
    _variant(
        "PrivateService",
        _domain(APPRUNNER_DOMAIN, secret=False),
        origins={"apprunner": OriginHint("apprunner", publicly_accessible=False)},
    ),
    _variant(
        "ExpressLocked",
        _domain(EXPRESS_DOMAIN, secret=False),
        origins={"apprunner": OriginHint("apprunner", restricted_to_cloudfront=True)},
    ),
    _variant("ExpressFixed", _express_with_exact_pattern),
    _variant("ExpressHost", _domain(EXPRESS_DOMAIN, viewer_host=True)),
    _variant("AlbOpen", _domain(ALB_DOMAIN, protocol="http-only", secret=False)),
    _variant(
        "AlbLocked",
        _domain(ALB_DOMAIN, secret=False),
        origins={"apprunner": OriginHint("apprunner", restricted_to_cloudfront=True)},
    ),
    _variant(
        "AlbCustomDomain",
        _domain("origin.shop.example.com"),
        origins={"apprunner": OriginHint("apprunner", kind="alb", reason="aws_lb.main.dns_name")},
    ),
    _variant("OtherKinds", _other_kinds),
    _variant(
        "NotEmulated",
        lambda c: None,
        not_emulated=[
            (("DefaultCacheBehavior", "LambdaFunctionAssociations"), "a Lambda@Edge function runs here")
        ],
    ),
    _variant("Refused", _refused),
]


class Runs:
    """The engine's findings per distribution, each distribution checked once per test process. A test names
    the distributions it needs (need()): tests spread over xdist workers then each pay for their own
    distributions only, not for a whole shared run. All runs of a process share one private backend
    (check_inputs' ``backend``: each distribution and its stand-ins deleted after their checks), started on
    first use and stopped when the module's tests are done."""

    def __init__(self):
        self.findings: dict[str, list] = {}
        self.progress: dict[str, str] = {}
        self._backend = contextlib.ExitStack()
        self.backend = None

    def need(self, *names: str) -> Runs:
        missing = [d for d in INPUTS if d.name in names and d.name not in self.findings]
        if missing:
            if self.backend is None:
                self.backend = self._backend.enter_context(private_backend())
            lines: list[str] = []
            report = check_inputs(missing, progress=lines.append, backend=self.backend)
            assert report.distributions == [d.name for d in missing]
            for dist, line in zip(missing, lines, strict=True):
                self.findings[dist.name] = [f for f in report.findings if f.distribution == dist.name]
                self.progress[dist.name] = line
        return self


_RUNS = Runs()


@pytest.fixture(scope="module", autouse=True)
def _stop_the_shared_backend():
    yield
    _RUNS._backend.close()
    _RUNS.backend = None


@pytest.fixture
def report():
    return _RUNS


def verdicts(report, distribution, behavior="Default (*)"):
    return {
        f.check: f.verdict for f in report.need(distribution).findings[distribution] if f.behavior == behavior
    }


def finding(report, distribution, check, behavior="Default (*)"):
    return next(
        f
        for f in report.need(distribution).findings[distribution]
        if f.behavior == behavior and f.check == check
    )


def test_every_distribution_behaviour_and_check_in_order():
    chosen = [d for d in INPUTS if d.name in ("OtherKinds", "Refused")]
    lines: list[str] = []
    report = check_inputs(chosen, progress=lines.append)
    assert report.distributions == ["OtherKinds", "Refused"]
    expected = [
        (d.name, label, check)
        for d in chosen
        for label in ["Default (*)", *[b["PathPattern"] for b in d.config["CacheBehaviors"]["Items"]]]
        for check in CHECKS
    ]
    assert [(f.distribution, f.behavior, f.check) for f in report.findings] == expected
    assert lines == [
        "checking OtherKinds (config.json): 3 behaviours, 2 origins (apigateway, s3)",
        "checking Refused (config.json): 2 behaviours, 1 origin (apprunner)",
    ]
    assert _RUNS.need("TutorialBroken").progress["TutorialBroken"] == (
        "checking TutorialBroken (distribution-config.json): 2 behaviours, 1 origin (apprunner)"
    )


def test_the_tutorials_broken_configuration_fails_every_check(report):
    assert verdicts(report, "TutorialBroken") == dict.fromkeys(CHECKS, FAIL)
    assert verdicts(report, "TutorialBroken", "/static/*") == {
        "host": OK,  # CachingOptimized alone forwards no Host
        "origin-tls": FAIL,
        "personal-cache": OK,
        "cached-error": FAIL,
        "read-timeout": FAIL,
        "origin-bypass": FAIL,
        "viewer-tls": FAIL,
    }
    host = finding(report, "TutorialBroken", "host")
    assert (
        "-> 404, server: envoy" in host.symptom
        and "probed with OriginSslProtocols ['TLSv1.2']" in host.symptom
    )
    assert "AllViewer" in host.cause
    assert (
        host.where
        == "distribution-config.json: DistributionConfig.DefaultCacheBehavior.OriginRequestPolicyId"
    )
    assert host.patch.endswith('"b689b0a8-53d0-40ab-baf2-68738e2966ac"')
    assert host.fix.endswith(f"({POST_URL}#host-fix)")
    tls = finding(report, "TutorialBroken", "origin-tls")
    assert "-> 502" in tls.symptom and "handshake with the origin failed offering ['TLSv1']" in tls.symptom
    assert tls.patch.endswith('{"Quantity": 1, "Items": ["TLSv1.2"]}')
    personal = finding(report, "TutorialBroken", "personal-cache")
    assert (
        personal.symptom.startswith("from the configuration")
        and "ACCOUNT_CACHE_CONTROL=none" in personal.symptom
    )
    cached = finding(report, "TutorialBroken", "cached-error", "/static/*")
    assert (
        "(the second from the cache)" in cached.symptom
        and "502 from the configuration: cached 10 s" in cached.symptom
    )
    assert '"ErrorCode": 404, "ErrorCachingMinTTL": 0' in cached.patch
    timeout = finding(report, "TutorialBroken", "read-timeout")
    assert "from the configuration, not probed" in timeout.symptom and "(absent" in timeout.where
    bypass = finding(report, "TutorialBroken", "origin-bypass")
    assert "directly -> 200" in bypass.symptom and "X-Origin-Secret" in bypass.patch


def test_the_tutorials_fixed_configuration_passes_all_but_the_default_certificate(report):
    for behavior in ("Default (*)", "/static/*"):
        assert verdicts(report, "TutorialFixed", behavior) == {
            **dict.fromkeys(CHECKS, OK),
            "viewer-tls": FAIL,
        }
    assert "Hello, bob" in finding(report, "TutorialFixed", "personal-cache").symptom
    bypass = finding(report, "TutorialFixed", "origin-bypass")
    assert (
        "-> 403" in bypass.symptom
        and "assuming the app rejects requests without X-Origin-Secret" in bypass.cause
    )
    assert all(
        f.patch is None for f in report.need("TutorialFixed").findings["TutorialFixed"] if f.verdict == OK
    )
    viewer = finding(report, "TutorialFixed", "viewer-tls")
    assert "offering only TLSv1 -> accepted" in viewer.symptom or viewer.symptom.startswith(
        "from the configuration"
    )
    assert "CloudFrontDefaultCertificate" in viewer.cause


def test_an_alias_with_its_certificate_and_tls12_passes_viewer_tls(report):
    assert verdicts(report, "AliasTls") == dict.fromkeys(CHECKS, OK)
    assert "refused" in finding(report, "AliasTls", "viewer-tls").symptom
    assert "Host reaching it" in finding(report, "AliasTls", "host").symptom


def test_a_custom_cache_policy_without_the_cookie_serves_alice_to_bob(report):
    assert verdicts(report, "SessionCache", "/account/*")["personal-cache"] == FAIL
    assert verdicts(report, "SessionCache")["personal-cache"] == OK  # CachingDisabled: positive control
    leak = finding(report, "SessionCache", "personal-cache", "/account/*")
    assert "bob gets 'Hello, alice'" in leak.symptom and "x-cache: Hit from cloudfront" in leak.symptom
    assert leak.cause.startswith("CachePolicyId = SessionCache (cookies in the cache key: none)")
    assert leak.patch.endswith(f'"{CACHING_DISABLED}"')


def test_host_in_a_cache_key_or_in_legacy_forwarded_values_reaches_the_front(report):
    key = finding(report, "HostInKey", "host")
    assert key.verdict == FAIL and "-> 404" in key.symptom
    assert key.cause.startswith("CachePolicyId = PerHost has Host in its cache key")
    assert key.patch.startswith("template.yaml: Resources.PerHost: remove Host")
    legacy = finding(report, "HostInKey", "host", "/static/*")
    assert legacy.verdict == FAIL and "ForwardedValues.Headers = ['host']" in legacy.cause
    assert legacy.where.endswith("CacheBehaviors.Items[0].ForwardedValues.Headers")


def test_an_origin_only_cloudfront_can_reach_is_not_bypassed(report):
    report.need("PrivateService", "ExpressLocked", "TutorialBroken")
    private = finding(report, "PrivateService", "origin-bypass")
    assert private.verdict == OK and private.symptom.startswith("from the configuration, not probed")
    assert "IsPubliclyAccessible=false" in private.symptom
    locked = finding(report, "ExpressLocked", "origin-bypass")
    assert locked.verdict == OK and "no answer" in locked.symptom and "prefix list" in locked.symptom
    assert verdicts(report, "ExpressLocked")["host"] == OK  # CloudFront itself still gets through
    # Positive control: the same origins open and without a secret header (AlbOpen above, TutorialBroken).
    assert verdicts(report, "TutorialBroken")["origin-bypass"] == FAIL


def test_express_front_404s_a_foreign_host_and_routes_its_own(report):
    report.need("ExpressHost", "ExpressFixed")
    assert verdicts(report, "ExpressHost")["host"] == FAIL
    assert verdicts(report, "ExpressFixed") == {**dict.fromkeys(CHECKS, OK), "viewer-tls": FAIL}
    assert "-> 404" in finding(report, "ExpressHost", "host").symptom
    assert "SslPolicy" in finding(report, "ExpressFixed", "origin-tls").cause


def test_an_alb_open_to_everyone_is_bypassed_and_a_locked_one_is_not(report):
    report.need("AlbOpen", "AlbLocked")
    assert verdicts(report, "AlbOpen")["origin-bypass"] == FAIL
    assert verdicts(report, "AlbLocked")["origin-bypass"] == OK
    assert "prefix list" in finding(report, "AlbLocked", "origin-bypass").symptom
    assert verdicts(report, "AlbOpen")["host"] == OK  # the stand-in forwards every Host
    assert verdicts(report, "AlbOpen")["origin-tls"] == NA  # http-only
    assert verdicts(report, "AlbOpen")["personal-cache"] == OK


def test_an_alb_named_by_its_aws_dns_name_over_https_fails_the_certificate_and_a_custom_domain_passes(report):
    report.need("AlbLocked", "AlbCustomDomain")
    # AlbLocked: https-only to shop-alb-....elb.amazonaws.com, a name no certificate of the reader's covers.
    tls = finding(report, "AlbLocked", "origin-tls")
    assert tls.verdict == FAIL and "certificate does not cover shop-alb-1234567890" in tls.symptom
    assert "DomainName" in tls.patch
    assert verdicts(report, "AlbLocked")["host"] == NOT_CHECKED  # every request is 502: nothing tells
    # Positive control: the same load balancer named by the reader's own domain, with its certificate.
    assert verdicts(report, "AlbCustomDomain") == {**dict.fromkeys(CHECKS, OK), "viewer-tls": FAIL}
    assert "directly -> 403" in finding(report, "AlbCustomDomain", "origin-bypass").symptom


def test_kinds_without_a_local_front_are_judged_by_documented_rules_or_not_checked(report):
    api = verdicts(report, "OtherKinds")
    assert api["host"] == FAIL  # AllViewer sends the viewer's Host to API Gateway
    assert api["origin-bypass"] == api["read-timeout"] == NOT_CHECKED
    assert "no local front for API Gateway" in finding(report, "OtherKinds", "origin-bypass").symptom
    # Judged from the configuration, the assumption said: TLSv1.2 offered; the cookie does not reach it.
    tls = finding(report, "OtherKinds", "origin-tls")
    assert tls.verdict == OK and "assuming the origin accepts TLS 1.2" in tls.symptom
    personal = finding(report, "OtherKinds", "personal-cache")
    assert personal.verdict == OK and personal.symptom.startswith("from the configuration, not probed")
    assert verdicts(report, "OtherKinds", "/static/*")["host"] == OK  # positive control: no Host forwarded
    assert verdicts(report, "OtherKinds", "/files/*")["host"] == NA  # S3OriginConfig
    assert verdicts(report, "OtherKinds", "/files/*")["origin-tls"] == NOT_CHECKED


def test_an_exact_pattern_cannot_carry_a_probe(report):
    exact = verdicts(report, "ExpressFixed", "/robots.txt")
    assert exact["personal-cache"] == exact["host"] == NOT_CHECKED
    assert "has no '*'" in finding(report, "ExpressFixed", "personal-cache", "/robots.txt").symptom
    assert exact["read-timeout"] == OK  # judged from the configuration, no probe needed


def test_what_the_input_has_but_the_checker_cannot_emulate_is_not_checked(report):
    default = verdicts(report, "NotEmulated")
    assert {c for c, v in default.items() if v == NOT_CHECKED} == set(CHECKS) - {"read-timeout", "viewer-tls"}
    assert "a Lambda@Edge function runs here" in finding(report, "NotEmulated", "host").symptom
    assert verdicts(report, "NotEmulated", "/static/*")["host"] == OK  # another behaviour: unaffected


def test_a_configuration_the_backend_refuses_is_a_finding_naming_the_property(report):
    assert set(verdicts(report, "Refused").values()) == {NOT_CHECKED}
    refused = finding(report, "Refused", "origin-tls")
    assert "TLSv1.3" in refused.symptom
    assert refused.where == (
        "config.json: DistributionConfig.Origins.Items[0].CustomOriginConfig.OriginSslProtocols.Items[0]"
    )
