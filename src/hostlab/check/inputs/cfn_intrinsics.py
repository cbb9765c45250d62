"""Resolve CloudFormation's intrinsic functions, parameters, conditions and mappings in a loaded template.

Each function follows its page in the Template Reference ("Intrinsic function reference",
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference.html).
Values CloudFormation would only know once the stack exists are replaced by documented stand-ins:

* pseudo parameters (Template Reference, "Pseudo parameters reference", pseudo-parameter-reference.html):
  AWS::Region = us-east-1, AWS::AccountId = 123456789012, AWS::StackName = hostlab-check, AWS::Partition =
  aws, AWS::URLSuffix = amazonaws.com, AWS::StackId = an ARN of that stack, AWS::NotificationARNs = [],
  AWS::NoValue removes the property;
* Ref to a resource of the template: a stand-in physical ID (deterministic, from the logical ID) in the shape
  the resource's "Return values" section documents; for the CloudFront resources a checker placeholder
  (hostlab.check.model.function_ref / policy_ref) that the checker swaps for the ID it creates;
* Fn::GetAtt to a resource of the template: the attributes that decide an origin (App Runner ServiceUrl,
  load balancer DNSName, Express Endpoint, S3 bucket domain names, API Gateway and Lambda URLs) in the shape
  AWS documents for them, any other attribute a stand-in string.

What cannot be known from the template is a CheckInputError naming the file, line, property path and
construct: Fn::ImportValue, a GetAtt or Ref to a resource that is not in the template (or to a nested
stack's outputs), a parameter without a default that --param does not give, an SSM parameter type,
Fn::Transform, a dynamic reference ``{{resolve:...}}``. A NoEcho parameter without a value and a dynamic
reference are accepted in one place only, an origin custom header's value, where they become
SECRET_PLACEHOLDER with a note: the checker needs *a* secret there, not the real one.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

from hostlab.check.model import SECRET_PLACEHOLDER, CheckInputError, function_ref, policy_ref

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
STACK_NAME = "hostlab-check"
PSEUDO_PARAMETERS: dict[str, Any] = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::StackName": STACK_NAME,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{STACK_NAME}/"
                    "00000000-0000-4000-8000-000000000000",
    "AWS::NotificationARNs": [],
}


class _NoValue:
    def __repr__(self) -> str:
        return "AWS::NoValue"


NO_VALUE = _NoValue()

# Resource types whose Ref is a checker placeholder rather than a stand-in string. Return values:
# AWS::CloudFront::Function's Ref is the function ARN; the three policies' Ref is the policy ID (Template
# Reference, aws-resource-cloudfront-function.html, aws-resource-cloudfront-cachepolicy.html,
# aws-resource-cloudfront-originrequestpolicy.html, aws-resource-cloudfront-responseheaderspolicy.html).
POLICY_TYPES = {
    "AWS::CloudFront::CachePolicy": "cache",
    "AWS::CloudFront::OriginRequestPolicy": "origin-request",
    "AWS::CloudFront::ResponseHeadersPolicy": "response-headers",
}
FUNCTION_TYPE = "AWS::CloudFront::Function"
NESTED_TYPES = ("AWS::CloudFormation::Stack", "AWS::Serverless::Application")

_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def dotted(path: tuple[str | int, ...]) -> str:
    """("Resources", "Cdn", "Properties", "Origins", 0, "Id") -> "Resources.Cdn.Properties.Origins[0].Id"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def stand_in_id(logical_id: str, length: int = 10, alphabet: str = "0123456789abcdef") -> str:
    """A deterministic identifier for a resource that does not exist yet."""
    digest = hashlib.sha256(logical_id.encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in digest[:length])


def in_header_value(path: tuple[str | int, ...]) -> bool:
    """Is this place an origin custom header's value (or an argument of a function that computes it)?"""
    for index, part in enumerate(path[:-2]):
        if (part == "OriginCustomHeaders" and isinstance(path[index + 1], int)
                and path[index + 2] == "HeaderValue"):
            return True
    return False


class Template:
    """A loaded template, the --param values, and what resolving it noted."""

    def __init__(self, document: dict, params: dict[str, str], shown: str) -> None:
        self.document = document
        self.shown = shown
        self.params = dict(params)
        self.parameters: dict = document.get("Parameters") or {}
        self.mappings: dict = document.get("Mappings") or {}
        self.conditions: dict = document.get("Conditions") or {}
        self.resources: dict = document.get("Resources") or {}
        self.notes: list[str] = []
        self._condition_values: dict[str, bool] = {}
        unknown = sorted(set(self.params) - set(self.parameters))
        if unknown:
            raise CheckInputError(
                f"{shown}: --param {unknown[0]}: the template has no such parameter "
                f"(it has: {', '.join(sorted(self.parameters)) or 'none'})")

    # --- errors and places ---

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        """The line of the deepest node of ``path`` that exists in the raw template (list indexes and Fn::If
        branches as the resolved template has them)."""
        return self.walk(path)[1]

    def walk(self, path: tuple[str | int, ...]) -> tuple[Any, int | None]:
        """The raw node at ``path`` (None when absent) and the line of the deepest node found on the way."""
        node: Any = self.document
        line = getattr(node, "line", None)
        for part in path:
            node = self.pick_branch(node, path)
            if isinstance(node, dict) and isinstance(part, str) and part in node:
                lines = getattr(node, "lines", None)
                line = lines.get(part, line) if isinstance(lines, dict) else line
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int):
                kept = self.kept_items(node, path)
                if not 0 <= part < len(kept):
                    return None, line
                raw_index = kept[part]
                lines = getattr(node, "lines", None)
                line = lines[raw_index] if isinstance(lines, list) and raw_index < len(lines) else line
                node = node[raw_index]
            else:
                return None, line
        return self.pick_branch(node, path), line

    def kept_items(self, items: list, path: tuple[str | int, ...]) -> list[int]:
        """Raw indexes of the list items that survive resolution (an Fn::If giving AWS::NoValue drops one)."""
        kept = []
        for index, item in enumerate(items):
            item = self.pick_branch(item, path)
            if not (isinstance(item, dict) and item == {"Ref": "AWS::NoValue"}):
                kept.append(index)
        return kept

    def error(self, path: tuple[str | int, ...], construct: str, why: str,
              line: int | None = None) -> CheckInputError:
        line = line or self.line_of(path)
        place = f"{self.shown}:{line}" if line else self.shown
        return CheckInputError(f"{place}: {dotted(path)}: {construct}: {why}")

    # --- resolution ---

    def resolve(self, node: Any, path: tuple[str | int, ...]) -> Any:
        value = self._resolve(node, path)
        if isinstance(value, str) and "{{resolve:" in value:
            # Dynamic references (Template Reference, "Get values stored in other services using dynamic
            # references", dynamic-references.html) are read at deploy time from SSM or Secrets Manager.
            if in_header_value(path):
                self.notes.append(f"{dotted(path)}: dynamic reference {value!r}: stand-in secret value")
                return SECRET_PLACEHOLDER
            raise self.error(path, "dynamic reference {{resolve:...}}",
                             "read from SSM or Secrets Manager at deploy time; write the value in the "
                             "template or pass it as a parameter")
        return value

    def _resolve(self, node: Any, path: tuple[str | int, ...]) -> Any:
        if isinstance(node, dict):
            if len(node) == 1:
                (key,) = node
                if key == "Ref" or key.startswith("Fn::"):
                    return self._function(key, node[key], (*path, key))
            result = {}
            for key, value in node.items():
                resolved = self.resolve(value, (*path, key))
                if resolved is not NO_VALUE:
                    result[key] = resolved
            return result
        if isinstance(node, list):
            items = [self.resolve(item, (*path, index)) for index, item in enumerate(node)]
            return [item for item in items if item is not NO_VALUE]
        return node

    def _function(self, key: str, argument: Any, path: tuple[str | int, ...]) -> Any:
        handler = getattr(self, "_fn_" + key.replace("Fn::", "").lower(), None)
        if handler is None:
            raise self.error(path, key, "not an intrinsic function the checker resolves")
        return handler(argument, path)

    def _args(self, argument: Any, count: tuple[int, ...], path: tuple[str | int, ...], name: str) -> list:
        if not isinstance(argument, list) or len(argument) not in count:
            raise self.error(path, name, f"expects a list of {' or '.join(map(str, count))} items")
        return argument

    def _fn_ref(self, name: Any, path: tuple[str | int, ...]) -> Any:
        if not isinstance(name, str):
            raise self.error(path, "Ref", "expects the name of a parameter or resource")
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in PSEUDO_PARAMETERS:
            return PSEUDO_PARAMETERS[name]
        if name in self.parameters:
            return self._parameter(name, path)
        if name in self.resources:
            return self._physical_id(name, path)
        raise self.error(path, f"Ref {name}", "no such parameter or resource in the template")

    def _parameter(self, name: str, path: tuple[str | int, ...]) -> Any:
        declaration = self.parameters[name] or {}
        kind = str(declaration.get("Type", "String"))
        if name in self.params:
            value: Any = self.params[name]
        elif "Default" in declaration:
            value = declaration["Default"]
        elif str(declaration.get("NoEcho", "")).lower() == "true" and in_header_value(path):
            self.notes.append(f"NoEcho parameter {name} has no value: stand-in secret in {dotted(path[:-1])}")
            return SECRET_PLACEHOLDER
        else:
            raise self.error(path, f"Ref {name}",
                             f"parameter {name} has no Default; pass --param {name}=VALUE")
        if kind.startswith("AWS::SSM::Parameter::Value") and name not in self.params:
            raise self.error(path, f"Ref {name}",
                             f"parameter type {kind} is read from SSM at deploy time; "
                             f"pass --param {name}=VALUE")
        if kind == "CommaDelimitedList" or kind.startswith("List<"):
            return value if isinstance(value, list) else [item.strip() for item in str(value).split(",")]
        return value if isinstance(value, (int, float, bool)) else str(value)

    def resource_type(self, logical_id: str) -> str:
        return str((self.resources.get(logical_id) or {}).get("Type", ""))

    def _physical_id(self, logical_id: str, path: tuple[str | int, ...]) -> str:
        kind = self.resource_type(logical_id)
        if kind == FUNCTION_TYPE:
            return function_ref(logical_id)
        if kind in POLICY_TYPES:
            return policy_ref(logical_id)
        if kind == "AWS::S3::Bucket":
            return self.bucket_name(logical_id)
        if kind in ("AWS::ApiGateway::RestApi", "AWS::ApiGatewayV2::Api"):
            return stand_in_id(logical_id, 10, "abcdefghijklmnopqrstuvwxyz0123456789")
        return f"{logical_id.lower()}-{stand_in_id(logical_id, 8)}"

    def bucket_name(self, logical_id: str) -> str:
        properties = (self.resources.get(logical_id) or {}).get("Properties") or {}
        if "BucketName" in properties:
            path = ("Resources", logical_id, "Properties", "BucketName")
            name = self.resolve(properties["BucketName"], path)
            if isinstance(name, str):
                return name
        # CloudFormation names an unnamed bucket <stack>-<logical id>-<random> in lowercase (AWS::S3::Bucket,
        # BucketName: "If you don't specify a name, AWS CloudFormation generates a unique ID").
        return f"{STACK_NAME}-{logical_id.lower()}-{stand_in_id(logical_id, 12)}"

    def _fn_getatt(self, argument: Any, path: tuple[str | int, ...]) -> Any:
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        arguments = self._args(argument, (2,), path, "Fn::GetAtt")
        logical_id = arguments[0]
        attribute = self.resolve(arguments[1], (*path, 1))
        construct = f"Fn::GetAtt {logical_id}.{attribute}"
        if logical_id not in self.resources:
            raise self.error(path, construct, f"resource {logical_id} is not in the template")
        kind = self.resource_type(logical_id)
        if kind in NESTED_TYPES:
            raise self.error(path, construct,
                             f"{kind} outputs come from another template; nested stacks are not supported")
        return self.attribute(logical_id, str(attribute))

    def attribute(self, logical_id: str, attribute: str) -> Any:
        """The stand-in value of one attribute (Return values section of each resource's page)."""
        kind = self.resource_type(logical_id)
        token = stand_in_id(logical_id)
        if kind == "AWS::AppRunner::Service" and attribute == "ServiceUrl":
            # aws-resource-apprunner-service.html: ServiceUrl, "A subdomain URL that App Runner generated
            # for this service", e.g. abcdefghij.us-east-1.awsapprunner.com (no scheme).
            return f"{token}.{REGION}.awsapprunner.com"
        if kind == "AWS::ECS::ExpressGatewayService" and attribute == "Endpoint":
            # <2 letters>-<32 hex>.ecs.<region>.on.aws (see hostlab.platforms, docs/behaviours.md).
            return f"{logical_id[:2].lower()}-{stand_in_id(logical_id, 32)}.ecs.{REGION}.on.aws"
        if kind == "AWS::ElasticLoadBalancingV2::LoadBalancer" and attribute == "DNSName":
            # <name>-<id>.<region>.elb.amazonaws.com (ELB User Guide for ALBs, "DNS name").
            number = int(stand_in_id(logical_id, 10, "0123456789"))
            return f"{logical_id.lower()[:20]}-{number}.{REGION}.elb.amazonaws.com"
        if kind == "AWS::ElasticLoadBalancing::LoadBalancer" and attribute == "DNSName":
            number = int(stand_in_id(logical_id, 10, "0123456789"))
            return f"{logical_id.lower()[:20]}-{number}.{REGION}.elb.amazonaws.com"
        if kind == "AWS::S3::Bucket":
            # aws-resource-s3-bucket.html, Return values: DomainName, RegionalDomainName, DualStackDomainName,
            # WebsiteURL, Arn.
            name = self.bucket_name(logical_id)
            return {
                "DomainName": f"{name}.s3.amazonaws.com",
                "RegionalDomainName": f"{name}.s3.{REGION}.amazonaws.com",
                "DualStackDomainName": f"{name}.s3.dualstack.{REGION}.amazonaws.com",
                "WebsiteURL": f"http://{name}.s3-website-{REGION}.amazonaws.com",
                "Arn": f"arn:aws:s3:::{name}",
            }.get(attribute, f"hostlab-standin-{logical_id}-{attribute}")
        if kind == "AWS::ApiGatewayV2::Api" and attribute == "ApiEndpoint":
            # aws-resource-apigatewayv2-api.html: "https://abcdef.execute-api.us-west-2.amazonaws.com".
            return f"https://{self._physical_id(logical_id, ())}.execute-api.{REGION}.amazonaws.com"
        if kind == "AWS::ApiGateway::RestApi" and attribute == "RestApiId":
            return self._physical_id(logical_id, ())
        if kind == "AWS::Lambda::Url" and attribute == "FunctionUrl":
            # aws-resource-lambda-url.html: FunctionUrl "https://<url-id>.lambda-url.<region>.on.aws/".
            return f"https://{stand_in_id(logical_id, 32, 'abcdefghijklmnopqrstuvwxyz0123456789')}" \
                   f".lambda-url.{REGION}.on.aws/"
        if kind == FUNCTION_TYPE and attribute in ("FunctionARN", "FunctionMetadata.FunctionARN"):
            return function_ref(logical_id)
        if kind in POLICY_TYPES and attribute == "Id":
            return policy_ref(logical_id)
        if kind == "AWS::ECS::ExpressGatewayService" and attribute.endswith("LoadBalancerSecurityGroups"):
            return [f"arn:aws:ec2:{REGION}:{ACCOUNT_ID}:security-group/sg-{stand_in_id(logical_id, 17)}"]
        return f"hostlab-standin-{logical_id.lower()}-{attribute.lower().replace('.', '-')}"

    def _fn_sub(self, argument: Any, path: tuple[str | int, ...]) -> str:
        if isinstance(argument, list):
            text, variables = self._args(argument, (2,), path, "Fn::Sub")
            variables = variables or {}
        else:
            text, variables = argument, {}
        if not isinstance(text, str):
            raise self.error(path, "Fn::Sub", "the first argument must be a string")

        def substitute(match: re.Match) -> str:
            name = match.group(1).strip()
            if name.startswith("!"):  # ${!Literal} is written out as ${Literal}
                return "${" + name[1:] + "}"
            if name in variables:
                value = self.resolve(variables[name], (*path, 1, name))
            elif "." in name and not name.startswith("AWS::"):
                value = self._fn_getatt(name.split(".", 1), path)
            else:
                value = self._fn_ref(name, path)
            if isinstance(value, list) or value is NO_VALUE:
                raise self.error(path, f"Fn::Sub ${{{name}}}", "does not resolve to a string")
            return str(value)

        return _SUB_VARIABLE.sub(substitute, text)

    def _fn_join(self, argument: Any, path: tuple[str | int, ...]) -> str:
        delimiter, items = self._args(argument, (2,), path, "Fn::Join")
        values = self.resolve(items, (*path, 1))
        if not isinstance(values, list):
            raise self.error(path, "Fn::Join", "the second argument must be a list")
        return str(delimiter).join(str(value) for value in values)

    def _fn_select(self, argument: Any, path: tuple[str | int, ...]) -> Any:
        index, items = self._args(argument, (2,), path, "Fn::Select")
        index = int(self.resolve(index, (*path, 0)))
        values = self.resolve(items, (*path, 1))
        if not isinstance(values, list) or not 0 <= index < len(values):
            raise self.error(path, "Fn::Select", f"index {index} is outside the list")
        return values[index]

    def _fn_split(self, argument: Any, path: tuple[str | int, ...]) -> list[str]:
        delimiter, text = self._args(argument, (2,), path, "Fn::Split")
        return str(self.resolve(text, (*path, 1))).split(str(delimiter))

    def _fn_findinmap(self, argument: Any, path: tuple[str | int, ...]) -> Any:
        arguments = self._args(argument, (3, 4), path, "Fn::FindInMap")
        names = [str(self.resolve(item, (*path, index))) for index, item in enumerate(arguments[:3])]
        found = self.mappings.get(names[0], {}).get(names[1], {})
        if isinstance(found, dict) and names[2] in found:
            return self.resolve(found[names[2]], ("Mappings", *names))
        if len(arguments) == 4 and isinstance(arguments[3], dict) and "DefaultValue" in arguments[3]:
            return self.resolve(arguments[3]["DefaultValue"], (*path, 3, "DefaultValue"))
        raise self.error(path, f"Fn::FindInMap [{', '.join(names)}]", "no such entry in Mappings")

    def _fn_base64(self, argument: Any, path: tuple[str | int, ...]) -> str:
        return base64.b64encode(str(self.resolve(argument, path)).encode()).decode()

    def _fn_if(self, argument: Any, path: tuple[str | int, ...]) -> Any:
        condition, if_true, if_false = self._args(argument, (3,), path, "Fn::If")
        if self.condition(str(condition), path):
            return self.resolve(if_true, (*path, 1))
        return self.resolve(if_false, (*path, 2))

    def pick_branch(self, node: Any, path: tuple[str | int, ...]) -> Any:
        """For walking the raw template: the branch an Fn::If takes, else the node itself."""
        while isinstance(node, dict) and len(node) == 1 and "Fn::If" in node:
            arguments = node["Fn::If"]
            if not isinstance(arguments, list) or len(arguments) != 3:
                return node
            try:
                chosen = self.condition(str(arguments[0]), path)
            except CheckInputError:
                return node
            node = arguments[1] if chosen else arguments[2]
        return node

    def condition(self, name: str, path: tuple[str | int, ...]) -> bool:
        if name not in self._condition_values:
            if name not in self.conditions:
                raise self.error(path, f"Condition {name}", "no such condition in Conditions")
            self._condition_values[name] = bool(self.resolve(self.conditions[name], ("Conditions", name)))
        return self._condition_values[name]

    def _fn_equals(self, argument: Any, path: tuple[str | int, ...]) -> bool:
        left, right = self._args(argument, (2,), path, "Fn::Equals")
        left, right = self.resolve(left, (*path, 0)), self.resolve(right, (*path, 1))
        if isinstance(left, bool) or isinstance(right, bool):
            left, right = str(left).lower(), str(right).lower()
        return str(left) == str(right) if not isinstance(left, list) else left == right

    def _fn_not(self, argument: Any, path: tuple[str | int, ...]) -> bool:
        (value,) = self._args(argument, (1,), path, "Fn::Not")
        return not self._truth(value, (*path, 0))

    def _fn_and(self, argument: Any, path: tuple[str | int, ...]) -> bool:
        items = self._args(argument, tuple(range(2, 11)), path, "Fn::And")
        return all(self._truth(item, (*path, index)) for index, item in enumerate(items))

    def _fn_or(self, argument: Any, path: tuple[str | int, ...]) -> bool:
        items = self._args(argument, tuple(range(2, 11)), path, "Fn::Or")
        return any(self._truth(item, (*path, index)) for index, item in enumerate(items))

    def _truth(self, node: Any, path: tuple[str | int, ...]) -> bool:
        if isinstance(node, dict) and set(node) == {"Condition"}:
            return self.condition(str(node["Condition"]), path)
        return bool(self.resolve(node, path))

    def _fn_getazs(self, argument: Any, path: tuple[str | int, ...]) -> list[str]:
        return [f"{REGION}{zone}" for zone in "abcdef"]

    def _fn_length(self, argument: Any, path: tuple[str | int, ...]) -> int:
        value = self.resolve(argument, path)
        if not isinstance(value, list):
            raise self.error(path, "Fn::Length", "expects a list")
        return len(value)

    def _fn_tojsonstring(self, argument: Any, path: tuple[str | int, ...]) -> str:
        return json.dumps(self.resolve(argument, path), separators=(",", ":"))

    def _fn_importvalue(self, argument: Any, path: tuple[str | int, ...]) -> Any:
        raise self.error(path, "Fn::ImportValue",
                         "the value is another stack's export; write it in the template or make it a "
                         "parameter and pass --param")

    def _fn_transform(self, argument: Any, path: tuple[str | int, ...]) -> Any:
        name = argument.get("Name") if isinstance(argument, dict) else argument
        raise self.error(path, f"Fn::Transform {name}", "macros run in CloudFormation; not supported")

    def _fn_cidr(self, argument: Any, path: tuple[str | int, ...]) -> Any:
        raise self.error(path, "Fn::Cidr", "not resolved by the checker")

    def _fn_foreach(self, argument: Any, path: tuple[str | int, ...]) -> Any:
        raise self.error(path, "Fn::ForEach", "AWS::LanguageExtensions loops are not supported")
