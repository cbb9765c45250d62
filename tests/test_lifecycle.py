"""The backend's life: one backend for concurrent `up`s, stale pid files, a backend that dies or never
answers, stopping with everything it started, loopback-only listeners, and connect() for notebooks."""

from __future__ import annotations

import ipaddress
import os
import signal
import subprocess
import sys

import boto3
import psutil
import pytest
import requests
from lifecycle_helpers import (
    HOSTLAB,
    alive,
    client_from_env,
    image_source,
    isolated_env,
    parse_exports,
    run_cli,
    server_processes,
    settings_for,
    stop_backend,
    wait_until,
)

from hostlab.backend import Backend, BackendChoiceError, connect
from hostlab.local import lifecycle, procs
from hostlab.settings import Settings


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "home"
    yield path
    stop_backend(path)


def test_concurrent_ups_start_one_backend(home):
    env = isolated_env(home)
    racers = [
        subprocess.Popen(
            [HOSTLAB, "up"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [(racer.communicate(timeout=90), racer.returncode) for racer in racers]
    assert [code for _, code in results] == [0, 0, 0], [err for (_, err), _ in results]
    outputs = {out for (out, _), _ in results}
    assert len(outputs) == 1  # all three got the same endpoints
    assert sum("started local backend" in err for (_, err), _ in results) == 1
    assert len(server_processes(home)) == 1


def test_stale_pid_file_is_cleaned_with_a_note(home):
    settings = settings_for(home)
    first = lifecycle.up(settings)
    os.killpg(first.pid, signal.SIGKILL)  # as a reboot or the OOM killer would
    assert wait_until(lambda: not procs.is_running(first.pid), timeout=10)

    found = lifecycle.status(settings)
    assert not found.running and "stale pid file" in found.detail
    assert run_cli(isolated_env(home), "status").returncode == 3

    notes: list[str] = []
    second = lifecycle.up(settings, note=notes.append)
    assert any("stale pid file" in note and str(first.pid) in note for note in notes), notes
    assert second.pid != first.pid and lifecycle.answers(second.api_url)


def test_backend_that_dies_while_starting_shows_its_log(home):
    home.mkdir()
    (home / "ca").write_text("a file where the CA folder belongs")  # the server cannot create its CA
    result = run_cli(isolated_env(home), "up")
    assert result.returncode == 1
    assert "exited with code 1 while starting" in result.stderr
    assert "server.log" in result.stderr and "FileExistsError" in result.stderr  # the log's tail
    assert result.stdout == ""
    assert not (home / "server.pid").exists() and not (home / "state.json").exists()
    assert server_processes(home) == []


def test_backend_that_does_not_answer_in_time_is_stopped(home):
    settings = settings_for(home, HOSTLAB_START_TIMEOUT="0")
    with pytest.raises(lifecycle.StartTimeoutError, match="HOSTLAB_START_TIMEOUT"):
        lifecycle.up(settings)
    assert server_processes(home) == []
    assert not (home / "state.json").exists()


def test_interrupted_up_leaves_no_server_behind(home, monkeypatch):
    """Ctrl-C in `hostlab up` reaches only `up` (the server has a session of its own): `up` stops the server
    it spawned instead of leaving it to start unattended."""
    settings = settings_for(home)
    reads = []

    def read_state_then_interrupt(path):
        reads.append(path)
        if len(reads) > 1:  # the first read is up's look for a running backend; the next ones are the wait
            raise KeyboardInterrupt
        return None

    # A context of its own: the patch must be gone before the home fixture's teardown reads the state.
    with monkeypatch.context() as patch, pytest.raises(KeyboardInterrupt):
        patch.setattr(lifecycle, "read_state", read_state_then_interrupt)
        lifecycle.up(settings)
    assert len(reads) == 2
    assert server_processes(home) == []
    assert not settings.pid_file.exists() and not settings.state_file.exists()


def test_sigterm_stops_the_server_cleanly(home):
    settings = settings_for(home)
    state = lifecycle.up(settings)
    child = procs._spawned[state.pid]  # this test process started it
    child.send_signal(signal.SIGTERM)
    assert child.wait(timeout=30) == 0
    assert not settings.state_file.exists() and not settings.pid_file.exists()
    assert "received SIGTERM, stopping" in settings.log_file.read_text()


def test_server_exits_when_its_state_folder_no_longer_names_it(home):
    settings = settings_for(home)
    state = lifecycle.up(settings)
    settings.pid_file.unlink()  # e.g. the temporary folder of a crashed test run was cleaned up
    assert wait_until(lambda: not procs.is_running(state.pid), timeout=15)


def test_stop_tree_leaves_no_process_behind():
    """Stopping a server takes its children with it, even one that ignores SIGTERM (a stuck demo app)."""
    tree = (
        "import subprocess, sys, time\n"
        "stubborn = 'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)'\n"
        "subprocess.Popen([sys.executable, '-c', stubborn])\n"
        "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
        "time.sleep(600)\n"
    )
    root = subprocess.Popen([sys.executable, "-c", tree], start_new_session=True)
    procs.remember_child(root)
    assert wait_until(lambda: len(psutil.Process(root.pid).children()) == 2, timeout=15)
    family = [root.pid] + [child.pid for child in psutil.Process(root.pid).children()]
    assert procs.stop_tree(root.pid, grace=1.0)
    assert [pid for pid in family if alive(pid)] == []


def test_down_leaves_no_process_behind(home):
    """With a demo app running for an App Runner service, `hostlab down` ends the server and the app."""
    env = isolated_env(home, HOSTLAB_APPRUNNER_OPERATION_SECONDS="0.2")
    exported = parse_exports(run_cli(env, "up").stdout)
    state = lifecycle.status(settings_for(home)).state
    assert state is not None
    assert "apprunner-front" in state.dataplane, f"the backend runs no App Runner front: {state.dataplane}"
    apprunner = client_from_env(exported, "apprunner")
    service = apprunner.create_service(ServiceName="down-test", SourceConfiguration=image_source())["Service"]

    def app_answers() -> bool:
        try:
            response = requests.get(
                f"https://{service['ServiceUrl']}/echo",
                proxies={"https": exported["HTTPS_PROXY"]},
                verify=exported["REQUESTS_CA_BUNDLE"],
                timeout=5,
            )
        except requests.RequestException:
            return False
        return response.status_code == 200

    assert wait_until(app_answers, timeout=30, interval=0.2)
    family = [state.pid] + [child.pid for child in psutil.Process(state.pid).children(recursive=True)]
    assert len(family) >= 2  # the server and at least one demo-app process

    assert run_cli(env, "down").returncode == 0
    assert [pid for pid in family if alive(pid)] == []
    assert not home.exists()


def test_down_is_idempotent_and_spares_a_folder_it_did_not_create(tmp_path):
    keep = tmp_path / "mine.txt"
    keep.write_text("the reader's file")
    settings = settings_for(tmp_path)
    assert lifecycle.down(settings) is False
    state = lifecycle.up(settings)
    assert lifecycle.down(settings) is True
    assert not alive(state.pid)
    assert keep.read_text() == "the reader's file"  # HOSTLAB_HOME pointed at an existing folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.txt"]
    assert lifecycle.down(settings) is False


def _listening(proc: psutil.Process) -> list:
    return [conn for conn in proc.net_connections(kind="inet") if conn.status == psutil.CONN_LISTEN]


def test_listeners_bind_loopback_only(backend):
    server = psutil.Process(backend.pid)
    own = _listening(server)
    ports = {conn.laddr.port for conn in own}
    assert int(backend.api_url.rsplit(":", 1)[1]) in ports
    assert int(backend.proxy_url.rsplit(":", 1)[1]) in ports
    assert {conn.laddr.ip for conn in own} == {"127.0.0.1"}
    # Demo-app processes may use other loopback addresses (127.0.0.0/8), never a routable one.
    children = [conn for child in server.children(recursive=True) for conn in _listening(child)]
    assert all(ipaddress.ip_address(conn.laddr.ip).is_loopback for conn in children)


def test_up_says_when_the_running_backend_has_other_settings(backend):
    notes: list[str] = []
    settings = Settings.from_env({**os.environ, "HOSTLAB_SEED": "7"})
    assert lifecycle.up(settings, note=notes.append).pid == backend.pid
    assert any("HOSTLAB_SEED=42" in note for note in notes), notes


# ---------------------------------------------------------------------------------------------------------
# connect()
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def restored_environ():
    """os.environ exactly as before the test, whatever connect() added or changed; also the excepthook and
    the remembered backend that connect() installs (hostlab.local.gone)."""
    from hostlab.local import gone

    before = dict(os.environ)
    hook, connected = sys.excepthook, gone.connected()
    yield
    for name in set(os.environ) - set(before):
        del os.environ[name]
    os.environ.update(before)
    sys.excepthook = hook
    gone.remember(connected)


def test_connect_local_prepares_this_process(backend, client_env, monkeypatch, capsys, restored_environ):
    monkeypatch.delenv("HOSTLAB_BACKEND", raising=False)

    found = connect()

    assert capsys.readouterr().out == "hostlab: local backend (region us-east-1, seed 42)\n"
    assert found == Backend("local", "us-east-1", "123456789012", backend.api_url)
    assert {name: os.environ[name] for name in client_env} == client_env
    # Plain boto3, no endpoint argument: the environment alone reaches the local backend.
    assert boto3.client("sts").get_caller_identity()["Account"] == "123456789012"


def test_connect_refuses_an_unknown_backend(monkeypatch):
    monkeypatch.setenv("HOSTLAB_BACKEND", "localstack")
    with pytest.raises(BackendChoiceError, match=r"'local'.*'aws'"):
        connect()


def test_aws_backend_checks_the_account(backend, monkeypatch):
    from hostlab.aws_guard import SandboxError, ensure_sandbox

    monkeypatch.setenv("HOSTLAB_BACKEND", "aws")
    monkeypatch.delenv("HOSTLAB_AWS_ACCOUNT", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with pytest.raises(SandboxError, match="HOSTLAB_AWS_ACCOUNT=<the 12-digit ID"):
        connect()
    monkeypatch.setenv("HOSTLAB_AWS_ACCOUNT", "12345")
    with pytest.raises(SandboxError, match="not a 12-digit"):
        connect()
    monkeypatch.setenv("HOSTLAB_AWS_ACCOUNT", "123456789012")
    monkeypatch.setenv("AWS_ENDPOINT_URL", backend.api_url)
    with pytest.raises(SandboxError, match="prepared for the local backend"):
        connect()

    # The comparison itself, with moto's STS standing in for AWS (its account is 123456789012). Outside a
    # rehearsal the guard refuses that account before asking (tests/test_probes_and_guards.py), so the
    # mismatch is shown with another account, and the match in a rehearsal (HOSTLAB_AWS_REHEARSAL=1).
    clean = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    with pytest.raises(SandboxError, match=r"belong to account \*{8}9012, not to HOSTLAB_AWS_ACCOUNT"):
        ensure_sandbox({**clean, "HOSTLAB_AWS_ACCOUNT": "111111111111"})
    with pytest.raises(SandboxError, match="the local backend's account"):
        ensure_sandbox({**clean, "HOSTLAB_AWS_ACCOUNT": "123456789012"})
    rehearsal = {**os.environ, "HOSTLAB_AWS_ACCOUNT": "123456789012", "HOSTLAB_AWS_REHEARSAL": "1"}
    assert ensure_sandbox(rehearsal) == ("123456789012", "us-east-1")


def test_aws_path_imports_nothing_local():
    # What a notebook of the aws tier imports: connect(), the platforms' descriptors and tutorial helpers.
    aws_side = "import hostlab.platforms, hostlab.platforms.apprunner.resources, hostlab.tutorial.resources\n"

    def local_modules(extra: str = "") -> str:
        code = (
            "import sys, hostlab\n"
            "from hostlab.aws_guard import SandboxError\n"
            "try:\n    hostlab.connect()\nexcept SandboxError:\n    pass\n"
            f"{aws_side}{extra}"
            "tr = hostlab.platforms.APPRUNNER.helpers(); tr.find_service, tr.listed\n"
            "print(sorted(m for m in sys.modules if m.startswith('hostlab.local')))\n"
        )
        env = {k: v for k, v in os.environ.items() if k != "HOSTLAB_AWS_ACCOUNT"}
        result = subprocess.run(
            [sys.executable, "-c", code], env={**env, "HOSTLAB_BACKEND": "aws"}, capture_output=True,
            text=True, timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert local_modules() == "[]"
    # Control: a local module imported on purpose is seen.
    assert "'hostlab.local.platforms'" in local_modules("import hostlab.local.platforms\n")


def test_same_seed_same_ids(tmp_path):
    """The server seeds moto at start: the same calls on a fresh backend give the same IDs and domains."""

    def first_service(home, seed: str) -> tuple[str, str]:
        settings = settings_for(home, HOSTLAB_SEED=seed)
        state = lifecycle.up(settings)
        try:
            apprunner = client_from_env(lifecycle.client_env(state), "apprunner")
            service = apprunner.create_service(ServiceName="seeded", SourceConfiguration=image_source())
            return service["Service"]["ServiceId"], service["Service"]["ServiceUrl"]
        finally:
            lifecycle.down(settings, note=lambda _: None)

    first = first_service(tmp_path / "a", "42")
    assert first_service(tmp_path / "b", "42") == first
    assert first_service(tmp_path / "c", "7") != first


# ---------------------------------------------------------------------------------------------------------
# A backend that went away: one line that says what happened and what to do (hostlab.local.gone)
# ---------------------------------------------------------------------------------------------------------

MISSING_SERVICE = "arn:aws:apprunner:us-east-1:123456789012:service/missing/0123456789abcdef0123456789abcdef"
STOPPED_LINE = (
    "is not running: it was stopped or restarted, and its state is gone; "
    "run notebooks/01-create-service.ipynb again"
)

# A script as a reader writes one: connect(), then plain boto3. argv[1] says what happens to the backend
# before the last call: nothing ("alive": that call is a plain API error), SIGKILL, or down and up again.
GONE_SCRIPT = """
import os, signal, sys
import boto3
from botocore.config import Config
import hostlab
from hostlab.local import lifecycle, procs
from hostlab.settings import Settings

hostlab.connect()
apprunner = boto3.client("apprunner", config=Config(retries={"max_attempts": 1}))
settings = Settings.from_env()
state = lifecycle.current(settings)
if sys.argv[1] == "killed":
    os.killpg(state.pid, signal.SIGKILL)
    while procs.is_running(state.pid):
        pass
elif sys.argv[1] == "restarted":
    lifecycle.down(settings)
    lifecycle.up(settings)
apprunner.describe_service(ServiceArn=sys.argv[2])
"""


@pytest.mark.parametrize("what", ["alive", "killed", "restarted"])
def test_a_script_says_when_its_backend_went_away(home, what):
    env = isolated_env(home)
    result = subprocess.run(
        [sys.executable, "-c", GONE_SCRIPT, what, MISSING_SERVICE],
        env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1
    last = result.stderr.rstrip().splitlines()[-1]
    if what == "alive":  # the positive control: a backend that still runs leaves the API's own error alone
        assert "ResourceNotFoundException" in last and "hostlab:" not in result.stderr, result.stderr
        return
    # The original traceback is still there, above. (A restarted backend that happened to get the old port
    # back would answer ResourceNotFoundException instead: the line below is the same.)
    assert "Traceback" in result.stderr
    assert "EndpointConnectionError" in result.stderr or what == "restarted"
    assert last.startswith("hostlab: the local backend at http://127.0.0.1:"), result.stderr
    if what == "killed":
        assert last.endswith(STOPPED_LINE + ", from its first cell, then the notebook you were in")
    else:
        now = lifecycle.current(settings_for(home))
        assert f"it was restarted (a new, empty one runs at {now.api_url} since {now.started_at})" in last
        assert "run notebooks/01-create-service.ipynb again" in last


def test_a_notebook_says_when_its_backend_went_away(home, monkeypatch):
    """In a Jupyter kernel: the cell's error is the one line (an IPython custom exception handler that
    connect() installs); an API error while the backend runs stays as it was; connect() again says that the
    backend it started is empty."""
    import nbformat
    from nbclient import NotebookClient

    from hostlab.backend import STARTED_EMPTY
    from hostlab.tutorial.notebook_runner import kernel_config

    for name, value in isolated_env(home).items():
        if name.startswith("HOSTLAB_"):
            monkeypatch.setenv(name, value)  # the kernel inherits this process's environment
    cells = [
        "import boto3, hostlab\nfrom botocore.config import Config\nhostlab.connect()\n"
        "apprunner = boto3.client('apprunner', config=Config(retries={'max_attempts': 1}))",
        f"apprunner.describe_service(ServiceArn='{MISSING_SERVICE}')",
        "from hostlab.local import lifecycle\nfrom hostlab.settings import Settings\n"
        "lifecycle.down(Settings.from_env(), note=print)",
        "apprunner.list_services()",
        "hostlab.connect();",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    client = NotebookClient(nb, config=kernel_config(), kernel_name="python3", timeout=120, allow_errors=True)
    client.execute()
    outputs = [cell.outputs for cell in nb.cells]

    connected = outputs[0][0]["text"].splitlines()
    assert connected[0] == "hostlab: local backend (region us-east-1, seed 42)"
    assert connected[1] == f"hostlab: {STARTED_EMPTY}"
    api_error = outputs[1][0]
    assert api_error["output_type"] == "error" and api_error["ename"] == "ResourceNotFoundException"
    assert "stopped the local backend" in outputs[2][0]["text"]
    gone = outputs[3][0]
    assert gone["output_type"] == "error" and gone["ename"] == "BackendGoneError"
    assert gone["evalue"].startswith("hostlab: the local backend at http://127.0.0.1:")
    assert STOPPED_LINE in gone["evalue"]
    assert gone["traceback"][0] == gone["evalue"]
    assert gone["traceback"][1].startswith("(the error was EndpointConnectionError: Could not connect")
    # The next connect() starts a new backend, and says it is empty (first line unchanged).
    assert outputs[4][0]["text"].splitlines() == connected


def test_connect_to_a_running_backend_prints_one_line(backend, monkeypatch, capsys, restored_environ):
    """The started-empty line is only for a backend connect() itself started (positive control of the
    notebook test above, where it did)."""
    import hostlab.local.gone as gone

    gone.remember(None)
    connect()
    assert capsys.readouterr().out == "hostlab: local backend (region us-east-1, seed 42)\n"
    assert gone.connected() == backend
