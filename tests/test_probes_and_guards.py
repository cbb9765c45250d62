"""probes (what the notebooks print of a response, TLS version probing) and the aws backend's guards."""

from __future__ import annotations

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
