"""The copy-pasteable App Runner fix of the post (infra/apprunner/, and the CloudFront Function in
infra/cloudfront-function/ that both platforms share): linted, parsed, cross-checked, and run.
The Express Mode forms (infra/express/) are tested in tests/test_infra_express.py.

* CloudFormation: cfn-lint (as a library) must find nothing; a deliberately broken copy must be caught.
* Terraform: python-hcl2 parses it (terraform itself downloads from HashiCorp, which is out of reach here).
* The four forms (CloudFormation, Terraform, AWS CLI JSON, boto3) must agree on the values that fix the
  problem: policy IDs, origin TLS versions, secret header, function association.
* The CloudFront Function runs on CloudFront-shaped events in the project's own functions runtime
  (hostlab.local.functions.runtime: QuickJS with CloudFront's restrictions), the one the local edge and
  TestFunction use.
* The AWS CLI script and the boto3 script run against the local control plane (tests/conftest.py api_url).
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import botocore.session
import hcl2
import pytest
from botocore.validate import ParamValidator
from cfn_lint_support import decode, lint

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra"
APPRUNNER = INFRA / "apprunner"
CFN_TEMPLATE = APPRUNNER / "cloudformation" / "cloudfront-apprunner.yaml"
TF_DIR = APPRUNNER / "terraform"
CLI_SCRIPT = APPRUNNER / "cli" / "apply-fix.sh"
CLI_CONFIG = APPRUNNER / "cli" / "distribution-config.json"
FUNCTION_JS = INFRA / "cloudfront-function" / "forwarded-host.js"
BOTO3_SCRIPT = APPRUNNER / "boto3" / "apply_fix.py"

CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
# App Runner's request timeout is 120 s (AR-DG develop.html), CloudFront's default read timeout 30 s: the
# fix raises it to 60 s, the most the default quota allows (CF-DG cloudfront-limits.html).
ORIGIN_READ_TIMEOUT = 60
# 404 and the 5xx CloudFront produces or passes on are cached 10 s by default (CF-DG HTTPStatusCodes.html);
# the fix caches none of them.
UNCACHED_ERRORS = [{"ErrorCode": code, "ErrorCachingMinTTL": 0} for code in (404, 502, 503, 504)]

APP_DOMAIN = "abcdefghij.us-east-1.awsapprunner.com"
SECRET = "0123456789abcdef0123456789abcdef"


def _cloudfront_model():
    return botocore.session.get_session().get_service_model("cloudfront")


def _validate(operation: str, params: dict) -> str:
    """botocore's own client-side validation (types, required members) for one CloudFront operation."""
    shape = _cloudfront_model().operation_model(operation).input_shape
    report = ParamValidator().validate(params, shape)
    return report.generate_report() if report.has_errors() else ""


def _load_boto3_script():
    spec = importlib.util.spec_from_file_location("apply_fix", BOTO3_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- CloudFormation ---


def _cfn():
    template, errors = decode(str(CFN_TEMPLATE))
    assert not errors, errors
    return template


def test_cfn_lint_finds_nothing():
    matches = lint(CFN_TEMPLATE)
    assert [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches] == []


def test_cfn_lint_is_wired_to_catch_a_broken_copy(tmp_path):
    """Negative control: the same call must report an error when the template is wrong."""
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        CFN_TEMPLATE.read_text().replace("Runtime: cloudfront-js-2.0", "Runtime: cloudfront-js-9")
    )
    matches = lint(broken)
    assert any(m.rule.id.startswith("E") and "cloudfront-js-9" in m.message for m in matches)


def test_cfn_lint_does_not_check_origin_ssl_protocol_names(tmp_path):
    """The post says cfn-lint will not catch a wrong OriginSSLProtocols item: keep that claim true."""
    wrong = tmp_path / "wrong-protocol.yaml"
    wrong.write_text(CFN_TEMPLATE.read_text().replace("- TLSv1.2\n", "- TLSv1.3\n", 1))
    assert lint(wrong) == []


def test_cloudformation_schema_default_for_origin_ssl_protocols_is_tlsv1_sslv3():
    """The post's table cites this default; read it from cfn-lint's copy of the registry schema."""
    from cfnlint.schema.manager import PROVIDER_SCHEMA_MANAGER

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", "AWS::CloudFront::Distribution")
    prop = schema.schema["definitions"]["CustomOriginConfig"]["properties"]["OriginSSLProtocols"]
    assert prop["default"] == ["TLSv1", "SSLv3"]


def test_cfn_template_carries_the_fix():
    resources = _cfn()["Resources"]
    config = resources["Distribution"]["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    custom = origin["CustomOriginConfig"]
    assert custom["OriginProtocolPolicy"] == "https-only"
    assert custom["OriginSSLProtocols"] == ["TLSv1.2"]
    allowed = set(_cloudfront_model().shape_for("SslProtocol").enum)
    assert set(custom["OriginSSLProtocols"]) <= allowed  # the check cfn-lint does not do
    assert origin["OriginCustomHeaders"][0]["HeaderName"] == {"Ref": "OriginSecretHeaderName"}

    mappings = _cfn()["Mappings"]["ManagedPolicies"]
    assert mappings["Cache"]["CachingDisabled"] == CACHING_DISABLED
    assert mappings["Cache"]["CachingOptimized"] == CACHING_OPTIMIZED
    assert mappings["OriginRequest"]["AllViewerExceptHostHeader"] == ALL_VIEWER_EXCEPT_HOST_HEADER

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
    assert "OriginRequestPolicyId" not in static
    assert config["CustomErrorResponses"] == UNCACHED_ERRORS
    assert custom["OriginReadTimeout"] == ORIGIN_READ_TIMEOUT


def test_cfn_inline_function_is_the_js_file():
    function = _cfn()["Resources"]["ForwardedHostFunction"]["Properties"]
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert function["FunctionCode"] == FUNCTION_JS.read_text()


# --- the broken CloudFormation templates (the notebooks' first attempt, for `hostlab check`) ---

BROKEN_CFN = [
    APPRUNNER / "cloudformation" / "cloudfront-apprunner-broken.yaml",
    INFRA / "express" / "cloudformation" / "cloudfront-express-broken.yaml",
]


@pytest.mark.parametrize("template", BROKEN_CFN, ids=lambda p: p.name)
def test_broken_cfn_templates_lint_clean(template):
    """Broken in behaviour, not in schema: cfn-lint accepts them (which is the post's point)."""
    matches = lint(template)
    assert [f"{m.rule.id} {m.message} (line {m.linenumber})" for m in matches] == []


@pytest.mark.parametrize("template", BROKEN_CFN, ids=lambda p: p.name)
def test_broken_cfn_templates_are_the_notebooks_first_attempt(template):
    """Notebooks 02 and 12 start from AllViewer + CachingOptimized, 404s cached 600 s, the default viewer
    certificate; in CloudFormation OriginSSLProtocols and the timeouts left out (the schema's defaults)."""
    text = template.read_text()
    assert "BROKEN ON PURPOSE" in text.split("Parameters:")[0]
    fixed = template.with_name(template.name.replace("-broken", ""))
    assert fixed.name in text and fixed.exists()
    template_doc, errors = decode(str(template))
    assert not errors, errors
    config = template_doc["Resources"]["Distribution"]["Properties"]["DistributionConfig"]
    (origin,) = config["Origins"]
    custom = origin["CustomOriginConfig"]
    assert custom["OriginProtocolPolicy"] == "https-only"
    for left_out in ("OriginSSLProtocols", "OriginReadTimeout", "OriginKeepaliveTimeout"):
        assert left_out not in custom
    assert "OriginCustomHeaders" not in origin
    mappings = template_doc["Mappings"]["ManagedPolicies"]
    assert mappings["Cache"]["CachingOptimized"] == CACHING_OPTIMIZED
    assert mappings["OriginRequest"]["AllViewer"] == ALL_VIEWER
    default = config["DefaultCacheBehavior"]
    assert default["CachePolicyId"] == {"Fn::FindInMap": ["ManagedPolicies", "Cache", "CachingOptimized"]}
    all_viewer = {"Fn::FindInMap": ["ManagedPolicies", "OriginRequest", "AllViewer"]}
    assert default["OriginRequestPolicyId"] == all_viewer
    assert default["AllowedMethods"] == default["CachedMethods"] == ["GET", "HEAD"]
    assert "FunctionAssociations" not in default and "CacheBehaviors" not in config
    assert config["CustomErrorResponses"] == [{"ErrorCode": 404, "ErrorCachingMinTTL": 600}]
    assert config["ViewerCertificate"] == {"CloudFrontDefaultCertificate": True}


# --- Terraform ---


def _unquote(value):
    """python-hcl2 keeps the quotes of string literals: '"https-only"' -> 'https-only'."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    return value


def _tf_resource(parsed: dict, kind: str, name: str) -> dict:
    for block in parsed["resource"]:
        for k, by_name in block.items():
            if _unquote(k) == kind:
                for n, body in by_name.items():
                    if _unquote(n) == name:
                        return body
    raise KeyError(f"{kind}.{name}")


@pytest.mark.parametrize("name", ["main.tf", "variables.tf", "outputs.tf", "versions.tf"])
def test_terraform_file_parses(name):
    with (TF_DIR / name).open() as f:
        assert hcl2.load(f)


def test_hcl_parser_rejects_broken_syntax():
    """Negative control: a missing closing brace must not parse."""
    with pytest.raises(Exception):  # noqa: B017 - lark raises several parse error types
        hcl2.loads('resource "a" "b" {\n  x = 1\n')


def test_terraform_carries_the_fix():
    with (TF_DIR / "main.tf").open() as f:
        parsed = hcl2.load(f)
    locals_ = {k: _unquote(v) for block in parsed["locals"] for k, v in block.items()}
    assert locals_["caching_disabled"] == CACHING_DISABLED
    assert locals_["caching_optimized"] == CACHING_OPTIMIZED
    assert locals_["all_viewer_except_host_header"] == ALL_VIEWER_EXCEPT_HOST_HEADER

    function = _tf_resource(parsed, "aws_cloudfront_function", "forwarded_host")
    assert _unquote(function["runtime"]) == "cloudfront-js-2.0"
    assert function["publish"] is True
    assert "forwarded-host.js" in function["code"]

    dist = _tf_resource(parsed, "aws_cloudfront_distribution", "this")
    (origin,) = dist["origin"]
    (custom,) = origin["custom_origin_config"]
    # origin_ssl_protocols, http_port and https_port are required by the provider (no defaults).
    assert _unquote(custom["origin_ssl_protocols"]) == ["TLSv1.2"]
    assert custom["http_port"] == 80 and custom["https_port"] == 443
    assert _unquote(custom["origin_protocol_policy"]) == "https-only"
    assert origin["custom_header"][0]["value"] == "${var.origin_secret}"

    (default,) = dist["default_cache_behavior"]
    assert default["cache_policy_id"] == "${local.caching_disabled}"
    assert default["origin_request_policy_id"] == "${local.all_viewer_except_host_header}"
    (assoc,) = default["function_association"]
    assert _unquote(assoc["event_type"]) == "viewer-request"
    (static,) = dist["ordered_cache_behavior"]
    assert static["cache_policy_id"] == "${local.caching_optimized}"
    assert custom["origin_read_timeout"] == ORIGIN_READ_TIMEOUT
    # One dynamic block over the error codes, each with a caching time of 0.
    (dynamic,) = [v for d in dist["dynamic"] for k, v in d.items() if _unquote(k) == "custom_error_response"]
    assert dynamic["for_each"] == [e["ErrorCode"] for e in UNCACHED_ERRORS]
    (content,) = dynamic["content"]
    assert content["error_code"] == "${custom_error_response.value}"
    assert content["error_caching_min_ttl"] == 0
    (cert,) = dist["viewer_certificate"]
    assert "TLSv1" in cert["minimum_protocol_version"]  # the only value allowed with the default certificate


def test_terraform_variables_mark_the_secret_sensitive():
    with (TF_DIR / "variables.tf").open() as f:
        variables = {_unquote(k): v for block in hcl2.load(f)["variable"] for k, v in block.items()}
    assert variables["origin_secret"]["sensitive"] is True
    assert _unquote(variables["origin_secret_header_name"]["default"]) == "X-Origin-Secret"


# --- Terraform, the naive first attempt (infra/apprunner/terraform-broken/, broken on purpose) ---

TF_BROKEN = APPRUNNER / "terraform-broken"


@pytest.mark.parametrize("name", ["main.tf", "variables.tf", "versions.tf"])
def test_broken_terraform_file_parses_and_says_it_is_broken_on_purpose(name):
    text = (TF_BROKEN / name).read_text()
    assert hcl2.loads(text) is not None
    assert text.startswith("# BROKEN ON PURPOSE")
    assert "../terraform/" in text[:400]


def test_broken_terraform_is_the_first_attempt_the_post_starts_from():
    with (TF_BROKEN / "main.tf").open() as f:
        parsed = hcl2.load(f)
    data = {(_unquote(kind), _unquote(name)): body for block in parsed["data"]
            for kind, by_name in block.items() for name, body in by_name.items()}
    orp = data[("aws_cloudfront_origin_request_policy", "all_viewer")]
    assert _unquote(orp["name"]) == "Managed-AllViewer"
    cache = data[("aws_cloudfront_cache_policy", "caching_optimized")]
    assert _unquote(cache["name"]) == "Managed-CachingOptimized"
    dist = _tf_resource(parsed, "aws_cloudfront_distribution", "this")
    (origin,) = dist["origin"]
    (custom,) = origin["custom_origin_config"]
    assert _unquote(custom["origin_ssl_protocols"]) == ["TLSv1"]
    assert "origin_read_timeout" not in custom  # the provider's default, 30 s
    assert "custom_header" not in origin
    assert "custom_error_response" not in dist and "dynamic" not in dist
    (default,) = dist["default_cache_behavior"]
    assert "caching_optimized" in default["cache_policy_id"]
    assert "all_viewer" in default["origin_request_policy_id"]
    assert "function_association" not in default
    # Positive control: the fixed folder has each of these.
    with (TF_DIR / "main.tf").open() as f:
        fixed = _tf_resource(hcl2.load(f), "aws_cloudfront_distribution", "this")
    assert "custom_header" in fixed["origin"][0] and "dynamic" in fixed


def test_broken_terraform_variables_are_the_fixed_ones_needed():
    with (TF_BROKEN / "variables.tf").open() as f:
        broken = {_unquote(k) for block in hcl2.load(f)["variable"] for k in block}
    with (TF_DIR / "variables.tf").open() as f:
        fixed = {_unquote(k) for block in hcl2.load(f)["variable"] for k in block}
    assert broken == {"apprunner_service_domain"} and broken <= fixed
    assert (TF_BROKEN / "versions.tf").read_text().endswith((TF_DIR / "versions.tf").read_text())


# --- AWS CLI JSON input ---


def _filled_cli_config(function_arn="arn:aws:cloudfront::123456789012:function/forwarded-host") -> dict:
    text = (
        CLI_CONFIG.read_text()
        .replace("@CALLER_REFERENCE@", "test")
        .replace("@APP_RUNNER_DOMAIN@", APP_DOMAIN)
        .replace("@SECRET_HEADER@", "X-Origin-Secret")
        .replace("@ORIGIN_SECRET@", SECRET)
        .replace("@FUNCTION_ARN@", function_arn)
    )
    assert "@" not in text.replace(function_arn, ""), "a placeholder is left"
    return json.loads(text)


def test_cli_distribution_config_passes_botocore_validation():
    assert _validate("CreateDistribution", {"DistributionConfig": _filled_cli_config()}) == ""


def test_cli_distribution_config_carries_the_fix():
    config = _filled_cli_config()
    custom = config["Origins"]["Items"][0]["CustomOriginConfig"]
    assert custom["OriginSslProtocols"]["Items"] == ["TLSv1.2"]
    default = config["DefaultCacheBehavior"]
    assert default["CachePolicyId"] == CACHING_DISABLED
    assert default["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    assert config["CacheBehaviors"]["Items"][0]["CachePolicyId"] == CACHING_OPTIMIZED
    assert custom["OriginReadTimeout"] == ORIGIN_READ_TIMEOUT
    assert config["CustomErrorResponses"]["Items"] == UNCACHED_ERRORS
    for listed in (
        config["Origins"],
        default["AllowedMethods"],
        default["FunctionAssociations"],
        config["CustomErrorResponses"],
    ):
        assert listed["Quantity"] == len(listed["Items"])


def test_cli_script_is_valid_bash():
    subprocess.run(["bash", "-n", str(CLI_SCRIPT)], check=True, timeout=10)


# --- boto3, no backend ---


def _broken_distribution_config() -> dict:
    """The configuration the post starts from: AllViewer, legacy TTLs, TLSv1 only."""
    return {
        "CallerReference": "broken",
        "Comment": "broken on purpose",
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "apprunner",
                    "DomainName": APP_DOMAIN,
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
            "TargetOriginId": "apprunner",
            "ViewerProtocolPolicy": "allow-all",
            "CachePolicyId": CACHING_OPTIMIZED,
            "OriginRequestPolicyId": ALL_VIEWER,
        },
    }


def test_boto3_fixed_config_applies_every_fix_and_leaves_input_alone():
    script = _load_boto3_script()
    broken = _broken_distribution_config()
    before = copy.deepcopy(broken)
    arn = "arn:aws:cloudfront::123456789012:function/forwarded-host"
    fixed = script.fixed_config(broken, function_arn=arn, origin_secret=SECRET)
    assert broken == before

    custom = fixed["Origins"]["Items"][0]["CustomOriginConfig"]
    assert custom["OriginProtocolPolicy"] == "https-only"
    assert custom["OriginSslProtocols"] == {"Quantity": 1, "Items": ["TLSv1.2"]}
    assert fixed["Origins"]["Items"][0]["CustomHeaders"]["Items"] == [
        {"HeaderName": "X-Origin-Secret", "HeaderValue": SECRET}
    ]
    default = fixed["DefaultCacheBehavior"]
    assert (default["CachePolicyId"], default["OriginRequestPolicyId"]) == (
        CACHING_DISABLED,
        ALL_VIEWER_EXCEPT_HOST_HEADER,
    )
    assert default["FunctionAssociations"]["Items"] == [{"EventType": "viewer-request", "FunctionARN": arn}]
    assert [b["PathPattern"] for b in fixed["CacheBehaviors"]["Items"]] == ["/static/*"]
    assert fixed["CustomErrorResponses"]["Items"] == UNCACHED_ERRORS
    assert custom["OriginReadTimeout"] == ORIGIN_READ_TIMEOUT
    assert _validate("UpdateDistribution", {"Id": "E1", "IfMatch": "E1", "DistributionConfig": fixed}) == ""


def test_boto3_fixed_config_keeps_a_custom_error_page_and_only_changes_its_caching():
    script = _load_boto3_script()
    config = _broken_distribution_config()
    page = {"ErrorCode": 503, "ResponsePagePath": "/maintenance.html", "ResponseCode": "503"}
    config["CustomErrorResponses"] = {
        "Quantity": 2,
        "Items": [page, {"ErrorCode": 403, "ErrorCachingMinTTL": 30}],
    }
    fixed = script.fixed_config(config, function_arn="arn:x", origin_secret=SECRET)
    by_code = {e["ErrorCode"]: e for e in fixed["CustomErrorResponses"]["Items"]}
    assert by_code[503] == {**page, "ErrorCachingMinTTL": 0}
    assert by_code[403] == {"ErrorCode": 403, "ErrorCachingMinTTL": 30}  # not one of ours: untouched
    assert sorted(by_code) == [403, 404, 502, 503, 504]
    assert fixed["CustomErrorResponses"]["Quantity"] == 5


def test_boto3_fixed_config_is_idempotent_and_keeps_other_origins():
    script = _load_boto3_script()
    config = _broken_distribution_config()
    config["Origins"]["Items"].append(
        {"Id": "site", "DomainName": "example.com", "CustomOriginConfig": {"HTTPPort": 80, "HTTPSPort": 443}}
    )
    config["Origins"]["Quantity"] = 2
    once = script.fixed_config(config, function_arn="arn:x", origin_secret=SECRET)
    twice = script.fixed_config(once, function_arn="arn:x", origin_secret=SECRET)
    assert once == twice
    assert once["Origins"]["Items"][1] == config["Origins"]["Items"][1]


def test_boto3_fixed_config_refuses_a_distribution_without_app_runner():
    script = _load_boto3_script()
    config = _broken_distribution_config()
    config["Origins"]["Items"][0]["DomainName"] = "example.com"
    with pytest.raises(ValueError, match=r"awsapprunner\.com"):
        script.fixed_config(config, function_arn="arn:x", origin_secret=SECRET)


def test_all_four_forms_use_the_same_policy_ids():
    script = _load_boto3_script()
    assert (script.CACHING_DISABLED, script.CACHING_OPTIMIZED, script.ALL_VIEWER_EXCEPT_HOST_HEADER) == (
        CACHING_DISABLED,
        CACHING_OPTIMIZED,
        ALL_VIEWER_EXCEPT_HOST_HEADER,
    )
    for path in (CFN_TEMPLATE, TF_DIR / "main.tf", CLI_CONFIG):
        text = path.read_text()
        for policy_id in (CACHING_DISABLED, CACHING_OPTIMIZED, ALL_VIEWER_EXCEPT_HOST_HEADER):
            assert policy_id in text, f"{policy_id} missing from {path.name}"
        assert ALL_VIEWER not in text, f"{path.name} uses AllViewer, which forwards Host"


# --- the CloudFront Function ---


@pytest.fixture(scope="module")
def forwarded_host():
    from hostlab.local.functions.runtime import run_function

    code = FUNCTION_JS.read_text()

    def run(headers: dict) -> dict:
        event = {
            "version": "1.0",
            "context": {"eventType": "viewer-request"},
            "viewer": {"ip": "198.51.100.7"},
            "request": {"method": "GET", "uri": "/", "querystring": {}, "headers": headers, "cookies": {}},
        }
        result = run_function(code, event, runtime="cloudfront-js-2.0")
        assert result["FunctionErrorMessage"] == "", result["FunctionErrorMessage"]
        # The handler returned the request: TestFunction would wrap it as {"request": ...}.
        assert json.loads(result["FunctionOutput"]) == {"request": result["output"]}
        return result["output"]

    return run


def test_function_copies_host_into_x_forwarded_host(forwarded_host):
    out = forwarded_host({"host": {"value": "www.example.com"}})
    assert out["headers"]["x-forwarded-host"] == {"value": "www.example.com"}
    assert out["headers"]["host"] == {"value": "www.example.com"}  # Host is read-only: left as it was


def test_function_replaces_a_spoofed_x_forwarded_host(forwarded_host):
    out = forwarded_host(
        {"host": {"value": "d111.cloudfront.net"}, "x-forwarded-host": {"value": "evil.test"}}
    )
    assert out["headers"]["x-forwarded-host"] == {"value": "d111.cloudfront.net"}


def test_function_drops_x_forwarded_host_without_host(forwarded_host):
    out = forwarded_host({"x-forwarded-host": {"value": "evil.test"}})
    assert "x-forwarded-host" not in out["headers"]


# --- the CLI and boto3 scripts against the local backend ---


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


def test_cli_script_creates_the_fixed_distribution(client_env, make_client):
    env = _reader_env(client_env)
    env.update(APP_RUNNER_DOMAIN=APP_DOMAIN, ORIGIN_SECRET=SECRET, FUNCTION_NAME="forwarded-host-cli")
    run = subprocess.run(["bash", str(CLI_SCRIPT)], env=env, capture_output=True, text=True, timeout=90)
    assert run.returncode == 0, run.stderr
    distribution_id, domain = run.stdout.split()
    assert domain.endswith(".cloudfront.net")

    cloudfront = make_client("cloudfront")
    config = cloudfront.get_distribution_config(Id=distribution_id)["DistributionConfig"]
    origin = config["Origins"]["Items"][0]
    assert origin["DomainName"] == APP_DOMAIN
    assert origin["CustomOriginConfig"]["OriginSslProtocols"]["Items"] == ["TLSv1.2"]
    assert origin["CustomHeaders"]["Items"] == [{"HeaderName": "X-Origin-Secret", "HeaderValue": SECRET}]
    default = config["DefaultCacheBehavior"]
    assert default["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    (assoc,) = default["FunctionAssociations"]["Items"]
    live = cloudfront.describe_function(Name="forwarded-host-cli", Stage="LIVE")["FunctionSummary"]
    assert assoc == {"EventType": "viewer-request", "FunctionARN": live["FunctionMetadata"]["FunctionARN"]}


def test_cli_script_refuses_unsafe_values():
    # Nothing listens on this endpoint: the script must stop before it calls AWS at all.
    env = _reader_env({"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "AWS_DEFAULT_REGION": "us-east-1"})
    env.update(APP_RUNNER_DOMAIN="x|y.awsapprunner.com", ORIGIN_SECRET=SECRET)
    run = subprocess.run(["bash", str(CLI_SCRIPT)], env=env, capture_output=True, text=True, timeout=30)
    assert run.returncode == 2 and "unsafe" in run.stderr


def test_boto3_script_fixes_an_existing_distribution(make_client):
    cloudfront = make_client("cloudfront")
    created = cloudfront.create_distribution(DistributionConfig=_broken_distribution_config())["Distribution"]
    script = _load_boto3_script()
    script.apply_fix(cloudfront, created["Id"], origin_secret=SECRET, function_name="forwarded-host-boto3")

    config = cloudfront.get_distribution_config(Id=created["Id"])["DistributionConfig"]
    custom = config["Origins"]["Items"][0]["CustomOriginConfig"]
    assert custom["OriginSslProtocols"]["Items"] == ["TLSv1.2"]
    default = config["DefaultCacheBehavior"]
    assert (default["CachePolicyId"], default["OriginRequestPolicyId"]) == (
        CACHING_DISABLED,
        ALL_VIEWER_EXCEPT_HOST_HEADER,
    )
    assert default["FunctionAssociations"]["Items"][0]["EventType"] == "viewer-request"
    assert config["CacheBehaviors"]["Items"][0]["CachePolicyId"] == CACHING_OPTIMIZED
    assert custom["OriginReadTimeout"] == ORIGIN_READ_TIMEOUT
    assert config["CustomErrorResponses"]["Items"] == UNCACHED_ERRORS
