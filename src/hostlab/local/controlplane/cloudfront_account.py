"""One account's CloudFront: distributions, policies and functions, and the rules that tie them together.

CloudFront is global: one of these per account and partition (moto keeps one backend per partition: "aws",
"aws-cn", "aws-us-gov"), and its ARNs name that partition:
arn:${Partition}:cloudfront::${Account}:distribution/${DistributionId} and .../function/${Name}
(Service Authorization Reference, list_amazoncloudfront.html, resource types), aws-cn being the China
Regions' partition (IAM User Guide, reference-arns.html).
The moto glue builds it with moto's seeded random for IDs and answers API calls through it; nothing here
imports moto.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hostlab.local.controlplane.cloudfront_distributions import Distribution, DistributionStore, Lookups
from hostlab.local.controlplane.cloudfront_functions import FunctionStore
from hostlab.local.controlplane.cloudfront_invalidations import Invalidation, InvalidationStore
from hostlab.local.controlplane.cloudfront_policies import PolicyStore
from hostlab.local.controlplane.progress import Timing


@dataclass
class Generators:
    """Where new identifiers and times come from (moto's seeded random in the server)."""

    uuid: Callable[[], str]  # cache / origin request policy IDs
    distribution_id: Callable[[], str]
    domain_name: Callable[[], str]  # d1234abcd.cloudfront.net
    etag: Callable[[], str]
    invalidation_id: Callable[[], str]
    clock: Callable[[], datetime]  # timestamps in answers
    timer: Callable[[], float]  # monotonic seconds, for the deployment clock


class CloudFrontAccount:
    def __init__(
        self,
        account_id: str,
        generators: Generators,
        *,
        deploy_timing: Timing,
        invalidation_timing: Timing,
        certificate: Callable[[str], tuple[str, list[str]] | None],
        alias_owner: Callable[[str], str | None],
        distributions: dict[str, Distribution] | None = None,
        partition: str = "aws",
    ) -> None:
        self.account_id = account_id
        self.partition = partition
        g = generators
        self.cache_policies = PolicyStore("cache", new_id=g.uuid, new_etag=g.etag, clock=g.clock)
        self.origin_request_policies = PolicyStore(
            "origin_request", new_id=g.uuid, new_etag=g.etag, clock=g.clock
        )
        self.invalidations = InvalidationStore(
            new_id=g.invalidation_id, clock=g.clock, timer=g.timer, timing=invalidation_timing
        )
        self.distributions = DistributionStore(
            account_id=account_id,
            partition=partition,
            new_id=g.distribution_id,
            new_domain=g.domain_name,
            new_etag=g.etag,
            clock=g.clock,
            timer=g.timer,
            deploy_timing=deploy_timing,
            distributions=distributions,
            invalidations_in_progress=self.invalidations.in_progress,
        )
        self.functions = FunctionStore(
            arn_prefix=f"arn:{partition}:cloudfront::{account_id}:function/",
            new_etag=g.etag,
            clock=g.clock,
            associations=self.distributions.count_using_function,
        )
        self._certificate = certificate
        self._alias_owner = alias_owner

    # --- cross-references --------------------------------------------------------------------------

    def lookups(self) -> Lookups:
        return Lookups(
            cache_policy_exists=self.cache_policies.__contains__,
            origin_request_policy_exists=self.origin_request_policies.__contains__,
            function_is_live=self._function_is_live,
            certificate=self._certificate,
            alias_owner=self._alias_owner,
        )

    def _function_is_live(self, arn: str) -> bool | None:
        function = self.functions.by_arn(arn)
        if function is None:
            return None
        return function.live is not None

    # --- policies ----------------------------------------------------------------------------------

    def policies(self, kind: str) -> PolicyStore:
        return self.cache_policies if kind == "cache" else self.origin_request_policies

    def delete_policy(self, kind: str, policy_id: str, if_match: str | None) -> None:
        key = "CachePolicyId" if kind == "cache" else "OriginRequestPolicyId"
        self.policies(kind).delete(
            policy_id, if_match, in_use=lambda pid: self.distributions.count_using(key, pid) > 0
        )

    # --- distributions -----------------------------------------------------------------------------

    def create_distribution(self, config: dict[str, Any]) -> Distribution:
        return self.distributions.create(config, self.lookups())

    def update_distribution(
        self, distribution_id: str, config: dict[str, Any], if_match: str | None
    ) -> Distribution:
        return self.distributions.update(distribution_id, config, if_match, self.lookups())

    def delete_distribution(self, distribution_id: str, if_match: str | None) -> None:
        self.distributions.delete(distribution_id, if_match)
        self.invalidations.forget(distribution_id)

    # --- invalidations -----------------------------------------------------------------------------
    # Each call first needs the distribution: NoSuchDistribution comes before any other answer.

    def create_invalidation(self, distribution_id: str, batch: dict[str, Any] | None) -> Invalidation:
        self.distributions.get(distribution_id)
        return self.invalidations.create(distribution_id, batch)

    def get_invalidation(self, distribution_id: str, invalidation_id: str) -> Invalidation:
        self.distributions.get(distribution_id)
        return self.invalidations.get(distribution_id, invalidation_id)

    def list_invalidations(
        self, distribution_id: str, marker: str | None, max_items: str | int | None
    ) -> tuple[list[Invalidation], str | None, int]:
        self.distributions.get(distribution_id)
        return self.invalidations.list(distribution_id, marker, max_items)

    # --- functions ---------------------------------------------------------------------------------
