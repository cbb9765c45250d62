"""hostlab.check.report: the table, the JSON schema README.md documents, and JUnit XML a CI page reads."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from hostlab.check import report
from hostlab.check.model import FAIL, NA, NOT_CHECKED, OK, Finding, Report

SCHEMA_KEYS = {"distribution", "behavior", "check", "verdict", "symptom", "cause", "where", "fix", "patch"}


def finding(verdict: str, check: str = "host", behavior: str = "Default (*)", dist: str = "Cdn") -> Finding:
    return Finding(
        distribution=dist,
        behavior=behavior,
        check=check,
        verdict=verdict,
        symptom=f"GET /hostlab-check/echo/n1 -> {404 if verdict == FAIL else 200}, server: envoy",
        cause="OriginRequestPolicyId = AllViewer forwards the viewer's Host",
        where="template.yaml:40: Resources.Cdn.Properties.DistributionConfig.DefaultCacheBehavior",
        fix="use AllViewerExceptHostHeader (posts/...#host-fix)",
        patch="OriginRequestPolicyId: b689b0a8-53d0-40ab-baf2-68738e2966ac" if verdict == FAIL else None,
    )


def mixed() -> Report:
    return Report(
        findings=[finding(FAIL), finding(OK, "origin-tls"), finding(NOT_CHECKED, "read-timeout"),
                  finding(NA, "origin-bypass", dist="Other")],
        distributions=["Cdn", "Other"],
        notes=["NoEcho parameter OriginSecret: stand-in value"],
    )


def test_json_document_follows_the_schema():
    document = json.loads(report.render(mixed(), "json"))
    assert document["schema"] == report.SCHEMA
    assert document["failed"] is True
    assert document["summary"] == {OK: 1, FAIL: 1, NOT_CHECKED: 1, NA: 1}
    assert [f["verdict"] for f in document["findings"]] == [FAIL, OK, NOT_CHECKED, NA]
    assert all(set(f) == SCHEMA_KEYS for f in document["findings"])
    assert document["findings"][0]["patch"].startswith("OriginRequestPolicyId")


def test_json_of_a_passing_report_says_so():
    passing = Report(findings=[finding(OK)], distributions=["Cdn"])
    assert json.loads(report.as_json(passing))["failed"] is False
    assert report.summary_line(passing).startswith("passed:")
    assert report.summary_line(mixed()).startswith("FAILED:")


def test_junit_marks_fail_as_failure_and_unchecked_as_skipped():
    root = ET.fromstring(report.render(mixed(), "junit"))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("4", "1", "2")
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"Cdn", "Other"}
    cases = {c.get("name"): c for c in suites["Cdn"].iter("testcase")}
    assert cases["Default (*): host"].find("failure") is not None
    assert "AllViewerExceptHostHeader" in cases["Default (*): host"].find("failure").text
    assert cases["Default (*): origin-tls"].find("failure") is None  # positive control: OK is a pass
    assert cases["Default (*): origin-tls"].find("skipped") is None
    assert cases["Default (*): read-timeout"].find("skipped").get("message").startswith(NOT_CHECKED)
    assert suites["Other"].find("testcase/skipped").get("message").startswith(NA)


def test_table_is_a_behaviour_by_check_matrix_then_every_finding_that_is_not_ok():
    text = report.render(mixed(), "table", width=100)
    lines = text.splitlines()
    assert lines[0] == "== Cdn"
    assert lines[1].split() == ["BEHAVIOUR", "host", "origin-tls", "read-timeout"]
    assert lines[2].split() == ["Default", "(*)", FAIL, OK, NOT_CHECKED]
    assert "Default (*) / host: FAIL" in lines
    assert "Default (*) / read-timeout: NOT_CHECKED" in lines
    assert "Default (*) / origin-tls: OK" not in lines  # an OK is in the matrix only
    for label in ("symptom:", "cause:", "where:", "fix:"):
        assert any(line.startswith(f"  {label}") for line in lines), label
    assert "      OriginRequestPolicyId: b689b0a8-53d0-40ab-baf2-68738e2966ac" in lines  # the FAIL's patch
    assert sum(line == "  patch:" for line in lines) == 1  # NOT_CHECKED and N/A have none
    assert "== Other" in lines
    assert "- NoEcho parameter OriginSecret: stand-in value" in lines
    assert max(len(line) for line in lines) <= 100


def test_table_without_failures_is_the_matrix_and_the_summary():
    text = report.as_table(Report(findings=[finding(OK)], distributions=["Cdn"]), width=120)
    assert "symptom:" not in text and "patch:" not in text
    assert text.rstrip().endswith("0 N/A")


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="table, json, junit"):
        report.render(mixed(), "yaml")
