"""The tutorial's demo web app: one file, standard library only, the same code locally and on App Runner.

It makes the host problem visible from inside the application:

    /echo          JSON: the Host it received, every header (lower-case names), the path, and the public URL
                   it believes it has (built from Host, or from X-Forwarded-Host when that header is trusted)
    /login         302 to an absolute URL built from that public host (so a wrong host shows in Location);
                   ?user=NAME also sets the ``user`` cookie
    /account       a page personal to the ``user`` cookie ("Hello, alice"), sent with the Cache-Control a
                   typical framework sends for a session page (ACCOUNT_CACHE_CONTROL, see below)
    /static/...    a "static asset" with Cache-Control: public, max-age=STATIC_MAX_AGE
    /slow?seconds= answers after a delay (origin read-timeout demonstrations)
    /status/CODE   answers with that status (error-caching demonstrations)
    /healthz       200 "ok" for App Runner's health check
    /              a short index

The same routes in a prefix-free form, for `hostlab check`, whose probes must match any cache behaviour's
path pattern: a path containing ``hostlab-check/`` is served as the route named after it, and whatever
follows the route (a nonce that keeps cache keys apart, an extension the pattern needs) is ignored:

    /api/hostlab-check/account/n1           is /account
    /hostlab-check/status/503/n2.jpg        is /status/503
    /static/hostlab-check/echo/n3           is /echo
    /x/hostlab-check/static/app.css         is /static/app.css  (everything after "static/" is kept)

Routes: echo, account, login, slow, status/CODE, static/...; /healthz has no such form (it is the one path
the origin secret does not protect).

Origin-bypass protection: when ORIGIN_SECRET is set, every request except /healthz must carry the header
named by ORIGIN_SECRET_HEADER (default x-origin-secret) with that value, or it gets 403. Only such a
request may tell the app its public host through X-Forwarded-Host; without the secret that header is
ignored, because anyone on the internet can send it to the awsapprunner.com URL.

Environment:
    PORT                   port to listen on (default 8080, App Runner's default port)
    HOSTLAB_APP_BIND       address to bind (default 0.0.0.0 as in a container; the local backend gives every
                           service its own loopback address)
    ORIGIN_SECRET_HEADER   name of the secret header (default x-origin-secret)
    ORIGIN_SECRET          its value; empty or unset means no protection and no X-Forwarded-Host trust
    STATIC_MAX_AGE         max-age of /static/ responses in seconds (default 3600)
    ACCOUNT_CACHE_CONTROL  Cache-Control of /account (default "max-age=0, private, must-revalidate", what
                           Ruby on Rails sends by default); set it to "none" to send no header at all, as
                           Flask and Express do unless told otherwise
    APP_NAME               a label shown in /echo (default "demo")
"""

from __future__ import annotations

import hmac
import html
import itertools
import json
import os
import socketserver
import sys
import threading
import time
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

DEFAULT_ACCOUNT_CACHE_CONTROL = "max-age=0, private, must-revalidate"
MAX_SLOW_SECONDS = 600.0
# Idle keep-alive connections are closed after this long, so a crashed client cannot pin a thread forever.
IDLE_TIMEOUT_SECONDS = 300.0


class AppConfig:
    """What the app reads from its environment, read once at start."""

    def __init__(self, env):
        self.port = int(env.get("PORT") or 8080)
        self.bind = env.get("HOSTLAB_APP_BIND") or "0.0.0.0"
        self.secret_header = (env.get("ORIGIN_SECRET_HEADER") or "x-origin-secret").strip().lower()
        self.secret = env.get("ORIGIN_SECRET") or ""
        self.static_max_age = int(env.get("STATIC_MAX_AGE") or 3600)
        account = env.get("ACCOUNT_CACHE_CONTROL")
        self.account_cache_control = DEFAULT_ACCOUNT_CACHE_CONTROL if account is None else account
        self.name = env.get("APP_NAME") or "demo"


def secret_matches(received, expected):
    """Compare the secret header in constant time.

    A plain ``==`` returns as soon as one character differs, so its duration tells an attacker how many
    leading characters were right; over many requests to the public awsapprunner.com URL that leak is
    enough to guess the secret one character at a time. hmac.compare_digest takes the same time whatever
    matches.
    """
    if received is None:
        return False
    return hmac.compare_digest(received.encode("utf-8", "replace"), expected.encode("utf-8", "replace"))


class DemoHandler(BaseHTTPRequestHandler):
    """One request. The server object carries the config and a request counter."""

    protocol_version = "HTTP/1.1"  # keep-alive, so App Runner's front can reuse connections
    server_version = "hostlab-demo/1"
    sys_version = ""
    timeout = IDLE_TIMEOUT_SECONDS
    # Headers and body are two writes; with Nagle's algorithm the second waits for the peer's delayed ACK
    # (about 40 ms on Linux) on every keep-alive request.
    disable_nagle_algorithm = True

    # -- request facts --------------------------------------------------------------------------------

    @property
    def config(self) -> AppConfig:
        return self.server.config

    def header_dict(self):
        """Headers with lower-case names; repeated headers joined with ", " as RFC 9110 allows.

        The secret header's value is redacted: the echo goes back to the viewer, and CloudFront adds the
        secret as an origin custom header, so echoing it would hand every viewer the key to the origin.
        """
        out = {}
        for name, value in self.headers.items():
            key = name.lower()
            if key == self.config.secret_header:
                value = "(redacted)"
            out[key] = f"{out[key]}, {value}" if key in out else value
        return out

    def secret_ok(self):
        return bool(self.config.secret) and secret_matches(
            self.headers.get(self.config.secret_header), self.config.secret
        )

    def public_host(self):
        """The host the app believes the world uses to reach it."""
        forwarded = self.headers.get("x-forwarded-host")
        if forwarded and self.secret_ok():
            return forwarded.split(",")[0].strip(), "x-forwarded-host"
        return self.headers.get("host", ""), "host"

    def public_scheme(self):
        # The front in front of the app (App Runner's, or the local one) sets X-Forwarded-Proto itself.
        proto = (self.headers.get("x-forwarded-proto") or "").split(",")[0].strip().lower()
        return proto if proto in ("http", "https") else "http"

    def public_base(self):
        return f"{self.public_scheme()}://{self.public_host()[0]}"

    # -- dispatch -------------------------------------------------------------------------------------

    def handle_any(self):
        self.request_number = self.server.count_request()
        url = urlsplit(self.path)
        path = check_route(url.path or "/")
        try:
            body = self.read_body()
        except ValueError:
            self.close_connection = True
            return self.reply(400, "Malformed chunked body\n")
        if path != "/healthz" and self.config.secret and not self.secret_ok():
            return self.reply(403, "Forbidden: this origin only answers requests sent through the CDN.\n")
        if path == "/healthz":
            return self.reply(200, "ok\n")
        if path == "/echo":
            return self.echo(url, body)
        if path == "/login":
            return self.login(url)
        if path == "/account":
            return self.account()
        if path.startswith("/static/"):
            return self.static(path)
        if path == "/slow":
            return self.slow(url)
        if path.startswith("/status/"):
            return self.status(path)
        if path == "/":
            return self.index()
        return self.reply(404, f"Not found: {path}\n")

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = handle_any

    def read_body(self):
        if "chunked" in (self.headers.get("transfer-encoding") or "").lower():
            return read_chunked(self.rfile)
        length = self.headers.get("content-length")
        if length and length.isdigit():
            return self.rfile.read(int(length))
        return b""

    # -- endpoints ------------------------------------------------------------------------------------

    def echo(self, url, body):
        host, host_source = self.public_host()
        target = url.path + (f"?{url.query}" if url.query else "")
        payload = {
            "app": self.config.name,
            "method": self.command,
            "host": self.headers.get("host", ""),
            "path": url.path,
            "query": url.query,
            "headers": self.header_dict(),
            "public_host": host,
            "public_host_from": host_source,
            "public_url": f"{self.public_scheme()}://{host}{target}",
            "client": {
                "peer": self.client_address[0],
                "x_forwarded_for": self.headers.get("x-forwarded-for"),
                "x_forwarded_proto": self.headers.get("x-forwarded-proto"),
                "x_forwarded_host": self.headers.get("x-forwarded-host"),
            },
            "request_id": self.headers.get("x-request-id"),
            "origin_secret": {
                "required": bool(self.config.secret),
                "header": self.config.secret_header,
                "matched": self.secret_ok(),
            },
            "body_bytes": len(body),
            "request_number": self.request_number,
        }
        self.reply(200, json.dumps(payload, indent=2) + "\n", content_type="application/json")

    def login(self, url):
        user = (parse_qs(url.query).get("user") or [""])[0]
        headers = [("Location", f"{self.public_base()}/account")]
        if user:
            headers.append(("Set-Cookie", f"user={quote(user)}; Path=/; Secure; HttpOnly; SameSite=Lax"))
        self.reply(302, "", headers=headers)

    def account(self):
        user = "guest"
        try:
            cookie = SimpleCookie(self.headers.get("cookie", ""))
            if "user" in cookie:
                user = cookie["user"].value
        except CookieError:
            pass
        headers = []
        if self.config.account_cache_control.lower() != "none":
            headers.append(("Cache-Control", self.config.account_cache_control))
        page = f"<!doctype html><title>Account</title><h1>Hello, {html.escape(user)}</h1>\n"
        self.reply(200, page, content_type="text/html; charset=utf-8", headers=headers)

    def static(self, path):
        headers = [("Cache-Control", f"public, max-age={self.config.static_max_age}")]
        # The request number makes each origin answer distinct, so a cache hit is visible in the body.
        body = f"/* {path} from {self.config.name}, origin response #{self.request_number} */\n"
        content_type = "text/css" if path.endswith(".css") else "text/plain; charset=utf-8"
        self.reply(200, body, content_type=content_type, headers=headers)

    def slow(self, url):
        try:
            seconds = float((parse_qs(url.query).get("seconds") or ["1"])[0])
        except ValueError:
            return self.reply(400, "seconds must be a number\n")
        time.sleep(min(max(seconds, 0.0), MAX_SLOW_SECONDS))
        self.reply(200, f"slept {seconds} s\n")

    def status(self, path):
        code = path.rsplit("/", 1)[-1]
        if not (code.isdigit() and 200 <= int(code) <= 599):
            return self.reply(400, "status must be 200-599\n")
        self.reply(int(code), f"status {code} on purpose\n")

    def index(self):
        links = ["/echo", "/login?user=alice", "/account", "/static/app.css", "/healthz"]
        items = "".join(f'<li><a href="{link}">{link}</a></li>' for link in links)
        page = f"<!doctype html><title>hostlab demo</title><h1>hostlab demo app</h1><ul>{items}</ul>\n"
        self.reply(200, page, content_type="text/html; charset=utf-8")

    # -- output ---------------------------------------------------------------------------------------

    def reply(self, code, text, content_type="text/plain; charset=utf-8", headers=()):
        body = text.encode("utf-8")
        self.send_response(code)
        if body:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format, *args):
        # stderr is what App Runner collects as application logs; locally it goes to the app's log file.
        rid = self.headers.get("x-request-id", "-") if getattr(self, "headers", None) else "-"
        when = self.log_date_time_string()
        sys.stderr.write(f"{self.client_address[0]} [{when}] {format % args} rid={rid}\n")


CHECK_MARKER = "hostlab-check/"
CHECK_ROUTES = ("echo", "account", "login", "slow", "status", "static")


def check_route(path):
    """The route a `hostlab check` probe path stands for (see the module docstring); other paths unchanged."""
    if CHECK_MARKER not in path:
        return path
    parts = path.split(CHECK_MARKER, 1)[1].split("/")
    route = parts[0]
    if route not in CHECK_ROUTES:
        return path
    if route == "status":
        return f"/status/{parts[1] if len(parts) > 1 else ''}"
    if route == "static":
        return "/static/" + "/".join(parts[1:])
    return f"/{route}"


def read_chunked(stream):
    """The body of a ``Transfer-Encoding: chunked`` request (RFC 9112 section 7.1), trailers skipped."""
    parts = []
    while True:
        size = int(stream.readline(1024).split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while stream.readline(8192) not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(parts)
        parts.append(stream.read(size))
        stream.readline(8)  # the CRLF after each chunk


class DemoServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, config: AppConfig):
        self.config = config
        self._counter = itertools.count(1)
        self._lock = threading.Lock()
        super().__init__((config.bind, config.port), DemoHandler)

    def server_bind(self):
        # TCPServer's bind (SO_REUSEADDR, bind), without HTTPServer's reverse-DNS lookup of the address,
        # which can stall a start for seconds where DNS is slow; the app never uses that name.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def count_request(self):
        with self._lock:
            return next(self._counter)


def main(env=None):
    config = AppConfig(os.environ if env is None else env)
    server = DemoServer(config)
    sys.stderr.write(f"demo app {config.name!r} listening on {config.bind}:{config.port}\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
