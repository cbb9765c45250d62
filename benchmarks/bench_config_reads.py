"""Benchmark: what one re-read of the edge's configuration asks the CloudFront API, and how long it takes.

Prints figures, asserts nothing (speed is not a test).

    .venv/bin/python benchmarks/bench_config_reads.py [--distributions 15] [--rounds 20]

Against an in-process control plane (moto + the project's extensions), --distributions Deployed
distributions, each with its own custom cache policy, its own custom origin request policy and its own
published viewer-request function (the shape of the tutorial's fixed distribution, many times over). Prints
the API calls of one steady-state re-read (nothing changed since the last one) by operation, and the
median / worst time of a forced re-read (ConfigStore.refresh). Run it on two versions of config.py to
compare them.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections import Counter

from bench_support import distribution_config, start_edge, wait_deployed
from cloudfront_support import cache_policy_config, origin_request_policy_config

from hostlab.settings import Settings

FUNCTION_CODE = b"function handler(event) { return event.request; }"


def create_distribution(cf, n: int) -> str:
    tag = uuid.uuid4().hex[:8]
    cache_id = cf.create_cache_policy(CachePolicyConfig=cache_policy_config(f"bench-c-{tag}"))["CachePolicy"][
        "Id"
    ]
    request_id = cf.create_origin_request_policy(
        OriginRequestPolicyConfig=origin_request_policy_config(f"bench-r-{tag}")
    )["OriginRequestPolicy"]["Id"]
    name = f"bench-fn-{tag}"
    created = cf.create_function(
        Name=name,
        FunctionConfig={"Comment": "", "Runtime": "cloudfront-js-2.0"},
        FunctionCode=FUNCTION_CODE,
    )
    arn = cf.publish_function(Name=name, IfMatch=created["ETag"])["FunctionSummary"]["FunctionMetadata"][
        "FunctionARN"
    ]
    config = distribution_config(uuid.uuid4().hex, Comment=f"bench {n}")
    config["DefaultCacheBehavior"].update(
        CachePolicyId=cache_id,
        OriginRequestPolicyId=request_id,
        FunctionAssociations={"Quantity": 1, "Items": [{"FunctionARN": arn, "EventType": "viewer-request"}]},
    )
    return cf.create_distribution(DistributionConfig=config)["Distribution"]["Id"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--distributions", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()

    settings = Settings(api_port=0, cloudfront_deploy_seconds=0.2)
    server, edge, cf = start_edge(settings)
    dist_ids = [create_distribution(cf, n) for n in range(args.distributions)]
    wait_deployed(cf, dist_ids)

    calls: Counter[str] = Counter()
    spent: Counter[str] = Counter()  # operation -> seconds, client side (request + parsing)
    started_at: dict[str, float] = {}

    def before(model, **_):
        calls.update([model.name])
        started_at[model.name] = time.perf_counter()

    def after(model, **_):
        spent[model.name] += time.perf_counter() - started_at.pop(model.name)

    edge.store.client.meta.events.register("before-call.cloudfront", before)
    edge.store.client.meta.events.register("after-call.cloudfront", after)
    edge.store.refresh()  # the first read fetches everything; the figures below are the steady state
    served = len({d.id for d in edge.store.current().by_host.values()})
    calls.clear()
    spent.clear()
    edge.store.refresh()
    print(f"{args.distributions} distributions created, {served} served by the edge")
    print(f"API calls of one steady-state re-read: {sum(calls.values())}")
    for operation, count in sorted(calls.items()):
        print(f"  {operation:<28} {count:>4} calls {spent[operation] * 1000:>8.1f} ms")

    times = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        edge.store.refresh()
        times.append((time.perf_counter() - started) * 1000)
    p50, worst = statistics.median(times), max(times)
    print(f"forced re-read over {args.rounds} rounds: p50 {p50:.1f} ms, max {worst:.1f} ms")
    server.stop()


if __name__ == "__main__":
    main()
