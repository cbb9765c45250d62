"""App Runner's control plane through plain boto3, the way the notebooks use it.

Everything goes over HTTP to the ``api_url`` backend: no test reads in-process state. Tests that need a
clean slate (listings, seeded ids) work in an account of their own, reached through STS AssumeRole as a
reader would reach a second account, instead of resetting the shared backend. Tests about what happens while
an operation is still in progress hold it there (the ``hold`` fixture) instead of racing the 0.4 s clock.
"""

from __future__ import annotations

import re
import time
import uuid

import pytest
import requests
from botocore.exceptions import ClientError
from cloudfront_support import client_in_account, new_account_id
from progress_support import APPRUNNER_CUSTOM_DOMAIN, APPRUNNER_SERVICE

from hostlab.waiters import apprunner_waiter

PUBLIC_IMAGE = "public.ecr.aws/docker/library/python:3.12-slim"
PRIVATE_IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo:latest"
ECR_ROLE = "arn:aws:iam::123456789012:role/apprunner-ecr-access"
CODE_CONNECTION = "arn:aws:apprunner:us-east-1:123456789012:connection/gh/0123456789abcdef0123456789abcdef"
HTTP_TIMEOUT = 10

def public_source(**image_config):
    config = {"ImageIdentifier": PUBLIC_IMAGE, "ImageRepositoryType": "ECR_PUBLIC"}
    if image_config:
        config["ImageConfiguration"] = image_config
    return {"ImageRepository": config}


def unique_name(prefix: str = "svc") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def in_new_account(make_client):
    """Clients in a fresh account: moto maps STS-assumed credentials to the role's account."""

    def make(service: str = "apprunner", region: str = "us-east-1"):
        account = new_account_id()
        return account, client_in_account(make_client, account, service, region)

    return make


def create(client, name=None, **extra):
    extra.setdefault("SourceConfiguration", public_source(Port="8000"))
    return client.create_service(ServiceName=name or unique_name(), **extra)


def running_service(client, **extra):
    """A service that has finished creating."""
    created = create(client, **extra)
    arn = created["Service"]["ServiceArn"]
    apprunner_waiter(client, "ServiceRunning").wait(ServiceArn=arn)
    return arn


def error_of(excinfo) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def status(client, arn) -> str:
    return client.describe_service(ServiceArn=arn)["Service"]["Status"]


# ---------------------------------------------------------------------------------------------------------
# Shapes
# ---------------------------------------------------------------------------------------------------------


def test_create_service_answers_with_aws_shapes(apprunner):
    name = unique_name("shape")
    response = create(
        apprunner,
        name,
        InstanceConfiguration={"Cpu": "1 vCPU", "Memory": "3 GB"},
        Tags=[{"Key": "project", "Value": "hostlab"}],
    )
    service = response["Service"]

    assert re.fullmatch(
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", response["OperationId"]
    )
    assert re.fullmatch(r"[0-9a-f]{32}", service["ServiceId"])
    assert (
        service["ServiceArn"]
        == f"arn:aws:apprunner:us-east-1:123456789012:service/{name}/{service['ServiceId']}"
    )
    # A bare domain, no scheme.
    assert re.fullmatch(r"[a-z0-9]{10}\.us-east-1\.awsapprunner\.com", service["ServiceUrl"])
    assert service["Status"] == "OPERATION_IN_PROGRESS"
    assert service["CreatedAt"] == service["UpdatedAt"]
    # The source is echoed, with the documented defaults filled in.
    image = service["SourceConfiguration"]["ImageRepository"]
    assert image == {
        "ImageIdentifier": PUBLIC_IMAGE,
        "ImageRepositoryType": "ECR_PUBLIC",
        "ImageConfiguration": {"Port": "8000"},
    }
    assert service["SourceConfiguration"]["AutoDeploymentsEnabled"] is False
    # "1 vCPU" / "3 GB" come back in units and MB.
    assert service["InstanceConfiguration"] == {"Cpu": "1024", "Memory": "3072"}
    assert service["HealthCheckConfiguration"] == {
        "Protocol": "TCP",
        "Path": "/",
        "Interval": 5,
        "Timeout": 2,
        "HealthyThreshold": 1,
        "UnhealthyThreshold": 5,
    }
    assert service["NetworkConfiguration"] == {
        "EgressConfiguration": {"EgressType": "DEFAULT"},
        "IngressConfiguration": {"IsPubliclyAccessible": True},
        "IpAddressType": "IPV4",
    }
    summary = service["AutoScalingConfigurationSummary"]
    assert summary["AutoScalingConfigurationName"] == "DefaultConfiguration"
    assert re.fullmatch(
        r"arn:aws:apprunner:us-east-1:123456789012:autoscalingconfiguration/DefaultConfiguration/1/[0-9a-f]{32}",
        summary["AutoScalingConfigurationArn"],
    )
    assert "DeletedAt" not in service


def test_instance_configuration_defaults_to_one_vcpu_two_gb(apprunner):
    service = create(apprunner, SourceConfiguration=public_source())["Service"]
    assert service["InstanceConfiguration"] == {"Cpu": "1024", "Memory": "2048"}
    assert service["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"] == {"Port": "8080"}


@pytest.mark.parametrize(
    ("cpu", "memory", "units"),
    [
        ("0.25 vCPU", "0.5 GB", ("256", "512")),
        ("256", "1024", ("256", "1024")),
        ("0.5 vCPU", "1 GB", ("512", "1024")),
        ("1 vCPU", "2 GB", ("1024", "2048")),
        ("1024", "4096", ("1024", "4096")),
        ("2 vCPU", "4 GB", ("2048", "4096")),
        ("2048", "6144", ("2048", "6144")),
        ("4 vCPU", "8 GB", ("4096", "8192")),
        ("4 vCPU", "10 GB", ("4096", "10240")),
        ("4096", "12 GB", ("4096", "12288")),
    ],
)
def test_every_documented_cpu_memory_pair_is_accepted_in_both_forms(apprunner, cpu, memory, units):
    service = create(apprunner, InstanceConfiguration={"Cpu": cpu, "Memory": memory})["Service"]
    assert (service["InstanceConfiguration"]["Cpu"], service["InstanceConfiguration"]["Memory"]) == units


def test_private_ecr_image_with_access_role(apprunner):
    source = {
        "AuthenticationConfiguration": {"AccessRoleArn": ECR_ROLE},
        "ImageRepository": {"ImageIdentifier": PRIVATE_IMAGE, "ImageRepositoryType": "ECR"},
    }
    service = create(apprunner, SourceConfiguration=source)["Service"]
    assert service["SourceConfiguration"]["AuthenticationConfiguration"] == {"AccessRoleArn": ECR_ROLE}
    # Same-account ECR image: automatic deployments default to on.
    assert service["SourceConfiguration"]["AutoDeploymentsEnabled"] is True


# ---------------------------------------------------------------------------------------------------------
# Life cycle
# ---------------------------------------------------------------------------------------------------------


def test_service_goes_from_operation_in_progress_to_running_and_the_waiter_waits(apprunner, hold):
    hold(APPRUNNER_SERVICE)
    arn = create(apprunner)["Service"]["ServiceArn"]
    assert status(apprunner, arn) == "OPERATION_IN_PROGRESS"
    operations = apprunner.list_operations(ServiceArn=arn)["OperationSummaryList"]
    assert [(o["Type"], o["Status"]) for o in operations] == [("CREATE_SERVICE", "IN_PROGRESS")]
    assert "EndedAt" not in operations[0]

    seen = []
    apprunner.meta.events.register(
        "after-call.apprunner.DescribeService", lambda parsed, **_: seen.append(parsed["Service"]["Status"])
    )
    hold.release_on_first_poll(apprunner, "DescribeService")
    apprunner_waiter(apprunner, "ServiceRunning").wait(ServiceArn=arn)

    # The waiter polled through OPERATION_IN_PROGRESS and stopped at RUNNING.
    assert seen[0] == "OPERATION_IN_PROGRESS"
    assert seen[-1] == "RUNNING"
    assert status(apprunner, arn) == "RUNNING"
    done = apprunner.list_operations(ServiceArn=arn)["OperationSummaryList"][0]
    assert done["Status"] == "SUCCEEDED"
    assert done["Id"] and done["TargetArn"] == arn
    assert done["StartedAt"] <= done["EndedAt"] == done["UpdatedAt"]


def test_update_service(apprunner, hold):
    arn = running_service(apprunner)
    hold(APPRUNNER_SERVICE)
    response = apprunner.update_service(
        ServiceArn=arn,
        InstanceConfiguration={"Cpu": "2 vCPU", "Memory": "4 GB"},
        SourceConfiguration=public_source(Port="9000", StartCommand="python app.py"),
        HealthCheckConfiguration={"Protocol": "HTTP", "Path": "/health"},
    )
    service = response["Service"]
    assert service["Status"] == "OPERATION_IN_PROGRESS"
    # The answer already shows the configuration being applied.
    assert service["InstanceConfiguration"] == {"Cpu": "2048", "Memory": "4096"}
    assert service["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"] == {
        "Port": "9000",
        "StartCommand": "python app.py",
    }
    assert service["HealthCheckConfiguration"]["Protocol"] == "HTTP"
    assert service["HealthCheckConfiguration"]["Path"] == "/health"
    assert service["HealthCheckConfiguration"]["Interval"] == 5  # untouched members keep their values

    with pytest.raises(ClientError) as excinfo:
        apprunner.update_service(ServiceArn=arn, InstanceConfiguration={"Cpu": "1 vCPU"})
    assert error_of(excinfo)[0] == "InvalidStateException"

    hold.release()
    apprunner_waiter(apprunner, "ServiceRunning").wait(ServiceArn=arn)
    types = [o["Type"] for o in apprunner.list_operations(ServiceArn=arn)["OperationSummaryList"]]
    assert types == ["UPDATE_SERVICE", "CREATE_SERVICE"]  # newest first
    assert (
        response["OperationId"] == apprunner.list_operations(ServiceArn=arn)["OperationSummaryList"][0]["Id"]
    )

    # Memory alone must still fit the CPU: 2 vCPU does not run with 2 GB.
    with pytest.raises(ClientError) as excinfo:
        apprunner.update_service(ServiceArn=arn, InstanceConfiguration={"Memory": "2 GB"})
    assert error_of(excinfo)[0] == "InvalidRequestException"

    code_source = {
        "AuthenticationConfiguration": {"ConnectionArn": CODE_CONNECTION},
        "CodeRepository": {
            "RepositoryUrl": "https://github.com/example/app",
            "SourceCodeVersion": {"Type": "BRANCH", "Value": "main"},
            "CodeConfiguration": {"ConfigurationSource": "REPOSITORY"},
        },
    }
    with pytest.raises(ClientError) as excinfo:
        apprunner.update_service(ServiceArn=arn, SourceConfiguration=code_source)
    code, message = error_of(excinfo)
    assert code == "InvalidRequestException"
    assert "switch" in message


def test_pause_and_resume(apprunner, hold):
    with hold(APPRUNNER_SERVICE):
        created = create(apprunner)
        arn = created["Service"]["ServiceArn"]
        with pytest.raises(ClientError) as excinfo:
            apprunner.pause_service(ServiceArn=arn)
        assert error_of(excinfo)[0] == "InvalidStateException"  # still creating

    apprunner_waiter(apprunner, "ServiceRunning").wait(ServiceArn=arn)
    paused = apprunner.pause_service(ServiceArn=arn)
    assert paused["Service"]["Status"] == "OPERATION_IN_PROGRESS"
    apprunner_waiter(apprunner, "ServicePaused").wait(ServiceArn=arn)
    assert status(apprunner, arn) == "PAUSED"

    for call in (
        apprunner.pause_service,
        lambda **kw: apprunner.associate_custom_domain(DomainName="p.example.com", **kw),
    ):
        with pytest.raises(ClientError) as excinfo:
            call(ServiceArn=arn)
        assert error_of(excinfo)[0] == "InvalidStateException"

    resumed = apprunner.resume_service(ServiceArn=arn)
    assert resumed["Service"]["Status"] == "OPERATION_IN_PROGRESS"
    apprunner_waiter(apprunner, "ServiceRunning").wait(ServiceArn=arn)
    with pytest.raises(ClientError) as excinfo:
        apprunner.resume_service(ServiceArn=arn)
    assert error_of(excinfo)[0] == "InvalidStateException"

    operations = apprunner.list_operations(ServiceArn=arn)["OperationSummaryList"]
    assert [o["Type"] for o in operations] == ["RESUME_SERVICE", "PAUSE_SERVICE", "CREATE_SERVICE"]
    assert {o["Status"] for o in operations} == {"SUCCEEDED"}
    assert [o["Id"] for o in operations] == [
        resumed["OperationId"],
        paused["OperationId"],
        created["OperationId"],
    ]


def test_delete_service(apprunner, hold):
    name = unique_name("gone")
    arn = running_service(apprunner, name=name)
    with hold(APPRUNNER_SERVICE):
        deleting = apprunner.delete_service(ServiceArn=arn)
        assert deleting["Service"]["Status"] == "OPERATION_IN_PROGRESS"
        with pytest.raises(ClientError) as excinfo:
            apprunner.delete_service(ServiceArn=arn)
        assert error_of(excinfo)[0] == "InvalidStateException"

    apprunner_waiter(apprunner, "ServiceDeleted").wait(ServiceArn=arn)
    service = apprunner.describe_service(ServiceArn=arn)["Service"]
    assert service["Status"] == "DELETED"
    assert service["DeletedAt"] >= service["CreatedAt"]
    assert arn not in [s["ServiceArn"] for s in apprunner.list_services()["ServiceSummaryList"]]
    assert apprunner.list_operations(ServiceArn=arn)["OperationSummaryList"][0]["Type"] == "DELETE_SERVICE"
    for call in (apprunner.update_service, apprunner.pause_service, apprunner.delete_service):
        with pytest.raises(ClientError) as excinfo:
            call(ServiceArn=arn)
        assert error_of(excinfo)[0] == "ResourceNotFoundException"
    # The name is free again, for a new service with a new id.
    again = create(apprunner, name)["Service"]
    assert again["ServiceArn"] != arn


def test_list_services_pages(in_new_account):
    _, client = in_new_account()
    arns = [create(client, f"page-{i}")["Service"]["ServiceArn"] for i in range(3)]

    first = client.list_services(MaxResults=2)
    assert [s["ServiceArn"] for s in first["ServiceSummaryList"]] == arns[:2]
    second = client.list_services(MaxResults=2, NextToken=first["NextToken"])
    assert [s["ServiceArn"] for s in second["ServiceSummaryList"]] == arns[2:]
    assert "NextToken" not in second
    everything = client.list_services()["ServiceSummaryList"]
    assert [s["ServiceArn"] for s in everything] == arns
    assert set(everything[0]) == {
        "ServiceName",
        "ServiceId",
        "ServiceArn",
        "ServiceUrl",
        "CreatedAt",
        "UpdatedAt",
        "Status",
    }

    for bad in ({"MaxResults": 21}, {"NextToken": "not-ours"}):
        with pytest.raises(ClientError) as excinfo:
            client.list_services(**bad)
        assert error_of(excinfo)[0] == "InvalidRequestException"


# ---------------------------------------------------------------------------------------------------------
# Custom domains
# ---------------------------------------------------------------------------------------------------------


def test_custom_domain_becomes_active_with_validation_records(apprunner, hold):
    arn = running_service(apprunner)
    url = apprunner.describe_service(ServiceArn=arn)["Service"]["ServiceUrl"]

    associated = apprunner.associate_custom_domain(ServiceArn=arn, DomainName="app.example.com")
    assert associated["DNSTarget"] == url
    assert associated["ServiceArn"] == arn
    assert associated["VpcDNSTargets"] == []
    domain = associated["CustomDomain"]
    # Lower case on the wire, as AWS sends it; no records yet while creating.
    assert domain == {"DomainName": "app.example.com", "EnableWWWSubdomain": True, "Status": "creating"}

    apprunner_waiter(apprunner, "CustomDomainActive", domain_name="app.example.com").wait(ServiceArn=arn)
    described = apprunner.describe_custom_domains(ServiceArn=arn)
    assert described["DNSTarget"] == url
    (active,) = described["CustomDomains"]
    assert active["Status"] == "active"
    records = active["CertificateValidationRecords"]
    assert len(records) == 3  # the domain, www, and App Runner's own subdomain of it
    for record in records:
        assert record["Type"] == "CNAME"
        assert record["Status"] == "SUCCESS"
        assert re.fullmatch(r"_[0-9a-f]{32}\.([a-z0-9]+\.)?app\.example\.com\.", record["Name"])
        assert re.fullmatch(r"_[0-9a-f]{32}\.[a-z]{10}\.acm-validations\.aws\.", record["Value"])
    assert any(r["Name"].endswith(".www.app.example.com.") for r in records)

    with pytest.raises(ClientError) as excinfo:
        apprunner.associate_custom_domain(ServiceArn=arn, DomainName="app.example.com")
    assert error_of(excinfo)[0] == "InvalidRequestException"

    with hold(APPRUNNER_CUSTOM_DOMAIN):
        gone = apprunner.disassociate_custom_domain(ServiceArn=arn, DomainName="app.example.com")
        assert gone["CustomDomain"]["Status"] == "deleting"
        with pytest.raises(ClientError) as excinfo:
            apprunner.disassociate_custom_domain(ServiceArn=arn, DomainName="app.example.com")
        assert error_of(excinfo)[0] == "InvalidStateException"
    deadline = time.monotonic() + 30
    while apprunner.describe_custom_domains(ServiceArn=arn)["CustomDomains"] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert apprunner.describe_custom_domains(ServiceArn=arn)["CustomDomains"] == []


def test_custom_domain_rules(apprunner):
    arn = running_service(apprunner)
    without_www = apprunner.associate_custom_domain(
        ServiceArn=arn, DomainName="d0.example.com", EnableWWWSubdomain=False
    )
    assert without_www["CustomDomain"]["EnableWWWSubdomain"] is False
    for i in range(1, 4):
        apprunner.associate_custom_domain(
            ServiceArn=arn, DomainName=f"d{i}.example.com", EnableWWWSubdomain=False
        )
    apprunner.associate_custom_domain(ServiceArn=arn, DomainName="*.example.org", EnableWWWSubdomain=False)
    assert len(apprunner.describe_custom_domains(ServiceArn=arn)["CustomDomains"]) == 5

    page = apprunner.describe_custom_domains(ServiceArn=arn, MaxResults=2)
    assert len(page["CustomDomains"]) == 2 and page["NextToken"]

    with pytest.raises(ClientError) as excinfo:
        apprunner.associate_custom_domain(ServiceArn=arn, DomainName="d5.example.com")
    code, message = error_of(excinfo)
    assert code == "InvalidRequestException"
    assert "maximum is 5" in message

    other = running_service(apprunner)
    for domain, www in (
        ("*.example.net", True),
        ("login*.example.net", False),
        ("a.*.example.net", False),
        ("localhost", False),
    ):
        with pytest.raises(ClientError) as excinfo:
            apprunner.associate_custom_domain(ServiceArn=other, DomainName=domain, EnableWWWSubdomain=www)
        assert error_of(excinfo)[0] == "InvalidRequestException", domain
    with pytest.raises(ClientError) as excinfo:
        apprunner.disassociate_custom_domain(ServiceArn=other, DomainName="never.example.com")
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


# ---------------------------------------------------------------------------------------------------------
# Tags
# ---------------------------------------------------------------------------------------------------------


def test_tags(apprunner):
    arn = create(apprunner, Tags=[{"Key": "team", "Value": "web"}])["Service"]["ServiceArn"]
    assert apprunner.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "web"}]
    apprunner.tag_resource(
        ResourceArn=arn, Tags=[{"Key": "team", "Value": "edge"}, {"Key": "env", "Value": "dev"}]
    )
    tags = {t["Key"]: t["Value"] for t in apprunner.list_tags_for_resource(ResourceArn=arn)["Tags"]}
    assert tags == {"team": "edge", "env": "dev"}
    apprunner.untag_resource(ResourceArn=arn, TagKeys=["team", "absent"])
    assert apprunner.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]

    with pytest.raises(ClientError) as excinfo:
        apprunner.tag_resource(ResourceArn=arn, Tags=[{"Key": "aws:reserved", "Value": "x"}])
    code, message = error_of(excinfo)
    assert code == "InvalidRequestException"
    assert "tags.1.member.key" in message

    unknown = arn[:-1] + ("0" if arn[-1] != "0" else "1")
    for call in (
        lambda: apprunner.list_tags_for_resource(ResourceArn=unknown),
        lambda: apprunner.tag_resource(ResourceArn=unknown, Tags=[{"Key": "k", "Value": "v"}]),
        lambda: apprunner.untag_resource(ResourceArn=unknown, TagKeys=["k"]),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo)[0] == "ResourceNotFoundException"


# ---------------------------------------------------------------------------------------------------------
# Bad input: what botocore lets through and the server must refuse
# ---------------------------------------------------------------------------------------------------------

BAD_CREATES = {
    "name with a space": ({"ServiceName": "my service"}, "serviceName"),
    "name starting with a dash": ({"ServiceName": "-service"}, "serviceName"),
    "name of 41 characters": ({"ServiceName": "a" * 41}, "length less than or equal to 40"),
    "cpu and memory that do not pair": (
        {"InstanceConfiguration": {"Cpu": "1 vCPU", "Memory": "1 GB"}},
        "combination",
    ),
    "4 vCPU with 4 GB": ({"InstanceConfiguration": {"Cpu": "4096", "Memory": "4096"}}, "combination"),
    "0.25 vCPU with 2 GB": ({"InstanceConfiguration": {"Cpu": "0.25 vCPU", "Memory": "2 GB"}}, "combination"),
    "3 vCPU": ({"InstanceConfiguration": {"Cpu": "3 vCPU"}}, "instanceConfiguration.cpu"),
    "memory in MiB": ({"InstanceConfiguration": {"Memory": "2000"}}, "instanceConfiguration.memory"),
    "unknown repository type": (
        {
            "SourceConfiguration": {
                "ImageRepository": {"ImageIdentifier": PUBLIC_IMAGE, "ImageRepositoryType": "DOCKER_HUB"}
            }
        },
        "enum value set: [ECR, ECR_PUBLIC]",
    ),
    "ECR without an access role": (
        {
            "SourceConfiguration": {
                "ImageRepository": {"ImageIdentifier": PRIVATE_IMAGE, "ImageRepositoryType": "ECR"}
            }
        },
        "AccessRoleArn",
    ),
    "ECR type for a public image": (
        {
            "SourceConfiguration": {
                "AuthenticationConfiguration": {"AccessRoleArn": ECR_ROLE},
                "ImageRepository": {"ImageIdentifier": PUBLIC_IMAGE, "ImageRepositoryType": "ECR"},
            }
        },
        "ImageIdentifier",
    ),
    "image not in ECR": (
        {
            "SourceConfiguration": {
                "ImageRepository": {
                    "ImageIdentifier": "docker.io/library/nginx",
                    "ImageRepositoryType": "ECR_PUBLIC",
                }
            }
        },
        "imageIdentifier",
    ),
    "no repository": ({"SourceConfiguration": {"AutoDeploymentsEnabled": False}}, "exactly one"),
    "code and image repository": (
        {
            "SourceConfiguration": {
                "AuthenticationConfiguration": {"ConnectionArn": CODE_CONNECTION},
                "ImageRepository": {"ImageIdentifier": PUBLIC_IMAGE, "ImageRepositoryType": "ECR_PUBLIC"},
                "CodeRepository": {
                    "RepositoryUrl": "https://github.com/example/app",
                    "SourceCodeVersion": {"Type": "BRANCH", "Value": "main"},
                },
            }
        },
        "exactly one",
    ),
    "code repository without a connection": (
        {
            "SourceConfiguration": {
                "CodeRepository": {
                    "RepositoryUrl": "https://github.com/example/app",
                    "SourceCodeVersion": {"Type": "BRANCH", "Value": "main"},
                }
            }
        },
        "ConnectionArn",
    ),
    "reserved environment variable": (
        {"SourceConfiguration": public_source(RuntimeEnvironmentVariables={"AWSAPPRUNNER_X": "1"})},
        "reserved",
    ),
    "port that is not a number": ({"SourceConfiguration": public_source(Port="http")}, "Port"),
    "start command on two lines": (
        {"SourceConfiguration": public_source(StartCommand="a\nb")},
        "startCommand",
    ),
    "health check interval of 21 s": (
        {"HealthCheckConfiguration": {"Interval": 21}},
        "value less than or equal to 20",
    ),
    "VPC egress without a connector": (
        {"NetworkConfiguration": {"EgressConfiguration": {"EgressType": "VPC"}}},
        "VpcConnectorArn",
    ),
    "auto scaling configuration of another account": (
        {
            "AutoScalingConfigurationArn": "arn:aws:apprunner:us-east-1:210987654321:"
            "autoscalingconfiguration/DefaultConfiguration/1/0123456789abcdef0123456789abcdef"
        },
        "AutoScalingConfigurationArn",
    ),
}


@pytest.mark.parametrize("case", list(BAD_CREATES), ids=list(BAD_CREATES))
def test_bad_create_is_refused(apprunner, case):
    overrides, mentioned = BAD_CREATES[case]
    request = {"ServiceName": unique_name("bad"), "SourceConfiguration": public_source(), **overrides}
    with pytest.raises(ClientError) as excinfo:
        apprunner.create_service(**request)
    code, message = error_of(excinfo)
    assert code == "InvalidRequestException"
    assert mentioned in message
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_duplicate_name_is_refused(apprunner):
    name = unique_name("twice")
    create(apprunner, name)
    with pytest.raises(ClientError) as excinfo:
        create(apprunner, name)
    code, message = error_of(excinfo)
    assert code == "InvalidRequestException"
    assert name in message


@pytest.mark.parametrize(
    ("arn", "code"),
    [
        ("not-an-arn", "InvalidRequestException"),
        (
            "arn:aws:apprunner:us-east-1:123456789012:service/nothing/0123456789abcdef0123456789abcdef",
            "ResourceNotFoundException",
        ),
    ],
)
def test_unknown_or_malformed_service_arn(apprunner, arn, code):
    calls = [
        lambda: apprunner.describe_service(ServiceArn=arn),
        lambda: apprunner.update_service(ServiceArn=arn),
        lambda: apprunner.delete_service(ServiceArn=arn),
        lambda: apprunner.pause_service(ServiceArn=arn),
        lambda: apprunner.resume_service(ServiceArn=arn),
        lambda: apprunner.list_operations(ServiceArn=arn),
        lambda: apprunner.describe_custom_domains(ServiceArn=arn),
        lambda: apprunner.associate_custom_domain(ServiceArn=arn, DomainName="x.example.com"),
        lambda: apprunner.disassociate_custom_domain(ServiceArn=arn, DomainName="x.example.com"),
    ]
    for call in calls:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo)[0] == code


# ---------------------------------------------------------------------------------------------------------
# Accounts, regions, seeded ids
# ---------------------------------------------------------------------------------------------------------


def test_regions_are_kept_apart(make_client):
    east, west = make_client("apprunner", "us-east-1"), make_client("apprunner", "eu-west-1")
    name = unique_name("region")
    east_arn = create(east, name)["Service"]["ServiceArn"]
    west_service = create(west, name)["Service"]  # the same name is free in another region

    assert west_service["ServiceArn"].startswith("arn:aws:apprunner:eu-west-1:123456789012:service/")
    assert west_service["ServiceUrl"].endswith(".eu-west-1.awsapprunner.com")
    assert east_arn not in [s["ServiceArn"] for s in west.list_services()["ServiceSummaryList"]]
    assert west_service["ServiceArn"] not in [
        s["ServiceArn"] for s in east.list_services()["ServiceSummaryList"]
    ]
    with pytest.raises(ClientError) as excinfo:
        west.describe_service(ServiceArn=east_arn)
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_accounts_are_kept_apart(apprunner, in_new_account):
    account, other = in_new_account()
    name = unique_name("account")
    mine = create(apprunner, name)["Service"]["ServiceArn"]
    theirs = create(other, name)["Service"]["ServiceArn"]

    assert theirs.startswith(f"arn:aws:apprunner:us-east-1:{account}:service/{name}/")
    assert [s["ServiceArn"] for s in other.list_services()["ServiceSummaryList"]] == [theirs]
    assert theirs not in [s["ServiceArn"] for s in apprunner.list_services()["ServiceSummaryList"]]
    for client, arn in ((other, mine), (apprunner, theirs)):
        with pytest.raises(ClientError) as excinfo:
            client.describe_service(ServiceArn=arn)
        assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_unsupported_region_is_refused(make_client):
    # App Runner has no endpoint in eu-north-1 (botocore's endpoint data); locally the call still arrives.
    client = make_client("apprunner", "eu-north-1")
    with pytest.raises(ClientError) as excinfo:
        client.list_services()
    code, message = error_of(excinfo)
    assert code == "InvalidRequestException"
    assert "eu-north-1" in message


def _seeded_run(api_url, client, polls: int) -> dict[str, str]:
    response = requests.post(f"{api_url}/moto-api/seed", params={"a": 2024}, timeout=HTTP_TIMEOUT)
    response.raise_for_status()
    created = create(client, "seeded")
    arn = created["Service"]["ServiceArn"]
    for _ in range(polls):  # reads in between must not shift later ids
        client.describe_service(ServiceArn=arn)
        client.list_services()
    apprunner_waiter(client, "ServiceRunning").wait(ServiceArn=arn)
    domain = client.associate_custom_domain(ServiceArn=arn, DomainName="seeded.example.com")
    apprunner_waiter(client, "CustomDomainActive", domain_name="seeded.example.com").wait(ServiceArn=arn)
    (described,) = client.describe_custom_domains(ServiceArn=arn)["CustomDomains"]
    paused = client.pause_service(ServiceArn=arn)
    return {
        "ServiceId": created["Service"]["ServiceId"],
        "ServiceUrl": created["Service"]["ServiceUrl"],
        "OperationId": created["OperationId"],
        "AutoScaling": created["Service"]["AutoScalingConfigurationSummary"][
            "AutoScalingConfigurationArn"
        ].rsplit("/", 1)[1],
        "DNSTarget": domain["DNSTarget"],
        "Records": repr(described["CertificateValidationRecords"]),
        "PauseOperationId": paused["OperationId"],
    }


def test_the_same_calls_after_a_reseed_give_the_same_ids(api_url, in_new_account):
    # Fresh accounts, so both runs start from the same (empty) state; STS calls happen before the reseed.
    _, first_client = in_new_account()
    _, second_client = in_new_account()
    first = _seeded_run(api_url, first_client, polls=1)
    second = _seeded_run(api_url, second_client, polls=7)
    assert first == second

    requests.post(f"{api_url}/moto-api/seed", params={"a": 2025}, timeout=HTTP_TIMEOUT).raise_for_status()
    _, third_client = in_new_account()
    assert create(third_client, "seeded")["Service"]["ServiceId"] != first["ServiceId"]
