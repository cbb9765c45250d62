"""The aws tier's dress rehearsal: the HOSTLAB_BACKEND=aws code paths, run against the local backend.

The aws-only branches of the tutorial (the account guard, the alias whose ACM certificate is validated
through a Route 53 record, tag-based cleanup before and after a run, AWS's waiter settings) cannot run
without an account. ``HOSTLAB_BACKEND=aws HOSTLAB_AWS_REHEARSAL=1`` runs them against the local backend
instead (`make rehearse-aws`, or `make test-aws REHEARSAL=1`):

  * the guard runs unchanged: it asks STS GetCallerIdentity, which the local endpoint answers with the local
    backend's account (moto's 123456789012). hostlab.aws_guard accepts that account only in a rehearsal,
    and only through loopback endpoints, so a rehearsal can never reach AWS;
  * waits use the aws delays and attempt counts (hostlab.waiters, hostlab.tutorial.resources) with every
    delay multiplied by HOSTLAB_AWS_REHEARSAL_WAIT_FACTOR (0.01 by default): a distribution's 45 minutes of
    patience (20 s x 135) become 27 s polled every 0.2 s, so the aws polling code runs, only faster;
  * the alias is the local one (www.hostlab-tutorial.example) and a Route 53 hosted zone for it is created
    in the local backend (HOSTLAB_ROUTE53_ZONE_ID), standing in for the zone a reader has in their account;
    notebook 04 then writes the ACM validation record there, and the cleanup removes it.

Imports nothing from hostlab.local at module level: hostlab.waiters and hostlab.aws_guard read
:func:`rehearsing` on the aws path too.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

REHEARSAL_ENV = "HOSTLAB_AWS_REHEARSAL"
WAIT_FACTOR_ENV = "HOSTLAB_AWS_REHEARSAL_WAIT_FACTOR"
# A running backend to rehearse on (its state folder), left running afterwards; by default a rehearsal
# starts a fresh backend in a temporary folder and stops it at the end.
HOME_ENV = "HOSTLAB_AWS_REHEARSAL_HOME"
# 0.01: AWS's poll delays (10 s for App Runner and invalidations, 20 s for distributions and certificates)
# become 0.1 s and 0.2 s, a few polls per local operation with the delays below.
DEFAULT_WAIT_FACTOR = 0.01
# How long the local backend's work lasts during a rehearsal (the HOSTLAB_* delays of hostlab.settings):
# a few of the scaled polls each, so every waiter sees the work in progress before it sees it done.
BACKEND_DELAYS = {
    "HOSTLAB_APPRUNNER_OPERATION_SECONDS": "0.3",
    "HOSTLAB_CLOUDFRONT_DEPLOY_SECONDS": "0.5",
    "HOSTLAB_ACM_VALIDATION_SECONDS": "0.5",
}
# CreateHostedZone's CallerReference prefix for the zone that stands in for the reader's (the local alias's
# parent domain); the zone is found by name first, so it is created once per backend.
ZONE_CALLER_REFERENCE = "hostlab-rehearsal-zone"


class RehearsalSettingError(ValueError):
    """A rehearsal variable has a value that means nothing."""


def _env(env: dict[str, str] | None) -> dict[str, str]:
    return os.environ if env is None else env  # type: ignore[return-value]


def rehearsing(env: dict[str, str] | None = None) -> bool:
    """True when HOSTLAB_BACKEND=aws and HOSTLAB_AWS_REHEARSAL=1: the aws code paths on the local backend."""
    env = _env(env)
    if env.get("HOSTLAB_BACKEND", "").strip().lower() != "aws":
        return False  # the local backend's own runs never read the variable
    raw = env.get(REHEARSAL_ENV, "").strip()
    if raw not in ("", "0", "1"):
        raise RehearsalSettingError(f"{REHEARSAL_ENV}={raw!r}: use 1 to rehearse the aws tier locally, or 0")
    return raw == "1"


def wait_factor(env: dict[str, str] | None = None) -> float:
    """The factor applied to AWS's poll delays during a rehearsal (0 < factor <= 1)."""
    raw = _env(env).get(WAIT_FACTOR_ENV, "").strip()
    if not raw:
        return DEFAULT_WAIT_FACTOR
    try:
        factor = float(raw)
    except ValueError:
        raise RehearsalSettingError(f"{WAIT_FACTOR_ENV}={raw!r} is not a number") from None
    if not 0 < factor <= 1:
        raise RehearsalSettingError(f"{WAIT_FACTOR_ENV}={raw!r} must be above 0 and at most 1")
    return factor


def scaled_delay(aws_delay: float, env: dict[str, str] | None = None) -> float:
    """AWS's poll delay shortened by the rehearsal's factor; attempt counts stay AWS's."""
    return aws_delay * wait_factor(env)


# ---------------------------------------------------------------------------------------------------------
# The hosted zone that stands in for the reader's
# ---------------------------------------------------------------------------------------------------------


def zone_name(alias: str) -> str:
    """The hosted zone of ``alias``: its parent domain, with Route 53's trailing dot."""
    parent = alias.split(".", 1)[1] if alias.count(".") >= 2 else alias
    return parent.rstrip(".") + "."


def ensure_zone(route53, alias: str) -> str:
    """The ID of the hosted zone for ``alias``, created if missing (ListHostedZonesByName, then
    CreateHostedZone); the bare ID, as HOSTLAB_ROUTE53_ZONE_ID takes it."""
    name = zone_name(alias)
    for zone in route53.list_hosted_zones_by_name(DNSName=name).get("HostedZones", []):
        if zone["Name"] == name:
            return zone["Id"].rsplit("/", 1)[-1]
    created = route53.create_hosted_zone(Name=name, CallerReference=f"{ZONE_CALLER_REFERENCE}-{name}")
    return created["HostedZone"]["Id"].rsplit("/", 1)[-1]


def added_records(route53, zone_id: str) -> list[dict]:
    """The record sets of the zone other than its own apex NS and SOA: what the tutorial wrote there."""
    name = route53.get_hosted_zone(Id=zone_id)["HostedZone"]["Name"]
    found = []
    for page in route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id):
        for record in page["ResourceRecordSets"]:
            if not (record["Name"] == name and record["Type"] in ("NS", "SOA")):
                found.append(record)
    return found


# ---------------------------------------------------------------------------------------------------------
# Pointing this process at the rehearsal's backend
# ---------------------------------------------------------------------------------------------------------


def point_here(state) -> dict[str, str]:
    """Prepare os.environ for a rehearsal on the running local backend ``state``: the variables `hostlab
    env` prints, the local account as HOSTLAB_AWS_ACCOUNT, the local alias and its hosted zone. Returns what
    it set. The guard still checks all of it through STS (hostlab.aws_guard.ensure_sandbox)."""
    import boto3

    from hostlab.local import lifecycle
    from hostlab.settings import DEFAULT_ACCOUNT_ID
    from hostlab.tutorial.resources import ALIAS_ENV, LOCAL_ALIAS, ZONE_ENV

    env = {**lifecycle.client_env(state), "HOSTLAB_AWS_ACCOUNT": DEFAULT_ACCOUNT_ID, ALIAS_ENV: LOCAL_ALIAS}
    os.environ.update(env)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):  # the fake keys above must be the credentials used
        os.environ.pop(name, None)
    route53 = boto3.client("route53", endpoint_url=state.api_url)
    env[ZONE_ENV] = os.environ[ZONE_ENV] = ensure_zone(route53, LOCAL_ALIAS)
    return env


def connect_local():
    """For hostlab.connect() in a rehearsal: start or find the local backend named by the environment and
    point this process at it. Returns its State."""
    from hostlab.local import lifecycle
    from hostlab.settings import Settings

    state = lifecycle.up(Settings.from_env())
    point_here(state)
    return state


@contextlib.contextmanager
def rehearsal_backend() -> Iterator[dict[str, str]]:
    """The backend of one rehearsal run (`make rehearse-aws`), with os.environ prepared for it.

    By default a fresh backend in a temporary state folder (free ports, seeded IDs, BACKEND_DELAYS), so
    the notebooks' saved outputs apply, stopped and removed at the end. With HOSTLAB_AWS_REHEARSAL_HOME set,
    the backend of that state folder (started with the same settings if it is not running), left running:
    the interrupted-rehearsal test reads it afterwards. os.environ is restored on exit.
    """
    from hostlab.local import lifecycle
    from hostlab.settings import Settings

    saved = dict(os.environ)
    given = os.environ.get(HOME_ENV, "").strip()
    home = Path(given) if given else Path(tempfile.mkdtemp(prefix="hostlab-rehearsal-")) / "backend"
    os.environ.update(
        {"HOSTLAB_HOME": str(home), "HOSTLAB_PORT": "0", "HOSTLAB_PROXY_PORT": "0", **BACKEND_DELAYS}
    )
    settings = Settings.from_env()
    try:
        yield point_here(lifecycle.up(settings, note=lambda _message: None))
    finally:
        try:
            if not given:
                lifecycle.down(settings, note=lambda _message: None)
        finally:
            os.environ.clear()
            os.environ.update(saved)
            if not given:
                shutil.rmtree(home.parent, ignore_errors=True)
