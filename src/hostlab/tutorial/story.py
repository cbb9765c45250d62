"""`make tutorial`: run the tutorial end to end on a fresh local backend and tell what happened.

    .venv/bin/python -m hostlab.tutorial

1. Copies notebooks 01 -> 05 (App Runner) and 11 -> 15 (ECS Express Mode) to build/tutorial/ and executes
   them there, in order, each track on a new local backend (the committed notebooks stay unchanged; each
   backend is stopped afterwards).
2. Prints both stories step by step, read from the executed notebooks' outputs (nothing here is typed in
   advance: a cell that printed something else shows something else).
3. Renders the site with Quarto when `quarto` is on PATH, or says how to install it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from hostlab.tutorial.notebook_runner import NOTEBOOKS, REPO, execute, fresh_local_backend

BUILD = REPO / "build" / "tutorial"
TUTORIAL = ("01", "02", "03", "04", "05")
EXPRESS_TUTORIAL = ("11", "12", "13", "14", "15")
QUARTO_INSTALL = "https://quarto.org/docs/get-started/"

# (notebook prefix, cell label, what the step shows): the cells whose output tells the story.
STORY = (
    ("01", "call-service", "App Runner, called directly"),
    ("02", "call-distribution", "CloudFront in front, forwarding all headers"),
    ("03", "break-host-404", "why: App Runner routes by Host"),
    ("03", "break-cached-404", "Host no longer forwarded, but a 404 was cached"),
    ("03", "break-app-host", "200, but the app's URLs point to awsapprunner.com"),
    ("03", "break-personal-cache", "CachingOptimized serves alice's page to bob"),
    ("03", "break-tls-502", "the CloudFormation default origin protocols (TLSv1, SSLv3)"),
    ("03", "break-bypass", "the origin, straight, without CloudFront"),
    ("03", "break-read-timeout", "/slow takes 2 s, the origin read timeout is cut to 1 s"),
    ("04", "fix-read-timeout", "origin read timeout 60 s (App Runner allows 120 s)"),
    ("04", "fix-summary", "after the fixes"),
    ("05", "cleanup-listing", "after cleanup, still tagged"),
)
# The same story on ECS Express Mode (notebooks 11 -> 15).
EXPRESS_STORY = (
    ("11", "express-call-service", "the Express service, called directly"),
    ("11", "express-managed-resources", "what Express made, through the ELBv2 API"),
    ("12", "express-call-distribution", "CloudFront in front, forwarding all headers"),
    ("13", "express-break-host-404", "why: the shared ALB routes by Host"),
    ("13", "express-break-app-host", "200, but the app's URLs point to on.aws"),
    ("13", "express-break-personal-cache", "CachingOptimized serves alice's page to bob"),
    ("13", "express-break-tls-502", "the CloudFormation default origin protocols (TLSv1, SSLv3)"),
    ("13", "express-break-bypass", "the ALB, straight, without CloudFront"),
    ("14", "express-fix-bypass", "the security group admits CloudFront's prefix list only"),
    ("14", "express-fix-summary", "after the fixes"),
    ("15", "express-cleanup-listing", "after cleanup, what is left"),
)
# Lines that only say a wait ended; the story is about the answers.
_PROGRESS = re.compile(
    r"^(distribution|invalidation|App Runner service|Express service|Express managed resources): "
)


def _label(cell) -> str | None:
    first = cell.source.splitlines()[0] if cell.source else ""
    return first.removeprefix("#| label: ").strip() if first.startswith("#| label: ") else None


def cell_lines(nb: nbformat.NotebookNode, label: str) -> list[str]:
    """The stdout lines of the cell labelled ``label``, without progress lines."""
    for cell in nb.cells:
        if cell.cell_type == "code" and _label(cell) == label:
            text = "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")
            return [line for line in text.splitlines() if line.strip() and not _PROGRESS.match(line)]
    return [f"(no cell labelled {label})"]


def story(executed: dict[str, nbformat.NotebookNode], steps=STORY) -> list[str]:
    lines = []
    for number, (prefix, label, title) in enumerate(steps, 1):
        lines.append(f"{number:2}. [{prefix}] {title}")
        lines += [f"      {line}" for line in cell_lines(executed[prefix], label)]
    return lines


def run_notebooks(
    target: Path = BUILD, prefixes=TUTORIAL, *, clean: bool = True
) -> dict[str, nbformat.NotebookNode]:
    """Execute the notebooks ``prefixes`` (one track) in order, on a fresh local backend, into ``target``."""
    if clean:
        shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True, exist_ok=True)
    executed = {}
    with fresh_local_backend():
        for prefix in prefixes:
            source = next(NOTEBOOKS.glob(f"{prefix}-*.ipynb"))
            copy = target / source.name
            shutil.copyfile(source, copy)
            print(f"running {source.name} ...", flush=True)
            executed[prefix] = execute(copy, cwd=NOTEBOOKS)
    return executed


def render_site() -> int:
    quarto = shutil.which("quarto")
    if quarto is None:
        print(
            "\nQuarto is not on PATH, so the site was not rendered. Install it from "
            f"{QUARTO_INSTALL} (Debian/Ubuntu: the .deb from that page), then run `quarto render` here."
        )
        return 0
    print(f"\nrendering the site with {quarto} ...", flush=True)
    return subprocess.run([quarto, "render"], cwd=REPO, check=False).returncode


def main() -> int:
    executed = run_notebooks()
    express = run_notebooks(prefixes=EXPRESS_TUTORIAL, clean=False)
    print(f"\nThe executed notebooks are in {BUILD.relative_to(REPO)}/. What happened, step by step:\n")
    print("App Runner (notebooks 01-05):\n")
    print("\n".join(story(executed)))
    print("\nThe same story on ECS Express Mode (notebooks 11-15):\n")
    print("\n".join(story(express, EXPRESS_STORY)))
    return render_site()


if __name__ == "__main__":
    sys.exit(main())
