"""Invalidations and legacy cache-behaviour TTLs through boto3 against the local control plane.

Sources are next to the rules (controlplane/cloudfront_invalidations.py, cloudfront_errors.py,
cloudfront_distributions._fill_legacy_ttls); the test backend keeps an invalidation InProgress for 0.4 s,
and tests about what happens while one is InProgress hold it there (the ``hold`` fixture).
"""

from __future__ import annotations

import urllib.request

import pytest
from cloudfront_support import (
    client_in_account,
    distribution_config,
    error,
    names,
    new_account_id,
)
from progress_support import CLOUDFRONT_INVALIDATION

FAST_WAITER = {"Delay": 0.1, "MaxAttempts": 100}
INVALID_PATHS = ("InvalidArgument", "Your request contains one or more invalid invalidation paths.", 400)


@pytest.fixture
def client(make_client):
    return client_in_account(make_client, new_account_id())


@pytest.fixture
def distribution_id(client):
    return client.create_distribution(DistributionConfig=distribution_config("inval"))["Distribution"]["Id"]


def batch(paths, reference="ref"):
    return {"Paths": names(list(paths)), "CallerReference": reference}


def wait_completed(client, distribution_id, invalidation_id):
    client.get_waiter("invalidation_completed").wait(
        DistributionId=distribution_id, Id=invalidation_id, WaiterConfig=FAST_WAITER
    )


# --- life cycle -------------------------------------------------------------------------------------------


def test_invalidation_is_in_progress_then_completed(client, distribution_id, hold):
    with hold(CLOUDFRONT_INVALIDATION):
        created = client.create_invalidation(
            DistributionId=distribution_id, InvalidationBatch=batch(["/index.html", "/img/*"], "first")
        )
        invalidation = created["Invalidation"]
        assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
        assert created["Location"].endswith(
            f"/distribution/{distribution_id}/invalidation/{invalidation['Id']}"
        )
        assert invalidation["Status"] == "InProgress"
        assert invalidation["InvalidationBatch"] == batch(["/index.html", "/img/*"], "first")
        assert invalidation["CreateTime"].tzinfo is not None
        distribution = client.get_distribution(Id=distribution_id)["Distribution"]
        assert distribution["InProgressInvalidationBatches"] == 1
        listed = client.list_invalidations(DistributionId=distribution_id)["InvalidationList"]
        assert [(i["Id"], i["Status"]) for i in listed["Items"]] == [(invalidation["Id"], "InProgress")]

    wait_completed(client, distribution_id, invalidation["Id"])
    got = client.get_invalidation(DistributionId=distribution_id, Id=invalidation["Id"])["Invalidation"]
    assert got["Status"] == "Completed" and got["InvalidationBatch"] == invalidation["InvalidationBatch"]
    assert client.get_distribution(Id=distribution_id)["Distribution"]["InProgressInvalidationBatches"] == 0


def test_list_pages_from_most_recent_to_oldest(client, distribution_id):
    # API reference ListInvalidations, Marker: most recent first, NextMarker = ID of the page's last batch.
    ids = [
        client.create_invalidation(
            DistributionId=distribution_id, InvalidationBatch=batch([f"/{n}"], f"r{n}")
        )["Invalidation"]["Id"]
        for n in range(3)
    ]
    newest_first = ids[::-1]
    first = client.list_invalidations(DistributionId=distribution_id, MaxItems="2")["InvalidationList"]
    assert [i["Id"] for i in first["Items"]] == newest_first[:2] and first["IsTruncated"] is True
    assert first["NextMarker"] == newest_first[1]
    rest = client.list_invalidations(DistributionId=distribution_id, MaxItems="2", Marker=first["NextMarker"])
    assert [i["Id"] for i in rest["InvalidationList"]["Items"]] == newest_first[2:]
    assert rest["InvalidationList"]["Marker"] == newest_first[1]
    assert rest["InvalidationList"]["IsTruncated"] is False and "NextMarker" not in rest["InvalidationList"]
    # A page that ends exactly at the oldest batch says nothing more follows.
    whole = client.list_invalidations(DistributionId=distribution_id, MaxItems="3")["InvalidationList"]
    assert [i["Id"] for i in whole["Items"]] == newest_first and whole["IsTruncated"] is False


def test_unknown_distribution_or_invalidation(client, distribution_id):
    assert error(client.create_invalidation, DistributionId="EDOESNOTEXIST1", InvalidationBatch=batch(["/"]))[
        ::2
    ] == ("NoSuchDistribution", 404)
    assert error(client.list_invalidations, DistributionId="EDOESNOTEXIST1")[0] == "NoSuchDistribution"
    assert error(client.get_invalidation, DistributionId="EDOESNOTEXIST1", Id="I1")[0] == "NoSuchDistribution"
    assert error(client.get_invalidation, DistributionId=distribution_id, Id="INOSUCHONE")[::2] == (
        "NoSuchInvalidation",
        404,
    )


def test_ids_repeat_after_reseeding(make_client, api_url):
    made = []
    for _ in range(2):
        client = client_in_account(make_client, new_account_id())
        request = urllib.request.Request(f"{api_url}/moto-api/seed?a=77", data=b"", method="POST")
        urllib.request.urlopen(request, timeout=10).close()
        dist = client.create_distribution(DistributionConfig=distribution_config("seeded-inval"))
        created = client.create_invalidation(
            DistributionId=dist["Distribution"]["Id"], InvalidationBatch=batch(["/"])
        )
        made.append(created["Invalidation"]["Id"])
    assert made[0] == made[1] and len(made[0]) == 13


# --- what CloudFront refuses ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "paths",
    [
        ["index.html"],  # the API needs the leading slash (the console adds it)
        ["/images/*/logo.png"],  # "*" only as the last character
        ["/*.css"],
        ["/" + "a" * 4000],  # at most 4,000 characters
        ["/ok.html", "relative.html"],  # one bad path refuses the whole batch
        [],
    ],
)
def test_invalid_paths_are_refused(client, distribution_id, paths):
    assert error(
        client.create_invalidation, DistributionId=distribution_id, InvalidationBatch=batch(paths)
    ) == (INVALID_PATHS)
    assert client.list_invalidations(DistributionId=distribution_id)["InvalidationList"]["Quantity"] == 0


def test_longest_path_and_final_wildcard_are_accepted(client, distribution_id):
    paths = ["/" + "a" * 3999, "/images/logo*", "/*"]
    created = client.create_invalidation(DistributionId=distribution_id, InvalidationBatch=batch(paths))
    assert created["Invalidation"]["InvalidationBatch"]["Paths"]["Items"] == paths


def test_quantity_must_match_items(client, distribution_id):
    bad = {"Paths": {"Quantity": 2, "Items": ["/a"]}, "CallerReference": "q"}
    assert error(client.create_invalidation, DistributionId=distribution_id, InvalidationBatch=bad)[0] == (
        "InconsistentQuantities"
    )


def test_caller_reference_replays_the_same_batch_and_refuses_another(client, distribution_id):
    first = client.create_invalidation(
        DistributionId=distribution_id, InvalidationBatch=batch(["/a", "/b"], "deploy-1")
    )["Invalidation"]
    again = client.create_invalidation(
        DistributionId=distribution_id, InvalidationBatch=batch(["/b", "/a"], "deploy-1")
    )["Invalidation"]
    assert again["Id"] == first["Id"]
    code, message, status = error(
        client.create_invalidation,
        DistributionId=distribution_id,
        InvalidationBatch=batch(["/c"], "deploy-1"),
    )
    assert (code, status) == ("InvalidArgument", 400)
    assert message == (
        "Your request contains a caller reference that was used for a previous invalidation batch "
        "for the same distribution."
    )
    assert client.list_invalidations(DistributionId=distribution_id)["InvalidationList"]["Quantity"] == 1


def test_at_most_15_wildcard_paths_in_progress(client, distribution_id, hold):
    too_many = batch([f"/w{n}/*" for n in range(16)], "sixteen")
    one_more = batch(["/more*"], "one-more")
    with hold(CLOUDFRONT_INVALIDATION):
        code, message, status = error(
            client.create_invalidation, DistributionId=distribution_id, InvalidationBatch=too_many
        )
        assert (code, status) == ("TooManyInvalidationsInProgress", 400)
        assert "maximum number of allowable InProgress invalidation" in message
        fifteen = client.create_invalidation(
            DistributionId=distribution_id,
            InvalidationBatch=batch([f"/w{n}/*" for n in range(15)], "fifteen"),
        )["Invalidation"]
        assert error(
            client.create_invalidation, DistributionId=distribution_id, InvalidationBatch=one_more
        )[0] == ("TooManyInvalidationsInProgress")
        # Individual files count apart from wildcards (CF-DG Invalidation.html).
        client.create_invalidation(DistributionId=distribution_id, InvalidationBatch=batch(["/file"], "file"))
    wait_completed(client, distribution_id, fifteen["Id"])
    client.create_invalidation(DistributionId=distribution_id, InvalidationBatch=one_more)


def test_at_most_3000_files_in_progress(client, distribution_id, hold):
    files = [f"/f{n}" for n in range(3000)]
    with hold(CLOUDFRONT_INVALIDATION):
        client.create_invalidation(DistributionId=distribution_id, InvalidationBatch=batch(files, "all-3000"))
        code, _, _ = error(
            client.create_invalidation, DistributionId=distribution_id, InvalidationBatch=batch(["/one"], "1")
        )
        assert code == "TooManyInvalidationsInProgress"


# --- legacy cache behaviours: TTL defaults ----------------------------------------------------------------


def legacy(**ttls):
    behaviour = {
        "TargetOriginId": "apprunner",
        "ViewerProtocolPolicy": "redirect-to-https",
        "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
        **ttls,
    }
    return behaviour


def ttls_of(behaviour):
    return behaviour.get("MinTTL"), behaviour.get("DefaultTTL"), behaviour.get("MaxTTL")


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ({}, (0, 86400, 31536000)),
        ({"MinTTL": 100000}, (100000, 100000, 31536000)),  # DefaultTTL follows MinTTL above one day
        ({"DefaultTTL": 40000000}, (0, 40000000, 40000000)),  # MaxTTL follows DefaultTTL above one year
        ({"MinTTL": 5, "DefaultTTL": 60, "MaxTTL": 600}, (5, 60, 600)),
        ({"MinTTL": 0, "DefaultTTL": 0, "MaxTTL": 0}, (0, 0, 0)),
    ],
)
def test_legacy_behaviour_ttls_round_trip_with_cloudfront_defaults(client, given, stored):
    config = distribution_config(
        "legacy",
        DefaultCacheBehavior=legacy(**given),
        CacheBehaviors={"Quantity": 1, "Items": [{**legacy(**given), "PathPattern": "/static/*"}]},
    )
    created = client.create_distribution(DistributionConfig=config)["Distribution"]
    got = client.get_distribution_config(Id=created["Id"])["DistributionConfig"]
    assert ttls_of(got["DefaultCacheBehavior"]) == stored
    assert ttls_of(got["CacheBehaviors"]["Items"][0]) == stored
    assert ttls_of(created["DistributionConfig"]["DefaultCacheBehavior"]) == stored


def test_legacy_ttls_out_of_order_are_refused(client):
    config = distribution_config("legacy-order", DefaultCacheBehavior=legacy(MinTTL=600, MaxTTL=60))
    assert error(client.create_distribution, DistributionConfig=config) == (
        "InvalidTTLOrder",
        "The TTL order specified is not valid.",
        400,
    )


def test_cache_policy_behaviours_get_no_legacy_ttls(client, distribution_id):
    got = client.get_distribution_config(Id=distribution_id)["DistributionConfig"]["DefaultCacheBehavior"]
    assert "CachePolicyId" in got and ttls_of(got) == (None, None, None)
