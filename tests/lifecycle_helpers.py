"""Helpers for tests that start their own backends (each in its own temporary HOSTLAB_HOME), also used by
benchmarks/bench_up.py."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3
import psutil

import hostlab.app as demo
from hostlab.local import lifecycle, warm_start
from hostlab.local.procs import SERVER_MODULE
from hostlab.settings import Settings

HOSTLAB = str(Path(sys.executable).with_name("hostlab"))  # the console script installed with the package
CLI_TIMEOUT = 90  # seconds; far above a normal start, only there so a hang fails instead of blocking


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """os.environ without any HOSTLAB_*/proxy/AWS endpoint variable of the session, plus a backend in
    ``home`` on free ports. The session's warm starter (tests/conftest.py) stays: it is no setting of a
    backend, only the way one is started."""
    env = {
        k: v
        for k, v in os.environ.items()
        if (not k.startswith("HOSTLAB_") or k == warm_start.STARTER_VARIABLE)
        and k.lower() not in ("https_proxy", "http_proxy", "no_proxy")
        and k != "AWS_ENDPOINT_URL"
    }
    env.update({"HOSTLAB_HOME": str(home), "HOSTLAB_PORT": "0", "HOSTLAB_PROXY_PORT": "0", **extra})
    return env


def settings_for(home: Path, **extra: str) -> Settings:
    """The Settings of a backend in ``home`` (isolated_env's variables, plus ``extra``)."""
    return Settings.from_env(isolated_env(home, **extra))


def stop_backend(home: Path, **extra: str) -> None:
    """Stop the backend of ``home`` if one runs, without notes: the teardown of a test's own backend."""
    lifecycle.down(settings_for(home, **extra), note=lambda _: None)


def run_cli(env: dict[str, str], *args: str, timeout: float = CLI_TIMEOUT) -> subprocess.CompletedProcess:
    """Run `hostlab ARGS` with its stdout and stderr captured through pipes (they must close)."""
    return subprocess.run(
        [HOSTLAB, *args], env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
    )


def parse_exports(stdout: str) -> dict[str, str]:
    """The NAME=value pairs of `export NAME=value` lines, evaluated by a real shell."""
    # The shell's environment, NUL-separated, printed by Python: `env -0` is GNU and recent BSD only.
    dump = "import os, sys; sys.stdout.write(chr(0).join(f'{k}={v}' for k, v in os.environ.items()))"
    probe = subprocess.run(
        ["sh", "-c", f'{stdout}\n"$0" -c "$1"', sys.executable, dump],
        capture_output=True, timeout=10, env={"PATH": os.environ["PATH"]},
    )
    pairs = (item.split("=", 1) for item in probe.stdout.decode().split("\0") if "=" in item)
    return dict(pairs)


def client_from_env(env: Mapping[str, str], service: str, **options: Any) -> Any:
    """A boto3 client for the backend ``env`` points at: the variables `hostlab up` exports (parse_exports)
    or lifecycle.client_env(state)."""
    return boto3.client(
        service,
        endpoint_url=env["AWS_ENDPOINT_URL"],
        region_name=env["AWS_REGION"],
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        **options,
    )


def image_source(**image_configuration: str) -> dict[str, Any]:
    """A CreateService SourceConfiguration for the public Python image on App Runner's default port, with
    automatic deployments off; ``image_configuration`` adds to the Port."""
    return {
        "ImageRepository": {
            "ImageIdentifier": demo.IMAGE,
            "ImageRepositoryType": "ECR_PUBLIC",
            "ImageConfiguration": {"Port": str(demo.PORT), **image_configuration},
        },
        "AutoDeploymentsEnabled": False,
    }


def server_processes(home: Path) -> list[psutil.Process]:
    """Live hostlab server processes of the state folder ``home``: a backend runs in its state folder, spawned
    or forked by a warm starter (whose backends keep the starter's /proc environ, so HOSTLAB_HOME there is no
    guide)."""
    found = []
    home = home.resolve()
    for proc in psutil.process_iter(["cmdline", "status", "cwd"]):
        try:
            if proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if SERVER_MODULE in " ".join(proc.info["cmdline"] or ()) and (
                proc.info["cwd"] and Path(proc.info["cwd"]).resolve() == home
            ):
                found.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


def wait_until(predicate, timeout: float, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass; return its last value.
    (A bounded wait for an event, not a speed assertion.)"""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
