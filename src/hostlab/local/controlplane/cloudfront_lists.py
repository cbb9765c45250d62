"""Helpers for the {Quantity, Items} lists that CloudFront's API uses everywhere, and for paging."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from hostlab.local.controlplane import cloudfront_errors as errors

T = TypeVar("T")

# ListCachePolicies and friends answer at most this many items when MaxItems is absent.
# ASSUMPTION: 100, the default moto uses for every CloudFront list and the documented default of
# ListDistributions (API reference ListDistributions, MaxItems).
DEFAULT_MAX_ITEMS = 100


def items_of(container: dict[str, Any] | None) -> list[Any]:
    """The Items of a {Quantity, Items} container, [] when absent."""
    if not container:
        return []
    return list(container.get("Items") or [])


def normalise_quantities(value: Any) -> Any:
    """Return ``value`` with every {Quantity, Items} pair checked and Items dropped when empty.

    CloudFront rejects a Quantity that differs from the number of Items with InconsistentQuantities
    (API reference, InconsistentQuantities); an empty list comes back as Quantity 0 without Items, which is
    how the API itself answers (see any GetDistributionConfig of a distribution without aliases).
    """
    if isinstance(value, list):
        return [normalise_quantities(v) for v in value]
    if not isinstance(value, dict):
        return value
    result = {key: normalise_quantities(v) for key, v in value.items()}
    if "Quantity" in result:
        items = result.get("Items")
        count = len(items) if isinstance(items, list) else 0
        if result["Quantity"] != count:
            raise errors.inconsistent_quantities()
        if not items:
            result.pop("Items", None)
    return result


def parse_max_items(raw: str | int | None) -> int:
    if raw in (None, ""):
        return DEFAULT_MAX_ITEMS
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise errors.invalid_argument(f"MaxItems must be a positive integer, got {raw!r}.") from None
    if value < 1:
        # ASSUMPTION: the wording; a non-positive page size cannot be served.
        raise errors.invalid_argument(f"MaxItems must be a positive integer, got {raw!r}.")
    return value


def page(
    records: Sequence[T], key: Callable[[T], str], marker: str | None, max_items: int
) -> tuple[list[T], str | None]:
    """One page of ``records``: those after the record whose key is ``marker``; the next marker or None.

    The API reference describes every CloudFront list this way: the response holds the items "that occur after
    the marker", and NextMarker, present only when more follow, is the value to send as the next Marker. For
    ListDistributions and ListInvalidations it also says what that value is: the ID of the last item on the
    page (API reference ListDistributions and ListInvalidations, Marker). Every list here uses that value.
    """
    start = 0
    if marker:
        keys = [key(r) for r in records]
        if marker not in keys:
            # ASSUMPTION: an unknown marker is an invalid argument (AWS markers are opaque tokens).
            raise errors.invalid_argument(f"The marker {marker} is not valid.")
        start = keys.index(marker) + 1
    chunk = list(records[start : start + max_items])
    more = start + max_items < len(records)
    return chunk, (key(chunk[-1]) if more and chunk else None)
