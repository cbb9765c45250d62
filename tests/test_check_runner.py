"""check() / check_inputs() (hostlab.check.runner): one private backend per run, stopped and removed at the
end even after an error or Ctrl-C; the backend the reader (or this test session) runs and the caller's
environment are left alone; inputs read through hostlab.check.inputs (and the live reader) reach the engine
with their parameters."""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path

import pytest
from check_support import tutorial_broken, tutorial_fixed

import hostlab.check.inputs
from hostlab.check import backend as check_backend
from hostlab.check import probes, runner
from hostlab.check.model import CHECKS, FAIL, CheckInputError
from hostlab.local import procs


@pytest.fixture
def started(monkeypatch):
    """Every private backend a run starts: (settings, state), recorded by wrapping lifecycle.up."""
    seen = []
    original = check_backend.lifecycle.up

    def up(settings, note=None):
        state = original(settings, note=note)
        seen.append((settings, state))
        return state

    monkeypatch.setattr(check_backend.lifecycle, "up", up)
    return seen


def assert_gone(started):
    assert started, "no private backend was started"
    for settings, state in started:
        assert not procs.is_running(state.pid), f"the private backend (pid {state.pid}) still runs"
        assert not settings.home.exists()
        assert not settings.home.parent.exists()  # the temporary folder around it too


def test_a_run_reads_every_input_uses_one_private_backend_and_removes_it(
    monkeypatch, started, backend, make_client
):
    cloudfront = make_client("cloudfront")
    before = cloudfront.list_distributions()["DistributionList"].get("Quantity", 0)
    environ = dict(os.environ)
    calls = []

    def read(path, *, params=None, variables=None):
        calls.append((path, params, variables))
        return [tutorial_broken() if path == "broken.json" else tutorial_fixed()]

    monkeypatch.setattr(hostlab.check.inputs, "read", read)
    fake_live = types.ModuleType("hostlab.check.inputs.live")
    fake_live.read_live = lambda distribution_id, client: [  # type: ignore[attr-defined]
        _named(tutorial_fixed(), f"live {distribution_id} via {client}")
    ]
    monkeypatch.setitem(sys.modules, "hostlab.check.inputs.live", fake_live)
    lines = []
    report = runner.check(
        ["broken.json", "fixed.json"],
        params={"P": "1"},
        variables={"v": "2"},
        origin_kind={"*": "apprunner"},
        live_distribution_id="E123",
        cloudfront_client="client",
        progress=lines.append,
    )
    assert calls == [("broken.json", {"P": "1"}, {"v": "2"}), ("fixed.json", {"P": "1"}, {"v": "2"})]
    assert report.distributions == ["TutorialBroken", "TutorialFixed", "live E123 via client"]
    assert len(lines) == 3 and lines[2].startswith("checking live E123 via client (distribution-config.json)")
    assert len(report.findings) == 3 * 2 * len(CHECKS)
    assert report.failed
    assert {
        f.check for f in report.findings if f.distribution == "TutorialBroken" and f.verdict == FAIL
    } == set(CHECKS)
    assert len(started) == 1  # one private backend for the whole run
    assert_gone(started)
    # The session's backend (a reader's own, in this test's terms) still runs, unchanged; the caller's
    # environment is as it was.
    assert procs.is_running(backend.pid)
    assert started[0][1].api_url != backend.api_url
    assert Path(started[0][0].home) != Path(backend.home)
    assert cloudfront.list_distributions()["DistributionList"].get("Quantity", 0) == before
    assert dict(os.environ) == environ


def _named(dist, name):
    dist.name = name
    return dist


def test_the_private_backend_is_removed_after_an_error(monkeypatch, started):
    def broken(self):
        raise RuntimeError("a probe broke")

    monkeypatch.setattr(probes.Prober, "run", broken)
    with pytest.raises(RuntimeError, match="a probe broke"):
        runner.check_inputs([tutorial_fixed()])
    assert_gone(started)


def test_the_private_backend_is_removed_after_ctrl_c(monkeypatch, started):
    def interrupted(self, dist, override):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner.StandUp, "standins", interrupted)
    with pytest.raises(KeyboardInterrupt):
        runner.check_inputs([tutorial_fixed()])
    assert_gone(started)


def test_no_input_starts_no_backend_and_a_missing_file_is_an_input_error(started):
    assert runner.check_inputs([]).findings == []
    with pytest.raises(CheckInputError, match="no such file"):
        runner.check(["/nonexistent/template.yaml"])
    assert started == []


def test_private_settings_keep_the_callers_assumptions_but_not_its_backend(tmp_path):
    env = {
        "HOSTLAB_HOME": "/somewhere/else",
        "HOSTLAB_PORT": "4566",
        "HOSTLAB_APPRUNNER_TLS_VERSIONS": "TLSv1.2,TLSv1.3",
        "HOSTLAB_CLOUDFRONT_DEPLOY_SECONDS": "30",
    }
    settings = check_backend.private_settings(tmp_path / "b", env)
    assert settings.home == (tmp_path / "b").resolve()
    assert settings.api_port == 0 and settings.proxy_port == 0
    assert settings.apprunner_tls_versions == ("TLSv1.2", "TLSv1.3")  # an assumption carries over
    assert settings.cloudfront_deploy_seconds == 0.05  # a delay does not: the private backend's own
    assert settings.express_services_per_alb == 1


def test_two_inputs_with_the_same_aliases_are_both_checked():
    """Broken and fixed versions of one site share their aliases; CloudFront refuses a CNAME that another
    distribution has (CNAMEAlreadyExists), so a checked distribution frees its aliases for the next."""
    import copy

    from check_support import dist_input, listed

    dists = []
    for name, protocols in (("SiteBroken", ["TLSv1"]), ("SiteFixed", ["TLSv1.2"])):
        fixed = tutorial_fixed()
        config = copy.deepcopy(fixed.config)
        config["Aliases"] = listed(["shop.example.com"])
        config["ViewerCertificate"] = {
            "ACMCertificateArn": "arn:aws:acm:us-east-1:111122223333:certificate/0a1b2c3d",
            "SSLSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
        }
        config["Origins"]["Items"][0]["CustomOriginConfig"]["OriginSslProtocols"] = listed(protocols)
        dists.append(dist_input(config, name=name, functions=fixed.functions))
    report = runner.check_inputs(dists)
    by = {(f.distribution, f.check): f for f in report.findings if f.behavior == "Default (*)"}
    assert by[("SiteBroken", "origin-tls")].verdict == FAIL
    assert by[("SiteFixed", "origin-tls")].verdict == "OK"
    # The broken one's other probes ran on it updated to TLSv1.2 (its aliases stayed its own).
    assert by[("SiteBroken", "host")].verdict == "OK"
    assert "probed with OriginSslProtocols ['TLSv1.2']" in by[("SiteBroken", "host")].symptom
    assert "not created" not in by[("SiteFixed", "host")].symptom


def test_a_config_with_a_readers_str_subclass_is_checked():
    """The Terraform reader leaves str subclasses (a sensitive variable's stand-in that names the variable)
    in the config; the engine copies the config as plain JSON, so they neither break copying nor reach
    boto3."""

    class Named(str):
        def __new__(cls, value, variable):
            made = super().__new__(cls, value)
            made.variable = variable
            return made

    dist = tutorial_fixed()
    header = dist.config["Origins"]["Items"][0]["CustomHeaders"]["Items"][0]
    header["HeaderValue"] = Named(header["HeaderValue"], "origin_secret")
    report = runner.check_inputs([dist])
    bypass = next(f for f in report.findings if f.check == "origin-bypass")
    assert bypass.verdict == "OK" and "-> 403" in bypass.symptom
