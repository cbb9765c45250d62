"""Terraform's aws_cloudfront_* arguments -> CloudFront API shapes, shared by the directory and plan readers.

Both readers hand over a resource's arguments as Terraform itself shows them in ``terraform show -json``
(https://developer.hashicorp.com/terraform/internals/json-format, "values representation"): a dict of
argument -> value, each nested block a list of such dicts. The result is the DistributionConfig of botocore's
CreateDistribution input (CloudFront API Reference, DistributionConfig), and beside it, for every API path,
the Terraform path it comes from (``origin[0].custom_origin_config.origin_ssl_protocols``) and whether the
argument was written (``present``) or is the provider's default.

Defaults for omitted arguments are the AWS provider's, as its resource documentation states them
(registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/cloudfront_distribution; the same page
in hashicorp/terraform-provider-aws, website/docs/r/cloudfront_distribution.html.markdown):
  http_version "http2"; is_ipv6_enabled false; price_class "PriceClass_All"; comment null (sent as "");
  default_root_object ""; origin connection_attempts 3, connection_timeout 10, origin_path "";
  custom_origin_config origin_keepalive_timeout 5, origin_read_timeout 30 (http_port, https_port,
  origin_protocol_policy and origin_ssl_protocols are required: no default); cache behaviours compress false,
  smooth_streaming false, min_ttl 0 (and default_ttl 86400 / max_ttl 31536000 with forwarded_values, the
  API's own defaults, DistributionConfig > DefaultCacheBehavior); viewer_certificate minimum_protocol_version
  "TLSv1"; custom_error_response error_caching_min_ttl omitted (CloudFront then keeps the error 10 s,
  CloudFront Developer Guide, HTTPStatusCodes.html).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hostlab.check.managed_policies import MANAGED_POLICY_NAMES
from hostlab.check.model import ApiPath, CheckInputError

# (API name, Terraform argument, provider default or REQUIRED/NONE)
REQUIRED = object()  # the provider requires the argument: no default
NONE = object()  # optional, and nothing is sent when it is omitted


@dataclass
class Place:
    """Where an API property comes from in a Terraform resource: its path below the resource address, and
    whether the argument is written (False: the provider's default applies, path is where it would go)."""

    path: str
    present: bool


@dataclass
class Converted:
    config: dict[str, Any]
    places: dict[ApiPath, Place] = field(default_factory=dict)


def _items(values: list[Any]) -> dict[str, Any]:
    """A {Quantity, Items} list as the API shapes it (no Items when empty)."""
    return {"Quantity": len(values), "Items": list(values)} if values else {"Quantity": 0}


def _blocks(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    value = body.get(name)
    if value is None:
        return []
    if isinstance(value, dict):
        return [value]
    return [b for b in value if b is not None]


def _single(body: dict[str, Any], name: str) -> dict[str, Any] | None:
    blocks = _blocks(body, name)
    return blocks[0] if blocks else None


class DistributionConverter:
    """Converts one aws_cloudfront_distribution's arguments. ``label`` names the resource in errors
    ("main.tf:12: aws_cloudfront_distribution.this"); ``check_value`` sees every value put into the config
    with its API and Terraform paths, and may raise (an Unknown, a Secret in the wrong place) or replace
    it."""

    def __init__(self, label: str, check_value: Callable[[ApiPath, str, Any], Any] | None = None):
        self.label = label
        self.check_value = check_value or (lambda api, tf, value: value)
        self.places: dict[ApiPath, Place] = {}

    # --- helpers ---

    def _arg(
        self,
        body: dict[str, Any],
        api: ApiPath,
        tf: str,
        name: str,
        default: Any = NONE,
        out: dict[str, Any] | None = None,
        key: str | None = None,
        cast: Callable[[Any], Any] | None = None,
    ) -> Any:
        """Read argument ``name`` of ``body``: record its place, apply the default, put it in ``out[key]``."""
        path = f"{tf}.{name}" if tf else name
        value = body.get(name)
        present = value is not None
        self.places[api] = Place(path, present)
        if not present:
            if default is REQUIRED:
                raise CheckInputError(f"{self.label}: {path} is required by the AWS provider and missing")
            if default is NONE:
                return None
            value = default
        value = self.check_value(api, path, value)
        if cast is not None and value is not None:
            value = cast(value)
        if out is not None and key is not None:
            out[key] = value
        return value

    def _block_place(self, api: ApiPath, tf: str, present: bool) -> None:
        self.places[api] = Place(tf, present)

    # --- the distribution ---

    def convert(self, body: dict[str, Any], caller_reference: str) -> Converted:
        config: dict[str, Any] = {"CallerReference": caller_reference}
        self._block_place((), "", True)

        for name in ("origin_group",):
            if _blocks(body, name):
                raise CheckInputError(
                    f"{self.label}: origin_group is not supported (failover between origins is not "
                    "emulated); "
                    "check a copy without it"
                )

        aliases = self._arg(body, ("Aliases",), "", "aliases", []) or []
        config["Aliases"] = _items(sorted(aliases))
        self._arg(body, ("DefaultRootObject",), "", "default_root_object", "", config, "DefaultRootObject")

        origins = _blocks(body, "origin")
        if not origins:
            raise CheckInputError(f"{self.label}: no origin block")
        self._block_place(("Origins",), "origin", True)
        config["Origins"] = _items([self._origin(o, i) for i, o in enumerate(origins)])

        default = _single(body, "default_cache_behavior")
        if default is None:
            raise CheckInputError(f"{self.label}: default_cache_behavior is required and missing")
        config["DefaultCacheBehavior"] = self._behavior(
            default, ("DefaultCacheBehavior",), "default_cache_behavior", ordered=False
        )

        ordered = _blocks(body, "ordered_cache_behavior")
        self._block_place(("CacheBehaviors",), "ordered_cache_behavior", bool(ordered))
        config["CacheBehaviors"] = _items(
            [
                self._behavior(
                    b, ("CacheBehaviors", "Items", i), f"ordered_cache_behavior[{i}]", ordered=True
                )
                for i, b in enumerate(ordered)
            ]
        )

        errors = _blocks(body, "custom_error_response")
        self._block_place(("CustomErrorResponses",), "custom_error_response", bool(errors))
        config["CustomErrorResponses"] = _items([self._error(e, i) for i, e in enumerate(errors)])

        self._arg(body, ("Comment",), "", "comment", "", config, "Comment")
        logging = _single(body, "logging_config")
        if logging is not None:
            api, tf = ("Logging",), "logging_config"
            self._block_place(api, tf, True)
            entry: dict[str, Any] = {"Enabled": True}
            self._arg(
                logging, (*api, "IncludeCookies"), tf, "include_cookies", False, entry, "IncludeCookies"
            )
            self._arg(logging, (*api, "Bucket"), tf, "bucket", REQUIRED, entry, "Bucket")
            self._arg(logging, (*api, "Prefix"), tf, "prefix", "", entry, "Prefix")
            config["Logging"] = entry
        self._arg(body, ("PriceClass",), "", "price_class", "PriceClass_All", config, "PriceClass")
        self._arg(body, ("Enabled",), "", "enabled", REQUIRED, config, "Enabled", cast=bool)
        config["ViewerCertificate"] = self._certificate(_single(body, "viewer_certificate"))
        config["Restrictions"] = self._restrictions(_single(body, "restrictions"))
        self._arg(body, ("WebACLId",), "", "web_acl_id", "", config, "WebACLId")
        self._arg(body, ("HttpVersion",), "", "http_version", "http2", config, "HttpVersion")
        self._arg(body, ("IsIPV6Enabled",), "", "is_ipv6_enabled", False, config, "IsIPV6Enabled", cast=bool)
        if body.get("continuous_deployment_policy_id"):
            self._arg(
                body,
                ("ContinuousDeploymentPolicyId",),
                "",
                "continuous_deployment_policy_id",
                NONE,
                config,
                "ContinuousDeploymentPolicyId",
            )
        if body.get("staging"):
            self._arg(body, ("Staging",), "", "staging", False, config, "Staging", cast=bool)
        return Converted(config, self.places)

    def _origin(self, origin: dict[str, Any], index: int) -> dict[str, Any]:
        api: ApiPath = ("Origins", "Items", index)
        tf = f"origin[{index}]"
        self._block_place(api, tf, True)
        out: dict[str, Any] = {}
        self._arg(origin, (*api, "Id"), tf, "origin_id", REQUIRED, out, "Id")
        self._arg(origin, (*api, "DomainName"), tf, "domain_name", REQUIRED, out, "DomainName")
        self._arg(origin, (*api, "OriginPath"), tf, "origin_path", "", out, "OriginPath")
        headers = _blocks(origin, "custom_header")
        self._block_place((*api, "CustomHeaders"), f"{tf}.custom_header", bool(headers))
        items = []
        for i, header in enumerate(headers):
            h_api, h_tf = (*api, "CustomHeaders", "Items", i), f"{tf}.custom_header[{i}]"
            self._block_place(h_api, h_tf, True)
            entry: dict[str, Any] = {}
            self._arg(header, (*h_api, "HeaderName"), h_tf, "name", REQUIRED, entry, "HeaderName")
            self._arg(header, (*h_api, "HeaderValue"), h_tf, "value", REQUIRED, entry, "HeaderValue")
            items.append(entry)
        out["CustomHeaders"] = _items(items)
        custom = _single(origin, "custom_origin_config")
        s3 = _single(origin, "s3_origin_config")
        if custom is not None:
            c_api, c_tf = (*api, "CustomOriginConfig"), f"{tf}.custom_origin_config"
            self._block_place(c_api, c_tf, True)
            config: dict[str, Any] = {}
            self._arg(custom, (*c_api, "HTTPPort"), c_tf, "http_port", REQUIRED, config, "HTTPPort", cast=int)
            self._arg(
                custom, (*c_api, "HTTPSPort"), c_tf, "https_port", REQUIRED, config, "HTTPSPort", cast=int
            )
            self._arg(
                custom,
                (*c_api, "OriginProtocolPolicy"),
                c_tf,
                "origin_protocol_policy",
                REQUIRED,
                config,
                "OriginProtocolPolicy",
            )
            protocols = self._arg(
                custom, (*c_api, "OriginSslProtocols"), c_tf, "origin_ssl_protocols", REQUIRED
            )
            config["OriginSslProtocols"] = _items(list(protocols))
            self.places[(*c_api, "OriginSslProtocols", "Items")] = self.places[(*c_api, "OriginSslProtocols")]
            self._arg(
                custom,
                (*c_api, "OriginReadTimeout"),
                c_tf,
                "origin_read_timeout",
                30,
                config,
                "OriginReadTimeout",
                cast=int,
            )
            self._arg(
                custom,
                (*c_api, "OriginKeepaliveTimeout"),
                c_tf,
                "origin_keepalive_timeout",
                5,
                config,
                "OriginKeepaliveTimeout",
                cast=int,
            )
            if custom.get("ip_address_type"):
                self._arg(
                    custom, (*c_api, "IpAddressType"), c_tf, "ip_address_type", NONE, config, "IpAddressType"
                )
            out["CustomOriginConfig"] = config
        else:
            # Without custom_origin_config the provider sends an S3 origin (with an empty origin access
            # identity when s3_origin_config is absent too, as with origin access control).
            s_api, s_tf = (*api, "S3OriginConfig"), f"{tf}.s3_origin_config"
            self._block_place(s_api, s_tf, s3 is not None)
            entry = {}
            self._arg(
                s3 or {},
                (*s_api, "OriginAccessIdentity"),
                s_tf,
                "origin_access_identity",
                "",
                entry,
                "OriginAccessIdentity",
            )
            out["S3OriginConfig"] = entry
        self._arg(
            origin,
            (*api, "ConnectionAttempts"),
            tf,
            "connection_attempts",
            3,
            out,
            "ConnectionAttempts",
            cast=int,
        )
        self._arg(
            origin,
            (*api, "ConnectionTimeout"),
            tf,
            "connection_timeout",
            10,
            out,
            "ConnectionTimeout",
            cast=int,
        )
        shield = _single(origin, "origin_shield")
        if shield is not None:
            sh_api, sh_tf = (*api, "OriginShield"), f"{tf}.origin_shield"
            self._block_place(sh_api, sh_tf, True)
            entry = {}
            self._arg(shield, (*sh_api, "Enabled"), sh_tf, "enabled", REQUIRED, entry, "Enabled", cast=bool)
            self._arg(
                shield,
                (*sh_api, "OriginShieldRegion"),
                sh_tf,
                "origin_shield_region",
                NONE,
                entry,
                "OriginShieldRegion",
            )
            out["OriginShield"] = entry
        if origin.get("origin_access_control_id"):
            self._arg(
                origin,
                (*api, "OriginAccessControlId"),
                tf,
                "origin_access_control_id",
                NONE,
                out,
                "OriginAccessControlId",
            )
        if _single(origin, "vpc_origin_config") is not None:
            raise CheckInputError(
                f"{self.label}: {tf}.vpc_origin_config is not supported (a VPC origin is "
                "not emulated); check a copy with the origin's public domain instead"
            )
        return out

    def _behavior(self, body: dict[str, Any], api: ApiPath, tf: str, *, ordered: bool) -> dict[str, Any]:
        self._block_place(api, tf, True)
        out: dict[str, Any] = {}
        if ordered:
            self._arg(body, (*api, "PathPattern"), tf, "path_pattern", REQUIRED, out, "PathPattern")
        self._arg(body, (*api, "TargetOriginId"), tf, "target_origin_id", REQUIRED, out, "TargetOriginId")
        self._arg(
            body,
            (*api, "ViewerProtocolPolicy"),
            tf,
            "viewer_protocol_policy",
            REQUIRED,
            out,
            "ViewerProtocolPolicy",
        )
        allowed = self._arg(body, (*api, "AllowedMethods"), tf, "allowed_methods", REQUIRED)
        cached = self._arg(body, (*api, "AllowedMethods", "CachedMethods"), tf, "cached_methods", REQUIRED)
        methods = _items(_method_order(allowed))
        methods["CachedMethods"] = _items(_method_order(cached))
        out["AllowedMethods"] = methods
        self._arg(body, (*api, "Compress"), tf, "compress", False, out, "Compress", cast=bool)
        self._arg(
            body, (*api, "SmoothStreaming"), tf, "smooth_streaming", False, out, "SmoothStreaming", cast=bool
        )
        self._arg(
            body,
            (*api, "FieldLevelEncryptionId"),
            tf,
            "field_level_encryption_id",
            "",
            out,
            "FieldLevelEncryptionId",
        )
        for api_name, tf_name in (
            ("CachePolicyId", "cache_policy_id"),
            ("OriginRequestPolicyId", "origin_request_policy_id"),
            ("ResponseHeadersPolicyId", "response_headers_policy_id"),
            ("RealtimeLogConfigArn", "realtime_log_config_arn"),
        ):
            value = self._arg(body, (*api, api_name), tf, tf_name, NONE)
            if value:
                out[api_name] = value
        lambdas = _blocks(body, "lambda_function_association")
        if lambdas:
            raise CheckInputError(
                f"{self.label}: {tf}.lambda_function_association is not supported (Lambda@Edge is not "
                "emulated); check a copy without it, or with a CloudFront Function"
            )
        out["LambdaFunctionAssociations"] = {"Quantity": 0}
        functions = _blocks(body, "function_association")
        self._block_place((*api, "FunctionAssociations"), f"{tf}.function_association", bool(functions))
        items = []
        for i, association in enumerate(functions):
            f_api, f_tf = (*api, "FunctionAssociations", "Items", i), f"{tf}.function_association[{i}]"
            self._block_place(f_api, f_tf, True)
            entry: dict[str, Any] = {}
            self._arg(
                association, (*f_api, "FunctionARN"), f_tf, "function_arn", REQUIRED, entry, "FunctionARN"
            )
            self._arg(association, (*f_api, "EventType"), f_tf, "event_type", REQUIRED, entry, "EventType")
            items.append(entry)
        out["FunctionAssociations"] = _items(items)
        signers = self._arg(body, (*api, "TrustedSigners"), tf, "trusted_signers", []) or []
        out["TrustedSigners"] = {"Enabled": bool(signers), **_items(list(signers))}
        groups = self._arg(body, (*api, "TrustedKeyGroups"), tf, "trusted_key_groups", []) or []
        out["TrustedKeyGroups"] = {"Enabled": bool(groups), **_items(list(groups))}
        forwarded = _single(body, "forwarded_values")
        if forwarded is not None:
            out["ForwardedValues"] = self._forwarded(
                forwarded, (*api, "ForwardedValues"), f"{tf}.forwarded_values"
            )
        if not out.get("CachePolicyId"):
            # Legacy cache settings: only without a cache policy (the API refuses both together).
            self._arg(body, (*api, "MinTTL"), tf, "min_ttl", 0, out, "MinTTL", cast=int)
            self._arg(body, (*api, "DefaultTTL"), tf, "default_ttl", 86400, out, "DefaultTTL", cast=int)
            self._arg(body, (*api, "MaxTTL"), tf, "max_ttl", 31536000, out, "MaxTTL", cast=int)
        return out

    def _forwarded(self, body: dict[str, Any], api: ApiPath, tf: str) -> dict[str, Any]:
        self._block_place(api, tf, True)
        out: dict[str, Any] = {}
        self._arg(body, (*api, "QueryString"), tf, "query_string", REQUIRED, out, "QueryString", cast=bool)
        cookies = _single(body, "cookies")
        if cookies is None:
            raise CheckInputError(f"{self.label}: {tf}.cookies is required by the AWS provider and missing")
        c_api, c_tf = (*api, "Cookies"), f"{tf}.cookies"
        self._block_place(c_api, c_tf, True)
        entry: dict[str, Any] = {}
        self._arg(cookies, (*c_api, "Forward"), c_tf, "forward", REQUIRED, entry, "Forward")
        names = self._arg(cookies, (*c_api, "WhitelistedNames"), c_tf, "whitelisted_names", []) or []
        if entry["Forward"] == "whitelist":
            entry["WhitelistedNames"] = _items(list(names))
        out["Cookies"] = entry
        headers = self._arg(body, (*api, "Headers"), tf, "headers", []) or []
        out["Headers"] = _items(list(headers))
        keys = self._arg(body, (*api, "QueryStringCacheKeys"), tf, "query_string_cache_keys", []) or []
        out["QueryStringCacheKeys"] = _items(list(keys))
        return out

    def _error(self, body: dict[str, Any], index: int) -> dict[str, Any]:
        api: ApiPath = ("CustomErrorResponses", "Items", index)
        tf = f"custom_error_response[{index}]"
        self._block_place(api, tf, True)
        out: dict[str, Any] = {}
        self._arg(body, (*api, "ErrorCode"), tf, "error_code", REQUIRED, out, "ErrorCode", cast=int)
        path = self._arg(body, (*api, "ResponsePagePath"), tf, "response_page_path", NONE)
        code = self._arg(body, (*api, "ResponseCode"), tf, "response_code", NONE)
        if path:
            out["ResponsePagePath"] = path
        if code not in (None, "", 0):
            out["ResponseCode"] = str(int(code))  # a string in the API
        ttl = self._arg(body, (*api, "ErrorCachingMinTTL"), tf, "error_caching_min_ttl", NONE)
        if ttl is not None:
            out["ErrorCachingMinTTL"] = int(ttl)
        return out

    def _certificate(self, body: dict[str, Any] | None) -> dict[str, Any]:
        api: ApiPath = ("ViewerCertificate",)
        tf = "viewer_certificate"
        if body is None:
            raise CheckInputError(
                f"{self.label}: viewer_certificate is required by the AWS provider and missing"
            )
        self._block_place(api, tf, True)
        out: dict[str, Any] = {}
        default = self._arg(
            body,
            (*api, "CloudFrontDefaultCertificate"),
            tf,
            "cloudfront_default_certificate",
            False,
            cast=bool,
        )
        acm = self._arg(body, (*api, "ACMCertificateArn"), tf, "acm_certificate_arn", NONE)
        iam = self._arg(body, (*api, "IAMCertificateId"), tf, "iam_certificate_id", NONE)
        out["CloudFrontDefaultCertificate"] = bool(default) and not (acm or iam)
        if acm:
            out["ACMCertificateArn"] = acm
        if iam:
            out["IAMCertificateId"] = iam
        method = self._arg(body, (*api, "SSLSupportMethod"), tf, "ssl_support_method", NONE)
        if method and (acm or iam):
            out["SSLSupportMethod"] = method
        self._arg(
            body,
            (*api, "MinimumProtocolVersion"),
            tf,
            "minimum_protocol_version",
            "TLSv1",
            out,
            "MinimumProtocolVersion",
        )
        return out

    def _restrictions(self, body: dict[str, Any] | None) -> dict[str, Any]:
        api: ApiPath = ("Restrictions",)
        geo = _single(body or {}, "geo_restriction")
        if geo is None:
            raise CheckInputError(
                f"{self.label}: restrictions {{ geo_restriction {{ }} }} is required by the AWS "
                "provider and missing"
            )
        g_api, g_tf = (*api, "GeoRestriction"), "restrictions.geo_restriction"
        self._block_place(api, "restrictions", True)
        self._block_place(g_api, g_tf, True)
        entry: dict[str, Any] = {}
        self._arg(
            geo, (*g_api, "RestrictionType"), g_tf, "restriction_type", REQUIRED, entry, "RestrictionType"
        )
        locations = self._arg(geo, (*g_api, "Items"), g_tf, "locations", []) or []
        entry.update(_items(sorted(locations)))
        return {"GeoRestriction": entry}


# The API lists methods in this order in its own answers; the order does not matter to CloudFront.
_METHODS = ("GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE")


def _method_order(methods: Any) -> list[str]:
    if not isinstance(methods, list | tuple | set):
        raise CheckInputError(f"expected a list of HTTP methods, got {methods!r}")
    return sorted(set(methods), key=lambda m: _METHODS.index(m) if m in _METHODS else len(_METHODS))


# --- policies: aws_cloudfront_cache_policy, aws_cloudfront_origin_request_policy,
#     aws_cloudfront_response_headers_policy (provider docs of each resource) -> the API's *PolicyConfig ---


def _names_config(
    block: dict[str, Any] | None,
    behavior_key: str,
    list_block: str,
    api_behavior: str,
    api_list: str,
    default_behavior: str = "none",
) -> dict[str, Any]:
    block = block or {}
    out: dict[str, Any] = {api_behavior: block.get(behavior_key) or default_behavior}
    names_block = _single(block, list_block)
    names = list((names_block or {}).get("items") or [])
    if names:
        out[api_list] = _items(sorted(names))
    return out


def cache_policy_config(body: dict[str, Any]) -> dict[str, Any]:
    """aws_cloudfront_cache_policy -> CachePolicyConfig (TTL defaults per the provider docs: default_ttl
    86400, max_ttl 31536000, min_ttl 0)."""
    params = _single(body, "parameters_in_cache_key_and_forwarded_to_origin") or {}
    return {
        "Comment": body.get("comment") or "",
        "Name": body.get("name") or "",
        "DefaultTTL": int(body.get("default_ttl") if body.get("default_ttl") is not None else 86400),
        "MaxTTL": int(body.get("max_ttl") if body.get("max_ttl") is not None else 31536000),
        "MinTTL": int(body.get("min_ttl") or 0),
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": bool(params.get("enable_accept_encoding_gzip")),
            "EnableAcceptEncodingBrotli": bool(params.get("enable_accept_encoding_brotli")),
            "HeadersConfig": _names_config(
                _single(params, "headers_config"), "header_behavior", "headers", "HeaderBehavior", "Headers"
            ),
            "CookiesConfig": _names_config(
                _single(params, "cookies_config"), "cookie_behavior", "cookies", "CookieBehavior", "Cookies"
            ),
            "QueryStringsConfig": _names_config(
                _single(params, "query_strings_config"),
                "query_string_behavior",
                "query_strings",
                "QueryStringBehavior",
                "QueryStrings",
            ),
        },
    }


def origin_request_policy_config(body: dict[str, Any]) -> dict[str, Any]:
    """aws_cloudfront_origin_request_policy -> OriginRequestPolicyConfig."""
    return {
        "Comment": body.get("comment") or "",
        "Name": body.get("name") or "",
        "HeadersConfig": _names_config(
            _single(body, "headers_config"), "header_behavior", "headers", "HeaderBehavior", "Headers"
        ),
        "CookiesConfig": _names_config(
            _single(body, "cookies_config"), "cookie_behavior", "cookies", "CookieBehavior", "Cookies"
        ),
        "QueryStringsConfig": _names_config(
            _single(body, "query_strings_config"),
            "query_string_behavior",
            "query_strings",
            "QueryStringBehavior",
            "QueryStrings",
        ),
    }


def response_headers_policy_config(body: dict[str, Any], label: str) -> dict[str, Any]:
    """aws_cloudfront_response_headers_policy -> ResponseHeadersPolicyConfig: CORS, custom and removed
    headers, the security headers and Server-Timing, as the provider's blocks name them."""
    out: dict[str, Any] = {"Comment": body.get("comment") or "", "Name": body.get("name") or ""}
    cors = _single(body, "cors_config")
    if cors is not None:

        def names(block_name: str) -> dict[str, Any]:
            block = _single(cors, block_name) or {}
            return _items(sorted(block.get("items") or []))

        entry: dict[str, Any] = {
            "AccessControlAllowOrigins": names("access_control_allow_origins"),
            "AccessControlAllowHeaders": names("access_control_allow_headers"),
            "AccessControlAllowMethods": names("access_control_allow_methods"),
            "AccessControlAllowCredentials": bool(cors.get("access_control_allow_credentials")),
            "OriginOverride": bool(cors.get("origin_override")),
        }
        if _single(cors, "access_control_expose_headers"):
            entry["AccessControlExposeHeaders"] = names("access_control_expose_headers")
        if cors.get("access_control_max_age_sec") is not None:
            entry["AccessControlMaxAgeSec"] = int(cors["access_control_max_age_sec"])
        out["CorsConfig"] = entry
    custom = _single(body, "custom_headers_config")
    if custom is not None:
        out["CustomHeadersConfig"] = _items(
            [
                {"Header": i["header"], "Value": i["value"], "Override": bool(i.get("override"))}
                for i in _blocks(custom, "items")
            ]
        )
    remove = _single(body, "remove_headers_config")
    if remove is not None:
        out["RemoveHeadersConfig"] = _items([{"Header": i["header"]} for i in _blocks(remove, "items")])
    security = _single(body, "security_headers_config")
    if security is not None:
        entry = {}
        for tf_name, api_name, fields in (
            ("content_type_options", "ContentTypeOptions", {}),
            ("frame_options", "FrameOptions", {"frame_option": "FrameOption"}),
            ("referrer_policy", "ReferrerPolicy", {"referrer_policy": "ReferrerPolicy"}),
            (
                "xss_protection",
                "XSSProtection",
                {"protection": "Protection", "mode_block": "ModeBlock", "report_uri": "ReportUri"},
            ),
            (
                "strict_transport_security",
                "StrictTransportSecurity",
                {
                    "access_control_max_age_sec": "AccessControlMaxAgeSec",
                    "include_subdomains": "IncludeSubdomains",
                    "preload": "Preload",
                },
            ),
            (
                "content_security_policy",
                "ContentSecurityPolicy",
                {"content_security_policy": "ContentSecurityPolicy"},
            ),
        ):
            block = _single(security, tf_name)
            if block is None:
                continue
            item = {"Override": bool(block.get("override"))}
            for k, v in fields.items():
                if block.get(k) is not None:
                    item[v] = block[k]
            entry[api_name] = item
        out["SecurityHeadersConfig"] = entry
    timing = _single(body, "server_timing_headers_config")
    if timing is not None:
        out["ServerTimingHeadersConfig"] = {
            "Enabled": bool(timing.get("enabled")),
            "SamplingRate": float(timing.get("sampling_rate") or 0),
        }
    return out


POLICY_RESOURCES = {
    "aws_cloudfront_cache_policy": "cache",
    "aws_cloudfront_origin_request_policy": "origin-request",
    "aws_cloudfront_response_headers_policy": "response-headers",
}


def policy_config(resource_type: str, body: dict[str, Any], label: str) -> dict[str, Any]:
    kind = POLICY_RESOURCES[resource_type]
    if kind == "cache":
        return cache_policy_config(body)
    if kind == "origin-request":
        return origin_request_policy_config(body)
    return response_headers_policy_config(body, label)


# --- rendering an API value back as Terraform, for patches ---

# API leaf name -> Terraform argument, where they differ by more than case.
API_TO_TF = {
    "Id": "origin_id",
    "DomainName": "domain_name",
    "OriginPath": "origin_path",
    "HTTPPort": "http_port",
    "HTTPSPort": "https_port",
    "OriginProtocolPolicy": "origin_protocol_policy",
    "OriginSslProtocols": "origin_ssl_protocols",
    "OriginReadTimeout": "origin_read_timeout",
    "OriginKeepaliveTimeout": "origin_keepalive_timeout",
    "CachePolicyId": "cache_policy_id",
    "OriginRequestPolicyId": "origin_request_policy_id",
    "ResponseHeadersPolicyId": "response_headers_policy_id",
    "ViewerProtocolPolicy": "viewer_protocol_policy",
    "MinimumProtocolVersion": "minimum_protocol_version",
    "ErrorCode": "error_code",
    "ErrorCachingMinTTL": "error_caching_min_ttl",
    "ResponseCode": "response_code",
    "ResponsePagePath": "response_page_path",
    "HeaderName": "name",
    "HeaderValue": "value",
    "FunctionARN": "function_arn",
    "EventType": "event_type",
    "Compress": "compress",
    "Aliases": "aliases",
    "HttpVersion": "http_version",
    "SSLSupportMethod": "ssl_support_method",
    "ACMCertificateArn": "acm_certificate_arn",
    "CloudFrontDefaultCertificate": "cloudfront_default_certificate",
}


def hcl_value(value: Any) -> str:
    """An API value as an HCL literal: {Quantity, Items} -> a list."""
    if isinstance(value, dict) and "Quantity" in value:
        return hcl_value(value.get("Items", []))
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(hcl_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_snake(k)} = {hcl_value(v)}" for k, v in value.items()) + " }"
    if value is None:
        return "null"
    return str(value)


def _snake(name: str) -> str:
    if name in API_TO_TF:
        return API_TO_TF[name]
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def hcl_assignment(api_key: str, value: Any, tf_name: str | None = None) -> list[str]:
    """Lines setting one argument; for block lists (custom errors, functions, headers) the blocks."""
    name = tf_name or _snake(api_key)
    block_lists = {
        "CustomErrorResponses": "custom_error_response",
        "FunctionAssociations": "function_association",
        "CustomHeaders": "custom_header",
    }
    if api_key in block_lists and isinstance(value, dict):
        lines: list[str] = []
        for item in value.get("Items", []):
            lines.append(f"{block_lists[api_key]} {{")
            for k, v in item.items():
                if k == "ResponseCode":
                    v = int(v)
                lines.append(f"  {_snake(k)} = {hcl_value(v)}")
            lines.append("}")
        return lines
    if isinstance(value, dict) and "Quantity" not in value:
        lines = [f"{name} {{"]
        for k, v in value.items():
            lines.extend("  " + line for line in hcl_assignment(k, v))
        lines.append("}")
        return lines
    return [f"{name} = {hcl_value(value)}"]


# --- shared by the folder's and the plan's SourceMap ---

# API lists written in Terraform as repeated blocks: a patch writes whole blocks for them.
BLOCK_LISTS = ("CustomErrorResponses", "FunctionAssociations", "CustomHeaders")


def nearest_place(places: dict[ApiPath, Place], api_path: ApiPath) -> Place:
    """Where ``api_path`` comes from, or its nearest known parent; the resource itself when none is known."""
    path = tuple(api_path)
    while path:
        if path in places:
            return places[path]
        path = path[:-1]
    return Place("", True)


def api_key_of(api_path: ApiPath) -> str:
    """The API property a path ends in (list indexes and "Items" skipped)."""
    return next((k for k in reversed(api_path) if isinstance(k, str) and k != "Items"), "")


def patch_body(api_key: str, api_value: Any, tf_name: str | None) -> list[str]:
    """The HCL lines that set the property, a managed policy's ID followed by its name as a comment."""
    body = hcl_assignment(api_key, api_value, None if api_key in BLOCK_LISTS else tf_name or None)
    if api_key.endswith("PolicyId") and isinstance(api_value, str) and api_value in MANAGED_POLICY_NAMES:
        body[-1] += f"  # {MANAGED_POLICY_NAMES[api_value]}"
    return body
