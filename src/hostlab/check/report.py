"""A check Report as a reader sees it: a table for the terminal, JSON or JUnit XML for CI.

The JSON document is the schema README.md documents ("Check your own distribution"):

    {"schema": "hostlab-check/1", "failed": bool, "distributions": [...], "notes": [...],
     "summary": {"OK": n, "FAIL": n, "NOT_CHECKED": n, "N/A": n},
     "findings": [{"distribution", "behavior", "check", "verdict", "symptom", "cause", "where", "fix",
                   "patch"}, ...]}

JUnit: one <testsuite> per distribution, one <testcase> per finding (classname = distribution, name =
"behaviour: check"); FAIL is a <failure>, NOT_CHECKED and N/A are <skipped> with the reason, so a CI page
shows them as not run rather than passed.
"""

from __future__ import annotations

import json
import re
import shutil
import textwrap
import xml.etree.ElementTree as ET
from collections import Counter

from hostlab.check.model import FAIL, NA, NOT_CHECKED, OK, VERDICTS, Finding, Report

SCHEMA = "hostlab-check/1"
FORMATS = ("table", "json", "junit")


def render(report: Report, fmt: str, *, width: int | None = None) -> str:
    if fmt == "json":
        return as_json(report)
    if fmt == "junit":
        return as_junit(report)
    if fmt == "table":
        return as_table(report, width=width)
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


def summary(report: Report) -> dict[str, int]:
    counts = Counter(f.verdict for f in report.findings)
    return {verdict: counts.get(verdict, 0) for verdict in VERDICTS}


def summary_line(report: Report) -> str:
    counts = summary(report)
    parts = ", ".join(f"{counts[v]} {v}" for v in VERDICTS)
    outcome = "FAILED" if report.failed else "passed"
    found = f"{len(report.distributions)} distribution(s), {len(report.findings)} finding(s)"
    return f"{outcome}: {found}: {parts}"


def as_json(report: Report) -> str:
    document = {
        "schema": SCHEMA,
        "failed": report.failed,
        "distributions": list(report.distributions),
        "notes": list(report.notes),
        "summary": summary(report),
        "findings": [finding.as_json() for finding in report.findings],
    }
    return json.dumps(document, indent=2) + "\n"


def as_junit(report: Report) -> str:
    counts = summary(report)
    root = ET.Element(
        "testsuites",
        name="hostlab check",
        tests=str(len(report.findings)),
        failures=str(counts[FAIL]),
        skipped=str(counts[NOT_CHECKED] + counts[NA]),
        errors="0",
    )
    for distribution in report.distributions:
        own = [f for f in report.findings if f.distribution == distribution]
        own_counts = Counter(f.verdict for f in own)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=distribution,
            tests=str(len(own)),
            failures=str(own_counts[FAIL]),
            skipped=str(own_counts[NOT_CHECKED] + own_counts[NA]),
            errors="0",
        )
        for finding in own:
            case = ET.SubElement(suite, "testcase", classname=distribution,
                                 name=f"{finding.behavior}: {finding.check}")
            if finding.verdict == FAIL:
                failure = ET.SubElement(case, "failure", message=finding.symptom, type=finding.check)
                failure.text = _details(finding)
            elif finding.verdict in (NOT_CHECKED, NA):
                ET.SubElement(case, "skipped", message=f"{finding.verdict}: {finding.symptom}")
            else:
                out = ET.SubElement(case, "system-out")
                out.text = _details(finding)
    if report.notes:
        props = ET.SubElement(root, "properties")
        for number, note in enumerate(report.notes, 1):
            ET.SubElement(props, "property", name=f"note{number}", value=note)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _details(finding: Finding) -> str:
    lines = [
        f"symptom: {finding.symptom}",
        f"cause:   {finding.cause}",
        f"where:   {finding.where}",
        f"fix:     {finding.fix}",
    ]
    if finding.patch:
        lines += ["patch:", textwrap.indent(finding.patch.rstrip("\n"), "    ")]
    return "\n".join(lines)


_GAP = "  "
_LABELS = ("symptom", "cause", "where", "fix")


def as_table(report: Report, *, width: int | None = None) -> str:
    """Per distribution: a behaviour x check table of verdicts, then, for every finding that is not OK, its
    symptom, cause, place in the input, fix (with the post's section) and, for a FAIL, the suggested patch.
    A summary line last. Lines are wrapped to ``width`` (the terminal's by default)."""
    width = max(width or shutil.get_terminal_size((120, 24)).columns, 60)
    blocks = []
    for distribution in report.distributions:
        own = [f for f in report.findings if f.distribution == distribution]
        blocks.append(f"{'' if not blocks else chr(10)}== {distribution}")
        if not own:
            blocks.append("(no findings)")
            continue
        blocks.append(_matrix(own))
        for finding in own:
            if finding.verdict != OK:
                blocks.append(_details_block(finding, width))
    if report.notes:
        blocks.append("\nNotes:")
        blocks += ["\n".join(_wrap_labelled("- ", note, width)) for note in report.notes]
    blocks.append(summary_line(report))
    return "\n".join(blocks) + "\n"


def _matrix(findings: list[Finding]) -> str:
    """Rows: behaviours in order; columns: checks in order; cells: verdicts."""
    behaviours = list(dict.fromkeys(f.behavior for f in findings))
    checks = list(dict.fromkeys(f.check for f in findings))
    verdict = {(f.behavior, f.check): f.verdict for f in findings}
    rows = [["BEHAVIOUR", *checks]]
    rows += [[b, *(verdict.get((b, c), "-") for c in checks)] for b in behaviours]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(_GAP.join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
                     for row in rows)


def _details_block(finding: Finding, width: int) -> str:
    lines = ["", f"{finding.behavior} / {finding.check}: {finding.verdict}"]
    for label in _LABELS:
        lines += _wrap_labelled(f"  {label + ':':<9}", getattr(finding, label), width)
    if finding.verdict == FAIL and finding.patch:
        lines.append("  patch:")
        lines += ["      " + line for line in finding.patch.rstrip("\n").splitlines()]
    return "\n".join(lines)


def _wrap_labelled(label: str, text: str, width: int) -> list[str]:
    body = _wrap(text, width - len(label))
    return [label + body[0]] + [" " * len(label) + line for line in body[1:]]


_BREAKS = re.compile(r"(?<=[ ./:#,=])")  # a property path or URL may break after these


def _wrap(text: str, width: int) -> list[str]:
    """Greedy wrapping that also breaks property paths and URLs after a dot, slash or colon."""
    lines: list[str] = []
    current = ""
    for piece in _BREAKS.split(text):
        while len(piece) > width:  # a piece longer than the line: cut it
            if current:
                lines.append(current.rstrip())
                current = ""
            lines.append(piece[:width])
            piece = piece[width:]
        if len(current) + len(piece.rstrip()) > width:
            lines.append(current.rstrip())
            current = piece.lstrip()
        else:
            current += piece
    if current.strip() or not lines:
        lines.append(current.rstrip())
    return lines
