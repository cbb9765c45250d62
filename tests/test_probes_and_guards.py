"""probes (what the notebooks print of a response, TLS version probing) and the aws backend's guards."""

from __future__ import annotations

import re
import socket
import ssl
import threading

import boto3
import pytest
import trustme
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from requests.structures import CaseInsensitiveDict

from hostlab import aws_guard, probes


def _probe(status=200, headers=None, body=b""):
    return probes.Probe(
        "https://d111111abcdef8.cloudfront.net/echo", status, CaseInsensitiveDict(headers or {}), body
    )


def test_summary_and_fields():
    p = _probe(404, {"Server": "envoy"})
    assert p.summary("server", "x-cache") == "404  server: envoy  x-cache: -  body: 0 bytes"
    assert p.summary(body=False) == "404"
    page = _probe(502, body=b"<HTML><HEAD><TITLE>ERROR: The request\n could not be satisfied</TITLE>")
    assert page.title == "ERROR: The request could not be satisfied"
    assert _probe(body=b"<title>Account</title><h1>Hello, alice</h1>").h1 == "Hello, alice"
    assert _probe(body=b"not json").echo() == {}


def test_show_prints_chosen_echo_fields(capsys):
    p = _probe(body=b'{"host": "x.awsapprunner.com", "headers": {"via": "1.1 abc.cloudfront.net"}}')
    probes.show(p, headers=["content-type"], echo=["host", "headers.via", "headers.missing"])
    assert capsys.readouterr().out.splitlines() == [
        "/echo -> 200",
        "  content-type: -",
        "  echo.host: x.awsapprunner.com",
        "  echo.headers.via: 1.1 abc.cloudfront.net",
        "  echo.headers.missing: -",
    ]


@pytest.fixture
def tls12_server(tmp_path, monkeypatch):
    """A TLS server on loopback (port 0) that accepts TLS 1.2 only, trusted through REQUESTS_CA_BUNDLE."""
    ca = trustme.CA()
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ca.issue_cert("localhost").configure_cert(ctx)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(5)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            conn.settimeout(5)
            try:
                with ctx.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    listener.close()
    thread.join(timeout=10)


def test_tls_accepts_tells_versions_apart(tls12_server):
    assert probes.tls_accepts("localhost", "TLSv1.2", port=tls12_server, timeout=5)
    assert not probes.tls_accepts("localhost", "TLSv1", port=tls12_server, timeout=5)


# ---------------------------------------------------------------------------------------------------------
# aws_guard
# ---------------------------------------------------------------------------------------------------------


def _stubbed_apprunner():
    client = boto3.client("apprunner", region_name="us-east-1")
    return aws_guard.explained(client), Stubber(client)


def test_app_runner_refusal_becomes_a_message_with_what_to_do():
    client, stub = _stubbed_apprunner()
    stub.add_client_error("list_services", "AccessDeniedException", "not authorized", 400)
    with stub, pytest.raises(aws_guard.AppRunnerRefusedError) as refused:
        client.list_services()
    text = str(refused.value)
    assert "ListServices" in text and "AccessDeniedException" in text
    assert "closed to new customers since 2026-04-30" in text
    assert "local backend" in text and "ECS Express Mode" in text


def test_other_app_runner_errors_stay_client_errors():
    client, stub = _stubbed_apprunner()
    stub.add_client_error("describe_service", "ResourceNotFoundException", "no such service", 400)
    with stub, pytest.raises(ClientError) as error:
        client.describe_service(ServiceArn="arn:aws:apprunner:us-east-1:123456789012:service/x/0123")
    assert not isinstance(error.value, aws_guard.AppRunnerRefusedError)


def test_a_message_about_new_customers_is_a_refusal_whatever_its_code():
    assert aws_guard.refusal_message("CreateService", "InvalidRequestException", "Not open to new customers")
    assert aws_guard.refusal_message("CreateService", "InvalidRequestException", "bad name") is None


def test_region_order():
    assert (
        aws_guard.resolve_region({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-west-2"})
        == "eu-west-1"
    )
    assert aws_guard.resolve_region({"AWS_DEFAULT_REGION": "us-west-2"}) == "us-west-2"


def test_refuses_without_the_account_variable():
    with pytest.raises(aws_guard.SandboxError, match="HOSTLAB_AWS_ACCOUNT"):
        aws_guard.ensure_sandbox({"HOSTLAB_BACKEND": "aws"})


# ---------------------------------------------------------------------------------------------------------
# aws_guard in the aws tier's rehearsal (HOSTLAB_AWS_REHEARSAL=1, hostlab.tutorial.rehearsal)
# ---------------------------------------------------------------------------------------------------------

LOCAL_ACCOUNT = "123456789012"


@pytest.fixture
def rehearsal_env(client_env, monkeypatch):
    """This process pointed at the session's local backend, as a rehearsal points it."""
    for name, value in client_env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("HOSTLAB_BACKEND", "aws")
    monkeypatch.setenv("HOSTLAB_AWS_REHEARSAL", "1")
    monkeypatch.setenv("HOSTLAB_AWS_ACCOUNT", LOCAL_ACCOUNT)
    return client_env


def test_rehearsal_accepts_the_local_account_through_sts(rehearsal_env):
    # The guard's STS call really goes to the local endpoint, which answers moto's account.
    assert aws_guard.ensure_sandbox() == (LOCAL_ACCOUNT, "us-east-1")


def test_the_local_backend_is_refused_without_the_rehearsal_opt_in(rehearsal_env, monkeypatch):
    monkeypatch.delenv("HOSTLAB_AWS_REHEARSAL")
    with pytest.raises(aws_guard.SandboxError) as refused:
        aws_guard.ensure_sandbox()
    message = str(refused.value)
    assert f"AWS_ENDPOINT_URL={rehearsal_env['AWS_ENDPOINT_URL']} is set" in message
    assert "HOSTLAB_AWS_REHEARSAL=1" in message and "make rehearse-aws" in message
    monkeypatch.setenv("HOSTLAB_AWS_REHEARSAL", "0")
    with pytest.raises(aws_guard.SandboxError, match="AWS_ENDPOINT_URL="):
        aws_guard.ensure_sandbox()


def test_the_local_account_is_never_accepted_outside_a_rehearsal():
    # No endpoint override at all: refused before any call, whatever STS would answer.
    env = {"HOSTLAB_BACKEND": "aws", "HOSTLAB_AWS_ACCOUNT": LOCAL_ACCOUNT}
    with pytest.raises(aws_guard.SandboxError, match=r"the local backend.s account .* not a sandbox account"):
        aws_guard.ensure_sandbox(env)
    # The opt-in without HOSTLAB_BACKEND=aws is no rehearsal either.
    env = {"HOSTLAB_AWS_REHEARSAL": "1", "HOSTLAB_AWS_ACCOUNT": LOCAL_ACCOUNT}
    with pytest.raises(aws_guard.SandboxError, match="not a sandbox account"):
        aws_guard.ensure_sandbox(env)


def test_a_service_specific_endpoint_is_refused_outside_a_rehearsal():
    env = {
        "HOSTLAB_BACKEND": "aws",
        "HOSTLAB_AWS_ACCOUNT": "111122223333",
        "AWS_ENDPOINT_URL_STS": "http://127.0.0.1:4750",
    }
    with pytest.raises(
        aws_guard.SandboxError, match=re.escape("AWS_ENDPOINT_URL_STS=http://127.0.0.1:4750 is set")
    ):
        aws_guard.ensure_sandbox(env)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"AWS_ENDPOINT_URL": None}, "AWS_ENDPOINT_URL is not set, so the SDK would reach AWS"),
        (
            {"AWS_ENDPOINT_URL": "https://sts.amazonaws.com"},
            "AWS_ENDPOINT_URL=https://sts.amazonaws.com is not",
        ),
        ({"AWS_ENDPOINT_URL_STS": "https://sts.amazonaws.com"}, "AWS_ENDPOINT_URL_STS=https://sts.amazonaws"),
        ({"HOSTLAB_AWS_ACCOUNT": "111122223333"}, "a rehearsal never uses a real account"),
        ({"HOSTLAB_AWS_REHEARSAL": "yes"}, "HOSTLAB_AWS_REHEARSAL='yes': use 1"),
        ({"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, "makes the SDK ignore AWS_ENDPOINT_URL"),
    ],
)
def test_a_rehearsal_refuses_anything_but_the_local_backend(rehearsal_env, monkeypatch, changes, expected):
    for name, value in changes.items():
        if value is None:
            monkeypatch.delenv(name)
        else:
            monkeypatch.setenv(name, value)
    with pytest.raises(aws_guard.SandboxError) as refused:
        aws_guard.ensure_sandbox()
    assert expected in str(refused.value)
