"""The MetricFlow semantic layer answers like the marts: `mf query` against the demo warehouse."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import mf, query

TRANSITIONS = {
    "awareness_to_consideration": "consideration",
    "consideration_to_decision": "decision",
    "decision_to_retention": "retention",
    "retention_to_advocacy": "advocacy",
}


def mf_query(db: Path, out: Path, metrics: list[str], group_by: str) -> list[dict]:
    return mf(db, out, ["--metrics", ",".join(metrics), "--group-by", group_by, "--order", group_by])


def test_conversion_metrics_equal_the_funnel_mart(semantic_manifest, tmp_path):
    rows = mf_query(
        semantic_manifest, tmp_path / "out.csv", [*TRANSITIONS, "funnel_customers"], "customer_stage__cohort_month"
    )
    assert len(rows) == query(semantic_manifest, "select count(distinct cohort_month) from mart_stage_funnel")[0][0]
    mart = {
        (str(month), stage): (customers, rate)
        for month, stage, customers, rate in query(
            semantic_manifest,
            "select cohort_month, stage, customers, conversion_from_previous from mart_stage_funnel",
        )
    }
    for row in rows:
        month = row["customer_stage__cohort_month__month"][:10]
        assert int(row["funnel_customers"]) == mart[(month, "awareness")][0]
        for metric, stage in TRANSITIONS.items():
            expected = mart[(month, stage)][1]
            got = float(row[metric]) if row[metric] else None
            # MetricFlow gives 0 where the mart has no previous-stage customers (null rate)
            assert got == pytest.approx(expected if expected is not None else 0.0, abs=1e-9), (month, metric)


def test_revenue_and_orders_equal_the_orders_fact(semantic_manifest, tmp_path):
    rows = mf_query(semantic_manifest, tmp_path / "out.csv", ["orders", "revenue"], "metric_time__year")
    by_year = {
        str(year): (orders, float(revenue))
        for year, orders, revenue in query(
            semantic_manifest,
            "select year(ordered_at), count(*), sum(revenue) from fct_orders where is_completed group by 1",
        )
    }
    assert len(rows) == len(by_year)
    for row in rows:
        orders, revenue = by_year[row["metric_time__year"][:4]]
        assert int(row["orders"]) == orders
        assert float(row["revenue"]) == pytest.approx(revenue, abs=0.01)


def test_retention_rates_equal_the_mart_in_every_breakdown(semantic_manifest, tmp_path):
    """The ratio of the sums equals mart_retention's own rates on every row, not only breakdown 'all'."""
    group_by = [
        "cohort_period__breakdown",
        "cohort_period__breakdown_value",
        "cohort_period__cohort_start__day",
        "cohort_period__period_number",
    ]
    rows = mf(
        semantic_manifest,
        tmp_path / "out.csv",
        ["--metrics", "retention_rate,unbounded_retention_rate", "--group-by", ",".join(group_by)],
    )
    mart = {
        (breakdown, value, str(cohort), period): (rate, unbounded)
        for breakdown, value, cohort, period, rate, unbounded in query(
            semantic_manifest,
            "select breakdown, breakdown_value, cohort_start, period_number, retention_rate, unbounded_retention_rate "
            "from mart_retention",
        )
    }
    assert len(rows) == len(mart)
    for row in rows:
        key = (*(row[name] for name in group_by[:2]), row[group_by[2]][:10], int(row[group_by[3]]))
        rate, unbounded = mart[key]
        assert float(row["retention_rate"]) == pytest.approx(rate, abs=1e-9), key
        assert float(row["unbounded_retention_rate"]) == pytest.approx(unbounded, abs=1e-9), key


def test_funnel_conversion_equals_the_mart_under_a_filter_on_the_step(semantic_manifest, tmp_path):
    """funnel_conversion_from_first divides by step 1's customers even when the query filters step 1
    out (the measure's window runs before the query's filter), in every breakdown."""
    group_by = [
        "funnel_step__funnel_name",
        "funnel_step__breakdown",
        "funnel_step__breakdown_value",
        "funnel_step__step_number",
    ]
    rows = mf(
        semantic_manifest,
        tmp_path / "out.csv",
        [
            "--metrics",
            "funnel_conversion_from_first,funnel_conversion_from_previous",
            "--group-by",
            ",".join(group_by),
            "--where",
            "{{ Dimension('funnel_step__step_number') }} >= 2",
        ],
    )
    mart = {
        (funnel, breakdown, value, step): (from_first, from_previous)
        for funnel, breakdown, value, step, from_first, from_previous in query(
            semantic_manifest,
            "select funnel_name, breakdown, breakdown_value, step_number, conversion_from_first, "
            "conversion_from_previous from mart_funnels where step_number >= 2",
        )
    }
    assert len(rows) == len(mart)
    for row in rows:
        key = (*(row[name] for name in group_by[:3]), int(row[group_by[3]]))
        from_first, from_previous = mart[key]
        for metric, expected in [
            ("funnel_conversion_from_first", from_first),
            ("funnel_conversion_from_previous", from_previous),
        ]:
            # MetricFlow leaves the cell empty where the mart's rate is null (no customers to divide by)
            got = float(row[metric]) if row[metric] else None
            assert got == (pytest.approx(expected, abs=1e-9) if expected is not None else None), (key, metric)


def test_additive_measures_of_the_data_driven_and_clv_interval_marts(semantic_manifest, tmp_path):
    """shapley_conversions summed over the channel sets is the shapley model's credit of each channel;
    clv_group_total adds up, within each grouping, to the 'all' total (its intervals do not: max)."""
    rows = mf_query(semantic_manifest, tmp_path / "shapley.csv", ["shapley_conversions"], "shapley_channel__channel")
    credits = dict(
        query(
            semantic_manifest,
            "select channel, sum(conversions)::double from mart_channel_attribution "
            "where attribution_model = 'shapley' and channel <> '(none)' group by channel",
        )
    )
    got = {row["shapley_channel__channel"]: float(row["shapley_conversions"]) for row in rows}
    assert got == pytest.approx(credits, abs=1e-6)

    rows = mf_query(semantic_manifest, tmp_path / "clv.csv", ["clv_group_total"], "clv_group__grouping")
    (total,) = query(semantic_manifest, "select total_predicted_clv from clv_total_intervals where grouping = 'all'")[0]
    assert {row["clv_group__grouping"] for row in rows} == {"all", "segment_name", "cohort_month"}
    for row in rows:
        assert float(row["clv_group_total"]) == pytest.approx(total, rel=1e-9), row["clv_group__grouping"]
