"""A warm starter for the local backend: a process that has imported the backend's code once, and forks a
new backend from that state when asked, instead of a new interpreter importing moto, botocore and the data
plane all over again.

Opt-in, for runs that start many backends (the test suite starts about fifty): HOSTLAB_WARM_STARTER names
the starter's Unix socket, and `hostlab up` (lifecycle._spawn) then asks it first. Without the variable, or
when the starter is gone or refuses, `hostlab up` starts `python -m hostlab.local.server` as always.

Why a fork gives the same backend. The starter is itself `python -m hostlab.local.server`, in its warm-starter
mode: it imports the modules a backend imports before it touches moto, and those moto imports on a backend's
first request (server.preload: none of them is a module the control plane must see being imported, none
reads the environment while importing), then waits, with one thread, for requests. A request carries what
`hostlab up` would have given the new process: its environment, working directory and log file. The child
takes them over (a new session, stdin from /dev/null, stdout and stderr to server.log, the environment
replaced, every other descriptor closed) and runs server.main() as a spawned server would. What differs, and
what is done about it:
  * the modules were imported under the starter's environment: the starter refuses a request whose
    environment differs in anything but the variables read at run time (FREE_PREFIXES, FREE_NAMES), and a
    request from other code (another checkout, another Python);
  * moto.iam.models was imported before install(): moto_glue.after_import patches it at once (the test
    checks that a forked backend's IAM has the tutorial's managed policies only);
  * /proc/<pid>/environ and the command line are the starter's (only os.environ is replaced): the command
    line still names hostlab.local.server (procs.is_hostlab_server), and the backend's working directory is
    its state folder on both ways;
  * the parent of the backend is the starter, which reaps it and reports its exit code to the `hostlab up`
    that asked, as long as that one waits (StartedServer.poll, like subprocess.Popen.poll).

benchmarks/bench_warm_start.py measures one start both ways (the wall time of up(), the backend's CPU).
"""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path

from hostlab.checkout import package_dir
from hostlab.local import procs

# The variable that names the starter's socket.
STARTER_VARIABLE = "HOSTLAB_WARM_STARTER"
# Variables that may differ between the starter and a request: none of them is read while STARTUP_MODULES
# import. hostlab reads its settings in Settings.from_env; botocore reads AWS_* when a session is made;
# pytest and xdist set PYTEST_*, COLUMNS and LINES; the CA bundle and proxy variables are read when a
# connection is made; a Jupyter kernel (a notebook's connect() starts a backend) adds JPY_PARENT_PID,
# PYDEVD_USE_FRAME_EVAL, MPLBACKEND and the terminal's; HOSTLAB names the command for the post's example
# script. Anything else that differs could have changed what an import did: such a request is refused.
FREE_PREFIXES = ("HOSTLAB_", "AWS_", "PYTEST_")
FREE_NAMES = frozenset(
    {
        "HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY",
        "https_proxy", "http_proxy", "all_proxy", "no_proxy",
        "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE",
        "PWD", "OLDPWD", "SHLVL", "_", "COLUMNS", "LINES", "TERM", "PAGER", "GIT_PAGER",
        "CLICOLOR", "CLICOLOR_FORCE", "FORCE_COLOR", "NO_COLOR",
        "JPY_PARENT_PID", "PYDEVD_USE_FRAME_EVAL", "MPLBACKEND", "HOSTLAB",
    }
)
# Seconds a caller waits for the starter's answer to a request (the starter answers once it has imported:
# about half a second after it starts).
ANSWER_SECONDS = 30.0
# How often the starter checks that the process that started it is still there.
PARENT_CHECK_SECONDS = 1.0


def free_to_differ(name: str) -> bool:
    return name in FREE_NAMES or name.startswith(FREE_PREFIXES)


def environment_differences(reference: Mapping[str, str], asked: Mapping[str, str]) -> list[str]:
    """Names of the variables that differ between ``reference`` and ``asked`` and are not free to."""
    return sorted(
        name
        for name in set(reference) | set(asked)
        if not free_to_differ(name) and reference.get(name) != asked.get(name)
    )


# ---------------------------------------------------------------------------------------------------------
# The caller's side (lifecycle._spawn)
# ---------------------------------------------------------------------------------------------------------


class StartedServer:
    """A backend the starter forked, seen by the caller as a subprocess.Popen: pid, poll(), wait(),
    send_signal().

    The exit code comes over the request's connection while the caller keeps it; if the starter is gone
    first, the code is unknown and poll() gives 1 once the process is gone."""

    def __init__(self, connection: socket.socket, pid: int):
        self._connection = connection
        self._pending = b""
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is not None:
            return self.returncode
        if self._connection is not None:
            self._connection.setblocking(False)
            try:
                while True:
                    chunk = self._connection.recv(4096)
                    if not chunk:  # the starter is gone: ask the system
                        self._close()
                        break
                    self._pending += chunk
                    if b"\n" in self._pending:
                        report = json.loads(self._pending.split(b"\n", 1)[0])
                        self.returncode = int(report["exit"])
                        self._close()
                        return self.returncode
            except BlockingIOError:
                return None
        if not procs.is_running(self.pid):
            self.returncode = 1
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"backend {self.pid}", timeout or 0.0)
            time.sleep(0.02)
        return code

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, signum)

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def request(env: Mapping[str, str], cwd: Path, log_file: Path) -> StartedServer | None:
    """Ask the starter named by HOSTLAB_WARM_STARTER for a backend; None when there is none, it is gone, or
    it refuses (the caller then starts one the usual way)."""
    path = os.environ.get(STARTER_VARIABLE, "").strip()
    if not path:
        return None
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.settimeout(ANSWER_SECONDS)
        connection.connect(path)
        asked = {"env": dict(env), "cwd": str(cwd), "log": str(log_file), "code": str(package_dir()),
                 "python": _python()}
        connection.sendall(json.dumps(asked).encode() + b"\n")
        answer = b""
        while not answer.endswith(b"\n"):
            chunk = connection.recv(4096)
            if not chunk:
                raise ConnectionError("the warm starter closed the connection")
            answer += chunk
        reply = json.loads(answer)
    except (OSError, ValueError):
        connection.close()
        return None
    if "pid" not in reply:
        connection.close()
        return None
    return StartedServer(connection, int(reply["pid"]))


# ---------------------------------------------------------------------------------------------------------
# Starting and stopping a starter (tests/conftest.py)
# ---------------------------------------------------------------------------------------------------------


def new_socket_path() -> Path:
    """A socket name in a new folder of its own (the caller removes it): under /tmp where there is one,
    whatever TMPDIR says, since a Unix socket's name has room for only about 100 bytes (macOS's TMPDIR
    alone takes half of that)."""
    folder = tempfile.mkdtemp(prefix="hostlab-ws-", dir="/tmp" if os.path.isdir("/tmp") else None)
    return Path(folder) / "warm-starter.sock"


def start(socket_path: Path, env: Mapping[str, str]) -> subprocess.Popen:
    """Start a starter listening on ``socket_path`` with ``env`` (the environment its backends will share:
    lifecycle.backend_process_env). Returns once the socket accepts connections, before the starter has
    imported what it preloads (a request made meanwhile waits for that). Raises RuntimeError when the
    starter exits first."""
    with open(f"{socket_path}.log", "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hostlab.local.server", "--warm-starter", str(socket_path)],
            cwd=socket_path.parent,  # never a state folder: tests find a folder's backends by their directory
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
            close_fds=True,
        )
    deadline = time.monotonic() + ANSWER_SECONDS
    while not socket_path.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            stop(proc)
            raise RuntimeError(f"the warm starter did not listen on {socket_path}: see {socket_path}.log")
        time.sleep(0.01)
    return proc


def stop(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """Stop a starter (its backends keep running: each belongs to its state folder)."""
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


# ---------------------------------------------------------------------------------------------------------
# The starter's side (python -m hostlab.local.server --warm-starter SOCKET)
# ---------------------------------------------------------------------------------------------------------


def serve(socket_path: str, preload: Callable[[], None], run_backend: Callable[[], int]) -> int:
    """Listen on ``socket_path``, import with ``preload()``, then fork a backend (``run_backend()`` in the
    child, whose return value is its exit code) for each acceptable request, until SIGTERM or until the
    process that started this one is gone."""
    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # Bound and listening under another name first: once the socket's own name exists, connecting works.
    unready = f"{socket_path}.binding"
    for path in (socket_path, unready):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(path)
    listener.bind(unready)
    listener.listen(64)
    os.rename(unready, socket_path)

    gc.disable()
    preload()
    gc.freeze()  # imported once, shared by every child: out of every collector's reach
    gc.enable()
    reference_env = dict(os.environ)
    code, python = str(package_dir()), _python()

    stopping: list[int] = []
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGTERM, lambda signum, _frame: stopping.append(signum))
    signal.signal(signal.SIGINT, lambda signum, _frame: stopping.append(signum))

    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(wake_read, selectors.EVENT_READ, "wake")
    waiting: dict[int, socket.socket] = {}  # pid -> the connection of the caller that asked for it
    open_connections: set[socket.socket] = set()

    def close_all_in_child() -> None:
        signal.set_wakeup_fd(-1)
        for signum in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_DFL)
        selector.close()
        listener.close()
        for connection in open_connections | set(waiting.values()):
            connection.close()
        os.close(wake_read)
        os.close(wake_write)

    def refusal(asked: dict) -> str | None:
        if asked.get("code") != code or asked.get("python") != python:
            return f"other code ({asked.get('code')}, {asked.get('python')})"
        differing = environment_differences(reference_env, asked.get("env") or {})
        if differing:
            return "environment differs in " + ", ".join(differing)
        if threading.active_count() != 1:  # a fork must never copy another thread's locks
            return "the starter runs more than one thread"
        return None

    def handle(connection: socket.socket) -> None:
        connection.settimeout(ANSWER_SECONDS)
        data = b""
        try:
            while not data.endswith(b"\n"):
                chunk = connection.recv(65536)
                if not chunk:
                    connection.close()
                    return
                data += chunk
            asked = json.loads(data)
            refused = refusal(asked)
        except (OSError, ValueError) as exc:
            refused = f"unreadable request: {exc}"
            asked = {}
        if refused:
            print(f"warm starter: refused: {refused}", file=sys.stderr, flush=True)
            with contextlib.suppress(OSError):
                connection.sendall(json.dumps({"refused": refused}).encode() + b"\n")
            connection.close()
            return
        open_connections.add(connection)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            _become_backend(asked, close_all_in_child, run_backend)  # never returns
        open_connections.discard(connection)
        print(f"warm starter: backend pid {pid} in {asked['cwd']}", file=sys.stderr, flush=True)
        try:
            connection.sendall(json.dumps({"pid": pid}).encode() + b"\n")
            waiting[pid] = connection
        except OSError:
            connection.close()

    def reap() -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            connection = waiting.pop(pid, None)
            if connection is not None:
                report = {"exit": os.waitstatus_to_exitcode(status)}
                with contextlib.suppress(OSError):
                    connection.setblocking(True)
                    connection.sendall(json.dumps(report).encode() + b"\n")
                connection.close()

    print(f"warm starter: ready (pid {os.getpid()}) on {socket_path}", file=sys.stderr, flush=True)
    while not stopping and os.getppid() == parent:
        for key, _ in selector.select(PARENT_CHECK_SECONDS):
            if key.data == "wake":
                with contextlib.suppress(BlockingIOError):
                    while os.read(wake_read, 512):
                        pass
                reap()
            else:
                with contextlib.suppress(BlockingIOError):
                    connection, _ = listener.accept()
                    handle(connection)
        reap()
    listener.close()
    with contextlib.suppress(FileNotFoundError):
        os.unlink(socket_path)
    return 0


def _become_backend(asked: dict, close_inherited: Callable[[], None], run_backend: Callable[[], int]) -> None:
    """In the forked child: take over what a spawned server gets from `hostlab up`, then run the backend.
    Never returns into the starter's loop, whatever happens."""
    code = 1
    try:
        close_inherited()
        os.setsid()
        os.chdir(asked["cwd"])
        log = os.open(asked["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        os.closerange(3, _max_fd())
        os.environ.clear()
        os.environ.update(asked["env"])
        code = run_backend()
    except BaseException:  # the child must end here, and say why in server.log
        with contextlib.suppress(Exception):
            traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _python() -> str:
    """The interpreter and the environment it runs in (a venv's python links to the same binary as the
    base one, with other site-packages)."""
    return f"{os.path.realpath(sys.executable)} {sys.prefix}"


def _max_fd() -> int:
    try:
        return int(os.sysconf("SC_OPEN_MAX"))
    except (ValueError, OSError):
        return 65536
