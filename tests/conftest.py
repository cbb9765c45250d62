"""Shared fixtures: fake credentials (never real ones) and boto3 clients against the local control plane.

NOTE (temporary, owned by the lifecycle work): ``api_url`` starts the control plane in-process. Once
``hostlab.local.lifecycle`` exists it comes from a real background backend started for the test session
and stopped at its end.
"""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config

from hostlab.settings import DEFAULT_REGION, FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, Settings

# Short delays so waiting code is exercised without slowing the suite down.
TEST_OPERATION_SECONDS = 0.4
TEST_DEPLOY_SECONDS = 0.4


@pytest.fixture(autouse=True)
def fake_credentials(monkeypatch):
    """Like moto's own tests: no test can ever reach a real account with real keys."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET_ACCESS_KEY)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", DEFAULT_REGION)


@pytest.fixture(scope="session")
def api_url():
    from moto.server import ThreadedMotoServer

    from hostlab.local.controlplane import install

    install(
        Settings(
            api_port=0,
            apprunner_operation_seconds=TEST_OPERATION_SECONDS,
            cloudfront_deploy_seconds=TEST_DEPLOY_SECONDS,
        )
    )
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def make_client(api_url):
    def make(service: str, region: str = DEFAULT_REGION, **credentials):
        creds = {
            "aws_access_key_id": FAKE_ACCESS_KEY_ID,
            "aws_secret_access_key": FAKE_SECRET_ACCESS_KEY,
            **credentials,
        }
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=api_url,
            config=Config(retries={"max_attempts": 1}),
            **creds,
        )

    return make


@pytest.fixture
def apprunner(make_client):
    return make_client("apprunner")


@pytest.fixture
def cloudfront(make_client):
    return make_client("cloudfront")
