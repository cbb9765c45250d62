"""The copy-pasteable ECS Express Mode fix (infra/express/): linted, parsed, cross-checked, and run.

* CloudFormation: cfn-lint (as a library) must find nothing; deliberately broken copies must be caught. The
  inline code of the custom resource that revokes the open rules runs against the local backend's EC2.
* Terraform: python-hcl2 parses it (terraform itself downloads from HashiCorp, which is out of reach here).
* The four forms (CloudFormation, Terraform, AWS CLI, boto3) must agree on the values that fix the problem:
  policy IDs, origin TLS versions, read timeout, uncached errors, the function, the CloudFront prefix list
  and the port it opens; and with the App Runner forms on everything CloudFront-side.
* The AWS CLI scripts and the boto3 script run against the local control plane. Whatever touches a security
  group works in an account of its own (STS AssumeRole), so locking a shared load balancer never changes
  what another test sees.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import re
import subprocess
import sys
import types
import uuid
from pathlib import Path

import botocore.session
import hcl2
import pytest
from botocore.validate import ParamValidator
from cfn_lint_support import decode, lint
from cloudfront_support import client_in_account, new_account_id

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra"
EXPRESS = INFRA / "express"
CFN_TEMPLATE = EXPRESS / "cloudformation" / "cloudfront-express.yaml"
TF_DIR = EXPRESS / "terraform"
CLI_SCRIPT = EXPRESS / "cli" / "apply-fix.sh"
LOCK_SCRIPT = EXPRESS / "cli" / "lock-alb.sh"
CLI_CONFIG = EXPRESS / "cli" / "distribution-config.json"
BOTO3_SCRIPT = EXPRESS / "boto3" / "apply_fix.py"
FUNCTION_JS = INFRA / "cloudfront-function" / "forwarded-host.js"
APPRUNNER_CFN = INFRA / "apprunner" / "cloudformation" / "cloudfront-apprunner.yaml"
APPRUNNER_BOTO3 = INFRA / "apprunner" / "boto3" / "apply_fix.py"

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
# The load balancer's idle timeout defaults to 60 s (ELB User Guide for ALBs, "Connection idle timeout");
# 60 s is also the most CloudFront's default quota allows (CF-DG cloudfront-limits.html).
ORIGIN_READ_TIMEOUT = 60
UNCACHED_ERRORS = [{"ErrorCode": code, "ErrorCachingMinTTL": 0} for code in (404, 502, 503, 504)]
# CF-DG LocationsOfEdgeServers.html, "Use the CloudFront managed prefix list".
PREFIX_LIST_NAME = "com.amazonaws.global.cloudfront.origin-facing"

ENDPOINT = "ab-0123456789abcdef0123456789abcdef.ecs.us-east-1.on.aws"
SECRET = "0123456789abcdef0123456789abcdef"


def _cloudfront_model():
    return botocore.session.get_session().get_service_model("cloudfront")


def _validate(operation: str, params: dict) -> str:
    """botocore's own client-side validation (types, required members) for one CloudFront operation."""
    shape = _cloudfront_model().operation_model(operation).input_shape
    report = ParamValidator().validate(params, shape)
    return report.generate_report() if report.has_errors() else ""


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _boto3_script():
    return _load(BOTO3_SCRIPT, "express_apply_fix")


# --- CloudFormation ---------------------------------------------------------------------------------------


def _cfn() -> dict:
    template, errors = decode(str(CFN_TEMPLATE))
    assert not errors, errors
    return template


def _lint_text(tmp_path, text: str) -> list[str]:
    copy_ = tmp_path / "template.yaml"
    copy_.write_text(text)
    return [f"{m.rule.id} {m.message}" for m in lint(copy_)]


def test_cfn_lint_finds_nothing():
    matches = lint(CFN_TEMPLATE)
    assert [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches] == []


def test_cfn_lint_knows_the_express_type_and_its_attributes(tmp_path):
    """Negative controls: cfn-lint (the pinned 1.58.0) checks the resource type's properties and the
    attributes the template reads, so a clean run above means something."""
    text = CFN_TEMPLATE.read_text()
    wrong_attribute = text.replace("!GetAtt Service.Endpoint", "!GetAtt Service.Url", 1)
    assert any(m.startswith("E") and "Url" in m for m in _lint_text(tmp_path, wrong_attribute))
    wrong_property = text.replace("      HealthCheckPath: !Ref HealthCheckPath\n", "      HealthPath: /\n", 1)
    assert any(m.startswith("E") and "HealthPath" in m for m in _lint_text(tmp_path, wrong_property))
    no_role = text.replace("      InfrastructureRoleArn: !Ref InfrastructureRoleArn\n", "", 1)
    assert any("InfrastructureRoleArn" in m for m in _lint_text(tmp_path, no_role))


def test_cfn_template_carries_the_cloudfront_fix():
    resources = _cfn()["Resources"]
    config = resources["Distribution"]["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    assert origin["DomainName"] == {"Fn::GetAtt": ["Service", "Endpoint"]}
    custom = origin["CustomOriginConfig"]
    assert custom["OriginProtocolPolicy"] == "https-only"
    assert custom["OriginSSLProtocols"] == ["TLSv1.2"]
    assert set(custom["OriginSSLProtocols"]) <= set(_cloudfront_model().shape_for("SslProtocol").enum)
    assert custom["OriginReadTimeout"] == ORIGIN_READ_TIMEOUT
    assert origin["OriginCustomHeaders"][0]["HeaderName"] == {"Ref": "OriginSecretHeaderName"}

    mappings = _cfn()["Mappings"]["ManagedPolicies"]
    assert mappings["Cache"] == {"CachingDisabled": CACHING_DISABLED, "CachingOptimized": CACHING_OPTIMIZED}
    assert mappings["OriginRequest"] == {"AllViewerExceptHostHeader": ALL_VIEWER_EXCEPT_HOST_HEADER}
    default = config["DefaultCacheBehavior"]
    assert default["CachePolicyId"] == {"Fn::FindInMap": ["ManagedPolicies", "Cache", "CachingDisabled"]}
    assert default["OriginRequestPolicyId"] == {
        "Fn::FindInMap": ["ManagedPolicies", "OriginRequest", "AllViewerExceptHostHeader"]
    }
    assert default["FunctionAssociations"] == [
        {
            "EventType": "viewer-request",
            "FunctionARN": {"Fn::GetAtt": ["ForwardedHostFunction", "FunctionARN"]},
        }
    ]
    (static,) = config["CacheBehaviors"]
    assert static["CachePolicyId"] == {"Fn::FindInMap": ["ManagedPolicies", "Cache", "CachingOptimized"]}
    assert config["CustomErrorResponses"] == UNCACHED_ERRORS


def test_cfn_inline_function_is_the_shared_js_file():
    function = _cfn()["Resources"]["ForwardedHostFunction"]["Properties"]
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert function["FunctionCode"] == FUNCTION_JS.read_text()


_SG_ARNS = {"Fn::GetAtt": ["Service", "ECSManagedResourceArns.IngressPath.LoadBalancerSecurityGroups"]}


def test_cfn_opens_https_to_the_prefix_list_before_revoking_the_open_rules():
    template = _cfn()
    ingress = template["Resources"]["CloudFrontIngress"]
    assert ingress["Type"] == "AWS::EC2::SecurityGroupIngress"
    props = ingress["Properties"]
    assert (props["IpProtocol"], props["FromPort"], props["ToPort"]) == ("tcp", 443, 443)
    assert props["SourcePrefixListId"] == {"Ref": "CloudFrontPrefixListId"}
    # The sg- ID after the last "/" of the first load balancer security group ARN.
    assert props["GroupId"] == {"Fn::Select": [1, {"Fn::Split": ["/", {"Fn::Select": [0, _SG_ARNS]}]}]}
    revoke = template["Resources"]["RevokeOpenIngress"]
    assert revoke["DependsOn"] == "CloudFrontIngress"
    assert revoke["Properties"]["GroupArn"] == {"Fn::Select": [0, _SG_ARNS]}
    role = template["Resources"]["RevokeOpenIngressRole"]["Properties"]["Policies"][0]["PolicyDocument"]
    assert {s["Action"] for s in role["Statement"]} == {
        "ec2:DescribeSecurityGroups",
        "ec2:RevokeSecurityGroupIngress",
    }


def test_cfn_prefix_list_parameter_takes_an_id_not_a_name():
    """CloudFormation cannot look a prefix list up by name: the parameter's pattern accepts an ID only."""
    parameter = _cfn()["Parameters"]["CloudFrontPrefixListId"]
    pattern = re.compile(parameter["AllowedPattern"])
    assert pattern.match("pl-3b927c52") and pattern.match("pl-0123456789abcdef0")
    assert not pattern.match(PREFIX_LIST_NAME)
    assert PREFIX_LIST_NAME in parameter["Description"]
    assert "describe-managed-prefix-lists" in CFN_TEMPLATE.read_text()


# The custom resource's inline Python, run as Lambda would run it, against the local backend's EC2.


class _CfnResponse:
    """Stands in for the cfnresponse module Lambda provides to inline (ZipFile) Python code."""

    SUCCESS, FAILED = "SUCCESS", "FAILED"

    def __init__(self):
        self.sent: list[tuple] = []

    def send(self, event, context, status, data, physical_id=None):
        self.sent.append((status, data, physical_id))


@pytest.fixture
def revoke_function(monkeypatch, client_env):
    code = _cfn()["Resources"]["RevokeOpenIngressFunction"]["Properties"]["Code"]["ZipFile"]
    response = _CfnResponse()
    monkeypatch.setitem(sys.modules, "cfnresponse", response)
    for name, value in client_env.items():
        monkeypatch.setenv(name, value)
    module = types.ModuleType("revoke_open_ingress")
    exec(compile(code, "index.py", "exec"), module.__dict__)
    return module, response


def _open_group(ec2, prefix_list_id: str | None = None) -> str:
    """A security group shaped like the one Express gives its load balancer: 80 and 443 open to all."""
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    group = ec2.create_security_group(GroupName=f"alb-{uuid.uuid4().hex[:8]}", Description="alb", VpcId=vpc)
    group_id = group["GroupId"]
    permissions = [
        {
            "IpProtocol": "tcp",
            "FromPort": port,
            "ToPort": port,
            "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
        }
        for port in (80, 443)
    ]
    if prefix_list_id:
        permissions.append(
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "PrefixListIds": [{"PrefixListId": prefix_list_id}],
            }
        )
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=permissions)
    return group_id


def _inbound(ec2, group_id: str) -> set[tuple]:
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])
    return {
        (r["FromPort"], r.get("CidrIpv4") or r.get("CidrIpv6") or r.get("PrefixListId"))
        for r in rules["SecurityGroupRules"]
        if not r["IsEgress"]
    }


@pytest.fixture
def account_ec2(make_client, backend):
    return client_in_account(make_client, new_account_id(), "ec2")


def _prefix_list_id(ec2) -> str:
    found = ec2.describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": [PREFIX_LIST_NAME]}]
    )["PrefixLists"]
    assert found, "the local backend has no CloudFront origin-facing prefix list"
    return found[0]["PrefixListId"]


def test_cfn_custom_resource_revokes_only_the_open_rules(revoke_function, account_ec2, monkeypatch):
    module, response = revoke_function
    prefix_list = _prefix_list_id(account_ec2)
    group_id = _open_group(account_ec2, prefix_list)
    # The function's own boto3 client must reach the same account: hand it the test's client.
    monkeypatch.setattr(module.boto3, "client", lambda service: account_ec2)
    arn = f"arn:aws:ec2:us-east-1:123456789012:security-group/{group_id}"
    event = {"RequestType": "Create", "ResourceProperties": {"GroupArn": arn}}
    module.handler(event, None)
    assert response.sent == [("SUCCESS", {"Revoked": 2}, group_id)]
    assert _inbound(account_ec2, group_id) == {(443, prefix_list)}
    # Again (a stack update): nothing left to revoke, still a success.
    module.handler({**event, "RequestType": "Update"}, None)
    assert response.sent[-1] == ("SUCCESS", {"Revoked": 0}, group_id)


def test_cfn_custom_resource_leaves_the_rules_alone_on_delete_and_reports_failures(
    revoke_function, account_ec2, monkeypatch
):
    module, response = revoke_function
    group_id = _open_group(account_ec2)
    monkeypatch.setattr(module.boto3, "client", lambda service: account_ec2)
    before = _inbound(account_ec2, group_id)
    module.handler({"RequestType": "Delete", "ResourceProperties": {"GroupArn": group_id}}, None)
    assert response.sent == [("SUCCESS", {"Revoked": 0}, group_id)]
    assert _inbound(account_ec2, group_id) == before  # positive control: four open rules still there
    assert len(before) == 4
    module.handler(
        {"RequestType": "Create", "ResourceProperties": {"GroupArn": "sg-0000000000000dead"}}, None
    )
    assert response.sent[-1][0] == "FAILED"


# --- Terraform --------------------------------------------------------------------------------------------


def _unquote(value):
    """python-hcl2 keeps the quotes of string literals: '"https-only"' -> 'https-only'."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    return value


def _tf_block(parsed: dict, section: str, kind: str, name: str) -> dict:
    for block in parsed[section]:
        for k, by_name in block.items():
            if _unquote(k) == kind:
                for n, body in by_name.items():
                    if _unquote(n) == name:
                        return body
    raise KeyError(f"{section} {kind}.{name}")


def _tf_main() -> dict:
    with (TF_DIR / "main.tf").open() as f:
        return hcl2.load(f)


@pytest.mark.parametrize("name", ["main.tf", "variables.tf", "outputs.tf", "versions.tf"])
def test_terraform_file_parses(name):
    with (TF_DIR / name).open() as f:
        assert hcl2.load(f)


def test_hcl_parser_rejects_a_broken_copy():
    """Negative control: the real main.tf without its last closing brace must not parse."""
    with pytest.raises(Exception):  # noqa: B017 - lark raises several parse error types
        hcl2.loads((TF_DIR / "main.tf").read_text().rstrip().removesuffix("}"))


def test_terraform_needs_the_provider_that_has_express():
    with (TF_DIR / "versions.tf").open() as f:
        terraform = hcl2.load(f)["terraform"][0]
    aws = terraform["required_providers"][0]["aws"]
    assert _unquote(aws["source"]) == "hashicorp/aws"
    assert _unquote(aws["version"]) == ">= 6.23.0"


def test_terraform_carries_the_fix():
    parsed = _tf_main()
    locals_ = {k: _unquote(v) for block in parsed["locals"] for k, v in block.items()}
    assert locals_["caching_disabled"] == CACHING_DISABLED
    assert locals_["caching_optimized"] == CACHING_OPTIMIZED
    assert locals_["all_viewer_except_host_header"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    assert "aws_ecs_express_gateway_service.app.ingress_paths[0].endpoint" in locals_["endpoint"]

    service = _tf_block(parsed, "resource", "aws_ecs_express_gateway_service", "app")
    assert service["infrastructure_role_arn"] == "${var.infrastructure_role_arn}"
    (container,) = service["primary_container"]
    assert container["image"] == "${var.image}"

    function = _tf_block(parsed, "resource", "aws_cloudfront_function", "forwarded_host")
    assert _unquote(function["runtime"]) == "cloudfront-js-2.0" and function["publish"] is True
    assert "../../cloudfront-function/forwarded-host.js" in function["code"]

    dist = _tf_block(parsed, "resource", "aws_cloudfront_distribution", "this")
    (origin,) = dist["origin"]
    assert origin["domain_name"] == "${local.endpoint}"
    (custom,) = origin["custom_origin_config"]
    assert _unquote(custom["origin_ssl_protocols"]) == ["TLSv1.2"]
    assert _unquote(custom["origin_protocol_policy"]) == "https-only"
    assert custom["origin_read_timeout"] == ORIGIN_READ_TIMEOUT
    (default,) = dist["default_cache_behavior"]
    assert default["cache_policy_id"] == "${local.caching_disabled}"
    assert default["origin_request_policy_id"] == "${local.all_viewer_except_host_header}"
    (assoc,) = default["function_association"]
    assert _unquote(assoc["event_type"]) == "viewer-request"
    (static,) = dist["ordered_cache_behavior"]
    assert static["cache_policy_id"] == "${local.caching_optimized}"
    (dynamic,) = [v for d in dist["dynamic"] for k, v in d.items() if _unquote(k) == "custom_error_response"]
    assert dynamic["for_each"] == [e["ErrorCode"] for e in UNCACHED_ERRORS]
    assert dynamic["content"][0]["error_caching_min_ttl"] == 0


def test_terraform_looks_the_prefix_list_up_and_locks_the_load_balancer_with_the_cli_script():
    parsed = _tf_main()
    prefix_list = _tf_block(parsed, "data", "aws_ec2_managed_prefix_list", "cloudfront")
    assert _unquote(prefix_list["name"]) == PREFIX_LIST_NAME
    lock = _tf_block(parsed, "resource", "terraform_data", "lock_alb")
    (provisioner,) = lock["provisioner"]
    local_exec = {_unquote(k): v for k, v in provisioner.items()}["local-exec"]
    command = _unquote(local_exec["command"])
    assert command == "${path.module}/../cli/lock-alb.sh"
    assert (TF_DIR / command.removeprefix("${path.module}/")).resolve() == LOCK_SCRIPT
    assert local_exec["environment"] == {
        "EXPRESS_SERVICE_ARN": "${aws_ecs_express_gateway_service.app.service_arn}",
        "PREFIX_LIST_ID": "${data.aws_ec2_managed_prefix_list.cloudfront.id}",
    }
    assert "${aws_ecs_express_gateway_service.app.service_revision_arn}" in lock["triggers_replace"]


TF_BROKEN = EXPRESS / "terraform-broken"


@pytest.mark.parametrize("name", ["main.tf", "variables.tf", "versions.tf"])
def test_broken_terraform_file_parses_and_says_it_is_broken_on_purpose(name):
    text = (TF_BROKEN / name).read_text()
    assert hcl2.loads(text) is not None
    assert text.startswith("# BROKEN ON PURPOSE") and "../terraform/" in text[:400]


def test_broken_terraform_is_the_first_attempt_the_post_starts_from():
    with (TF_BROKEN / "main.tf").open() as f:
        parsed = hcl2.load(f)
    dist = _tf_block(parsed, "resource", "aws_cloudfront_distribution", "this")
    (origin,) = dist["origin"]
    assert "aws_ecs_express_gateway_service.app.ingress_paths[0].endpoint" in origin["domain_name"]
    (custom,) = origin["custom_origin_config"]
    assert _unquote(custom["origin_ssl_protocols"]) == ["TLSv1"]
    assert "origin_read_timeout" not in custom and "custom_header" not in origin
    assert "custom_error_response" not in dist and "dynamic" not in dist
    (default,) = dist["default_cache_behavior"]
    assert "all_viewer" in default["origin_request_policy_id"] and "function_association" not in default
    orp = _tf_block(parsed, "data", "aws_cloudfront_origin_request_policy", "all_viewer")
    assert _unquote(orp["name"]) == "Managed-AllViewer"
    # Nothing locks the load balancer: no prefix list lookup, no lock script.
    code = "\n".join(line for line in (TF_BROKEN / "main.tf").read_text().splitlines()
                     if not line.lstrip().startswith("#"))
    assert "terraform_data" not in code and "aws_ec2_managed_prefix_list" not in code
    # Positive control: the fixed folder locks it.
    assert _tf_block(_tf_main(), "resource", "terraform_data", "lock_alb")


def test_broken_terraform_variables_are_a_subset_of_the_fixed_ones():
    with (TF_BROKEN / "variables.tf").open() as f:
        broken = {_unquote(k) for block in hcl2.load(f)["variable"] for k in block}
    with (TF_DIR / "variables.tf").open() as f:
        fixed = {_unquote(k) for block in hcl2.load(f)["variable"] for k in block}
    assert broken <= fixed and "origin_secret" not in broken


def test_terraform_variables_mark_the_secret_sensitive():
    with (TF_DIR / "variables.tf").open() as f:
        variables = {_unquote(k): v for block in hcl2.load(f)["variable"] for k, v in block.items()}
    assert variables["origin_secret"]["sensitive"] is True
    assert {"image", "execution_role_arn", "infrastructure_role_arn"} <= set(variables)


# --- AWS CLI input and scripts, no backend ----------------------------------------------------------------


def _filled_cli_config(function_arn="arn:aws:cloudfront::123456789012:function/forwarded-host") -> dict:
    text = (
        CLI_CONFIG.read_text()
        .replace("@CALLER_REFERENCE@", "test")
        .replace("@EXPRESS_ENDPOINT@", ENDPOINT)
        .replace("@SECRET_HEADER@", "X-Origin-Secret")
        .replace("@ORIGIN_SECRET@", SECRET)
        .replace("@FUNCTION_ARN@", function_arn)
    )
    assert "@" not in text.replace(function_arn, ""), "a placeholder is left"
    return json.loads(text)


def test_cli_distribution_config_passes_botocore_validation_and_carries_the_fix():
    config = _filled_cli_config()
    assert _validate("CreateDistribution", {"DistributionConfig": config}) == ""
    origin = config["Origins"]["Items"][0]
    assert origin["DomainName"] == ENDPOINT
    custom = origin["CustomOriginConfig"]
    assert custom["OriginSslProtocols"]["Items"] == ["TLSv1.2"]
    assert custom["OriginReadTimeout"] == ORIGIN_READ_TIMEOUT
    default = config["DefaultCacheBehavior"]
    assert (default["CachePolicyId"], default["OriginRequestPolicyId"]) == (
        CACHING_DISABLED,
        ALL_VIEWER_EXCEPT_HOST_HEADER,
    )
    assert config["CacheBehaviors"]["Items"][0]["CachePolicyId"] == CACHING_OPTIMIZED
    assert config["CustomErrorResponses"]["Items"] == UNCACHED_ERRORS


def test_cli_distribution_config_validation_catches_a_broken_copy():
    """Negative control: botocore's validation refuses a config missing a required member."""
    config = _filled_cli_config()
    del config["Origins"]["Items"][0]["CustomOriginConfig"]["OriginProtocolPolicy"]
    assert "OriginProtocolPolicy" in _validate("CreateDistribution", {"DistributionConfig": config})


@pytest.mark.parametrize("script", [CLI_SCRIPT, LOCK_SCRIPT], ids=lambda p: p.name)
def test_cli_scripts_are_valid_bash(script):
    subprocess.run(["bash", "-n", str(script)], check=True, timeout=10)
    assert os.access(script, os.X_OK)  # terraform's local-exec runs lock-alb.sh directly


def _reader_env(client_env: dict) -> dict:
    """A shell as the reader has it after `eval "$(hostlab env)"`: nothing of this process's AWS or proxy
    settings, no ~/.aws files."""
    dropped = ("AWS_", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(dropped)}
    env.update(client_env)
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull, AWS_PAGER="")
    aws = Path(sys.executable).parent / "aws"
    env["PATH"] = f"{aws.parent}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.mark.parametrize("script", [CLI_SCRIPT, LOCK_SCRIPT], ids=lambda p: p.name)
def test_cli_scripts_refuse_unsafe_values(script):
    # Nothing listens on this endpoint: the scripts must stop before they call AWS at all.
    env = _reader_env({"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_DEFAULT_REGION": "us-east-1"})
    env.update(
        EXPRESS_SERVICE_ARN="arn:aws:ecs:us-east-1:123456789012:service/default/x;rm", ORIGIN_SECRET=SECRET
    )
    run = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=30)
    assert run.returncode == 2 and "unsafe" in run.stderr


# --- boto3, no backend ------------------------------------------------------------------------------------


def _broken_distribution_config(domain: str = ENDPOINT) -> dict:
    """The configuration the Express story starts from: AllViewer (Host forwarded), TLSv1 only."""
    return {
        "CallerReference": f"broken-{uuid.uuid4().hex[:8]}",
        "Comment": "broken on purpose",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "express",
                    "DomainName": domain,
                    "CustomOriginConfig": {
                        "HTTPPort": 80,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "match-viewer",
                        "OriginSslProtocols": {"Quantity": 1, "Items": ["TLSv1"]},
                    },
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "express",
            "ViewerProtocolPolicy": "allow-all",
            "CachePolicyId": CACHING_OPTIMIZED,
            "OriginRequestPolicyId": ALL_VIEWER,
        },
    }


def test_boto3_fixed_config_applies_every_fix_and_leaves_input_alone():
    script = _boto3_script()
    broken = _broken_distribution_config()
    before = copy.deepcopy(broken)
    arn = "arn:aws:cloudfront::123456789012:function/forwarded-host"
    fixed = script.fixed_config(broken, function_arn=arn, origin_secret=SECRET)
    assert broken == before
    custom = fixed["Origins"]["Items"][0]["CustomOriginConfig"]
    assert custom["OriginProtocolPolicy"] == "https-only"
    assert custom["OriginSslProtocols"] == {"Quantity": 1, "Items": ["TLSv1.2"]}
    assert custom["OriginReadTimeout"] == ORIGIN_READ_TIMEOUT
    default = fixed["DefaultCacheBehavior"]
    assert (default["CachePolicyId"], default["OriginRequestPolicyId"]) == (
        CACHING_DISABLED,
        ALL_VIEWER_EXCEPT_HOST_HEADER,
    )
    assert default["FunctionAssociations"]["Items"] == [{"EventType": "viewer-request", "FunctionARN": arn}]
    assert fixed["CustomErrorResponses"]["Items"] == UNCACHED_ERRORS
    assert _validate("UpdateDistribution", {"Id": "E1", "IfMatch": "E1", "DistributionConfig": fixed}) == ""
    assert script.fixed_config(fixed, function_arn=arn, origin_secret=SECRET) == fixed  # idempotent


@pytest.mark.parametrize(
    "domain",
    [
        "abcdefghij.us-east-1.awsapprunner.com",
        "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws",  # also *.on.aws, not Express
    ],
)
def test_boto3_fixed_config_refuses_a_distribution_without_express(domain):
    script = _boto3_script()
    with pytest.raises(ValueError, match="ECS Express endpoint"):
        script.fixed_config(_broken_distribution_config(domain), function_arn="arn:x", origin_secret=SECRET)


def test_boto3_lock_allows_cloudfront_then_revokes_the_open_rules(account_ec2):
    """Against the local backend's EC2 only: a group shaped like Express's, locked twice."""
    script = _boto3_script()
    group_id = _open_group(account_ec2)
    prefix_list = script.cloudfront_prefix_list(account_ec2)
    assert prefix_list == _prefix_list_id(account_ec2)
    assert len(_inbound(account_ec2, group_id)) == 4  # positive control: the group starts open
    assert script.lock_security_group(account_ec2, group_id, prefix_list) == 4
    assert _inbound(account_ec2, group_id) == {(443, prefix_list)}
    assert script.lock_security_group(account_ec2, group_id, prefix_list) == 0
    assert _inbound(account_ec2, group_id) == {(443, prefix_list)}  # no second prefix-list rule


# --- the four forms agree ---------------------------------------------------------------------------------


def test_all_four_forms_use_the_same_values():
    script = _boto3_script()
    assert (script.CACHING_DISABLED, script.CACHING_OPTIMIZED, script.ALL_VIEWER_EXCEPT_HOST_HEADER) == (
        CACHING_DISABLED,
        CACHING_OPTIMIZED,
        ALL_VIEWER_EXCEPT_HOST_HEADER,
    )
    assert script.ORIGIN_READ_TIMEOUT == ORIGIN_READ_TIMEOUT
    assert list(script.UNCACHED_ERRORS) == [e["ErrorCode"] for e in UNCACHED_ERRORS]
    assert script.CLOUDFRONT_PREFIX_LIST == PREFIX_LIST_NAME and script.HTTPS == 443
    for path in (CFN_TEMPLATE, TF_DIR / "main.tf", CLI_CONFIG):
        text = path.read_text()
        for policy_id in (CACHING_DISABLED, CACHING_OPTIMIZED, ALL_VIEWER_EXCEPT_HOST_HEADER):
            assert policy_id in text, f"{policy_id} missing from {path.name}"
        assert ALL_VIEWER not in text, f"{path.name} uses AllViewer, which forwards Host"
    for path in (CFN_TEMPLATE, TF_DIR / "main.tf", LOCK_SCRIPT, BOTO3_SCRIPT):
        assert PREFIX_LIST_NAME in path.read_text(), path.name
    lock = LOCK_SCRIPT.read_text()
    assert "FromPort=443,ToPort=443" in lock and "0.0.0.0/0" in lock and "::/0" in lock


def test_express_and_app_runner_forms_agree_on_the_cloudfront_side():
    express, apprunner = _boto3_script(), _load(APPRUNNER_BOTO3, "apprunner_apply_fix")
    for name in (
        "CACHING_DISABLED",
        "CACHING_OPTIMIZED",
        "ALL_VIEWER_EXCEPT_HOST_HEADER",
        "ORIGIN_READ_TIMEOUT",
        "UNCACHED_ERRORS",
    ):
        assert getattr(express, name) == getattr(apprunner, name), name
    assert express.FUNCTION_SOURCE == apprunner.FUNCTION_SOURCE == FUNCTION_JS
    app_runner_template, _ = decode(str(APPRUNNER_CFN))
    assert (
        app_runner_template["Resources"]["ForwardedHostFunction"]["Properties"]["FunctionCode"]
        == _cfn()["Resources"]["ForwardedHostFunction"]["Properties"]["FunctionCode"]
    )


# --- the CLI and boto3 scripts against the local Express control plane ------------------------------------


def _express_control_plane_missing() -> str:
    if importlib.util.find_spec("hostlab.local.platforms.express") is None:
        return (
            "needs the local ECS Express control plane (CreateExpressGatewayService, "
            "DescribeServiceRevisions with ecsManagedResources: hostlab.local.platforms.express from "
            "branch express-cp), not merged here"
        )
    return ""


needs_express = pytest.mark.skipif(
    bool(_express_control_plane_missing()), reason=_express_control_plane_missing()
)

TRUST = json.dumps({"Version": "2012-10-17", "Statement": []})


class ExpressAccount:
    """ECS, EC2, IAM and CloudFront clients of a fresh account, its credentials, and one Express service."""

    def __init__(self, make_client):
        self.id = new_account_id()
        sts = make_client("sts")
        self.credentials = sts.assume_role(
            RoleArn=f"arn:aws:iam::{self.id}:role/hostlab-tests", RoleSessionName="hostlab-tests"
        )["Credentials"]
        for service in ("ecs", "ec2", "iam", "cloudfront"):
            setattr(self, service, client_in_account(make_client, self.id, service))

    def env(self) -> dict:
        return {
            "AWS_ACCESS_KEY_ID": self.credentials["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": self.credentials["SecretAccessKey"],
            "AWS_SESSION_TOKEN": self.credentials["SessionToken"],
        }

    def _role(self, name: str) -> str:
        return self.iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]

    def create_service(self) -> dict:
        from hostlab.app import HEALTH_CHECK_PATH, IMAGE, PORT

        service = self.ecs.create_express_gateway_service(
            serviceName=f"svc-{uuid.uuid4().hex[:8]}",
            infrastructureRoleArn=self._role("ecsInfrastructureRoleForExpressServices"),
            executionRoleArn=self._role("ecsTaskExecutionRole"),
            healthCheckPath=HEALTH_CHECK_PATH,
            primaryContainer={"image": IMAGE, "containerPort": PORT},
        )["service"]
        return service

    def alb_group(self, service: dict) -> str:
        revision = service["activeConfigurations"][0]["serviceRevisionArn"]
        (described,) = self.ecs.describe_service_revisions(serviceRevisionArns=[revision])["serviceRevisions"]
        (path,) = described["ecsManagedResources"]["ingressPaths"]
        return path["loadBalancerSecurityGroups"][0]["arn"].rsplit("/", 1)[-1]


@pytest.fixture
def express_account(make_client, backend):
    return ExpressAccount(make_client)


# Each `aws` command is a Python process (about half a second, more on a loaded machine): these run a dozen.
CLI_TEST_TIMEOUT = 300


@needs_express
@pytest.mark.timeout(CLI_TEST_TIMEOUT)
def test_cli_script_creates_the_fixed_distribution_and_locks_the_alb(express_account, client_env):
    service = express_account.create_service()
    endpoint = service["activeConfigurations"][0]["ingressPaths"][0]["endpoint"]
    group_id = express_account.alb_group(service)
    assert any(cidr == "0.0.0.0/0" for _, cidr in _inbound(express_account.ec2, group_id))  # open at first

    env = {**_reader_env(client_env), **express_account.env()}
    env.update(
        EXPRESS_SERVICE_ARN=service["serviceArn"], ORIGIN_SECRET=SECRET, FUNCTION_NAME="fh-express-cli"
    )
    run = subprocess.run(["bash", str(CLI_SCRIPT)], env=env, capture_output=True, text=True, timeout=240)
    assert run.returncode == 0, run.stderr
    distribution_id, domain, locked = run.stdout.split()
    assert domain.endswith(".cloudfront.net") and locked == group_id

    config = express_account.cloudfront.get_distribution_config(Id=distribution_id)["DistributionConfig"]
    origin = config["Origins"]["Items"][0]
    assert origin["DomainName"] == endpoint
    assert origin["CustomOriginConfig"]["OriginSslProtocols"]["Items"] == ["TLSv1.2"]
    assert origin["CustomHeaders"]["Items"] == [{"HeaderName": "X-Origin-Secret", "HeaderValue": SECRET}]
    assert config["DefaultCacheBehavior"]["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    (assoc,) = config["DefaultCacheBehavior"]["FunctionAssociations"]["Items"]
    live = express_account.cloudfront.describe_function(Name="fh-express-cli", Stage="LIVE")
    assert assoc["FunctionARN"] == live["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]
    assert _inbound(express_account.ec2, group_id) == {(443, _prefix_list_id(express_account.ec2))}


@needs_express
@pytest.mark.timeout(CLI_TEST_TIMEOUT)
def test_cli_lock_script_is_idempotent_and_takes_a_given_prefix_list(express_account, client_env):
    service = express_account.create_service()
    group_id = express_account.alb_group(service)
    prefix_list = _prefix_list_id(express_account.ec2)
    env = {**_reader_env(client_env), **express_account.env()}
    env.update(EXPRESS_SERVICE_ARN=service["serviceArn"], PREFIX_LIST_ID=prefix_list)
    for _ in range(2):
        run = subprocess.run(["bash", str(LOCK_SCRIPT)], env=env, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        assert run.stdout.split() == [group_id]
        assert _inbound(express_account.ec2, group_id) == {(443, prefix_list)}


@needs_express
def test_boto3_script_fixes_an_existing_distribution_and_locks_the_alb(express_account):
    service = express_account.create_service()
    endpoint = service["activeConfigurations"][0]["ingressPaths"][0]["endpoint"]
    cloudfront = express_account.cloudfront
    created = cloudfront.create_distribution(DistributionConfig=_broken_distribution_config(endpoint))
    distribution_id = created["Distribution"]["Id"]
    script = _boto3_script()
    script.apply_fix(cloudfront, distribution_id, origin_secret=SECRET, function_name="fh-express-boto3")
    config = cloudfront.get_distribution_config(Id=distribution_id)["DistributionConfig"]
    assert config["Origins"]["Items"][0]["CustomOriginConfig"]["OriginSslProtocols"]["Items"] == ["TLSv1.2"]
    assert config["DefaultCacheBehavior"]["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    assert config["CustomErrorResponses"]["Items"] == UNCACHED_ERRORS

    group_id = express_account.alb_group(service)
    assert script.load_balancer_security_groups(express_account.ecs, service["serviceArn"]) == [group_id]
    assert script.lock_load_balancer(express_account.ecs, express_account.ec2, service["serviceArn"]) == {
        group_id: 4
    }
    assert _inbound(express_account.ec2, group_id) == {(443, _prefix_list_id(express_account.ec2))}
