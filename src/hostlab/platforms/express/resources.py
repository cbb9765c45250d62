"""The Express track's tutorial helpers (notebooks 11 -> 15): find, wait for and clean up the tutorial's ECS
Express Mode service, its roles, and what Express created for it.

The notebooks of the Express track import this module as ``tr``, like the App Runner track imports
hostlab.platforms.apprunner.resources: besides Express's own helpers it answers every name of
hostlab.tutorial.resources (CloudFront, ACM, tags, waits), so one namespace serves a notebook. Names that
differ between the tracks (the origin's Id, the distribution's comment, the function's name) are defined
here, so that a reader can run both tracks in one account without one track finding or deleting the other's
resources.

What the Express track creates, and how it is found again:
    IAM roles               CreateRole Tags (project, track), names EXECUTION_ROLE and INFRASTRUCTURE_ROLE
    Express service         CreateExpressGatewayService tags (project, track), name SERVICE_NAME in the
                            default cluster
    CloudFront distribution CreateDistributionWithTags (project, track), comment DISTRIBUTION_COMMENT
    CloudFront Function     CreateFunction Tags (project, track), name FUNCTION_NAME
What Express creates for the service (ECS developer guide, express-service-work.html): the default cluster
when missing, a task definition, the ECS service, the shared ALB with its HTTPS listener, a listener rule and
target groups, security groups, an ACM certificate, a log group. DescribeServiceRevisions names them
(``ecsManagedResources``); :func:`managed_resources` reads them there.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from hostlab.platforms.express.service import endpoint as endpoint  # the notebooks read tr.endpoint(service)
from hostlab.platforms.express.service import primary_container
from hostlab.platforms.express.waiters import express_waiter
from hostlab.tutorial import resources as shared
from hostlab.tutorial.resources import (
    ALL_VIEWER,
    CACHING_OPTIMIZED,
    NOTEBOOK_02_ERROR_RESPONSES,
    NOTEBOOK_02_READ_TIMEOUT,
    PROJECT_TAG_KEY,
    PROJECT_TAG_VALUE,
    NotCreatedYet,
    Patience,
    _patience,
    delete_distribution,
    delete_function,
    invalidate,
    listed,
)

SERVICE_NAME = "hostlab-express-demo"
CLUSTER = "default"  # Express's default cluster (ECS developer guide, express-service-work.html)
EXECUTION_ROLE = "hostlab-express-task-execution"
INFRASTRUCTURE_ROLE = "hostlab-express-infrastructure"
ORIGIN_ID = "express"
DISTRIBUTION_COMMENT = "hostlab tutorial: CloudFront in front of ECS Express Mode"
FUNCTION_NAME = "hostlab-express-forwarded-host"
TRACK_TAG_KEY = "track"
TRACK_TAG_VALUE = "express"
# The demo app's environment in notebook 11 (/account sent without Cache-Control, as on App Runner).
SERVICE_ENV = {"ACCOUNT_CACHE_CONTROL": "none"}
# Fargate's smallest task size (ECS developer guide, fargate-tasks-services.html: 0.25 vCPU with 0.5 GB);
# written out because Express's own default is 1 vCPU and 2 GB (developer guide express-service-work.html).
CPU, MEMORY = "256", "512"
# The AWS-managed prefix list of CloudFront's origin-facing addresses (CloudFront Developer Guide,
# LocationsOfEdgeServers.html; VPC user guide, working-with-aws-managed-prefix-lists.html).
CLOUDFRONT_PREFIX_LIST = "com.amazonaws.global.cloudfront.origin-facing"
# The managed policies of the two roles (ECS developer guide infrastructure_IAM_role.html and
# task_execution_IAM_role.html; AWS managed policy reference).
INFRASTRUCTURE_POLICY = (
    "arn:aws:iam::aws:policy/service-role/AmazonECSInfrastructureRoleforExpressGatewayServices"
)
EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
_TRUST_ECS_TASKS = "ecs-tasks.amazonaws.com"  # the task execution role's principal (task_execution_IAM_role)
_TRUST_ECS = "ecs.amazonaws.com"  # the infrastructure role's principal (infrastructure_IAM_role)


# The shared helpers, so that ``tr.listed``, ``tr.change_distribution``... read the same in every track.
__getattr__, __dir__ = shared.lend_helpers(__name__, globals())


# ---------------------------------------------------------------------------------------------------------
# Tags: the project's tag, plus the track's, in each API's spelling
# ---------------------------------------------------------------------------------------------------------


def ecs_tags() -> list[dict[str, str]]:
    """ECS takes tags as [{key, value}] (lower case)."""
    return [
        {"key": PROJECT_TAG_KEY, "value": PROJECT_TAG_VALUE},
        {"key": TRACK_TAG_KEY, "value": TRACK_TAG_VALUE},
    ]


def aws_tags() -> list[dict[str, str]]:
    """IAM and ACM take tags as [{Key, Value}]."""
    return [{"Key": t["key"], "Value": t["value"]} for t in ecs_tags()]


def cloudfront_tags() -> dict:
    """CloudFront takes tags as {Items: [{Key, Value}]}."""
    return {"Items": aws_tags()}


def _express_tagged(tags: Iterable[dict[str, str]]) -> bool:
    pairs = {(t.get("Key", t.get("key")), t.get("Value", t.get("value"))) for t in tags}
    return (PROJECT_TAG_KEY, PROJECT_TAG_VALUE) in pairs and (TRACK_TAG_KEY, TRACK_TAG_VALUE) in pairs


def _code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


# ---------------------------------------------------------------------------------------------------------
# The two IAM roles Express needs: the task execution role and the infrastructure role
# ---------------------------------------------------------------------------------------------------------


def _trust(principal: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": principal}, "Action": "sts:AssumeRole"}
            ],
        }
    )


def ensure_role(iam, name: str, principal: str, policy_arn: str) -> str:
    """The role ``name`` trusting ``principal`` with ``policy_arn`` attached, created (tagged) when missing;
    returns its ARN. Attaching a policy that is attached already changes nothing (IAM AttachRolePolicy)."""
    try:
        arn = iam.get_role(RoleName=name)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        arn = iam.create_role(
            RoleName=name,
            AssumeRolePolicyDocument=_trust(principal),
            Description="hostlab tutorial, ECS Express Mode track",
            Tags=aws_tags(),
        )["Role"]["Arn"]
    iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)
    return arn


def ensure_roles(iam) -> tuple[str, str]:
    """(task execution role ARN, infrastructure role ARN), created when missing.

    CreateExpressGatewayService needs both: the execution role lets the task pull its image and write its
    logs, the infrastructure role lets ECS create the load balancer, security groups, certificate and
    scaling (ECS developer guide, express-service-overview.html and infrastructure_IAM_role.html). IAM is
    eventually consistent: a role created a moment ago may not be usable yet (IAM user guide,
    troubleshoot_general.html, "Changes that I make are not always immediately visible"), so a new role is
    waited for (botocore's role_exists waiter) and, on AWS, given a few more seconds.
    """
    created = []
    arns = []
    for name, principal, policy in (
        (EXECUTION_ROLE, _TRUST_ECS_TASKS, EXECUTION_POLICY),
        (INFRASTRUCTURE_ROLE, _TRUST_ECS, INFRASTRUCTURE_POLICY),
    ):
        existed = _role_exists(iam, name)
        arns.append(ensure_role(iam, name, principal, policy))
        if not existed:
            created.append(name)
    for name in created:
        iam.get_waiter("role_exists").wait(RoleName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    if created and shared.on_aws():
        time.sleep(_patience(iam, Patience(10.0, 1)).delay)
    return arns[0], arns[1]


def _role_exists(iam, name: str) -> bool:
    try:
        iam.get_role(RoleName=name)
        return True
    except iam.exceptions.NoSuchEntityException:
        return False


def delete_role(iam, name: str) -> bool:
    """Detach the role's managed policies, delete it; False when there was none."""
    try:
        attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
    except iam.exceptions.NoSuchEntityException:
        return False
    for policy in attached:
        iam.detach_role_policy(RoleName=name, PolicyArn=policy["PolicyArn"])
    iam.delete_role(RoleName=name)
    print(f"deleted IAM role {name}")
    return True


# ---------------------------------------------------------------------------------------------------------
# The service: configuration, finding it, waiting for it
# ---------------------------------------------------------------------------------------------------------


def service_settings(execution_role: str, origin_secret: str | None = None) -> dict[str, Any]:
    """The arguments CreateExpressGatewayService and UpdateExpressGatewayService share: the demo app as the
    primary container (hostlab.platforms.express.primary_container: the same image, command and
    environment as on App Runner), its health check path, the smallest Fargate size."""
    from hostlab.platforms.express.service import DEMO_HEALTH_CHECK_PATH

    return {
        "executionRoleArn": execution_role,
        "primaryContainer": primary_container(env=SERVICE_ENV, origin_secret=origin_secret),
        "healthCheckPath": DEMO_HEALTH_CHECK_PATH,
        "cpu": CPU,
        "memory": MEMORY,
    }


def service_arn(ecs) -> str:
    """arn:aws:ecs:<region>:<account>:service/<cluster>/<name> (ECS API reference, ExpressGatewayService)."""
    import boto3

    account = boto3.client("sts", region_name=ecs.meta.region_name).get_caller_identity()["Account"]
    return f"arn:aws:ecs:{ecs.meta.region_name}:{account}:service/{CLUSTER}/{SERVICE_NAME}"


_NOT_FOUND = ("ResourceNotFoundException", "ServiceNotFoundException", "ClusterNotFoundException")


def describe_or_none(ecs, arn: str | None = None) -> dict | None:
    """DescribeExpressGatewayService's ``service`` (with its tags), or None when there is none."""
    arn = arn or service_arn(ecs)
    try:
        return ecs.describe_express_gateway_service(serviceArn=arn, include=["TAGS"])["service"]
    except ClientError as exc:
        if _code(exc) in _NOT_FOUND:
            return None
        raise


def service_or_none(ecs) -> dict | None:
    """The tutorial's ACTIVE Express service, or None before notebook 11 created it (or after 15 deleted it).

    A service name is unique in a cluster while the service is ACTIVE or DRAINING (ECS API reference,
    DeleteService), so notebook 11 looks first and updates the service it finds. A service still DRAINING
    from an earlier cleanup is waited for until INACTIVE, after which the name is free again.
    """
    service = describe_or_none(ecs)
    if service is None:
        return None
    status = service["status"]["statusCode"]
    if status == "DRAINING":
        express_waiter(ecs, "ServiceInactive").wait(serviceArn=service["serviceArn"])
        return None
    if status != "ACTIVE" or not _express_tagged(service.get("tags", [])):
        return None
    return service


def find_service(ecs) -> dict:
    """The tutorial's ACTIVE Express service, or NotCreatedYet."""
    if (service := service_or_none(ecs)) is not None:
        return service
    raise NotCreatedYet(
        f"no ACTIVE Express service {SERVICE_NAME!r} tagged {PROJECT_TAG_KEY}={PROJECT_TAG_VALUE}: "
        "run notebooks/11-express-create-service.ipynb first"
    )


def wait_service_ready(ecs, revision_arn: str) -> str:
    """Wait until the revision's load balancer, listener, rule, certificate and target group are ACTIVE
    (hostlab.platforms.express's ManagedResourcesActive waiter, built on botocore's since botocore has
    none for Express); prints one line and returns the final state."""
    from hostlab import waiters

    waiter = express_waiter(ecs, "ManagedResourcesActive")
    waiters.wait(waiter, "Express managed resources", serviceRevisionArns=[revision_arn])
    return "ACTIVE"


def wait_service_inactive(ecs, arn: str) -> str:
    from hostlab import waiters

    return waiters.wait(express_waiter(ecs, "ServiceInactive"), "Express service", serviceArn=arn)


def current_revision(service: dict) -> str:
    from hostlab.platforms.express.service import revision_arn

    return revision_arn(service)


def update_in_place(ecs, service: dict, settings: dict[str, Any]) -> str:
    """UpdateExpressGatewayService with ``settings``; returns the new revision's ARN (its targetConfiguration,
    ECS API reference UpdatedExpressGatewayService)."""
    updated = ecs.update_express_gateway_service(serviceArn=service["serviceArn"], **settings)["service"]
    return updated["targetConfiguration"]["serviceRevisionArn"]


# ---------------------------------------------------------------------------------------------------------
# What Express made for the service, read through DescribeServiceRevisions and the owning APIs
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Managed:
    """The ARNs (names for log groups) of what Express manages for the service, from its revisions."""

    load_balancers: set[str] = field(default_factory=set)
    listeners: set[str] = field(default_factory=set)
    rules: set[str] = field(default_factory=set)
    target_groups: set[str] = field(default_factory=set)
    security_groups: set[str] = field(default_factory=set)
    certificates: set[str] = field(default_factory=set)
    log_groups: set[str] = field(default_factory=set)
    task_definitions: set[str] = field(default_factory=set)


def _arn(item: Any) -> str | None:
    return item.get("arn") if isinstance(item, dict) else None


def managed_resources(ecs, service: dict) -> Managed:
    """Everything DescribeServiceRevisions' ``ecsManagedResources`` names for the service's revisions (ECS API
    reference, ECSManagedResources, ManagedIngressPath), plus the revisions' task definitions."""
    revisions = {c["serviceRevisionArn"] for c in service.get("activeConfigurations", [])}
    found = Managed()
    if not revisions:
        return found
    answer = ecs.describe_service_revisions(serviceRevisionArns=sorted(revisions))
    for revision in answer.get("serviceRevisions", []):
        if revision.get("taskDefinition"):
            found.task_definitions.add(revision["taskDefinition"])
        managed = revision.get("ecsManagedResources", {})
        for path in managed.get("ingressPaths", []):
            for key, into in (
                ("loadBalancer", found.load_balancers),
                ("listener", found.listeners),
                ("rule", found.rules),
                ("certificate", found.certificates),
            ):
                if arn := _arn(path.get(key)):
                    into.add(arn)
            found.target_groups |= {a for g in path.get("targetGroups", []) if (a := _arn(g))}
            found.security_groups |= {a for g in path.get("loadBalancerSecurityGroups", []) if (a := _arn(g))}
        found.security_groups |= {a for g in managed.get("serviceSecurityGroups", []) if (a := _arn(g))}
        found.log_groups |= {a for g in managed.get("logGroups", []) if (a := _arn(g))}
    return found


def _security_group_id(arn_or_id: str) -> str:
    return arn_or_id.rsplit("/", 1)[-1]


def _log_group_name(arn_or_name: str) -> str:
    # arn:aws:logs:<region>:<account>:log-group:<name>[:*]
    if arn_or_name.startswith("arn:"):
        name = arn_or_name.split(":log-group:", 1)[1]
        return name[:-2] if name.endswith(":*") else name
    return arn_or_name


def alb_of(elbv2, service: dict) -> dict:
    """The shared ALB that serves the service's endpoint: the load balancer named in its revision."""
    import boto3

    ecs = boto3.client("ecs", region_name=elbv2.meta.region_name)
    (arn,) = sorted(managed_resources(ecs, service).load_balancers)[:1] or [None]
    if arn is None:
        raise NotCreatedYet(f"the Express service {SERVICE_NAME!r} names no load balancer yet")
    return elbv2.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]


# ---------------------------------------------------------------------------------------------------------
# The distribution of notebook 12, and where notebook 13 starts from
# ---------------------------------------------------------------------------------------------------------


def app_origin(config: dict) -> dict:
    return next(o for o in config["Origins"]["Items"] if o["Id"] == ORIGIN_ID)


def default_behavior(config: dict) -> dict:
    return config["DefaultCacheBehavior"]


def express_distributions(cloudfront) -> list[dict]:
    """Every distribution carrying the project's and the Express track's tags."""
    found = []
    for page in cloudfront.get_paginator("list_distributions").paginate():
        for summary in page.get("DistributionList", {}).get("Items", []) or []:
            tags = cloudfront.list_tags_for_resource(Resource=summary["ARN"])["Tags"].get("Items", [])
            if _express_tagged(tags):
                found.append(summary)
    return found


def distribution_or_none(cloudfront) -> dict | None:
    """The Express track's distribution (GetDistribution's Distribution), or None before notebook 12.

    Several (an interrupted run): notebook 12's comment first, then the lowest Id, the same every time."""
    found = sorted(
        express_distributions(cloudfront), key=lambda d: (d.get("Comment") != DISTRIBUTION_COMMENT, d["Id"])
    )
    return cloudfront.get_distribution(Id=found[0]["Id"])["Distribution"] if found else None


def find_distribution(cloudfront) -> dict:
    if (distribution := distribution_or_none(cloudfront)) is not None:
        return distribution
    raise NotCreatedYet(
        f"no CloudFront distribution tagged {PROJECT_TAG_KEY}={PROJECT_TAG_VALUE}, "
        f"{TRACK_TAG_KEY}={TRACK_TAG_VALUE}: run notebooks/12-express-attach-cloudfront.ipynb first"
    )


def _as_notebook_12_left_it(config: dict) -> None:
    """Put back, in a DistributionConfig, every setting notebooks 13 and 14 change."""
    origin = app_origin(config)
    origin["CustomHeaders"] = listed([])
    custom = origin["CustomOriginConfig"]
    custom["OriginSslProtocols"] = listed(["TLSv1.2"])
    custom["OriginReadTimeout"] = NOTEBOOK_02_READ_TIMEOUT
    default_behavior(config).update(
        CachePolicyId=CACHING_OPTIMIZED, OriginRequestPolicyId=ALL_VIEWER, Compress=True,
        FunctionAssociations=listed([]),
    )
    config["CacheBehaviors"] = listed([])
    config["CustomErrorResponses"] = listed(copy.deepcopy(NOTEBOOK_02_ERROR_RESPONSES))


def _notebook_12_view(config: dict) -> tuple:
    # The Express track has no alias: its origin, the behaviours and error caching are what notebook 12 sets.
    return shared.origin_and_behaviour_view(config, app_origin(config))


def start_from_notebook_12(ecs, cloudfront, ec2, elbv2, service: dict, distribution_id: str) -> dict:
    """Bring the service back to notebook 11's configuration, the ALB's security group back to what Express
    made, and the distribution to notebook 12's, when a run of notebook 13 or 14 changed them; nothing when
    they are as 11 and 12 left them. Prints nothing, so that notebook 13 reads the same on every run.
    Returns the service (DescribeExpressGatewayService)."""
    from hostlab import waiters

    container = service["activeConfigurations"][0]["primaryContainer"]
    variables = {e["name"] for e in container.get("environment", [])}
    if "ORIGIN_SECRET" in variables:  # notebook 14's origin secret: the app would answer 403 to the probes
        execution_role = service["activeConfigurations"][0]["executionRoleArn"]
        revision = update_in_place(ecs, service, service_settings(execution_role))
        express_waiter(ecs, "ManagedResourcesActive").wait(serviceRevisionArns=[revision])
        service = find_service(ecs)
    open_to_everyone(ec2, alb_security_group(elbv2, service))
    current = cloudfront.get_distribution_config(Id=distribution_id)
    config = copy.deepcopy(current["DistributionConfig"])
    _as_notebook_12_left_it(config)
    if _notebook_12_view(config) != _notebook_12_view(current["DistributionConfig"]):
        cloudfront.update_distribution(Id=distribution_id, IfMatch=current["ETag"], DistributionConfig=config)
        waiters.distribution_deployed_waiter(cloudfront).wait(Id=distribution_id)
        invalidate(cloudfront, distribution_id)
    return service


# ---------------------------------------------------------------------------------------------------------
# The ALB's security group: open to everyone (as Express makes it), or to CloudFront's prefix list only
# ---------------------------------------------------------------------------------------------------------

# What Express opens on the ALB's security group: 80 and 443 from anywhere, IPv4 and IPv6 (community
# observation recorded in docs/behaviours.md, "ECS Express Mode API"; the developer guide says only "security
# groups with minimal required ingress").
EVERYONE = ("0.0.0.0/0", "::/0")
PORTS = (80, 443)


def alb_security_group(elbv2, service: dict) -> str:
    """The (first) security group of the ALB serving the service."""
    return alb_of(elbv2, service)["SecurityGroups"][0]


def cloudfront_prefix_list(ec2) -> str:
    """The ID of the AWS-managed prefix list of CloudFront's origin-facing addresses
    (DescribeManagedPrefixLists, filter prefix-list-name; the ID differs per region)."""
    lists = ec2.describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [CLOUDFRONT_PREFIX_LIST]}]
    )["PrefixLists"]
    if not lists:
        raise LookupError(f"no managed prefix list {CLOUDFRONT_PREFIX_LIST} in {ec2.meta.region_name}")
    return lists[0]["PrefixListId"]


def _ingress(ec2, group_id: str) -> list[dict]:
    return ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0].get("IpPermissions", [])


def ingress_lines(ec2, group_id: str) -> list[str]:
    """One line per inbound rule: port, and where from (CIDR or prefix list name)."""
    names: dict[str, str] = {}
    lines = []
    for permission in sorted(_ingress(ec2, group_id), key=lambda p: (p.get("FromPort", -1), p["IpProtocol"])):
        port = permission.get("FromPort", "all")
        sources = [r["CidrIp"] for r in permission.get("IpRanges", [])]
        sources += [r["CidrIpv6"] for r in permission.get("Ipv6Ranges", [])]
        for entry in permission.get("PrefixListIds", []):
            pl = entry["PrefixListId"]
            if pl not in names:
                found = ec2.describe_managed_prefix_lists(PrefixListIds=[pl])["PrefixLists"]
                names[pl] = found[0]["PrefixListName"] if found else pl
            sources.append(f"prefix list {names[pl]}")
        lines.append(f"{permission['IpProtocol']}/{port} from " + ", ".join(sources))
    return lines


def _has(ec2, group_id: str, port: int, *, cidr: str | None = None, prefix_list: str | None = None) -> bool:
    for permission in _ingress(ec2, group_id):
        if permission.get("FromPort") != port or permission["IpProtocol"] != "tcp":
            continue
        if cidr and any(r.get("CidrIp") == cidr or r.get("CidrIpv6") == cidr
                        for r in permission.get("IpRanges", []) + permission.get("Ipv6Ranges", [])):
            return True
        if prefix_list and any(r["PrefixListId"] == prefix_list for r in permission.get("PrefixListIds", [])):
            return True
    return False


def _cidr_permission(port: int, cidr: str) -> dict:
    ranges = {"Ipv6Ranges": [{"CidrIpv6": cidr}]} if ":" in cidr else {"IpRanges": [{"CidrIp": cidr}]}
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, **ranges}


def open_to_everyone(ec2, group_id: str) -> None:
    """Back to what Express made: 80 and 443 from 0.0.0.0/0 and ::/0, no prefix-list rule (check first, so
    that nothing is authorized twice: InvalidPermission.Duplicate)."""
    prefix_list = cloudfront_prefix_list(ec2)
    for port in PORTS:
        for cidr in EVERYONE:
            if not _has(ec2, group_id, port, cidr=cidr):
                permission = _cidr_permission(port, cidr)
                ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[permission])
    if _has(ec2, group_id, 443, prefix_list=prefix_list):
        permission = _prefix_permission(443, prefix_list)
        ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=[permission])


def _prefix_permission(port: int, prefix_list: str) -> dict:
    entries = [{"PrefixListId": prefix_list}]
    return {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "PrefixListIds": entries}


# ---------------------------------------------------------------------------------------------------------
# What a full run costs, and notebook 14's summary
# ---------------------------------------------------------------------------------------------------------

# ASSUMPTION: a full run of 11 -> 15 on AWS keeps the service about an hour and a half, as the App Runner
# track (creation, 5-7 distribution deployments of a few minutes each, two service updates, cleanup).
RUN_HOURS = 1.5
# An internet-facing ALB has a node, and a public IPv4 address, in each of at least two Availability Zones
# (ELB user guide, application-load-balancers.html: "at least two Availability Zones"); the task has one
# more when it runs in a public subnet with a public IP.
ALB_ADDRESSES = 2
TASK_ADDRESSES = 1


def run_cost_line() -> str:
    """The estimated AWS cost of a full run, from src/hostlab/data/prices.json: the ALB's hours and one LCU,
    one Fargate task of the smallest size, and the public IPv4 addresses (Express Mode itself has no charge:
    ECS developer guide, express-service-overview.html)."""
    from hostlab.analysis.prices import load_prices

    p = load_prices()
    hourly = (
        p["alb.hour"]
        + p["alb.lcu_hour"]
        + int(CPU) / 1024 * p["fargate.x86_vcpu_hour"]
        + int(MEMORY) / 1024 * p["fargate.x86_memory_gb_hour"]
        + (ALB_ADDRESSES + TASK_ADDRESSES) * p["vpc.public_ipv4_hour"]
    )
    return (
        f"A full run on AWS (about {RUN_HOURS:g} h of one ALB, one {int(CPU) / 1024:g} vCPU / "
        f"{int(MEMORY) / 1024:g} GB Fargate task and {ALB_ADDRESSES + TASK_ADDRESSES} public IPv4 addresses) "
        f"costs at most USD {hourly * RUN_HOURS:.2f}, less when the ALB is shared with services already "
        "running; CloudFront requests and the function stay within their free allowances. The local backend "
        "costs nothing."
    )


def answer_or_silence(url: str, timeout: float = 3.0, **kwargs: Any) -> str:
    """A probe's summary, or what a client sees when nothing answers (a security group drops the packets:
    no refusal, no reset; the client gives up after ``timeout``)."""
    import requests

    from hostlab import probes

    try:
        return probes.get(url, timeout=timeout, **kwargs).summary()
    except requests.exceptions.RequestException:
        return f"no answer within {timeout:g} s"


def summary_rows(service_url: str, distribution_url: str, distribution_domain: str):
    """Every probe of notebooks 13 and 14 once more: (check, result) pairs derived from live answers."""
    from hostlab import probes

    echo = probes.get(f"{distribution_url}/echo")
    yield "through CloudFront /echo (was 404, 502)", str(echo.status)
    public = echo.echo().get("public_url", "-")
    yield "the app's public URL", public.replace(distribution_domain, "<distribution>")
    login = probes.get(f"{distribution_url}/login?user=alice")
    yield "login redirect", login.header("location").replace(distribution_domain, "<distribution>")
    pages = [probes.get(f"{distribution_url}/account", cookies={"user": u}).h1 for u in ("alice", "bob")]
    yield "/account for alice, then bob", " / ".join(pages)
    static = [probes.get(f"{distribution_url}/static/app.css").header("x-cache") for _ in range(2)]
    yield "/static/app.css twice", " -> ".join(static)
    yield "straight to the on.aws endpoint", answer_or_silence(f"{service_url}/echo")


# ---------------------------------------------------------------------------------------------------------
# Cleanup: what the track created, what Express created, and what Express leaves behind
# ---------------------------------------------------------------------------------------------------------


def function_etag_or_none(cloudfront) -> str | None:
    """The ETag of the track's function in the DEVELOPMENT stage, or None before notebook 14 created it
    (DescribeFunction: NoSuchFunctionExists; CreateFunction refuses a name that exists)."""
    try:
        return cloudfront.describe_function(Name=FUNCTION_NAME, Stage="DEVELOPMENT")["ETag"]
    except cloudfront.exceptions.NoSuchFunctionExists:
        return None


def express_functions(cloudfront) -> list[str]:
    """The track's CloudFront Function, by name (either stage)."""
    names, marker = [], None
    while True:
        page = cloudfront.list_functions(**({"Marker": marker} if marker else {}))["FunctionList"]
        names += [f["Name"] for f in page.get("Items", []) or [] if f["Name"] == FUNCTION_NAME]
        marker = page.get("NextMarker")
        if not marker:
            return names


def delete_service(ecs, service: dict) -> None:
    """DeleteExpressGatewayService, then wait until INACTIVE (DRAINING first: ECS API reference)."""
    ecs.delete_express_gateway_service(serviceArn=service["serviceArn"])
    wait_service_inactive(ecs, service["serviceArn"])
    print(f"deleted Express service {SERVICE_NAME}")


def _gone(call, missing: tuple[str, ...], **kwargs) -> bool:
    try:
        call(**kwargs)
        return False
    except ClientError as exc:
        if _code(exc) in missing:
            return True
        raise


def still_there(managed: Managed, clients: dict) -> dict[str, list[str]]:
    """Of what Express managed for the service, what still exists, per kind, asked of the owning API."""
    elbv2, ec2, acm, logs, ecs = (clients[k] for k in ("elbv2", "ec2", "acm", "logs", "ecs"))
    left: dict[str, list[str]] = {}
    left["load balancers"] = [
        a for a in sorted(managed.load_balancers)
        if not _gone(elbv2.describe_load_balancers, ("LoadBalancerNotFound",), LoadBalancerArns=[a])
    ]
    left["target groups"] = [
        a for a in sorted(managed.target_groups)
        if not _gone(elbv2.describe_target_groups, ("TargetGroupNotFound",), TargetGroupArns=[a])
    ]
    left["security groups"] = [
        g for g in sorted({_security_group_id(s) for s in managed.security_groups})
        if not _gone(ec2.describe_security_groups, ("InvalidGroup.NotFound",), GroupIds=[g])
    ]
    left["certificates"] = [
        a for a in sorted(managed.certificates)
        if not _gone(acm.describe_certificate, ("ResourceNotFoundException",), CertificateArn=a)
    ]
    names = sorted({_log_group_name(g) for g in managed.log_groups})
    left["log groups"] = [
        n for n in names
        if any(g["logGroupName"] == n for g in logs.describe_log_groups(logGroupNamePrefix=n)["logGroups"])
    ]
    active = set(ecs.list_task_definitions(familyPrefix=SERVICE_NAME, status="ACTIVE")["taskDefinitionArns"])
    left["task definitions"] = sorted(active | (managed.task_definitions & active))
    return left


def _alb_serves_others(elbv2, alb_arn: str) -> bool:
    """True when a listener of the ALB still has rules besides its default one: other Express services share
    it (up to 25 per ALB: ECS developer guide express-service-work.html), so it must stay."""
    for listener in elbv2.describe_listeners(LoadBalancerArn=alb_arn)["Listeners"]:
        rules = elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
        if any(not r["IsDefault"] for r in rules):
            return True
    return False


def delete_left_behind(managed: Managed, clients: dict) -> int:
    """Delete what DeleteExpressGatewayService left of the service's resources; return how many.

    The API reference says it removes "the Application Load Balancer, target groups, security groups,
    auto-scaling policies, and other managed infrastructure components" (DeleteExpressGatewayService); it
    names neither the log group nor the task definition, and task definitions are never removed by deleting
    a service (ECS developer guide, deregister-task-definition-v2.html). So everything is checked, and what is
    still there goes: an ALB only when no other service's rule is left on it.
    """
    elbv2, ec2, acm, logs, ecs = (clients[k] for k in ("elbv2", "ec2", "acm", "logs", "ecs"))
    left = still_there(managed, clients)
    count = 0
    for arn in left["load balancers"]:
        if _alb_serves_others(elbv2, arn):
            print("kept the shared ALB: other services still use it")
            continue
        elbv2.delete_load_balancer(LoadBalancerArn=arn)
        elbv2.get_waiter("load_balancers_deleted").wait(
            LoadBalancerArns=[arn], WaiterConfig=_waiter_config(elbv2, Patience(15.0, 40))
        )
        print("deleted the load balancer Express left")
        count += 1
    for arn in left["target groups"]:
        elbv2.delete_target_group(TargetGroupArn=arn)
        print("deleted a target group Express left")
        count += 1
    for group in left["security groups"]:
        count += _delete_security_group(ec2, group)
    for arn in left["certificates"]:
        try:
            acm.delete_certificate(CertificateArn=arn)
            print("deleted the certificate Express left")
            count += 1
        except ClientError as exc:
            if _code(exc) != "ResourceInUseException":  # still on a shared ALB that stays
                raise
    for name in left["log groups"]:
        logs.delete_log_group(logGroupName=name)
        print(f"deleted log group {name}")
        count += 1
    for arn in left["task definitions"]:
        ecs.deregister_task_definition(taskDefinition=arn)
        ecs.delete_task_definitions(taskDefinitions=[arn])
    if left["task definitions"]:
        # One line whatever the number of revisions (each service update registers one more).
        print(f"deleted the task definitions of {SERVICE_NAME}")
        count += 1
    return count


def _waiter_config(client, aws: Patience) -> dict:
    p = _patience(client, aws)
    return {"Delay": p.delay, "MaxAttempts": p.max_attempts}


def _delete_security_group(ec2, group: str) -> int:
    """A security group can be deleted once no network interface uses it (DependencyViolation until the
    ALB's interfaces are gone, which takes a little while after the ALB: retried)."""
    p = _patience(ec2, Patience(10.0, 30))
    for attempt in range(1, p.max_attempts + 1):
        try:
            ec2.delete_security_group(GroupId=group)
            print("deleted a security group Express left")
            return 1
        except ClientError as exc:
            if _code(exc) == "InvalidGroup.NotFound":
                return 0
            if _code(exc) != "DependencyViolation" or attempt == p.max_attempts:
                raise
            time.sleep(p.delay)
    return 0


def clients_for_cleanup() -> dict:
    """The clients cleanup needs besides ECS and CloudFront, in the backend's region."""
    import boto3

    return {name: boto3.client(name) for name in ("ecs", "elbv2", "ec2", "acm", "logs", "iam")}


def delete_everything(ecs, cloudfront) -> int:
    """Delete everything the Express track created, in dependency order; return how many resources.

    Distributions first (they use the function and send traffic to the service), then the function, then the
    service (DeleteExpressGatewayService, waiting for INACTIVE), then what Express left of it, then the roles
    (last: Express uses the infrastructure role to delete what it made).
    """
    clients = clients_for_cleanup()
    count = 0
    for summary in express_distributions(cloudfront):
        delete_distribution(cloudfront, summary["Id"])
        count += 1
    for name in express_functions(cloudfront):
        delete_function(cloudfront, name)
        count += 1
    service = describe_or_none(ecs)
    if service is not None and _express_tagged(service.get("tags", [])):
        managed = managed_resources(ecs, service)
        if service["status"]["statusCode"] == "ACTIVE":
            delete_service(ecs, service)
            count += 1
        elif service["status"]["statusCode"] == "DRAINING":
            wait_service_inactive(ecs, service["serviceArn"])
        count += delete_left_behind(managed, clients)
    else:
        count += delete_left_behind(Managed(), clients)  # task definitions of an earlier, interrupted run
    for role in (INFRASTRUCTURE_ROLE, EXECUTION_ROLE):
        count += delete_role(clients["iam"], role)
    return count


def leftovers(ecs, cloudfront, managed: Managed) -> dict[str, list[str]]:
    """What is left, per kind (empty lists when cleanup is complete): what the track created, and of what
    Express made for the service (``managed``, read before the deletion), what still exists."""
    clients = clients_for_cleanup()
    service = describe_or_none(ecs)
    active = service is not None and service["status"]["statusCode"] != "INACTIVE"
    left = {
        "Express services": [SERVICE_NAME] if active else [],
        "CloudFront distributions": [d["Id"] for d in express_distributions(cloudfront)],
        "CloudFront Functions": express_functions(cloudfront),
    }
    left.update(still_there(managed, clients))
    left["IAM roles"] = [r for r in (EXECUTION_ROLE, INFRASTRUCTURE_ROLE) if _role_exists(clients["iam"], r)]
    return left

