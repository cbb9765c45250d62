"""Helpers the notebooks use to show a response: status, chosen headers, echo fields, one-line summaries.

A notebook cell that teaches prints a few stable lines, never a whole response: what varies from run to run
or from one backend to the other (dates, request ids, X-Amz-Cf-Id, Age) is simply not printed, so the same
cell prints the same text against the local backend and against AWS.

Everything here is plain ``requests`` and ``ssl``: the local backend is reached through the HTTPS proxy and
CA bundle that ``hostlab.connect()`` put in the environment, AWS directly. Every socket has a timeout.
"""

from __future__ import annotations

import json
import os
import re
import socket
import ssl
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from requests.structures import CaseInsensitiveDict

from hostlab.tls_trust import BundleParsedOnce, one_version_context

TIMEOUT = 15.0  # seconds; CloudFront's own origin read timeout is 30 s, an answer comes well before
_TITLE = re.compile(rb"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_H1 = re.compile(rb"<h1>(.*?)</h1>", re.IGNORECASE | re.DOTALL)


@dataclass
class Probe:
    """One HTTP answer, reduced to what a notebook may print."""

    url: str
    status: int
    headers: CaseInsensitiveDict = field(repr=False)
    body: bytes = field(repr=False)

    def header(self, name: str) -> str:
        """The header's value, or ``-`` when the answer has none (so a missing header prints visibly)."""
        return self.headers.get(name, "-")

    def echo(self) -> dict:
        """The demo app's /echo JSON, or {} when the body is not JSON (an error page, an empty 404)."""
        try:
            data = json.loads(self.body)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}

    @property
    def title(self) -> str:
        """The HTML <title> (CloudFront's error pages have one), or ``-``."""
        match = _TITLE.search(self.body)
        return " ".join(match.group(1).decode("utf-8", "replace").split()) if match else "-"

    @property
    def h1(self) -> str:
        """The page's first <h1> (the demo app's /account greets the user there), or ``-``."""
        match = _H1.search(self.body)
        return " ".join(match.group(1).decode("utf-8", "replace").split()) if match else "-"

    def summary(self, *headers: str, body: bool = True) -> str:
        """``404  server: envoy  body: 0 bytes``: status, the chosen headers, and the body size.

        ``body=False`` leaves the size out where it varies between backends (a JSON echo of the headers).
        """
        parts = [str(self.status)]
        parts += [f"{name.lower()}: {self.header(name)}" for name in headers]
        if body:
            parts.append(f"body: {len(self.body)} bytes")
        return "  ".join(parts)


def get(
    url: str,
    *,
    host: str | None = None,
    headers: Mapping[str, str] | None = None,
    cookies: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT,
) -> Probe:
    """GET ``url`` without following redirects (a redirect's Location is part of the lesson).

    ``host`` sends a different Host header than the URL's, the way CloudFront does when it forwards the
    viewer's Host to the origin.
    """
    sent = dict(headers or {})
    if host is not None:
        sent["Host"] = host
    with requests.Session() as session:
        session.mount("https://", BundleParsedOnce())  # same checks; the CA bundle parsed once, not per probe
        response = session.get(
            url, headers=sent, cookies=dict(cookies or {}), allow_redirects=False, timeout=timeout
        )
    return Probe(url=url, status=response.status_code, headers=response.headers, body=response.content)


def show(
    probe: Probe,
    headers: Iterable[str] = (),
    echo: Iterable[str] = (),
    title: bool = False,
) -> None:
    """Print the status line, then one line per chosen header, echo field, and the page title if asked."""
    print(f"{urlsplit(probe.url).path or '/'} -> {probe.status}")
    for name in headers:
        print(f"  {name.lower()}: {probe.header(name)}")
    data = probe.echo()
    for key in echo:
        print(f"  echo.{key}: {_dig(data, key)}")
    if title:
        print(f"  title: {probe.title}")


def _dig(data: dict, dotted: str) -> str:
    """``headers.x-forwarded-host`` -> data['headers']['x-forwarded-host'], or ``-``."""
    value: object = data
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return "-"
        value = value[part]
    return value if isinstance(value, str) else json.dumps(value)


# ---------------------------------------------------------------------------------------------------------
# TLS handshakes with one protocol version (viewer TLS: which versions does an endpoint accept?)
# ---------------------------------------------------------------------------------------------------------

_VERSIONS = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}


def _client_context(version: str) -> ssl.SSLContext:
    # The public roots, and the local backend's CA through the bundle that connect() exports (system roots +
    # local CA); the context is built once per version and bundle (tls_trust), not per handshake.
    bundles = [requests.utils.DEFAULT_CA_BUNDLE_PATH]
    bundle = _env_bundle()
    if bundle:
        bundles.append(bundle)
    return one_version_context(_VERSIONS[version], *bundles)


def _env_bundle() -> str | None:
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("SSL_CERT_FILE")


def _open_tcp(hostname: str, port: int, timeout: float, proxy_target: str | None = None) -> socket.socket:
    """A TCP connection to hostname:port, or, when the environment has an HTTPS proxy, a CONNECT tunnel to
    ``proxy_target`` (default ``hostname``) through it."""
    proxy = urllib.request.getproxies().get("https")
    if proxy and not urllib.request.proxy_bypass(hostname):
        hostname = proxy_target or hostname
        parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        sock = socket.create_connection((parts.hostname, parts.port or 80), timeout=timeout)
        sock.sendall(f"CONNECT {hostname}:{port} HTTP/1.1\r\nHost: {hostname}:{port}\r\n\r\n".encode())
        reply = b""
        while b"\r\n\r\n" not in reply:
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
        status_line = reply.split(b"\r\n", 1)[0].decode("latin-1")
        if " 200" not in status_line:
            sock.close()
            raise ConnectionError(f"proxy refused CONNECT {hostname}:{port}: {status_line}")
        return sock
    return socket.create_connection((hostname, port), timeout=timeout)


def tls_accepts(
    hostname: str,
    version: str,
    *,
    server_name: str | None = None,
    port: int = 443,
    timeout: float = TIMEOUT,
) -> bool:
    """True when ``hostname`` completes a handshake offering only ``version``, asking for ``server_name``.

    ``server_name`` reaches an alternate domain name through the distribution's own domain, as a DNS record
    pointing the alias at the distribution would: on AWS the probe connects to ``hostname`` and sends
    ``server_name`` by SNI, which is how CloudFront picks the certificate and security policy. Through the
    local backend's proxy, which stands in for DNS, it asks the proxy for ``server_name`` directly.
    """
    name = server_name or hostname
    ctx = _client_context(version)
    with _open_tcp(hostname, port, timeout, proxy_target=name) as raw:
        try:
            with ctx.wrap_socket(raw, server_hostname=name):
                return True
        except (ssl.SSLError, ConnectionResetError):
            return False
