"""Client side of the local backend: start it (up), stop it (down), say how it is (status), and the
environment variables a client needs to use it (client_env).

The backend is a detached process (hostlab.local.server) so that AWS state survives from one notebook to the
next. Everything about one backend lives in its state folder (see hostlab.settings for the layout, and for
the rule that gives each checkout its own folder and free ports); the server runs the caller's own code.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from hostlab.checkout import checkout_root, package_dir
from hostlab.local import procs, warm_start
from hostlab.local.ports import PORT_VARIABLES, check_port_free, require_loopback
from hostlab.local.state import State, read_state
from hostlab.settings import (
    DEFAULT_REGION,
    FAKE_ACCESS_KEY_ID,
    FAKE_SECRET_ACCESS_KEY,
    Settings,
    default_home,
)

# `up` creates the state folder and leaves this file in it; `down` deletes the whole folder only when the
# file is there, so a HOSTLAB_HOME pointed at a folder with other content never loses that content.
HOME_MARKER = ".created-by-hostlab"
# Entries of the state folder that `down` removes even from a folder it did not create.
RUNTIME_ENTRIES = ("state.json", "server.pid", "lock", "server.log", "ca", "apps", HOME_MARKER)
# Seconds between SIGTERM and SIGKILL in `down`: the server stops its listeners and the demo apps first.
STOP_GRACE_SECONDS = 10.0
# Seconds to wait for one HTTP answer from the API endpoint when checking that a backend is alive.
ANSWER_TIMEOUT_SECONDS = 2.0
# Lines of server.log shown when the backend died or did not start.
LOG_TAIL_LINES = 25
# Loopback stays direct: the AWS API endpoint is reached without a proxy, whatever the client library (the
# clients' environment, the server's own, and the SDK inside the server all use it).
NO_PROXY = "127.0.0.1,localhost"

Note = Callable[[str], None]


def _stderr_note(message: str) -> None:
    print(f"hostlab: {message}", file=sys.stderr)


class BackendError(RuntimeError):
    """The local backend could not be started, reached or stopped; the message says why and what to do."""


class BackendDiedError(BackendError):
    pass


class StartTimeoutError(BackendError):
    pass


class NotRunningError(BackendError):
    pass


# ---------------------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------------------

# Straight to the endpoint: a proxy in the caller's environment (even our own HTTPS_PROXY) must not be used.
_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def answers(api_url: str, timeout: float = ANSWER_TIMEOUT_SECONDS) -> bool:
    """True when the AWS API endpoint answers like moto's server does (its /moto-api/config JSON)."""
    try:
        with _DIRECT.open(f"{api_url}/moto-api/config", timeout=timeout) as response:
            return response.status < 300 and isinstance(json.loads(response.read()), dict)
    except (OSError, ValueError):
        return False


def answers_soon(api_url: str, attempts: int = 3) -> bool:
    """answers(), given a few chances: a backend busy on 2 cores may miss one 2-second window, and calling
    a running backend dead would be worse than a short wait."""
    return any(answers(api_url) for _ in range(attempts))


def _read_pid(settings: Settings) -> int | None:
    try:
        return int(settings.pid_file.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None


def log_tail(settings: Settings, lines: int = LOG_TAIL_LINES) -> str:
    try:
        text = settings.log_file.read_text(errors="replace")
    except FileNotFoundError:
        return "(no server.log)"
    return "\n".join(text.rstrip().splitlines()[-lines:]) or "(server.log is empty)"


# ---------------------------------------------------------------------------------------------------------
# The lock: one `up` or `down` at a time per state folder
# ---------------------------------------------------------------------------------------------------------


def _ensure_home(settings: Settings) -> None:
    if not settings.home.exists():
        settings.home.mkdir(parents=True, exist_ok=True)
        (settings.home / HOME_MARKER).touch()


@contextlib.contextmanager
def _locked(settings: Settings, timeout: float) -> Iterator[None]:
    """Hold an exclusive flock on the state folder's lock file.

    `down` deletes the lock file while holding it; a waiter that then gets the lock holds a deleted file, so
    it checks that its descriptor is still the file at that path, and retries on a fresh one if not.
    """
    deadline = time.monotonic() + timeout
    while True:
        _ensure_home(settings)
        fd = os.open(settings.lock_file, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise BackendError(
                            f"another `hostlab up` or `hostlab down` holds {settings.lock_file} "
                            f"for more than {timeout:.0f} s; try again, or check `hostlab status`"
                        ) from None
                    time.sleep(0.05)
            try:
                same_file = os.fstat(fd).st_ino == os.stat(settings.lock_file).st_ino
            except FileNotFoundError:
                same_file = False
            if same_file:
                yield
                return
        finally:
            os.close(fd)


# ---------------------------------------------------------------------------------------------------------
# up / down / status
# ---------------------------------------------------------------------------------------------------------


def _clear_runtime_files(settings: Settings) -> None:
    for path in (settings.state_file, settings.pid_file):
        path.unlink(missing_ok=True)


def _note_differences(state: State, settings: Settings, note: Note) -> None:
    """Say when the running backend was started with other settings, or runs other code, than the caller's.

    Other code happens only when HOSTLAB_HOME names a folder that another checkout's backend runs in (each
    checkout has its own by default): the reader then uses that checkout's code without knowing it.
    """
    if state.code and Path(state.code) != package_dir():
        where = f"checkout {state.checkout}" if state.checkout else state.code
        note(
            f"the backend in {settings.home} runs the code of {where}, not this one ({package_dir()}); "
            "`hostlab down` and `hostlab up` to run this code, or unset HOSTLAB_HOME to use this checkout's "
            "own backend"
        )
    asked = settings.to_env()
    ignored = {"HOSTLAB_HOME", "HOSTLAB_START_TIMEOUT"}  # client-side only
    for name, value in sorted(asked.items()):
        running = state.settings.get(name)
        if name not in ignored and running is not None and running != value:
            note(f"the running backend has {name}={running} (asked: {value}); `hostlab down` to change it")


def _check_ports(settings: Settings) -> None:
    require_loopback(settings.host)
    check_port_free(settings.host, settings.api_port, PORT_VARIABLES["api"])
    check_port_free(settings.host, settings.proxy_port, PORT_VARIABLES["proxy"])


def _server_env(settings: Settings) -> dict[str, str]:
    return backend_process_env({**os.environ, **settings.to_env()})


def backend_process_env(base: Mapping[str, str]) -> dict[str, str]:
    """The environment of a backend process (or of a warm starter) made from ``base``."""
    env = dict(base)
    # The server talks to its own endpoints on loopback only: no proxy of the caller's shell may sit between.
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY"):
        env.pop(name, None)
        env.pop(name.lower(), None)
    env["NO_PROXY"] = env["no_proxy"] = NO_PROXY
    if checkout_root() is not None:
        # The server imports the same hostlab as its caller, even when the venv's own install (an editable
        # install of another clone, say) would find another copy first: PYTHONPATH comes before site-packages.
        # Only for a checkout's src/ folder: site-packages on PYTHONPATH would go before the standard library.
        own = str(package_dir().parent)
        others = [entry for entry in env.get("PYTHONPATH", "").split(os.pathsep) if entry and entry != own]
        env["PYTHONPATH"] = os.pathsep.join([own, *others])
    return env


def _spawn(settings: Settings) -> subprocess.Popen | warm_start.StartedServer:
    """Start the server detached from the caller.

    stdin from /dev/null and stdout/stderr to server.log: the server never holds the caller's terminal or
    pipes, so a CI step (or `$(hostlab up)`) that waits for its output to close is not kept waiting.
    A new session: no terminal signal (Ctrl-C in the shell) reaches it, and its process group is its own.
    With HOSTLAB_WARM_STARTER set (the test suite), a warm starter forks it with the same arrangements
    (hostlab.local.warm_start); when that one is gone or refuses, it is spawned as always.
    """
    env = _server_env(settings)
    with open(settings.log_file, "wb") as log:  # truncated: the tail shown on failure is about this start
        proc = warm_start.request(env, settings.home, settings.log_file) or subprocess.Popen(
            [sys.executable, "-m", procs.SERVER_MODULE],
            cwd=settings.home,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            close_fds=True,
        )
    procs.remember_child(proc)
    return proc


def _wait_ready(settings: Settings, proc: subprocess.Popen | warm_start.StartedServer) -> State:
    """Wait for the spawned server's state.json. A start that fails, times out or is interrupted (Ctrl-C in
    `hostlab up`, which never reaches the server: it has a session of its own) leaves no server behind."""
    try:
        deadline = time.monotonic() + settings.start_timeout
        while time.monotonic() < deadline:
            code = proc.poll()
            if code is not None:
                raise BackendDiedError(
                    f"the backend exited with code {code} while starting. End of {settings.log_file}:\n"
                    f"{log_tail(settings)}"
                )
            state = read_state(settings.state_file)
            if state is not None and state.pid == proc.pid and answers(state.api_url):
                return state
            time.sleep(0.05)
        raise StartTimeoutError(
            f"the backend did not answer within {settings.start_timeout:.0f} s (HOSTLAB_START_TIMEOUT) and "
            f"was stopped. End of {settings.log_file}:\n{log_tail(settings)}"
        )
    except BaseException:
        procs.stop_tree(proc.pid, grace=STOP_GRACE_SECONDS)
        _clear_runtime_files(settings)
        raise


def up(settings: Settings, note: Note = _stderr_note) -> State:
    """Start the backend unless it already runs, wait until it answers, and return its state."""
    return ensure_running(settings, note)[0]


def ensure_running(settings: Settings, note: Note = _stderr_note) -> tuple[State, bool]:
    """Like up(); also says whether this call started the backend (True) or found it running (False)."""
    with _locked(settings, timeout=settings.start_timeout + STOP_GRACE_SECONDS):
        state = read_state(settings.state_file)
        if state is not None and procs.is_hostlab_server(state.pid):
            if answers_soon(state.api_url):
                _note_differences(state, settings, note)
                return state, False
            raise BackendError(
                f"the backend (pid {state.pid}) runs but does not answer at {state.api_url}; "
                f"`hostlab down` stops it. End of {settings.log_file}:\n{log_tail(settings)}"
            )
        pid = _read_pid(settings)
        if pid is not None and procs.is_hostlab_server(pid):
            # A server without state.json that no `up` is waiting for (we hold the lock): started by hand,
            # or stuck while starting. Not ours to guess about.
            raise BackendError(
                f"a backend process (pid {pid}) runs in {settings.home} but never became ready; "
                f"`hostlab down` stops it. End of {settings.log_file}:\n{log_tail(settings)}"
            )
        if pid is not None or state is not None:
            gone = pid if pid is not None else state.pid  # type: ignore[union-attr]
            note(f"removed a stale pid file: the backend (pid {gone}) is gone, probably killed or rebooted")
            _clear_runtime_files(settings)
        _check_ports(settings)
        return _wait_ready(settings, _spawn(settings)), True


def down(settings: Settings, note: Note = _stderr_note) -> bool:
    """Stop the backend and remove its state folder. Idempotent: returns False when nothing was running."""
    if not settings.home.exists():
        return False
    stopped = False
    with _locked(settings, timeout=settings.start_timeout + STOP_GRACE_SECONDS):
        state = read_state(settings.state_file)
        pids = {_read_pid(settings), state.pid if state else None} - {None}
        for pid in sorted(pids):  # type: ignore[type-var]
            if procs.is_hostlab_server(pid):
                stopped = procs.stop_tree(pid, grace=STOP_GRACE_SECONDS) or stopped
                if procs.is_running(pid):
                    raise BackendError(f"the backend (pid {pid}) did not stop, even after SIGKILL")
        _remove_home(settings)
    if stopped:
        note(f"stopped the local backend and removed {settings.home}")
    return stopped


def _remove_home(settings: Settings) -> None:
    home = settings.home
    if (home / HOME_MARKER).exists():
        shutil.rmtree(home, ignore_errors=True)
        return
    for name in RUNTIME_ENTRIES:
        path = home / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        home.rmdir()  # only when empty


@dataclass(frozen=True)
class Status:
    running: bool
    home: Path
    state: State | None
    detail: str  # one line for humans when not running (or not answering)


def status(settings: Settings) -> Status:
    """Whether the backend runs, and where and since when (from its state)."""
    state = read_state(settings.state_file)
    if state is not None and procs.is_hostlab_server(state.pid):
        if answers_soon(state.api_url):
            return Status(True, settings.home, state, "")
        detail = f"pid {state.pid} runs but does not answer; `hostlab down` stops it"
        return Status(False, settings.home, state, detail)
    pid = _read_pid(settings)
    if pid is not None and procs.is_hostlab_server(pid):
        return Status(False, settings.home, None, f"pid {pid} is starting (or stuck starting)")
    if pid is not None or state is not None:
        detail = "stale pid file: the backend is gone; `hostlab up` cleans it"
        return Status(False, settings.home, None, detail)
    return Status(False, settings.home, None, "no backend recorded here")


def current(settings: Settings) -> State:
    """The running backend's state, or NotRunningError saying how to start one."""
    found = status(settings)
    if not found.running or found.state is None:
        raise NotRunningError(
            f"no local backend answers in {settings.home} ({found.detail}). Start one: eval \"$(hostlab up)\""
        )
    return found.state


# ---------------------------------------------------------------------------------------------------------
# What a client needs
# ---------------------------------------------------------------------------------------------------------


def client_env(state: State) -> dict[str, str]:
    """The environment variables that point AWS SDKs, requests, curl and openssl at this backend.

    - AWS_ENDPOINT_URL: every SDK service client goes to the local endpoint
      (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html).
    - Fake credentials (the ones moto documents), so no real key is ever sent anywhere by mistake.
    - Region: always us-east-1, even when the shell had another one. The notebooks' expected outputs contain
      the region (ARNs, ServiceUrl), CloudFront's control plane lives there, and a backend is a sandbox of
      its own. botocore reads AWS_DEFAULT_REGION; other SDKs and the AWS CLI v2 read AWS_REGION: both set.
    - Proxies: HTTPS_PROXY for https:// names, HTTP_PROXY for http:// (App Runner's 301 to https). curl reads
      http_proxy in lower case only (https://everything.curl.dev/usingcurl/proxies/env), so both cases are
      set. NO_PROXY keeps the API endpoint direct.
    - CA bundle: the local CA plus the public roots, for requests, OpenSSL-based tools and curl.
    - HOSTLAB_HOME, only when the backend's state folder is not the default one of this code's checkout
      (hostlab.settings): child processes then find the same backend. The default one is left out, so a shell
      prepared in one clone never points `hostlab down` in another clone at the first clone's backend; child
      processes of the same checkout find it by the same rule anyway.
    """
    proxy = state.proxy_url
    env = {
        "AWS_ENDPOINT_URL": state.api_url,
        "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY_ID,
        "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_ACCESS_KEY,
        "AWS_DEFAULT_REGION": DEFAULT_REGION,
        "AWS_REGION": DEFAULT_REGION,
        "HTTPS_PROXY": proxy,
        "https_proxy": proxy,
        "HTTP_PROXY": proxy,
        "http_proxy": proxy,
        "NO_PROXY": NO_PROXY,
        "no_proxy": NO_PROXY,
        "REQUESTS_CA_BUNDLE": state.ca_bundle,
        "SSL_CERT_FILE": state.ca_bundle,
        "CURL_CA_BUNDLE": state.ca_bundle,
    }
    if Path(state.home) != default_home().resolve():
        env["HOSTLAB_HOME"] = state.home
    return env
