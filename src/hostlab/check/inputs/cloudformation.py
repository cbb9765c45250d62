"""Read a CloudFormation template (YAML or JSON) into DistributionInput objects.

Every AWS::CloudFront::Distribution of the template becomes one DistributionInput: its DistributionConfig
resolved (hostlab.check.inputs.cfn_intrinsics) and converted to the API's shape with the resource schema's
defaults (hostlab.check.inputs.cfn_convert); the CloudFront Functions and custom policies it uses, when the
template defines them; and what the template says about each origin (an App Runner service, a load
balancer and its security groups, an Express service, a bucket...).

Not supported, each a CheckInputError naming it: Lambda@Edge associations and origin groups (the local edge
runs neither), the legacy CustomOrigin/S3Origin forms, template macros (Transform other than the SAM and
language-extension transforms), and a template whose only distributions could be inside nested stacks
(AWS::CloudFormation::Stack, AWS::Serverless::Application). Resources that do not shape a distribution or
its origins are ignored, and the notes name their types.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from hostlab.check import managed_policies
from hostlab.check.inputs import cfn_convert, cfn_yaml
from hostlab.check.inputs.cfn_intrinsics import (
    FUNCTION_TYPE,
    NESTED_TYPES,
    NO_VALUE,
    POLICY_TYPES,
    Template,
    dotted,
)
from hostlab.check.model import (
    ALB,
    API_GATEWAY,
    APPRUNNER,
    CLOUDFORMATION,
    CUSTOM,
    EXPRESS,
    LAMBDA_URL,
    S3,
    ApiPath,
    CheckInputError,
    DistributionInput,
    FunctionInput,
    OriginHint,
    PolicyInput,
    Where,
)

DISTRIBUTION_TYPE = "AWS::CloudFront::Distribution"
# Transforms that leave an AWS::CloudFront::Distribution as written (AWS::Serverless only expands
# AWS::Serverless::* resources; AWS::LanguageExtensions adds functions the resolver refuses by name).
HARMLESS_TRANSFORMS = ("AWS::Serverless-2016-10-31", "AWS::LanguageExtensions")

# The resource types the reader looks at; any other type is ignored (and named in the notes).
READ_TYPES = {
    DISTRIBUTION_TYPE, FUNCTION_TYPE, *POLICY_TYPES,
    "AWS::AppRunner::Service", "AWS::ECS::ExpressGatewayService", "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress", "AWS::S3::Bucket",
    "AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api", "AWS::Lambda::Url",
}

_POLICY_CONFIG = {  # CloudFormation property holding the config -> botocore shape
    "cache": ("CachePolicyConfig", "CachePolicyConfig"),
    "origin-request": ("OriginRequestPolicyConfig", "OriginRequestPolicyConfig"),
    "response-headers": ("ResponseHeadersPolicyConfig", "ResponseHeadersPolicyConfig"),
}
_POLICY_MEMBERS = {"CachePolicyId": "cache", "OriginRequestPolicyId": "origin-request",
                   "ResponseHeadersPolicyId": "response-headers"}
_SUB_NAMES = re.compile(r"\$\{([^}!][^}]*)\}")
CLOUDFRONT_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"


def read_text(text: str, params: dict[str, str], shown: str) -> list[DistributionInput]:
    document, is_json = cfn_yaml.load(text, shown)
    if "Resources" not in document or not isinstance(document["Resources"], dict):
        raise CheckInputError(f"{shown}: not a CloudFormation template (no Resources section)")
    notes: list[str] = []
    transforms = document.get("Transform") or []
    for transform in [transforms] if isinstance(transforms, (str, dict)) else transforms:
        name = transform.get("Name") if isinstance(transform, dict) else transform
        if name in HARMLESS_TRANSFORMS:
            notes.append(f"Transform {name}: AWS::CloudFront::Distribution resources are read as written")
        else:
            line = getattr(document, "lines", {}).get("Transform")
            place = f"{shown}:{line}" if line else shown
            raise CheckInputError(f"{place}: Transform: {name}: template macros run in CloudFormation "
                                  "and are not supported; check the processed template instead "
                                  "(aws cloudformation get-template --template-stage Processed)")
    template = Template(document, params, shown)
    resources = template.resources
    found = []
    for logical_id, resource in resources.items():
        if not isinstance(resource, dict) or resource.get("Type") != DISTRIBUTION_TYPE:
            continue
        condition = resource.get("Condition")
        if condition and not template.condition(str(condition), ("Resources", logical_id, "Condition")):
            notes.append(f"{logical_id}: condition {condition} is false with these parameters: not created")
            continue
        found.append(logical_id)
    if not found:
        nested = [f"{key} ({resources[key].get('Type')})" for key in resources
                  if isinstance(resources[key], dict) and resources[key].get("Type") in NESTED_TYPES]
        if nested:
            raise CheckInputError(f"{shown}: no {DISTRIBUTION_TYPE} in this template; nested stacks are not "
                                  f"supported: {', '.join(nested)}; check the nested template itself")
        if any(str(r.get("Type", "")).startswith("AWS::Serverless::") for r in resources.values()
               if isinstance(r, dict)):
            raise CheckInputError(f"{shown}: no {DISTRIBUTION_TYPE} in this template; AWS::Serverless::* "
                                  "resources are not supported; check the transformed template")
        raise CheckInputError(f"{shown}: no {DISTRIBUTION_TYPE} in this template")
    ignored = sorted({str(r.get("Type")) for r in resources.values()
                      if isinstance(r, dict) and r.get("Type") not in READ_TYPES})
    if ignored:
        notes.append("ignored (they do not shape a distribution or its origins): " + ", ".join(ignored))
    return [_distribution(template, logical_id, is_json, notes) for logical_id in found]


def _distribution(template: Template, logical_id: str, is_json: bool, notes: list[str]) -> DistributionInput:
    shown = template.shown
    properties = template.resources[logical_id].get("Properties") or {}
    base: tuple[str | int, ...] = ("Resources", logical_id, "Properties", "DistributionConfig")
    if "DistributionConfig" not in properties:
        raise template.error(base[:-1], "DistributionConfig", "missing")
    raw = properties["DistributionConfig"]
    resolved = template.resolve(raw, base)
    if not isinstance(resolved, dict):
        raise template.error(base, "DistributionConfig", "expected a set of properties")
    _refuse_unsupported(template, base, resolved)

    def error(path: tuple[str | int, ...], construct: str, why: str) -> CheckInputError:
        return template.error((*base, *path), construct, why)

    api = cfn_convert.to_api(resolved, cfn_convert.shape("DistributionConfig"), (), error)
    # CloudFormation makes its own CallerReference; any stable string will do for CreateDistribution.
    api = {"CallerReference": f"hostlab-check:{shown}:{logical_id}", **api}
    source = CloudFormationSourceMap(template, base, resolved, is_json)
    distribution = DistributionInput(name=logical_id, source_file=shown, source=source, config=api)
    _functions_and_policies(template, distribution)
    for index, origin in enumerate(resolved.get("Origins", [])):
        hint = _origin_hint(template, base, index, origin)
        distribution.origins[hint.origin_id] = hint
    distribution.notes = [*notes, *template.notes]
    return distribution


def _refuse_unsupported(template: Template, base: tuple, config: dict) -> None:
    for legacy in ("CustomOrigin", "S3Origin"):
        if legacy in config:
            raise template.error((*base, legacy), f"legacy {legacy}",
                                 "the legacy origin form is not supported; write Origins instead")
    if "CNAMEs" in config:
        raise template.error((*base, "CNAMEs"), "legacy CNAMEs", "write Aliases instead")
    for required in ("Enabled", "DefaultCacheBehavior", "Origins"):
        if required not in config:
            raise template.error(base, required, "required and missing")
    groups = config.get("OriginGroups")
    if groups and (groups.get("Items") or int(groups.get("Quantity", 0) or 0)):
        raise template.error((*base, "OriginGroups"), "OriginGroups",
                             "origin groups (failover) are not supported by the checker")
    behaviours = [(("DefaultCacheBehavior",), config.get("DefaultCacheBehavior") or {})]
    behaviours += [(("CacheBehaviors", i), b) for i, b in enumerate(config.get("CacheBehaviors") or [])]
    for path, behaviour in behaviours:
        if isinstance(behaviour, dict) and not behaviour.get("CachePolicyId") \
                and "ForwardedValues" not in behaviour:
            # CloudFront API reference, DefaultCacheBehavior / CacheBehavior: "A CacheBehavior must include
            # either a CachePolicyId or ForwardedValues" (CachePolicyId, "Required: No" with that note).
            raise template.error((*base, *path), "CachePolicyId",
                                 "a behaviour needs a CachePolicyId or the legacy ForwardedValues")
        if isinstance(behaviour, dict) and behaviour.get("LambdaFunctionAssociations"):
            raise template.error((*base, *path, "LambdaFunctionAssociations"), "LambdaFunctionAssociations",
                                 "Lambda@Edge functions are not supported by the checker (CloudFront "
                                 "Functions in FunctionAssociations are)")


def _behaviour_paths(api: dict) -> list[ApiPath]:
    paths: list[ApiPath] = [("DefaultCacheBehavior",)]
    items = (api.get("CacheBehaviors") or {}).get("Items") or []
    paths += [("CacheBehaviors", "Items", index) for index in range(len(items))]
    return paths


def _get(config: dict, path: ApiPath) -> Any:
    node: Any = config
    for part in path:
        node = node[part]
    return node


def _functions_and_policies(template: Template, distribution: DistributionInput) -> None:
    for behaviour_path in _behaviour_paths(distribution.config):
        behaviour = _get(distribution.config, behaviour_path)
        for index, association in enumerate((behaviour.get("FunctionAssociations") or {}).get("Items") or []):
            arn = association.get("FunctionARN", "")
            api_path = (*behaviour_path, "FunctionAssociations", "Items", index, "FunctionARN")
            if arn.startswith("hostlab-function:"):
                name = arn.split(":", 1)[1]
                if name not in distribution.functions:
                    distribution.functions[name] = _function(template, name)
            else:
                distribution.not_emulated.append(
                    (api_path, f"CloudFront Function {arn} is not defined in this template: its code is "
                               "unknown, so the checker does not run it"))
        for member, kind in _POLICY_MEMBERS.items():
            policy_id = behaviour.get(member)
            if not policy_id:
                continue
            if policy_id.startswith("hostlab-policy:"):
                name = policy_id.split(":", 1)[1]
                if name not in distribution.policies:
                    distribution.policies[name] = _policy(template, name, kind)
            elif not managed_policies.is_managed(policy_id):
                distribution.not_emulated.append(
                    ((*behaviour_path, member), f"{member} {policy_id} is neither a managed policy nor "
                                                "defined in this template: its settings are unknown"))


def _function(template: Template, name: str) -> FunctionInput:
    path = ("Resources", name, "Properties")
    properties = template.resources[name].get("Properties") or {}
    if "FunctionCode" not in properties:
        raise template.error(path, "FunctionCode", "the function's code is not in the template")
    code = template.resolve(properties["FunctionCode"], (*path, "FunctionCode"))
    config = template.resolve(properties.get("FunctionConfig") or {}, (*path, "FunctionConfig"))
    if not isinstance(code, str):
        raise template.error((*path, "FunctionCode"), "FunctionCode", "expected the code as text")
    where = Where(template.shown, dotted((*path, "FunctionCode")), template.line_of((*path, "FunctionCode")))
    return FunctionInput(name=name, runtime=str(config.get("Runtime", "cloudfront-js-1.0")), code=code,
                         where=where)


def _policy(template: Template, name: str, kind: str) -> PolicyInput:
    property_name, shape_name = _POLICY_CONFIG[kind]
    expected = next(t for t, k in POLICY_TYPES.items() if k == kind)
    if template.resource_type(name) != expected:
        raise template.error(("Resources", name, "Type"), template.resource_type(name),
                             f"used as a {kind} policy, expected {expected}")
    path = ("Resources", name, "Properties", property_name)
    properties = template.resources[name].get("Properties") or {}
    if property_name not in properties:
        raise template.error(path[:-1], property_name, "missing")
    resolved = template.resolve(properties[property_name], path)

    def error(sub: tuple[str | int, ...], construct: str, why: str) -> CheckInputError:
        return template.error((*path, *sub), construct, why)

    config = cfn_convert.to_api(resolved, cfn_convert.shape(shape_name), (), error)
    return PolicyInput(kind=kind, config=config,
                       where=Where(template.shown, dotted(path), template.line_of(path)))


# --- origins ---


def _references(node: Any) -> list[tuple[str, str | None]]:
    """(logical ID or parameter, attribute or None) for every Ref / GetAtt / ${} inside a raw node."""
    found: list[tuple[str, str | None]] = []
    if isinstance(node, dict):
        if len(node) == 1 and "Ref" in node and isinstance(node["Ref"], str):
            return [(node["Ref"], None)]
        if len(node) == 1 and "Fn::GetAtt" in node:
            argument = node["Fn::GetAtt"]
            parts = argument.split(".", 1) if isinstance(argument, str) else list(argument)
            if len(parts) == 2 and isinstance(parts[0], str):
                return [(parts[0], str(parts[1]))]
        if len(node) == 1 and "Fn::Sub" in node:
            argument = node["Fn::Sub"]
            text, variables = (argument[0], argument[1]) if isinstance(argument, list) else (argument, {})
            for name in _SUB_NAMES.findall(str(text)):
                if name not in (variables or {}):
                    resource, _, attribute = name.partition(".")
                    found.append((resource, attribute or None))
            for value in (variables or {}).values():
                found += _references(value)
            return found
        for value in node.values():
            found += _references(value)
    elif isinstance(node, list):
        for item in node:
            found += _references(item)
    return found


def _raw_at(template: Template, path: tuple[str | int, ...]) -> Any:
    return template.walk(path)[0]


def _origin_hint(template: Template, base: tuple, index: int, origin: dict) -> OriginHint:
    origin_id = str(origin.get("Id", f"origin-{index}"))
    domain = _raw_at(template, (*base, "Origins", index, "DomainName"))
    hint = OriginHint(origin_id=origin_id)
    for name, attribute in _references(domain):
        if name in template.parameters:
            hint.reason = f"parameter {name}"
            continue
        kind = template.resource_type(name)
        if not kind:
            continue
        construct = f"Fn::GetAtt {name}.{attribute}" if attribute else f"Ref {name}"
        if kind == "AWS::AppRunner::Service":
            hint.kind, hint.reason = APPRUNNER, construct
            hint.publicly_accessible = _apprunner_public(template, name)
        elif kind == "AWS::ECS::ExpressGatewayService":
            hint.kind, hint.reason = EXPRESS, construct
            hint.restricted_to_cloudfront = _express_restricted(template, name)
        elif kind == "AWS::ElasticLoadBalancingV2::LoadBalancer":
            lb_type = str(((template.resources[name].get("Properties") or {}).get("Type")) or "application")
            if lb_type == "application":
                hint.kind, hint.reason = ALB, construct
                hint.restricted_to_cloudfront = _alb_restricted(template, name)
            else:
                hint.kind, hint.reason = CUSTOM, f"{construct} ({lb_type} load balancer)"
        elif kind == "AWS::S3::Bucket":
            if attribute == "WebsiteURL":
                hint.kind, hint.reason = CUSTOM, f"{construct} (the bucket's website endpoint)"
            else:
                hint.kind, hint.reason = S3, construct
        elif kind in ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api"):
            hint.kind, hint.reason = API_GATEWAY, construct
        elif kind == "AWS::Lambda::Url":
            hint.kind, hint.reason = LAMBDA_URL, construct
        if hint.kind:
            break
    return hint


def _quiet_resolve(template: Template, node: Any, path: tuple) -> Any:
    """Resolve for a hint: what cannot be resolved is unknown (None), not an error."""
    try:
        return template.resolve(node, path)
    except CheckInputError:
        return None


def _apprunner_public(template: Template, name: str) -> bool | None:
    # AWS::AppRunner::Service NetworkConfiguration.IngressConfiguration.IsPubliclyAccessible
    # (aws-properties-apprunner-service-ingressconfiguration.html); without a NetworkConfiguration the service
    # is public, as App Runner's default (App Runner Developer Guide, network-pl.html, "incoming traffic").
    path = ("Resources", name, "Properties", "NetworkConfiguration", "IngressConfiguration",
            "IsPubliclyAccessible")
    raw = _raw_at(template, path)
    if raw is None:
        return True
    value = _quiet_resolve(template, raw, path)
    if value is None or value is NO_VALUE:
        return None
    return str(value).lower() == "true"


def _group_ids(node: Any) -> list[str | None]:
    """Security group logical IDs a raw GroupId / SecurityGroups entry names (None: not in the template)."""
    refs = _references(node)
    if not refs:
        return [None]
    return [name for name, attribute in refs if attribute in (None, "GroupId")] or [None]


def _prefix_list_is_cloudfront(template: Template, node: Any) -> bool:
    """A SourcePrefixListId the template marks as CloudFront's origin-facing list. CloudFormation cannot look
    the list up by name (its ID differs per Region), so templates take it from a parameter, a mapping or a
    custom resource: the reader trusts the words they use (a name, description or key saying CloudFront)."""
    text = json.dumps(node, default=str).lower()
    for name, _attribute in _references(node):
        declaration = template.parameters.get(name)
        if isinstance(declaration, dict):
            text += " " + json.dumps(declaration, default=str).lower()
    return "cloudfront" in text or CLOUDFRONT_PREFIX_LIST in text


def _rule_source(template: Template, rule: dict, path: tuple) -> str:
    """'cloudfront', 'open' (0.0.0.0/0 or ::/0) or 'other' for one ingress rule."""
    if "SourcePrefixListId" in rule:
        return "cloudfront" if _prefix_list_is_cloudfront(template, rule["SourcePrefixListId"]) else "other"
    for key, everyone in (("CidrIp", "0.0.0.0/0"), ("CidrIpv6", "::/0")):
        if key in rule and _quiet_resolve(template, rule[key], (*path, key)) == everyone:
            return "open"
    return "other"


def _ingress_rules(template: Template, group: str) -> list[tuple[dict, tuple]]:
    rules = []
    properties = template.resources[group].get("Properties") or {}
    for index, rule in enumerate(properties.get("SecurityGroupIngress") or []):
        if isinstance(rule, dict):
            rules.append((rule, ("Resources", group, "Properties", "SecurityGroupIngress", index)))
    for logical_id, resource in template.resources.items():
        if isinstance(resource, dict) and resource.get("Type") == "AWS::EC2::SecurityGroupIngress":
            rule = resource.get("Properties") or {}
            if group in _group_ids(rule.get("GroupId")):
                rules.append((rule, ("Resources", logical_id, "Properties")))
    return rules


def _verdict(sources: list[str]) -> bool | None:
    # True only when CloudFront's prefix list is the only source (CloudFront Developer Guide,
    # restrict-access-to-load-balancer.html and LocationsOfEdgeServers.html, "Use the CloudFront managed
    # prefix list"); False when the whole internet is let in.
    if not sources:
        return None
    if "open" in sources:
        return False
    return True if all(source == "cloudfront" for source in sources) else None


def _alb_restricted(template: Template, name: str) -> bool | None:
    properties = template.resources[name].get("Properties") or {}
    groups = properties.get("SecurityGroups")
    if not isinstance(groups, list) or not groups:
        return None  # the VPC's default security group, not in the template
    sources = []
    for entry in groups:
        for group in _group_ids(entry):
            if group is None or template.resource_type(group) != "AWS::EC2::SecurityGroup":
                return None
            sources += [_rule_source(template, rule, path) for rule, path in _ingress_rules(template, group)]
    return _verdict(sources)


def _express_restricted(template: Template, name: str) -> bool | None:
    """Express's load balancer group opens 80 and 443 to 0.0.0.0/0 and ::/0 (docs/behaviours.md, ECS Express
    row). The tutorial's template (infra/express/cloudformation) closes it in two steps: an ingress rule from
    CloudFront's prefix list on that group, then a custom resource that revokes the open rules. Both must be
    there (on the service's LoadBalancerSecurityGroups) for True; otherwise the group stays open: False."""
    let_in = revoked = False
    for logical_id, resource in template.resources.items():
        if not isinstance(resource, dict):
            continue
        properties = resource.get("Properties") or {}
        targets = [(n, a) for n, a in _references(properties) if n == name and a and "SecurityGroups" in a]
        if not targets:
            continue
        kind = str(resource.get("Type"))
        if kind == "AWS::EC2::SecurityGroupIngress":
            if _rule_source(template, properties, ("Resources", logical_id, "Properties")) == "cloudfront":
                let_in = True
            elif _rule_source(template, properties, ("Resources", logical_id, "Properties")) == "open":
                return False
        elif kind.startswith("Custom::") or kind == "AWS::CloudFormation::CustomResource":
            # A custom resource given that group, named for revoking (the tutorial's RevokeOpenIngress).
            revoked = revoked or "revoke" in (logical_id + kind).lower()
    return let_in and revoked


# --- the source map ---


@dataclass
class CloudFormationSourceMap:
    template: Template
    base: tuple[str | int, ...]  # ("Resources", id, "Properties", "DistributionConfig")
    resolved: dict  # the DistributionConfig with intrinsics resolved, in CloudFormation's shape
    is_json: bool
    language: str = CLOUDFORMATION

    def where(self, api_path: ApiPath) -> Where:
        relative, _complete = cfn_convert.cfn_path(api_path)
        present = self._present(relative)
        line = self.template.line_of((*self.base, *relative))
        return Where(self.template.shown, dotted((*self.base, *relative)), line, present)

    def _present(self, relative: tuple[str | int, ...]) -> bool:
        node: Any = self.resolved
        for part in relative:
            in_dict = isinstance(node, dict) and isinstance(part, str) and part in node
            in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
            if not (in_dict or in_list):
                return False
            node = node[part]
        return True

    def patch(self, api_path: ApiPath, api_value: Any) -> str:
        relative, _complete = cfn_convert.cfn_path(api_path)
        api_shape = cfn_convert.api_shape_at(api_path)
        parent_api = api_path[:-1]
        # A member that lives beside its API parent in CloudFormation (CachedMethods) or a list's Quantity:
        # write the whole property.
        if (api_path and api_path[-1] in ("Quantity", "Items", "Enabled")) or not relative:
            api_path, api_shape = parent_api, cfn_convert.api_shape_at(parent_api)
            relative, _ = cfn_convert.cfn_path(api_path)
        value = cfn_convert.to_cfn(api_value, api_shape)
        comment = _comment_for(api_value)
        key = relative[-1] if relative else "DistributionConfig"
        parent = relative[:-1]
        while parent and isinstance(key, int):  # a list item: write the whole list item under its list
            key, parent = parent[-1], parent[:-1]
            value = [value]
        values = {key: value}
        if key == "AllowedMethods" and isinstance(api_value, dict) and "CachedMethods" in api_value:
            # CachedMethods sits inside AllowedMethods in the API, beside it in CloudFormation.
            values["CachedMethods"] = list(api_value["CachedMethods"].get("Items", []))
        under = dotted((*self.base, *parent))
        if self.is_json:
            body = json.dumps(values, indent=2)[1:-1].strip("\n")
            return f"in {under}:\n{body}"
        lines = [f"# in {under}:"]
        lines += _yaml_lines(values, 0, comment)
        return "\n".join(lines)


def _comment_for(api_value: Any) -> str | None:
    if isinstance(api_value, str) and managed_policies.is_managed(api_value):
        return managed_policies.MANAGED_POLICY_NAMES[api_value]
    return None


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value)
    if text == "" or re.search(r"[:#{}\[\],&*!|>'\"%@`]|^\s|\s$|^(true|false|yes|no|null|~|[-+.\d])", text,
                               re.IGNORECASE):
        return json.dumps(text)
    return text


def _yaml_lines(node: dict, indent: int, comment: str | None = None) -> list[str]:
    pad = " " * indent
    lines = []
    for key, value in node.items():
        if isinstance(value, dict):
            lines.append(f"{pad}{key}:")
            lines += _yaml_lines(value, indent + 2)
        elif isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
            lines.append(f"{pad}{key}: [{', '.join(_scalar(v) for v in value)}]")
        elif isinstance(value, list):
            lines.append(f"{pad}{key}:")
            for item in value:
                sub = _yaml_lines(item, indent + 4) if isinstance(item, dict) else [_scalar(item)]
                sub[0] = f"{pad}  - " + sub[0].lstrip()
                lines += sub
        else:
            suffix = f"  # {comment}" if comment else ""
            lines.append(f"{pad}{key}: {_scalar(value)}{suffix}")
    return lines
