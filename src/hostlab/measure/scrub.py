"""Nothing identifying leaves the machine: account IDs, ARNs, resource IDs and names, keys, addresses.

A calibration file is meant to be shared (a pull request), so everything written goes through
:func:`scrub`, whatever the probes put in it: known values (the account, the service's ID, name and URL,
the distribution's ID and domain) are replaced by a placeholder, and patterns catch what was not named.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_PATTERNS = [
    # ARNs first: they contain account IDs and names.
    (re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:\d{0,12}:[^\s\"',;]+"), "<arn>"),
    # Access key IDs (long-term AKIA, temporary ASIA).
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "<access-key>"),
    # App Runner default domains and CloudFront domains carry resource IDs.
    (
        re.compile(r"\b[a-z0-9]{10}\.([a-z0-9-]+)\.awsapprunner\.com\b", re.I),
        r"<service>.\1.awsapprunner.com",
    ),
    (re.compile(r"\bd[a-z0-9]{12,14}\.cloudfront\.net\b", re.I), "<distribution>.cloudfront.net"),
    # CloudFront distribution IDs ("E" + 13 characters), App Runner service IDs (32 hex digits).
    (re.compile(r"\bE[A-Z0-9]{12,13}\b"), "<distribution-id>"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "<service-id>"),
    # X-Amz-Cf-Id values: 56 characters of URL-safe base64 ending in "==".
    # (a lower-case letter and a digit required, so setting names like HOSTLAB_..._ERRORS stay).
    (re.compile(r"(?=[A-Za-z0-9_-]*[a-z])(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]{40,}={0,2}"), "<id>"),
    # IPv4 addresses (a prober's public address), except the RFC 5737 documentation ranges the probes send.
    (
        re.compile(r"(?<![\d.])(?!192\.0\.2\.|198\.51\.100\.|203\.0\.113\.)(?:\d{1,3}\.){3}\d{1,3}(?![\d.])"),
        "<ip>",
    ),
    # Account IDs: any 12-digit number.
    (re.compile(r"(?<!\d)\d{12}(?!\d)"), "<account>"),
]


def scrub_text(text: str, known: Iterable[str] = ()) -> str:
    for value in sorted({k for k in known if k and len(k) >= 4}, key=len, reverse=True):
        text = text.replace(value, "<redacted>")
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def scrub(value: Any, known: Iterable[str] = ()) -> Any:
    """A copy of ``value`` (JSON-like) with every string, keys included, scrubbed."""
    known = tuple(known)
    if isinstance(value, str):
        return scrub_text(value, known)
    if isinstance(value, dict):
        return {scrub(k, known): scrub(v, known) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(v, known) for v in value]
    return value
