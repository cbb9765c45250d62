"""`hostlab check`'s command line: what it refuses before anything starts (exit 2, one clear line)."""

from __future__ import annotations

import pytest

from hostlab import cli


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check"], "name at least one template"),
        (["check", "--aws"], "--aws and --distribution-id go together"),
        (["check", "x.yaml", "--distribution-id", "E123"], "--aws and --distribution-id go together"),
        (["check", "x.yaml", "--param", "NoEquals"], "--param 'NoEquals': expected NAME=VALUE"),
        (["check", "x.tf", "--var", "=v"], "--var '=v': expected NAME=VALUE"),
        (["check", "x.yaml", "--origin-kind", "apprunnr"], "the kind must be one of apprunner, express"),
        (["check", "x.yaml", "--origin-kind", "web=lambda"], "the kind must be one of"),
    ],
)
def test_impossible_command_lines_exit_2_with_the_reason(argv, message, capsys, monkeypatch):
    monkeypatch.delenv("HOSTLAB_BACKEND", raising=False)
    assert cli.main(argv) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1  # one line, no traceback


def test_aws_read_needs_the_aws_backend(capsys, monkeypatch):
    monkeypatch.delenv("HOSTLAB_BACKEND", raising=False)
    assert cli.main(["check", "--aws", "--distribution-id", "E123"]) == cli.EXIT_USAGE
    assert "set HOSTLAB_BACKEND=aws" in capsys.readouterr().err


def test_origin_kind_forms():
    # Positive control for the refusals above: both documented forms parse.
    assert cli._origin_kinds(["apprunner"]) == {"*": "apprunner"}
    assert cli._origin_kinds(["web=alb", "express"]) == {"web": "alb", "*": "express"}
    assert cli._pairs(["A=1", "B=x=y", "C="], "--param") == {"A": "1", "B": "x=y", "C": ""}


def test_unreadable_input_exits_2_naming_it(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("HOSTLAB_BACKEND", raising=False)
    missing = tmp_path / "nowhere.yaml"
    assert cli.main(["check", str(missing)]) == cli.EXIT_USAGE
    assert f"{missing}: no such file or directory" in capsys.readouterr().err


def test_the_posts_example_script_fails_the_broken_configuration_and_passes_the_fixed_one(tmp_path):
    """infra/check/check-tutorial.sh, included in the post: `hostlab check` end to end through the command,
    exit 1 on the tutorial's naive configuration and 0 on the fix, with the JUnit file written."""
    import os
    import subprocess
    import sys
    import xml.etree.ElementTree as ET
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    junit = repo / "build" / "cloudfront-check.xml"
    junit.unlink(missing_ok=True)
    env = {**os.environ, "HOSTLAB": str(Path(sys.prefix) / "bin" / "hostlab")}
    env.pop("HOSTLAB_BACKEND", None)
    result = subprocess.run(["bash", str(repo / "infra/check/check-tutorial.sh")], env=env, cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    out = result.stdout
    assert "broken configuration: exit 1" in out, result.stdout + result.stderr
    assert "fixed configuration: exit 0" in out, result.stdout + result.stderr
    # The broken one's table names the three failures of the post's title.
    assert "Default (*)  FAIL  FAIL        FAIL" in out
    assert "OriginRequestPolicyId: b689b0a8-53d0-40ab-baf2-68738e2966ac" in out  # its suggested patch
    suites = ET.parse(junit).getroot()
    assert (suites.get("failures"), suites.get("skipped")) == ("0", "0")
    assert int(suites.get("tests")) == 14  # 2 behaviours x 7 checks
    assert "checking aws_cloudfront_distribution.this" in result.stderr  # the progress line
