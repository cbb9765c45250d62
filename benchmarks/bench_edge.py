"""Benchmark: what the local CloudFront edge adds on top of a direct call to the origin.

Prints figures, asserts nothing (speed is not a test). Targets from the project issue: the edge adds <= 2 ms
at p50 and sustains >= 300 requests/s on 2 cores.

    .venv/bin/python benchmarks/bench_edge.py [--requests 2000] [--clients 8]

One run, two paths to the same TLS 1.2+ origin on loopback (a small JSON answer, like the demo app's /echo):
- direct: HTTPS keep-alive connections straight to the origin;
- edge:   HTTPS keep-alive connections to the edge's listener, which reads its configuration through boto3
          from an in-process control plane (moto + the project's extensions), runs the full pipeline with
          caching disabled (CachingDisabled + AllViewerExceptHostHeader: every request goes to the origin) and
          reuses pooled origin connections.
Each path is measured with one client (latency) and with --clients concurrent clients (throughput). The edge
is reached directly, not through the CONNECT proxy, so the figures are the edge's own cost.
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import ssl
import statistics
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench_support import APP_RUNNER_ORIGIN, distribution_config, start_control_plane, wait_deployed

from hostlab.local.dataplane.edge import Edge, make_client
from hostlab.local.dataplane.tls import LocalCA
from hostlab.settings import Settings

# The origin of distribution_config (CachingDisabled + AllViewerExceptHostHeader, TLSv1.2 to the origin).
ORIGIN_DOMAIN = APP_RUNNER_ORIGIN
SETTINGS = Settings(api_port=0, cloudfront_deploy_seconds=0.2)
TARGET_ADDED_P50_MS = 2.0
TARGET_RPS = 300.0


def start_origin(ca: LocalCA) -> ThreadingHTTPServer:
    class Echo(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

        def log_message(self, *args):
            pass

        def do_GET(self):
            body = json.dumps({"host": self.headers.get("Host"), "path": self.path}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    server.daemon_threads = True
    server.socket = ca.server_context([ORIGIN_DOMAIN], ["TLSv1.2", "TLSv1.3"]).wrap_socket(
        server.socket, server_side=True
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def create_distribution(api_url: str) -> str:
    cf = make_client(api_url)
    config = distribution_config(uuid.uuid4().hex, Comment="bench")
    dist = cf.create_distribution(DistributionConfig=config)["Distribution"]
    wait_deployed(cf, [dist["Id"]])
    return dist["DomainName"]


def client(address: tuple[str, int], sni: str, ctx: ssl.SSLContext, count: int) -> list[float]:
    """``count`` GETs on one keep-alive connection; returns each latency in seconds."""
    sock = ctx.wrap_socket(socket.create_connection(address, timeout=30), server_hostname=sni)
    conn = http.client.HTTPConnection(sni, timeout=30)
    conn.sock = sock
    latencies = []
    try:
        for i in range(count):
            started = time.perf_counter()
            conn.request("GET", f"/echo?i={i}", headers={"Host": sni})
            resp = conn.getresponse()
            resp.read()
            if resp.status != 200:
                raise RuntimeError(f"unexpected status {resp.status}")
            latencies.append(time.perf_counter() - started)
    finally:
        conn.close()
    return latencies


def measure(address, sni, ctx, total: int, clients: int) -> tuple[float, list[float]]:
    per_client = max(1, total // clients)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(lambda _: client(address, sni, ctx, per_client), range(clients)))
    wall = time.perf_counter() - started
    latencies = [x for r in results for x in r]
    return len(latencies) / wall, latencies


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    ca = LocalCA(Path(tempfile.mkdtemp(prefix="bench-edge-")))
    origin = start_origin(ca)
    origin_address = ("127.0.0.1", origin.server_address[1])
    control_plane, api_url = start_control_plane(SETTINGS)
    edge = Edge(
        SETTINGS,
        ca,
        api_url,
        resolve=lambda host, port: origin_address if host == ORIGIN_DOMAIN else None,
    )
    edge.start()
    try:
        domain = create_distribution(api_url)
        ctx = ssl.create_default_context(cafile=str(ca.ca_pem))
        paths = {
            "direct": (origin_address, ORIGIN_DOMAIN),
            "edge": (edge.route(domain, 443), domain),
        }
        for address, sni in paths.values():  # warm-up: handshakes, pools, the config snapshot
            client(address, sni, ctx, 50)
        refreshes_before = edge.store.refreshes
        rows = {}
        for name, (address, sni) in paths.items():
            _, seq = measure(address, sni, ctx, args.requests // 2, 1)
            rps, conc = measure(address, sni, ctx, args.requests, args.clients)
            rows[name] = (rps, pct(seq, 50), pct(seq, 99), pct(conc, 50), pct(conc, 99))

        print(
            f"{'path':8} {'req/s':>8} {'p50 1 client':>13} {'p99 1 client':>13} "
            f"{f'p50 {args.clients} cl.':>13} {f'p99 {args.clients} cl.':>13}"
        )
        for name, (rps, p50, p99, cp50, cp99) in rows.items():
            print(f"{name:8} {rps:8.0f} {p50:11.2f}ms {p99:11.2f}ms {cp50:11.2f}ms {cp99:11.2f}ms")
        direct, via = rows["direct"], rows["edge"]
        added = via[1] - direct[1]
        print(f"\nedge / direct: throughput x{via[0] / direct[0]:.2f}, p50 latency x{via[1] / direct[1]:.2f}")
        print(
            f"edge adds {added:.2f} ms at p50 with one client (target <= {TARGET_ADDED_P50_MS} ms): "
            f"{'met' if added <= TARGET_ADDED_P50_MS else 'NOT met'}"
        )
        print(
            f"edge sustains {via[0]:.0f} req/s with {args.clients} clients (target >= {TARGET_RPS:.0f}): "
            f"{'met' if via[0] >= TARGET_RPS else 'NOT met'}"
        )
        print(
            f"origin connections opened by the edge: {edge.origins.connections_opened}; "
            f"configuration re-reads during the run: {edge.store.refreshes - refreshes_before}"
        )
    finally:
        edge.stop()
        origin.shutdown()
        control_plane.stop()


if __name__ == "__main__":
    main()
