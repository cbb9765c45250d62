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

from hostlab.check.model import FAIL, NA, NOT_CHECKED, VERDICTS, Finding, Report

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


# The table's columns and the share of the free width each wrapped column gets.
_COLUMNS = (("BEHAVIOUR", 0.10), ("CHECK", 0.0), ("VERDICT", 0.0), ("SYMPTOM", 0.26), ("CAUSE", 0.24),
            ("WHERE", 0.22), ("FIX", 0.18))
_GAP = "  "


def as_table(report: Report, *, width: int | None = None) -> str:
    """One table per distribution, the suggested patches for its FAILs below it, a summary line last."""
    width = width or shutil.get_terminal_size((160, 24)).columns
    blocks = []
    for distribution in report.distributions:
        own = [f for f in report.findings if f.distribution == distribution]
        blocks.append(f"== {distribution}")
        if not own:
            blocks.append("(no findings)")
            continue
        blocks.append(_table(own, width))
        patches = [f for f in own if f.verdict == FAIL and f.patch]
        if patches:
            blocks.append("Suggested patches:")
            for finding in patches:
                blocks.append(f"- {finding.behavior}, {finding.check} ({finding.where}):")
                blocks.append(textwrap.indent(finding.patch.rstrip("\n"), "    "))
    if report.notes:
        blocks.append("Notes:")
        blocks += [f"- {note}" for note in report.notes]
    blocks.append(summary_line(report))
    return "\n".join(blocks) + "\n"


def _cells(finding: Finding) -> list[str]:
    return [finding.behavior, finding.check, finding.verdict, finding.symptom, finding.cause, finding.where,
            finding.fix]


def _table(findings: list[Finding], width: int) -> str:
    rows = [_cells(f) for f in findings]
    # Fixed columns are as wide as their longest value; the others share what is left.
    fixed = {i: max(len(_COLUMNS[i][0]), *(len(r[i]) for r in rows))
             for i, (_, share) in enumerate(_COLUMNS) if share == 0.0}
    free = max(width - sum(fixed.values()) - len(_GAP) * (len(_COLUMNS) - 1), 40)
    widths = []
    for i, (title, share) in enumerate(_COLUMNS):
        if i in fixed:
            widths.append(fixed[i])
        else:
            longest = max(len(title), *(len(r[i]) for r in rows))
            widths.append(max(min(int(free * share), longest), len(title), 8))
    lines = [_line([title for title, _ in _COLUMNS], widths)]
    lines.append(_line(["-" * w for w in widths], widths))
    for row in rows:
        wrapped = [_wrap(cell, w) for cell, w in zip(row, widths, strict=True)]
        for n in range(max(len(w) for w in wrapped)):
            lines.append(_line([w[n] if n < len(w) else "" for w in wrapped], widths))
    return "\n".join(lines)


_BREAKS = re.compile(r"(?<=[ ./:#,=])")  # a property path or URL may break after these


def _wrap(text: str, width: int) -> list[str]:
    """Greedy wrapping that also breaks property paths and URLs after a dot, slash or colon."""
    lines: list[str] = []
    current = ""
    for piece in _BREAKS.split(text):
        while len(piece) > width:  # a piece longer than the column: cut it
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


def _line(cells: list[str], widths: list[int]) -> str:
    return _GAP.join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()

