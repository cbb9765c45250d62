"""Calls from the backend process to its own AWS API, handed to the API's WSGI application without a socket.

The data plane reads AWS state only through the public API (dataplane/api_clients.py), and the clients it
reads with live in the very process that serves that API. Over loopback HTTP each such call paid for a
connection, a thread and HTTP parsing on both sides: 2.3 ms of this process's CPU for a ListServices and
2.5 ms for a ListDistributions, where the same requests handed straight to the WSGI application cost 0.8
and 1.1 ms (benchmarks/bench_in_process.py, both sides of each call counted). About half of all the API
calls of the test suite were these reads.

What stays the same is everything the API sees and answers: the request as botocore built and signed it
(method, path, query, headers, body), moto's dispatch, the control-plane extensions and their locks, the
status, headers and body of the answer, botocore's parsing, retries and errors. What goes is the socket: the
call runs on the caller's thread (a server thread ran it before, while the caller waited), without connect
or read timeouts, and werkzeug's server-level framing (the environ is built as werkzeug's server builds it,
serving.py WSGIRequestHandler.make_environ). Only a client whose endpoint is this process's own API takes
this path; any other endpoint (another backend, AWS) is reached over the network as before.

How: botocore emits ``before-send`` with the prepared request before it sends anything, and a handler's
AWSResponse is used instead of sending (botocore/endpoint.py, Endpoint._do_get_response; the mechanism
botocore's own Stubber uses). :func:`attach` registers that handler on a client.
"""

from __future__ import annotations

import io
import logging
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import unquote, urlsplit

from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError

log = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

_apps: dict[str, WsgiApp] = {}
_lock = threading.Lock()


def serve(api_url: str, app: WsgiApp) -> None:
    """Clients attached from now on whose endpoint is ``api_url`` call ``app`` in this process."""
    with _lock:
        _apps[api_url.rstrip("/")] = app


def forget(api_url: str) -> None:
    """Undo serve(); clients attached before keep their handler and fail like a stopped server would."""
    with _lock:
        _apps.pop(api_url.rstrip("/"), None)


def attach(client: Any, api_url: str) -> bool:
    """Make ``client`` call this process's API in process when ``api_url`` is served here; True if it does."""
    with _lock:
        app = _apps.get(api_url.rstrip("/"))
    if app is None:
        return False
    client.meta.events.register("before-send", _Sender(api_url))
    return True


class _Body(io.BytesIO):
    """The answer's body, read the two ways botocore reads urllib3's response: whole (AWSResponse.content,
    through stream()) and, for streaming outputs such as GetFunction's FunctionCode, through read()
    (StreamingBody)."""

    def stream(self, **_kwargs: Any) -> Iterable[bytes]:
        return iter((self.getvalue(),))


class _Sender:
    """The ``before-send`` handler: one WSGI call per request, its answer as botocore's AWSResponse."""

    def __init__(self, api_url: str):
        parts = urlsplit(api_url)
        self.api_url = api_url.rstrip("/")
        self.netloc = parts.netloc
        self.server_name = parts.hostname or "127.0.0.1"
        self.server_port = str(parts.port or 80)

    # botocore calls handlers with keyword arguments: request=..., plus event_name.
    def __call__(self, request: Any, **_kwargs: Any) -> AWSResponse | None:
        if request.url != self.api_url and not request.url.startswith(f"{self.api_url}/"):
            return None  # not this API (a redirect elsewhere): botocore sends it itself
        with _lock:
            app = _apps.get(self.api_url)
        if app is None:
            raise EndpointConnectionError(endpoint_url=self.api_url, error="its server stopped")
        environ = self._environ(request)
        answer: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
            answer["status"] = int(status.split(" ", 1)[0])
            answer["headers"] = headers

        try:
            chunks = app(environ, start_response)
            try:
                body = b"".join(chunks)
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
        except Exception:
            # What werkzeug's server does with an application error (serving.py, run_wsgi): log it with its
            # traceback and answer 500.
            log.warning("the API failed on %s %s", request.method, request.url, exc_info=True)
            failed = _Body(b"Internal Server Error")
            return AWSResponse(request.url, 500, {"Content-Type": "text/plain"}, failed)
        headers: dict[str, str] = {}
        for name, value in answer["headers"]:
            # Repeated fields joined with ", " as urllib3's HTTPHeaderDict gives them to botocore.
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return AWSResponse(request.url, answer["status"], headers, _Body(body))

    def _environ(self, request: Any) -> dict[str, Any]:
        url = urlsplit(request.url)
        body = request.body
        if body is None:
            data = b""
        elif isinstance(body, (bytes, bytearray)):
            data = bytes(body)
        elif isinstance(body, str):
            data = body.encode("utf-8")
        else:  # a file-like body (botocore seeks it back before a retry)
            data = body.read()
        target = url.path + (f"?{url.query}" if url.query else "")
        environ: dict[str, Any] = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(data),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "REQUEST_METHOD": request.method,
            "SCRIPT_NAME": "",
            # werkzeug: the path percent-decoded as UTF-8, then carried as latin-1 (PEP 3333 native strings)
            "PATH_INFO": _native(unquote(url.path)),
            "QUERY_STRING": _native(url.query),
            "REQUEST_URI": _native(target),
            "RAW_URI": _native(target),
            "REMOTE_ADDR": "127.0.0.1",
            "REMOTE_PORT": 0,
            "SERVER_NAME": self.server_name,
            "SERVER_PORT": self.server_port,
            "SERVER_PROTOCOL": "HTTP/1.1",
            # What http.client adds to botocore's prepared headers (http/client.py, putrequest): Host, from
            # the URL, and Accept-Encoding: identity
            "HTTP_HOST": self.netloc,
            "HTTP_ACCEPT_ENCODING": "identity",
        }
        # botocore's prepared headers carry Content-Length (0 for a POST without a body), so nothing is added
        # for it here (tests/test_in_process.py compares with what werkzeug's server hands the application).
        for name, value in request.headers.items():
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            if "_" in name:
                continue  # werkzeug drops such fields (they would be ambiguous once "-" becomes "_")
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ[key] = value
            else:
                environ[f"HTTP_{key}"] = value
        return environ


def _native(text: str) -> str:
    return text.encode("utf-8").decode("latin-1")
