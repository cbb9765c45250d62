"""hostlab.check.inputs.terraform: a Terraform directory -> DistributionInputs (expressions, variables,
modules,
count/for_each, dynamic blocks, data sources, stand-ins, errors, where()/patch()), and the result accepted by
the local backend's CreateDistribution."""

from __future__ import annotations

import json
from pathlib import Path

import hcl2
import pytest
from terraform_check_support import backend_ready

from hostlab.check.inputs import read, terraform
from hostlab.check.inputs.terraform_expressions import EvalError, Evaluator, Namespace, Scope, Unknown, trees
from hostlab.check.managed_policies import MANAGED_POLICY_IDS
from hostlab.check.model import (
    ALB,
    APPRUNNER,
    EXPRESS,
    SECRET_PLACEHOLDER,
    CheckInputError,
    function_ref,
    policy_ref,
)

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra"
FIXTURES = ROOT / "tests" / "fixtures" / "check"
APP_DOMAIN = "abcdefghij.us-east-1.awsapprunner.com"
CACHING_DISABLED = MANAGED_POLICY_IDS["Managed-CachingDisabled"]
CACHING_OPTIMIZED = MANAGED_POLICY_IDS["Managed-CachingOptimized"]
ALL_VIEWER = MANAGED_POLICY_IDS["Managed-AllViewer"]
EXCEPT_HOST = MANAGED_POLICY_IDS["Managed-AllViewerExceptHostHeader"]
SSL = ("Origins", "Items", 0, "CustomOriginConfig", "OriginSslProtocols")
READ_TIMEOUT = ("Origins", "Items", 0, "CustomOriginConfig", "OriginReadTimeout")

MINIMAL = """
resource "aws_cloudfront_distribution" "this" {
  enabled = true
  origin {
    origin_id   = "app"
    domain_name = %(domain)s
    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }
  }
  default_cache_behavior {
    target_origin_id       = "app"
    viewer_protocol_policy = "redirect-to-https"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    cache_policy_id        = "%(cache)s"
    %(extra)s
  }
  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }
  viewer_certificate {
    cloudfront_default_certificate = true
  }
}
"""


def minimal(domain: str = f'"{APP_DOMAIN}"', extra: str = "", cache: str = CACHING_DISABLED) -> str:
    return MINIMAL % {"domain": domain, "extra": extra, "cache": cache}


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
    return folder


def read_dir(folder: Path, variables: dict[str, str] | None = None):
    return terraform.read_directory(folder, variables or {}, shown=str(folder))


# --- expressions ---


def _eval(text: str, **roots):
    tree = hcl2.parses_to_tree(f"x = {text}\n")
    (attribute,) = [t for t in trees(tree.children[0]) if t.data == "attribute"]
    return Evaluator().evaluate(trees(attribute)[1], Scope(roots, Path(".")))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"a-${1 + 2}-b"', "a-3-b"),
        ('true ? "yes" : "no"', "yes"),
        ("[for v in [1, 2, 3] : v * 2 if v > 1]", [4, 6]),
        ("{for k, v in {a = 1, b = 2} : k => v + 1}", {"a": 2, "b": 3}),
        ('lookup({a = 1}, "b", 7)', 7),
        ("merge({a = 1}, {b = 2})", {"a": 1, "b": 2}),
        ("concat([1], [2, 3])", [1, 2, 3]),
        ("length([1, 2])", 2),
        ('format("%s-%03d", "x", 7)', "x-007"),
        ('join(",", ["a", "b"])', "a,b"),
        ('tolist(toset(["b", "a", "b"]))', ["a", "b"]),
        ('try(tonumber("x"), 5)', 5),
        ('coalesce("", "z")', "z"),
        ("jsonencode({a = [1, true]})", '{"a":[1,true]}'),
        ('"%{ if 1 == 1 }on%{ else }off%{ endif }"', "on"),
        ('"%{ for x in [1, 2] }${x};%{ endfor }"', "1;2;"),
        ('"$${literal}"', "${literal}"),
        ('trimprefix("https://a.b", "https://")', "a.b"),
    ],
)
def test_expressions(text, expected):
    assert _eval(text) == expected


def test_expression_references_and_splat():
    data = [{"id": "a"}, {"id": "b"}]
    assert _eval("items[*].id", items=data) == ["a", "b"]
    assert _eval("items[1].id", items=data) == "b"
    assert _eval("ns.value", ns=Namespace("ns", lambda name: name.upper())) == "VALUE"


def test_unknown_flows_through_and_errors_name_the_problem():
    assert isinstance(_eval('"https://${u}/"', u=Unknown("aws_lb.x.dns_name")), Unknown)
    with pytest.raises(EvalError, match="nope"):
        _eval("nope")
    with pytest.raises(EvalError, match=r"notafunction\(\) is not supported"):
        _eval("notafunction(1)")


def test_heredoc_and_templatefile(tmp_path):
    (tmp_path / "t.tpl").write_text("hello ${name}\n")
    write(
        tmp_path,
        {
            "main.tf": minimal(extra="") + "\nlocals {\n  doc = <<-EOT\n    a ${1 + 1}\n  EOT\n"
            '  tpl = templatefile("${path.module}/t.tpl", { name = "you" })\n}\n'
        },
    )
    module = terraform.Module(tmp_path, str(tmp_path))
    reading = terraform.Reading(shown=str(tmp_path), root=tmp_path.resolve())
    instance = terraform.ModuleInstance(module, reading, "", {})
    assert instance.local("doc") == "a 2\n"
    assert instance.local("tpl") == "hello you\n"


# --- the tutorial's own configurations ---


def test_tutorial_apprunner_fixed():
    (dist,) = read_dir(INFRA / "apprunner" / "terraform", {"apprunner_service_domain": APP_DOMAIN})
    config = dist.config
    assert dist.name == "aws_cloudfront_distribution.this"
    assert config["Origins"]["Items"][0]["CustomOriginConfig"]["OriginSslProtocols"]["Items"] == ["TLSv1.2"]
    assert config["Origins"]["Items"][0]["CustomOriginConfig"]["OriginReadTimeout"] == 60
    assert config["DefaultCacheBehavior"]["CachePolicyId"] == CACHING_DISABLED
    assert config["DefaultCacheBehavior"]["OriginRequestPolicyId"] == EXCEPT_HOST
    assert config["CacheBehaviors"]["Items"][0]["PathPattern"] == "/static/*"
    assert [e["ErrorCode"] for e in config["CustomErrorResponses"]["Items"]] == [404, 502, 503, 504]
    assert {e["ErrorCachingMinTTL"] for e in config["CustomErrorResponses"]["Items"]} == {0}
    # The sensitive origin_secret has no value: a stand-in, said in a note, only in the header value.
    header = config["Origins"]["Items"][0]["CustomHeaders"]["Items"][0]
    assert header == {"HeaderName": "X-Origin-Secret", "HeaderValue": SECRET_PLACEHOLDER}
    assert any("origin_secret" in note for note in dist.notes)
    # The function's code is read from the file file() names.
    association = config["DefaultCacheBehavior"]["FunctionAssociations"]["Items"][0]
    assert association == {"FunctionARN": function_ref("forwarded-host"), "EventType": "viewer-request"}
    function = dist.functions["forwarded-host"]
    assert function.code == (INFRA / "cloudfront-function" / "forwarded-host.js").read_text()
    assert function.runtime == "cloudfront-js-2.0"
    assert config["ViewerCertificate"] == {
        "CloudFrontDefaultCertificate": True,
        "MinimumProtocolVersion": "TLSv1",
    }
    assert config["Aliases"] == {"Quantity": 0}


def test_tutorial_apprunner_broken_differs_where_the_post_says():
    (dist,) = read_dir(INFRA / "apprunner" / "terraform-broken", {"apprunner_service_domain": APP_DOMAIN})
    config = dist.config
    assert config["Origins"]["Items"][0]["CustomOriginConfig"]["OriginSslProtocols"]["Items"] == ["TLSv1"]
    # Data sources looking managed policies up by name resolve to their IDs.
    assert config["DefaultCacheBehavior"]["CachePolicyId"] == CACHING_OPTIMIZED
    assert config["DefaultCacheBehavior"]["OriginRequestPolicyId"] == ALL_VIEWER
    assert config["CustomErrorResponses"] == {"Quantity": 0}
    # Omitted: the provider's default, reported as absent.
    assert config["Origins"]["Items"][0]["CustomOriginConfig"]["OriginReadTimeout"] == 30
    assert dist.source.where(READ_TIMEOUT).present is False
    assert dist.source.where(SSL).present is True
    assert dist.source.where(("CustomErrorResponses",)).present is False
    assert dist.functions == {} and dist.notes == []


def test_tutorial_express_kinds_come_from_the_reference():
    for folder in ("terraform", "terraform-broken"):
        (dist,) = read_dir(
            INFRA / "express" / folder
        )  # image, roles: unused by the distribution, not asked for
        hint = dist.origins["express"]
        assert hint.kind == EXPRESS
        assert "aws_ecs_express_gateway_service.app" in hint.reason
        domain = dist.config["Origins"]["Items"][0]["DomainName"]
        assert domain.endswith(".ecs.us-east-1.on.aws") and not domain.startswith("https://")


def test_read_dispatches_a_directory_and_a_tf_file():
    (by_dir,) = read(
        str(INFRA / "apprunner" / "terraform-broken"), variables={"apprunner_service_domain": APP_DOMAIN}
    )
    (by_file,) = read(
        str(INFRA / "apprunner" / "terraform-broken" / "main.tf"),
        variables={"apprunner_service_domain": APP_DOMAIN},
    )
    assert by_dir.config == by_file.config


# --- variables ---


def test_a_variable_without_value_is_named_with_the_flag_to_pass():
    with pytest.raises(CheckInputError, match=r"apprunner_service_domain.*--var apprunner_service_domain="):
        read_dir(INFRA / "apprunner" / "terraform-broken")


def test_var_unknown_to_the_configuration_is_refused():
    with pytest.raises(CheckInputError, match="no variable 'nope'"):
        read_dir(
            INFRA / "apprunner" / "terraform-broken", {"apprunner_service_domain": APP_DOMAIN, "nope": "x"}
        )


def test_tfvars_precedence(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": minimal(domain="var.domain", extra="compress = var.compress"),
            "variables.tf": 'variable "domain" {\n  default = "default.example.com"\n}\n'
            'variable "compress" {\n  type = bool\n  default = false\n}\n',
        },
    )
    assert read_dir(tmp_path)[0].config["Origins"]["Items"][0]["DomainName"] == "default.example.com"
    (tmp_path / "terraform.tfvars").write_text('domain = "tfvars.example.com"\n')
    assert read_dir(tmp_path)[0].config["Origins"]["Items"][0]["DomainName"] == "tfvars.example.com"
    (tmp_path / "b.auto.tfvars").write_text('domain = "auto.example.com"\n')
    assert read_dir(tmp_path)[0].config["Origins"]["Items"][0]["DomainName"] == "auto.example.com"
    (dist,) = read_dir(tmp_path, {"domain": "cli.example.com", "compress": "true"})
    assert dist.config["Origins"]["Items"][0]["DomainName"] == "cli.example.com"
    assert dist.config["DefaultCacheBehavior"]["Compress"] is True  # a bool variable's --var is parsed


def test_sensitive_variable_outside_a_header_value_is_an_error(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": minimal(domain="var.secret"),
            "variables.tf": 'variable "secret" {\n  sensitive = true\n}\n',
        },
    )
    with pytest.raises(CheckInputError, match=r"origin\[0\]\.domain_name.*sensitive variable var\.secret"):
        read_dir(tmp_path)


# --- modules, count, for_each, dynamic ---


MODULE_MAIN = minimal(domain="var.origin_domain", extra="origin_request_policy_id = var.orp").replace(
    'origin_ssl_protocols   = ["TLSv1.2"]', "origin_ssl_protocols   = var.protocols"
)
MODULE_VARS = (
    'variable "origin_domain" {}\nvariable "orp" {}\nvariable "protocols" {\n  type = list(string)\n'
    '  default = ["TLSv1.2"]\n}\n'
)
MODULE_OUT = 'output "id" {\n  value = aws_cloudfront_distribution.this.id\n}\n'


def test_local_module_inputs_outputs_and_addresses(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": 'data "aws_cloudfront_origin_request_policy" "all" {\n'
            '  name = "Managed-AllViewer"\n}\n'
            'module "cdn" {\n  source = "./modules/cdn"\n  origin_domain = aws_lb.web.dns_name\n'
            '  orp = data.aws_cloudfront_origin_request_policy.all.id\n  protocols = ["TLSv1"]\n}\n'
            'resource "aws_lb" "web" {\n  name = "web"\n}\n',
            "modules/cdn/main.tf": MODULE_MAIN,
            "modules/cdn/variables.tf": MODULE_VARS,
            "modules/cdn/outputs.tf": MODULE_OUT,
        },
    )
    (dist,) = read_dir(tmp_path)
    assert dist.name == "module.cdn.aws_cloudfront_distribution.this"
    assert dist.source_file.endswith("modules/cdn/main.tf")
    assert dist.config["DefaultCacheBehavior"]["OriginRequestPolicyId"] == ALL_VIEWER
    assert dist.origins["app"].kind == ALB and "aws_lb.web.dns_name" in dist.origins["app"].reason
    assert dist.config["Origins"]["Items"][0]["DomainName"].endswith(".us-east-1.elb.amazonaws.com")
    where = dist.source.where(SSL)
    assert (
        where.path == "module.cdn.aws_cloudfront_distribution.this.origin[0].custom_origin_config"
        ".origin_ssl_protocols"
    )
    assert where.line == 11 and where.present
    patch = dist.source.patch(SSL, {"Quantity": 1, "Items": ["TLSv1.2"]})
    assert 'origin_ssl_protocols = ["TLSv1.2"]' in patch
    assert "variable 'protocols' of module.cdn" in patch and 'protocols = ["TLSv1.2"]' in patch
    assert "main.tf:4" in patch  # the module block


def test_remote_module_is_named_with_what_to_do(tmp_path):
    write(tmp_path, {"main.tf": 'module "cdn" {\n  source = "terraform-aws-modules/cloudfront/aws"\n}\n'})
    with pytest.raises(
        CheckInputError, match=r"module 'cdn'.*terraform-aws-modules/cloudfront/aws.*[Vv]endor"
    ):
        read_dir(tmp_path)


def test_count_and_for_each_instances_are_named_by_address(tmp_path):
    counted = minimal().replace(
        'resource "aws_cloudfront_distribution" "this" {',
        'resource "aws_cloudfront_distribution" "this" {\n  count = 2',
    )
    each = minimal(domain='"${each.key}.example.com"').replace(
        'resource "aws_cloudfront_distribution" "this" {',
        'resource "aws_cloudfront_distribution" "site" {\n  for_each = toset(["a", "b"])',
    )
    write(tmp_path, {"a.tf": counted, "b.tf": each})
    names = [d.name for d in read_dir(tmp_path)]
    assert names == [
        "aws_cloudfront_distribution.this[0]",
        "aws_cloudfront_distribution.this[1]",
        'aws_cloudfront_distribution.site["a"]',
        'aws_cloudfront_distribution.site["b"]',
    ]
    site_b = read_dir(tmp_path)[3]
    assert site_b.config["Origins"]["Items"][0]["DomainName"] == "b.example.com"


def test_dynamic_blocks_expand_with_their_iterator(tmp_path):
    text = minimal().replace(
        "  restrictions {",
        f"""  dynamic "ordered_cache_behavior" {{
    for_each = {{ "/api/*" = "none", "/static/*" = "optimized" }}
    iterator = b
    content {{
      path_pattern           = b.key
      target_origin_id       = "app"
      viewer_protocol_policy = "https-only"
      allowed_methods        = ["GET", "HEAD"]
      cached_methods         = ["GET", "HEAD"]
      cache_policy_id        = b.value == "none" ? "{CACHING_DISABLED}" : "{CACHING_OPTIMIZED}"
    }}
  }}
  restrictions {{""",
        1,
    )
    write(tmp_path, {"main.tf": text})
    (dist,) = read_dir(tmp_path)
    behaviors = dist.config["CacheBehaviors"]["Items"]
    assert [(b["PathPattern"], b["CachePolicyId"]) for b in behaviors] == [
        ("/api/*", CACHING_DISABLED),
        ("/static/*", CACHING_OPTIMIZED),
    ]
    assert dist.source.where(("CacheBehaviors", "Items", 1, "CachePolicyId")).path.endswith(
        "ordered_cache_behavior[1].cache_policy_id"
    )


# --- resources referenced: stand-ins and hints ---


def test_apprunner_reference_gives_kind_and_ingress(tmp_path):
    service = (
        'resource "aws_apprunner_service" "app" {\n  service_name = "app"\n  network_configuration {\n'
        "    ingress_configuration {\n      is_publicly_accessible = false\n    }\n  }\n}\n"
    )
    write(tmp_path, {"main.tf": minimal(domain="aws_apprunner_service.app.service_url") + service})
    (dist,) = read_dir(tmp_path)
    hint = dist.origins["app"]
    assert hint.kind == APPRUNNER and hint.publicly_accessible is False
    assert dist.config["Origins"]["Items"][0]["DomainName"].endswith(".us-east-1.awsapprunner.com")
    # Positive control: without network_configuration, App Runner's default is public.
    write(
        tmp_path,
        {
            "main.tf": minimal(domain="aws_apprunner_service.app.service_url")
            + 'resource "aws_apprunner_service" "app" {\n  service_name = "app"\n}\n'
        },
    )
    assert read_dir(tmp_path)[0].origins["app"].publicly_accessible is True


LB = """
data "aws_ec2_managed_prefix_list" "cf" {
  name = "com.amazonaws.global.cloudfront.origin-facing"
}
resource "aws_lb" "web" {
  name            = "web"
  security_groups = [aws_security_group.alb.id]
}
resource "aws_security_group" "alb" {
  name = "alb"
  ingress {
    from_port       = 443
    to_port         = 443
    protocol        = "tcp"
    %s
  }
}
"""


@pytest.mark.parametrize(
    ("rule", "restricted"),
    [
        ("prefix_list_ids = [data.aws_ec2_managed_prefix_list.cf.id]", True),
        ('cidr_blocks = ["0.0.0.0/0"]', False),
    ],
)
def test_load_balancer_restricted_to_cloudfront(tmp_path, rule, restricted):
    write(tmp_path, {"main.tf": minimal(domain="aws_lb.web.dns_name") + LB % rule})
    assert read_dir(tmp_path)[0].origins["app"].restricted_to_cloudfront is restricted


def test_custom_policies_become_refs_with_api_config(tmp_path):
    policy = """
resource "aws_cloudfront_cache_policy" "pages" {
  name        = "pages"
  default_ttl = 0
  max_ttl     = 0
  min_ttl     = 0
  parameters_in_cache_key_and_forwarded_to_origin {
    cookies_config {
      cookie_behavior = "whitelist"
      cookies {
        items = ["session"]
      }
    }
    headers_config {
      header_behavior = "none"
    }
    query_strings_config {
      query_string_behavior = "all"
    }
  }
}
"""
    write(tmp_path, {"main.tf": minimal(cache="${aws_cloudfront_cache_policy.pages.id}") + policy})
    (dist,) = read_dir(tmp_path)
    ref = policy_ref("aws_cloudfront_cache_policy.pages")
    assert dist.config["DefaultCacheBehavior"]["CachePolicyId"] == ref
    policy_input = dist.policies["aws_cloudfront_cache_policy.pages"]
    assert policy_input.kind == "cache"
    params = policy_input.config["ParametersInCacheKeyAndForwardedToOrigin"]
    assert params["CookiesConfig"] == {
        "CookieBehavior": "whitelist",
        "Cookies": {"Quantity": 1, "Items": ["session"]},
    }
    assert params["QueryStringsConfig"] == {"QueryStringBehavior": "all"}
    assert policy_input.config["DefaultTTL"] == 0


def test_legacy_forwarded_values(tmp_path):
    legacy = minimal().replace(
        f'cache_policy_id        = "{CACHING_DISABLED}"',
        """forwarded_values {
      query_string = true
      headers      = ["Host"]
      cookies {
        forward = "all"
      }
    }""",
    )
    write(tmp_path, {"main.tf": legacy})
    behavior = read_dir(tmp_path)[0].config["DefaultCacheBehavior"]
    assert "CachePolicyId" not in behavior
    assert behavior["ForwardedValues"]["Headers"] == {"Quantity": 1, "Items": ["Host"]}
    assert behavior["ForwardedValues"]["Cookies"] == {"Forward": "all"}
    assert (behavior["MinTTL"], behavior["DefaultTTL"], behavior["MaxTTL"]) == (0, 86400, 31536000)


# --- errors name the construct and the place ---


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            'lambda_function_association {\n      event_type = "origin-request"\n'
            '      lambda_arn = "arn:aws:lambda:x"\n    }',
            r"main\.tf:\d+: aws_cloudfront_distribution\.this: "
            r"default_cache_behavior\.lambda_function_association",
        ),
        (
            'function_association {\n      event_type = "viewer-request"\n'
            '      function_arn = "arn:aws:cloudfront::123456789012:function/elsewhere"\n    }',
            r"function_association 'arn:aws:cloudfront::123456789012:function/elsewhere'.*code is not here",
        ),
        (
            "compress = aws_lb.nowhere.x",
            r"main\.tf:\d+: aws_cloudfront_distribution\.this\.default_cache_behavior"
            r"\.compress: unknown name 'aws_lb'",
        ),
    ],
)
def test_unsupported_constructs_are_named(tmp_path, extra, message):
    write(tmp_path, {"main.tf": minimal(extra=extra)})
    with pytest.raises(CheckInputError, match=message):
        read_dir(tmp_path)


def test_origin_group_is_refused(tmp_path):
    text = minimal().replace(
        "  restrictions {", '  origin_group {\n    origin_id = "g"\n  }\n  restrictions {', 1
    )
    write(tmp_path, {"main.tf": text})
    with pytest.raises(CheckInputError, match="origin_group is not supported"):
        read_dir(tmp_path)


def test_unmanaged_policy_name_lookup_is_refused(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": minimal(cache="${data.aws_cloudfront_cache_policy.x.id}")
            + 'data "aws_cloudfront_cache_policy" "x" {\n  name = "Managed-CORS-With-Preflight"\n}\n'
        },
    )
    with pytest.raises(CheckInputError, match="'Managed-CORS-With-Preflight', which is not a managed policy"):
        read_dir(tmp_path)


def test_unknown_after_apply_origin_domain_is_named(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": minimal(domain="aws_instance.web.public_dns")
            + 'resource "aws_instance" "web" {\n  ami = "ami-1"\n}\n'
        },
    )
    with pytest.raises(
        CheckInputError, match=r"origin\[0\]\.domain_name = aws_instance\.web\.public_dns.*after apply"
    ):
        read_dir(tmp_path)


def test_parse_error_names_file_and_line(tmp_path):
    write(tmp_path, {"main.tf": 'resource "a" "b" {\n  x = \n}\n'})
    with pytest.raises(CheckInputError, match=r"main\.tf:\d+: not valid HCL"):
        read_dir(tmp_path)


def test_no_distribution(tmp_path):
    write(tmp_path, {"main.tf": 'resource "aws_s3_bucket" "b" {\n  bucket = "b"\n}\n'})
    with pytest.raises(CheckInputError, match="no aws_cloudfront_distribution"):
        read_dir(tmp_path)


# --- where() and patch() ---


def test_where_and_patch_for_present_and_absent_arguments():
    (dist,) = read_dir(INFRA / "apprunner" / "terraform-broken", {"apprunner_service_domain": APP_DOMAIN})
    present = dist.source.where(SSL)
    assert (present.line, present.present) == (38, True)
    assert str(present).endswith(
        "main.tf:38: aws_cloudfront_distribution.this.origin[0].custom_origin_config.origin_ssl_protocols"
    )
    absent = dist.source.where(READ_TIMEOUT)
    assert absent.present is False and absent.line == 34  # the custom_origin_config block it would go in
    patch = dist.source.patch(READ_TIMEOUT, 60)
    assert (
        "origin_read_timeout = 60" in patch
        and 'origin { origin_id = "apprunner" } > custom_origin_config' in patch
    )
    assert "add in" in patch
    errors = dist.source.patch(
        ("CustomErrorResponses",), {"Quantity": 1, "Items": [{"ErrorCode": 404, "ErrorCachingMinTTL": 0}]}
    )
    assert "custom_error_response {\n  error_code = 404\n  error_caching_min_ttl = 0\n}" in errors
    orp = dist.source.patch(("DefaultCacheBehavior", "OriginRequestPolicyId"), EXCEPT_HOST)
    assert f'origin_request_policy_id = "{EXCEPT_HOST}"  # Managed-AllViewerExceptHostHeader' in orp
    # An unknown deeper path maps to its nearest known parent, never raises.
    assert dist.source.where(("Origins", "Items", 0, "CustomOriginConfig", "Nope")).path.endswith(
        "custom_origin_config"
    )


# --- every tutorial and fixture directory reads, with the distributions and behaviours it has ---


def _fixture_dirs():
    for expected in sorted(FIXTURES.glob("*/expected.json")):
        doc = json.loads(expected.read_text())
        target = (expected.parent / doc["input"]).resolve()
        if target.is_dir():
            yield pytest.param(expected, id=expected.parent.name)


@pytest.mark.parametrize("expected", list(_fixture_dirs()))
def test_fixture_reads_with_the_behaviours_its_expectations_name(expected):
    doc = json.loads(expected.read_text())
    found = read(str(expected.parent / doc["input"]), variables=doc["variables"])
    names = {d.name for d in found}
    for row in doc["expect"]:
        assert row["distribution"] in names
        (dist,) = [d for d in found if d.name == row["distribution"]]
        patterns = ["Default (*)"] + [
            b["PathPattern"] for b in dist.config["CacheBehaviors"].get("Items", [])
        ]
        assert row["behavior"] in patterns


# --- the local backend accepts what the reader produces ---


@pytest.mark.parametrize(
    "folder",
    [
        INFRA / "apprunner" / "terraform",
        INFRA / "apprunner" / "terraform-broken",
        INFRA / "express" / "terraform",
        INFRA / "express" / "terraform-broken",
        *sorted(p.parent for p in FIXTURES.glob("*/terraform/main.tf")),
    ],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_local_backend_create_distribution_accepts_the_config(cloudfront, make_client, folder):
    variables = {"apprunner_service_domain": APP_DOMAIN} if folder.parent.name == "apprunner" else {}
    for dist in read_dir(folder, variables):
        config = backend_ready(dist, cloudfront, make_client)
        got = cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["DistributionConfig"]
        for index, origin in enumerate(config["Origins"]["Items"]):
            assert got["Origins"]["Items"][index].get("CustomOriginConfig") == origin.get(
                "CustomOriginConfig"
            )
        assert got["DefaultCacheBehavior"].get("CachePolicyId") == config["DefaultCacheBehavior"].get(
            "CachePolicyId"
        )
        assert got["CustomErrorResponses"] == config["CustomErrorResponses"]


# --- type constraints with optional() defaults, lookup on a resource, the public fixtures ---


def test_optional_attribute_defaults_apply_as_terraform_does(tmp_path):
    module = (
        minimal(domain="var.origin.domain")
        .replace('origin_ssl_protocols   = ["TLSv1.2"]', "origin_ssl_protocols   = var.origin.protocols")
        .replace('"redirect-to-https"', "var.origin.policy")
    )
    write(
        tmp_path,
        {
            "main.tf": 'module "cdn" {\n  source = "./cdn"\n'
            '  origin = { domain = "a.example.com", extra = 1 }\n}\n',
            "cdn/main.tf": module,
            "cdn/variables.tf": 'variable "origin" {\n  type = object({\n    domain = string\n'
            '    protocols = optional(list(string), ["TLSv1.2"])\n'
            '    policy = optional(string, "https-only")\n  })\n}\n',
        },
    )
    (dist,) = read_dir(tmp_path)
    assert dist.config["Origins"]["Items"][0]["CustomOriginConfig"]["OriginSslProtocols"]["Items"] == [
        "TLSv1.2"
    ]
    assert dist.config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "https-only"
    # Negative control: a required attribute left out is named.
    (tmp_path / "main.tf").write_text('module "cdn" {\n  source = "./cdn"\n  origin = { extra = 1 }\n}\n')
    with pytest.raises(
        CheckInputError, match="variable 'origin': the value does not fit its type: attribute 'domain'"
    ):
        read_dir(tmp_path)


def test_terraform_aws_modules_cloudfront_readme_fixture():
    """The public module (dynamic blocks over maps, lookup, count, an origin access identity by key) as its
    README
    calls it."""
    (dist,) = read_dir(FIXTURES / "terraform-aws-modules-cloudfront-readme" / "terraform")
    assert dist.name == "module.cdn.aws_cloudfront_distribution.this[0]"
    origins = {o["Id"]: o for o in dist.config["Origins"]["Items"]}
    assert list(origins) == ["s3_one", "something"]  # a map's keys, in Terraform's (lexical) order
    assert origins["s3_one"]["S3OriginConfig"]["OriginAccessIdentity"].startswith(
        "origin-access-identity/cloudfront/E"
    )
    assert origins["something"]["CustomOriginConfig"]["OriginSslProtocols"]["Items"] == [
        "TLSv1",
        "TLSv1.1",
        "TLSv1.2",
    ]
    default = dist.config["DefaultCacheBehavior"]
    assert default["ForwardedValues"]["QueryString"] is True and "CachePolicyId" not in default
    assert dist.config["Logging"]["Bucket"] == "logs-my-cdn.s3.amazonaws.com"
    assert dist.config["ViewerCertificate"]["SSLSupportMethod"] == "sni-only"
    where = dist.source.where(("Origins", "Items", 1, "CustomOriginConfig", "OriginReadTimeout"))
    # Written in the module as lookup(..., null), and null there: omitted for Terraform, the default applies.
    assert where.present is False
    assert "origin_read_timeout" in Path(where.file).read_text().splitlines()[where.line - 1]
    assert dist.config["Origins"]["Items"][1]["CustomOriginConfig"]["OriginReadTimeout"] == 30


def test_leonfedotov_apprunner_fixture():
    (dist,) = read_dir(FIXTURES / "leonfedotov-apprunner-apex-domain" / "terraform")
    (origin,) = dist.config["Origins"]["Items"]
    hint = dist.origins[origin["Id"]]
    assert hint.kind == APPRUNNER and hint.publicly_accessible is True
    assert (
        origin["Id"] == dist.config["DefaultCacheBehavior"]["TargetOriginId"]
    )  # both the service's ARN stand-in
    assert origin["Id"].startswith("arn:aws:apprunner:us-east-1:")
    assert (
        dist.config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"]
        == MANAGED_POLICY_IDS["Managed-CORS-with-preflight-and-SecurityHeadersPolicy"]
    )
    assert dist.config["Aliases"]["Items"] == ["example.com", "www.example.com"]
    assert dist.config["ViewerCertificate"]["ACMCertificateArn"].startswith("arn:aws:acm:us-east-1:")


def test_silksh_alb_fixture_knows_the_load_balancer_is_open():
    (dist,) = read_dir(FIXTURES / "silksh-cloudfront-alb-written" / "terraform")
    hint = dist.origins["ALBOrigin"]
    assert hint.kind == ALB and hint.restricted_to_cloudfront is False
    assert dist.config["DefaultCacheBehavior"]["ForwardedValues"]["Headers"]["Items"] == ["*"]
    assert dist.config["Restrictions"]["GeoRestriction"]["RestrictionType"] == "none"
