"""Benchmark: the CPU one call of the backend to its own API costs, over loopback HTTP and in process.

Prints figures, asserts nothing (speed is not a test).

    .venv/bin/python benchmarks/bench_in_process.py [--calls 400] [--rounds 2]

Starts a whole backend in this process (ServerParts, as `python -m hostlab.local.server` does: control plane,
moto's server, data plane) and calls ListServices and ListDistributions with a data-plane client
(dataplane/api_clients.py) in two ways, alternately: over HTTP to moto's server, and handed to moto's WSGI
application by hostlab.local.in_process. Both sides of each call run in this process, so this process's CPU
time per call is the whole cost of it (client and server). The backend is stopped at the end.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time

from hostlab.local import in_process
from hostlab.local.controlplane.moto_glue import wsgi_app
from hostlab.local.dataplane.api_clients import api_client
from hostlab.local.server import ServerParts
from hostlab.settings import Settings

CALLS = {"apprunner": "list_services", "cloudfront": "list_distributions"}


def cpu_per_call(call, calls: int) -> float:
    call()  # the first call loads what the later ones reuse
    began = time.process_time()
    for _ in range(calls):
        call()
    return (time.process_time() - began) / calls * 1000


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # as the server sets it: no line per call

    with tempfile.TemporaryDirectory(prefix="hostlab-bench-") as home:
        env = {"HOSTLAB_HOME": home, "HOSTLAB_PORT": "0", "HOSTLAB_PROXY_PORT": "0"}
        parts = ServerParts(Settings.from_env(env))
        parts.start()
        app = wsgi_app(parts.api)
        try:
            figures: dict[tuple[str, str], list[float]] = {}
            for _ in range(args.rounds):
                for service, operation in CALLS.items():
                    for way in ("HTTP", "in process"):
                        if way == "HTTP":
                            in_process.forget(parts.api_url)  # clients made now go over the socket
                        client = api_client(service, parts.api_url)
                        if way == "HTTP":
                            in_process.serve(parts.api_url, app)
                        figures.setdefault((f"{service}.{operation}", way), []).append(
                            cpu_per_call(getattr(client, operation), args.calls)
                        )
            print(f"CPU per call, both sides, median of {args.rounds} rounds of {args.calls} calls "
                  f"({os.cpu_count()} cores):")
            for (operation, way), values in figures.items():
                print(f"  {operation:32s} {way:11s} {statistics.median(values):6.2f} ms")
        finally:
            parts.stop()


if __name__ == "__main__":
    main()
