"""Host names as both planes compare them: one normal form, and one rule for certificate names.

Shared by the data plane (Host headers, SNI, CONNECT targets, origin certificates) and usable by the control
plane (does an ACM certificate cover an alias?), so the two never disagree about a name.
"""

from __future__ import annotations


def normalise_host(value: str) -> str:
    """A Host header, SNI or authority value -> lower-case name without port or trailing dot.

    DNS names are case-insensitive (RFC 4343) and ``name.`` is the same name as ``name``; an IPv6 literal keeps
    its brackets (``[::1]:443`` -> ``[::1]``), since it never names a service anyway.
    """
    value = value.strip().lower()
    if value.startswith("["):
        return value.split("]", 1)[0] + "]"
    return value.rsplit(":", 1)[0].rstrip(".") if ":" in value else value.rstrip(".")


def name_matches(pattern: str, hostname: str) -> bool:
    """Whether a certificate name covers ``hostname``: equal, or ``*.`` standing for exactly one left-most
    label (RFC 6125 section 6.4.3; CF-DG CNAMEs.html says the same of alternate domain names and their
    certificate). Case and a trailing dot do not matter."""
    pattern, hostname = pattern.lower().rstrip("."), hostname.lower().rstrip(".")
    if not pattern.startswith("*."):
        return pattern == hostname
    label, dot, rest = hostname.partition(".")
    return bool(label) and bool(dot) and rest == pattern[2:]
