"""cfn-lint for the infra tests, imported on first use: cfn-lint imports sympy, about half a CPU-second that
every pytest-xdist worker paid while collecting, although only the workers that run these tests use it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

REGIONS = ["us-east-1"]


def lint(template: Path) -> list[Any]:
    """cfn-lint's matches for ``template`` (its rules for the tutorial's region)."""
    from cfnlint.api import ManualArgs, lint_file

    return lint_file(template, config=ManualArgs(regions=REGIONS))


def decode(path: str) -> tuple[Any, Any]:
    """The template as cfn-lint reads it, and its parse errors (cfnlint.decode.decode)."""
    from cfnlint.decode import decode as cfn_decode

    return cfn_decode(path)
