"""Read a Terraform configuration directory (the .tf files as people commit them) into DistributionInputs.

No plan, no provider, no credentials: python-hcl2 parses every ``.tf`` file of the directory (and of the local
modules it calls), and :mod:`terraform_expressions` evaluates what the distributions need, lazily, the way
Terraform's language documentation describes it (https://developer.hashicorp.com/terraform/language):

* input variables: ``--var name=value`` over ``*.auto.tfvars`` (alphabetical) over ``terraform.tfvars`` over
  the ``default`` (Terraform's "Variable Definition Precedence"); a variable without any value is an error
  naming it, when something needs it, except a ``sensitive`` one, which gets SECRET_PLACEHOLDER and a note;
* locals, ``path.module``/``path.root``, ``count`` and ``for_each`` (each instance named by its address,
  ``aws_cloudfront_distribution.cdn[0]``), ``dynamic`` blocks, modules from local paths with their inputs and
  outputs (``module.cdn.`` prefixes the addresses inside);
* references to resources the configuration defines: the attributes only AWS knows (an App Runner service's
  URL, a load balancer's DNS name, a function's ARN, a policy's ID) become stand-ins, and the reference itself
  tells the origin's kind (OriginHint), the function's code, the policy's settings;
* data sources looking managed policies up by name resolve to their fixed IDs (managed_policies.py).

What cannot be known without AWS and matters to a check is an error that names it, with what to pass instead.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from lark import Tree

from hostlab.check.inputs import terraform_schema as schema
from hostlab.check.inputs import terraform_types as types
from hostlab.check.inputs.terraform_expressions import (
    EvalError,
    Evaluator,
    Namespace,
    Scope,
    Secret,
    Unknown,
    line_of,
    name_of,
    to_string,
    trees,
)
from hostlab.check.managed_policies import (
    CACHE_POLICY_IDS,
    MANAGED_POLICY_NAMES,
    ORIGIN_REQUEST_POLICY_IDS,
    RESPONSE_HEADERS_POLICY_IDS,
)
from hostlab.check.model import (
    ALB,
    API_GATEWAY,
    APPRUNNER,
    EXPRESS,
    LAMBDA_URL,
    S3,
    SECRET_PLACEHOLDER,
    TERRAFORM,
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

DEFAULT_REGION = "us-east-1"
_MISSING_VALUE = object()
# CloudFront's origin-facing managed prefix list (CloudFront Developer Guide, LocationsOfEdgeServers.html):
# its name is the same in every Region; the ID differs by Region, so any stand-in ID identifies it here.
CLOUDFRONT_PREFIX_LIST_NAME = "com.amazonaws.global.cloudfront.origin-facing"
CLOUDFRONT_PREFIX_LIST_STANDIN = "pl-hostlabcloudfront"

# Blocks that appear at most once in their parent: their Terraform path has no [index].
SINGLE_BLOCKS = {
    "custom_origin_config",
    "s3_origin_config",
    "origin_shield",
    "default_cache_behavior",
    "forwarded_values",
    "cookies",
    "viewer_certificate",
    "restrictions",
    "geo_restriction",
    "logging_config",
    "vpc_origin_config",
    "network_configuration",
    "ingress_configuration",
    "parameters_in_cache_key_and_forwarded_to_origin",
    "headers_config",
    "cookies_config",
    "query_strings_config",
    "headers",
    "query_strings",
    "cors_config",
    "custom_headers_config",
    "remove_headers_config",
    "security_headers_config",
    "server_timing_headers_config",
}
# Meta-arguments and blocks of a resource that are not its arguments.
META = {"count", "for_each", "depends_on", "provider", "lifecycle", "provisioner", "connection"}


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


@dataclass
class Decl:
    """One block of a module: resource, data, module, variable, output, locals, provider."""

    kind: str
    labels: list[str]
    body: Tree
    file: Path
    line: int | None

    def attributes(self) -> dict[str, Tree]:
        return {name_of(trees(a)[0]): trees(a)[1] for a in trees(self.body) if a.data == "attribute"}

    def blocks(self, kind: str) -> list[Tree]:
        return [b for b in trees(self.body) if b.data == "block" and _block_type(b) == kind]


def _block_type(block: Tree) -> str:
    return name_of(block.children[0])


def _block_labels(block: Tree) -> list[str]:
    out = []
    for child in block.children[1:]:
        if isinstance(child, Tree) and child.data in ("identifier", "string", "keyword", "literal_value"):
            out.append(name_of(child))
        elif isinstance(child, Tree) and child.data == "body":
            break
    return out


def _block_body(block: Tree) -> Tree:
    return next(c for c in block.children if isinstance(c, Tree) and c.data == "body")


def _parse(file: Path, shown: str) -> Tree:
    try:
        return hcl2.parses_to_tree(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CheckInputError(f"{shown}: cannot read {file.name}: {exc.strerror}") from None
    except Exception as exc:  # lark's parse errors (UnexpectedToken, UnexpectedCharacters, ...)
        where = getattr(exc, "line", None)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckInputError(
            f"{_rel(file, shown)}{':' + str(where) if where else ''}: not valid HCL: {first}"
        ) from None


def _rel(file: Path, shown: str) -> str:
    """The file as the reader named the directory: shown/main.tf, shown/modules/cdn/main.tf."""
    base = Path(shown)
    root = base if base.is_dir() else base.parent
    try:
        return str(root / file.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(file)


class Module:
    """The declarations of one directory."""

    def __init__(self, directory: Path, shown: str):
        self.directory = directory
        self.shown = shown
        files = sorted(directory.glob("*.tf"))
        if not files:
            raise CheckInputError(
                f"{_rel(directory, shown) if directory != Path(shown) else shown}: no .tf files"
            )
        self.decls: list[Decl] = []
        for file in files:
            tree = _parse(file, shown)
            for block in trees(tree.children[0]):
                if block.data != "block":
                    continue
                self.decls.append(
                    Decl(_block_type(block), _block_labels(block), _block_body(block), file, line_of(block))
                )
        self.variables = {d.labels[0]: d for d in self.decls if d.kind == "variable"}
        self.outputs = {d.labels[0]: d for d in self.decls if d.kind == "output"}
        self.modules = {d.labels[0]: d for d in self.decls if d.kind == "module"}
        self.resources = {(d.labels[0], d.labels[1]): d for d in self.decls if d.kind == "resource"}
        self.data = {(d.labels[0], d.labels[1]): d for d in self.decls if d.kind == "data"}
        self.locals: dict[str, tuple[Tree, Decl]] = {}
        for decl in self.decls:
            if decl.kind == "locals":
                for name, node in decl.attributes().items():
                    self.locals[name] = (node, decl)
        self.providers = [d for d in self.decls if d.kind == "provider" and d.labels[:1] == ["aws"]]


@dataclass
class StandIn:
    """What a stand-in origin domain stands for."""

    kind: str
    reason: str
    publicly_accessible: bool | None = None
    restricted_to_cloudfront: bool | None = None


@dataclass
class Reading:
    """Shared by every module instance of one read."""

    shown: str
    root: Path
    evaluator: Evaluator = field(default_factory=Evaluator)
    standins: dict[str, StandIn] = field(default_factory=dict)  # host name -> what it stands for
    functions: dict[str, FunctionInput] = field(default_factory=dict)
    policies: dict[str, PolicyInput] = field(default_factory=dict)
    security_groups: dict[str, tuple[ModuleInstance, str]] = field(default_factory=dict)  # stand-in id -> sg
    notes: list[str] = field(default_factory=list)
    evaluating: set[str] = field(default_factory=set)  # cycle detection


class ModuleInstance:
    """One module evaluated with its variables: the root, or a module block's call."""

    def __init__(
        self,
        module: Module,
        reading: Reading,
        prefix: str,
        variables: dict[str, Any],
        call: tuple[ModuleInstance, Decl] | None = None,
    ):
        self.module = module
        self.reading = reading
        self.prefix = prefix  # "" or "module.cdn." (or "module.cdn[0].")
        self.given = variables  # name -> value, or a callable producing it (module inputs)
        self.call = call
        self._values: dict[str, Any] = {}
        self.scope = Scope(
            {
                "var": Namespace("var", self.variable),
                "local": Namespace("local", self.local),
                "module": Namespace("module", self.module_outputs),
                "data": Namespace("data", self.data_type),
                # Absolute paths: file() with a relative path reads from the working directory, the root
                # module's
                # (Terraform: Filesystem and Workspace Info).
                "path": {
                    "module": str(module.directory.resolve()),
                    "root": str(reading.root),
                    "cwd": str(reading.root),
                },
                "terraform": {"workspace": "default"},
            },
            reading.root,
        )
        self.scope.fallback = self.resource_type

    # --- evaluation helpers ---

    def where(self, decl: Decl, line: int | None = None) -> str:
        return f"{_rel(decl.file, self.reading.shown)}:{line or decl.line}"

    def evaluate(self, node: Tree, decl: Decl, what: str, scope: Scope | None = None) -> Any:
        try:
            return self.reading.evaluator.evaluate(node, scope or self.scope)
        except EvalError as exc:
            raise CheckInputError(f"{self.where(decl, exc.line)}: {what}: {exc.message}") from None

    def _once(self, key: str, compute) -> Any:
        if key in self._values:
            return self._values[key]
        marker = self.prefix + key
        if marker in self.reading.evaluating:
            raise EvalError(f"{marker} refers to itself")
        self.reading.evaluating.add(marker)
        try:
            value = compute()
        finally:
            self.reading.evaluating.discard(marker)
        self._values[key] = value
        return value

    @property
    def region(self) -> str:
        for provider in self.module.providers:
            node = provider.attributes().get("region")
            if node is not None:
                try:
                    value = self.reading.evaluator.evaluate(node, self.scope)
                    if isinstance(value, str):
                        return value
                except (EvalError, CheckInputError):
                    pass
        if self.call is not None:
            return self.call[0].region
        return DEFAULT_REGION

    # --- var, local, module, data ---

    def variable(self, name: str) -> Any:
        return self._once(f"var.{name}", lambda: self._variable(name))

    def _variable(self, name: str) -> Any:
        decl = self.module.variables.get(name)
        if decl is None:
            raise EvalError(
                f"no variable {name!r} is declared in {_rel(self.module.directory, self.reading.shown)}"
            )
        attributes = decl.attributes()
        value: Any = _MISSING_VALUE
        if name in self.given:
            value = self.given[name]
            value = value() if callable(value) else value
            nullable = "nullable" not in attributes or self.evaluate(attributes["nullable"], decl, "nullable")
            if value is None and not nullable and "default" in attributes:
                value = _MISSING_VALUE  # nullable = false: null takes the default
        if value is _MISSING_VALUE and "default" in attributes:
            value = self.evaluate(attributes["default"], decl, f"variable {name!r} default")
        if value is not _MISSING_VALUE:
            if "type" in attributes:
                try:
                    value = types.convert(
                        value,
                        types.parse_type(attributes["type"]),
                        self.reading.evaluator,
                        self.module.directory,
                    )
                except EvalError as exc:
                    raise CheckInputError(
                        f"{self.where(decl)}: variable {name!r}: the value does not fit its "
                        f"type: {exc.message}"
                    ) from None
            return value
        sensitive = (
            "sensitive" in attributes and self.evaluate(attributes["sensitive"], decl, "sensitive") is True
        )
        if sensitive:
            self.reading.notes.append(
                f"sensitive variable {self.prefix}var.{name} has no value: the checker uses a stand-in "
                f"({SECRET_PLACEHOLDER})"
            )
            return Secret(SECRET_PLACEHOLDER, f"{self.prefix}var.{name}")
        if self.call is not None:
            parent, call = self.call
            raise EvalError(
                f"module {call.labels[0]!r} ({parent.where(call)}) gives no value to its required "
                f"variable {name!r}"
            )
        raise EvalError(
            f"variable {name!r} ({self.where(decl)}) has no default and no value: pass "
            f"--var {name}=VALUE (or set it in terraform.tfvars)"
        )

    def local(self, name: str) -> Any:
        if name not in self.module.locals:
            raise EvalError(f"no local value {name!r}")
        node, decl = self.module.locals[name]
        return self._once(f"local.{name}", lambda: self.evaluate(node, decl, f"local.{name}"))

    def module_outputs(self, name: str) -> Any:
        return self._once(f"module.{name}", lambda: self._module_outputs(name))

    def _module_outputs(self, name: str) -> Any:
        if name not in self.module.modules:
            raise EvalError(f"no module {name!r}")
        instances = self.child_instances(name)
        if isinstance(instances, list):
            return [_outputs_namespace(i) for i in instances]
        if isinstance(instances, dict):
            return {k: _outputs_namespace(i) for k, i in instances.items()}
        return _outputs_namespace(instances)

    def child_instances(self, name: str) -> Any:
        """The ModuleInstance(s) of module block ``name``: one, a list (count) or a dict (for_each)."""
        return self._once(f"module-instances.{name}", lambda: self._child_instances(name))

    def _child_instances(self, name: str) -> Any:
        decl = self.module.modules[name]
        attributes = decl.attributes()
        source = (
            self.evaluate(attributes["source"], decl, f"module {name!r} source")
            if "source" in attributes
            else None
        )
        if not isinstance(source, str) or not source.startswith(("./", "../")):
            raise CheckInputError(
                f"{self.where(decl)}: module {name!r} comes from {source!r}, not a local path: the checker "
                "reads "
                'local modules only. Vendor it into the repository (source = "./modules/...") or check the '
                "plan instead (terraform show -json plan.out)"
            )
        directory = (self.module.directory / source).resolve()
        if not directory.is_dir():
            raise CheckInputError(f"{self.where(decl)}: module {name!r}: no directory {source!r}")
        module = Module(directory, self.reading.shown)

        def make(prefix: str, extra: dict[str, Any]) -> ModuleInstance:
            scope = self.scope.child(extra) if extra else self.scope
            inputs = {
                key: (
                    lambda node=node, key=key: self.evaluate(
                        node, decl, f"module {name!r} input {key!r}", scope
                    )
                )
                for key, node in attributes.items()
                if key not in ("source", "version", "count", "for_each", "providers", "depends_on")
            }
            return ModuleInstance(module, self.reading, prefix, inputs, (self, decl))

        base = f"{self.prefix}module.{name}"
        if "count" in attributes:
            count = self.evaluate(attributes["count"], decl, f"module {name!r} count")
            return [
                make(f"{base}[{i}].", {"count": {"index": i}}) for i in range(int(_known(count, decl, self)))
            ]
        if "for_each" in attributes:
            each = _known(
                self.evaluate(attributes["for_each"], decl, f"module {name!r} for_each"), decl, self
            )
            items = each.items() if isinstance(each, dict) else ((k, k) for k in each)
            return {str(k): make(f'{base}["{k}"].', {"each": {"key": str(k), "value": v}}) for k, v in items}
        return make(f"{base}.", {})

    def output(self, name: str) -> Any:
        decl = self.module.outputs.get(name)
        if decl is None:
            raise EvalError(f"{self.prefix.rstrip('.')} has no output {name!r}")
        node = decl.attributes().get("value")
        return self._once(f"output.{name}", lambda: self.evaluate(node, decl, f"output {name!r}"))

    def data_type(self, type_name: str) -> Namespace:
        return Namespace(f"data.{type_name}", lambda name: self.data_source(type_name, name))

    def data_source(self, type_name: str, name: str) -> Any:
        decl = self.module.data.get((type_name, name))
        if decl is None:
            raise EvalError(f"no data source data.{type_name}.{name}")
        return self._once(f"data.{type_name}.{name}", lambda: self._data_source(type_name, name, decl))

    def _data_source(self, type_name: str, name: str, decl: Decl) -> Any:
        address = f"{self.prefix}data.{type_name}.{name}"
        attributes = decl.attributes()

        def arg(key: str) -> Any:
            return self.evaluate(attributes[key], decl, f"{address}.{key}") if key in attributes else None

        tables = {
            "aws_cloudfront_cache_policy": CACHE_POLICY_IDS,
            "aws_cloudfront_origin_request_policy": ORIGIN_REQUEST_POLICY_IDS,
            "aws_cloudfront_response_headers_policy": RESPONSE_HEADERS_POLICY_IDS,
        }
        if type_name in tables:
            policy_id, policy_name = arg("id"), arg("name")
            if policy_id:
                return {"id": policy_id, "name": MANAGED_POLICY_NAMES.get(policy_id, policy_name)}
            if policy_name in tables[type_name]:
                return {"id": tables[type_name][policy_name], "name": policy_name}
            raise CheckInputError(
                f"{self.where(decl)}: {address} looks up {policy_name!r}, which is not a managed policy: the "
                "checker cannot read a policy that exists only in an account. Define it with a "
                f"{type_name} resource, or check the plan instead"
            )
        if type_name == "aws_ec2_managed_prefix_list":
            if arg("name") == CLOUDFRONT_PREFIX_LIST_NAME:
                return {"id": CLOUDFRONT_PREFIX_LIST_STANDIN, "name": CLOUDFRONT_PREFIX_LIST_NAME}
            return _LazyObject(address, lambda attr: Unknown(f"{address}.{attr}"))
        if type_name in ("aws_lb", "aws_alb"):
            lb_name = arg("name") or name
            host = f"{lb_name}-{int(_digest(address, 8), 16) % 10**10}.{self.region}.elb.amazonaws.com"
            self.reading.standins[host] = StandIn(
                ALB, f"{address}.dns_name (a load balancer outside this configuration)"
            )
            return _LazyObject(
                address, lambda attr: host if attr == "dns_name" else Unknown(f"{address}.{attr}")
            )
        if type_name == "aws_region":
            return {"name": self.region, "id": self.region, "region": self.region}
        if type_name == "aws_caller_identity":
            return {"account_id": "123456789012", "id": "123456789012"}
        if type_name == "aws_partition":
            return {"partition": "aws", "dns_suffix": "amazonaws.com"}
        return _LazyObject(address, lambda attr: Unknown(f"{address}.{attr}"))

    # --- resources ---

    def resource_type(self, type_name: str) -> Any:
        names = {n for (t, n) in self.module.resources if t == type_name}
        if not names:
            from hostlab.check.inputs.terraform_expressions import _MISSING

            return _MISSING
        return Namespace(type_name, lambda name: self.resource(type_name, name))

    def resource(self, type_name: str, name: str) -> Any:
        decl = self.module.resources.get((type_name, name))
        if decl is None:
            raise EvalError(f"no resource {type_name}.{name}")
        return self._once(f"{type_name}.{name}", lambda: self._resource(type_name, name, decl))

    def instances(self, decl: Decl) -> list[tuple[str, dict[str, Any]]]:
        """(address suffix, names for count/each) of each instance of a resource."""
        attributes = decl.attributes()
        if "count" in attributes:
            count = _known(self.evaluate(attributes["count"], decl, "count"), decl, self)
            return [(f"[{i}]", {"count": {"index": i}}) for i in range(int(count))]
        if "for_each" in attributes:
            each = _known(self.evaluate(attributes["for_each"], decl, "for_each"), decl, self)
            items = each.items() if isinstance(each, dict) else ((k, k) for k in each)
            return [(f'["{k}"]', {"each": {"key": str(k), "value": v}}) for k, v in items]
        return [("", {})]

    def _resource(self, type_name: str, name: str, decl: Decl) -> Any:
        attributes = decl.attributes()
        made = {suffix: ResourceObject(self, decl, suffix, names) for suffix, names in self.instances(decl)}
        if "count" in attributes:
            return list(made.values())
        if "for_each" in attributes:
            return {suffix[2:-2]: value for suffix, value in made.items()}
        return made[""]

    # --- bodies ---

    def body(
        self,
        decl: Decl,
        body: Tree,
        scope: Scope,
        path: str,
        address: str,
        lines: dict[str, int | None],
        direct: dict[str, str],
        skip: set[str] = META,
    ) -> dict[str, Any]:
        """A block body's arguments and nested blocks, as the plan's JSON shows them (blocks as lists)."""
        out: dict[str, Any] = {}
        counters: dict[str, int] = {}
        for item in trees(body):
            if item.data == "attribute":
                key = name_of(trees(item)[0])
                if key in skip:
                    continue
                node = trees(item)[1]
                here = f"{path}.{key}" if path else key
                lines[here] = line_of(item)
                var = self.reading.evaluator.direct_var(node)
                if var:
                    direct[here] = var
                out[key] = self.evaluate(node, decl, f"{address}.{here}", scope)
                continue
            kind = _block_type(item)
            if kind in skip:
                continue
            if kind == "dynamic":
                label = _block_labels(item)[0]
                self._dynamic(decl, item, label, scope, path, address, lines, direct, out, counters)
                continue
            self._nested(
                decl,
                kind,
                _block_body(item),
                line_of(item),
                scope,
                path,
                address,
                lines,
                direct,
                out,
                counters,
            )
        return out

    def _nested(self, decl, kind, body, line, scope, path, address, lines, direct, out, counters) -> None:
        index = counters.get(kind, 0)
        counters[kind] = index + 1
        here = (f"{path}.{kind}" if path else kind) + ("" if kind in SINGLE_BLOCKS else f"[{index}]")
        lines[here] = line
        lines.setdefault(f"{path}.{kind}" if path else kind, line)  # the first block stands for them all
        out.setdefault(kind, []).append(
            self.body(decl, body, scope, here, address, lines, direct, skip=set())
        )

    def _dynamic(self, decl, block, label, scope, path, address, lines, direct, out, counters) -> None:
        body = _block_body(block)
        attributes = {name_of(trees(a)[0]): trees(a)[1] for a in trees(body) if a.data == "attribute"}
        if "for_each" not in attributes:
            raise CheckInputError(f"{self.where(decl, line_of(block))}: dynamic {label!r} has no for_each")
        iterator = label
        if "iterator" in attributes:
            iterator = name_of(trees(attributes["iterator"])[0]) if trees(attributes["iterator"]) else label
        collection = self.evaluate(
            attributes["for_each"], decl, f"{address} dynamic {label!r} for_each", scope
        )
        collection = _known(collection, decl, self)
        contents = [b for b in trees(body) if b.data == "block" and _block_type(b) == "content"]
        if not contents:
            raise CheckInputError(
                f"{self.where(decl, line_of(block))}: dynamic {label!r} has no content block"
            )
        pairs = sorted(collection.items()) if isinstance(collection, dict) else list(enumerate(collection))
        for key, value in pairs:
            inner = scope.child({iterator: {"key": key, "value": value}})
            self._nested(
                decl,
                label,
                _block_body(contents[0]),
                line_of(contents[0]),
                inner,
                path,
                address,
                lines,
                direct,
                out,
                counters,
            )

    # --- distributions ---

    def distributions(self) -> list[DistributionInput]:
        found: list[DistributionInput] = []
        for (type_name, name), decl in self.module.resources.items():
            if type_name != "aws_cloudfront_distribution":
                continue
            for suffix, names in self.instances(decl):
                found.append(self.distribution(decl, name, suffix, names))
        for name, decl in self.module.modules.items():
            if not _local_source(decl):
                continue  # read_directory names the remote modules when they matter
            children = self.child_instances(name)
            children = (
                children
                if isinstance(children, list)
                else list(children.values())
                if isinstance(children, dict)
                else [children]
            )
            for child in children:
                found.extend(child.distributions())
        return found

    def distribution(self, decl: Decl, name: str, suffix: str, names: dict[str, Any]) -> DistributionInput:
        address = f"{self.prefix}aws_cloudfront_distribution.{name}{suffix}"
        scope = self.scope.child(names) if names else self.scope
        lines: dict[str, int | None] = {"": decl.line}
        direct: dict[str, str] = {}
        body = self.body(decl, decl.body, scope, "", address, lines, direct)
        file = _rel(decl.file, self.reading.shown)
        label = f"{file}:{decl.line}: {address}"
        not_emulated: list[tuple[ApiPath, str]] = []

        def check_value(api: ApiPath, tf: str, value: Any) -> Any:
            return _check_value(api, tf, value, file, lines, address, not_emulated)

        converted = schema.DistributionConverter(label, check_value).convert(body, caller_reference=address)
        config = converted.config
        functions, policies = self._referenced(config, label)
        origins = {}
        for origin in config["Origins"]["Items"]:
            standin = _standin_for(origin["DomainName"], self.reading.standins)
            origins[origin["Id"]] = OriginHint(
                origin_id=origin["Id"],
                kind=standin.kind if standin else None,
                reason=standin.reason if standin else "",
                publicly_accessible=standin.publicly_accessible if standin else None,
                restricted_to_cloudfront=standin.restricted_to_cloudfront if standin else None,
            )
        source = TerraformSourceMap(
            file=file,
            address=address,
            block_line=decl.line,
            places=converted.places,
            lines=lines,
            direct=direct,
            config=config,
            instance=self,
        )
        return DistributionInput(
            name=address,
            source_file=file,
            source=source,
            config=config,
            functions=functions,
            policies=policies,
            origins=origins,
            not_emulated=not_emulated,
            notes=list(self.reading.notes),
        )

    def _referenced(self, config: dict[str, Any], label: str) -> tuple[dict, dict]:
        """The functions and custom policies this distribution's behaviours use, from the read's tables."""
        behaviors = [config["DefaultCacheBehavior"], *config["CacheBehaviors"].get("Items", [])]
        functions, policies = {}, {}
        for behavior in behaviors:
            for association in behavior["FunctionAssociations"].get("Items", []):
                arn = association["FunctionARN"]
                key = arn.removeprefix(function_ref(""))
                if arn.startswith(function_ref("")) and key in self.reading.functions:
                    functions[key] = self.reading.functions[key]
                else:
                    raise CheckInputError(
                        f"{label}: function_association {arn!r} refers to a function this configuration "
                        "does not define: its code is not here. Define it with an aws_cloudfront_function "
                        "resource "
                        "(code = "
                        "file(...)), or check a copy without the association"
                    )
            for key in ("CachePolicyId", "OriginRequestPolicyId", "ResponseHeadersPolicyId"):
                value = behavior.get(key, "")
                if value.startswith(policy_ref("")):
                    ref = value.removeprefix(policy_ref(""))
                    policies[ref] = self.reading.policies[ref]
                elif value and value not in MANAGED_POLICY_NAMES:
                    raise CheckInputError(
                        f"{label}: {key} {value!r} is neither a managed policy nor one this configuration "
                        "defines: "
                        "the checker cannot read a policy that exists only in an account"
                    )
        return functions, policies


def _outputs_namespace(instance: ModuleInstance) -> Namespace:
    return Namespace(instance.prefix.rstrip("."), instance.output)


def _known(value: Any, decl: Decl, instance: ModuleInstance) -> Any:
    if isinstance(value, Unknown):
        raise CheckInputError(
            f"{instance.where(decl)}: depends on {value.what}, known only after apply: check the "
            "plan instead (terraform show -json plan.out)"
        )
    return value


class _LazyObject(Namespace):
    def __init__(self, label: str, getter):
        super().__init__(label, getter)


def _standin_for(domain: str, standins: dict[str, StandIn]) -> StandIn | None:
    host = domain.removeprefix("https://").removeprefix("http://").split("/")[0]
    return standins.get(host)


def _check_value(
    api: ApiPath,
    tf: str,
    value: Any,
    file: str,
    lines: dict[str, int | None],
    address: str,
    not_emulated: list[tuple[ApiPath, str]],
) -> Any:
    line = _nearest_line(tf, lines)
    here = f"{file}:{line}: {address}.{tf}"
    secret = _find(value, Secret)
    if secret is not None and not (
        len(api) >= 5 and api[-4:-2] == ("CustomHeaders", "Items") and api[-1] == "HeaderValue"
    ):
        raise CheckInputError(
            f"{here}: uses sensitive variable {secret.variable}, which has no value: pass --var "
            f"{secret.variable.rsplit('var.', 1)[-1]}=VALUE (a stand-in is used only for origin custom "
            "header values)"
        )
    unknown = _find(value, Unknown)
    if unknown is not None:
        if api == ("WebACLId",):
            not_emulated.append((api, f"web_acl_id = {unknown.what}: AWS WAF is not emulated"))
            return ""
        raise CheckInputError(
            f"{here} = {unknown.what}, which Terraform knows only after apply: set it to a value (through a "
            "variable and --var), or check the plan instead (terraform show -json plan.out)"
        )
    if api == ("WebACLId",) and value:
        not_emulated.append((api, f"web_acl_id = {value}: AWS WAF is not emulated"))
        return ""
    return value


def _find(value: Any, kind: type) -> Any:
    if isinstance(value, kind):
        return value
    if isinstance(value, list | tuple):
        for item in value:
            found = _find(item, kind)
            if found is not None:
                return found
    if isinstance(value, dict):
        return _find(list(value.values()), kind)
    return None


def _nearest_line(tf: str, lines: dict[str, int | None]) -> int | None:
    path = tf
    while True:
        if lines.get(path):
            return lines[path]
        if not path:
            return None
        path = path.rsplit(".", 1)[0] if "." in path else ""


class ResourceObject(Namespace):
    """A resource instance as references see it: its written arguments, and stand-ins for what AWS
    computes."""

    def __init__(self, instance: ModuleInstance, decl: Decl, suffix: str, names: dict[str, Any]):
        self.instance = instance
        self.decl = decl
        self.type_name, self.name = decl.labels[0], decl.labels[1]
        self.address = f"{instance.prefix}{self.type_name}.{self.name}{suffix}"
        self.scope = instance.scope.child(names) if names else instance.scope
        self._cache: dict[str, Any] = {}
        super().__init__(self.address, self.attr)

    def argument(self, key: str, default: Any = None) -> Any:
        node = self.decl.attributes().get(key)
        if node is None:
            return default
        return self.instance.evaluate(node, self.decl, f"{self.address}.{key}", self.scope)

    def blocks(self, key: str) -> list[dict[str, Any]]:
        out = []
        for block in self.decl.blocks(key):
            out.append(
                self.instance.body(
                    self.decl, _block_body(block), self.scope, key, self.address, {}, {}, skip=set()
                )
            )
        return out

    def attr(self, key: str) -> Any:
        if key not in self._cache:
            marker = f"{self.address}.{key}"
            if marker in self.instance.reading.evaluating:
                raise EvalError(f"{marker} refers to itself")
            self.instance.reading.evaluating.add(marker)
            try:
                self._cache[key] = self._attr(key)
            finally:
                self.instance.reading.evaluating.discard(marker)
        return self._cache[key]

    def _standin(self, kind: str, host: str, reason: str, **hints: Any) -> str:
        self.instance.reading.standins[host] = StandIn(kind, f"{self.address}.{reason}", **hints)
        return host

    def _attr(self, key: str) -> Any:
        t, address, region = self.type_name, self.address, self.instance.region
        digest = _digest(address, 40)
        if t == "aws_apprunner_service" and key == "service_url":
            # ServiceUrl: <10 characters>.<region>.awsapprunner.com, without a scheme (App Runner API,
            # Service).
            return self._standin(
                APPRUNNER,
                f"{digest[:10]}.{region}.awsapprunner.com",
                key,
                publicly_accessible=self._apprunner_public(),
            )
        if t in ("aws_lb", "aws_alb") and key == "dns_name":
            name = self.argument("name") or self.name
            internal = self.argument("internal") is True
            host = (
                f"{'internal-' if internal else ''}{name}-{int(digest[:8], 16) % 10**10}.{region}"
                ".elb.amazonaws.com"
            )
            return self._standin(ALB, host, key, restricted_to_cloudfront=self._lb_restricted())
        if t == "aws_ecs_express_gateway_service" and key == "ingress_paths":
            # The endpoint: <2 letters>-<32 hex>.ecs.<region>.on.aws (ECS Developer Guide,
            # express-service-work).
            host = self._standin(
                EXPRESS, f"ex-{digest[:32]}.ecs.{region}.on.aws", "ingress_paths[0].endpoint"
            )
            return [{"endpoint": f"https://{host}", "access_type": "PUBLIC"}]
        if t == "aws_cloudfront_function" and key == "arn":
            return self._function()
        if t in schema.POLICY_RESOURCES and key == "id":
            return self._policy()
        if t == "aws_s3_bucket" and key in (
            "bucket_regional_domain_name",
            "bucket_domain_name",
            "website_endpoint",
        ):
            bucket = self.attr("bucket")
            host = {
                "bucket_regional_domain_name": f"{bucket}.s3.{region}.amazonaws.com",
                "bucket_domain_name": f"{bucket}.s3.amazonaws.com",
                "website_endpoint": f"{bucket}.s3-website-{region}.amazonaws.com",
            }[key]
            return self._standin(S3, host, key)
        if t == "aws_s3_bucket" and key in ("bucket", "id"):
            value = self.argument("bucket")
            if value is None:
                prefix = self.argument("bucket_prefix") or "terraform-"
                value = f"{prefix}{digest[:26]}"
            return value
        if t == "aws_apigatewayv2_api" and key == "api_endpoint":
            return "https://" + self._standin(
                API_GATEWAY, f"{digest[:10]}.execute-api.{region}.amazonaws.com", key
            )
        if t == "aws_api_gateway_rest_api" and key == "id":
            api_id = digest[:10]
            self._standin(API_GATEWAY, f"{api_id}.execute-api.{region}.amazonaws.com", key)
            return api_id
        if t == "aws_lambda_function_url" and key == "function_url":
            return (
                "https://" + self._standin(LAMBDA_URL, f"{digest[:32]}.lambda-url.{region}.on.aws", key) + "/"
            )
        if t == "aws_security_group" and key == "id":
            sg = f"sg-{digest[:17]}"
            self.instance.reading.security_groups[sg] = (self.instance, self.address)
            return sg
        if t in ("aws_acm_certificate", "aws_acm_certificate_validation") and key in (
            "arn",
            "certificate_arn",
        ):
            if (
                t == "aws_acm_certificate_validation"
                and self.decl.attributes().get("certificate_arn") is not None
            ):
                return self.argument("certificate_arn")
            return (
                f"arn:aws:acm:us-east-1:123456789012:certificate/{digest[:8]}-{digest[8:12]}-{digest[12:16]}-"
                f"{digest[16:20]}-{digest[20:32]}"
            )
        if t == "aws_cloudfront_origin_access_identity" and key in ("cloudfront_access_identity_path", "id"):
            # The path CloudFront's S3OriginConfig takes (CloudFront API Reference, S3OriginConfig).
            identity = f"E{digest[:13].upper()}"
            return identity if key == "id" else f"origin-access-identity/cloudfront/{identity}"
        attributes = self.decl.attributes()
        if key in attributes:
            return self.argument(key)
        if self.decl.blocks(key):
            return self.blocks(key)
        if key == "name" and t == "aws_cloudfront_function":
            return self.name
        if key == "arn":
            # Any other resource's ARN: a stand-in of the ARN's shape
            # (arn:partition:service:region:account:...),
            # good for what only needs it to be a stable string (an origin ID, a tag); a check that needs the
            # real thing (a certificate, a web ACL) reads its own attribute above.
            service = t.removeprefix("aws_").split("_")[0]
            return (
                f"arn:aws:{service}:{region}:123456789012:{t.removeprefix('aws_')}/{self.name}/{digest[:32]}"
            )
        return Unknown(f"{address}.{key}")

    def _apprunner_public(self) -> bool | None:
        # network_configuration.ingress_configuration.is_publicly_accessible; App Runner's default is public
        # (App Runner API Reference, IngressConfiguration: IsPubliclyAccessible; the provider's default true).
        try:
            for network in self.blocks("network_configuration"):
                for ingress in network.get("ingress_configuration", []):
                    value = ingress.get("is_publicly_accessible")
                    if value is not None:
                        return bool(value)
        except CheckInputError:
            return None
        return True

    def _lb_restricted(self) -> bool | None:
        """True when the load balancer's security groups let in only CloudFront's origin-facing prefix
        list."""
        try:
            groups = self.argument("security_groups")
        except CheckInputError:
            return None
        if not groups or isinstance(groups, Unknown):
            return None
        reading = self.instance.reading
        verdicts = []
        for sg in groups:
            if not isinstance(sg, str) or sg not in reading.security_groups:
                return None
            owner, sg_address = reading.security_groups[sg]
            verdicts.extend(_ingress_sources(owner, sg_address, sg))
        if not verdicts:
            return None
        return all(v == "cloudfront" for v in verdicts)

    def _function(self) -> str:
        name = self.argument("name") or self.name
        reading = self.instance.reading
        if name not in reading.functions:
            code = self.argument("code")
            if not isinstance(code, str):
                raise EvalError(f"{self.address}.code is not a string the checker can read")
            runtime = self.argument("runtime") or "cloudfront-js-1.0"
            reading.functions[name] = FunctionInput(
                name=name,
                runtime=runtime,
                code=code,
                where=Where(
                    _rel(self.decl.file, reading.shown),
                    f"{self.address}.code",
                    line_of(self.decl.attributes()["code"]) or self.decl.line,
                ),
            )
        return function_ref(name)

    def _policy(self) -> str:
        reading = self.instance.reading
        if self.address not in reading.policies:
            body = self.instance.body(self.decl, self.decl.body, self.scope, "", self.address, {}, {})
            file = _rel(self.decl.file, reading.shown)
            config = schema.policy_config(self.type_name, body, f"{file}:{self.decl.line}: {self.address}")
            unknown = _find(config, Unknown)
            if unknown is not None:
                raise EvalError(f"{self.address} uses {unknown.what}, known only after apply")
            reading.policies[self.address] = PolicyInput(
                schema.POLICY_RESOURCES[self.type_name], config, Where(file, self.address, self.decl.line)
            )
        return policy_ref(self.address)


def _ingress_sources(instance: ModuleInstance, sg_address: str, sg_id: str) -> list[str]:
    """For each ingress rule of a security group: "cloudfront" (only the origin-facing prefix list) or
    "other"."""
    out: list[str] = []
    type_name, rest = sg_address.removeprefix(instance.prefix).split(".", 1)
    name = rest.split("[")[0]
    sg = instance.resource(type_name, name)
    sg = sg if isinstance(sg, ResourceObject) else None
    if sg is None:
        return ["other"]
    for rule in sg.blocks("ingress"):
        out.append(_rule_source(rule))
    for (t, n), _decl in instance.module.resources.items():
        if t not in ("aws_security_group_rule", "aws_vpc_security_group_ingress_rule"):
            continue
        rule = instance.resource(t, n)
        for item in rule if isinstance(rule, list) else rule.values() if isinstance(rule, dict) else [rule]:
            try:
                if item.argument("security_group_id") != sg_id:
                    continue
                if t == "aws_security_group_rule" and item.argument("type") != "ingress":
                    continue
                args = {k: item.argument(k) for k in item.decl.attributes()}
            except CheckInputError:
                return ["other"]
            out.append(_rule_source(args))
    return out


def _rule_source(rule: dict[str, Any]) -> str:
    prefix_lists = list(rule.get("prefix_list_ids") or []) + (
        [rule["prefix_list_id"]] if rule.get("prefix_list_id") else []
    )
    others = [
        rule.get(k)
        for k in (
            "cidr_blocks",
            "ipv6_cidr_blocks",
            "cidr_ipv4",
            "cidr_ipv6",
            "security_groups",
            "source_security_group_id",
            "referenced_security_group_id",
        )
    ]
    if any(o for o in others) or rule.get("self"):
        return "other"
    if prefix_lists and all(p == CLOUDFRONT_PREFIX_LIST_STANDIN for p in prefix_lists):
        return "cloudfront"
    return "other"


# --- the source map ---


@dataclass
class TerraformSourceMap:
    """where()/patch() in the .tf files: paths below the resource address, lines from the parse."""

    file: str
    address: str
    block_line: int | None
    places: dict[ApiPath, schema.Place]
    lines: dict[str, int | None]
    direct: dict[str, str]  # Terraform path -> the variable it is exactly ("var.NAME")
    config: dict[str, Any]
    instance: ModuleInstance
    language: str = TERRAFORM

    def where(self, api_path: ApiPath) -> Where:
        place = schema.nearest_place(self.places, api_path)
        line = _nearest_line(place.path, self.lines) or self.block_line
        path = f"{self.address}.{place.path}" if place.path else self.address
        return Where(self.file, path, line, place.present)

    def patch(self, api_path: ApiPath, api_value: Any) -> str:
        place = schema.nearest_place(self.places, api_path)
        where = self.where(api_path)
        tf_parent, _, tf_name = place.path.rpartition(".")
        api_key = schema.api_key_of(api_path)
        if api_key in schema.BLOCK_LISTS or (isinstance(api_path[-1], int) if api_path else False):
            tf_parent = place.path.rsplit(".", 1)[0] if "." in place.path else ""
            if api_key == "CustomErrorResponses":
                tf_parent = ""
        body = schema.patch_body(api_key, api_value, tf_name)
        inside = self._describe(tf_parent)
        verb = "change" if where.present else "add"
        lines = [f"# {where.file}:{where.line or '?'}: {verb} in {self.address}{inside}:"]
        lines.extend(body)
        variable = self.direct.get(place.path)
        if variable and where.present:
            call = self.instance.call
            if call is not None:
                parent, decl = call
                lines.append(
                    f"# the value comes from variable {variable!r} of {self.instance.prefix.rstrip('.')}: "
                    f"or set it in the module {decl.labels[0]!r} block ({parent.where(decl)}):"
                )
                value = schema.hcl_value(api_value)
                lines.append(f"{variable} = {value}")
            else:
                lines.append(
                    f"# the value comes from variable {variable!r}: or pass --var {variable}=... "
                    "(terraform.tfvars)"
                )
        return "\n".join(lines)

    def _describe(self, tf_parent: str) -> str:
        if not tf_parent:
            return ""
        parts = []
        for piece in tf_parent.split("."):
            name, _, index = piece.partition("[")
            label = piece
            if name == "origin" and index:
                i = int(index.rstrip("]"))
                label = (
                    f'origin {{ origin_id = "{self.config["Origins"]["Items"][i]["Id"]}" }}'
                    if i < self.config["Origins"]["Quantity"]
                    else piece
                )
            elif name == "ordered_cache_behavior" and index:
                i = int(index.rstrip("]"))
                items = self.config["CacheBehaviors"].get("Items", [])
                label = (
                    f'ordered_cache_behavior {{ path_pattern = "{items[i]["PathPattern"]}" }}'
                    if i < len(items)
                    else piece
                )
            else:
                label = f"{piece} {{ }}"
            parts.append(label)
        return ", inside " + " > ".join(parts)


# --- variables from the command line and tfvars ---


def _tfvars(directory: Path, shown: str) -> dict[str, Any]:
    """terraform.tfvars then *.auto.tfvars (alphabetical): later files win (Terraform's precedence)."""
    values: dict[str, Any] = {}
    files = [directory / "terraform.tfvars"] if (directory / "terraform.tfvars").is_file() else []
    files += sorted(directory.glob("*.auto.tfvars"))
    evaluator = Evaluator()
    for file in files:
        tree = _parse(file, shown)
        for attribute in trees(tree.children[0]):
            if attribute.data != "attribute":
                continue
            name = name_of(trees(attribute)[0])
            try:
                values[name] = evaluator.evaluate(trees(attribute)[1], Scope({}, directory))
            except EvalError as exc:
                raise CheckInputError(f"{_rel(file, shown)}:{exc.line}: {name}: {exc.message}") from None
    return values


def _cli_value(raw: str, decl: Decl, instance: ModuleInstance) -> Any:
    """A --var value: a string for a string variable, else parsed as an HCL expression as Terraform does."""
    type_node = decl.attributes().get("type")
    text = None
    if type_node is not None:
        stripped = type_node
        while isinstance(stripped, Tree) and stripped.data == "expr_term" and len(trees(stripped)) == 1:
            stripped = trees(stripped)[0]
        text = name_of(stripped) if stripped.data == "identifier" else "complex"
    if text in (None, "string"):
        return raw
    try:
        tree = hcl2.parses_to_tree(f"x = {raw}\n")
        (attribute,) = [t for t in trees(tree.children[0]) if t.data == "attribute"]
        return Evaluator().evaluate(trees(attribute)[1], Scope({}, instance.module.directory))
    except Exception:  # not an HCL expression: keep the text, as for a string
        return raw


def read_directory(path: str | Path, variables: dict[str, str], shown: str) -> list[DistributionInput]:
    """Every aws_cloudfront_distribution in the configuration at ``path`` (and the local modules it calls)."""
    directory = Path(path)
    module = Module(directory, shown)
    reading = Reading(shown=shown, root=directory.resolve())
    given: dict[str, Any] = _tfvars(directory, shown)
    root = ModuleInstance(module, reading, "", given)
    for name, raw in (variables or {}).items():
        decl = module.variables.get(name)
        if decl is None:
            declared = ", ".join(sorted(module.variables)) or "none"
            raise CheckInputError(
                f"{shown}: --var {name}=...: no variable {name!r} is declared (declared: {declared})"
            )
        given[name] = _cli_value(raw, decl, root)
    remote = [(n, d) for n, d in module.modules.items() if not _local_source(d)]
    for name, decl in remote:
        source = _source_text(decl)
        if "cloudfront" in source.lower():
            raise CheckInputError(
                f"{root.where(decl)}: module {name!r} comes from {source!r}, not a local path: the checker "
                "reads "
                'local modules only. Vendor it into the repository (source = "./modules/...") or check the '
                "plan instead (terraform show -json plan.out)"
            )
    found = root.distributions()
    if not found:
        hint = ""
        if remote:
            hint = (
                " (modules from elsewhere are not read: "
                + ", ".join(f"{n} = {_source_text(d)!r}" for n, d in remote)
                + "; vendor them or check the plan instead)"
            )
        raise CheckInputError(f"{shown}: no aws_cloudfront_distribution resource{hint}")
    for distribution in found:
        distribution.notes = list(dict.fromkeys(reading.notes))
    return found


def _source_text(decl: Decl) -> str:
    node = decl.attributes().get("source")
    if node is None:
        return ""
    try:
        return to_string(Evaluator().evaluate(node, Scope({}, decl.file.parent)))
    except EvalError:
        return "?"


def _local_source(decl: Decl) -> bool:
    return _source_text(decl).startswith(("./", "../"))
