"""The QuickJS side of the CloudFront Functions runtime: a context with CloudFront's restrictions, one run.

This module runs INSIDE the worker processes (hostlab.local.functions.worker), never in the backend's
own process: a run that must be stopped is stopped by killing its worker (hostlab.local.functions.pool),
because QuickJS cannot interrupt everything (its regular-expression engine never checks the interrupt
handler, so a catastrophic backtracking pattern runs for minutes) and its time limit counts CPU time, not
wall time. It imports only the standard library and ``quickjs``, so a worker starts in a few tens of ms.

Why QuickJS (the ``quickjs`` package) rather than V8 (``mini-racer``): a call costs microseconds, and QuickJS
limits memory per context, which maps directly onto CloudFront's per-function memory quota. Both are
ES2020-capable engines; CloudFront's own runtime is neither, so language-level differences remain.

Sources (CF-DG = CloudFront Developer Guide):
- Restrictions: no dynamic code evaluation, no timers, no network or file system (CF-DG
  cloudfront-function-restrictions.html, "Runtime", and functions-javascript-runtime-features.html,
  "Restricted features"); logs truncated at 10 KB (cloudfront-function-restrictions.html, "Logs").
- 2 MB memory per function: CF-DG cloudfront-limits.html (Quotas on CloudFront Functions).
"""

from __future__ import annotations

import json
import time
from typing import Any

import quickjs

MEMORY_LIMIT_BYTES = 2 * 1024 * 1024  # CF-DG cloudfront-limits.html: maximum memory per function 2 MB
LOG_LIMIT_BYTES = 10 * 1024  # CF-DG cloudfront-function-restrictions.html: function logs truncated at 10 KB
ASYNC_RUNTIMES = frozenset({"cloudfront-js-2.0"})  # CF-DG functions-javascript-runtime-20.html: async/await

MEMORY_MESSAGE = "MemoryError: the function exceeded its memory limit"

# Runs before the user's code: console.log with the 10 KB cap, and the documented restricted features.
# Dynamic code evaluation throws. Every route to an engine entry point that turns text into code is closed:
# eval (direct and indirect: both go through the global binding), Function (called, with new, through
# Function.prototype.constructor of any function, arrow or class) and the constructors of generator, async
# and async generator functions, which are reachable only as the "constructor" of their prototypes
# (ECMAScript 2020, 25.2-25.7: %GeneratorFunction%, %AsyncFunction%, %AsyncGeneratorFunction% are not
# globals). The replacements are non-writable and non-configurable, so user code cannot put anything back;
# it never holds a reference to an original. Dynamic import() finds no module loader and rejects.
# Timers do not exist in QuickJS's bare context already; require() knows no module locally.
_PRELUDE = r"""
(function () {
  var logs = [], logBytes = 0, limit = __LOG_LIMIT__;
  globalThis.__cf_reset = function () { logs = []; logBytes = 0; };
  globalThis.__cf_logs = function () { return JSON.stringify(logs); };
  var fmt = function (v) {
    if (typeof v === 'string') return v;
    try { var s = JSON.stringify(v); return s === undefined ? String(v) : s; } catch (e) { return String(v); }
  };
  globalThis.console = { log: function () {
    var line = Array.prototype.map.call(arguments, fmt).join(' ');
    if (logBytes + line.length > limit) { line = line.slice(0, Math.max(0, limit - logBytes)); }
    if (line.length > 0) { logs.push(line); logBytes += line.length; }
  } };
  var noDynamicCode = function () { throw new EvalError('Dynamic code evaluation is not supported'); };
  var sealed = { value: noDynamicCode, writable: false, configurable: false, enumerable: false };
  [Function.prototype,
   Object.getPrototypeOf(function* () {}),
   Object.getPrototypeOf(async function () {}),
   Object.getPrototypeOf(async function* () {})].forEach(function (proto) {
    Object.defineProperty(proto, 'constructor', sealed);
  });
  noDynamicCode.prototype = Function.prototype;
  Object.defineProperty(globalThis, 'eval', sealed);
  Object.defineProperty(globalThis, 'Function', sealed);
  globalThis.require = function (name) {
    throw new Error("Cannot find module '" + name + "' (modules are not emulated locally)");
  };
})();
""".replace("__LOG_LIMIT__", str(LOG_LIMIT_BYTES))

# Calls the handler on a JSON event and stores the (possibly asynchronous) outcome where Python can read it.
_INVOKE = r"""
function __cf_invoke(eventJson) {
  __cf_reset();
  globalThis.__cf_done = false; globalThis.__cf_result = undefined; globalThis.__cf_error = undefined;
  var settle = function (v) { globalThis.__cf_done = true; globalThis.__cf_result = JSON.stringify(v); };
  var fail = function (e) {
    globalThis.__cf_done = true;
    // An exhausted memory limit surfaces as a null exception in QuickJS.
    globalThis.__cf_error = (e === null) ? 'MemoryError: the function exceeded its memory limit' : String(e);
  };
  try {
    var out = handler(JSON.parse(eventJson));
    if (out && typeof out.then === 'function') {
      if (!__ALLOW_ASYNC__) {
        throw new Error('The handler returned a Promise; async handlers need cloudfront-js-2.0');
      }
      out.then(settle, fail);
    } else { settle(out); }
  } catch (e) { fail(e); }
}
"""


class CompileError(ValueError):
    """The code cannot become a CloudFront function (syntax error, no handler)."""


class Compiled:
    """One function's code in its own QuickJS context (its own runtime, so its own memory quota)."""

    def __init__(self, code: str, runtime: str):
        ctx = quickjs.Context()
        ctx.eval(_PRELUDE)
        try:
            ctx.eval(code)
        except quickjs.JSException as exc:
            raise CompileError(f"The function code is not valid JavaScript: {_first_line(exc)}") from None
        if ctx.eval("typeof handler") != "function":
            raise CompileError("The function code must define a function named handler")
        allow_async = "true" if runtime in ASYNC_RUNTIMES else "false"
        ctx.eval(_INVOKE.replace("__ALLOW_ASYNC__", allow_async))
        # The memory quota covers the run, not the engine's own start-up, so it is set after compiling.
        ctx.set_memory_limit(MEMORY_LIMIT_BYTES)
        self._ctx = ctx
        self._invoke = ctx.get("__cf_invoke")

    def run(self, event_json: str) -> dict[str, Any]:
        """One run: {"result": JSON text or None, "logs": [...], "error": text or None, "elapsed": s}."""
        ctx = self._ctx
        started = time.perf_counter()
        try:
            self._invoke(event_json)
            # Settle promises returned by async handlers (cloudfront-js-2.0).
            while ctx.execute_pending_job():
                pass
            elapsed = time.perf_counter() - started
            logs = json.loads(ctx.eval("__cf_logs()"))
            error = ctx.eval("__cf_error === undefined ? null : __cf_error")
            done = ctx.eval("__cf_done")
            raw = ctx.eval("__cf_result === undefined ? null : __cf_result")
        except quickjs.JSException as exc:  # memory or stack limit hit outside the handler's own try
            elapsed = time.perf_counter() - started
            error, done, logs, raw = _limit_message(exc), True, [], None
        if error is None and not done:
            error = "The handler's Promise never settled"
        elif error is not None and "out of memory" in error:
            # QuickJS reports an exhausted heap as null or as "InternalError: out of memory", depending on
            # where the allocation failed: one message for both.
            error = MEMORY_MESSAGE
        return {"result": raw if error is None else None, "logs": logs, "error": error, "elapsed": elapsed}


def warm_up() -> None:
    """Build and run one throw-away function, so a fresh worker has loaded and touched everything."""
    Compiled("function handler(e) { return e; }", "cloudfront-js-2.0").run("{}")


def _limit_message(exc: BaseException) -> str:
    text = _first_line(exc)
    if text in ("null", "") or "out of memory" in text:
        return MEMORY_MESSAGE
    return text


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
