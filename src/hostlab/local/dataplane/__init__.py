"""The data plane: what CloudFront's edge and each platform's front do to real HTTP requests.

It reads AWS state only through the control plane's public API (boto3 against the local endpoint), never
through moto internals, so it would work against any endpoint that speaks the AWS API.

Rooms, one job each:
    plane.py        the parts below as one unit, in routing order (what server.py starts)
    edge/           CloudFront's edge: behaviours, cache key, origin request, TLS to origin, cache, functions
    (fronts)        each platform's shared front, built from hostlab.local.platforms.LOCAL_PLATFORMS (App
                    Runner's: hostlab.local.platforms.apprunner.front; Express's shared ALBs:
                    hostlab.local.platforms.express.alb_front)
    proxy.py        HTTP CONNECT proxy: maps *.cloudfront.net, each platform's names (*.awsapprunner.com)
                    and aliases to the listeners
  shared by them:
    apps.py         the demo-app processes a front forwards to (RuntimeConfig: what one runs with)
    servers.py      threaded listeners: TLS handshakes on the connection's thread, stop() ends connections
    snapshots.py    a snapshot of AWS state read through the API, renewed when a freshness rule says so
    api_clients.py  the boto3 clients for the local endpoint (called in process: hostlab.local.in_process)
    http1.py        strict HTTP/1.1 request reading, chunked bodies included
    tls.py          local CA (trustme) and TLS contexts restricted to named versions
    sources.py      which source address a loopback connection stands for (the viewer's, the edge's)
  (hostlab.names, outside: the normal form of host names and certificate-name matching, shared with the
  control plane)

Contract between them (each of front and edge implements it):
    start() / stop()
    route(hostname: str, port: int) -> tuple[str, int] | None
        the loopback (host, port) of the listener serving ``hostname`` on ``port`` (443 or 80),
        or None when this component does not serve that name.
"""
