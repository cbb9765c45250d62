"""CloudFront's managed cache and origin request policies: the same IDs and settings in every account.

Settings are transcribed from the CloudFront Developer Guide pages named next to each table. Names are the
ones ListCachePolicies/ListOriginRequestPolicies return: "Managed-" prefixed, except the two
UseOriginCacheControlHeaders policies (real `list-cache-policies --type managed` output quoted in
hashicorp/terraform-provider-aws pull request 41507).

Each entry is a CachePolicyConfig / OriginRequestPolicyConfig exactly as the API returns it, so the tables
double as fixtures for the data plane.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

# ASSUMPTION: AWS does not publish when each managed policy was last modified; one fixed instant keeps the
# answers stable across runs (the value only appears in LastModifiedTime).
MANAGED_LAST_MODIFIED = datetime(2024, 5, 24, tzinfo=UTC)

CACHE_POLICIES_SOURCE = (
    "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html"
)
ORIGIN_REQUEST_POLICIES_SOURCE = "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html"

ONE_DAY = 86_400
ONE_YEAR = 31_536_000


def _names(items: Sequence[str]) -> dict[str, Any]:
    """A {Quantity, Items} list as the API shapes it (no Items when empty)."""
    return {"Quantity": len(items), "Items": list(items)} if items else {"Quantity": 0}


def _cache_policy(
    name: str,
    comment: str,
    *,
    min_ttl: int,
    default_ttl: int,
    max_ttl: int,
    headers: Sequence[str] = (),
    cookies: str = "none",
    query_strings: str = "none",
    query_string_names: Sequence[str] = (),
    gzip: bool = False,
    brotli: bool = False,
) -> dict[str, Any]:
    headers_config: dict[str, Any] = {"HeaderBehavior": "whitelist" if headers else "none"}
    if headers:
        headers_config["Headers"] = _names(list(headers))
    query_config: dict[str, Any] = {"QueryStringBehavior": query_strings}
    if query_string_names:
        query_config["QueryStrings"] = _names(list(query_string_names))
    return {
        "Comment": comment,
        "Name": name,
        "DefaultTTL": default_ttl,
        "MaxTTL": max_ttl,
        "MinTTL": min_ttl,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": gzip,
            "EnableAcceptEncodingBrotli": brotli,
            "HeadersConfig": headers_config,
            "CookiesConfig": {"CookieBehavior": cookies},
            "QueryStringsConfig": query_config,
        },
    }


def _origin_request_policy(
    name: str,
    comment: str,
    *,
    header_behavior: str,
    headers: Sequence[str] = (),
    cookies: str = "none",
    query_strings: str = "none",
) -> dict[str, Any]:
    headers_config: dict[str, Any] = {"HeaderBehavior": header_behavior}
    if headers:
        headers_config["Headers"] = _names(list(headers))
    return {
        "Comment": comment,
        "Name": name,
        "HeadersConfig": headers_config,
        "CookiesConfig": {"CookieBehavior": cookies},
        "QueryStringsConfig": {"QueryStringBehavior": query_strings},
    }


# Source for every entry: CACHE_POLICIES_SOURCE (section named after the policy). The page says "cache
# compressed objects: Enabled" for Gzip and Brotli, and "Enabled for Gzip" for Elemental-MediaPackage.
# ASSUMPTION: the guide does not print each policy's Comment string; ours are one-line summaries of the
# section's purpose, so code must not rely on them.
MANAGED_CACHE_POLICIES: dict[str, dict[str, Any]] = {
    # section "Amplify": TTL 2/2/600, Authorization + CloudFront-Viewer-Country + Host, all cookies and
    # query strings, compression enabled.
    "2e54312d-136d-493c-8eb9-b001f22f67d2": _cache_policy(
        "Managed-Amplify",
        "Policy for an origin that is an AWS Amplify web app.",
        min_ttl=2,
        default_ttl=2,
        max_ttl=600,
        headers=["Authorization", "CloudFront-Viewer-Country", "Host"],
        cookies="all",
        query_strings="all",
        gzip=True,
        brotli=True,
    ),
    # section "CachingDisabled": all TTLs 0, nothing in the key, compression disabled.
    "4135ea2d-6df8-44a3-9df3-4b5a84be39ad": _cache_policy(
        "Managed-CachingDisabled",
        "Policy with caching disabled.",
        min_ttl=0,
        default_ttl=0,
        max_ttl=0,
    ),
    # section "CachingOptimized": TTL 1/86400/31536000, nothing in the key but the normalized
    # Accept-Encoding, compression enabled.
    "658327ea-f89d-4fab-a63d-7e88639e58f6": _cache_policy(
        "Managed-CachingOptimized",
        "Policy with caching enabled. Supports Gzip and Brotli compression.",
        min_ttl=1,
        default_ttl=ONE_DAY,
        max_ttl=ONE_YEAR,
        gzip=True,
        brotli=True,
    ),
    # section "CachingOptimizedForUncompressedObjects": the same TTLs, compression disabled.
    "b2884449-e4de-46a7-ac36-70bc7f1ddd6d": _cache_policy(
        "Managed-CachingOptimizedForUncompressedObjects",
        "Default policy when compression is disabled.",
        min_ttl=1,
        default_ttl=ONE_DAY,
        max_ttl=ONE_YEAR,
    ),
    # section "Elemental-MediaPackage": TTL 0/86400/31536000, Origin header, query strings
    # aws.manifestfilter, start, end, m; Gzip only.
    "08627262-05a9-4f76-9ded-b50ca2e3a84f": _cache_policy(
        "Managed-Elemental-MediaPackage",
        "Policy for an origin that is an AWS Elemental MediaPackage endpoint.",
        min_ttl=0,
        default_ttl=ONE_DAY,
        max_ttl=ONE_YEAR,
        headers=["Origin"],
        query_strings="whitelist",
        query_string_names=["aws.manifestfilter", "start", "end", "m"],
        gzip=True,
    ),
    # section "UseOriginCacheControlHeaders": TTL 0/0/31536000 (the origin's Cache-Control decides),
    # Host, Origin, X-HTTP-Method-Override, X-HTTP-Method, X-Method-Override; all cookies; no query strings;
    # compression enabled. Note Host is in the key, so the viewer's Host reaches the origin.
    "83da9c7e-98b4-4e11-a168-04f0df8e2c65": _cache_policy(
        "UseOriginCacheControlHeaders",
        "Policy for origins that return Cache-Control headers; query strings are not in the cache key.",
        min_ttl=0,
        default_ttl=0,
        max_ttl=ONE_YEAR,
        headers=["Host", "Origin", "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"],
        cookies="all",
        gzip=True,
        brotli=True,
    ),
    # section "UseOriginCacheControlHeaders-QueryStrings": as above plus all query strings.
    "4cc15a8a-d715-48a4-82b8-cc0b614638fe": _cache_policy(
        "UseOriginCacheControlHeaders-QueryStrings",
        "Policy for origins that return Cache-Control headers and vary by query string.",
        min_ttl=0,
        default_ttl=0,
        max_ttl=ONE_YEAR,
        headers=["Host", "Origin", "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override"],
        cookies="all",
        query_strings="all",
        gzip=True,
        brotli=True,
    ),
}

# The CloudFront headers AllViewerAndCloudFrontHeaders-2022-06 adds (ORIGIN_REQUEST_POLICIES_SOURCE).
_CLOUDFRONT_HEADERS_2022_06 = [
    "CloudFront-Forwarded-Proto",
    "CloudFront-Is-Android-Viewer",
    "CloudFront-Is-Desktop-Viewer",
    "CloudFront-Is-IOS-Viewer",
    "CloudFront-Is-Mobile-Viewer",
    "CloudFront-Is-SmartTV-Viewer",
    "CloudFront-Is-Tablet-Viewer",
    "CloudFront-Viewer-Address",
    "CloudFront-Viewer-ASN",
    "CloudFront-Viewer-City",
    "CloudFront-Viewer-Country",
    "CloudFront-Viewer-Country-Name",
    "CloudFront-Viewer-Country-Region",
    "CloudFront-Viewer-Country-Region-Name",
    "CloudFront-Viewer-Http-Version",
    "CloudFront-Viewer-Latitude",
    "CloudFront-Viewer-Longitude",
    "CloudFront-Viewer-Metro-Code",
    "CloudFront-Viewer-Postal-Code",
    "CloudFront-Viewer-Time-Zone",
    "CloudFront-Viewer-TLS",
]

# Source for every entry: ORIGIN_REQUEST_POLICIES_SOURCE (section named after the policy). Comments: the
# same ASSUMPTION as for the cache policies.
MANAGED_ORIGIN_REQUEST_POLICIES: dict[str, dict[str, Any]] = {
    # section "AllViewer": every viewer header (Host included), all cookies, all query strings.
    "216adef6-5c7f-47e4-b989-5492eafa07d3": _origin_request_policy(
        "Managed-AllViewer",
        "Policy to forward all parameters in viewer requests.",
        header_behavior="allViewer",
        cookies="all",
        query_strings="all",
    ),
    # section "AllViewerAndCloudFrontHeaders-2022-06": all viewer values plus the CloudFront headers
    # released through June 2022.
    "33f36d7e-f396-46d9-90e0-52428a34d9dc": _origin_request_policy(
        "Managed-AllViewerAndCloudFrontHeaders-2022-06",
        "Policy to forward all parameters in viewer requests and all CloudFront headers through June 2022.",
        header_behavior="allViewerAndWhitelistCloudFront",
        headers=_CLOUDFRONT_HEADERS_2022_06,
        cookies="all",
        query_strings="all",
    ),
    # section "AllViewerExceptHostHeader": all viewer values except Host; CloudFront then sets Host to the
    # origin's domain name. Meant for API Gateway and Lambda function URL origins.
    "b689b0a8-53d0-40ab-baf2-68738e2966ac": _origin_request_policy(
        "Managed-AllViewerExceptHostHeader",
        "Policy to forward all parameters in viewer requests except for the Host header.",
        header_behavior="allExcept",
        headers=["Host"],
        cookies="all",
        query_strings="all",
    ),
    # section "CORS-CustomOrigin": the Origin header only.
    "59781a5b-3903-41f3-afcb-af62929ccde1": _origin_request_policy(
        "Managed-CORS-CustomOrigin",
        "Policy for a custom origin that needs the CORS Origin header.",
        header_behavior="whitelist",
        headers=["Origin"],
    ),
    # section "CORS-S3Origin": Origin, Access-Control-Request-Headers, Access-Control-Request-Method.
    "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf": _origin_request_policy(
        "Managed-CORS-S3Origin",
        "Policy for an S3 origin that needs the CORS headers.",
        header_behavior="whitelist",
        headers=["Origin", "Access-Control-Request-Headers", "Access-Control-Request-Method"],
    ),
    # section "Elemental-MediaTailor-PersonalizedManifests": five headers, all query strings.
    "775133bc-15f2-49f9-abea-afb2e0bf67d2": _origin_request_policy(
        "Managed-Elemental-MediaTailor-PersonalizedManifests",
        "Policy for an origin that is an AWS Elemental MediaTailor endpoint.",
        header_behavior="whitelist",
        headers=[
            "Origin",
            "Access-Control-Request-Headers",
            "Access-Control-Request-Method",
            "User-Agent",
            "X-Forwarded-For",
        ],
        query_strings="all",
    ),
    # section "HostHeaderOnly" of CF-DG using-managed-origin-request-policies.html (ID and settings listed
    # there): the viewer's Host only.
    "bf0718e1-ba1e-49d1-88b1-f726733018ae": _origin_request_policy(
        "Managed-HostHeaderOnly",
        "Policy to forward only the viewer's Host header.",
        header_behavior="whitelist",
        headers=["Host"],
    ),
    # section "UserAgentRefererHeaders": User-Agent and Referer only.
    "acba4595-bd28-49b8-b9fe-13317c0390fa": _origin_request_policy(
        "Managed-UserAgentRefererHeaders",
        "Policy to forward the User-Agent and Referer headers.",
        header_behavior="whitelist",
        headers=["User-Agent", "Referer"],
    ),
}
