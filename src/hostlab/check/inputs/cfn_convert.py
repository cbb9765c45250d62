"""AWS::CloudFront::Distribution DistributionConfig (CloudFormation's names and shapes) <-> the API's shape.

The API side is botocore's CloudFront model (DistributionConfig as CreateDistribution takes it): the walk is
driven by that model, so every API property is known by its type. CloudFormation differs from the API in
(AWS::CloudFront::Distribution resource reference, each property page under
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-cloudfront-distribution-*.html):

* lists are plain lists, the API wraps them as ``{"Quantity": n, "Items": [...]}`` (OriginGroups, their
  Members and StatusCodes keep the API's wrapper in CloudFormation too);
* a handful of names: OriginSSLProtocols (API OriginSslProtocols), OriginCustomHeaders (CustomHeaders),
  IPV6Enabled (IsIPV6Enabled), AcmCertificateArn / IamCertificateId / SslSupportMethod (ACMCertificateArn /
  IAMCertificateId / SSLSupportMethod), GeoRestriction Locations (Items);
* CachedMethods sits beside AllowedMethods in a behaviour, inside it in the API;
* TrustedSigners / TrustedKeyGroups are lists; the API adds ``Enabled``;
* Logging has no Enabled: the property's presence enables it.

Omitted properties take the resource schema's defaults (:data:`DEFAULTS`, each with its page), the values
CloudFormation sends when a template leaves them out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import botocore.session

from hostlab.check.model import ApiPath

CfnPath = tuple[str | int, ...]
ErrorAt = Callable[[CfnPath, str, str], Exception]  # (cfn path, construct, why) -> exception to raise

_MODEL = None


def model():
    global _MODEL
    if _MODEL is None:
        _MODEL = botocore.session.get_session().get_service_model("cloudfront")
    return _MODEL


def shape(name: str):
    return model().shape_for(name)


# (API structure shape, API member) -> CloudFormation property name.
RENAMES: dict[tuple[str, str], str] = {
    ("Origin", "CustomHeaders"): "OriginCustomHeaders",
    ("CustomOriginConfig", "OriginSslProtocols"): "OriginSSLProtocols",
    ("DistributionConfig", "IsIPV6Enabled"): "IPV6Enabled",
    ("ViewerCertificate", "IAMCertificateId"): "IamCertificateId",
    ("ViewerCertificate", "ACMCertificateArn"): "AcmCertificateArn",
    ("ViewerCertificate", "SSLSupportMethod"): "SslSupportMethod",
}
_CFN_NAMES: dict[tuple[str, str], str] = {(s, cfn): api for (s, api), cfn in RENAMES.items()}

# Wrappers CloudFormation writes as the API does, with Quantity and Items
# (aws-properties-cloudfront-distribution-origingroups.html, -origingroupmembers.html, -statuscodes.html).
CFN_KEEPS_QUANTITY = {"OriginGroups", "OriginGroupMembers", "StatusCodes"}
BEHAVIOUR_SHAPES = {"DefaultCacheBehavior", "CacheBehavior"}

CF_DOC = "https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/"
# The resource schema's defaults, in the API's shape, by API shape name. Each is on the property's page in
# the resource reference (and in the registry schema that cfn-lint ships; tests/test_check_cloudformation.py
# compares the two). Properties whose default is "" meaning "none" (CachePolicyId, OriginRequestPolicyId,
# ResponseHeadersPolicyId, RealtimeLogConfigArn) are left out rather than sent empty.
DEFAULTS: dict[str, dict[str, Any]] = {
    # aws-properties-cloudfront-distribution-distributionconfig.html
    "DistributionConfig": {
        "Comment": "",
        "DefaultRootObject": "",
        "HttpVersion": "http1.1",
        "PriceClass": "PriceClass_All",
        "Restrictions": {"GeoRestriction": {"RestrictionType": "none", "Quantity": 0}},
        "ViewerCertificate": {"CloudFrontDefaultCertificate": True},
        "WebACLId": "",
    },
    # aws-properties-cloudfront-distribution-origin.html
    "Origin": {"OriginPath": ""},
    # aws-properties-cloudfront-distribution-customoriginconfig.html: OriginSSLProtocols defaults to
    # [TLSv1, SSLv3], read timeout 30 s, keep-alive 5 s, ports 80 and 443.
    "CustomOriginConfig": {
        "HTTPPort": 80,
        "HTTPSPort": 443,
        "OriginKeepaliveTimeout": 5,
        "OriginReadTimeout": 30,
        "OriginSslProtocols": {"Quantity": 2, "Items": ["TLSv1", "SSLv3"]},
    },
    # aws-properties-cloudfront-distribution-s3originconfig.html (the API requires the member)
    "S3OriginConfig": {"OriginAccessIdentity": ""},
    # aws-properties-cloudfront-distribution-vpcoriginconfig.html
    "VpcOriginConfig": {"OriginKeepaliveTimeout": 5, "OriginReadTimeout": 30},
    # aws-properties-cloudfront-distribution-defaultcachebehavior.html and -cachebehavior.html
    "DefaultCacheBehavior": {
        "AllowedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"],
                           "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}},
        "Compress": False,
        "FieldLevelEncryptionId": "",
        "SmoothStreaming": False,
    },
    "CacheBehavior": {
        "AllowedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"],
                           "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}},
        "Compress": False,
        "FieldLevelEncryptionId": "",
        "SmoothStreaming": False,
    },
    # aws-properties-cloudfront-distribution-forwardedvalues.html
    "ForwardedValues": {"Cookies": {"Forward": "none"}},
    # aws-properties-cloudfront-distribution-customerrorresponse.html: ErrorCachingMinTTL 300 (the schema's;
    # CloudFront's own default when the API omits it is 10 s, Developer Guide HTTPStatusCodes.html)
    "CustomErrorResponse": {"ErrorCachingMinTTL": 300},
    # aws-properties-cloudfront-distribution-logging.html
    "LoggingConfig": {"IncludeCookies": False, "Prefix": ""},
}
# With ForwardedValues (the legacy cache settings) a behaviour also takes the TTL defaults
# (-defaultcachebehavior.html: MinTTL 0, DefaultTTL 86400, MaxTTL 31536000); with a cache policy the API
# refuses them.
LEGACY_TTL_DEFAULTS = {"MinTTL": 0, "DefaultTTL": 86_400, "MaxTTL": 31_536_000}


def is_wrapper(api_shape) -> bool:
    return api_shape.type_name == "structure" and "Quantity" in api_shape.members


def cfn_name(shape_name: str, api_member: str) -> str:
    return RENAMES.get((shape_name, api_member), api_member)


def _coerce(value: Any, api_shape, path: CfnPath, error: ErrorAt) -> Any:
    kind = api_shape.type_name
    if kind in ("integer", "long"):
        if isinstance(value, bool):
            raise error(path, repr(value), "expected a number")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise error(path, repr(value), "expected a number") from None
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("true", "false"):
            return str(value).lower() == "true"
        raise error(path, repr(value), "expected true or false")
    if kind == "string":
        if isinstance(value, (dict, list)):
            raise error(path, type(value).__name__, "expected a single value")
        return str(value).lower() if isinstance(value, bool) else str(value)
    return value


def to_api(cfn: Any, api_shape, path: CfnPath, error: ErrorAt, parent: dict | None = None) -> Any:
    """Convert one CloudFormation value to the API's shape ``api_shape``, filling the schema's defaults."""
    name = api_shape.name
    if api_shape.type_name == "list":
        if not isinstance(cfn, list):
            raise error(path, type(cfn).__name__, "expected a list")
        return [to_api(item, api_shape.member, (*path, index), error) for index, item in enumerate(cfn)]
    if api_shape.type_name != "structure":
        return _coerce(cfn, api_shape, path, error)
    if is_wrapper(api_shape) and name not in CFN_KEEPS_QUANTITY:
        if name == "GeoRestriction":
            return _geo(cfn, api_shape, path, error)
        if isinstance(cfn, dict) and "Items" in cfn and set(cfn) <= {"Items", "Quantity"}:
            # AWS::CloudFront::ResponseHeadersPolicy writes its lists as {Items: [...]}
            # (aws-properties-cloudfront-responseheaderspolicy-accesscontrolallowheaders.html and siblings).
            cfn, path = cfn["Items"], (*path, "Items")
        if not isinstance(cfn, list):
            raise error(path, type(cfn).__name__, "expected a list")
        items = to_api(cfn, api_shape.members["Items"], path, error)
        result: dict[str, Any] = {"Quantity": len(items)}
        if items:
            result["Items"] = items
        if "Enabled" in api_shape.members:  # TrustedSigners, TrustedKeyGroups
            result = {"Enabled": bool(items), **result}
        if name == "AllowedMethods":
            cached = (parent or {}).get("CachedMethods", ["GET", "HEAD"])
            cached_items = to_api(cached, shape("CachedMethods").members["Items"],
                                  (*path[:-1], "CachedMethods"), error)
            result["CachedMethods"] = {"Quantity": len(cached_items), "Items": cached_items}
        return result
    if not isinstance(cfn, dict):
        raise error(path, type(cfn).__name__, "expected a set of properties")
    result = {}
    members = api_shape.members
    for key, value in cfn.items():
        if name in BEHAVIOUR_SHAPES and key == "CachedMethods":
            continue  # folded into AllowedMethods
        api_member = _CFN_NAMES.get((name, key), key)
        if api_member not in members:
            raise error((*path, key), key, f"not a property of {name} the checker knows")
        result[api_member] = to_api(value, members[api_member], (*path, key), error, parent=cfn)
    if name in BEHAVIOUR_SHAPES and "CachedMethods" in cfn and "AllowedMethods" not in cfn:
        result["AllowedMethods"] = to_api(["GET", "HEAD"], members["AllowedMethods"],
                                          (*path, "AllowedMethods"), error, parent=cfn)
    for member, default in DEFAULTS.get(name, {}).items():
        result.setdefault(member, default)
    if name in BEHAVIOUR_SHAPES and "ForwardedValues" in result:
        for member, default in LEGACY_TTL_DEFAULTS.items():
            result.setdefault(member, default)
    if name == "LoggingConfig":
        result.setdefault("Enabled", True)
    return result


def _geo(cfn: Any, api_shape, path: CfnPath, error: ErrorAt) -> dict:
    if not isinstance(cfn, dict):
        raise error(path, type(cfn).__name__, "expected a set of properties")
    locations = to_api(cfn.get("Locations", []), api_shape.members["Items"], (*path, "Locations"), error)
    result = {"RestrictionType": str(cfn.get("RestrictionType", "none")), "Quantity": len(locations)}
    if locations:
        result["Items"] = locations
    return result


def cfn_path(api_path: ApiPath) -> tuple[CfnPath, bool]:
    """The CloudFormation path (relative to DistributionConfig) of an API path, and whether it got all the
    way (False: an unknown member; the path is its nearest known parent)."""
    current = shape("DistributionConfig")
    result: list[str | int] = []
    index = 0
    while index < len(api_path):
        part = api_path[index]
        if current.type_name == "list":
            if not isinstance(part, int):
                return tuple(result), False
            result.append(part)
            current = current.member
        elif current.type_name == "structure":
            if not isinstance(part, str) or part not in current.members:
                return tuple(result), False
            name = current.name
            if is_wrapper(current) and name not in CFN_KEEPS_QUANTITY:
                if name == "GeoRestriction":
                    result.append("Locations" if part in ("Items", "Quantity") else part)
                    if part == "Quantity":
                        return tuple(result), True
                elif part in ("Quantity", "Enabled"):
                    return tuple(result), True  # the CloudFormation list itself says how many
                elif name == "AllowedMethods" and part == "CachedMethods":
                    result[-1] = "CachedMethods"  # beside AllowedMethods in CloudFormation
                # "Items": the CloudFormation list is the Items
            elif name == "LoggingConfig" and part == "Enabled":
                return tuple(result), True
            else:
                result.append(cfn_name(name, part))
            current = current.members[part]
        else:
            return tuple(result), False
        index += 1
    return tuple(result), True


def api_shape_at(api_path: ApiPath):
    current = shape("DistributionConfig")
    for part in api_path:
        if current.type_name == "list" and isinstance(part, int):
            current = current.member
        elif current.type_name == "structure" and part in current.members:
            current = current.members[part]
        else:
            return None
    return current


def to_cfn(api_value: Any, api_shape) -> Any:
    """An API-shaped value in CloudFormation's names and shapes (for patches)."""
    if api_shape is None:
        return api_value
    if api_shape.type_name == "list":
        return [to_cfn(item, api_shape.member) for item in api_value or []]
    if api_shape.type_name != "structure" or not isinstance(api_value, dict):
        return api_value
    name = api_shape.name
    if is_wrapper(api_shape) and name not in CFN_KEEPS_QUANTITY:
        if name == "GeoRestriction":
            return {"RestrictionType": api_value.get("RestrictionType"),
                    "Locations": list(api_value.get("Items", []))}
        return to_cfn(api_value.get("Items", []), api_shape.members["Items"])
    result: dict[str, Any] = {}
    for member, value in api_value.items():
        if member not in api_shape.members:
            continue
        if name in BEHAVIOUR_SHAPES and member == "AllowedMethods" and isinstance(value, dict):
            result["AllowedMethods"] = list(value.get("Items", []))
            if "CachedMethods" in value:
                result["CachedMethods"] = list(value["CachedMethods"].get("Items", []))
            continue
        if name == "LoggingConfig" and member == "Enabled":
            continue
        result[cfn_name(name, member)] = to_cfn(value, api_shape.members[member])
    return result
