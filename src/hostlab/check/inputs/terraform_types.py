"""Terraform type constraints applied to variable values, with ``optional()`` attribute defaults.

A module's variables are converted to their declared type before the module sees them (Terraform: Type
Constraints, https://developer.hashicorp.com/terraform/language/expressions/type-constraints): numbers and
bools written as strings become numbers and bools, an object type keeps only its declared attributes, an
``optional(T, default)`` attribute left out (or null) takes its default, and one without a default becomes
null.
Modules like terraform-aws-modules/cloudfront rely on that (``origin_ssl_protocols = optional(list(string),
["TLSv1.2"])``): without it the values the module sees would differ from Terraform's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lark import Tree

from hostlab.check.inputs.terraform_expressions import (
    EvalError,
    Evaluator,
    Scope,
    Secret,
    Unknown,
    name_of,
    to_bool,
    to_number,
    to_string,
    trees,
)

Spec = tuple


def _strip(node: Tree) -> Tree:
    while isinstance(node, Tree) and node.data == "expr_term" and len(trees(node)) == 1:
        node = trees(node)[0]
    return node


def parse_type(node: Tree) -> Spec:
    """A type expression (``map(object({a = optional(string, "x")}))``) as a nested tuple."""
    node = _strip(node)
    if node.data == "identifier":
        name = name_of(node)
        return (name,) if name in ("string", "number", "bool", "any") else ("any",)
    if node.data != "function_call":
        return ("any",)
    name = name_of(trees(node)[0])
    arguments = [t for t in trees(node) if t.data == "arguments"]
    args = trees(arguments[0]) if arguments else []
    if name in ("list", "set", "map") and args:
        return (name, parse_type(args[0]))
    if name == "tuple" and args:
        inner = _strip(args[0])
        return ("tuple", [parse_type(t) for t in trees(inner)] if inner.data == "tuple" else [])
    if name == "object" and args:
        inner = _strip(args[0])
        attributes: dict[str, tuple[Spec, bool, Tree | None]] = {}
        if inner.data == "object":
            for element in trees(inner):
                key_node, value_node = trees(element)
                key = name_of(_strip(trees(key_node)[0])) if trees(key_node) else str(key_node.children[0])
                value = _strip(value_node)
                if value.data == "function_call" and name_of(trees(value)[0]) == "optional":
                    inner_args = trees(next(t for t in trees(value) if t.data == "arguments"))
                    default = inner_args[1] if len(inner_args) > 1 else None
                    attributes[key] = (parse_type(inner_args[0]), True, default)
                else:
                    attributes[key] = (parse_type(value), False, None)
        return ("object", attributes)
    return ("any",)


def convert(value: Any, spec: Spec, evaluator: Evaluator, base_dir: Path) -> Any:
    """``value`` converted to ``spec``; EvalError names what does not fit."""
    if value is None or isinstance(value, Unknown | Secret):
        return value
    kind = spec[0]
    if kind == "any":
        return value
    if kind == "string":
        return to_string(value) if isinstance(value, str | int | float | bool) else value
    if kind == "number":
        return to_number(value)
    if kind == "bool":
        return to_bool(value)
    if kind in ("list", "set"):
        if not isinstance(value, list | tuple | set):
            raise EvalError(f"a {kind} is required, got {type(value).__name__}")
        items = [convert(v, spec[1], evaluator, base_dir) for v in value]
        return (
            sorted(set(items), key=str) if kind == "set" and all(isinstance(i, str) for i in items) else items
        )
    if kind == "map":
        if not isinstance(value, dict):
            raise EvalError(f"a map is required, got {type(value).__name__}")
        return {k: convert(v, spec[1], evaluator, base_dir) for k, v in value.items()}
    if kind == "tuple":
        return [convert(v, t, evaluator, base_dir) for v, t in zip(value, spec[1], strict=False)]
    if kind == "object":
        if not isinstance(value, dict):
            raise EvalError(f"an object is required, got {type(value).__name__}")
        out: dict[str, Any] = {}
        for key, (inner, optional, default) in spec[1].items():
            given = value.get(key)
            if given is None:
                if not optional and key not in value:
                    raise EvalError(f"attribute {key!r} is required")
                given = evaluator.evaluate(default, Scope({}, base_dir)) if default is not None else None
            out[key] = convert(given, inner, evaluator, base_dir)
        return out
    return value
