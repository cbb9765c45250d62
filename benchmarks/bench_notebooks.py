"""Benchmark: wall time of the whole nbval run of the notebooks on the local backend (what `make test` runs).

Prints figures, asserts nothing (speed is not a test). Target from the project issue: <= 20 s on 2 cores.

    .venv/bin/python benchmarks/bench_notebooks.py [--runs 1] [notebooks ...]

Each run is a separate pytest process with a fresh local backend (hostlab.tutorial.pytest_notebooks), exactly
the
command of `make test`; the per-notebook figures come from pytest's own --durations report of the cells.
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
TARGET_SECONDS = 20.0
_DURATION = re.compile(r"^\s*([\d.]+)s call\s+(notebooks/[^:]+\.ipynb)::Cell \d+")


def run_once(paths: list[str]) -> tuple[float, int, dict[str, float]]:
    command = [
        sys.executable,
        "-m",
        "pytest",
        *NBVAL,
        "-q",
        "--durations=0",
        "-p",
        "no:cacheprovider",
        *paths,
    ]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    per_notebook: dict[str, float] = defaultdict(float)
    for line in done.stdout.splitlines():
        if match := _DURATION.match(line):
            per_notebook[match.group(2)] += float(match.group(1))
    if done.returncode != 0:
        print(done.stdout[-3000:], file=sys.stderr)
    return wall, done.returncode, dict(per_notebook)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("paths", nargs="*", default=["notebooks/"])
    args = parser.parse_args()
    walls = []
    for run in range(1, args.runs + 1):
        wall, code, per_notebook = run_once(args.paths)
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
