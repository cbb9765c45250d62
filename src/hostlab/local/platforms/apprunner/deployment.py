"""How the demo app is deployed on App Runner, locally: a service's SourceConfiguration, as DescribeService
returns it, read as the platform-neutral RuntimeConfig that hostlab.local.dataplane.apps runs."""

from __future__ import annotations

from hostlab.local.dataplane.apps import RuntimeConfig


def runtime_config(service: dict) -> RuntimeConfig:
    """RuntimeConfig from a DescribeService ``Service``: image services and code services with
    ConfigurationSource API (a code service configured by its repository's apprunner.yaml has nothing
    here to read; it gets the defaults)."""
    source = service.get("SourceConfiguration") or {}
    image_repo = source.get("ImageRepository") or {}
    values = image_repo.get("ImageConfiguration")
    if values is None:
        code = (source.get("CodeRepository") or {}).get("CodeConfiguration") or {}
        values = code.get("CodeConfigurationValues") or {}
    port_text = str(values.get("Port") or "8080")
    return RuntimeConfig(
        port=int(port_text) if port_text.isdigit() else 8080,
        start_command=values.get("StartCommand"),
        env=tuple(sorted((values.get("RuntimeEnvironmentVariables") or {}).items())),
        secrets=tuple(sorted((values.get("RuntimeEnvironmentSecrets") or {}).items())),
        image=image_repo.get("ImageIdentifier"),
    )
