"""Static checks of the committed notebooks: what the post embeds is there, and what is saved was really run.

nbval (make test) re-executes the notebooks and compares outputs; these checks catch, without a kernel, a
notebook saved half-run, with an error, waiting for input, or missing a cell the post embeds by label.
"""

from __future__ import annotations

import ast
import io
import tokenize

import pytest
from notebook_cells import EMBEDDED_LABELS, code_cells, label_of, read_notebook

EXPRESS_TRACK = {"11", "12", "13", "14", "15"}

# Both tracks: App Runner (01-05) and ECS Express Mode (11-15).
TUTORIAL = [name for name in EMBEDDED_LABELS if name[:2] in {"01", "02", "03", "04", "05"} | EXPRESS_TRACK]
# A teaching cell is read in the post and in the notebook: it must fit on a screen.
MAX_TEACHING_LINES = 40


@pytest.mark.parametrize("name", sorted(EMBEDDED_LABELS))
def test_embedded_labels_present_once_as_first_line(name):
    nb = read_notebook(name)
    labels = [label_of(c) for c in code_cells(nb)]
    found = [label for label in labels if label]
    assert len(found) == len(set(found)), f"{name}: duplicate labels {sorted(found)}"
    missing = [label for label in EMBEDDED_LABELS[name] if label not in found]
    assert not missing, f"{name}: no code cell starts with '#| label: <name>' for {missing}"
    misplaced = [
        c.source.splitlines()[0] for c in code_cells(nb) if "#| label:" in c.source and not label_of(c)
    ]
    assert not misplaced, f"{name}: '#| label:' must be the first line of its cell: {misplaced}"


@pytest.mark.parametrize("name", sorted(EMBEDDED_LABELS))
def test_saved_as_run_top_to_bottom_without_errors(name):
    nb = read_notebook(name)
    cells = [c for c in code_cells(nb) if c.source.strip()]
    counts = [c.execution_count for c in cells]
    assert None not in counts, f"{name}: unexecuted code cells (run `make notebooks`)"
    assert counts == list(range(1, len(cells) + 1)), f"{name}: not run top to bottom in one kernel: {counts}"
    errors = [
        (c.execution_count, o.get("ename")) for c in cells for o in c.outputs if o.output_type == "error"
    ]
    assert not errors, f"{name}: saved with error outputs {errors}"


@pytest.mark.parametrize("name", sorted(EMBEDDED_LABELS))
def test_never_asks_for_input(name):
    for cell in code_cells(read_notebook(name)):
        tree = ast.parse(
            "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith("%"))
        )
        calls = [
            n for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "input"
        ]
        assert not calls, f"{name}: input() in cell {cell.execution_count}"
        assert "getpass" not in cell.source, f"{name}: getpass in cell {cell.execution_count}"


@pytest.mark.parametrize("name", TUTORIAL)
def test_teaching_cells_are_small_and_print_something(name):
    for cell in code_cells(read_notebook(name)):
        label = label_of(cell)
        if not label:
            continue
        lines = len(cell.source.splitlines())
        assert lines <= MAX_TEACHING_LINES, f"{name}#{label}: {lines} lines (at most {MAX_TEACHING_LINES})"
        assert cell.outputs, f"{name}#{label}: a teaching cell must show its result"
        assert "NBVAL_IGNORE_OUTPUT" not in cell.source and "NBVAL_SKIP" not in cell.source, (
            f"{name}#{label}: teaching cells are compared by nbval, on both backends"
        )


NBVAL_MARKERS = ("NBVAL_IGNORE_OUTPUT", "NBVAL_SKIP", "NBVAL_CHECK_OUTPUT", "NBVAL_RAISES_EXCEPTION")


def misplaced_nbval_markers(source: str) -> list[str]:
    """Lines that mention an nbval marker without being exactly that marker comment. nbval recognises a
    marker only when the comment is the marker alone: "# NBVAL_IGNORE_OUTPUT  (why)" is an ordinary comment,
    and that cell would be compared after all (on AWS its output names another backend)."""
    return [
        line
        for line in source.splitlines()
        if any(m in line for m in NBVAL_MARKERS) and line.strip().lstrip("#").strip() not in NBVAL_MARKERS
    ]


def test_the_marker_check_tells_a_bare_marker_from_an_explained_one():
    assert misplaced_nbval_markers("# NBVAL_IGNORE_OUTPUT\n# (it names the backend)\nx = 1") == []
    assert misplaced_nbval_markers("# NBVAL_IGNORE_OUTPUT  (it names the backend)\nx = 1") == [
        "# NBVAL_IGNORE_OUTPUT  (it names the backend)"
    ]


@pytest.mark.parametrize("name", TUTORIAL)
def test_nbval_markers_stand_alone_on_their_line(name):
    for cell in code_cells(read_notebook(name)):
        assert misplaced_nbval_markers(cell.source) == [], name


@pytest.mark.parametrize("name", TUTORIAL)
def test_one_switch_only(name):
    """The same code on both backends: only hostlab.connect() reads HOSTLAB_BACKEND, and no cell picks an
    endpoint or reads the environment itself."""
    for cell in code_cells(read_notebook(name)):
        tokens = tokenize.generate_tokens(io.StringIO(cell.source).readline)
        code = " ".join(t.string for t in tokens if t.type != tokenize.COMMENT)
        for forbidden in ("HOSTLAB_BACKEND", "os.environ", "getenv", "endpoint_url"):
            assert forbidden not in code, f"{name}: cell {cell.execution_count} uses {forbidden}"


@pytest.mark.parametrize("name", TUTORIAL)
def test_outputs_are_chosen_fields_not_whole_responses(name):
    for cell in code_cells(read_notebook(name)):
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert "ResponseMetadata" not in text, f"{name}: cell {cell.execution_count} prints a whole response"
        assert "RequestId" not in text, f"{name}: cell {cell.execution_count} prints a request id"


# Issue 9: each raw boto3 sequence appears once, in a cell of its own, before a helper wraps it.
RAW_SEQUENCES = {
    "04-fixes.ipynb": {
        "raw-update-distribution": [
            "get_distribution_config(",
            "update_distribution(",
            "IfMatch=",
            'get_waiter("distribution_deployed")',
            "create_invalidation(",
            'get_waiter("invalidation_completed")',
        ],
        "raw-acm-certificate": [
            "request_certificate(",
            'ValidationMethod="DNS"',
            'region_name="us-east-1"',
            "describe_certificate(",
            "ResourceRecord",
            'get_waiter("certificate_validated")',
        ],
        "fix-custom-domain": ["associate_custom_domain(", "CustomDomainActive"],
        "fix-read-timeout": ["OriginReadTimeout"],
        "fix-error-caching": ["ErrorCachingMinTTL", "502", "503", "504", "404"],
    },
    "03-what-breaks.ipynb": {
        "read-config": ["cloudfront.get_distribution_config(", "cloudfront.get_origin_request_policy("],
        "break-read-timeout": ["OriginReadTimeout", "/slow?seconds="],
    },
    "05-cleanup.ipynb": {
        "raw-disable-delete": [
            "get_distribution_config(",
            '"Enabled"',
            "update_distribution(",
            'get_waiter("distribution_deployed")',
            "delete_distribution(",
            "IfMatch=new_etag",
        ],
    },
}


@pytest.mark.parametrize(
    ("name", "label"), [(name, label) for name, labels in RAW_SEQUENCES.items() for label in labels]
)
def test_raw_sequences_are_written_out_in_their_labelled_cell(name, label):
    from notebook_cells import cell_with_label

    nb = read_notebook(name)
    cell = cell_with_label(nb, label)
    assert cell is not None, f"{name}: no cell labelled {label}"
    missing = [call for call in RAW_SEQUENCES[name][label] if call not in cell.source]
    assert not missing, f"{name}#{label} does not show {missing}"
    if label.startswith("raw-"):
        assert "tr.change_distribution" not in cell.source and "tr.issued_certificate" not in cell.source
        # The raw cell comes before the first cell that uses the helper wrapping the same calls.
        helper = {"raw-update-distribution": "tr.change_distribution(", "raw-acm-certificate": "tr.issued_"}
        cells = code_cells(nb)
        if label in helper:
            first_helper = next(i for i, c in enumerate(cells) if helper[label] in c.source)
            assert cells.index(cell) < first_helper, f"{name}#{label} must come before {helper[label]}"


TUTORIAL_AND_MATRIX = [*TUTORIAL, "06-policy-matrix.ipynb"]


@pytest.mark.parametrize("name", TUTORIAL_AND_MATRIX)
def test_says_where_its_outputs_come_from_and_never_calls_them_measured(name):
    nb = read_notebook(name)
    intro = " ".join(nb.cells[0].source.split())
    assert "local backend" in intro and "docs/behaviours.md" in intro and "HOSTLAB_BACKEND=aws" in intro, (
        f"{name}: the first cell must say that the saved outputs come from the local backend"
    )
    for cell in nb.cells:
        texts = [cell.source] + [o.get("text", "") for o in cell.get("outputs", [])]
        for text in texts:
            assert "measured" not in text.lower().replace("measured on aws", "").replace(
                "measures aws", ""
            ), f"{name}: 'measured' describes a local output in: {text[:200]!r}"


@pytest.mark.parametrize("name", TUTORIAL)
def test_creating_cells_look_first(name):
    """Issue 10: a re-run finds what the first run created instead of creating it twice."""
    lookups = {
        "create_service(": "tr.service_or_none(",
        "create_express_gateway_service(": "tr.service_or_none(",
        "create_distribution_with_tags(": "tr.distribution_or_none(",
        "create_function(": "tr.function_etag_or_none(",
        "request_certificate(": "tr.certificate_or_none(",
        "associate_custom_domain(": "tr.custom_domain_or_none(",
    }
    for cell in code_cells(read_notebook(name)):
        for create, lookup in lookups.items():
            if create in cell.source:
                assert lookup in cell.source, f"{name}: {create} without {lookup} in the same cell"
