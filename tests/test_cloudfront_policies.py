"""Cache and origin request policies through boto3, against the session's local backend."""

from __future__ import annotations

import pytest
from cloudfront_support import (
    ALL_VIEWER,
    ALL_VIEWER_EXCEPT_HOST,
    CACHING_DISABLED,
    CACHING_OPTIMIZED,
    cache_policy_config,
    distribution_config,
    error,
    names,
    origin_request_policy_config,
)

# (ID, name) of every managed policy, from the CloudFront Developer Guide pages.
MANAGED_CACHE = {
    "2e54312d-136d-493c-8eb9-b001f22f67d2": "Managed-Amplify",
    CACHING_DISABLED: "Managed-CachingDisabled",
    CACHING_OPTIMIZED: "Managed-CachingOptimized",
    "b2884449-e4de-46a7-ac36-70bc7f1ddd6d": "Managed-CachingOptimizedForUncompressedObjects",
    "08627262-05a9-4f76-9ded-b50ca2e3a84f": "Managed-Elemental-MediaPackage",
    "83da9c7e-98b4-4e11-a168-04f0df8e2c65": "UseOriginCacheControlHeaders",
    "4cc15a8a-d715-48a4-82b8-cc0b614638fe": "UseOriginCacheControlHeaders-QueryStrings",
}
MANAGED_ORIGIN_REQUEST = {
    ALL_VIEWER: "Managed-AllViewer",
    "33f36d7e-f396-46d9-90e0-52428a34d9dc": "Managed-AllViewerAndCloudFrontHeaders-2022-06",
    ALL_VIEWER_EXCEPT_HOST: "Managed-AllViewerExceptHostHeader",
    "59781a5b-3903-41f3-afcb-af62929ccde1": "Managed-CORS-CustomOrigin",
    "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf": "Managed-CORS-S3Origin",
    "775133bc-15f2-49f9-abea-afb2e0bf67d2": "Managed-Elemental-MediaTailor-PersonalizedManifests",
    "bf0718e1-ba1e-49d1-88b1-f726733018ae": "Managed-HostHeaderOnly",
    "acba4595-bd28-49b8-b9fe-13317c0390fa": "Managed-UserAgentRefererHeaders",
}


# --- managed policies ------------------------------------------------------------------------------


def test_managed_cache_policies_are_listed_with_their_ids_and_names(cloudfront):
    listed = cloudfront.list_cache_policies(Type="managed")["CachePolicyList"]
    found = {i["CachePolicy"]["Id"]: i["CachePolicy"]["CachePolicyConfig"]["Name"] for i in listed["Items"]}
    assert found == MANAGED_CACHE
    assert {i["Type"] for i in listed["Items"]} == {"managed"}
    assert listed["Quantity"] == len(MANAGED_CACHE)


def test_managed_origin_request_policies_are_listed_with_their_ids_and_names(cloudfront):
    listed = cloudfront.list_origin_request_policies(Type="managed")["OriginRequestPolicyList"]
    found = {
        i["OriginRequestPolicy"]["Id"]: i["OriginRequestPolicy"]["OriginRequestPolicyConfig"]["Name"]
        for i in listed["Items"]
    }
    assert found == MANAGED_ORIGIN_REQUEST


def test_caching_optimized_settings_match_the_developer_guide(cloudfront):
    config = cloudfront.get_cache_policy_config(Id=CACHING_OPTIMIZED)["CachePolicyConfig"]
    assert (config["MinTTL"], config["DefaultTTL"], config["MaxTTL"]) == (1, 86400, 31536000)
    params = config["ParametersInCacheKeyAndForwardedToOrigin"]
    assert params["EnableAcceptEncodingGzip"] and params["EnableAcceptEncodingBrotli"]
    assert params["HeadersConfig"]["HeaderBehavior"] == "none"
    assert params["CookiesConfig"]["CookieBehavior"] == "none"
    assert params["QueryStringsConfig"]["QueryStringBehavior"] == "none"


def test_caching_disabled_and_use_origin_cache_control_settings(cloudfront):
    disabled = cloudfront.get_cache_policy(Id=CACHING_DISABLED)["CachePolicy"]["CachePolicyConfig"]
    assert (disabled["MinTTL"], disabled["DefaultTTL"], disabled["MaxTTL"]) == (0, 0, 0)
    assert not disabled["ParametersInCacheKeyAndForwardedToOrigin"]["EnableAcceptEncodingGzip"]
    origin = cloudfront.get_cache_policy_config(Id="83da9c7e-98b4-4e11-a168-04f0df8e2c65")[
        "CachePolicyConfig"
    ]
    assert (origin["MinTTL"], origin["DefaultTTL"], origin["MaxTTL"]) == (0, 0, 31536000)
    headers = origin["ParametersInCacheKeyAndForwardedToOrigin"]["HeadersConfig"]["Headers"]["Items"]
    assert "Host" in headers  # the viewer's Host reaches the origin with this policy
    assert origin["ParametersInCacheKeyAndForwardedToOrigin"]["CookiesConfig"]["CookieBehavior"] == "all"


def test_all_viewer_forwards_host_and_all_viewer_except_host_does_not(cloudfront):
    all_viewer = cloudfront.get_origin_request_policy_config(Id=ALL_VIEWER)["OriginRequestPolicyConfig"]
    assert all_viewer["HeadersConfig"] == {"HeaderBehavior": "allViewer"}
    assert all_viewer["CookiesConfig"]["CookieBehavior"] == "all"
    except_host = cloudfront.get_origin_request_policy(Id=ALL_VIEWER_EXCEPT_HOST)["OriginRequestPolicy"]
    headers = except_host["OriginRequestPolicyConfig"]["HeadersConfig"]
    assert headers == {"HeaderBehavior": "allExcept", "Headers": {"Quantity": 1, "Items": ["Host"]}}


def test_managed_policies_cannot_be_updated_or_deleted(cloudfront):
    got = cloudfront.get_cache_policy(Id=CACHING_OPTIMIZED)
    config = got["CachePolicy"]["CachePolicyConfig"]
    assert error(
        cloudfront.update_cache_policy, Id=CACHING_OPTIMIZED, IfMatch=got["ETag"], CachePolicyConfig=config
    )[::2] == ("IllegalUpdate", 400)
    assert error(cloudfront.delete_cache_policy, Id=CACHING_OPTIMIZED, IfMatch=got["ETag"])[::2] == (
        "IllegalDelete",
        400,
    )
    orp = cloudfront.get_origin_request_policy(Id=ALL_VIEWER)
    assert (
        error(cloudfront.delete_origin_request_policy, Id=ALL_VIEWER, IfMatch=orp["ETag"])[0]
        == "IllegalDelete"
    )


def test_managed_policies_are_the_same_in_every_account(cloudfront, account):
    assert (
        account.get_cache_policy(Id=CACHING_OPTIMIZED)["CachePolicy"]
        == cloudfront.get_cache_policy(Id=CACHING_OPTIMIZED)["CachePolicy"]
    )


# --- custom policies: lifecycle --------------------------------------------------------------------


def test_cache_policy_create_get_update_delete(account):
    created = account.create_cache_policy(CachePolicyConfig=cache_policy_config("app-pages"))
    policy_id, etag = created["CachePolicy"]["Id"], created["ETag"]
    assert created["Location"].endswith(f"/2020-05-31/cache-policy/{policy_id}")
    assert len(policy_id) == 36 and policy_id.count("-") == 4  # a UUID
    assert account.get_cache_policy(Id=policy_id)["ETag"] == etag

    changed = cache_policy_config("app-pages", Comment="now keyed by session cookie")
    changed["ParametersInCacheKeyAndForwardedToOrigin"]["CookiesConfig"] = {
        "CookieBehavior": "whitelist",
        "Cookies": names(["session"]),
    }
    updated = account.update_cache_policy(Id=policy_id, IfMatch=etag, CachePolicyConfig=changed)
    assert updated["ETag"] != etag
    config = account.get_cache_policy_config(Id=policy_id)["CachePolicyConfig"]
    assert config["Comment"] == "now keyed by session cookie"
    assert config["ParametersInCacheKeyAndForwardedToOrigin"]["CookiesConfig"]["Cookies"]["Items"] == [
        "session"
    ]

    assert error(account.update_cache_policy, Id=policy_id, IfMatch=etag, CachePolicyConfig=changed)[::2] == (
        "PreconditionFailed",
        412,
    )
    assert error(account.delete_cache_policy, Id=policy_id, IfMatch=etag)[0] == "PreconditionFailed"
    account.delete_cache_policy(Id=policy_id, IfMatch=updated["ETag"])
    assert error(account.get_cache_policy, Id=policy_id)[::2] == ("NoSuchCachePolicy", 404)


def test_origin_request_policy_create_update_delete(account):
    created = account.create_origin_request_policy(
        OriginRequestPolicyConfig=origin_request_policy_config(
            "forward-host", HeadersConfig={"HeaderBehavior": "whitelist", "Headers": names(["Host"])}
        )
    )
    policy_id, etag = created["OriginRequestPolicy"]["Id"], created["ETag"]
    # Host may be forwarded by an origin request policy (the managed AllViewer and HostHeaderOnly do it).
    headers = created["OriginRequestPolicy"]["OriginRequestPolicyConfig"]["HeadersConfig"]
    assert headers["Headers"]["Items"] == ["Host"]
    updated = account.update_origin_request_policy(
        Id=policy_id, IfMatch=etag, OriginRequestPolicyConfig=origin_request_policy_config("forward-host")
    )
    assert updated["ETag"] != etag
    assert account.get_origin_request_policy_config(Id=policy_id)["ETag"] == updated["ETag"]
    assert (
        error(account.delete_origin_request_policy, Id=policy_id)[0] == "InvalidIfMatchVersion"
    )  # no If-Match
    account.delete_origin_request_policy(Id=policy_id, IfMatch=updated["ETag"])
    assert error(account.get_origin_request_policy, Id=policy_id)[::2] == ("NoSuchOriginRequestPolicy", 404)


def test_update_without_if_match_is_invalid_if_match_version(account):
    created = account.create_cache_policy(CachePolicyConfig=cache_policy_config("p"))
    code, _, status = error(
        account.update_cache_policy,
        Id=created["CachePolicy"]["Id"],
        CachePolicyConfig=cache_policy_config("p"),
    )
    assert (code, status) == ("InvalidIfMatchVersion", 400)


def test_names_are_unique_per_account(account, make_client):
    account.create_cache_policy(CachePolicyConfig=cache_policy_config("shared-name"))
    assert error(account.create_cache_policy, CachePolicyConfig=cache_policy_config("shared-name"))[::2] == (
        "CachePolicyAlreadyExists",
        409,
    )
    account.create_origin_request_policy(
        OriginRequestPolicyConfig=origin_request_policy_config("shared-name")
    )
    assert (
        error(
            account.create_origin_request_policy,
            OriginRequestPolicyConfig=origin_request_policy_config("shared-name"),
        )[0]
        == "OriginRequestPolicyAlreadyExists"
    )
    other = account.create_cache_policy(CachePolicyConfig=cache_policy_config("other-name"))
    assert (
        error(
            account.update_cache_policy,
            Id=other["CachePolicy"]["Id"],
            IfMatch=other["ETag"],
            CachePolicyConfig=cache_policy_config("shared-name"),
        )[0]
        == "CachePolicyAlreadyExists"
    )


def test_policy_in_use_cannot_be_deleted(account):
    cache = account.create_cache_policy(CachePolicyConfig=cache_policy_config("in-use"))
    origin = account.create_origin_request_policy(
        OriginRequestPolicyConfig=origin_request_policy_config("in-use")
    )
    config = distribution_config("in-use")
    config["DefaultCacheBehavior"].update(
        CachePolicyId=cache["CachePolicy"]["Id"], OriginRequestPolicyId=origin["OriginRequestPolicy"]["Id"]
    )
    account.create_distribution(DistributionConfig=config)
    assert error(account.delete_cache_policy, Id=cache["CachePolicy"]["Id"], IfMatch=cache["ETag"])[::2] == (
        "CachePolicyInUse",
        409,
    )
    assert (
        error(
            account.delete_origin_request_policy,
            Id=origin["OriginRequestPolicy"]["Id"],
            IfMatch=origin["ETag"],
        )[0]
        == "OriginRequestPolicyInUse"
    )


def test_unknown_policy_ids(cloudfront):
    missing = "00000000-0000-0000-0000-000000000000"
    assert error(cloudfront.get_cache_policy, Id=missing)[::2] == ("NoSuchCachePolicy", 404)
    assert error(cloudfront.get_cache_policy_config, Id=missing)[0] == "NoSuchCachePolicy"
    assert error(cloudfront.get_origin_request_policy_config, Id=missing)[0] == "NoSuchOriginRequestPolicy"
    assert error(cloudfront.delete_cache_policy, Id=missing, IfMatch="E1")[0] == "NoSuchCachePolicy"
    assert (
        error(
            cloudfront.update_origin_request_policy,
            Id=missing,
            IfMatch="E1",
            OriginRequestPolicyConfig=origin_request_policy_config("x"),
        )[0]
        == "NoSuchOriginRequestPolicy"
    )


# --- listing ---------------------------------------------------------------------------------------


def test_list_filters_by_type_and_pages(account):
    ids = [
        account.create_cache_policy(CachePolicyConfig=cache_policy_config(f"p{n}"))["CachePolicy"]["Id"]
        for n in range(3)
    ]
    custom = account.list_cache_policies(Type="custom")["CachePolicyList"]
    assert [i["CachePolicy"]["Id"] for i in custom["Items"]] == ids
    assert {i["Type"] for i in custom["Items"]} == {"custom"}

    everything = account.list_cache_policies()["CachePolicyList"]
    assert everything["Quantity"] == len(MANAGED_CACHE) + 3

    first = account.list_cache_policies(Type="custom", MaxItems="2")["CachePolicyList"]
    assert [i["CachePolicy"]["Id"] for i in first["Items"]] == ids[:2]
    # The next page holds the policies "that occur after the marker" (API reference ListCachePolicies,
    # Marker); the marker is the page's last ID, as ListDistributions documents for its own.
    assert first["MaxItems"] == 2 and first["NextMarker"] == ids[1]
    rest = account.list_cache_policies(Type="custom", MaxItems="2", Marker=first["NextMarker"])[
        "CachePolicyList"
    ]
    assert [i["CachePolicy"]["Id"] for i in rest["Items"]] == ids[2:]
    assert "NextMarker" not in rest


def test_list_of_an_account_without_custom_policies_is_empty(account):
    listed = account.list_origin_request_policies(Type="custom")["OriginRequestPolicyList"]
    assert listed["Quantity"] == 0 and "Items" not in listed


def test_list_rejects_bad_paging_input(account):
    assert error(account.list_cache_policies, MaxItems="many")[::2] == ("InvalidArgument", 400)
    assert error(account.list_cache_policies, MaxItems="0")[0] == "InvalidArgument"
    assert error(account.list_cache_policies, Marker="not-a-marker")[0] == "InvalidArgument"
    assert error(account.list_cache_policies, Type="everything")[0] == "MalformedXML"


# --- validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({}, "EnableAcceptEncodingGzip"),
        ({"EnableAcceptEncodingGzip": False}, "EnableAcceptEncodingBrotli"),
        (
            {
                "EnableAcceptEncodingGzip": False,
                "EnableAcceptEncodingBrotli": False,
                "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": names(["Authorization"])},
            },
            "HeaderBehavior",
        ),
        (
            {
                "EnableAcceptEncodingGzip": False,
                "EnableAcceptEncodingBrotli": False,
                "CookiesConfig": {"CookieBehavior": "all"},
            },
            "CookieBehavior",
        ),
        (
            {
                "EnableAcceptEncodingGzip": False,
                "EnableAcceptEncodingBrotli": False,
                "QueryStringsConfig": {"QueryStringBehavior": "all"},
            },
            "QueryStringBehavior",
        ),
    ],
)
def test_caching_disabled_policy_rejects_key_settings(account, params, parameter):
    config = cache_policy_config("no-cache", MinTTL=0, DefaultTTL=0, MaxTTL=0, params=params)
    code, message, status = error(account.create_cache_policy, CachePolicyConfig=config)
    assert (code, status) == ("InvalidArgument", 400)
    assert message == f"The parameter {parameter} is invalid for policy with caching disabled."


def test_caching_disabled_policy_without_key_settings_is_accepted(account):
    config = cache_policy_config(
        "no-cache",
        MinTTL=0,
        DefaultTTL=0,
        MaxTTL=0,
        params={"EnableAcceptEncodingGzip": False, "EnableAcceptEncodingBrotli": False},
    )
    created = account.create_cache_policy(CachePolicyConfig=config)["CachePolicy"]["CachePolicyConfig"]
    assert created["MaxTTL"] == 0


@pytest.mark.parametrize(
    "ttls",
    [
        {"MinTTL": 100, "DefaultTTL": 10, "MaxTTL": 1000},
        {"MinTTL": 0, "DefaultTTL": 100, "MaxTTL": 10},
        {"MinTTL": 50, "DefaultTTL": 60, "MaxTTL": 40},
    ],
)
def test_ttls_must_be_ordered(account, ttls):
    assert (
        error(account.create_cache_policy, CachePolicyConfig=cache_policy_config("ttl", **ttls))[0]
        == "InvalidArgument"
    )


def test_ttl_defaults_follow_the_api_reference(account):
    config = cache_policy_config("defaults", MinTTL=100000)
    del config["DefaultTTL"], config["MaxTTL"]
    stored = account.create_cache_policy(CachePolicyConfig=config)["CachePolicy"]["CachePolicyConfig"]
    # DefaultTTL defaults to 86400 unless MinTTL is larger; MaxTTL to 31536000 unless DefaultTTL is larger.
    assert (stored["MinTTL"], stored["DefaultTTL"], stored["MaxTTL"]) == (100000, 100000, 31536000)


def test_accept_encoding_in_the_key_with_compression_is_refused(account):
    config = cache_policy_config(
        "ae", params={"HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": names(["Accept-Encoding"])}}
    )
    assert error(account.create_cache_policy, CachePolicyConfig=config)[0] == "InvalidArgument"


def test_authorization_cannot_be_forwarded_by_an_origin_request_policy(account):
    config = origin_request_policy_config(
        "auth", HeadersConfig={"HeaderBehavior": "whitelist", "Headers": names(["Authorization"])}
    )
    assert error(account.create_origin_request_policy, OriginRequestPolicyConfig=config)[::2] == (
        "InvalidArgument",
        400,
    )
    # ... but a cache policy may put it in the cache key.
    cache = cache_policy_config(
        "auth", params={"HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": names(["Authorization"])}}
    )
    assert account.create_cache_policy(CachePolicyConfig=cache)["CachePolicy"]["Id"]


def test_too_many_headers_in_a_policy(account):
    headers = names([f"X-H{n}" for n in range(11)])
    cache = cache_policy_config(
        "many", params={"HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": headers}}
    )
    assert error(account.create_cache_policy, CachePolicyConfig=cache)[::2] == (
        "TooManyHeadersInCachePolicy",
        400,
    )
    origin = origin_request_policy_config(
        "many", CookiesConfig={"CookieBehavior": "whitelist", "Cookies": headers}
    )
    assert (
        error(account.create_origin_request_policy, OriginRequestPolicyConfig=origin)[0]
        == "TooManyCookiesInOriginRequestPolicy"
    )


def test_bad_input_in_policy_configs(account):
    inconsistent = cache_policy_config(
        "q",
        params={
            "HeadersConfig": {"HeaderBehavior": "whitelist", "Headers": {"Quantity": 2, "Items": ["X-A"]}}
        },
    )
    assert error(account.create_cache_policy, CachePolicyConfig=inconsistent)[::2] == (
        "InconsistentQuantities",
        400,
    )
    bad_behavior = cache_policy_config("b", params={"HeadersConfig": {"HeaderBehavior": "allViewer"}})
    code, message, _ = error(account.create_cache_policy, CachePolicyConfig=bad_behavior)
    assert code == "MalformedXML" and "Member must satisfy value set: [none, whitelist]" in message
    empty_list = cache_policy_config("e", params={"CookiesConfig": {"CookieBehavior": "whitelist"}})
    assert error(account.create_cache_policy, CachePolicyConfig=empty_list)[0] == "InvalidArgument"
    long_comment = cache_policy_config("c", Comment="x" * 129)
    assert error(account.create_cache_policy, CachePolicyConfig=long_comment)[0] == "InvalidArgument"
    negative = cache_policy_config("n", MinTTL=-1)
    assert error(account.create_cache_policy, CachePolicyConfig=negative)[0] == "InvalidArgument"


def test_an_account_holds_at_most_twenty_custom_cache_policies(account):
    for n in range(20):
        account.create_cache_policy(CachePolicyConfig=cache_policy_config(f"quota-{n}"))
    assert error(account.create_cache_policy, CachePolicyConfig=cache_policy_config("quota-20"))[::2] == (
        "TooManyCachePolicies",
        400,
    )
