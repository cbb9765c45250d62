"""The local Express shared ALB end to end: the session's real backend, load balancers built with plain
ELBv2/EC2/ACM calls (what Express Mode creates), demo-app processes as targets, and real clients (requests,
curl, openssl, raw TLS sockets) through the backend's CONNECT proxy.

Every negative control has its positive one next to it. Changes made through the API are observed after
alb_front.MAX_SNAPSHOT_AGE (the documented local propagation bound), never by polling for a result.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import uuid

import psutil
import pytest
import requests
from cloudfront_support import ALL_VIEWER, CACHING_DISABLED

from hostlab.app import DEMO_APP_PATH
from hostlab.local.dataplane.sources import EDGE_SOURCE_IP
from hostlab.local.dataplane.tls import restrict_versions
from hostlab.local.platforms.express.alb_front import MAX_SNAPSHOT_AGE
from hostlab.settings import DEFAULT_REGION

TIMEOUT = 10
CF_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"


def settle():
    """Let a change made through the API reach the front (alb_front.py, freshness)."""
    time.sleep(MAX_SNAPSHOT_AGE + 0.05)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(name: str) -> tuple[subprocess.Popen, int]:
    """A demo app listening on a free port. The port is chosen before the app binds it, so another process
    of the run (a backend's listener, say) can take it in between; the app then exits with EADDRINUSE while a
    connection to the port still succeeds, and the ALB forwards to a stranger. So the app is ready once *its*
    process listens on the port, and a lost port is chosen again. (Once in about 20 runs of `make test`,
    every test of this module got a 200 that was not the app's JSON; the output was cut, and this race is
    the likely cause, not a captured one.)"""
    for _attempt in range(3):
        port = free_port()
        env = {"PATH": os.environ.get("PATH", ""), "PORT": str(port), "APP_NAME": name}
        proc = subprocess.Popen(
            [sys.executable, str(DEMO_APP_PATH)], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and proc.poll() is None:
            if any(c.status == psutil.CONN_LISTEN and c.laddr.port == port
                   for c in psutil.Process(proc.pid).net_connections(kind="tcp")):
                return proc, port
            time.sleep(0.05)
        proc.kill()
        proc.wait(5)
    raise RuntimeError("demo app did not start")


class Alb:
    """One internet-facing ALB as Express Mode sets it up: HTTPS:443, a host-header rule per service
    forwarding to two target groups weighted 100/0, the default action a fixed-response 404."""

    def __init__(self, make_client):
        self.elbv2 = make_client("elbv2")
        self.ec2 = make_client("ec2")
        acm = make_client("acm")
        tag = uuid.uuid4().hex[:8]
        vpc = self.ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            self.ec2.create_subnet(
                VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"{DEFAULT_REGION}{zone}"
            )["Subnet"]["SubnetId"]
            for i, zone in ((1, "a"), (2, "b"))
        ]
        self.sg = self.ec2.create_security_group(GroupName=f"alb-{tag}", Description="alb", VpcId=vpc)[
            "GroupId"
        ]
        self.open_to_all()
        lb = self.elbv2.create_load_balancer(
            Name=f"ecs-express-{tag}",
            Subnets=subnets,
            SecurityGroups=[self.sg],
            Scheme="internet-facing",
            Type="application",
        )["LoadBalancers"][0]
        self.arn, self.dns_name = lb["LoadBalancerArn"], lb["DNSName"]
        cert = acm.request_certificate(DomainName=f"*.ecs.{DEFAULT_REGION}.on.aws")["CertificateArn"]
        self.blue = self.target_group(f"blue-{tag}", vpc)
        self.green = self.target_group(f"green-{tag}", vpc)
        self.empty = self.target_group(f"empty-{tag}", vpc)
        self.listener = self.elbv2.create_listener(
            LoadBalancerArn=self.arn,
            Protocol="HTTPS",
            Port=443,
            SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
            Certificates=[{"CertificateArn": cert}],
            DefaultActions=[
                {
                    "Type": "fixed-response",
                    "FixedResponseConfig": {
                        "StatusCode": "404",
                        "ContentType": "text/plain",
                        "MessageBody": "Not Found",
                    },
                }
            ],
        )["Listeners"][0]["ListenerArn"]
        self.endpoint = f"ab-{uuid.uuid4().hex}.ecs.{DEFAULT_REGION}.on.aws"
        self.service_rule = self.rule(10, [self.host(self.endpoint)], self.weighted(100, 0))

    def open_to_all(self):
        self.ec2.authorize_security_group_ingress(
            GroupId=self.sg,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                    "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
                }
            ],
        )

    def target_group(self, name, vpc):
        return self.elbv2.create_target_group(
            Name=name, Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip"
        )["TargetGroups"][0]["TargetGroupArn"]

    def register(self, group, port):
        self.elbv2.register_targets(TargetGroupArn=group, Targets=[{"Id": "127.0.0.1", "Port": port}])

    @staticmethod
    def host(name):
        return {"Field": "host-header", "HostHeaderConfig": {"Values": [name]}}

    def weighted(self, blue, green):
        return [
            {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [
                        {"TargetGroupArn": self.blue, "Weight": blue},
                        {"TargetGroupArn": self.green, "Weight": green},
                    ]
                },
            }
        ]

    def rule(self, priority, conditions, actions):
        return self.elbv2.create_rule(
            ListenerArn=self.listener, Priority=priority, Conditions=conditions, Actions=actions
        )["Rules"][0]["RuleArn"]


@pytest.fixture(scope="module")
def apps():
    started = [start_app("blue"), start_app("green")]
    yield {"blue": started[0][1], "green": started[1][1]}
    for proc, _ in started:
        proc.kill()
        proc.wait(5)


@pytest.fixture(scope="module")
def alb(backend, make_client, apps):
    made = Alb(make_client)
    made.register(made.blue, apps["blue"])
    made.register(made.green, apps["green"])
    return made


def url(alb: Alb, path="/echo") -> str:
    return f"https://{alb.endpoint}{path}"


# -- routing and headers -------------------------------------------------------------------------------------


def test_host_rule_forwards_with_the_forwarded_headers(alb, proxied):
    answer = proxied.get(url(alb), headers={"X-Forwarded-For": "203.0.113.7"}, timeout=TIMEOUT)
    assert answer.status_code == 200
    seen = answer.json()
    headers = seen["headers"]
    assert headers["host"] == alb.endpoint
    assert (
        headers["x-forwarded-for"] == "203.0.113.7, 127.0.0.1"
    )  # appended: the client came through the proxy
    assert (headers["x-forwarded-proto"], headers["x-forwarded-port"]) == ("https", "443")
    assert headers["x-amzn-trace-id"].startswith("Root=1-")
    assert "x-forwarded-host" not in headers
    assert answer.headers.get("server", "").lower() != "awselb/2.0"  # the app's answer, not the ALB's own


def test_unmatched_host_gets_the_default_404_from_awselb(alb, proxied):
    answer = proxied.get(url(alb, "/"), headers={"Host": "d111111abcdef8.cloudfront.net"}, timeout=TIMEOUT)
    assert answer.status_code == 404
    assert answer.text == "Not Found"
    assert answer.headers["server"] == "awselb/2.0"
    assert answer.headers["content-type"].startswith("text/plain")
    control = proxied.get(url(alb, "/"), timeout=TIMEOUT)
    assert control.status_code == 200


def test_the_alb_dns_name_reaches_the_same_listener(alb, client_env):
    """*.elb.amazonaws.com routes to the ALB; its certificate is the listener's (*.ecs...on.aws), so a client
    checking names refuses it, and with -k it gets the default action."""
    env = {**os.environ, **client_env}
    checked = subprocess.run(
        ["curl", "-sS", "-o", "/dev/null", f"https://{alb.dns_name}/"],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert checked.returncode == 60, checked.stderr  # certificate name mismatch
    insecure = subprocess.run(
        ["curl", "-sk", "-D", "-", f"https://{alb.dns_name}/"],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert "\nHTTP/1.1 404 Not Found\n" in insecure.stdout
    assert "server: awselb/2.0" in insecure.stdout.lower()


def test_priority_path_header_fixed_response_and_redirect(alb, proxied):
    rules = [
        alb.rule(
            3,
            [alb.host(alb.endpoint), {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/old/*"]}}],
            [
                {
                    "Type": "redirect",
                    "RedirectConfig": {"Host": "#{host}", "Path": "/new/#{path}", "StatusCode": "HTTP_301"},
                }
            ],
        ),
        alb.rule(
            4,
            [alb.host(alb.endpoint), {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/maint*"]}}],
            [
                {
                    "Type": "fixed-response",
                    "FixedResponseConfig": {
                        "StatusCode": "503",
                        "ContentType": "application/json",
                        "MessageBody": '{"down":true}',
                    },
                }
            ],
        ),
        alb.rule(
            5,
            [
                alb.host(alb.endpoint),
                {
                    "Field": "http-header",
                    "HttpHeaderConfig": {"HttpHeaderName": "X-Canary", "Values": ["o?"]},
                },
            ],
            alb.weighted(0, 100),
        ),
    ]
    try:
        settle()
        moved = proxied.get(url(alb, "/old/a/b?x=1"), allow_redirects=False, timeout=TIMEOUT)
        assert moved.status_code == 301 and moved.headers["server"] == "awselb/2.0"
        assert moved.headers["location"] == f"https://{alb.endpoint}:443/new/old/a/b?x=1"
        fixed = proxied.get(url(alb, "/maintenance"), timeout=TIMEOUT)
        assert (fixed.status_code, fixed.text) == (503, '{"down":true}')
        assert fixed.headers["content-type"].startswith("application/json")
        assert proxied.get(url(alb, "/MAINT"), timeout=TIMEOUT).status_code == 404  # paths are case-sensitive
        canary = proxied.get(url(alb), headers={"x-canary": "ON"}, timeout=TIMEOUT).json()
        assert canary["app"] == "green"
        control = proxied.get(url(alb), headers={"x-canary": "off"}, timeout=TIMEOUT).json()
        assert control["app"] == "blue"
    finally:
        for rule in rules:
            alb.elbv2.delete_rule(RuleArn=rule)


def test_a_rule_edited_through_the_api_takes_effect(alb, proxied):
    assert proxied.get(url(alb), timeout=TIMEOUT).json()["app"] == "blue"
    alb.elbv2.modify_rule(RuleArn=alb.service_rule, Actions=alb.weighted(0, 100))
    try:
        settle()
        assert proxied.get(url(alb), timeout=TIMEOUT).json()["app"] == "green"
        alb.elbv2.modify_rule(RuleArn=alb.service_rule, Conditions=[alb.host("other.example.com")])
        settle()
        gone = proxied.get(url(alb), timeout=TIMEOUT)
        assert (gone.status_code, gone.text) == (404, "Not Found")
    finally:
        alb.elbv2.modify_rule(
            RuleArn=alb.service_rule, Conditions=[alb.host(alb.endpoint)], Actions=alb.weighted(100, 0)
        )
        settle()
    assert proxied.get(url(alb), timeout=TIMEOUT).json()["app"] == "blue"


def test_no_registered_target_is_503_and_a_dead_target_502(alb, proxied):
    extra = f"cd-{uuid.uuid4().hex}.ecs.{DEFAULT_REGION}.on.aws"
    rule = alb.rule(7, [alb.host(extra)], [{"Type": "forward", "TargetGroupArn": alb.empty}])
    try:
        settle()
        empty = proxied.get(f"https://{extra}/", timeout=TIMEOUT)
        assert empty.status_code == 503 and empty.headers["server"] == "awselb/2.0"
        assert "<title>503 Service Temporarily Unavailable</title>" in empty.text
        alb.register(alb.empty, free_port())  # nothing listens there
        settle()
        dead = proxied.get(f"https://{extra}/", timeout=TIMEOUT)
        assert dead.status_code == 502 and dead.headers["server"] == "awselb/2.0"
        assert "<title>502 Bad Gateway</title>" in dead.text
    finally:
        alb.elbv2.delete_rule(RuleArn=rule)


# -- TLS: the listener's SslPolicy in a real handshake ------------------------------------------------------


def tunnel(client_env, host: str, port: int = 443) -> socket.socket:
    """A raw CONNECT tunnel through the backend's proxy."""
    proxy = client_env["HTTPS_PROXY"].removeprefix("http://").rstrip("/")
    proxy_host, proxy_port = proxy.rsplit(":", 1)
    sock = socket.create_connection((proxy_host, int(proxy_port)), timeout=TIMEOUT)
    sock.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(4096)
        assert chunk, "proxy closed"
        head += chunk
    assert head.startswith(b"HTTP/1.1 200"), head
    return sock


def negotiated(client_env, host: str, versions: tuple[str, ...], ciphers: str | None = None) -> str | None:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(client_env["REQUESTS_CA_BUNDLE"])
    restrict_versions(ctx, versions)
    if ciphers:
        ctx.set_ciphers(ciphers + ":@SECLEVEL=0")
    sock = tunnel(client_env, host)
    try:
        with ctx.wrap_socket(sock, server_hostname=host) as tls:
            return tls.version()
    except (ssl.SSLError, OSError):
        return None
    finally:
        sock.close()


def test_ssl_policy_decides_the_handshake_and_modify_listener_changes_it(alb, client_env):
    host = alb.endpoint
    assert negotiated(client_env, host, ("TLSv1.3",)) == "TLSv1.3"
    assert negotiated(client_env, host, ("TLSv1.2",)) == "TLSv1.2"
    assert negotiated(client_env, host, ("TLSv1",)) is None  # TLS13-1-2 refuses TLS 1.0
    alb.elbv2.modify_listener(ListenerArn=alb.listener, SslPolicy="ELBSecurityPolicy-TLS13-1-0-2021-06")
    try:
        settle()
        assert negotiated(client_env, host, ("TLSv1",)) == "TLSv1"
        alb.elbv2.modify_listener(ListenerArn=alb.listener, SslPolicy="ELBSecurityPolicy-TLS-1-2-2017-01")
        settle()
        assert negotiated(client_env, host, ("TLSv1.3",)) is None
        assert (
            negotiated(client_env, host, ("TLSv1.2",), "ECDHE-ECDSA-AES128-SHA") is None
        )  # not in the policy
        assert negotiated(client_env, host, ("TLSv1.2",), "ECDHE-ECDSA-AES128-GCM-SHA256") == "TLSv1.2"
    finally:
        alb.elbv2.modify_listener(ListenerArn=alb.listener, SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06")
        settle()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_openssl_s_client_sees_the_policy(alb, client_env):
    proxy = client_env["HTTPS_PROXY"].removeprefix("http://").rstrip("/")

    def s_client(*flags):
        return subprocess.run(
            [
                "openssl",
                "s_client",
                "-proxy",
                proxy,
                "-connect",
                f"{alb.endpoint}:443",
                "-servername",
                alb.endpoint,
                "-CAfile",
                client_env["REQUESTS_CA_BUNDLE"],
                *flags,
            ],
            input="",
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )

    good = s_client("-tls1_2")
    assert good.returncode == 0 and "Protocol  : TLSv1.2" in good.stdout, good.stdout + good.stderr
    assert "Verify return code: 0 (ok)" in good.stdout
    refused = s_client("-tls1_1", "-cipher", "DEFAULT:@SECLEVEL=0")
    assert refused.returncode != 0


# -- security group: the bypass, open and closed -------------------------------------------------------------


def test_the_edge_source_is_in_the_cloudfront_prefix_list(make_client):
    ec2 = make_client("ec2")
    lists = ec2.describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [CF_PREFIX_LIST]}]
    )["PrefixLists"]
    assert len(lists) == 1
    entries = ec2.get_managed_prefix_list_entries(PrefixListId=lists[0]["PrefixListId"])["Entries"]
    networks = [ipaddress.ip_network(e["Cidr"]) for e in entries]
    assert any(ipaddress.ip_address(EDGE_SOURCE_IP) in n for n in networks)
    assert not any(ipaddress.ip_address("127.0.0.1") in n for n in networks)


def fresh(client_env) -> requests.Session:
    """A new session (no pooled connection) through the backend's proxy."""
    session = requests.Session()
    session.trust_env = False
    session.proxies = {"https": client_env["HTTPS_PROXY"]}
    session.verify = client_env["REQUESTS_CA_BUNDLE"]
    return session


def distribution(cloudfront, origin: str, protocols=("TLSv1.2",), request_policy: str | None = None) -> str:
    config = {
        "CallerReference": uuid.uuid4().hex,
        "Comment": "express alb",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "alb",
                    "DomainName": origin,
                    "CustomOriginConfig": {
                        "HTTPPort": 80,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "https-only",
                        "OriginSslProtocols": {"Quantity": len(protocols), "Items": list(protocols)},
                    },
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "alb",
            "ViewerProtocolPolicy": "redirect-to-https",
            "CachePolicyId": CACHING_DISABLED,
        },
    }
    if request_policy:
        config["DefaultCacheBehavior"]["OriginRequestPolicyId"] = request_policy
    dist = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
    deadline = time.monotonic() + TIMEOUT
    while cloudfront.get_distribution(Id=dist["Id"])["Distribution"]["Status"] != "Deployed":
        assert time.monotonic() < deadline, "distribution not deployed"
        time.sleep(0.1)
    return dist["DomainName"]


def test_prefix_list_only_security_group_closes_the_bypass(alb, cloudfront, proxied, client_env, make_client):
    ec2 = make_client("ec2")
    edge = distribution(cloudfront, alb.endpoint)
    assert proxied.get(f"https://{edge}/echo", timeout=TIMEOUT).json()["app"] == "blue"
    assert proxied.get(url(alb), timeout=TIMEOUT).status_code == 200  # open to all: the bypass works
    prefix_list = ec2.describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [CF_PREFIX_LIST]}]
    )["PrefixLists"][0]["PrefixListId"]
    ec2.revoke_security_group_ingress(
        GroupId=alb.sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
            }
        ],
    )
    ec2.authorize_security_group_ingress(
        GroupId=alb.sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "PrefixListIds": [{"PrefixListId": prefix_list}],
            }
        ],
    )
    try:
        settle()
        through_edge = proxied.get(f"https://{edge}/echo", timeout=TIMEOUT)
        assert through_edge.status_code == 200
        assert through_edge.json()["headers"]["x-forwarded-for"].endswith(f", {EDGE_SOURCE_IP}")
        # A connection opened before the change may go on (security groups track connections: VPC user
        # guide, security-group-connection-tracking.html); a new one is dropped and times out (locally in
        # the TLS handshake, after the tunnel opened: requests reports a read timeout, AWS a connect one).
        with fresh(client_env) as session, pytest.raises(requests.exceptions.Timeout):
            session.get(url(alb), timeout=2)
        curl = subprocess.run(
            ["curl", "-sS", "--connect-timeout", "2", url(alb)],
            env={**os.environ, **client_env},
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        assert curl.returncode == 28, curl.stderr  # curl: operation timed out
    finally:
        ec2.revoke_security_group_ingress(
            GroupId=alb.sg,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "PrefixListIds": [{"PrefixListId": prefix_list}],
                }
            ],
        )
        alb.open_to_all()
        settle()
    with fresh(client_env) as session:
        assert session.get(url(alb), timeout=TIMEOUT).status_code == 200


def test_the_tutorial_failures_through_cloudfront(alb, cloudfront, proxied):
    """What the Express story shows: a distribution forwarding the viewer's Host gets the ALB's default 404;
    OriginSslProtocols [TLSv1, SSLv3] against a TLS 1.2+ policy gets CloudFront's 502; the fixed
    distribution (Host not forwarded, TLS 1.2) gets the app."""
    forwards_host = distribution(cloudfront, alb.endpoint, request_policy=ALL_VIEWER)
    answer = proxied.get(f"https://{forwards_host}/", timeout=TIMEOUT)
    assert (answer.status_code, answer.text) == (404, "Not Found")
    assert answer.headers["server"] == "awselb/2.0"
    old_protocols = distribution(cloudfront, alb.endpoint, protocols=("TLSv1", "SSLv3"))
    failed = proxied.get(f"https://{old_protocols}/echo", timeout=TIMEOUT)
    assert failed.status_code == 502 and failed.headers.get("server") == "CloudFront"
    fixed = distribution(cloudfront, alb.endpoint)
    assert proxied.get(f"https://{fixed}/echo", timeout=TIMEOUT).json()["app"] == "blue"
