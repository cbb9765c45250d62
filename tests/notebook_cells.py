"""The committed notebooks as the static tests read them: which labels the post embeds, and which code cell
carries which label.

A label is Quarto's cell option ``#| label: <name>`` on the first line of a code cell; the post embeds that
cell with ``{{< embed ../../notebooks/<notebook>.ipynb#<name> >}}``. tests/test_notebooks_static.py checks
the notebooks keep these labels; tests/test_post.py checks the post embeds only these.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

# The labels the post may embed, per notebook. The notebooks may add labels, not rename these.
EMBEDDED_LABELS = {
    "01-create-service.ipynb": ["service-config", "create-service", "wait-service", "call-service"],
    "02-attach-cloudfront.ipynb": [
        "distribution-config",
        "create-distribution",
        "wait-distribution",
        "call-distribution",
    ],
    "03-what-breaks.ipynb": [
        "break-host-404",
        "break-tls-502",
        "break-app-host",
        "break-personal-cache",
        "break-cached-404",
        "break-inprogress",
        "break-bypass",
        "break-read-timeout",
    ],
    "04-fixes.ipynb": [
        "fix-origin-tls",
        "fix-host-policy",
        "fix-function-code",
        "fix-function-publish",
        "fix-forwarded-host",
        "fix-cache-paths",
        "fix-personal-cache",
        "viewer-tls-default",
        "fix-viewer-tls",
        "fix-bypass-403",
        "fix-summary",
        "raw-update-distribution",
        "raw-acm-certificate",
        "fix-custom-domain",
        "fix-read-timeout",
        "fix-error-caching",
    ],
    "05-cleanup.ipynb": ["cleanup-delete", "cleanup-listing", "raw-disable-delete"],
    "06-policy-matrix.ipynb": ["matrix-table", "matrix-heatmap"],
    "07-costs.ipynb": ["costs-summary", "costs-prices", "costs-table", "costs-plot"],
    # The ECS Express Mode track: the same story, notebooks 11 -> 15.
    "11-express-create-service.ipynb": [
        "express-run-cost",
        "express-roles",
        "express-service-config",
        "express-create-service",
        "express-wait-service",
        "express-managed-resources",
        "express-call-service",
    ],
    "12-express-attach-cloudfront.ipynb": [
        "express-distribution-config",
        "express-create-distribution",
        "express-call-distribution",
    ],
    "13-express-what-breaks.ipynb": [
        "express-break-host-404",
        "express-host-policy",
        "express-break-app-host",
        "express-break-personal-cache",
        "express-break-tls-502",
        "express-break-bypass",
    ],
    "14-express-fixes.ipynb": [
        "express-fix-origin",
        "express-fix-forwarded-host",
        "express-fix-personal-cache",
        "express-fix-bypass",
        "express-fix-summary",
    ],
    "15-express-cleanup.ipynb": [
        "express-cleanup-distribution",
        "express-cleanup-service",
        "express-cleanup-left-behind",
        "express-cleanup-listing",
        "express-cleanup-again",
    ],
}
LABEL = re.compile(r"^#\| label: (\S+)\s*$")


def read_notebook(name: str) -> nbformat.NotebookNode:
    """notebooks/<name>, read and validated against the notebook format's schema."""
    path = NOTEBOOKS / name
    assert path.exists(), f"{path} is missing (the post embeds cells from it)"
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    return nb


def code_cells(nb: nbformat.NotebookNode) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def label_of(cell) -> str | None:
    """The cell's label when its first line is ``#| label: <name>``, else None."""
    first = cell.source.splitlines()[0] if cell.source else ""
    match = LABEL.match(first)
    return match.group(1) if match else None


def cell_with_label(nb: nbformat.NotebookNode, label: str):
    """The code cell labelled ``label``, or None."""
    return next((cell for cell in code_cells(nb) if label_of(cell) == label), None)
