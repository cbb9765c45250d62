"""CloudFront: what the API stores for omitted OriginSslProtocols, whether CachingDisabled caches errors,
whether a configuration change keeps cached errors, and the SNI sent to the origin.

A response counts as served from CloudFront's cache when it carries an ``Age`` header: a cache that serves a
stored response sends Age (RFC 9111 section 5.1, "The presence of an Age header field implies that the
response was not generated or validated by the origin server for this request"), and neither App Runner's
front nor the demo app sends one. An error served from cache still says ``X-Cache: Error from cloudfront``,
so X-Cache cannot tell.
"""

from __future__ import annotations

import time

import requests

from hostlab import probes, waiters
from hostlab.measure.entries import Entry, measured, not_measured
from hostlab.measure.resources import STATUS_PATH
from hostlab.tutorial import resources as tr

# Requests per "is it cached?" question: on AWS two requests can meet two different cache servers of one
# edge location, so one answer without Age proves nothing; three with none is the verdict.
TRIES = 3
# On AWS a new distribution's name can take a little while to resolve everywhere after it is Deployed; a
# connection error is retried this many times, this many seconds apart. Not on the local backend, where
# the proxy stands in for DNS and a connection error is a fault to report at once.
CONNECT_RETRIES, CONNECT_PAUSE = 6, 10.0


def _get(lab, url: str) -> probes.Probe:
    retries = 0 if waiters.is_local_endpoint(lab.cloudfront) else CONNECT_RETRIES
    for _ in range(retries):
        try:
            return probes.get(url)
        except requests.ConnectionError:
            time.sleep(CONNECT_PAUSE)
    return probes.get(url)


def _brief(probe: probes.Probe) -> str:
    age = "age" if "age" in probe.headers else "no age"
    return f"{probe.status} {probe.header('x-cache')} ({age}, {len(probe.body)} bytes)"


def default_origin_ssl_protocols(lab) -> Entry:
    lab.distribution()
    seen = lab.omitted_protocols_readback or {}
    method = (
        "CreateDistribution with a CustomOriginConfig that has no OriginSslProtocols, then "
        "GetDistributionConfig at once (none = nothing stored)"
    )
    return measured(",".join(seen.get("items", [])) or "none", method, readback=seen)


def caching_disabled_caches_errors(lab) -> Entry:
    """GET /status/404 (behaviour CachingDisabled, 404 ErrorCachingMinTTL one hour) up to TRIES times."""
    domain = lab.distribution()["DomainName"]
    answers = [_get(lab, f"https://{domain}{STATUS_PATH[:-1]}404") for _ in range(TRIES)]
    method = (
        f"GET /status/404 {TRIES} times through a behaviour with the managed CachingDisabled policy; the "
        "distribution sets ErrorCachingMinTTL 3600 for 404; cached = a later answer carries Age"
    )
    evidence = {"answers": [_brief(a) for a in answers]}
    if any(a.status != 404 for a in answers):
        return not_measured("the origin did not answer 404 every time", method, **evidence)
    cached = any("age" in a.headers for a in answers[1:])
    return measured("true" if cached else "false", method, **evidence)


def config_change_keeps_cache(lab) -> Entry:
    """A 404 cached under AllViewer (Host forwarded), then the default behaviour switched to
    AllViewerExceptHostHeader and deployed, without invalidation: is /echo still the cached 404?"""
    domain = lab.distribution()["DomainName"]
    url = f"https://{domain}/echo"
    method = (
        "GET /echo through AllViewer (App Runner answers 404 to the forwarded Host) until an answer carries "
        "Age; UpdateDistribution to AllViewerExceptHostHeader, wait for Deployed, no invalidation; "
        "GET /echo: "
        "404 with Age = kept, 200 = dropped"
    )
    before = [_get(lab, url) for _ in range(TRIES)]
    evidence = {"before": [_brief(a) for a in before]}
    if not any(a.status == 404 and "age" in a.headers for a in before[1:]):
        return not_measured("the 404 was not seen cached before the change", method, **evidence)
    lab.change_default_request_policy(tr.ALL_VIEWER_EXCEPT_HOST_HEADER)
    after = _get(lab, url)
    evidence["after"] = _brief(after)
    if after.status == 404 and "age" in after.headers:
        return measured("true", method, **evidence)
    if after.status == 200:
        return measured("false", method, **evidence)
    return not_measured("the answer after the change was neither a cached 404 nor a 200", method, **evidence)


def origin_sni(lab) -> Entry:
    """Not observable with these resources; says why instead of guessing."""
    return not_measured(
        "the SNI is seen only by the origin's TLS server; the origin here is App Runner's shared front, "
        "which shows its owner neither SNI nor handshake logs, and its 404 for the forwarded Host looks the "
        "same whichever name came in SNI. Observing it needs an origin that logs the TLS ClientHello (for "
        "example a small EC2 instance), outside the tutorial's resources",
        "none possible with an App Runner origin",
    )
