"""The package's layout rules: no import circles, moto imported only by moto_glue.py, and the platforms'
seams resolve to what they name. (Nothing in hostlab.local on the aws backend: test_lifecycle.py.)"""

from __future__ import annotations

import ast
import functools
import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import hostlab
from hostlab import platforms
from hostlab.local import platforms as local_platforms

PACKAGE = Path(hostlab.__file__).resolve().parent
MOTO_GLUE = PACKAGE / "local" / "controlplane" / "moto_glue.py"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _top_level(tree: ast.Module) -> list[ast.stmt]:
    """Statements that run when the module is imported (not under ``if TYPE_CHECKING``)."""
    found, todo = [], list(tree.body)
    while todo:
        node = todo.pop()
        found.append(node)
        if isinstance(node, ast.If) and "TYPE_CHECKING" not in ast.unparse(node.test):
            todo += node.body + node.orelse
        elif isinstance(node, ast.Try):
            todo += node.body + node.orelse + node.finalbody + [s for h in node.handlers for s in h.body]
    return found


def imports_of(path: Path, modules: set[str], lazy: bool = True) -> set[str]:
    """Every hostlab module ``path`` imports: at module level, and with ``lazy`` inside functions too (a lazy
    import still makes a circle: it only moves the failure to the first call). ``from package import
    module`` names the module; the package itself counts only when a name is taken from it."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree) if lazy else _top_level(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert not node.level, f"{path}: relative import"  # the package uses absolute imports only
            base = node.module or ""
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return found & modules


@functools.cache
def import_graph(lazy: bool = True) -> dict[str, frozenset[str]]:
    """module -> the hostlab modules it imports; parsed once per run (the tests only read it)."""
    paths = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {name: frozenset(imports_of(path, set(paths), lazy) - {name}) for name, path in paths.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a list of nodes (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target):], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_finds_a_cycle():
    # Positive control: the old circle (moto_glue imported the App Runner modules, which import it back).
    old = {"glue": {"progress"}, "apprunner": {"glue"}, "progress": set()}
    assert find_cycle(old) is None
    old["glue"].add("apprunner")
    assert find_cycle(old) == ["apprunner", "glue", "apprunner"]


# The rooms with the strict rule, lazy imports included; the whole package: no circle of module-level
# imports (two functions that import each other's module when called cannot break an import).
@pytest.mark.parametrize(
    ("room", "lazy"),
    [("hostlab.local.controlplane", True), ("hostlab.local.platforms", True), ("hostlab.platforms", True),
     ("hostlab", False)],
)
def test_no_import_circle(room, lazy):
    graph = import_graph(lazy)
    assert "hostlab.local.platforms.apprunner.controlplane" in graph  # the scan sees the package
    assert "hostlab.local.controlplane.moto_glue" in graph["hostlab.local.controlplane.extensions"]
    assert ("hostlab.tutorial.rehearsal" in graph["hostlab.tutorial.resources"]) is lazy  # lazy: in _patience
    part = {name: {t for t in targets if t.startswith(room)} for name, targets in graph.items()
            if name.startswith(room)}
    assert find_cycle(part) is None, f"import circle: {' -> '.join(find_cycle(part))}"


def test_moto_glue_imports_no_extension():
    imported = import_graph()["hostlab.local.controlplane.moto_glue"]
    # building blocks only: durations, settings, the process's botocore loader
    expected = {"hostlab.local.controlplane.progress", "hostlab.settings", "hostlab.local.botocore_data"}
    assert imported == expected, imported


def rooms_modules() -> list[str]:
    names = []
    for package in ("hostlab.local.controlplane", "hostlab.local.platforms"):
        module = importlib.import_module(package)
        names.append(package)
        names += [info.name for info in pkgutil.walk_packages(module.__path__, package + ".")]
    return names


def test_every_control_plane_and_platform_module_imports_alone():
    """Each module first in a fresh set of hostlab modules: a circle would leave one partly initialised."""
    names = rooms_modules()
    assert {"hostlab.local.controlplane.extensions", "hostlab.local.platforms.apprunner.front"} <= set(names)
    code = (
        "import importlib, sys\n"
        f"names = {names!r}\n"
        "failed = []\n"
        "for name in names:\n"
        "    for loaded in [m for m in sys.modules if m == 'hostlab' or m.startswith('hostlab.')]:\n"
        "        del sys.modules[loaded]\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as error:\n"
        "        failed.append(f'{name}: {type(error).__name__}: {error}')\n"
        "print('\\n'.join(failed) or 'ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "ok", result.stdout + result.stderr


MOTO_IMPORT = re.compile(r"^\s*(import moto\b|from moto\b)", re.MULTILINE)


def moto_importers(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*.py") if MOTO_IMPORT.search(p.read_text()))


def test_only_moto_glue_imports_moto():
    # Control: the pattern finds moto_glue's own imports, and the ones a lazy import would add.
    assert MOTO_IMPORT.search(MOTO_GLUE.read_text())
    assert MOTO_IMPORT.search("def f():\n    from moto.acm.models import CertBundle\n")
    assert not MOTO_IMPORT.search("# moto.settings is read at import time\n")
    assert moto_importers(PACKAGE) == ["local/controlplane/moto_glue.py"]


def test_the_platform_descriptors_resolve():
    apprunner = platforms.platform_named("apprunner")
    assert apprunner.owns_domain("abcdefghij.us-east-1.awsapprunner.com")
    assert not apprunner.owns_domain("d111111abcdef8.cloudfront.net")
    assert platforms.platform_of_domain("abcdefghij.eu-west-1.awsapprunner.com.") is apprunner
    assert platforms.platform_of_domain("www.example.com") is None
    express = platforms.platform_named("express")
    assert platforms.platform_of_domain("ni-0123456789abcdef0123456789abcdef.ecs.us-east-1.on.aws") is express
    assert platforms.platform_of_domain("abcdef.lambda-url.us-east-1.on.aws") is None
    with pytest.raises(KeyError, match="known: apprunner"):
        platforms.platform_named("beanstalk")
    helpers = apprunner.helpers()
    # Its own helpers, and the shared ones answered through it (one namespace for the notebooks).
    assert helpers.find_service.__module__ == "hostlab.platforms.apprunner.resources"
    assert helpers.listed.__module__ == "hostlab.tutorial.resources"
    with pytest.raises(AttributeError, match="no attribute 'no_such_helper'"):
        helpers.no_such_helper  # noqa: B018


def test_every_platform_has_a_local_side_that_resolves():
    assert {p.name for p in platforms.PLATFORMS} == {p.name for p in local_platforms.LOCAL_PLATFORMS}
    for platform in local_platforms.LOCAL_PLATFORMS:
        register = local_platforms._resolve(platform.control_plane)
        assert callable(register)
        if platform.front is None:  # ECS Express until its ALB front lands (the express-alb branch)
            continue
        front = local_platforms._resolve(platform.front)
        assert all(callable(getattr(front, name, None)) for name in ("start", "stop", "route"))
        assert all(name.startswith("*.") for name in platform.served_names)
    assert "*.awsapprunner.com" in local_platforms.served_names()
