"""One viewer request through the edge, in CloudFront's order:

distribution (by Host) -> cache behaviour (by path) -> viewer protocol policy -> allowed methods ->
viewer-request function -> cache lookup -> origin request -> cache store -> viewer response.

Sources (CF-DG = CloudFront Developer Guide):
- Host picks the distribution; a Host no distribution serves gets 403 "Bad request." (public capture cited in
  errors.py; tools such as MindPointGroup/cloudfrunt rely on the Host-based choice).
- ViewerProtocolPolicy: redirect-to-https answers HTTP with 301, https-only refuses HTTP with 403
  (using-https-viewers-to-cloudfront.html).
- Methods outside AllowedMethods: 403; a GET with a body: 403 (RequestAndResponseBehaviorCustomOrigin.html,
  "GET requests that include a body").
- X-Cache values Hit / Miss / RefreshHit / Error / Redirect / FunctionGeneratedResponse "from cloudfront" and
  the Age header on cached responses (CF-DG cache-hit-ratio-explained.html;
  FunctionGeneratedResponse: functions-event-structure.html).
- A cached object past its TTL is revalidated with its ETag / Last-Modified; a 304 serves the cached copy as
  RefreshHit (RequestAndResponseBehaviorCustomOrigin.html, "Conditional requests").
- Response headers CloudFront removes or replaces: Transfer-Encoding, Trailer, Upgrade, Via (set to
  CloudFront's), Vary values other than Accept-Encoding, Cookie and forwarded headers
  (RequestAndResponseBehaviorCustomOrigin.html, "HTTP response headers that CloudFront removes or replaces").
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable

from hostlab.local.dataplane.edge import errors
from hostlab.local.dataplane.edge.behaviours import select_behavior
from hostlab.local.dataplane.edge.cache import ResponseCache, generated_error_ttl, response_ttl
from hostlab.local.dataplane.edge.cache_key import cache_key
from hostlab.local.dataplane.edge.config import ConfigStore
from hostlab.local.dataplane.edge.functions import FunctionRunner
from hostlab.local.dataplane.edge.messages import EdgeResponse, ViewerRequest
from hostlab.local.dataplane.edge.model import Behavior, Distribution
from hostlab.local.dataplane.edge.origin import OriginFailure, OriginPool
from hostlab.local.dataplane.edge.origin_request import build_origin_request, header_selected

log = logging.getLogger(__name__)

# CF-DG cloudfront-limits.html (general quotas) and RequestAndResponseBehaviorCustomOrigin.html, "Maximum
# length of a request and maximum length of a URL": 20,480 bytes for the request line plus headers, 8,192
# bytes for the URL CloudFront builds; beyond either, 413 and the TCP connection is closed.
MAX_REQUEST_HEAD_BYTES = 20_480
MAX_URL_BYTES = 8_192
# Origin failures remembered by request ID (Pipeline.origin_failures); older ones are forgotten.
MAX_FAILURES_KEPT = 256

# Hop-by-hop or replaced response headers (module docstring); Content-Length is recomputed by the listener.
_DROPPED_RESPONSE_HEADERS = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "via",
        "content-length",
        "age",
    }
)
# Headers the edge adds to each response it returns; stored responses keep none of them.
_EDGE_HEADERS = frozenset({"x-cache", "via", "x-amz-cf-pop", "x-amz-cf-id"})


class Pipeline:
    def __init__(
        self,
        store: ConfigStore,
        cache: ResponseCache,
        origins: OriginPool,
        functions: FunctionRunner,
        clock: Callable[[], float],
        *,
        caching_disabled_caches_errors: bool = False,
    ):
        self.store = store
        self.cache = cache
        self.origins = origins
        self.functions = functions
        self.clock = clock
        # Settings.cloudfront_caching_disabled_caches_errors (ASSUMPTION, see settings.py and cache.py).
        self.caching_disabled_caches_errors = caching_disabled_caches_errors
        self.origin_requests = 0  # visible to tests and benchmarks
        # The cause of the last origin failures, by request ID (X-Amz-Cf-Id): what told a 502 from another.
        # Read by tests; the same cause is in the log line of each failure.
        self.origin_failures: OrderedDict[str, OriginFailure] = OrderedDict()
        self._failures_lock = threading.Lock()

    def handle(self, req: ViewerRequest) -> EdgeResponse:
        rid = errors.new_request_id()
        host = req.host
        if not host:
            # RFC 9112 section 3.2: a request without Host gets 400. ASSUMPTION: CloudFront's page, and
            # that it closes the connection.
            return errors.error_response(400, errors.BAD_REQUEST, rid, close=True)
        if len(f"{req.scheme}://{host}{req.target}".encode()) > MAX_URL_BYTES:
            return errors.error_response(413, errors.BAD_REQUEST, rid, close=True)
        snapshot = self.store.current(host)
        dist = snapshot.distribution_for(host)
        if dist is None:
            return errors.error_response(403, errors.BAD_REQUEST, rid)
        via = errors.via_id(dist.domain_name)
        behavior = select_behavior(dist, req.path)

        if req.scheme == "http" and behavior.viewer_protocol_policy == "redirect-to-https":
            authority = (req.header("host") or host).strip()
            return errors.redirect_to_https(f"https://{authority.rsplit(':', 1)[0]}{req.target}", rid, via)
        if req.scheme == "http" and behavior.viewer_protocol_policy == "https-only":
            return errors.error_response(403, errors.BAD_REQUEST, rid, via=via)
        if req.method not in behavior.allowed_methods:
            return errors.error_response(403, errors.METHOD_NOT_ALLOWED, rid, via=via)
        if req.method == "GET" and req.body:
            return errors.error_response(403, errors.BAD_REQUEST, rid, via=via)

        ref = behavior.function_for("viewer-request")
        if ref is not None:
            fn = snapshot.functions.get(ref.name)
            if fn is None:
                return errors.error_response(503, errors.FUNCTION_FAILED, rid, via=via)
            outcome = self.functions.run_viewer_request(fn, req, dist.id, dist.domain_name, rid)
            for line in outcome.logs:
                log.info("function %s [%s]: %s", ref.name, rid, line)
            if outcome.response is not None:
                return self._function_response(outcome.response, rid, via)
            if outcome.request is None:
                log.info("function %s failed (%s): %s", ref.name, outcome.status, outcome.detail)
                reason = errors.FUNCTION_INVALID if outcome.status == 502 else errors.FUNCTION_FAILED
                return errors.error_response(outcome.status, reason, rid, via=via)
            req = outcome.request
        return self._serve(req, dist, behavior, rid, via)

    # -- cache and origin ------------------------------------------------------------------------------------

    def _serve(
        self, req: ViewerRequest, dist: Distribution, behavior: Behavior, rid: str, via: str
    ) -> EdgeResponse:
        origin = dist.origins[behavior.target_origin_id]
        scheme = {"http-only": "http", "https-only": "https"}.get(origin.protocol_policy, req.scheme)
        errors_only = self.caching_disabled_caches_errors
        cacheable = (
            req.method in behavior.cached_methods
            and req.method in ("GET", "HEAD", "OPTIONS")
            and (not behavior.cache.caching_disabled or (errors_only and not behavior.cache.never_cache))
        )
        key = cache_key(dist.id, req, behavior) if cacheable else None
        entry = self.cache.get(key) if key is not None else None
        now = self.clock()
        if entry is not None and entry.fresh(now):
            x_cache = "Error from cloudfront" if entry.status >= 400 else "Hit from cloudfront"
            return self._cached(
                entry.status, entry.reason, entry.headers, entry.body, x_cache, rid, via, age=entry.age(now)
            )
        validators = entry.validators if entry is not None and entry.status < 400 else []
        # Read before asking the origin: an invalidation applied meanwhile keeps this answer out of the cache.
        epoch = self.cache.epoch(dist.id)
        oreq = build_origin_request(
            req, behavior, origin, request_id=rid, via_id=via, extra_headers=validators
        )
        self.origin_requests += 1
        try:
            resp = self.origins.fetch(origin, scheme, oreq)
        except OriginFailure as failure:
            log.info("origin %s failed for %s %s [%s]: %s", origin.domain_name, req.method, req.target, rid,
                     failure)
            self._note_failure(rid, failure)
            reason = errors.CONNECT_FAILED if failure.status == 502 else errors.ORIGIN_TIMEOUT
            out = errors.error_response(failure.status, reason, rid, via=via)
            if key is not None:
                ttl = generated_error_ttl(
                    failure.status, behavior.cache, dist.error_caching_min_ttl, errors_only
                )
                if ttl > 0:
                    stored = [(n, v) for n, v in out.headers if n.lower() not in _EDGE_HEADERS]
                    self.cache.put(key, out.status, out.reason, stored, out.body, ttl, epoch=epoch)
            return out

        if entry is not None and validators and resp.status == 304:
            merged = [
                *(h for h in entry.headers if h[0].lower() not in {n.lower() for n, _ in resp.headers}),
                *self._viewer_headers(resp.headers, behavior),
            ]
            ttl = response_ttl(entry.status, merged, behavior.cache, dist.error_caching_min_ttl, errors_only)
            entry.headers = merged
            self.cache.refresh(key, entry, ttl, epoch=epoch)
            return self._cached(
                entry.status,
                entry.reason,
                entry.headers,
                entry.body,
                "RefreshHit from cloudfront",
                rid,
                via,
                age=0,
            )

        headers = self._viewer_headers(resp.headers, behavior)
        if req.method == "HEAD":  # a HEAD response keeps the length of the body it describes
            headers += [(n, v) for n, v in resp.headers if n.lower() == "content-length"]
        if key is not None:
            ttl = response_ttl(
                resp.status, resp.headers, behavior.cache, dist.error_caching_min_ttl, errors_only
            )
            if ttl > 0:
                self.cache.put(key, resp.status, resp.reason, headers, resp.body, ttl, epoch=epoch)
            elif entry is not None:
                self.cache.drop(key)
        x_cache = "Error from cloudfront" if resp.status >= 400 else "Miss from cloudfront"
        return EdgeResponse(
            resp.status, resp.reason, headers + errors.edge_headers(x_cache, rid, via), resp.body
        )

    def _note_failure(self, rid: str, failure: OriginFailure) -> None:
        with self._failures_lock:
            self.origin_failures[rid] = failure
            while len(self.origin_failures) > MAX_FAILURES_KEPT:
                self.origin_failures.popitem(last=False)

    @staticmethod
    def _cached(
        status: int,
        reason: str,
        headers: list[tuple[str, str]],
        body: bytes,
        x_cache: str,
        rid: str,
        via: str,
        *,
        age: int,
    ) -> EdgeResponse:
        out = [*headers, ("Age", str(age)), *errors.edge_headers(x_cache, rid, via)]
        return EdgeResponse(status, reason, out, body)

    @staticmethod
    def _viewer_headers(origin_headers: list[tuple[str, str]], behavior: Behavior) -> list[tuple[str, str]]:
        headers = []
        for name, value in origin_headers:
            lower = name.lower()
            if lower in _DROPPED_RESPONSE_HEADERS:
                continue
            if lower == "vary":
                kept = [
                    t.strip()
                    for t in value.split(",")
                    if t.strip().lower() in ("accept-encoding", "cookie")
                    or header_selected(behavior, t.strip().lower())
                ]
                if not kept:
                    continue
                value = ", ".join(kept)
            headers.append((name, value))
        return headers

    @staticmethod
    def _function_response(resp: EdgeResponse, rid: str, via: str) -> EdgeResponse:
        generated = errors.generated(
            resp.status, resp.body, rid, via=via, x_cache="FunctionGeneratedResponse from cloudfront"
        )
        # The function's own headers win over the defaults (Server, Date, Content-Type).
        names = {n.lower() for n, _ in resp.headers}
        headers = [*resp.headers, *((n, v) for n, v in generated.headers if n.lower() not in names)]
        if "content-type" not in names:
            headers = [(n, v) for n, v in headers if n.lower() != "content-type"]
        return EdgeResponse(resp.status, resp.reason or errors.reason_phrase(resp.status), headers, resp.body)
