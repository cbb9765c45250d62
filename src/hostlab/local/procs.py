"""Processes of the local backend: is the recorded pid really our server, and stopping it with everything it
started (the demo-app processes that stand in for App Runner containers).

psutil keeps this portable (Linux and macOS, where readers run the tutorial).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time

import psutil

# What the server's command line contains; a recycled pid running something else never matches.
SERVER_MODULE = "hostlab.local.server"

# Servers this process spawned. Keeping the Popen objects lets us reap them (no zombie left in a long-lived
# notebook kernel or test run) and stops subprocess from warning about a child "still running".
_spawned: dict[int, subprocess.Popen] = {}  # or warm_start.StartedServer: pid and poll() alike


def remember_child(proc: subprocess.Popen) -> None:
    _spawned[proc.pid] = proc


def _reap(pid: int) -> None:
    proc = _spawned.get(pid)
    if proc is not None and proc.poll() is not None:
        del _spawned[pid]


def is_running(pid: int) -> bool:
    """True when ``pid`` is a live process. A zombie (exited, not yet reaped) counts as gone."""
    _reap(pid)
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False


def is_hostlab_server(pid: int) -> bool:
    """True when ``pid`` is alive and runs the hostlab server module (not a recycled pid)."""
    if not is_running(pid):
        return False
    try:
        return SERVER_MODULE in " ".join(psutil.Process(pid).cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return False


def _wait_gone(procs: list[psutil.Process], timeout: float) -> list[psutil.Process]:
    """The processes still alive (zombies excepted) after waiting up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    alive = procs
    while alive and time.monotonic() < deadline:
        for proc in alive:
            _reap(proc.pid)
        alive = [p for p in alive if is_running(p.pid)]
        if alive:
            time.sleep(0.05)
    return alive


def stop_tree(pid: int, grace: float) -> bool:
    """Stop the server ``pid`` and every process it started. Returns True when something was running.

    SIGTERM first so the server stops its data plane (and the demo apps) cleanly; SIGKILL after ``grace``
    seconds. Descendants are listed before the signal because they are reparented once the server exits.
    The server's process group (it is a session leader, see lifecycle._spawn) catches children started
    after the listing; demo apps run in sessions of their own, and die with the server anyway
    (PR_SET_PDEATHSIG, dataplane/apps.py).
    """
    try:
        server = psutil.Process(pid)
        family = [server, *server.children(recursive=True)]
    except psutil.NoSuchProcess:
        return False
    try:
        group = os.getpgid(pid)
    except ProcessLookupError:
        group = None
    with contextlib.suppress(psutil.NoSuchProcess):
        server.send_signal(signal.SIGTERM)
    survivors = _wait_gone(family, grace)
    for proc in survivors:
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.kill()
    # Only our server's own group: start_new_session made its pgid equal to its pid.
    if group == pid:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)
    _wait_gone(family, grace)
    _reap(pid)
    return True
