"""Re-running the tutorial notebooks converges: the same output every time, no duplicates, nothing left.

Issue 10 found that 01 run twice failed (a second service of the same name), 04 twice failed (a second
function of the same name), and 02 twice created a second distribution. This runs 01, 02, 02, 01, 03, 04,
04, 05 on ONE fresh local backend (hostlab.tutorial.notebook_runner: the same executor and fresh backend as
`make
notebooks`), each in a new kernel except the second 04, which runs in the kernel of the first, and
compares every run's outputs with the committed notebook after tests/nbval_sanitize.cfg, the way nbval
does in `make test`. It also checks the state in between: after
04 twice, exactly one of each tagged resource exists (the positive control of the final check, which must
find none after 05).

Slow (about a minute on 2 cores): marked ``e2e``.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import boto3
import nbformat
import pytest
from botocore.config import Config
from nbval.plugin import get_sanitize_patterns

from hostlab.local import lifecycle
from hostlab.platforms.apprunner import resources as tr
from hostlab.settings import DEFAULT_REGION, FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, Settings
from hostlab.tutorial.notebook_runner import NOTEBOOKS, execute, fresh_local_backend

SANITIZE = Path(__file__).with_name("nbval_sanitize.cfg")
# (notebook, runs): runs > 1 executes the notebook that many times one after the other in ONE kernel (its
# cells repeated), so a re-run in the same kernel is covered too: 04 twice in one kernel, 01 and 02 twice in
# new kernels. Together: 01, 02, 02, 01, 03, 04, 04, 05.
SEQUENCE = [
    ("01-create-service", 1),
    ("02-attach-cloudfront", 1),
    ("02-attach-cloudfront", 1),
    ("01-create-service", 1),
    ("03-what-breaks", 1),
    ("04-fixes", 2),
    ("05-cleanup", 1),
]


def sanitized_outputs(nb: nbformat.NotebookNode, patterns: list[tuple[str, str]]) -> list[tuple[int, str]]:
    """(cell number, text) of every code cell nbval compares: streams, text/plain results and errors."""
    found = []
    for number, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "NBVAL_IGNORE_OUTPUT" in cell.source:
            continue
        parts = []
        for output in cell.outputs:
            if output.output_type == "stream":
                parts.append(f"[{output.name}] {output.text}")
            elif output.output_type == "error":
                parts.append(f"[error] {output.ename}: {output.evalue}")
            elif "text/plain" in output.get("data", {}):
                parts.append(output.data["text/plain"])
        text = "".join(parts)
        for regex, replace in patterns:
            text = re.sub(regex, replace, text)
        found.append((number, text))
    return found


def clients(settings: Settings) -> tuple:
    """App Runner, CloudFront and ACM clients on the running fresh backend."""
    state = lifecycle.status(settings).state
    assert state is not None, "the fresh backend is not running"

    def make(service: str):
        return boto3.client(
            service,
            region_name=DEFAULT_REGION,
            endpoint_url=state.api_url,
            aws_access_key_id=FAKE_ACCESS_KEY_ID,
            aws_secret_access_key=FAKE_SECRET_ACCESS_KEY,
            config=Config(retries={"max_attempts": 1}),
        )

    return make("apprunner"), make("cloudfront"), make("acm")


@pytest.mark.e2e
@pytest.mark.timeout(900)
def test_the_tutorial_notebooks_converge_when_run_again(tmp_path):
    patterns = get_sanitize_patterns(SANITIZE.read_text())
    assert patterns, f"no patterns read from {SANITIZE}"
    differences: list[str] = []
    with fresh_local_backend(start_early=True):
        for step, (name, runs) in enumerate(SEQUENCE, 1):
            committed = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
            source = tmp_path / f"{step:02d}-{name}-source.ipynb"
            repeated = copy.deepcopy(committed)
            repeated.cells = [copy.deepcopy(cell) for _ in range(runs) for cell in committed.cells]
            for number, cell in enumerate(repeated.cells):
                cell["id"] = f"run-{number}"  # cell ids must stay unique
            nbformat.write(repeated, source)
            ran = execute(source, tmp_path / f"{step:02d}-{name}.ipynb", cwd=NOTEBOOKS)
            expected = sanitized_outputs(committed, patterns)
            got = sanitized_outputs(ran, patterns)
            assert len(got) == runs * len(expected), f"step {step} {name}: cells differ"
            for run in range(runs):
                differences += [
                    f"step {step} ({name}, run {run + 1}), cell {n}:\n"
                    f"--- committed\n{want}\n--- this run\n{have}"
                    for (n, want), (_, have) in zip(expected, got[run * len(expected) :], strict=False)
                    if want != have
                ]
            if name == "04-fixes":  # after 04 twice, before 05
                after_04_twice = tr.leftovers(*clients(Settings.from_env()))
        left = tr.leftovers(*clients(Settings.from_env()))
    assert not differences, "\n\n".join(differences)
    # Find-or-create everywhere: one of each kind after 01, 02 and 04 twice each, not two.
    assert {kind: len(names) for kind, names in after_04_twice.items()} == dict.fromkeys(after_04_twice, 1)
    assert left == {kind: [] for kind in left}, f"tagged resources left after 05: {left}"


def test_the_comparison_ignores_what_the_sanitizer_covers_and_nothing_else():
    patterns = get_sanitize_patterns(SANITIZE.read_text())

    def notebook(*texts: str, ignored: str = "") -> nbformat.NotebookNode:
        nb = nbformat.v4.new_notebook()
        ignored_cell = nbformat.v4.new_code_cell("# NBVAL_IGNORE_OUTPUT\nprint()")
        ignored_cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=ignored)]
        nb.cells = [ignored_cell]
        for text in texts:
            cell = nbformat.v4.new_code_cell("print()")
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
            nb.cells.append(cell)
        return nb

    committed = notebook("Id: EWYQESH0ARLH9D\n", "/echo -> 404\n", ignored="local")
    # Another generated ID, and a different line in a cell nbval ignores: the same.
    same = notebook("Id: E2ABCDEFGHIJKL\n", "/echo -> 404\n", ignored="aws")
    assert sanitized_outputs(same, patterns) == sanitized_outputs(committed, patterns)
    # A different answer: not the same.
    changed = notebook("Id: EWYQESH0ARLH9D\n", "/echo -> 200\n")
    assert sanitized_outputs(changed, patterns) != sanitized_outputs(committed, patterns)
