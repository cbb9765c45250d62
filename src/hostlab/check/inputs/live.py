"""Read a deployed distribution through the CloudFront API, read-only (``hostlab check --aws
--distribution-id ID``).

Only reading calls, so a check never changes the account:
- GetDistributionConfig: the configuration (CloudFront API reference, API_GetDistributionConfig.html);
- ListFunctions with Stage=LIVE for each associated function's runtime, and GetFunction with Stage=LIVE for
  its code: a distribution runs the LIVE stage of a function (CloudFront Developer Guide, "Publish
  functions", publish-function.html: cache behaviours can only be associated with functions in the LIVE
  stage, and start using a newly published copy once the distributions deploy);
- GetCachePolicy / GetOriginRequestPolicy / GetResponseHeadersPolicy for custom policies (managed ones are in
  hostlab.check.managed_policies).
tests/test_check_distribution_config.py asserts the call list with botocore's Stubber and against the local
backend (its state is the same before and after).
"""

from __future__ import annotations

from typing import Any

from hostlab.check import managed_policies
from hostlab.check.inputs import distribution_config
from hostlab.check.model import DistributionInput, FunctionInput, Where

# Every call this module makes; a test asserts each is a read.
READ_CALLS = ("GetDistributionConfig", "ListFunctions", "GetFunction", "GetCachePolicy",
              "GetOriginRequestPolicy", "GetResponseHeadersPolicy")

_POLICY_READS = {
    "CachePolicyId": ("cache", "get_cache_policy", "CachePolicy", "CachePolicyConfig"),
    "OriginRequestPolicyId": ("origin-request", "get_origin_request_policy", "OriginRequestPolicy",
                              "OriginRequestPolicyConfig"),
    "ResponseHeadersPolicyId": ("response-headers", "get_response_headers_policy", "ResponseHeadersPolicy",
                                "ResponseHeadersPolicyConfig"),
}


def _behaviours(config: dict) -> list[dict]:
    return [config["DefaultCacheBehavior"], *((config.get("CacheBehaviors") or {}).get("Items") or [])]


def _live_runtimes(client) -> dict[str, str]:
    """{function ARN: runtime} of the LIVE stage, from ListFunctions (paged with Marker)."""
    runtimes: dict[str, str] = {}
    marker = None
    while True:
        kwargs: dict[str, Any] = {"Stage": "LIVE"}
        if marker:
            kwargs["Marker"] = marker
        answer = client.list_functions(**kwargs)["FunctionList"]
        for item in answer.get("Items") or []:
            arn = item["FunctionMetadata"]["FunctionARN"]
            runtimes[arn] = item["FunctionConfig"]["Runtime"]
        marker = answer.get("NextMarker")
        if not marker:
            return runtimes


def read_live(distribution_id: str, cloudfront_client) -> list[DistributionInput]:
    shown = f"distribution {distribution_id}"
    answer = cloudfront_client.get_distribution_config(Id=distribution_id)
    config = answer["DistributionConfig"]
    arns = {association["FunctionARN"] for behaviour in _behaviours(config)
            for association in (behaviour.get("FunctionAssociations") or {}).get("Items") or []}
    functions: dict[str, FunctionInput] = {}
    if arns:
        runtimes = _live_runtimes(cloudfront_client)
        for arn in sorted(arns):
            name = arn.rsplit("/", 1)[-1]  # arn:aws:cloudfront::<account>:function/<name>
            code = cloudfront_client.get_function(Name=name, Stage="LIVE")["FunctionCode"]
            code = code.read() if hasattr(code, "read") else code
            functions[arn] = FunctionInput(
                name=name, runtime=runtimes.get(arn, "cloudfront-js-1.0"),
                code=code.decode("utf-8") if isinstance(code, bytes) else str(code),
                where=Where(shown, f"function {name} (LIVE stage)"))
    policies: dict[str, tuple[str, dict]] = {}
    for behaviour in _behaviours(config):
        for member, (kind, call, key, config_key) in _POLICY_READS.items():
            policy_id = behaviour.get(member)
            if policy_id and not managed_policies.is_managed(policy_id) and policy_id not in policies:
                read = getattr(cloudfront_client, call)(Id=policy_id)
                policies[policy_id] = (kind, read[key][config_key])
    return [distribution_config.build(config, name=distribution_id, shown=shown, prefix="DistributionConfig",
                                      functions=functions, policies=policies)]
