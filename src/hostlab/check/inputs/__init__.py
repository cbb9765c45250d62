"""Read one input into DistributionInput objects (hostlab.check.model), whatever its language.

    cloudformation.py        a template, YAML or JSON (intrinsic functions resolved, --param)
    terraform.py             a configuration directory of .tf files (python-hcl2; variables, locals, modules)
    terraform_plan.py        `terraform show -json plan.out`
    distribution_config.py   `aws cloudfront get-distribution-config` output, with or without its ETag
    live.py                  a deployed distribution read through the API (--aws), read-only

:func:`read` decides from the path and the content which one applies.
"""

from __future__ import annotations

import json
from pathlib import Path

from hostlab.check.model import CheckInputError, DistributionInput


def read(path: str, *, params: dict[str, str] | None = None,
         variables: dict[str, str] | None = None) -> list[DistributionInput]:
    """Every distribution in ``path``; CheckInputError names what cannot be read and where."""
    params, variables = params or {}, variables or {}
    target = Path(path)
    if not target.exists():
        raise CheckInputError(f"{path}: no such file or directory")
    if target.is_dir() or target.suffix == ".tf":
        from hostlab.check.inputs import terraform

        return terraform.read_directory(target if target.is_dir() else target.parent, variables, shown=path)
    text = target.read_text(encoding="utf-8", errors="replace")
    if target.suffix in (".yaml", ".yml", ".template") or not text.lstrip().startswith("{"):
        from hostlab.check.inputs import cloudformation

        return cloudformation.read_text(text, params, shown=path)
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise CheckInputError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise CheckInputError(f"{path}: expected a JSON object at the top level")
    if "format_version" in document and ("planned_values" in document or "resource_changes" in document):
        from hostlab.check.inputs import terraform_plan

        return terraform_plan.read_document(document, shown=path)
    if "Resources" in document:
        from hostlab.check.inputs import cloudformation

        return cloudformation.read_text(text, params, shown=path)
    if "DistributionConfig" in document or "DefaultCacheBehavior" in document:
        from hostlab.check.inputs import distribution_config

        return distribution_config.read_document(document, shown=path)
    raise CheckInputError(
        f"{path}: not a CloudFormation template (no Resources), a Terraform plan (no format_version and "
        "planned_values) or a DistributionConfig (no DistributionConfig or DefaultCacheBehavior)"
    )
