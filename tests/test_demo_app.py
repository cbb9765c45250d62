"""The demo app and its App Runner source configuration.

The app is started the way App Runner starts it: the StartCommand from source_configuration(), with the
RuntimeEnvironmentVariables it carries, read both as a shell would and as shell-words (the two readings the
start command is written for). Every request has a timeout.
"""

from __future__ import annotations

import errno
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time

import botocore.session
import pytest
import requests
from botocore.validate import ParamValidator

import hostlab.app as demo
from hostlab.app import demo_app

TIMEOUT = 10
# Starts of the demo app on a port found free that another process took first (see _start).
PORT_ATTEMPTS = 3


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start(env_vars: dict[str, str], *, shell: bool) -> tuple[subprocess.Popen, str]:
    """Run the demo app exactly as its StartCommand says, with ``python3`` meaning this interpreter.

    The free port is found by binding port 0 and closing it, so another process of a parallel test run can
    take it before the app binds: that start (and only that one, "Address already in use") is tried again
    on another port."""
    for _attempt in range(PORT_ATTEMPTS):
        started = _start_on(_free_port(), env_vars, shell=shell)
        if started is not None:
            return started
    raise AssertionError(f"the demo app found its port taken {PORT_ATTEMPTS} times")


def _start_on(port: int, env_vars: dict[str, str], *, shell: bool) -> tuple[subprocess.Popen, str] | None:
    env = {"PATH": os.environ["PATH"], **env_vars, "PORT": str(port), "HOSTLAB_APP_BIND": "127.0.0.1"}
    command = demo.START_COMMAND
    assert command.startswith("python3 ")
    if shell:
        argv = ["/bin/sh", "-c", command.replace("python3", shlex.quote(sys.executable), 1)]
    else:
        argv = [sys.executable, *shlex.split(command)[1:]]
    # Own process group: with sh -c the app may be a child of the shell, and killing the group stops both.
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            errors = process.stderr.read().decode()
            process.stderr.close()
            if f"[Errno {errno.EADDRINUSE}]" in errors:
                return None
            raise AssertionError(errors)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return process, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.02)
    os.killpg(process.pid, signal.SIGKILL)
    raise AssertionError("the demo app did not listen in time")


@pytest.fixture
def run_app():
    started = []

    def run(env: dict[str, str] | None = None, *, origin_secret: str | None = None, shell: bool = False):
        variables = demo.runtime_environment(env=env, origin_secret=origin_secret)
        process, base = _start(variables, shell=shell)
        started.append(process)
        session = requests.Session()
        session.trust_env = False  # no proxy or CA bundle from the environment: this is plain loopback HTTP
        return session, base

    yield run
    for process in started:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=TIMEOUT)
        process.stderr.close()


# -- the source configuration -------------------------------------------------------------------------------


def test_source_configuration_is_valid_create_service_input():
    config = demo.source_configuration(port=8081, env={"APP_NAME": "x"}, origin_secret="s3cret")
    model = botocore.session.get_session().get_service_model("apprunner")
    create_service = model.operation_model("CreateService").input_shape
    report = ParamValidator().validate({"ServiceName": "demo", "SourceConfiguration": config}, create_service)
    assert not report.has_errors(), report.generate_report()

    image = config["ImageRepository"]
    shapes = model.shape_for("ImageRepository").members
    # botocore validates neither patterns nor maxima on the client: check them against the model here.
    assert re.fullmatch(shapes["ImageIdentifier"].metadata["pattern"], image["ImageIdentifier"])
    assert image["ImageRepositoryType"] == "ECR_PUBLIC"
    values = image["ImageConfiguration"]
    assert re.fullmatch(model.shape_for("StartCommand").metadata["pattern"], values["StartCommand"])
    assert values["Port"] == "8081"
    variables = values["RuntimeEnvironmentVariables"]
    limit = model.shape_for("RuntimeEnvironmentVariablesValue").metadata["max"]
    assert all(len(value) <= limit for value in variables.values())
    assert variables["PORT"] == "8081"
    assert variables["ORIGIN_SECRET"] == "s3cret"
    assert variables["ORIGIN_SECRET_HEADER"] == "x-origin-secret"
    assert variables["APP_NAME"] == "x"
    assert config["AutoDeploymentsEnabled"] is False


def test_the_shipped_code_is_exactly_demo_app_py():
    variables = demo.runtime_environment()
    assert demo.decode_source(variables[demo.SOURCE_VAR]) == demo.DEMO_APP_PATH.read_text()


def test_the_demo_app_imports_nothing_from_hostlab():
    source = demo.DEMO_APP_PATH.read_text()
    assert not re.search(r"^\s*(from|import)\s+hostlab", source, re.MULTILINE)


def test_builder_rejects_what_the_api_rejects():
    with pytest.raises(ValueError, match="reserved"):
        demo.source_configuration(env={"AWSAPPRUNNER_X": "1"})
    with pytest.raises(ValueError, match="51200"):
        demo.source_configuration(env={"BIG": "x" * 51201})


def test_secrets_go_to_runtime_environment_secrets():
    arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:origin-AbCdEf"
    config = demo.source_configuration(secrets={"ORIGIN_SECRET": arn})
    values = config["ImageRepository"]["ImageConfiguration"]
    assert values["RuntimeEnvironmentSecrets"] == {"ORIGIN_SECRET": arn}
    assert "ORIGIN_SECRET" not in values["RuntimeEnvironmentVariables"]


# -- the start command, both readings -----------------------------------------------------------------------


@pytest.mark.parametrize("shell", [True, False], ids=["sh -c", "shell-words"])
def test_start_command_runs_the_app_from_the_environment(run_app, shell):
    session, base = run_app(shell=shell)
    answer = session.get(f"{base}/healthz", timeout=TIMEOUT)
    assert (answer.status_code, answer.text) == (200, "ok\n")


# -- endpoints ----------------------------------------------------------------------------------------------


def test_echo_reports_host_headers_path_and_public_url(run_app):
    session, base = run_app()
    headers = {"Host": "svc.example", "X-Custom": "Yes"}
    answer = session.get(f"{base}/echo?a=1", headers=headers, timeout=TIMEOUT)
    echo = answer.json()
    assert answer.headers["content-type"] == "application/json"
    assert echo["host"] == "svc.example"
    assert echo["path"] == "/echo"
    assert echo["query"] == "a=1"
    assert echo["headers"]["x-custom"] == "Yes"
    assert all(name == name.lower() for name in echo["headers"])
    assert echo["public_url"] == "http://svc.example/echo?a=1"


def test_public_url_uses_forwarded_proto(run_app):
    session, base = run_app()
    echo = session.get(f"{base}/echo", headers={"Host": "h.example", "X-Forwarded-Proto": "https"},
                       timeout=TIMEOUT).json()
    assert echo["public_url"] == "https://h.example/echo"


def test_forwarded_host_is_ignored_without_a_secret(run_app):
    session, base = run_app()
    echo = session.get(f"{base}/echo", headers={"Host": "origin.example", "X-Forwarded-Host": "evil.example"},
                       timeout=TIMEOUT).json()
    assert echo["public_host"] == "origin.example"
    assert echo["public_host_from"] == "host"
    assert echo["client"]["x_forwarded_host"] == "evil.example"


def test_login_redirects_to_an_absolute_url_of_the_host_it_believes(run_app):
    session, base = run_app()
    answer = session.get(f"{base}/login?user=alice", headers={"Host": "abc.us-east-1.awsapprunner.com",
                                                               "X-Forwarded-Proto": "https"},
                         allow_redirects=False, timeout=TIMEOUT)
    assert answer.status_code == 302
    assert answer.headers["location"] == "https://abc.us-east-1.awsapprunner.com/account"
    assert answer.headers["set-cookie"].startswith("user=alice;")


def test_account_is_personal_per_cookie_with_a_framework_like_cache_control(run_app):
    session, base = run_app()
    alice = session.get(f"{base}/account", cookies={"user": "alice"}, timeout=TIMEOUT)
    bob = session.get(f"{base}/account", cookies={"user": "bob"}, timeout=TIMEOUT)
    guest = session.get(f"{base}/account", timeout=TIMEOUT)
    assert "Hello, alice" in alice.text and "Hello, bob" in bob.text and "Hello, guest" in guest.text
    assert alice.headers["cache-control"] == "max-age=0, private, must-revalidate"


def test_account_cache_control_can_be_left_out(run_app):
    session, base = run_app({"ACCOUNT_CACHE_CONTROL": "none"})
    answer = session.get(f"{base}/account", cookies={"user": "<script>"}, timeout=TIMEOUT)
    assert "cache-control" not in answer.headers
    assert "Hello, &lt;script&gt;" in answer.text


def test_static_is_public_and_each_origin_answer_differs(run_app):
    session, base = run_app({"STATIC_MAX_AGE": "600"})
    first = session.get(f"{base}/static/app.css", timeout=TIMEOUT)
    second = session.get(f"{base}/static/app.css", timeout=TIMEOUT)
    assert first.headers["cache-control"] == "public, max-age=600"
    assert first.headers["content-type"] == "text/css"
    assert first.text != second.text  # so a cache hit downstream is visible in the body


def test_status_and_slow_helpers(run_app):
    session, base = run_app()
    assert session.get(f"{base}/status/503", timeout=TIMEOUT).status_code == 503
    assert session.get(f"{base}/status/99", timeout=TIMEOUT).status_code == 400
    assert session.get(f"{base}/slow?seconds=0.1", timeout=TIMEOUT).text == "slept 0.1 s\n"
    assert session.get(f"{base}/nope", timeout=TIMEOUT).status_code == 404


def test_check_route_form_serves_the_route_after_the_marker_under_any_prefix(run_app):
    session, base = run_app()
    account = session.get(f"{base}/api/hostlab-check/account/n1", cookies={"user": "alice"}, timeout=TIMEOUT)
    error = session.get(f"{base}/hostlab-check/status/503/n2.jpg", timeout=TIMEOUT)
    echo = session.get(f"{base}/static/hostlab-check/echo/n3?x=1", timeout=TIMEOUT).json()
    static = session.get(f"{base}/x/hostlab-check/static/app.css", timeout=TIMEOUT)
    assert "Hello, alice" in account.text
    assert error.status_code == 503
    assert echo["path"] == "/static/hostlab-check/echo/n3" and echo["query"] == "x=1"
    assert static.headers["content-type"] == "text/css"
    # Positive controls: without the marker, or with an unknown route, the path is what it says.
    assert session.get(f"{base}/api/account/n1", timeout=TIMEOUT).status_code == 404
    assert session.get(f"{base}/hostlab-check/nope/n4", timeout=TIMEOUT).status_code == 404


def test_check_route_form_has_no_health_check_bypassing_the_secret(run_app):
    session, base = run_app(origin_secret="s3cret")
    assert session.get(f"{base}/hostlab-check/healthz/n1", timeout=TIMEOUT).status_code == 403
    assert session.get(f"{base}/hostlab-check/echo/n1", timeout=TIMEOUT).status_code == 403
    assert session.get(f"{base}/healthz", timeout=TIMEOUT).status_code == 200


def test_bodies_with_length_and_chunked_are_read(run_app):
    session, base = run_app()
    sized = session.post(f"{base}/echo", data=b"x" * 1000, timeout=TIMEOUT).json()
    chunked = session.post(f"{base}/echo", data=iter([b"ab", b"cde"]), timeout=TIMEOUT).json()
    assert sized["body_bytes"] == 1000
    assert chunked["body_bytes"] == 5
    # The connection stays usable after a chunked body (the chunks were consumed, not left in the stream).
    assert session.get(f"{base}/healthz", timeout=TIMEOUT).status_code == 200


# -- origin-bypass protection -------------------------------------------------------------------------------


def test_secret_header_is_required_when_configured(run_app):
    session, base = run_app(origin_secret="s3cret")

    def status(secret: str | None) -> int:
        headers = {"x-origin-secret": secret} if secret is not None else {}
        return session.get(f"{base}/echo", headers=headers, timeout=TIMEOUT).status_code

    assert (status(None), status("wrong"), status("s3cret")) == (403, 403, 200)
    # App Runner's health check reaches the container directly, without the CDN's secret.
    assert session.get(f"{base}/healthz", timeout=TIMEOUT).status_code == 200


def test_forwarded_host_is_trusted_only_with_the_secret(run_app):
    session, base = run_app(origin_secret="s3cret")
    headers = {"Host": "abc.us-east-1.awsapprunner.com", "X-Forwarded-Host": "www.example.com",
               "X-Forwarded-Proto": "https", "x-origin-secret": "s3cret"}
    echo = session.get(f"{base}/echo", headers=headers, timeout=TIMEOUT).json()
    assert echo["public_url"] == "https://www.example.com/echo"
    assert echo["public_host_from"] == "x-forwarded-host"
    assert echo["origin_secret"]["matched"] is True
    # The echo goes back to viewers: it must never show them the secret.
    assert echo["headers"]["x-origin-secret"] == "(redacted)"
    assert "s3cret" not in session.get(f"{base}/echo", headers=headers, timeout=TIMEOUT).text
    login = session.get(f"{base}/login", headers=headers, allow_redirects=False, timeout=TIMEOUT)
    assert login.headers["location"] == "https://www.example.com/account"


def test_secret_comparison():
    assert demo_app.secret_matches("abc", "abc")
    assert not demo_app.secret_matches("abd", "abc")
    assert not demo_app.secret_matches(None, "abc")
    assert not demo_app.secret_matches("ab", "abc")
    assert not demo_app.secret_matches("é", "e")


def test_custom_secret_header_name(run_app):
    session, base = run_app({"ORIGIN_SECRET_HEADER": "X-CDN-Key", "ORIGIN_SECRET": "k"})
    assert session.get(f"{base}/echo", headers={"x-origin-secret": "k"}, timeout=TIMEOUT).status_code == 403
    assert session.get(f"{base}/echo", headers={"X-CDN-Key": "k"}, timeout=TIMEOUT).status_code == 200
