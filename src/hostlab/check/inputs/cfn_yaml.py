"""Load a CloudFormation template, YAML or JSON, keeping the line of every key and list item.

The short forms of the intrinsic functions (``!Ref X``, ``!GetAtt A.B``, ``!Sub ...``) become the long
forms (``{"Ref": "X"}``, ``{"Fn::GetAtt": ["A", "B"]}``, ``{"Fn::Sub": ...}``), as the Template Reference
defines them ("Intrinsic function reference"; the YAML short form of each function on its page, e.g.
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-getatt.html).
JSON templates are read by the same YAML parser (JSON is YAML flow style), so they get lines too; a JSON text
the YAML parser refuses falls back to the json module, without lines.

Mappings and sequences come back as :class:`MarkedDict` / :class:`MarkedList`: plain dict/list subclasses that
also carry ``line`` (1-based, where the node starts) and ``lines`` (the line of each key / item).
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from hostlab.check.model import CheckInputError


class MarkedDict(dict):
    line: int | None = None
    lines: dict[str, int]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = {}


class MarkedList(list):
    line: int | None = None
    lines: list[int]

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.lines = []


# Short form tag -> long form key (Template Reference, each function's "YAML" syntax).
_FUNCTION_TAGS = {
    "!Base64": "Fn::Base64",
    "!Cidr": "Fn::Cidr",
    "!FindInMap": "Fn::FindInMap",
    "!GetAZs": "Fn::GetAZs",
    "!ImportValue": "Fn::ImportValue",
    "!Join": "Fn::Join",
    "!Select": "Fn::Select",
    "!Split": "Fn::Split",
    "!Sub": "Fn::Sub",
    "!Transform": "Fn::Transform",
    "!And": "Fn::And",
    "!Equals": "Fn::Equals",
    "!If": "Fn::If",
    "!Not": "Fn::Not",
    "!Or": "Fn::Or",
    "!Length": "Fn::Length",
    "!ToJsonString": "Fn::ToJsonString",
    "!ForEach": "Fn::ForEach",
    "!GetAtt": "Fn::GetAtt",
    "!Ref": "Ref",
    "!Condition": "Condition",
}


class _Loader(yaml.SafeLoader):
    """SafeLoader that builds Marked containers and reads CloudFormation's tags."""


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _mapping(loader: _Loader, node: yaml.MappingNode) -> MarkedDict:
    result = MarkedDict()
    result.line = _line(node)
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            key = str(key)
        if key in result:
            # CloudFormation rejects duplicate keys; YAML would keep the last silently.
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=True)
        result.lines[key] = _line(key_node)
    return result


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> MarkedList:
    result = MarkedList(loader.construct_object(item, deep=True) for item in node.value)
    result.line = _line(node)
    result.lines = [_line(item) for item in node.value]
    return result


def _function(loader: _Loader, tag_suffix: str, node: yaml.Node) -> MarkedDict:
    tag = "!" + tag_suffix
    key = _FUNCTION_TAGS.get(tag)
    if key is None:
        raise yaml.constructor.ConstructorError(
            None, None, f"unknown tag {tag} (not a CloudFormation intrinsic function)", node.start_mark)
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if key == "Fn::GetAtt":
            # !GetAtt Resource.Attribute: the logical ID ends at the first dot (Template Reference, GetAtt).
            resource, _, attribute = str(value).partition(".")
            value = MarkedList([resource, attribute])
            value.line = _line(node)
            value.lines = [_line(node), _line(node)]
        elif key == "Fn::GetAZs" and value == "":
            value = ""
    elif isinstance(node, yaml.SequenceNode):
        value = _sequence(loader, node)
    else:
        value = _mapping(loader, node)
    result = MarkedDict({key: value})
    result.line = _line(node)
    result.lines[key] = _line(node)
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)
_Loader.add_multi_constructor("!", _function)


def _keep_dates_as_text(loader: _Loader, node: yaml.ScalarNode) -> str:
    # AWSTemplateFormatVersion: 2010-09-09 unquoted is a date to YAML, a string to CloudFormation.
    return loader.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _keep_dates_as_text)


def load(text: str, shown: str) -> tuple[Any, bool]:
    """The template as Marked containers, and whether it was JSON."""
    is_json = text.lstrip().startswith("{")
    try:
        document = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        if is_json:
            try:
                return json.loads(text), True
            except ValueError as json_exc:
                raise CheckInputError(f"{shown}: not valid JSON: {json_exc}") from None
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{shown}:{mark.line + 1}" if mark else shown
        problem = getattr(exc, "problem", None) or str(exc)
        raise CheckInputError(f"{where}: not a valid YAML template: {problem}") from None
    if not isinstance(document, dict):
        raise CheckInputError(f"{shown}: expected a mapping (a CloudFormation template) at the top level")
    return document, is_json
