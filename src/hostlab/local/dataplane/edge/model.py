"""CloudFront's configuration as the edge uses it: immutable objects parsed from botocore-shaped dicts.

The input is exactly what boto3 returns (GetDistributionConfig's DistributionConfig, GetCachePolicy's
CachePolicyConfig, GetOriginRequestPolicy's OriginRequestPolicyConfig), so the parsing works against any
endpoint that speaks the CloudFront API. Names follow the API reference (docs.aws.amazon.com/cloudfront/
latest/APIReference/): CachePolicyConfig, OriginRequestPolicyConfig, ForwardedValues, CustomOriginConfig.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

# CloudFront headers that CloudFront itself computes and adds when a policy names them (CF-DG
# adding-cloudfront-headers.html). The edge emulates the ones it can compute locally (see origin_request.py).
CLOUDFRONT_HEADER_PREFIX = "cloudfront-"


class ConfigError(ValueError):
    """A configuration the edge cannot serve (for example a policy that cannot be read)."""


def _items(container: dict | None) -> list:
    """The Items of a {Quantity, Items} pair; absent or empty containers give []."""
    if not container:
        return []
    return list(container.get("Items") or [])


@dataclass(frozen=True)
class Selection:
    """Which names of one kind (headers, cookies or query strings) a rule selects.

    behavior is one of "none", "whitelist", "allExcept", "all". Header names are kept lower-case (HTTP header
    names are case-insensitive; CF-DG header-caching.md: the case of header names does not affect caching);
    cookie and query-string names are case-sensitive. ``wildcards`` allows * and ? in names (legacy cookie
    whitelists only; CF-DG distribution-web-values-specify.html, "Whitelist Cookies").
    """

    behavior: str = "none"
    names: frozenset[str] = frozenset()
    wildcards: bool = False

    def includes(self, name: str) -> bool:
        if self.behavior == "all":
            return True
        if self.behavior == "none":
            return False
        listed = self._listed(name)
        return listed if self.behavior == "whitelist" else not listed

    def _listed(self, name: str) -> bool:
        if name in self.names:
            return True
        return self.wildcards and any(fnmatch.fnmatchcase(name, pattern) for pattern in self.names)


NOTHING = Selection()
EVERYTHING = Selection("all")


@dataclass(frozen=True)
class CacheRules:
    """What goes into the cache key (and therefore always to the origin), and how long responses live.

    From a cache policy (CachePolicyConfig) or from legacy ForwardedValues, where everything forwarded is also
    in the cache key (CF-DG header-caching.md; QueryStringParameters.md; Cookies.md).
    """

    headers: Selection = NOTHING
    cookies: Selection = NOTHING
    query: Selection = NOTHING
    min_ttl: float = 0.0
    default_ttl: float = 0.0
    max_ttl: float = 0.0
    gzip: bool = False
    brotli: bool = False
    # Legacy ForwardedValues with Headers ["*"]: "CloudFront doesn't cache the objects associated with this
    # cache behavior" (CF-DG header-caching.md).
    never_cache: bool = False
    legacy: bool = False
    # Legacy QueryString=true forwards every query string; QueryStringCacheKeys only narrows the key.
    legacy_forward_all_query: bool = False

    @property
    def caching_disabled(self) -> bool:
        return self.never_cache or self.max_ttl <= 0


@dataclass(frozen=True)
class ForwardRules:
    """Values an origin request policy adds to origin requests without putting them in the cache key.

    Header behaviours (OriginRequestPolicyHeadersConfig): none | whitelist | allViewer |
    allViewerAndWhitelistCloudFront | allExcept. ``headers`` holds the viewer-header selection and
    ``cloudfront_headers`` the CloudFront-generated headers the policy asks for.
    """

    headers: Selection = NOTHING
    cookies: Selection = NOTHING
    query: Selection = NOTHING
    cloudfront_headers: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FunctionRef:
    name: str
    arn: str
    event_type: str


@dataclass(frozen=True)
class Behavior:
    path_pattern: str
    target_origin_id: str
    viewer_protocol_policy: str
    allowed_methods: frozenset[str]
    cached_methods: frozenset[str]
    cache: CacheRules
    forward: ForwardRules
    functions: tuple[FunctionRef, ...] = ()

    def function_for(self, event_type: str) -> FunctionRef | None:
        return next((f for f in self.functions if f.event_type == event_type), None)


@dataclass(frozen=True)
class Origin:
    id: str
    domain_name: str
    origin_path: str = ""
    custom_headers: tuple[tuple[str, str], ...] = ()
    # Defaults used for S3 origins (no CustomOriginConfig): HTTPS with TLSv1.2. DIVERGES from CF-DG
    # HTTPandHTTPSRequests.html: "CloudFront then forwards the requests to your Amazon S3 bucket using the
    # same protocol in which the requests were made" (match-viewer). The tutorial has no S3 origin.
    # ASSUMPTION: a CustomOriginConfig without OriginSslProtocols offers TLSv1.2 (the API reference gives no
    # default; the control plane stores none, see cloudfront_distributions._check_origin).
    protocol_policy: str = "https-only"
    http_port: int = 80
    https_port: int = 443
    ssl_protocols: tuple[str, ...] = ("TLSv1.2",)
    # Defaults from CF-DG distribution-web-values-specify.html: read 30 s, keep-alive 5 s, 3 attempts of 10 s.
    read_timeout: float = 30.0
    keepalive_timeout: float = 5.0
    connection_attempts: int = 3
    connection_timeout: float = 10.0


@dataclass(frozen=True)
class ViewerTls:
    default_certificate: bool = True
    minimum_protocol_version: str = "TLSv1"


@dataclass(frozen=True)
class Distribution:
    id: str
    domain_name: str
    aliases: tuple[str, ...]
    enabled: bool
    origins: dict[str, Origin]
    behaviors: tuple[Behavior, ...]  # CacheBehaviors in API order; the default behaviour is separate
    default_behavior: Behavior
    viewer_tls: ViewerTls
    error_caching_min_ttl: dict[int, float] = field(default_factory=dict)
    # Changes whenever the served configuration changes (config ETag plus the policies' versions).
    version: str = ""

    @property
    def hostnames(self) -> tuple[str, ...]:
        return (self.domain_name.lower(), *(a.lower() for a in self.aliases))


# --------------------------------------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------------------------------------


def _selection(behavior: str | None, names: list[str], *, lower: bool, wildcards: bool = False) -> Selection:
    behavior = behavior or "none"
    if behavior not in ("none", "whitelist", "allExcept", "all"):
        raise ConfigError(f"unknown behavior {behavior!r}")
    clean = frozenset(n.lower() if lower else n for n in names)
    return Selection(behavior, clean, wildcards)


def parse_cache_policy(config: dict) -> CacheRules:
    """CachePolicyConfig -> CacheRules (CloudFront API reference, CachePolicyConfig)."""
    params = config.get("ParametersInCacheKeyAndForwardedToOrigin") or {}
    headers = params.get("HeadersConfig") or {}
    cookies = params.get("CookiesConfig") or {}
    query = params.get("QueryStringsConfig") or {}
    return CacheRules(
        headers=_selection(headers.get("HeaderBehavior"), _items(headers.get("Headers")), lower=True),
        cookies=_selection(cookies.get("CookieBehavior"), _items(cookies.get("Cookies")), lower=False),
        query=_selection(query.get("QueryStringBehavior"), _items(query.get("QueryStrings")), lower=False),
        min_ttl=float(config.get("MinTTL", 0)),
        default_ttl=float(config.get("DefaultTTL", 0)),
        max_ttl=float(config.get("MaxTTL", 0)),
        gzip=bool(params.get("EnableAcceptEncodingGzip")),
        brotli=bool(params.get("EnableAcceptEncodingBrotli")),
    )


def parse_origin_request_policy(config: dict) -> ForwardRules:
    """OriginRequestPolicyConfig -> ForwardRules (CloudFront API reference, OriginRequestPolicyConfig)."""
    headers = config.get("HeadersConfig") or {}
    cookies = config.get("CookiesConfig") or {}
    query = config.get("QueryStringsConfig") or {}
    header_behavior = headers.get("HeaderBehavior") or "none"
    names = [n.lower() for n in _items(headers.get("Headers"))]
    cloudfront = frozenset(n for n in names if n.startswith(CLOUDFRONT_HEADER_PREFIX))
    viewer_names = [n for n in names if not n.startswith(CLOUDFRONT_HEADER_PREFIX)]
    if header_behavior == "allViewer" or header_behavior == "allViewerAndWhitelistCloudFront":
        header_sel = EVERYTHING
    elif header_behavior in ("none", "whitelist", "allExcept"):
        header_sel = _selection(header_behavior, viewer_names, lower=True)
    else:
        raise ConfigError(f"unknown HeaderBehavior {header_behavior!r}")
    # OriginRequestPolicyCookiesConfig / QueryStringsConfig: none | whitelist | all | allExcept.
    return ForwardRules(
        headers=header_sel,
        cookies=_selection(cookies.get("CookieBehavior"), _items(cookies.get("Cookies")), lower=False),
        query=_selection(query.get("QueryStringBehavior"), _items(query.get("QueryStrings")), lower=False),
        cloudfront_headers=cloudfront if header_behavior != "allViewer" else frozenset(),
    )


def _legacy_ttls(behavior: dict) -> dict[str, float]:
    """A legacy behaviour's TTLs; left out, CloudFront's defaults 0 / 86400 / 31536000, DefaultTTL at least
    MinTTL and MaxTTL at least DefaultTTL (CF-DG distribution-web-values-specify.html, "Default TTL",
    "Maximum TTL"; CloudFormation's schema defaults). The API answers with them filled in; this matters
    only for an endpoint that leaves them out."""
    min_ttl = float(behavior.get("MinTTL") or 0)
    default_ttl = behavior.get("DefaultTTL")
    default_ttl = max(86_400.0, min_ttl) if default_ttl is None else float(default_ttl)
    max_ttl = behavior.get("MaxTTL")
    max_ttl = max(31_536_000.0, default_ttl) if max_ttl is None else float(max_ttl)
    return {"min_ttl": min_ttl, "default_ttl": default_ttl, "max_ttl": max_ttl}


def parse_forwarded_values(behavior: dict) -> CacheRules:
    """Legacy ForwardedValues plus the behaviour's MinTTL/DefaultTTL/MaxTTL -> CacheRules.

    Everything forwarded is in the cache key; a header whitelist of ["*"] forwards every header and disables
    caching; QueryString=true forwards all query strings and caches on QueryStringCacheKeys when given
    (CF-DG distribution-web-values-specify.html, "Query String Forwarding and Caching").
    """
    fv = behavior.get("ForwardedValues") or {}
    header_names = [h.lower() for h in _items(fv.get("Headers"))]
    all_headers = "*" in header_names
    cookies = fv.get("Cookies") or {}
    forward = cookies.get("Forward") or "none"
    cookie_sel = {
        "none": NOTHING,
        "all": EVERYTHING,
        "whitelist": _selection(
            "whitelist", _items(cookies.get("WhitelistedNames")), lower=False, wildcards=True
        ),
    }.get(forward)
    if cookie_sel is None:
        raise ConfigError(f"unknown Cookies.Forward {forward!r}")
    if fv.get("QueryString"):
        keys = _items(fv.get("QueryStringCacheKeys"))
        query_sel = _selection("whitelist", keys, lower=False) if keys else EVERYTHING
    else:
        query_sel = NOTHING
    return CacheRules(
        headers=EVERYTHING if all_headers else _selection("whitelist", header_names, lower=True),
        cookies=cookie_sel,
        query=query_sel,
        **_legacy_ttls(behavior),
        # Legacy settings forward a normalized Accept-Encoding whenever the viewer's contains gzip or br,
        # whatever Compress says (CF-DG RequestAndResponseBehaviorCustomOrigin.html, request header table,
        # "Accept-Encoding").
        gzip=True,
        brotli=True,
        never_cache=all_headers,
        legacy=True,
        legacy_forward_all_query=bool(fv.get("QueryString")),
    )


def parse_behavior(
    raw: dict, *, default: bool, cache_policies: dict[str, dict], origin_request_policies: dict[str, dict]
) -> Behavior:
    policy_id = raw.get("CachePolicyId") or ""
    if policy_id:
        if policy_id not in cache_policies:
            raise ConfigError(f"cache policy {policy_id} is not readable")
        cache = parse_cache_policy(cache_policies[policy_id])
    else:
        cache = parse_forwarded_values(raw)
    orp_id = raw.get("OriginRequestPolicyId") or ""
    if orp_id:
        if orp_id not in origin_request_policies:
            raise ConfigError(f"origin request policy {orp_id} is not readable")
        forward = parse_origin_request_policy(origin_request_policies[orp_id])
    else:
        forward = ForwardRules()
    methods = raw.get("AllowedMethods") or {}
    allowed = frozenset(_items(methods)) or frozenset({"GET", "HEAD"})
    cached = frozenset(_items(methods.get("CachedMethods"))) or frozenset({"GET", "HEAD"})
    functions = tuple(
        FunctionRef(
            name=item["FunctionARN"].rsplit("/", 1)[-1], arn=item["FunctionARN"], event_type=item["EventType"]
        )
        for item in _items(raw.get("FunctionAssociations"))
    )
    return Behavior(
        path_pattern="*" if default else raw.get("PathPattern", "*"),
        target_origin_id=raw["TargetOriginId"],
        viewer_protocol_policy=raw.get("ViewerProtocolPolicy", "allow-all"),
        allowed_methods=allowed,
        cached_methods=cached,
        cache=cache,
        forward=forward,
        functions=functions,
    )


def parse_origin(raw: dict) -> Origin:
    custom = raw.get("CustomOriginConfig")
    headers = tuple((h["HeaderName"], h["HeaderValue"]) for h in _items(raw.get("CustomHeaders")))
    common = {
        "id": raw["Id"],
        "domain_name": raw["DomainName"].lower(),
        "origin_path": raw.get("OriginPath") or "",
        "custom_headers": headers,
        "connection_attempts": int(raw.get("ConnectionAttempts") or 3),
        "connection_timeout": float(raw.get("ConnectionTimeout") or 10),
    }
    if not custom:
        return Origin(**common)
    return Origin(
        **common,
        protocol_policy=custom.get("OriginProtocolPolicy", "https-only"),
        http_port=int(custom.get("HTTPPort") or 80),
        https_port=int(custom.get("HTTPSPort") or 443),
        ssl_protocols=tuple(_items(custom.get("OriginSslProtocols"))) or ("TLSv1.2",),
        read_timeout=float(custom.get("OriginReadTimeout") or 30),
        keepalive_timeout=float(custom.get("OriginKeepaliveTimeout") or 5),
    )


def parse_distribution(
    dist_id: str,
    domain_name: str,
    config: dict,
    *,
    cache_policies: dict[str, dict],
    origin_request_policies: dict[str, dict],
    version: str = "",
) -> Distribution:
    """A DistributionConfig (plus the policies it names, keyed by ID) -> Distribution."""
    origins = {o.id: o for o in (parse_origin(raw) for raw in _items(config.get("Origins")))}
    kwargs = {"cache_policies": cache_policies, "origin_request_policies": origin_request_policies}
    default = parse_behavior(config["DefaultCacheBehavior"], default=True, **kwargs)
    behaviors = tuple(
        parse_behavior(raw, default=False, **kwargs) for raw in _items(config.get("CacheBehaviors"))
    )
    for behavior in (*behaviors, default):
        if behavior.target_origin_id not in origins:
            raise ConfigError(
                f"behavior {behavior.path_pattern!r} targets unknown origin {behavior.target_origin_id}"
            )
    cert = config.get("ViewerCertificate") or {}
    error_ttls = {}
    for item in _items(config.get("CustomErrorResponses")):
        if item.get("ErrorCachingMinTTL") is not None:
            error_ttls[int(item["ErrorCode"])] = float(item["ErrorCachingMinTTL"])
    return Distribution(
        id=dist_id,
        domain_name=domain_name.lower(),
        aliases=tuple(a.lower() for a in _items(config.get("Aliases"))),
        enabled=bool(config.get("Enabled", True)),
        origins=origins,
        behaviors=behaviors,
        default_behavior=default,
        viewer_tls=ViewerTls(
            default_certificate=bool(
                cert.get("CloudFrontDefaultCertificate", not cert.get("ACMCertificateArn"))
            ),
            minimum_protocol_version=cert.get("MinimumProtocolVersion") or "TLSv1",
        ),
        error_caching_min_ttl=error_ttls,
        version=version,
    )
