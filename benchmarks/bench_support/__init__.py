"""What the benchmarks share: moto's server with the project's extensions in the benchmark's own process,
waiting for distributions to deploy, and, from the tests' helper modules (one copy serves both), a backend in
a throwaway HOSTLAB_HOME and a distribution in front of an App Runner-like origin.

A package rather than a benchmarks/*.py module, so that `make bench`, which runs every one of those, does not
run it.
"""

from __future__ import annotations

import logging
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from hostlab.settings import Settings

# The tests' helpers are plain modules in tests/: pytest puts that folder on sys.path, a benchmark run as a
# script does it here.
TESTS_DIR = Path(__file__).resolve().parents[2] / "tests"
if str(TESTS_DIR) not in sys.path:
    sys.path.append(str(TESTS_DIR))

from cloudfront_support import APP_RUNNER_ORIGIN, distribution_config  # noqa: E402
from lifecycle_helpers import (  # noqa: E402
    HOSTLAB,
    client_from_env,
    image_source,
    isolated_env,
    parse_exports,
    run_cli,
)

__all__ = [
    "APP_RUNNER_ORIGIN",
    "HOSTLAB",
    "client_from_env",
    "distribution_config",
    "image_source",
    "isolated_env",
    "parse_exports",
    "run_cli",
    "start_control_plane",
    "start_edge",
    "wait_deployed",
]

DEPLOY_TIMEOUT = 30.0  # seconds; the benchmarks deploy in 0.2 s, this only turns a hang into an exit


def start_control_plane(settings: Settings) -> tuple[Any, str]:
    """moto's server with the project's extensions, in this process on a free loopback port:
    (the server, to stop at the end; its API URL)."""
    from moto.server import ThreadedMotoServer

    from hostlab.local.controlplane import install

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access-log line per API call
    install(settings)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


def start_edge(settings: Settings):
    """The control plane (see start_control_plane), an edge reading it with a throwaway CA, and a CloudFront
    client: (server, edge, cloudfront). The edge is not started: benchmarks drive its config store."""
    import tempfile

    from hostlab.local.dataplane.edge import Edge, make_client
    from hostlab.local.dataplane.tls import LocalCA

    server, api_url = start_control_plane(settings)
    return server, Edge(settings, LocalCA(Path(tempfile.mkdtemp())), api_url), make_client(api_url)


def wait_deployed(cloudfront, distribution_ids: list[str]) -> None:
    """Poll GetDistribution until every one of ``distribution_ids`` is Deployed; exit after DEPLOY_TIMEOUT."""
    deadline = time.monotonic() + DEPLOY_TIMEOUT
    def status(distribution_id: str) -> str:
        return cloudfront.get_distribution(Id=distribution_id)["Distribution"]["Status"]

    while any(status(i) != "Deployed" for i in distribution_ids):
        if time.monotonic() > deadline:
            raise SystemExit("the distributions never reached Deployed")
        time.sleep(0.05)


def measure_keep_alive(connect, host_header: str, requests: int, clients: int) -> tuple[float, list[float]]:
    """(requests per second, per-request latencies in ms) of GET /echo with ``clients`` keep-alive
    connections made by ``connect()`` (the fronts' benchmarks: bench_front, bench_alb_front)."""
    per_client = requests // clients
    latencies: list[float] = []
    lock = threading.Lock()

    def run(_):
        connection = connect()
        mine = []
        for _ in range(per_client):
            started = time.perf_counter()
            connection.request("GET", "/echo", headers={"Host": host_header})
            response = connection.getresponse()
            response.read()
            assert response.status == 200, response.status
            mine.append((time.perf_counter() - started) * 1000)
        connection.close()
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(run, range(clients)))
    return len(latencies) / (time.perf_counter() - started), latencies


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]
