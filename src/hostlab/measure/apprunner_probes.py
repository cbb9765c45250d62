"""App Runner's front: which TLS versions it accepts, what it answers for an unknown Host and for a paused
service. Plain sockets, ``ssl`` and ``requests`` (hostlab.probes), through the local backend's proxy when
connect() prepared one, else straight to AWS."""

from __future__ import annotations

import ssl

from hostlab import probes
from hostlab.measure.entries import Entry, measured, not_measured
from hostlab.settings import TLS_VERSIONS

# A name no App Runner service can have (RFC 2606 reserves .invalid), sent as Host to a service's front.
UNKNOWN_HOST = "hostlab-measure.invalid"
# Headers worth keeping from an answer: none of them identifies anything.
KEPT_HEADERS = ("server", "content-type", "content-length", "x-cache", "age")


def _client_can_offer(version: str) -> bool:
    """Whether this Python's OpenSSL can offer ``version`` at all (else a refusal would be ours)."""
    flag = {
        "TLSv1": "HAS_TLSv1",
        "TLSv1.1": "HAS_TLSv1_1",
        "TLSv1.2": "HAS_TLSv1_2",
        "TLSv1.3": "HAS_TLSv1_3",
    }
    return bool(getattr(ssl, flag[version], False))


def tls_versions(lab) -> Entry:
    """One real handshake per version, the client pinned to it (minimum = maximum), to the ServiceUrl."""
    host = lab.service()["ServiceUrl"]
    method = (
        "TLS handshakes with the service's default domain, Python ssl with minimum_version = maximum_version "
        "pinned to each of TLSv1, TLSv1.1, TLSv1.2, TLSv1.3 (OpenSSL security level 0 for 1.0 and 1.1 so the "
        "server decides); accepted = the handshake completed"
    )
    results, accepted = {}, []
    for version in TLS_VERSIONS:
        if not _client_can_offer(version):
            results[version] = "not offered (this Python's OpenSSL lacks it)"
            continue
        ok = probes.tls_accepts(host, version)
        results[version] = "accepted" if ok else "refused"
        if ok:
            accepted.append(version)
    if any(r.startswith("not offered") for r in results.values()):
        return not_measured(
            "this machine's OpenSSL cannot offer every version; run from one that can",
            method,
            handshakes=results,
        )
    if not accepted:
        return not_measured("no handshake completed: the front was not reachable", method, handshakes=results)
    return measured(",".join(accepted), method, handshakes=results, openssl=ssl.OPENSSL_VERSION)


def _answer(probe: probes.Probe) -> dict:
    return {
        "status": probe.status,
        "headers": {name: probe.headers[name] for name in KEPT_HEADERS if name in probe.headers},
        "body_bytes": len(probe.body),
    }


def unknown_host(lab) -> dict:
    """GET / on the service's default domain with Host set to a name no service has (an observation: the
    rule is community-sourced, no setting carries it)."""
    host = lab.service()["ServiceUrl"]
    answer = probes.get(f"https://{host}/", host=UNKNOWN_HOST)
    return {
        "method": f"GET https://<service url>/ with Host: {UNKNOWN_HOST} (TLS SNI: the service url)",
        **_answer(answer),
    }


def paused_answer(lab) -> Entry:
    """PauseService, wait until PAUSED, then GET /echo on the service's default domain."""
    host = lab.service()["ServiceUrl"]
    lab.pause_service()
    answer = probes.get(f"https://{host}/echo")
    method = "PauseService, wait for PAUSED (ServicePaused waiter), GET https://<service url>/echo"
    evidence = _answer(answer)
    if answer.status in (404, 503):
        return measured(str(answer.status), method, **evidence)
    return not_measured(
        f"the answer ({answer.status}) is neither of the setting's values (404, 503)", method, **evidence
    )


# An address from TEST-NET-3 (RFC 5737), sent as X-Forwarded-For: never anyone's real address.
SENT_FORWARDED_FOR = "203.0.113.7"
SENT_REQUEST_ID = "hostlab-measure-request-id"


def forwarded_headers(lab) -> dict:
    """What App Runner's front does to request headers on the way to the app, seen by the demo app's /echo
    (an observation for the front's assumed rules: X-Forwarded-For appended, X-Forwarded-Proto and
    X-Request-ID overwritten, x-envoy-* removed, no X-Forwarded-Host added). Addresses are not recorded, only
    where the sent one ended up."""
    host = lab.service()["ServiceUrl"]
    sent = {
        "X-Forwarded-For": SENT_FORWARDED_FOR,
        "X-Forwarded-Proto": "http",
        "X-Request-ID": SENT_REQUEST_ID,
        "X-Envoy-Hostlab": "1",
    }
    answer = probes.get(f"https://{host}/echo", headers=sent)
    received = answer.echo().get("headers", {})
    chain = [part.strip() for part in received.get("x-forwarded-for", "").split(",") if part.strip()]
    return {
        "method": "GET https://<service url>/echo sending X-Forwarded-For (RFC 5737 address), "
        "X-Forwarded-Proto: http, X-Request-ID and X-Envoy-Hostlab; the demo app echoes what it received",
        "status": answer.status,
        "x_forwarded_for": (
            f"sent address first, then {len(chain) - 1} more"
            if chain[:1] == [SENT_FORWARDED_FOR]
            else f"sent address not first ({len(chain)} addresses)"
        ),
        "x_forwarded_proto": received.get("x-forwarded-proto", "-"),
        "x_request_id_replaced": received.get("x-request-id") not in (None, SENT_REQUEST_ID),
        "x_envoy_header_reached_app": "x-envoy-hostlab" in received,
        "x_forwarded_host_added": "x-forwarded-host" in received,
        "response_server": answer.header("server"),
        "response_has_x_envoy_upstream_service_time": "x-envoy-upstream-service-time" in answer.headers,
    }


def plain_http(lab) -> dict:
    """Port 80: the service's own name (redirected to https?) and an unknown Host (an observation)."""
    host = lab.service()["ServiceUrl"]
    served = probes.get(f"http://{host}/echo?x=1")
    unknown = probes.get(f"http://{host}/echo", host=UNKNOWN_HOST)
    location = served.header("location")
    return {
        "method": f"GET http://<service url>/echo?x=1, then the same with Host: {UNKNOWN_HOST}",
        "served_name": {
            "status": served.status,
            "location_is_same_url_on_https": location == f"https://{host}/echo?x=1",
        },
        "unknown_name": _answer(unknown),
    }
