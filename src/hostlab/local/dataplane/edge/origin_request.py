"""What CloudFront sends to the origin: forwarded headers, the Host rule, cookies, query strings, additions.

Sources (CF-DG = CloudFront Developer Guide):
- Per-header behaviour when nothing is configured: RequestAndResponseBehaviorCustomOrigin.html, table "HTTP
  request headers and CloudFront behavior": most standard headers are forwarded, Accept / Accept-Charset /
  Accept-Language / Referer / Expect / X-HTTP-Method-Override are removed unless configured, Proxy-*, TE,
  Trailer, Upgrade, X-Edge-*, X-Forwarded-Proto and X-Real-IP are always removed, Connection becomes
  ``Keep-Alive``, User-Agent becomes ``Amazon CloudFront`` unless forwarded, Host becomes the origin's domain
  name unless forwarded, X-Amz-Cf-Id is added, the client IP is appended to X-Forwarded-For.
- Forwarding a whitelist still forwards the default headers (header-caching.md).
- Cache-key values always reach the origin; an origin request policy adds more; a cache-policy allow list
  beats an origin-request-policy block list (understanding-how-origin-request-policies-and-cache-policies-
  work-together.html).
- Origin custom headers are added, overwriting a viewer header of the same name
  (add-origin-custom-headers.html).
- Via: the Lambda@Edge origin-request event example shows ``<viewer HTTP version> <id>.cloudfront.net
  (CloudFront)`` on origin requests (lambda-event-structure.html); the value format is the response one
  (RequestAndResponseBehaviorCustomOrigin.html, "Via").
- Authorization is removed from GET and HEAD requests unless forwarded, and forwarded for the other methods
  (add-origin-custom-headers.html, "Configure CloudFront to forward the Authorization header").

"Other-defined" (custom) viewer headers: with cache and origin request policies they are forwarded only
when a policy names them (controlling-origin-requests.html: other viewer headers are "not included in the
origin request by default"). With legacy cache settings (ForwardedValues) the header table applies:
"Other-defined headers: CloudFront forwards other-defined headers to your origin"
(RequestAndResponseBehaviorCustomOrigin.html), while the standard headers it lists as removed unless
configured (Accept, Accept-Charset, Accept-Language, Referer, X-HTTP-Method-Override) stay removed.
"""

from __future__ import annotations

from dataclasses import dataclass

from hostlab.local.dataplane.edge.messages import (
    ViewerRequest,
    join_cookies,
    join_query,
    split_cookies,
    split_query,
)
from hostlab.local.dataplane.edge.model import CLOUDFRONT_HEADER_PREFIX, Behavior, CacheRules, Origin

# Forwarded even when nothing is configured (the header table's "CloudFront forwards the header").
DEFAULT_FORWARDED = frozenset(
    {
        "cache-control",
        "content-length",
        "content-md5",
        "content-type",
        "date",
        "from",
        "if-match",
        "if-modified-since",
        "if-none-match",
        "if-range",
        "if-unmodified-since",
        "max-forwards",
        "origin",
        "pragma",
        "range",
        "request-range",
        "via",
        "warning",
    }
)
# Never forwarded, whatever the configuration (removed by CloudFront or hop-by-hop for the connection).
NEVER_FORWARDED = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        # The header table says Transfer-Encoding is forwarded; here the edge has read the whole body and
        # sends Content-Length instead (a local simplification, see the request body below).
        "transfer-encoding",
        "upgrade",
        "x-forwarded-proto",
        "x-real-ip",
        "x-amz-cf-id",
        # The edge answers "Expect: 100-continue" itself and has the whole body before it calls the origin.
        "expect",
    }
)
# Standard headers the header table removes unless the configuration names them (other standard headers
# are in DEFAULT_FORWARDED, NEVER_FORWARDED or set by the edge itself).
REMOVED_UNLESS_CONFIGURED = frozenset(
    {"accept", "accept-charset", "accept-language", "referer", "x-http-method-override"}
)
# Headers the edge sets itself below; the viewer's copies are never passed on as they are.
_HANDLED = frozenset(
    {
        "host",
        "user-agent",
        "x-forwarded-for",
        "cookie",
        "accept-encoding",
        "authorization",
        "via",
        "content-length",
    }
)
USER_AGENT = "Amazon CloudFront"


@dataclass
class OriginRequest:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    host_forwarded: bool
    host: str  # the Host header value sent to the origin


def header_selected(behavior: Behavior, name: str) -> bool:
    """Whether the configuration forwards viewer header ``name`` (lower-case) to the origin."""
    return behavior.cache.headers.includes(name) or behavior.forward.headers.includes(name)


def host_is_forwarded(behavior: Behavior) -> bool:
    """The viewer's Host goes to the origin when a cache policy, an origin request policy (e.g. AllViewer)
    or legacy forwarding (a whitelist with Host, or ``*``) includes it (CF-DG controlling-origin-requests
    .html)."""
    return header_selected(behavior, "host")


def cloudfront_headers_wanted(behavior: Behavior) -> set[str]:
    names = {n for n in behavior.cache.headers.names if n.startswith(CLOUDFRONT_HEADER_PREFIX)}
    if behavior.cache.headers.behavior != "whitelist":
        names = set()
    return names | set(behavior.forward.cloudfront_headers)


def cloudfront_header_value(name: str, req: ViewerRequest) -> str | None:
    """The CloudFront-* headers the local edge can compute (CF-DG adding-cloudfront-headers.html).

    Country, device type and TLS details need AWS's data and are not emulated (None)."""
    if name == "cloudfront-forwarded-proto":
        return req.scheme
    if name == "cloudfront-viewer-address":
        return f"{req.client_ip}:{req.client_port}"
    if name == "cloudfront-viewer-http-version":
        return req.http_version
    return None


def normalized_accept_encoding(value: str | None, rules: CacheRules) -> str | None:
    """CloudFront forwards a normalized Accept-Encoding when the viewer accepts gzip or br and the cache
    policy enables that compression (CF-DG controlling-the-cache-key.html, "Compression support"). With
    both flags false, Accept-Encoding is like any other header: not in the key and not forwarded unless a
    policy names it (API reference ParametersInCacheKeyAndForwardedToOrigin, EnableAcceptEncodingGzip)."""
    if not value:
        return None
    tokens = {t.split(";", 1)[0].strip().lower() for t in value.split(",")}
    chosen = [t for t, enabled in (("br", rules.brotli), ("gzip", rules.gzip)) if enabled and t in tokens]
    return ",".join(chosen) or None


def forwarded_query(req: ViewerRequest, behavior: Behavior) -> str:
    cache = behavior.cache
    if cache.legacy and cache.legacy_forward_all_query:
        return req.query
    pairs = [
        (n, v)
        for n, v in split_query(req.query)
        if cache.query.includes(n) or behavior.forward.query.includes(n)
    ]
    return join_query(pairs)


def forwarded_cookies(req: ViewerRequest, behavior: Behavior) -> str:
    cookies = [
        (n, v)
        for n, v in split_cookies(req.headers)
        if behavior.cache.cookies.includes(n) or behavior.forward.cookies.includes(n)
    ]
    return join_cookies(cookies)


def via_value(http_version: str, via_id: str) -> str:
    return f"{http_version} {via_id}.cloudfront.net (CloudFront)"


def build_origin_request(
    req: ViewerRequest,
    behavior: Behavior,
    origin: Origin,
    *,
    request_id: str,
    via_id: str,
    extra_headers: list[tuple[str, str]] | None = None,
) -> OriginRequest:
    """The request CloudFront sends to ``origin`` for viewer request ``req`` under ``behavior``."""
    headers: list[tuple[str, str]] = []
    for name, value in req.headers:
        lower = name.lower()
        if (
            lower in NEVER_FORWARDED
            or lower in _HANDLED
            or lower.startswith(("x-edge-", CLOUDFRONT_HEADER_PREFIX))
        ):
            continue
        if (
            lower in DEFAULT_FORWARDED
            or header_selected(behavior, lower)
            or (behavior.cache.legacy and lower not in REMOVED_UNLESS_CONFIGURED)
        ):
            headers.append((name, value))

    forwarded_host = host_is_forwarded(behavior) and req.header("host")
    host = forwarded_host or origin.domain_name
    headers.insert(0, ("Host", host))

    if header_selected(behavior, "user-agent") and req.header("user-agent") is not None:
        headers.append(("User-Agent", req.header("user-agent") or ""))
    else:
        headers.append(("User-Agent", USER_AGENT))

    auth = req.header("authorization")
    if auth is not None and (header_selected(behavior, "authorization") or req.method not in ("GET", "HEAD")):
        headers.append(("Authorization", auth))

    encoding = req.header("accept-encoding")
    if header_selected(behavior, "accept-encoding") and encoding is not None:
        headers.append(("Accept-Encoding", encoding))
    elif normalized := normalized_accept_encoding(encoding, behavior.cache):
        headers.append(("Accept-Encoding", normalized))

    if cookie := forwarded_cookies(req, behavior):
        headers.append(("Cookie", cookie))

    for name in sorted(cloudfront_headers_wanted(behavior)):
        if (value := cloudfront_header_value(name, req)) is not None:
            headers.append(("-".join(p.capitalize() for p in name.split("-")), value))

    xff = [v for v in req.header_values("x-forwarded-for") if v.strip()]
    headers.append(("X-Forwarded-For", ",".join([*xff, req.client_ip])))
    our_via = via_value(req.http_version, via_id)
    viewer_via = req.header("via")
    headers.append(("Via", f"{viewer_via}, {our_via}" if viewer_via else our_via))
    headers.append(("X-Amz-Cf-Id", request_id))
    headers.append(("Connection", "Keep-Alive"))
    for name, value in extra_headers or ():
        headers = [(n, v) for n, v in headers if n.lower() != name.lower()]
        headers.append((name, value))

    # Origin custom headers overwrite viewer headers of the same name.
    for name, value in origin.custom_headers:
        headers = [(n, v) for n, v in headers if n.lower() != name.lower()]
        headers.append((name, value))

    body = req.body
    if body or req.method in ("POST", "PUT", "PATCH"):
        headers.append(("Content-Length", str(len(body))))

    query = forwarded_query(req, behavior)
    target = f"{origin.origin_path}{req.path}" + (f"?{query}" if query else "")
    return OriginRequest(req.method, target, headers, body, bool(forwarded_host), host)
