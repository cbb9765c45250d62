"""Read a DistributionConfig in the API's own shape: the output of ``aws cloudfront get-distribution-config``
(``{"ETag": ..., "DistributionConfig": {...}}``), of ``get-distribution`` (``{"Distribution": {...}}``) or a
bare DistributionConfig.

The document is already in the shape everything downstream uses, so reading it is checking it: botocore's
own validation of the CreateDistribution input shape (CloudFront API reference, DistributionConfig) names
any property of the wrong type or name. What the document only refers to, CloudFront Function ARNs and
custom (non-managed) policy IDs, is not in the file: it goes to ``not_emulated`` (NOT_CHECKED on the checks
it affects) unless the caller supplies it (hostlab.check.inputs.live reads it from the account).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from botocore.validate import ParamValidator

from hostlab.check import managed_policies
from hostlab.check.inputs import cfn_convert
from hostlab.check.model import (
    DISTRIBUTION_CONFIG,
    ApiPath,
    CheckInputError,
    DistributionInput,
    FunctionInput,
    PolicyInput,
    Where,
    function_ref,
    policy_ref,
)

_POLICY_MEMBERS = {"CachePolicyId": "cache", "OriginRequestPolicyId": "origin-request",
                   "ResponseHeadersPolicyId": "response-headers"}


def json_path(prefix: str, api_path: ApiPath) -> str:
    text = prefix
    for part in api_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass
class DistributionConfigSourceMap:
    """Where an API property is in a get-distribution-config document: its JSON path."""

    shown: str
    prefix: str  # "DistributionConfig" when the document wraps the config, "" for a bare one
    config: dict
    language: str = DISTRIBUTION_CONFIG

    def where(self, api_path: ApiPath) -> Where:
        node: Any = self.config
        known: list[str | int] = []
        present = True
        for part in api_path:
            in_dict = isinstance(node, dict) and isinstance(part, str) and part in node
            in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
            if not (in_dict or in_list):
                present = False
                # An absent property still has a place; a path the model does not know maps to its parent.
                if cfn_convert.api_shape_at((*known, part)) is not None:
                    known.append(part)
                    node = None
                    continue
                break
            known.append(part)
            node = node[part]
        return Where(self.shown, json_path(self.prefix, tuple(known)), None, present)

    def patch(self, api_path: ApiPath, api_value: Any) -> str:
        parent, key = api_path[:-1], api_path[-1] if api_path else "DistributionConfig"
        while isinstance(key, int) and parent:  # a list item: give the whole list with that item set
            items = list(_value_at(self.config, parent) or [])
            items[key:key + 1] = [api_value]
            key, parent, api_value = parent[-1], parent[:-1], items
        body = json.dumps({key: api_value}, indent=2)[1:-1].strip("\n")
        return f"in {json_path(self.prefix, parent) or 'the document'}:\n{body}"


def _value_at(config: dict, path: ApiPath) -> Any:
    node: Any = config
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def _behaviour_paths(config: dict) -> list[ApiPath]:
    paths: list[ApiPath] = [("DefaultCacheBehavior",)]
    items = (config.get("CacheBehaviors") or {}).get("Items") or []
    return paths + [("CacheBehaviors", "Items", index) for index in range(len(items))]


def _refuse_unsupported(config: dict, shown: str, prefix: str) -> None:
    groups = config.get("OriginGroups") or {}
    if int(groups.get("Quantity", 0) or 0) or groups.get("Items"):
        raise CheckInputError(f"{shown}: {json_path(prefix, ('OriginGroups',))}: origin groups (failover) "
                              "are not supported by the checker")
    for path in _behaviour_paths(config):
        lambdas = _value_at(config, (*path, "LambdaFunctionAssociations")) or {}
        if int(lambdas.get("Quantity", 0) or 0) or lambdas.get("Items"):
            raise CheckInputError(f"{shown}: {json_path(prefix, (*path, 'LambdaFunctionAssociations'))}: "
                                  "Lambda@Edge functions are not supported by the checker (CloudFront "
                                  "Functions in FunctionAssociations are)")


def _validate(config: dict, shown: str, prefix: str) -> None:
    report = ParamValidator().validate(config, cfn_convert.shape("DistributionConfig"))
    if report.has_errors():
        raise CheckInputError(f"{shown}: {prefix or 'the document'} is not a valid DistributionConfig "
                              f"(botocore's CloudFront model):\n{report.generate_report()}")


def build(config: dict, *, name: str, shown: str, prefix: str,
          functions: dict[str, FunctionInput] | None = None,
          policies: dict[str, tuple[str, dict]] | None = None) -> DistributionInput:
    """A DistributionInput from an API-shaped DistributionConfig. ``functions`` (by ARN) and ``policies``
    ({policy ID: (kind, config)}) are what a live read found; without them, references are not emulated."""
    config = json.loads(json.dumps(config))  # a copy, and plain JSON types only
    config.setdefault("CallerReference", f"hostlab-check:{shown}")
    _refuse_unsupported(config, shown, prefix)
    _validate(config, shown, prefix)
    source = DistributionConfigSourceMap(shown, prefix, config)
    distribution = DistributionInput(name=name, source_file=shown, source=source, config=config)
    functions, policies = functions or {}, policies or {}
    for behaviour_path in _behaviour_paths(config):
        behaviour = _value_at(config, behaviour_path)
        for index, association in enumerate((behaviour.get("FunctionAssociations") or {}).get("Items") or []):
            arn = association["FunctionARN"]
            api_path = (*behaviour_path, "FunctionAssociations", "Items", index, "FunctionARN")
            if arn in functions:
                function = functions[arn]
                distribution.functions[function.name] = function
                association["FunctionARN"] = function_ref(function.name)
            else:
                distribution.not_emulated.append(
                    (api_path, f"CloudFront Function {arn}: its code is not in this document (check the "
                               "distribution live, or its template, to run it)"))
        for member, kind in _POLICY_MEMBERS.items():
            policy_id = behaviour.get(member)
            if not policy_id or managed_policies.is_managed(policy_id):
                continue
            if policy_id in policies:
                policy_kind, policy_config = policies[policy_id]
                where = Where(shown, f"{kind} policy {policy_id}")
                distribution.policies[policy_id] = PolicyInput(policy_kind, policy_config, where)
                behaviour[member] = policy_ref(policy_id)
            else:
                distribution.not_emulated.append(
                    ((*behaviour_path, member), f"custom {kind} policy {policy_id}: its settings are not in "
                                                "this document"))
    return distribution


def read_document(doc: dict, shown: str) -> list[DistributionInput]:
    if "Distribution" in doc and isinstance(doc["Distribution"], dict):
        doc = doc["Distribution"]  # get-distribution: {"Distribution": {"Id", ..., "DistributionConfig"}}
    if "DistributionConfig" in doc:
        config, prefix = doc["DistributionConfig"], "DistributionConfig"
        name = str(doc.get("Id") or shown)
    elif "DefaultCacheBehavior" in doc:
        config, prefix, name = doc, "", shown
    else:
        raise CheckInputError(f"{shown}: neither a DistributionConfig nor get-distribution-config output")
    if not isinstance(config, dict):
        raise CheckInputError(f"{shown}: DistributionConfig must be an object")
    return [build(config, name=name, shown=shown, prefix=prefix)]
