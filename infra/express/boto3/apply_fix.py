"""Fix an existing CloudFront distribution that sits in front of an ECS Express Mode service, in place, and
lock the service's load balancer to CloudFront.

    python apply_fix.py DISTRIBUTION_ID --service-arn SERVICE_ARN --origin-secret "$(openssl rand -hex 32)"

What it changes, and why (sources in the posts and in infra/express/cloudformation/cloudfront-express.yaml):
  * every Express origin (*.ecs.<region>.on.aws): HTTPS only, TLSv1.2 only, a secret custom header the app
    can check (the prefix list below admits every CloudFront distribution, not only yours);
  * default behaviour: CachingDisabled + AllViewerExceptHostHeader (the shared load balancer routes by Host:
    with the viewer's Host no rule matches and its default action answers 404) + a viewer-request function
    that copies Host to X-Forwarded-Host;
  * /static/*: CachingOptimized, the only place where caching is safe without thinking per page;
  * origin read timeout 60 s: the load balancer's default idle timeout; CloudFront's default is 30 s;
  * 404, 502, 503 and 504 responses: not cached (the default error caching minimum TTL is 10 seconds);
  * the load balancer's security group: HTTPS from com.amazonaws.global.cloudfront.origin-facing, then no
    rule open to 0.0.0.0/0 or ::/0 any more (that group is shared by every Express service on the load
    balancer; the prefix list weighs 55 of the group's 60 inbound rules).
Needs only boto3. The function source is read from ../../cloudfront-function/forwarded-host.js.
"""

from __future__ import annotations

import argparse
import copy
import re
from pathlib import Path

import boto3

# Managed policy IDs (CloudFront Developer Guide, "Use managed cache policies" and "Use managed origin
# request policies"): the same in every account.
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"

# See the docstring: the load balancer's idle timeout is 60 s, CloudFront's default read timeout 30 s.
ORIGIN_READ_TIMEOUT = 60
# Errors CloudFront caches for 10 s by default; 0 so that none outlives its cause.
UNCACHED_ERRORS = (404, 502, 503, 504)

# CloudFront Developer Guide, LocationsOfEdgeServers.html, "Use the CloudFront managed prefix list".
CLOUDFRONT_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"
OPEN_TO_ALL = ("0.0.0.0/0", "::/0")
HTTPS = 443

# An Express endpoint: <2 letters>-<32 hex>.ecs.<region>.on.aws (Lambda function URLs are *.on.aws too).
EXPRESS_ENDPOINT = re.compile(r"^[a-z0-9-]+\.ecs\.[a-z0-9-]+\.on\.aws$")

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
    express_ids = []
    for origin in new["Origins"]["Items"]:
        if not EXPRESS_ENDPOINT.match(origin["DomainName"]):
            continue
        express_ids.append(origin["Id"])
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
    if not express_ids:
        raise ValueError("no origin of this distribution is an ECS Express endpoint (*.ecs.<region>.on.aws)")

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


def load_balancer_security_groups(ecs, service_arn: str) -> list[str]:
    """The sg- IDs of the service's load balancer, from its managed resources (ECS API reference,
    DescribeServiceRevisions: ecsManagedResources.ingressPaths[].loadBalancerSecurityGroups[].arn)."""
    service = ecs.describe_express_gateway_service(serviceArn=service_arn)["service"]
    revision = service["activeConfigurations"][0]["serviceRevisionArn"]
    (described,) = ecs.describe_service_revisions(serviceRevisionArns=[revision])["serviceRevisions"]
    arns = [
        group["arn"]
        for path in described.get("ecsManagedResources", {}).get("ingressPaths", [])
        for group in path.get("loadBalancerSecurityGroups", [])
    ]
    if not arns:
        raise ValueError(f"{service_arn} reports no load balancer security group")
    # arn:aws:ec2:<region>:<account>:security-group/sg-...
    return list(dict.fromkeys(arn.rsplit("/", 1)[-1] for arn in arns))


def cloudfront_prefix_list(ec2) -> str:
    """The Region's ID of the CloudFront origin-facing managed prefix list (IDs differ per Region)."""
    found = ec2.describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [CLOUDFRONT_PREFIX_LIST]}]
    )["PrefixLists"]
    if not found:
        raise ValueError(f"no managed prefix list named {CLOUDFRONT_PREFIX_LIST} in this Region")
    return found[0]["PrefixListId"]


def lock_security_group(ec2, group_id: str, prefix_list_id: str) -> int:
    """Allow HTTPS from the prefix list, then revoke every inbound rule open to the whole internet, in that
    order so CloudFront is never shut out. Idempotent; returns how many open rules it revoked."""

    def inbound() -> list[dict]:
        rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])
        return [r for r in rules["SecurityGroupRules"] if not r["IsEgress"]]

    has_cloudfront = any(
        r.get("PrefixListId") == prefix_list_id and r["FromPort"] <= HTTPS <= r["ToPort"] for r in inbound()
    )
    if not has_cloudfront:
        ec2.authorize_security_group_ingress(
            GroupId=group_id,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": HTTPS,
                    "ToPort": HTTPS,
                    "PrefixListIds": [
                        {"PrefixListId": prefix_list_id, "Description": "CloudFront origin-facing"}
                    ],
                }
            ],
        )
    open_rules = [
        r["SecurityGroupRuleId"]
        for r in inbound()
        if r.get("CidrIpv4") in OPEN_TO_ALL or r.get("CidrIpv6") in OPEN_TO_ALL
    ]
    if open_rules:
        ec2.revoke_security_group_ingress(GroupId=group_id, SecurityGroupRuleIds=open_rules)
    return len(open_rules)


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


def lock_load_balancer(ecs, ec2, service_arn: str) -> dict[str, int]:
    """Lock every security group of the service's load balancer; {group ID: open rules revoked}."""
    prefix_list_id = cloudfront_prefix_list(ec2)
    return {
        group_id: lock_security_group(ec2, group_id, prefix_list_id)
        for group_id in load_balancer_security_groups(ecs, service_arn)
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("distribution_id")
    parser.add_argument("--service-arn", required=True, help="the Express service behind the distribution")
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
    for group_id, revoked in lock_load_balancer(
        boto3.client("ecs"), boto3.client("ec2"), args.service_arn
    ).items():
        print(group_id, f"locked to CloudFront ({revoked} open rule(s) revoked)")


if __name__ == "__main__":
    main()
