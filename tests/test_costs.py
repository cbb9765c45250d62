"""The cost model (hostlab.analysis.costs), its price file, and the determinism of the costs figure."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from hostlab.analysis import costs
from hostlab.analysis.costs import Workload

HOURS = 730


@pytest.fixture(scope="module")
def prices():
    return costs.load_prices()


def edited_prices(tmp_path, **changes):
    """A copy of the package's price file with some figures' values replaced, loaded."""
    document = json.loads(costs.PRICES_FILE.read_text())
    for name, value in changes.items():
        document["figures"][name.replace("__", ".")]["value"] = value
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(document))
    return costs.load_prices(path)


def total(workload, prices, option):
    return costs.monthly_costs(workload, prices).loc[option, "total"]


# --- the price file ---------------------------------------------------------------------------------------


def test_every_figure_has_a_source_a_unit_and_a_read_date():
    figures = json.loads(costs.PRICES_FILE.read_text())["figures"]
    assert figures
    for name, figure in figures.items():
        assert re.match(r"(https://|ASSUMPTION: )", figure["source"]), name
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", figure["read"]), name
        assert figure["unit"].strip(), name


def test_the_file_holds_exactly_the_figures_the_model_reads():
    figures = json.loads(costs.PRICES_FILE.read_text())["figures"]
    assert set(figures) == set(costs.REQUIRED_FIGURES)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda f: f["alb.hour"].pop("source"), "has no source"),
        (lambda f: f["alb.hour"].update(read="last week"), "not YYYY-MM-DD"),
        (lambda f: f["alb.hour"].update(value=-1), "not a non-negative number"),
        (lambda f: f["alb.hour"].update(value=True), "not a non-negative number"),
        (lambda f: f["alb.hour"].update(tiers=[[None, 1]]), "exactly one of"),
        (
            lambda f: f["cloudfront.data_transfer_out_gb"].update(tiers=[[10, 1], [5, 1], [None, 1]]),
            "must rise",
        ),
        (lambda f: f["cloudfront.data_transfer_out_gb"].update(tiers=[[10, 1]]), "only the last tier"),
        (lambda f: f.pop("lambda.free_requests"), "missing figure"),
    ],
)
def test_a_broken_price_file_is_refused_with_the_figure_named(tmp_path, edit, message):
    document = json.loads(costs.PRICES_FILE.read_text())
    edit(document["figures"])
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(document))
    with pytest.raises(costs.PriceFileError, match=message):
        costs.load_prices(path)


def test_price_table_lists_every_figure_with_its_source(prices):
    table = costs.price_table(prices)
    assert list(table.index) == list(prices.figures)
    assert table.loc["apprunner.active_vcpu_hour", "source"] == "https://aws.amazon.com/apprunner/pricing/"
    assert table.loc["cloudfront.data_transfer_out_gb", "price"].startswith(
        "0.085 up to 10,240 GB; 0.08 up to"
    )


def test_price_tables_never_use_scientific_notation(prices):
    """Python's :g writes 1.66667e-05 and 1e+06; the tables a reader sees must not."""
    full = costs.price_table(prices)
    summary = costs.price_summary(prices)
    for table in (full, summary):
        for text in table["price"]:
            assert not re.search(r"\de[+-]?\d", text), text
    assert full.loc["lambda.x86_gb_second", "price"] == "0.0000166667"
    assert full.loc["lambda.free_requests", "price"] == "1,000,000"
    assert summary.loc["apprunner.build_minute", "price"] == "0.005"
    # Positive control: the old formatting did produce what the check looks for.
    assert re.search(r"\de[+-]?\d", f"{0.0000166667:g}") and re.search(r"\de[+-]?\d", f"{1e6:g}")


def test_price_summary_is_short_and_dated(prices):
    summary = costs.price_summary(prices)
    assert 5 <= len(summary) <= 12
    assert list(summary.columns) == ["price", "unit", "read"]
    assert set(summary.index) <= set(prices.figures)


# --- App Runner: memory all the time, vCPU only while active ----------------------------------------------


def test_apprunner_idle_month_costs_the_provisioned_memory_only(prices):
    row = costs.monthly_costs(Workload(0, 0), prices).loc[costs.APP_RUNNER]
    assert row["provisioned memory"] == pytest.approx(2 * 0.007 * HOURS)
    assert row["active vCPU + memory"] == 0
    assert row["total"] == pytest.approx(10.22)


def test_apprunner_active_hours_add_vcpu_only(prices):
    # One instance is enough for this traffic, so each active hour adds 1 vCPU-hour and no memory.
    idle = total(Workload(0, 0), prices, costs.APP_RUNNER)
    busy = costs.monthly_costs(Workload(1000, 100), prices).loc[costs.APP_RUNNER]
    assert busy["active vCPU + memory"] == pytest.approx(100 * 1 * 0.064)
    assert busy["total"] == pytest.approx(idle + 100 * 0.064)


def test_apprunner_scales_out_when_requests_in_flight_exceed_max_concurrency(prices):
    # 720,000 requests of 1 s in 1 hour = 200 in flight = 2 instances at the default 100 each.
    row = costs.monthly_costs(Workload(720_000, 1, response_ms=1000, response_kb=0.001), prices).loc[
        costs.APP_RUNNER
    ]
    assert row["active vCPU + memory"] == pytest.approx(2 * 0.064 + 1 * 2 * 0.007)


def test_automatic_deployments_add_their_monthly_fee(prices):
    without = total(Workload(0, 0), prices, costs.APP_RUNNER)
    assert total(Workload(0, 0, auto_deployments=True), prices, costs.APP_RUNNER) == pytest.approx(
        without + 1
    )


def test_source_based_services_pay_per_build_minute(prices):
    image_based = costs.monthly_costs(Workload(0, 0), prices).loc[costs.APP_RUNNER]
    builds = Workload(0, 0, build_minutes_per_month=40)
    source_based = costs.monthly_costs(builds, prices).loc[costs.APP_RUNNER]
    assert image_based["builds"] == 0
    assert source_based["builds"] == pytest.approx(40 * 0.005)
    assert source_based["total"] == pytest.approx(image_based["total"] + 0.2)


def test_a_paused_service_goes_below_the_memory_floor(prices):
    floor = total(Workload(0, 0), prices, costs.APP_RUNNER)
    half_paused = total(Workload(0, 0, paused_hours=HOURS / 2), prices, costs.APP_RUNNER)
    assert half_paused == pytest.approx(floor / 2)
    assert total(Workload(0, 0, paused_hours=HOURS), prices, costs.APP_RUNNER) == 0
    # Fargate knows no pause: its always-on task is unchanged.
    assert total(Workload(0, 0, paused_hours=HOURS), prices, costs.FARGATE_X86) == pytest.approx(
        total(Workload(0, 0), prices, costs.FARGATE_X86)
    )
    with pytest.raises(ValueError, match="paused_hours"):
        costs.monthly_costs(Workload(10, 400, paused_hours=400), prices)


def test_always_on_fargate_does_not_care_about_active_hours_but_apprunner_does(prices):
    few, many = Workload(100_000, 10), Workload(100_000, 700)
    assert total(few, prices, costs.FARGATE_ARM) == pytest.approx(total(many, prices, costs.FARGATE_ARM))
    assert total(many, prices, costs.APP_RUNNER) - total(few, prices, costs.APP_RUNNER) == pytest.approx(
        690 * 0.064
    )


def test_fargate_arm_is_cheaper_than_x86_and_pays_its_public_ipv4(prices):
    row = costs.monthly_costs(Workload(0, 0), prices)
    assert row.loc[costs.FARGATE_X86, "tasks (vCPU + memory)"] == pytest.approx(
        (0.04048 + 2 * 0.004445) * HOURS
    )
    assert row.loc[costs.FARGATE_ARM, "tasks (vCPU + memory)"] == pytest.approx(
        (0.03238 + 2 * 0.00356) * HOURS
    )
    assert row.loc[costs.FARGATE_ARM, "public IPv4"] == pytest.approx(0.005 * HOURS)


# --- Lambda and the free tiers ------------------------------------------------------------------------------


def test_lambda_inside_its_free_tier_costs_nothing_and_the_toggle_shows_the_price(prices):
    inside = Workload(1_000_000, 10, response_ms=100, lambda_memory_gb=1.0)  # 100,000 GB-s
    assert total(inside, prices, costs.LAMBDA) == 0
    paying = costs.monthly_costs(Workload(1_000_000, 10, lambda_free_tier=False), prices).loc[costs.LAMBDA]
    assert paying["Lambda requests"] == pytest.approx(0.20)
    assert paying["Lambda duration"] == pytest.approx(100_000 * 0.0000166667)


def test_lambda_duration_is_rounded_up_to_the_millisecond(prices):
    w = Workload(1000, 1, response_ms=10.2, lambda_free_tier=False)
    assert costs.monthly_costs(w, prices).loc[costs.LAMBDA, "Lambda duration"] == pytest.approx(
        1000 * 0.011 * 1.0 * 0.0000166667
    )


def test_cloudfront_always_free_tier_covers_10m_requests_and_1tb(prices):
    at_limit = costs.monthly_costs(Workload(10_000_000, 100, response_kb=0), prices)
    assert at_limit.loc[costs.LAMBDA + costs.WITH_CLOUDFRONT, "CloudFront requests"] == 0
    beyond = costs.monthly_costs(Workload(10_010_000, 100, response_kb=0), prices)
    assert beyond.loc[costs.LAMBDA + costs.WITH_CLOUDFRONT, "CloudFront requests"] == pytest.approx(0.01)
    # 20 TB out: the first TB is free, the rest of the first 10 TB at 0.085, the next 10 TB at 0.08.
    kb = 20 * 1024 * costs.KB_PER_GB / 1_000_000
    big = costs.monthly_costs(Workload(1_000_000, 100, response_kb=kb), prices)
    assert big.loc[costs.APP_RUNNER + costs.WITH_CLOUDFRONT, "CloudFront data transfer out"] == pytest.approx(
        (10240 - 1024) * 0.085 + 10240 * 0.08
    )
    assert big.loc[costs.APP_RUNNER, "data transfer out"] == pytest.approx(
        (10240 - 100) * 0.09 + 10240 * 0.085
    )


def test_without_free_tiers_cloudfront_charges_from_the_first_request(prices):
    w = Workload(1_000_000, 10, response_kb=0, cloudfront_free_tier=False)
    row = costs.monthly_costs(w, prices).loc[costs.APP_RUNNER + costs.WITH_CLOUDFRONT]
    assert row["CloudFront requests"] == pytest.approx(1.0)
    assert row["CloudFront Functions"] == pytest.approx(0.10)


def test_cache_hits_take_requests_away_from_a_lambda_origin(prices):
    miss_all = costs.monthly_costs(Workload(5_000_000, 100, lambda_free_tier=False), prices)
    half = costs.monthly_costs(Workload(5_000_000, 100, lambda_free_tier=False, cache_hit_ratio=0.5), prices)
    name = costs.LAMBDA + costs.WITH_CLOUDFRONT
    assert half.loc[name, "Lambda requests"] == pytest.approx(miss_all.loc[name, "Lambda requests"] / 2)
    # CloudFront still answers (and bills) every viewer request.
    assert half.loc[name, "CloudFront Functions"] == miss_all.loc[name, "CloudFront Functions"]


# --- ECS Express Mode -------------------------------------------------------------------------------------


EXPRESS_PARTS = [
    "tasks (vCPU + memory)",
    "public IPv4",
    "load balancer hours (share)",
    "load balancer public IPv4 (share)",
    "load balancer LCUs",
    "data transfer out",
]


def test_express_mode_pays_its_share_of_the_shared_load_balancer(prices):
    alone = costs.monthly_costs(Workload(0, 0), prices).loc[costs.EXPRESS]
    shared = costs.monthly_costs(Workload(0, 0, alb_shared_by=25), prices).loc[costs.EXPRESS]
    assert alone["load balancer hours (share)"] == pytest.approx(0.0225 * HOURS)
    assert alone["load balancer public IPv4 (share)"] == pytest.approx(2 * 0.005 * HOURS)  # 2 AZs
    for part in ("load balancer hours (share)", "load balancer public IPv4 (share)"):
        assert shared[part] == pytest.approx(alone[part] / 25)
    # The task's own vCPU, memory and address are not shared.
    assert alone["tasks (vCPU + memory)"] == pytest.approx((0.04048 + 2 * 0.004445) * HOURS)
    assert shared["tasks (vCPU + memory)"] == alone["tasks (vCPU + memory)"]
    assert alone["public IPv4"] == shared["public IPv4"] == pytest.approx(0.005 * HOURS)


def test_express_mode_is_exactly_its_parts(prices):
    """No charge of its own: the total is the sum of the listed parts, each from the price file."""
    row = costs.monthly_costs(Workload(0, 0), prices).loc[costs.EXPRESS]
    assert [part for part in row.index if row[part] and part != "total"] == EXPRESS_PARTS[:4]
    expected = (0.04048 + 2 * 0.004445 + 0.005) * HOURS + (0.0225 + 2 * 0.005) * HOURS
    assert row["total"] == pytest.approx(expected)


def test_express_public_ipv4_follows_zones_and_task_addresses(prices):
    base = costs.monthly_costs(Workload(0, 0), prices).loc[costs.EXPRESS]
    six_zones = costs.monthly_costs(Workload(0, 0, alb_public_ipv4=6), prices).loc[costs.EXPRESS]
    private = costs.monthly_costs(Workload(0, 0, express_task_public_ipv4=0), prices).loc[costs.EXPRESS]
    assert six_zones["load balancer public IPv4 (share)"] == pytest.approx(6 * 0.005 * HOURS)
    assert private["public IPv4"] == 0
    assert base["total"] - private["total"] == pytest.approx(0.005 * HOURS)
    # Scaling out during active hours adds the extra tasks' addresses for those hours only.
    busy = costs.monthly_costs(Workload(720_000, 1, response_ms=1000, response_kb=0.001), prices)
    assert busy.loc[costs.EXPRESS, "public IPv4"] == pytest.approx(0.005 * (HOURS + 1))


def test_express_lcus_follow_the_largest_dimension(prices):
    # 90,000 requests in one hour: 25 new connections/s = 1 LCU; 90,000 x 1 KB = 0.086 GB < 1 LCU.
    row = costs.monthly_costs(Workload(90_000, 1, response_kb=1), prices).loc[costs.EXPRESS]
    assert row["load balancer LCUs"] == pytest.approx(1 * 0.008)


def test_express_rule_evaluations_count_beyond_the_first_ten_rules(prices):
    # 3,600,000 requests in one hour = 1,000 per second, reused connections, tiny responses: only rules count.
    def lcus(shared_by: int) -> float:
        w = Workload(3_600_000, 1, response_ms=1, response_kb=0.0001, new_connections_per_request=0.001,
                     alb_shared_by=shared_by)
        return costs.monthly_costs(w, prices).loc[costs.EXPRESS, "load balancer LCUs"] / 0.008

    # 19 services: a request goes through 10 rules on average, all free; the largest other dimension is
    # new connections, 1 per second = 0.04 LCU.
    assert lcus(19) == pytest.approx(0.04)
    # 25 services: 13 rules on average, 3 charged: 1,000/s x 3 = 3,000 evaluations/s = 3 LCUs.
    assert lcus(25) == pytest.approx(3.0)


# --- the whole model ---------------------------------------------------------------------------------------


def test_every_option_is_monotonic_in_requests(prices):
    grid = costs.cost_grid(Workload(1, 1), np.logspace(3, 9, 40), [5, 200, 730], prices)
    for (option, hours), group in grid.groupby(["option", "active_hours"]):
        totals = group.sort_values("requests_per_month")["total"].to_numpy()
        assert np.all(np.diff(totals) >= -1e-9), (option, hours)


def test_grid_and_single_workload_agree(prices):
    grid = costs.cost_grid(Workload(1, 1), [2e6], [300], prices).set_index("option")["total"]
    single = costs.monthly_costs(Workload(2e6, 300), prices)["total"]
    assert grid.to_dict() == pytest.approx(single.to_dict())


def test_a_price_change_in_a_copy_of_the_file_changes_the_result(tmp_path, prices):
    changed = edited_prices(tmp_path, apprunner__active_vcpu_hour=0.128)
    w = Workload(1000, 100)
    before, after = costs.monthly_costs(w, prices), costs.monthly_costs(w, changed)
    assert after.loc[costs.APP_RUNNER, "active vCPU + memory"] == pytest.approx(
        2 * before.loc[costs.APP_RUNNER, "active vCPU + memory"]
    )
    assert after.loc[costs.LAMBDA, "total"] == before.loc[costs.LAMBDA, "total"]


def test_compare_and_cheapest(prices):
    table = costs.compare({"idle": Workload(0, 0), "busy": Workload(1e8, 730)}, prices)
    assert list(table.index) == list(costs.OPTIONS)
    assert table.loc[costs.APP_RUNNER, "idle"] == 10.22
    # A tie (Lambda and Lambda + CloudFront both free) goes to the setup without CloudFront.
    best = costs.cheapest(costs.cost_grid(Workload(1, 1), [0.0], [0.0], prices))
    assert best["option"].tolist() == [costs.LAMBDA]


def test_apprunner_split_shows_the_floor_and_the_slope(prices):
    split = costs.apprunner_split((0, 100, 730), 1_000_000, prices)
    assert split["provisioned memory"].tolist() == [10.22, 10.22, 10.22]
    assert split["active vCPU + memory"].tolist() == [0.0, 6.4, 46.72]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"requests_per_month": 10, "active_hours": 0}, "need active hours"),
        ({"requests_per_month": -1, "active_hours": 1}, "must not be negative"),
        ({"requests_per_month": 1, "active_hours": 1, "cache_hit_ratio": 1.5}, "cache_hit_ratio"),
        ({"requests_per_month": 1, "active_hours": 1, "alb_shared_by": 26}, "alb_shared_by"),
        ({"requests_per_month": 1, "active_hours": 1, "min_instances": 0}, "min_instances"),
        ({"requests_per_month": 1, "active_hours": 1, "express_task_public_ipv4": -1}, "not be negative"),
    ],
)
def test_impossible_workloads_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Workload(**kwargs)


def test_more_active_hours_than_a_month_is_refused(prices):
    with pytest.raises(ValueError, match="cannot exceed"):
        costs.monthly_costs(Workload(1, 731), prices)


# --- the figure ---------------------------------------------------------------------------------------------
# hostlab.analysis.costs_plot imports matplotlib: imported by these tests only, not while every pytest-xdist
# worker collects this module.


@pytest.fixture(scope="module")
def costs_plot():
    from hostlab.analysis import costs_plot

    return costs_plot


def small_figure(costs_plot, prices):
    return costs_plot.cost_figure(
        Workload(1e6, 200), prices, requests=np.logspace(4, 9, 12), active_hours=np.linspace(1, 730, 9)
    )


def test_the_figure_is_byte_identical_when_drawn_twice_and_follows_a_price_change(
    tmp_path, costs_plot, prices
):
    first = costs_plot.png_bytes(small_figure(costs_plot, prices))
    second = costs_plot.png_bytes(small_figure(costs_plot, prices))
    assert first.startswith(b"\x89PNG")
    assert first == second
    assert b"Software" not in first
    cheaper_lambda = edited_prices(tmp_path, lambda__x86_gb_second=0.0000001)
    assert costs_plot.png_bytes(small_figure(costs_plot, cheaper_lambda)) != first
