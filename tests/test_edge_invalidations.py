"""The edge's side of invalidations, without sockets: path matching, the cache's purge and its epochs, and
the feed that reads invalidations through the API (a small call-counting double here).

Serving through the proxy is in test_edge_serving.py; the real control plane in test_edge_backend.py.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from edge_support import FakeClock

from hostlab.local.dataplane.edge.cache import ResponseCache, invalidation_matches
from hostlab.local.dataplane.edge.cache_key import object_path
from hostlab.local.dataplane.edge.invalidations import InvalidationFeed
from hostlab.local.dataplane.edge.model import parse_forwarded_values


def key(dist: str, path: str, query=(), method="GET", headers=(), cookies=()):
    """A cache key shaped like cache_key.cache_key's."""
    return (dist, method, path, tuple(query), tuple(headers), tuple(cookies), None)


@pytest.mark.parametrize(
    ("paths", "path", "matched"),
    [
        (["/a.css"], "/a.css", True),
        (["/a.css"], "/A.css", False),  # case sensitive
        (["/a.css"], "/a.css.map", False),
        (["/images/*"], "/images/x/y.png", True),
        (["/images/*"], "/images", False),
        (["/images*"], "/images", True),
        (["/images/image*"], "/images/image.jpg?size=2", True),
        (["/*"], "/", True),
        (["/q"], "/q?v=1", False),  # query strings in the key belong to the object's path
        (["/q?v=1"], "/q?v=1", True),
        (["/%E2%82%AC"], "/%E2%82%AC", True),  # compared as requested, still encoded
        (["/x", "/y*"], "/y/z", True),
    ],
)
def test_invalidation_paths_match_exactly_or_by_prefix(paths, path, matched):
    assert invalidation_matches(paths)(path) is matched


def test_object_path_puts_the_key_query_back_as_received():
    assert object_path(key("E1", "/q")) == "/q"
    assert object_path(key("E1", "/q", [("a", "1"), ("b", None), ("c", "")])) == "/q?a=1&b&c="


def test_purge_removes_every_version_of_the_named_objects_and_nothing_else():
    cache = ResponseCache(FakeClock())
    versions = [
        key("E1", "/page", headers=[("accept-language", "fr")]),
        key("E1", "/page", cookies=[("session", "alice")]),
        key("E1", "/page", method="HEAD"),
    ]
    kept = [key("E1", "/page2"), key("E2", "/page")]
    for k in versions + kept:
        cache.put(k, 200, "OK", [], b"x", ttl=60)
    assert cache.purge("E1", ["/page"]) == 3
    assert [cache.get(k) is not None for k in versions + kept] == [False, False, False, True, True]


def test_an_answer_fetched_before_a_purge_is_not_stored_after_it():
    cache = ResponseCache(FakeClock())
    before = cache.epoch("E1")
    cache.purge("E1", ["/elsewhere"])
    cache.put(key("E1", "/late"), 200, "OK", [], b"stale", ttl=60, epoch=before)
    assert cache.get(key("E1", "/late")) is None
    now = cache.epoch("E1")
    cache.put(key("E1", "/late"), 200, "OK", [], b"fresh", ttl=60, epoch=now)
    assert cache.get(key("E1", "/late")).body == b"fresh"
    # Another distribution's purges do not count.
    other = cache.epoch("E2")
    cache.purge("E1", ["/*"])
    cache.put(key("E2", "/x"), 200, "OK", [], b"y", ttl=60, epoch=other)
    assert cache.get(key("E2", "/x")) is not None


def test_a_revalidated_object_is_not_put_back_after_a_purge():
    cache = ResponseCache(FakeClock())
    entry = cache.put(key("E1", "/etag"), 200, "OK", [], b"v1", ttl=1)
    epoch = cache.epoch("E1")
    cache.purge("E1", ["/etag"])
    cache.refresh(key("E1", "/etag"), entry, ttl=60, epoch=epoch)  # the 304 arrived after the purge
    assert cache.get(key("E1", "/etag")) is None


class CountingCloudFront:
    """ListInvalidations / GetInvalidation only, counting calls; ``fail`` raises a ClientError."""

    def __init__(self):
        self.invalidations: dict[str, list[tuple[str, list[str]]]] = {}
        self.calls: list[tuple[str, str]] = []
        self.fail = False

    def _maybe_fail(self, operation):
        if self.fail:
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "down"}}, operation)

    def list_invalidations(self, DistributionId, Marker=None):
        self.calls.append(("list", DistributionId))
        self._maybe_fail("ListInvalidations")
        known = self.invalidations.get(DistributionId, [])
        # Two per page, so paging is exercised.
        start = int(Marker or 0)
        chunk = known[start : start + 2]
        truncated = start + 2 < len(known)
        page = {"Items": [{"Id": i} for i, _ in chunk], "IsTruncated": truncated, "Quantity": len(chunk)}
        if truncated:
            page["NextMarker"] = str(start + 2)
        return {"InvalidationList": page}

    def get_invalidation(self, DistributionId, Id):
        self.calls.append(("get", Id))
        self._maybe_fail("GetInvalidation")
        paths = dict(self.invalidations[DistributionId])[Id]
        return {"Invalidation": {"Id": Id, "InvalidationBatch": {"Paths": {"Items": paths}}}}


@pytest.fixture
def feed_parts():
    client = CountingCloudFront()
    purged: list[tuple[str, list[str]]] = []

    def purge(dist_id, paths):
        purged.append((dist_id, paths))
        return 0

    return client, purged, InvalidationFeed(client, purge)


def test_each_invalidation_is_applied_once(feed_parts):
    client, purged, feed = feed_parts
    client.invalidations["E1"] = [(f"I{n}", [f"/p{n}"]) for n in range(5)]
    feed.apply("E1")
    feed.apply("E1")
    assert purged == [("E1", [f"/p{n}"]) for n in range(5)]
    assert [c for c in client.calls if c[0] == "get"] == [("get", f"I{n}") for n in range(5)]
    client.invalidations["E1"].append(("I5", ["/new*"]))
    feed.apply("E1")
    assert purged[-1] == ("E1", ["/new*"]) and len(purged) == 6


def test_a_newly_served_distribution_only_records_what_exists(feed_parts):
    client, purged, feed = feed_parts
    client.invalidations["E1"] = [("I0", ["/*"])]
    feed.apply("E1", newly_served=True)
    feed.apply("E1")
    assert purged == [] and not [c for c in client.calls if c[0] == "get"]


def test_a_failed_read_is_retried_on_the_next_refresh(feed_parts):
    client, purged, feed = feed_parts
    client.invalidations["E1"] = [("I0", ["/x"])]
    client.fail = True
    feed.apply("E1")
    assert purged == []
    client.fail = False
    feed.apply("E1")
    assert purged == [("E1", ["/x"])]


def test_a_forgotten_distribution_starts_over(feed_parts):
    client, purged, feed = feed_parts
    client.invalidations["E1"] = [("I0", ["/x"])]
    feed.apply("E1")
    feed.forget(["E1"])
    feed.apply("E1")
    assert purged == [("E1", ["/x"])] * 2


# --- legacy behaviours read from an endpoint that leaves the TTLs out --------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, (0.0, 86400.0, 31536000.0)),
        ({"MinTTL": 100000}, (100000.0, 100000.0, 31536000.0)),
        ({"DefaultTTL": 40000000}, (0.0, 40000000.0, 40000000.0)),
        ({"MinTTL": 0, "DefaultTTL": 0, "MaxTTL": 0}, (0.0, 0.0, 0.0)),
    ],
)
def test_legacy_ttls_left_out_are_cloudfronts_defaults(given, expected):
    rules = parse_forwarded_values(
        {"ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}}, **given}
    )
    assert (rules.min_ttl, rules.default_ttl, rules.max_ttl) == expected
    assert rules.caching_disabled is (expected[2] == 0)
