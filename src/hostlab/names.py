"""DNS names as certificates see them: one matcher shared by the control plane and the data plane, and the
one normal form the data plane compares Host headers, SNI values and CONNECT targets in.

Standard library only, so the data plane (which must not import moto) and the control plane can both use it.
"""

from __future__ import annotations


def dns_name_matches(pattern: str, hostname: str) -> bool:
    """Does the certificate name ``pattern`` cover ``hostname``?

    Exact (case-insensitive, a trailing dot ignored), or a ``*.`` wildcard standing for exactly one
    left-most label: ``*.example.com`` covers ``www.example.com`` but neither ``example.com`` nor
    ``a.b.example.com`` (RFC 6125 section 6.4.3; CloudFront checks an alternate domain name against its
    certificate the same way, a wildcard covering one label: CF-DG CNAMEs.html).
    """
    pattern, hostname = pattern.lower().rstrip("."), hostname.lower().rstrip(".")
    if pattern == hostname:
        return True
    if not pattern.startswith("*."):
        return False
    label, _, rest = hostname.partition(".")
    return bool(label) and rest == pattern[2:]


def normalise_host(value: str) -> str:
    """A Host header, SNI or authority value -> lower-case name without port or trailing dot.

    DNS names compare without case (RFC 4343) and ``name.`` is the same name as ``name``; an IPv6 literal
    keeps its brackets (``[::1]:443`` -> ``[::1]``), since it never names a service anyway.
    """
    value = value.strip().lower()
    if value.startswith("["):
        return value.split("]", 1)[0] + "]"
    return value.rsplit(":", 1)[0].rstrip(".") if ":" in value else value.rstrip(".")
