"""A requests adapter that parses a CA bundle once per process instead of once per connection.

requests gives urllib3 the path of the bundle to trust (``verify``, by default REQUESTS_CA_BUNDLE, which
hostlab.connect() points at the local CA plus the public roots), and urllib3 parses that file into the new
connection's SSLContext every time: about 20 ms for a bundle with the public roots, paid by every probe a
notebook sends (notebook 04 sends about 30). :class:`BundleParsedOnce` hands urllib3 one context per bundle
file instead, built by urllib3's own factory and loaded from the same file, so certificates are checked
exactly as before (CERT_REQUIRED, host name matched by urllib3). It uses the two hooks requests documents
for subclasses that bring their own SSLContext: ``build_connection_pool_key_attributes`` and ``cert_verify``.

A bundle is known by its path, modification time and size, so a backend started anew (a new local CA
written to the same path) gets a new context. The same goes for requests sent with ``verify=False`` (one
shared context that checks nothing, instead of one per connection that loads the system's roots only to
ignore them) and for :func:`one_version_context`, the contexts of probes that offer a single TLS version.
"""

from __future__ import annotations

import functools
import os
import ssl
import warnings

from requests.adapters import HTTPAdapter
from urllib3.util.ssl_ import create_urllib3_context


@functools.lru_cache(maxsize=8)
def _context(bundle: str, _mtime_ns: int, _size: int) -> ssl.SSLContext:
    context = create_urllib3_context()
    context.load_verify_locations(cafile=bundle)
    return context


def context_trusting(bundle: str) -> ssl.SSLContext:
    """The shared SSLContext that trusts exactly the certificates in the file ``bundle``."""
    found = os.stat(bundle)
    return _context(bundle, found.st_mtime_ns, found.st_size)


@functools.lru_cache(maxsize=1)
def _unverified() -> ssl.SSLContext:
    return create_urllib3_context(cert_reqs=ssl.CERT_NONE)


@functools.lru_cache(maxsize=32)
def _one_version(version: ssl.TLSVersion, bundles: tuple[str, ...], _stamps: tuple) -> ssl.SSLContext:
    # What ssl.create_default_context(cafile=...) starts from: certificate and host name checked.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    for bundle in bundles:
        context.load_verify_locations(cafile=bundle)
    with warnings.catch_warnings():
        # Python deprecates naming TLS 1.0/1.1; probing whether a server still accepts them is the point.
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = context.maximum_version = version
    if version in (ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1):
        # OpenSSL 3 refuses TLS 1.0/1.1 at its default security level; level 0 lets the *server* decide,
        # which is what a probe of the versions a server accepts wants to observe.
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


def one_version_context(version: ssl.TLSVersion, *bundles: str) -> ssl.SSLContext:
    """A shared client context that offers only ``version`` and trusts exactly the certificates in the files
    ``bundles`` (host names checked, as ssl.create_default_context does). Raises ValueError or ssl.SSLError
    when this Python's OpenSSL cannot offer ``version``."""
    stamps = tuple((found.st_mtime_ns, found.st_size) for found in map(os.stat, bundles))
    return _one_version(version, bundles, stamps)


class BundleParsedOnce(HTTPAdapter):
    """Mount on https:// of a requests Session; see the module docstring."""

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        bundle = pool_kwargs.pop("ca_certs", None)
        if bundle is not None:
            pool_kwargs["ssl_context"] = context_trusting(bundle)
        elif verify is False:
            pool_kwargs["ssl_context"] = _unverified()
        return host_params, pool_kwargs

    def cert_verify(self, conn, url, verify, cert):
        super().cert_verify(conn, url, verify, cert)
        # The pool (``conn``) already passes its connections a context trusting this bundle (above); a path
        # left on it would be parsed again for each of them.
        if (
            isinstance(verify, str)
            and getattr(conn, "ca_certs", None) == verify
            and getattr(conn, "conn_kw", {}).get("ssl_context") is context_trusting(verify)
        ):
            conn.ca_certs = None
