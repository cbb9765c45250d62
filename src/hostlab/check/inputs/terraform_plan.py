"""Read `terraform show -json plan.out` into DistributionInputs.

The format is Terraform's JSON output format (https://developer.hashicorp.com/terraform/internals/json-format):
``format_version`` (major version 1 only; a later major version is rejected, as the page asks), then
``planned_values.root_module`` with ``resources`` and ``child_modules`` (recursively), each resource with its
``address`` and resolved ``values`` (blocks as lists of objects, the form terraform_schema converts);
``resource_changes[].change.after_unknown`` marks what is known only after apply (such values are absent from
``values``); ``configuration`` keeps each argument's ``references``, which tell what an unknown value comes
from; ``prior_state`` holds data sources read during the plan.

An unknown origin domain that refers to a resource in the plan (an App Runner service's URL, a load balancer's
DNS name...) becomes a stand-in of that kind; an unknown function ARN or policy ID that refers to a function
or
policy in the plan becomes its placeholder (model.function_ref / policy_ref) with its code or settings; any
other unknown value the distribution needs is an error naming the attribute.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from hostlab.check.inputs import terraform_schema as schema
from hostlab.check.managed_policies import MANAGED_POLICY_NAMES
from hostlab.check.model import (
    ALB,
    API_GATEWAY,
    APPRUNNER,
    EXPRESS,
    LAMBDA_URL,
    S3,
    TERRAFORM_PLAN,
    ApiPath,
    CheckInputError,
    DistributionInput,
    FunctionInput,
    OriginHint,
    PolicyInput,
    Where,
    function_ref,
    policy_ref,
)

_UNKNOWN = object()


class _Unknown:
    def __init__(self, path: str):
        self.path = path


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def _merge_unknown(values: Any, unknown: Any, path: str) -> Any:
    """values with an _Unknown wherever after_unknown says true."""
    if unknown is True:
        return _Unknown(path)
    if isinstance(unknown, dict):
        out = dict(values) if isinstance(values, dict) else {}
        for key, marker in unknown.items():
            out[key] = _merge_unknown(out.get(key), marker, f"{path}.{key}" if path else key)
        return out
    if isinstance(unknown, list):
        items = list(values) if isinstance(values, list) else []
        while len(items) < len(unknown):
            items.append({} if isinstance(unknown[len(items)], dict) else None)
        return [
            _merge_unknown(items[i], unknown[i] if i < len(unknown) else False, f"{path}[{i}]")
            for i in range(len(items))
        ]
    return values


@dataclass
class _Resource:
    address: str
    module: str  # "" or "module.cdn"
    type: str
    name: str
    values: dict[str, Any]


def _walk(module: dict[str, Any], out: list[_Resource]) -> None:
    prefix = module.get("address", "")
    for resource in module.get("resources", []) or []:
        if resource.get("mode", "managed") != "managed":
            continue
        out.append(
            _Resource(
                resource["address"], prefix, resource["type"], resource["name"], resource.get("values") or {}
            )
        )
    for child in module.get("child_modules", []) or []:
        _walk(child, out)


def _config_module(configuration: dict[str, Any], module_address: str) -> dict[str, Any]:
    """The configuration's module for a module address ("module.cdn" -> module_calls.cdn.module)."""
    module = configuration.get("root_module", {})
    for part in [p for p in module_address.split(".") if p != "module"] if module_address else []:
        name = part.split("[")[0]
        module = module.get("module_calls", {}).get(name, {}).get("module", {})
    return module


def _config_resource(configuration: dict[str, Any], resource: _Resource) -> dict[str, Any]:
    module = _config_module(configuration, resource.module)
    local = f"{resource.type}.{resource.name}"
    for item in module.get("resources", []):
        if item.get("address") == local:
            return item
    return {}


def _references(expressions: Any, tf_path: str) -> list[str]:
    """The references of the argument at tf_path ("origin[0].domain_name") in a configuration resource."""
    node = expressions
    for piece in tf_path.split("."):
        name, _, index = piece.partition("[")
        if not isinstance(node, dict):
            return []
        node = node.get(name)
        if isinstance(node, list):
            node = node[int(index.rstrip("]")) if index else 0] if node else None
    if isinstance(node, list):
        node = node[0] if node else None
    return list(node.get("references", [])) if isinstance(node, dict) else []


_TOP_ARGUMENTS = {
    "aliases",
    "comment",
    "enabled",
    "http_version",
    "is_ipv6_enabled",
    "price_class",
    "web_acl_id",
    "default_root_object",
    "retain_on_delete",
    "wait_for_deployment",
    "staging",
}


def _written(expressions: dict[str, Any], tf_path: str) -> bool | None:
    """Whether the configuration writes the argument or block at tf_path; None when its block is not in the
    configuration's expressions (a dynamic block, which the configuration shows unexpanded)."""
    node: Any = expressions
    pieces = tf_path.split(".") if tf_path else []
    for position, piece in enumerate(pieces):
        name, _, index = piece.partition("[")
        if isinstance(node, list):
            node = node[0] if node else {}
        if not isinstance(node, dict):
            return None
        if name not in node:
            if position == 0 and name not in _TOP_ARGUMENTS:
                return None  # a block missing from the expressions may be a dynamic one
            return False if position == len(pieces) - 1 else None
        node = node[name]
        if isinstance(node, list) and index:
            i = int(index.rstrip("]"))
            node = node[i] if i < len(node) else node[0] if node else {}
    return True


class _PlanReading:
    def __init__(self, doc: dict[str, Any], shown: str):
        self.doc = doc
        self.shown = shown
        self.resources: list[_Resource] = []
        _walk(doc.get("planned_values", {}).get("root_module", {}), self.resources)
        self.by_address = {r.address: r for r in self.resources}
        unknowns = {
            c["address"]: (c.get("change") or {}).get("after_unknown") or {}
            for c in doc.get("resource_changes", []) or []
            if "address" in c
        }
        for resource in self.resources:
            if resource.address in unknowns:
                resource.values = _merge_unknown(resource.values, unknowns[resource.address], "")
        self.configuration = doc.get("configuration", {}) or {}
        self.region = self._region()

    def _region(self) -> str:
        for key, provider in (self.configuration.get("provider_config") or {}).items():
            if key.split(".")[0] == "aws":
                region = ((provider.get("expressions") or {}).get("region") or {}).get("constant_value")
                if isinstance(region, str):
                    return region
        return "us-east-1"

    def follow(self, module: str, reference: str) -> _Resource | None:
        """The resource a reference ends at: in the same module, or, for ``var.NAME`` in a child module,
        through
        the module call's argument NAME in the parent (configuration.module_calls.<name>.expressions)."""
        found = self.find(module, reference)
        if found is not None or not reference.startswith("var.") or not module:
            return found
        variable = reference.split(".")[1]
        parent, _, call = module.rpartition(".module.") if ".module." in module else ("", "", module)
        call_name = call.removeprefix("module.").split("[")[0]
        parent_config = _config_module(self.configuration, parent)
        expression = (parent_config.get("module_calls", {}).get(call_name, {}).get("expressions") or {}).get(
            variable
        ) or {}
        for inner in expression.get("references", []) if isinstance(expression, dict) else []:
            target = self.follow(parent, inner)
            if target is not None:
                return target
        return None

    def find(self, module: str, reference: str) -> _Resource | None:
        """The resource a reference ("aws_lb.main.dns_name", "aws_lb.main") names, in the same module."""
        parts = reference.split(".")
        if len(parts) < 2:
            return None
        base = f"{module}.{parts[0]}.{parts[1]}" if module else f"{parts[0]}.{parts[1]}"
        if base in self.by_address:
            return self.by_address[base]
        for candidate in self.resources:  # an instance of a counted resource: aws_lb.main[0]
            if candidate.address.startswith(base + "[") or candidate.address.startswith(
                base.split("[")[0] + "["
            ):
                return candidate
        return None


_KINDS = {
    "aws_apprunner_service": (APPRUNNER, "service_url"),
    "aws_lb": (ALB, "dns_name"),
    "aws_alb": (ALB, "dns_name"),
    "aws_ecs_express_gateway_service": (EXPRESS, "ingress_paths"),
    "aws_s3_bucket": (S3, "bucket_regional_domain_name"),
    "aws_apigatewayv2_api": (API_GATEWAY, "api_endpoint"),
    "aws_lambda_function_url": (LAMBDA_URL, "function_url"),
}


def _standin_domain(resource: _Resource, region: str) -> str:
    digest = _digest(resource.address, 40)
    kind = _KINDS[resource.type][0]
    if kind == APPRUNNER:
        return f"{digest[:10]}.{region}.awsapprunner.com"
    if kind == ALB:
        name = resource.values.get("name") if isinstance(resource.values.get("name"), str) else resource.name
        return f"{name}-{int(digest[:8], 16) % 10**10}.{region}.elb.amazonaws.com"
    if kind == EXPRESS:
        return f"ex-{digest[:32]}.ecs.{region}.on.aws"
    if kind == S3:
        bucket = (
            resource.values.get("bucket") if isinstance(resource.values.get("bucket"), str) else digest[:20]
        )
        return f"{bucket}.s3.{region}.amazonaws.com"
    if kind == API_GATEWAY:
        return f"{digest[:10]}.execute-api.{region}.amazonaws.com"
    return f"{digest[:32]}.lambda-url.{region}.on.aws"


def _publicly_accessible(resource: _Resource) -> bool | None:
    if resource.type != "aws_apprunner_service":
        return None
    for network in resource.values.get("network_configuration") or []:
        for ingress in (network or {}).get("ingress_configuration") or []:
            value = (ingress or {}).get("is_publicly_accessible")
            if isinstance(value, bool):
                return value
    return True  # App Runner's default (IngressConfiguration.IsPubliclyAccessible)


def _known_domain_kind(reading: _PlanReading, domain: str) -> tuple[str, str] | None:
    host = domain.removeprefix("https://").split("/")[0]
    for resource in reading.resources:
        if resource.type not in _KINDS:
            continue
        kind, attribute = _KINDS[resource.type]
        value = resource.values.get(attribute)
        if resource.type == "aws_ecs_express_gateway_service" and isinstance(value, list) and value:
            value = (value[0] or {}).get("endpoint")
        if isinstance(value, str) and value.removeprefix("https://").split("/")[0] == host:
            return kind, f"{resource.address}.{attribute}"
    return None


@dataclass
class PlanSourceMap:
    """where()/patch() for a plan: the resource address and the argument's path below it (no line: the plan
    has none); the patch is HCL for the .tf file that declares the resource."""

    file: str
    address: str
    places: dict[ApiPath, schema.Place]
    config: dict[str, Any]
    language: str = TERRAFORM_PLAN

    def where(self, api_path: ApiPath) -> Where:
        place = schema.nearest_place(self.places, api_path)
        return Where(
            self.file, f"{self.address}.{place.path}" if place.path else self.address, None, place.present
        )

    def patch(self, api_path: ApiPath, api_value: Any) -> str:
        place = schema.nearest_place(self.places, api_path)
        parent, _, name = place.path.rpartition(".")
        api_key = schema.api_key_of(api_path)
        body = schema.patch_body(api_key, api_value, name)
        if api_key == "CustomErrorResponses":
            parent = ""
        inside = f", inside {parent}" if parent else ""
        module, _, resource = self.address.rpartition("aws_cloudfront_distribution.")
        where = f" (in {module.rstrip('.')})" if module else ""
        header = (
            f"# in the .tf file declaring resource aws_cloudfront_distribution.{resource}{where}{inside}:"
        )
        return "\n".join([header, *body])


def read_document(doc: dict[str, Any], shown: str) -> list[DistributionInput]:
    version = str(doc.get("format_version", ""))
    if not version.startswith("1."):
        raise CheckInputError(
            f"{shown}: format_version {version!r}: only Terraform's JSON format 1.x is read "
            "(terraform show -json of Terraform 1.x)"
        )
    if "planned_values" not in doc:
        raise CheckInputError(
            f"{shown}: no planned_values: this is not `terraform show -json` of a plan file"
        )
    reading = _PlanReading(doc, shown)
    found = [r for r in reading.resources if r.type == "aws_cloudfront_distribution"]
    if not found:
        raise CheckInputError(f"{shown}: the plan has no aws_cloudfront_distribution resource")
    return [_distribution(reading, resource) for resource in found]


def _distribution(reading: _PlanReading, resource: _Resource) -> DistributionInput:
    shown, address = reading.shown, resource.address
    label = f"{shown}: {address}"
    config_resource = _config_resource(reading.configuration, resource)
    expressions = config_resource.get("expressions", {})
    functions: dict[str, FunctionInput] = {}
    policies: dict[str, PolicyInput] = {}
    hints: dict[int, tuple[str, str, bool | None]] = {}
    not_emulated: list[tuple[ApiPath, str]] = []

    def resolve(api: ApiPath, tf: str, value: Any) -> Any:
        if isinstance(value, _Unknown):
            references = _references(expressions, tf)
            target = next((found for r in references if (found := reading.follow(resource.module, r))), None)
            leaf = api[-1] if api else ""
            if leaf == "DomainName" and target is not None and target.type in _KINDS:
                hints[api[2]] = (
                    _KINDS[target.type][0],
                    f"{target.address} (known after apply)",
                    _publicly_accessible(target),
                )
                return _standin_domain(target, reading.region)
            if leaf == "FunctionARN" and target is not None and target.type == "aws_cloudfront_function":
                return _function(target, functions, shown)
            if (
                leaf in ("CachePolicyId", "OriginRequestPolicyId", "ResponseHeadersPolicyId")
                and target is not None
                and target.type in schema.POLICY_RESOURCES
            ):
                return _policy(target, policies, shown)
            if api == ("WebACLId",):
                not_emulated.append((api, "web_acl_id (known after apply): AWS WAF is not emulated"))
                return ""
            named = f" (from {', '.join(references)})" if references else ""
            raise CheckInputError(
                f"{label}.{tf} is known only after apply{named}: the checker cannot stand it in. "
                "Check the configuration directory instead, with --var for the value"
            )
        leaf = api[-1] if api else ""
        if leaf == "FunctionARN" and isinstance(value, str):
            match = next(
                (
                    r
                    for r in reading.resources
                    if r.type == "aws_cloudfront_function" and r.values.get("arn") == value
                ),
                None,
            )
            if match is None:
                raise CheckInputError(
                    f"{label}.{tf} = {value!r}: a function this plan does not define; its code is not here"
                )
            return _function(match, functions, shown)
        if (
            leaf in ("CachePolicyId", "OriginRequestPolicyId", "ResponseHeadersPolicyId")
            and value
            and value not in MANAGED_POLICY_NAMES
        ):
            match = next(
                (
                    r
                    for r in reading.resources
                    if r.type in schema.POLICY_RESOURCES and r.values.get("id") == value
                ),
                None,
            )
            if match is None:
                raise CheckInputError(
                    f"{label}.{tf} = {value!r}: neither a managed policy nor one this plan defines"
                )
            return _policy(match, policies, shown)
        if api == ("WebACLId",) and value:
            not_emulated.append((api, f"web_acl_id = {value}: AWS WAF is not emulated"))
            return ""
        return value

    converted = schema.DistributionConverter(label, resolve).convert(
        resource.values, caller_reference=address
    )
    config = converted.config
    if expressions:
        # The plan's values carry the provider's defaults too: the configuration says what was written.
        for place in converted.places.values():
            written = _written(expressions, place.path)
            if written is not None:
                place.present = written
    origins = {}
    for index, origin in enumerate(config["Origins"]["Items"]):
        if index in hints:
            kind, reason, public = hints[index]
        else:
            known = _known_domain_kind(reading, origin["DomainName"])
            kind, reason = known if known else (None, "")
            target = reading.by_address.get(reason.rsplit(".", 1)[0]) if known else None
            public = _publicly_accessible(target) if target else None
        origins[origin["Id"]] = OriginHint(origin["Id"], kind, reason, publicly_accessible=public)
    return DistributionInput(
        name=address,
        source_file=shown,
        source=PlanSourceMap(shown, address, converted.places, config),
        config=config,
        functions=functions,
        policies=policies,
        origins=origins,
        not_emulated=not_emulated,
        notes=["origin domains known only after apply are stand-ins of the resource they refer to"]
        if hints
        else [],
    )


def _function(resource: _Resource, functions: dict[str, FunctionInput], shown: str) -> str:
    values = resource.values
    name = values.get("name")
    code = values.get("code")
    if not isinstance(name, str) or not isinstance(code, str):
        raise CheckInputError(f"{shown}: {resource.address}: its name or code is known only after apply")
    functions[name] = FunctionInput(
        name=name,
        runtime=values.get("runtime") or "cloudfront-js-1.0",
        code=code,
        where=Where(shown, f"{resource.address}.code"),
    )
    return function_ref(name)


def _policy(resource: _Resource, policies: dict[str, PolicyInput], shown: str) -> str:
    config = schema.policy_config(resource.type, resource.values, f"{shown}: {resource.address}")
    policies[resource.address] = PolicyInput(
        schema.POLICY_RESOURCES[resource.type], config, Where(shown, resource.address)
    )
    return policy_ref(resource.address)
