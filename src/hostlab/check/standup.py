"""Stand one reader's distribution up on a private local backend (hostlab.check.backend): a stand-in of each
origin's kind with the demo app behind it, the reader's custom policies and functions, a certificate for the
aliases, then the distribution itself, as the reader wrote it except for the origin domains (the stand-ins')
and the placeholders (hostlab.check.model.policy_ref / function_ref) replaced by the IDs created here.

Stand-ins per kind (the local backend has fronts for App Runner and ECS Express Mode only):
- apprunner: CreateService running the demo app (hostlab.app), public or private per OriginHint.
- express:   CreateExpressGatewayService running the demo app; its ALB's security group restricted to
             CloudFront's origin-facing prefix list when OriginHint.restricted_to_cloudfront.
- alb:       an Express service whose shared ALB listener forwards every request to the demo app (its
             default action), as a load balancer without host-header rules does; the origin is the ALB's
             DNS name. Restricted like express.
- apigateway, lambda-url, s3, custom: no stand-in ("no local front for ..."): the checks that need the
             origin to answer are NOT_CHECKED, and what AWS documents about them is judged from the
             configuration (hostlab.check.probes).
The demo app sends no Cache-Control on its account page (ACCOUNT_CACHE_CONTROL=none, as Flask and Express do
by default); when the origin has a custom header whose name looks like a secret check, the app requires it
(ORIGIN_SECRET): "assuming the app rejects requests without <header>".
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import requests
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from hostlab import app as demo
from hostlab.check.backend import PrivateBackend
from hostlab.check.model import (
    ALB,
    API_GATEWAY,
    APPRUNNER,
    CUSTOM,
    EXPRESS,
    LAMBDA_URL,
    S3,
    DistributionInput,
)
from hostlab.check.origins import kind_from_domain, origin_kind

# A custom header name that looks like a secret the origin checks (X-Origin-Secret, X-Origin-Verify,
# X-CloudFront-Token, x-api-key...). ASSUMPTION, said in every finding that relies on it.
SECRET_HEADER_NAME = re.compile(r"secret|verify|token|auth|key|password|shared|origin", re.IGNORECASE)
# The demo app's environment for every stand-in: no Cache-Control on /account (see the module docstring).
APP_ENV = {"ACCOUNT_CACHE_CONTROL": "none", "APP_NAME": "hostlab-check"}
# Bounds on the waits; the private backend's delays are 0 s (50 ms for CloudFront), so these are never reached
# when all is well.
WAIT_SECONDS = 30.0
POLL_SECONDS = 0.02
PROBE_WAKE_SECONDS = 5.0

_ONLY_TWO = "the local backend emulates App Runner's and Express Mode's fronts"
NO_FRONT = {
    API_GATEWAY: f"no local front for API Gateway: {_ONLY_TWO}",
    LAMBDA_URL: f"no local front for Lambda function URLs: {_ONLY_TWO}",
    S3: f"no local front for Amazon S3: {_ONLY_TWO}",
    CUSTOM: f"no local front for a custom origin (any server): {_ONLY_TWO}, and the checker cannot know how "
    "your server routes or answers",
}
# Read-timeout limits of the origin kinds, with their sources.
READ_LIMITS: dict[str, tuple[float, str]] = {
    APPRUNNER: (
        120.0,
        "App Runner's request timeout, 120 s (AR-DG develop.html, "
        "https://docs.aws.amazon.com/apprunner/latest/dg/develop.html)",
    ),
    EXPRESS: (
        60.0,
        "the Application Load Balancer's idle timeout, 60 s by default (ALB User Guide, "
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/"
        "edit-load-balancer-attributes.html#connection-idle-timeout)",
    ),
    ALB: (
        60.0,
        "the Application Load Balancer's idle timeout, 60 s by default (ALB User Guide, "
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/"
        "edit-load-balancer-attributes.html#connection-idle-timeout)",
    ),
}
# ECS Express needs a task execution role and an infrastructure role (ECS developer guide,
# express-service-overview.html); names for the private backend only.
EXECUTION_ROLE = "hostlab-check-task-execution"
INFRASTRUCTURE_ROLE = "hostlab-check-infrastructure"
CLOUDFRONT_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"


class StandUpError(RuntimeError):
    """The local backend refused something the input asks for; the message names the property."""


@dataclass
class StandIn:
    """One origin of the input and what stands in for it."""

    origin_id: str
    kind: str
    kind_reason: str
    reader_domain: str
    domain: str | None = None  # the stand-in's domain, used in the distribution; None: no stand-in
    unavailable: str = ""  # why there is no stand-in
    accepted_tls: tuple[str, ...] = ()  # what the stand-in's TLS accepts
    tls_source: str = ""  # where that comes from (a setting, an SslPolicy)
    secret_header: str | None = None  # the custom header the app requires (assumption), if any
    private: bool = False  # not reachable without CloudFront (private service, restricted security group)
    private_reason: str = ""
    host_routed: bool = False  # the front routes by Host (App Runner, Express): a foreign Host gets 404
    lb_arn: str = ""  # the load balancer of an Express or ALB stand-in
    service_arn: str = ""  # the Express service of an Express or ALB stand-in
    apprunner_arn: str = ""  # the App Runner service of an App Runner stand-in
    extra_listener: str = ""  # the HTTP:80 listener added to an ALB stand-in
    extra_rule: str = ""  # the host-header rule for the reader's own domain of an ALB stand-in
    listener: tuple[str, list] = ("", [])  # an ALB stand-in's HTTPS listener and its original default actions

    @property
    def direct_url(self) -> str | None:
        return f"https://{self.domain}" if self.domain else None


@dataclass
class Deployed:
    """A distribution created on the private backend from one input."""

    dist: DistributionInput
    standins: dict[str, StandIn]
    config: dict[str, Any] = field(default_factory=dict)  # as created
    distribution_id: str = ""
    domain: str = ""
    viewer_host: str = ""
    viewer_host_words: str = ""  # how symptoms name the viewer host
    error: str = (
        ""  # CreateDistribution (or a policy, function, certificate) refused: why, naming the property
    )
    notes: list[str] = field(default_factory=list)


class StandUp:
    """Everything created on one private backend during one run; stand-ins are made once per origin."""

    def __init__(self, backend: PrivateBackend):
        self.backend = backend
        self.apprunner = backend.client("apprunner")
        self.cloudfront = backend.client("cloudfront")
        self._counter = backend.numbers
        self._roles: tuple[str, str] | None = None
        self._standins: dict[tuple, StandIn] = {}
        self._policies: dict[str, str] = {}  # json of (kind, config) -> ID
        self._settled_at = 0.0  # monotonic time after which the ALB front sees every ELBv2/EC2 change made

    def _name(self, prefix: str) -> str:
        return f"{prefix}-{next(self._counter)}"

    # -- origins ---------------------------------------------------------------------------------------------

    def standins(self, dist: DistributionInput, override: dict[str, str]) -> dict[str, StandIn]:
        """A stand-in per origin of ``dist`` (created once per origin kind, domain and protection); the
        services are created first and waited for together."""
        found: dict[str, StandIn] = {}
        pending: list[tuple[StandIn, Any]] = []
        for origin in (dist.config.get("Origins") or {}).get("Items") or []:
            origin_id = origin.get("Id", "")
            hint = dist.origins.get(origin_id)
            kind, reason = origin_kind(origin, hint, override)
            secret = _secret_header(origin)
            private = hint is not None and hint.publicly_accessible is False
            restricted = hint is not None and bool(hint.restricted_to_cloudfront)
            aliases = tuple((dist.config.get("Aliases") or {}).get("Items") or ())
            key = (kind, origin.get("DomainName", ""), secret, private, restricted, aliases)
            if key in self._standins:
                found[origin_id] = copy.copy(self._standins[key])
                found[origin_id].origin_id = origin_id
                continue
            standin = StandIn(origin_id, kind, reason, origin.get("DomainName", ""))
            if secret:
                standin.secret_header = secret[0]
            try:
                if kind == APPRUNNER:
                    pending.append((standin, self._apprunner(standin, secret, private)))
                elif kind in (EXPRESS, ALB):
                    pending.append((standin, self._express(standin, secret, aliases)))
                else:
                    standin.unavailable = NO_FRONT[kind]
            except (ClientError, BotoCoreError) as exc:
                standin.unavailable = f"the local backend could not stand in for this {kind} origin: {exc}"
            self._standins[key] = standin
            found[origin_id] = standin
        for standin, finish in pending:
            try:
                finish()
            except (ClientError, BotoCoreError, TimeoutError) as exc:
                standin.domain = None
                standin.unavailable = (
                    f"the local backend could not stand in for this {standin.kind} origin: {exc}"
                )
        for standin, _ in pending:
            hint = dist.origins.get(standin.origin_id)
            if standin.kind in (EXPRESS, ALB) and standin.domain and hint and hint.restricted_to_cloudfront:
                self._restrict(standin)
        return found

    def _apprunner(self, standin: StandIn, secret: tuple[str, str] | None, private: bool):
        from hostlab.settings import Settings

        env = dict(APP_ENV)
        if secret:
            env.update({"ORIGIN_SECRET_HEADER": secret[0].lower(), "ORIGIN_SECRET": secret[1]})
        network = {"IngressConfiguration": {"IsPubliclyAccessible": not private}}
        created = self.apprunner.create_service(
            ServiceName=self._name("hostlab-check"),
            SourceConfiguration=demo.source_configuration(env=env),
            NetworkConfiguration=network,
        )["Service"]
        standin.apprunner_arn = created["ServiceArn"]
        settings: Settings = self.backend.settings
        standin.accepted_tls = settings.apprunner_tls_versions
        standin.tls_source = (
            "App Runner's front accepts "
            + ", ".join(settings.apprunner_tls_versions)
            + " (HOSTLAB_APPRUNNER_TLS_VERSIONS, an assumption: see src/hostlab/settings.py)"
        )
        standin.host_routed = True
        if private:
            # A private App Runner service is reachable only through a VPC interface endpoint (AR-DG
            # network-incoming.html; API reference IngressConfiguration); the local front does not model
            # that, so the bypass check is judged from the configuration.
            standin.private = True
            standin.private_reason = "IsPubliclyAccessible=false: the service has no public endpoint"

        def finish() -> None:
            _wait(
                lambda: (
                    self.apprunner.describe_service(ServiceArn=created["ServiceArn"])["Service"]["Status"]
                    == "RUNNING"
                ),
                "the App Runner stand-in to run",
            )
            standin.domain = created["ServiceUrl"]

        return finish

    def _express_roles(self) -> tuple[str, str]:
        if self._roles is None:
            iam = self.backend.client("iam")
            arns = []
            for name, principal in (
                (EXECUTION_ROLE, "ecs-tasks.amazonaws.com"),
                (INFRASTRUCTURE_ROLE, "ecs.amazonaws.com"),
            ):
                trust = {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}
                    ],
                }
                try:
                    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
                except iam.exceptions.EntityAlreadyExistsException:  # a backend kept across runs
                    role = iam.get_role(RoleName=name)["Role"]
                arns.append(role["Arn"])
            self._roles = (arns[0], arns[1])
        return self._roles

    def _express(self, standin: StandIn, secret: tuple[str, str] | None, aliases: tuple[str, ...] = ()):
        from hostlab.local.platforms.express.ssl_policies import policy
        from hostlab.platforms.express.service import endpoint, primary_container, revision_arn

        execution, infrastructure = self._express_roles()
        ecs = self.backend.client("ecs")
        env = dict(APP_ENV)
        if secret:
            env.update({"ORIGIN_SECRET_HEADER": secret[0].lower(), "ORIGIN_SECRET": secret[1]})
        service = ecs.create_express_gateway_service(
            serviceName=self._name("hostlab-check"),
            executionRoleArn=execution,
            infrastructureRoleArn=infrastructure,
            primaryContainer=primary_container(env=env),
            healthCheckPath=demo.HEALTH_CHECK_PATH,
        )["service"]
        revision = revision_arn(service)
        standin.service_arn = service["serviceArn"]

        def finish() -> None:
            def active() -> bool:
                found = ecs.describe_service_revisions(serviceRevisionArns=[revision])["serviceRevisions"]
                paths = found[0].get("ecsManagedResources", {}).get("ingressPaths", []) if found else []
                return bool(paths) and all(
                    (p.get(part) or {}).get("status") == "ACTIVE"
                    for p in paths
                    for part in ("loadBalancer", "listener", "rule")
                )

            _wait(active, "the Express stand-in's load balancer to be active")
            path = ecs.describe_service_revisions(serviceRevisionArns=[revision])["serviceRevisions"][0][
                "ecsManagedResources"
            ]["ingressPaths"][0]
            elbv2 = self.backend.client("elbv2")
            listener = elbv2.describe_listeners(ListenerArns=[path["listener"]["arn"]])["Listeners"][0]
            ssl_policy = listener.get("SslPolicy", "")
            standin.accepted_tls = policy(ssl_policy).protocols
            standin.tls_source = (
                f"the ALB listener's SslPolicy {ssl_policy} ({', '.join(standin.accepted_tls)})"
            )
            standin.lb_arn = path["loadBalancer"]["arn"]
            if standin.kind == EXPRESS:
                standin.domain = endpoint(service)
                standin.host_routed = True
                return
            # ALB: every request to the listener goes to the demo app (its default action), as a load
            # balancer without host-header rules does; the origin is the ALB's own DNS name.
            rule = elbv2.describe_rules(RuleArns=[path["rule"]["arn"]])["Rules"][0]
            standin.listener = (listener["ListenerArn"], listener["DefaultActions"])
            elbv2.modify_listener(ListenerArn=listener["ListenerArn"], DefaultActions=rule["Actions"])
            # And HTTP:80 the same way, for distributions that reach their load balancer over plain HTTP
            # (OriginProtocolPolicy http-only or match-viewer), as many do.
            standin.extra_listener = elbv2.create_listener(
                LoadBalancerArn=path["loadBalancer"]["arn"],
                Protocol="HTTP",
                Port=80,
                DefaultActions=rule["Actions"],
            )["Listeners"][0]["ListenerArn"]
            lb = elbv2.describe_load_balancers(LoadBalancerArns=[path["loadBalancer"]["arn"]])
            standin.domain = lb["LoadBalancers"][0]["DNSName"]
            if aliases:
                self._alb_alias_certificate(standin, listener["ListenerArn"], aliases)
            if standin.reader_domain and kind_from_domain(standin.reader_domain)[0] != ALB:
                self._alb_custom_domain(standin, listener["ListenerArn"], rule["Actions"])

        return finish

    def _issued_certificate(self, names: tuple[str, ...]) -> str:
        acm = self.backend.client("acm")
        arn = acm.request_certificate(
            DomainName=names[0], SubjectAlternativeNames=list(names), ValidationMethod="DNS"
        )["CertificateArn"]
        _wait(
            lambda: acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"] == "ISSUED",
            "the stand-in certificate to be issued",
        )
        return arn

    def _alb_alias_certificate(self, standin: StandIn, listener_arn: str, aliases: tuple[str, ...]) -> None:
        """ASSUMPTION, said in the origin-tls cause: the reader's load balancer has a certificate for the
        distribution's aliases (the usual setup: one ACM certificate for the site's names). CloudFront accepts
        an origin certificate that covers the Host it forwards (CF-DG http-502-bad-gateway.html), so a
        distribution forwarding the viewer's Host to an ALB named *.elb.amazonaws.com works thanks to it."""
        arn = self._issued_certificate(aliases)
        self.backend.client("elbv2").add_listener_certificates(
            ListenerArn=listener_arn, Certificates=[{"CertificateArn": arn}]
        )
        standin.tls_source += f"; assuming the load balancer's certificate also covers {', '.join(aliases)}"
        self._changed_elb()

    def _alb_custom_domain(self, standin: StandIn, listener_arn: str, actions: list) -> None:
        """The reader names the load balancer by a domain of theirs (a DNS record to it), with a certificate
        for that name on the listener, as CloudFront needs (CF-DG http-502-bad-gateway.html). The stand-in
        gets the same: a certificate for the name from the local ACM, and a host-header rule for it, which
        makes the name lead to this ALB as the DNS record would (alb_state.py: a name in a host rule leads to
        its load balancer). The origin keeps the reader's domain."""
        elbv2 = self.backend.client("elbv2")
        arn = self._issued_certificate((standin.reader_domain,))
        elbv2.add_listener_certificates(ListenerArn=listener_arn, Certificates=[{"CertificateArn": arn}])
        used = {r["Priority"] for r in elbv2.describe_rules(ListenerArn=listener_arn)["Rules"]}
        priority = next(p for p in range(1, 50000) if str(p) not in used)
        standin.extra_rule = elbv2.create_rule(
            ListenerArn=listener_arn,
            Priority=priority,
            Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": [standin.reader_domain]}}],
            Actions=actions,
        )["Rules"][0]["RuleArn"]
        # The ALB front reads the ELBv2 API lazily: a custom name is looked up only once it knows of some
        # load balancer (alb_front._worth_a_read). One request by the ALB's own name makes it read now.
        with contextlib.suppress(requests.RequestException), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.backend.session.head(f"https://{standin.domain}/", verify=False, timeout=PROBE_WAKE_SECONDS)
        standin.domain = standin.reader_domain
        self._changed_elb()

    def release(self, standins: dict[str, StandIn]) -> None:
        """Delete the services behind these stand-ins once their distribution is checked: the fronts re-read
        every service and load balancer a few times a second, so the ones a finished distribution no longer
        needs would slow the next ones (a run of 17 inputs took twice as long with them kept)."""
        ecs, elbv2 = self.backend.client("ecs"), self.backend.client("elbv2")
        for standin in standins.values():
            if standin.apprunner_arn:
                # Best effort: the backend is removed at the end of the run anyway.
                with contextlib.suppress(ClientError, BotoCoreError):
                    self.apprunner.delete_service(ServiceArn=standin.apprunner_arn)
                standin.apprunner_arn = ""
                self._standins = {k: v for k, v in self._standins.items() if v is not standin}
            if not standin.service_arn:
                continue
            try:
                if standin.extra_rule:
                    elbv2.delete_rule(RuleArn=standin.extra_rule)
                if standin.extra_listener:  # what the ALB stand-in added, so Express can delete the rest
                    elbv2.delete_listener(ListenerArn=standin.extra_listener)
                if standin.listener[0]:
                    elbv2.modify_listener(ListenerArn=standin.listener[0], DefaultActions=standin.listener[1])
                ecs.delete_express_gateway_service(serviceArn=standin.service_arn)
            except (ClientError, BotoCoreError):
                pass  # the backend is removed at the end of the run anyway
            standin.service_arn = ""
            self._standins = {k: v for k, v in self._standins.items() if v.lb_arn != standin.lb_arn}

    def _changed_elb(self) -> None:
        """The ALB front serves from a snapshot of the ELBv2 and EC2 APIs at most MAX_SNAPSHOT_AGE old (a
        documented assumption of hostlab.local.platforms.express.alb_front): probes wait that long after a
        change of listeners or security groups."""
        from hostlab.local.platforms.express.alb_front import MAX_SNAPSHOT_AGE

        self._settled_at = time.monotonic() + 2 * MAX_SNAPSHOT_AGE

    def _restrict(self, standin: StandIn) -> None:
        """The ALB's security group: 443 from CloudFront's origin-facing prefix list only (what the reader's
        input says, OriginHint.restricted_to_cloudfront; CF-DG LocationsOfEdgeServers.html)."""
        ec2, elbv2 = self.backend.client("ec2"), self.backend.client("elbv2")
        lb = elbv2.describe_load_balancers(LoadBalancerArns=[standin.lb_arn])["LoadBalancers"][0]
        group = lb["SecurityGroups"][0]
        prefix = ec2.describe_managed_prefix_lists(
            Filters=[{"Name": "prefix-list-name", "Values": [CLOUDFRONT_PREFIX_LIST]}]
        )["PrefixLists"][0]
        permissions = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"][0].get(
            "IpPermissions", []
        )
        if permissions:
            ec2.revoke_security_group_ingress(GroupId=group, IpPermissions=permissions)
        ec2.authorize_security_group_ingress(
            GroupId=group,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": port,
                    "ToPort": port,
                    "PrefixListIds": [{"PrefixListId": prefix["PrefixListId"]}],
                }
                for port in (80, 443)
            ],
        )
        self._changed_elb()
        standin.private = True
        standin.private_reason = (
            "the load balancer's security group admits only CloudFront's origin-facing prefix list"
        )

    # -- the distribution ------------------------------------------------------------------------------------

    def deploy(
        self, dist: DistributionInput, standins: dict[str, StandIn], config: dict[str, Any] | None = None
    ) -> Deployed:
        """Create ``dist`` (or ``config``, a variant of it) with the stand-ins and wait until it is deployed.
        What the backend refuses becomes Deployed.error, never an exception."""
        deployed = Deployed(dist, standins)
        config = plain(config if config is not None else dist.config)
        try:
            refs = self._references(dist)
            config = _replace_refs(config, refs)
            for origin in (config.get("Origins") or {}).get("Items") or []:
                standin = standins.get(origin.get("Id", ""))
                if standin is not None and standin.domain:
                    origin["DomainName"] = standin.domain
            config["CallerReference"] = self._name("hostlab-check")
            self._certificate(config, deployed)
            created = self.cloudfront.create_distribution(DistributionConfig=config)["Distribution"]
        except StandUpError as exc:
            deployed.error = str(exc)
            return deployed
        except ParamValidationError as exc:  # botocore's own validation, before the call: names the property
            deployed.error = f"the configuration is not a valid CreateDistribution input: {exc}"
            return deployed
        except ClientError as exc:
            refused = _refusal(exc)
            deployed.error = f"the local backend's CreateDistribution refused the configuration: {refused}"
            return deployed
        deployed.config = config
        deployed.distribution_id = created["Id"]
        deployed.domain = created["DomainName"]
        aliases = (config.get("Aliases") or {}).get("Items") or []
        if aliases and not (config.get("ViewerCertificate") or {}).get("CloudFrontDefaultCertificate"):
            deployed.viewer_host = aliases[0]
            deployed.viewer_host_words = f"alias {aliases[0]}"
        else:
            deployed.viewer_host = created["DomainName"]
            deployed.viewer_host_words = "the distribution's *.cloudfront.net name"
        self._wait_deployed(created["Id"], "the distribution to be deployed")
        time.sleep(max(0.0, self._settled_at - time.monotonic()))
        return deployed

    def redeploy(self, deployed: Deployed, config: dict[str, Any]) -> Deployed:
        """The same distribution updated to ``config`` (a variant of deployed.config: IDs already real),
        deployed; its aliases stay its own (a second distribution could not have them: CNAMEAlreadyExists)."""
        twin = copy.copy(deployed)
        current = self.cloudfront.get_distribution_config(Id=deployed.distribution_id)
        try:
            self.cloudfront.update_distribution(
                Id=deployed.distribution_id, IfMatch=current["ETag"], DistributionConfig=config
            )
        except ClientError as exc:
            twin.error = f"UpdateDistribution refused the variant: {_refusal(exc)}"
            return twin
        twin.config = config
        self._wait_deployed(deployed.distribution_id, "the distribution to be deployed")
        return twin

    def _wait_deployed(self, distribution_id: str, what: str) -> None:
        def deployed() -> bool:
            status = self.cloudfront.get_distribution(Id=distribution_id)["Distribution"]["Status"]
            return status == "Deployed"

        _wait(deployed, what)

    def retire(self, deployed: Deployed) -> None:
        """Disable and delete a checked distribution: its aliases are free for another input of the same
        run (two inputs of one site, broken and fixed, share them), and the edge, which re-reads every
        distribution, stays as fast for the next input as for the first."""
        if not deployed.distribution_id:
            return
        try:
            current = self.cloudfront.get_distribution_config(Id=deployed.distribution_id)
            config = {
                **current["DistributionConfig"],
                "Enabled": False,
                "Aliases": {"Quantity": 0},
                "ViewerCertificate": {"CloudFrontDefaultCertificate": True},
            }
            etag = self.cloudfront.update_distribution(
                Id=deployed.distribution_id, IfMatch=current["ETag"], DistributionConfig=config
            )["ETag"]
            self._wait_deployed(deployed.distribution_id, "the checked distribution to be disabled")
            self.cloudfront.delete_distribution(Id=deployed.distribution_id, IfMatch=etag)
        except (ClientError, BotoCoreError, TimeoutError):
            pass  # the next distribution then reports CNAMEAlreadyExists, naming the property

    def _references(self, dist: DistributionInput) -> dict[str, str]:
        """policy_ref / function_ref placeholder -> the ID / ARN created here for it."""
        from hostlab.check.model import function_ref, policy_ref

        refs: dict[str, str] = {}
        for name, policy in dist.policies.items():
            refs[policy_ref(name)] = self._policy(name, policy.kind, policy.config, str(policy.where))
        for name, function in dist.functions.items():
            refs[function_ref(name)] = self._function(
                name, function.runtime, function.code, str(function.where)
            )
        return refs

    def _policy(self, name: str, kind: str, config: dict[str, Any], where: str) -> str:
        key = json.dumps([kind, config], sort_keys=True, default=str)
        if key in self._policies:
            return self._policies[key]
        body = {
            **config,
            "Name": self._name(re.sub(r"[^A-Za-z0-9_-]", "-", config.get("Name") or name)[:100]),
        }
        try:
            if kind == "cache":
                made = self.cloudfront.create_cache_policy(CachePolicyConfig=body)["CachePolicy"]
            elif kind == "origin-request":
                made = self.cloudfront.create_origin_request_policy(OriginRequestPolicyConfig=body)[
                    "OriginRequestPolicy"
                ]
            elif kind == "response-headers":
                made = self.cloudfront.create_response_headers_policy(ResponseHeadersPolicyConfig=body)[
                    "ResponseHeadersPolicy"
                ]
            else:
                raise StandUpError(f"{where}: policy {name}: unknown policy kind {kind!r}")
        except ClientError as exc:
            raise StandUpError(
                f"{where}: the local backend refused {kind} policy {name}: {_refusal(exc)}"
            ) from None
        self._policies[key] = made["Id"]
        return made["Id"]

    def _function(self, name: str, runtime: str, code: str, where: str) -> str:
        unique = self._name(re.sub(r"[^A-Za-z0-9_-]", "-", name)[:50])
        try:
            etag = self.cloudfront.create_function(
                Name=unique,
                FunctionConfig={"Comment": f"{name} (hostlab check)", "Runtime": runtime},
                FunctionCode=code.encode("utf-8"),
            )["ETag"]
            published = self.cloudfront.publish_function(Name=unique, IfMatch=etag)
        except ClientError as exc:
            raise StandUpError(
                f"{where}: the local backend refused CloudFront Function {name}: {_refusal(exc)}"
            ) from None
        return published["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]

    def _certificate(self, config: dict[str, Any], deployed: Deployed) -> None:
        """The reader's certificate cannot come along (it lives in their account): for aliases with an ACM or
        IAM certificate, the local backend issues one for the same names (ACM in us-east-1, as CloudFront
        requires: CF-DG cnames-and-https-requirements.html)."""
        viewer = config.get("ViewerCertificate") or {}
        aliases = (config.get("Aliases") or {}).get("Items") or []
        if not aliases or not (viewer.get("ACMCertificateArn") or viewer.get("IAMCertificateId")):
            return
        arn = self._issued_certificate(tuple(aliases))
        new = {
            k: v
            for k, v in viewer.items()
            if k not in ("IAMCertificateId", "Certificate", "CertificateSource")
        }
        new["ACMCertificateArn"] = arn
        new.setdefault("SSLSupportMethod", "sni-only")
        config["ViewerCertificate"] = new
        deployed.notes.append(f"certificate for {', '.join(aliases)}: issued by the local backend's ACM")


def plain(value: Any) -> Any:
    """A deep copy made of plain JSON types: readers may leave str subclasses in a config (the Terraform
    reader's Secret, which names its variable) that copy.deepcopy cannot rebuild and botocore need not see."""
    return json.loads(json.dumps(value))


def _secret_header(origin: dict[str, Any]) -> tuple[str, str] | None:
    for header in (origin.get("CustomHeaders") or {}).get("Items") or []:
        if SECRET_HEADER_NAME.search(header.get("HeaderName", "")) and header.get("HeaderValue"):
            return header["HeaderName"], header["HeaderValue"]
    return None


def _replace_refs(value: Any, refs: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {k: _replace_refs(v, refs) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_refs(v, refs) for v in value]
    if isinstance(value, str) and value.startswith(("hostlab-policy:", "hostlab-function:")):
        if value not in refs:
            raise StandUpError(f"{value}: the input refers to a policy or function it does not define")
        return refs[value]
    return value


def _refusal(exc: ClientError) -> str:
    """'Code: Message' of an error the local backend answered."""
    error = exc.response.get("Error", {})
    return f"{error.get('Code', '')}: {error.get('Message', exc)}"


def _wait(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {WAIT_SECONDS:.0f} s waiting for {what}")
        time.sleep(POLL_SECONDS)
