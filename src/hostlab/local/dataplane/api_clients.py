"""The boto3 clients through which the data plane reads AWS state: the public API at ``api_url``, never moto's
internals, with the fake credentials of the local backend.

Short timeouts and one retry: the endpoint is on loopback, and a request may be waiting for the answer.
In the backend process, which serves ``api_url`` itself, the requests are handed to moto's WSGI application
in process (hostlab.local.in_process: the same requests and answers without a socket, so the timeouts only
bound an endpoint served elsewhere).
Each client comes from its own boto3 Session, because creating clients from boto3's shared default session
is not thread-safe and the parts create theirs on different threads. The sessions share the process's one
botocore data loader (hostlab.local.botocore_data), so the JSON of each service model and of the endpoint
data is parsed once per process rather than once per session.
"""

from __future__ import annotations

import boto3
from botocore.config import Config

from hostlab.local import botocore_data, in_process
from hostlab.settings import DEFAULT_REGION, FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY

CONFIG = Config(
    retries={"max_attempts": 2, "mode": "standard"},
    connect_timeout=5,
    read_timeout=15,
    # Reads are serialised by each part's refresh lock; a few connections cover the background reader too.
    max_pool_connections=4,
)


def new_session() -> boto3.session.Session:
    """A boto3 Session of its own that shares this process's botocore data loader."""
    return botocore_data.new_boto3_session()


def api_client(service: str, api_url: str, region: str = DEFAULT_REGION):
    """A client for ``service`` against the local endpoint ``api_url``: in process when this process serves
    that endpoint (hostlab.local.in_process: the same requests and answers without a socket), over HTTP
    otherwise."""
    client = new_session().client(
        service,
        region_name=region,
        endpoint_url=api_url,
        aws_access_key_id=FAKE_ACCESS_KEY_ID,
        aws_secret_access_key=FAKE_SECRET_ACCESS_KEY,
        config=CONFIG,
    )
    in_process.attach(client, api_url)
    return client
