"""The price file ``data/prices.json``: reading and checking it (:func:`load_prices`).

Apart from hostlab.analysis.costs so that quoting one price (notebook 01's cost line) needs neither numpy nor
pandas,
whose import takes about half a second of a kernel's start. hostlab.analysis.costs re-exports every name here.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

PRICES_FILE = Path(__file__).resolve().parents[1] / "data" / "prices.json"


class PriceFileError(ValueError):
    """The price file is missing a figure, a source or a date, or holds a value that is not a price."""


@dataclass(frozen=True)
class Prices:
    """The figures of one price file, by name (``prices["alb.hour"]``)."""

    path: Path
    region: str
    currency: str
    figures: Mapping[str, Mapping]

    def __getitem__(self, name: str) -> float:
        figure = self._figure(name)
        if "value" not in figure:
            raise PriceFileError(f"{name} is tiered; use Prices.tiers({name!r})")
        return float(figure["value"])

    def tiers(self, name: str) -> list[tuple[float, float]]:
        """[(upper bound in GB, price per GB), ...] with math.inf for the open last tier."""
        figure = self._figure(name)
        if "tiers" not in figure:
            raise PriceFileError(f"{name} is not tiered; use Prices[{name!r}]")
        return [
            (math.inf if upper is None else float(upper), float(price)) for upper, price in figure["tiers"]
        ]

    def _figure(self, name: str) -> Mapping:
        try:
            return self.figures[name]
        except KeyError:
            raise PriceFileError(f"{self.path}: no figure named {name!r}") from None


# Every figure the model reads; load_prices refuses a file that lacks one.
REQUIRED_FIGURES = (
    "hours_per_month",
    "apprunner.provisioned_memory_gb_hour",
    "apprunner.active_vcpu_hour",
    "apprunner.active_memory_gb_hour",
    "apprunner.automatic_deployments_month",
    "apprunner.build_minute",
    "fargate.x86_vcpu_hour",
    "fargate.x86_memory_gb_hour",
    "fargate.arm_vcpu_hour",
    "fargate.arm_memory_gb_hour",
    "lambda.requests_per_million",
    "lambda.x86_gb_second",
    "lambda.free_requests",
    "lambda.free_gb_seconds",
    "alb.hour",
    "alb.lcu_hour",
    "alb.lcu_new_connections_per_second",
    "alb.lcu_active_connections_per_minute",
    "alb.lcu_processed_gb_per_hour",
    "alb.lcu_rule_evaluations_per_second",
    "alb.free_rules_per_request",
    "vpc.public_ipv4_hour",
    "internet.data_transfer_out_gb",
    "internet.free_gb",
    "cloudfront.https_requests_per_10k",
    "cloudfront.data_transfer_out_gb",
    "cloudfront.functions_per_million",
    "cloudfront.free_gb",
    "cloudfront.free_requests",
    "cloudfront.free_function_invocations",
)


def load_prices(path: str | Path | None = None) -> Prices:
    """Read and check a price file (default: the package's ``data/prices.json``).

    Each figure must have a non-empty ``source``, a ``read`` date (YYYY-MM-DD), a ``unit``, and either a
    non-negative ``value`` or ``tiers``: [[upper GB or null, price], ...] with rising bounds and a null last.
    """
    path = Path(path) if path is not None else PRICES_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise PriceFileError(f"{path}: not valid JSON ({exc})") from None
    figures = document.get("figures")
    if not isinstance(figures, dict):
        raise PriceFileError(f"{path}: no 'figures' object")
    for name, figure in figures.items():
        _check_figure(path, name, figure)
    if missing := [name for name in REQUIRED_FIGURES if name not in figures]:
        raise PriceFileError(f"{path}: missing figure(s) {missing}")
    return Prices(
        path=path,
        region=str(document.get("region", "")),
        currency=str(document.get("currency", "")),
        figures=MappingProxyType(figures),
    )


def _check_figure(path: Path, name: str, figure: object) -> None:
    where = f"{path}: figure {name!r}"
    if not isinstance(figure, dict):
        raise PriceFileError(f"{where} is not an object")
    for key in ("source", "unit", "read"):
        if not isinstance(figure.get(key), str) or not figure[key].strip():
            raise PriceFileError(f"{where} has no {key}")
    try:
        dt.date.fromisoformat(figure["read"])
    except ValueError:
        raise PriceFileError(f"{where}: read date {figure['read']!r} is not YYYY-MM-DD") from None
    if ("value" in figure) == ("tiers" in figure):
        raise PriceFileError(f"{where} needs exactly one of 'value' and 'tiers'")
    if "value" in figure:
        _check_number(where, figure["value"])
        return
    tiers = figure["tiers"]
    if not isinstance(tiers, list) or not tiers:
        raise PriceFileError(f"{where}: tiers must be a non-empty list")
    previous = 0.0
    for index, tier in enumerate(tiers):
        if not (isinstance(tier, list) and len(tier) == 2):
            raise PriceFileError(f"{where}: tier {index} is not [upper GB or null, price]")
        upper, price = tier
        _check_number(where, price)
        last = index == len(tiers) - 1
        if last != (upper is None):
            raise PriceFileError(f"{where}: only the last tier, and always it, has no upper bound (null)")
        if upper is not None:
            _check_number(where, upper)
            if upper <= previous:
                raise PriceFileError(f"{where}: tier bounds must rise")
            previous = upper


def _check_number(where: str, value: object) -> None:
    # bool is an int in Python; a price of `true` is a typo, not a number.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise PriceFileError(f"{where}: {value!r} is not a non-negative number")
