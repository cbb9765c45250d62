"""The moto peer check's own logic (tests/moto_peer/runner.py): how outcomes are judged against
divergences.toml. The run itself is `make test-moto` (it downloads moto's sdist and takes about 25 s)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from moto_peer import runner

CF = "tests/test_cloudfront/test_cloudfront_distributions.py"


def divergence(*tests: str) -> runner.Divergence:
    return runner.Divergence(rule="r", source="s", kind="documented", tests=tests)


def failed(message: str = "boom") -> dict[str, str]:
    return {"outcome": "failed", "message": message}


PASSED = {"outcome": "passed", "message": ""}
SKIPPED = {"outcome": "skipped", "message": "Cant manipulate time in server mode"}


def test_a_listed_failure_is_expected_and_an_unlisted_one_is_not():
    outcomes = {f"{CF}::test_a": failed(), f"{CF}::test_b": failed("other"), f"{CF}::test_c": PASSED}
    verdict = runner.judge(outcomes, [divergence(f"{CF}::test_a")])
    assert verdict.unexpected == {f"{CF}::test_b": "other"}
    assert (verdict.passed, verdict.listed_failed, verdict.total) == (1, 1, 3)
    assert not verdict.ok
    # Positive control: the same run with test_b listed too is OK.
    assert runner.judge(outcomes, [divergence(f"{CF}::test_a", f"{CF}::test_b")]).ok


def test_a_listed_test_that_passes_is_skipped_or_gone_makes_the_list_stale():
    outcomes = {f"{CF}::test_a": PASSED, f"{CF}::test_b": SKIPPED, f"{CF}::test_c": failed()}
    listed = [divergence(f"{CF}::test_a", f"{CF}::test_b", f"{CF}::test_c", f"{CF}::test_gone")]
    verdict = runner.judge(outcomes, listed)
    assert set(verdict.stale) == {f"{CF}::test_a", f"{CF}::test_b", f"{CF}::test_gone"}
    assert "passed" in verdict.stale[f"{CF}::test_a"] and "skipped" in verdict.stale[f"{CF}::test_b"]
    assert not verdict.ok and verdict.listed_failed == 1 and verdict.skipped == 1


def test_a_run_without_tests_is_not_ok():
    assert not runner.judge({}, []).ok


def test_moto_skips_are_counted_not_failed():
    verdict = runner.judge({f"{CF}::test_time": SKIPPED}, [])
    assert verdict.ok and verdict.skipped == 1


@pytest.mark.parametrize(
    ("listed", "nodeid", "expected"),
    [
        (f"{CF}::test_x", f"{CF}::test_x", True),
        (f"{CF}::test_x", f"{CF}::test_x[us-west-1-aws]", True),  # every parametrization
        (f"{CF}::test_x", f"{CF}::test_x_more", False),
        (f"{CF}::test_x[a]", f"{CF}::test_x[b]", False),
        (f"{CF}::test_x[aliases0-*]", f"{CF}::test_x[aliases0-True-False]", True),
        (f"{CF}::test_x[aliases0-*]", f"{CF}::test_x[aliases1-True-False]", False),
    ],
)
def test_listed_ids_match_tests(listed, nodeid, expected):
    assert runner.matches(listed, nodeid) is expected


def test_a_wildcard_entry_must_fail_for_every_test_it_covers():
    outcomes = {f"{CF}::test_x[aliases0-a]": failed(), f"{CF}::test_x[aliases0-b]": PASSED}
    verdict = runner.judge(outcomes, [divergence(f"{CF}::test_x[aliases0-*]")])
    assert list(verdict.stale) == [f"{CF}::test_x[aliases0-b]"]


def test_the_committed_list_is_well_formed_and_sourced():
    divergences = runner.load_divergences()
    assert divergences
    for entry in divergences:
        assert entry.kind in runner.KINDS and entry.source.strip() and entry.rule.strip()
        assert all(test.startswith(("tests/test_cloudfront/", "tests/test_acm/")) for test in entry.tests)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "no [[divergence]]"),
        ('[[divergence]]\nrule = "r"\nsource = "s"\nkind = "guessed"\ntests = ["t"]\n', "kind"),
        ('[[divergence]]\nrule = "r"\nsource = ""\nkind = "assumed"\ntests = ["t"]\n', "source"),
        ('[[divergence]]\nrule = "r"\nsource = "s"\nkind = "assumed"\ntests = []\n', "tests"),
        ('[[divergence]]\nrule = "r"\nsource = "s"\nkind = "assumed"\ntests = ["t", "t"]\n', "twice"),
        ('[[divergence]]\nrule = "r"\nsource = "s"\nkind = "assumed"\ntests = ["t"]\nwhy = "x"\n', "unknown"),
    ],
)
def test_a_malformed_list_is_refused_with_the_reason(tmp_path: Path, text, problem):
    path = tmp_path / "divergences.toml"
    path.write_text(text)
    with pytest.raises(runner.ListError, match=re.escape(problem)):
        runner.load_divergences(path)


def test_the_pinned_moto_version_is_read_from_requirements(tmp_path: Path):
    path = tmp_path / "requirements.txt"
    path.write_text("boto3==1.0\nmoto[server]==5.2.5\n")
    assert runner.pinned_moto_version(path) == "5.2.5"
    path.write_text("boto3==1.0\nmoto>=5\n")
    with pytest.raises(SystemExit, match="no exact pin"):
        runner.pinned_moto_version(path)
    # The repository's own pin is the installed moto (the peer check refuses to run otherwise).
    assert runner.pinned_moto_version() == runner.installed_moto_version()


def test_summary_line_gives_every_count():
    verdict = runner.Verdict(total=158, passed=105, skipped=5, listed_failed=48)
    line = runner.summary_line("5.2.5", verdict, 25.04)
    assert line == (
        "moto 5.2.5 peer check OK: 158 tests, 105 passed, 48 failed as listed in divergences.toml, "
        "5 skipped by moto, 0 unexpected failures, 0 stale entries; 25.0 s"
    )
