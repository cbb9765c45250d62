"""The local certificate authority and TLS contexts restricted to named protocol versions.

Every HTTPS endpoint of the data plane (CloudFront's edge, App Runner's front) presents a leaf certificate
issued here, and clients trust it through the bundle that ``hostlab up`` exports (REQUESTS_CA_BUNDLE,
SSL_CERT_FILE, CURL_CA_BUNDLE). trustme does the certificate work (including loading a leaf into a context,
which the ssl module can only do from a file: trustme writes a temporary one and deletes it at once); this
module only keeps the CA across restarts of the same backend and caches leaf certificates in memory.

Protocol versions use CloudFront's and AWS's names ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"), so a
distribution's OriginSslProtocols list maps onto a real OpenSSL context and a mismatch fails inside the
handshake itself, as it does between CloudFront and an origin.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterable
from pathlib import Path

import certifi
import trustme

TLS_VERSIONS: dict[str, ssl.TLSVersion] = {
    "TLSv1": ssl.TLSVersion.TLSv1,
    "TLSv1.1": ssl.TLSVersion.TLSv1_1,
    "TLSv1.2": ssl.TLSVersion.TLSv1_2,
    "TLSv1.3": ssl.TLSVersion.TLSv1_3,
}
_ORDER = list(TLS_VERSIONS)
# OpenSSL option that switches one version off, for lists with a gap such as [TLSv1, TLSv1.2].
_NO_VERSION = {
    "TLSv1": ssl.OP_NO_TLSv1,
    "TLSv1.1": ssl.OP_NO_TLSv1_1,
    "TLSv1.2": ssl.OP_NO_TLSv1_2,
    "TLSv1.3": ssl.OP_NO_TLSv1_3,
}


def restrict_versions(ctx: ssl.SSLContext, versions: Iterable[str]) -> ssl.SSLContext:
    """Allow exactly ``versions`` on ``ctx``; raise ValueError for an empty or unknown list."""
    versions = set(versions)  # read once: ``versions`` may be a one-shot iterator
    wanted = [v for v in _ORDER if v in versions]
    unknown = versions - set(TLS_VERSIONS)
    if unknown:
        raise ValueError(f"unknown TLS version(s) {sorted(unknown)}; known: {_ORDER}")
    if not wanted:
        raise ValueError("no TLS version left to offer")
    ctx.minimum_version = TLS_VERSIONS[wanted[0]]
    ctx.maximum_version = TLS_VERSIONS[wanted[-1]]
    for name in _ORDER[_ORDER.index(wanted[0]) : _ORDER.index(wanted[-1]) + 1]:
        if name not in wanted:
            ctx.options |= _NO_VERSION[name]
    if wanted[0] in ("TLSv1", "TLSv1.1"):
        # OpenSSL 3 refuses TLS 1.0/1.1 at its default security level (their handshakes sign with SHA-1).
        # Level 0 lets the old versions actually be negotiated, so the version list is what decides.
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    return ctx


class LocalCA:
    """A CA kept in ``directory`` (ca.pem, ca.key) plus the client bundle (bundle.pem)."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        cert, key = self.directory / "ca.pem", self.directory / "ca.key"
        if cert.exists() and key.exists():
            self._ca = trustme.CA.from_pem(cert.read_bytes(), key.read_bytes())
        else:
            self._ca = trustme.CA(organization_name="hostlab local CA")
            key.touch(mode=0o600)
            key.write_bytes(self._ca.private_key_pem.bytes())
            cert.write_bytes(self._ca.cert_pem.bytes())
        self.ca_pem = cert
        # The bundle trusts the local CA *and* the public roots, so pointing SSL_CERT_FILE at it does not
        # break other HTTPS clients in the same shell.
        self.bundle_pem = self.directory / "bundle.pem"
        self.bundle_pem.write_bytes(cert.read_bytes() + b"\n" + Path(certifi.where()).read_bytes())
        self._lock = threading.Lock()
        self._leaves: dict[tuple[str, ...], trustme.LeafCert] = {}

    def leaf(self, hostnames: Iterable[str]) -> trustme.LeafCert:
        """The leaf certificate for ``hostnames`` (wildcards allowed), issued once and kept in memory."""
        names = tuple(sorted(set(hostnames)))
        with self._lock:
            leaf = self._leaves.get(names)
            if leaf is None:
                leaf = self._leaves[names] = self._ca.issue_cert(*names)
            return leaf

    def server_context(self, hostnames: Iterable[str], versions: Iterable[str]) -> ssl.SSLContext:
        """A server context presenting a certificate for ``hostnames``, accepting only ``versions``."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        restrict_versions(ctx, versions)
        self.leaf(hostnames).configure_cert(ctx)
        return ctx

    def client_context(self, versions: Iterable[str]) -> ssl.SSLContext:
        """A client context that trusts this CA and offers only ``versions`` (the edge's origin side)."""
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        restrict_versions(ctx, versions)
        self._ca.configure_trust(ctx)
        return ctx
