"""The CloudFront Functions runtime: a real JavaScript engine (QuickJS) with CloudFront's restrictions.

Shared by the edge (viewer-request functions on real requests) and the control plane (TestFunction), so a
function behaves the same in both places.

Why QuickJS (the ``quickjs`` package) rather than V8 (``mini-racer``): a call costs about 15 µs in-process
against about 400 µs for mini-racer, which hops to a V8 thread on every call; and QuickJS limits memory per
context, which maps directly onto CloudFront's per-function memory quota. Both are ES2020-capable engines;
CloudFront's own runtime is neither, so language-level differences remain (see ``RUNTIMES``).

Sources:
- Event and result shapes: CF-DG functions-event-structure.html.
- Restrictions (no eval / Function constructor, no timers, logs truncated at 10 KB, compute utilization):
  CF-DG edge-functions-restrictions.html and functions-javascript-runtime-features.html.
- 2 MB memory per function, 10 KB function size: CF-DG cloudfront-limits.html (CloudFront Functions quotas).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import quickjs

# cloudfront-js-1.0 is ES 5.1 plus some ES6-9 features (no const/let, no async/await); cloudfront-js-2.0 adds
# ES2020 features including async handlers (CF-DG functions-javascript-runtime-features.html and
# functions-javascript-runtime-20.html). QuickJS accepts the 2.0 language for both; what 1.0 rejects here is a
# handler that returns a Promise. Syntax-level 1.0 restrictions (const/let) are NOT enforced locally.
RUNTIMES = ("cloudfront-js-1.0", "cloudfront-js-2.0")
DEFAULT_RUNTIME = "cloudfront-js-2.0"

MAX_FUNCTION_BYTES = 10 * 1024  # CF-DG cloudfront-limits.html: maximum function size 10 KB
MEMORY_LIMIT_BYTES = 2 * 1024 * 1024  # CF-DG cloudfront-limits.html: maximum memory per function 2 MB
LOG_LIMIT_BYTES = 10 * 1024  # CF-DG edge-functions-restrictions.html: function logs truncated at 10 KB
# ASSUMPTION: AWS reports ComputeUtilization as a percentage of an undocumented maximum run time. We take
# 1 ms of wall time as 100 %, so the figure is indicative only (the engine and machine differ from AWS's).
COMPUTE_BUDGET_SECONDS = 0.001
# ASSUMPTION: a run is stopped after this much wall time. Much longer than the 100 % budget, because a busy
# 2-core machine can preempt a healthy function for milliseconds; only runaway code should hit it.
KILL_AFTER_SECONDS = 0.2

# Runs before the user's code: console.log with the 10 KB cap, and the documented restricted features.
# Dynamic code evaluation throws (CF-DG functions-javascript-runtime-features.html, "Restricted features");
# timers do not exist in QuickJS's bare context already; require() knows no module locally.
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
  noDynamicCode.prototype = Function.prototype;
  globalThis.eval = noDynamicCode;
  Object.defineProperty(Function.prototype, 'constructor', { value: noDynamicCode });
  globalThis.Function = noDynamicCode;
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


class FunctionCodeError(ValueError):
    """The code cannot become a CloudFront function (syntax error, no handler, too large, unknown runtime)."""


@dataclass
class FunctionRun:
    """One run: the returned object (or None), logs, error text, compute utilization (0-100)."""

    output: Any = None
    logs: list[str] = field(default_factory=list)
    error: str | None = None
    compute_utilization: int = 0

    @property
    def ok(self) -> bool:
        return self.error is None


class CompiledFunction:
    """One function's code, compiled once in its own QuickJS context and run many times.

    A QuickJS context is single-threaded (and the engine releases the GIL while it runs), so runs of the same
    function are serialised by a lock. A run that failed hard (time or memory limit) leaves the context in an
    unknown state, so the next run starts from a freshly compiled context.
    """

    def __init__(self, code: str, runtime: str = DEFAULT_RUNTIME):
        if runtime not in RUNTIMES:
            raise FunctionCodeError(f"Unknown runtime {runtime!r}; expected one of {list(RUNTIMES)}")
        if len(code.encode()) > MAX_FUNCTION_BYTES:
            raise FunctionCodeError(f"Function code is larger than {MAX_FUNCTION_BYTES} bytes")
        self.code = code
        self.runtime = runtime
        self._lock = threading.Lock()
        self._ctx, self._invoke = self._compile()

    def _compile(self) -> tuple[quickjs.Context, Any]:
        ctx = quickjs.Context()
        ctx.set_time_limit(KILL_AFTER_SECONDS)
        ctx.eval(_PRELUDE)
        try:
            ctx.eval(self.code)
        except quickjs.JSException as exc:
            raise FunctionCodeError(
                f"The function code is not valid JavaScript: {_first_line(exc)}"
            ) from None
        if ctx.eval("typeof handler") != "function":
            raise FunctionCodeError("The function code must define a function named handler")
        allow_async = "true" if self.runtime == "cloudfront-js-2.0" else "false"
        ctx.eval(_INVOKE.replace("__ALLOW_ASYNC__", allow_async))
        # The memory quota covers the run, not the engine's own start-up, so it is set after compiling.
        ctx.set_memory_limit(MEMORY_LIMIT_BYTES)
        return ctx, ctx.get("__cf_invoke")

    def run(self, event: dict) -> FunctionRun:
        with self._lock:
            if self._ctx is None:
                self._ctx, self._invoke = self._compile()
            ctx = self._ctx
            started = time.perf_counter()
            try:
                self._invoke(json.dumps(event))
                # Settle promises returned by async handlers (cloudfront-js-2.0).
                while ctx.execute_pending_job():
                    pass
                elapsed = time.perf_counter() - started
                logs = json.loads(ctx.eval("__cf_logs()"))
                error = ctx.eval("__cf_error === undefined ? null : __cf_error")
                done = ctx.eval("__cf_done")
                raw = ctx.eval("__cf_result === undefined ? null : __cf_result")
            except quickjs.JSException as exc:  # time or memory limit hit outside the handler's own try
                elapsed, error, done, logs, raw = (
                    time.perf_counter() - started,
                    _limit_message(exc),
                    True,
                    [],
                    None,
                )
            if error is None and not done:
                error = "The handler's Promise never settled"
            if error is not None:
                # A failed run may leave half-built globals or an exhausted heap: start clean next time.
                self._ctx = self._invoke = None
        output = json.loads(raw) if (error is None and raw is not None) else None
        return FunctionRun(output=output, logs=logs, error=error, compute_utilization=_utilization(elapsed))


def _utilization(elapsed: float) -> int:
    return max(1, min(100, round(elapsed / COMPUTE_BUDGET_SECONDS * 100)))


def _limit_message(exc: BaseException) -> str:
    text = _first_line(exc)
    if "interrupted" in text:
        return (
            f"InternalError: the function ran longer than {KILL_AFTER_SECONDS * 1000:.0f} ms and was stopped"
        )
    if text in ("null", "") or "out of memory" in text:
        return "MemoryError: the function exceeded its memory limit"
    return text


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def run_function(code: str, event: dict, runtime: str = DEFAULT_RUNTIME) -> dict:
    """Run ``code`` once on ``event`` the way TestFunction does; never raises for a failing function.

    Returns the fields of the API's TestResult (CloudFront API reference, TestResult):
    ``FunctionOutput`` (JSON text of the returned object, wrapped as {"request": ...} or {"response": ...}),
    ``FunctionExecutionLogs`` (console.log lines), ``FunctionErrorMessage`` (empty on success) and
    ``ComputeUtilization`` (a string, as the API sends it). ``output`` holds the returned object itself.
    Raises FunctionCodeError when the code does not compile (the caller maps it to the API error).
    """
    run = CompiledFunction(code, runtime).run(event)
    wrapped = ""
    if run.ok and isinstance(run.output, dict):
        kind = "response" if "statusCode" in run.output else "request"
        wrapped = json.dumps({kind: run.output}, separators=(",", ":"))
    return {
        "output": run.output,
        "FunctionOutput": wrapped,
        "FunctionExecutionLogs": run.logs,
        "FunctionErrorMessage": run.error or "",
        "ComputeUtilization": str(run.compute_utilization),
    }
