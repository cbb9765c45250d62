"""Distributions through boto3: what CloudFront keeps, checks, and how it deploys (local backend)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import trustme
from cloudfront_support import (
    ALL_VIEWER,
    APP_RUNNER_ORIGIN,
    CACHING_DISABLED,
    CACHING_OPTIMIZED,
    cache_policy_config,
    client_in_account,
    distribution_config,
    error,
    names,
    new_account_id,
)
from progress_support import CLOUDFRONT_DISTRIBUTION

FAST_WAITER = {"Delay": 0.2, "MaxAttempts": 50}  # the test backend deploys in 0.4 s


def wait_deployed(client, distribution_id):
    client.get_waiter("distribution_deployed").wait(Id=distribution_id, WaiterConfig=FAST_WAITER)


def imported_certificate(make_client, account_id, *domains):
    """An ISSUED ACM certificate in us-east-1 of ``account_id`` covering ``domains``."""
    ca = trustme.CA()
    leaf = ca.issue_cert(*domains)
    acm = client_in_account(make_client, account_id, "acm")
    return acm.import_certificate(
        Certificate=leaf.cert_chain_pems[0].bytes(),
        PrivateKey=leaf.private_key_pem.bytes(),
        CertificateChain=ca.cert_pem.bytes(),
    )["CertificateArn"]


@pytest.fixture
def account_id():
    return new_account_id()


@pytest.fixture
def client(make_client, account_id):
    return client_in_account(make_client, account_id)


def published_function(client, name):
    code = b"function handler(event) { return event.request; }"
    created = client.create_function(
        Name=name, FunctionConfig={"Comment": "test", "Runtime": "cloudfront-js-2.0"}, FunctionCode=code
    )
    return client.publish_function(Name=name, IfMatch=created["ETag"])["FunctionSummary"]["FunctionMetadata"][
        "FunctionARN"
    ]


# --- the "done when" script of issue 2 -------------------------------------------------------------


def test_done_when_script(client):
    created = client.create_distribution(
        DistributionConfig=distribution_config(
            "done-when",
            DefaultCacheBehavior={
                "TargetOriginId": "apprunner",
                "ViewerProtocolPolicy": "redirect-to-https",
                "CachePolicyId": CACHING_OPTIMIZED,
                "OriginRequestPolicyId": ALL_VIEWER,
            },
        )
    )
    distribution_id, first_etag = created["Distribution"]["Id"], created["ETag"]
    assert created["Distribution"]["Status"] == "InProgress"
    assert created["Distribution"]["DomainName"].endswith(".cloudfront.net")
    assert created["Location"].endswith(f"/2020-05-31/distribution/{distribution_id}")

    current = client.get_distribution_config(Id=distribution_id)
    config = current["DistributionConfig"]
    assert config["Origins"]["Items"][0]["DomainName"] == APP_RUNNER_ORIGIN
    config["DefaultCacheBehavior"]["OriginRequestPolicyId"] = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    updated = client.update_distribution(
        Id=distribution_id, IfMatch=current["ETag"], DistributionConfig=config
    )
    assert updated["ETag"] != first_etag
    assert updated["Distribution"]["Status"] == "InProgress"

    code, message, status = error(
        client.update_distribution, Id=distribution_id, IfMatch=first_etag, DistributionConfig=config
    )
    assert (code, status) == ("PreconditionFailed", 412)
    assert "preconditions" in message

    wait_deployed(client, distribution_id)
    got = client.get_distribution(Id=distribution_id)
    assert got["Distribution"]["Status"] == "Deployed"
    assert got["ETag"] == updated["ETag"]
    behaviour = got["Distribution"]["DistributionConfig"]["DefaultCacheBehavior"]
    assert behaviour["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"


# --- what is kept ----------------------------------------------------------------------------------


def test_every_setting_the_tutorial_uses_round_trips(client, make_client, account_id):
    # Aliases are unique across CloudFront, so each test account uses domains of its own.
    domain = f"a{account_id}.example"
    certificate = imported_certificate(make_client, account_id, f"www.{domain}.com", f"*.{domain}.net")
    function_arn = published_function(client, "add-forwarded-host")
    sent = distribution_config(
        "round-trip",
        Aliases=names([f"www.{domain}.com", f"shop.{domain}.net"]),
        DefaultRootObject="index.html",
        Comment="every field",
        Enabled=False,
        ViewerCertificate={
            "ACMCertificateArn": certificate,
            "SSLSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
            "CloudFrontDefaultCertificate": False,
        },
        CustomErrorResponses={
            "Quantity": 1,
            "Items": [
                {
                    "ErrorCode": 404,
                    "ResponsePagePath": "/404.html",
                    "ResponseCode": "404",
                    "ErrorCachingMinTTL": 10,
                }
            ],
        },
        CacheBehaviors={
            "Quantity": 1,
            "Items": [
                {
                    "PathPattern": "/static/*",
                    "TargetOriginId": "apprunner",
                    "ViewerProtocolPolicy": "https-only",
                    "CachePolicyId": CACHING_OPTIMIZED,
                    "Compress": True,
                }
            ],
        },
    )
    sent["Origins"]["Items"][0].update(
        CustomHeaders={"Quantity": 1, "Items": [{"HeaderName": "X-Origin-Secret", "HeaderValue": "s3cret"}]},
        CustomOriginConfig={
            "HTTPPort": 80,
            "HTTPSPort": 443,
            "OriginProtocolPolicy": "https-only",
            "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1"]},
            "OriginReadTimeout": 45,
            "OriginKeepaliveTimeout": 10,
        },
    )
    sent["DefaultCacheBehavior"]["FunctionAssociations"] = {
        "Quantity": 1,
        "Items": [{"FunctionARN": function_arn, "EventType": "viewer-request"}],
    }
    created = client.create_distribution(DistributionConfig=sent)
    kept = client.get_distribution_config(Id=created["Distribution"]["Id"])["DistributionConfig"]

    for key in (
        "CallerReference",
        "Aliases",
        "DefaultRootObject",
        "Comment",
        "Enabled",
        "CustomErrorResponses",
    ):
        assert kept[key] == sent[key], key
    for key, value in sent["ViewerCertificate"].items():
        assert kept["ViewerCertificate"][key] == value, key
    origin = kept["Origins"]["Items"][0]
    assert origin["CustomHeaders"] == sent["Origins"]["Items"][0]["CustomHeaders"]
    assert origin["CustomOriginConfig"] == sent["Origins"]["Items"][0]["CustomOriginConfig"]
    default = kept["DefaultCacheBehavior"]
    for key in ("CachePolicyId", "OriginRequestPolicyId", "FunctionAssociations", "ViewerProtocolPolicy"):
        assert default[key] == sent["DefaultCacheBehavior"][key], key
    ordered = kept["CacheBehaviors"]["Items"][0]
    for key, value in sent["CacheBehaviors"]["Items"][0].items():
        assert ordered[key] == value, key
    # and GetDistribution carries the same config
    assert (
        client.get_distribution(Id=created["Distribution"]["Id"])["Distribution"]["DistributionConfig"]
        == kept
    )


def test_documented_defaults_are_filled_in(client):
    created = client.create_distribution(DistributionConfig=distribution_config("defaults"))
    config = created["Distribution"]["DistributionConfig"]
    custom = config["Origins"]["Items"][0]["CustomOriginConfig"]
    assert (custom["OriginReadTimeout"], custom["OriginKeepaliveTimeout"]) == (30, 5)
    assert config["Origins"]["Items"][0]["ConnectionAttempts"] == 3
    assert config["ViewerCertificate"]["CloudFrontDefaultCertificate"] is True
    assert config["DefaultCacheBehavior"]["AllowedMethods"]["Items"] == ["HEAD", "GET"]
    assert config["Aliases"] == {"Quantity": 0}
    assert "ForwardedValues" not in config["DefaultCacheBehavior"]


def test_behaviour_defaults_when_left_out(client):
    # What GetDistributionConfig answers for members the request left out (AWS CLI examples
    # get-distribution-config.rst and create-distribution.rst), on the default and an ordered behaviour.
    config = distribution_config("behaviour-defaults")
    ordered = {**copy.deepcopy(config["DefaultCacheBehavior"]), "PathPattern": "/api/*"}
    legacy = config["DefaultCacheBehavior"]
    del legacy["CachePolicyId"], legacy["OriginRequestPolicyId"]
    legacy["ForwardedValues"] = {"QueryString": False, "Cookies": {"Forward": "none"}}
    config["CacheBehaviors"] = names([ordered])
    distribution_id = client.create_distribution(DistributionConfig=config)["Distribution"]["Id"]
    kept = client.get_distribution_config(Id=distribution_id)["DistributionConfig"]
    for behaviour in (kept["DefaultCacheBehavior"], kept["CacheBehaviors"]["Items"][0]):
        assert behaviour["TrustedSigners"] == {"Enabled": False, "Quantity": 0}
        assert behaviour["TrustedKeyGroups"] == {"Enabled": False, "Quantity": 0}
        assert (behaviour["SmoothStreaming"], behaviour["Compress"]) == (False, False)
        assert behaviour["FieldLevelEncryptionId"] == ""
    forwarded = kept["DefaultCacheBehavior"]["ForwardedValues"]
    assert forwarded["Headers"] == forwarded["QueryStringCacheKeys"] == {"Quantity": 0}
    assert "ForwardedValues" not in kept["CacheBehaviors"]["Items"][0]


def test_behaviour_members_sent_are_kept(client):
    # Positive control of the defaults above: values the request sets are never replaced.
    config = distribution_config("behaviour-set")
    config["DefaultCacheBehavior"].update(
        SmoothStreaming=True,
        Compress=True,
        FieldLevelEncryptionId="K3D5EWEUDCCXON",
        TrustedSigners={"Enabled": True, "Quantity": 1, "Items": ["self"]},
    )
    kept = client.create_distribution(DistributionConfig=config)["Distribution"]["DistributionConfig"]
    behaviour = kept["DefaultCacheBehavior"]
    assert (behaviour["SmoothStreaming"], behaviour["Compress"]) == (True, True)
    assert behaviour["FieldLevelEncryptionId"] == "K3D5EWEUDCCXON"
    assert behaviour["TrustedSigners"] == {"Enabled": True, "Quantity": 1, "Items": ["self"]}


def test_default_certificate_alone_gets_the_tlsv1_policy(client):
    # Notebook 02's ViewerCertificate: API reference ViewerCertificate.MinimumProtocolVersion, "CloudFront
    # automatically sets the security policy to TLSv1"; the AWS CLI example answers it.
    config = distribution_config("default-cert", ViewerCertificate={"CloudFrontDefaultCertificate": True})
    kept = client.create_distribution(DistributionConfig=config)["Distribution"]["DistributionConfig"]
    assert kept["ViewerCertificate"] == {
        "CloudFrontDefaultCertificate": True,
        "MinimumProtocolVersion": "TLSv1",
        "CertificateSource": "cloudfront",
    }
    # Positive control: a policy the request names is kept as sent.
    config = distribution_config(
        "default-cert-named",
        ViewerCertificate={"CloudFrontDefaultCertificate": True, "MinimumProtocolVersion": "TLSv1.2_2021"},
    )
    kept = client.create_distribution(DistributionConfig=config)["Distribution"]["DistributionConfig"]
    assert kept["ViewerCertificate"]["MinimumProtocolVersion"] == "TLSv1.2_2021"


def test_legacy_forwarded_values_are_kept(client):
    config = distribution_config("legacy")
    behaviour = config["DefaultCacheBehavior"]
    del behaviour["CachePolicyId"], behaviour["OriginRequestPolicyId"]
    behaviour.update(
        ForwardedValues={"QueryString": True, "Cookies": {"Forward": "all"}, "Headers": names(["*"])},
        MinTTL=0,
        DefaultTTL=0,
        MaxTTL=0,
    )
    kept = client.create_distribution(DistributionConfig=config)["Distribution"]["DistributionConfig"]
    # As sent, plus the one member left out, answered empty (see test_behaviour_defaults_when_left_out).
    expected = {**behaviour["ForwardedValues"], "QueryStringCacheKeys": {"Quantity": 0}}
    assert kept["DefaultCacheBehavior"]["ForwardedValues"] == expected
    assert "CachePolicyId" not in kept["DefaultCacheBehavior"]


# --- ETags and IfMatch -----------------------------------------------------------------------------


def test_etag_changes_on_every_update_and_if_match_is_checked(client):
    created = client.create_distribution(DistributionConfig=distribution_config("etags"))
    distribution_id = created["Distribution"]["Id"]
    config = client.get_distribution_config(Id=distribution_id)["DistributionConfig"]
    etags = [created["ETag"]]
    for comment in ("one", "two"):
        config["Comment"] = comment
        etags.append(
            client.update_distribution(Id=distribution_id, IfMatch=etags[-1], DistributionConfig=config)[
                "ETag"
            ]
        )
    assert len(set(etags)) == 3
    assert error(client.update_distribution, Id=distribution_id, DistributionConfig=config)[::2] == (
        "InvalidIfMatchVersion",
        400,
    )
    assert error(client.update_distribution, Id=distribution_id, IfMatch=etags[0], DistributionConfig=config)[
        0
    ] == ("PreconditionFailed")
    assert client.get_distribution(Id=distribution_id)["ETag"] == etags[-1]


def test_caller_reference_is_unique_and_cannot_change(client):
    created = client.create_distribution(DistributionConfig=distribution_config("same-ref"))
    assert error(client.create_distribution, DistributionConfig=distribution_config("same-ref"))[::2] == (
        "DistributionAlreadyExists",
        409,
    )
    config = distribution_config("other-ref")
    assert (
        error(
            client.update_distribution,
            Id=created["Distribution"]["Id"],
            IfMatch=created["ETag"],
            DistributionConfig=config,
        )[0]
        == "IllegalUpdate"
    )


# --- deletion --------------------------------------------------------------------------------------


def test_delete_needs_a_disabled_deployed_distribution_and_the_current_etag(client):
    created = client.create_distribution(DistributionConfig=distribution_config("delete-me"))
    distribution_id = created["Distribution"]["Id"]
    assert error(client.delete_distribution, Id=distribution_id, IfMatch=created["ETag"])[::2] == (
        "DistributionNotDisabled",
        409,
    )
    config = client.get_distribution_config(Id=distribution_id)["DistributionConfig"]
    config["Enabled"] = False
    disabled = client.update_distribution(
        Id=distribution_id, IfMatch=created["ETag"], DistributionConfig=config
    )
    wait_deployed(client, distribution_id)
    assert error(client.delete_distribution, Id=distribution_id)[0] == "InvalidIfMatchVersion"
    assert error(client.delete_distribution, Id=distribution_id, IfMatch=created["ETag"])[::2] == (
        "PreconditionFailed",
        412,
    )
    client.delete_distribution(Id=distribution_id, IfMatch=disabled["ETag"])
    assert error(client.get_distribution, Id=distribution_id)[::2] == ("NoSuchDistribution", 404)


# --- cache behaviour rules -------------------------------------------------------------------------


def _with_default_behaviour(reference, **fields):
    config = distribution_config(reference)
    behaviour = config["DefaultCacheBehavior"]
    for key in ("CachePolicyId", "OriginRequestPolicyId"):
        behaviour.pop(key)
    behaviour.update(fields)
    return config


def test_a_behaviour_needs_a_cache_policy_or_forwarded_values(client):
    code, message, status = error(
        client.create_distribution, DistributionConfig=_with_default_behaviour("none")
    )
    assert (code, message, status) == ("InvalidArgument", "The parameter ForwardedValues is required.", 400)
    both = _with_default_behaviour(
        "both",
        CachePolicyId=CACHING_DISABLED,
        ForwardedValues={"QueryString": False, "Cookies": {"Forward": "none"}},
    )
    assert (
        "cannot be used when a cache policy is associated"
        in error(client.create_distribution, DistributionConfig=both)[1]
    )


def test_an_origin_request_policy_needs_a_cache_policy(client):
    config = _with_default_behaviour(
        "orp-only",
        OriginRequestPolicyId=ALL_VIEWER,
        ForwardedValues={"QueryString": False, "Cookies": {"Forward": "none"}},
    )
    code, message, _ = error(client.create_distribution, DistributionConfig=config)
    assert code == "InvalidArgument" and "cannot be attached without a cache policy" in message


def test_unknown_policy_ids_are_refused(client):
    missing = "11111111-2222-3333-4444-555555555555"
    config = _with_default_behaviour("unknown-cp", CachePolicyId=missing)
    assert error(client.create_distribution, DistributionConfig=config)[::2] == ("NoSuchCachePolicy", 404)
    config = _with_default_behaviour(
        "unknown-orp", CachePolicyId=CACHING_DISABLED, OriginRequestPolicyId=missing
    )
    assert error(client.create_distribution, DistributionConfig=config)[::2] == (
        "NoSuchOriginRequestPolicy",
        404,
    )


def test_a_policy_of_another_account_is_unknown(client, account):
    other = account.create_cache_policy(CachePolicyConfig=cache_policy_config("elsewhere"))["CachePolicy"][
        "Id"
    ]
    config = _with_default_behaviour("foreign-cp", CachePolicyId=other)
    assert error(client.create_distribution, DistributionConfig=config)[0] == "NoSuchCachePolicy"


def test_behaviour_must_target_an_origin(client):
    config = distribution_config("no-origin")
    config["DefaultCacheBehavior"]["TargetOriginId"] = "missing"
    assert error(client.create_distribution, DistributionConfig=config)[::2] == ("NoSuchOrigin", 404)


# --- function associations -------------------------------------------------------------------------


def test_function_associations_need_a_published_viewer_function(client):
    arn = published_function(client, "published")
    unpublished = client.create_function(
        Name="draft",
        FunctionConfig={"Comment": "d", "Runtime": "cloudfront-js-2.0"},
        FunctionCode=b"function handler(e) { return e.request; }",
    )["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]

    def with_association(reference, function_arn, event_type="viewer-request"):
        config = distribution_config(reference)
        config["DefaultCacheBehavior"]["FunctionAssociations"] = {
            "Quantity": 1,
            "Items": [{"FunctionARN": function_arn, "EventType": event_type}],
        }
        return config

    assert error(client.create_distribution, DistributionConfig=with_association("draft", unpublished))[
        ::2
    ] == (
        "InvalidFunctionAssociation",
        400,
    )
    missing = arn.rsplit("/", 1)[0] + "/does-not-exist"
    assert error(client.create_distribution, DistributionConfig=with_association("missing", missing))[0] == (
        "InvalidFunctionAssociation"
    )
    code, message, _ = error(
        client.create_distribution, DistributionConfig=with_association("origin-event", arn, "origin-request")
    )
    assert code == "MalformedXML" and "[viewer-request, viewer-response]" in message
    created = client.create_distribution(DistributionConfig=with_association("ok", arn))
    kept = created["Distribution"]["DistributionConfig"]["DefaultCacheBehavior"]["FunctionAssociations"]
    assert kept["Items"] == [{"FunctionARN": arn, "EventType": "viewer-request"}]


# --- aliases and certificates ----------------------------------------------------------------------


def test_an_alias_needs_a_certificate_that_covers_it(client, make_client, account_id):
    domain = f"a{account_id}.example.com"
    config = distribution_config("alias-no-cert", Aliases=names([f"www.{domain}"]))
    code, message, status = error(client.create_distribution, DistributionConfig=config)
    assert (code, status) == ("InvalidViewerCertificate", 400)
    assert message.startswith("To add an alternate domain name (CNAME)")

    other = imported_certificate(make_client, account_id, f"other.{domain}")
    config["ViewerCertificate"] = {
        "ACMCertificateArn": other,
        "SSLSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    message = error(client.create_distribution, DistributionConfig=config)[1]
    assert "doesn't cover the alternate domain name" in message

    wildcard = imported_certificate(make_client, account_id, f"*.{domain}")
    config["ViewerCertificate"]["ACMCertificateArn"] = wildcard
    created = client.create_distribution(DistributionConfig=config)
    assert created["Distribution"]["DistributionConfig"]["ViewerCertificate"]["CertificateSource"] == "acm"


def test_a_certificate_still_pending_validation_is_not_usable(client, make_client, account_id):
    acm = client_in_account(make_client, account_id, "acm")
    domain = f"pending.a{account_id}.example.com"
    pending = acm.request_certificate(DomainName=domain, ValidationMethod="DNS")["CertificateArn"]
    config = distribution_config(
        "pending",
        Aliases=names([domain]),
        ViewerCertificate={
            "ACMCertificateArn": pending,
            "SSLSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
        },
    )
    assert error(client.create_distribution, DistributionConfig=config)[0] == "InvalidViewerCertificate"


def test_an_alias_belongs_to_one_distribution_across_accounts(client, make_client, account_id):
    alias = f"app-{account_id}.example.com"
    certificate = imported_certificate(make_client, account_id, alias)
    viewer = {
        "ACMCertificateArn": certificate,
        "SSLSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    client.create_distribution(
        DistributionConfig=distribution_config("first", Aliases=names([alias]), ViewerCertificate=viewer)
    )

    other_account = new_account_id()
    other = client_in_account(make_client, other_account)
    other_viewer = dict(viewer, ACMCertificateArn=imported_certificate(make_client, other_account, alias))
    config = distribution_config("second", Aliases=names([alias]), ViewerCertificate=other_viewer)
    assert error(other.create_distribution, DistributionConfig=config)[::2] == ("CNAMEAlreadyExists", 409)


# --- bad input -------------------------------------------------------------------------------------


def _custom_origin(reference, **custom):
    config = distribution_config(reference)
    config["Origins"]["Items"][0]["CustomOriginConfig"].update(custom)
    return config


@pytest.mark.parametrize(
    ("custom", "code"),
    [
        ({"OriginReadTimeout": 0}, "InvalidOriginReadTimeout"),
        ({"OriginReadTimeout": 61}, "InvalidOriginReadTimeout"),
        ({"OriginKeepaliveTimeout": 61}, "InvalidOriginKeepaliveTimeout"),
        ({"OriginProtocolPolicy": "https-please"}, "MalformedXML"),
        ({"OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.3"]}}, "MalformedXML"),
        ({"OriginSslProtocols": {"Quantity": 2, "Items": ["TLSv1.2"]}}, "InconsistentQuantities"),
    ],
)
def test_bad_origin_settings(client, custom, code):
    assert error(client.create_distribution, DistributionConfig=_custom_origin("bad-origin", **custom))[
        ::2
    ] == (code, 400)


def test_other_bad_input(client):
    config = distribution_config("bad-viewer")
    config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] = "http-please"
    assert error(client.create_distribution, DistributionConfig=config)[0] == "MalformedXML"
    config = distribution_config(
        "bad-tls", ViewerCertificate={"CloudFrontDefaultCertificate": True, "MinimumProtocolVersion": "TLSv9"}
    )
    assert error(client.create_distribution, DistributionConfig=config)[0] == "InvalidMinimumProtocolVersion"
    config = distribution_config("many-headers")
    config["Origins"]["Items"][0]["CustomHeaders"] = names(
        [{"HeaderName": f"X-{n}", "HeaderValue": "v"} for n in range(11)]
    )
    assert error(client.create_distribution, DistributionConfig=config)[0] == "TooManyOriginCustomHeaders"
    assert error(client.get_distribution, Id="EDOESNOTEXIST1")[::2] == ("NoSuchDistribution", 404)


# --- listing, accounts, invalidations, IDs ---------------------------------------------------------


def test_list_distributions_pages_and_reports_status(client, hold):
    hold(CLOUDFRONT_DISTRIBUTION)  # the summaries are read while the distributions still deploy
    ids = [
        client.create_distribution(DistributionConfig=distribution_config(f"list-{n}"))["Distribution"]["Id"]
        for n in range(3)
    ]
    first = client.list_distributions(MaxItems="2")["DistributionList"]
    assert [d["Id"] for d in first["Items"]] == ids[:2]
    assert first["IsTruncated"] is True
    # API reference ListDistributions, Marker: NextMarker is "the ID of the last distribution on that page",
    # and the next page holds the distributions "that occur after the marker".
    assert first["NextMarker"] == ids[1]
    rest = client.list_distributions(MaxItems="2", Marker=first["NextMarker"])["DistributionList"]
    assert [d["Id"] for d in rest["Items"]] == ids[2:]
    assert rest["IsTruncated"] is False and "NextMarker" not in rest
    assert rest["Marker"] == ids[1]
    # Positive control of "after": the first ID as Marker gives the two after it.
    after_first = client.list_distributions(Marker=ids[0])["DistributionList"]
    assert [d["Id"] for d in after_first["Items"]] == ids[1:]
    summary = first["Items"][0]
    assert summary["Status"] == "InProgress" and summary["ETag"]
    assert summary["DefaultCacheBehavior"]["CachePolicyId"] == CACHING_DISABLED


def test_two_accounts_are_kept_apart(client, account):
    created = client.create_distribution(DistributionConfig=distribution_config("mine"))
    assert error(account.get_distribution, Id=created["Distribution"]["Id"])[0] == "NoSuchDistribution"
    assert account.list_distributions()["DistributionList"]["Quantity"] == 0
    policy = client.create_cache_policy(CachePolicyConfig=cache_policy_config("private"))["CachePolicy"]["Id"]
    assert error(account.get_cache_policy, Id=policy)[0] == "NoSuchCachePolicy"


def test_distribution_arn_names_the_account(client, account_id):
    created = client.create_distribution(DistributionConfig=distribution_config("arn"))
    distribution_id = created["Distribution"]["Id"]
    assert (
        created["Distribution"]["ARN"] == f"arn:aws:cloudfront::{account_id}:distribution/{distribution_id}"
    )


def test_invalidations_still_work_on_these_distributions(client):
    distribution_id = client.create_distribution(DistributionConfig=distribution_config("inval"))[
        "Distribution"
    ]["Id"]
    created = client.create_invalidation(
        DistributionId=distribution_id, InvalidationBatch={"Paths": names(["/*"]), "CallerReference": "i1"}
    )
    listed = client.list_invalidations(DistributionId=distribution_id)["InvalidationList"]
    assert [i["Id"] for i in listed["Items"]] == [created["Invalidation"]["Id"]]
    # CloudFront spells the finished status "Completed", which botocore's waiter matches.
    client.get_waiter("invalidation_completed").wait(
        DistributionId=distribution_id, Id=created["Invalidation"]["Id"], WaiterConfig=FAST_WAITER
    )


def test_ids_repeat_after_reseeding(make_client, api_url):
    import urllib.request

    clients = [client_in_account(make_client, new_account_id()) for _ in range(2)]
    made = []
    for client in clients:
        request = urllib.request.Request(f"{api_url}/moto-api/seed?a=2024", data=b"", method="POST")
        urllib.request.urlopen(request, timeout=10).close()
        policy = client.create_cache_policy(CachePolicyConfig=cache_policy_config("seeded"))["CachePolicy"][
            "Id"
        ]
        distribution = client.create_distribution(
            DistributionConfig=copy.deepcopy(distribution_config("seeded"))
        )
        made.append((policy, distribution["Distribution"]["Id"], distribution["Distribution"]["DomainName"]))
    assert made[0] == made[1]


def test_tags_given_at_creation_are_listed(client):
    created = client.create_distribution_with_tags(
        DistributionConfigWithTags={
            "DistributionConfig": distribution_config("tagged"),
            "Tags": {"Items": [{"Key": "project", "Value": "hostlab"}]},
        }
    )
    arn = created["Distribution"]["ARN"]
    assert created["Distribution"]["Status"] == "InProgress"
    assert client.list_tags_for_resource(Resource=arn)["Tags"]["Items"] == [
        {"Key": "project", "Value": "hostlab"}
    ]
    assert client.get_distribution_config(Id=created["Distribution"]["Id"])["DistributionConfig"]["Comment"]


def test_cloudfront_is_global_whatever_region_the_client_names(client, make_client, account_id):
    distribution_id = client.create_distribution(DistributionConfig=distribution_config("global"))[
        "Distribution"
    ]["Id"]
    elsewhere = client_in_account(make_client, account_id, region="eu-west-1")
    assert elsewhere.get_distribution(Id=distribution_id)["Distribution"]["Id"] == distribution_id


# --- partitions and the Resource Groups Tagging API -------------------------------------------------


def test_china_partition_is_kept_in_arns(make_client, account_id):
    # ARNs name the partition, aws-cn for the China Regions (IAM User Guide reference-arns.html; Service
    # Authorization Reference list_amazoncloudfront.html: arn:${Partition}:cloudfront::${Account}:...).
    china = client_in_account(make_client, account_id, region="cn-north-1")
    created = china.create_distribution(DistributionConfig=distribution_config("china"))["Distribution"]
    assert created["ARN"] == f"arn:aws-cn:cloudfront::{account_id}:distribution/{created['Id']}"
    function_arn = published_function(china, "china-function")
    assert function_arn == f"arn:aws-cn:cloudfront::{account_id}:function/china-function"
    # A China function is associated by its aws-cn ARN.
    config = distribution_config("china-with-function")
    config["DefaultCacheBehavior"]["FunctionAssociations"] = names(
        [{"EventType": "viewer-request", "FunctionARN": function_arn}]
    )
    china.create_distribution(DistributionConfig=config)
    # Positive control: the same account outside China keeps arn:aws, and the partitions are apart.
    global_client = client_in_account(make_client, account_id)
    other = global_client.create_distribution(DistributionConfig=distribution_config("global"))
    other = other["Distribution"]
    assert other["ARN"].startswith(f"arn:aws:cloudfront::{account_id}:distribution/")
    assert [d["Id"] for d in global_client.list_distributions()["DistributionList"]["Items"]] == [other["Id"]]


def test_functions_and_distributions_are_in_the_tagging_api(make_client, client, account_id):
    created = client.create_distribution_with_tags(
        DistributionConfigWithTags={
            "DistributionConfig": distribution_config("tagged"),
            "Tags": {"Items": [{"Key": "project", "Value": "hostlab"}]},
        }
    )["Distribution"]
    code = b"function handler(event) { return event.request; }"
    function_arn = client.create_function(
        Name="tagged-function",
        FunctionConfig={"Comment": "tagged", "Runtime": "cloudfront-js-2.0"},
        FunctionCode=code,
        Tags={"Items": [{"Key": "project", "Value": "hostlab"}]},
    )["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]
    tagging = client_in_account(make_client, account_id, "resourcegroupstaggingapi")

    def arns(**filters):
        found = tagging.get_resources(**filters)["ResourceTagMappingList"]
        return sorted(r["ResourceARN"] for r in found)

    assert arns(ResourceTypeFilters=["cloudfront:function"]) == [function_arn]
    tagged = arns(TagFilters=[{"Key": "project", "Values": ["hostlab"]}])
    assert tagged == sorted([created["ARN"], function_arn])
    # A deleted function is gone from the listing too.
    etag = client.describe_function(Name="tagged-function")["ETag"]
    client.delete_function(Name="tagged-function", IfMatch=etag)
    assert arns(ResourceTypeFilters=["cloudfront:function"]) == []
    assert arns(ResourceTypeFilters=["cloudfront:distribution"]) == [created["ARN"]]


# --- S3 origins ---------------------------------------------------------------------------------------------


def _s3_origin_config(reference: str, domain: str, **origin: Any) -> dict[str, Any]:
    config = distribution_config(reference)
    config["Origins"]["Items"][0] = {
        "Id": "apprunner",  # the id the default behaviour targets
        "DomainName": domain,
        "S3OriginConfig": {"OriginAccessIdentity": ""},
        **origin,
    }
    return config


@pytest.mark.parametrize(
    "domain",
    [
        "https://getmoto.org",
        "getmoto.org",
        "site.s3-website-us-east-1.amazonaws.com",  # a website endpoint is a custom origin
        "abc123.execute-api.us-east-1.amazonaws.com",
        "bucket.s3.amazonaws.com.example.org",
    ],
)
def test_an_s3_origin_must_name_a_bucket_endpoint(client, domain):
    assert error(client.create_distribution, DistributionConfig=_s3_origin_config("s3-bad", domain)) == (
        "InvalidArgument",
        "The parameter Origin DomainName does not refer to a valid S3 bucket.",
        400,
    )


@pytest.mark.parametrize(
    "domain",
    [
        "bucket.s3.us-east-1.amazonaws.com",
        "my.dotted.bucket.s3.amazonaws.com",
        "bucket.s3-eu-west-1.amazonaws.com",
        "bucket.s3.cn-north-1.amazonaws.com.cn",
    ],
)
def test_bucket_endpoints_are_accepted_as_s3_origins(client, domain):
    created = client.create_distribution(DistributionConfig=_s3_origin_config(f"s3-{domain}", domain))
    assert created["Distribution"]["DistributionConfig"]["Origins"]["Items"][0]["DomainName"] == domain


def test_an_origin_is_either_s3_or_custom(client):
    config = _s3_origin_config(
        "s3-and-custom",
        "bucket.s3.us-east-1.amazonaws.com",
        CustomOriginConfig={"HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only"},
    )
    assert error(client.create_distribution, DistributionConfig=config)[::2] == ("InvalidOrigin", 400)
