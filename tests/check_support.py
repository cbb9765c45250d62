"""Hand-built inputs for the hostlab.check engine tests: a SourceMap over an API-shaped DistributionConfig,
DistributionInput builders, and the tutorial's distribution-config.json (the fixed one) and its broken twin.

The readers are built elsewhere; these stand-ins name a property by its API path, as a
get-distribution-config JSON would.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hostlab.check.model import (
    DISTRIBUTION_CONFIG,
    ApiPath,
    DistributionInput,
    FunctionInput,
    OriginHint,
    PolicyInput,
    Where,
    function_ref,
)

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL_CONFIG = ROOT / "infra" / "apprunner" / "cli" / "distribution-config.json"
FUNCTION_SOURCE = ROOT / "infra" / "cloudfront-function" / "forwarded-host.js"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ALL_VIEWER = "216adef6-5c7f-47e4-b989-5492eafa07d3"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
APPRUNNER_DOMAIN = "abcdefghij.us-east-1.awsapprunner.com"
SECRET = "check-test-secret-value"


class ApiPathSourceMap:
    """Names a property by its API path, in a file of the reader's (a DistributionConfig JSON)."""

    language = DISTRIBUTION_CONFIG

    def __init__(self, file: str, config: dict[str, Any]):
        self.file, self.config = file, config

    def where(self, api_path: ApiPath) -> Where:
        text = "DistributionConfig" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in api_path)
        node: Any = self.config
        for part in api_path:
            try:
                node = node[part]
            except (KeyError, IndexError, TypeError):
                return Where(self.file, text, present=False)
        return Where(self.file, text)

    def patch(self, api_path: ApiPath, api_value: Any) -> str:
        return f"{self.where(api_path).path} = {json.dumps(api_value)}"


def listed(items: list) -> dict:
    return {"Quantity": len(items), "Items": list(items)}


def dist_input(
    config: dict[str, Any],
    *,
    name: str = "Distribution",
    file: str = "config.json",
    functions: dict[str, FunctionInput] | None = None,
    policies: dict[str, PolicyInput] | None = None,
    origins: dict[str, OriginHint] | None = None,
    not_emulated: list | None = None,
) -> DistributionInput:
    return DistributionInput(
        name=name,
        source_file=file,
        source=ApiPathSourceMap(file, config),
        config=config,
        functions=functions or {},
        policies=policies or {},
        origins=origins or {},
        not_emulated=not_emulated or [],
    )


def tutorial_fixed() -> DistributionInput:
    """infra/apprunner/cli/distribution-config.json with its placeholders filled: the fixed configuration."""
    text = TUTORIAL_CONFIG.read_text()
    for placeholder, value in {
        "@CALLER_REFERENCE@": "tutorial-fixed",
        "@APP_RUNNER_DOMAIN@": APPRUNNER_DOMAIN,
        "@SECRET_HEADER@": "X-Origin-Secret",
        "@ORIGIN_SECRET@": SECRET,
        "@FUNCTION_ARN@": function_ref("forwarded-host"),
    }.items():
        text = text.replace(placeholder, value)
    config = json.loads(text)
    function = FunctionInput(
        "forwarded-host",
        "cloudfront-js-2.0",
        FUNCTION_SOURCE.read_text(),
        Where("forwarded-host.js", "FunctionCode"),
    )
    return dist_input(
        config, name="TutorialFixed", file="distribution-config.json", functions={"forwarded-host": function}
    )


def tutorial_broken() -> DistributionInput:
    """The tutorial's broken configuration, derived from the fixed one: AllViewer, [TLSv1], CachingOptimized
    on the default behaviour, no error responses, no secret header, no function."""
    fixed = tutorial_fixed()
    config = copy.deepcopy(fixed.config)
    origin = config["Origins"]["Items"][0]
    origin["CustomOriginConfig"]["OriginSslProtocols"] = listed(["TLSv1"])
    origin["CustomOriginConfig"].pop("OriginReadTimeout")
    origin["CustomHeaders"] = listed([])
    default = config["DefaultCacheBehavior"]
    default["CachePolicyId"] = CACHING_OPTIMIZED
    default["OriginRequestPolicyId"] = ALL_VIEWER
    default["FunctionAssociations"] = listed([])
    config.pop("CustomErrorResponses")
    return dist_input(config, name="TutorialBroken", file="distribution-config.json")
