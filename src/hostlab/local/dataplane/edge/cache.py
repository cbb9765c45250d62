"""How long CloudFront keeps a response, and the edge's cache itself.

Sources (CF-DG = CloudFront Developer Guide):
- Expiration.html, table "Specifying the amount of time that CloudFront caches objects":
  * origin max-age (or s-maxage, which wins for CloudFront) with MinTTL 0: min(header, MaxTTL);
    with MinTTL > 0: the header clamped between MinTTL and MaxTTL;
  * no caching header: DefaultTTL (MinTTL 0) or max(MinTTL, DefaultTTL);
  * Expires: until that date, capped by MaxTTL (clamped as above when MinTTL > 0); max-age beats Expires;
  * no-cache / no-store / private: not cached with MinTTL 0, cached for MinTTL otherwise (also the
    CachePolicyConfig "Important" note in the API reference).
- HTTPStatusCodes.html: 404, 405, 414, 500, 501, 502, 503, 504 are always cached; 400, 403, 412, 415 only when
  the origin sends max-age or s-maxage; an origin that does not respond counts as a 5xx. 410 is cached like
  404: custom-error-pages-expiration.html names it among the cached codes whose no-store is honoured (the
  2023 copy of HTTPStatusCodes.html in awsdocs/amazon-cloudfront-developer-guide does not list it yet).
- custom-error-pages-expiration.html: errors are cached for the larger of the header value and the error
  caching minimum TTL (10 s default, per code via CustomErrorResponses ErrorCachingMinTTL), the header capped
  by MaxTTL;
  no-store / no-cache / private stop caching only for 404, 410, 414 and 501; 416 is never cached.
- RequestAndResponseBehaviorCustomOrigin.html, "HTTP methods": only GET and HEAD (and optionally OPTIONS)
  responses are cached.
ASSUMPTION (setting HOSTLAB_CLOUDFRONT_CACHING_DISABLED_CACHES_ERRORS, default false): a behaviour whose
MaxTTL is 0 (CachingDisabled, all TTLs 0) caches nothing, errors included. With the setting true, errors are
cached there by the rules above (ErrorCachingMinTTL; the header capped by MaxTTL 0 counts for nothing).
Legacy Headers ["*"] behaviours never cache anything either way (CF-DG header-caching.md).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from werkzeug.datastructures import ResponseCacheControl
from werkzeug.http import parse_cache_control_header, parse_date

from hostlab.local.dataplane.edge.cache_key import distribution_of, object_path
from hostlab.local.dataplane.edge.messages import header_value
from hostlab.local.dataplane.edge.model import CacheRules

ALWAYS_CACHED_ERRORS = frozenset({404, 405, 410, 414, 500, 501, 502, 503, 504})
CACHED_ERRORS_WITH_MAX_AGE = frozenset({400, 403, 412, 415})
ERRORS_RESPECTING_NO_STORE = frozenset({404, 410, 414, 501})
DEFAULT_ERROR_CACHING_MIN_TTL = 10.0


def _header_lifetime(headers: list[tuple[str, str]]) -> tuple[float | None, ResponseCacheControl]:
    """Seconds the origin asks CloudFront to keep the response (s-maxage, max-age, Expires), or None."""
    cc = parse_cache_control_header(header_value(headers, "cache-control"), cls=ResponseCacheControl)
    if cc.s_maxage is not None:
        return float(cc.s_maxage), cc
    if cc.max_age is not None:
        return float(cc.max_age), cc
    expires = parse_date(header_value(headers, "expires"))
    if expires is not None:
        now = parse_date(header_value(headers, "date")) or datetime.now(UTC)
        return max(0.0, (expires - now).total_seconds()), cc
    return None, cc


def _forbids_storing(cc: ResponseCacheControl) -> bool:
    return bool(cc.no_cache or cc.no_store or cc.private)


def response_ttl(
    status: int,
    headers: list[tuple[str, str]],
    rules: CacheRules,
    error_min_ttls: dict[int, float] | None = None,
    caching_disabled_caches_errors: bool = False,
) -> float:
    """Seconds to cache an origin response under ``rules``; 0 means do not cache."""
    errors_anyway = caching_disabled_caches_errors and status >= 400 and not rules.never_cache
    if rules.caching_disabled and not errors_anyway:
        return 0.0
    lifetime, cc = _header_lifetime(headers)
    if status >= 400:
        return _error_ttl(status, lifetime, cc, rules, error_min_ttls or {})
    if status == 304 or not (200 <= status < 400):
        return 0.0
    if _forbids_storing(cc):
        return rules.min_ttl
    if lifetime is None:
        return max(rules.min_ttl, rules.default_ttl)
    return min(max(lifetime, rules.min_ttl), rules.max_ttl)


def _error_ttl(
    status: int,
    lifetime: float | None,
    cc: ResponseCacheControl,
    rules: CacheRules,
    error_min_ttls: dict[int, float],
) -> float:
    explicit_age = cc.max_age is not None or cc.s_maxage is not None
    if status not in ALWAYS_CACHED_ERRORS and not (status in CACHED_ERRORS_WITH_MAX_AGE and explicit_age):
        return 0.0
    if status in ERRORS_RESPECTING_NO_STORE and _forbids_storing(cc):
        return 0.0
    minimum = error_min_ttls.get(status, DEFAULT_ERROR_CACHING_MIN_TTL)
    header = min(lifetime, rules.max_ttl) if lifetime is not None else 0.0
    return max(header, minimum)


def generated_error_ttl(
    status: int,
    rules: CacheRules,
    error_min_ttls: dict[int, float] | None = None,
    caching_disabled_caches_errors: bool = False,
) -> float:
    """TTL of a 502/504 the edge generated because the origin failed (treated as a 5xx from the origin)."""
    return response_ttl(status, [], rules, error_min_ttls, caching_disabled_caches_errors)


@dataclass
class CachedResponse:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    stored_at: float
    expires_at: float

    def fresh(self, now: float) -> bool:
        return now < self.expires_at

    def age(self, now: float) -> int:
        return max(0, int(now - self.stored_at))

    @property
    def validators(self) -> list[tuple[str, str]]:
        """Conditional headers for revalidation (CF-DG RequestAndResponseBehaviorCustomOrigin.html,
        "Conditional requests": If-None-Match with the ETag, If-Modified-Since with Last-Modified)."""
        found = []
        if etag := header_value(self.headers, "etag"):
            found.append(("If-None-Match", etag))
        if modified := header_value(self.headers, "last-modified"):
            found.append(("If-Modified-Since", modified))
        return found


def invalidation_matches(paths: list[str]) -> Callable[[str], bool]:
    """Does an object path fall under one of these invalidation paths? Exact, or a prefix before a final
    "*"; case sensitive (CF-DG Invalidation.html, "Invalidation paths")."""
    exact = frozenset(p for p in paths if not p.endswith("*"))
    prefixes = tuple(p[:-1] for p in paths if p.endswith("*"))
    return lambda path: path in exact or path.startswith(prefixes)


class ResponseCache:
    """A bounded, thread-safe LRU store of responses; keys start with the distribution ID.

    ASSUMPTION: at most ``max_entries`` objects; CloudFront evicts rarely requested objects early too
    (Expiration.html), so eviction is within the documented behaviour.

    Purges (invalidations, a deleted distribution) count per distribution. A request reads the count
    (:meth:`epoch`) before it goes to the origin and hands it to :meth:`put` / :meth:`refresh`, which store
    nothing when a purge came in between: an answer fetched before an invalidation never outlives it.
    """

    def __init__(self, clock: Callable[[], float], max_entries: int = 10_000):
        self.clock = clock
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple, CachedResponse] = OrderedDict()
        self._purges: dict[str, int] = {}

    def epoch(self, distribution_id: str) -> int:
        """How many purges the distribution has had; pass it to put() / refresh()."""
        with self._lock:
            return self._purges.get(distribution_id, 0)

    def get(self, key: tuple) -> CachedResponse | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(
        self,
        key: tuple,
        status: int,
        reason: str,
        headers: list[tuple[str, str]],
        body: bytes,
        ttl: float,
        *,
        epoch: int | None = None,
    ) -> CachedResponse:
        now = self.clock()
        entry = CachedResponse(status, reason, headers, body, stored_at=now, expires_at=now + ttl)
        with self._lock:
            if self._purged_since(key, epoch):
                return entry
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return entry

    def refresh(self, key: tuple, entry: CachedResponse, ttl: float, *, epoch: int | None = None) -> None:
        """After a 304 from the origin: the stored object is current again for ``ttl`` seconds."""
        now = self.clock()
        with self._lock:
            entry.stored_at, entry.expires_at = now, now + ttl
            if not self._purged_since(key, epoch):
                self._entries[key] = entry

    def _purged_since(self, key: tuple, epoch: int | None) -> bool:
        return epoch is not None and self._purges.get(distribution_of(key), 0) != epoch

    def drop(self, key: tuple) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def flush(self, distribution_id: str) -> None:
        """Forget everything of a distribution (it was deleted)."""
        self._remove(distribution_id, lambda _key: True)

    def purge(self, distribution_id: str, paths: list[str]) -> int:
        """Remove the distribution's objects that the invalidation paths name; returns how many."""
        matches = invalidation_matches(paths)
        return self._remove(distribution_id, lambda key: matches(object_path(key)))

    def _remove(self, distribution_id: str, doomed_key: Callable[[tuple], bool]) -> int:
        with self._lock:
            self._purges[distribution_id] = self._purges.get(distribution_id, 0) + 1
            doomed = [k for k in self._entries if distribution_of(k) == distribution_id and doomed_key(k)]
            for key in doomed:
                del self._entries[key]
        return len(doomed)

    def __len__(self) -> int:
        return len(self._entries)
