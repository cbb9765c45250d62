"""What one re-read of the edge's configuration asks the API, and that the cheaper reads still see changes.

config.py: custom policies come from one List call per kind per read; a LIVE function's code is fetched only
when ListFunctions shows a new LastModifiedTime (or runtime) for it.
"""

from __future__ import annotations

from edge_support import (
    ALL_VIEWER_EXCEPT_HOST,
    CACHING_OPTIMIZED,
    FakeCloudFront,
    behavior,
    cache_policy,
    distribution_config,
    origin,
    origin_request_policy,
)

from hostlab.local.dataplane.edge.config import ConfigStore

FUNCTION = "function handler(event) { return event.request; }"


def deploy(api: FakeCloudFront, default: dict, behaviors=()) -> str:
    dist_id = api.add(
        distribution_config([origin("origin.test")], default, behaviors=behaviors), status="Deployed"
    )
    return api.distributions[dist_id]["domain"]


def read(api: FakeCloudFront, store: ConfigStore) -> list[str]:
    """The API calls one forced re-read makes."""
    api.calls.clear()
    store.refresh()
    return list(api.calls)


def test_custom_policies_are_listed_once_per_kind_per_read():
    api = FakeCloudFront()
    api.cache_policies["c1"] = cache_policy(default_ttl=10)
    api.cache_policies["c2"] = cache_policy(default_ttl=20)
    api.origin_request_policies["r1"] = origin_request_policy(headers="allViewer")
    # Three distributions, two custom cache policies, one custom origin request policy, all shared.
    for _ in range(3):
        deploy(
            api,
            behavior(cache_policy_id="c1", origin_request_policy_id="r1"),
            behaviors=[behavior(cache_policy_id="c2", path="/b/*")],
        )
    store = ConfigStore(api, max_age=0.05)
    try:
        for _ in range(2):
            calls = read(api, store)
            assert calls.count("list_cache_policies") == 1
            assert calls.count("list_origin_request_policies") == 1
            assert "get_cache_policy" not in calls and "get_origin_request_policy" not in calls
    finally:
        store.close()


def test_managed_policies_are_read_once_and_never_listed():
    api = FakeCloudFront()
    deploy(api, behavior(cache_policy_id=CACHING_OPTIMIZED, origin_request_policy_id=ALL_VIEWER_EXCEPT_HOST))
    store = ConfigStore(api, max_age=0.05)
    try:
        first = read(api, store)
        assert first.count("get_cache_policy") == 1 and first.count("get_origin_request_policy") == 1
        again = read(api, store)
        assert not [c for c in again if "polic" in c]
    finally:
        store.close()


def test_a_changed_custom_policy_is_served_on_the_next_read():
    api = FakeCloudFront()
    api.cache_policies["c1"] = cache_policy(default_ttl=10)
    domain = deploy(api, behavior(cache_policy_id="c1"))
    store = ConfigStore(api, max_age=0.05)
    try:
        store.refresh()
        before = store.current(domain).distribution_for(domain)
        assert before.default_behavior.cache.default_ttl == 10
        api.cache_policies["c1"] = cache_policy(default_ttl=99)
        store.refresh()
        after = store.current(domain).distribution_for(domain)
        assert after.default_behavior.cache.default_ttl == 99 and after.version != before.version
    finally:
        store.close()


def test_a_policy_neither_listed_nor_readable_stops_serving_the_distribution():
    api = FakeCloudFront()
    domain = deploy(api, behavior(cache_policy_id="gone"))
    store = ConfigStore(api, max_age=0.05)
    try:
        # Not in the custom list, so the edge asks for it by ID (a managed policy it does not name would
        # answer); GetCachePolicy answers NoSuchCachePolicy.
        calls = read(api, store)
        assert calls.count("list_cache_policies") == 1 and calls.count("get_cache_policy") == 1
        assert store.current().distribution_for(domain) is None
    finally:
        store.close()


def test_function_code_is_fetched_only_when_its_live_stage_changes():
    api = FakeCloudFront()
    api.put_function("f1", FUNCTION)
    domain = deploy(api, behavior(cache_policy_id=CACHING_OPTIMIZED, functions=["f1"]))
    store = ConfigStore(api, max_age=0.05)
    try:
        first = read(api, store)
        assert first.count("list_functions") == 1 and first.count("get_function") == 1
        etag = store.current(domain).functions["f1"].etag
        unchanged = read(api, store)
        assert unchanged.count("list_functions") == 1
        assert "get_function" not in unchanged and "describe_function" not in unchanged
        api.put_function("f1", FUNCTION.replace("event.request", "event.request "))  # a new publish
        changed = read(api, store)
        assert changed.count("get_function") == 1
        live = store.current(domain).functions["f1"]
        assert live.etag != etag and "event.request " in live.code
    finally:
        store.close()


def test_no_function_in_use_means_no_function_call():
    api = FakeCloudFront()
    api.put_function("unused", FUNCTION)
    deploy(api, behavior(cache_policy_id=CACHING_OPTIMIZED))
    store = ConfigStore(api, max_age=0.05)
    try:
        assert not [c for c in read(api, store) if "function" in c]
    finally:
        store.close()
