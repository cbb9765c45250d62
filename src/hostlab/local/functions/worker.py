"""CloudFront Functions worker processes: a warm "zygote" that forks workers, and a worker's main loop.

Started by hostlab.local.functions.pool as
``python -m hostlab.local.functions.worker --zygote <backend pid> <control fd>``. The zygote imports
QuickJS and warms it up once, then forks a ready worker each time the backend asks (one byte on the control
socket), and hands the backend its end of a new socket pair with the worker's pid (SCM_RIGHTS). A fork of a
warm process is ready in about a millisecond, where a fresh interpreter takes 100-200 ms: that is what makes
killing a runaway worker cheap. The zygote itself never runs a function.

A worker reads requests from its socket and answers on it, framed by hostlab.local.functions.wire:
    {"op": "compile", "key", "code", "runtime"}           -> {"compiled": true} | {"compile_error": text}
    {"op": "run", "key", "code", "runtime", "event", "keep"} -> the run (engine.Compiled.run) | compile_error
``key`` names a compiled function in this worker's cache (the caller picks it: a hash of the code plus an
identity); ``keep`` false runs a throw-away copy (TestFunction). A run that failed drops its cached context,
which may hold half-built globals or an exhausted heap.

Nothing outlives the backend: on Linux the kernel kills the zygote when the backend thread that started it
ends (prctl PR_SET_PDEATHSIG; the pool starts it from a thread that lives as long as the process), and a
worker when the zygote ends. Everywhere, the zygote exits at end of file on its control socket (the backend
is gone), and a worker exits when its parent changes (a watcher thread: QuickJS releases the GIL while it
runs, so the watcher runs even during a runaway function) or at end of file on its socket.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import signal
import socket
import struct
import sys
import threading
import time
from collections import OrderedDict
from typing import Any

from hostlab.local.functions import wire
from hostlab.local.functions.engine import Compiled, CompileError, warm_up

# Compiled functions kept per worker; the least recently used goes first. A function is at most 10 KB and its
# context a few hundred KB, so this bounds a worker to some tens of MB.
CACHE_SIZE = 32
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_PARENT_POLL_SECONDS = 0.5
FORK = b"F"  # the backend's one request to the zygote
READY = b"R"  # the zygote's greeting once warm
PID = struct.Struct(">I")


def _die_with_parent() -> None:
    """Linux: SIGKILL this process when the thread that forked it ends."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def handle(request: dict[str, Any], cache: OrderedDict[str, Compiled]) -> dict[str, Any]:
    key = request["key"]
    compiled = cache.get(key)
    if compiled is None:
        try:
            compiled = Compiled(request["code"], request["runtime"])
        except CompileError as exc:
            return {"compile_error": str(exc)}
    if request["op"] == "compile":
        _remember(cache, key, compiled)
        return {"compiled": True}
    outcome = compiled.run(json.dumps(request["event"]))
    if outcome["error"] is None and request.get("keep", True):
        _remember(cache, key, compiled)
    else:
        cache.pop(key, None)
    return outcome


def _remember(cache: OrderedDict[str, Compiled], key: str, compiled: Compiled) -> None:
    cache[key] = compiled
    cache.move_to_end(key)
    while len(cache) > CACHE_SIZE:
        cache.popitem(last=False)


def worker(fd: int, parent: int) -> None:
    """A forked worker's life: answer requests on ``fd`` until the backend closes it or the parent is gone."""
    _die_with_parent()
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_PARENT_POLL_SECONDS)
        os._exit(0)

    # Also covers systems without PR_SET_PDEATHSIG, and a zygote that died before prctl took effect.
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    cache: OrderedDict[str, Compiled] = OrderedDict()
    wire.write(fd, {"ready": os.getpid()})
    while True:
        try:
            request = wire.read(fd)
        except wire.PeerGone:
            return  # the backend closed our socket: it is shutting down or discarding this worker
        try:
            answer = handle(request, cache)
        except Exception as exc:  # a bug here must fail one run, not kill the worker
            answer = {"result": None, "logs": [], "error": f"InternalError: {exc!r}", "elapsed": 0.0}
        wire.write(fd, answer)


def zygote(backend: int, control_fd: int) -> None:
    _die_with_parent()
    if os.getppid() != backend:
        return  # the backend died before prctl took effect
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal is the backend's to handle
    # Workers that exit are reaped by the kernel at once: no zombies, and the backend sees their pid go.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    warm_up()
    control = socket.socket(fileno=control_fd)
    control.sendall(READY)
    me = os.getpid()
    while control.recv(1) == FORK:  # b"" = end of file: the backend is gone
        ours, theirs = socket.socketpair()
        pid = os.fork()
        if pid == 0:  # the new worker: never returns into this loop
            code = 0
            try:
                control.close()
                ours.close()
                worker(theirs.detach(), me)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        theirs.close()
        with contextlib.suppress(OSError):
            socket.send_fds(control, [PID.pack(pid)], [ours.fileno()])
        ours.close()


def main() -> None:
    if len(sys.argv) != 4 or sys.argv[1] != "--zygote":
        sys.exit("usage: python -m hostlab.local.functions.worker --zygote <backend pid> <control fd>")
    zygote(int(sys.argv[2]), int(sys.argv[3]))


if __name__ == "__main__":
    main()
