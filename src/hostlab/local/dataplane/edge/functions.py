"""Viewer-request CloudFront Functions at the edge: the event, the run, and checking what comes back.

Sources (CF-DG = CloudFront Developer Guide):
- Event shape (version "1.0", context, viewer.ip, request.method/uri/querystring/headers/cookies, lower-case
  header names, multiValue for repeated names, cookies outside headers): functions-event-structure.html.
- A function returns the request (possibly modified) or a response; method is read-only; a new uri must start
  with "/"; header names must be lower-case and are converted back with each word capitalised
  (functions-event-structure.html). A changed uri does not change the cache behaviour or origin.
- Disallowed headers are not exposed and cannot be added; read-only headers in viewer-request events are
  Content-Length, Host, Transfer-Encoding and Via; breaking either rule fails validation and CloudFront
  returns 502 (edge-function-restrictions-all.html, "HTTP headers").
- A function that throws or exceeds its limits gives 503 (http-503-service-unavailable.html, "function
  execution error"). Runs happen in worker processes (hostlab.local.functions.pool): one stopped at its
  wall-clock limit has its worker killed, and every other request and distribution keeps being served.
- Viewer-request functions run before the cache lookup, and not when CloudFront redirects HTTP to HTTPS
  (lambda-cloudfront-trigger-events.html, "Viewer request").
ASSUMPTION: a header name with upper-case letters in the returned object fails validation (502), since the
guide says names "must be lowercase"; removing a read-only header counts as changing it.
"""

from __future__ import annotations

import base64
import threading
from dataclasses import dataclass

from hostlab.local.dataplane.edge.messages import (
    EdgeResponse,
    ViewerRequest,
    join_cookies,
    join_query,
    split_cookies,
    split_query,
)
from hostlab.local.functions.pool import WorkerPool, shared_pool
from hostlab.local.functions.runtime import CompiledFunction, FunctionCodeError

DISALLOWED_HEADERS = frozenset(
    {
        "connection",
        "expect",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "trailer",
        "upgrade",
        "x-accel-buffering",
        "x-accel-charset",
        "x-accel-limit-rate",
        "x-accel-redirect",
        "x-amzn-auth",
        "x-amzn-cf-billing",
        "x-amzn-cf-id",
        "x-amzn-cf-xff",
        "x-amzn-errortype",
        "x-amzn-fle-profile",
        "x-amzn-header-count",
        "x-amzn-header-order",
        "x-amzn-lambda-integration-tag",
        "x-amzn-requestid",
        "x-cache",
        "x-forwarded-proto",
        "x-real-ip",
    }
)
DISALLOWED_PREFIXES = ("x-amz-cf-", "x-edge-")
READ_ONLY_VIEWER_REQUEST = frozenset({"content-length", "host", "transfer-encoding", "via"})


@dataclass(frozen=True)
class LiveFunction:
    """A function's LIVE stage as read through the API (ListFunctions and GetFunction with Stage=LIVE)."""

    name: str
    etag: str
    runtime: str
    code: str


@dataclass
class FunctionOutcome:
    """``request`` (continue), ``response`` (answer the viewer), or ``status`` 502/503 with a reason."""

    request: ViewerRequest | None = None
    response: EdgeResponse | None = None
    status: int = 0
    detail: str = ""
    logs: tuple[str, ...] = ()


def _hidden(name: str) -> bool:
    return name in DISALLOWED_HEADERS or name.startswith(DISALLOWED_PREFIXES)


def _fields(pairs: list[tuple[str, str]]) -> dict:
    """[(name, value)] -> {name: {"value": first, "multiValue": [...]}} (multiValue only for repeats)."""
    grouped: dict[str, list[str]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    out = {}
    for name, values in grouped.items():
        entry: dict = {"value": values[0]}
        if len(values) > 1:
            entry["multiValue"] = [{"value": v} for v in values]
        out[name] = entry
    return out


def _values(entry: object, original: dict | None) -> list[str]:
    """The values a returned field stands for, applying the documented multiValue rules."""
    if not isinstance(entry, dict) or "value" not in entry:
        raise ValueError(f"expected an object with a value, got {entry!r}")
    multi = entry.get("multiValue")
    if isinstance(multi, list) and (original is None or multi != original.get("multiValue")):
        return [str(item["value"]) for item in multi]
    if isinstance(multi, list):  # multiValue unchanged: a changed value replaces the first one only
        rest = [str(item["value"]) for item in multi[1:]]
        return [str(entry["value"]), *rest]
    return [str(entry["value"])]


def title_case(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def build_event(req: ViewerRequest, distribution_id: str, distribution_domain: str, request_id: str) -> dict:
    headers = [(n.lower(), v) for n, v in req.headers if n.lower() != "cookie" and not _hidden(n.lower())]
    query = [(n, v if v is not None else "") for n, v in split_query(req.query)]
    return {
        "version": "1.0",
        "context": {
            "distributionDomainName": distribution_domain,
            "distributionId": distribution_id,
            "eventType": "viewer-request",
            "requestId": request_id,
        },
        "viewer": {"ip": req.client_ip},
        "request": {
            "method": req.method,
            "uri": req.path,
            "querystring": _fields(query),
            "headers": _fields(headers),
            "cookies": _fields(split_cookies(req.headers)),
        },
    }


class FunctionRunner:
    """Compiles each LIVE function once per ETag and runs it on viewer requests.

    The lock guards only the table of compiled functions; runs happen outside it, in parallel workers.
    """

    def __init__(self, pool: WorkerPool | None = None) -> None:
        # Started with the edge, so the workers are warm before the first request that needs one.
        self._pool = pool or shared_pool()
        self._lock = threading.Lock()
        self._compiled: dict[tuple[str, str], CompiledFunction | FunctionCodeError] = {}

    def _get(self, fn: LiveFunction) -> CompiledFunction | FunctionCodeError:
        key = (fn.name, fn.etag)
        with self._lock:
            found = self._compiled.get(key)
        if found is not None:
            return found
        try:
            compiled: CompiledFunction | FunctionCodeError = CompiledFunction(
                fn.code, fn.runtime, pool=self._pool
            )
        except FunctionCodeError as exc:
            compiled = exc
        with self._lock:
            # Older ETags of the same function are dead code now.
            for old in [k for k in self._compiled if k[0] == fn.name and k != key]:
                del self._compiled[old]
            self._compiled.setdefault(key, compiled)
            return self._compiled[key]

    def run_viewer_request(
        self,
        fn: LiveFunction,
        req: ViewerRequest,
        distribution_id: str,
        distribution_domain: str,
        request_id: str,
    ) -> FunctionOutcome:
        compiled = self._get(fn)
        if isinstance(compiled, FunctionCodeError):
            return FunctionOutcome(status=503, detail=str(compiled))
        event = build_event(req, distribution_id, distribution_domain, request_id)
        run = compiled.run(event)
        logs = tuple(run.logs)
        if not run.ok:
            return FunctionOutcome(status=503, detail=run.error or "", logs=logs)
        out = run.output
        try:
            if not isinstance(out, dict):
                raise ValueError(
                    f"the handler returned {type(out).__name__}, not a request or response object"
                )
            if "statusCode" in out:
                return FunctionOutcome(response=_to_response(out), logs=logs)
            return FunctionOutcome(request=_to_request(out, event["request"], req), logs=logs)
        except ValueError as exc:
            return FunctionOutcome(status=502, detail=str(exc), logs=logs)


def _check_names(fields: dict, kind: str) -> None:
    for name in fields:
        if name != name.lower():
            raise ValueError(f"{kind} name {name!r} must be lower-case")
        if _hidden(name):
            raise ValueError(f"the function added the disallowed header {name!r}")


def _to_request(out: dict, original: dict, req: ViewerRequest) -> ViewerRequest:
    if out.get("method", original["method"]) != original["method"]:
        raise ValueError("the function changed the read-only field method")
    uri = out.get("uri", original["uri"])
    if not isinstance(uri, str) or not uri.startswith("/"):
        raise ValueError(f"uri must start with '/', got {uri!r}")
    new_headers = out.get("headers") or {}
    if not isinstance(new_headers, dict):
        raise ValueError("headers must be an object")
    _check_names(new_headers, "header")
    old_headers = original["headers"]
    for name in READ_ONLY_VIEWER_REQUEST:
        before = _values(old_headers[name], None) if name in old_headers else None
        after = _values(new_headers[name], old_headers.get(name)) if name in new_headers else None
        if before != after:
            raise ValueError(f"the function changed the read-only header {name!r}")
    headers: list[tuple[str, str]] = []
    for name, entry in new_headers.items():
        headers += [(title_case(name), value) for value in _values(entry, old_headers.get(name))]
    # Headers the function never saw stay as the viewer sent them.
    headers += [(n, v) for n, v in req.headers if _hidden(n.lower())]

    cookies_out = out.get("cookies") or {}
    if cookies_out == original["cookies"]:
        headers += [(n, v) for n, v in req.headers if n.lower() == "cookie"]
    else:
        pairs = [
            (name, value)
            for name, entry in cookies_out.items()
            for value in _values(entry, original["cookies"].get(name))
        ]
        if pairs:
            headers.append(("Cookie", join_cookies(pairs)))

    query_out = out.get("querystring") or {}
    if isinstance(query_out, str):  # a function may also return the query string as text
        query = query_out.lstrip("?")
    elif query_out == original["querystring"]:
        query = req.query
    else:
        query = join_query(
            [
                (name, value)
                for name, entry in query_out.items()
                for value in _values(entry, original["querystring"].get(name))
            ]
        )
    return ViewerRequest(
        req.method,
        uri,
        query,
        headers,
        req.body,
        req.scheme,
        req.client_ip,
        req.client_port,
        req.http_version,
    )


def _to_response(out: dict) -> EdgeResponse:
    status = out.get("statusCode")
    if not isinstance(status, int) or not 100 <= status <= 599:
        raise ValueError(f"statusCode must be an integer HTTP status, got {status!r}")
    raw_headers = out.get("headers") or {}
    _check_names(raw_headers, "header")
    headers = [(title_case(n), v) for n, entry in raw_headers.items() for v in _values(entry, None)]
    for name, entry in (out.get("cookies") or {}).items():
        attributes = entry.get("attributes") if isinstance(entry, dict) else None
        value = f"{name}={entry['value']}" + (f"; {attributes}" if attributes else "")
        headers.append(("Set-Cookie", value))
    body = out.get("body")
    if isinstance(body, dict):
        data = str(body.get("data", ""))
        if body.get("encoding", "text") == "base64":
            try:
                payload = base64.b64decode(data, validate=True)
            except ValueError:
                raise ValueError("body.data is not valid base64") from None
        else:
            payload = data.encode()
    else:
        payload = b"" if body is None else str(body).encode()
    return EdgeResponse(status, str(out.get("statusDescription") or ""), headers, payload)
