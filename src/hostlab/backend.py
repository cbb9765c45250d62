"""Which backend the tutorial talks to, and preparing this process for it: :func:`connect`.

HOSTLAB_BACKEND chooses:
  local (default)  the offline backend of this project; connect() starts it if needed (saying so: a new
                   backend is empty) and points this process's environment at it (AWS_ENDPOINT_URL, proxy,
                   CA bundle, fake credentials). Each checkout has its own (hostlab.settings). If that
                   backend goes away later, the error says so in one line (hostlab.local.gone).
  aws              a real sandbox account; connect() only checks, through hostlab.aws_guard, that the
                   credentials in use belong to HOSTLAB_AWS_ACCOUNT, and changes no endpoint.
  aws + HOSTLAB_AWS_REHEARSAL=1
                   the aws code paths rehearsed on the local backend (hostlab.tutorial.rehearsal): connect()
                   points
                   this process at the local backend, then runs the same guard, which accepts the local
                   account only then.

Nothing under hostlab.local is imported on the aws path, except in a rehearsal.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

BACKENDS = ("local", "aws")
# connect()'s second line when it started the local backend (its first line never changes).
STARTED_EMPTY = (
    "started a new local backend; it is empty (resources live only as long as the backend that made "
    "them), so the tutorial starts at notebooks/01-create-service.ipynb"
)


class BackendChoiceError(ValueError):
    """HOSTLAB_BACKEND names no backend."""


@dataclass(frozen=True)
class Backend:
    """The backend in use, as connect() found it."""

    name: str  # "local" or "aws"
    region: str
    account: str
    endpoint: str | None  # the AWS API endpoint for local; None for aws (the SDK's own endpoints)


def chosen_backend(env: dict[str, str] | None = None) -> str:
    raw = (os.environ if env is None else env).get("HOSTLAB_BACKEND", "")
    name = raw.strip().lower() or "local"
    if name not in BACKENDS:
        raise BackendChoiceError(
            f"HOSTLAB_BACKEND={raw!r} is not a backend: use 'local' (the default, offline) "
            f"or 'aws' (a sandbox account named by HOSTLAB_AWS_ACCOUNT)"
        )
    return name


def _connect_local() -> Backend:
    from hostlab.local import gone, lifecycle
    from hostlab.settings import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, Settings

    state, started = lifecycle.ensure_running(Settings.from_env())
    os.environ.update(lifecycle.client_env(state))
    # No port, pid or path: the line is the same on every run (tests use random ports), so a notebook's
    # saved output stays valid. `hostlab status` shows where the backend runs.
    print(f"hostlab: local backend (region {DEFAULT_REGION}, seed {state.seed})")
    if started:
        # A backend keeps its resources in memory only: one started here has none of an earlier run's.
        print(f"hostlab: {STARTED_EMPTY}")
    # From now on, an error caused by this backend going away says so (hostlab.local.gone).
    gone.install(state)
    return Backend("local", DEFAULT_REGION, DEFAULT_ACCOUNT_ID, state.api_url)


def _connect_aws() -> Backend:
    from hostlab import aws_guard
    from hostlab.tutorial import rehearsal

    endpoint = None
    if rehearsal.rehearsing():
        endpoint = rehearsal.connect_local().api_url
    account, region = aws_guard.ensure_sandbox()
    where = ", rehearsal on the local backend" if endpoint else ""
    print(f"hostlab: aws backend (account {aws_guard.masked(account)}, region {region}{where})")
    return Backend("aws", region, account, endpoint)


def connect() -> Backend:
    """Make this process ready for the chosen backend, print one line saying which, and describe it."""
    if chosen_backend() == "aws":
        return _connect_aws()
    return _connect_local()
