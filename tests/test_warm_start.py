"""The warm starter (hostlab.local.warm_start): a backend it forks is arranged as a spawned one is, it refuses
what it cannot serve faithfully (the caller then spawns), it reports a failed start as Popen would, it ends
with the process that started it, and it preloads no module the control plane must see being imported.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import boto3
import psutil
import pytest
from lifecycle_helpers import settings_for, stop_backend, wait_until

from hostlab.local import lifecycle, procs, warm_start
from hostlab.local.controlplane import moto_glue

WAYS = ("forked", "spawned")
# tests/conftest.py uses a warm starter on Linux only (why: there); elsewhere every backend is spawned.
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the suite uses a warm starter on Linux only")


@pytest.fixture
def socket_path():
    path = warm_start.new_socket_path()
    yield path
    shutil.rmtree(path.parent, ignore_errors=True)


@pytest.fixture
def starter(socket_path, monkeypatch):
    """A warm starter of this test's own, named by HOSTLAB_WARM_STARTER; stopped after the test."""
    proc = warm_start.start(socket_path, lifecycle.backend_process_env(os.environ))
    monkeypatch.setenv(warm_start.STARTER_VARIABLE, str(socket_path))
    yield proc
    warm_start.stop(proc)


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "home"
    yield path
    stop_backend(path)


def starter_log(starter: subprocess.Popen) -> str:
    return Path(f"{starter.args[-1]}.log").read_text()  # the socket's path is its last argument


def choose(way: str, monkeypatch) -> None:
    if way == "spawned":
        monkeypatch.delenv(warm_start.STARTER_VARIABLE)


@pytest.mark.parametrize("way", WAYS)
def test_a_backend_is_arranged_the_same_way_forked_or_spawned(way, starter, home, monkeypatch):
    choose(way, monkeypatch)
    settings = settings_for(home)
    state = lifecycle.up(settings)
    server = psutil.Process(state.pid)
    # Which way it came: the starter is the parent of a forked backend, this test process of a spawned one.
    assert server.ppid() == (starter.pid if way == "forked" else os.getpid())
    assert (f"backend pid {state.pid} " in starter_log(starter)) == (way == "forked")

    assert procs.is_hostlab_server(state.pid)
    assert Path(server.cwd()) == home
    assert os.getsid(state.pid) == state.pid and os.getpgid(state.pid) == state.pid  # a session of its own
    if sys.platform == "linux":
        fds = {fd: os.readlink(f"/proc/{state.pid}/fd/{fd}") for fd in (0, 1, 2)}
        assert fds == {0: os.devnull, 1: str(settings.log_file), 2: str(settings.log_file)}
    log = settings.log_file.read_text()
    assert f"starting (pid {state.pid}) in {home}" in log and "ready: API" in log
    # It read the caller's settings, not the starter's environment.
    assert state.home == str(home) and state.settings["HOSTLAB_HOME"] == str(home)
    assert lifecycle.answers(state.api_url)
    # moto_glue's patches of moto.iam.models hold, though a starter imported that module before install():
    # IAM knows the tutorial's AWS managed policies and no other.
    iam = boto3.client("iam", endpoint_url=state.api_url, region_name="us-east-1")
    tutorial = f"arn:aws:iam::aws:policy/service-role/{moto_glue.AWS_MANAGED_POLICIES[0]}"
    assert iam.get_policy(PolicyArn=tutorial)["Policy"]["Arn"] == tutorial
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")

    handle = procs._spawned[state.pid]
    assert handle.poll() is None
    assert lifecycle.down(settings, note=lambda _: None)
    assert handle.wait(timeout=30) == 0  # the exit code of a clean stop, as Popen reports it


@pytest.mark.parametrize("way", WAYS)
def test_a_backend_that_dies_while_starting_reports_its_code_and_log(way, starter, home, monkeypatch):
    choose(way, monkeypatch)
    home.mkdir()
    (home / "ca").write_text("a file where the CA folder belongs")  # the server cannot create its CA
    with pytest.raises(lifecycle.BackendDiedError) as failed:
        lifecycle.up(settings_for(home))
    assert "exited with code 1 while starting" in str(failed.value)
    assert "FileExistsError" in str(failed.value)  # the tail of server.log
    assert ("backend pid" in starter_log(starter)) == (way == "forked")


def test_a_request_from_another_environment_is_spawned(starter, home, monkeypatch):
    # moto reads MOTO_ACM_VALIDATION_WAIT when moto.settings is imported: the starter imported it already.
    monkeypatch.setenv("MOTO_ACM_VALIDATION_WAIT", "5")
    state = lifecycle.up(settings_for(home))
    assert psutil.Process(state.pid).ppid() == os.getpid()
    assert "refused: environment differs in MOTO_ACM_VALIDATION_WAIT" in starter_log(starter)
    assert lifecycle.down(settings_for(home), note=lambda _: None)

    # Control: variables read at run time may differ, and the backend is forked.
    monkeypatch.delenv("MOTO_ACM_VALIDATION_WAIT")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "7")
    state = lifecycle.up(settings_for(home, HOSTLAB_SEED="7"))
    assert psutil.Process(state.pid).ppid() == starter.pid


def test_a_request_from_other_code_is_refused(starter):
    asked = {"env": dict(os.environ), "cwd": "/", "log": os.devnull, "code": "/another/checkout/src/hostlab",
             "python": "python"}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(warm_start.ANSWER_SECONDS)
        connection.connect(os.environ[warm_start.STARTER_VARIABLE])
        connection.sendall(json.dumps(asked).encode() + b"\n")
        reply = json.loads(connection.makefile().readline())
    assert reply == {"refused": "other code (/another/checkout/src/hostlab, python)"}


def test_no_starter_or_a_gone_one_means_spawning(tmp_path, monkeypatch):
    env = lifecycle.backend_process_env(os.environ)
    monkeypatch.delenv(warm_start.STARTER_VARIABLE, raising=False)
    assert warm_start.request(env, tmp_path, tmp_path / "log") is None
    monkeypatch.setenv(warm_start.STARTER_VARIABLE, str(tmp_path / "nothing-listens.sock"))
    assert warm_start.request(env, tmp_path, tmp_path / "log") is None


def test_the_starter_ends_with_the_process_that_started_it(socket_path):
    script = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from hostlab.local import lifecycle, warm_start\n"
        "proc = warm_start.start(Path(sys.argv[1]), lifecycle.backend_process_env(os.environ))\n"
        "print(proc.pid)\n"  # and exit without stopping it
    )
    done = subprocess.run([sys.executable, "-c", script, str(socket_path)], capture_output=True, text=True,
                          check=True, timeout=60)
    pid = int(done.stdout)
    assert wait_until(lambda: not procs.is_running(pid), timeout=15)


def test_the_starter_preloads_no_module_the_control_plane_must_see_imported(tmp_path):
    """A module the control plane imports inside a context (moto_glue.while_importing) must be imported by
    the backend itself, after install(): the starter's preload may hold none of them. (A module with
    after_import patches only may be preloaded: install() patches it at once.)"""
    hooks = (
        "import json, sys\n"
        "from hostlab.local.controlplane import install, moto_glue\n"
        "from hostlab.settings import Settings\n"
        "install(Settings.from_env({'HOSTLAB_HOME': sys.argv[1]}))\n"
        "found = {f.name: bool(f.contexts) for f in sys.meta_path if isinstance(f, moto_glue._ImportHook)}\n"
        "print(json.dumps(found))\n"
    )
    preload = (
        "import json, sys, threading\n"
        "from hostlab.local import server\n"
        "server.preload()\n"
        "print(json.dumps({'modules': sorted(sys.modules), 'threads': threading.active_count()}))\n"
    )
    hooked = json.loads(run_python(hooks, str(tmp_path)))  # a fresh process: nothing preloaded
    preloaded = json.loads(run_python(preload))
    inside_a_context = {name for name, has_contexts in hooked.items() if has_contexts}
    assert "moto.ec2.models.availability_zones_and_regions" in inside_a_context  # the check sees them
    assert inside_a_context & set(preloaded["modules"]) == set()
    assert set(server_startup_modules()) | {"moto.iam.models"} <= set(preloaded["modules"])
    assert preloaded["threads"] == 1  # a fork copies no other thread's locks


def run_python(script: str, *args: str) -> str:
    return subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=True,
                          timeout=120).stdout


def server_startup_modules() -> tuple[str, ...]:
    from hostlab.local.server import STARTUP_MODULES

    return STARTUP_MODULES


def test_the_test_session_forks_its_backends(backend):
    """tests/conftest.py starts a warm starter: the session's own backend came from it."""
    parent = psutil.Process(psutil.Process(backend.pid).ppid())
    assert "--warm-starter" in parent.cmdline()
    assert os.environ[warm_start.STARTER_VARIABLE] in parent.cmdline()
