"""Shared fixtures: fake credentials (never real ones) and one real local backend for the whole test session.

The backend is started the way a reader starts it (hostlab.local.lifecycle.up: a detached server process),
in a temporary HOSTLAB_HOME with free ports (HOSTLAB_PORT=0, HOSTLAB_PROXY_PORT=0) and short App Runner and
CloudFront delays, and it is stopped at the end of the run (pytest_unconfigure), also when tests fail.

The session's HOSTLAB_* variables are put into os.environ at configure time, so anything that starts a
backend during the run (connect() in a notebook run by nbval, whose kernel inherits this environment) uses
that same temporary folder and is stopped with it; a backend the reader runs is never touched.

Fixtures: ``backend`` (its State), ``client_env`` (the variables `hostlab env` prints, for tests that run
requests/curl/openssl), ``api_url``, ``make_client``, ``apprunner``, ``cloudfront``, ``account`` (a CloudFront
client in an account of its own), ``proxied`` (a requests session through the backend's proxy), ``hold``
(keeps the backend's work in progress while a test looks at it: tests/progress_support.py).
"""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config
from cloudfront_support import client_in_account, new_account_id
from progress_support import Hold

from hostlab.local import warm_start
from hostlab.local.lifecycle import backend_process_env
from hostlab.local.server import GC_THRESHOLDS
from hostlab.settings import DEFAULT_REGION, FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, Settings

# Short delays so waiting code is exercised without slowing the suite down.
TEST_OPERATION_SECONDS = 0.4
TEST_DEPLOY_SECONDS = 0.4
# Long enough that a test can use a just-requested certificate while it is still PENDING_VALIDATION.
TEST_ACM_VALIDATION_SECONDS = 10.0

_session_dir: Path | None = None


def session_backend_env(home: Path) -> dict[str, str]:
    """The HOSTLAB_* variables of the test session's backend."""
    return {
        "HOSTLAB_HOME": str(home),
        "HOSTLAB_PORT": "0",
        "HOSTLAB_PROXY_PORT": "0",
        "HOSTLAB_APPRUNNER_OPERATION_SECONDS": str(TEST_OPERATION_SECONDS),
        "HOSTLAB_CLOUDFRONT_DEPLOY_SECONDS": str(TEST_DEPLOY_SECONDS),
        "HOSTLAB_ACM_VALIDATION_SECONDS": str(TEST_ACM_VALIDATION_SECONDS),
        "HOSTLAB_EXPRESS_OPERATION_SECONDS": str(TEST_OPERATION_SECONDS),
    }


# The collector in each test process (Python docs, gc module). Collecting imports most of the project and its
# dependencies (moto, botocore, pandas, matplotlib): objects that live for the whole run, which every full
# collection walked again (measured with gc.callbacks: 15 of the 70 CPU-s the four xdist workers used).
# The backend's thresholds (hostlab.local.server.GC_THRESHOLDS, same reasons) while the run lasts, and
# what collection made is frozen out of the collector's reach (gc.freeze); cycles the tests make are still
# collected.


# One warm starter for the whole run (hostlab.local.warm_start): the test session starts about fifty backends
# (each xdist worker's, and those of the tests of `hostlab up`, `hostlab check`, the scripts and the
# rehearsal), and a backend forked from a process that has imported the backend's code once costs about a
# third of the CPU of one that imports it all (benchmarks/bench_warm_start.py). Started by the first pytest
# process (the xdist controller), named by HOSTLAB_WARM_STARTER to every process the run starts; a request
# it refuses (other code, another environment) is spawned as always, and tests of that way unset the variable.
# Linux only: on macOS a forked child may not initialise Objective-C classes its parent left half-done (the
# reason Python's multiprocessing spawns there by default), so the suite spawns every backend there.
_warm_starter: subprocess.Popen | None = None


def pytest_configure(config):
    global _session_dir, _warm_starter
    gc.set_threshold(*GC_THRESHOLDS)
    _session_dir = Path(tempfile.mkdtemp(prefix="hostlab-tests-"))
    os.environ.update(session_backend_env(_session_dir / "backend"))
    if sys.platform == "linux" and not os.environ.get(warm_start.STARTER_VARIABLE):
        socket_path = warm_start.new_socket_path()
        try:
            _warm_starter = warm_start.start(socket_path, backend_process_env(os.environ))
        except (OSError, RuntimeError) as exc:  # e.g. a TMPDIR too long for a Unix socket's name: spawn all
            warnings.warn(f"no warm starter, every backend is spawned: {exc}", stacklevel=1)
        else:
            os.environ[warm_start.STARTER_VARIABLE] = str(socket_path)


def pytest_collection_finish(session):
    gc.freeze()


def pytest_unconfigure(config):
    if _session_dir is None:
        return
    from hostlab.local import lifecycle

    try:
        lifecycle.down(Settings.from_env(session_backend_env(_session_dir / "backend")), note=lambda _: None)
    finally:
        if _warm_starter is not None:
            warm_start.stop(_warm_starter)
            socket_path = Path(os.environ.pop(warm_start.STARTER_VARIABLE))
            shutil.rmtree(socket_path.parent, ignore_errors=True)
        shutil.rmtree(_session_dir, ignore_errors=True)


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch):
    """Like moto's own tests: no test can ever reach a real account with real keys."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET_ACCESS_KEY)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", DEFAULT_REGION)


@pytest.fixture(scope="session")
def backend():
    """The session's running backend (hostlab.local.state.State); started once, stopped at the end."""
    from hostlab.local import lifecycle

    assert _session_dir is not None
    settings = Settings.from_env(session_backend_env(_session_dir / "backend"))
    return lifecycle.up(settings)


@pytest.fixture(scope="session")
def client_env(backend) -> dict[str, str]:
    """The variables a client needs (AWS_ENDPOINT_URL, HTTPS_PROXY, CA bundle...), as `hostlab env` prints
    them. Use ``{**os.environ, **client_env}`` for a subprocess, or monkeypatch them in."""
    from hostlab.local import lifecycle

    return lifecycle.client_env(backend)


@pytest.fixture(scope="session")
def api_url(backend) -> str:
    return backend.api_url


@pytest.fixture(scope="session")
def make_client(api_url):
    def make(service: str, region: str = DEFAULT_REGION, **credentials):
        creds = {
            "aws_access_key_id": FAKE_ACCESS_KEY_ID,
            "aws_secret_access_key": FAKE_SECRET_ACCESS_KEY,
            **credentials,
        }
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=api_url,
            config=Config(retries={"max_attempts": 1}),
            **creds,
        )

    return make


@pytest.fixture
def apprunner(make_client):
    return make_client("apprunner")


@pytest.fixture
def cloudfront(make_client):
    return make_client("cloudfront")


@pytest.fixture
def account(make_client):
    """A CloudFront client in an account no other test uses (tests/cloudfront_support.py says why)."""
    return client_in_account(make_client, new_account_id())


@pytest.fixture
def hold(api_url):
    """A progress_support.Hold on the session backend; whatever is still held is released after the test."""
    holder = Hold(api_url)
    yield holder
    holder.close()


@pytest.fixture
def proxied(client_env):
    """A requests session reaching the backend as a reader's prepared shell does: through its CONNECT proxy,
    trusting its CA, and deaf to any proxy or CA bundle the environment names."""
    session = requests.Session()
    session.trust_env = False
    session.proxies = {"https": client_env["HTTPS_PROXY"], "http": client_env["HTTP_PROXY"]}
    session.verify = client_env["REQUESTS_CA_BUNDLE"]
    yield session
    session.close()
