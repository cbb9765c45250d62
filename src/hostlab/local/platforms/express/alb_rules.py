"""An ALB listener's rules as the ELBv2 API returns them, and the pure decision: which action a request gets.

Sources: ELB user guide for Application Load Balancers, "Listener rules" / "Rule condition types" /
"Rule action types" (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/
load-balancer-listeners.html and rule-condition-types.html; older copy: awsdocs/
elb-application-load-balancers-user-guide, doc_source/load-balancer-listeners.md), and the API reference
(RuleCondition, Action, ForwardActionConfig, RedirectActionConfig, FixedResponseActionConfig).

- Rules are evaluated in priority order, lowest value first; the default rule (IsDefault, Priority
  "default") is evaluated last ("Listener rules": "Rules are evaluated in priority order, from the lowest
  value to the highest value. The default rule is evaluated last").
- A rule matches when every one of its conditions matches; a condition matches when any of its values does
  ("You can specify up to three match evaluations per condition ... The condition is satisfied if one of
  the strings matches").
- host-header: case-insensitive, ``*`` matches 0 or more characters and ``?`` exactly one; "*.example.com
  matches test.example.com but doesn't match example.com". Compared with the Host header without its port
  (ASSUMPTION: the guide does not say how a port in Host is treated; a Host with :443 still routes).
- path-pattern: case-sensitive, same wildcards, applied to the path only, not the query string.
- http-header: header name and values case-insensitive, same wildcards; not in the name.
- http-request-method: case-sensitive exact match. query-string: key/value pairs (or values alone),
  case-insensitive, same wildcards. source-ip: CIDR blocks, against the connection's source address (not
  X-Forwarded-For).
- forward: one target group, or ForwardConfig's target groups chosen at random in proportion to their
  Weight (0 to 999; a group with weight 0 gets no traffic). Stickiness is not modelled.
- redirect: URI ``protocol://host:port/path?query``; components not given keep their value; the keywords
  #{protocol}, #{host}, #{port}, #{path} (the path without its leading "/") and #{query} reuse the request's.
  The API's defaults are #{protocol}, #{host}, #{port}, /#{path} and #{query} (RedirectActionConfig).
  ASSUMPTION: the Location is written with its port even when it is the scheme's default (the guide
  writes every redirect as ``protocol://hostname:port/path?query``; no capture of a real answer found).
- fixed-response: StatusCode, ContentType (the API allows text/plain, text/css, text/html,
  application/javascript, application/json) and MessageBody.
"""

from __future__ import annotations

import ipaddress
import random
import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qsl


@dataclass(frozen=True)
class Condition:
    field: str
    values: tuple[str, ...] = ()
    header_name: str = ""  # http-header only
    query: tuple[tuple[str | None, str], ...] = ()  # query-string only: (key or None, value)


@dataclass(frozen=True)
class Action:
    type: str  # forward | fixed-response | redirect (authenticate-* are not modelled)
    target_groups: tuple[tuple[str, int], ...] = ()  # forward: (arn, weight)
    status: int = 0  # fixed-response and redirect
    content_type: str = ""
    body: str = ""
    redirect: tuple[tuple[str, str], ...] = ()  # (component, template), from RedirectConfig


@dataclass(frozen=True)
class Rule:
    priority: int | None  # None: the default rule
    conditions: tuple[Condition, ...]
    action: Action
    arn: str = ""


@dataclass(frozen=True)
class Request:
    """What the rules look at."""

    host: str  # Host header, as sent
    path: str  # request target's path
    query: str  # request target's query, without "?"
    method: str
    headers: tuple[tuple[str, str], ...]
    source_ip: str
    protocol: str  # "HTTPS" or "HTTP": the listener's
    port: int  # the listener's


# -- reading the API's shapes ------------------------------------------------------------------------------


def condition_from_api(data: dict) -> Condition:
    name = data.get("Field", "")
    if name == "host-header":
        values = (data.get("HostHeaderConfig") or {}).get("Values") or data.get("Values") or []
    elif name == "path-pattern":
        values = (data.get("PathPatternConfig") or {}).get("Values") or data.get("Values") or []
    elif name == "http-header":
        config = data.get("HttpHeaderConfig") or {}
        values = config.get("Values") or ()
        return Condition(name, tuple(values), header_name=config.get("HttpHeaderName", ""))
    elif name == "http-request-method":
        values = (data.get("HttpRequestMethodConfig") or {}).get("Values") or []
    elif name == "source-ip":
        values = (data.get("SourceIpConfig") or {}).get("Values") or []
    elif name == "query-string":
        pairs = (data.get("QueryStringConfig") or {}).get("Values") or []
        return Condition(name, query=tuple((p.get("Key"), p.get("Value", "")) for p in pairs))
    else:
        values = data.get("Values") or []
    return Condition(name, tuple(values))


def action_from_api(actions: list[dict]) -> Action:
    """The terminal action of a rule (the last by Order; authenticate-* actions come before it)."""
    ordered = sorted(actions, key=lambda a: a.get("Order", 0))
    data = ordered[-1] if ordered else {}
    kind = data.get("Type", "")
    if kind == "forward":
        groups = (data.get("ForwardConfig") or {}).get("TargetGroups") or []
        pairs = tuple((g["TargetGroupArn"], int(g.get("Weight", 1))) for g in groups)
        if not pairs and data.get("TargetGroupArn"):
            pairs = ((data["TargetGroupArn"], 1),)
        return Action(kind, target_groups=pairs)
    if kind == "fixed-response":
        config = data.get("FixedResponseConfig") or {}
        return Action(kind, status=int(config.get("StatusCode", "200")),
                      content_type=config.get("ContentType", ""), body=config.get("MessageBody", ""))
    if kind == "redirect":
        config = data.get("RedirectConfig") or {}
        status = 301 if config.get("StatusCode") == "HTTP_301" else 302
        keys = ("Protocol", "Host", "Port", "Path", "Query")
        return Action(kind, status=status, redirect=tuple((k, config[k]) for k in keys if k in config))
    return Action(kind)


def rule_from_api(data: dict) -> Rule:
    priority = data.get("Priority", "default")
    return Rule(
        priority=None if data.get("IsDefault") or priority == "default" else int(priority),
        conditions=tuple(condition_from_api(c) for c in data.get("Conditions") or ()),
        action=action_from_api(data.get("Actions") or []),
        arn=data.get("RuleArn", ""),
    )


def ordered(rules: list[Rule]) -> tuple[Rule, ...]:
    """Priority order, the default rule last."""
    return tuple(sorted(rules, key=lambda r: (r.priority is None, r.priority or 0)))


# -- matching ------------------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, ignore_case: bool) -> re.Pattern:
    parts = ("." if ch == "?" else ".*" if ch == "*" else re.escape(ch) for ch in pattern)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def wildcard_match(pattern: str, value: str, *, ignore_case: bool) -> bool:
    """``*`` = 0 or more characters, ``?`` = exactly one, the whole value must match."""
    return _wildcard(pattern, ignore_case).fullmatch(value) is not None


def host_without_port(host: str) -> str:
    host = host.strip()
    if host.startswith("["):
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def condition_matches(condition: Condition, request: Request) -> bool:
    kind = condition.field
    if kind == "host-header":
        host = host_without_port(request.host)
        return any(wildcard_match(v, host, ignore_case=True) for v in condition.values)
    if kind == "path-pattern":
        return any(wildcard_match(v, request.path, ignore_case=False) for v in condition.values)
    if kind == "http-header":
        name = condition.header_name.lower()
        present = [value for key, value in request.headers if key.lower() == name]
        return any(wildcard_match(v, value, ignore_case=True) for v in condition.values for value in present)
    if kind == "http-request-method":
        return request.method in condition.values
    if kind == "source-ip":
        try:
            source = ipaddress.ip_address(request.source_ip)
        except ValueError:
            return False
        return any(source in ipaddress.ip_network(v, strict=False) for v in condition.values)
    if kind == "query-string":
        pairs = parse_qsl(request.query, keep_blank_values=True)
        return any(
            (key is None or wildcard_match(key, k, ignore_case=True))
            and wildcard_match(value, v, ignore_case=True)
            for key, value in condition.query
            for k, v in pairs
        )
    return False  # a condition type this model does not know never matches


def matching_rule(rules: tuple[Rule, ...], request: Request) -> Rule | None:
    """The first rule, in priority order, whose conditions all match (``rules`` come from ordered())."""
    for rule in rules:
        if all(condition_matches(c, request) for c in rule.conditions):
            return rule
    return None


def choose_target_group(action: Action, rng: random.Random | None = None) -> str | None:
    """A target group of a forward action, at random in proportion to the weights; None when every weight
    is 0."""
    groups = [(arn, weight) for arn, weight in action.target_groups if weight > 0]
    if not groups:
        return None
    if len(groups) == 1:
        return groups[0][0]
    pick = (rng or random).uniform(0, sum(w for _, w in groups))
    for arn, weight in groups:
        pick -= weight
        if pick < 0:
            return arn
    return groups[-1][0]


@dataclass
class _Uri:
    protocol: str
    host: str
    port: str
    path: str  # with its leading "/"
    query: str
    parts: dict[str, str] = field(default_factory=dict)


def redirect_location(action: Action, request: Request) -> str:
    """The Location of a redirect action for ``request`` (module docstring)."""
    keywords = {
        "protocol": request.protocol.lower(),
        "host": host_without_port(request.host).lower(),
        "port": str(request.port),
        "path": request.path[1:] if request.path.startswith("/") else request.path,
        "query": request.query,
    }

    def fill(template: str) -> str:
        return re.sub(r"#\{(protocol|host|port|path|query)\}", lambda m: keywords[m.group(1)], template)

    config = dict(action.redirect)
    protocol = fill(config.get("Protocol", "#{protocol}")).lower()
    host = fill(config.get("Host", "#{host}"))
    port = fill(config.get("Port", "#{port}"))
    path = fill(config.get("Path", "/#{path}"))
    query = fill(config.get("Query", "#{query}"))
    location = f"{protocol}://{host}:{port}{path}"
    return f"{location}?{query}" if query else location
