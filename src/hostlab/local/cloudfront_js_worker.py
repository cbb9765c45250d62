"""A CloudFront Functions worker process: runs functions on request, and can be killed at any moment.

Started by hostlab.local.cloudfront_js_pool as ``python -m hostlab.local.cloudfront_js_worker <parent pid>``.
Requests arrive on stdin and answers leave on stdout, framed by hostlab.local.cloudfront_js_wire; anything the
worker prints goes to stderr (the backend's server.log).

Requests (JSON objects):
    {"op": "compile", "key", "code", "runtime"}           -> {"compiled": true} | {"compile_error": text}
    {"op": "run", "key", "code", "runtime", "event", "keep"} -> the run (engine.Compiled.run) | compile_error
``key`` names a compiled function in this worker's cache (the caller picks it: a hash of the code plus an
identity); ``keep`` false runs a throw-away copy (TestFunction). A run that failed drops its cached context,
which may hold half-built globals or an exhausted heap.

The worker never outlives the backend: on Linux the kernel kills it when the thread that started it ends
(prctl PR_SET_PDEATHSIG, the pool starts workers from one thread that lives as long as the process); on any
system it exits when its parent changes (a watcher thread; QuickJS releases the GIL while it runs, so the
watcher runs even during a runaway function) or when stdin reaches end of file.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import signal
import sys
import threading
import time
from collections import OrderedDict
from typing import Any

from hostlab.local import cloudfront_js_wire as wire
from hostlab.local.cloudfront_js_engine import Compiled, CompileError, warm_up

# Compiled functions kept per worker; the least recently used goes first. A function is at most 10 KB and its
# context a few hundred KB, so this bounds a worker to some tens of MB.
CACHE_SIZE = 32
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_PARENT_POLL_SECONDS = 0.5


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_PARENT_POLL_SECONDS)
        os._exit(0)

    # Also closes the race where the parent died before prctl above took effect.
    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


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


def main() -> None:
    parent = int(sys.argv[1])
    _die_with_parent(parent)
    # Answers own fd 1; a stray print() must not corrupt a frame, so Python's stdout becomes stderr.
    answers = os.dup(1)
    os.dup2(2, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal is the backend's to handle
    warm_up()
    cache: OrderedDict[str, Compiled] = OrderedDict()
    wire.write(answers, {"ready": os.getpid()})
    while True:
        try:
            request = wire.read(0)
        except wire.PeerGone:
            return  # the backend closed our stdin: it is shutting down or discarding this worker
        try:
            answer = handle(request, cache)
        except Exception as exc:  # a bug here must fail one run, not kill the worker
            answer = {"result": None, "logs": [], "error": f"InternalError: {exc!r}", "elapsed": 0.0}
        wire.write(answers, answer)


if __name__ == "__main__":
    main()
