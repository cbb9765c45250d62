"""Benchmark: what the local Express shared ALB front adds on top of a direct call to the demo app.

Prints figures, asserts nothing (speed is not a test). Target (issue 11, Deliver 8): <= 1 ms added at p50.

    .venv/bin/python benchmarks/bench_alb_front.py [--requests 2000] [--clients 8]

One run, one ALB built with plain ELBv2/EC2/ACM calls against an in-process control plane (moto + the
project's extensions), as Express Mode lays it out: HTTPS:443 with ELBSecurityPolicy-TLS13-1-2-2021-06, a
host-header rule forwarding to two target groups weighted 100/0, a fixed-response 404 default action, a
security group open on 443. The front pays its real costs: snapshot refreshes through boto3 (in the
background while requests flow, alb_front.py), TLS, the security-group check per connection, rule
evaluation, header rewriting, pooled keep-alive connections to the target.
Two paths to the same demo-app process, GET /echo:
- direct: plain HTTP keep-alive connections straight to the app's loopback address;
- alb:    HTTPS keep-alive connections to the ALB listener (SNI and Host = the Express endpoint).
Each path is measured with one client (latency) and with --clients concurrent clients (throughput).
"""

from __future__ import annotations

import argparse
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
from bench_support import measure_keep_alive, percentile, start_control_plane

from hostlab.app import DEMO_APP_PATH
from hostlab.local.dataplane.tls import LocalCA
from hostlab.local.platforms.express.alb_front import ExpressAlbFront
from hostlab.settings import DEFAULT_REGION, FAKE_ACCESS_KEY_ID, FAKE_SECRET_ACCESS_KEY, Settings

TIMEOUT = 10
ENDPOINT = f"be-{'0' * 32}.ecs.{DEFAULT_REGION}.on.aws"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def build_alb(api_url: str, app_port: int) -> None:
    def client(name):
        return boto3.client(
            name, region_name=DEFAULT_REGION, endpoint_url=api_url,
            aws_access_key_id=FAKE_ACCESS_KEY_ID, aws_secret_access_key=FAKE_SECRET_ACCESS_KEY,
        )

    ec2, elbv2, acm = client("ec2"), client("elbv2"), client("acm")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24",
                                 AvailabilityZone=f"{DEFAULT_REGION}{z}")["Subnet"]["SubnetId"]
               for i, z in ((1, "a"), (2, "b"))]
    sg = ec2.create_security_group(GroupName="bench-alb", Description="bench", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    lb = elbv2.create_load_balancer(Name="bench-alb", Subnets=subnets, SecurityGroups=[sg],
                                    Scheme="internet-facing", Type="application")["LoadBalancers"][0]
    groups = []
    for name in ("bench-blue", "bench-green"):
        arn = elbv2.create_target_group(Name=name, Protocol="HTTP", Port=8080, VpcId=vpc,
                                        TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
        elbv2.register_targets(TargetGroupArn=arn, Targets=[{"Id": "127.0.0.1", "Port": app_port}])
        groups.append(arn)
    cert = acm.request_certificate(DomainName=f"*.ecs.{DEFAULT_REGION}.on.aws")["CertificateArn"]
    listener = elbv2.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTPS", Port=443,
        SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06", Certificates=[{"CertificateArn": cert}],
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {
            "StatusCode": "404", "ContentType": "text/plain", "MessageBody": "Not Found"}}],
    )["Listeners"][0]["ListenerArn"]
    elbv2.create_rule(
        ListenerArn=listener, Priority=1,
        Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": [ENDPOINT]}}],
        Actions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": [
            {"TargetGroupArn": groups[0], "Weight": 100}, {"TargetGroupArn": groups[1], "Weight": 0}]}}],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="bench-alb-"))
    settings = Settings(home=home)
    moto_server, api_url = start_control_plane(settings)
    app_port = free_port()
    app = subprocess.Popen([sys.executable, str(DEMO_APP_PATH)],
                           env={"PATH": os.environ.get("PATH", ""), "PORT": str(app_port)},
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ca = LocalCA(home / "ca")
    front = ExpressAlbFront(settings, ca, api_url)
    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", app_port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        build_alb(api_url, app_port)
        front.start()
        address = front.route(ENDPOINT, 443)
        assert address is not None, "the ALB front does not route the endpoint"
        tls = ca.client_context(["TLSv1.2", "TLSv1.3"])

        def via_alb() -> http.client.HTTPSConnection:
            # Named for the endpoint (SNI, certificate check, Host), connected to the ALB's loopback
            # listener: what DNS or the CONNECT proxy would do.
            connection = http.client.HTTPSConnection(ENDPOINT, timeout=TIMEOUT, context=tls)
            connection._create_connection = lambda _address, timeout, source=None: socket.create_connection(
                address, timeout)
            return connection

        paths = {
            "direct": lambda: http.client.HTTPConnection("127.0.0.1", app_port, timeout=TIMEOUT),
            "alb": via_alb,
        }
        for connect in paths.values():  # warm-up: connections, pools, first snapshot
            measure_keep_alive(connect, ENDPOINT, 100, 4)
        results = {}
        reads_before = front.state_reads
        for name, connect in paths.items():
            _, single = measure_keep_alive(connect, ENDPOINT, args.requests // 4, 1)
            rps, _ = measure_keep_alive(connect, ENDPOINT, args.requests, args.clients)
            results[name] = (percentile(single, 50), percentile(single, 99), rps)
        print(f"Express ALB front benchmark: {args.requests} requests, {args.clients} clients, GET /echo")
        print(f"{'path':8} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8}"
              "   (p50/p99: one client; req/s: all clients)")
        for name, (p50, p99, rps) in results.items():
            print(f"{name:8} {p50:8.2f} {p99:8.2f} {rps:8.0f}")
        direct, via = results["direct"], results["alb"]
        print(f"ALB front adds {via[0] - direct[0]:.2f} ms at p50 (target <= 1 ms); "
              f"throughput ratio alb/direct {via[2] / direct[2]:.2f}")
        print(f"ELBv2/EC2 state reads during the run: {front.state_reads - reads_before}")
    finally:
        front.stop()
        app.kill()
        app.wait(5)
        moto_server.stop()


if __name__ == "__main__":
    main()
