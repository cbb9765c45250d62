"""hostlab.check.inputs.terraform_plan: `terraform show -json` of a plan -> DistributionInputs (child modules,
unknown values stood in from the configuration's references or named, where()/patch()), the fixtures in
Terraform's documented format, and the result accepted by the local backend's CreateDistribution."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from terraform_check_support import backend_ready

from hostlab.check.inputs import read, terraform, terraform_plan
from hostlab.check.managed_policies import MANAGED_POLICY_IDS
from hostlab.check.model import APPRUNNER, CheckInputError, function_ref, policy_ref

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "check"
BROKEN = FIXTURES / "tutorial-apprunner-terraform-plan-broken" / "plan.json"
FIXED = FIXTURES / "tutorial-apprunner-terraform-plan-fixed" / "plan.json"
APP_DOMAIN = "abcdefghij.us-east-1.awsapprunner.com"
SSL = ("Origins", "Items", 0, "CustomOriginConfig", "OriginSslProtocols")
READ_TIMEOUT = ("Origins", "Items", 0, "CustomOriginConfig", "OriginReadTimeout")


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def test_plan_fixtures_follow_the_documented_format():
    """The top-level keys and resource fields Terraform's JSON output format documents."""
    for path in (BROKEN, FIXED):
        doc = load(path)
        assert doc["format_version"].startswith("1.")
        assert {"terraform_version", "planned_values", "resource_changes", "configuration"} <= set(doc)
        for resource in doc["planned_values"]["root_module"]["resources"]:
            assert {"address", "mode", "type", "name", "provider_name", "values"} <= set(resource)
        for change in doc["resource_changes"]:
            assert change["change"]["actions"] == ["create"]
            assert {"before", "after", "after_unknown"} <= set(change["change"])


def test_broken_plan_matches_the_directory_reader():
    """The plan of infra/apprunner/terraform-broken converts to the same DistributionConfig as the
    directory."""
    (from_plan,) = read(str(BROKEN))
    (from_dir,) = terraform.read_directory(
        ROOT / "infra" / "apprunner" / "terraform-broken", {"apprunner_service_domain": APP_DOMAIN}, shown="x"
    )
    assert from_plan.source.language == "terraform-plan"
    plan_config, dir_config = copy.deepcopy(from_plan.config), copy.deepcopy(from_dir.config)
    assert plan_config == dir_config


def test_fixed_plan_function_from_unknown_arn_and_secret_known():
    (dist,) = read(str(FIXED))
    association = dist.config["DefaultCacheBehavior"]["FunctionAssociations"]["Items"][0]
    assert association["FunctionARN"] == function_ref("forwarded-host")
    assert (
        dist.functions["forwarded-host"].code
        == (ROOT / "infra" / "cloudfront-function" / "forwarded-host.js").read_text()
    )
    header = dist.config["Origins"]["Items"][0]["CustomHeaders"]["Items"][0]
    assert header["HeaderValue"] == "0123456789abcdef0123456789abcdef"  # a plan shows sensitive values
    assert [e["ErrorCachingMinTTL"] for e in dist.config["CustomErrorResponses"]["Items"]] == [0, 0, 0, 0]


def test_written_or_default_comes_from_the_configuration():
    (broken,) = read(str(BROKEN))
    assert broken.source.where(READ_TIMEOUT).present is False  # the plan's 30 is the provider's default
    assert broken.source.where(SSL).present is True
    (fixed,) = read(str(FIXED))
    assert fixed.source.where(READ_TIMEOUT).present is True


def test_where_and_patch_name_the_resource_address():
    (dist,) = read(str(BROKEN))
    where = dist.source.where(SSL)
    assert where.file == str(BROKEN) and where.line is None
    assert (
        where.path == "aws_cloudfront_distribution.this.origin[0].custom_origin_config.origin_ssl_protocols"
    )
    patch = dist.source.patch(SSL, {"Quantity": 1, "Items": ["TLSv1.2"]})
    assert "resource aws_cloudfront_distribution.this" in patch
    assert 'origin_ssl_protocols = ["TLSv1.2"]' in patch


def _with_child_module(doc: dict) -> dict:
    """The broken plan with its distribution moved into module.cdn, and its domain unknown, referring to an
    App Runner service of the plan."""
    doc = copy.deepcopy(doc)
    resource = doc["planned_values"]["root_module"]["resources"][0]
    resource["address"] = "module.cdn.aws_cloudfront_distribution.this"
    del resource["values"]["origin"][0]["domain_name"]
    service = {
        "address": "module.cdn.aws_apprunner_service.app",
        "mode": "managed",
        "type": "aws_apprunner_service",
        "name": "app",
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "schema_version": 0,
        "values": {
            "service_name": "app",
            "network_configuration": [{"ingress_configuration": [{"is_publicly_accessible": False}]}],
        },
    }
    doc["planned_values"]["root_module"] = {
        "child_modules": [{"address": "module.cdn", "resources": [resource, service]}]
    }
    change = doc["resource_changes"][0]
    change["address"] = "module.cdn.aws_cloudfront_distribution.this"
    change["change"]["after_unknown"]["origin"][0]["domain_name"] = True
    config_resource = doc["configuration"]["root_module"]["resources"][0]
    config_resource["expressions"]["origin"][0]["domain_name"] = {
        "references": ["aws_apprunner_service.app.service_url", "aws_apprunner_service.app"]
    }
    doc["configuration"]["root_module"] = {
        "module_calls": {"cdn": {"source": "./modules/cdn", "module": {"resources": [config_resource]}}}
    }
    return doc


def test_child_module_and_unknown_origin_domain_stand_in():
    (dist,) = terraform_plan.read_document(_with_child_module(load(BROKEN)), shown="plan.json")
    assert dist.name == "module.cdn.aws_cloudfront_distribution.this"
    domain = dist.config["Origins"]["Items"][0]["DomainName"]
    assert domain.endswith(".us-east-1.awsapprunner.com")
    hint = dist.origins["apprunner"]
    assert hint.kind == APPRUNNER and hint.publicly_accessible is False
    assert "module.cdn.aws_apprunner_service.app" in hint.reason
    assert dist.source.where(SSL).path.startswith("module.cdn.aws_cloudfront_distribution.this.origin[0]")
    assert "(in module.cdn)" in dist.source.patch(SSL, {"Quantity": 1, "Items": ["TLSv1.2"]})


def test_unknown_value_without_a_resource_to_stand_in_is_named():
    doc = _with_child_module(load(BROKEN))
    expressions = doc["configuration"]["root_module"]["module_calls"]["cdn"]["module"]["resources"][0]
    expressions["expressions"]["origin"][0]["domain_name"] = {"references": ["aws_instance.web.public_dns"]}
    with pytest.raises(
        CheckInputError, match=r"origin\[0\]\.domain_name is known only after apply.*aws_instance"
    ):
        terraform_plan.read_document(doc, shown="plan.json")


def test_custom_policy_known_by_id_becomes_a_ref():
    doc = load(BROKEN)
    policy = {
        "address": "aws_cloudfront_cache_policy.pages",
        "mode": "managed",
        "type": "aws_cloudfront_cache_policy",
        "name": "pages",
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "schema_version": 0,
        "values": {
            "id": "abc-123",
            "name": "pages",
            "default_ttl": 0,
            "max_ttl": 0,
            "min_ttl": 0,
            "comment": "",
            "parameters_in_cache_key_and_forwarded_to_origin": [
                {
                    "cookies_config": [{"cookie_behavior": "all", "cookies": []}],
                    "headers_config": [{"header_behavior": "none", "headers": []}],
                    "query_strings_config": [{"query_string_behavior": "none", "query_strings": []}],
                    "enable_accept_encoding_brotli": False,
                    "enable_accept_encoding_gzip": False,
                }
            ],
        },
    }
    doc["planned_values"]["root_module"]["resources"].append(policy)
    doc["planned_values"]["root_module"]["resources"][0]["values"]["default_cache_behavior"][0][
        "cache_policy_id"
    ] = "abc-123"
    (dist,) = terraform_plan.read_document(doc, shown="plan.json")
    assert dist.config["DefaultCacheBehavior"]["CachePolicyId"] == policy_ref(
        "aws_cloudfront_cache_policy.pages"
    )
    config = dist.policies["aws_cloudfront_cache_policy.pages"].config
    assert config["ParametersInCacheKeyAndForwardedToOrigin"]["CookiesConfig"] == {"CookieBehavior": "all"}
    # Negative control: an ID that is neither managed nor in the plan.
    doc["planned_values"]["root_module"]["resources"][0]["values"]["default_cache_behavior"][0][
        "cache_policy_id"
    ] = "zzz"
    with pytest.raises(CheckInputError, match="'zzz': neither a managed policy"):
        terraform_plan.read_document(doc, shown="plan.json")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format_version": "2.0"}, "format_version '2.0'"),
        ({"planned_values": {"root_module": {"resources": []}}}, "no aws_cloudfront_distribution"),
    ],
)
def test_bad_documents_are_refused(change, message):
    doc = {**load(BROKEN), **change}
    with pytest.raises(CheckInputError, match=message):
        terraform_plan.read_document(doc, shown="plan.json")


def test_lambda_edge_in_a_plan_is_refused():
    doc = load(BROKEN)
    doc["planned_values"]["root_module"]["resources"][0]["values"]["default_cache_behavior"][0][
        "lambda_function_association"
    ] = [{"event_type": "origin-request", "lambda_arn": "arn:aws:lambda:x:1"}]
    with pytest.raises(CheckInputError, match="lambda_function_association is not supported"):
        terraform_plan.read_document(doc, shown="plan.json")


def test_managed_ids_in_the_plan_stay_as_they_are():
    (dist,) = read(str(BROKEN))
    assert dist.config["DefaultCacheBehavior"]["CachePolicyId"] == MANAGED_POLICY_IDS["CachingOptimized"]
    assert dist.config["DefaultCacheBehavior"]["OriginRequestPolicyId"] == MANAGED_POLICY_IDS["AllViewer"]


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*/plan.json")), ids=lambda p: p.parent.name)
def test_local_backend_create_distribution_accepts_each_plan(cloudfront, make_client, path):
    for dist in read(str(path)):
        config = backend_ready(dist, cloudfront, make_client)
        got = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["DistributionConfig"]
        assert (
            got["Origins"]["Items"][0]["CustomOriginConfig"]
            == config["Origins"]["Items"][0]["CustomOriginConfig"]
        )
        assert got["CustomErrorResponses"] == config["CustomErrorResponses"]
        assert got["DefaultCacheBehavior"].get("ForwardedValues") == config["DefaultCacheBehavior"].get(
            "ForwardedValues"
        )


def test_silksh_plan_follows_the_module_input_to_the_load_balancer():
    (from_plan,) = read(str(FIXTURES / "silksh-cloudfront-alb-terraform-plan" / "plan.json"))
    (from_dir,) = read(str(FIXTURES / "silksh-cloudfront-alb-written" / "terraform"))
    assert from_plan.name == from_dir.name == "module.lb_cloudfront.aws_cloudfront_distribution.this"
    assert from_plan.origins["ALBOrigin"].kind == "alb"
    assert from_plan.config == from_dir.config


def _is_plan(expected: Path) -> bool:
    target = expected.parent / load(expected)["input"]
    return target.suffix == ".json" and "format_version" in json.loads(target.read_text())


# Fixtures whose input is a plan JSON (a CloudFormation JSON template is a .json too).
PLAN_FIXTURES = [p for p in sorted(FIXTURES.glob("*/expected.json")) if _is_plan(p)]


@pytest.mark.parametrize("expected", PLAN_FIXTURES, ids=lambda p: p.parent.name)
def test_plan_fixture_reads_with_the_behaviours_its_expectations_name(expected):
    doc = load(expected)
    found = read(str(expected.parent / doc["input"]))
    for row in doc["expect"]:
        (dist,) = [d for d in found if d.name == row["distribution"]]
        patterns = ["Default (*)"] + [
            b["PathPattern"] for b in dist.config["CacheBehaviors"].get("Items", [])
        ]
        assert row["behavior"] in patterns
