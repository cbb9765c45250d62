"""scripts/reproduce.sh end to end: the three failures and the fix, seen with curl and requests, against a
backend of its own (a temporary HOSTLAB_HOME on free ports, never the session's or the reader's), and no
process left behind."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import psutil
import pytest
from lifecycle_helpers import alive, isolated_env, server_processes, stop_backend

from hostlab.local import lifecycle
from hostlab.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "reproduce.sh"
SCRIPT_TIMEOUT = 150  # seconds; a run takes about ten, this only turns a hang into a failure
FAST = {"HOSTLAB_APPRUNNER_OPERATION_SECONDS": "0.1", "HOSTLAB_CLOUDFRONT_DEPLOY_SECONDS": "0.1"}

pytestmark = [
    pytest.mark.skipif(shutil.which("curl") is None, reason="reproduce.sh probes with curl"),
    pytest.mark.timeout(SCRIPT_TIMEOUT * 2 + 30),
]


def run_script(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    # The interpreter running the tests is the venv the script must use (HOSTLAB_VENV), wherever it is.
    env = {**env, "HOSTLAB_VENV": sys.prefix}
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=SCRIPT_TIMEOUT,
        cwd=REPO,
    )


def processes_using(home: Path) -> list[psutil.Process]:
    """Processes whose working folder or open files are inside ``home``: the server (cwd) and the demo
    apps (their logs in apps/), even after the folder was deleted."""
    found = []
    for proc in psutil.process_iter():
        try:
            paths = [proc.cwd(), *(f.path for f in proc.open_files())]
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        if any(p.startswith(str(home)) for p in paths):
            found.append(proc)
    return found


def started_pid(output: str) -> int:
    match = re.search(r"started local backend at \S+ \(pid (\d+)\)", output)
    assert match, output
    return int(match.group(1))


def section(output: str, title: str) -> str:
    """The output of one step: from its '== <title>' heading to the next heading."""
    start = output.index(f"== {title}")
    end = output.find("\n== ", start + 1)
    return output[start : end if end != -1 else None]


def domains(output: str) -> tuple[str, str]:
    distribution = re.search(r"is live on (d[a-z0-9]+\.cloudfront\.net)", output)
    service = re.search(r"\$ curl .* https://([a-z0-9]+\.[a-z0-9-]+\.awsapprunner\.com)/", output)
    assert distribution and service, output
    return distribution.group(1), service.group(1)


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "reproduce home"  # a space: every path in the script must be quoted
    yield path
    stop_backend(path, **FAST)


def test_reproduces_the_failures_and_the_fix_then_stops_its_backend(home):
    result = run_script(isolated_env(home, **FAST))
    out = result.stdout
    assert result.returncode == 0, out
    assert "[FAILED]" not in out
    distribution, service = domains(out)

    step = section(out, "1/4 forward-host")
    assert re.search(r"^  HTTP/1\.1 404 ", step, re.M) and re.search(r"^  server: envoy$", step, re.M), step
    assert re.search(r"^  status: +404$", step, re.M) and re.search(r"^  body: +0 bytes$", step, re.M)

    step = section(out, "2/4 tls-v1")
    assert re.search(r"^  HTTP/1\.1 502 ", step, re.M), step
    assert re.search(r"^  Server: CloudFront$", step, re.M)
    assert re.search(r"^  X-Cache: Error from cloudfront$", step, re.M)
    assert "<TITLE>ERROR: The request could not be satisfied</TITLE>" in step
    assert re.search(r"^  page title: +ERROR: The request could not be satisfied$", step, re.M)

    step = section(out, "3/4 except-host")
    assert f"location: https://{service}/account" in step, step  # the wrong app-level host
    assert re.search(rf"^  app's public URL: +https://{re.escape(service)}/echo$", step, re.M)
    assert re.search(r"^  X-Forwarded-Host: +-$", step, re.M)

    step = section(out, "4/4 fixed")
    assert f"location: https://{distribution}/account" in step, step
    assert re.search(r"^  status: +200$", step, re.M)
    assert re.search(rf"^  Host the app saw: +{re.escape(service)}$", step, re.M)
    assert re.search(rf"^  X-Forwarded-Host: +{re.escape(distribution)}$", step, re.M)
    assert re.search(r"^  HTTP/1\.1 403 ", step, re.M)  # the origin refuses a request without the secret

    assert "deleted 3 resource(s) tagged project=hostlab-reproduce" in section(out, "cleanup")
    assert re.search(r"== done: \d+ checks passed", out)
    # The script started this backend, so it stopped it: no server, no demo app, no state folder left.
    assert not alive(started_pid(out))
    assert not home.exists()
    assert processes_using(home) == []


def test_a_missing_result_fails_the_run_and_still_cleans_up(home):
    # An origin that accepts TLS 1.0 makes the TLSv1-only origin protocols work: no 502 to show.
    env = isolated_env(home, HOSTLAB_APPRUNNER_TLS_VERSIONS="TLSv1,TLSv1.1,TLSv1.2,TLSv1.3", **FAST)
    result = run_script(env)
    out = result.stdout
    assert result.returncode == 1, out
    assert re.search(r"^  HTTP/1\.1 200 ", section(out, "2/4 tls-v1"), re.M)
    assert "[FAILED] 502" in out
    assert "3/4" not in out  # stops at the first missing result
    assert "deleted 2 resource(s) tagged project=hostlab-reproduce" in section(out, "cleanup")
    assert "== done" not in out
    assert not alive(started_pid(out))
    assert processes_using(home) == []


def test_reuses_a_running_backend_and_its_own_resources_and_leaves_the_backend_running(home):
    env = isolated_env(home, **FAST)
    state = lifecycle.up(Settings.from_env(env), note=lambda _: None)

    kept = run_script(env, "--keep")
    assert kept.returncode == 0, kept.stdout
    assert "already running" in kept.stdout and "started local backend" not in kept.stdout
    assert "== kept (--keep)" in kept.stdout and "== cleanup" not in kept.stdout
    apprunner = boto3.client("apprunner", endpoint_url=state.api_url)
    names = [s["ServiceName"] for s in apprunner.list_services()["ServiceSummaryList"]]
    assert names == ["hostlab-reproduce"]

    again = run_script(env)
    assert again.returncode == 0, again.stdout
    assert "setup: created" not in again.stdout  # the kept service and distribution were found by their tag
    assert domains(again.stdout) == domains(kept.stdout)
    assert "deleted 3 resource(s)" in again.stdout
    statuses = {s["Status"] for s in apprunner.list_services()["ServiceSummaryList"]}
    assert statuses <= {"DELETED"}
    # Not started by the script, so not stopped by it.
    assert [p.pid for p in server_processes(home)] == [state.pid]
