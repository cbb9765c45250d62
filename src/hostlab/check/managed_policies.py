"""CloudFront's managed policies: name -> fixed ID (the same in every account).

Readers resolve a managed policy looked up by name (a Terraform ``data "aws_cloudfront_cache_policy"`` with
``name = "Managed-CachingOptimized"``, a CDK/console name) to its ID. The IDs are the ones the CloudFront
Developer Guide lists:

* cache policies:            https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-cache-policies.html
* origin request policies:   https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html
* response headers policies: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-response-headers-policies.html

Names are as ListCachePolicies/ListOriginRequestPolicies/ListResponseHeadersPolicies (and so the Terraform
data sources) return them, "Managed-" prefixed except the two UseOriginCacheControlHeaders cache policies;
each is also reachable without "Managed-", as the guide's headings and the console name them. The local
backend keeps the full settings (hostlab.local.controlplane.cloudfront_managed_policies); this table is the
name -> ID part the readers need without importing the backend.
"""

from __future__ import annotations

_CACHE = {
    "Managed-Amplify": "2e54312d-136d-493c-8eb9-b001f22f67d2",
    "Managed-CachingDisabled": "4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
    "Managed-CachingOptimized": "658327ea-f89d-4fab-a63d-7e88639e58f6",
    "Managed-CachingOptimizedForUncompressedObjects": "b2884449-e4de-46a7-ac36-70bc7f1ddd6d",
    "Managed-Elemental-MediaPackage": "08627262-05a9-4f76-9ded-b50ca2e3a84f",
    "UseOriginCacheControlHeaders": "83da9c7e-98b4-4e11-a168-04f0df8e2c65",
    "UseOriginCacheControlHeaders-QueryStrings": "4cc15a8a-d715-48a4-82b8-cc0b614638fe",
}
_ORIGIN_REQUEST = {
    "Managed-AllViewer": "216adef6-5c7f-47e4-b989-5492eafa07d3",
    "Managed-AllViewerAndCloudFrontHeaders-2022-06": "33f36d7e-f396-46d9-90e0-52428a34d9dc",
    "Managed-AllViewerExceptHostHeader": "b689b0a8-53d0-40ab-baf2-68738e2966ac",
    "Managed-CORS-CustomOrigin": "59781a5b-3903-41f3-afcb-af62929ccde1",
    "Managed-CORS-S3Origin": "88a5eaf4-2fd4-4709-b370-b4c650ea3fcf",
    "Managed-Elemental-MediaTailor-PersonalizedManifests": "775133bc-15f2-49f9-abea-afb2e0bf67d2",
    "Managed-HostHeaderOnly": "bf0718e1-ba1e-49d1-88b1-f726733018ae",
    "Managed-UserAgentRefererHeaders": "acba4595-bd28-49b8-b9fe-13317c0390fa",
}
_RESPONSE_HEADERS = {
    "Managed-CORS-and-SecurityHeadersPolicy": "e61eb60c-9c35-4d20-a928-2b84e02af89c",
    "Managed-CORS-With-Preflight": "5cc3b908-e619-4b99-88e5-2cf7f45965bd",
    "Managed-CORS-with-preflight-and-SecurityHeadersPolicy": "eaab4381-ed33-4a86-88ca-d9558dc6cd63",
    "Managed-SecurityHeadersPolicy": "67f7725c-6f97-4210-82d7-5512b31e9d03",
    "Managed-SimpleCORS": "60669652-455b-4ae9-85a4-c4c02393f86c",
}


def _with_short_names(table: dict[str, str]) -> dict[str, str]:
    out = dict(table)
    for name, policy_id in table.items():
        out.setdefault(name.removeprefix("Managed-"), policy_id)
    return out


CACHE_POLICY_IDS = _with_short_names(_CACHE)
ORIGIN_REQUEST_POLICY_IDS = _with_short_names(_ORIGIN_REQUEST)
RESPONSE_HEADERS_POLICY_IDS = _with_short_names(_RESPONSE_HEADERS)

# Every managed policy, by name (with and without "Managed-"). The three kinds' names do not collide.
MANAGED_POLICY_IDS: dict[str, str] = {
    **CACHE_POLICY_IDS,
    **ORIGIN_REQUEST_POLICY_IDS,
    **RESPONSE_HEADERS_POLICY_IDS,
}

# ID -> the name the API lists, for messages and patches ("CachingDisabled").
MANAGED_POLICY_NAMES: dict[str, str] = {
    v: k for k, v in {**_CACHE, **_ORIGIN_REQUEST, **_RESPONSE_HEADERS}.items()
}
