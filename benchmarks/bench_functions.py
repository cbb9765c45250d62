"""Benchmark: what running CloudFront Functions in killable worker processes costs; how fast a runaway stops.

Prints figures, asserts nothing (speed is not a test).

    .venv/bin/python benchmarks/bench_functions.py [--runs 2000] [--requests 1000] [--runaways 5]

1. Per-run overhead of a trivial function (returns its request):
   - in-process: the QuickJS engine called directly in this process (how runs worked before workers; the
     floor the worker design is compared with);
   - runtime:    hostlab.local.functions.runtime through the worker pool (one request/answer on a pipe per
   run).
2. Through the edge: one client, keep-alive HTTPS to the edge's listener, a distribution without a function
   and one whose viewer-request function returns the request (both go on to the same loopback origin).
3. A runaway function (regex backtracking, never stopped by QuickJS itself): the time until the caller has
   its answer (the wall-time limit plus the kill), and until the pool has a fresh, warm worker again (forked
   from the zygote), against a cold start of the pool.
4. Ten concurrent runs of a looping function (each stopped at the limit) and of a 30 ms function: the wall
   time for all ten (the issue measured 2.1 s for the loops when runs of one function were serialized), and
   the memory of an idle worker.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from bench_edge import ORIGIN_DOMAIN, client, start_origin
from bench_support import distribution_config, start_control_plane, wait_deployed

from hostlab.local.dataplane.edge import Edge, make_client
from hostlab.local.dataplane.tls import LocalCA
from hostlab.local.functions.engine import Compiled
from hostlab.local.functions.pool import WorkerPool, shared_pool
from hostlab.local.functions.runtime import WALL_TIME_LIMIT_SECONDS, CompiledFunction, run_function
from hostlab.settings import Settings

TRIVIAL = "function handler(event) { return event.request; }"
RUNAWAY = "function handler(e) { return /^(a+)+$/.test('a'.repeat(40) + '!'); }"
EVENT = {
    "version": "1.0",
    "context": {"eventType": "viewer-request"},
    "viewer": {"ip": "198.51.100.7"},
    "request": {
        "method": "GET",
        "uri": "/echo",
        "querystring": {},
        "headers": {"host": {"value": "d111111abcdef8.cloudfront.net"}, "accept": {"value": "*/*"}},
        "cookies": {},
    },
}
SETTINGS = Settings(api_port=0, cloudfront_deploy_seconds=0.2)


def ms(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * 1000


def timed(call, count: int) -> list[float]:
    out = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        out.append(time.perf_counter() - started)
    return out


def per_run(runs: int) -> None:
    engine = Compiled(TRIVIAL, "cloudfront-js-2.0")
    event_json = json.dumps(EVENT)
    compiled = CompiledFunction(TRIVIAL)
    for _ in range(100):  # warm-up
        engine.run(event_json)
        compiled.run(EVENT)
    rows = {
        "in-process QuickJS": timed(lambda: engine.run(json.dumps(EVENT)), runs),
        "runtime (worker)": timed(lambda: compiled.run(EVENT), runs),
        "TestFunction path": timed(lambda: run_function(TRIVIAL, EVENT), max(1, runs // 10)),
    }
    print(f"1. per run of a trivial function ({runs} runs; TestFunction path compiles each time)")
    for name, values in rows.items():
        print(f"   {name:20} p50 {ms(values, 50):7.3f} ms   p90 {ms(values, 90):7.3f} ms")
    added = ms(rows["runtime (worker)"], 50) - ms(rows["in-process QuickJS"], 50)
    print(f"   the worker hop adds {added:.3f} ms at p50")


def through_edge(requests: int) -> None:
    import ssl

    ca = LocalCA(Path(tempfile.mkdtemp(prefix="bench-functions-")))
    origin = start_origin(ca)
    origin_address = ("127.0.0.1", origin.server_address[1])
    control_plane, api_url = start_control_plane(SETTINGS)
    edge = Edge(SETTINGS, ca, api_url, resolve=lambda h, p: origin_address if h == ORIGIN_DOMAIN else None)
    edge.start()
    try:
        cf = make_client(api_url)
        created = cf.create_function(
            Name="bench-trivial",
            FunctionConfig={"Comment": "", "Runtime": "cloudfront-js-2.0"},
            FunctionCode=TRIVIAL.encode(),
        )
        arn = cf.publish_function(Name="bench-trivial", IfMatch=created["ETag"])["FunctionSummary"][
            "FunctionMetadata"
        ]["FunctionARN"]
        domains = {}
        for name, functions in (("no function", []), ("with function", [arn])):
            config = distribution_config(uuid.uuid4().hex, Comment="bench")
            config["DefaultCacheBehavior"]["FunctionAssociations"] = {
                "Quantity": len(functions),
                "Items": [{"FunctionARN": a, "EventType": "viewer-request"} for a in functions],
            }
            dist = cf.create_distribution(DistributionConfig=config)["Distribution"]
            wait_deployed(cf, [dist["Id"]])
            domains[name] = dist["DomainName"]
        ctx = ssl.create_default_context(cafile=str(ca.ca_pem))
        rows = {}
        for name, domain in domains.items():
            address = edge.route(domain, 443)
            client(address, domain, ctx, 50)  # warm-up: handshake, config snapshot, compiled function
            rows[name] = client(address, domain, ctx, requests)
        print(f"2. through the edge, one client, {requests} requests each")
        for name, values in rows.items():
            print(f"   {name:20} p50 {ms(values, 50):7.3f} ms   p90 {ms(values, 90):7.3f} ms")
        added = ms(rows["with function"], 50) - ms(rows["no function"], 50)
        print(f"   a viewer-request function adds {added:.3f} ms at p50")
    finally:
        edge.stop()
        origin.shutdown()
        control_plane.stop()


def runaway(count: int) -> None:
    pool = WorkerPool(size=2).start()
    try:
        pool.wait_ready()
        answered, replaced, spawned = [], [], []
        for _ in range(count):
            started = time.perf_counter()
            result = run_function(RUNAWAY, EVENT, pool=pool)
            answered.append(time.perf_counter() - started)
            assert "was stopped" in result["FunctionErrorMessage"], result
            pool.wait_ready()
            replaced.append(time.perf_counter() - started - answered[-1])
        fresh = WorkerPool(size=1)
        started = time.perf_counter()
        fresh.start().wait_ready()
        spawned.append(time.perf_counter() - started)
        fresh.close()
        limit = WALL_TIME_LIMIT_SECONDS * 1000
        print(f"3. runaway regex, {count} times (wall-time limit {limit:.0f} ms)")
        print(
            f"   answered after      p50 {ms(answered, 50):7.1f} ms   max {max(answered) * 1000:7.1f} ms"
            f"   (limit + kill: the kill and reap add {ms(answered, 50) - limit:.1f} ms at p50)"
        )
        print(
            f"   replacement ready   p50 {ms(replaced, 50):7.1f} ms   max {max(replaced) * 1000:7.1f} ms"
            " after the answer"
        )
        print(
            f"   a cold pool start   {spawned[0] * 1000:7.1f} ms"
            " (the zygote's interpreter, QuickJS import and warm-up, then one fork)"
        )
    finally:
        pool.close()


def concurrent_runs() -> None:
    from concurrent.futures import ThreadPoolExecutor

    import psutil

    pool = shared_pool()
    cases = {
        "looping (stopped)": "function handler(e) { while (true) {} }",
        "busy 30 ms": "function handler(e) { var t = Date.now(); while (Date.now() - t < 30) {} return 1; }",
    }
    print("4. ten concurrent runs of one function, on the shared pool of", pool.size, "workers")
    for name, code in cases.items():
        pool.wait_ready()
        compiled = CompiledFunction(code)
        started = time.perf_counter()
        with ThreadPoolExecutor(10) as executor:
            runs = list(executor.map(compiled.run, [EVENT] * 10))
        wall = time.perf_counter() - started
        errors = sum(1 for run in runs if not run.ok)
        print(f"   {name:20} all ten answered in {wall * 1000:7.1f} ms ({errors} stopped)")
    pool.wait_ready()
    own = [psutil.Process(pid).memory_full_info().uss for pid in pool.pids()]
    print(
        f"   idle worker memory  {statistics.mean(own) / 2**20:.1f} MB of its own (USS; the rest is shared)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--runaways", type=int, default=5)
    args = parser.parse_args()
    shared_pool().wait_ready()
    per_run(args.runs)
    through_edge(args.requests)
    runaway(args.runaways)
    concurrent_runs()


if __name__ == "__main__":
    main()
