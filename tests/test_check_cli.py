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


def test_aws_reads_a_deployed_distribution_read_only(tmp_path):
    """`hostlab check --aws --distribution-id ID` through the aws code path, rehearsed on a local backend of
    its own (HOSTLAB_AWS_REHEARSAL=1): the guard accepts the named account, the distribution is read and
    checked, and it is left exactly as it was."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    import boto3

    from hostlab.local import lifecycle
    from hostlab.settings import Settings

    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOSTLAB_", "AWS_"))}
    env.update({"HOSTLAB_HOME": str(tmp_path / "account"), "HOSTLAB_PORT": "0", "HOSTLAB_PROXY_PORT": "0"})
    settings = Settings.from_env(env)
    state = lifecycle.up(settings, note=lambda _: None)
    try:
        client_env = lifecycle.client_env(state)
        cloudfront = boto3.client(
            "cloudfront", region_name="us-east-1", endpoint_url=state.api_url,
            aws_access_key_id=client_env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=client_env["AWS_SECRET_ACCESS_KEY"],
        )
        domain = "abcdefghij.us-east-1.awsapprunner.com"
        origin = {"Id": "apprunner", "DomainName": domain, "CustomOriginConfig": {
            "HTTPPort": 80, "HTTPSPort": 443, "OriginProtocolPolicy": "https-only",
            "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1.2"]}}}
        created = cloudfront.create_distribution(DistributionConfig={
            "CallerReference": "live-read", "Comment": "", "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [origin]},
            "DefaultCacheBehavior": {
                "TargetOriginId": "apprunner", "ViewerProtocolPolicy": "redirect-to-https",
                "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",  # CachingOptimized
                "OriginRequestPolicyId": "216adef6-5c7f-47e4-b989-5492eafa07d3",  # AllViewer
            },
        })
        distribution_id, etag = created["Distribution"]["Id"], created["ETag"]
        run_env = {**env, "HOSTLAB_BACKEND": "aws", "HOSTLAB_AWS_REHEARSAL": "1",
                   "HOSTLAB_AWS_ACCOUNT": "123456789012"}
        command = [str(Path(sys.prefix) / "bin" / "hostlab"), "check", "--aws", "--distribution-id",
                   distribution_id, "--format", "json"]
        result = subprocess.run(command, env=run_env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 1, result.stderr  # AllViewer: the 404
        findings = {(f["behavior"], f["check"]): f for f in json.loads(result.stdout)["findings"]}
        assert findings[("Default (*)", "host")]["verdict"] == "FAIL"
        assert findings[("Default (*)", "origin-tls")]["verdict"] == "OK"  # positive control
        assert findings[("Default (*)", "host")]["where"].startswith(f"distribution {distribution_id}")
        after = cloudfront.get_distribution_config(Id=distribution_id)
        assert after["ETag"] == etag  # nothing was changed
    finally:
        lifecycle.down(settings, note=lambda _: None)
