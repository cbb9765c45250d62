"""The pure parts of the local Express shared ALB: rule matching, redirect locations, weighted forwards,
SslPolicy -> OpenSSL contexts, security-group evaluation, trace ids and forwarded headers.

Every negative assertion has its positive control next to it. The SslPolicy tests run real handshakes
between two in-process contexts over a socket pair.
"""

from __future__ import annotations

import random
import re
import socket
import ssl
import threading
import time

import pytest
import trustme

from hostlab.local.dataplane.sources import SourceBook
from hostlab.local.platforms.express import ssl_policies
from hostlab.local.platforms.express.alb_http import error_page, trace_id, upstream_headers
from hostlab.local.platforms.express.alb_rules import (
    Action,
    Request,
    choose_target_group,
    matching_rule,
    ordered,
    redirect_location,
    rule_from_api,
    wildcard_match,
)
from hostlab.local.platforms.express.alb_state import region_of
from hostlab.local.platforms.express.security_groups import allows, permissions_from_api


def request(
    host="ab-1.ecs.us-east-1.on.aws", path="/", query="", method="GET", headers=(), source="198.51.100.7"
):
    return Request(
        host=host,
        path=path,
        query=query,
        method=method,
        headers=tuple(headers),
        source_ip=source,
        protocol="HTTPS",
        port=443,
    )


def api_rule(priority, conditions, actions):
    return {
        "RuleArn": f"arn:rule/{priority}",
        "Priority": str(priority),
        "Conditions": conditions,
        "Actions": actions,
        "IsDefault": priority == "default",
    }


FIXED_404 = [
    {
        "Type": "fixed-response",
        "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain", "MessageBody": "Not Found"},
    }
]


def forward(*groups):
    return [
        {
            "Type": "forward",
            "ForwardConfig": {
                "TargetGroups": [{"TargetGroupArn": arn, "Weight": weight} for arn, weight in groups]
            },
        }
    ]


# -- wildcards and conditions ------------------------------------------------------------------------------


def test_wildcards_star_and_question_mark_match_the_whole_value():
    assert wildcard_match("*.example.com", "test.example.com", ignore_case=True)
    assert not wildcard_match("*.example.com", "example.com", ignore_case=True)  # the guide's own example
    assert wildcard_match("ab-?.on.aws", "ab-1.on.aws", ignore_case=True)
    assert not wildcard_match("ab-?.on.aws", "ab-12.on.aws", ignore_case=True)
    assert not wildcard_match("/img", "/img/x", ignore_case=False)  # anchored at both ends
    assert wildcard_match("a.b", "a.b", ignore_case=False)
    assert not wildcard_match("a.b", "axb", ignore_case=False)  # "." is literal


def test_host_is_case_insensitive_path_is_case_sensitive():
    rules = ordered(
        [
            rule_from_api(
                api_rule(
                    1,
                    [
                        {"Field": "host-header", "HostHeaderConfig": {"Values": ["AB-1.ecs.*"]}},
                        {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/Img/*"]}},
                    ],
                    forward(("tg-a", 1)),
                )
            ),
            rule_from_api(api_rule("default", [], FIXED_404)),
        ]
    )
    upper = request(host="ab-1.ECS.us-east-1.on.aws:443", path="/Img/x.png")
    assert matching_rule(rules, upper).priority == 1
    assert matching_rule(rules, request(path="/img/x.png")).priority is None  # path case differs
    assert matching_rule(rules, request(host="cd-1.ecs.x", path="/Img/x")).priority is None


def test_http_header_name_and_values_are_case_insensitive():
    rule = rule_from_api(
        api_rule(
            1,
            [
                {
                    "Field": "http-header",
                    "HttpHeaderConfig": {"HttpHeaderName": "X-Canary", "Values": ["on", "b?ta"]},
                }
            ],
            forward(("tg-b", 1)),
        )
    )
    assert matching_rule((rule,), request(headers=[("x-canary", "ON")]))
    assert matching_rule((rule,), request(headers=[("X-CANARY", "Beta")]))
    assert matching_rule((rule,), request(headers=[("X-Canary", "off")])) is None
    assert matching_rule((rule,), request()) is None


def test_all_conditions_must_match_and_priority_order_wins():
    rules = ordered(
        [
            rule_from_api(api_rule(20, [{"Field": "path-pattern", "Values": ["/a*"]}], forward(("late", 1)))),
            rule_from_api(
                api_rule(
                    3,
                    [
                        {"Field": "path-pattern", "Values": ["/a*"]},
                        {"Field": "http-request-method", "HttpRequestMethodConfig": {"Values": ["POST"]}},
                    ],
                    forward(("post", 1)),
                )
            ),
            rule_from_api(
                api_rule(10, [{"Field": "path-pattern", "Values": ["/a*"]}], forward(("early", 1)))
            ),
            rule_from_api(api_rule("default", [], FIXED_404)),
        ]
    )
    assert [r.priority for r in rules] == [3, 10, 20, None]
    assert matching_rule(rules, request(path="/abc")).action.target_groups == (("early", 1),)
    assert matching_rule(rules, request(path="/abc", method="POST")).action.target_groups == (("post", 1),)
    assert matching_rule(rules, request(path="/zzz")).action.status == 404


def test_query_string_and_source_ip_conditions():
    query = rule_from_api(
        api_rule(
            1,
            [
                {
                    "Field": "query-string",
                    "QueryStringConfig": {"Values": [{"Key": "version", "Value": "v1"}, {"Value": "exa*"}]},
                }
            ],
            forward(("q", 1)),
        )
    )
    assert matching_rule((query,), request(query="version=V1"))
    assert matching_rule((query,), request(query="any=example"))
    assert matching_rule((query,), request(query="version=v2")) is None
    condition = {"Field": "source-ip", "SourceIpConfig": {"Values": ["198.51.100.0/24"]}}
    source = rule_from_api(api_rule(1, [condition], forward(("s", 1))))
    assert matching_rule((source,), request(source="198.51.100.7"))
    assert matching_rule((source,), request(source="203.0.113.1")) is None


# -- actions -----------------------------------------------------------------------------------------------


def test_weighted_forward_follows_the_weights_and_skips_zero():
    action = rule_from_api(api_rule(1, [], forward(("blue", 100), ("green", 0)))).action
    rng = random.Random(7)
    assert {choose_target_group(action, rng) for _ in range(200)} == {"blue"}
    split = rule_from_api(api_rule(1, [], forward(("blue", 1), ("green", 3)))).action
    picks = [choose_target_group(split, rng) for _ in range(4000)]
    assert 800 < picks.count("blue") < 1200  # about a quarter
    assert choose_target_group(Action("forward", target_groups=(("x", 0),)), rng) is None


def test_redirect_fills_the_reserved_keywords():
    config = {"Protocol": "HTTPS", "Host": "new.#{host}", "Path": "/new/#{path}", "StatusCode": "HTTP_301"}
    action = rule_from_api(api_rule(1, [], [{"Type": "redirect", "RedirectConfig": config}])).action
    assert action.status == 301
    got = redirect_location(action, request(host="Old.Example.com", path="/a/b", query="x=1"))
    assert got == "https://new.old.example.com:443/new/a/b?x=1"
    defaults = rule_from_api(
        api_rule(1, [], [{"Type": "redirect", "RedirectConfig": {"Port": "8443", "StatusCode": "HTTP_302"}}])
    ).action
    assert defaults.status == 302
    assert (
        redirect_location(defaults, request(host="h.example.com", path="/p"))
        == "https://h.example.com:8443/p"
    )


def test_fixed_response_and_error_pages():
    action = rule_from_api(api_rule("default", [], FIXED_404)).action
    assert (action.status, action.content_type, action.body) == (404, "text/plain", "Not Found")
    assert len(error_page(502)) == 122 and b"<title>502 Bad Gateway</title>" in error_page(502)
    assert len(error_page(503)) == 162 and b"503 Service Temporarily Unavailable" in error_page(503)


# -- headers -----------------------------------------------------------------------------------------------


def test_forwarded_headers_append_replace_and_add_no_forwarded_host():
    out = upstream_headers(
        [
            ("Host", "ab.on.aws"),
            ("X-Forwarded-For", "203.0.113.7"),
            ("X-Forwarded-Proto", "http"),
            ("X-Forwarded-Port", "80"),
            ("Connection", "keep-alive, X-Hop"),
            ("X-Hop", "1"),
            ("Accept", "*/*"),
        ],
        "130.176.0.1",
        "HTTPS",
        443,
    )
    got = {k.lower(): v for k, v in out}
    assert got["x-forwarded-for"] == "203.0.113.7, 130.176.0.1"
    assert (got["x-forwarded-proto"], got["x-forwarded-port"]) == ("https", "443")
    assert got["host"] == "ab.on.aws" and got["accept"] == "*/*"
    assert "x-forwarded-host" not in got and "x-hop" not in got and "connection" not in got
    assert re.fullmatch(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}", got["x-amzn-trace-id"])
    alone = {k.lower(): v for k, v in upstream_headers([("Host", "h")], "198.51.100.7", "HTTPS", 443)}
    assert alone["x-forwarded-for"] == "198.51.100.7"


def test_trace_id_keeps_root_and_inserts_or_updates_self():
    root = "Root=1-67891233-abcdef012345678912345678"
    with_self = trace_id(f"{root};CalledFrom=app", now=0x67891234)
    assert re.fullmatch(r"Self=1-67891234-[0-9a-f]{24};" + root + ";CalledFrom=app", with_self)
    updated = trace_id(f"Self=1-00000000-000000000000000000000000;{root}", now=0x67891235)
    assert updated.startswith("Self=1-67891235-") and updated.count("Self=") == 1 and root in updated
    assert trace_id(None).startswith("Root=1-")


# -- security groups ---------------------------------------------------------------------------------------


def test_security_group_rules_cidr_prefix_list_and_ports():
    groups = [
        {
            "GroupId": "sg-1",
            "IpPermissions": [
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "IpRanges": [],
                    "Ipv6Ranges": [],
                    "PrefixListIds": [{"PrefixListId": "pl-cf"}],
                },
                {
                    "IpProtocol": "tcp",
                    "FromPort": 80,
                    "ToPort": 80,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                    "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
                    "PrefixListIds": [],
                },
            ],
        }
    ]
    permissions = permissions_from_api(groups, {"pl-cf": ("130.176.0.0/18",)})
    assert allows(permissions, "130.176.0.1", 443)
    assert not allows(permissions, "127.0.0.1", 443)
    assert allows(permissions, "127.0.0.1", 80) and allows(permissions, "::1", 80)
    assert not allows(permissions, "130.176.0.1", 8443)
    all_traffic = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    everything = permissions_from_api([{"IpPermissions": [all_traffic]}], {})
    assert allows(everything, "127.0.0.1", 8443)
    assert not allows(permissions_from_api([{"IpPermissions": []}], {}), "127.0.0.1", 443)  # no rule: nothing
    unread = permissions_from_api(groups, {})  # a prefix list that could not be read lets nothing in
    assert not allows(unread, "130.176.0.1", 443)


def test_source_book_stands_a_connection_for_the_written_address():
    book = SourceBook()
    with socket.create_server(("127.0.0.1", 0)) as server:
        client = book.connect(server.getsockname(), "130.176.0.1", timeout=2)
        conn, peer = server.accept()
        with client, conn:
            assert book.take(peer) == "130.176.0.1"
            assert book.take(peer) is None  # taken once
        with socket.create_connection(server.getsockname(), timeout=2):
            conn, peer = server.accept()
            conn.close()
            assert book.take(peer) is None  # nobody wrote it down: the real peer stands
    closed = socket.create_server(("127.0.0.1", 0))
    address = closed.getsockname()
    closed.close()
    with pytest.raises(OSError):
        book.connect(address, "130.176.0.1", timeout=2)
    assert len(book) == 0  # a failed connect leaves no entry


def test_region_of_names_only_real_regions():
    assert region_of("express-1-1.us-east-1.elb.amazonaws.com") == "us-east-1"
    assert region_of("br-5c88aa.ecs.sa-east-1.on.aws") == "sa-east-1"
    assert region_of("br-5c88aa.ecs.xx-nowhere-1.on.aws") is None


# -- SslPolicy -> real handshakes ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca():
    return trustme.CA()


def handshake(ca, policy: str, versions: tuple[str, ...], ciphers: str | None = None) -> str | None:
    """The protocol a client offering ``versions`` (and ``ciphers``) negotiates with a server restricted to
    ``policy``; None when the handshake fails."""
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ssl_policies.restrict_context(server_ctx, policy)
    ca.issue_cert("alb.test").configure_cert(server_ctx)
    client_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ca.configure_trust(client_ctx)
    from hostlab.local.dataplane.tls import restrict_versions

    restrict_versions(client_ctx, versions)
    if ciphers:
        client_ctx.set_ciphers(ciphers + ":@SECLEVEL=0")
    a, b = socket.socketpair()
    a.settimeout(5)
    b.settimeout(5)
    outcome: dict = {}

    def serve():
        try:
            with server_ctx.wrap_socket(a, server_side=True) as tls:
                outcome["server"] = tls.version()
        except (ssl.SSLError, OSError) as exc:
            outcome["server_error"] = exc

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with client_ctx.wrap_socket(b, server_hostname="alb.test") as tls:
            version = tls.version()
    except (ssl.SSLError, OSError):
        version = None
    finally:
        thread.join(5)
    return version


def test_policy_versions_are_what_the_guide_lists(ca):
    assert handshake(ca, "ELBSecurityPolicy-TLS13-1-2-2021-06", ("TLSv1.3",)) == "TLSv1.3"
    assert handshake(ca, "ELBSecurityPolicy-TLS13-1-2-2021-06", ("TLSv1.2",)) == "TLSv1.2"
    assert handshake(ca, "ELBSecurityPolicy-TLS13-1-2-2021-06", ("TLSv1",)) is None
    assert handshake(ca, "ELBSecurityPolicy-TLS-1-2-2017-01", ("TLSv1.3",)) is None
    assert handshake(ca, "ELBSecurityPolicy-2016-08", ("TLSv1",)) == "TLSv1"
    assert handshake(ca, "ELBSecurityPolicy-TLS13-1-3-2021-06", ("TLSv1.2",)) is None
    assert handshake(ca, "ELBSecurityPolicy-TLS13-1-0-2021-06", ("TLSv1",)) == "TLSv1"


def test_policy_ciphers_are_enforced(ca):
    sha1 = "ECDHE-ECDSA-AES128-SHA"
    assert handshake(ca, "ELBSecurityPolicy-2016-08", ("TLSv1.2",), sha1) == "TLSv1.2"
    assert handshake(ca, "ELBSecurityPolicy-TLS-1-2-2017-01", ("TLSv1.2",), sha1) is None
    gcm = "ECDHE-ECDSA-AES128-GCM-SHA256"
    assert handshake(ca, "ELBSecurityPolicy-TLS-1-2-2017-01", ("TLSv1.2",), gcm) == "TLSv1.2"
    cbc256 = "ECDHE-ECDSA-AES256-SHA384"
    assert handshake(ca, "ELBSecurityPolicy-FS-1-2-Res-2020-10", ("TLSv1.2",), cbc256) is None
    assert handshake(ca, "ELBSecurityPolicy-TLS13-1-2-2021-06", ("TLSv1.2",), cbc256) == "TLSv1.2"


def test_unknown_policy_is_refused():
    with pytest.raises(ssl_policies.UnknownPolicy):
        ssl_policies.restrict_context(ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER), "ELBSecurityPolicy-Made-Up")


def test_every_policy_the_control_plane_accepts_is_in_the_table(make_client):
    """moto decides which names CreateListener accepts; the front must know each of them."""
    names = {p["Name"] for p in make_client("elbv2").describe_ssl_policies()["SslPolicies"]}
    assert "ELBSecurityPolicy-2016-08" in names
    assert names <= set(ssl_policies.POLICIES), sorted(names - set(ssl_policies.POLICIES))


class _TwoStepAlbState:
    """An ELBv2 state read twice: first the load balancer without its listener (read between
    CreateLoadBalancer and CreateListener), then with its HTTP listener on port 80."""

    DNS = "hostlab-alb-1.us-east-1.elb.amazonaws.com"

    def __init__(self):
        from hostlab.local.platforms.express.alb_state import AlbSnapshot, AlbView, ListenerView

        self.reads = 0
        bare = AlbView("arn:alb/1", self.DNS, "internet-facing", {}, ())
        listener = ListenerView("arn:listener/1", 80, "HTTP", "", (), ())
        full = AlbView("arn:alb/1", self.DNS, "internet-facing", {80: listener}, ())
        self.snapshots = [AlbSnapshot(albs=(bare,)), AlbSnapshot(albs=(full,))]

    def snapshot(self):
        self.reads += 1
        return self.snapshots[min(self.reads, len(self.snapshots)) - 1]


def test_a_known_load_balancer_without_the_listener_asked_reads_again(tmp_path):
    from hostlab.local.dataplane.tls import LocalCA
    from hostlab.local.platforms.express.alb_front import ExpressAlbFront
    from hostlab.settings import Settings

    state = _TwoStepAlbState()
    front = ExpressAlbFront(Settings(home=tmp_path), LocalCA(tmp_path / "ca"), "http://unused.invalid",
                            state=state)
    front.start()
    try:
        front._tables.at_least(time.monotonic())  # the stale snapshot: the ALB, no listener yet
        assert state.reads == 1 and front._tables.value.albs[0].listeners == {}
        address = front.route(state.DNS, 80)
        assert state.reads == 2  # the missing listener made route() read at once
        assert address is not None and address[0] == "127.0.0.1"
        # Positive control: a port the load balancer still has no listener on finds none after its read.
        assert front.route(state.DNS, 443) is None and state.reads == 3
    finally:
        front.stop()


class _Elbv2Vanishing:
    """ELBv2 answers of a read during which one load balancer and one listener are deleted."""

    def __init__(self, other_error: str | None = None):
        self.other_error = other_error

    @staticmethod
    def _error(code: str, operation: str):
        from botocore.exceptions import ClientError

        return ClientError({"Error": {"Code": code, "Message": "gone"}}, operation)

    def describe_load_balancers(self, **_):
        return {"LoadBalancers": [
            {"LoadBalancerArn": f"arn:alb/{n}", "DNSName": f"alb-{n}.us-east-1.elb.amazonaws.com",
             "Scheme": "internet-facing", "Type": "application", "SecurityGroups": []}
            for n in (1, 2)
        ]}

    def describe_listeners(self, LoadBalancerArn, **_):
        if LoadBalancerArn == "arn:alb/1":
            raise self._error(self.other_error or "LoadBalancerNotFound", "DescribeListeners")
        return {"Listeners": [{"ListenerArn": f"arn:listener/{p}", "Port": p, "Protocol": "HTTP"}
                              for p in (80, 8080)]}

    def describe_rules(self, ListenerArn, **_):
        if ListenerArn == "arn:listener/8080":
            raise self._error("ListenerNotFound", "DescribeRules")
        return {"Rules": []}


def test_a_load_balancer_or_listener_deleted_during_a_read_is_left_out_of_it():
    from botocore.exceptions import ClientError

    from hostlab.local.platforms.express.alb_state import AlbApiState

    class State(AlbApiState):
        def __init__(self, elbv2):
            super().__init__("http://unused.invalid", {"us-east-1"})
            self.elbv2 = elbv2

        def client(self, service, region):
            assert service in ("elbv2", "ec2"), service  # EC2: no security group here, so never called
            return self.elbv2 if service == "elbv2" else None

    snapshot = State(_Elbv2Vanishing()).snapshot()
    assert [alb.arn for alb in snapshot.albs] == ["arn:alb/2"]  # the deleted load balancer is left out
    assert list(snapshot.albs[0].listeners) == [80]  # and the deleted listener; the rest is read
    # Positive control: any other error still fails the read (the Refresher then keeps the old snapshot).
    with pytest.raises(ClientError, match="Throttling"):
        State(_Elbv2Vanishing(other_error="Throttling")).snapshot()
