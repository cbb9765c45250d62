"""A requests adapter that parses a CA bundle once per process instead of once per connection.

requests gives urllib3 the path of the bundle to trust (``verify``, by default REQUESTS_CA_BUNDLE, which
hostlab.connect() points at the local CA plus the public roots), and urllib3 parses that file into the new
connection's SSLContext every time: about 20 ms for a bundle with the public roots, paid by every probe a
notebook sends (notebook 04 sends about 30). :class:`BundleParsedOnce` hands urllib3 one context per bundle
file instead, built by urllib3's own factory and loaded from the same file, so certificates are checked
exactly as before (CERT_REQUIRED, host name matched by urllib3). It uses the two hooks requests documents
for subclasses that bring their own SSLContext: ``build_connection_pool_key_attributes`` and ``cert_verify``.

A bundle is known by its path, modification time and size, so a backend started anew (a new local CA
written to the same path) gets a new context.
"""

from __future__ import annotations

import functools
import os
import ssl

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


class BundleParsedOnce(HTTPAdapter):
    """Mount on https:// of a requests Session; see the module docstring."""

    def build_connection_pool_key_attributes(self, request, verify, cert=None):
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, verify, cert)
        bundle = pool_kwargs.pop("ca_certs", None)
        if bundle is not None:
            pool_kwargs["ssl_context"] = context_trusting(bundle)
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
