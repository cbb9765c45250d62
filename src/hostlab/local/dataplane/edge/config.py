"""The edge's view of CloudFront's configuration, read only through the CloudFront API (boto3).

Model of deployment (documented in docs/behaviours.md, "CloudFront edge"):
- The edge serves the configuration of the last version it saw with Status "Deployed". While a distribution is
  InProgress after an update, the previous deployed version keeps being served; a distribution never seen
  Deployed is not served at all (its name does not route, like a domain that does not resolve yet). On AWS an
  edge location serves the old configuration until the change reaches it, then the new one
  (CF-DG distribution-web-values-specify.html, "Origin domain name": "Until the distribution configuration is
  updated in a given edge location, CloudFront continues to forward requests to the previous HTTP server").
- Two rules make "once the API says Deployed, the next request uses the new configuration" hold without a
  race: (1) a request for a name whose distribution was InProgress in the snapshot re-reads synchronously;
  (2) any snapshot older than ``max_age`` is re-read synchronously; the edge sets max_age to
  min(1 s, 0.9 x the control plane's deploy delay), below that delay. A snapshot taken after the update saw
  InProgress (rule 1); one taken before it is older than the deploy delay by the time Deployed can be
  observed (rule 2). Otherwise requests are served from the snapshot with no API call; one that finds it
  past three quarters of its life starts a background re-read (snapshots.Refresher keeps the snapshot, for
  the front too).
- A read whose ListDistributions fails keeps the previous snapshot and is not retried for ``max_age``.
- Cached objects survive a new deployed version: a configuration change does not purge the cache; objects
  stay until they expire or are invalidated (``on_changed`` flushes instead when the setting
  HOSTLAB_CLOUDFRONT_CONFIG_CHANGE_KEEPS_CACHE is false). ASSUMPTION: no AWS page says it in as many
  words; it rests on CF-DG Invalidation.html (to remove a file "before it expires", invalidate it or
  rename it) and the re:Post knowledge-center article cloudfront-clear-cache (cached files are served
  until they expire; invalidate to serve updates at once), and a community write-up says it of
  configuration changes (tech-reader.blog, 2026-01, "AWS CloudFront Error: Why Didn't My Change Apply?").
  A cached 404 can therefore outlive the fix that cures it, which is the tutorial's "the fix didn't
  work". Only a distribution that is gone from the list loses its cache (``on_gone``).
- Invalidations: every refresh lists the invalidations of each distribution the edge serves and applies
  the ones it has not applied yet (invalidations.py), before the new snapshot is published. Determinism:
  the control plane keeps an invalidation InProgress for the deploy delay D after CreateInvalidation, and
  max_age < D. A client that saw Completed asks at t >= t0 + D (t0: creation); the snapshot serving it
  was begun at t - max_age or later, so after t0; its reading listed the invalidation and purged the
  cache before the request could look there. (Both clocks are the one monotonic clock of the backend
  process.) An answer fetched from the origin before the purge is not stored after it (cache.py, epochs).
- Custom cache and origin request policies are re-read on every refresh that finds a distribution using
  them, with one ListCachePolicies / ListOriginRequestPolicies (Type=custom) call per kind, whose summaries
  carry each policy's whole configuration (CF-API API_CachePolicySummary.html, API_CachePolicy.html; same for
  origin request policies). A policy's version is a digest of that configuration, so any change to it makes
  a new distribution version on the same refresh, as the per-policy Get* calls did. The managed policies
  never change, so they are read once (GetCachePolicy / GetOriginRequestPolicy), as is an ID missing from
  the custom list (a managed policy this module does not name); a deleted custom policy then fails its Get.
- LIVE functions are listed on each refresh that finds a behaviour using one (one ListFunctions, Stage=LIVE);
  a function's code is fetched (GetFunction, Stage=LIVE) only when its LIVE LastModifiedTime or runtime
  changed since the last fetch. FunctionSummary carries no ETag (CF-API API_FunctionSummary.html,
  API_FunctionMetadata.html: "LastModifiedTime - the date and time when the function was most recently
  updated"). ASSUMPTION: PublishFunction gives the LIVE stage a new LastModifiedTime (the API reference
  does not say it of LIVE in as many words; the local control plane does it, cloudfront_functions.publish,
  with microsecond timestamps on the wire), so a publish is seen on the next refresh, as DescribeFunction's
  ETag showed it before. The edge only runs on the local backend. Code is compiled once per GetFunction
  ETag (functions.FunctionRunner).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError

from hostlab.local.dataplane.edge.functions import LiveFunction
from hostlab.local.dataplane.edge.invalidations import InvalidationFeed
from hostlab.local.dataplane.edge.model import ConfigError, Distribution, parse_distribution
from hostlab.local.dataplane.snapshots import Refresher
from hostlab.names import normalise_host

log = logging.getLogger(__name__)

# IDs of AWS's managed policies (CF-DG using-managed-cache-policies.html and
# using-managed-origin-request-policies.html). Their settings never change.
MANAGED_CACHE_POLICIES = frozenset(
    {
        "658327ea-f89d-4fab-a63d-7e88639e58f6",  # CachingOptimized
        "b2884449-e4de-46a7-ac36-70bc7f1ddd6d",  # CachingOptimizedForUncompressedObjects
        "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",  # CachingDisabled
        "83da9c7e-98b4-4e11-a168-04f0df8e2c65",  # UseOriginCacheControlHeaders
        "4cc15a8a-d715-48a4-82b8-cc0b614638fe",  # UseOriginCacheControlHeaders-QueryStrings
    }
)
MANAGED_ORIGIN_REQUEST_POLICIES = frozenset(
    {
        "216adef6-5c7f-47e4-b989-5492eafa07d3",  # AllViewer
        "b689b0a8-53d0-40ab-baf2-68738e2966ac",  # AllViewerExceptHostHeader
        "33f36d7e-f396-46d9-90e0-52428a34d9dc",  # AllViewerAndCloudFrontHeaders-2022-06
        "59781a5b-3903-41f3-afcb-af62929ccde1",  # CORS-CustomOrigin
        "acba4595-bd28-49b8-b9fe-13317c0390fa",  # UserAgentRefererHeaders
        "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf",  # CORS-S3Origin
    }
)


@dataclass(frozen=True)
class Snapshot:
    """Everything the edge serves from (when its read began is kept by the Refresher)."""

    by_host: dict[str, Distribution] = field(default_factory=dict)
    functions: dict[str, LiveFunction] = field(default_factory=dict)
    # Names of distributions that were InProgress when the snapshot was taken.
    pending: frozenset[str] = frozenset()

    def distribution_for(self, hostname: str) -> Distribution | None:
        return self.by_host.get(normalise_host(hostname))


@dataclass
class _Seen:
    """The last deployed version of one distribution."""

    last_modified: object
    etag: str
    raw_config: dict
    distribution: Distribution


class ConfigStore:
    """Keeps a fresh-enough Snapshot; see the module docstring for the model."""

    def __init__(
        self,
        client,
        *,
        max_age: float = 0.1,
        on_gone: Callable[[str], None] | None = None,
        on_changed: Callable[[str], None] | None = None,
        invalidations: InvalidationFeed | None = None,
    ):
        self.client = client
        self.max_age = max_age
        self.on_gone = on_gone or (lambda _id: None)
        # Called with a distribution's ID when a new deployed version of it replaces one served before
        # (the edge passes cache.flush when HOSTLAB_CLOUDFRONT_CONFIG_CHANGE_KEEPS_CACHE is false).
        self.on_changed = on_changed or (lambda _id: None)
        self.invalidations = invalidations
        self._snapshots: Refresher[Snapshot] = Refresher(
            self._read, Snapshot(), name="edge-config", retry_after=max_age
        )
        # Below: state of the reader, touched only by _read (one read at a time).
        self._seen: dict[str, _Seen] = {}
        # Policies read once for good (managed): id -> (version, config), cache and origin request.
        self._managed_policies: dict[str, tuple[str, dict]] = {}
        # Custom policies listed by the read in progress: kind -> id -> (version, config); cleared per read.
        self._custom_policies: dict[str, dict[str, tuple[str, dict]]] = {}
        self._functions: dict[str, LiveFunction] = {}
        # name -> (LIVE LastModifiedTime, runtime) of the code held in _functions.
        self._function_marks: dict[str, tuple[object, str]] = {}

    def start(self) -> None:
        self._snapshots.start()

    def close(self) -> None:
        self._snapshots.close()

    @property
    def refreshes(self) -> int:
        """Completed reads (tests and benchmarks)."""
        return self._snapshots.reads

    # -- freshness -------------------------------------------------------------------------------------------

    def current(self, hostname: str | None = None) -> Snapshot:
        """A snapshot fresh enough to serve ``hostname`` (or any name) now."""
        if hostname is not None and normalise_host(hostname) in self._snapshots.value.pending:
            # The distribution may have turned Deployed since: only a read begun now can tell.
            return self._snapshots.at_least(time.monotonic())
        return self._snapshots.within(self.max_age)

    def refresh(self) -> Snapshot:
        """Re-read now, whatever the snapshot's age."""
        return self._snapshots.at_least(time.monotonic())

    # -- reading ---------------------------------------------------------------------------------------------

    def _read(self) -> Snapshot:
        """One snapshot through the API (run by the Refresher, under its read lock). Raises when the
        distributions cannot be listed, which keeps the previous snapshot."""
        self._custom_policies.clear()
        summaries = self._list_distributions()
        live_ids = set()
        newly_served: set[str] = set()
        pending: set[str] = set()
        for summary in summaries:
            dist_id = summary["Id"]
            live_ids.add(dist_id)
            if summary.get("Status") != "Deployed":
                # Keep serving the last deployed version we saw, if any, and re-read on its next request.
                aliases = (summary.get("Aliases") or {}).get("Items") or []
                pending.update(n.lower() for n in (summary["DomainName"], *aliases))
                continue
            try:
                if self._adopt(summary):
                    newly_served.add(dist_id)
            except (BotoCoreError, ClientError, ConfigError) as exc:
                log.warning("distribution %s cannot be served: %s", dist_id, exc)
        gone_ids = set(self._seen) - live_ids
        for gone in gone_ids:
            del self._seen[gone]
            self.on_gone(gone)
        if self.invalidations is not None:
            self.invalidations.forget(gone_ids)
            for dist_id in self._seen:
                self.invalidations.apply(dist_id, newly_served=dist_id in newly_served)
        by_host: dict[str, Distribution] = {}
        for seen in self._seen.values():
            if seen.distribution.enabled:
                for hostname in seen.distribution.hostnames:
                    by_host[hostname] = seen.distribution
        functions = self._read_functions()
        return Snapshot(by_host, functions, frozenset(pending))

    def _list_distributions(self) -> list[dict]:
        items, marker = [], None
        while True:
            kwargs = {"Marker": marker} if marker else {}
            page = self.client.list_distributions(**kwargs)["DistributionList"]
            items += page.get("Items") or []
            if not page.get("IsTruncated"):
                return items
            marker = page.get("NextMarker")

    def _adopt(self, summary: dict) -> bool:
        """Take in a Deployed distribution; True when the edge did not serve it before."""
        dist_id = summary["Id"]
        seen = self._seen.get(dist_id)
        if seen is None or seen.last_modified != summary.get("LastModifiedTime"):
            response = self.client.get_distribution_config(Id=dist_id)
            raw, etag = response["DistributionConfig"], response.get("ETag", "")
        else:
            raw, etag = seen.raw_config, seen.etag
        cache_policies, request_policies, versions = self._policies_for(raw)
        version = "|".join([etag, *versions])
        if seen is not None and seen.distribution.version == version:
            seen.last_modified = summary.get("LastModifiedTime")
            return False
        distribution = parse_distribution(
            dist_id,
            summary["DomainName"],
            raw,
            cache_policies=cache_policies,
            origin_request_policies=request_policies,
            version=version,
        )
        self._seen[dist_id] = _Seen(summary.get("LastModifiedTime"), etag, raw, distribution)
        if seen is not None:
            self.on_changed(dist_id)
        return seen is None

    def _policies_for(self, raw: dict) -> tuple[dict[str, dict], dict[str, dict], list[str]]:
        behaviors = [raw["DefaultCacheBehavior"], *((raw.get("CacheBehaviors") or {}).get("Items") or [])]
        cache_ids = sorted({b["CachePolicyId"] for b in behaviors if b.get("CachePolicyId")})
        request_ids = sorted(
            {b["OriginRequestPolicyId"] for b in behaviors if b.get("OriginRequestPolicyId")}
        )
        cache, request, versions = {}, {}, []
        for policy_id in cache_ids:
            etag, config = self._policy(policy_id, "cache", policy_id in MANAGED_CACHE_POLICIES)
            cache[policy_id] = config
            versions.append(f"{policy_id}={etag}")
        for policy_id in request_ids:
            etag, config = self._policy(
                policy_id, "origin-request", policy_id in MANAGED_ORIGIN_REQUEST_POLICIES
            )
            request[policy_id] = config
            versions.append(f"{policy_id}={etag}")
        return cache, request, versions

    def _policy(self, policy_id: str, kind: str, managed: bool) -> tuple[str, dict]:
        if managed and policy_id in self._managed_policies:
            return self._managed_policies[policy_id]
        if not managed:
            found = self._list_custom_policies(kind).get(policy_id)
            if found is not None:
                return found
            if policy_id in self._managed_policies:
                # Absent from the custom list and read before: a managed policy this module does not name.
                return self._managed_policies[policy_id]
        try:
            if kind == "cache":
                response = self.client.get_cache_policy(Id=policy_id)
                config = response["CachePolicy"]["CachePolicyConfig"]
            else:
                response = self.client.get_origin_request_policy(Id=policy_id)
                config = response["OriginRequestPolicy"]["OriginRequestPolicyConfig"]
        except ClientError as exc:
            raise ConfigError(f"{kind} policy {policy_id}: {exc}") from None
        self._managed_policies[policy_id] = (_digest(config), config)
        return self._managed_policies[policy_id]

    def _list_custom_policies(self, kind: str) -> dict[str, tuple[str, dict]]:
        """Every custom policy of ``kind``, listed once per read (on its first need)."""
        if kind in self._custom_policies:
            return self._custom_policies[kind]
        if kind == "cache":
            call, list_key, item_key = self.client.list_cache_policies, "CachePolicyList", "CachePolicy"
        else:
            call, list_key = self.client.list_origin_request_policies, "OriginRequestPolicyList"
            item_key = "OriginRequestPolicy"
        listed: dict[str, tuple[str, dict]] = {}
        marker = None
        try:
            while True:
                page = call(Type="custom", **({"Marker": marker} if marker else {}))[list_key]
                for item in page.get("Items") or []:
                    policy = item[item_key]
                    config = policy[f"{item_key}Config"]
                    listed[policy["Id"]] = (_digest(config), config)
                marker = page.get("NextMarker")
                if not marker:
                    break
        except ClientError as exc:
            raise ConfigError(f"{kind} policies cannot be listed: {exc}") from None
        self._custom_policies[kind] = listed
        return listed

    def _read_functions(self) -> dict[str, LiveFunction]:
        names = {
            ref.name
            for seen in self._seen.values()
            for behavior in (*seen.distribution.behaviors, seen.distribution.default_behavior)
            for ref in behavior.functions
        }
        if not names:
            self._functions, self._function_marks = {}, {}
            return {}
        try:
            live = self._list_live_functions()
        except (BotoCoreError, ClientError) as exc:
            log.warning("LIVE functions cannot be listed: %s", exc)
            live = {}
        functions: dict[str, LiveFunction] = {}
        marks: dict[str, tuple[object, str]] = {}
        for name in sorted(names):
            summary = live.get(name)
            if summary is None:
                # A behaviour naming a function without a LIVE stage fails its requests (503) until published.
                # ASSUMPTION: the API refuses such an association, so AWS never shows this; 503 is what
                # CloudFront answers for a function that cannot run (CF-DG http-503-service-unavailable.html).
                log.warning("function %s has no readable LIVE stage", name)
                continue
            runtime = summary.get("FunctionConfig", {}).get("Runtime", "cloudfront-js-1.0")
            mark = (summary.get("FunctionMetadata", {}).get("LastModifiedTime"), runtime)
            known = self._functions.get(name)
            if known is None or self._function_marks.get(name) != mark:
                try:
                    fetched = self.client.get_function(Name=name, Stage="LIVE")
                except (BotoCoreError, ClientError) as exc:
                    log.warning("function %s has no readable LIVE stage: %s", name, exc)
                    continue
                code = fetched["FunctionCode"].read().decode()
                known = LiveFunction(name, fetched.get("ETag", ""), runtime, code)
            functions[name] = known
            marks[name] = mark
        self._functions, self._function_marks = functions, marks
        return functions

    def _list_live_functions(self) -> dict[str, dict]:
        """name -> FunctionSummary of every function with a LIVE stage (ListFunctions, Stage=LIVE)."""
        summaries: dict[str, dict] = {}
        marker = None
        while True:
            page = self.client.list_functions(Stage="LIVE", **({"Marker": marker} if marker else {}))
            page = page["FunctionList"]
            for item in page.get("Items") or []:
                summaries[item["Name"]] = item
            marker = page.get("NextMarker")
            if not marker:
                return summaries


def _digest(config: dict) -> str:
    """A policy version that changes whenever its configuration does (the List calls give no ETag)."""
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()
