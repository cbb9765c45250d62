"""Helpers for the CloudFront Functions tests: the backend's worker processes, seen with psutil.

The backend runs every function in a worker process (hostlab.local.functions.pool); these helpers find
those workers among the server's descendants, wait (bounded) for one to be busy running code, and measure the
CPU they burn. Waits are liveness bounds, never speed assertions.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import time
from collections.abc import Callable, Iterable
from typing import Any

import psutil

from hostlab.local.functions.runtime import WALL_TIME_LIMIT_SECONDS

WORKER_MODULE = "hostlab.local.functions.worker"
STOPPED = (
    f"InternalError: the function ran longer than {WALL_TIME_LIMIT_SECONDS * 1000:.0f} ms and was stopped"
)
NO_DYNAMIC_CODE = "EvalError: Dynamic code evaluation is not supported"
REGEX_BACKTRACKING = "function handler(e){ return /^(a+)+$/.test('a'.repeat(40) + '!') }"
# Slow but valid: busy for 60 ms of the 200 ms limit (no timers exist), logging when it started and ended
# (Date.now(), one clock for every worker process).
SLOW = """function handler(e) {
  var start = Date.now(); while (Date.now() - start < 60) {}
  console.log(JSON.stringify([start, Date.now()])); return e.request;
}"""


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 20.0, step: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(step)
    raise AssertionError(f"timed out waiting for {what}")


def worker_pids(server_pid: int) -> set[int]:
    """The live workers of the server: the children of its zygote (the server's child running the worker
    module, which forks them)."""
    found = set()
    for zygote in psutil.Process(server_pid).children():
        with contextlib.suppress(psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
            if WORKER_MODULE not in zygote.cmdline():
                continue
            for child in zygote.children():
                with contextlib.suppress(psutil.NoSuchProcess, psutil.ZombieProcess):
                    if child.status() != psutil.STATUS_ZOMBIE:
                        found.add(child.pid)
    return found


def cpu_seconds(pids: Iterable[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = psutil.Process(pid).cpu_times()
            total += times.user + times.system
    return total


def settled_workers(server_pid: int, count: int) -> set[int]:
    """The server's ``count`` workers, once they all exist and none is burning CPU (a replacement that is
    still starting up would otherwise look like a worker running a function)."""

    def settled() -> set[int] | None:
        pids = worker_pids(server_pid)
        if len(pids) != count:
            return None
        before = cpu_seconds(pids)
        time.sleep(0.1)
        return pids if worker_pids(server_pid) == pids and cpu_seconds(pids) - before < 0.01 else None

    return wait_for(settled, f"{count} idle workers")


def wait_for_a_busy_worker(idle: set[int], timeout: float = 20.0) -> int:
    """The pid of one of the ``idle`` workers (settled, see settled_workers) once it runs code."""
    baseline = {pid: cpu_seconds([pid]) for pid in idle}

    def running(pid: int) -> bool:
        # An idle worker sleeps on its socket and burns nothing; on a loaded machine a busy one may be
        # runnable but waiting for a core, so its state counts as much as the CPU it got.
        try:
            state = psutil.Process(pid).status()
        except psutil.NoSuchProcess:
            return False
        return state == psutil.STATUS_RUNNING or cpu_seconds([pid]) - baseline[pid] >= 0.005

    def busy() -> int | None:
        return next((pid for pid in idle if running(pid)), None)

    return wait_for(busy, "a worker running the function", timeout, step=0.005)


def calls_during_a_runaway(
    server_pid: int,
    pool_size: int,
    start_runaway: Callable[[], Any],
    call: Callable[[], Any],
    attempts: int = 3,
) -> tuple[Any, int, int]:
    """Start a runaway function (``start_runaway()``: a future of (its answer, time.monotonic() when it came
    back)), wait until a worker runs it, and repeat ``call`` until the answer is back.

    Returns (the runaway's answer, the worker that ran it, how many calls completed before the answer). On a
    loaded machine one call can outlast a 200 ms run, so up to ``attempts`` runaways are started until a call
    fits; behind a lock held for the whole run, no call ever completes before the run's answer.
    """
    for _ in range(attempts):
        idle = settled_workers(server_pid, pool_size)
        runaway = start_runaway()
        busy = wait_for_a_busy_worker(idle)
        completed = []
        while not runaway.done():
            call()
            completed.append(time.monotonic())
        answer, answered_at = runaway.result()
        inside = sum(1 for end in completed if end < answered_at)
        if inside:
            break
    return answer, busy, inside


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def overlapping(intervals: list[tuple[float, float]]) -> bool:
    """True when some interval starts before the one started just before it has ended."""
    ordered = sorted(intervals)
    return any(later[0] < earlier[1] for earlier, later in itertools.pairwise(ordered))


def logged_interval(logs: list[str]) -> tuple[float, float]:
    start, end = json.loads(logs[0])
    return start, end
