"""CloudFront's managed policies by name: the IDs are the same in every account, so a name in an input
(a Terraform data source, a console export, a patch suggestion) can be turned into the ID the API takes,
and an ID back into a name a reader recognises.

Sources (each page gives the ID of every policy, in a section named after it):
- cache policies: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
- origin request policies:
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html
- response headers policies:
  https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-response-headers-policies.html

Names are given as ListCachePolicies / ListOriginRequestPolicies / ListResponseHeadersPolicies return them and
as Terraform's data sources take them ("Managed-CachingOptimized"; the two UseOriginCacheControlHeaders cache
policies have no prefix), and also without the "Managed-" prefix, as the Developer Guide's headings and the
console show them. hostlab.check stays independent of the local backend, so this table stands alone; a test
compares it with the backend's tables (hostlab.local.controlplane.cloudfront_managed_policies).
"""

from __future__ import annotations

CACHE = "cache"
ORIGIN_REQUEST = "origin-request"
RESPONSE_HEADERS = "response-headers"

# (name as the API lists it, kind, ID)
_POLICIES: tuple[tuple[str, str, str], ...] = (
    # using-managed-cache-policies.html
    ("Managed-Amplify", CACHE, "2e54312d-136d-493c-8eb9-b001f22f67d2"),
    ("Managed-CachingDisabled", CACHE, "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"),
    ("Managed-CachingOptimized", CACHE, "658327ea-f89d-4fab-a63d-7e88639e58f6"),
    ("Managed-CachingOptimizedForUncompressedObjects", CACHE, "b2884449-e4de-46a7-ac36-70bc7f1ddd6d"),
    ("Managed-Elemental-MediaPackage", CACHE, "08627262-05a9-4f76-9ded-b50ca2e3a84f"),
    ("UseOriginCacheControlHeaders", CACHE, "83da9c7e-98b4-4e11-a168-04f0df8e2c65"),
    ("UseOriginCacheControlHeaders-QueryStrings", CACHE, "4cc15a8a-d715-48a4-82b8-cc0b614638fe"),
    # using-managed-origin-request-policies.html
    ("Managed-AllViewer", ORIGIN_REQUEST, "216adef6-5c7f-47e4-b989-5492eafa07d3"),
    ("Managed-AllViewerAndCloudFrontHeaders-2022-06", ORIGIN_REQUEST, "33f36d7e-f396-46d9-90e0-52428a34d9dc"),
    ("Managed-AllViewerExceptHostHeader", ORIGIN_REQUEST, "b689b0a8-53d0-40ab-baf2-68738e2966ac"),
    ("Managed-CORS-CustomOrigin", ORIGIN_REQUEST, "59781a5b-3903-41f3-afcb-af62929ccde1"),
    ("Managed-CORS-S3Origin", ORIGIN_REQUEST, "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf"),
    ("Managed-Elemental-MediaTailor-PersonalizedManifests", ORIGIN_REQUEST,
     "775133bc-15f2-49f9-abea-afb2e0bf67d2"),
    ("Managed-HostHeaderOnly", ORIGIN_REQUEST, "bf0718e1-ba1e-49d1-88b1-f726733018ae"),
    ("Managed-UserAgentRefererHeaders", ORIGIN_REQUEST, "acba4595-bd28-49b8-b9fe-13317c0390fa"),
    # using-managed-response-headers-policies.html
    ("Managed-CORS-and-SecurityHeadersPolicy", RESPONSE_HEADERS, "e61eb60c-9c35-4d20-a928-2b84e02af89c"),
    ("Managed-CORS-With-Preflight", RESPONSE_HEADERS, "5cc3b908-e619-4b99-88e5-2cf7f45965bd"),
    ("Managed-CORS-with-preflight-and-SecurityHeadersPolicy", RESPONSE_HEADERS,
     "eaab4381-ed33-4a86-88ca-d9558dc6cd63"),
    ("Managed-SecurityHeadersPolicy", RESPONSE_HEADERS, "67f7725c-6f97-4210-82d7-5512b31e9d03"),
    ("Managed-SimpleCORS", RESPONSE_HEADERS, "60669652-455b-4ae9-85a4-c4c02393f86c"),
)

PREFIX = "Managed-"


def _short(name: str) -> str:
    return name.removeprefix(PREFIX)


# {name: id}, with and without "Managed-" ("Managed-CachingOptimized" and "CachingOptimized").
MANAGED_POLICY_IDS: dict[str, str] = {
    **{name: policy_id for name, _kind, policy_id in _POLICIES},
    **{_short(name): policy_id for name, _kind, policy_id in _POLICIES},
}

# {id: name as the API lists it}
MANAGED_POLICY_NAMES: dict[str, str] = {policy_id: name for name, _kind, policy_id in _POLICIES}

# {id: kind}: CACHE, ORIGIN_REQUEST or RESPONSE_HEADERS
MANAGED_POLICY_KINDS: dict[str, str] = {policy_id: kind for _name, kind, policy_id in _POLICIES}


def managed_policy_id(name: str) -> str | None:
    """The ID of a managed policy named with or without "Managed-" (case as AWS writes it), else None."""
    return MANAGED_POLICY_IDS.get(name)


def is_managed(policy_id: str) -> bool:
    return policy_id in MANAGED_POLICY_NAMES


def _ids_of(kind: str) -> dict[str, str]:
    """{name: id} of one kind, with and without "Managed-" (what a Terraform data source of it takes)."""
    return {key: policy_id for name, k, policy_id in _POLICIES if k == kind
            for key in (name, _short(name))}


CACHE_POLICY_IDS = _ids_of(CACHE)
ORIGIN_REQUEST_POLICY_IDS = _ids_of(ORIGIN_REQUEST)
RESPONSE_HEADERS_POLICY_IDS = _ids_of(RESPONSE_HEADERS)
