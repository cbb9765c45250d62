"""Applying CloudFront invalidations to the edge's cache, read through the API (ListInvalidations,
GetInvalidation) when the configuration snapshot is refreshed, never while serving a request.

What an invalidation removes (CF-DG Invalidation.html, "Specifying the files to invalidate"):
- a path names one object, or every object whose path starts with what comes before a final "*";
- the comparison is case sensitive and on the path as requested (percent-encoding as received);
- every cached version goes, whatever headers or cookies were in its cache key;
- query strings in the cache key are part of the object's path: "/a" removes the object cached for "/a"
  only, "/a*" also removes "/a?x=1" ("you must include the query strings when invalidating files").
ResponseCache.purge does the matching; this module decides which invalidations still need applying.

Each invalidation is applied once, as soon as the edge sees it (InProgress or Completed): on AWS each edge
location starts processing a batch within seconds of its creation (CF-DG Invalidation.html, "Canceling
invalidations"), and Completed means every location has finished. Why a client that has seen Completed never
gets a purged object: see config.py, "Invalidations".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from botocore.exceptions import BotoCoreError, ClientError

log = logging.getLogger(__name__)


class InvalidationFeed:
    """Remembers which invalidations of each distribution were applied; applies the others."""

    def __init__(self, client, purge: Callable[[str, list[str]], int]):
        self.client = client
        self.purge = purge
        self._applied: dict[str, set[str]] = {}
        self.applied_count = 0  # visible to tests and benchmarks

    def apply(self, distribution_id: str, *, newly_served: bool = False) -> None:
        """Purge what the distribution's not-yet-applied invalidations name.

        ``newly_served``: the edge starts serving the distribution with this refresh, so nothing of it is
        cached yet; its existing invalidations are only recorded. A failed API call leaves the invalidation
        unapplied, to be retried on the next refresh."""
        try:
            ids = self._list_ids(distribution_id)
        except (BotoCoreError, ClientError) as exc:
            log.warning(
                "cannot list invalidations of %s (%s); retrying on the next refresh", distribution_id, exc
            )
            return
        applied = self._applied.setdefault(distribution_id, set())
        for invalidation_id in ids:
            if invalidation_id in applied:
                continue
            if not newly_served:
                try:
                    paths = self._paths(distribution_id, invalidation_id)
                except (BotoCoreError, ClientError) as exc:
                    log.warning(
                        "cannot read invalidation %s of %s (%s)", invalidation_id, distribution_id, exc
                    )
                    continue
                removed = self.purge(distribution_id, paths)
                log.info(
                    "invalidation %s of %s removed %d cached objects",
                    invalidation_id,
                    distribution_id,
                    removed,
                )
                self.applied_count += 1
            applied.add(invalidation_id)

    def forget(self, distribution_ids: Iterable[str]) -> None:
        for distribution_id in distribution_ids:
            self._applied.pop(distribution_id, None)

    def _list_ids(self, distribution_id: str) -> list[str]:
        ids, marker = [], None
        while True:
            kwargs = {"Marker": marker} if marker else {}
            page = self.client.list_invalidations(DistributionId=distribution_id, **kwargs)[
                "InvalidationList"
            ]
            ids += [item["Id"] for item in page.get("Items") or []]
            if not page.get("IsTruncated"):
                return ids
            marker = page.get("NextMarker")

    def _paths(self, distribution_id: str, invalidation_id: str) -> list[str]:
        found = self.client.get_invalidation(DistributionId=distribution_id, Id=invalidation_id)
        return list(found["Invalidation"]["InvalidationBatch"]["Paths"].get("Items") or [])
