"""ECS Express Mode's control plane through plain boto3 (and requests for the task), against the session
backend. Each rule's row in docs/behaviours.md ("ECS Express Mode") names the test here.

Tests that look at listings or at the shared ALB work in an account of their own (STS AssumeRole, as in
test_apprunner_api.py), so other tests' services never share their ALB. Tests about "while provisioning"
hold the work in progress (the ``hold`` fixture) instead of racing the 0.4 s clock.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError, WaiterError
from cloudfront_support import client_in_account, new_account_id
from progress_support import EXPRESS_SERVICE

from hostlab.platforms.express.service import (
    DEMO_HEALTH_CHECK_PATH,
    endpoint,
    primary_container,
    revision_arn,
)
from hostlab.platforms.express.waiters import express_waiter
from hostlab.settings import Settings
from hostlab.waiters import wait

ENDPOINT = re.compile(r"^[a-z]{2}-[0-9a-f]{32}\.ecs\.us-east-1\.on\.aws$")
HTTP_TIMEOUT = 10
TRUST = json.dumps({"Version": "2012-10-17", "Statement": []})


class Account:
    """ECS, ELBv2, EC2, ACM, Logs and IAM clients in one fresh account, with the two roles Express needs."""

    def __init__(self, make_client):
        self.id = new_account_id()
        for service in ("ecs", "elbv2", "ec2", "acm", "logs", "iam"):
            setattr(self, service, client_in_account(make_client, self.id, service))
        self.infrastructure_role = self._role("ecsInfrastructureRoleForExpressServices")
        self.execution_role = self._role("ecsTaskExecutionRole")

    def _role(self, name: str) -> str:
        return self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]

    def params(self, **extra):
        params = {
            "serviceName": f"svc-{uuid.uuid4().hex[:8]}",
            "infrastructureRoleArn": self.infrastructure_role,
            "executionRoleArn": self.execution_role,
            "healthCheckPath": DEMO_HEALTH_CHECK_PATH,
            "primaryContainer": primary_container(),
        }
        params.update(extra)
        return {k: v for k, v in params.items() if v is not None}

    def create(self, **extra):
        return self.ecs.create_express_gateway_service(**self.params(**extra))["service"]

    def ready(self, service):
        express_waiter(self.ecs, "ManagedResourcesActive").wait(serviceRevisionArns=[revision_arn(service)])
        return self.ingress(service)

    def ingress(self, service):
        answer = self.ecs.describe_service_revisions(serviceRevisionArns=[revision_arn(service)])
        return answer["serviceRevisions"][0]["ecsManagedResources"]["ingressPaths"][0]

    def delete(self, service):
        self.ecs.delete_express_gateway_service(serviceArn=service["serviceArn"])
        express_waiter(self.ecs, "ServiceInactive").wait(serviceArn=service["serviceArn"])


@pytest.fixture
def express(make_client, backend):
    return Account(make_client)


def error_of(excinfo) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


# ---------------------------------------------------------------------------------------------------------
# The definition of done: a plain boto3 script
# ---------------------------------------------------------------------------------------------------------


def test_plain_boto3_script_creates_waits_reads_the_alb_and_deletes(client_env):
    script = Path(__file__).with_name("express_boto3_script.py")
    env = {**os.environ, **client_env}
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert ENDPOINT.match(report["endpoint"]) and report["endpoint"].startswith("sc-")
    assert report["status"] == "ACTIVE"
    assert report["load_balancer"].startswith("ecs-express-gateway-alb-")
    assert report["scheme"] == "internet-facing"
    assert report["listener"] == "HTTPS:443"
    assert report["ssl_policy"] == Settings().express_ssl_policy
    assert report["default_action"]["FixedResponseConfig"] == {
        "StatusCode": "404",
        "ContentType": "text/plain",
        "MessageBody": "Not Found",
    }
    assert report["rule_weights"] == [100, 0]
    assert len(report["targets"]) == 1 and report["targets"][0]["Port"] == 8080
    assert report["deleted_status"] == "DRAINING"
    assert report["final_status"] == "INACTIVE" and report["alb_left"] is False


# ---------------------------------------------------------------------------------------------------------
# Shapes and managed resources
# ---------------------------------------------------------------------------------------------------------


def test_create_answers_active_with_an_on_aws_endpoint(express):
    service = express.create(serviceName="shape-check")
    assert service["status"] == {"statusCode": "ACTIVE"}
    assert service["serviceArn"] == f"arn:aws:ecs:us-east-1:{express.id}:service/default/shape-check"
    assert service["cluster"] == f"arn:aws:ecs:us-east-1:{express.id}:cluster/default"
    config = service["activeConfigurations"][0]
    assert config["ingressPaths"][0]["accessType"] == "PUBLIC"
    # Prefix: the service name's first two letters (Settings.express_endpoint_prefix).
    assert ENDPOINT.match(endpoint(service)) and endpoint(service).startswith("sh-")
    assert (config["cpu"], config["memory"], config["primaryContainer"]["containerPort"]) == (
        "1024",
        "2048",
        8080,
    )
    assert config["scalingTarget"] == {
        "minTaskCount": 1,
        "maxTaskCount": 20,
        "autoScalingMetric": "AVERAGE_CPU",
        "autoScalingTargetValue": 60,
    }
    assert re.match(
        rf"arn:aws:ecs:us-east-1:{express.id}:service-revision/default/shape-check/\d{{19}}$",
        config["serviceRevisionArn"],
    )
    # The cluster "default" was made on the way, and the ECS service is visible through DescribeServices.
    described = express.ecs.describe_services(cluster="default", services=["shape-check"])["services"][0]
    assert described["launchType"] == "FARGATE" and described["loadBalancers"][0]["containerPort"] == 8080


def test_managed_resources_go_from_provisioning_to_active(express, hold):
    with hold(EXPRESS_SERVICE):
        service = express.create()
        path = express.ingress(service)
        assert {path[k]["status"] for k in ("loadBalancer", "listener", "rule", "certificate")} == {
            "PROVISIONING"
        }
        assert path["targetGroups"][0]["status"] == "PROVISIONING"
    state = wait(
        express_waiter(express.ecs, "ManagedResourcesActive"),
        "Express service",
        serviceRevisionArns=[revision_arn(service)],
    )
    assert state == "ACTIVE,ACTIVE,ACTIVE,ACTIVE,ACTIVE"
    path = express.ingress(service)
    assert path["endpoint"] == endpoint(service)
    assert [g["status"] for g in path["targetGroups"]] == ["ACTIVE", "ACTIVE"]
    assert path["certificate"]["domainName"] == "*.ecs.us-east-1.on.aws"


def test_the_alb_listener_rule_and_security_group_are_visible_through_elbv2_and_ec2(express):
    service = express.create()
    path = express.ready(service)
    balancer = express.elbv2.describe_load_balancers(LoadBalancerArns=[path["loadBalancer"]["arn"]])
    balancer = balancer["LoadBalancers"][0]
    assert balancer["Type"] == "application" and balancer["Scheme"] == "internet-facing"
    listeners = express.elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    assert [(x["Protocol"], x["Port"]) for x in listeners] == [("HTTPS", 443)]  # no port 80 by default
    listener = listeners[0]
    assert listener["SslPolicy"] == "ELBSecurityPolicy-TLS-1-2-2017-01"
    certificate = express.acm.describe_certificate(
        CertificateArn=listener["Certificates"][0]["CertificateArn"]
    )
    assert certificate["Certificate"]["DomainName"] == "*.ecs.us-east-1.on.aws"
    rules = express.elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
    rule = next(r for r in rules if not r["IsDefault"])
    assert rule["Conditions"] == [
        {"Field": "host-header", "HostHeaderConfig": {"Values": [endpoint(service)]}}
    ]
    assert [g["TargetGroupArn"] for g in rule["Actions"][0]["ForwardConfig"]["TargetGroups"]] == [
        g["arn"] for g in path["targetGroups"]
    ]
    groups = express.ec2.describe_security_groups(GroupIds=balancer["SecurityGroups"])["SecurityGroups"]
    assert groups[0]["GroupName"] == balancer["LoadBalancerName"]
    opened = {
        (p["FromPort"], r.get("CidrIp") or r.get("CidrIpv6"))
        for p in groups[0]["IpPermissions"]
        for r in p.get("IpRanges", []) + p.get("Ipv6Ranges", [])
    }
    assert opened == {(80, "0.0.0.0/0"), (80, "::/0"), (443, "0.0.0.0/0"), (443, "::/0")}
    assert {"Key": "AmazonECSManaged", "Value": "true"} in groups[0]["Tags"]


def test_the_task_is_the_demo_app_registered_in_the_primary_target_group(express):
    service = express.create(primaryContainer=primary_container(env={"GREETING": "express"}))
    path = express.ready(service)
    health = express.elbv2.describe_target_health(TargetGroupArn=path["targetGroups"][0]["arn"])
    targets = [t["Target"] for t in health["TargetHealthDescriptions"]]
    assert len(targets) == 1
    # The alternate target group (weight 0) has no target.
    alternate = express.elbv2.describe_target_health(TargetGroupArn=path["targetGroups"][1]["arn"])
    assert alternate["TargetHealthDescriptions"] == []
    session = requests.Session()
    session.trust_env = False
    answer = session.get(
        f"http://{targets[0]['Id']}:{targets[0]['Port']}{DEMO_HEALTH_CHECK_PATH}", timeout=HTTP_TIMEOUT
    )
    assert answer.status_code == 200


def test_services_in_one_vpc_share_one_alb_with_a_rule_each(express):
    first, second = express.create(), express.create()
    one, two = express.ready(first), express.ready(second)
    assert one["loadBalancer"]["arn"] == two["loadBalancer"]["arn"]
    assert one["listener"]["arn"] == two["listener"]["arn"]
    assert one["rule"]["arn"] != two["rule"]["arn"]
    rules = express.elbv2.describe_rules(ListenerArn=one["listener"]["arn"])["Rules"]
    assert [r["Priority"] for r in rules] == ["1", "2", "default"]
    # Deleting one leaves the ALB to the other; deleting both removes it.
    express.delete(first)
    assert express.elbv2.describe_load_balancers(LoadBalancerArns=[one["loadBalancer"]["arn"]])[
        "LoadBalancers"
    ]
    express.delete(second)
    assert express.elbv2.describe_load_balancers()["LoadBalancers"] == []


def test_list_services_filters_by_resource_management_type(express):
    service = express.create()
    express.ecs.register_task_definition(
        family="own", containerDefinitions=[{"name": "c", "image": "x", "memory": 128}]
    )
    own = express.ecs.create_service(cluster="default", serviceName="own", taskDefinition="own")["service"]
    by_type = {
        kind: express.ecs.list_services(cluster="default", resourceManagementType=kind)["serviceArns"]
        for kind in ("ECS", "CUSTOMER")
    }
    assert by_type == {"ECS": [service["serviceArn"]], "CUSTOMER": [own["serviceArn"]]}
    everything = express.ecs.list_services(cluster="default")["serviceArns"]
    assert sorted(everything) == sorted([service["serviceArn"], own["serviceArn"]])


def test_update_makes_a_new_revision_and_replaces_the_task(express):
    service = express.create()
    path = express.ready(service)
    before = express.elbv2.describe_target_health(TargetGroupArn=path["targetGroups"][0]["arn"])
    updated = express.ecs.update_express_gateway_service(
        serviceArn=service["serviceArn"], primaryContainer=primary_container(env={"GREETING": "v2"})
    )["service"]
    target = updated["targetConfiguration"]
    assert target["serviceRevisionArn"] != revision_arn(service)
    assert {"name": "GREETING", "value": "v2"} in target["primaryContainer"]["environment"]
    assert target["ingressPaths"][0]["endpoint"] == endpoint(service)  # the endpoint stays
    express_waiter(express.ecs, "ManagedResourcesActive").wait(
        serviceRevisionArns=[target["serviceRevisionArn"]]
    )
    after = express.elbv2.describe_target_health(TargetGroupArn=path["targetGroups"][0]["arn"])
    assert len(after["TargetHealthDescriptions"]) == 1
    assert after["TargetHealthDescriptions"][0]["Target"] != before["TargetHealthDescriptions"][0]["Target"]
    described = express.ecs.describe_express_gateway_service(serviceArn=service["serviceArn"])["service"]
    assert revision_arn(described) == target["serviceRevisionArn"]


# ---------------------------------------------------------------------------------------------------------
# Delete
# ---------------------------------------------------------------------------------------------------------


def test_delete_drains_then_goes_inactive_and_removes_what_aws_removes(express, hold):
    service = express.create()
    path = express.ready(service)
    with hold(EXPRESS_SERVICE):
        deleted = express.ecs.delete_express_gateway_service(serviceArn=service["serviceArn"])["service"]
        assert deleted["status"]["statusCode"] == "DRAINING"
        # While DRAINING, the service cannot be changed or deleted again.
        for call, kwargs in (
            (express.ecs.delete_express_gateway_service, {}),
            (express.ecs.update_express_gateway_service, {"cpu": "512", "memory": "1024"}),
        ):
            with pytest.raises(ClientError) as excinfo:
                call(serviceArn=service["serviceArn"], **kwargs)
            assert error_of(excinfo) == ("ServiceNotActiveException", "Service is in DRAINING status")
        assert express.ingress(service)["rule"]["status"] == "DEPROVISIONING"
        # DRAINING services leave ListServices.
        assert express.ecs.list_services(resourceManagementType="ECS")["serviceArns"] == []
    wait(express_waiter(express.ecs, "ServiceInactive"), "Express service", serviceArn=service["serviceArn"])
    described = express.ecs.describe_express_gateway_service(serviceArn=service["serviceArn"])["service"]
    assert described["status"]["statusCode"] == "INACTIVE"
    assert express.ingress(service)["loadBalancer"]["status"] == "DELETED"
    assert express.elbv2.describe_load_balancers()["LoadBalancers"] == []
    for target_group in path["targetGroups"]:
        with pytest.raises(ClientError) as excinfo:
            express.elbv2.describe_target_groups(TargetGroupArns=[target_group["arn"]])
        assert error_of(excinfo)[0] == "TargetGroupNotFound"
    names = [g["GroupName"] for g in express.ec2.describe_security_groups()["SecurityGroups"]]
    assert not [n for n in names if n.startswith("ecs-express-gateway-")]
    certificates = express.acm.list_certificates()["CertificateSummaryList"]
    assert path["certificate"]["arn"] not in [c["CertificateArn"] for c in certificates]
    # Left behind, as on AWS: the log group (a setting) and the task definition.
    groups = express.logs.describe_log_groups(logGroupNamePrefix="/aws/ecs/default/")["logGroups"]
    assert [g["logGroupName"] for g in groups] == [f"/aws/ecs/default/{service['serviceName']}"]
    assert express.ecs.list_task_definitions(familyPrefix=service["serviceName"])["taskDefinitionArns"]
    # Once INACTIVE, a second delete says so (terraform-provider-aws matches this message).
    with pytest.raises(ClientError) as excinfo:
        express.ecs.delete_express_gateway_service(serviceArn=service["serviceArn"])
    assert error_of(excinfo) == (
        "ServiceNotActiveException",
        "Cannot perform this operation on a service in INACTIVE status",
    )
    # And the name is free again (positive control of the duplicate-name rule below).
    again = express.create(serviceName=service["serviceName"])
    assert again["status"]["statusCode"] == "ACTIVE"


# ---------------------------------------------------------------------------------------------------------
# Bad input: botocore-shaped errors, each beside a call that succeeds
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        ({"executionRoleArn": None}, "InvalidParameterException", "executionRoleArn must be specified."),
        ({"executionRoleArn": "not-an-arn"}, "InvalidParameterException", "executionRoleArn is not a valid"),
        (
            {"executionRoleArn": "arn:aws:iam::{account}:role/missing"},
            "InvalidParameterException",
            "executionRoleArn: the role",
        ),
        (
            {"infrastructureRoleArn": "arn:aws:iam::{account}:role/missing"},
            "InvalidParameterException",
            "infrastructureRoleArn: the role",
        ),
        ({"serviceName": "bad name!"}, "InvalidParameterException", "Service name must be"),
        ({"cpu": "256", "memory": "4096"}, "ClientException", "No Fargate configuration exists"),
        ({"cluster": "no-such-cluster"}, "ClusterNotFoundException", "Cluster not found."),
        ({"primaryContainer": None}, "InvalidParameterException", "Either primaryContainer or"),
        ({"healthCheckPath": "healthz"}, "InvalidParameterException", "healthCheckPath must start with"),
    ],
)
def test_create_refuses_bad_input(express, change, code, message):
    change = {k: v.format(account=express.id) if isinstance(v, str) else v for k, v in change.items()}
    with pytest.raises(ClientError) as excinfo:
        express.create(**change)
    assert error_of(excinfo)[0] == code
    assert error_of(excinfo)[1].startswith(message)
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    # Positive control: the same call without the change succeeds.
    assert express.create()["status"]["statusCode"] == "ACTIVE"


def test_create_refuses_a_name_in_use(express):
    first = express.create()
    with pytest.raises(ClientError) as excinfo:
        express.create(serviceName=first["serviceName"])
    assert error_of(excinfo) == ("InvalidParameterException", "Creation of service was not idempotent.")
    assert express.create()["status"]["statusCode"] == "ACTIVE"


def test_unknown_service_arns(express):
    known = express.create()
    unknown = known["serviceArn"].replace(known["serviceName"], "nobody")
    with pytest.raises(ClientError) as excinfo:
        express.ecs.describe_express_gateway_service(serviceArn=unknown)
    assert error_of(excinfo)[0] == "ResourceNotFoundException"
    for call in (express.ecs.update_express_gateway_service, express.ecs.delete_express_gateway_service):
        with pytest.raises(ClientError) as excinfo:
            call(serviceArn=unknown)
        assert error_of(excinfo) == ("ServiceNotFoundException", "Service not found.")
    with pytest.raises(ClientError) as excinfo:
        express.ecs.describe_express_gateway_service(serviceArn="nonsense")
    assert error_of(excinfo)[0] == "InvalidParameterException"
    missing = express.ecs.describe_service_revisions(serviceRevisionArns=[revision_arn(known) + "0"])
    assert missing["failures"] == [{"arn": revision_arn(known) + "0", "reason": "MISSING"}]
    # Positive control: the known ARN answers.
    assert express.ecs.describe_express_gateway_service(serviceArn=known["serviceArn"])["service"][
        "serviceName"
    ]


def test_tags_come_back_when_asked_for(express):
    service = express.create(tags=[{"key": "project", "value": "hostlab"}])
    plain = express.ecs.describe_express_gateway_service(serviceArn=service["serviceArn"])["service"]
    tagged = express.ecs.describe_express_gateway_service(serviceArn=service["serviceArn"], include=["TAGS"])
    assert "tags" not in plain
    assert tagged["service"]["tags"] == [{"key": "project", "value": "hostlab"}]


def test_the_waiter_fails_when_the_task_cannot_start(express):
    container = primary_container()
    container["environment"] = [e for e in container["environment"] if e["name"] != "DEMO_APP_SOURCE"]
    service = express.create(primaryContainer=container)
    with pytest.raises(WaiterError) as excinfo:
        express_waiter(express.ecs, "ManagedResourcesActive").wait(
            serviceRevisionArns=[revision_arn(service)]
        )
    assert "FAILED" in str(excinfo.value) or "failure" in str(excinfo.value)
    reason = express.ingress(service)["targetGroups"][0]["statusReason"]
    assert reason.startswith("Task failed to start")
