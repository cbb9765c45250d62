"""The checker's rules read from a DistributionConfig alone (pure functions, no backend), each with its
source.

They serve the checks judged "from the configuration" (read-timeout, CloudFront's own 502/504 errors, the
Host rule of API Gateway, Lambda URL and S3 website origins, the viewer TLS policy when this Python cannot
offer TLSv1) and the fallback when a probe cannot reach the page it needs. Policy configs come from the
backend (managed policies by ID, custom ones created from the input) and are passed in as dicts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hostlab.check.model import ApiPath

# Managed policy IDs (CF-DG using-managed-cache-policies.html, using-managed-origin-request-policies.html).
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
# OriginReadTimeout when absent: 30 s (API reference, CustomOriginConfig.OriginReadTimeout).
DEFAULT_ORIGIN_READ_TIMEOUT = 30
# The most OriginReadTimeout can be without a quota increase: 60 s ("Response timeout per origin", CF-DG
# cloudfront-limits.html; DownloadDistValuesOrigin.html#DownloadDistValuesOriginResponseTimeout).
READ_TIMEOUT_QUOTA = 60
# ErrorCachingMinTTL when no CustomErrorResponses item names the code: 10 s (CF-DG HTTPStatusCodes.html,
# custom-error-pages-expiration.html).
DEFAULT_ERROR_CACHING_MIN_TTL = 10
# The legacy settings' TTLs when absent (API reference, DefaultCacheBehavior: MinTTL 0, DefaultTTL 86400,
# MaxTTL 31536000).
LEGACY_TTLS = (0, 86400, 31536000)
# Viewer security policies that accept TLSv1 or TLSv1.1 (CF-DG
# secure-connections-supported-viewer-protocols-ciphers.html).
OLD_VIEWER_POLICIES = ("SSLv3", "TLSv1", "TLSv1_2016", "TLSv1.1_2016")


def items(listed: Any) -> list:
    return list((listed or {}).get("Items") or [])


@dataclass
class BehaviorView:
    """One cache behaviour: its label, API path and settings, and the policies it names (as configs)."""

    label: str  # "Default (*)" or the path pattern
    pattern: str  # "*" for the default
    path: ApiPath  # ("DefaultCacheBehavior",) or ("CacheBehaviors", "Items", i)
    settings: dict[str, Any]
    cache_policy: dict[str, Any] | None = None  # CachePolicyConfig, None with legacy settings
    cache_policy_name: str = ""
    origin_request_policy: dict[str, Any] | None = None
    origin_request_policy_name: str = ""


def behaviors(config: dict[str, Any]) -> list[BehaviorView]:
    found = [
        BehaviorView("Default (*)", "*", ("DefaultCacheBehavior",), config.get("DefaultCacheBehavior") or {})
    ]
    for index, item in enumerate(items(config.get("CacheBehaviors"))):
        found.append(
            BehaviorView(
                item.get("PathPattern", ""),
                item.get("PathPattern", ""),
                ("CacheBehaviors", "Items", index),
                item,
            )
        )
    return found


def origin_index(config: dict[str, Any], origin_id: str) -> int | None:
    for index, origin in enumerate(items(config.get("Origins"))):
        if origin.get("Id") == origin_id:
            return index
    return None


# -- Host ---------------------------------------------------------------------------------------------------


def host_forwarders(view: BehaviorView) -> list[tuple[ApiPath, str]]:
    """The properties of this behaviour that send the viewer's Host to the origin, as (API path, words).

    Values in the cache key always go to the origin, and the origin request policy adds to them (CF-DG
    understanding-how-origin-request-policies-and-cache-policies-work-together.html); legacy
    ForwardedValues.Headers forward what they list, "*" meaning all (API reference, ForwardedValues)."""
    found: list[tuple[ApiPath, str]] = []
    settings = view.settings
    orp = view.origin_request_policy
    if orp is not None:
        headers = orp.get("HeadersConfig") or {}
        behavior = headers.get("HeaderBehavior", "none")
        named = [h.lower() for h in items(headers.get("Headers"))]
        if (
            behavior in ("allViewer", "allViewerAndWhitelistCloudFront")
            or (behavior == "whitelist" and "host" in named)
            or (behavior == "allExcept" and "host" not in named)
        ):
            found.append(
                (
                    (*view.path, "OriginRequestPolicyId"),
                    f"OriginRequestPolicyId = {view.origin_request_policy_name} (headers: {behavior}"
                    f"{' ' + ', '.join(named) if named else ''}) forwards the viewer's Host",
                )
            )
    cache = view.cache_policy
    if cache is not None:
        headers = (cache.get("ParametersInCacheKeyAndForwardedToOrigin") or {}).get("HeadersConfig") or {}
        if "host" in [h.lower() for h in items(headers.get("Headers"))]:
            found.append(
                (
                    (*view.path, "CachePolicyId"),
                    f"CachePolicyId = {view.cache_policy_name} has Host in its cache key, so the viewer's "
                    "Host goes to the origin",
                )
            )
    legacy = [h.lower() for h in items((settings.get("ForwardedValues") or {}).get("Headers"))]
    if "*" in legacy or "host" in legacy:
        found.append(
            (
                (*view.path, "ForwardedValues", "Headers"),
                f"ForwardedValues.Headers = {legacy} forwards the viewer's Host",
            )
        )
    return found


# -- caching ------------------------------------------------------------------------------------------------


def ttls(view: BehaviorView) -> tuple[float, float, float]:
    if view.cache_policy is not None:
        c = view.cache_policy
        return float(c.get("MinTTL", 0)), float(c.get("DefaultTTL", 86400)), float(c.get("MaxTTL", 31536000))
    s = view.settings
    return (
        float(s.get("MinTTL", LEGACY_TTLS[0])),
        float(s.get("DefaultTTL", LEGACY_TTLS[1])),
        float(s.get("MaxTTL", LEGACY_TTLS[2])),
    )


def cookie_handling(view: BehaviorView) -> tuple[bool, bool, str, ApiPath]:
    """(the cookie ``user`` reaches the origin, ``user`` is in the cache key, words, the property's path)."""

    def named(config: dict[str, Any]) -> tuple[str, list[str]]:
        return config.get("CookieBehavior") or config.get("Forward") or "none", [
            c for c in items(config.get("Cookies") or config.get("WhitelistedNames"))
        ]

    def selects(behavior: str, names: list[str]) -> bool:
        return (
            behavior == "all"
            or (behavior in ("whitelist",) and "user" in names)
            or (behavior == "allExcept" and "user" not in names)
        )

    if view.cache_policy is not None:
        params = view.cache_policy.get("ParametersInCacheKeyAndForwardedToOrigin") or {}
        behavior, names = named(params.get("CookiesConfig") or {})
        in_key = selects(behavior, names)
        reaches = in_key
        words = f"CachePolicyId = {view.cache_policy_name} (cookies in the cache key: {behavior}"
        words += f" {', '.join(names)})" if names else ")"
        if view.origin_request_policy is not None:
            orp_behavior, orp_names = named(view.origin_request_policy.get("CookiesConfig") or {})
            reaches = reaches or selects(orp_behavior, orp_names)
            words += f", OriginRequestPolicyId = {view.origin_request_policy_name} (cookies to the origin: "
            words += f"{orp_behavior})"
        return reaches, in_key, words, (*view.path, "CachePolicyId")
    cookies = (view.settings.get("ForwardedValues") or {}).get("Cookies") or {}
    behavior = cookies.get("Forward", "none")
    names = items(cookies.get("WhitelistedNames"))
    in_key = behavior == "all" or (behavior == "whitelist" and "user" in names)
    return (
        in_key,
        in_key,
        f"ForwardedValues.Cookies.Forward = {behavior}",
        (*view.path, "ForwardedValues", "Cookies"),
    )


def personal_page_cached(view: BehaviorView) -> tuple[bool, str, ApiPath]:
    """From the configuration: whether a page that depends on the cookie ``user`` and is sent without
    Cache-Control would be served to another user. It is when the cookie reaches the origin, is not in the
    cache key, and the behaviour caches a response without Cache-Control (DefaultTTL, at least MinTTL,
    capped by MaxTTL > 0: CF-DG Expiration.html)."""
    reaches, in_key, words, path = cookie_handling(view)
    low, default, high = ttls(view)
    ttl = 0.0 if high <= 0 else min(max(default, low), high)
    leaked = reaches and not in_key and ttl > 0
    return leaked, f"{words}; a page without Cache-Control is kept {ttl:g} s", path


def error_ttl(
    config: dict[str, Any], view: BehaviorView, code: int, caching_disabled_caches_errors: bool = False
) -> tuple[float, str]:
    """Seconds CloudFront keeps an error ``code`` (sent without Cache-Control) for this behaviour, and why.
    ErrorCachingMinTTL of the code's CustomErrorResponses item, else 10 s (CF-DG HTTPStatusCodes.html); none
    on a behaviour whose MaxTTL is 0 (ASSUMPTION HOSTLAB_CLOUDFRONT_CACHING_DISABLED_CACHES_ERRORS)."""
    if ttls(view)[2] <= 0 and not caching_disabled_caches_errors:
        return 0.0, f"MaxTTL 0 on this behaviour ({view.cache_policy_name or 'legacy settings'}): not cached"
    for item in items(config.get("CustomErrorResponses")):
        if int(item.get("ErrorCode", 0)) == code and "ErrorCachingMinTTL" in item:
            return float(
                item["ErrorCachingMinTTL"]
            ), f"ErrorCachingMinTTL {item['ErrorCachingMinTTL']} for {code}"
    return float(DEFAULT_ERROR_CACHING_MIN_TTL), f"no ErrorCachingMinTTL for {code}: 10 s by default"


def error_responses_fixed(config: dict[str, Any], codes: list[int]) -> dict[str, Any]:
    """CustomErrorResponses with ErrorCachingMinTTL 0 for ``codes``, other items kept."""
    kept = {int(i["ErrorCode"]): dict(i) for i in items(config.get("CustomErrorResponses"))}
    for code in codes:
        kept[code] = {**kept.get(code, {"ErrorCode": code}), "ErrorCachingMinTTL": 0}
    listed = [kept[c] for c in sorted(kept)]
    return {"Quantity": len(listed), "Items": listed}


# -- read timeout -------------------------------------------------------------------------------------------


def read_timeout(origin: dict[str, Any]) -> tuple[int, bool]:
    """(OriginReadTimeout, present)."""
    custom = origin.get("CustomOriginConfig") or {}
    if "OriginReadTimeout" in custom:
        return int(custom["OriginReadTimeout"]), True
    return DEFAULT_ORIGIN_READ_TIMEOUT, False


# -- viewer TLS ---------------------------------------------------------------------------------------------


def viewer_policy(config: dict[str, Any]) -> tuple[str, bool]:
    """(the security policy in effect, uses the default certificate). With CloudFrontDefaultCertificate
    CloudFront sets TLSv1 whatever MinimumProtocolVersion says (API reference, ViewerCertificate)."""
    viewer = config.get("ViewerCertificate") or {"CloudFrontDefaultCertificate": True}
    if viewer.get("CloudFrontDefaultCertificate") or not (
        viewer.get("ACMCertificateArn") or viewer.get("IAMCertificateId")
    ):
        return "TLSv1", True
    return viewer.get("MinimumProtocolVersion") or "TLSv1", False
