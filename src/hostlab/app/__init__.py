"""The demo app, and the App Runner source configuration that runs it with no image build.

Notebooks call :func:`source_configuration` for ``CreateService`` on both backends, so the local backend and
real App Runner run the same bytes:

* Image: the public ``python:3.12-slim`` image from the ECR Public mirror of Docker Official Images. An
  ECR Public image needs no access role (AR-DG service-source-image.html) and nothing is built or pushed.
* Code: ``demo_app.py`` (standard library only) travels zlib-compressed and base64-encoded in the runtime
  environment variable ``DEMO_APP_SOURCE``. The App Runner API allows a variable value of up to 51,200
  characters (API reference ImageConfiguration / botocore model shape RuntimeEnvironmentVariablesValue);
  the encoded app is about a tenth of that, and :func:`source_configuration` checks the limit.
* Start command: ``python3 -c '...'`` decodes that variable and runs it. The API constrains StartCommand
  only to a single line (pattern ``[^\\x0a\\x0d]+``, no documented length limit), so the code cannot go in
  the command itself and the command stays short.

ASSUMPTION (not documented by AWS): App Runner splits StartCommand like a POSIX shell (or runs it through
one). The command therefore uses only single quotes, which mean the same in both readings, and no ``$``.
The aws backend's first service creation tests this for real.

The local backend recognises :data:`START_COMMAND` and runs it with the local Python interpreter and the
service's environment variables, so it executes exactly the code that was sent to the API.
"""

from __future__ import annotations

import base64
import zlib
from pathlib import Path

DEMO_APP_PATH = Path(__file__).with_name("demo_app.py")

# Docker Official Image "python", mirrored on ECR Public (gallery.ecr.aws/docker/library/python).
IMAGE = "public.ecr.aws/docker/library/python:3.12-slim"
PORT = 8080  # App Runner's default port (API reference ImageConfiguration: "Default: 8080")
SOURCE_VAR = "DEMO_APP_SOURCE"
START_COMMAND = (
    "python3 -c 'import base64,os,zlib;"
    f'exec(zlib.decompress(base64.b64decode(os.environ["{SOURCE_VAR}"])))\''
)
DEFAULT_SECRET_HEADER = "x-origin-secret"
HEALTH_CHECK_PATH = "/healthz"

# API reference ImageConfiguration / botocore shape RuntimeEnvironmentVariablesValue: max length 51200.
MAX_ENV_VALUE = 51200
# API reference ImageConfiguration: "Keys with a prefix of AWSAPPRUNNER are reserved for system use".
RESERVED_PREFIX = "AWSAPPRUNNER"


def encoded_source(source: bytes | None = None) -> str:
    """The demo app's source, compressed and base64-encoded for an environment variable."""
    raw = DEMO_APP_PATH.read_bytes() if source is None else source
    return base64.b64encode(zlib.compress(raw, 9)).decode("ascii")


def decode_source(value: str) -> str:
    """The inverse of :func:`encoded_source`: what the start command executes."""
    return zlib.decompress(base64.b64decode(value)).decode("utf-8")


def runtime_environment(
    port: int = PORT,
    env: dict[str, str] | None = None,
    *,
    origin_secret: str | None = None,
    origin_secret_header: str = DEFAULT_SECRET_HEADER,
) -> dict[str, str]:
    """The RuntimeEnvironmentVariables of the demo app (all values are strings, as the API wants)."""
    variables = {SOURCE_VAR: encoded_source(), "PORT": str(port)}
    if origin_secret:
        variables["ORIGIN_SECRET_HEADER"] = origin_secret_header.lower()
        variables["ORIGIN_SECRET"] = origin_secret
    variables.update({str(k): str(v) for k, v in (env or {}).items()})
    for name, value in variables.items():
        if name.upper().startswith(RESERVED_PREFIX):
            raise ValueError(f"environment variable {name!r}: the prefix {RESERVED_PREFIX} is reserved")
        if len(value) > MAX_ENV_VALUE:
            raise ValueError(f"environment variable {name!r} is {len(value)} characters; the limit is 51200")
    return variables


def source_configuration(
    port: int = PORT,
    env: dict[str, str] | None = None,
    *,
    origin_secret: str | None = None,
    origin_secret_header: str = DEFAULT_SECRET_HEADER,
    secrets: dict[str, str] | None = None,
    image: str = IMAGE,
) -> dict:
    """``SourceConfiguration`` for ``apprunner.create_service`` / ``update_service`` running the demo app.

    ``env`` adds plain variables (see demo_app's docstring for the ones it reads). ``origin_secret`` turns
    on the origin-bypass protection. The App Runner guide advises against secrets in plain-text variables
    (AR-DG env-variable.html): for a real deployment pass ``secrets={"ORIGIN_SECRET": <Secrets Manager or
    SSM parameter ARN>}``, which lands in RuntimeEnvironmentSecrets and needs an instance role that can
    read it.
    """
    image_configuration: dict = {
        "Port": str(port),
        "StartCommand": START_COMMAND,
        "RuntimeEnvironmentVariables": runtime_environment(
            port, env, origin_secret=origin_secret, origin_secret_header=origin_secret_header
        ),
    }
    if secrets:
        image_configuration["RuntimeEnvironmentSecrets"] = dict(secrets)
    return {
        "ImageRepository": {
            "ImageIdentifier": image,
            "ImageRepositoryType": "ECR_PUBLIC",
            "ImageConfiguration": image_configuration,
        },
        # The API's default for ECR Public images is already false (API reference SourceConfiguration,
        # AutoDeploymentsEnabled); saying so keeps the request explicit.
        "AutoDeploymentsEnabled": False,
    }


def health_check_configuration() -> dict:
    """``HealthCheckConfiguration`` probing /healthz over HTTP (the API default is a TCP check)."""
    return {"Protocol": "HTTP", "Path": HEALTH_CHECK_PATH}


__all__ = [
    "DEFAULT_SECRET_HEADER",
    "DEMO_APP_PATH",
    "HEALTH_CHECK_PATH",
    "IMAGE",
    "PORT",
    "SOURCE_VAR",
    "START_COMMAND",
    "decode_source",
    "encoded_source",
    "health_check_configuration",
    "runtime_environment",
    "source_configuration",
]
