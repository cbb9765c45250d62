"""Every citation in the repository points at something a reader can open.

A source named in a comment, a docstring, the post or docs/behaviours.md must be a public page (AWS
documentation, an issue, a report) or a file of this repository. Working notes that live outside the
repository (a reading aid such as the facts sheet the project was started from) are never cited: a reader
cannot follow them. The checker below looks at every tracked text file for

* the name of that outside facts sheet, in any spelling;
* in prose and configuration (Markdown, Quarto, YAML), a relative path (``../x``) that climbs out of the
  repository (in code, relative paths are relative to whatever the code decides, so they are not checked);
* an absolute path into the machine the project was written on (``/work/...``, ``/home/...``).

The checker is tested on made-up text first (positive and negative controls), then run on the repository.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Built from parts so that this file does not match itself.
# A citation of the sheet: its file name, a section of it, or "the ... sheet"; a test that checks a source
# does NOT contain the sheet's name is not a citation.
_SHEET = re.compile("aws" + r"[-_ ]?" + "facts" + r"(?:\.md\b|\s*§|\s+section\b|\s+sheet\b)", re.I)
_RELATIVE = re.compile(r"(?<![\w.])((?:\.\./)+[\w.\-/]+)")
_ABSOLUTE = re.compile(r"(?<![\w.:/])/(?:work|home|Users)/[\w.\-/]+")
TEXT_SUFFIXES = {
    ".py",
    ".md",
    ".qmd",
    ".yml",
    ".yaml",
    ".toml",
    ".txt",
    ".json",
    ".ipynb",
    ".sh",
    ".tf",
    ".js",
    ".cfg",
    ".css",
    ".ini",
    "",
}

PROSE_SUFFIXES = {".md", ".qmd", ".yml", ".yaml"}
# This file spells out what it looks for, in its controls.
SELF = Path(__file__).resolve()


def outside_citations(text: str, where: Path) -> list[str]:
    """What in ``text`` (a file at ``where``) cites something outside the repository."""
    found = [f"names the outside facts sheet: {m.group(0)!r}" for m in _SHEET.finditer(text)]
    found += [f"absolute path outside the repository: {m.group(0)!r}" for m in _ABSOLUTE.finditer(text)]
    if where.suffix not in PROSE_SUFFIXES:
        return found
    for match in _RELATIVE.finditer(text):
        target = (where.parent / match.group(1)).resolve()
        if not target.is_relative_to(ROOT):
            found.append(f"relative path leaving the repository: {match.group(1)!r}")
    return found


def tracked_text_files() -> list[Path]:
    names = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, text=True
    ).stdout.split("\0")
    paths = [ROOT / name for name in names if name]
    return [p for p in paths if p.is_file() and p.suffix in TEXT_SUFFIXES and p.resolve() != SELF]


# --- the checker itself ---


@pytest.mark.parametrize(
    "text",
    [
        "# source: " + "aws" + "-facts.md section 2",
        "see the " + "AWS facts" + " sheet, section 7",
        "(" + "aws_facts" + " §3)",
        "details in ../../../shared/notes.md",
        "read /work/shared/notes.md first",
        "from /home/someone/notes.txt",
    ],
)
def test_checker_flags_citations_outside_the_repository(text):
    assert outside_citations(text, ROOT / "docs" / "behaviours.md")


@pytest.mark.parametrize(
    "text",
    [
        "CF-DG http-502-bad-gateway.html; aws/apprunner-roadmap issue 52",
        "![figure](../images/architecture.png)",  # from docs/: stays inside
        "https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/Expiration.html",
        "the facts of the case",
        "path /static/app.css and /echo",
        'assert "' + "aws" + '-facts" not in entry.source',
    ],
)
def test_checker_accepts_citations_inside_the_repository(text):
    assert outside_citations(text, ROOT / "docs" / "behaviours.md") == []


def test_the_repository_has_text_files_to_check():
    files = tracked_text_files()
    assert ROOT / "docs" / "behaviours.md" in files
    assert ROOT / "src" / "hostlab" / "settings.py" in files
    assert len(files) > 50
    assert SELF not in files


# --- the repository ---


def test_no_tracked_file_cites_anything_outside_the_repository():
    problems = []
    for path in tracked_text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        problems += [f"{path.relative_to(ROOT)}: {p}" for p in outside_citations(text, path)]
    assert not problems, "\n".join(problems)
