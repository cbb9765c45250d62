"""Evaluate HCL expressions the way Terraform does, for the parts of the language CloudFront configurations
use.

python-hcl2 (8.1.4) parses the text into a Lark tree (its grammar, hcl2/hcl2.lark, names every node used
below); this module walks that tree. It covers what the Terraform language documentation describes under
"Expressions" (https://developer.hashicorp.com/terraform/language/expressions): literals, strings with
``${...}`` interpolation and ``%{if}``/``%{for}`` directives, heredocs, tuples and objects, references,
indexes, attribute access and splats, arithmetic/comparison/logical operators, conditionals, ``for``
expressions, and the built-in functions listed in :data:`FUNCTIONS` (Terraform's function reference,
https://developer.hashicorp.com/terraform/language/functions).

What a plan would only know after apply is an :class:`Unknown`: it flows through operators and functions,
and the caller decides whether the place it ends up in matters. A sensitive value without a value is a
:class:`Secret` (a str carrying the placeholder), so the caller can check where it went.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lark import Token, Tree


class EvalError(Exception):
    """An expression that cannot be evaluated; ``line`` is where, when known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


class Unknown:
    """A value Terraform only knows after apply (an ID the API assigns, an attribute of something the
    configuration does not define). ``what`` names where it comes from: "aws_lb.main.arn"."""

    def __init__(self, what: str):
        self.what = what

    def __repr__(self) -> str:
        return f"Unknown({self.what})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unknown) and other.what == self.what

    def __hash__(self) -> int:
        return hash(self.what)


class Secret(str):
    """A sensitive variable's stand-in value (model.SECRET_PLACEHOLDER); ``variable`` names it."""

    variable: str

    def __new__(cls, value: str, variable: str) -> Secret:
        made = super().__new__(cls, value)
        made.variable = variable
        return made


class Namespace:
    """Something a reference walks into with ``.name``: var, local, module.x, aws_lb, a resource..."""

    def __init__(self, label: str, getter: Callable[[str], Any]):
        self.label = label
        self._getter = getter

    def attr(self, name: str) -> Any:
        return self._getter(name)

    def __repr__(self) -> str:
        return f"Namespace({self.label})"


def line_of(node: Any) -> int | None:
    if isinstance(node, Token):
        return node.line
    meta = getattr(node, "meta", None)
    return getattr(meta, "line", None) if meta is not None and not meta.empty else None


def trees(node: Tree) -> list[Tree]:
    """The child trees of a node, without newlines and comments."""
    return [c for c in node.children if isinstance(c, Tree) and c.data != "new_line_or_comment"]


def name_of(node: Tree | Token) -> str:
    """An identifier, keyword or literal_value node's text (block types, attribute names, object keys)."""
    if isinstance(node, Token):
        return str(node)
    if node.data == "string":
        return "".join(_unescape(str(part.children[0])) for part in node.children if isinstance(part, Tree))
    return str(node.children[0])


def _unescape(text: str) -> str:
    # Terraform's string escapes (Expressions > Strings and Templates): \n \r \t \" \\ \uNNNN \UNNNNNNNN.
    def one(match: re.Match) -> str:
        code = match.group(0)
        simple = {"\\n": "\n", "\\r": "\r", "\\t": "\t", '\\"': '"', "\\\\": "\\"}
        if code in simple:
            return simple[code]
        return chr(int(code[2:], 16))

    return re.sub(r'\\(?:[nrt"\\]|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8})', one, text)


def _is_unknown(*values: Any) -> Unknown | None:
    for value in values:
        if isinstance(value, Unknown):
            return value
    return None


def to_string(value: Any) -> str:
    """Terraform's automatic conversion to string (Type Constraints > Conversion of Primitive Types)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float | str):
        return str(value)
    if value is None:
        raise EvalError("null value in a string template")
    raise EvalError(f"cannot use a {type(value).__name__} value in a string template")


def to_number(value: Any) -> int | float:
    if isinstance(value, bool):
        raise EvalError("a bool where a number is expected")
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                raise EvalError(f"{value!r} is not a number") from None
    raise EvalError(f"a {type(value).__name__} where a number is expected")


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise EvalError(f"{value!r} is not a bool")


class Scope:
    """Names an expression can refer to: ``roots`` maps a first name (var, local, aws_lb, each, ...) to a
    value or a function producing it. ``base_dir`` is path.module, for file()."""

    def __init__(self, roots: dict[str, Any], base_dir: Path, parent: Scope | None = None):
        self.roots = roots
        self.base_dir = base_dir
        self.parent = parent
        self.fallback: Callable[[str], Any] | None = None

    def child(self, names: dict[str, Any]) -> Scope:
        scope = Scope(names, self.base_dir, self)
        return scope

    def lookup(self, name: str) -> Any:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.roots:
                value = scope.roots[name]
                return value() if callable(value) and not isinstance(value, Namespace) else value
            if scope.fallback is not None:
                found = scope.fallback(name)
                if found is not _MISSING:
                    return found
            scope = scope.parent
        raise EvalError(f"unknown name {name!r}")


_MISSING = object()


class Evaluator:
    """Evaluates expression trees in a Scope. ``referenced`` collects every ``var.NAME`` read (used to say
    which module variable feeds an argument)."""

    def __init__(self) -> None:
        self.referenced_vars: list[str] | None = None

    # --- entry points ---

    def evaluate(self, node: Tree, scope: Scope) -> Any:
        try:
            return self._eval(node, scope)
        except EvalError as exc:
            if exc.line is None:
                exc.line = line_of(node)
            raise

    def direct_var(self, node: Tree) -> str | None:
        """``var.NAME`` when the expression is that reference alone (or a string with only it)."""
        node = _strip(node)
        if node.data == "string":
            parts = [p for p in node.children if isinstance(p, Tree)]
            if (
                len(parts) == 1
                and isinstance(parts[0].children[0], Tree)
                and parts[0].children[0].data == "interpolation"
            ):
                return self.direct_var(trees(parts[0].children[0])[0])
            return None
        if node.data == "get_attr_expr_term":
            base, attr = trees(node)
            base = _strip(base)
            if base.data == "identifier" and name_of(base) == "var":
                return name_of(trees(attr)[0])
        return None

    # --- the walk ---

    def _eval(self, node: Tree | Token, scope: Scope) -> Any:
        if isinstance(node, Token):
            raise EvalError(f"unexpected token {node!s}", node.line)
        handler = getattr(self, f"_e_{node.data}", None)
        if handler is None:
            raise EvalError(f"the expression form {node.data!r} is not supported", line_of(node))
        try:
            return handler(node, scope)
        except EvalError as exc:
            if exc.line is None:
                exc.line = line_of(node)
            raise

    def _e_expr_term(self, node: Tree, scope: Scope) -> Any:
        (inner,) = trees(node)
        return self._eval(inner, scope)

    def _e_int_lit(self, node: Tree, scope: Scope) -> Any:
        return int(str(node.children[0]))

    def _e_float_lit(self, node: Tree, scope: Scope) -> Any:
        return float(str(node.children[0]))

    def _e_literal_value(self, node: Tree, scope: Scope) -> Any:
        return {"true": True, "false": False, "null": None}[str(node.children[0])]

    def _e_identifier(self, node: Tree, scope: Scope) -> Any:
        return scope.lookup(name_of(node))

    def _e_conditional(self, node: Tree, scope: Scope) -> Any:
        condition, if_true, if_false = trees(node)
        value = self._eval(condition, scope)
        if isinstance(value, Unknown):
            return value
        return self._eval(if_true if to_bool(value) else if_false, scope)

    def _e_unary_op(self, node: Tree, scope: Scope) -> Any:
        operator = str(node.children[0])
        value = self._eval(trees(node)[0], scope)
        if isinstance(value, Unknown):
            return value
        return (not to_bool(value)) if operator == "!" else -to_number(value)

    def _e_binary_op(self, node: Tree, scope: Scope) -> Any:
        left_node, term = trees(node)
        operator_node, right_node = trees(term)
        operator = str(operator_node.children[0])
        left = self._eval(left_node, scope)
        # && and || short-circuit like Terraform 1.x does not, but only known values reach here anyway
        right = self._eval(right_node, scope)
        unknown = _is_unknown(left, right)
        if unknown:
            return unknown
        if operator == "==":
            return left == right
        if operator == "!=":
            return left != right
        if operator == "&&":
            return to_bool(left) and to_bool(right)
        if operator == "||":
            return to_bool(left) or to_bool(right)
        a, b = to_number(left), to_number(right)
        match operator:
            case "+":
                return a + b
            case "-":
                return a - b
            case "*":
                return a * b
            case "/":
                return a / b
            case "%":
                return a % b
            case "<":
                return a < b
            case ">":
                return a > b
            case "<=":
                return a <= b
            case ">=":
                return a >= b
        raise EvalError(f"operator {operator} is not supported")

    def _e_tuple(self, node: Tree, scope: Scope) -> Any:
        return [self._eval(child, scope) for child in trees(node)]

    def _e_object(self, node: Tree, scope: Scope) -> Any:
        result: dict[str, Any] = {}
        for element in trees(node):
            key_node, value_node = trees(element)
            result[self._object_key(key_node, scope)] = self._eval(value_node, scope)
        return result

    def _object_key(self, key_node: Tree, scope: Scope) -> str:
        inner = trees(key_node)
        if not inner:  # a keyword used as a key
            return str(key_node.children[0])
        expression = _strip(inner[0])
        if expression.data == "identifier":
            return name_of(expression)  # a bare name is the key itself, not a reference
        if expression.data == "keyword":
            return str(expression.children[0])
        key = self._eval(expression, scope)
        if isinstance(key, Unknown):
            raise EvalError(f"object key known only after apply ({key.what})")
        return to_string(key)

    def _e_string(self, node: Tree, scope: Scope) -> Any:
        parts = [p.children[0] for p in node.children if isinstance(p, Tree) and p.data == "string_part"]
        return self._template(parts, scope)

    def _template(self, parts: list[Any], scope: Scope) -> Any:
        """Render string parts: text tokens, interpolations and %{if}/%{for} directives."""
        # A single interpolation keeps the value's own type (Terraform: "${x}" alone is x).
        if len(parts) == 1 and isinstance(parts[0], Tree) and parts[0].data == "interpolation":
            return self._eval(trees(parts[0])[0], scope)
        rendered, _index, secret = self._render(parts, 0, scope, stop=())
        if isinstance(rendered, Unknown):
            return rendered
        return Secret(rendered, secret) if secret else rendered

    def _render(self, parts: list[Any], index: int, scope: Scope, stop: tuple[str, ...]):
        out: list[str] = []
        unknown: Unknown | None = None
        secret = ""
        while index < len(parts):
            part = parts[index]
            if isinstance(part, Token):
                text = str(part)
                if part.type == "ESCAPED_INTERPOLATION" or part.type == "ESCAPED_DIRECTIVE":
                    text = text[1:]
                else:
                    text = _unescape(text)
                out.append(text)
                index += 1
                continue
            kind = part.data
            if kind in stop:
                break
            if kind == "interpolation":
                value = self._eval(trees(part)[0], scope)
                if isinstance(value, Unknown):
                    unknown = unknown or value
                else:
                    if isinstance(value, Secret):
                        secret = value.variable
                    out.append(to_string(value))
                index += 1
            elif kind == "template_if_start":
                condition = self._eval(trees(part)[0], scope)
                then, index, s1 = self._render(parts, index + 1, scope, ("template_else", "template_endif"))
                otherwise = ""
                if (
                    index < len(parts)
                    and isinstance(parts[index], Tree)
                    and parts[index].data == "template_else"
                ):
                    otherwise, index, s2 = self._render(parts, index + 1, scope, ("template_endif",))
                    secret = secret or s2
                index += 1  # the endif
                if isinstance(condition, Unknown):
                    unknown = unknown or condition
                else:
                    chosen = then if to_bool(condition) else otherwise
                    if isinstance(chosen, Unknown):
                        unknown = unknown or chosen
                    else:
                        out.append(chosen)
                secret = secret or s1
            elif kind == "template_for_start":
                names = [name_of(t) for t in trees(part) if t.data == "identifier"]
                collection = self._eval(next(t for t in trees(part) if t.data != "identifier"), scope)
                start = index + 1
                end = _matching_end(parts, start)
                if isinstance(collection, Unknown):
                    unknown = unknown or collection
                else:
                    for key, value in _pairs(collection):
                        bound = dict(zip(names, [key, value] if len(names) == 2 else [value], strict=True))
                        piece, _, s = self._render(parts, start, scope.child(bound), ("template_endfor",))
                        if isinstance(piece, Unknown):
                            unknown = unknown or piece
                        else:
                            out.append(piece)
                        secret = secret or s
                index = end + 1
            else:
                raise EvalError(f"template directive {kind} out of place")
        return (unknown if unknown else "".join(out)), index, secret

    def _e_heredoc_template(self, node: Tree, scope: Scope) -> Any:
        return self._heredoc(str(node.children[0]), scope, trim=False, line=line_of(node))

    def _e_heredoc_template_trim(self, node: Tree, scope: Scope) -> Any:
        return self._heredoc(str(node.children[0]), scope, trim=True, line=line_of(node))

    def _heredoc(self, raw: str, scope: Scope, *, trim: bool, line: int | None) -> Any:
        lines = raw.split("\n")
        body = lines[1:-2]  # the <<EOT line, then the body, then the EOT line and the final newline
        if trim:  # <<- removes the smallest common leading whitespace (Terraform: Indented Heredocs)
            indents = [len(x) - len(x.lstrip(" \t")) for x in body if x.strip()]
            cut = min(indents, default=0)
            body = [x[cut:] for x in body]
        text = "\n".join(body) + "\n" if body else ""
        return self.template_text(text, scope, line)

    def template_text(self, text: str, scope: Scope, line: int | None = None) -> Any:
        """Evaluate a template given as raw text (a heredoc body, a templatefile): the text is re-parsed as a
        quoted HCL string so interpolations and directives follow the same rules."""
        import hcl2

        quoted = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        # Escapes inside ${...} would break the inner expressions: give them back their quotes.
        quoted = re.sub(
            r"\$\{((?:[^{}]|\{[^{}]*\})*)\}",
            lambda m: "${" + m.group(1).replace('\\"', '"').replace("\\\\", "\\") + "}",
            quoted,
        )
        quoted = re.sub(r"%\{((?:[^{}])*)\}", lambda m: "%{" + m.group(1).replace('\\"', '"') + "}", quoted)
        try:
            tree = hcl2.parses_to_tree(f'x = "{quoted}"\n')
        except Exception as exc:  # lark raises several error types
            raise EvalError(f"cannot parse the template: {exc}", line) from None
        (attribute,) = [t for t in tree.children[0].children if isinstance(t, Tree) and t.data == "attribute"]
        return self._eval(trees(attribute)[1], scope)

    def _e_function_call(self, node: Tree, scope: Scope) -> Any:
        names = [name_of(t) for t in trees(node) if t.data == "identifier"]
        name = "::".join(names)
        argument_nodes = [t for t in trees(node) if t.data == "arguments"]
        arguments = trees(argument_nodes[0]) if argument_nodes else []
        expand = bool(argument_nodes) and any(
            isinstance(c, Token) and c.type == "ELLIPSIS" for c in argument_nodes[0].children
        )
        if name in ("try", "can"):  # their arguments are evaluated one by one, errors caught
            return self._try(name, arguments, scope)
        function = FUNCTIONS.get(name)
        if function is None:
            raise EvalError(f"function {name}() is not supported")
        values = [self._eval(a, scope) for a in arguments]
        if expand:
            last = values.pop()
            if isinstance(last, Unknown):
                return last
            values.extend(last)
        unknown = _is_unknown(*values) if name in _UNKNOWN_TOLERANT else _deep_unknown(values)
        if unknown and name != "coalesce":
            return unknown
        if name in ("file", "templatefile", "fileexists", "filebase64"):
            return function(self, scope, *values)
        try:
            return function(*values)
        except EvalError:
            raise
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            raise EvalError(f"{name}(): {exc}") from None

    def _try(self, name: str, arguments: list[Tree], scope: Scope) -> Any:
        for argument in arguments:
            try:
                value = self._eval(argument, scope)
            except EvalError:
                if name == "can":
                    return False
                continue
            return True if name == "can" else value
        if name == "can":
            return True
        raise EvalError("try(): no argument could be evaluated")

    def _e_index_expr_term(self, node: Tree, scope: Scope) -> Any:
        base_node, index_node = trees(node)
        base = self._eval(base_node, scope)
        return self._index(base, index_node, scope)

    def _index(self, base: Any, index_node: Tree, scope: Scope) -> Any:
        if index_node.data == "short_index":
            key: Any = int(str(index_node.children[1]))
        else:
            key = self._eval(trees(index_node)[0], scope)
        unknown = _is_unknown(base, key)
        if unknown:
            return Unknown(f"{unknown.what}[...]") if unknown is base else unknown
        if isinstance(base, Namespace):
            return base.attr(to_string(key))
        if isinstance(base, dict):
            if to_string(key) not in base:
                raise EvalError(f"no key {key!r} (has {', '.join(map(str, base)) or 'none'})")
            return base[to_string(key)]
        if isinstance(base, list | tuple):
            position = int(to_number(key))
            if not 0 <= position < len(base):
                raise EvalError(f"index {position} out of range (length {len(base)})")
            return base[position]
        raise EvalError(f"cannot index a {type(base).__name__}")

    def _e_get_attr_expr_term(self, node: Tree, scope: Scope) -> Any:
        base_node, attr_node = trees(node)
        name = name_of(trees(attr_node)[0])
        stripped = _strip(base_node)
        if stripped.data == "identifier" and name_of(stripped) == "var" and self.referenced_vars is not None:
            self.referenced_vars.append(name)
        base = self._eval(base_node, scope)
        return get_attr(base, name)

    def _e_attr_splat_expr_term(self, node: Tree, scope: Scope) -> Any:
        return self._splat(node, scope)

    def _e_full_splat_expr_term(self, node: Tree, scope: Scope) -> Any:
        return self._splat(node, scope)

    def _splat(self, node: Tree, scope: Scope) -> Any:
        base_node, splat = trees(node)
        base = self._eval(base_node, scope)
        if isinstance(base, Unknown):
            return base
        items = base if isinstance(base, list) else ([] if base is None else [base])
        out = []
        for item in items:
            for op in trees(splat):
                item = (
                    get_attr(item, name_of(trees(op)[0]))
                    if op.data == "get_attr"
                    else self._index(item, op, scope)
                )
            out.append(item)
        return out

    def _e_for_tuple_expr(self, node: Tree, scope: Scope) -> Any:
        intro, *rest = trees(node)
        names, collection = self._for_intro(intro, scope)
        if isinstance(collection, Unknown):
            return collection
        condition = [t for t in rest if t.data == "for_cond"]
        (value_node,) = [t for t in rest if t.data != "for_cond"]
        out = []
        for key, value in _pairs(collection):
            inner = scope.child(dict(zip(names, [key, value] if len(names) == 2 else [value], strict=True)))
            if condition and not to_bool(self._eval(trees(condition[0])[0], inner)):
                continue
            out.append(self._eval(value_node, inner))
        return out

    def _e_for_object_expr(self, node: Tree, scope: Scope) -> Any:
        intro, *rest = trees(node)
        names, collection = self._for_intro(intro, scope)
        if isinstance(collection, Unknown):
            return collection
        condition = [t for t in rest if t.data == "for_cond"]
        key_node, value_node = [t for t in rest if t.data != "for_cond"]
        grouping = any(isinstance(c, Token) and c.type == "ELLIPSIS" for c in node.children)
        out: dict[str, Any] = {}
        for key, value in _pairs(collection):
            inner = scope.child(dict(zip(names, [key, value] if len(names) == 2 else [value], strict=True)))
            if condition and not to_bool(self._eval(trees(condition[0])[0], inner)):
                continue
            k = to_string(self._eval(key_node, inner))
            v = self._eval(value_node, inner)
            if grouping:
                out.setdefault(k, []).append(v)
            else:
                out[k] = v
        return out

    def _for_intro(self, intro: Tree, scope: Scope) -> tuple[list[str], Any]:
        parts = trees(intro)
        names = [name_of(t) for t in parts if t.data == "identifier"]
        collection = self._eval(next(t for t in parts if t.data != "identifier"), scope)
        return names, collection

    def _e_template_string(self, node: Tree, scope: Scope) -> Any:
        raise EvalError("escaped-quote template strings are not supported")


def _matching_end(parts: list[Any], start: int) -> int:
    """The index of the %{endfor} closing the %{for} whose body starts at ``start``."""
    depth = 0
    for index in range(start, len(parts)):
        part = parts[index]
        if isinstance(part, Tree) and part.data == "template_for_start":
            depth += 1
        elif isinstance(part, Tree) and part.data == "template_endfor":
            if depth == 0:
                return index
            depth -= 1
    raise EvalError("%{for} without %{endfor}")


def _strip(node: Tree) -> Tree:
    """Through expr_term wrappers (and parentheses) to the node that says what the expression is."""
    while isinstance(node, Tree) and node.data == "expr_term" and len(trees(node)) == 1:
        node = trees(node)[0]
    return node


def get_attr(base: Any, name: str) -> Any:
    if isinstance(base, Unknown):
        return Unknown(f"{base.what}.{name}")
    if isinstance(base, Namespace):
        return base.attr(name)
    if isinstance(base, dict):
        if name not in base:
            raise EvalError(f"no attribute {name!r} (has {', '.join(map(str, base)) or 'none'})")
        return base[name]
    if isinstance(base, list):
        raise EvalError(f"cannot read .{name} of a list: index it ([0]) or use a splat ([*].{name})")
    raise EvalError(f"cannot read .{name} of a {type(base).__name__}")


def _pairs(collection: Any) -> list[tuple[Any, Any]]:
    if isinstance(collection, dict):
        return sorted(collection.items(), key=lambda kv: kv[0])
    if isinstance(collection, list | tuple):
        return list(enumerate(collection))
    if isinstance(collection, set | frozenset):
        return [(v, v) for v in sorted(collection, key=str)]
    raise EvalError(f"cannot iterate over a {type(collection).__name__}")


def _deep_unknown(value: Any) -> Unknown | None:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, list | tuple):
        for item in value:
            found = _deep_unknown(item)
            if found:
                return found
    if isinstance(value, dict):
        return _deep_unknown(list(value.values()))
    return None


# --- built-in functions (https://developer.hashicorp.com/terraform/language/functions) ---


def _file(evaluator: Evaluator, scope: Scope, path: str) -> str:
    target = Path(path) if Path(path).is_absolute() else scope.base_dir / path
    try:
        return target.read_text(encoding="utf-8")
    except OSError as exc:
        raise EvalError(f"file({path!r}): cannot read {target}: {exc.strerror}") from None


def _templatefile(evaluator: Evaluator, scope: Scope, path: str, variables: dict[str, Any]) -> Any:
    text = _file(evaluator, scope, path)
    # templatefile's template sees only the variables it is given (and no references outside them).
    inner = Scope(dict(variables), scope.base_dir)
    return evaluator.template_text(text, inner)


def _fileexists(evaluator: Evaluator, scope: Scope, path: str) -> bool:
    return (Path(path) if Path(path).is_absolute() else scope.base_dir / path).is_file()


def _filebase64(evaluator: Evaluator, scope: Scope, path: str) -> str:
    import base64

    target = Path(path) if Path(path).is_absolute() else scope.base_dir / path
    try:
        return base64.b64encode(target.read_bytes()).decode()
    except OSError as exc:
        raise EvalError(f"filebase64({path!r}): cannot read {target}: {exc.strerror}") from None


def _lookup(mapping: dict, key: str, *default: Any) -> Any:
    if isinstance(mapping, Namespace):  # an object such as a resource: its attribute, else the default
        try:
            return mapping.attr(key)
        except EvalError:
            if default:
                return default[0]
            raise
    if key in mapping:
        return mapping[key]
    if default:
        return default[0]
    raise EvalError(f"lookup(): no key {key!r} and no default")


def _merge(*maps: dict) -> dict:
    out: dict = {}
    for m in maps:
        if m is None:
            continue
        if not isinstance(m, dict):
            raise EvalError("merge() takes maps or objects")
        out.update(m)
    return out


def _format(spec: str, *values: Any) -> str:
    # Terraform's format verbs are Go's: %s %d %v %q %f and %%. Map them to Python's.
    out, index = [], 0
    tokens = re.split(r"(%[-+# 0]*\d*(?:\.\d+)?[sdvqftxXobeE%])", spec)
    for token in tokens:
        if not token.startswith("%") or len(token) < 2:
            out.append(token)
            continue
        verb = token[-1]
        if verb == "%":
            out.append("%")
            continue
        value = values[index]
        index += 1
        flags = token[1:-1]
        if verb in "sv":
            out.append(("%" + flags + "s") % to_string(value))
        elif verb == "q":
            out.append(json.dumps(to_string(value)))
        elif verb == "d":
            out.append(("%" + flags + "d") % int(to_number(value)))
        else:
            out.append(("%" + flags + verb) % to_number(value))
    return "".join(out)


def _coalesce(*values: Any) -> Any:
    for value in values:
        if isinstance(value, Unknown):
            return value
        if value is not None and value != "":
            return value
    raise EvalError("coalesce(): no non-null, non-empty argument")


def _coalescelist(*values: Any) -> Any:
    for value in values:
        if value:
            return value
    return []


def _length(value: Any) -> int:
    if isinstance(value, Unknown):
        return value  # type: ignore[return-value]
    if isinstance(value, str | list | tuple | dict | set):
        return len(value)
    raise EvalError(f"length() of a {type(value).__name__}")


def _flatten(value: list) -> list:
    out: list = []
    for item in value:
        out.extend(_flatten(item) if isinstance(item, list) else [item])
    return out


def _jsonencode(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def _element(items: list, index: int) -> Any:
    return items[int(index) % len(items)]


def _substr(text: str, offset: int, length: int) -> str:
    offset = int(offset)
    return text[offset:] if int(length) < 0 else text[offset : offset + int(length)]


def _one(items: list) -> Any:
    if len(items) > 1:
        raise EvalError("one(): more than one element")
    return items[0] if items else None


def _toset(items: list) -> list:
    # A set, kept as a sorted list without duplicates so iteration order matches Terraform's (sorted).
    return sorted(set(items), key=str)


def _regex(pattern: str, text: str) -> Any:
    match = re.search(pattern, text)
    if not match:
        raise EvalError(f"regex(): no match for {pattern!r}")
    if match.groupdict():
        return match.groupdict()
    if match.groups():
        return list(match.groups())
    return match.group(0)


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "file": _file,
    "templatefile": _templatefile,
    "fileexists": _fileexists,
    "filebase64": _filebase64,
    "lookup": _lookup,
    "merge": _merge,
    "concat": lambda *lists: [item for lst in lists for item in lst],
    "length": _length,
    "format": _format,
    "formatlist": lambda spec, *lists: [_format(spec, *row) for row in zip(*lists, strict=True)],
    "join": lambda sep, *lists: sep.join(to_string(v) for lst in lists for v in lst),
    "split": lambda sep, text: text.split(sep),
    "tolist": lambda items: list(items),
    "toset": _toset,
    "tomap": lambda m: dict(m),
    "tostring": lambda v: None if v is None else to_string(v),
    "tonumber": lambda v: None if v is None else to_number(v),
    "tobool": lambda v: None if v is None else to_bool(v),
    "coalesce": _coalesce,
    "coalescelist": _coalescelist,
    "jsonencode": _jsonencode,
    "jsondecode": json.loads,
    "trimprefix": lambda text, prefix: text[len(prefix) :] if text.startswith(prefix) else text,
    "trimsuffix": lambda text, suffix: text[: -len(suffix)] if suffix and text.endswith(suffix) else text,
    "trimspace": lambda text: text.strip(),
    "trim": lambda text, chars: text.strip(chars),
    "replace": lambda text, old, new: (
        re.sub(old[1:-1], new.replace("$", "\\"), text)
        if len(old) > 1 and old.startswith("/") and old.endswith("/")
        else text.replace(old, new)
    ),
    "lower": lambda text: text.lower(),
    "upper": lambda text: text.upper(),
    "title": lambda text: text.title(),
    "startswith": lambda text, prefix: text.startswith(prefix),
    "endswith": lambda text, suffix: text.endswith(suffix),
    "substr": _substr,
    "element": _element,
    "keys": lambda m: sorted(m),
    "values": lambda m: [m[k] for k in sorted(m)],
    "contains": lambda items, value: value in items,
    "distinct": lambda items: list(dict.fromkeys(items)),
    "flatten": _flatten,
    "compact": lambda items: [i for i in items if i not in (None, "")],
    "one": _one,
    "sort": lambda items: sorted(items, key=to_string),
    "reverse": lambda items: list(reversed(items)),
    "range": lambda *a: list(range(*(int(x) for x in a))),
    "zipmap": lambda ks, vs: dict(zip(ks, vs, strict=True)),
    "min": lambda *a: min(to_number(x) for x in a),
    "max": lambda *a: max(to_number(x) for x in a),
    "abs": lambda x: abs(to_number(x)),
    "ceil": lambda x: -int(-to_number(x) // 1),
    "floor": lambda x: int(to_number(x) // 1),
    "regex": _regex,
    "regexall": lambda pattern, text: [m.group(0) for m in re.finditer(pattern, text)],
    "base64encode": lambda text: __import__("base64").b64encode(text.encode()).decode(),
    "md5": lambda text: __import__("hashlib").md5(text.encode()).hexdigest(),
    "sha256": lambda text: __import__("hashlib").sha256(text.encode()).hexdigest(),
    "slice": lambda items, start, end: items[int(start) : int(end)],
    "index": lambda items, value: items.index(value),
}

# Functions that carry unknown elements through (only an unknown argument as a whole makes them unknown).
_UNKNOWN_TOLERANT = {
    "coalesce",
    "length",
    "concat",
    "merge",
    "tolist",
    "toset",
    "compact",
    "flatten",
    "lookup",
    "element",
    "one",
}
