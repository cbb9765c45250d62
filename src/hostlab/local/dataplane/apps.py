"""Demo-app processes: the local stand-in for a platform's containers (App Runner's so far).

There is no container runtime here, so each deployment of a RUNNING service is a real HTTP server process
on loopback running the tutorial's demo app:

* Command: when the service's StartCommand is the demo app's (hostlab.app.START_COMMAND) it is run as is,
  with the local Python interpreter in place of ``python3``, so the code that executes is the code the
  notebook sent in the service's environment variables. Any other image or command cannot run without a
  container runtime; the bundled demo_app.py runs instead, with the same environment (logged).
* Environment: the service's RuntimeEnvironmentVariables, its RuntimeEnvironmentSecrets resolved through the
  local API, and PORT = ImageConfiguration.Port (the service's own variables win, as an app on App Runner
  listening on another port would be unreachable there too). Nothing from the server's own environment is
  inherited but PATH, so no credentials leak into an app.
* Address: every deployment gets its own loopback address 127.a.b.c (Linux routes all of 127.0.0.0/8 to
  the loopback interface), so services keep their configured port and never clash, and an update can start
  the new deployment before the old one stops. Where only 127.0.0.1 exists (macOS), or when something
  holds the port on all interfaces, the configured port is used when free, otherwise a free one (PORT then
  says which).
* Lifetime: children are in their own process group and are killed by stop(); they also receive SIGTERM
  when the server dies, through Linux's PR_SET_PDEATHSIG set by a tiny launcher before it execs the app.
  That signal follows the *thread* that forked, so every spawn happens on one long-lived thread.
* Logs: ``<apps_dir>/<service>-<n>.log`` (stdout and stderr, which App Runner would ship to CloudWatch).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import random
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

import urllib3

from hostlab.app import DEMO_APP_PATH, START_COMMAND

log = logging.getLogger("hostlab.front.apps")

# Seconds a new deployment gets to accept TCP connections (App Runner's default health check is TCP: API
# reference HealthCheckConfiguration, Protocol). The 20 s budget is local.
START_TIMEOUT_SECONDS = 20.0
# Seconds between SIGTERM and SIGKILL when stopping.
STOP_GRACE_SECONDS = 3.0
# Seconds to connect to an app on loopback (Envoy's default cluster connect_timeout is 5 s; ASSUMPTION: App
# Runner keeps it).
CONNECT_TIMEOUT_SECONDS = 5.0
# Idle keep-alive connections kept per deployment; more concurrent requests open extra ones.
POOL_SIZE = 64

# Runs before the app: ask for SIGTERM when the parent thread dies, check the parent is still there (it
# could have died before prctl), then become the app. prctl is Linux-only; elsewhere the launcher just execs.
_LAUNCHER = (
    "import ctypes,os,signal,sys\n"
    "try:\n"
    "    ctypes.CDLL(None,use_errno=True).prctl(1,signal.SIGTERM)\n"  # 1 = PR_SET_PDEATHSIG
    "except (OSError,AttributeError):\n"
    "    pass\n"
    "if os.getppid()!=int(sys.argv[1]):\n"
    "    sys.exit(70)\n"
    "os.execv(sys.argv[2],sys.argv[2:])\n"
)


@dataclass(frozen=True)
class RuntimeConfig:
    """What a container of a service runs with, whatever the platform: each platform reads it from its own
    API (hostlab.local.platforms.apprunner.deployment: DescribeService's SourceConfiguration)."""

    port: int = 8080
    start_command: str | None = None
    env: tuple[tuple[str, str], ...] = ()
    secrets: tuple[tuple[str, str], ...] = ()  # name -> Secrets Manager / SSM ARN, resolved at start
    image: str | None = None

    def fingerprint(self) -> str:
        """Changes exactly when a running container would have to be replaced."""
        return sha256(json.dumps([self.port, self.start_command, self.env, self.secrets, self.image]).encode()
                      ).hexdigest()


class AppStartError(RuntimeError):
    pass


def _loopback_ranges_work() -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.16.0.1", 0))
            return True
        except OSError:
            return False


class LoopbackAddresses:
    """Hands out loopback addresses 127.a.b.c, one per deployment, where ``port`` is free.

    Another backend (a reader's ``hostlab up`` next to the test suite) may run apps on the same port, so
    each instance starts at a random point of the 127/8 range and skips any address whose port is taken.
    """

    _SPAN = 239 * 256 * 254  # 127.16.0.1 .. 127.254.255.254

    def __init__(self):
        self._numbers = itertools.count(random.randrange(self._SPAN))
        self._lock = threading.Lock()
        self.private = _loopback_ranges_work()

    def _next_address(self) -> str:
        with self._lock:
            n = next(self._numbers) % self._SPAN
        return f"127.{16 + n // (256 * 254)}.{n // 254 % 256}.{n % 254 + 1}"

    def next(self, port: int) -> tuple[str, int]:
        """(address, port): the configured port when it can be had, else a free one (PORT then says so).
        The port is taken on every address when something listens on it on all interfaces (0.0.0.0)."""
        if self.private:
            for _ in range(16):
                address = self._next_address()
                if _port_free(address, port):
                    return address, port
            address = self._next_address()
        else:
            address = "127.0.0.1"
            if _port_free(address, port):
                return address, port
        return address, _free_port(address)


def _port_free(address: str, port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((address, port))
            return True
        except OSError:
            return False


def _free_port(address: str) -> int:
    with socket.socket() as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def command_for(config: RuntimeConfig) -> tuple[list[str], bool]:
    """(argv, runs_start_command). See the module docstring for why only the demo's command runs."""
    if config.start_command:
        try:
            argv = shlex.split(config.start_command)
        except ValueError:
            argv = []
        if argv == shlex.split(START_COMMAND):
            return [sys.executable, *argv[1:]], True
    return [sys.executable, str(DEMO_APP_PATH)], False


class Deployment:
    """One running app process and the connection pool the front uses to reach it."""

    def __init__(self, service_name: str, generation: int, address: str, port: int, config: RuntimeConfig,
                 process: subprocess.Popen, log_path: Path):
        self.service_name = service_name
        self.generation = generation
        self.address = address
        self.port = port
        self.config = config
        self.fingerprint = config.fingerprint()
        self.process = process
        self.log_path = log_path
        # HTTP/1.1 with keep-alive to the app (AR-DG develop.html: HTTP 1.0 and 1.1 to the container).
        self.pool = urllib3.HTTPConnectionPool(
            address, port, maxsize=POOL_SIZE, block=False, retries=False,
            timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT_SECONDS),
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def __repr__(self) -> str:
        return f"<Deployment {self.service_name}#{self.generation} {self.address}:{self.port} pid={self.pid}>"


class AppProcesses:
    """Starts, replaces and stops demo-app processes."""

    def __init__(self, apps_dir: Path, resolve_secret: Callable[[str], str] | None = None,
                 start_timeout: float = START_TIMEOUT_SECONDS):
        self.apps_dir = Path(apps_dir)
        self.resolve_secret = resolve_secret
        self.start_timeout = start_timeout
        self.addresses = LoopbackAddresses()
        self._generations = itertools.count(1)
        self._live: set[Deployment] = set()
        self._lock = threading.Lock()
        self._timers: set[threading.Timer] = set()
        # One long-lived thread does every fork, because PR_SET_PDEATHSIG fires when the forking thread ends.
        self._spawner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="front-app-spawner")

    # -- start ------------------------------------------------------------------------------------------

    def environment(self, config: RuntimeConfig, address: str, port: int) -> dict[str, str]:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", "PORT": str(config.port)}
        env.update(dict(config.env))
        for name, reference in config.secrets:
            if self.resolve_secret is None:
                continue
            try:
                env[name] = self.resolve_secret(reference)
            except Exception as exc:  # App Runner would fail the deployment; here the app starts without it
                log.warning("secret %s (%s) could not be read: %s", name, reference, exc)
        if port != config.port:
            env["PORT"] = str(port)
        env["HOSTLAB_APP_BIND"] = address
        return env

    def launch(self, service_name: str, config: RuntimeConfig) -> Deployment:
        """Start a deployment and wait until it accepts connections. Raises AppStartError."""
        generation = next(self._generations)
        address, port = self.addresses.next(config.port)
        if port != config.port:
            log.warning("%s: port %d is taken on loopback; the app gets port %d",
                        service_name, config.port, port)
        argv, runs_start_command = command_for(config)
        if not runs_start_command:
            log.info("%s: StartCommand is not the demo app's; running the bundled demo app", service_name)
        self.apps_dir.mkdir(parents=True, exist_ok=True)
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", service_name) or "service"
        log_path = self.apps_dir / f"{safe}-{generation}.log"
        env = self.environment(config, address, port)
        launcher = [sys.executable, "-c", _LAUNCHER, str(os.getpid()), *argv]
        with open(log_path, "ab") as log_file:
            process = self._spawner.submit(
                subprocess.Popen, launcher, env=env, stdin=subprocess.DEVNULL, stdout=log_file,
                stderr=subprocess.STDOUT, start_new_session=True, close_fds=True,
            ).result()
        deployment = Deployment(service_name, generation, address, port, config, process, log_path)
        with self._lock:
            self._live.add(deployment)
        try:
            self._wait_ready(deployment)
        except AppStartError:
            self.stop(deployment)
            raise
        log.info("started %r", deployment)
        return deployment

    def _wait_ready(self, deployment: Deployment) -> None:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if not deployment.alive():
                raise AppStartError(f"{deployment!r} exited with {deployment.process.returncode}; "
                                    f"see {deployment.log_path}")
            try:
                with socket.create_connection((deployment.address, deployment.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.01)
        raise AppStartError(f"{deployment!r} did not listen within {self.start_timeout} s; "
                            f"see {deployment.log_path}")

    # -- stop -------------------------------------------------------------------------------------------

    def stop(self, deployment: Deployment, grace: float = STOP_GRACE_SECONDS) -> None:
        with self._lock:
            self._live.discard(deployment)
        deployment.pool.close()
        process = deployment.process
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=grace)
        log.info("stopped %r", deployment)

    def retire(self, deployment: Deployment, after: float) -> None:
        """Stop ``deployment`` after ``after`` seconds, so requests already sent to it can finish."""
        timer = threading.Timer(after, self._retired, args=(deployment,))
        timer.daemon = True
        with self._lock:
            self._timers.add(timer)
        timer.start()

    def _retired(self, deployment: Deployment) -> None:
        with self._lock:
            self._timers.discard(threading.current_thread())  # type: ignore[arg-type]
        self.stop(deployment)

    def live(self) -> list[Deployment]:
        with self._lock:
            return list(self._live)

    def stop_all(self) -> None:
        with self._lock:
            timers, self._timers = list(self._timers), set()
        for timer in timers:
            timer.cancel()
        for deployment in self.live():
            try:
                self.stop(deployment)
            except Exception:
                log.exception("stopping %r failed", deployment)

    def close(self) -> None:
        self.stop_all()
        self._spawner.shutdown(wait=True)
