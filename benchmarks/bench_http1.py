"""Benchmark: what strict request reading (src/hostlab/local/dataplane/http1.py, h11) costs per request.

Prints figures, asserts nothing (speed is not a test).

    .venv/bin/python benchmarks/bench_http1.py [--requests 20000]

CPU time per request head, on one thread, for a typical head (the one requests sends through the edge):
- http1: RequestReader.read_head over a socketpair, so the figure includes the send and recv system calls
  the listeners make for each request;
- stdlib: the request line and http.client.parse_headers over an in-memory file, the parsing the
  listeners used before (no system calls: a lower bound of the old cost, not the whole of it).
CPU time, not wall time, so that other processes on a loaded machine change the figure less.
"""

from __future__ import annotations

import argparse
import http.client
import io
import socket
import time

from hostlab.local.dataplane.http1 import RequestReader

HEAD = (
    b"GET /echo?x=1 HTTP/1.1\r\nHost: d111111abcdef8.cloudfront.net\r\nUser-Agent: python-requests/2.34.2\r\n"
    b"Accept-Encoding: gzip, deflate\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n"
)


def strict_us(requests: int) -> float:
    client, server = socket.socketpair()
    with client, server:
        reader = RequestReader(server, max_head_bytes=20_480, head_timeout=10.0, idle_timeout=10.0)
        started = time.process_time()
        for _ in range(requests):
            client.sendall(HEAD)
            if reader.read_head() is None:
                raise RuntimeError("the reader saw the end of the connection")
        return (time.process_time() - started) / requests * 1e6


def stdlib_us(requests: int) -> float:
    started = time.process_time()
    for _ in range(requests):
        stream = io.BytesIO(HEAD)
        stream.readline()
        http.client.parse_headers(stream)
    return (time.process_time() - started) / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    args = parser.parse_args()
    strict, stdlib = strict_us(args.requests), stdlib_us(args.requests)
    print(f"request head reading, {args.requests} heads of {len(HEAD)} bytes, CPU time per head")
    print(f"http1 (h11, with send+recv)   {strict:7.1f} us")
    print(f"stdlib parse only             {stdlib:7.1f} us")
    print(f"difference                    {strict - stdlib:7.1f} us (upper bound of what h11 adds)")


if __name__ == "__main__":
    main()
