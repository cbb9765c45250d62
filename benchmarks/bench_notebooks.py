"""Benchmark: wall time of the nbval run of the notebooks on the local backend, both tracks at once.

Prints figures, asserts nothing (speed is not a test). Target from the project issues: both tracks <= 30 s
on 2 cores (issue 11; the App Runner track alone was <= 20 s before).

    .venv/bin/python benchmarks/bench_notebooks.py [--runs 1] [--reruns] [notebooks ...]

Each track is a separate pytest process with a fresh local backend of its own
(hostlab.tutorial.pytest_notebooks): App Runner (01-07) and ECS Express Mode (11-15), started together as
`make test` starts them. By default each track runs once through; --reruns runs the re-run sequences that
`make test` runs (make test-notebooks-apprunner / -express). Given notebook paths, one process runs just
those. Per-notebook figures come from pytest's own --durations report of the cells.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NBVAL = [
    "-p",
    "hostlab.tutorial.pytest_notebooks",
    "--nbval",
    "--nbval-current-env",
    "--nbval-sanitize-with",
    "tests/nbval_sanitize.cfg",
]
TARGET_SECONDS = 30.0  # both tracks at once (issue 11)
_DURATION = re.compile(r"^\s*([\d.]+)s call\s+(notebooks/[^:]+\.ipynb)::Cell \d+")


TRACKS = {
    "App Runner": sorted(str(p.relative_to(REPO)) for p in REPO.glob("notebooks/0[0-9]-*.ipynb")),
    "Express": sorted(str(p.relative_to(REPO)) for p in REPO.glob("notebooks/1[0-9]-express-*.ipynb")),
}


def start(paths: list[str]) -> subprocess.Popen:
    command = [sys.executable, "-m", "pytest", *NBVAL, "-q", "--durations=0", "-p", "no:cacheprovider"]
    command += paths
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def start_make(target: str) -> subprocess.Popen:
    return subprocess.Popen(["make", "--no-print-directory", target], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def run_once(groups: dict[str, subprocess.Popen]) -> tuple[float, int, dict[str, float]]:
    """Wait for every process of ``groups`` (started together): the wall time until the last ends."""
    started = time.perf_counter()
    per_notebook: dict[str, float] = defaultdict(float)
    worst = 0
    for name, process in groups.items():
        output, _ = process.communicate()
        for line in output.splitlines():
            if match := _DURATION.match(line):
                per_notebook[match.group(2)] += float(match.group(1))
        if process.returncode != 0:
            print(f"{name}:\n{output[-3000:]}", file=sys.stderr)
        worst = max(worst, process.returncode)
    return time.perf_counter() - started, worst, dict(per_notebook)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--reruns", action="store_true", help="the re-run sequences of make test")
    parser.add_argument("paths", nargs="*")
    args = parser.parse_args()
    walls = []
    for run in range(1, args.runs + 1):
        if args.paths:
            groups = {"notebooks": start(args.paths)}
        elif args.reruns:
            groups = {t: start_make(f"test-notebooks-{t}") for t in ("apprunner", "express")}
        else:
            groups = {name: start(paths) for name, paths in TRACKS.items()}
        wall, code, per_notebook = run_once(groups)
        walls.append(wall)
        print(f"run {run}: {wall:.1f} s wall, pytest exit {code}")
        for name, seconds in sorted(per_notebook.items()):
            print(f"    {name:40} {seconds:6.1f} s in cells")
    median = statistics.median(walls)
    verdict = "within" if median <= TARGET_SECONDS else "over"
    print(
        f"nbval on the local backend: median {median:.1f} s over {len(walls)} run(s) "
        f"({verdict} the {TARGET_SECONDS:g} s target)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
