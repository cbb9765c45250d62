"""Benchmark: starting a local backend spawned (a new interpreter) and forked by a warm starter.

Prints figures, asserts nothing (speed is not a test). The test suite starts about fifty backends, and
tests/conftest.py has a warm starter (hostlab.local.warm_start) fork them; this measures what that saves.

    .venv/bin/python benchmarks/bench_warm_start.py [--starts 5]

For each way, --starts backends are started one after the other (lifecycle.up, fresh state folder, free
ports) and stopped again. Per start it reports the wall time of up() and the CPU seconds the backend process
used until it was ready, and once more two seconds later (what a start costs before its first request).
The starter's own cost (its imports, once per run) is printed too.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import psutil
from bench_support import isolated_env

from hostlab.local import lifecycle, warm_start
from hostlab.settings import Settings

SETTLE_SECONDS = 2.0


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def one_start(home: Path) -> tuple[float, float, float]:
    settings = Settings.from_env(isolated_env(home))
    began = time.perf_counter()
    state = lifecycle.up(settings, note=lambda _: None)
    wall = time.perf_counter() - began
    at_ready = cpu_seconds(state.pid)
    time.sleep(SETTLE_SECONDS)
    settled = cpu_seconds(state.pid)
    lifecycle.down(settings, note=lambda _: None)
    return wall, at_ready, settled


def report(label: str, runs: list[tuple[float, float, float]]) -> None:
    walls, ready, settled = zip(*runs, strict=True)
    print(
        f"  {label:<8} up() {statistics.median(walls):5.2f} s wall, "
        f"backend CPU {statistics.median(ready):5.2f} s at ready, "
        f"{statistics.median(settled):5.2f} s {SETTLE_SECONDS:.0f} s later (medians of {len(runs)})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5)
    args = parser.parse_args()
    os.environ.pop(warm_start.STARTER_VARIABLE, None)
    with tempfile.TemporaryDirectory(prefix="bench-warm-") as folder:
        root = Path(folder)
        spawned = [one_start(root / f"spawned-{i}") for i in range(args.starts)]

        socket_path = warm_start.new_socket_path()
        starter = warm_start.start(socket_path, lifecycle.backend_process_env(os.environ))
        os.environ[warm_start.STARTER_VARIABLE] = str(socket_path)
        try:
            forked = [one_start(root / f"forked-{i}") for i in range(args.starts)]
            starter_cpu = cpu_seconds(starter.pid)
        finally:
            os.environ.pop(warm_start.STARTER_VARIABLE, None)
            warm_start.stop(starter)
        forks = Path(f"{socket_path}.log").read_text().count("backend pid")
        shutil.rmtree(socket_path.parent, ignore_errors=True)
    print(f"starting a local backend on {os.cpu_count()} CPUs")
    report("spawned", spawned)
    report("forked", forked)
    print(f"  the starter itself: {starter_cpu:.2f} CPU-s (its imports, once)")
    print(f"  {forks} of {args.starts} forked starts came from the starter")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
