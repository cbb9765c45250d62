"""Benchmark: what reading invalidations adds to the edge's configuration refresh, and what a purge costs.

Prints figures, asserts nothing (speed is not a test).

    .venv/bin/python benchmarks/bench_invalidations.py [--distributions 5] [--rounds 20]

The edge reads invalidations only when it refreshes its configuration snapshot (never per request): one
ListInvalidations per served distribution per refresh, plus one GetInvalidation per invalidation it has not
applied yet. This measures a refresh against an in-process control plane (moto + the project's extensions)
with 0, 20 and 100 invalidations per distribution, and ResponseCache.purge on a full cache (10,000 objects).
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid

from bench_support import distribution_config, start_edge, wait_deployed

from hostlab.local.dataplane.edge import Edge
from hostlab.local.dataplane.edge.cache import ResponseCache
from hostlab.settings import Settings


def create_distributions(cf, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        config = distribution_config(uuid.uuid4().hex, Comment="bench")
        ids.append(cf.create_distribution(DistributionConfig=config)["Distribution"]["Id"])
    wait_deployed(cf, ids)
    return ids


def invalidate(cf, dist_ids: list[str], count: int) -> None:
    for dist_id in dist_ids:
        for _ in range(count):
            cf.create_invalidation(
                DistributionId=dist_id,
                InvalidationBatch={
                    "Paths": {"Quantity": 1, "Items": ["/x"]},
                    "CallerReference": uuid.uuid4().hex,
                },
            )


def refresh_ms(edge: Edge, rounds: int) -> tuple[float, float]:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        edge.store.refresh()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def purge_ms(entries: int) -> float:
    cache = ResponseCache(time.monotonic, max_entries=entries)
    for n in range(entries):
        cache.put(("E1", "GET", f"/p/{n}", (), (), (), None), 200, "OK", [], b"x", ttl=60)
    started = time.perf_counter()
    removed = cache.purge("E1", ["/p/1*"])
    elapsed = (time.perf_counter() - started) * 1000
    assert removed > 0
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--distributions", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    settings = Settings(api_port=0, cloudfront_deploy_seconds=0.2)
    _server, edge, cf = start_edge(settings)
    dist_ids = create_distributions(cf, args.distributions)

    print(f"{'invalidations per distribution':>31} {'refresh p50':>12} {'refresh max':>12}")
    feed, edge.store.invalidations = edge.store.invalidations, None  # the refresh as it was before
    edge.store.refresh()
    p50, worst = refresh_ms(edge, args.rounds)
    print(f"{'(invalidations not read)':>31} {p50:>10.1f}ms {worst:>10.1f}ms")
    edge.store.invalidations = feed
    total = 0
    for count in (0, 20, 100):
        invalidate(cf, dist_ids, count - total)
        total = count
        first_started = time.perf_counter()
        edge.store.refresh()  # applies (or records) what is new; not part of the steady-state figures
        first = (time.perf_counter() - first_started) * 1000
        p50, worst = refresh_ms(edge, args.rounds)
        print(f"{count:>31} {p50:>10.1f}ms {worst:>10.1f}ms   (first refresh after creating: {first:.1f} ms)")
    print(f"\n{args.distributions} distributions; each refresh lists each distribution's invalidations once")
    print(f"purge of a wildcard path in a full cache (10,000 objects): {purge_ms(10_000):.1f} ms")


if __name__ == "__main__":
    main()
