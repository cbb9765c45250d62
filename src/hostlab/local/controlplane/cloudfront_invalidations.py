"""Invalidations: the paths a batch names, the checks CloudFront makes, and the InProgress -> Completed clock.

Sources (CF-DG = CloudFront Developer Guide, Invalidation.html and invalidation-specifying-objects.html):
- Through the API a path must begin with "/"; "*" (0 or more characters) may only be the last character
  ("You can't use a wildcard within the path; only at the end of the path"); a path is at most 4,000
  characters. Paths are case sensitive and compared as given (no decoding).
- At most 3,000 individual paths and, independently, 15 wildcard paths per distribution may be in progress at
  once; beyond that CloudFront answers TooManyInvalidationsInProgress (CF-DG "Concurrent invalidation request
  maximum").
- CallerReference: the same reference with the same paths gives back the earlier invalidation, no new one;
  with other paths it is refused (API reference InvalidationBatch; the error AWS really sends is in
  cloudfront_errors.invalidation_caller_reference_reused). ASSUMPTION: "the same paths" means the same list
  in any order. (aws/aws-cdk issue 3878 reports a refusal for an unchanged one-path batch; the documented
  replay is kept.)
- Status: "InProgress" until the batch is finished, then "Completed" (API reference Invalidation.Status).
  Here the batch is InProgress for a while after CreateInvalidation (``timing``: the local backend's is
  settings.cloudfront_deploy_seconds, see moto_glue.timing), computed when read (progress.Countdown):
  nothing runs in the background. The local edge depends on that delay to apply an invalidation before a
  client can see it Completed (hostlab.local.dataplane.edge.invalidations).

ListInvalidations answers the most recent batch first (API reference ListInvalidations, Marker: "the results
are returned in decreasing order from most recent to oldest"); its NextMarker is the ID of the last batch on
the page (same field), as cloudfront_lists.page does. moto 5.2.5 lists oldest first.
Nothing here imports moto; the glue hands in the ID generator (moto's seeded random) and the clocks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hostlab.local.controlplane import cloudfront_errors as errors
from hostlab.local.controlplane.cloudfront_lists import items_of, normalise_quantities, page, parse_max_items
from hostlab.local.controlplane.progress import Countdown, Timing

MAX_PATH_LENGTH = 4_000
MAX_FILES_IN_PROGRESS = 3_000
MAX_WILDCARDS_IN_PROGRESS = 15


def is_wildcard(path: str) -> bool:
    return path.endswith("*")


def check_paths(paths: list[Any]) -> list[str]:
    """The batch's paths when every one is valid through the API, else CloudFront's InvalidArgument."""
    if not paths:
        raise errors.invalid_invalidation_paths()
    for path in paths:
        if (
            not isinstance(path, str)
            or not path.startswith("/")
            or "*" in path[:-1]
            or len(path) > MAX_PATH_LENGTH
        ):
            raise errors.invalid_invalidation_paths()
    return list(paths)


@dataclass
class Invalidation:
    id: str
    distribution_id: str
    paths: list[str]
    caller_reference: str
    create_time: datetime
    # The batch's progress, on the monotonic ``timer``.
    progress: Countdown
    timer: Callable[[], float] = field(default=lambda: 0.0, repr=False)

    @property
    def status(self) -> str:
        return "Completed" if self.progress.done(self.timer()) else "InProgress"

    @property
    def location(self) -> str:
        return (
            f"https://cloudfront.amazonaws.com/2020-05-31/distribution/{self.distribution_id}"
            f"/invalidation/{self.id}"
        )

    def resource(self) -> dict[str, Any]:
        """The Invalidation structure of CreateInvalidation and GetInvalidation."""
        return {
            "Id": self.id,
            "Status": self.status,
            "CreateTime": self.create_time,
            "InvalidationBatch": {
                "Paths": {"Quantity": len(self.paths), "Items": list(self.paths)},
                "CallerReference": self.caller_reference,
            },
        }

    def summary(self) -> dict[str, Any]:
        """The InvalidationSummary structure of ListInvalidations."""
        return {"Id": self.id, "CreateTime": self.create_time, "Status": self.status}


class InvalidationStore:
    """One account's invalidations, per distribution in creation order (listed the other way round)."""

    def __init__(
        self,
        *,
        new_id: Callable[[], str],
        clock: Callable[[], datetime],
        timer: Callable[[], float],
        timing: Timing,
    ) -> None:
        self._new_id = new_id
        self._clock = clock
        self._timer = timer
        self._timing = timing
        self._by_distribution: dict[str, list[Invalidation]] = {}

    def create(self, distribution_id: str, raw_batch: dict[str, Any] | None) -> Invalidation:
        """CreateInvalidation for a distribution the caller has checked exists."""
        batch = normalise_quantities(raw_batch or {})
        paths = check_paths(items_of(batch.get("Paths")))
        reference = batch.get("CallerReference") or ""
        known = self._by_distribution.setdefault(distribution_id, [])
        for earlier in known:
            if earlier.caller_reference == reference:
                if sorted(earlier.paths) == sorted(paths):
                    return earlier
                raise errors.invalidation_caller_reference_reused()
        self._check_room(known, paths)
        invalidation = Invalidation(
            id=self._new_id(),
            distribution_id=distribution_id,
            paths=paths,
            caller_reference=reference,
            create_time=self._clock(),
            progress=Countdown.start(self._timer(), self._timing),
            timer=self._timer,
        )
        known.append(invalidation)
        return invalidation

    @staticmethod
    def _check_room(known: list[Invalidation], paths: list[str]) -> None:
        running = [p for i in known if i.status == "InProgress" for p in i.paths]
        wildcards = sum(map(is_wildcard, running)) + sum(map(is_wildcard, paths))
        files = len(running) + len(paths) - wildcards
        if files > MAX_FILES_IN_PROGRESS or wildcards > MAX_WILDCARDS_IN_PROGRESS:
            raise errors.too_many_invalidations_in_progress()

    def get(self, distribution_id: str, invalidation_id: str) -> Invalidation:
        for invalidation in self._by_distribution.get(distribution_id, []):
            if invalidation.id == invalidation_id:
                return invalidation
        raise errors.no_such_invalidation()

    def list(
        self, distribution_id: str, marker: str | None, max_items: str | int | None
    ) -> tuple[list[Invalidation], str | None, int]:
        limit = parse_max_items(max_items)
        newest_first = self._by_distribution.get(distribution_id, [])[::-1]
        chunk, next_marker = page(newest_first, lambda i: i.id, marker, limit)
        return chunk, next_marker, limit

    def in_progress(self, distribution_id: str) -> int:
        """InProgressInvalidationBatches of the distribution."""
        return sum(i.status == "InProgress" for i in self._by_distribution.get(distribution_id, []))

    def forget(self, distribution_id: str) -> None:
        """A deleted distribution takes its invalidations with it."""
        self._by_distribution.pop(distribution_id, None)
