"""Test doubles for the edge tests: a CloudFront API double, an echo origin, and config builders.

``FakeCloudFront`` answers the read calls the edge makes with botocore-shaped dicts, so the edge can be
tested before (and independently of) the control plane. ``EchoOrigin`` is a real HTTP(S) server on loopback
that answers with what it received, with knobs for status, headers and delay per path.
"""

from __future__ import annotations

import copy
import io
import json
import socket
import ssl
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hostlab.local.dataplane.tls import LocalCA

# Seconds any socket of these doubles may wait.
SOCKET_TIMEOUT = 10.0

CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def _qi(items: list) -> dict:
    return {"Quantity": len(items), "Items": list(items)}


def cache_policy(
    min_ttl=1,
    default_ttl=86400,
    max_ttl=31536000,
    headers=(),
    cookies="none",
    cookie_names=(),
    query="none",
    query_names=(),
    gzip=True,
    brotli=True,
) -> dict:
    """A CachePolicyConfig; the defaults are CachingOptimized's (CF-DG using-managed-cache-policies.html)."""
    return {
        "Name": "p",
        "MinTTL": min_ttl,
        "DefaultTTL": default_ttl,
        "MaxTTL": max_ttl,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": gzip,
            "EnableAcceptEncodingBrotli": brotli,
            "HeadersConfig": {
                "HeaderBehavior": "whitelist" if headers else "none",
                **({"Headers": _qi(list(headers))} if headers else {}),
            },
            "CookiesConfig": {
                "CookieBehavior": cookies,
                **({"Cookies": _qi(list(cookie_names))} if cookie_names else {}),
            },
            "QueryStringsConfig": {
                "QueryStringBehavior": query,
                **({"QueryStrings": _qi(list(query_names))} if query_names else {}),
            },
        },
    }


def origin_request_policy(headers="none", header_names=(), cookies="none", query="none") -> dict:
    return {
        "Name": "o",
        "HeadersConfig": {
            "HeaderBehavior": headers,
            **({"Headers": _qi(list(header_names))} if header_names else {}),
        },
        "CookiesConfig": {"CookieBehavior": cookies},
        "QueryStringsConfig": {"QueryStringBehavior": query},
    }


MANAGED_CACHE = {
    CACHING_OPTIMIZED: cache_policy(),
    CACHING_DISABLED: cache_policy(0, 0, 0, gzip=False, brotli=False),
}
MANAGED_ORIGIN_REQUEST = {
    ALL_VIEWER: origin_request_policy("allViewer", cookies="all", query="all"),
    ALL_VIEWER_EXCEPT_HOST: origin_request_policy("allExcept", ["Host"], cookies="all", query="all"),
}


def origin(
    domain: str,
    *,
    protocol="https-only",
    ssl_protocols=("TLSv1.2",),
    read_timeout=30,
    keepalive=5,
    attempts=3,
    connect_timeout=10,
    custom_headers=(),
    https_port=443,
    http_port=80,
    origin_id="o1",
) -> dict:
    return {
        "Id": origin_id,
        "DomainName": domain,
        "OriginPath": "",
        "CustomHeaders": _qi([{"HeaderName": n, "HeaderValue": v} for n, v in custom_headers]),
        "CustomOriginConfig": {
            "HTTPPort": http_port,
            "HTTPSPort": https_port,
            "OriginProtocolPolicy": protocol,
            "OriginSslProtocols": _qi(list(ssl_protocols)),
            "OriginReadTimeout": read_timeout,
            "OriginKeepaliveTimeout": keepalive,
        },
        "ConnectionAttempts": attempts,
        "ConnectionTimeout": connect_timeout,
    }


def behavior(
    *,
    cache_policy_id=None,
    origin_request_policy_id=None,
    forwarded_values=None,
    viewer="allow-all",
    methods=("GET", "HEAD"),
    functions=(),
    path=None,
    origin_id="o1",
    ttls=(0, 86400, 31536000),
) -> dict:
    b = {
        "TargetOriginId": origin_id,
        "ViewerProtocolPolicy": viewer,
        "AllowedMethods": {**_qi(list(methods)), "CachedMethods": _qi(["GET", "HEAD"])},
        "FunctionAssociations": _qi(
            [
                {
                    "FunctionARN": f"arn:aws:cloudfront::123456789012:function/{name}",
                    "EventType": "viewer-request",
                }
                for name in functions
            ]
        ),
    }
    if path is not None:
        b["PathPattern"] = path
    if cache_policy_id:
        b["CachePolicyId"] = cache_policy_id
        if origin_request_policy_id:
            b["OriginRequestPolicyId"] = origin_request_policy_id
    else:
        b["ForwardedValues"] = forwarded_values or {
            "QueryString": False,
            "Cookies": {"Forward": "none"},
            "Headers": _qi([]),
        }
        b["MinTTL"], b["DefaultTTL"], b["MaxTTL"] = ttls
    return b


def distribution_config(
    origins: list[dict], default: dict, behaviors=(), aliases=(), certificate=None, error_responses=()
) -> dict:
    return {
        "CallerReference": str(uuid.uuid4()),
        "Comment": "",
        "Enabled": True,
        "Aliases": _qi(list(aliases)),
        "Origins": _qi(origins),
        "DefaultCacheBehavior": default,
        "CacheBehaviors": _qi(list(behaviors)),
        "CustomErrorResponses": _qi(list(error_responses)),
        "ViewerCertificate": certificate
        or {"CloudFrontDefaultCertificate": True, "MinimumProtocolVersion": "TLSv1"},
    }


class FakeCloudFront:
    """Just enough of the CloudFront API, answering with botocore-shaped dicts. Thread-safe."""

    def __init__(self, deploy_seconds: float = 0.1):
        # At least the edge's snapshot max_age (config.py), as the real control plane guarantees.
        self.deploy_seconds = deploy_seconds
        self._lock = threading.Lock()
        self.distributions: dict[str, dict] = {}
        self.cache_policies = copy.deepcopy(MANAGED_CACHE)
        self.origin_request_policies = copy.deepcopy(MANAGED_ORIGIN_REQUEST)
        self.functions: dict[str, dict] = {}
        # Distribution ID -> [(invalidation ID, paths, completes_at)], in creation order.
        self.invalidations: dict[str, list[tuple[str, list[str], float]]] = {}
        self.calls: list[str] = []

    def add(self, config: dict, *, status: str | None = None, dist_id=None) -> str:
        """Create a distribution; like the real control plane it is InProgress for ``deploy_seconds``.

        ``status`` pins the status instead (until set_status)."""
        dist_id = dist_id or "E" + uuid.uuid4().hex[:12].upper()
        with self._lock:
            self.distributions[dist_id] = {
                "config": copy.deepcopy(config),
                "status": status,
                "deployed_at": time.monotonic() + self.deploy_seconds,
                "etag": uuid.uuid4().hex,
                "modified": datetime.now(UTC),
                "domain": f"d{dist_id[1:].lower()}.cloudfront.net",
            }
        return dist_id

    def domain(self, dist_id: str) -> str:
        return self.distributions[dist_id]["domain"]

    def status(self, dist_id: str) -> str:
        d = self.distributions[dist_id]
        if d["status"] is not None:
            return d["status"]
        return "Deployed" if time.monotonic() >= d["deployed_at"] else "InProgress"

    def wait_deployed(self, dist_id: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while self.status(dist_id) != "Deployed":
            assert time.monotonic() < deadline, f"{dist_id} never reached Deployed"
            time.sleep(0.02)

    def update(self, dist_id: str, config: dict, *, status: str | None = None) -> None:
        with self._lock:
            d = self.distributions[dist_id]
            d.update(
                config=copy.deepcopy(config),
                status=status,
                etag=uuid.uuid4().hex,
                modified=datetime.now(UTC),
                deployed_at=time.monotonic() + self.deploy_seconds,
            )

    def set_status(self, dist_id: str, status: str | None) -> None:
        with self._lock:
            self.distributions[dist_id]["status"] = status

    def invalidate(self, dist_id: str, paths: list[str]) -> str:
        """Create an invalidation; like the real control plane it is InProgress for ``deploy_seconds``."""
        invalidation_id = "I" + uuid.uuid4().hex[:12].upper()
        with self._lock:
            self.invalidations.setdefault(dist_id, []).append(
                (invalidation_id, list(paths), time.monotonic() + self.deploy_seconds)
            )
        return invalidation_id

    def invalidation_status(self, dist_id: str, invalidation_id: str) -> str:
        completes_at = next(c for i, _, c in self.invalidations[dist_id] if i == invalidation_id)
        return "Completed" if time.monotonic() >= completes_at else "InProgress"

    def wait_completed(self, dist_id: str, invalidation_id: str, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while self.invalidation_status(dist_id, invalidation_id) != "Completed":
            assert time.monotonic() < deadline, f"{invalidation_id} never reached Completed"
            time.sleep(0.02)

    def put_function(self, name: str, code: str, runtime="cloudfront-js-2.0") -> None:
        with self._lock:
            self.functions[name] = {
                "code": code,
                "runtime": runtime,
                "etag": uuid.uuid4().hex,
                "modified": datetime.now(UTC),
            }

    # -- the API the edge calls -----------------------------------------------------------------------------

    def list_distributions(self, **_):
        self.calls.append("list_distributions")
        with self._lock:
            items = [
                {
                    "Id": i,
                    "DomainName": d["domain"],
                    "Status": self.status(i),
                    "LastModifiedTime": d["modified"],
                }
                for i, d in self.distributions.items()
            ]
        return {"DistributionList": {"Items": items, "IsTruncated": False, "Quantity": len(items)}}

    def get_distribution_config(self, Id):
        self.calls.append("get_distribution_config")
        with self._lock:
            d = self.distributions[Id]
            return {"DistributionConfig": copy.deepcopy(d["config"]), "ETag": d["etag"]}

    def list_invalidations(self, DistributionId, **_):
        self.calls.append("list_invalidations")
        with self._lock:
            known = list(self.invalidations.get(DistributionId, []))
        items = [{"Id": i, "Status": self.invalidation_status(DistributionId, i)} for i, _, _ in known]
        return {"InvalidationList": {"Items": items, "IsTruncated": False, "Quantity": len(items)}}

    def get_invalidation(self, DistributionId, Id):
        self.calls.append("get_invalidation")
        with self._lock:
            paths = next(p for i, p, _ in self.invalidations[DistributionId] if i == Id)
        batch = {"Paths": {"Quantity": len(paths), "Items": list(paths)}, "CallerReference": Id}
        status = self.invalidation_status(DistributionId, Id)
        return {"Invalidation": {"Id": Id, "Status": status, "InvalidationBatch": batch}}

    def get_cache_policy(self, Id):
        self.calls.append("get_cache_policy")
        if Id not in self.cache_policies:
            from botocore.exceptions import ClientError

            raise ClientError(
                {"Error": {"Code": "NoSuchCachePolicy", "Message": "The cache policy does not exist."}},
                "GetCachePolicy",
            )
        return {
            "CachePolicy": {"Id": Id, "CachePolicyConfig": copy.deepcopy(self.cache_policies[Id])},
            "ETag": "e",
        }

    def get_origin_request_policy(self, Id):
        self.calls.append("get_origin_request_policy")
        return {
            "OriginRequestPolicy": {
                "Id": Id,
                "OriginRequestPolicyConfig": copy.deepcopy(self.origin_request_policies[Id]),
            },
            "ETag": "e",
        }

    def _list_custom(self, policies: dict, managed: frozenset, kind: str) -> dict:
        # Type=custom only: the IDs the edge does not know as managed. Summaries carry the whole
        # configuration and no ETag, as CloudFront's do.
        self.calls.append(f"list_{kind}_policies")
        items = [
            {"Type": "custom", kind_key(kind): {"Id": i, f"{kind_key(kind)}Config": copy.deepcopy(c)}}
            for i, c in policies.items()
            if i not in managed
        ]
        return {f"{kind_key(kind)}List": {"Items": items, "Quantity": len(items)}}

    def list_cache_policies(self, Type):
        from hostlab.local.dataplane.edge.config import MANAGED_CACHE_POLICIES

        assert Type == "custom"
        return self._list_custom(self.cache_policies, MANAGED_CACHE_POLICIES, "cache")

    def list_origin_request_policies(self, Type):
        from hostlab.local.dataplane.edge.config import MANAGED_ORIGIN_REQUEST_POLICIES

        assert Type == "custom"
        return self._list_custom(
            self.origin_request_policies, MANAGED_ORIGIN_REQUEST_POLICIES, "origin_request"
        )

    def list_functions(self, Stage):
        self.calls.append("list_functions")
        assert Stage == "LIVE"
        with self._lock:
            items = [
                {
                    "Name": name,
                    "FunctionConfig": {"Runtime": fn["runtime"]},
                    "FunctionMetadata": {"Stage": "LIVE", "LastModifiedTime": fn["modified"]},
                }
                for name, fn in self.functions.items()
            ]
        return {"FunctionList": {"Items": items, "Quantity": len(items)}}

    def describe_function(self, Name, Stage):
        self.calls.append("describe_function")
        if Name not in self.functions:
            from botocore.exceptions import ClientError

            raise ClientError(
                {"Error": {"Code": "NoSuchFunctionExists", "Message": "no such function"}}, "DescribeFunction"
            )
        fn = self.functions[Name]
        return {
            "FunctionSummary": {"Name": Name, "FunctionConfig": {"Runtime": fn["runtime"]}},
            "ETag": fn["etag"],
        }

    def get_function(self, Name, Stage):
        self.calls.append("get_function")
        fn = self.functions[Name]
        return {"FunctionCode": io.BytesIO(fn["code"].encode()), "ETag": fn["etag"]}


def kind_key(kind: str) -> str:
    return {"cache": "CachePolicy", "origin_request": "OriginRequestPolicy"}[kind]


class EchoOrigin:
    """An HTTP(S) origin on loopback answering JSON with what it received.

    ``routes`` maps a path to (status, extra headers, delay seconds); other paths get 200 without caching
    headers. ``hits`` counts requests per path. With ``tls_versions`` it speaks TLS with a certificate for
    ``names``, like App Runner's front (TLS 1.2+ by default).
    """

    def __init__(
        self,
        ca: LocalCA | None = None,
        names=("origin.test",),
        tls_versions=("TLSv1.2", "TLSv1.3"),
        hosts: tuple[str, ...] | None = None,
    ):
        # With ``hosts``, other Host values get what App Runner's Envoy front answers: 404, server: envoy,
        # empty body (envoyproxy/envoy issue 5292; tech-blog-e34.pages.dev) -
        # a stand-in for the real front, which tests/test_edge_backend.py uses.
        self.hosts = hosts
        self.routes: dict[str, tuple[int, list[tuple[str, str]], float]] = {}
        self.hits: dict[str, int] = {}
        self.last: dict | None = None
        self._lock = threading.Lock()
        self.sni: list[str | None] = []  # server names clients sent in their handshakes
        self.versions: list[str] = []  # TLS versions of the handshakes that succeeded
        tls = None
        if ca is not None:
            tls = ca.server_context(names, tls_versions)
            tls.sni_callback = lambda _sslobj, name, _ctx: self.sni.append(name)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True
            timeout = SOCKET_TIMEOUT  # an idle keep-alive connection from the edge's pool ends in time

            def setup(self):
                # The handshake runs on this connection's thread, with a timeout, never on the accept loop.
                if tls is not None:
                    self.request.settimeout(SOCKET_TIMEOUT)
                    self.request = tls.wrap_socket(self.request, server_side=True)
                    outer.versions.append(self.request.version())
                super().setup()

            def version_string(self):
                return "envoy"  # "Server: envoy", as App Runner's front answers

            def log_message(self, *args):
                pass

            def _answer(self):
                path = self.path.split("?", 1)[0]
                length = int(self.headers.get("Content-Length") or 0)
                body_in = self.rfile.read(length) if length else b""
                seen = {
                    "method": self.command,
                    "path": self.path,
                    "host": self.headers.get("Host"),
                    "headers": [[k, v] for k, v in self.headers.items()],
                    "body": body_in.decode("latin-1"),
                }
                with outer._lock:
                    outer.hits[path] = outer.hits.get(path, 0) + 1
                    outer.last = seen
                    status, extra, delay = outer.routes.get(path, (200, [], 0.0))
                if outer.hosts is not None and (self.headers.get("Host") or "") not in outer.hosts:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if delay:
                    time.sleep(delay)
                etag = next((v for k, v in extra if k.lower() == "etag"), None)
                if etag is not None and self.headers.get("If-None-Match") == etag:
                    self.send_response(304)
                    for k, v in extra:
                        self.send_header(k, v)
                    self.end_headers()
                    return
                body = json.dumps(seen).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for k, v in extra:
                    self.send_header(k, v)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_OPTIONS = do_PATCH = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # A failed handshake (a test of a certificate or protocol mismatch) is expected: no traceback.
        self.server.handle_error = lambda *_: None
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        )
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class FakeClock:
    def __init__(self, start: float = 1000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def free_port_closed() -> int:
    """A loopback port with nothing listening (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client_context(ca: LocalCA, versions=None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(ca.ca_pem))
    if versions:
        from hostlab.local.dataplane.tls import restrict_versions

        restrict_versions(ctx, versions)
    return ctx

