"""What a probe hands back: one entry for a setting, or an observation that no setting carries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hostlab.calibration import MEASURED, NOT_MEASURED


@dataclass(frozen=True)
class Entry:
    """The measured value of one setting (in its HOSTLAB_* text form), or why it could not be measured."""

    status: str
    method: str
    value: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status, "method": self.method}
        if self.status == MEASURED:
            out["value"] = self.value
        else:
            out["reason"] = self.reason
        if self.evidence:
            out["evidence"] = self.evidence
        return out


def measured(value: str, method: str, **evidence: Any) -> Entry:
    return Entry(MEASURED, method, value=value, evidence=evidence)


def not_measured(reason: str, method: str, **evidence: Any) -> Entry:
    return Entry(NOT_MEASURED, method, reason=reason, evidence=evidence)


@dataclass(frozen=True)
class Probe:
    """One probe: ``key`` is the setting's variable name (``kind`` "setting") or an observation's name."""

    key: str
    kind: str  # "setting" or "observation"
    needs: str  # "service", "distribution" or "nothing": what resources.Lab must provide first
    run: Callable[[Any], Entry | dict[str, Any]]
