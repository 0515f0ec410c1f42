"""User-defined funnels (var funnels): a malformed definition stops dbt naming the funnel and the
field; the demo funnel recomputed independently in pandas equals mart_funnels; breakdowns add up.
Each funnel rule is unit-tested on hand-made journeys in models/marts/funnels/_funnels.yml."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest
import yaml

from journey_metrics.paths import REPO_ROOT

from helpers import query, run_dbt

VISIT = ["organic_search_visit", "ad_click", "referral_link_visit", "email_open"]


def funnel(**changes) -> dict:
    base = {
        "name": "f",
        "window_days": None,
        "order": "strict",
        "steps": [{"name": "a", "event_types": ["ad_click"]}, {"name": "b", "event_types": ["product_view"]}],
    }
    return {**base, **changes}


@pytest.mark.parametrize(
    ("funnels", "message"),
    [
        ([funnel(steps=[{"name": "a", "event_types": ["account_deleted"]}])], "unknown event type 'account_deleted'"),
        ([funnel(), funnel()], "field 'name': another funnel is named 'f'"),
        ([funnel(steps=[])], "field 'steps' is missing or empty"),
        ([funnel(order="sometimes")], "field 'order' must be strict or any"),
        ([funnel(name="Visit To Buy")], "field 'name' must be snake_case"),
        ([funnel(breakdowns=["favourite_colour"])], "field 'breakdowns': 'favourite_colour'"),
        ([funnel(steps=[{"name": "a", "source": "tweets"}])], "field 'source' must be one (or a list) of"),
        ([funnel(steps=[{"name": "a", "stage": "delight"}])], "field 'stage': unknown stage 'delight'"),
        (
            [
                funnel(
                    steps=[
                        {"name": "a", "event_types": ["ad_click"], "shares_with": ["b"]},
                        {"name": "b", "source": "orders"},
                    ]
                )
            ],
            "field 'shares_with': 'b' is not an earlier step",
        ),
    ],
)
def test_a_malformed_funnel_stops_dbt_naming_the_funnel_and_the_field(demo, tmp_path, funnels, message):
    db = tmp_path / demo.db.name
    shutil.copy(demo.db, db)
    result = run_dbt(["compile", "--select", "fct_funnel_steps"], demo.raw_dir, db, tmp_path, {"funnels": funnels})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "var funnels, funnel #" in output and message in output, output[-3000:]


def recomputed_demo_funnel(db) -> pd.DataFrame:
    """The demo's visit_to_repeat funnel, computed again in pandas from the staged events and orders
    (strict order, window 30 days, product within 24 hours of the visit, cart optional, purchase:
    the first completed order at or after product, repeat: the customer's second completed order)."""
    definition = next(f for f in yaml.safe_load((REPO_ROOT / "dbt_project.yml").read_text())["vars"]["funnels"])
    assert definition["name"] == "visit_to_repeat" and definition["steps"][0]["event_types"] == VISIT
    events = pd.DataFrame(
        query(db, "select customer_id, event_id, occurred_at, event_type from int_events_sessionised"),
        columns=["customer_id", "event_id", "occurred_at", "event_type"],
    ).sort_values(["customer_id", "occurred_at", "event_id"])
    orders = pd.DataFrame(
        query(db, "select customer_id, order_id, ordered_at from stg_orders where status = 'completed'"),
        columns=["customer_id", "order_id", "ordered_at"],
    ).sort_values(["customer_id", "ordered_at", "order_id"])
    last_data_at = max(events["occurred_at"].max(), query(db, "select max(ordered_at) from stg_orders")[0][0])
    by_type = dict(list(events.groupby("event_type")))
    views = by_type["product_view"].groupby("customer_id")["occurred_at"].apply(list).to_dict()
    carts = by_type["add_to_cart"].groupby("customer_id")["occurred_at"].apply(list).to_dict()
    order_times = orders.groupby("customer_id")["ordered_at"].apply(list).to_dict()
    starts = events[events["event_type"].isin(VISIT)].groupby("customer_id")["occurred_at"].first()
    day, window = pd.Timedelta(days=1), pd.Timedelta(days=30)
    counts = {n: {"customers": 0, "in_progress": 0} for n in range(1, 6)}
    for customer, start in starts.items():
        window_end = start + window
        counts[1]["customers"] += 1

        def first_at_or_after(times, after, until):
            return next((t for t in times if after <= t <= until), None)

        product = first_at_or_after(views.get(customer, []), start, min(window_end, start + day))
        if product is None:
            counts[2]["in_progress"] += min(window_end, start + day) > last_data_at
            continue
        counts[2]["customers"] += 1
        purchase = first_at_or_after(order_times.get(customer, []), product, window_end)
        cart = first_at_or_after(carts.get(customer, []), product, purchase if purchase is not None else window_end)
        counts[3]["customers"] += cart is not None
        counts[3]["in_progress"] += cart is None and window_end > last_data_at
        if purchase is None:
            counts[4]["in_progress"] += window_end > last_data_at
            continue
        counts[4]["customers"] += 1
        customer_orders = order_times.get(customer, [])
        second = customer_orders[1] if len(customer_orders) > 1 else None
        if second is not None and purchase <= second <= window_end:
            counts[5]["customers"] += 1
        else:
            counts[5]["in_progress"] += window_end > last_data_at
    return pd.DataFrame.from_dict(counts, orient="index")


def test_the_demo_funnel_equals_an_independent_recomputation(demo):
    expected = recomputed_demo_funnel(demo.db)
    got = pd.DataFrame(
        query(
            demo.db,
            "select step_number, customers, in_progress from mart_funnels "
            "where funnel_name = 'visit_to_repeat' and breakdown = 'all' order by step_number",
        ),
        columns=["step_number", "customers", "in_progress"],
    ).set_index("step_number")
    assert got.to_dict() == expected.astype(int).to_dict()
    assert expected.loc[5, "customers"] > 50  # the demo funnel is not empty at its last step


def test_every_breakdown_adds_up_to_the_overall_funnel(demo):
    bad = query(
        demo.db,
        """
        with overall as (
            select funnel_name, step_number, customers, in_progress from mart_funnels where breakdown = 'all'
        ),
        summed as (
            select funnel_name, breakdown, step_number, sum(customers) as customers, sum(in_progress) as in_progress
            from mart_funnels where breakdown <> 'all' group by all
        )
        select summed.* from summed
        inner join overall using (funnel_name, step_number)
        where summed.customers <> overall.customers or summed.in_progress <> overall.in_progress
        """,
    )
    assert bad == []
    breakdowns = {row[0] for row in query(demo.db, "select distinct breakdown from mart_funnels")}
    assert breakdowns == {"all", "acquisition_channel", "country", "segment_name", "cohort_month"}


def five_stage_definition() -> dict:
    funnels = yaml.safe_load((REPO_ROOT / "dbt_project.yml").read_text())["vars"]["funnels"]
    return next(f for f in funnels if f["name"] == "five_stage")


def test_the_five_stage_unit_tests_use_the_projects_five_stage_definition():
    """The unit tests five_stage_funnel_matches_the_stage_model / stage_model_matches_the_five_stage_funnel
    run one copy of the definition on the same journeys: it must be dbt_project.yml's."""
    tests = yaml.safe_load((REPO_ROOT / "models" / "marts" / "funnels" / "_funnels.yml").read_text())["unit_tests"]
    by_name = {test["name"]: test for test in tests}
    copied = by_name["five_stage_funnel_matches_the_stage_model"]["overrides"]["vars"]["funnels"]
    project = five_stage_definition()
    keys = ["name", "window_days", "order", "steps"]
    assert [{k: f.get(k) for k in keys} for f in copied] == [{k: project.get(k) for k in keys}]
    assert (
        by_name["stage_model_matches_the_five_stage_funnel"]["given"]
        == (by_name["five_stage_funnel_matches_the_stage_model"]["given"])
    )


def test_the_five_stage_funnel_gives_the_stage_marts_numbers(demo):
    """five_stage (var funnels) equals fct_customer_stages row for row, and mart_funnels' five_stage rows
    equal mart_stage_funnel (by cohort) and the stage funnels by channel and segment summed over cohorts."""
    assert five_stage_definition()["window_days"] is None  # as var funnel_window_days by default
    stages = """
        select customer_id, stage, reached_at, hours_from_previous_stage from fct_customer_stages
    """
    funnel = """
        select customer_id, step_name, reached_at, hours_from_previous
        from fct_funnel_steps where funnel_name = 'five_stage'
    """
    assert query(demo.db, f"select count(*) from ({stages})")[0][0] > 5000
    for a, b in [(stages, funnel), (funnel, stages)]:
        assert query(demo.db, f"select count(*) from ({a} except all {b})") == [(0,)]
    columns = ["customers", "conversion_from_previous", "conversion_from_first", "median_hours", "p90_hours"]
    got = pd.DataFrame(
        query(
            demo.db,
            "select breakdown_value, step_name, customers, conversion_from_previous, conversion_from_first, "
            "median_hours_from_previous, p90_hours_from_previous from mart_funnels "
            "where funnel_name = 'five_stage' and breakdown = 'cohort_month'",
        ),
        columns=["cohort", "stage", *columns],
    ).set_index(["cohort", "stage"])
    expected = pd.DataFrame(
        query(
            demo.db,
            "select cast(cohort_month as varchar), stage, customers, conversion_from_previous, conversion_from_entry, "
            "median_hours_from_previous, p90_hours_from_previous from mart_stage_funnel",
        ),
        columns=["cohort", "stage", *columns],
    ).set_index(["cohort", "stage"])
    assert len(expected) > 50
    pd.testing.assert_frame_equal(got.sort_index(), expected.sort_index(), check_exact=False, rtol=1e-9)
    for breakdown, mart, column in [
        ("acquisition_channel", "mart_stage_funnel_by_channel", "acquisition_channel"),
        ("segment_name", "mart_stage_funnel_by_segment", "segment_name"),
    ]:
        funnel_counts = f"""
            select breakdown_value, step_name, customers from mart_funnels
            where funnel_name = 'five_stage' and breakdown = '{breakdown}'
        """
        stage_counts = f"""
            select coalesce({column}, '(none)'), stage, sum(customers) from {mart} group by all
        """
        for a, b in [(funnel_counts, stage_counts), (stage_counts, funnel_counts)]:
            assert query(demo.db, f"select count(*) from ({a} except all {b})") == [(0,)], breakdown


def test_a_defined_funnel_recovers_the_generators_planted_journeys(demo):
    """five_stage, defined in var funnels (not in SQL), counts the journeys the generator planted, and its
    step-to-step conversions lie within 3 standard errors of the planted probabilities."""
    rows = query(
        demo.db,
        "select step_name, customers, previous_step_customers, conversion_from_previous from mart_funnels "
        "where funnel_name = 'five_stage' and breakdown = 'all'",
    )
    assert {name: customers for name, customers, _, _ in rows} == demo.truth["funnel"]["realised_counts"]
    by_step = {name: (previous, rate) for name, _, previous, rate in rows}
    planted = demo.truth["funnel"]["expected_rates"]
    for step, key in [
        ("consideration", "p_consider"),
        ("decision", "p_decide_given_consider"),
        ("advocacy", "p_advocate_given_retained"),
    ]:
        n, rate = by_step[step]
        p = planted[key]
        assert abs(rate - p) < 3 * (p * (1 - p) / n) ** 0.5, (step, rate, p)
