"""A pool of CloudFront Functions worker processes, so a runaway function can always be stopped.

Why processes: QuickJS cannot be interrupted inside its regular-expression engine (``/^(a+)+$/`` on 40 "a"s
and a "!" backtracks for hours) and its own time limit counts CPU time. The only stop that always works, and
frees the CPU at once, is to kill the process running the code. So every run goes to a worker
(hostlab.local.functions.worker); the caller waits for its answer until the wall-clock deadline, and a
worker that has not answered by then is killed (SIGKILL) and replaced.

- Started once and pre-warmed: one "zygote" process imports QuickJS and warms it up, then forks workers on
  request; a fork of a warm process is ready in about a millisecond, so a killed worker is replaced at once.
- Concurrent: a run takes any idle worker, preferring one that has already compiled that function (so
  sequential runs reuse one compiled context), and two runs of one function go to two workers. Nothing is
  held while a run executes, so a slow run never queues runs elsewhere behind it.
- A worker that crashed is replaced the same way (a health check looks at idle workers twice a second); a
  run that was on it fails; one that found it dead before sending, or whose request it never read, is retried
  on another worker.
- Workers die with the backend (see the worker module's docstring). The zygote is started from one
  long-lived thread because Linux's parent-death signal fires when the *thread* that forked the child ends.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

from hostlab.local.functions import wire
from hostlab.local.functions.worker import FORK, PID, READY

log = logging.getLogger(__name__)

# Four workers: enough that runs of one function overlap and that a few runaway functions (each holding a
# worker until its deadline) leave others free. A forked worker shares the zygote's memory: about 3 MB of its
# own when idle (benchmarks/bench_functions.py), the zygote about 14 MB.
POOL_SIZE = 4
# How long a run waits for a free worker before it fails (all workers busy or still starting).
ACQUIRE_TIMEOUT_SECONDS = 10.0
# A zygote or worker that is not ready after this long is killed and started again (a slow first import on a
# busy machine takes well under a second; this only catches one that cannot start at all).
SPAWN_TIMEOUT_SECONDS = 30.0
_KILL_WAIT_SECONDS = 5.0
WORKER_MODULE = "hostlab.local.functions.worker"
_SPAWN_RETRY_SECONDS = (0.5, 2.0, 10.0)
_AFFINITY_KEYS = 64
# How often the spawner looks for idle workers that died (killed from outside, crashed): they are replaced
# even if no run comes to notice.
_HEALTH_CHECK_SECONDS = 0.5


class PoolClosed(RuntimeError):
    """The pool was closed (the backend is stopping)."""


def _worker_env() -> dict[str, str]:
    # The zygote imports hostlab from wherever this process did (an editable install or PYTHONPATH=src).
    import hostlab

    src = str(Path(hostlab.__file__).resolve().parents[1])
    paths = [src, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}


class _Worker:
    """A forked worker: its pid and our end of its socket (requests out, answers in)."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd = fd
        # Keys this worker has compiled and kept (a mirror of its cache, used only to prefer it).
        self.keys: OrderedDict[str, None] = OrderedDict()

    def remember(self, key: str) -> None:
        self.keys[key] = None
        self.keys.move_to_end(key)
        while len(self.keys) > _AFFINITY_KEYS:
            self.keys.popitem(last=False)

    def dead(self) -> bool:
        """For an idle worker: it never sends unasked, so a readable socket means end of file (it exited)."""
        try:
            return wire.readable(self.fd, 0)
        except (OSError, ValueError):
            return True

    def kill(self) -> None:
        """SIGKILL, and return once the process is gone (its CPU free, its pid released)."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        # End of file on the socket: the process has exited and its files are closed; the zygote ignores
        # SIGCHLD, so the kernel reaps it right after. Both waits are bounded.
        with contextlib.suppress(OSError, ValueError):
            wire.readable(self.fd, _KILL_WAIT_SECONDS)
        end = time.monotonic() + _KILL_WAIT_SECONDS
        while time.monotonic() < end:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.001)
        with contextlib.suppress(OSError):
            os.close(self.fd)


class _Zygote:
    """The process that forks workers; talked to only by the pool's spawner thread."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", WORKER_MODULE, "--zygote", str(os.getpid()), str(theirs.fileno())],
            stdin=subprocess.DEVNULL,
            env=_worker_env(),
            pass_fds=[theirs.fileno()],
        )
        theirs.close()
        self.control = ours
        ours.settimeout(SPAWN_TIMEOUT_SECONDS)
        try:
            if ours.recv(1) != READY:
                raise wire.PeerGone("the zygote exited before it was ready")
        except BaseException:
            self.close()
            raise

    def alive(self) -> bool:
        return self.proc.poll() is None

    def fork(self) -> _Worker:
        self.control.sendall(FORK)
        data, fds, _flags, _addr = socket.recv_fds(self.control, PID.size, 1)
        if len(data) != PID.size or len(fds) != 1:
            for fd in fds:
                os.close(fd)
            raise wire.PeerGone("the zygote did not hand over a worker")
        (pid,) = PID.unpack(data)
        os.set_inheritable(fds[0], False)
        worker = _Worker(pid, fds[0])
        try:
            hello = wire.read(worker.fd, time.monotonic() + SPAWN_TIMEOUT_SECONDS)
            if hello != {"ready": pid}:
                raise wire.PeerGone(f"unexpected greeting {hello!r}")
        except BaseException:
            worker.kill()
            raise
        return worker

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.proc.kill()
        self.proc.wait()
        self.control.close()


class WorkerPool:
    def __init__(self, size: int = POOL_SIZE) -> None:
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.size = size
        self._cond = threading.Condition()
        self._idle: list[_Worker] = []
        self._workers: dict[int, _Worker] = {}  # every live worker, idle or busy
        self._spawns: queue.SimpleQueue[bool] = queue.SimpleQueue()
        self._closed = False
        self._started = False
        self._spawner: threading.Thread | None = None
        self.last_spawn_error = ""
        self.killed = 0  # workers killed at a deadline (for benchmarks and tests)

    # --- life cycle ----------------------------------------------------------------------------------------

    def start(self) -> WorkerPool:
        with self._cond:
            if self._started:
                return self
            self._started = True
        self._spawner = threading.Thread(target=self._spawn_loop, name="cloudfront-js-spawner", daemon=True)
        self._spawner.start()
        for _ in range(self.size):
            self._spawns.put(True)
        return self

    def close(self) -> None:
        """Kill every worker; runs waiting for one fail with PoolClosed."""
        with self._cond:
            self._closed = True
            workers = list(self._workers.values())
            self._workers.clear()
            self._idle.clear()
            self._cond.notify_all()
        self._spawns.put(False)
        for worker in workers:
            worker.kill()

    def pids(self) -> list[int]:
        with self._cond:
            return sorted(self._workers)

    def wait_ready(self, count: int | None = None, timeout: float = SPAWN_TIMEOUT_SECONDS) -> bool:
        """Wait until ``count`` (default: all) workers are idle; True if they are."""
        wanted = self.size if count is None else count
        end = time.monotonic() + timeout
        with self._cond:
            while len(self._idle) < wanted:
                remaining = end - time.monotonic()
                if remaining <= 0 or self._closed:
                    return False
                self._cond.wait(remaining)
            return True

    def _spawn_loop(self) -> None:
        failures = 0
        zygote: _Zygote | None = None
        try:
            while True:
                try:
                    wanted = self._spawns.get(timeout=_HEALTH_CHECK_SECONDS)
                except queue.Empty:
                    self._replace_dead_idle_workers()
                    continue
                if not wanted:
                    return
                try:
                    if zygote is None or not zygote.alive():
                        if zygote is not None:
                            zygote.close()
                        zygote = None
                        zygote = _Zygote()
                    worker = zygote.fork()
                except Exception as exc:  # a worker that cannot start must not end the spawner
                    self.last_spawn_error = f"{type(exc).__name__}: {exc}"
                    log.warning("a CloudFront Functions worker did not start: %s", self.last_spawn_error)
                    if zygote is not None:
                        zygote.close()
                        zygote = None
                    time.sleep(_SPAWN_RETRY_SECONDS[min(failures, len(_SPAWN_RETRY_SECONDS) - 1)])
                    failures += 1
                    if not self._closed:
                        self._spawns.put(True)
                    continue
                failures = 0
                with self._cond:
                    closed = self._closed
                    if not closed:
                        self._workers[worker.pid] = worker
                        self._idle.append(worker)
                        self._cond.notify_all()
                if closed:
                    worker.kill()
        finally:
            if zygote is not None:
                zygote.close()

    # --- runs ----------------------------------------------------------------------------------------------

    def request(self, message: dict[str, Any], time_limit: float) -> dict[str, Any]:
        """Send ``message`` to a free worker and return its answer, or stop it at ``time_limit`` seconds.

        Answers ``{"stopped": seconds}`` when the worker was killed at the deadline, ``{"crashed": text}``
        when it died during the request, ``{"unavailable": text}`` when no worker became free in time.
        """
        key = message.get("key", "")
        for _attempt in range(3):
            worker = self._acquire(key)
            if worker is None:
                detail = f"no CloudFront Functions worker became free within {ACQUIRE_TIMEOUT_SECONDS:.0f} s"
                if self.last_spawn_error:
                    detail += f" (last start failure: {self.last_spawn_error})"
                return {"unavailable": detail}
            if worker.dead():  # died while idle, before the health check saw it
                self._discard(worker)
                continue
            try:
                wire.write(worker.fd, message)
            except wire.PeerGone:
                self._discard(worker)  # it died while idle: nothing ran, try another one
                continue
            # The deadline starts once the request is in the worker's pipe: waiting for a free worker is not
            # the function's time.
            started = time.monotonic()
            try:
                answer = wire.read(worker.fd, started + time_limit)
            except wire.Deadline:
                self._discard(worker)
                with self._cond:
                    self.killed += 1
                return {"stopped": time.monotonic() - started}
            except wire.PeerReset:
                # It exited with the request unread (killed while idle, its end closed only now): nothing
                # ran, so another worker may take it. Seen once in 19 loaded runs of `make test`.
                self._discard(worker)
                continue
            except wire.PeerGone as exc:
                self._discard(worker)
                return {"crashed": f"the worker running the function exited ({exc})"}
            if message.get("keep", True) and ("compiled" in answer or answer.get("error") is None):
                worker.remember(key)
            else:
                worker.keys.pop(key, None)
            self._release(worker)
            return answer
        return {"crashed": "every worker tried had exited"}

    def _acquire(self, key: str) -> _Worker | None:
        end = time.monotonic() + ACQUIRE_TIMEOUT_SECONDS
        with self._cond:
            if not self._started:
                raise RuntimeError("the worker pool was not started")
            while not self._idle:
                if self._closed:
                    raise PoolClosed("the CloudFront Functions worker pool is closed")
                remaining = end - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)
            for index in range(len(self._idle) - 1, -1, -1):
                if key in self._idle[index].keys:
                    return self._idle.pop(index)
            return self._idle.pop()

    def _release(self, worker: _Worker) -> None:
        with self._cond:
            if self._closed or worker.pid not in self._workers:
                closed = True
            else:
                closed = False
                self._idle.append(worker)
                self._cond.notify()
        if closed:
            worker.kill()

    def _discard(self, worker: _Worker) -> None:
        """Kill and reap ``worker`` now (so its CPU is free when the caller answers), then start another."""
        with self._cond:
            owned = self._workers.get(worker.pid) is worker
            if owned:
                del self._workers[worker.pid]
            with contextlib.suppress(ValueError):
                self._idle.remove(worker)
            replace = owned and not self._closed
        worker.kill()
        if replace:  # once per worker, whoever noticed first
            self._spawns.put(True)

    def _replace_dead_idle_workers(self) -> None:
        with self._cond:
            dead = [worker for worker in self._idle if worker.dead()]
        for worker in dead:
            log.warning("CloudFront Functions worker %s exited on its own; replacing it", worker.pid)
            self._discard(worker)


_shared: WorkerPool | None = None
_shared_lock = threading.Lock()


def shared_pool() -> WorkerPool:
    """The process's pool, started on first use (the edge starts it with the backend, so it is warm)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = WorkerPool().start()
            import atexit

            atexit.register(_shared.close)
        return _shared
