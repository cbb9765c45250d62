"""The CloudFront Functions runtime: QuickJS with CloudFront's restrictions, run in killable worker processes.

Shared by the edge (viewer-request functions on real requests) and the control plane (TestFunction), so a
function behaves the same in both places. The parts: see hostlab.local.functions.

Sources (CF-DG = CloudFront Developer Guide):
- Event and result shapes: CF-DG functions-event-structure.html.
- Restrictions (no dynamic code evaluation, no timers, logs truncated at 10 KB) and compute utilization:
  CF-DG cloudfront-function-restrictions.html and functions-javascript-runtime-features.html.
- 2 MB memory per function, 10 KB function size: CF-DG cloudfront-limits.html (CloudFront Functions quotas).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from hostlab.local.functions.engine import LOG_LIMIT_BYTES, MEMORY_LIMIT_BYTES
from hostlab.local.functions.pool import WorkerPool, shared_pool

__all__ = [
    "COMPUTE_BUDGET_SECONDS",
    "DEFAULT_RUNTIME",
    "LOG_LIMIT_BYTES",
    "MAX_FUNCTION_BYTES",
    "MEMORY_LIMIT_BYTES",
    "RUNTIMES",
    "WALL_TIME_LIMIT_SECONDS",
    "CompiledFunction",
    "FunctionCodeError",
    "FunctionRun",
    "run_function",
]

# cloudfront-js-1.0 is ES 5.1 plus some ES6-9 features (no const/let, no async/await); cloudfront-js-2.0 adds
# ES2020 features including async handlers (CF-DG functions-javascript-runtime-features.html and
# functions-javascript-runtime-20.html). QuickJS accepts the 2.0 language for both; what 1.0 rejects here is a
# handler that returns a Promise. Syntax-level 1.0 restrictions (const/let) are NOT enforced locally.
RUNTIMES = ("cloudfront-js-1.0", "cloudfront-js-2.0")
DEFAULT_RUNTIME = "cloudfront-js-2.0"

MAX_FUNCTION_BYTES = 10 * 1024  # CF-DG cloudfront-limits.html: maximum function size 10 KB
# CF-DG cloudfront-function-restrictions.html ("Compute utilization"): functions have a limit on the time
# they can take to run; ComputeUtilization is the run time as a percentage of that maximum. AWS does not
# publish the maximum. ASSUMPTION: 1 ms of wall time is 100 %, so the figure is indicative only (the engine
# and machine differ from AWS's).
COMPUTE_BUDGET_SECONDS = 0.001
# ASSUMPTION (AWS publishes no number, see above): a run is stopped after this much WALL-CLOCK time, counted
# from the moment its worker has the request, whatever the code does (loop, regex backtracking, deep
# recursion, allocation). Much longer than the 100 % budget, because a busy 2-core machine can preempt a
# healthy function for milliseconds; only runaway code should hit it. Stopped = its worker is killed.
WALL_TIME_LIMIT_SECONDS = 0.2


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


def _checked(code: str, runtime: str) -> None:
    if runtime not in RUNTIMES:
        raise FunctionCodeError(f"Unknown runtime {runtime!r}; expected one of {list(RUNTIMES)}")
    if len(code.encode()) > MAX_FUNCTION_BYTES:
        raise FunctionCodeError(f"Function code is larger than {MAX_FUNCTION_BYTES} bytes")


def _stopped_message(limit: float) -> str:
    return f"InternalError: the function ran longer than {limit * 1000:.0f} ms and was stopped"


class CompiledFunction:
    """One function's code, compiled in a worker and run many times, concurrently when asked to.

    Construction checks the code (size, runtime, that it compiles and defines ``handler``) and raises
    FunctionCodeError. Each worker then keeps its own compiled copy under this object's key: the same
    function run twice in a row normally lands on the same worker and context (global state carries over,
    as in a warm CloudFront runtime), while concurrent runs get their own workers. A run that failed drops
    its worker's copy, so the next run there starts clean.
    """

    def __init__(
        self,
        code: str,
        runtime: str = DEFAULT_RUNTIME,
        *,
        pool: WorkerPool | None = None,
        time_limit: float = WALL_TIME_LIMIT_SECONDS,
    ):
        _checked(code, runtime)
        self.code = code
        self.runtime = runtime
        self.time_limit = time_limit
        self._pool = pool or shared_pool()
        # A new key per object: a new ETag of the same code starts from fresh globals.
        self.key = f"{hashlib.sha256(code.encode()).hexdigest()[:16]}:{uuid.uuid4().hex}"
        answer = self._pool.request(self._message("compile"), time_limit)
        if "compile_error" in answer:
            raise FunctionCodeError(answer["compile_error"])
        # A top-level statement that runs away is not a compile error: each run will be stopped the same way.

    def _message(self, op: str, event: dict | None = None, keep: bool = True) -> dict[str, Any]:
        message: dict[str, Any] = {"op": op, "key": self.key, "code": self.code, "runtime": self.runtime}
        if op == "run":
            message.update(event=event, keep=keep)
        return message

    def run(self, event: dict, *, keep: bool = True) -> FunctionRun:
        answer = self._pool.request(self._message("run", event, keep), self.time_limit)
        return _to_run(answer, self.time_limit)


def _to_run(answer: dict[str, Any], limit: float) -> FunctionRun:
    if "stopped" in answer:
        return FunctionRun(error=_stopped_message(limit), compute_utilization=100)
    if "crashed" in answer or "unavailable" in answer:
        detail = answer.get("crashed") or answer.get("unavailable")
        return FunctionRun(error=f"InternalError: {detail}", compute_utilization=100)
    if "compile_error" in answer:
        raise FunctionCodeError(answer["compile_error"])
    error = answer.get("error")
    raw = answer.get("result")
    output = json.loads(raw) if (error is None and raw is not None) else None
    return FunctionRun(
        output=output,
        logs=list(answer.get("logs") or []),
        error=error,
        compute_utilization=_utilization(float(answer.get("elapsed") or 0.0)),
    )


def _utilization(elapsed: float) -> int:
    return max(1, min(100, round(elapsed / COMPUTE_BUDGET_SECONDS * 100)))


def run_function(
    code: str,
    event: dict,
    runtime: str = DEFAULT_RUNTIME,
    *,
    pool: WorkerPool | None = None,
    time_limit: float = WALL_TIME_LIMIT_SECONDS,
) -> dict:
    """Run ``code`` once on ``event`` the way TestFunction does; never raises for a failing function.

    One request to one worker, which compiles a throw-away copy and runs it (TestFunction starts clean).
    Returns the fields of the API's TestResult (CloudFront API reference, TestResult):
    ``FunctionOutput`` (JSON text of the returned object, wrapped as {"request": ...} or {"response": ...}),
    ``FunctionExecutionLogs`` (console.log lines), ``FunctionErrorMessage`` (empty on success) and
    ``ComputeUtilization`` (a string, as the API sends it). ``output`` holds the returned object itself.
    Raises FunctionCodeError when the code does not compile (the caller maps it to the API error).
    """
    _checked(code, runtime)
    message = {
        "op": "run",
        "key": f"once:{uuid.uuid4().hex}",
        "code": code,
        "runtime": runtime,
        "event": event,
        "keep": False,
    }
    run = _to_run((pool or shared_pool()).request(message, time_limit), time_limit)
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
