"""Fix an existing CloudFront distribution that sits in front of App Runner, in place.

    python apply_fix.py DISTRIBUTION_ID --origin-secret "$(openssl rand -hex 32)"

What it changes, and why (sources in the post "CloudFront + AppRunner: solving the host problem"):
  * every App Runner origin: HTTPS only, TLSv1.2 only, a secret custom header the app can check;
  * default behaviour: CachingDisabled + AllViewerExceptHostHeader (App Runner routes by Host, so the
    viewer's Host must not reach it) + a viewer-request function that copies Host to X-Forwarded-Host;
  * /static/*: CachingOptimized, the only place where caching is safe without thinking per page;
  * origin read timeout 60 s: App Runner allows a request 120 s, CloudFront's default 30 s would answer
    504 to anything slower (60 s is the most the default quota allows; 120 s after a quota increase);
  * 404, 502, 503 and 504 responses: not cached (the default error caching minimum TTL is 10 seconds).
Needs only boto3. The function source is read from ../../cloudfront-function/forwarded-host.js.
"""

from __future__ import annotations

import argparse
import copy
from pathlib import Path

import boto3

# Managed policy IDs (CloudFront Developer Guide, "Use managed cache policies" and "Use managed origin
# request policies"): the same in every account.
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"

# See the docstring: App Runner's request timeout is 120 s, CloudFront's default read timeout 30 s.
ORIGIN_READ_TIMEOUT = 60
# Errors CloudFront caches for 10 s by default; 0 so that none outlives its cause.
UNCACHED_ERRORS = (404, 502, 503, 504)

FUNCTION_SOURCE = Path(__file__).resolve().parents[2] / "cloudfront-function" / "forwarded-host.js"


def _listed(items: list) -> dict:
    """CloudFront's XML-shaped lists: {"Quantity": n, "Items": [...]}."""
    return {"Quantity": len(items), "Items": items}


def fixed_config(
    config: dict,
    *,
    function_arn: str,
    origin_secret: str,
    secret_header: str = "X-Origin-Secret",
    static_path: str = "/static/*",
) -> dict:
    """Return a copy of a DistributionConfig with the fixes applied; the input is left untouched."""
    new = copy.deepcopy(config)
    apprunner_ids = []
    for origin in new["Origins"]["Items"]:
        if not origin["DomainName"].endswith(".awsapprunner.com"):
            continue
        apprunner_ids.append(origin["Id"])
        custom = origin.setdefault("CustomOriginConfig", {"HTTPPort": 80, "HTTPSPort": 443})
        custom["OriginProtocolPolicy"] = "https-only"
        custom["OriginSslProtocols"] = _listed(["TLSv1.2"])
        custom["OriginReadTimeout"] = ORIGIN_READ_TIMEOUT
        headers = [
            h
            for h in origin.get("CustomHeaders", {}).get("Items", [])
            if h["HeaderName"].lower() != secret_header.lower()
        ]
        headers.append({"HeaderName": secret_header, "HeaderValue": origin_secret})
        origin["CustomHeaders"] = _listed(headers)
    if not apprunner_ids:
        raise ValueError("no origin of this distribution is an *.awsapprunner.com domain")

    default = new["DefaultCacheBehavior"]
    # Policies replace the legacy settings; CloudFront rejects a behaviour that has both.
    for legacy in ("ForwardedValues", "MinTTL", "DefaultTTL", "MaxTTL"):
        default.pop(legacy, None)
    default["CachePolicyId"] = CACHING_DISABLED
    default["OriginRequestPolicyId"] = ALL_VIEWER_EXCEPT_HOST_HEADER
    default["Compress"] = False
    others = [
        a
        for a in default.get("FunctionAssociations", {}).get("Items", [])
        if a["EventType"] != "viewer-request"
    ]
    default["FunctionAssociations"] = _listed(
        [*others, {"EventType": "viewer-request", "FunctionARN": function_arn}]
    )

    behaviors = [b for b in new.get("CacheBehaviors", {}).get("Items", []) if b["PathPattern"] != static_path]
    static = {
        "PathPattern": static_path,
        "TargetOriginId": default["TargetOriginId"],
        "ViewerProtocolPolicy": "redirect-to-https",
        "AllowedMethods": {**_listed(["GET", "HEAD"]), "CachedMethods": _listed(["GET", "HEAD"])},
        "Compress": True,
        "CachePolicyId": CACHING_OPTIMIZED,
    }
    # Path patterns are matched in list order: /static/* goes first.
    new["CacheBehaviors"] = _listed([static, *behaviors])

    # Keep any custom error page already configured; only its caching time changes.
    errors = {e["ErrorCode"]: e for e in new.get("CustomErrorResponses", {}).get("Items", [])}
    for code in UNCACHED_ERRORS:
        errors[code] = {**errors.get(code, {"ErrorCode": code}), "ErrorCachingMinTTL": 0}
    new["CustomErrorResponses"] = _listed(list(errors.values()))
    return new


def publish_function(cloudfront, name: str, code: bytes) -> str:
    """Create (or update) the CloudFront Function and publish it to LIVE; return its ARN."""
    config = {"Comment": "Copy Host into X-Forwarded-Host", "Runtime": "cloudfront-js-2.0"}
    try:
        etag = cloudfront.describe_function(Name=name, Stage="DEVELOPMENT")["ETag"]
        etag = cloudfront.update_function(Name=name, IfMatch=etag, FunctionConfig=config, FunctionCode=code)[
            "ETag"
        ]
    except cloudfront.exceptions.NoSuchFunctionExists:
        etag = cloudfront.create_function(Name=name, FunctionConfig=config, FunctionCode=code)["ETag"]
    published = cloudfront.publish_function(Name=name, IfMatch=etag)
    return published["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]


def apply_fix(
    cloudfront,
    distribution_id: str,
    *,
    origin_secret: str,
    function_name: str = "forwarded-host",
    secret_header: str = "X-Origin-Secret",
) -> dict:
    """Publish the function, then update the distribution with IfMatch (no lost concurrent update)."""
    function_arn = publish_function(cloudfront, function_name, FUNCTION_SOURCE.read_bytes())
    current = cloudfront.get_distribution_config(Id=distribution_id)
    new = fixed_config(
        current["DistributionConfig"],
        function_arn=function_arn,
        origin_secret=origin_secret,
        secret_header=secret_header,
    )
    return cloudfront.update_distribution(Id=distribution_id, IfMatch=current["ETag"], DistributionConfig=new)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("distribution_id")
    parser.add_argument("--origin-secret", required=True, help="at least 32 random characters")
    parser.add_argument("--function-name", default="forwarded-host")
    parser.add_argument("--secret-header", default="X-Origin-Secret")
    args = parser.parse_args()
    if len(args.origin_secret) < 32:
        parser.error("--origin-secret: use at least 32 characters")
    result = apply_fix(
        boto3.client("cloudfront"),
        args.distribution_id,
        origin_secret=args.origin_secret,
        function_name=args.function_name,
        secret_header=args.secret_header,
    )
    print(result["Distribution"]["Id"], result["Distribution"]["Status"])


if __name__ == "__main__":
    main()
