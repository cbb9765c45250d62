"""ECS Express Mode's shared Application Load Balancers, locally: every listener of every ALB the ELBv2 API
shows is a real loopback listener that behaves as that ALB listener does.

What it does (details and sources in alb_http.py, alb_rules.py, alb_state.py, ssl_policies.py,
security_groups.py and docs/behaviours.md, "Express shared ALB"):
- one loopback listener per (load balancer, listener port), opened and closed as the API shows listeners
  come and go; route(name, port) gives the proxy the listener of the load balancer ``name`` leads to;
- an HTTPS listener terminates TLS in a real handshake with exactly the protocols and ciphers of the
  listener's SslPolicy *as the API shows it now*: each connection's context is chosen when it arrives, so
  elbv2.modify_listener(SslPolicy=...) changes what the next connection may negotiate; the certificate is
  the listener's (ACM names, issued by the local CA), chosen by SNI among its certificate list;
- a connection is let in only when the load balancer's security groups allow its source (the address the
  connection stands for, dataplane/sources.py: the viewer's through the proxy, a CloudFront origin-facing
  address from the edge). A connection they do not allow is *dropped*: AWS security groups silently drop
  what they do not allow (VPC user guide, security-group-rules.html: rules only allow; traffic matching no
  rule is not let in, and nothing answers), so the client sees a timeout, not a refusal. Locally the TCP
  handshake has already completed on loopback (the kernel accepts before any code can look at the
  source), so the closest faithful behaviour is: accept, then never answer a byte, reading and discarding
  what the client sends until it gives up (EOF) or DROP_HOLD_SECONDS pass. A client's TLS handshake or
  CONNECT tunnel then times out, as a SYN to a filtered port times out on AWS. (Documented assumption.)
- requests are routed by the listener's rules read through the API (alb_rules.py) and forwarded to the
  registered targets (ip targets: Id = address, Port) with DescribeTargetHealth's states.

Freshness: requests are served from a snapshot at most MAX_SNAPSHOT_AGE old (snapshots.Refresher renews it
in the background past three quarters of that age). ASSUMPTION: AWS documents no propagation time for
ELBv2 changes (rules, listeners, security groups); locally any change made through the API applies to
requests that arrive MAX_SNAPSHOT_AGE after the call returned. A name the snapshot does not know makes
route() read at once (a just-created load balancer or rule is reachable on the next connection) when it
may lead to an ALB (_worth_a_read); so does a known load balancer without a listener on the port asked.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import random
import select
import ssl
import threading
import time

import urllib3

from hostlab.local.dataplane.servers import HANDSHAKE_TIMEOUT_SECONDS, Listener, TrackedServer
from hostlab.local.dataplane.snapshots import Refresher
from hostlab.local.dataplane.sources import source_of
from hostlab.local.dataplane.tls import LocalCA
from hostlab.local.platforms.express import ssl_policies
from hostlab.local.platforms.express.alb_http import AlbHandler
from hostlab.local.platforms.express.alb_state import (
    ELB_SUFFIX,
    HEALTHY,
    ON_AWS_SUFFIX,
    AlbApiState,
    AlbSnapshot,
    AlbView,
    ListenerView,
    region_of,
)
from hostlab.local.platforms.express.security_groups import allows
from hostlab.names import dns_name_matches, normalise_host
from hostlab.settings import DEFAULT_REGION, Settings

log = logging.getLogger("hostlab.express.front")

MAX_SNAPSHOT_AGE = 0.2
REFRESH_RETRY_SECONDS = 1.0
# Local value: how long a dropped connection is held before it is closed, if the client has not given up.
DROP_HOLD_SECONDS = 120.0
POOL_SIZE = 32
# Names that are never an ALB's or an Express endpoint: no API read is spent on them in route().
FOREIGN_SUFFIXES = (".cloudfront.net", ".awsapprunner.com")


def default_regions() -> set[str]:
    regions = {DEFAULT_REGION}
    regions.update(r for r in (os.environ.get("AWS_REGION"), os.environ.get("AWS_DEFAULT_REGION")) if r)
    return regions


class AlbListenerServer(TrackedServer):
    """The loopback listener standing for one listener port of one load balancer."""

    def __init__(self, address, front: ExpressAlbFront, alb_arn: str, port: int):
        self.front = front
        self.alb_arn = alb_arn
        self.port = port
        super().__init__(address, AlbHandler)

    def listener_view(self) -> ListenerView | None:
        found = self.front.view(self.alb_arn, self.port)
        return found[1] if found else None

    def finish_request(self, request, client_address):
        source = source_of(client_address)
        found = self.front.view(self.alb_arn, self.port)
        if found is None:
            return  # the listener is gone: close
        alb, listener = found
        if not allows(alb.permissions, source, self.port):
            self.front.drops += 1
            log.info("security group of %s drops a connection from %s to port %d", alb.dns_name, source,
                     self.port)
            with self.track(request):
                _hold(request)
            return
        connection = request
        if listener.protocol == "HTTPS":
            try:
                request.settimeout(HANDSHAKE_TIMEOUT_SECONDS)
                connection = self.front.tls_context(alb, listener).wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as exc:
                log.debug("TLS handshake from %s failed: %s", source, exc)
                return
        try:
            with self.track(connection):
                self.RequestHandlerClass(connection, (source, client_address[1]), self)
        finally:
            if connection is not request:
                with contextlib.suppress(OSError):
                    connection.close()


def _hold(sock) -> None:
    """A dropped connection: answer nothing; discard what comes until the client gives up or time runs out."""
    deadline = time.monotonic() + DROP_HOLD_SECONDS
    with contextlib.suppress(OSError, ValueError):
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([sock], [], [], min(left, 1.0))
            if ready and not sock.recv(65536):
                return


class ExpressAlbFront:
    """The local shared ALBs. Contract (dataplane/__init__.py): start(), stop(), route(hostname, port)."""

    def __init__(self, settings: Settings, ca: LocalCA, api_url: str, *, state=None,
                 regions: set[str] | None = None, seed: int | None = None):
        self.settings = settings
        self.ca = ca
        self.state = state if state is not None else AlbApiState(api_url, regions or default_regions())
        self.rng = random.Random(seed)
        self.drops = 0  # connections a security group dropped (tests, diagnostics)
        self._tables: Refresher[AlbSnapshot] = Refresher(
            # No polling: nothing runs here without a request (targets are the control plane's), and an idle
            # backend must not make moto load its ELBv2/EC2 backends (see _worth_a_read).
            self._read_state, AlbSnapshot(), name="express-alb-state", retry_after=REFRESH_RETRY_SECONDS,
        )
        self._servers: dict[tuple[str, int], Listener] = {}
        self._servers_lock = threading.Lock()
        self._contexts: dict[tuple, ssl.SSLContext] = {}
        self._contexts_lock = threading.Lock()
        self._pools: dict[tuple[str, int], urllib3.HTTPConnectionPool] = {}
        self._round_robin: dict[str, itertools.count] = {}
        self._started = False
        self._polling = False

    # -- contract -----------------------------------------------------------------------------------------

    def start(self) -> None:
        # The background reader starts with the first name asked of this front, not here: its first ELBv2
        # call makes moto's ELBv2 and EC2 backends, whose default VPC draws IDs from the seeded random, and a
        # poll at a moment that depends on timing would shift every seeded ID after it (a backend where no
        # Express resource exists is never asked: the edge and App Runner's front answer their names first).
        self._started = True

    def _start_polling(self) -> None:
        with self._servers_lock:
            if self._polling:
                return
            self._polling = True
        self._tables.start()

    def stop(self) -> None:
        self._started = False
        self._tables.close()
        with self._servers_lock:
            servers, self._servers = list(self._servers.values()), {}
        for listener in servers:
            listener.stop()
        for pool in list(self._pools.values()):
            pool.close()

    def route(self, hostname: str, port: int) -> tuple[str, int] | None:
        """The loopback listener of the load balancer ``hostname`` leads to, on ``port`` (alb_state.py says
        which names lead where); None when no internet-facing load balancer has a listener there."""
        if not self._started:
            return None
        self._start_polling()
        name = normalise_host(hostname)
        alb = self._tables.value.by_name(name)
        # A name the snapshot does not know, or a load balancer it shows without a listener on this port
        # (the snapshot was read between CreateLoadBalancer and CreateListener), reads at once: the listener
        # a client has just seen in the API is reachable on its next connection.
        if (alb is None or port not in alb.listeners) and self._worth_a_read(name):
            self._note_region(name)
            alb = self._tables.at_least(time.monotonic()).by_name(name)
        if alb is None:
            return None
        server = self._servers.get((alb.arn, port))
        return server.address if server is not None else None

    # -- what the listeners ask ---------------------------------------------------------------------------

    def _worth_a_read(self, name: str) -> bool:
        """Whether an unknown name may lead to an ALB the last snapshot does not show: an ALB or Express
        name always; any other name (a custom domain in a host rule) only once some ALB exists. The first
        ELBv2 call makes moto's server import its ELBv2 and EC2 backends (seconds of CPU), which a backend
        that never sees an ALB should not pay, nor should every refused name in the proxy."""
        if name.endswith(FOREIGN_SUFFIXES):
            return False
        return name.endswith((ELB_SUFFIX, ON_AWS_SUFFIX)) or bool(self._tables.value.albs)

    def view(self, alb_arn: str, port: int) -> tuple[AlbView, ListenerView] | None:
        alb = self._tables.within(MAX_SNAPSHOT_AGE).by_arn(alb_arn)
        listener = alb.listeners.get(port) if alb is not None else None
        return (alb, listener) if listener is not None else None

    def pick_target(self, group_arn: str) -> tuple[str, int] | None:
        """Round robin over the group's healthy targets, or over all of them when none is healthy (fail
        open); None when the group has no registered target."""
        targets = self._tables.value.targets.get(group_arn, ())
        if not targets:
            return None
        healthy = [t for t in targets if t.state == HEALTHY] or list(targets)
        counter = self._round_robin.setdefault(group_arn, itertools.count())
        chosen = healthy[next(counter) % len(healthy)]
        return chosen.ip, chosen.port

    def pool(self, address: tuple[str, int]) -> urllib3.HTTPConnectionPool:
        pool = self._pools.get(address)
        if pool is None:
            pool = self._pools.setdefault(
                address, urllib3.HTTPConnectionPool(address[0], address[1], maxsize=POOL_SIZE, block=False)
            )
        return pool

    def tls_context(self, alb: AlbView, listener: ListenerView) -> ssl.SSLContext:
        """The context for a new connection: the listener's SslPolicy now, its default certificate, and an
        SNI callback choosing among its certificate list (ELB-ALB https-listener-certificates.html: the
        default certificate serves clients without SNI or without a matching certificate)."""
        certificates = listener.certificates or ((alb.dns_name,),)
        return self._context(listener.ssl_policy, certificates[0], certificates)

    def _context(self, policy: str, names: tuple[str, ...], choices: tuple[tuple[str, ...], ...]):
        key = (policy, names, choices)
        with self._contexts_lock:
            context = self._contexts.get(key)
        if context is not None:
            return context
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            ssl_policies.restrict_context(context, policy)
        except ssl_policies.UnknownPolicy:
            log.warning("unknown SslPolicy %r: refusing TLS on that listener", policy)
            context.minimum_version = context.maximum_version = ssl.TLSVersion.TLSv1_3
            context.set_ciphers("NULL")  # nothing a client can agree to
        self.ca.leaf(names).configure_cert(context)
        context.set_alpn_protocols(["http/1.1"])
        if len(choices) > 1:
            context.sni_callback = self._sni_chooser(policy, choices)
        with self._contexts_lock:
            return self._contexts.setdefault(key, context)

    def _sni_chooser(self, policy: str, choices: tuple[tuple[str, ...], ...]):
        def choose(connection, server_name, _context):
            if not server_name:
                return None
            name = normalise_host(server_name)
            for names in choices[1:]:
                if any(dns_name_matches(pattern, name) for pattern in names):
                    with contextlib.suppress(Exception):
                        connection.context = self._context(policy, names, (names,))
                    return None
            return None
        return choose

    # -- state --------------------------------------------------------------------------------------------

    def refresh(self) -> AlbSnapshot:
        """A snapshot read now (tests, and callers that must see a change at once)."""
        return self._tables.at_least(time.monotonic())

    def _read_state(self) -> AlbSnapshot:
        snapshot = self.state.snapshot()
        self._reconcile(snapshot)
        return snapshot

    def _reconcile(self, snapshot: AlbSnapshot) -> None:
        """Open a loopback listener per ALB listener, close those the API no longer shows."""
        wanted = {(alb.arn, port) for alb in snapshot.albs for port in alb.listeners}
        with self._servers_lock:
            current = dict(self._servers)
            for key in wanted - current.keys():
                server = AlbListenerServer((self.settings.host, 0), self, *key)
                listener = Listener(server, f"alb-{key[1]}")
                listener.start()
                current[key] = listener
            gone = [current.pop(key) for key in list(current) if key not in wanted]
            self._servers = current
        for listener in gone:
            threading.Thread(target=listener.stop, daemon=True, name="alb-listener-stop").start()

    def _note_region(self, name: str) -> None:
        region = region_of(name)
        regions = getattr(self.state, "regions", None)
        if region and regions is not None and region not in regions:
            self._tables.expire(lambda: regions.add(region))

    # -- helpers ------------------------------------------------------------------------------------------

    @property
    def state_reads(self) -> int:
        return self._tables.reads

    def listener_address(self, alb_arn: str, port: int) -> tuple[str, int] | None:
        """The loopback address standing for ``port`` of ``alb_arn`` (tests, diagnostics)."""
        server = self._servers.get((alb_arn, port))
        return server.address if server is not None else None
