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
