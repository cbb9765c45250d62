"""The cache key: which parts of a viewer request make two requests share one cached response.

CF-DG controlling-the-cache-key.html: the key always holds the distribution and the URL path; the cache
policy adds the headers, cookies and query strings it names, and a normalized Accept-Encoding when gzip or
Brotli is enabled. Header names are case-insensitive, values case-sensitive, and header order does not matter
(header-caching.md, "How the case of headers and header values affects caching"). Legacy ForwardedValues put
everything they forward in the key, except that QueryStringCacheKeys narrows the query strings in it.

The order of query string parameters is kept as received: the same parameters in another order are another
object (CF-DG QueryStringParameters.html, the order of parameters matters).
"""

from __future__ import annotations

from hostlab.local.dataplane.edge.messages import ViewerRequest, join_query, split_cookies, split_query
from hostlab.local.dataplane.edge.model import CLOUDFRONT_HEADER_PREFIX, Behavior
from hostlab.local.dataplane.edge.origin_request import cloudfront_header_value, normalized_accept_encoding

CacheKey = tuple


def cache_key(distribution_id: str, req: ViewerRequest, behavior: Behavior) -> CacheKey:
    rules = behavior.cache
    headers: list[tuple[str, str]] = []
    if rules.headers.behavior != "none":
        present = sorted({n.lower() for n, _ in req.headers})
        for name in present:
            if name.startswith(CLOUDFRONT_HEADER_PREFIX) or not rules.headers.includes(name):
                continue
            headers.append((name, ",".join(req.header_values(name))))
        for name in sorted(n for n in rules.headers.names if n.startswith(CLOUDFRONT_HEADER_PREFIX)):
            headers.append((name, cloudfront_header_value(name, req) or ""))
    cookies = tuple((n, v) for n, v in split_cookies(req.headers) if rules.cookies.includes(n))
    query = tuple((n, v) for n, v in split_query(req.query) if rules.query.includes(n))
    encoding = normalized_accept_encoding(req.header("accept-encoding"), rules)
    # The method is in the key: a cached HEAD response has no body to give a GET viewer.
    return (distribution_id, req.method, req.path, query, tuple(headers), cookies, encoding)


def distribution_of(key: CacheKey) -> str:
    return key[0]


def object_path(key: CacheKey) -> str:
    """The path an invalidation compares with: the URL path plus the query strings in the cache key, as
    received (CF-DG Invalidation.html: with query strings in the key, "you must include the query strings
    when invalidating files")."""
    path, query = key[2], key[3]
    return path + (f"?{join_query(list(query))}" if query else "")
