"""The resources Express manages, made and removed through the public ECS, ELBv2, EC2, ACM, Logs and IAM
APIs of this same local backend.

Going through the APIs (boto3 against the backend's own endpoint, with the caller's access key so the
resources land in the caller's account) instead of moto's internals means the resources are exactly what
those APIs make and validate, and they show up in every listing a reader or the data plane makes. The calls
run in process (hostlab.local.in_process) on the moto request thread serving the Express call; nothing here
holds a lock another API call needs.

Names and tags, each a COMMUNITY observation unless said otherwise (docs/behaviours.md):
- ALB and its security group ``ecs-express-gateway-alb-<8 hex>``, tagged ``AmazonECSManaged=true``
  (public deployment scripts filter security groups by that name pattern and tag; public runbooks show ALB
  DNS names ``ecs-express-gateway-alb-<8 hex>-<n>.<region>.elb.amazonaws.com``);
- target groups ``ecs-gateway-tg-<hex>`` (a public cleanup script keeps names with that prefix);
- the ALB security group opens 80 and 443 to 0.0.0.0/0 and ::/0 (public hardening scripts revoke exactly
  those four rules);
- ASSUMPTION: the service security group ``ecs-express-gateway-svc-<8 hex>`` lets the ALB's group reach the
  container port; the task definition's family is the service name and its container is named ``Main``;
  the log group is ``/aws/ecs/<cluster>/<service>`` unless awsLogsConfiguration names one.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from typing import Any, ClassVar

from botocore.config import Config
from botocore.exceptions import ClientError

from hostlab.local import botocore_data, in_process
from hostlab.local.platforms.express.errors import ClusterNotFoundException, InvalidParameterException
from hostlab.local.platforms.express.rules import role_name

MANAGED_TAG = {"Key": "AmazonECSManaged", "Value": "true"}
CONTAINER_NAME = "Main"
HTTPS_PORT = 443  # HostSharedAlbConfiguration (API reference): "The gateway supports only HTTPS at port 443."
HTTP_PORT = 80


@dataclass
class SharedAlb:
    """One shared ALB and what hangs off it (one per VPC and scheme, for up to N services)."""

    arn: str
    name: str
    dns_name: str
    vpc_id: str
    scheme: str
    subnets: list[str]
    security_group_id: str
    listener_arn: str
    certificate_arn: str
    http_listener_arn: str | None = None
    services: set[str] = field(default_factory=set)


@dataclass
class ServiceResources:
    """What one Express service owns on its shared ALB, and in ECS, EC2 and Logs."""

    alb: SharedAlb
    endpoint: str
    rule_arn: str
    target_groups: list[str]  # [primary, alternate]: weights 100 and 0
    security_group_ids: list[str]
    own_security_group_id: str | None
    log_group: str
    task_definition_arn: str
    ecs_service_arn: str


class Apis:
    """boto3 clients for one caller (access key) in one region, against this backend's own endpoint."""

    _clients: ClassVar[dict[tuple[str, str, str], Any]] = {}
    _lock = threading.Lock()
    # One session for every client, on the process's one botocore loader (hostlab.local.botocore_data): each
    # service model is parsed once per process, for these clients and the data plane's alike (the EC2 model
    # is the largest botocore ships). Clients are made under the lock, as botocore sessions are not safe to
    # share across threads while they make clients; the clients themselves are.
    _session: ClassVar[Any] = None

    def __init__(self, access_key: str, region: str):
        self.access_key = access_key
        self.region = region

    def __getattr__(self, service: str) -> Any:
        if service.startswith("_"):
            raise AttributeError(service)
        key = (service, self.access_key, self.region)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                # The server sets AWS_ENDPOINT_URL to its own API once moto's server runs (server.py).
                if Apis._session is None:
                    Apis._session = botocore_data.new_boto3_session()
                endpoint = os.environ["AWS_ENDPOINT_URL"]
                client = Apis._session.client(
                    service,
                    region_name=self.region,
                    endpoint_url=endpoint,
                    aws_access_key_id=self.access_key,
                    aws_secret_access_key="hostlab-express",
                    config=Config(retries={"max_attempts": 1}),
                )
                # Called on the thread serving the Express request: the nested call runs there too.
                in_process.attach(client, endpoint)
                self._clients[key] = client
        return client


def _code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


# --- checks --------------------------------------------------------------------------------------------


def ensure_cluster(apis: Apis, cluster: str) -> str:
    """The cluster's ARN. Express creates the cluster "default" when it does not exist (ECS Developer Guide
    express-service-work.html: "The ECS default cluster (if it does not already exist) with Fargate capacity
    providers"); any other missing cluster is ClusterNotFoundException (model error list)."""
    name = cluster.split("/")[-1]
    found = apis.ecs.describe_clusters(clusters=[name])["clusters"]
    active = [c for c in found if c.get("status") == "ACTIVE"]
    if active:
        return active[0]["clusterArn"]
    if name != "default":
        raise ClusterNotFoundException()
    created = apis.ecs.create_cluster(clusterName="default", capacityProviders=["FARGATE", "FARGATE_SPOT"])
    return created["cluster"]["clusterArn"]


def check_role(apis: Apis, arn: str, parameter: str) -> None:
    """The role must exist: ECS passes it to other services (iam:PassRole), which fails for a role that does
    not. ASSUMPTION (code and wording): InvalidParameterException naming the parameter."""
    name = role_name(arn, parameter)
    try:
        apis.iam.get_role(RoleName=name)
    except ClientError as error:
        if _code(error) == "NoSuchEntity":
            raise InvalidParameterException(f"{parameter}: the role {arn} does not exist.") from None
        raise


def network(apis: Apis, config: dict[str, Any]) -> tuple[str, list[str], str, list[str]]:
    """(vpc id, subnet ids, ALB scheme, service security groups) for a configuration.

    No subnets: the default VPC's default subnets (express-service-work.html, networking defaults). Public
    subnets give an internet-facing ALB, private ones an internal ALB (same page). INFERRED: a subnet counts
    as public when it maps public IPs on launch (moto's default subnets do; there are no route tables to read
    here the way AWS decides, by a route to an internet gateway).
    """
    wanted = (config.get("networkConfiguration") or {}).get("subnets") or []
    if wanted:
        try:
            subnets = apis.ec2.describe_subnets(SubnetIds=wanted)["Subnets"]
        except ClientError as error:
            raise InvalidParameterException(f"Error retrieving subnet information: {error}") from None
    else:
        subnets = apis.ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])[
            "Subnets"
        ]
        if not subnets:
            raise InvalidParameterException(
                "No default VPC subnets found; specify networkConfiguration.subnets."
            )
    vpcs = {s["VpcId"] for s in subnets}
    if len(vpcs) != 1:
        raise InvalidParameterException("All subnets must be in the same VPC.")
    scheme = "internet-facing" if all(s.get("MapPublicIpOnLaunch") for s in subnets) else "internal"
    groups = (config.get("networkConfiguration") or {}).get("securityGroups") or []
    if groups:
        try:
            apis.ec2.describe_security_groups(GroupIds=groups)
        except ClientError as error:
            raise InvalidParameterException(f"Error retrieving security group information: {error}") from None
    return vpcs.pop(), [s["SubnetId"] for s in subnets], scheme, list(groups)


# --- the shared ALB --------------------------------------------------------------------------------------


def create_shared_alb(
    apis: Apis, suffix: str, vpc_id: str, subnets: list[str], scheme: str, settings: Any
) -> SharedAlb:
    name = f"ecs-express-gateway-alb-{suffix}"
    tags = [MANAGED_TAG]
    group = apis.ec2.create_security_group(
        GroupName=name,
        Description="Managed by Amazon ECS Express Mode",
        VpcId=vpc_id,
        TagSpecifications=[{"ResourceType": "security-group", "Tags": tags}],
    )["GroupId"]
    apis.ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": port,
                "ToPort": port,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
            }
            for port in (HTTP_PORT, HTTPS_PORT)
        ],
    )
    alb = apis.elbv2.create_load_balancer(
        Name=name, Subnets=subnets, SecurityGroups=[group], Scheme=scheme, Type="application", Tags=tags
    )["LoadBalancers"][0]
    # The ECS-managed certificate for the endpoints, *.ecs.<region>.on.aws (COMMUNITY: how public reports
    # show it); one per ALB, since every endpoint on it matches the wildcard.
    certificate = apis.acm.request_certificate(
        DomainName=f"*.ecs.{apis.region}.on.aws", ValidationMethod="DNS", Tags=tags
    )["CertificateArn"]
    listener = apis.elbv2.create_listener(
        LoadBalancerArn=alb["LoadBalancerArn"],
        Protocol="HTTPS",
        Port=HTTPS_PORT,
        SslPolicy=settings.express_ssl_policy,
        Certificates=[{"CertificateArn": certificate}],
        # COMMUNITY: a Host that no rule names gets 404, text/plain, "Not Found" (the body is a setting).
        DefaultActions=[
            {
                "Type": "fixed-response",
                "FixedResponseConfig": {
                    "StatusCode": "404",
                    "ContentType": "text/plain",
                    "MessageBody": settings.express_not_found_body,
                },
            }
        ],
        Tags=tags,
    )["Listeners"][0]
    http_listener = None
    if settings.express_http_listener == "redirect":
        http_listener = apis.elbv2.create_listener(
            LoadBalancerArn=alb["LoadBalancerArn"],
            Protocol="HTTP",
            Port=HTTP_PORT,
            DefaultActions=[
                {
                    "Type": "redirect",
                    "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"},
                }
            ],
            Tags=tags,
        )["Listeners"][0]["ListenerArn"]
    return SharedAlb(
        arn=alb["LoadBalancerArn"],
        name=name,
        dns_name=alb["DNSName"],
        vpc_id=vpc_id,
        scheme=scheme,
        subnets=list(subnets),
        security_group_id=group,
        listener_arn=listener["ListenerArn"],
        certificate_arn=certificate,
        http_listener_arn=http_listener,
    )


def delete_shared_alb(apis: Apis, alb: SharedAlb) -> None:
    """The last service is gone: the ALB, its listeners, security group and certificate go too
    (API reference DeleteExpressGatewayService: "removes the Application Load Balancer, target groups,
    security groups")."""
    for listener in (alb.listener_arn, alb.http_listener_arn):
        if listener:
            _ignore_missing(apis.elbv2.delete_listener, ListenerArn=listener)
    apis.elbv2.delete_load_balancer(LoadBalancerArn=alb.arn)
    _ignore_missing(apis.ec2.delete_security_group, GroupId=alb.security_group_id)
    _ignore_missing(apis.acm.delete_certificate, CertificateArn=alb.certificate_arn)


def _ignore_missing(call: Any, **kwargs: Any) -> None:
    """Delete something the reader may have deleted already."""
    try:
        call(**kwargs)
    except ClientError as error:
        if "NotFound" not in _code(error) and _code(error) not in ("ResourceNotFoundException",):
            raise


# --- one service -------------------------------------------------------------------------------------------


def _next_priority(apis: Apis, listener_arn: str) -> int:
    # COMMUNITY: Express numbers its host rules 1, 2, 3... in creation order (a public rule-sync script maps
    # Express priorities 1, 3, 4 of three services, the gap left by a deleted one): the next is max + 1.
    rules = apis.elbv2.describe_rules(ListenerArn=listener_arn)["Rules"]
    used = [int(r["Priority"]) for r in rules if r["Priority"] != "default"]
    return max(used, default=0) + 1


def add_service(
    apis: Apis,
    alb: SharedAlb,
    *,
    suffix: str,
    tg_suffixes: tuple[str, str],
    cluster_arn: str,
    service_name: str,
    endpoint: str,
    config: dict[str, Any],
    groups: list[str],
    tags: list[dict[str, str]],
) -> ServiceResources:
    container = config.get("primaryContainer") or {}
    port = container.get("containerPort", 80)
    target_groups = [
        apis.elbv2.create_target_group(
            Name=f"ecs-gateway-tg-{tg_suffix}",
            Protocol="HTTP",
            Port=port,
            VpcId=alb.vpc_id,
            TargetType="ip",  # awsvpc tasks register by IP (ECS Developer Guide alb.html)
            HealthCheckPath=config["healthCheckPath"],
            Tags=[MANAGED_TAG],
        )["TargetGroups"][0]["TargetGroupArn"]
        for tg_suffix in tg_suffixes
    ]
    # One host-header rule per service, forwarding to its two target groups weighted 100/0 (the alternate
    # takes traffic during a canary deployment): ECS API reference GatewayConnectionAlbResources
    # (listenerRuleArn, targetGroupArn, alternateTargetGroupArn) and the Developer Guide's canary defaults.
    rule = apis.elbv2.create_rule(
        ListenerArn=alb.listener_arn,
        Priority=_next_priority(apis, alb.listener_arn),
        Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": [endpoint]}}],
        Actions=[
            {
                "Type": "forward",
                "ForwardConfig": {
                    "TargetGroups": [
                        {"TargetGroupArn": target_groups[0], "Weight": 100},
                        {"TargetGroupArn": target_groups[1], "Weight": 0},
                    ]
                },
            }
        ],
        Tags=[MANAGED_TAG],
    )["Rules"][0]["RuleArn"]
    own_group = None
    if not groups:
        own_group = apis.ec2.create_security_group(
            GroupName=f"ecs-express-gateway-svc-{suffix}",
            Description="Managed by Amazon ECS Express Mode",
            VpcId=alb.vpc_id,
            TagSpecifications=[{"ResourceType": "security-group", "Tags": [MANAGED_TAG]}],
        )["GroupId"]
        apis.ec2.authorize_security_group_ingress(
            GroupId=own_group,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": port,
                    "ToPort": port,
                    "UserIdGroupPairs": [{"GroupId": alb.security_group_id}],
                }
            ],
        )
        groups = [own_group]
    log_group, task_definition = register_task_definition(apis, cluster_arn, service_name, config)
    service_args: dict[str, Any] = {
        "cluster": cluster_arn,
        "serviceName": service_name,
        "taskDefinition": task_definition,
        "desiredCount": config["scalingTarget"]["minTaskCount"],
        "launchType": "FARGATE",
        "loadBalancers": [
            {"targetGroupArn": target_groups[0], "containerName": CONTAINER_NAME, "containerPort": port}
        ],
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": alb.subnets,
                "securityGroups": groups,
                "assignPublicIp": "ENABLED" if alb.scheme == "internet-facing" else "DISABLED",
            }
        },
    }
    if tags:
        service_args["tags"] = tags
    ecs_service = apis.ecs.create_service(**service_args)
    alb.services.add(ecs_service["service"]["serviceArn"])
    return ServiceResources(
        alb=alb,
        endpoint=endpoint,
        rule_arn=rule,
        target_groups=target_groups,
        security_group_ids=groups,
        own_security_group_id=own_group,
        log_group=log_group,
        task_definition_arn=task_definition,
        ecs_service_arn=ecs_service["service"]["serviceArn"],
    )


def register_task_definition(
    apis: Apis, cluster_arn: str, service_name: str, config: dict[str, Any]
) -> tuple[str, str]:
    """(log group, task definition ARN) for a configuration: a Fargate task definition whose one container
    logs to the service's log group (express-service-work.html: "A task definition with container, logging,
    and networking configurations"; "Log group specific to the service")."""
    if config.get("taskDefinitionArn") and not config.get("primaryContainer"):
        return "", config["taskDefinitionArn"]
    container = config["primaryContainer"]
    cluster_name = cluster_arn.split("/")[-1]
    logs = container.get("awsLogsConfiguration") or {
        "logGroup": f"/aws/ecs/{cluster_name}/{service_name}",
        "logStreamPrefix": "ecs",
    }
    try:
        apis.logs.create_log_group(logGroupName=logs["logGroup"])
    except ClientError as error:
        if _code(error) != "ResourceAlreadyExistsException":
            raise
    definition: dict[str, Any] = {
        "name": CONTAINER_NAME,
        "image": container["image"],
        "essential": True,
        "portMappings": [{"containerPort": container["containerPort"], "protocol": "tcp"}],
        "environment": container.get("environment") or [],
        "secrets": container.get("secrets") or [],
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": logs["logGroup"],
                "awslogs-region": apis.region,
                "awslogs-stream-prefix": logs["logStreamPrefix"],
            },
        },
    }
    if container.get("command"):
        definition["command"] = container["command"]
    if container.get("repositoryCredentials"):
        definition["repositoryCredentials"] = container["repositoryCredentials"]
    extra: dict[str, Any] = {"executionRoleArn": config["executionRoleArn"]}
    if config.get("taskRoleArn"):
        extra["taskRoleArn"] = config["taskRoleArn"]
    registered = apis.ecs.register_task_definition(
        family=service_name,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu=config["cpu"],
        memory=config["memory"],
        runtimePlatform={"cpuArchitecture": config["cpuArchitecture"], "operatingSystemFamily": "LINUX"},
        containerDefinitions=[definition],
        **extra,
    )
    return logs["logGroup"], registered["taskDefinition"]["taskDefinitionArn"]


def update_service(
    apis: Apis, resources: ServiceResources, cluster_arn: str, service_name: str, config: dict[str, Any]
) -> None:
    """A new revision: a new task definition, the ECS service pointed at it, the health check path."""
    log_group, task_definition = register_task_definition(apis, cluster_arn, service_name, config)
    resources.log_group = log_group or resources.log_group
    resources.task_definition_arn = task_definition
    apis.ecs.update_service(
        cluster=cluster_arn,
        service=service_name,
        taskDefinition=task_definition,
        desiredCount=config["scalingTarget"]["minTaskCount"],
    )
    for target_group in resources.target_groups:
        apis.elbv2.modify_target_group(TargetGroupArn=target_group, HealthCheckPath=config["healthCheckPath"])


def remove_service(apis: Apis, resources: ServiceResources, cluster_arn: str, keep_log_group: bool) -> bool:
    """Remove what the service owned; True when its ALB has no service left (the caller then deletes it).

    Left behind, as on AWS: the task definition (deleting a service does not deregister its task
    definitions: ECS Developer Guide deregister-task-definition-v2.html describes that as a separate step),
    the cluster, and by default the log group (Settings.express_delete_keeps_log_group)."""
    _ignore_missing(apis.elbv2.delete_rule, RuleArn=resources.rule_arn)
    for target_group in resources.target_groups:
        _ignore_missing(apis.elbv2.delete_target_group, TargetGroupArn=target_group)
    try:
        apis.ecs.delete_service(cluster=cluster_arn, service=resources.ecs_service_arn, force=True)
    except ClientError as error:
        if _code(error) != "ServiceNotFoundException":
            raise
    if resources.own_security_group_id:
        _ignore_missing(apis.ec2.delete_security_group, GroupId=resources.own_security_group_id)
    if not keep_log_group and resources.log_group:
        _ignore_missing(apis.logs.delete_log_group, logGroupName=resources.log_group)
    resources.alb.services.discard(resources.ecs_service_arn)
    return not resources.alb.services


def register_target(apis: Apis, resources: ServiceResources, address: str, port: int) -> None:
    """The running task's address as the primary target group's target (ECS registers awsvpc tasks by IP:
    ECS Developer Guide alb.html)."""
    apis.elbv2.register_targets(
        TargetGroupArn=resources.target_groups[0], Targets=[{"Id": address, "Port": port}]
    )


def deregister_target(apis: Apis, resources: ServiceResources, address: str, port: int) -> None:
    try:
        apis.elbv2.deregister_targets(
            TargetGroupArn=resources.target_groups[0], Targets=[{"Id": address, "Port": port}]
        )
    except ClientError as error:
        if "NotFound" not in _code(error):
            raise
