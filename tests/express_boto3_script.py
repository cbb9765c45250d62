"""A plain boto3 script against whatever AWS_ENDPOINT_URL names (after `eval "$(hostlab up)"`, the local
backend): create an ECS Express service, wait for it, read its endpoint, find its ALB, HTTPS listener,
SslPolicy and host-header rule through the ELBv2 API, then delete it and wait until it is INACTIVE and its
ALB is gone. Only boto3 and the standard library: no hostlab import. Prints one JSON object.

tests/test_express_api.py runs it as a subprocess; `python tests/express_boto3_script.py` runs it by hand.
"""

from __future__ import annotations

import base64
import json
import sys
import time
import uuid
import zlib
from pathlib import Path

import boto3

REGION = "us-east-1"
APP = Path(__file__).resolve().parents[1] / "src" / "hostlab" / "app" / "demo_app.py"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def role(iam, name: str) -> str:
    try:
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
    except iam.exceptions.EntityAlreadyExistsException:
        return iam.get_role(RoleName=name)["Role"]["Arn"]


def poll(read, done, seconds: float = 60.0, every: float = 0.1):
    deadline = time.monotonic() + seconds
    while True:
        value = read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"still {value!r}")
        time.sleep(every)


def main() -> dict:
    iam, ecs, elbv2 = (boto3.client(s, region_name=REGION) for s in ("iam", "ecs", "elbv2"))
    source = base64.b64encode(zlib.compress(APP.read_bytes(), 9)).decode()
    created = ecs.create_express_gateway_service(
        serviceName=f"script-{uuid.uuid4().hex[:8]}",
        infrastructureRoleArn=role(iam, "ecsInfrastructureRoleForExpressServices"),
        executionRoleArn=role(iam, "ecsTaskExecutionRole"),
        healthCheckPath="/healthz",
        primaryContainer={
            "image": "public.ecr.aws/docker/library/python:3.12-slim",
            "containerPort": 8080,
            "command": [
                "python3",
                "-c",
                "import base64,os,zlib;"
                'exec(zlib.decompress(base64.b64decode(os.environ["DEMO_APP_SOURCE"])))',
            ],
            "environment": [{"name": "DEMO_APP_SOURCE", "value": source}, {"name": "PORT", "value": "8080"}],
        },
    )["service"]
    arn = created["serviceArn"]
    configuration = created["activeConfigurations"][0]
    endpoint = configuration["ingressPaths"][0]["endpoint"]

    def ingress():
        revisions = ecs.describe_service_revisions(serviceRevisionArns=[configuration["serviceRevisionArn"]])
        return revisions["serviceRevisions"][0]["ecsManagedResources"]["ingressPaths"][0]

    path = poll(
        ingress,
        lambda p: (
            {p[k]["status"] for k in ("loadBalancer", "listener", "rule")} | {p["targetGroups"][0]["status"]}
            <= {"ACTIVE"}
        ),
    )
    balancer = elbv2.describe_load_balancers(LoadBalancerArns=[path["loadBalancer"]["arn"]])["LoadBalancers"][
        0
    ]
    listener = elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"][0]
    rule = next(
        r
        for r in elbv2.describe_rules(ListenerArn=listener["ListenerArn"])["Rules"]
        if any(endpoint in c.get("HostHeaderConfig", {}).get("Values", []) for c in r["Conditions"])
    )
    targets = elbv2.describe_target_health(TargetGroupArn=path["targetGroups"][0]["arn"])
    report = {
        "endpoint": endpoint,
        "status": ecs.describe_express_gateway_service(serviceArn=arn)["service"]["status"]["statusCode"],
        "load_balancer": balancer["LoadBalancerName"],
        "dns_name": balancer["DNSName"],
        "scheme": balancer["Scheme"],
        "listener": f"{listener['Protocol']}:{listener['Port']}",
        "ssl_policy": listener["SslPolicy"],
        "default_action": listener["DefaultActions"][0],
        "rule_priority": rule["Priority"],
        "rule_weights": [g["Weight"] for g in rule["Actions"][0]["ForwardConfig"]["TargetGroups"]],
        "targets": [t["Target"] for t in targets["TargetHealthDescriptions"]],
    }
    report["deleted_status"] = ecs.delete_express_gateway_service(serviceArn=arn)["service"]["status"][
        "statusCode"
    ]
    poll(
        lambda: ecs.describe_express_gateway_service(serviceArn=arn)["service"]["status"]["statusCode"],
        lambda s: s == "INACTIVE",
    )
    report["final_status"] = "INACTIVE"
    report["alb_left"] = any(
        b["LoadBalancerArn"] == balancer["LoadBalancerArn"]
        for b in elbv2.describe_load_balancers()["LoadBalancers"]
    )
    return report


if __name__ == "__main__":
    json.dump(main(), sys.stdout, indent=1)
    print()
