"""Benchmark: wall time of the aws tier's rehearsal (`make rehearse-aws`).

Prints figures, asserts nothing (speed is not a test). The rehearsal runs in CI after `make test`, so it
should stay well under a minute on 2 cores.

    .venv/bin/python benchmarks/bench_rehearsal.py [--runs 1] [--factor 0.01]

Each run is the pytest command of `make test-aws REHEARSAL=1` in a fresh process (a fresh local backend,
its start, the cleanups before and after and every wait included). --factor changes
HOSTLAB_AWS_REHEARSAL_WAIT_FACTOR, the factor applied to AWS's poll delays.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = ["01-create-service", "02-attach-cloudfront", "03-what-breaks", "04-fixes", "05-cleanup"]


def run_once(factor: str) -> tuple[float, int]:
    env = {**os.environ, "HOSTLAB_BACKEND": "aws", "HOSTLAB_AWS_REHEARSAL": "1"}
    env["HOSTLAB_AWS_REHEARSAL_WAIT_FACTOR"] = factor
    command = [
        sys.executable, "-m", "pytest", "-p", "hostlab.tutorial.pytest_notebooks", "--nbval",
        "--nbval-current-env",
        "--nbval-sanitize-with", "tests/nbval_sanitize.cfg", "-q", "-p", "no:cacheprovider",
        *(f"notebooks/{name}.ipynb" for name in NOTEBOOKS),
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        print(done.stdout[-3000:], file=sys.stderr)
    return wall, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--factor", default="0.01", help="HOSTLAB_AWS_REHEARSAL_WAIT_FACTOR")
    args = parser.parse_args()
    walls = []
    for run in range(1, args.runs + 1):
        wall, code = run_once(args.factor)
        walls.append(wall)
        print(f"run {run}: {wall:.1f} s wall, pytest exit code {code}")
    median = statistics.median(walls)
    print(f"rehearsal (factor {args.factor}): median {median:.1f} s over {len(walls)} run(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
