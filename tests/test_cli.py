"""`hostlab up | env | status | down` through the real console script, in subprocesses, each test with its
own backend in a temporary HOSTLAB_HOME on free ports."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from lifecycle_helpers import (
    HOSTLAB,
    alive,
    isolated_env,
    parse_exports,
    run_cli,
    server_processes,
    stop_backend,
)


@pytest.fixture
def home(tmp_path):
    # A space in the path: the export lines must be quoted for `eval` to work.
    path = tmp_path / "state folder"
    yield path
    stop_backend(path)


def test_up_env_status_down_round_trip(home):
    env = isolated_env(home)

    up = run_cli(env, "up")
    assert up.returncode == 0, up.stderr
    assert all(line.startswith("export ") for line in up.stdout.splitlines()), up.stdout
    assert "started local backend" in up.stderr  # human text on stderr only
    from hostlab.checkout import checkout_root

    pid = json.loads((home / "state.json").read_text())["pid"]
    assert f"(pid {pid}) for checkout {checkout_root()}, new and empty" in up.stderr
    exported = parse_exports(up.stdout)
    assert exported["HOSTLAB_HOME"] == str(home)
    assert exported["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert exported["HTTPS_PROXY"].startswith("http://127.0.0.1:")
    assert exported["http_proxy"] == exported["HTTPS_PROXY"]
    assert exported["NO_PROXY"] == "127.0.0.1,localhost"
    assert exported["REQUESTS_CA_BUNDLE"] == exported["SSL_CERT_FILE"] == exported["CURL_CA_BUNDLE"]
    assert "BEGIN CERTIFICATE" in Path(exported["CURL_CA_BUNDLE"]).read_text()
    assert exported["AWS_DEFAULT_REGION"] == exported["AWS_REGION"] == "us-east-1"

    # A plain boto3 script in the prepared shell reaches the backend (STS is moto's own: account 1234...).
    script = "import boto3; print(boto3.client('sts').get_caller_identity()['Account'])"
    shell = f'{up.stdout}\n"{sys.executable}" -c "{script}"'
    reached = subprocess.run(["sh", "-c", shell], capture_output=True, text=True, timeout=60)
    assert reached.stdout.strip() == "123456789012", reached.stderr

    again = run_cli(env, "up")
    assert again.returncode == 0 and "already running" in again.stderr
    assert again.stdout == up.stdout  # the same backend

    assert run_cli(env, "env").stdout == up.stdout

    status = run_cli(env, "status")
    state = json.loads((home / "state.json").read_text())
    assert status.returncode == 0
    assert f"pid {state['pid']}" in status.stdout and exported["AWS_ENDPOINT_URL"] in status.stdout
    assert state["started_at"] in status.stdout

    down = run_cli(env, "down")
    assert down.returncode == 0, down.stderr
    assert "stopped" in down.stderr
    assert not alive(state["pid"])
    assert not home.exists()
    assert server_processes(home) == []

    assert run_cli(env, "down").returncode == 0  # idempotent
    stopped = run_cli(env, "status")
    assert stopped.returncode == 3 and "not running" in stopped.stdout


def test_up_never_holds_the_callers_pipes(home):
    """`$(hostlab up)` and CI steps read until the pipes close: the backend must not inherit them."""
    env = isolated_env(home)
    # Popen + communicate: returns only once stdout and stderr reach EOF, i.e. nobody holds them any more.
    proc = subprocess.Popen(
        [HOSTLAB, "up"], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        out, _ = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("the pipes of `hostlab up` stayed open: the backend inherited them")
    assert proc.returncode == 0
    state = json.loads((home / "state.json").read_text())
    assert alive(state["pid"])  # the pipes closed while the backend keeps running
    assert b"AWS_ENDPOINT_URL" in out


def test_env_and_status_without_a_backend(home):
    env = isolated_env(home)
    result = run_cli(env, "env")
    assert result.returncode == 3
    assert result.stdout == ""  # nothing for eval to run
    assert "hostlab up" in result.stderr
    assert run_cli(env, "status").returncode == 3


@pytest.mark.parametrize("variable", ["HOSTLAB_PORT", "HOSTLAB_PROXY_PORT"])
def test_port_taken_is_named_with_its_variable(home, variable):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = run_cli(isolated_env(home, **{variable: str(port)}), "up")
    assert result.returncode == 1
    assert f"port {port}" in result.stderr and variable in result.stderr
    assert result.stdout == ""
    assert not (home / "server.pid").exists()  # checked before spawning: no server was started
    assert server_processes(home) == []


def test_server_reports_its_own_bind_error(home):
    """If the port is taken after `up` checked it, the server's log says so, naming the variable."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        env = isolated_env(home, HOSTLAB_PROXY_PORT=str(port))
        home.mkdir(parents=True)
        server = subprocess.run(
            [sys.executable, "-m", "hostlab.local.server"], env=env, capture_output=True, timeout=60
        )
    assert server.returncode == 98
    log = (home / "server.log").read_text()
    assert f"port {port} on 127.0.0.1 is already in use" in log and "HOSTLAB_PROXY_PORT" in log
    assert not (home / "server.pid").exists()


def test_bad_settings_and_backend_choice_are_usage_errors(home):
    bad_port = run_cli(isolated_env(home, HOSTLAB_PORT="forty"), "up")
    assert bad_port.returncode == 2 and "HOSTLAB_PORT='forty' is not an integer" in bad_port.stderr
    no_port = run_cli(isolated_env(home, HOSTLAB_PROXY_PORT="70000"), "up")
    assert no_port.returncode == 2 and "HOSTLAB_PROXY_PORT=70000 is not a TCP port" in no_port.stderr
    aws = run_cli(isolated_env(home, HOSTLAB_BACKEND="aws"), "up")
    assert aws.returncode == 2 and "HOSTLAB_BACKEND=aws" in aws.stderr
    unknown = run_cli(isolated_env(home, HOSTLAB_BACKEND="localstack"), "up")
    assert unknown.returncode == 2 and "'local'" in unknown.stderr and "'aws'" in unknown.stderr
    assert not home.exists()


def test_no_command_prints_usage():
    result = subprocess.run([HOSTLAB], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "up,env,status,down" in result.stderr



def test_status_names_the_checkout_and_its_code(home):
    from hostlab.checkout import checkout_root, package_dir, revision

    env = isolated_env(home)
    assert run_cli(env, "up").returncode == 0
    status = run_cli(env, "status")
    assert status.returncode == 0
    lines = status.stdout.splitlines()
    assert f"  checkout:     {checkout_root()}" in lines
    code = [line for line in lines if line.startswith("  code:")]
    assert code and code[0].startswith(f"  code:         {package_dir()} (hostlab ")
    if revision(checkout_root()):  # a git checkout: the revision too (a copy of the tree has none)
        assert f", git {revision(checkout_root())})" in code[0]


# ---------------------------------------------------------------------------------------------------------
# Rough edges: `down` on the aws backend, the test-aws guard's message, the kernel's TCP warning
# ---------------------------------------------------------------------------------------------------------


def test_down_with_the_aws_backend_stops_nothing(home):
    env = isolated_env(home)
    up = run_cli(env, "up")
    assert up.returncode == 0
    pid = json.loads((home / "state.json").read_text())["pid"]

    down = run_cli({**env, "HOSTLAB_BACKEND": "aws"}, "down")
    assert down.returncode == 0
    assert "HOSTLAB_BACKEND=aws is set: there is no local backend to stop, so nothing was stopped" in (
        down.stderr
    )
    assert alive(pid) and run_cli(env, "status").returncode == 0  # the local backend is untouched

    local = run_cli(env, "down")  # the positive control: without HOSTLAB_BACKEND=aws it stops
    assert local.returncode == 0 and "stopped the local backend" in local.stderr
    assert not alive(pid)


def test_aws_guard_refusal_is_one_line_not_an_internal_error(tmp_path):
    """`make test-aws` without HOSTLAB_AWS_ACCOUNT: pytest's one-line usage error, exit code 4."""
    notebook = tmp_path / "empty.ipynb"
    notebook.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}')
    env = {k: v for k, v in isolated_env(tmp_path / "home").items() if k != "HOSTLAB_AWS_ACCOUNT"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "hostlab.tutorial.pytest_notebooks", "--nbval",
        "--nbval-current-env",
         "-p", "no:cacheprovider", str(notebook)],
        env={**env, "HOSTLAB_BACKEND": "aws"}, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    output = (result.stdout + result.stderr).strip()
    assert result.returncode == 4, output
    assert "INTERNALERROR" not in output and "Traceback" not in output
    assert output.splitlines() == [
        "ERROR: hostlab: HOSTLAB_BACKEND=aws needs HOSTLAB_AWS_ACCOUNT=<the 12-digit ID of your sandbox "
        "account>: the tutorial creates and deletes real resources and runs only where you said it may"
    ]


KERNEL_RUN = """
import sys
import nbformat
from nbclient import NotebookClient
from hostlab.tutorial.notebook_runner import kernel_config
nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")])
config = kernel_config() if sys.argv[1] == "runner" else None
NotebookClient(nb, kernel_name="python3", timeout=60, **({"config": config} if config else {})).execute()
assert nb.cells[0].outputs[0]["text"] == "42\\n"
"""


@pytest.mark.parametrize("how", ["runner", "nbclient-default"])
def test_kernels_of_the_notebook_runner_are_encrypted_and_quiet(how):
    """ipykernel warns "Kernel is running over TCP without encryption" on the terminal for every kernel
    without CurveZMQ keys; the notebook runner's kernels get keys (positive control: nbclient's defaults
    still warn, so the check below can see the warning)."""
    import zmq

    if how == "runner" and not zmq.has("curve"):
        pytest.skip("this pyzmq has no CurveZMQ: the runner's kernels cannot be encrypted (and still warn)")
    result = subprocess.run(
        [sys.executable, "-c", KERNEL_RUN, how], capture_output=True, text=True, timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    warned = "Kernel is running over TCP without encryption" in result.stderr
    assert warned == (how == "nbclient-default"), result.stderr
