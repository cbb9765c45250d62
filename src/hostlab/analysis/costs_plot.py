"""The cost notebook's figure: where each hosting option is cheapest, drawn from
:mod:`hostlab.analysis.costs`.

Figures are built with :class:`matplotlib.figure.Figure` (not pyplot), so drawing one changes no global
state and the same inputs give the same PNG bytes (see :func:`png_bytes`).
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import BoundaryNorm, ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from hostlab.analysis import costs

# One hue per compute option; the darker shade without CloudFront, the lighter one with it (tab20 pairs).
_TAB20 = colormaps["tab20"].colors
COLORS = {
    **{name: _TAB20[2 * index] for index, name in enumerate(costs.COMPUTE_OPTIONS)},
    **{
        name + costs.WITH_CLOUDFRONT: _TAB20[2 * index + 1]
        for index, name in enumerate(costs.COMPUTE_OPTIONS)
    },
}
FIGSIZE = (11.0, 8.5)
DPI = 100


def _line_color(option: str):
    # Lines use the darker shade for both variants; the dash tells them apart.
    return COLORS[option.removesuffix(costs.WITH_CLOUDFRONT)]


def _lines(ax, x, totals: dict[str, np.ndarray], *, log: bool) -> None:
    for option in costs.OPTIONS:
        dashed = option.endswith(costs.WITH_CLOUDFRONT)
        ax.plot(
            x,
            totals[option],
            color=_line_color(option),
            linestyle="--" if dashed else "-",
            linewidth=1.6,
            label=option,
        )
    ax.set_ylabel("USD per month")
    if log:
        # symlog keeps Lambda's 0 inside its free tier on the chart, and the large totals readable.
        ax.set_yscale("symlog", linthresh=1.0)
    else:
        ax.set_ylim(bottom=0)
    ax.grid(True, which="major", linewidth=0.4, alpha=0.6)


def _totals_along(base: costs.Workload, requests, hours, prices: costs.Prices) -> dict[str, np.ndarray]:
    grid = costs.cost_grid(base, requests, hours, prices)
    return {option: grid.loc[grid["option"] == option, "total"].to_numpy() for option in costs.OPTIONS}


def cost_figure(
    base: costs.Workload,
    prices: costs.Prices,
    *,
    requests=None,
    active_hours=None,
    line_active_hours: float = 200.0,
    line_requests: float = 1_000_000.0,
) -> Figure:
    """Three panels: cost vs requests (at ``line_active_hours``), cost vs active hours (at
    ``line_requests``), and a map of the cheapest option over requests x active hours.

    ``base`` supplies every other workload parameter (sizes, response time and size, free tiers).
    """
    month = prices["hours_per_month"]
    requests = np.logspace(4, 9, 81) if requests is None else np.asarray(requests, dtype=float)
    active_hours = (
        np.linspace(1, month, 74) if active_hours is None else np.asarray(active_hours, dtype=float)
    )

    fig = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    grid = fig.add_gridspec(2, 2, height_ratios=(1.0, 1.1))
    top_left, top_right, bottom = (
        fig.add_subplot(grid[0, 0]),
        fig.add_subplot(grid[0, 1]),
        fig.add_subplot(grid[1, :]),
    )

    _lines(top_left, requests, _totals_along(base, requests, [line_active_hours], prices), log=True)
    top_left.set_xscale("log")
    top_left.set_xlabel("requests per month")
    top_left.set_title(f"Cost vs requests, {line_active_hours:g} active hours a month", fontsize=10)

    _lines(top_right, active_hours, _totals_along(base, [line_requests], active_hours, prices), log=False)
    top_right.set_xlabel("active hours per month (serving requests)")
    top_right.set_title(f"Cost vs active hours, {line_requests:,.0f} requests a month", fontsize=10)
    top_left.legend(fontsize=7, loc="upper left", ncols=2)

    _cheapest_map(
        bottom, costs.cheapest(costs.cost_grid(base, requests, active_hours, prices)), requests, active_hours
    )
    fig.suptitle(
        f"Monthly cost, {prices.region} list prices; {base.vcpu:g} vCPU / {base.memory_gb:g} GB containers, "
        f"{base.response_ms:g} ms and {base.response_kb:g} KB per response",
        fontsize=11,
    )
    return fig


def _cheapest_map(ax, best, requests, active_hours) -> None:
    index = {name: i for i, name in enumerate(costs.OPTIONS)}
    codes = (
        best.assign(code=best["option"].map(index))
        .pivot(index="active_hours", columns="requests_per_month", values="code")
        .reindex(index=active_hours, columns=requests)
        .to_numpy()
    )
    cmap = ListedColormap([COLORS[name] for name in costs.OPTIONS])
    norm = BoundaryNorm(np.arange(len(costs.OPTIONS) + 1) - 0.5, cmap.N)
    ax.pcolormesh(requests, active_hours, codes, cmap=cmap, norm=norm, shading="nearest")
    ax.set_xscale("log")
    ax.set_xlabel("requests per month")
    ax.set_ylabel("active hours per month")
    ax.set_title("Cheapest option", fontsize=10)
    present = [name for name in costs.OPTIONS if name in set(best["option"])]
    ax.legend(
        handles=[Patch(color=COLORS[name], label=name) for name in present],
        fontsize=8,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
    )


def png_bytes(fig: Figure) -> bytes:
    """The figure as PNG without the 'Software' metadata, so bytes depend on the drawing only."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()
