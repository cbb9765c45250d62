"""`hostlab measure` on the local backend: the probe reports every setting it covers, defaults and changed
values alike; a file it wrote, loaded with HOSTLAB_CALIBRATION, makes a backend behave as measured; runs
resume and clean up after themselves; nothing identifying is written.

Backends: the session's (defaults, the positive control), one started with every calibrated setting
changed at once, and one started from the calibration file that the second produced.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import requests
from lifecycle_helpers import isolated_env, settings_for, stop_backend

from hostlab import cli
from hostlab.backend import Backend
from hostlab.calibration import CALIBRATED_SETTINGS, CalibrationError, measured_values
from hostlab.local import lifecycle
from hostlab.measure import estimate, resources, run, runner
from hostlab.measure.scrub import scrub
from hostlab.settings import DEFAULT_ACCOUNT_ID, DEFAULT_REGION, Settings

FAST = {
    "HOSTLAB_APPRUNNER_OPERATION_SECONDS": "0.3",
    "HOSTLAB_CLOUDFRONT_DEPLOY_SECONDS": "0.3",
    "HOSTLAB_ACM_VALIDATION_SECONDS": "0.3",
}
# Every calibrated setting the probe can reach, away from its default.
CHANGED = {
    "HOSTLAB_APPRUNNER_TLS_VERSIONS": "TLSv1.2,TLSv1.3",
    "HOSTLAB_APPRUNNER_PAUSED_STATUS": "503",
    "HOSTLAB_CLOUDFRONT_CONFIG_CHANGE_KEEPS_CACHE": "false",
    "HOSTLAB_CLOUDFRONT_CACHING_DISABLED_CACHES_ERRORS": "true",
    "HOSTLAB_CLOUDFRONT_DEFAULT_ORIGIN_SSL_PROTOCOLS": "SSLv3,TLSv1",
}
# The one setting no probe can observe with an App Runner origin (cloudfront_probes.origin_sni says why).
UNREACHABLE = {"HOSTLAB_CLOUDFRONT_ORIGIN_SNI"}


def defaults() -> dict[str, str]:
    env = Settings().to_env()
    return {name: env[name] for name in CHANGED}


def test_the_changed_values_cover_every_probed_setting_and_differ_from_the_defaults():
    probed = {p.key for p in runner.PROBES if p.kind == "setting"}
    assert probed == set(CALIBRATED_SETTINGS)
    assert set(CHANGED) | UNREACHABLE == probed
    assert all(CHANGED[name] != value for name, value in defaults().items())


def _measure(state, out: Path, monkeypatch, messages: list[str] | None = None) -> dict:
    """Run the probe against the backend ``state`` as a prepared shell would reach it; the file's JSON."""
    for name, value in lifecycle.client_env(state).items():
        monkeypatch.setenv(name, value)
    backend = Backend("local", DEFAULT_REGION, DEFAULT_ACCOUNT_ID, state.api_url)
    say = messages.append if messages is not None else (lambda _m: None)
    path = run(out, backend=backend, say=say)
    return json.loads(path.read_text())


def _values(document: dict) -> dict[str, str]:
    return {k: e["value"] for k, e in document["entries"].items() if e["status"] == "measured"}


@pytest.fixture(scope="module")
def changed_backend(tmp_path_factory):
    home = tmp_path_factory.mktemp("changed") / "home"
    state = lifecycle.up(settings_for(home, **FAST, **CHANGED))
    yield state
    stop_backend(home)


@pytest.fixture(scope="module")
def changed_run(changed_backend, tmp_path_factory):
    """The probe's file for the changed backend (module scope: the loading test reads it too)."""
    out = tmp_path_factory.mktemp("changed-out")
    with pytest.MonkeyPatch.context() as mp:
        return _measure(changed_backend, out, mp), out


# -- the probe reports what the backend does -----------------------------------------------------------------


def test_the_probe_reports_the_defaults_of_the_session_backend(backend, tmp_path, monkeypatch, capsys):
    # Through the command line, as `hostlab measure --out DIR` in a shell prepared for the session backend
    # (connect() finds it running; the variables it exports are the ones set here, restored afterwards).
    for name, value in lifecycle.client_env(backend).items():
        monkeypatch.setenv(name, value)
    assert cli.main(["measure", "--out", str(tmp_path)]) == cli.EXIT_OK
    printed = capsys.readouterr()
    written = Path(printed.out.strip().splitlines()[-1])
    assert written.parent == tmp_path and written.name.endswith(f"-{DEFAULT_REGION}.json")
    document = json.loads(written.read_text())
    messages = printed.err.splitlines()
    assert _values(document) == defaults()
    assert document["entries"]["HOSTLAB_CLOUDFRONT_ORIGIN_SNI"]["status"] == "not_measured"
    assert "App Runner" in document["entries"]["HOSTLAB_CLOUDFRONT_ORIGIN_SNI"]["reason"]
    unknown = document["observations"]["apprunner_unknown_host"]
    assert (unknown["status"], unknown["headers"]["server"], unknown["body_bytes"]) == (404, "envoy", 0)
    # The front's header rules (docs/behaviours.md, "App Runner front"), as the demo app saw them.
    headers = document["observations"]["apprunner_forwarded_headers"]
    assert headers["x_forwarded_for"] == "sent address first, then 1 more"
    assert (headers["x_forwarded_proto"], headers["response_server"]) == ("https", "envoy")
    assert headers["x_request_id_replaced"] and headers["response_has_x_envoy_upstream_service_time"]
    assert not headers["x_envoy_header_reached_app"] and not headers["x_forwarded_host_added"]
    plain = document["observations"]["apprunner_plain_http"]
    assert plain["served_name"] == {"status": 301, "location_is_same_url_on_https": True}
    assert plain["unknown_name"]["status"] == 404
    assert set(document["observations"]["timings_seconds"]) >= {"apprunner_create_to_running_seconds"}
    assert (document["backend"], document["region"], document["schema"]) == ("local", DEFAULT_REGION, 1)
    assert any("creating an App Runner service" in m for m in messages)
    assert not (tmp_path / f".measure-local-{DEFAULT_REGION}.partial.json").exists()


def test_the_probe_reports_every_changed_setting(changed_run):
    document, _ = changed_run
    assert _values(document) == CHANGED


def test_a_run_leaves_no_tagged_resource_behind(changed_run, changed_backend, monkeypatch):
    for name, value in lifecycle.client_env(changed_backend).items():
        monkeypatch.setenv(name, value)
    apprunner, cloudfront = runner.clients(Backend("local", DEFAULT_REGION, DEFAULT_ACCOUNT_ID, ""))
    assert resources.measure_services(apprunner) == []
    assert resources.measure_distributions(cloudfront) == []
    # Positive control: the finder does see a service carrying the tag.
    lab = resources.Lab(apprunner, cloudfront, say=lambda _m: None)
    lab.service()
    try:
        assert len(resources.measure_services(apprunner)) == 1
    finally:
        resources.cleanup(apprunner, cloudfront, say=lambda _m: None)


# -- loading a calibration -----------------------------------------------------------------------------------


def test_a_backend_loaded_with_the_file_behaves_as_measured(changed_run, tmp_path, monkeypatch):
    document, out = changed_run
    (written,) = out.glob(f"*-{DEFAULT_REGION}.json")
    home = tmp_path / "home"
    settings = settings_for(home, **FAST, HOSTLAB_CALIBRATION=str(written))
    # No HOSTLAB_* variable says otherwise: every value comes from the file.
    assert {name: settings.to_env()[name] for name in CHANGED} == CHANGED
    try:
        state = lifecycle.up(settings)
        again = _measure(state, tmp_path / "out", monkeypatch)
    finally:
        stop_backend(home, HOSTLAB_CALIBRATION=str(written))
    assert _values(again) == _values(document) == CHANGED


def _calibration(tmp_path: Path, entries: dict) -> Path:
    path = tmp_path / "cal.json"
    doc = {"schema": 1, "date": "2026-12-07", "region": "us-east-1", "backend": "aws", "entries": entries}
    path.write_text(json.dumps(doc))
    return path


def _entry(value: str) -> dict:
    return {"status": "measured", "value": value, "method": "test"}


def test_explicit_variables_win_over_the_file_and_unmeasured_entries_change_nothing(tmp_path):
    path = _calibration(
        tmp_path,
        {
            "HOSTLAB_APPRUNNER_PAUSED_STATUS": _entry("503"),
            "HOSTLAB_APPRUNNER_TLS_VERSIONS": _entry("TLSv1.2,TLSv1.3"),
            "HOSTLAB_CLOUDFRONT_ORIGIN_SNI": {"status": "not_measured", "reason": "no origin", "method": "-"},
        },
    )
    loaded = Settings.from_env({"HOSTLAB_CALIBRATION": str(path)})
    assert loaded.apprunner_paused_status == 503
    assert loaded.apprunner_tls_versions == ("TLSv1.2", "TLSv1.3")
    assert loaded.cloudfront_origin_sni == Settings().cloudfront_origin_sni
    explicit = Settings.from_env({"HOSTLAB_CALIBRATION": str(path), "HOSTLAB_APPRUNNER_PAUSED_STATUS": "404"})
    assert explicit.apprunner_paused_status == 404
    assert explicit.apprunner_tls_versions == ("TLSv1.2", "TLSv1.3")
    # The settings a backend is started with carry the file's values, so its server needs nothing else.
    assert Settings.from_env(loaded.to_env()) == loaded


@pytest.mark.parametrize(
    ("entries", "named"),
    [
        ({"HOSTLAB_APPRUNNER_COLOUR": _entry("blue")}, "HOSTLAB_APPRUNNER_COLOUR"),
        ({"HOSTLAB_APPRUNNER_PAUSED_STATUS": _entry("302")}, "HOSTLAB_APPRUNNER_PAUSED_STATUS"),
        ({"HOSTLAB_APPRUNNER_TLS_VERSIONS": _entry("SSLv2")}, "HOSTLAB_APPRUNNER_TLS_VERSIONS"),
        ({"HOSTLAB_CLOUDFRONT_CONFIG_CHANGE_KEEPS_CACHE": _entry("maybe")}, "CONFIG_CHANGE_KEEPS_CACHE"),
        ({"HOSTLAB_APPRUNNER_PAUSED_STATUS": {"status": "measured", "value": 503}}, "PAUSED_STATUS"),
        ({"HOSTLAB_APPRUNNER_PAUSED_STATUS": {"status": "guessed", "value": "503"}}, "guessed"),
    ],
)
def test_a_bad_entry_is_a_clear_error_naming_it(tmp_path, entries, named):
    path = _calibration(tmp_path, entries)
    with pytest.raises(ValueError, match=named):
        Settings.from_env({"HOSTLAB_CALIBRATION": str(path)})


def test_an_unreadable_file_is_a_clear_error(tmp_path):
    with pytest.raises(CalibrationError, match="cannot read"):
        measured_values(tmp_path / "missing.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(CalibrationError, match="not JSON"):
        measured_values(broken)
    # Positive control: a well-formed file with no entries reads as no values.
    assert measured_values(_calibration(tmp_path, {})) == {}


def test_the_command_line_reports_a_bad_calibration_as_a_usage_error(tmp_path, capsys, monkeypatch):
    for name, value in isolated_env(tmp_path / "home").items():
        monkeypatch.setenv(name, value)
    path = _calibration(tmp_path, {"HOSTLAB_NOPE": _entry("1")})
    monkeypatch.setenv("HOSTLAB_CALIBRATION", str(path))
    assert cli.main(["status"]) == cli.EXIT_USAGE
    assert "HOSTLAB_NOPE" in capsys.readouterr().err


# -- resuming, interruptions, cleanup ------------------------------------------------------------------------


def test_an_interrupted_run_cleans_up_and_the_next_one_resumes(backend, tmp_path, monkeypatch):
    def interrupted(_lab):
        raise KeyboardInterrupt

    original = runner.PROBES
    target = "HOSTLAB_CLOUDFRONT_CONFIG_CHANGE_KEEPS_CACHE"
    broken = tuple(
        p if p.key != target else runner.Probe(p.key, p.kind, p.needs, interrupted) for p in original
    )
    monkeypatch.setattr(runner, "PROBES", broken)
    with pytest.raises(KeyboardInterrupt):
        _measure(backend, tmp_path, monkeypatch)
    partial = tmp_path / f".measure-local-{DEFAULT_REGION}.partial.json"
    finished = json.loads(partial.read_text())
    assert "HOSTLAB_CLOUDFRONT_CACHING_DISABLED_CACHES_ERRORS" in finished["entries"]
    assert "HOSTLAB_CLOUDFRONT_CONFIG_CHANGE_KEEPS_CACHE" not in finished["entries"]
    assert list(tmp_path.glob("2*.json")) == []  # no calibration file from an unfinished run
    apprunner, cloudfront = runner.clients(Backend("local", DEFAULT_REGION, DEFAULT_ACCOUNT_ID, ""))
    assert resources.measure_services(apprunner) == resources.measure_distributions(cloudfront) == []

    monkeypatch.setattr(runner, "PROBES", original)
    messages: list[str] = []
    document = _measure(backend, tmp_path, monkeypatch, messages)
    skipped = {m.split(":")[1].strip() for m in messages if m.endswith("already done, skipped")}
    assert skipped == set(finished["entries"]) | set(finished["observations"]) - {"timings_seconds"}
    assert _values(document) == defaults()
    assert not partial.exists()


def test_a_run_with_nothing_left_creates_nothing(tmp_path, monkeypatch):
    # A partial file with every probe done (sentinel values no backend would give): nothing to create, so
    # no backend is even needed; the values are written as they were.
    done = {p.key: {"status": "measured", "value": "sentinel", "method": "-"} for p in runner.PROBES}
    document = {
        "schema": 1,
        "date": "2026-01-02",
        "region": DEFAULT_REGION,
        "backend": "local",
        "tool_version": "hostlab test",
        "entries": {p.key: done[p.key] for p in runner.PROBES if p.kind == "setting"},
        "observations": {p.key: {"status": 404} for p in runner.PROBES if p.kind == "observation"},
    }
    (tmp_path / f".measure-local-{DEFAULT_REGION}.partial.json").write_text(json.dumps(document))
    monkeypatch.setattr(runner, "clients", lambda _b: (None, None))  # any AWS call would fail
    messages: list[str] = []
    local = Backend("local", DEFAULT_REGION, DEFAULT_ACCOUNT_ID, "")
    path = run(tmp_path, backend=local, say=messages.append)
    assert path.name == f"2026-01-02-{DEFAULT_REGION}.json"  # the date the run started
    assert set(_values(json.loads(path.read_text())).values()) == {"sentinel"}
    assert not any("creating" in m for m in messages)


# -- what is written -----------------------------------------------------------------------------------------


def test_the_scrubber_removes_accounts_arns_ids_names_and_keys():
    account = "210987654321"
    leaky = {
        "account": account,
        "arn": f"arn:aws:apprunner:eu-west-1:{account}:service/hostlab-measure-1a2b3c4d/{'0a1b2c3d' * 4}",
        "url": "https://abcde12345.eu-west-1.awsapprunner.com/echo",
        "cloudfront": "d1234567890abc.cloudfront.net",
        "id": "E2QWRUHAPOMQZL",
        "service_id": "0123456789abcdef0123456789abcdef",
        "key": "AKIAIOSFODNN7EXAMPLE",
        "cf_id": "Xq4AqMZl0dHgmw_2ab0JcOPj-fTydwVwCSTwFKaBKE3jT8dDtGp1Ww==",
        "name in text": "service hostlab-measure-1a2b3c4d answered",
        "x-forwarded-for": "203.0.113.7, 54.239.28.85",
        account: ["nested", f"account {account} again"],
    }
    cleaned = json.dumps(scrub(leaky, known=["hostlab-measure-1a2b3c4d"]))
    for secret in (
        account,
        "hostlab-measure-1a2b3c4d",
        "abcde12345",
        "d1234567890abc",
        "E2QWRUHAPOMQZL",
        "0123456789abcdef",
        "AKIAIOSFODNN7EXAMPLE",
        "Xq4AqMZl0dHgmw",
    ):
        assert secret not in cleaned, secret
    # Positive control: what a calibration needs survives.
    kept = {
        "HOSTLAB_CLOUDFRONT_CACHING_DISABLED_CACHES_ERRORS": "TLSv1.2,TLSv1.3",
        "server": "envoy",
        "status": 404,
        "region": "eu-west-1",
        "answer": "404 Error from cloudfront (age, 0 bytes)",
        "sent": "203.0.113.7",
        "openssl": "OpenSSL 3.0.19 27 Jan 2026",
    }
    assert scrub(kept) == kept


def test_the_written_file_names_no_account_or_resource(changed_run):
    _, out = changed_run
    (written,) = out.glob(f"*-{DEFAULT_REGION}.json")
    text = written.read_text()
    assert DEFAULT_ACCOUNT_ID not in text
    assert not re.search(r"[a-z0-9]{10}\.us-east-1\.awsapprunner\.com|d[a-z0-9]{13}\.cloudfront\.net", text)
    assert "hostlab-measure-" not in text


# -- estimate and command line -------------------------------------------------------------------------------


def test_the_estimate_comes_from_the_price_file():
    from hostlab.analysis.prices import load_prices

    prices = load_prices()
    aws = estimate("aws", list(runner.PROBES))
    hourly = (
        0.5 * prices["apprunner.provisioned_memory_gb_hour"]
        + 0.25 * prices["apprunner.active_vcpu_hour"]
        + 0.5 * prices["apprunner.active_memory_gb_hour"]
    )
    assert aws.usd == pytest.approx(hourly * runner.AWS_MINUTES_CEILING / 60)
    assert f"USD {aws.usd:.2f}" in aws.text and aws.minutes > 0
    assert estimate("local", list(runner.PROBES)).usd == 0
    assert estimate("aws", []).minutes == 0


def test_measure_on_aws_refuses_without_the_sandbox_account(monkeypatch, capsys):
    monkeypatch.setenv("HOSTLAB_BACKEND", "aws")
    monkeypatch.delenv("HOSTLAB_AWS_ACCOUNT", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    assert cli.main(["measure", "--yes"]) == cli.EXIT_ERROR
    assert "HOSTLAB_AWS_ACCOUNT" in capsys.readouterr().err


# -- the one setting no probe reaches, checked at the edge directly ------------------------------------------


@pytest.mark.parametrize(("setting", "expected"), [("host", "forwarded"), ("origin", "origin")])
def test_the_origin_sni_setting_chooses_the_name_sent(tmp_path, setting, expected):
    from edge_support import (
        ALL_VIEWER,
        CACHING_DISABLED,
        EchoOrigin,
        FakeCloudFront,
        behavior,
        distribution_config,
        origin,
    )

    from hostlab.local.dataplane.edge import Edge
    from hostlab.local.dataplane.proxy import ConnectProxy
    from hostlab.local.dataplane.tls import LocalCA

    app = "abc123.us-east-1.awsapprunner.com"
    ca = LocalCA(tmp_path / "ca")
    front = EchoOrigin(ca, names=("*.us-east-1.awsapprunner.com",), hosts=(app,))
    api = FakeCloudFront()
    settings = Settings(cloudfront_deploy_seconds=api.deploy_seconds, cloudfront_origin_sni=setting)
    edge = Edge(
        settings,
        ca,
        "http://unused.invalid",
        client=api,
        resolve=lambda h, p: {app: ("127.0.0.1", front.port)}.get(h),
    )
    edge.start()
    proxy = ConnectProxy("127.0.0.1", 0, edge.route)
    proxy.start()
    try:
        dist_id = api.add(
            distribution_config(
                [origin(app)], behavior(cache_policy_id=CACHING_DISABLED, origin_request_policy_id=ALL_VIEWER)
            )
        )
        api.wait_deployed(dist_id)
        domain = api.domain(dist_id)
        with requests.Session() as http:
            http.trust_env = False
            http.proxies = {"https": proxy.url}
            http.verify = str(ca.bundle_pem)
            answer = http.get(f"https://{domain}/echo", timeout=10)
    finally:
        proxy.stop()
        edge.stop()
        front.stop()
    assert answer.status_code == 404  # Host forwarded either way: the front does not know it
    assert front.sni == [{"forwarded": domain, "origin": app}[expected]]
