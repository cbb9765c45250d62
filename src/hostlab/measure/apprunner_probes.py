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
