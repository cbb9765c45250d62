"""Benchmark: `hostlab check` on one distribution with three behaviours, cold (the private backend's start
included). Prints figures, asserts nothing (speed is not a test). Target (issue 12, Deliver 5): <= 5 s on
2 cores, backend start included.

    .venv/bin/python benchmarks/bench_check.py [--runs 3]

The input is the tutorial's fixed configuration (infra/apprunner/cli/distribution-config.json, its
placeholders filled as tests/check_support.py does) with one more behaviour, /api/*, so three behaviours
and one App Runner origin. Each run is a whole check_inputs() call: private backend start, the App Runner
stand-in, the function, the distribution, the probes, the backend's stop. The phases are timed by wrapping
the engine's own steps.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from check_support import listed, tutorial_fixed

from hostlab.check import backend, probes, runner, standup


def three_behaviours():
    fixed = tutorial_fixed()
    config = copy.deepcopy(fixed.config)
    api = copy.deepcopy(config["CacheBehaviors"]["Items"][0])
    api.update(
        PathPattern="/api/*",
        CachePolicyId="4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
        OriginRequestPolicyId="b689b0a8-53d0-40ab-baf2-68738e2966ac",
    )
    config["CacheBehaviors"] = listed([*config["CacheBehaviors"]["Items"], api])
    fixed.config = config
    fixed.source.config = config
    return fixed


class Phases:
    """Wall time spent in named steps of the engine (monkey-patched wrappers, restored after)."""

    def __init__(self):
        self.spent: dict[str, float] = {}
        self._saved = []

    def wrap(self, owner, name, label):
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.spent[label] = self.spent.get(label, 0.0) + time.perf_counter() - start

        self._saved.append((owner, name, original))
        setattr(owner, name, timed)

    def restore(self):
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    dist = three_behaviours()
    totals = []
    print(f"cores: {os.cpu_count()}; input: {dist.name}, 3 behaviours, 1 origin (apprunner)")
    for run in range(1, args.runs + 1):
        phases = Phases()
        phases.wrap(backend.lifecycle, "up", "backend start")
        phases.wrap(backend.lifecycle, "down", "backend stop")
        phases.wrap(standup.StandUp, "standins", "stand-ins")
        phases.wrap(standup.StandUp, "deploy", "policies, functions, distribution")
        phases.wrap(probes.Prober, "run", "probes")
        start = time.perf_counter()
        try:
            report = runner.check_inputs([dist])
        finally:
            phases.restore()
        total = time.perf_counter() - start
        totals.append(total)
        shown = ", ".join(f"{k} {v:.2f} s" for k, v in phases.spent.items())
        verdicts = {
            v: sum(f.verdict == v for f in report.findings) for v in ("OK", "FAIL", "NOT_CHECKED", "N/A")
        }
        print(f"run {run}: {total:.2f} s total ({shown}); findings {verdicts}")
    print(
        f"median {statistics.median(totals):.2f} s, min {min(totals):.2f} s, max {max(totals):.2f} s "
        f"over {len(totals)} cold runs (target <= 5 s)"
    )


if __name__ == "__main__":
    main()
