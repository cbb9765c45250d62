"""A private local backend for one check run: its own temporary state folder and free ports, the fastest
deployment delays the settings allow, stopped and removed at the end whatever happens (an error, Ctrl-C).

It never touches the checkout's own backend (the tutorial's, in <checkout>/.hostlab/) nor the caller's
environment: check() is also a Python API, so clients are built with an explicit endpoint, credentials, CA
bundle and proxies instead of os.environ.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import requests
from botocore.config import Config

from hostlab.local import lifecycle
from hostlab.local.state import State
from hostlab.settings import DEFAULT_REGION, FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, Settings
from hostlab.tls_trust import BundleParsedOnce

# The smallest delays Settings accepts (_float: "must not be negative"): 0 s for App Runner operations,
# Express operations and ACM validation. The waits still go through the states (OPERATION_IN_PROGRESS ->
# RUNNING, InProgress -> Deployed), only without sleeping. CloudFront deployments take 50 ms: the edge
# re-reads the whole configuration for any request that finds its snapshot older than 0.9 x this delay
# (dataplane/edge/config.py), so 0 s would make every probe pay for a read of every distribution, policy
# and function (measured: a quarter of the backend's CPU over the fixture suite), while 50 ms lets a
# behaviour's probes share reads and adds about that much to each deployment wait.
FAST = {
    "HOSTLAB_APPRUNNER_OPERATION_SECONDS": "0",
    "HOSTLAB_CLOUDFRONT_DEPLOY_SECONDS": "0.05",
    "HOSTLAB_ACM_VALIDATION_SECONDS": "0",
    "HOSTLAB_EXPRESS_OPERATION_SECONDS": "0",
}
# One load balancer per Express service (AWS shares one among up to 25): each stand-in's listener and
# security group are then its own to change (an ALB stand-in's default action, a restricted ingress).
OWN_ALB = {"HOSTLAB_EXPRESS_SERVICES_PER_ALB": "1"}
# The caller's HOSTLAB_* assumptions (TLS versions, calibration file, ...) carry over; these do not: the
# private backend has its own folder, free ports and delays.
PRIVATE = ("HOSTLAB_HOME", "HOSTLAB_PORT", "HOSTLAB_PROXY_PORT", *FAST, *OWN_ALB)
# Seconds a probe may wait for one answer. Far above any answer of the local backend; only a bound.
PROBE_TIMEOUT = 15.0


def private_settings(home: Path, env: dict[str, str] | None = None) -> Settings:
    """Settings of a private backend in ``home``: the caller's HOSTLAB_* assumptions, our folder, free ports
    and the fastest delays. ``env`` defaults to os.environ, read and never changed."""
    source = os.environ if env is None else env
    chosen = {k: v for k, v in source.items() if k.startswith("HOSTLAB_") and k not in PRIVATE}
    chosen.update(
        {"HOSTLAB_HOME": str(home), "HOSTLAB_PORT": "0", "HOSTLAB_PROXY_PORT": "0", **FAST, **OWN_ALB}
    )
    return Settings.from_env(chosen)


@dataclass
class PrivateBackend:
    """A running private backend and the ways to talk to it."""

    state: State
    settings: Settings
    session: requests.Session  # through the backend's CONNECT proxy, trusting its CA; deaf to the environment
    # Numbers for the names of what the checker creates here, unique for the backend's life (a kept backend
    # serves several runs).
    numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def new_session(self) -> requests.Session:
        """Another session like ``session`` (one per thread)."""
        return _session_through(self.state)

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            region_name=DEFAULT_REGION,
            endpoint_url=self.state.api_url,
            aws_access_key_id=FAKE_ACCESS_KEY_ID,
            aws_secret_access_key=FAKE_SECRET_ACCESS_KEY,
            verify=self.state.ca_bundle,
            # proxies={}: botocore then ignores HTTPS_PROXY of the caller's environment (endpoint.py uses the
            # environment's proxies only when none are given); the API endpoint is on loopback.
            config=Config(proxies={}, retries={"max_attempts": 1}),
        )

    def proxy_address(self) -> tuple[str, int]:
        host, port = self.state.proxy_url.split("://", 1)[-1].rsplit(":", 1)
        return host, int(port.rstrip("/"))

    def origin_failure(self, request_id: str) -> str | None:
        """The kind of origin failure (hostlab.local.dataplane.edge.origin.OriginFailure.kind: dns, connect,
        tls_handshake, ...) the edge logged for this X-Amz-Cf-Id, or None. The edge logs
        "origin <domain> failed for <method> <target> [<request id>]: <kind>: <detail>" to server.log."""
        try:
            text = self.settings.log_file.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return None
        found = re.search(r"\[" + re.escape(request_id) + r"\]: ([a-z_]+): ", text)
        return found.group(1) if found else None


def _session_through(state: State) -> requests.Session:
    """A requests session through the backend's CONNECT proxy, trusting its CA, deaf to the environment."""
    session = requests.Session()
    # The CA bundle parsed once, not once per connection (each probed distribution is a new host, hence a
    # new connection pool); the same certificate checks (hostlab.tls_trust).
    session.mount("https://", BundleParsedOnce())
    session.trust_env = False  # no proxy, CA bundle or .netrc of the caller's environment
    session.proxies = {"https": state.proxy_url, "http": state.proxy_url}
    session.verify = state.ca_bundle
    return session


@contextlib.contextmanager
def private_backend(env: dict[str, str] | None = None) -> Iterator[PrivateBackend]:
    """Start a private backend; stop it and remove its folder on the way out, even after an error or
    KeyboardInterrupt (lifecycle.up itself stops a server that fails or is interrupted while starting)."""
    folder = Path(tempfile.mkdtemp(prefix="hostlab-check-"))
    settings = private_settings(folder / "backend", env)
    session: requests.Session | None = None
    try:
        state = lifecycle.up(settings, note=lambda _: None)
        session = _session_through(state)
        yield PrivateBackend(state, settings, session)
    finally:
        if session is not None:
            session.close()
        try:
            lifecycle.down(settings, note=lambda _: None)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
