"""The background process of the local backend: `python -m hostlab.local.server` (started by `hostlab up`).

It owns the ports and the state folder of one backend (Settings.from_env()):
  1. writes server.pid, before binding anything;
  2. installs the control plane into moto and starts moto's server on 127.0.0.1 (AWS_ENDPOINT_URL);
  3. seeds moto's ID generator once its server runs, so the same calls give the same IDs and domains;
  4. starts the data plane (App Runner front, CloudFront edge, CONNECT proxy) with the local CA;
  5. writes state.json once every part answers: that file is the "ready" signal `hostlab up` waits for;
  6. on SIGTERM or SIGINT stops the data plane (and with it the demo-app processes) and exits 0.

It also exits when its state folder stops naming it (server.pid removed or rewritten, e.g. a test's temporary
folder deleted), so a backend whose owner vanished does not run forever.

Output goes to server.log (unless --foreground), including tracebacks.

`python -m hostlab.local.server --warm-starter SOCKET` is the same module in another role: a process that
imports the backend's code once and forks backends on request (hostlab.local.warm_start, for the test suite).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from hostlab.local.lifecycle import NO_PROXY, answers
from hostlab.local.ports import PORT_VARIABLES, PortInUseError, check_port_free, require_loopback
from hostlab.local.state import State, write_state
from hostlab.settings import DEFAULT_REGION, FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, Settings

log = logging.getLogger("hostlab.server")

# Python's cyclic garbage collector, tuned for this process (Python docs, gc module):
# - off while the server starts: starting imports moto, botocore and the data plane (a few hundred thousand
#   objects that live as long as the process), and each collection of the oldest generation walked all of
#   them again as the heap grew (measured: 0.07 to 0.1 of the 0.5 CPU-s a start takes);
# - once serving, a young-generation collection runs after 20 000 net allocations of containers instead of
#   700, the older generations a little less often: with the default thresholds the short-lived objects of
#   requests in flight were scanned and promoted again and again (measured with gc.callbacks over the test
#   suite: 8 % of the backends' CPU was the collector's). Reference cycles are still collected.
GC_THRESHOLDS = (20_000, 20, 20)

EXIT_PORT_IN_USE = 98  # EADDRINUSE on Linux, easy to recognise in `hostlab up`'s message
EXIT_FAILED = 1
# Seconds moto's server thread gets to bind and be ready. It binds in its own thread and, if that fails,
# ThreadedMotoServer.start() would wait forever: the watchdog turns that into an error.
API_START_SECONDS = 15.0
# How often the main thread checks that server.pid still names this process.
OWNER_CHECK_SECONDS = 1.0


# What a warm starter (hostlab.local.warm_start) imports once, before it forks backends: what a backend
# imports before it touches moto (ServerParts.start's imports), and then what moto imports and parses on a
# backend's first request (moto_glue.prepare_first_request). None of them reads the environment while
# importing, and none is a module the control plane must see being imported (moto_glue.while_importing);
# tests/test_warm_start.py checks that.
STARTUP_MODULES = (
    "hostlab",
    "hostlab.checkout",
    "hostlab.local.in_process",
    "hostlab.local.controlplane",
    "hostlab.local.controlplane.moto_glue",
    "hostlab.local.dataplane.plane",
    "hostlab.local.dataplane.tls",
)


def preload() -> None:
    """Import STARTUP_MODULES and what every backend's first request needs: a warm starter's preparation."""
    import importlib

    for name in STARTUP_MODULES:
        importlib.import_module(name)
    from hostlab.local.controlplane.moto_glue import prepare_first_request

    prepare_first_request()


def _redirect_output(log_file: Path) -> None:
    """Point fds 1 and 2 at server.log (appending), for this process and every child it starts."""
    fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _start_api(settings: Settings):
    """Start moto's ThreadedMotoServer on settings.host; return it with its URL."""
    from hostlab.local.controlplane.moto_glue import ThreadedMotoServer

    check_port_free(settings.host, settings.api_port, PORT_VARIABLES["api"])
    server = ThreadedMotoServer(ip_address=settings.host, port=settings.api_port, verbose=False)
    starter = threading.Thread(target=server.start, name="moto-start", daemon=True)
    starter.start()
    starter.join(API_START_SECONDS)
    if starter.is_alive():
        raise RuntimeError(
            f"moto's server did not start on {settings.host}:{settings.api_port} within "
            f"{API_START_SECONDS:.0f} s (its own error, if any, is above; "
            f"{PORT_VARIABLES['api']} changes the port)"
        )
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


def _point_sdk_here(api_url: str) -> None:
    """Whatever boto3 client a data-plane part makes in this process reaches this backend, never AWS."""
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": api_url,
            "AWS_ACCESS_KEY_ID": FAKE_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": FAKE_SECRET_ACCESS_KEY,
            "AWS_DEFAULT_REGION": DEFAULT_REGION,
            "AWS_REGION": DEFAULT_REGION,
            "NO_PROXY": NO_PROXY,
        }
    )
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)


class ServerParts:
    """The running parts of one backend, started in order and stopped in reverse."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.api = None
        self.api_url = ""
        self.plane = None

    def start(self) -> State:
        # The modules imported here are STARTUP_MODULES (what a warm starter imports before it forks).
        from hostlab import __version__
        from hostlab.checkout import checkout_root, package_dir, revision
        from hostlab.local import in_process
        from hostlab.local.controlplane import install, seed_ids
        from hostlab.local.controlplane.moto_glue import wsgi_app
        from hostlab.local.dataplane.plane import DataPlane
        from hostlab.local.dataplane.tls import LocalCA

        settings = self.settings
        require_loopback(settings.host)
        # Fail on a taken proxy port now, before the slower parts start.
        check_port_free(settings.host, settings.proxy_port, PORT_VARIABLES["proxy"])
        install(settings)
        self.api, self.api_url = _start_api(settings)
        log.info("AWS API endpoint at %s", self.api_url)
        # This process's own clients of that endpoint (the data plane's) call it without a socket.
        in_process.serve(self.api_url, wsgi_app(self.api))
        # What POST /moto-api/seed?a=<seed> does (moto's documented way to make IDs repeat), done here in the
        # process that runs moto's server: right before the first client call can draw an ID.
        seed_ids(settings.seed)
        _point_sdk_here(self.api_url)
        ca = LocalCA(settings.ca_dir)
        self.plane = DataPlane(settings, ca, self.api_url)
        self.plane.start()
        parts = ", ".join(self.plane.parts)
        log.info("data plane: %s; proxy at %s", parts, self.plane.url)
        self._check_answers()
        return State(
            pid=os.getpid(),
            started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            api_url=self.api_url,
            proxy_url=self.plane.url,
            ca_bundle=str(ca.bundle_pem),
            seed=settings.seed,
            version=__version__,
            home=str(settings.home),
            code=str(package_dir()),
            checkout=str(checkout_root() or ""),
            revision=revision(checkout_root()),
            dataplane=tuple(self.plane.parts),
            settings=settings.to_env(),
        )

    def _check_answers(self) -> None:
        if not answers(self.api_url):
            raise RuntimeError(f"the AWS API endpoint {self.api_url} does not answer")
        if not self.plane.answers():
            raise RuntimeError(f"the proxy {self.plane.url} does not accept connections")

    def stop(self) -> None:
        if self.plane is not None:
            try:
                self.plane.stop()
            except Exception:
                log.exception("stopping the data plane failed")
        try:
            from hostlab.local.controlplane import shutdown

            shutdown()  # ECS Express tasks (demo-app processes the control plane started)
        except Exception:
            log.exception("stopping the control plane's tasks failed")
        if self.api is not None:
            from hostlab.local import in_process

            in_process.forget(self.api_url)
            try:
                self.api.stop()
            except Exception:
                log.exception("stopping the API server failed")


def _still_owner(settings: Settings) -> bool:
    try:
        return settings.pid_file.read_text().strip() == str(os.getpid())
    except (FileNotFoundError, NotADirectoryError):
        return False


def _remove_own_files(settings: Settings) -> None:
    if _still_owner(settings):
        settings.state_file.unlink(missing_ok=True)
        settings.pid_file.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hostlab.local.server", description="the local backend")
    parser.add_argument("--foreground", action="store_true", help="log to the terminal instead of server.log")
    parser.add_argument(
        "--warm-starter", metavar="SOCKET", help="fork backends on request (hostlab.local.warm_start)"
    )
    args = parser.parse_args(argv)
    if args.warm_starter:
        from hostlab.local import warm_start

        return warm_start.serve(args.warm_starter, preload, lambda: main([]))

    stop = threading.Event()
    received: list[int] = []

    def on_signal(signum, _frame):
        # Only record it: logging from a signal handler can re-enter a stream write in progress.
        received.append(signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    gc.disable()
    settings = Settings.from_env()
    settings.home.mkdir(parents=True, exist_ok=True)
    if not args.foreground:
        _redirect_output(settings.log_file)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # One line per API call would drown the log (and slow a benchmark of 200 calls).
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    settings.pid_file.write_text(f"{os.getpid()}\n")
    log.info("starting (pid %d) in %s", os.getpid(), settings.home)

    backend = ServerParts(settings)
    try:
        state = backend.start()
    except PortInUseError as exc:
        log.error("cannot start: %s", exc)
        backend.stop()
        _remove_own_files(settings)
        return EXIT_PORT_IN_USE
    except Exception:
        log.exception("cannot start")
        backend.stop()
        _remove_own_files(settings)
        return EXIT_FAILED

    if stop.is_set():  # asked to stop while starting: never announce ready
        backend.stop()
        _remove_own_files(settings)
        return 0
    # What starting made (moto's and botocore's modules and models, a few hundred thousand objects) lives as
    # long as the process: out of the collector's reach, each full collection stops walking all of it again
    # (Python docs, gc.freeze).
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    gc.enable()
    write_state(settings.state_file, state)
    log.info("ready: API %s, proxy %s, CA bundle %s", state.api_url, state.proxy_url, state.ca_bundle)

    while not stop.wait(OWNER_CHECK_SECONDS):
        if not _still_owner(settings):
            log.warning("%s no longer names this process: stopping", settings.pid_file)
            break
    if received:
        log.info("received %s, stopping", signal.Signals(received[0]).name)
    backend.stop()
    _remove_own_files(settings)
    log.info("stopped")
    return 0


def _exit_now(code: int) -> None:
    """End the process without the interpreter's finalisation. Every part is stopped and the state files are
    gone by then; what is left is tearing down moto's large module graph, which took 2 to 3 s on a loaded
    2-core machine and made every `hostlab down` wait for it."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    _exit_now(main())
