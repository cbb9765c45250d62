"""Benchmark: what the local App Runner front adds on top of a direct call to the demo app.

Prints figures, asserts nothing (speed is not a test).

    .venv/bin/python benchmarks/bench_front.py [--requests 2000] [--clients 8]

One run, one App Runner service created through the API of an in-process control plane (moto + the
project's extensions), so the front pays its real costs: snapshot refreshes through boto3 (in the
background, about every 75 ms while requests flow: front.py), TLS, Host routing, header rewriting, pooled
keep-alive connections to the app.
Two paths to the same demo-app process, GET /echo:
- direct: plain HTTP keep-alive connections straight to the app's loopback address;
- front:  HTTPS keep-alive connections to the front's listener (SNI and Host = the ServiceUrl).
Each path is measured with one client (latency) and with --clients concurrent clients (throughput).
"""

from __future__ import annotations

import argparse
import http.client
import socket
import tempfile
import time
from pathlib import Path

import boto3
from bench_support import measure_keep_alive, percentile, start_control_plane

import hostlab.app as demo
from hostlab.local.dataplane.tls import LocalCA
from hostlab.local.platforms.apprunner.front import AppRunnerFront
from hostlab.settings import DEFAULT_REGION, FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, Settings

TIMEOUT = 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="bench-front-"))
    settings = Settings(home=home, apprunner_operation_seconds=0.2)
    moto_server, api_url = start_control_plane(settings)
    apprunner = boto3.client(
        "apprunner", region_name=DEFAULT_REGION, endpoint_url=api_url,
        aws_access_key_id=FAKE_ACCESS_KEY_ID, aws_secret_access_key=FAKE_SECRET_ACCESS_KEY,
    )
    service = apprunner.create_service(ServiceName="bench", SourceConfiguration=demo.source_configuration())
    arn, url = service["Service"]["ServiceArn"], service["Service"]["ServiceUrl"]
    while apprunner.describe_service(ServiceArn=arn)["Service"]["Status"] != "RUNNING":
        time.sleep(0.05)

    ca = LocalCA(home / "ca")
    front = AppRunnerFront(settings, ca, api_url)
    front.start()
    try:
        front.ensure_fresh(time.monotonic())
        app = front.deployment(arn)
        tls = ca.client_context(["TLSv1.2", "TLSv1.3"])

        def via_front() -> http.client.HTTPSConnection:
            # Named for the ServiceUrl (SNI, certificate check, Host), connected to the front's listener:
            # what DNS or the CONNECT proxy would do.
            connection = http.client.HTTPSConnection(url, timeout=TIMEOUT, context=tls)
            connection._create_connection = lambda _address, timeout, source=None: socket.create_connection(
                front.https_address, timeout)
            return connection

        paths = {
            "direct": lambda: http.client.HTTPConnection(app.address, app.port, timeout=TIMEOUT),
            "front": via_front,
        }
        for connect in paths.values():  # warm-up: connections, pools, first snapshot
            measure_keep_alive(connect, url, 100, 4)
        results = {}
        reads_before = front.state_reads
        for name, connect in paths.items():
            _, single = measure_keep_alive(connect, url, args.requests // 4, 1)
            rps, _ = measure_keep_alive(connect, url, args.requests, args.clients)
            results[name] = (percentile(single, 50), percentile(single, 99), rps)
        print(f"App Runner front benchmark: {args.requests} requests, {args.clients} clients, GET /echo")
        print(f"{'path':8} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}"
              "   (p50/p99: one client; req/s: all clients)")
        for name, (p50, p99, rps) in results.items():
            print(f"{name:8} {p50:8.2f} {p99:8.2f} {rps:8.0f}")
        direct, via = results["direct"], results["front"]
        print(f"front adds {via[0] - direct[0]:.2f} ms at p50; "
              f"throughput ratio front/direct {via[2] / direct[2]:.2f}")
        print(f"App Runner state reads during the run: {front.state_reads - reads_before}")
    finally:
        front.stop()
        moto_server.stop()


if __name__ == "__main__":
    main()
