"""GET a few paths of a site with plain `requests` and print what tells the host problem apart.

    python scripts/probe.py d111111abcdef8.cloudfront.net            # /echo and /login
    python scripts/probe.py https://d111111abcdef8.cloudfront.net /echo /login?user=alice

Nothing here knows about hostlab: the local backend is reached through the HTTPS_PROXY and
REQUESTS_CA_BUNDLE that `hostlab up` exports, and AWS directly, as any requests program would.

For each path: the status, the `server` and `x-cache` headers ("-" when absent), the body's size and type;
then, when there is one, the page title (CloudFront's error pages have one), the Host and X-Forwarded-Host
the demo app received and the public URL it built from them (/echo's JSON), and a redirect's Location
(redirects are shown, not followed). Exit status 0 when every path got an HTTP answer, 1 otherwise.
"""

from __future__ import annotations

import re
import sys

import requests

TIMEOUT = 20.0  # seconds, for the connection and for each read; the local backend answers in milliseconds
TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def echo_fields(response: requests.Response) -> dict:
    """The demo app's /echo JSON, or {} for anything else (an empty 404, an HTML error page)."""
    if "json" not in response.headers.get("content-type", ""):
        return {}
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def describe(response: requests.Response) -> list[tuple[str, str]]:
    """(label, value) lines for one answer; the app's view only when the answer is /echo's JSON, the page
    title only for an HTML page, Location only when there is one."""
    lines = [
        ("status", str(response.status_code)),
        ("server", response.headers.get("server", "-")),
        ("x-cache", response.headers.get("x-cache", "-")),
        ("body", f"{len(response.content)} bytes {response.headers.get('content-type', '')}".strip()),
    ]
    if "html" in response.headers.get("content-type", "") and (title := TITLE.search(response.text)):
        lines.append(("page title", " ".join(title.group(1).split())))
    if echo := echo_fields(response):
        lines += [
            ("Host the app saw", echo.get("host") or "-"),
            ("X-Forwarded-Host", (echo.get("headers") or {}).get("x-forwarded-host") or "-"),
            ("app's public URL", echo.get("public_url") or "-"),
        ]
    if "location" in response.headers:
        lines.append(("location", response.headers["location"]))
    return lines


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    base = argv[0] if "://" in argv[0] else f"https://{argv[0]}"
    paths = argv[1:] or ["/echo", "/login"]
    failed = False
    with requests.Session() as session:
        for path in paths:
            url = base.rstrip("/") + path
            print(f"requests GET {url}")
            try:
                response = session.get(url, allow_redirects=False, timeout=TIMEOUT)
            except requests.RequestException as exc:
                print(f"  error: {exc}")
                failed = True
                continue
            for label, value in describe(response):
                print(f"  {label + ':':18} {value}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
