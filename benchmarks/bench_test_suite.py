"""Benchmark: wall time of `make test` with everything installed, phase by phase.

Prints figures, asserts nothing (speed is not a test). Target from the project issue: the whole of
`make test` in <= 90 s wall on 2 cores, with nothing dropped from it.

    .venv/bin/python benchmarks/bench_test_suite.py [--runs 1]

It runs the very recipe lines of the Makefile's `test` target (read from the Makefile with `make -n`, so the
figure follows the target when it changes), each as its own process, and times each line and the whole. The
machine should be otherwise idle: on 2 cores another busy process changes the figure a lot.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 90.0


def recipe_lines() -> list[str]:
    """The commands `make test` runs, as make prints them (the venv is assumed installed)."""
    done = subprocess.run(["make", "-n", "test"], cwd=REPO, capture_output=True, text=True, check=True)
    return [line for line in done.stdout.splitlines() if line.strip() and not line.startswith("make")]


def run_once(lines: list[str]) -> tuple[float, list[tuple[str, float, int]]]:
    phases = []
    started = time.perf_counter()
    for line in lines:
        began = time.perf_counter()
        done = subprocess.run(
            line, shell=True, cwd=REPO, capture_output=True, text=True, check=False, env=os.environ.copy()
        )
        phases.append((line, time.perf_counter() - began, done.returncode))
        if done.returncode != 0:
            print(done.stdout[-3000:], done.stderr[-2000:], file=sys.stderr)
    return time.perf_counter() - started, phases


def short(line: str) -> str:
    words = shlex.split(line)
    return " ".join(w.rsplit("/", 1)[-1] if i == 0 else w for i, w in enumerate(words))[:70]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    lines = recipe_lines()
    print(f"make test = {len(lines)} commands, {os.cpu_count()} CPUs, {args.runs} run(s)")
    walls = []
    for run in range(1, args.runs + 1):
        wall, phases = run_once(lines)
        walls.append(wall)
        for line, seconds, code in phases:
            status = "ok" if code == 0 else f"exit {code}"
            print(f"  run {run}: {seconds:6.1f} s  {status:7}  {short(line)}")
        print(f"  run {run}: {wall:6.1f} s  total")
    median = statistics.median(walls)
    print(f"make test: median {median:.1f} s over {len(walls)} run(s) (target <= {TARGET_SECONDS:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
