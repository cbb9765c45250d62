"""Benchmark: wall time of `make test` with everything installed, and of each part it runs at the same time.

Prints figures, asserts nothing (speed is not a test). Target from the project issue: the whole of
`make test` in <= 90 s wall on 2 cores, with nothing dropped from it.

    .venv/bin/python benchmarks/bench_test_suite.py [--runs 1]

It runs `make test` itself (ruff, then test-unit and both tracks' notebooks at once), times the whole,
and reads each part's own pytest summary line ("... passed in 41.2s") from the output. It also reports the
CPU seconds the run used (its processes and every process they started, backends included), which says how
close the run is to what 2 cores can do. The machine should be otherwise idle: on 2 cores another busy
process changes the figure a lot.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 90.0
# pytest's last line: "=== 931 passed, 21 warnings in 81.30s (0:01:21) ===" (also "failed", "error").
SUMMARY = re.compile(r"^=+ (?P<what>.*?) in (?P<seconds>[\d.]+)s")


def machine_cpu_seconds() -> float | None:
    """CPU seconds all processes on the machine have used (Linux /proc/stat); None elsewhere."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return None
    user, nice, system = (int(x) for x in fields[:3])
    return (user + nice + system) / os.sysconf("SC_CLK_TCK")


def run_once() -> tuple[float, float | None, int, list[str]]:
    cpu_before = machine_cpu_seconds()
    started = time.perf_counter()
    done = subprocess.run(["make", "test"], cwd=REPO, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    cpu_after = machine_cpu_seconds()
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    if done.returncode != 0:
        print(done.stdout[-4000:], done.stderr[-2000:], file=sys.stderr)
    parts = [m.group(0).strip("= ") for line in done.stdout.splitlines() if (m := SUMMARY.match(line))]
    return wall, cpu, done.returncode, parts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    print(f"make test on {os.cpu_count()} CPUs, {args.runs} run(s)")
    walls = []
    for run in range(1, args.runs + 1):
        wall, cpu, code, parts = run_once()
        walls.append(wall)
        for part in parts:
            print(f"  run {run}: part: {part}")
        cpu_text = "" if cpu is None else f", {cpu:.0f} CPU s on the whole machine"
        status = "ok" if code == 0 else f"exit {code}"
        print(f"  run {run}: {wall:6.1f} s wall{cpu_text}  {status}")
    median = statistics.median(walls)
    print(f"make test: median {median:.1f} s over {len(walls)} run(s) (target <= {TARGET_SECONDS:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
