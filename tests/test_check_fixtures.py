"""`hostlab check` on configurations nobody here wrote (tests/fixtures/check/*/SOURCE.md says where each comes
from and under which licence) and on the tutorial's own broken and fixed ones (infra/): each gets the
verdicts its properties predict (expected.json, each verdict with the rule that predicts it)."""

from __future__ import annotations

import json
from pathlib import Path

from hostlab.check.inputs import read
from hostlab.check.model import CHECKS, VERDICTS, Report
from hostlab.check.runner import check_inputs

FIXTURES = Path(__file__).parent / "fixtures" / "check"
EXPECTATIONS = sorted(FIXTURES.glob("*/expected.json"))


def load(path: Path) -> dict:
    spec = json.loads(path.read_text())
    assert spec["expect"], f"{path}: predicts nothing"
    for row in spec["expect"]:
        assert row["check"] in CHECKS and row["verdict"] in VERDICTS and row["why"], row
    return spec


def test_there_are_enough_public_fixtures():
    public = [p for p in EXPECTATIONS
              if (p.parent / "SOURCE.md").exists() and not p.parent.name.startswith("tutorial-")]
    assert len(public) >= 6, [p.parent.name for p in public]
    terraform_dirs = [p for p in public if (p.parent / load(p)["input"]).is_dir()]
    assert len(terraform_dirs) >= 3, "most public configurations are Terraform folders with modules"
    for spec_path in public:
        source = (spec_path.parent / "SOURCE.md").read_text()
        assert "icen" in source, f"{spec_path.parent.name}: SOURCE.md names no licence"


def run_every_fixture() -> dict[str, Report]:
    """Every fixture's report, from one run per origin-kind override. Each distribution is renamed
    "<fixture>/<name>" for the run, so two fixtures may hold distributions of the same name."""
    groups: dict[str, list[tuple[str, list]]] = {}
    for spec_path in EXPECTATIONS:
        spec = load(spec_path)
        inputs = read(str((spec_path.parent / spec["input"]).resolve()),
                      params=spec.get("params") or {}, variables=spec.get("variables") or {})
        for dist in inputs:
            dist.name = f"{spec_path.parent.name}/{dist.name}"
        kinds = json.dumps(spec.get("origin_kind") or {}, sort_keys=True)
        groups.setdefault(kinds, []).append((spec_path.parent.name, inputs))
    by_fixture: dict[str, Report] = {}
    for kinds, members in groups.items():
        run = check_inputs([d for _, inputs in members for d in inputs], origin_kind=json.loads(kinds))
        for fixture, inputs in members:
            prefix = f"{fixture}/"
            own = [f for f in run.findings if f.distribution.startswith(prefix)]
            for finding in own:
                finding.distribution = finding.distribution.removeprefix(prefix)
            by_fixture[fixture] = Report(own, [d.name.removeprefix(prefix) for d in inputs])
    return by_fixture


def test_every_fixture_gets_the_predicted_verdicts():
    """One test, one run for every fixture: one private backend (which deletes each distribution and its
    stand-ins once checked, hostlab.check.standup) costs half the CPU of a backend per fixture, and a module
    fixture shared by parametrized tests would run again in every test worker. The failure names each
    fixture that went wrong."""
    reports = run_every_fixture()
    wrong = {}
    for spec_path in EXPECTATIONS:
        problems = fixture_problems(spec_path, reports[spec_path.parent.name])
        if problems:
            wrong[spec_path.parent.name] = problems
    assert not wrong, "\n".join(f"{name}:\n  " + "\n  ".join(p) for name, p in wrong.items())


def fixture_problems(spec_path: Path, report: Report) -> list[str]:
    spec = load(spec_path)
    got = {(f.distribution, f.behavior, f.check): f for f in report.findings}
    wrong = []
    for row in spec["expect"]:
        key = (row["distribution"], row["behavior"], row["check"])
        finding = got.get(key)
        if finding is None:
            wrong.append(f"{key}: no finding (have {sorted(got)[:6]}...)")
        elif finding.verdict != row["verdict"]:
            wrong.append(f"{key}: {finding.verdict}, expected {row['verdict']} ({row['why']}); "
                         f"symptom: {finding.symptom}; cause: {finding.cause}")
    # A FAIL always comes with a patch in the input's language and a place in the input.
    wrong += [f"FAIL without patch or place: {f}" for f in report.findings
              if f.verdict == "FAIL" and not (f.patch and f.where)]
    name = spec_path.parent.name
    if name.startswith("tutorial-"):
        # The tutorial's broken configurations fail (with the three failures of the post's title among the
        # findings), the fixed ones pass: `hostlab check` exits 1, then 0.
        failed = {f.check for f in report.findings if f.verdict == "FAIL"}
        title = {"host", "origin-tls", "personal-cache"}
        if name.endswith("-broken") and not (report.failed and title <= failed):
            wrong.append(f"broken, but the FAILs are only {sorted(failed)}")
        if name.endswith("-fixed") and report.failed:
            wrong.append(f"fixed, but {sorted(failed)} FAIL")
    return wrong
