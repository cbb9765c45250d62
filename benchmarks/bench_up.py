"""Benchmark: cold `hostlab up` and the latency of describe calls against the local backend.

Prints figures, asserts nothing (speed is not a test). Target from the project issues: up <= 1 s on 2
cores with both platforms (issue 11; it was <= 3 s).

    .venv/bin/python benchmarks/bench_up.py [--runs 3] [--calls 200]

Each cold start uses a fresh HOSTLAB_HOME and free ports; every backend started here is stopped at the end.
The start is split using the server's own log (process start -> API listening -> ready), so a slow part shows.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
import time
from pathlib import Path

from bench_support import (
    client_from_env,
    distribution_config,
    image_source,
    isolated_env,
    parse_exports,
    run_cli,
)
from botocore.config import Config
from botocore.exceptions import ClientError


def log_phases(log_file: Path) -> str:
    """Seconds from the server's first log line to 'AWS API endpoint' and to 'ready'."""
    stamps = {}
    markers = (("start", "starting (pid"), ("api", "AWS API endpoint at"), ("ready", "ready: API"))
    for line in log_file.read_text().splitlines():
        for key, marker in markers:
            if marker in line and key not in stamps:
                stamps[key] = dt.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
    if len(stamps) < 3:
        return "(phases not found in server.log)"
    api = (stamps["api"] - stamps["start"]).total_seconds()
    ready = (stamps["ready"] - stamps["api"]).total_seconds()
    return f"logging->API listening {api:.2f} s, API->ready {ready:.2f} s"


def cold_up(home: Path) -> tuple[float, dict[str, str]]:
    began = time.perf_counter()
    env = isolated_env(home)
    result = run_cli(env, "up", timeout=120)
    elapsed = time.perf_counter() - began
    if result.returncode != 0:
        raise SystemExit(f"hostlab up failed:\n{result.stderr}")
    return elapsed, parse_exports(result.stdout)


def down(home: Path) -> None:
    run_cli(isolated_env(home), "down", timeout=60)


def latency(label: str, call, calls: int) -> None:
    call()  # warm-up: the first call loads moto's backend for the service
    samples = []
    for _ in range(calls):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    p90 = samples[int(len(samples) * 0.9) - 1]
    print(f"  {label:<36} median {statistics.median(samples):6.2f} ms   p90 {p90:6.2f} ms   ({calls} calls)")


def bench_describes(env: dict[str, str], calls: int) -> None:
    def make(service: str):
        return client_from_env(env, service, config=Config(retries={"max_attempts": 1}))

    apprunner = make("apprunner")
    try:
        source = image_source(StartCommand="python -m http.server 8080")
        service = apprunner.create_service(ServiceName="bench", SourceConfiguration=source)["Service"]
        arn = service["ServiceArn"]
        latency("apprunner describe_service", lambda: apprunner.describe_service(ServiceArn=arn), calls)
        latency("apprunner list_services", apprunner.list_services, calls)
    except ClientError as exc:
        print(f"  apprunner: skipped ({exc})")

    cloudfront = make("cloudfront")
    try:
        config = distribution_config("bench", Comment="bench")
        dist_id = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"]
        latency("cloudfront get_distribution", lambda: cloudfront.get_distribution(Id=dist_id), calls)
    except ClientError as exc:
        print(f"  cloudfront: skipped ({exc})")

    sts = make("sts")
    latency("sts get_caller_identity (moto core)", sts.get_caller_identity, calls)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="cold starts to time")
    parser.add_argument("--calls", type=int, default=200, help="calls per describe operation")
    args = parser.parse_args()

    print(f"cold `hostlab up` (fresh HOSTLAB_HOME, ports 0), {os.cpu_count()} cores:")
    times = []
    with tempfile.TemporaryDirectory(prefix="hostlab-bench-") as tmp:
        for run in range(args.runs):
            home = Path(tmp) / f"run{run}"
            try:
                elapsed, env = cold_up(home)
                times.append(elapsed)
                print(f"  run {run + 1}: {elapsed:.2f} s   ({log_phases(home / 'server.log')})")
                if run == args.runs - 1:
                    print(f"  median: {statistics.median(times):.2f} s   (target <= 1 s)")
                    print("describe latency through boto3:")
                    bench_describes(env, args.calls)
            finally:
                down(home)


if __name__ == "__main__":
    main()
