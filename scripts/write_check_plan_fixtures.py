"""Write the Terraform plan JSON fixtures of `hostlab check`:
tests/fixtures/check/*-terraform-plan*/plan.json.

Terraform itself cannot run here (it downloads providers from HashiCorp), so these are written the way
`terraform show -json plan.out` prints a first plan (every resource "create") of the configurations they
name, following Terraform's documented JSON output format
(https://developer.hashicorp.com/terraform/internals/json-format): format_version "1.2", planned_values with
every argument of the resource schema (unset optionals null, blocks as lists), resource_changes with
after_unknown for what only apply knows (the function's ARN, IDs), configuration with each argument's
expressions and references, prior_state with the data sources read during the plan.

Run again to rewrite them: python scripts/write_check_plan_fixtures.py
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "check"
FUNCTION_JS = (ROOT / "infra" / "cloudfront-function" / "forwarded-host.js").read_text()
APP_DOMAIN = "abcdefghij.us-east-1.awsapprunner.com"
SECRET = "0123456789abcdef0123456789abcdef"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
TERRAFORM_VERSION = "1.9.8"
PROVIDER = "registry.terraform.io/hashicorp/aws"
ALIAS = "www.example.com"
CERTIFICATE_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000000"
ALL_METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]  # a set: Terraform sorts it


def behavior(**given):
    """A cache behaviour's values with every argument of the schema (provider defaults where omitted)."""
    values = {
        "allowed_methods": ["GET", "HEAD"],
        "cache_policy_id": None,
        "cached_methods": ["GET", "HEAD"],
        "compress": False,
        "default_ttl": 0,
        "field_level_encryption_id": "",
        "forwarded_values": [],
        "function_association": [],
        "grpc_config": [],
        "lambda_function_association": [],
        "max_ttl": 0,
        "min_ttl": 0,
        "origin_request_policy_id": None,
        "realtime_log_config_arn": "",
        "response_headers_policy_id": None,
        "smooth_streaming": False,
        "target_origin_id": None,
        "trusted_key_groups": [],
        "trusted_signers": [],
        "viewer_protocol_policy": None,
    }
    values.update(given)
    return values


def distribution(*, comment, origin, default, ordered=(), errors=(), http_version="http2", ipv6=False):
    return {
        "aliases": None,
        "comment": comment,
        "continuous_deployment_policy_id": "",
        "custom_error_response": list(errors),
        "default_cache_behavior": [default],
        "default_root_object": "",
        "enabled": True,
        "http_version": http_version,
        "is_ipv6_enabled": ipv6,
        "logging_config": [],
        "ordered_cache_behavior": list(ordered),
        "origin": [origin],
        "origin_group": [],
        "price_class": "PriceClass_100",
        "restrictions": [{"geo_restriction": [{"locations": [], "restriction_type": "none"}]}],
        "retain_on_delete": False,
        "staging": False,
        "tags": None,
        "viewer_certificate": [
            {
                "acm_certificate_arn": "",
                "cloudfront_default_certificate": True,
                "iam_certificate_id": "",
                "minimum_protocol_version": "TLSv1",
                "ssl_support_method": "",
            }
        ],
        "wait_for_deployment": True,
        "web_acl_id": "",
    }


def origin(domain, *, protocols, read_timeout=30, headers=()):
    return {
        "connection_attempts": 3,
        "connection_timeout": 10,
        "custom_header": [{"name": n, "value": v} for n, v in headers],
        "custom_origin_config": [
            {
                "http_port": 80,
                "https_port": 443,
                "origin_keepalive_timeout": 5,
                "origin_protocol_policy": "https-only",
                "origin_read_timeout": read_timeout,
                "origin_ssl_protocols": protocols,
            }
        ],
        "domain_name": domain,
        "origin_access_control_id": "",
        "origin_id": "apprunner",
        "origin_path": "",
        "origin_shield": [],
        "s3_origin_config": [],
        "vpc_origin_config": [],
    }


def unknown_of_distribution(values, function_arn_unknown=False):
    """after_unknown: the computed attributes of a new distribution, and the blocks' shapes."""

    def shape(value):
        if isinstance(value, list):
            return [shape(v) for v in value]
        if isinstance(value, dict):
            return {k: shape(v) for k, v in value.items() if isinstance(v, list | dict)}
        return False

    marks = shape(values)
    for key in (
        "arn",
        "caller_reference",
        "domain_name",
        "etag",
        "hosted_zone_id",
        "id",
        "in_progress_validation_batches",
        "last_modified_time",
        "status",
        "tags_all",
        "trusted_key_groups",
        "trusted_signers",
    ):
        marks[key] = True
    if function_arn_unknown:
        marks["default_cache_behavior"][0]["function_association"][0]["function_arn"] = True
    return marks


def constant(value):
    return {"constant_value": value}


def configured(address, schema_version):
    """The head of a root-module resource in the plan's "configuration": mode, type and name come from the
    address ("data.<type>.<name>" or "<type>.<name>"), the provider is the root's aws."""
    mode, _, rest = address.partition(".") if address.startswith("data.") else ("managed", "", address)
    type_, name = rest.split(".")
    return {
        "address": address,
        "mode": mode,
        "type": type_,
        "name": name,
        "provider_config_key": "aws",
        "schema_version": schema_version,
    }


def refs(*names):
    return {"references": list(names)}


def resource_change(address, type_, name, values, after_unknown, sensitive=None):
    return {
        "address": address,
        "mode": "managed",
        "type": type_,
        "name": name,
        "provider_name": PROVIDER,
        "change": {
            "actions": ["create"],
            "before": None,
            "after": values,
            "after_unknown": after_unknown,
            "before_sensitive": False,
            "after_sensitive": sensitive or {},
        },
    }


def planned(address, type_, name, values, sensitive=None):
    return {
        "address": address,
        "mode": "managed",
        "type": type_,
        "name": name,
        "provider_name": PROVIDER,
        "schema_version": 1,
        "values": values,
        "sensitive_values": sensitive or {},
    }


def data_resource(address, type_, name, values):
    return {
        "address": address,
        "mode": "data",
        "type": type_,
        "name": name,
        "provider_name": PROVIDER,
        "schema_version": 0,
        "values": values,
        "sensitive_values": {},
    }


def plan(variables, resources, changes, configuration, prior=()):
    doc = {
        "format_version": "1.2",
        "terraform_version": TERRAFORM_VERSION,
        "variables": {k: {"value": v} for k, v in variables.items()},
        "planned_values": {"root_module": {"resources": resources}},
        "resource_changes": changes,
        "configuration": configuration,
        "timestamp": "2026-12-07T12:00:00Z",
        "applyable": True,
        "complete": True,
        "errored": False,
    }
    if prior:
        doc["prior_state"] = {
            "format_version": "1.0",
            "terraform_version": TERRAFORM_VERSION,
            "values": {"root_module": {"resources": list(prior)}},
        }
    return doc


def broken():
    """infra/apprunner/terraform-broken with apprunner_service_domain = APP_DOMAIN."""
    default = behavior(
        allowed_methods=ALL_METHODS,
        cache_policy_id=CACHING_OPTIMIZED,
        compress=True,
        origin_request_policy_id=ALL_VIEWER,
        target_origin_id="apprunner",
        viewer_protocol_policy="redirect-to-https",
    )
    values = distribution(
        comment=f"App Runner {APP_DOMAIN} behind CloudFront (first attempt)",
        origin=origin(APP_DOMAIN, protocols=["TLSv1"]),
        default=default,
    )
    address = "aws_cloudfront_distribution.this"
    config = {
        "provider_config": {"aws": {"name": "aws", "full_name": PROVIDER, "version_constraint": ">= 5.0"}},
        "root_module": {
            "resources": [
                {
                    **configured(address, 1),
                    "expressions": {
                        "comment": refs("var.apprunner_service_domain"),
                        "enabled": constant(True),
                        "price_class": constant("PriceClass_100"),
                        "origin": [
                            {
                                "origin_id": constant("apprunner"),
                                "domain_name": refs("var.apprunner_service_domain"),
                                "custom_origin_config": [
                                    {
                                        "origin_protocol_policy": constant("https-only"),
                                        "https_port": constant(443),
                                        "http_port": constant(80),
                                        "origin_ssl_protocols": constant(["TLSv1"]),
                                    }
                                ],
                            }
                        ],
                        "default_cache_behavior": [
                            {
                                "target_origin_id": constant("apprunner"),
                                "viewer_protocol_policy": constant("redirect-to-https"),
                                "allowed_methods": constant(
                                    ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]
                                ),
                                "cached_methods": constant(["GET", "HEAD"]),
                                "compress": constant(True),
                                "cache_policy_id": refs(
                                    "data.aws_cloudfront_cache_policy.caching_optimized.id",
                                    "data.aws_cloudfront_cache_policy.caching_optimized",
                                ),
                                "origin_request_policy_id": refs(
                                    "data.aws_cloudfront_origin_request_policy.all_viewer.id",
                                    "data.aws_cloudfront_origin_request_policy.all_viewer",
                                ),
                            }
                        ],
                        "restrictions": [{"geo_restriction": [{"restriction_type": constant("none")}]}],
                        "viewer_certificate": [{"cloudfront_default_certificate": constant(True)}],
                    },
                },
                {
                    **configured("data.aws_cloudfront_cache_policy.caching_optimized", 0),
                    "expressions": {"name": constant("Managed-CachingOptimized")},
                },
                {
                    **configured("data.aws_cloudfront_origin_request_policy.all_viewer", 0),
                    "expressions": {"name": constant("Managed-AllViewer")},
                },
            ],
            "variables": {
                "apprunner_service_domain": {
                    "description": "The service's default domain (DescribeService ServiceUrl), without https://"
                }
            },
        },
    }
    prior = [
        data_resource(
            "data.aws_cloudfront_cache_policy.caching_optimized",
            "aws_cloudfront_cache_policy",
            "caching_optimized",
            {"id": CACHING_OPTIMIZED, "name": "Managed-CachingOptimized"},
        ),
        data_resource(
            "data.aws_cloudfront_origin_request_policy.all_viewer",
            "aws_cloudfront_origin_request_policy",
            "all_viewer",
            {"id": ALL_VIEWER, "name": "Managed-AllViewer"},
        ),
    ]
    return plan(
        {"apprunner_service_domain": APP_DOMAIN},
        [planned(address, "aws_cloudfront_distribution", "this", values)],
        [
            resource_change(
                address, "aws_cloudfront_distribution", "this", values, unknown_of_distribution(values)
            )
        ],
        config,
        prior,
    )


def fixed():
    """infra/apprunner/terraform with apprunner_service_domain = APP_DOMAIN, origin_secret = SECRET and the
    alias ALIAS with CERTIFICATE_ARN (the viewer-TLS fix needs an alias: with the default certificate
    CloudFront keeps the TLSv1 policy)."""
    default = behavior(
        allowed_methods=ALL_METHODS,
        cache_policy_id=CACHING_DISABLED,
        compress=False,
        origin_request_policy_id=ALL_VIEWER_EXCEPT_HOST,
        target_origin_id="apprunner",
        viewer_protocol_policy="redirect-to-https",
        function_association=[{"event_type": "viewer-request"}],
    )
    static = behavior(
        cache_policy_id=CACHING_OPTIMIZED,
        compress=True,
        path_pattern="/static/*",
        target_origin_id="apprunner",
        viewer_protocol_policy="redirect-to-https",
    )
    errors = [
        {"error_caching_min_ttl": 0, "error_code": code, "response_code": 0, "response_page_path": ""}
        for code in (404, 502, 503, 504)
    ]
    values = distribution(
        comment=f"App Runner {APP_DOMAIN} behind CloudFront (host problem fixed)",
        origin=origin(
            APP_DOMAIN, protocols=["TLSv1.2"], read_timeout=60, headers=[("X-Origin-Secret", SECRET)]
        ),
        default=default,
        ordered=[static],
        errors=errors,
        http_version="http2and3",
        ipv6=True,
    )
    values["aliases"] = [ALIAS]
    values["viewer_certificate"] = [
        {
            "acm_certificate_arn": CERTIFICATE_ARN,
            "cloudfront_default_certificate": False,
            "iam_certificate_id": "",
            "minimum_protocol_version": "TLSv1.2_2021",
            "ssl_support_method": "sni-only",
        }
    ]
    sensitive = {"origin": [{"custom_header": [{"value": True}]}]}
    function = {
        "code": FUNCTION_JS,
        "comment": "Copy the viewer Host into X-Forwarded-Host (Host itself is read-only here)",
        "key_value_store_associations": None,
        "name": "forwarded-host",
        "publish": True,
        "runtime": "cloudfront-js-2.0",
    }
    function_unknown = {"arn": True, "etag": True, "id": True, "live_stage_etag": True, "status": True}
    address = "aws_cloudfront_distribution.this"
    expressions = {
        "comment": refs("var.apprunner_service_domain"),
        "enabled": constant(True),
        "http_version": constant("http2and3"),
        "is_ipv6_enabled": constant(True),
        "price_class": constant("PriceClass_100"),
        "aliases": refs("local.custom_domain", "var.alternate_domain_name"),
        "origin": [
            {
                "origin_id": refs("local.origin_id"),
                "domain_name": refs("var.apprunner_service_domain"),
                "custom_origin_config": [
                    {
                        "origin_protocol_policy": constant("https-only"),
                        "https_port": constant(443),
                        "http_port": constant(80),
                        "origin_ssl_protocols": constant(["TLSv1.2"]),
                        "origin_read_timeout": constant(60),
                        "origin_keepalive_timeout": constant(5),
                    }
                ],
                "custom_header": [
                    {"name": refs("var.origin_secret_header_name"), "value": refs("var.origin_secret")}
                ],
            }
        ],
        "default_cache_behavior": [
            {
                "target_origin_id": refs("local.origin_id"),
                "viewer_protocol_policy": constant("redirect-to-https"),
                "allowed_methods": constant(["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]),
                "cached_methods": constant(["GET", "HEAD"]),
                "compress": constant(False),
                "cache_policy_id": refs("local.caching_disabled"),
                "origin_request_policy_id": refs("local.all_viewer_except_host_header"),
                "function_association": [
                    {
                        "event_type": constant("viewer-request"),
                        "function_arn": refs(
                            "aws_cloudfront_function.forwarded_host.arn",
                            "aws_cloudfront_function.forwarded_host",
                        ),
                    }
                ],
            }
        ],
        "ordered_cache_behavior": [
            {
                "path_pattern": refs("var.static_path_pattern"),
                "target_origin_id": refs("local.origin_id"),
                "viewer_protocol_policy": constant("redirect-to-https"),
                "allowed_methods": constant(["GET", "HEAD"]),
                "cached_methods": constant(["GET", "HEAD"]),
                "compress": constant(True),
                "cache_policy_id": refs("local.caching_optimized"),
            }
        ],
        "restrictions": [{"geo_restriction": [{"restriction_type": constant("none")}]}],
        "viewer_certificate": [
            {
                "cloudfront_default_certificate": refs("local.custom_domain"),
                "acm_certificate_arn": refs("local.custom_domain", "var.acm_certificate_arn"),
                "ssl_support_method": refs("local.custom_domain"),
                "minimum_protocol_version": refs("local.custom_domain"),
            }
        ],
    }
    config = {
        "provider_config": {"aws": {"name": "aws", "full_name": PROVIDER, "version_constraint": ">= 5.0"}},
        "root_module": {
            "resources": [
                {
                    **configured(address, 1),
                    "expressions": expressions,
                },
                {
                    **configured("aws_cloudfront_function.forwarded_host", 0),
                    "expressions": {
                        "name": constant("forwarded-host"),
                        "runtime": constant("cloudfront-js-2.0"),
                        "publish": constant(True),
                        "code": refs("path.module"),
                        "comment": constant(function["comment"]),
                    },
                },
            ],
            "variables": {
                "apprunner_service_domain": {"description": "The service's default domain"},
                "origin_secret": {"sensitive": True, "description": "Long random value"},
                "origin_secret_header_name": {"default": "X-Origin-Secret"},
                "static_path_pattern": {"default": "/static/*"},
                "alternate_domain_name": {"default": ""},
                "acm_certificate_arn": {"default": ""},
            },
        },
    }
    return plan(
        {
            "apprunner_service_domain": APP_DOMAIN,
            "origin_secret": SECRET,
            "origin_secret_header_name": "X-Origin-Secret",
            "static_path_pattern": "/static/*",
            "alternate_domain_name": ALIAS,
            "acm_certificate_arn": CERTIFICATE_ARN,
        },
        [
            planned(address, "aws_cloudfront_distribution", "this", values, sensitive),
            planned(
                "aws_cloudfront_function.forwarded_host",
                "aws_cloudfront_function",
                "forwarded_host",
                function,
            ),
        ],
        [
            resource_change(
                address,
                "aws_cloudfront_distribution",
                "this",
                values,
                unknown_of_distribution(values, function_arn_unknown=True),
                sensitive,
            ),
            resource_change(
                "aws_cloudfront_function.forwarded_host",
                "aws_cloudfront_function",
                "forwarded_host",
                function,
                function_unknown,
            ),
        ],
        config,
    )


def silksh():
    """tests/fixtures/check/silksh-cloudfront-alb-written/terraform with its defaults: the load balancer is
    new, so its DNS name (and the distribution's origin domain, through the module input) is known only after
    apply."""
    default = behavior(
        allowed_methods=ALL_METHODS,
        compress=False,
        default_ttl=60,
        max_ttl=300,
        min_ttl=0,
        target_origin_id="ALBOrigin",
        viewer_protocol_policy="redirect-to-https",
        forwarded_values=[
            {
                "cookies": [{"forward": "all", "whitelisted_names": []}],
                "headers": ["*"],
                "query_string": True,
                "query_string_cache_keys": [],
            }
        ],
    )
    lb_origin = origin(None, protocols=["TLSv1", "TLSv1.1", "TLSv1.2"])
    lb_origin["origin_id"] = "ALBOrigin"
    del lb_origin["domain_name"]  # unknown: absent from the values, true in after_unknown
    values = distribution(comment="cloudfront endpoint for ALB", origin=lb_origin, default=default, ipv6=True)
    values["aliases"] = ["front.example.com"]
    values["price_class"] = "PriceClass_All"
    values["logging_config"] = [
        {
            "bucket": "front-cloudfront-logs.s3.amazonaws.com",
            "include_cookies": False,
            "prefix": "cloudfront4alb",
        }
    ]
    values["viewer_certificate"] = [
        {
            "acm_certificate_arn": CERTIFICATE_ARN,
            "cloudfront_default_certificate": False,
            "iam_certificate_id": "",
            "minimum_protocol_version": "TLSv1.2_2018",
            "ssl_support_method": "sni-only",
        }
    ]
    unknown = unknown_of_distribution(values)
    unknown["origin"][0]["domain_name"] = True
    dist_address = "module.lb_cloudfront.aws_cloudfront_distribution.this"
    sg = {
        "description": "HTTPS to the load balancer",
        "name": "front-alb",
        "vpc_id": "vpc-0123456789abcdef0",
        "ingress": [
            {
                "cidr_blocks": ["0.0.0.0/0"],
                "description": "HTTPS from anywhere",
                "from_port": 443,
                "ipv6_cidr_blocks": [],
                "prefix_list_ids": [],
                "protocol": "tcp",
                "security_groups": [],
                "self": False,
                "to_port": 443,
            }
        ],
        "revoke_rules_on_delete": False,
        "tags": None,
        "timeouts": None,
    }
    lb = {
        "name": "front-external",
        "internal": False,
        "load_balancer_type": "application",
        "subnets": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
        "tags": None,
        "timeouts": None,
    }
    distribution_expressions = {
        "enabled": constant(True),
        "is_ipv6_enabled": constant(True),
        "comment": refs("var.comment"),
        "aliases": refs("var.app_domain_names"),
        "price_class": refs("var.price_class"),
        "origin": [
            {
                "origin_id": refs("var.alb_origin_id"),
                "domain_name": refs("var.alb_domain_name"),
                "custom_origin_config": [
                    {
                        "http_port": constant(80),
                        "https_port": constant(443),
                        "origin_protocol_policy": constant("https-only"),
                        "origin_ssl_protocols": constant(["TLSv1", "TLSv1.1", "TLSv1.2"]),
                    }
                ],
            }
        ],
        "default_cache_behavior": [
            {
                "target_origin_id": refs("var.alb_origin_id"),
                "viewer_protocol_policy": constant("redirect-to-https"),
                "allowed_methods": constant(["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]),
                "cached_methods": constant(["GET", "HEAD"]),
                "compress": refs("var.compress"),
                "min_ttl": refs("var.min_ttl"),
                "default_ttl": refs("var.default_ttl"),
                "max_ttl": refs("var.max_ttl"),
                "forwarded_values": [
                    {
                        "query_string": constant(True),
                        "headers": constant(["*"]),
                        "cookies": [{"forward": constant("all")}],
                    }
                ],
            }
        ],
        "logging_config": [
            {
                "bucket": refs("var.logs_bucket"),
                "prefix": refs("var.logs_prefix"),
                "include_cookies": constant(False),
            }
        ],
        "viewer_certificate": [
            {
                "acm_certificate_arn": refs("var.acm_certificate_arn"),
                "ssl_support_method": constant("sni-only"),
                "minimum_protocol_version": refs("var.minimum_protocol_version"),
            }
        ],
    }
    config = {
        "provider_config": {"aws": {"name": "aws", "full_name": PROVIDER}},
        "root_module": {
            "resources": [
                {
                    **configured("aws_security_group.alb", 1),
                    "expressions": {
                        "name": refs("var.project"),
                        "vpc_id": refs("var.vpc_id"),
                        "description": constant("HTTPS to the load balancer"),
                        "ingress": [
                            {
                                "from_port": constant(443),
                                "to_port": constant(443),
                                "protocol": constant("tcp"),
                                "cidr_blocks": constant(["0.0.0.0/0"]),
                                "description": constant("HTTPS from anywhere"),
                            }
                        ],
                    },
                },
                {
                    **configured("aws_lb.external", 0),
                    "expressions": {
                        "name": refs("var.project"),
                        "internal": constant(False),
                        "load_balancer_type": constant("application"),
                        "security_groups": refs("aws_security_group.alb.id", "aws_security_group.alb"),
                        "subnets": refs("var.public_subnet_ids"),
                    },
                },
            ],
            "module_calls": {
                "lb_cloudfront": {
                    "source": "./modules/cloudfront-alb",
                    "expressions": {
                        "alb_domain_name": refs("aws_lb.external.dns_name", "aws_lb.external"),
                        "alb_origin_id": constant("ALBOrigin"),
                        "app_domain_names": refs("var.tld"),
                        "acm_certificate_arn": refs("var.certificate_arn"),
                        "logs_bucket": refs("var.project"),
                        "comment": constant("cloudfront endpoint for ALB"),
                    },
                    "module": {
                        "resources": [
                            {
                                "address": "aws_cloudfront_distribution.this",
                                "mode": "managed",
                                "type": "aws_cloudfront_distribution",
                                "name": "this",
                                "provider_config_key": "lb_cloudfront:aws",
                                "schema_version": 1,
                                "expressions": distribution_expressions,
                            }
                        ]
                    },
                }
            },
        },
    }
    sg_unknown = {
        "arn": True,
        "id": True,
        "owner_id": True,
        "tags_all": True,
        "egress": True,
        "ingress": [
            {"cidr_blocks": [False], "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": []}
        ],
    }
    lb_unknown = {
        "arn": True,
        "arn_suffix": True,
        "dns_name": True,
        "id": True,
        "zone_id": True,
        "vpc_id": True,
        "security_groups": True,
        "subnets": [False, False],
        "tags_all": True,
    }
    doc = plan(
        {
            "project": "front",
            "tld": "example.com",
            "vpc_id": "vpc-0123456789abcdef0",
            "public_subnet_ids": ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
            "certificate_arn": CERTIFICATE_ARN,
        },
        [
            planned("aws_security_group.alb", "aws_security_group", "alb", sg),
            planned("aws_lb.external", "aws_lb", "external", lb),
        ],
        [
            resource_change("aws_security_group.alb", "aws_security_group", "alb", sg, sg_unknown),
            resource_change("aws_lb.external", "aws_lb", "external", lb, lb_unknown),
            {
                **resource_change(dist_address, "aws_cloudfront_distribution", "this", values, unknown),
                "module_address": "module.lb_cloudfront",
            },
        ],
        config,
    )
    doc["planned_values"]["root_module"]["child_modules"] = [
        {
            "address": "module.lb_cloudfront",
            "resources": [planned(dist_address, "aws_cloudfront_distribution", "this", values)],
        }
    ]
    return doc


def main() -> None:
    for name, doc in (
        ("tutorial-apprunner-terraform-plan-broken", broken()),
        ("tutorial-apprunner-terraform-plan-fixed", fixed()),
        ("silksh-cloudfront-alb-terraform-plan", silksh()),
    ):
        folder = FIXTURES / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "plan.json").write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n")
        print(folder / "plan.json")


if __name__ == "__main__":
    main()
