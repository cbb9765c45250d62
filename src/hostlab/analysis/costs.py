"""What the tutorial's app costs a month on App Runner, Fargate, Lambda or ECS Express Mode, with or without
CloudFront in front.

The point this model exists to show: App Runner charges the *memory* of its provisioned instances all month,
and the *vCPU* only during the hours in which requests are being served ("active" hours). So its bill is a
floor (memory x 730 h) plus a slope (vCPU x active hours), while an always-on Fargate task pays vCPU and
memory every hour, and Lambda pays per request and per GB-second of work.

Inputs are a :class:`Workload` (requests per month, active hours per month and a few documented sizes) and
the price file ``data/prices.json`` (every figure with its source page and the date it was checked), read by
:func:`load_prices`. ``requests_per_month`` and ``active_hours`` may be numpy arrays of one shape, which is
how :func:`cost_grid` evaluates a whole grid at once.

What the model leaves out or simplifies is listed, one sentence each, in :data:`ASSUMPTIONS` (listed by the
notebook too). The ones that move the result most:

* traffic is spread evenly over the active hours, and every option scales to the same number of instances
  (App Runner's concurrency rule: ``max_concurrency`` requests in flight per instance);
* an always-on option (Fargate, ECS Express Mode) scales back to ``min_instances`` outside active hours;
* CloudFront's cache hits take requests away from the origin, but the origin's active hours are an input and
  stay as given;
* prices are us-east-1 on-demand list prices; no Savings Plans, no 12-month free tiers of new accounts,
  no taxes, no logs, NAT gateways, Route 53 or certificates (build minutes only when given).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

# The price file's reader lives in hostlab.analysis.prices (no numpy or pandas, so notebooks that only quote a
# price start fast); its names stay importable from here.
from hostlab.analysis.prices import PRICES_FILE as PRICES_FILE
from hostlab.analysis.prices import REQUIRED_FIGURES as REQUIRED_FIGURES
from hostlab.analysis.prices import PriceFileError as PriceFileError
from hostlab.analysis.prices import Prices, load_prices

# AWS bills data transfer in GB of 2**30 bytes; response sizes are given in KB of 1024 bytes.
KB_PER_GB = 1024**2

APP_RUNNER = "App Runner"
FARGATE_X86 = "Fargate x86"
FARGATE_ARM = "Fargate ARM"
LAMBDA = "Lambda"
EXPRESS = "ECS Express Mode"
COMPUTE_OPTIONS = (APP_RUNNER, FARGATE_X86, FARGATE_ARM, LAMBDA, EXPRESS)
WITH_CLOUDFRONT = " + CloudFront"
OPTIONS = COMPUTE_OPTIONS + tuple(name + WITH_CLOUDFRONT for name in COMPUTE_OPTIONS)

ASSUMPTIONS: tuple[str, ...] = (
    "Prices are us-east-1 on-demand list prices from data/prices.json; a month has 730 hours.",
    "Requests are spread evenly over the active hours; outside them the app receives nothing.",
    "Every container option needs the same number of instances while active: the average number of requests "
    "in flight divided by max_concurrency (App Runner's scaling rule, default 100), rounded up, at least "
    "min_instances.",
    "App Runner: the memory of min_instances provisioned instances is charged all 730 hours; vCPU (and the "
    "memory of instances beyond the provisioned ones) only during active hours.",
    "Fargate and ECS Express Mode run min_instances tasks all month and scale out during active hours "
    "exactly as far as needed (no warm-up, no over-provisioning).",
    "A bare Fargate task serves from its own public IPv4 address (charged); it has no stable name or TLS, so "
    "it is a price floor rather than a deployable setup.",
    "ECS Express Mode = Fargate x86 tasks (its default architecture) plus a share of one internet-facing "
    "Application Load Balancer: 1/alb_shared_by of its hours and of its public IPv4 addresses (one per "
    "Availability Zone it spans, alb_public_ipv4, at least 2), plus the LCUs of this service's own traffic. "
    "ECS adds no charge of its own.",
    "Express Mode tasks in public subnets (the default VPC's) are assumed to get a public IPv4 address each "
    "(express_task_public_ipv4 = 1): without a NAT gateway a Fargate task needs one to pull its image; set "
    "0 for private subnets, whose NAT gateway is not counted.",
    "ALB LCUs count new connections (new_connections_per_request per request), processed bytes and rule "
    "evaluations. An Express load balancer holds one host-header rule per service, evaluated in priority "
    "order; a request is assumed to go through (alb_shared_by + 1) / 2 of them on average (its own rule "
    "equally likely at any position), of which the first 10 are free.",
    "Lambda is reached through a function URL (no extra charge) and bills response_ms rounded up to 1 ms at "
    "lambda_memory_gb; cold starts are ignored.",
    "Without CloudFront, responses leave AWS at the standard internet data-transfer rate (first 100 GB a "
    "month free when internet_free_tier is on); App Runner's pricing page names no rate of its own.",
    "With CloudFront, origin fetches from an AWS origin are free (CloudFront pricing page); CloudFront "
    "charges HTTPS requests and data out (US rates) after its always-free tier.",
    "With CloudFront, a viewer-request function (the tutorial's X-Forwarded-Host fix) runs on every "
    "request when cloudfront_function is on.",
    "CloudFront cache hits (cache_hit_ratio) never reach the origin, but the origin's active hours stay as "
    "given; the tutorial's dynamic pages use CachingDisabled, so the default ratio is 0.",
    "App Runner build minutes are counted only when build_minutes_per_month is set (source-based services; "
    "the tutorial's image-based service builds nothing); a paused service (paused_hours) pays nothing, not "
    "even the memory floor.",
    "EC2 is not an option here; for comparison, Linux On-Demand instances are billed per second with a "
    "60-second minimum, not per started hour.",
    "Request and header bytes, logs, NAT gateways, DNS and certificates are not counted.",
)


def plain_number(value: float) -> str:
    """A price or count as a reader writes it: 0.0000166667, 1,000,000, 0.085; never 1.66667e-05 or 1e+06
    (Python's ``:g`` switches to scientific notation below 1e-4 and from 1e6 on)."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.10f}".rstrip("0").rstrip(".")


def _price_text(figure: dict) -> str:
    if "value" in figure:
        return plain_number(figure["value"])
    return "; ".join(
        f"{plain_number(p)} up to {plain_number(u)} GB" if u is not None else f"{plain_number(p)} beyond"
        for u, p in figure["tiers"]
    )


# The few figures the post shows at its top (the notebook shows them all): what one small service pays.
SUMMARY_FIGURES = (
    "apprunner.provisioned_memory_gb_hour",
    "apprunner.active_vcpu_hour",
    "apprunner.automatic_deployments_month",
    "apprunner.build_minute",
    "fargate.x86_vcpu_hour",
    "fargate.x86_memory_gb_hour",
    "lambda.requests_per_million",
    "lambda.x86_gb_second",
    "alb.hour",
    "alb.lcu_hour",
    "vpc.public_ipv4_hour",
    "cloudfront.https_requests_per_10k",
)


def price_summary(prices: Prices, names: tuple[str, ...] = SUMMARY_FIGURES) -> pd.DataFrame:
    """A short table for the post: figure, price, unit and the date it was read (sources: price_table)."""
    rows = [
        {
            "figure": name,
            "price": _price_text(prices.figures[name]),
            "unit": prices.figures[name]["unit"],
            "read": prices.figures[name]["read"],
        }
        for name in names
    ]
    return pd.DataFrame(rows).set_index("figure")


def price_table(prices: Prices) -> pd.DataFrame:
    """One row per figure: name, price (tiers spelled out), unit, source, date read."""
    rows = []
    for name, figure in prices.figures.items():
        price = _price_text(figure)
        rows.append(
            {
                "figure": name,
                "price": price,
                "unit": figure["unit"],
                "source": figure["source"],
                "read": figure["read"],
            }
        )
    return pd.DataFrame(rows).set_index("figure")


@dataclass(frozen=True)
class Workload:
    """One month of traffic and the sizes it runs on. Defaults follow the services' own defaults.

    ``requests_per_month`` and ``active_hours`` may be numpy arrays (of one shape); the other fields are
    scalars.
    """

    requests_per_month: float | np.ndarray
    # Hours of the month during which at least one request is being served (App Runner's "active" time).
    active_hours: float | np.ndarray
    # Time the app spends on one request; also Lambda's billed duration.
    response_ms: float = 100.0
    # Bytes sent back per response, in KB.
    response_kb: float = 20.0
    # App Runner's defaults (API InstanceConfiguration: 1 vCPU, 2 GB) and ECS Express Mode's task defaults
    # (cpu 1024, memory 2048: docs.aws.amazon.com/AmazonECS/latest/developerguide/express-service-work.html).
    vcpu: float = 1.0
    memory_gb: float = 2.0
    # ASSUMPTION: a Lambda function of the same app needs less memory (one request per environment).
    lambda_memory_gb: float = 1.0
    # App Runner's default MaxConcurrency 100 and MinSize 1 (API CreateAutoScalingConfiguration).
    max_concurrency: int = 100
    min_instances: int = 1
    # Share of viewer requests CloudFront answers from its cache (0 with CachingDisabled).
    cache_hit_ratio: float = 0.0
    cloudfront_function: bool = True
    auto_deployments: bool = False
    # A source-based App Runner service (code repository) builds its image on every deployment and pays
    # per build-minute (App Runner pricing page); an image-based one, like the tutorial's, builds nothing.
    build_minutes_per_month: float = 0.0
    # Hours of the month an App Runner service is paused (PauseService): AR-DG manage-pause.html says a
    # paused service's capacity goes to zero, so its provisioned memory is not charged either. Scalar.
    paused_hours: float = 0.0
    lambda_free_tier: bool = True
    cloudfront_free_tier: bool = True
    internet_free_tier: bool = True
    # How many Express Mode services share the load balancer: 1 to 25. AWS's launch post for Express Mode
    # says the ALB it creates is shared by up to 25 ECS services through host-header listener rules
    # (aws.amazon.com/jp/blogs/news/build-production-ready-applications-without-infrastructure-complexity-
    # using-amazon-ecs-express-mode/); the API calls this HostSharedAlbConfiguration.
    alb_shared_by: int = 1
    # ASSUMPTION: every request opens a new connection to the ALB (browsers and CloudFront often reuse one).
    new_connections_per_request: float = 1.0
    # A bare Fargate task needs a public IPv4 address; an internet-facing ALB has one per Availability Zone
    # and needs at least two zones (docs.aws.amazon.com/elasticloadbalancing/latest/application/
    # application-load-balancers.html, "Availability Zones"). By default Express uses the default VPC's
    # subnets (ECS API reference, ExpressGatewayServiceNetworkConfiguration), and a default VPC has one in
    # every zone of the Region (VPC User Guide, default-vpc.html): six in us-east-1 if the ALB spans them all
    # (undocumented; 2 is the floor).
    fargate_public_ipv4: int = 1
    alb_public_ipv4: int = 2
    # ASSUMPTION (inferred): Express tasks in public subnets get a public IPv4 address each, since a Fargate
    # task there needs one to reach the image registry without a NAT gateway (ECS Developer Guide,
    # fargate-task-networking.html). 0 for private subnets.
    express_task_public_ipv4: int = 1

    def __post_init__(self):
        requests = np.asarray(self.requests_per_month, dtype=float)
        hours = np.asarray(self.active_hours, dtype=float)
        if np.any(requests < 0) or np.any(hours < 0):
            raise ValueError("requests_per_month and active_hours must not be negative")
        if np.any((requests > 0) & (hours <= 0)):
            raise ValueError(
                "requests need active hours: active_hours must be > 0 where requests_per_month > 0"
            )
        if not 0 <= self.cache_hit_ratio <= 1:
            raise ValueError("cache_hit_ratio must be between 0 and 1")
        if not 1 <= self.alb_shared_by <= 25:
            raise ValueError(
                "alb_shared_by must be between 1 and 25 (services per Express Mode load balancer)"
            )
        if self.response_kb < 0:
            raise ValueError("response_kb must not be negative")
        for name in (
            "response_ms",
            "vcpu",
            "memory_gb",
            "lambda_memory_gb",
            "max_concurrency",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.min_instances < 1:
            raise ValueError("min_instances must be at least 1")
        for name in ("fargate_public_ipv4", "alb_public_ipv4", "express_task_public_ipv4"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative")
        if self.build_minutes_per_month < 0 or self.paused_hours < 0:
            raise ValueError("build_minutes_per_month and paused_hours must not be negative")


def _tiered(volume_gb, tiers: list[tuple[float, float]]):
    """Cost of ``volume_gb`` under graduated tiers (each GB at the price of the tier it falls in)."""
    volume_gb = np.asarray(volume_gb, dtype=float)
    cost = np.zeros_like(volume_gb)
    lower = 0.0
    for upper, price in tiers:
        cost = cost + np.clip(volume_gb - lower, 0, upper - lower) * price
        lower = upper
    return cost


def _after_free(volume, free, tiers: list[tuple[float, float]]):
    """Tiered cost with the first ``free`` GB of the month not charged."""
    return _tiered(volume, tiers) - _tiered(np.minimum(volume, free), tiers)


def _instances(w: Workload, origin_requests):
    """Instances needed while active: requests in flight / max_concurrency, rounded up, >= min_instances."""
    hours = np.asarray(w.active_hours, dtype=float)
    seconds = np.where(hours > 0, hours, 1.0) * 3600
    in_flight = np.asarray(origin_requests, dtype=float) * (w.response_ms / 1000) / seconds
    needed = np.ceil(in_flight / w.max_concurrency)
    return np.maximum(needed, w.min_instances)


def _breakdown(w: Workload, p: Prices) -> dict[str, dict[str, np.ndarray]]:
    """Cost components (USD per month) of every option in :data:`OPTIONS`."""
    month = p["hours_per_month"]
    hours = np.asarray(w.active_hours, dtype=float)
    if np.any(hours > month):
        raise ValueError(f"active_hours cannot exceed the {month:g} hours of a month")
    if np.any(hours + w.paused_hours > month):
        raise ValueError(f"active_hours + paused_hours cannot exceed the {month:g} hours of a month")
    viewer_requests = np.asarray(w.requests_per_month, dtype=float)
    out_gb = viewer_requests * w.response_kb / KB_PER_GB
    ipv4 = p["vpc.public_ipv4_hour"]

    def origin(origin_requests) -> dict[str, dict[str, np.ndarray]]:
        """Compute cost of each option when ``origin_requests`` reach it."""
        n = _instances(w, origin_requests)
        extra = n - w.min_instances  # instances beyond the always-on ones, only while active
        apprunner = {
            # Provisioned all month except while paused (a paused service has no capacity at all).
            "provisioned memory": w.min_instances
            * w.memory_gb
            * p["apprunner.provisioned_memory_gb_hour"]
            * (month - w.paused_hours),
            "active vCPU + memory": hours
            * (
                n * w.vcpu * p["apprunner.active_vcpu_hour"]
                + extra * w.memory_gb * p["apprunner.active_memory_gb_hour"]
            ),
            "automatic deployments": p["apprunner.automatic_deployments_month"] * float(w.auto_deployments),
            "builds": w.build_minutes_per_month * p["apprunner.build_minute"],
        }
        task_hours = w.min_instances * month + extra * hours

        def fargate(arch: str, public_ipv4: int) -> dict[str, np.ndarray]:
            per_task_hour = (
                w.vcpu * p[f"fargate.{arch}_vcpu_hour"] + w.memory_gb * p[f"fargate.{arch}_memory_gb_hour"]
            )
            return {
                "tasks (vCPU + memory)": task_hours * per_task_hour,
                "public IPv4": task_hours * public_ipv4 * ipv4,
            }

        express = fargate("x86", w.express_task_public_ipv4)
        # The load balancer's hours and addresses are shared by every service on it; LCUs follow traffic.
        express["load balancer hours (share)"] = p["alb.hour"] * month / w.alb_shared_by
        express["load balancer public IPv4 (share)"] = w.alb_public_ipv4 * ipv4 * month / w.alb_shared_by
        express["load balancer LCUs"] = _lcu_hours(w, origin_requests, p) * p["alb.lcu_hour"]

        gb_seconds = np.asarray(origin_requests, float) * math.ceil(w.response_ms) / 1000 * w.lambda_memory_gb
        free_requests = p["lambda.free_requests"] if w.lambda_free_tier else 0.0
        free_gb_seconds = p["lambda.free_gb_seconds"] if w.lambda_free_tier else 0.0
        lambda_ = {
            "Lambda requests": np.maximum(origin_requests - free_requests, 0)
            * p["lambda.requests_per_million"]
            / 1e6,
            "Lambda duration": np.maximum(gb_seconds - free_gb_seconds, 0) * p["lambda.x86_gb_second"],
        }
        return {
            APP_RUNNER: apprunner,
            FARGATE_X86: fargate("x86", w.fargate_public_ipv4),
            FARGATE_ARM: fargate("arm", w.fargate_public_ipv4),
            LAMBDA: lambda_,
            EXPRESS: express,
        }

    result: dict[str, dict[str, np.ndarray]] = {}
    internet_free = p["internet.free_gb"] if w.internet_free_tier else 0.0
    egress = _after_free(out_gb, internet_free, p.tiers("internet.data_transfer_out_gb"))
    for name, parts in origin(viewer_requests).items():
        result[name] = {**parts, "data transfer out": egress}

    cloudfront = _cloudfront(w, viewer_requests, out_gb, p)
    for name, parts in origin(viewer_requests * (1 - w.cache_hit_ratio)).items():
        # Origin fetches from an AWS origin are free; the viewer's bytes are CloudFront's data transfer.
        result[name + WITH_CLOUDFRONT] = {**parts, **cloudfront}
    shape = np.broadcast(viewer_requests, hours).shape
    return {
        option: {part: np.broadcast_to(np.asarray(cost, dtype=float), shape) for part, cost in parts.items()}
        for option, parts in result.items()
    }


def _lcu_hours(w: Workload, origin_requests, p: Prices):
    """LCU-hours of this service's own traffic: each active hour is charged its largest LCU dimension."""
    hours = np.asarray(w.active_hours, dtype=float)
    per_hour = np.asarray(origin_requests, float) / np.where(hours > 0, hours, 1.0)
    new_connections = (
        per_hour / 3600 * w.new_connections_per_request / p["alb.lcu_new_connections_per_second"]
    )
    # Connections open at once, approximated by requests in flight (each held for response_ms).
    active = per_hour / 3600 * (w.response_ms / 1000) / p["alb.lcu_active_connections_per_minute"]
    processed = per_hour * w.response_kb / KB_PER_GB / p["alb.lcu_processed_gb_per_hour"]
    # One host-header rule per service sharing the load balancer, evaluated in priority order: on average a
    # request goes through (n + 1) / 2 of the n rules (see ASSUMPTIONS); the first ones are free.
    rules_per_request = (w.alb_shared_by + 1) / 2
    charged_rules = max(rules_per_request - p["alb.free_rules_per_request"], 0.0)
    rules = per_hour / 3600 * charged_rules / p["alb.lcu_rule_evaluations_per_second"]
    return hours * np.maximum(np.maximum(new_connections, active), np.maximum(processed, rules))


def _cloudfront(w: Workload, viewer_requests, out_gb, p: Prices) -> dict[str, np.ndarray]:
    """CloudFront's own charges: HTTPS requests, data out, and the viewer-request function."""
    free = w.cloudfront_free_tier
    free_requests = p["cloudfront.free_requests"] if free else 0.0
    free_invocations = p["cloudfront.free_function_invocations"] if free else 0.0
    invocations = viewer_requests if w.cloudfront_function else np.zeros_like(viewer_requests)
    return {
        "CloudFront requests": np.maximum(viewer_requests - free_requests, 0)
        * p["cloudfront.https_requests_per_10k"]
        / 1e4,
        "CloudFront data transfer out": _after_free(
            out_gb, p["cloudfront.free_gb"] if free else 0.0, p.tiers("cloudfront.data_transfer_out_gb")
        ),
        "CloudFront Functions": np.maximum(invocations - free_invocations, 0)
        * p["cloudfront.functions_per_million"]
        / 1e6,
    }


def monthly_costs(workload: Workload, prices: Prices | None = None) -> pd.DataFrame:
    """Cost components (columns) of every option (rows) for one workload, USD per month, with a total.

    Components an option does not have are 0.
    """
    prices = prices or load_prices()
    if np.ndim(workload.requests_per_month) or np.ndim(workload.active_hours):
        raise ValueError("monthly_costs takes scalar requests_per_month and active_hours; use cost_grid")
    parts = _breakdown(workload, prices)
    frame = pd.DataFrame(
        {
            option: {part: float(cost) for part, cost in components.items()}
            for option, components in parts.items()
        }
    ).T.fillna(0.0)
    frame = frame.loc[list(OPTIONS)]
    frame["total"] = frame.sum(axis=1)
    frame.index.name = "option"
    return frame


def compare(scenarios: Mapping[str, Workload], prices: Prices | None = None) -> pd.DataFrame:
    """Monthly total of every option (rows) under each named scenario (columns), USD rounded to cents."""
    prices = prices or load_prices()
    table = pd.DataFrame({name: monthly_costs(w, prices)["total"] for name, w in scenarios.items()})
    return table.round(2)


def cost_grid(base: Workload, requests, active_hours, prices: Prices | None = None) -> pd.DataFrame:
    """Monthly total of every option over the grid requests x active_hours (long format).

    Columns: requests_per_month, active_hours, option, total. ``base`` supplies every other parameter.
    """
    prices = prices or load_prices()
    req, hrs = np.meshgrid(np.asarray(requests, dtype=float), np.asarray(active_hours, dtype=float))
    parts = _breakdown(replace(base, requests_per_month=req, active_hours=hrs), prices)
    frames = [
        pd.DataFrame(
            {
                "requests_per_month": req.ravel(),
                "active_hours": hrs.ravel(),
                "option": option,
                "total": sum(parts[option].values()).ravel(),
            }
        )
        for option in OPTIONS
    ]
    return pd.concat(frames, ignore_index=True)


def cheapest(grid: pd.DataFrame) -> pd.DataFrame:
    """The cheapest option and its total at each grid point of :func:`cost_grid`'s result.

    Ties go to the option listed first in :data:`OPTIONS` (so a setup without CloudFront wins a tie).
    """
    order = {name: index for index, name in enumerate(OPTIONS)}
    ranked = grid.assign(_order=grid["option"].map(order)).sort_values(
        ["requests_per_month", "active_hours", "total", "_order"], kind="stable"
    )
    best = ranked.groupby(["requests_per_month", "active_hours"], sort=True).head(1)
    return best.drop(columns="_order").reset_index(drop=True)


def apprunner_split(
    active_hours=(0, 50, 200, 730), requests_per_month: float = 1_000_000, prices: Prices | None = None
) -> pd.DataFrame:
    """App Runner's bill at several active hours: the memory floor, the active part, and the total.

    Zero active hours means an idle month, so no requests there whatever ``requests_per_month`` says.
    """
    prices = prices or load_prices()
    rows = {}
    for hours in active_hours:
        bill = monthly_costs(Workload(requests_per_month if hours else 0, hours), prices).loc[APP_RUNNER]
        rows[hours] = bill[["provisioned memory", "active vCPU + memory", "total"]]
    frame = pd.DataFrame(rows).T.round(2)
    frame.index.name = "active hours"
    return frame


def cheapest_at(grid: pd.DataFrame, requests, active_hours) -> pd.DataFrame:
    """The cheapest option at chosen points of a :func:`cost_grid` result (rows: hours, columns: requests)."""
    best = cheapest(grid)
    chosen = best[best["requests_per_month"].isin(requests) & best["active_hours"].isin(active_hours)]
    table = chosen.pivot(index="active_hours", columns="requests_per_month", values="option")
    table.columns = [f"{value:,.0f} req" for value in table.columns]
    table.index = pd.Index([f"{hours:g}" for hours in table.index], name="active hours")
    return table


def highlight_cheapest(table: pd.DataFrame):
    """A pandas Styler of a :func:`compare` table: dollars, and each scenario's cheapest option in bold.

    The uuid is fixed so the HTML is the same on every run (pandas picks a random one otherwise).
    """
    return (
        table.style.format("${:,.2f}")
        .highlight_min(axis=0, props="font-weight: bold; background-color: #d9f2d9")
        .set_uuid("costs-compare")
    )
