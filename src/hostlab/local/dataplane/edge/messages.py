"""The HTTP messages the edge passes between its rooms, and the splitting of query strings and cookies.

Query strings and cookies are split by hand on purpose: CloudFront forwards the values it received unchanged
when nothing rewrote them (CF-DG edge-function-restrictions-all.html, "URI, query string, and headers
encoding"), and the library parsers (urllib.parse.parse_qsl, http.cookies) decode or drop values, which would
change the bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hostlab.names import normalise_host

Headers = list[tuple[str, str]]


def header_value(headers: Headers, name: str) -> str | None:
    """The first value of header ``name`` (names compare without case, RFC 9110 section 5.1), or None."""
    lower = name.lower()
    return next((v for n, v in headers if n.lower() == lower), None)


@dataclass
class ViewerRequest:
    """One request as the viewer sent it (after a viewer-request function, as the function left it)."""

    method: str
    path: str  # the URL path as received (percent-encoding kept), without the query string
    query: str  # the raw query string without "?", "" when absent
    headers: list[tuple[str, str]]  # in order, duplicates kept, names as sent
    body: bytes = b""
    scheme: str = "https"
    client_ip: str = "127.0.0.1"
    client_port: int = 0
    http_version: str = "1.1"

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)

    def header_values(self, name: str) -> list[str]:
        lower = name.lower()
        return [v for n, v in self.headers if n.lower() == lower]

    @property
    def host(self) -> str:
        """The Host header as a name: no port, no trailing dot, lower-case ("" when absent)."""
        return normalise_host(self.header("host") or "")

    @property
    def target(self) -> str:
        return self.path + (f"?{self.query}" if self.query else "")


@dataclass
class EdgeResponse:
    """A response on its way to the viewer."""

    status: int
    reason: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    # Close the viewer connection after this response (413 does so on AWS, see listener.py).
    close: bool = False

    def header(self, name: str) -> str | None:
        return header_value(self.headers, name)


def split_query(query: str) -> list[tuple[str, str | None]]:
    """``a=1&b&c=`` -> [("a", "1"), ("b", None), ("c", "")], raw (still percent-encoded).

    None marks a parameter without "=", so joining gives back the same bytes.
    """
    pairs: list[tuple[str, str | None]] = []
    for part in query.split("&"):
        if not part:
            continue
        name, eq, value = part.partition("=")
        pairs.append((name, value if eq else None))
    return pairs


def join_query(pairs: list[tuple[str, str | None]]) -> str:
    return "&".join(n if v is None else f"{n}={v}" for n, v in pairs)


def split_cookies(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """All cookies of all Cookie headers, in order: ``a=1; b=2`` -> [("a", "1"), ("b", "2")]."""
    cookies = []
    for name, value in headers:
        if name.lower() != "cookie":
            continue
        for part in value.split(";"):
            part = part.strip()
            if not part:
                continue
            cname, _, cvalue = part.partition("=")
            cookies.append((cname.strip(), cvalue.strip()))
    return cookies


def join_cookies(cookies: list[tuple[str, str]]) -> str:
    return "; ".join(f"{n}={v}" for n, v in cookies)
