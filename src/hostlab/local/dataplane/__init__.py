"""The data plane: what CloudFront's edge and App Runner's front do to real HTTP requests.

It reads AWS state only through the control plane's public API (boto3 against the local endpoint), never
through moto internals, so it would work against any endpoint that speaks the AWS API.

Rooms, one job each:
    tls.py     local CA (trustme) and TLS contexts restricted to named versions
    front.py   App Runner's shared front: TLS, Host routing, forwarded headers; runs the demo app
    edge/      CloudFront's edge: behaviours, cache key, origin request, TLS to origin, cache, functions
    proxy.py   HTTP CONNECT proxy: maps *.cloudfront.net, *.awsapprunner.com and aliases to the listeners

Contract between them (each of front and edge implements it):
    start() / stop()
    route(hostname: str, port: int) -> tuple[str, int] | None
        the loopback (host, port) of the listener serving ``hostname`` on ``port`` (443 or 80),
        or None when this component does not serve that name.
"""
