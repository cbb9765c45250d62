"""Every knob of the project, read from the environment in one place.

The local backend's behaviour that AWS does not document is a *visible* setting here (for example the TLS
versions App Runner's front accepts), so a reader can see and change the assumption. `hostlab measure`
probes them on AWS and writes a calibration file; HOSTLAB_CALIBRATION=<file> then sets them as measured
(hostlab.calibration), and an explicit HOSTLAB_* variable still wins over the file.

Which backend a process uses (one per checkout). The state folder names a backend, and its default
follows the code that runs, so every process that imports one checkout's code finds that checkout's backend
(Jupyter kernels started from its .venv, `make`, scripts/reproduce.sh, `hostlab` itself), and a second clone
never attaches to, runs the code of, or stops the first clone's backend:

  * the checkout is found from this package's own location: ``<root>/src/hostlab/`` where
    ``<root>/pyproject.toml`` names the project ``hostlab`` (an editable install, or PYTHONPATH=<root>/src);
    its state folder is ``<root>/.hostlab/`` (ignored by git);
  * a package installed elsewhere (site-packages, a wheel), or a checkout that cannot be written to, uses
    the per-user folder ``$XDG_STATE_HOME/hostlab``, else ``~/.local/state/hostlab``;
  * ``HOSTLAB_HOME`` overrides both.

Ports: ``HOSTLAB_PORT`` (AWS API) and ``HOSTLAB_PROXY_PORT`` (CONNECT proxy) default to 0, a free port picked
when the backend starts and recorded in its state.json, so two backends never compete for a port; set them
to fixed numbers to pin them.

State folder (``HOSTLAB_HOME``), one per backend:

    state.json     ports, pid, start time, endpoint URLs (written by the server once it answers)
    server.pid     pid of the background process (written before it binds anything)
    lock           flock target: two concurrent ``hostlab up`` never start two backends
    server.log     the background process's stdout and stderr
    ca/            the local certificate authority (ca.pem, ca.key) and the client bundle (bundle.pem)
    apps/          logs of the demo-app processes that stand in for App Runner containers

``hostlab down`` removes the folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from hostlab.checkout import CHECKOUT_STATE_FOLDER, PROJECT_NAME, checkout_root

# Fake credentials, the same ones moto's own documentation and tests use.
FAKE_ACCESS_KEY_ID = "testing"
FAKE_SECRET_ACCESS_KEY = "testing"
DEFAULT_ACCOUNT_ID = "123456789012"  # moto's default account
DEFAULT_REGION = "us-east-1"  # CloudFront's control plane and ACM certificates for CloudFront live here
TLS_VERSIONS = ("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3")
# OriginSslProtocols items (CloudFront API reference, OriginSslProtocols).
ORIGIN_SSL_PROTOCOLS = ("SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2")


def per_user_home(env: dict[str, str] | None = None) -> Path:
    """The state folder of an install outside a checkout: $XDG_STATE_HOME/hostlab, else
    ~/.local/state/hostlab."""
    env = os.environ if env is None else env
    state = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / PROJECT_NAME


def default_home(env: dict[str, str] | None = None) -> Path:
    """The state folder when HOSTLAB_HOME is not set: the checkout's own .hostlab/ when this code runs from a
    checkout that can be written to, else the per-user folder (see the module docstring)."""
    root = checkout_root()
    if root is not None and os.access(root, os.W_OK):
        return root / CHECKOUT_STATE_FOLDER
    return per_user_home(env)


def _float(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not a number") from None
    if value < 0:
        raise ValueError(f"{name}={raw!r} must not be negative")
    return value


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{name}={raw!r} is not an integer") from None


def _port(env: dict[str, str], name: str, default: int) -> int:
    port = _int(env, name, default)
    if not 0 <= port <= 65535:
        raise ValueError(f"{name}={port} is not a TCP port (0 to 65535; 0 picks a free one)")
    return port


def _bool(env: dict[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    value = raw.strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise ValueError(f"{name}={raw!r} is not a boolean (true or false)")


def _versions(
    env: dict[str, str], name: str, known: tuple[str, ...], default: tuple[str, ...]
) -> tuple[str, ...]:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    versions = tuple(v.strip() for v in raw.split(",") if v.strip())
    if unknown := [v for v in versions if v not in known]:
        raise ValueError(f"{name}: unknown version(s) {unknown}; use {list(known)}")
    return versions


def _origin_protocols(env: dict[str, str]) -> tuple[str, ...]:
    """HOSTLAB_CLOUDFRONT_DEFAULT_ORIGIN_SSL_PROTOCOLS: "none" (the default: nothing stored) or a list."""
    name = "HOSTLAB_CLOUDFRONT_DEFAULT_ORIGIN_SSL_PROTOCOLS"
    if (env.get(name) or "").strip().lower() == "none":
        return ()
    return _versions(env, name, ORIGIN_SSL_PROTOCOLS, ())


def _choice(env: dict[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if raw not in allowed:
        raise ValueError(f"{name}={raw!r} must be one of {list(allowed)}")
    return raw


def _with_calibration(env: dict[str, str]) -> dict[str, str]:
    """``env`` with the measured values of HOSTLAB_CALIBRATION filled in where no variable is set (explicit
    variables win over the file; see hostlab.calibration)."""
    path = (env.get("HOSTLAB_CALIBRATION") or "").strip()
    if not path:
        return env
    from hostlab.calibration import measured_values

    merged = dict(env)
    for name, value in measured_values(path).items():
        if merged.get(name) in (None, ""):
            merged[name] = value
    return merged


def _paused_status(env: dict[str, str]) -> int:
    status = _int(env, "HOSTLAB_APPRUNNER_PAUSED_STATUS", 404)
    if status not in (404, 503):
        raise ValueError(f"HOSTLAB_APPRUNNER_PAUSED_STATUS={status} must be 404 or 503")
    return status


def _express_settings(env: dict[str, str], cls: type) -> dict[str, object]:
    """The HOSTLAB_EXPRESS_* variables (ECS Express Mode), as Settings keyword arguments."""
    per_alb = _int(env, "HOSTLAB_EXPRESS_SERVICES_PER_ALB", cls.express_services_per_alb)
    if per_alb < 1:
        raise ValueError(f"HOSTLAB_EXPRESS_SERVICES_PER_ALB={per_alb} must be at least 1")
    return {
        "express_operation_seconds": _float(
            env, "HOSTLAB_EXPRESS_OPERATION_SECONDS", cls.express_operation_seconds
        ),
        "express_ssl_policy": (env.get("HOSTLAB_EXPRESS_SSL_POLICY") or "").strip() or cls.express_ssl_policy,
        "express_http_listener": _choice(
            env, "HOSTLAB_EXPRESS_HTTP_LISTENER", ("none", "redirect"), cls.express_http_listener
        ),
        "express_endpoint_prefix": _choice(
            env, "HOSTLAB_EXPRESS_ENDPOINT_PREFIX", ("name", "random"), cls.express_endpoint_prefix
        ),
        "express_not_found_body": env.get("HOSTLAB_EXPRESS_NOT_FOUND_BODY") or cls.express_not_found_body,
        "express_services_per_alb": per_alb,
        "express_delete_keeps_log_group": _bool(
            env, "HOSTLAB_EXPRESS_DELETE_KEEPS_LOG_GROUP", cls.express_delete_keeps_log_group
        ),
    }


@dataclass(frozen=True)
class Settings:
    """Settings of one local backend. Build with :meth:`from_env`."""

    home: Path = field(default_factory=default_home)
    # 127.0.0.1 only: the backend must never be reachable from another machine.
    host: str = "127.0.0.1"
    # Port of the AWS API endpoint (AWS_ENDPOINT_URL). 0 (the default) picks a free port at start, recorded in
    # state.json: two checkouts' backends never compete for one.
    api_port: int = 0
    # Port of the HTTP CONNECT proxy that maps *.cloudfront.net / *.awsapprunner.com to the data plane; 0 as
    # above.
    proxy_port: int = 0
    # Seed for every generated ID, so the same calls give the same IDs and domains.
    seed: int = 42
    # How long an App Runner operation stays OPERATION_IN_PROGRESS before RUNNING (seconds); custom domains
    # take as long to turn active. ASSUMPTION (timing): AWS documents no duration for either.
    # moto's state manager can lengthen it at run time, never shorten it (controlplane/moto_glue.timing).
    apprunner_operation_seconds: float = 2.0
    # How long a CloudFront distribution stays InProgress after create/update before Deployed (seconds),
    # and an invalidation InProgress before Completed. ASSUMPTION (timing): AWS documents no duration.
    # Lengthened, never shortened, the same way as apprunner_operation_seconds.
    cloudfront_deploy_seconds: float = 2.0
    # How long an ACM certificate requested on the local backend stays PENDING_VALIDATION before ISSUED
    # (seconds). On AWS it is issued once its DNS validation record resolves; there is no DNS here.
    # ASSUMPTION (timing): a fixed delay stands in for DNS propagation.
    acm_validation_seconds: float = 2.0
    # ASSUMPTION (not documented by AWS): the TLS versions App Runner's application endpoints accept.
    # AR-DG security-infrastructure.html states TLS 1.2+ for the App Runner *API* only. The one public
    # measurement, a community one (dev.classmethod.jp, article "app-runner-amplify-hosting-tls-version",
    # 2024-04), found TLS 1.2 accepted and TLS 1.0, 1.1 and 1.3 refused: hence TLS 1.2 only.
    # `hostlab measure` measures it; override with e.g. "TLSv1.2,TLSv1.3".
    apprunner_tls_versions: tuple[str, ...] = ("TLSv1.2",)
    # App Runner's request timeout (seconds): "a total of 120 seconds request timeout limit on the HTTP
    # requests" (AR-DG develop.html). Shorter values make timeout tests fast.
    apprunner_request_timeout: float = 120.0
    # ASSUMPTION (not documented by AWS, no public report found): what the front answers for a PAUSED
    # service. 404 = Envoy with no route for the name (empty body, server: envoy); 503 = Envoy's
    # "no healthy upstream". AR-DG manage-pause.html only says compute capacity drops to zero.
    apprunner_paused_status: int = 404
    # ASSUMPTION (App Runner documents no request body limit, and Envoy streams bodies): the largest request
    # body the local front accepts (bytes); over it, 413 as Envoy answers a body too large to buffer
    # (Envoy FAQ "Why is Envoy sending 413s?"). The local front buffers a body before passing it on, so this
    # bounds its memory per connection.
    apprunner_max_body_bytes: int = 32 * 1024 * 1024
    # ASSUMPTION (CloudFront's quotas, CF-DG cloudfront-limits.html, list no request body limit for custom
    # origins): the largest viewer request body the local edge accepts (bytes); over it, 413.
    cloudfront_max_body_bytes: int = 16 * 1024 * 1024
    # ASSUMPTION (neither service documents one): seconds a client has to send a whole request head, from
    # its first byte, at the front and at the edge; then 408 and the connection is closed. Envoy's
    # request_headers_timeout (HttpConnectionManager API reference) is this timer, off by default.
    request_head_timeout: float = 10.0
    # ASSUMPTION: a configuration change (UpdateDistribution, deployed) leaves cached objects, errors
    # included, until they expire or are invalidated. No AWS page says it of configuration changes in as
    # many words: CF-DG Invalidation.html (to remove a file "before it expires", invalidate it) and the
    # knowledge-center article cloudfront-clear-cache say cached files stay until they expire; a community
    # write-up says it of configuration changes (tech-reader.blog, 2026-01, "AWS CloudFront Error: Why
    # Didn't My Change Apply?"). false = a new deployed version drops the distribution's cache.
    cloudfront_config_change_keeps_cache: bool = True
    # ASSUMPTION: a behaviour whose MaxTTL is 0 (the managed CachingDisabled policy) caches no error either.
    # No source says so; CF-DG HTTPStatusCodes.html and custom-error-pages-expiration.html describe error
    # caching (ErrorCachingMinTTL, 10 s by default) without exempting such behaviours. true = errors are
    # cached there as in any other behaviour.
    cloudfront_caching_disabled_caches_errors: bool = False
    # ASSUMPTION: the OriginSslProtocols the control plane stores when CreateDistribution / UpdateDistribution
    # omits them (the API reference, OriginSslProtocols, names no default). "none" = none stored (the edge
    # then offers TLSv1.2), else a list such as "SSLv3,TLSv1". A live read-back in go-to-k/cdk-real-drift
    # issue 1734 (found 2026-08-09) shows the service filling [SSLv3, TLSv1] when a template omits the list,
    # but for an AWS::CloudFront::VpcOrigin (VpcOriginEndpointConfig), not a distribution's
    # CustomOriginConfig: suggestive, not the same API object, so the default stays "none".
    cloudfront_default_origin_ssl_protocols: tuple[str, ...] = ()
    # ASSUMPTION: the SNI CloudFront sends to a custom origin when the viewer's Host is forwarded: "host"
    # (the forwarded Host) or "origin" (the origin domain). CF-DG http-502-bad-gateway.html only says the
    # origin certificate must match the origin domain or the forwarded Host, and suggests testing with
    # `openssl s_client -servername`; it does not say which name goes in SNI.
    cloudfront_origin_sni: str = "host"
    # --- ECS Express Mode (local/platforms/express) ---------------------------------------------------------
    # How long an Express service's managed resources stay PROVISIONING after Create/Update, and a deleted
    # service DRAINING before INACTIVE (seconds). ASSUMPTION (timing): AWS documents no duration.
    express_operation_seconds: float = 2.0
    # ASSUMPTION (AWS does not document the Express listener's TLS policy): the SslPolicy of the HTTPS:443
    # listener on the shared ALB. No public measurement of a fresh Express ALB was found to pin it; both
    # this policy (TLS 1.2 only) and the ELB console default for new listeners
    # (ELBSecurityPolicy-TLS13-1-2-2021-06, ALB User Guide describe-ssl-policies.html) refuse TLSv1, which is
    # what the tutorial's 502 depends on.
    # Any ELB policy name is accepted; `hostlab measure` can pin it on AWS.
    express_ssl_policy: str = "ELBSecurityPolicy-TLS-1-2-2017-01"
    # ASSUMPTION (port 80): "none" = the shared ALB has only the HTTPS:443 listener
    # (HostSharedAlbConfiguration, ECS API reference: "The gateway supports only HTTPS at port 443");
    # "redirect" = an HTTP:80 listener that
    # redirects to HTTPS (one public runbook reports "HTTP: permanent redirect to HTTPS" for an Express
    # service, which may be its own setup). The ALB security group opens 80 either way (community scripts
    # revoke 0.0.0.0/0 on 80 and 443 from the ecs-express-gateway-alb-* group).
    express_http_listener: str = "none"
    # ASSUMPTION (the endpoint's two-letter prefix): "name" = the first two letters of the service name, as
    # public deployments show (service niriksh-api at ni-<32 hex>.ecs.us-east-1.on.aws, a public runbook,
    # 2026-09); "random" = two random letters.
    express_endpoint_prefix: str = "name"
    # ASSUMPTION (community, no AWS page): the body of the listener's default fixed-response 404.
    express_not_found_body: str = "Not Found"
    # Services that share one ALB: "up to 25" (ECS Developer Guide express-service-work.html).
    express_services_per_alb: int = 25
    # ASSUMPTION: DeleteExpressGatewayService leaves the service's log group (the API reference lists the
    # load balancer, target groups, security groups and auto-scaling policies, not logs). false = delete it.
    express_delete_keeps_log_group: bool = True
    # The calibration file read (HOSTLAB_CALIBRATION), empty for none: hostlab.calibration.
    calibration: str = ""
    # How long `hostlab up` waits for the backend to answer (seconds).
    start_timeout: float = 30.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = _with_calibration(dict(os.environ if env is None else env))
        home = Path(env["HOSTLAB_HOME"]).expanduser() if env.get("HOSTLAB_HOME") else default_home(env)
        tls = _versions(env, "HOSTLAB_APPRUNNER_TLS_VERSIONS", TLS_VERSIONS, cls.apprunner_tls_versions)
        if not tls:
            raise ValueError("HOSTLAB_APPRUNNER_TLS_VERSIONS: name at least one version")
        return cls(
            home=home.resolve(),
            api_port=_port(env, "HOSTLAB_PORT", cls.api_port),
            proxy_port=_port(env, "HOSTLAB_PROXY_PORT", cls.proxy_port),
            seed=_int(env, "HOSTLAB_SEED", cls.seed),
            apprunner_operation_seconds=_float(
                env, "HOSTLAB_APPRUNNER_OPERATION_SECONDS", cls.apprunner_operation_seconds
            ),
            cloudfront_deploy_seconds=_float(
                env, "HOSTLAB_CLOUDFRONT_DEPLOY_SECONDS", cls.cloudfront_deploy_seconds
            ),
            acm_validation_seconds=_float(env, "HOSTLAB_ACM_VALIDATION_SECONDS", cls.acm_validation_seconds),
            apprunner_tls_versions=tls,
            apprunner_request_timeout=_float(
                env, "HOSTLAB_APPRUNNER_REQUEST_TIMEOUT", cls.apprunner_request_timeout
            ),
            apprunner_paused_status=_paused_status(env),
            apprunner_max_body_bytes=_int(
                env, "HOSTLAB_APPRUNNER_MAX_BODY_BYTES", cls.apprunner_max_body_bytes
            ),
            cloudfront_max_body_bytes=_int(
                env, "HOSTLAB_CLOUDFRONT_MAX_BODY_BYTES", cls.cloudfront_max_body_bytes
            ),
            request_head_timeout=_float(env, "HOSTLAB_REQUEST_HEAD_TIMEOUT", cls.request_head_timeout),
            cloudfront_config_change_keeps_cache=_bool(
                env, "HOSTLAB_CLOUDFRONT_CONFIG_CHANGE_KEEPS_CACHE", cls.cloudfront_config_change_keeps_cache
            ),
            cloudfront_caching_disabled_caches_errors=_bool(
                env,
                "HOSTLAB_CLOUDFRONT_CACHING_DISABLED_CACHES_ERRORS",
                cls.cloudfront_caching_disabled_caches_errors,
            ),
            cloudfront_default_origin_ssl_protocols=_origin_protocols(env),
            cloudfront_origin_sni=_choice(env, "HOSTLAB_CLOUDFRONT_ORIGIN_SNI", ("host", "origin"), "host"),
            **_express_settings(env, cls),
            calibration=(env.get("HOSTLAB_CALIBRATION") or "").strip(),
            start_timeout=_float(env, "HOSTLAB_START_TIMEOUT", cls.start_timeout),
        )

    def to_env(self) -> dict[str, str]:
        """The HOSTLAB_* variables that reproduce these settings in a child process."""
        return {
            "HOSTLAB_HOME": str(self.home),
            "HOSTLAB_PORT": str(self.api_port),
            "HOSTLAB_PROXY_PORT": str(self.proxy_port),
            "HOSTLAB_SEED": str(self.seed),
            "HOSTLAB_APPRUNNER_OPERATION_SECONDS": str(self.apprunner_operation_seconds),
            "HOSTLAB_CLOUDFRONT_DEPLOY_SECONDS": str(self.cloudfront_deploy_seconds),
            "HOSTLAB_ACM_VALIDATION_SECONDS": str(self.acm_validation_seconds),
            "HOSTLAB_APPRUNNER_TLS_VERSIONS": ",".join(self.apprunner_tls_versions),
            "HOSTLAB_APPRUNNER_REQUEST_TIMEOUT": str(self.apprunner_request_timeout),
            "HOSTLAB_APPRUNNER_PAUSED_STATUS": str(self.apprunner_paused_status),
            "HOSTLAB_APPRUNNER_MAX_BODY_BYTES": str(self.apprunner_max_body_bytes),
            "HOSTLAB_CLOUDFRONT_MAX_BODY_BYTES": str(self.cloudfront_max_body_bytes),
            "HOSTLAB_REQUEST_HEAD_TIMEOUT": str(self.request_head_timeout),
            "HOSTLAB_CLOUDFRONT_CONFIG_CHANGE_KEEPS_CACHE": str(
                self.cloudfront_config_change_keeps_cache
            ).lower(),
            "HOSTLAB_CLOUDFRONT_CACHING_DISABLED_CACHES_ERRORS": str(
                self.cloudfront_caching_disabled_caches_errors
            ).lower(),
            "HOSTLAB_CLOUDFRONT_DEFAULT_ORIGIN_SSL_PROTOCOLS": ",".join(
                self.cloudfront_default_origin_ssl_protocols
            )
            or "none",
            "HOSTLAB_CLOUDFRONT_ORIGIN_SNI": self.cloudfront_origin_sni,
            "HOSTLAB_EXPRESS_OPERATION_SECONDS": str(self.express_operation_seconds),
            "HOSTLAB_EXPRESS_SSL_POLICY": self.express_ssl_policy,
            "HOSTLAB_EXPRESS_HTTP_LISTENER": self.express_http_listener,
            "HOSTLAB_EXPRESS_ENDPOINT_PREFIX": self.express_endpoint_prefix,
            "HOSTLAB_EXPRESS_NOT_FOUND_BODY": self.express_not_found_body,
            "HOSTLAB_EXPRESS_SERVICES_PER_ALB": str(self.express_services_per_alb),
            "HOSTLAB_EXPRESS_DELETE_KEEPS_LOG_GROUP": str(self.express_delete_keeps_log_group).lower(),
            "HOSTLAB_CALIBRATION": self.calibration,
            "HOSTLAB_START_TIMEOUT": str(self.start_timeout),
        }

    # Files in the state folder (see the module docstring).
    @property
    def state_file(self) -> Path:
        return self.home / "state.json"

    @property
    def pid_file(self) -> Path:
        return self.home / "server.pid"

    @property
    def lock_file(self) -> Path:
        return self.home / "lock"

    @property
    def log_file(self) -> Path:
        return self.home / "server.log"

    @property
    def ca_dir(self) -> Path:
        return self.home / "ca"

    @property
    def apps_dir(self) -> Path:
        return self.home / "apps"
