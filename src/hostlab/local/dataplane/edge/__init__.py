"""CloudFront's edge: serves every distribution the control plane reports, the way CloudFront would.

Rooms, one job each:
    model.py           configuration objects parsed from botocore-shaped dicts
    config.py          reading that configuration through boto3; the InProgress / Deployed model
    behaviours.py      choosing the cache behaviour by path pattern
    cache_key.py       the cache key from a cache policy or legacy ForwardedValues
    origin_request.py  the request sent to the origin: headers, Host, cookies, query strings
    origin.py          connecting to origins: resolution, TLS restricted to OriginSslProtocols, pooling
    cache.py           TTLs, error caching, the response store and its purges
    invalidations.py   applying CloudFront invalidations (read through the API) to the cache
    functions.py       viewer-request CloudFront Functions (engine in hostlab.local.functions.runtime)
    errors.py          the responses CloudFront generates itself (error pages, redirects, edge headers)
    pipeline.py        one request through all of the above
    listener.py        viewer-facing HTTPS (one listener per TLS security policy) and HTTP listeners

Contract (hostlab.local.dataplane): ``Edge(settings, ca, api_url)`` with ``start()``, ``stop()`` and
``route(hostname, port) -> (host, port) | None``, plus ``use_router(route)``, through which plane.py hands
over its own route so origin domains (``<id>.<region>.awsapprunner.com``) resolve to the App Runner front.
Keyword arguments: ``resolve(host, port)``, the same resolver given directly (default: loopback literals
only, so nothing reaches the internet), and ``clock`` (monotonic seconds) drives cache expiry so tests can
move time instead of sleeping.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable

from hostlab.local.dataplane.api_clients import api_client
from hostlab.local.dataplane.edge.cache import ResponseCache
from hostlab.local.dataplane.edge.config import ConfigStore
from hostlab.local.dataplane.edge.functions import FunctionRunner
from hostlab.local.dataplane.edge.invalidations import InvalidationFeed
from hostlab.local.dataplane.edge.listener import ViewerListener
from hostlab.local.dataplane.edge.model import Distribution
from hostlab.local.dataplane.edge.origin import OriginPool, Resolver
from hostlab.local.dataplane.edge.pipeline import Pipeline
from hostlab.local.dataplane.tls import LocalCA
from hostlab.names import normalise_host
from hostlab.settings import Settings

__all__ = ["SECURITY_POLICIES", "Edge", "viewer_tls_versions"]

# Viewer security policies -> protocols (CF-DG secure-connections-supported-viewer-protocols-ciphers.html).
# SSLv3 cannot be negotiated by OpenSSL 3, so the SSLv3 policy offers what the TLSv1 policy offers.
_FROM_1_0 = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
SECURITY_POLICIES: dict[str, tuple[str, ...]] = {
    "SSLv3": _FROM_1_0,
    "TLSv1": _FROM_1_0,
    "TLSv1_2016": _FROM_1_0,
    "TLSv1.1_2016": ("TLSv1.1", "TLSv1.2", "TLSv1.3"),
    "TLSv1.2_2018": ("TLSv1.2", "TLSv1.3"),
    "TLSv1.2_2019": ("TLSv1.2", "TLSv1.3"),
    "TLSv1.2_2021": ("TLSv1.2", "TLSv1.3"),
    "TLSv1.2_2025": ("TLSv1.2", "TLSv1.3"),
    "TLSv1.3_2025": ("TLSv1.3",),
}
# The certificate CloudFront presents for its own domain names.
DEFAULT_CERT_NAMES = ("*.cloudfront.net",)


def viewer_tls_versions(distribution: Distribution, hostname: str) -> tuple[str, ...]:
    """TLS versions a viewer may use for ``hostname``.

    With CloudFrontDefaultCertificate, CloudFront uses the TLSv1 policy whatever MinimumProtocolVersion says
    (CloudFront API reference, ViewerCertificate); the *.cloudfront.net name is always served with that
    certificate. An alias on an ACM certificate gets MinimumProtocolVersion's policy."""
    if distribution.viewer_tls.default_certificate or hostname.lower() == distribution.domain_name:
        return SECURITY_POLICIES["TLSv1"]
    return SECURITY_POLICIES.get(distribution.viewer_tls.minimum_protocol_version, SECURITY_POLICIES["TLSv1"])


def make_client(api_url: str):
    """The CloudFront client the edge reads its configuration with (CloudFront's API is in us-east-1)."""
    return api_client("cloudfront", api_url)


class Edge:
    def __init__(
        self,
        settings: Settings,
        ca: LocalCA,
        api_url: str,
        *,
        resolve: Resolver | None = None,
        clock: Callable[[], float] | None = None,
        client=None,
    ):
        self.settings = settings
        self.ca = ca
        self.client = client or make_client(api_url)
        self.cache = ResponseCache(clock or time.monotonic)
        self.invalidations = InvalidationFeed(self.client, self.cache.purge)
        # Freshness bound of the configuration snapshot: below the control plane's deploy delay (which is also
        # how long an invalidation stays InProgress), which is what makes deploys and invalidations
        # deterministic (config.py); capped so function and policy changes show within a second.
        self.store = ConfigStore(
            self.client,
            max_age=min(1.0, 0.9 * settings.cloudfront_deploy_seconds),
            on_gone=self.cache.flush,
            on_changed=None if settings.cloudfront_config_change_keeps_cache else self.cache.flush,
            invalidations=self.invalidations,
        )
        self.origins = OriginPool(ca, resolve, sni_from_host=settings.cloudfront_origin_sni == "host")
        self.functions = FunctionRunner()
        self.pipeline = Pipeline(
            self.store,
            self.cache,
            self.origins,
            self.functions,
            clock or time.monotonic,
            caching_disabled_caches_errors=settings.cloudfront_caching_disabled_caches_errors,
        )
        self._lock = threading.Lock()
        self._https: dict[tuple[str, ...], ViewerListener] = {}
        self._http: ViewerListener | None = None
        self._alias_contexts: dict[tuple[tuple[str, ...], tuple[str, ...]], ssl.SSLContext] = {}
        self._running = False

    def use_router(self, route: Resolver) -> None:
        """Resolve origin domains the way viewers' names resolve (called by plane.py before start())."""
        self.origins.resolve = route

    # -- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> None:
        self.store.start()
        with self._lock:
            self._running = True
            self._http = ViewerListener(
                self.settings.host, self.pipeline, scheme="http", name="http", settings=self.settings
            )
            self._http.start()
        self._https_listener(SECURITY_POLICIES["TLSv1"])

    def stop(self) -> None:
        with self._lock:
            self._running = False
            listeners = [*self._https.values(), *([self._http] if self._http else [])]
            self._https.clear()
            self._http = None
        for listener in listeners:
            listener.stop()
        self.store.close()
        self.origins.close()

    # -- routing ---------------------------------------------------------------------------------------------

    def route(self, hostname: str, port: int) -> tuple[str, int] | None:
        """The listener serving ``hostname`` on ``port`` (443 or 80), or None for names no deployed and
        enabled distribution has."""
        if not self._running or port not in (80, 443):
            return None
        dist = self.store.current(hostname).distribution_for(hostname)
        if dist is None:
            return None
        if port == 80:
            return self._http.address if self._http else None
        listener = self._https_listener(viewer_tls_versions(dist, hostname))
        return listener.address if listener else None

    def _https_listener(self, versions: tuple[str, ...]) -> ViewerListener | None:
        """The HTTPS listener for a set of viewer TLS versions, started on first use (None once stopped)."""
        with self._lock:
            if not self._running:  # checked under the lock: stop() must not miss a listener started now
                return None
            listener = self._https.get(versions)
            if listener is None:
                ctx = self.ca.server_context(DEFAULT_CERT_NAMES, versions)
                ctx.sni_callback = self._sni_callback(versions)
                listener = ViewerListener(
                    self.settings.host,
                    self.pipeline,
                    scheme="https",
                    ssl_context=ctx,
                    name="https-" + "-".join(versions),
                    settings=self.settings,
                )
                listener.start()
                self._https[versions] = listener
            return listener

    def _sni_callback(self, versions: tuple[str, ...]):
        """Present the alias certificate (standing in for the distribution's ACM certificate) for aliases."""

        def choose(sslobj, servername, _ctx):
            if not servername:
                return None
            name = normalise_host(servername)
            dist = self.store.current(name).distribution_for(name)
            if dist is None or name not in dist.aliases:
                return None
            key = (tuple(sorted(dist.aliases)), versions)
            with self._lock:
                ctx = self._alias_contexts.get(key)
                if ctx is None:
                    ctx = self.ca.server_context(key[0], versions)
                    self._alias_contexts[key] = ctx
            sslobj.context = ctx
            return None

        return choose
