"""docs/behaviours.md cannot rot: every test it names exists, every row is well formed, and its list of
settings that carry assumptions matches the settings marked ASSUMPTION in src/hostlab/settings.py.

The table is parsed as written (Markdown pipe tables whose last column is "test"); the format of a test cell
is described at the top of the document.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

from hostlab.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "docs" / "behaviours.md"
TESTS = ROOT / "tests"
SETTINGS_SOURCE = ROOT / "src" / "hostlab" / "settings.py"

HEADER = ["rule", "source", "kind", "test"]
KINDS = ("documented", "community", "assumed", "stand-in", "local", "not modelled")


@dataclass(frozen=True)
class Row:
    line: int
    rule: str
    source: str
    kind: str
    test: str


@dataclass(frozen=True)
class Reference:
    line: int
    file: str  # a file under tests/, or a path from the repository root for a bare path
    name: str | None  # the test function, None for a bare path


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


@cache
def rows() -> tuple[Row, ...]:
    """Every data row of every table whose header is | rule | source | kind | test |."""
    found, in_table = [], False
    for number, line in enumerate(TABLE.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.startswith("|"):
            in_table = False
            continue
        cells = _cells(line)
        if cells == HEADER:
            in_table = True
        elif in_table and not all(set(cell) <= {"-", ":"} for cell in cells):
            assert len(cells) == len(HEADER), f"docs/behaviours.md:{number}: {len(cells)} cells, want 4"
            found.append(Row(number, *cells))
    return tuple(found)


@cache
def aliases() -> dict[str, str]:
    """Short names the document defines for test files, e.g. "serving" = `test_edge_serving.py`."""
    return dict(re.findall(r'"(\w+)"\s+=\s+`(test_\w+\.py)`', TABLE.read_text(encoding="utf-8")))


def references(row: Row) -> list[Reference]:
    """The tests a row's test cell names (see the format at the top of docs/behaviours.md)."""
    if row.test == "-":
        return []
    found = []
    for group in (part.strip() for part in row.test.split(";")):
        if "::" not in group:
            found.append(Reference(row.line, group, None))
            continue
        prefix, names = group.split("::", 1)
        file = aliases().get(prefix, prefix)
        found += [Reference(row.line, file, name.strip()) for name in names.split(",")]
    return found


@cache
def defined_tests(file: str) -> frozenset[str]:
    """Names of the test functions (module level or in test classes) defined in tests/<file>."""
    path = TESTS / file
    if not path.is_file():
        return frozenset()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return frozenset(
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_")
    )


def test_the_table_is_parsed_at_all():
    # A parser that silently finds nothing would make every check below pass.
    assert len(rows()) > 100
    assert {"serving", "backend"} <= set(aliases())
    assert sum(len(references(row)) for row in rows()) > 150


def test_every_named_test_exists():
    missing = []
    for row in rows():
        for ref in references(row):
            if ref.name is None:
                if not (ROOT / ref.file).is_file():
                    missing.append(f"docs/behaviours.md:{ref.line}: no file {ref.file}")
            elif not re.fullmatch(r"test_\w+\.py", ref.file):
                missing.append(f"docs/behaviours.md:{ref.line}: {ref.file!r} is not a test file or alias")
            elif ref.name not in defined_tests(ref.file):
                missing.append(f"docs/behaviours.md:{ref.line}: no test {ref.name} in tests/{ref.file}")
    assert not missing, "\n".join(missing)


def test_the_reference_parser_reads_files_aliases_and_paths():
    row = Row(1, "r", "s", "k", "test_a.py::test_one, test_two; serving::test_three; benchmarks/bench_x.py")
    assert references(row) == [
        Reference(1, "test_a.py", "test_one"),
        Reference(1, "test_a.py", "test_two"),
        Reference(1, "test_edge_serving.py", "test_three"),
        Reference(1, "benchmarks/bench_x.py", None),
    ]
    assert references(Row(2, "r", "s", "k", "-")) == []


def test_every_row_names_a_known_kind_and_a_source():
    wrong = []
    for row in rows():
        if not any(kind in row.kind for kind in KINDS):
            wrong.append(f"docs/behaviours.md:{row.line}: kind {row.kind!r} is none of {KINDS}")
        if not row.rule or not row.source or not row.test:
            wrong.append(f"docs/behaviours.md:{row.line}: an empty cell")
        # A rule nobody could source cannot be called documented or community evidence.
        if row.source.lower().startswith("none") and not any(k in row.kind for k in ("assumed", "local")):
            wrong.append(f"docs/behaviours.md:{row.line}: no source, yet kind {row.kind!r}")
    assert not wrong, "\n".join(wrong)


# --- settings that carry assumptions -------------------------------------------------------------------


def listed_settings() -> dict[str, str]:
    """{variable: default} from the "Settings that carry assumptions" list of docs/behaviours.md."""
    text = TABLE.read_text(encoding="utf-8")
    section = text.split("## Settings that carry assumptions", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^- `(HOSTLAB_[A-Z0-9_]+)` \(default `([^`]*)`\)", section, re.MULTILINE))


def assumption_settings() -> set[str]:
    """HOSTLAB_<FIELD> for every Settings field whose comment block in settings.py says ASSUMPTION."""
    marked, comment = set(), []
    in_class = False
    for line in SETTINGS_SOURCE.read_text(encoding="utf-8").splitlines():
        if line.startswith("class Settings"):
            in_class = True
            continue
        if not in_class:
            continue
        stripped = line.strip()
        if stripped.startswith("#"):
            comment.append(stripped)
            continue
        field = re.match(r"\s{4}(\w+): [^=]+=", line)
        if field and any("ASSUMPTION" in c for c in comment):
            marked.add(f"HOSTLAB_{field.group(1).upper()}")
        comment = []
    return marked


def _same_value(written: str, actual: str) -> bool:
    try:
        return float(written) == float(actual)
    except ValueError:
        return written == actual


def test_the_assumption_list_matches_settings_py():
    listed = listed_settings()
    marked = assumption_settings()
    assert len(marked) >= 2  # the TLS versions and the paused answer, at least
    assert set(listed) == marked, (
        f"only in docs/behaviours.md: {sorted(set(listed) - marked)}; "
        f"marked ASSUMPTION in settings.py but not listed: {sorted(marked - set(listed))}"
    )


@pytest.mark.parametrize("variable", sorted(listed_settings()))
def test_listed_defaults_are_the_real_defaults(variable):
    defaults = Settings().to_env()
    assert variable in defaults, f"{variable} is not read by Settings.from_env"
    assert _same_value(listed_settings()[variable], defaults[variable]), (
        f"docs/behaviours.md says {variable} defaults to {listed_settings()[variable]!r}, "
        f"settings.py to {defaults[variable]!r}"
    )
