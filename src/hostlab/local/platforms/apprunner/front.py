"""App Runner's shared front, locally: one HTTPS and one HTTP listener for every service.

What it does (details and sources in front_http.py, front_state.py and docs/behaviours.md):
- serves each RUNNING service at its ServiceUrl and its ACTIVE custom domains, routing by the Host header;
- presents a certificate from the local CA chosen by SNI, accepting only settings.apprunner_tls_versions
  (ASSUMPTION: AWS does not document the TLS versions of application endpoints);
- runs the demo app for every RUNNING service (apps.py) and forwards to it;
- answers a PAUSED service with settings.apprunner_paused_status (ASSUMPTION, see settings.py).

State comes only from the App Runner API (front_state.ApiState). Freshness rule, so that a notebook that
has just *seen* a status through the API is served accordingly on its very next request:
- a Host the snapshot does not know, or whose route is changing (service OPERATION_IN_PROGRESS, custom
  domain DELETING), needs a snapshot fetched after the request arrived: the request waits for one refresh
  (concurrent requests share it);
- otherwise the snapshot may be at most min(100 ms, apprunner_operation_seconds) old. Any change a client
  can observe (pause, resume, update, delete, disassociate) first passes through one of those changing
  states for apprunner_operation_seconds (the local control plane's model), so a snapshot that young was
  fetched after the change started and either shows the new status or forces the strict refresh above.
The snapshot is kept by snapshots.Refresher: past three quarters of that age a background read renews it,
so requests seldom wait for the API. Its background reader also re-reads when nothing was read for
POLL_SECONDS, so apps start soon after RUNNING even with no traffic; that poll first looks at ListServices
alone and reads the whole state (custom domains of every service included) only when a service's status or
UpdatedAt differs from the last reconcile, a service came or went, or an app is no longer alive. An idle
backend holding many services then costs one API call per poll instead of one per service, and while the
looks keep finding nothing changed they come less often, up to every POLL_IDLE_SECONDS.
"""

from __future__ import annotations

import logging
import os
import ssl
import threading
import time

from hostlab.local.dataplane.apps import AppProcesses, AppStartError, Deployment
from hostlab.local.dataplane.servers import Listener
from hostlab.local.dataplane.snapshots import Refresher
from hostlab.local.dataplane.tls import LocalCA
from hostlab.local.platforms.apprunner.front_http import (
    NOT_FOUND,
    UNAVAILABLE,
    Decision,
    FrontServer,
    HttpHandler,
    HttpsHandler,
)
from hostlab.local.platforms.apprunner.front_state import (
    APPRUNNER_SUFFIX,
    IN_PROGRESS,
    PAUSED,
    RUNNING,
    ApiState,
    RoutingTable,
    Snapshot,
    region_of,
    routing_table,
    wildcard_for,
)
from hostlab.names import normalise_host
from hostlab.settings import DEFAULT_REGION, Settings

log = logging.getLogger("hostlab.front")

POLL_SECONDS = 0.5
# While the poll's looks find nothing changed, it looks less and less often, up to every this many seconds
# (snapshots.Refresher, poll_idle_every): an idle backend spends a ListServices call every 4 s instead of
# two a second. The first look that sees a change, and any request-driven read, bring it back to 0.5 s.
POLL_IDLE_SECONDS = 4.0
MAX_SNAPSHOT_AGE = 0.1
# After a failed refresh (API not answering), serve from the last snapshot for this long before retrying.
REFRESH_RETRY_SECONDS = 1.0
# After an app failed to start, wait this long before trying the same configuration again.
START_RETRY_SECONDS = 5.0
# An update replaces the app; the old deployment keeps running this long for requests already sent to it.
# ASSUMPTION: that App Runner moves traffic before stopping the old version (docs/behaviours.md, "An update
# starts the new version, moves traffic, then stops the old one": no source found).
DRAIN_SECONDS = 1.0
# Names that can never be App Runner custom domains: no refresh is spent on them. This matters on the hot
# path: a CloudFront behaviour that forwards the viewer's Host sends exactly such names here.
FOREIGN_SUFFIXES = (".cloudfront.net",)


def default_regions() -> set[str]:
    regions = {DEFAULT_REGION}
    regions.update(r for r in (os.environ.get("AWS_REGION"), os.environ.get("AWS_DEFAULT_REGION")) if r)
    return regions


class AppRunnerFront:
    """The local App Runner front. Contract: start(), stop(), route(hostname, port)."""

    def __init__(self, settings: Settings, ca: LocalCA, api_url: str, *, state=None,
                 regions: set[str] | None = None):
        self.settings = settings
        self.ca = ca
        self.state = state if state is not None else ApiState(api_url, regions or default_regions())
        resolve_secret = getattr(self.state, "resolve_secret", None)
        self.apps = AppProcesses(settings.apps_dir, resolve_secret=resolve_secret)
        self.max_snapshot_age = min(MAX_SNAPSHOT_AGE, settings.apprunner_operation_seconds)
        # The routing table of the last snapshot; reading it also reconciles the apps (_read_state).
        self._tables: Refresher[RoutingTable] = Refresher(
            self._read_state, RoutingTable(), name="front-state", retry_after=REFRESH_RETRY_SECONDS,
            poll_every=POLL_SECONDS, poll_needed=self._poll_needed, poll_idle_every=POLL_IDLE_SECONDS,
        )
        self._deployments: dict[str, Deployment] = {}
        self._seen: dict[str, tuple[str, str]] = {}  # arn -> (status, UpdatedAt) at the last reconcile
        self._stable: dict[str, str] = {}  # arn -> last status that was not OPERATION_IN_PROGRESS
        self._start_failures: dict[tuple[str, str], float] = {}  # (arn, fingerprint) -> monotonic time
        self._contexts: dict[tuple[str, ...], ssl.SSLContext] = {}
        self._contexts_lock = threading.Lock()
        self._listeners: list[Listener] = []

    # -- contract -----------------------------------------------------------------------------------------

    def start(self) -> None:
        default = self._context((f"*.{DEFAULT_REGION}{APPRUNNER_SUFFIX}",))
        default.sni_callback = self._on_sni
        host = self.settings.host
        self.https = Listener(FrontServer((host, 0), HttpsHandler, self, ssl_context=default), "front-https")
        self.http = Listener(FrontServer((host, 0), HttpHandler, self), "front-http")
        self._listeners = [self.https, self.http]
        for listener in self._listeners:
            listener.start()
        self._tables.start()
        log.info("App Runner front on https %s:%d, http %s:%d", *self.https_address, *self.http_address)

    def stop(self) -> None:
        self._tables.close()  # no more reads, so no more apps started
        for listener in self._listeners:
            listener.stop()
        self._deployments.clear()
        self.apps.close()

    def route(self, hostname: str, port: int) -> tuple[str, int] | None:
        """The listener serving ``hostname``: every *.awsapprunner.com name (ASSUMPTION: App Runner's
        default domains resolve through a wildcard to the shared front), and every custom domain
        associated with a service, whatever its status (as the reader's DNS record would send it here)."""
        if port not in (80, 443) or not self._listeners:
            return None
        name = normalise_host(hostname)
        if not name.endswith(APPRUNNER_SUFFIX):
            table = self._tables.value
            if name not in table.associated and not name.endswith(FOREIGN_SUFFIXES):
                table = self._tables.at_least(time.monotonic())
            if name not in table.associated:
                return None
        return self.https_address if port == 443 else self.http_address

    # -- decisions ----------------------------------------------------------------------------------------

    def resolve(self, host: str, arrived: float) -> Decision:
        """What to do with a request whose Host header is ``host`` and that arrived at ``arrived``."""
        name = normalise_host(host)
        self._note_region(name)
        target = self._tables.value.hosts.get(name)
        if target is None or target.settling:
            if not name.endswith(FOREIGN_SUFFIXES):
                target = self._tables.at_least(arrived).hosts.get(name)
        else:
            target = self._tables.within(self.max_snapshot_age).hosts.get(name)
        if target is None:
            return NOT_FOUND
        status = target.status
        if status == IN_PROGRESS:
            status = RUNNING if target.arn in self._deployments else self._stable.get(target.arn, "")
        if status == PAUSED:
            paused = self.settings.apprunner_paused_status
            return NOT_FOUND if paused == 404 else Decision(status=503, body=UNAVAILABLE.body)
        if status != RUNNING:
            return NOT_FOUND  # being created, failed, deleted: no route for the name
        deployment = self._deployments.get(target.arn)
        return Decision(deployment=deployment) if deployment is not None else UNAVAILABLE

    def redirects(self, host: str, arrived: float) -> bool:
        """Port 80: whether ``host`` is a name the front serves, so it gets the 301 to https."""
        decision = self.resolve(host, arrived)
        return decision.forward or decision.status == 503

    # -- state --------------------------------------------------------------------------------------------

    def ensure_fresh(self, not_before: float) -> None:
        """Make sure the snapshot was read at or after ``not_before`` (time.monotonic())."""
        self._tables.at_least(not_before)

    def _read_state(self) -> RoutingTable:
        """One snapshot through the API; apps follow it before its routes are served. Runs under the
        Refresher's read lock, one at a time."""
        snapshot = self.state.snapshot()
        self._reconcile(snapshot)
        return routing_table(snapshot)

    def _poll_needed(self, _table: RoutingTable) -> bool:
        """Whether the background poll must read the whole state (runs under the Refresher's read lock, so
        no reconcile changes what it compares)."""
        statuses = getattr(self.state, "statuses", None)
        if statuses is None:  # a state without the cheap look: always read
            return True
        if any(not deployment.alive() for deployment in self._deployments.values()):
            return True
        listed = statuses()
        if any(self._seen.get(arn) != seen for arn, seen in listed.items()):
            return True
        return any(arn not in listed for arn in self._deployments)

    def _reconcile(self, snapshot: Snapshot) -> None:
        """Start, replace and stop apps to match ``snapshot``."""
        present = set()
        for service in snapshot.services:
            present.add(service.arn)
            if service.status != IN_PROGRESS:
                self._stable[service.arn] = service.status
            current = self._deployments.get(service.arn)
            if service.status == RUNNING:
                seen = self._seen.get(service.arn)
                if current is None or not current.alive() or seen != (service.status, service.updated_at):
                    self._deploy(service, current)
            elif service.status != IN_PROGRESS and current is not None:
                # PAUSED (capacity to zero, AR-DG manage-pause.html), failed or deleted: no app any more.
                self._retire(service.arn, after=0)
            self._seen[service.arn] = (service.status, service.updated_at)
        for arn in list(self._deployments):
            if arn not in present:  # deleted and no longer listed
                self._retire(arn, after=0)

    def _deploy(self, service, current: Deployment | None) -> None:
        config = self.state.describe(service.arn)
        fingerprint = config.fingerprint()
        if current is not None and current.alive() and current.fingerprint == fingerprint:
            return
        failed_at = self._start_failures.get((service.arn, fingerprint))
        if failed_at is not None and time.monotonic() - failed_at < START_RETRY_SECONDS:
            return
        try:
            deployment = self.apps.launch(service.name, config)
        except (AppStartError, OSError) as exc:
            self._start_failures[(service.arn, fingerprint)] = time.monotonic()
            log.warning("%s: app did not start: %s", service.name, exc)
            return
        self._start_failures.pop((service.arn, fingerprint), None)
        self._deployments[service.arn] = deployment
        if current is not None:
            # Traffic moves to the new deployment before the old one stops (ASSUMPTION: DRAIN_SECONDS).
            self.apps.retire(current, after=DRAIN_SECONDS if current.alive() else 0)

    def _retire(self, arn: str, after: float) -> None:
        deployment = self._deployments.pop(arn, None)
        if deployment is not None:
            self.apps.retire(deployment, after=after)

    def _note_region(self, name: str) -> None:
        """A ServiceUrl of a region not read yet adds that region to the snapshot (and forces a refresh)."""
        region = region_of(name)
        regions = getattr(self.state, "regions", None)
        if region and regions is not None and region not in regions:
            self._tables.expire(lambda: regions.add(region))

    # -- TLS ----------------------------------------------------------------------------------------------

    def _context(self, names: tuple[str, ...]) -> ssl.SSLContext:
        with self._contexts_lock:
            context = self._contexts.get(names)
            if context is None:
                context = self.ca.server_context(names, self.settings.apprunner_tls_versions)
                context.set_alpn_protocols(["http/1.1"])
                self._contexts[names] = context
            return context

    def _on_sni(self, connection: ssl.SSLObject, server_name: str | None, _context) -> None:
        """Pick the certificate for the name the client asked for; unknown names get the default one."""
        if not server_name:
            return None
        name = normalise_host(server_name)
        try:
            self._note_region(name)
            names = self._tables.value.certificates.get(name)
            if names is None and not name.endswith(APPRUNNER_SUFFIX) and not name.endswith(FOREIGN_SUFFIXES):
                names = self._tables.at_least(time.monotonic()).certificates.get(name)
            wildcard = wildcard_for(name)
            if names is not None:
                connection.context = self._context(names)
            elif wildcard is not None:
                connection.context = self._context((wildcard,))
        except Exception:  # an exception here would abort the handshake with an opaque alert
            log.exception("choosing a certificate for %r failed", name)
        return None

    # -- helpers ------------------------------------------------------------------------------------------

    @property
    def https_address(self) -> tuple[str, int]:
        return self.https.address

    @property
    def http_address(self) -> tuple[str, int]:
        return self.http.address

    @property
    def state_reads(self) -> int:
        """Completed reads of App Runner's state (benchmarks and diagnostics)."""
        return self._tables.reads

    def deployment(self, service_arn: str) -> Deployment | None:
        """The deployment currently serving ``service_arn`` (tests and diagnostics)."""
        return self._deployments.get(service_arn)
