"""What App Runner checks that botocore does not, and the defaults it fills in.

botocore validates required members, types and minimum lengths/values on the client; it does not check
enums, maximum lengths, maximum values or patterns. :func:`validate_input` checks those against botocore's
own apprunner model (one source of truth), and the functions below add the rules that live only in the
documentation. Each rule names its source. Violations raise InvalidRequestException, the only input error
the App Runner model defines (it has no ValidationException).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from hostlab.local.controlplane.botocore_model import service_model
from hostlab.local.platforms.apprunner.errors import InvalidRequestException

# ---------------------------------------------------------------------------------------------------------
# Constraints of the service model
# ---------------------------------------------------------------------------------------------------------


@cache
def _operation_model(operation: str) -> OperationModel:
    return service_model("apprunner").operation_model(operation)


def _lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _violations(value: Any, shape: Shape, path: str) -> list[str]:
    """Constraint violations of ``value`` against ``shape``, phrased the way AWS's request validation is.

    ASSUMPTION: AWS applies model patterns to the whole value (a partial match would let "my app" pass the
    ServiceName pattern), and words failures as "Value '<v>' at '<path>' failed to satisfy constraint:
    Member must ..." (the wording AWS's JSON services use for model constraints, e.g. in aws-sdk-java
    issue 1973).
    """
    found: list[str] = []
    where = f"at '{path}'"
    meta = shape.metadata
    # Sensitive members (StartCommand, environment variables) are never echoed back.
    shown = "Value" if meta.get("sensitive") else f"Value '{value}'"
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        for member, member_shape in shape.members.items():
            if member in value and value[member] is not None:
                found += _violations(
                    value[member], member_shape, f"{path}.{_lower_camel(member)}".lstrip(".")
                )
    elif isinstance(shape, ListShape) and isinstance(value, list):
        if "max" in meta and len(value) > meta["max"]:
            found.append(
                f"{shown} {where} failed to satisfy constraint: Member must have length less than "
                f"or equal to {meta['max']}"
            )
        for index, item in enumerate(value, start=1):
            found += _violations(item, shape.member, f"{path}.{index}.member")
    elif isinstance(shape, MapShape) and isinstance(value, dict):
        for key, item in value.items():
            found += _violations(key, shape.key, f"{path}.{key}.key")
            found += _violations(item, shape.value, f"{path}.{key}.value")
    elif shape.type_name == "string" and isinstance(value, str):
        if shape.enum and value not in shape.enum:
            found.append(
                f"{shown} {where} failed to satisfy constraint: Member must satisfy enum value set: "
                f"[{', '.join(shape.enum)}]"
            )
        if "max" in meta and len(value) > meta["max"]:
            found.append(
                f"{shown} {where} failed to satisfy constraint: Member must have length less than "
                f"or equal to {meta['max']}"
            )
        if "pattern" in meta and not re.fullmatch(meta["pattern"], value):
            found.append(
                f"{shown} {where} failed to satisfy constraint: Member must satisfy regular "
                f"expression pattern: {meta['pattern']}"
            )
    elif shape.type_name in ("integer", "long") and isinstance(value, int) and value > meta.get("max", value):
        found.append(
            f"{shown} {where} failed to satisfy constraint: Member must have value less than or "
            f"equal to {meta['max']}"
        )
    return found


def validate_input(operation: str, params: dict[str, Any]) -> None:
    """Check ``params`` of ``operation`` against the model's enums, maximums and patterns."""
    found = _violations(params, _operation_model(operation).input_shape, "")
    if found:
        noun = "error" if len(found) == 1 else "errors"
        raise InvalidRequestException(f"{len(found)} validation {noun} detected: {'; '.join(found)}")


# ---------------------------------------------------------------------------------------------------------
# Instance configuration: the CPU and memory pairs App Runner runs
# ---------------------------------------------------------------------------------------------------------

# AR-DG architecture.html, "App Runner supported configurations" (also listed per memory size in the CDK
# reference, aws-apprunner-alpha Memory: 0.5 GB for 0.25 vCPU, 1 GB for 0.25 or 0.5 vCPU, 2/3 GB for
# 1 vCPU, 4 GB for 1 or 2 vCPU, 6 GB for 2 vCPU, 8/10/12 GB for 4 vCPU). Values in CPU units / MB.
CPU_MEMORY_PAIRS: dict[str, tuple[str, ...]] = {
    "256": ("512", "1024"),
    "512": ("1024",),
    "1024": ("2048", "3072", "4096"),
    "2048": ("4096", "6144"),
    "4096": ("8192", "10240", "12288"),
}

# API_InstanceConfiguration: "Default: 1 vCPU", "Default: 2 GB". The API answers in units and MB even when
# given "1 vCPU" / "3 GB" (terraform-provider-aws internal/service/apprunner/service_test.go expects cpu
# "1024" and memory "3072" for a service created with "1 vCPU" and "3 GB").
DEFAULT_CPU = "1024"
DEFAULT_MEMORY = "2048"


def _units(value: str, suffix: str, per_unit: int) -> str:
    # "0.25 vCPU" -> "256", "12 GB" -> "12288"; plain numbers pass through (the model's patterns already
    # limited both forms to the documented values).
    if value.endswith(suffix):
        return str(int(float(value[: -len(suffix)]) * per_unit))
    return value


def normalize_cpu(value: str) -> str:
    return _units(value, " vCPU", 1024)


def normalize_memory(value: str) -> str:
    return _units(value, " GB", 1024)


def instance_configuration(given: dict[str, Any] | None, current: dict[str, Any] | None) -> dict[str, Any]:
    """The InstanceConfiguration to store: ``given`` over ``current`` (UpdateService) or the defaults."""
    result = dict(current or {"Cpu": DEFAULT_CPU, "Memory": DEFAULT_MEMORY})
    result.update({k: v for k, v in (given or {}).items() if v is not None})
    result["Cpu"] = normalize_cpu(result["Cpu"])
    result["Memory"] = normalize_memory(result["Memory"])
    if result["Memory"] not in CPU_MEMORY_PAIRS.get(result["Cpu"], ()):
        raise InvalidRequestException(
            f"Unsupported CPU and memory combination: Cpu {result['Cpu']} with Memory {result['Memory']}. "
            "Supported: " + "; ".join(f"{cpu}: {', '.join(mem)}" for cpu, mem in CPU_MEMORY_PAIRS.items())
        )
    return result


# ---------------------------------------------------------------------------------------------------------
# Source configuration
# ---------------------------------------------------------------------------------------------------------

# API_ImageConfiguration, Port: "Default: 8080".
DEFAULT_PORT = "8080"
# API_ImageConfiguration / API_CodeConfigurationValues, RuntimeEnvironmentVariables: "Keys with a prefix of
# AWSAPPRUNNER are reserved for system use and aren't valid."
RESERVED_ENV_PREFIX = "AWSAPPRUNNER"


def _check_environment(config: dict[str, Any], where: str) -> None:
    for mapping in (config.get("RuntimeEnvironmentVariables"), config.get("RuntimeEnvironmentSecrets")):
        for key in mapping or {}:
            if key.upper().startswith(RESERVED_ENV_PREFIX):
                raise InvalidRequestException(
                    f"{where}: environment variable names starting with {RESERVED_ENV_PREFIX} are reserved "
                    f"for system use ({key})"
                )
    port = config.get("Port")
    # ASSUMPTION: the Port string must be a TCP port number (the model types it as a free string).
    if port is not None and not (port.isdigit() and 1 <= int(port) <= 65535):
        raise InvalidRequestException(f"{where}.Port must be a port number between 1 and 65535, got {port!r}")


def _image_repository(repo: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
    identifier, kind = repo["ImageIdentifier"], repo["ImageRepositoryType"]
    # API_ImageRepository, ImageIdentifier: "an image name in Amazon ECR ... or a path to an image in
    # Amazon ECR Public"; the model's pattern has one branch per registry. ASSUMPTION: the identifier must be
    # in the registry that ImageRepositoryType names.
    public = identifier.startswith("public.ecr.aws/")
    if (kind == "ECR_PUBLIC") != public:
        raise InvalidRequestException(
            f"ImageIdentifier {identifier} is not an image in the {kind} repository type "
            "(ECR: <account>.dkr.ecr.<region>.amazonaws.com/<repo>, "
            "ECR_PUBLIC: public.ecr.aws/<alias>/<repo>)"
        )
    # API_AuthenticationConfiguration, AccessRoleArn: "It's required for ECR image repositories (but not for
    # ECR Public repositories)."
    if kind == "ECR" and not auth.get("AccessRoleArn"):
        raise InvalidRequestException(
            "AuthenticationConfiguration.AccessRoleArn is required for an ECR image repository"
        )
    image_config = dict(repo.get("ImageConfiguration") or {})
    _check_environment(image_config, "ImageConfiguration")
    image_config.setdefault("Port", DEFAULT_PORT)
    return {**repo, "ImageConfiguration": image_config}


def _code_repository(repo: dict[str, Any], auth: dict[str, Any]) -> dict[str, Any]:
    # API_AuthenticationConfiguration, ConnectionArn: "It's required for GitHub code repositories."
    if not auth.get("ConnectionArn"):
        raise InvalidRequestException(
            "AuthenticationConfiguration.ConnectionArn is required for a source code repository"
        )
    code_config = repo.get("CodeConfiguration") or {}
    # API_CodeConfiguration, CodeConfigurationValues: "[...] when ConfigurationSource is set to API."
    values = code_config.get("CodeConfigurationValues")
    if code_config.get("ConfigurationSource") == "API" and not values:
        raise InvalidRequestException("CodeConfigurationValues is required when ConfigurationSource is API")
    if values:
        _check_environment(values, "CodeConfigurationValues")
    return repo


def source_configuration(given: dict[str, Any], account_id: str) -> dict[str, Any]:
    """The SourceConfiguration to store and echo, with App Runner's defaults filled in."""
    code, image = given.get("CodeRepository"), given.get("ImageRepository")
    # API_SourceConfiguration: "You must provide either this member or ImageRepository (but not both)."
    if bool(code) == bool(image):
        raise InvalidRequestException(
            "SourceConfiguration must contain exactly one of CodeRepository and ImageRepository"
        )
    auth = given.get("AuthenticationConfiguration") or {}
    result = {k: v for k, v in given.items() if v is not None}
    if image:
        result["ImageRepository"] = _image_repository(image, auth)
    else:
        result["CodeRepository"] = _code_repository(code, auth)
    if result.get("AutoDeploymentsEnabled") is None:
        # API_SourceConfiguration, AutoDeploymentsEnabled: "App Runner sets to false for a source image that
        # uses an ECR Public repository or an ECR repository that's in an AWS account other than the one that
        # the service is in. App Runner sets to true in all other cases."
        if image:
            same_account = image["ImageIdentifier"].split(".", 1)[0] == account_id
            result["AutoDeploymentsEnabled"] = image["ImageRepositoryType"] == "ECR" and same_account
        else:
            result["AutoDeploymentsEnabled"] = True
    return result


# ---------------------------------------------------------------------------------------------------------
# Health check and network configuration
# ---------------------------------------------------------------------------------------------------------

# API_HealthCheckConfiguration defaults: Protocol TCP, Path "/", Interval 5, Timeout 2, HealthyThreshold 1,
# UnhealthyThreshold 5. terraform-provider-aws (service_test.go) only asserts Protocol TCP and Path "/"
# because "their defaults differ in the API documentation and API itself": the numbers are the documented
# ones, not measured ones.
HEALTH_CHECK_DEFAULTS: dict[str, Any] = {
    "Protocol": "TCP",
    "Path": "/",
    "Interval": 5,
    "Timeout": 2,
    "HealthyThreshold": 1,
    "UnhealthyThreshold": 5,
}


def health_check_configuration(
    given: dict[str, Any] | None, current: dict[str, Any] | None
) -> dict[str, Any]:
    result = dict(current or HEALTH_CHECK_DEFAULTS)
    result.update({k: v for k, v in (given or {}).items() if v is not None})
    return result


def network_configuration(given: dict[str, Any] | None, current: dict[str, Any] | None) -> dict[str, Any]:
    # Defaults as the API returns them (terraform-provider-aws service_test.go, ImageRepository_basic):
    # egress DEFAULT without a connector, publicly accessible ingress, IPV4.
    result = {
        "EgressConfiguration": {"EgressType": "DEFAULT"},
        "IngressConfiguration": {"IsPubliclyAccessible": True},
        "IpAddressType": "IPV4",
        **(current or {}),
    }
    for key, value in (given or {}).items():
        if isinstance(value, dict):
            result[key] = {**result.get(key, {}), **value}
        elif value is not None:
            result[key] = value
    egress = result["EgressConfiguration"]
    # API_EgressConfiguration, VpcConnectorArn: "Only valid when EgressType = VPC."
    if egress.get("EgressType") == "VPC" and not egress.get("VpcConnectorArn"):
        raise InvalidRequestException(
            "EgressConfiguration.VpcConnectorArn is required when EgressType is VPC"
        )
    if egress.get("EgressType") != "VPC" and egress.get("VpcConnectorArn"):
        raise InvalidRequestException(
            "EgressConfiguration.VpcConnectorArn is only valid when EgressType is VPC"
        )
    return result


# ---------------------------------------------------------------------------------------------------------
# Automatic scaling: the default configuration every service starts with
# ---------------------------------------------------------------------------------------------------------

DEFAULT_AUTO_SCALING_NAME = "DefaultConfiguration"
# AR-DG architecture.html, resource ARNs:
# arn:aws:apprunner:region:account-id:autoscalingconfiguration/config-name[/config-revision[/config-id]]
_AUTO_SCALING_ARN = re.compile(
    r"arn:aws[\w-]*:apprunner:(?P<region>[a-z0-9-]+):(?P<account>\d{12}):autoscalingconfiguration/"
    r"(?P<name>[A-Za-z0-9][A-Za-z0-9_-]{3,31})/(?P<revision>\d+)/[0-9a-f]{32}"
)


def auto_scaling_summary(arn: str, region: str, account_id: str) -> dict[str, Any]:
    """The AutoScalingConfigurationSummary for ``arn``, which must name a configuration of this account."""
    match = _AUTO_SCALING_ARN.fullmatch(arn)
    if not match or match["region"] != region or match["account"] != account_id:
        raise InvalidRequestException(
            f"AutoScalingConfigurationArn {arn} is not an automatic scaling "
            f"configuration of account {account_id} in {region}"
        )
    return {
        "AutoScalingConfigurationArn": arn,
        "AutoScalingConfigurationName": match["name"],
        "AutoScalingConfigurationRevision": int(match["revision"]),
    }


# ---------------------------------------------------------------------------------------------------------
# Custom domains
# ---------------------------------------------------------------------------------------------------------

# AR-DG manage-custom-domains.html: "You can associate up to five custom domains."
MAX_CUSTOM_DOMAINS = 5


def check_domain_name(name: str, www: bool) -> None:
    """AR-DG manage-custom-domains.html: a root domain, a subdomain, or a wildcard ``*.example.com``.

    "You can't use the www option in this case [a wildcard]"; "login*.example.com" is not valid. The guide
    also rejects "*.login.example.com" (a wildcard must sit right under a root domain); telling a root domain
    from a subdomain needs the public suffix list, so that one rule is not enforced here.
    """
    labels = name.split(".")
    if len(labels) < 2 or any(not label for label in labels):
        raise InvalidRequestException(f"DomainName {name} is not a valid domain name")
    if "*" in name:
        if labels[0] != "*" or "*" in ".".join(labels[1:]):
            raise InvalidRequestException(
                f"DomainName {name}: a wildcard must be the whole leftmost label, as in *.example.com"
            )
        if www:
            raise InvalidRequestException(
                f"DomainName {name}: EnableWWWSubdomain can't be used with a wildcard"
            )


# ---------------------------------------------------------------------------------------------------------
# Pagination
# ---------------------------------------------------------------------------------------------------------


def page(items: list[Any], max_results: int | None, next_token: str | None) -> tuple[list[Any], str | None]:
    """One page of ``items``. API reference (ListServices, ListOperations, DescribeCustomDomains): without
    MaxResults "the request retrieves all available results in a single response"; the token is opaque.
    """
    start = 0
    if next_token is not None:
        # Our tokens are decimal offsets; anything else was not issued by us. ASSUMPTION: AWS answers a
        # foreign token with InvalidRequestException (the model's only input error).
        if not next_token.isdigit() or int(next_token) > len(items):
            raise InvalidRequestException(f"NextToken {next_token} is not valid")
        start = int(next_token)
    if max_results is None:
        return items[start:], None
    end = start + max_results
    return items[start:end], (str(end) if end < len(items) else None)
