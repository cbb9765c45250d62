"""Rules of the CloudFront control plane that depend on time or are easier to pin without a server.

The deployment clock is driven by a fake timer here, so "InProgress until N seconds after the change" is
checked exactly instead of by racing a real clock.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from cloudfront_support import distribution_config

from hostlab.local.controlplane.cloudfront_distributions import DistributionStore, Lookups
from hostlab.local.controlplane.cloudfront_errors import CloudFrontError
from hostlab.local.controlplane.progress import fixed


class FakeTimer:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def lookups() -> Lookups:
    return Lookups(
        cache_policy_exists=lambda _id: True,
        origin_request_policy_exists=lambda _id: True,
        function_is_live=lambda _arn: True,
        certificate=lambda _arn: None,
        alias_owner=lambda _alias: None,
    )


@pytest.fixture
def timer():
    return FakeTimer()


@pytest.fixture
def store(timer):
    counter = itertools.count()
    return DistributionStore(
        account_id="123456789012",
        new_id=lambda: f"E{next(counter):013d}",
        new_domain=lambda: f"d{next(counter):013d}.cloudfront.net",
        new_etag=lambda: f"ETAG{next(counter)}",
        clock=lambda: datetime.now(UTC),
        timer=timer,
        deploy_timing=fixed(5.0),
    )


def test_status_is_in_progress_for_deploy_seconds_after_each_change(store, timer):
    distribution = store.create(distribution_config("clock"), lookups())
    assert distribution.status == "InProgress"
    timer.now += 4.9
    assert distribution.status == "InProgress"
    timer.now += 0.1
    assert distribution.status == "Deployed"
    store.update(
        distribution.id, distribution_config("clock", Comment="changed"), distribution.etag, lookups()
    )
    assert distribution.status == "InProgress"
    timer.now += 5
    assert distribution.status == "Deployed"


def test_delete_waits_for_the_disabling_to_deploy(store, timer):
    distribution = store.create(distribution_config("delete"), lookups())
    timer.now += 5
    store.update(distribution.id, distribution_config("delete", Enabled=False), distribution.etag, lookups())
    with pytest.raises(CloudFrontError) as raised:
        store.delete(distribution.id, distribution.etag)
    assert raised.value.code == "DistributionNotDisabled"
    timer.now += 5
    store.delete(distribution.id, distribution.etag)
    assert distribution.id not in store.distributions
