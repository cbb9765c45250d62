"""The probe set: for each cache behaviour of a deployed distribution (hostlab.check.standup), one finding per
check of model.CHECKS, probed through the local edge where a probe can tell, judged from the configuration
(hostlab.check.rules) where it cannot, and NOT_CHECKED with the reason where neither is honest.

Probe paths: the demo app serves its routes under any prefix after the segment ``hostlab-check/``
(hostlab.app.demo_app.check_route), so a behaviour's pattern gets a concrete path by replacing its first ``*``
with ``hostlab-check/<route>/<nonce>`` (later ``*`` with ``x``, ``?`` with ``a``; the extension is kept). An
exact pattern (no ``*``) cannot carry a route: its probes are NOT_CHECKED. CloudFront takes the first
behaviour whose pattern matches (CF-DG DownloadDistValuesCacheBehavior.html#DownloadDistValuesPathPattern);
a probe path an earlier behaviour would take is not used.
"""

from __future__ import annotations

import itertools
import json
import re
import socket
import ssl
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import requests
import urllib3

from hostlab.check import rules
from hostlab.check.backend import PROBE_TIMEOUT, PrivateBackend
from hostlab.check.model import (
    API_GATEWAY,
    CHECKS,
    FAIL,
    LAMBDA_URL,
    NA,
    NOT_CHECKED,
    OK,
    POST_URL,
    S3,
    ApiPath,
    Finding,
)
from hostlab.check.rules import BehaviorView, items
from hostlab.check.standup import READ_LIMITS, Deployed, StandIn
from hostlab.tls_trust import one_version_context

# Behaviours probed at the same time (threads; each probe mostly waits for the edge).
PARALLEL_BEHAVIOURS = 4
# Seconds a direct request to an origin whose security group admits only CloudFront waits for an answer.
DROPPED_TIMEOUT = 1.5
FRONT_WORDS = {
    "apprunner": "App Runner's front",
    "express": "the Express load balancer",
    "alb": "the load balancer",
}
KIND_WORDS = {
    "apigateway": "an API Gateway",
    "lambda-url": "a Lambda function URL",
    "s3": "an Amazon S3 website",
}
SECRET_EXAMPLE = "<a long random value, also set in the app>"
ACM_EXAMPLE = "arn:aws:acm:us-east-1:<account>:certificate/<id>"
# The headers a symptom shows, as a user sees them.
TELLING = ("server", "x-cache", "age", "location", "content-type")


def pattern_matches(pattern: str, path: str) -> bool:
    """CloudFront's path pattern match: ``*`` any characters, ``?`` one, case-sensitive, the leading ``/``
    optional (CF-DG DownloadDistValuesCacheBehavior.html#DownloadDistValuesPathPattern)."""
    pattern = pattern if pattern.startswith("/") else "/" + pattern
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, path, flags=re.DOTALL) is not None


def probe_path(pattern: str, route: str, nonce: str) -> str | None:
    """A concrete path for ``pattern`` that the demo app serves as ``route``; None for an exact pattern."""
    if "*" not in pattern:
        return None
    pattern = pattern if pattern.startswith("/") else "/" + pattern
    head, tail = pattern.split("*", 1)
    head, tail = head.replace("?", "a"), tail.replace("*", "x").replace("?", "a")
    return f"{head}hostlab-check/{route}/{nonce}{tail}"


def _where(deployed: Deployed, path: ApiPath) -> str:
    return str(deployed.dist.source.where(path))


def _fix(sentence: str, check: str) -> str:
    return f"{sentence} ({POST_URL}{CHECKS[check]})"


def seen(answer: requests.Response | None, method: str = "GET", path: str = "") -> str:
    """What a user sees: the status and the telling headers."""
    if answer is None:
        return f"{method} {path}: no answer"
    shown = [f"{name}: {answer.headers[name]}" for name in TELLING if name in answer.headers]
    return (
        f"{method} {path} -> {answer.status_code}"
        + (", " + ", ".join(shown) if shown else "")
        + (f", body {len(answer.content)} bytes")
    )


@dataclass
class Answer:
    response: requests.Response | None
    error: str = ""
    failure: str | None = None  # the edge's origin failure kind for a 502/504
    path: str = ""


class Prober:
    """Probes one deployed distribution (and its TLS-corrected twin, when the origin TLS fails)."""

    def __init__(
        self,
        backend: PrivateBackend,
        deployed: Deployed,
        twin: Deployed | None,
        tls_failed: dict[str, Answer],
        caching_disabled_caches_errors: bool = False,
    ):
        self.backend = backend
        self.deployed = deployed
        self.twin = twin
        self.tls_failed = tls_failed  # origin Id -> the failing answer
        self.caching_disabled_caches_errors = caching_disabled_caches_errors
        self._nonces = itertools.count(1)
        self.views = rules.behaviors(deployed.dist.config)
        self._resolve_policies()
        self._viewer_tls: tuple[Any, str] | None = None
        self._local = threading.local()
        self._lock = threading.Lock()
        self._sessions: list[requests.Session] = []
        self._direct_answers: dict[str, tuple] = {}

    # -- plumbing -------------------------------------------------------------------------------------------

    def nonce(self) -> str:
        return f"n{next(self._nonces)}"

    def _resolve_policies(self) -> None:
        """Read each behaviour's policies back from the backend (managed ones by ID, custom ones as created)
        and name them as the reader does."""
        cloudfront = self.backend.client("cloudfront")
        created = rules.behaviors(self.deployed.config) if self.deployed.config else []
        for view, made in zip(self.views, created, strict=False):
            for key, getter, shape in (
                ("CachePolicyId", cloudfront.get_cache_policy, "CachePolicy"),
                ("OriginRequestPolicyId", cloudfront.get_origin_request_policy, "OriginRequestPolicy"),
            ):
                given, real = view.settings.get(key), made.settings.get(key)
                if not real:
                    continue
                policy = getter(Id=real)[shape][f"{shape}Config"]
                name = (
                    given.split(":", 1)[1]
                    if str(given).startswith("hostlab-policy:")
                    else (f"{policy.get('Name', real)} ({real})")
                )
                if key == "CachePolicyId":
                    view.cache_policy, view.cache_policy_name = policy, name
                else:
                    view.origin_request_policy, view.origin_request_policy_name = policy, name

    def get(self, deployed: Deployed, path: str, headers: dict[str, str] | None = None) -> Answer:
        try:
            response = self.session.get(
                f"https://{deployed.viewer_host}{path}",
                headers=headers or {},
                timeout=PROBE_TIMEOUT,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            return Answer(None, f"{type(exc).__name__}: {exc}", path=path)
        failure = None
        if response.status_code in (502, 504) and "x-amz-cf-id" in response.headers:
            failure = self.backend.origin_failure(response.headers["x-amz-cf-id"])
        return Answer(response, failure=failure, path=path)

    def standin(self, view: BehaviorView) -> tuple[StandIn | None, int | None]:
        origin_id = view.settings.get("TargetOriginId", "")
        return self.deployed.standins.get(origin_id), rules.origin_index(self.deployed.dist.config, origin_id)

    def reader_names(self, text: str) -> str:
        """``text`` with the stand-ins' domains replaced by the reader's origin domains."""
        for standin in self.deployed.standins.values():
            if standin.domain and standin.domain != standin.reader_domain:
                text = text.replace(standin.domain, standin.reader_domain)
        return text

    def finding(
        self,
        view: BehaviorView,
        check: str,
        verdict: str,
        symptom: str,
        cause: str,
        where: str,
        fix: str,
        patch: str | None = None,
    ) -> Finding:
        return Finding(
            self.deployed.dist.name,
            view.label,
            check,
            verdict,
            self.reader_names(symptom),
            self.reader_names(cause),
            where,
            _fix(fix, check),
            patch if verdict == FAIL else None,
        )

    def path_for(self, view: BehaviorView, route: str) -> tuple[str | None, str]:
        """A probe path for this behaviour, or (None, why not)."""
        path = probe_path(view.pattern, route, self.nonce())
        if path is None:
            return None, (
                f"the path pattern {view.pattern!r} has no '*': a probe cannot carry the demo app's "
                "route under it"
            )
        for other in self.views[1:]:
            if other is view:
                break
            if pattern_matches(other.pattern, path):
                return None, f"the probe path {path} is taken by the earlier behaviour {other.pattern!r}"
        if view.pattern == "*":
            for other in self.views[1:]:
                if pattern_matches(other.pattern, path):
                    return None, f"the probe path {path} is taken by the behaviour {other.pattern!r}"
        return path, ""

    def target(self, view: BehaviorView) -> tuple[Deployed, str]:
        """The distribution to probe for origin-facing checks: the twin when the origin's TLS fails."""
        origin_id = view.settings.get("TargetOriginId", "")
        if origin_id in self.tls_failed and self.twin is not None and not self.twin.error:
            standin = self.deployed.standins[origin_id]
            return self.twin, (
                f" (probed with OriginSslProtocols {list(accepted_versions(standin))}: with the given "
                "ones every request is 502, see origin-tls)"
            )
        return self.deployed, ""

    def tls_failures(self) -> dict[str, Answer]:
        """Origin Id -> the answer of a probe whose origin TLS handshake failed (one probe per origin)."""
        failed: dict[str, Answer] = {}
        done: set[str] = set()
        for view in self.views:
            standin, index = self.standin(view)
            if standin is None or standin.unavailable or standin.origin_id in done:
                continue
            origin = items(self.deployed.dist.config.get("Origins"))[index]  # type: ignore[index]
            if (origin.get("CustomOriginConfig") or {}).get("OriginProtocolPolicy") == "http-only":
                continue
            path, _ = self.path_for(view, "echo")
            if path is None:
                continue
            done.add(standin.origin_id)
            answer = self.get(self.deployed, path)
            if answer.failure in ("tls_handshake", "tls_no_version"):
                failed[standin.origin_id] = answer
        return failed

    # -- the checks ------------------------------------------------------------------------------------------

    @property
    def session(self) -> requests.Session:
        """This thread's session: behaviours are probed in parallel, and a Session is not for sharing."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = self.backend.new_session()
            with self._lock:
                self._sessions.append(session)
        return session

    def run(self) -> list[Finding]:
        """Every behaviour's findings, in CHECKS order. Behaviours are probed concurrently: their probes use
        paths of their own with nonces of their own, so no cache entry or origin answer is shared."""
        if self._viewer_tls is None:
            self._viewer_tls = self._probe_viewer_tls()
        for view in self.views:  # the origins requested directly, before any thread starts
            standin, index = self.standin(view)
            usable = standin is not None and not standin.unavailable and index is not None
            if usable and not (standin.private and standin.kind == "apprunner"):  # type: ignore[union-attr]
                self._direct(standin, index)  # type: ignore[arg-type]
        try:
            with ThreadPoolExecutor(max_workers=min(PARALLEL_BEHAVIOURS, len(self.views))) as pool:
                per_view = list(pool.map(self._behaviour, self.views))
        finally:
            for session in self._sessions:
                session.close()
        return [finding for found in per_view for finding in found]

    def _behaviour(self, view: BehaviorView) -> list[Finding]:
        found = []
        for check in CHECKS:
            finding = getattr(self, "check_" + check.replace("-", "_"))(view)
            found.append(self._not_emulated(view, finding))
        return found

    def check_host(self, view: BehaviorView) -> Finding:
        standin, _ = self.standin(view)
        forwarders = rules.host_forwarders(view)
        where = (
            _where(self.deployed, forwarders[0][0])
            if forwarders
            else _where(self.deployed, (*view.path, "OriginRequestPolicyId"))
        )
        cause = "; ".join(w for _, w in forwarders) or "nothing in this behaviour forwards the viewer's Host"
        patch = (
            self.deployed.dist.source.patch(
                (*view.path, "OriginRequestPolicyId"), rules.ALL_VIEWER_EXCEPT_HOST_HEADER
            )
            if forwarders
            else None
        )
        if forwarders and forwarders[0][0][-1] == "CachePolicyId":
            given = str(view.settings.get("CachePolicyId", ""))
            policy = self.deployed.dist.policies.get(given.split(":", 1)[1]) if ":" in given else None
            place = f"{policy.where}: " if policy is not None else ""
            patch = f"{place}remove Host from ParametersInCacheKeyAndForwardedToOrigin.HeadersConfig.Headers"
        elif forwarders and forwarders[0][0][-1] == "Headers":
            patch = self.deployed.dist.source.patch(forwarders[0][0], {"Quantity": 0, "Items": []})
        fix = "forward everything but Host: the managed policy AllViewerExceptHostHeader"
        if standin is None or standin.unavailable:
            return self._host_by_rule(view, standin, forwarders, cause, where, patch, fix)
        path, why = self.path_for(view, "echo")
        if path is None:
            return self.finding(view, "host", NOT_CHECKED, why, cause, where, fix)
        deployed, note = self.target(view)
        answer = self.get(deployed, path)
        symptom = seen(answer.response, path=path) + note
        if answer.response is None:
            return self.finding(view, "host", NOT_CHECKED, answer.error, cause, where, fix)
        status = answer.response.status_code
        if status == 404 and standin.host_routed:
            symptom += (
                f" with Host {deployed.viewer_host_words}: {FRONT_WORDS[standin.kind]} has no route for "
                "that name"
            )
            return self.finding(view, "host", FAIL, symptom, cause, where, fix, patch)
        if status == 200:
            if not standin.host_routed:
                symptom += (
                    f": an {standin.kind.upper()} stand-in forwards every Host (a load balancer routes "
                    "by its listener rules; the checker's has none by host)"
                )
            else:
                front = FRONT_WORDS[standin.kind]
                symptom += f": {front} routed the request (Host reaching it: {_echo_host(answer)})"
            return self.finding(view, "host", OK, symptom, cause, where, fix)
        return self.finding(
            view, "host", NOT_CHECKED, symptom + ": not an answer that tells", cause, where, fix
        )

    def _host_by_rule(self, view, standin, forwarders, cause, where, patch, fix) -> Finding:
        kind = standin.kind if standin else ""
        if kind == S3 and self._s3_origin_config(view):
            # CloudFront does not forward Host to an S3 REST origin: the knowledge-center article
            # configure-cloudfront-to-forward-headers ("For Amazon S3 origins, caches based on the host
            # header isn't supported"; CF-DG header-caching.html).
            return self.finding(
                view,
                "host",
                NA,
                "not probed: an Amazon S3 origin (S3OriginConfig) gets the "
                "bucket's own name as Host, whatever the behaviour forwards",
                cause,
                where,
                fix,
            )
        if kind in (API_GATEWAY, LAMBDA_URL, S3):
            # API Gateway and Lambda URLs expect their own domain name in Host (CF-DG
            # using-managed-origin-request-policies.html, AllViewerExceptHostHeader; an API Gateway
            # origin without a custom domain answers 403: knowledge-center configure-cloudfront-to-forward-
            # headers); an S3 website endpoint finds the bucket by Host (S3 User Guide VirtualHosting.html).
            symptom = f"from the configuration, not probed ({standin.unavailable})"
            if forwarders:
                return self.finding(
                    view,
                    "host",
                    FAIL,
                    symptom + f": {KIND_WORDS[kind]} origin expects its own "
                    "name as Host (API Gateway answers 403 to another)",
                    cause,
                    where,
                    fix,
                    patch,
                )
            return self.finding(
                view, "host", OK, symptom + ": the origin gets its own name as Host", cause, where, fix
            )
        reason = standin.unavailable if standin else f"no origin {view.settings.get('TargetOriginId')!r}"
        return self.finding(view, "host", NOT_CHECKED, reason, cause, where, fix)

    def _s3_origin_config(self, view: BehaviorView) -> bool:
        _, index = self.standin(view)
        origins = items(self.deployed.dist.config.get("Origins"))
        return index is not None and "S3OriginConfig" in origins[index]

    def check_origin_tls(self, view: BehaviorView) -> Finding:
        standin, index = self.standin(view)
        origin = items(self.deployed.dist.config.get("Origins"))[index] if index is not None else {}
        custom = origin.get("CustomOriginConfig") or {}
        api_path = ("Origins", "Items", index, "CustomOriginConfig", "OriginSslProtocols")
        where = _where(self.deployed, api_path) if index is not None else ""
        given = items(custom.get("OriginSslProtocols"))
        cause = f"OriginSslProtocols = {given} (origin {origin.get('Id')})"
        fix = "offer a TLS version the origin accepts in OriginSslProtocols"
        if standin is None or standin.unavailable:
            reason = standin.unavailable if standin else "no origin"
            if standin is not None and "S3OriginConfig" not in origin:
                if custom.get("OriginProtocolPolicy") == "http-only":
                    return self.finding(
                        view,
                        "origin-tls",
                        NA,
                        f"OriginProtocolPolicy http-only: no TLS ({reason})",
                        cause,
                        where,
                        fix,
                    )
                if "TLSv1.2" in given:
                    # ASSUMPTION, said in the symptom: the origin accepts TLS 1.2, as the security policies of
                    # AWS's own endpoints all do (ALB User Guide describe-ssl-policies.html; API Gateway
                    # apigateway-security-policies.html) and as any current server does.
                    return self.finding(
                        view,
                        "origin-tls",
                        OK,
                        f"from the configuration, not probed ({reason}): "
                        "TLSv1.2 is offered, assuming the origin accepts TLS 1.2",
                        cause,
                        where,
                        fix,
                    )
            return self.finding(view, "origin-tls", NOT_CHECKED, reason, cause, where, fix)
        cause += f"; {standin.tls_source}"
        if custom.get("OriginProtocolPolicy") == "http-only":
            return self.finding(
                view,
                "origin-tls",
                NA,
                "OriginProtocolPolicy http-only: CloudFront talks plain "
                "HTTP to this origin, no TLS handshake",
                cause,
                where,
                fix,
            )
        answer = self.tls_failed.get(standin.origin_id)
        path = answer.path if answer is not None else ""
        if answer is None:
            path, why = self.path_for(view, "echo")
            if path is None:
                return self.finding(view, "origin-tls", NOT_CHECKED, why, cause, where, fix)
            answer = self.get(self.deployed, path)
        symptom = seen(answer.response, path=path or "(the origin's probe)")
        if answer.response is None:
            return self.finding(view, "origin-tls", NOT_CHECKED, answer.error, cause, where, fix)
        if answer.failure in ("tls_handshake", "tls_no_version"):
            symptom += f" (the edge's TLS handshake with the origin failed offering {given})"
            fixed = {"Quantity": len(accepted_versions(standin)), "Items": list(accepted_versions(standin))}
            return self.finding(
                view,
                "origin-tls",
                FAIL,
                symptom,
                cause,
                where,
                fix + f": {', '.join(fixed['Items'])}",
                self.deployed.dist.source.patch(api_path, fixed),
            )
        if answer.failure == "tls_certificate":
            # CloudFront accepts the origin's certificate only when it covers the origin domain name (or the
            # Host it forwards): CF-DG http-502-bad-gateway.html. No certificate can cover an AWS-owned name
            # such as *.elb.amazonaws.com, so an HTTPS origin named that way answers 502 on AWS too.
            symptom += f" (the origin's certificate does not cover {standin.reader_domain})"
            return self.finding(
                view,
                "origin-tls",
                FAIL,
                symptom,
                cause
                + "; the certificate must cover the origin domain name (CF-DG http-502-bad-gateway.html)",
                where,
                "name the origin by a domain of yours that its certificate covers (a DNS record to the load "
                "balancer)",
                self.deployed.dist.source.patch(
                    ("Origins", "Items", index, "DomainName"),
                    "origin.example.com (a name your certificate covers)",
                ),
            )
        if answer.failure:
            return self.finding(
                view,
                "origin-tls",
                NOT_CHECKED,
                symptom + f" (origin failure {answer.failure}, not a TLS handshake)",
                cause,
                where,
                fix,
            )
        return self.finding(
            view, "origin-tls", OK, symptom + f": the handshake succeeded offering {given}", cause, where, fix
        )

    def check_personal_cache(self, view: BehaviorView) -> Finding:
        standin, _ = self.standin(view)
        leaked, words, api_path = rules.personal_page_cached(view)
        where = _where(self.deployed, api_path)
        cause = words
        fix = (
            "do not cache personal pages: CachingDisabled on their behaviour "
            "(or the session cookie in the cache key)"
        )
        patch = self.deployed.dist.source.patch(
            api_path, rules.CACHING_DISABLED if api_path[-1] == "CachePolicyId" else {"Forward": "all"}
        )
        # Authorization is not probed: CloudFront forwards it only as part of the cache key (an origin request
        # policy cannot carry it: knowledge-center cloudfront-authorization-header), so a page that depends on
        # it is never served to another user.
        assumption = (
            "the stand-in app sends no Cache-Control on its account page (ACCOUNT_CACHE_CONTROL=none, "
            "as Flask and Express do by default)"
        )
        if "GET" not in items(view.settings.get("AllowedMethods")) and view.settings.get("AllowedMethods"):
            return self.finding(
                view, "personal-cache", NA, "the behaviour does not allow GET", cause, where, fix
            )
        if standin is None or standin.unavailable:
            if standin is None:
                return self.finding(view, "personal-cache", NOT_CHECKED, "no origin", cause, where, fix)
            symptom = (
                f"from the configuration, not probed ({standin.unavailable}); assuming a page that depends "
                "on the cookie and is sent without Cache-Control: "
                + (
                    "another user's page would be served from the cache"
                    if leaked
                    else "no page would be shared"
                )
            )
            return self.finding(
                view, "personal-cache", FAIL if leaked else OK, symptom, cause, where, fix, patch
            )
        path, why = self.path_for(view, "account")
        if path is None:
            return self.finding(view, "personal-cache", NOT_CHECKED, why, cause, where, fix)
        deployed, note = self.target(view)
        alice = self.get(deployed, path, {"Cookie": "user=alice"})
        bob = self.get(deployed, path, {"Cookie": "user=bob"})
        if (
            alice.response is None
            or bob.response is None
            or alice.response.status_code != 200
            or (bob.response.status_code != 200)
        ):
            shown = seen(bob.response if alice.response is not None else None, path=path)
            verdict = FAIL if leaked else OK
            symptom = (
                f"from the configuration: the probe could not reach the page ({shown}{note}); "
                f"{assumption}; "
                + (
                    "another user's page would be served from the cache"
                    if leaked
                    else "no page would be shared"
                )
            )
            return self.finding(view, "personal-cache", verdict, symptom, cause, where, fix, patch)
        text = bob.response.text
        symptom = (
            f"GET {path} as alice, then as bob (Cookie user=...) -> bob gets "
            f"{_greeting(text)!r}, "
            + seen(bob.response, path=path).split(" -> ", 1)[1]
            + note
            + f"; {assumption}"
        )
        if "Hello, alice" in text:
            return self.finding(view, "personal-cache", FAIL, symptom, cause, where, fix, patch)
        if "Hello, guest" in text and "Hello, guest" in alice.response.text:
            return self.finding(
                view,
                "personal-cache",
                OK,
                symptom + ": the cookie does not reach the origin, "
                "so no page depends on it here (not a leak)",
                cause,
                where,
                fix,
            )
        return self.finding(view, "personal-cache", OK, symptom, cause, where, fix)

    def check_cached_error(self, view: BehaviorView) -> Finding:
        standin, _ = self.standin(view)
        config = self.deployed.dist.config
        where = _where(self.deployed, ("CustomErrorResponses",))
        fix = "set ErrorCachingMinTTL 0 for these codes, so that no error outlives its cause"
        cached: list[int] = []
        parts: list[str] = []
        reasons = []
        probed = standin is not None and not standin.unavailable
        deployed, note = self.target(view)
        for code in (404, 503):
            ttl, why = rules.error_ttl(config, view, code, self.caching_disabled_caches_errors)
            reasons.append(why)
            path, _ = self.path_for(view, f"status/{code}") if probed else (None, "")
            if path is not None:
                first, second = self.get(deployed, path), self.get(deployed, path)
                if (
                    first.response is not None
                    and first.response.status_code == code
                    and second.response is not None
                ):
                    hit = "age" in second.response.headers
                    parts.append(
                        f"GET {path} twice -> {code}, then "
                        + seen(second.response, path=path).split(" -> ", 1)[1]
                        + (" (the second from the cache)" if hit else " (asked the origin again)")
                    )
                    if hit:
                        cached.append(code)
                    continue
            parts.append(
                f"{code} from the configuration ({'no stand-in' if not probed else 'not probed'}): "
                + ("cached" if ttl > 0 else "not cached")
            )
            if ttl > 0:
                cached.append(code)
        for code in (
            502,
            504,
        ):  # CloudFront's own errors (origin unreachable, timeout): CF-DG HTTPStatusCodes
            ttl, why = rules.error_ttl(config, view, code, self.caching_disabled_caches_errors)
            reasons.append(why)
            parts.append(
                f"{code} from the configuration: " + (f"cached {ttl:g} s" if ttl > 0 else "not cached")
            )
            if ttl > 0:
                cached.append(code)
        cause = "CustomErrorResponses: " + "; ".join(reasons)
        symptom = "; ".join(parts) + note
        if cached:
            patch = self.deployed.dist.source.patch(
                ("CustomErrorResponses",), rules.error_responses_fixed(config, sorted(cached))
            )
            return self.finding(
                view,
                "cached-error",
                FAIL,
                symptom + f": errors {sorted(cached)} outlive their cause",
                cause,
                where,
                fix,
                patch,
            )
        return self.finding(view, "cached-error", OK, symptom, cause, where, fix)

    def check_read_timeout(self, view: BehaviorView) -> Finding:
        standin, index = self.standin(view)
        if index is None:
            return self.finding(view, "read-timeout", NOT_CHECKED, "no origin", "", "", "")
        origin = items(self.deployed.dist.config.get("Origins"))[index]
        api_path = ("Origins", "Items", index, "CustomOriginConfig", "OriginReadTimeout")
        where = _where(self.deployed, api_path)
        timeout, present = rules.read_timeout(origin)
        cause = f"OriginReadTimeout = {timeout} s" + ("" if present else " (absent: 30 s by default)")
        fix = "raise OriginReadTimeout to the origin's own limit (60 s without a quota increase)"
        kind = standin.kind if standin else ""
        if kind not in READ_LIMITS:
            return self.finding(
                view,
                "read-timeout",
                NOT_CHECKED,
                f"from the configuration, not probed: the "
                f"request time limit of a {kind or 'custom'} origin is unknown to the checker",
                cause,
                where,
                fix,
            )
        limit, source = READ_LIMITS[kind]
        wanted = min(limit, rules.READ_TIMEOUT_QUOTA)
        cause += f"; the origin allows {limit:g} s: {source}"
        if timeout < wanted:
            symptom = (
                f"from the configuration, not probed: a request the origin answers in {timeout + 1}-"
                f"{wanted:g} s gets 504 from CloudFront after {timeout} s"
            )
            return self.finding(
                view,
                "read-timeout",
                FAIL,
                symptom,
                cause,
                where,
                fix,
                self.deployed.dist.source.patch(api_path, int(wanted)),
            )
        return self.finding(
            view,
            "read-timeout",
            OK,
            f"from the configuration, not probed: CloudFront waits {timeout} s (at least {wanted:g} s)",
            cause,
            where,
            fix,
        )

    def check_origin_bypass(self, view: BehaviorView) -> Finding:
        standin, index = self.standin(view)
        api_path = ("Origins", "Items", index, "CustomHeaders")
        where = _where(self.deployed, api_path) if index is not None else ""
        fix = (
            "send a secret custom header from CloudFront and reject requests without it "
            "(or keep the origin private)"
        )
        if standin is None or standin.unavailable:
            return self.finding(
                view,
                "origin-bypass",
                NOT_CHECKED,
                standin.unavailable if standin else "no origin",
                "",
                where,
                fix,
            )
        headers = [
            h.get("HeaderName")
            for h in items(items(self.deployed.dist.config.get("Origins"))[index].get("CustomHeaders"))
        ]
        cause = f"CustomHeaders = {headers} (origin {standin.origin_id})"
        if standin.secret_header:
            cause += f"; assuming the app rejects requests without {standin.secret_header}"
        if standin.private and standin.kind == "apprunner":
            return self.finding(
                view,
                "origin-bypass",
                OK,
                f"from the configuration, not probed: {standin.private_reason}",
                cause,
                where,
                fix,
            )
        shown, answer, exc = self._direct(standin, index)  # type: ignore[arg-type]
        if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
            reason = standin.private_reason or "no connection"
            return self.finding(
                view,
                "origin-bypass",
                OK,
                f"GET {shown} directly: no answer ({type(exc).__name__}): {reason}",
                cause,
                where,
                fix,
            )
        if exc is not None or answer is None:
            return self.finding(
                view, "origin-bypass", NOT_CHECKED, f"GET {shown} directly: {exc}", cause, where, fix
            )
        symptom = seen(answer, path=f"{shown} directly")
        if answer.status_code == 200:
            patch = self.deployed.dist.source.patch(
                api_path,
                {"Quantity": 1, "Items": [{"HeaderName": "X-Origin-Secret", "HeaderValue": SECRET_EXAMPLE}]},
            )
            return self.finding(
                view,
                "origin-bypass",
                FAIL,
                symptom + ": anyone reaches the app without CloudFront",
                cause,
                where,
                fix,
                patch,
            )
        if answer.status_code == 403:
            return self.finding(
                view,
                "origin-bypass",
                OK,
                symptom + ": refused without CloudFront's header",
                cause,
                where,
                fix,
            )
        return self.finding(
            view, "origin-bypass", NOT_CHECKED, symptom + ": not an answer that tells", cause, where, fix
        )

    def _direct(
        self, standin: StandIn, index: int
    ) -> tuple[str, requests.Response | None, requests.RequestException | None]:
        """The stand-in requested directly, without CloudFront: (the URL as the reader knows it, the answer,
        the error). Once per origin, before the behaviours' threads start (warnings filters are global)."""
        with self._lock:
            if standin.origin_id in self._direct_answers:
                return self._direct_answers[standin.origin_id]
        path = f"/hostlab-check/echo/{self.nonce()}"
        origin = items(self.deployed.dist.config.get("Origins"))[index]
        http = (origin.get("CustomOriginConfig") or {}).get("OriginProtocolPolicy") == "http-only"
        scheme = "http" if http else "https"
        shown = f"{scheme}://{standin.reader_domain}{path}"
        answer, error = None, None
        try:
            # Someone going around CloudFront ignores the certificate (verify=False); a security group drops
            # what it does not admit (no answer at all), so a short wait says enough there.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", urllib3.exceptions.InsecureRequestWarning)
                answer = self.session.get(
                    f"{scheme}://{standin.domain}{path}",
                    allow_redirects=False,
                    verify=False,
                    timeout=DROPPED_TIMEOUT if standin.private else PROBE_TIMEOUT,
                )
        except requests.RequestException as exc:
            error = exc
        with self._lock:
            self._direct_answers[standin.origin_id] = (shown, answer, error)
        return shown, answer, error

    def check_viewer_tls(self, view: BehaviorView) -> Finding:
        config = self.deployed.dist.config
        policy, default_cert = rules.viewer_policy(config)
        where = _where(self.deployed, ("ViewerCertificate",))
        viewer = config.get("ViewerCertificate") or {}
        cause = (
            "ViewerCertificate: CloudFrontDefaultCertificate = true: CloudFront sets the security policy "
            "to TLSv1 whatever MinimumProtocolVersion says (API reference, ViewerCertificate)"
            if default_cert
            else f"ViewerCertificate.MinimumProtocolVersion = {policy}"
        )
        if not default_cert and "MinimumProtocolVersion" not in viewer:
            cause += " (absent: TLSv1 by default)"
        fix = "an alias with an ACM certificate (us-east-1) and MinimumProtocolVersion TLSv1.2_2021"
        patch = self.deployed.dist.source.patch(
            ("ViewerCertificate",),
            {
                "ACMCertificateArn": ACM_EXAMPLE,
                "SSLSupportMethod": "sni-only",
                "MinimumProtocolVersion": "TLSv1.2_2021",
            },
        )
        if self._viewer_tls is None:
            self._viewer_tls = self._probe_viewer_tls()
        accepted, symptom = self._viewer_tls
        if accepted == "unknown":
            old = policy in rules.OLD_VIEWER_POLICIES
            symptom = f"from the configuration ({symptom}): security policy {policy}"
            return self.finding(view, "viewer-tls", FAIL if old else OK, symptom, cause, where, fix, patch)
        if accepted:
            return self.finding(view, "viewer-tls", FAIL, symptom, cause, where, fix, patch)
        return self.finding(view, "viewer-tls", OK, symptom, cause, where, fix)

    def _probe_viewer_tls(self) -> tuple[Any, str]:
        """(True: TLSv1 or TLSv1.1 accepted, False: refused, "unknown": this OpenSSL cannot offer them)."""
        if self.deployed.error:
            return "unknown", "the distribution was not created"
        host = self.deployed.viewer_host
        tried = []
        for version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
            name = "TLSv1" if version == ssl.TLSVersion.TLSv1 else "TLSv1.1"
            try:
                ctx = one_version_context(version, self.backend.state.ca_bundle)
            except (ValueError, ssl.SSLError):
                tried.append(f"this Python's OpenSSL cannot offer {name}")
                continue
            try:
                with _tunnel(self.backend, host) as sock, ctx.wrap_socket(sock, server_hostname=host) as tls:
                    got = tls.version()
                return True, (
                    f"a TLS handshake with {self.deployed.viewer_host_words} offering only {name} -> "
                    f"accepted ({got})"
                )
            except ssl.SSLError as exc:
                if "NO_PROTOCOLS_AVAILABLE" in str(exc) or "no protocols available" in str(exc):
                    tried.append(f"this Python's OpenSSL cannot offer {name}")
                    continue
                tried.append(f"offering only {name} -> refused ({exc.reason or exc})")
            except OSError as exc:
                tried.append(f"offering only {name} -> no connection ({exc})")
        if all("cannot offer" in t for t in tried):
            return "unknown", "; ".join(tried)
        return False, f"TLS handshakes with {self.deployed.viewer_host_words}: " + "; ".join(tried)

    # -- what the input has that the checker cannot emulate -------------------------------------------------

    def _not_emulated(self, view: BehaviorView, finding: Finding) -> Finding:
        origin_id = view.settings.get("TargetOriginId", "")
        index = rules.origin_index(self.deployed.dist.config, origin_id)
        for api_path, reason in self.deployed.dist.not_emulated:
            if _affects(api_path, view, index, finding.check):
                finding.verdict = NOT_CHECKED
                finding.symptom = f"not emulated: {reason} ({_where(self.deployed, api_path)})"
                finding.patch = None
        return finding


def _affects(api_path: ApiPath, view: BehaviorView, origin_index: int | None, check: str) -> bool:
    """Which checks a property the checker cannot emulate affects: under ViewerCertificate, viewer-tls only;
    under an origin, every origin-facing check of the behaviours that target it; under a behaviour, that
    behaviour's checks except viewer-tls and read-timeout; anywhere else, every check but viewer-tls."""
    if api_path[:1] == ("ViewerCertificate",):
        return check == "viewer-tls"
    if check == "viewer-tls":
        return False
    if api_path[:2] == ("Origins", "Items"):
        return len(api_path) < 3 or api_path[2] == origin_index
    if api_path[:1] in (("DefaultCacheBehavior",), ("CacheBehaviors",)):
        return api_path[: len(view.path)] == view.path and check != "read-timeout"
    return True


def accepted_versions(standin: StandIn) -> tuple[str, ...]:
    from hostlab.settings import ORIGIN_SSL_PROTOCOLS

    return tuple(v for v in standin.accepted_tls if v in ORIGIN_SSL_PROTOCOLS) or ("TLSv1.2",)


def _echo_host(answer: Answer) -> str:
    try:
        return json.loads(answer.response.text).get("host", "?")  # type: ignore[union-attr]
    except (ValueError, AttributeError):
        return "?"


def _greeting(text: str) -> str:
    found = re.search(r"Hello, [^<]*", text)
    return found.group(0) if found else text[:40]


class _tunnel:
    """A TCP connection to ``host``:443 through the backend's CONNECT proxy, as HTTPS_PROXY clients make."""

    def __init__(self, backend: PrivateBackend, host: str):
        self.backend, self.host = backend, host
        self.sock: socket.socket | None = None

    def __enter__(self) -> socket.socket:
        self.sock = socket.create_connection(self.backend.proxy_address(), timeout=PROBE_TIMEOUT)
        self.sock.sendall(f"CONNECT {self.host}:443 HTTP/1.1\r\nHost: {self.host}:443\r\n\r\n".encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise OSError("the proxy closed the connection")
            head += chunk
        status_line = head.split(b"\r\n", 1)[0]
        if b" 200" not in status_line:
            raise OSError(f"the proxy answered {status_line.decode(errors='replace')}")
        return self.sock

    def __exit__(self, *exc: object) -> None:
        if self.sock is not None:
            self.sock.close()
