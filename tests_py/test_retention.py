"""Retention by cohort of first purchase (mart_retention): the demo's cohorts recomputed independently
in pandas (overall and by acquisition channel) equal the mart row for row; breakdowns add up; the curves
have the shape the definitions promise; a bad var stops dbt naming the var and the value. Each rule is
unit-tested on hand-made customers in models/marts/funnels/_retention.yml."""

from __future__ import annotations

import shutil

import duckdb
import pandas as pd
import pytest
import yaml
from statsmodels.stats.proportion import proportion_confint

from journey_metrics.paths import REPO_ROOT

from helpers import query, run_dbt

KEY = ["breakdown", "breakdown_value", "cohort_start", "period_number"]
COMPARED = [
    "cohort_customers",
    "active_customers",
    "retention_rate",
    "unbounded_active_customers",
    "unbounded_retention_rate",
    "is_complete",
]


def frame(db, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).df()


def month_start(month_index: pd.Series) -> pd.Series:
    """The first day of month `year * 12 + month - 1`, as a timestamp."""
    return pd.to_datetime(pd.DataFrame({"year": month_index // 12, "month": month_index % 12 + 1, "day": 1}))


def recomputed_retention(db) -> pd.DataFrame:
    """mart_retention's rows for breakdowns 'all' and acquisition_channel, computed again with the
    project's default vars (monthly cohorts, a completed order as the activity) from stg_orders,
    dim_customers and the end of the data, by month arithmetic (months counted as year * 12 + month)."""
    project_vars = yaml.safe_load((REPO_ROOT / "dbt_project.yml").read_text())["vars"]
    assert project_vars["retention_grain"] == "month" and project_vars["retention_activity"] == ["orders"]
    periods = project_vars["retention_max_periods"]
    orders = frame(db, "select customer_id, ordered_at from stg_orders where status = 'completed'")
    channels = frame(db, "select customer_id, first_touch_channel from dim_customers").set_index("customer_id")
    last_data_at = max(
        query(db, "select max(ordered_at) from stg_orders")[0][0],
        query(db, "select max(occurred_at) from int_events_sessionised")[0][0],
    )
    orders["month"] = orders["ordered_at"].dt.year * 12 + orders["ordered_at"].dt.month - 1
    buyers = orders.groupby("customer_id")["month"].agg(cohort="min", last="max")
    buyers["all"] = "all"
    buyers["acquisition_channel"] = channels["first_touch_channel"].reindex(buyers.index).fillna("(none)")
    active_months = orders[["customer_id", "month"]].drop_duplicates().assign(is_active=True)

    grid = buyers.reset_index().merge(pd.DataFrame({"period_number": range(periods + 1)}), how="cross")
    grid["month"] = grid["cohort"] + grid["period_number"]
    grid = grid.merge(active_months, on=["customer_id", "month"], how="left")
    grid["is_active"] = grid["is_active"].fillna(False).astype(bool)
    grid["is_active_later"] = grid["last"] >= grid["month"]
    parts = []
    for breakdown in ["all", "acquisition_channel"]:
        counted = (
            grid.groupby([breakdown, "cohort", "period_number"])
            .agg(
                cohort_customers=("customer_id", "size"),
                active_customers=("is_active", "sum"),
                unbounded_active_customers=("is_active_later", "sum"),
            )
            .reset_index()
            .rename(columns={breakdown: "breakdown_value"})
        )
        counted["breakdown"] = breakdown
        parts.append(counted)
    expected = pd.concat(parts, ignore_index=True)
    expected["cohort_start"] = month_start(expected["cohort"])
    expected["retention_rate"] = expected["active_customers"] / expected["cohort_customers"]
    expected["unbounded_retention_rate"] = expected["unbounded_active_customers"] / expected["cohort_customers"]
    period_end = month_start(expected["cohort"] + expected["period_number"] + 1)
    expected["is_complete"] = period_end <= pd.Timestamp(last_data_at)
    return expected[KEY + COMPARED].sort_values(KEY).reset_index(drop=True)


def mart_rows(db, breakdowns: list[str]) -> pd.DataFrame:
    listed = ", ".join(f"'{b}'" for b in breakdowns)
    got = frame(db, f"select * from mart_retention where breakdown in ({listed})")
    return got.sort_values(KEY).reset_index(drop=True)


def test_the_demo_retention_equals_an_independent_recomputation(demo):
    expected = recomputed_retention(demo.db)
    got = mart_rows(demo.db, ["all", "acquisition_channel"])
    assert set(got["grain"]) == {"month"}
    pd.testing.assert_frame_equal(got[KEY + COMPARED], expected, check_dtype=False)
    # the demo has long curves, with complete and open periods, and people who come back
    overall = expected[expected["breakdown"] == "all"]
    assert overall["cohort_start"].nunique() >= 12
    assert overall["is_complete"].any() and not overall["is_complete"].all()
    assert (overall["unbounded_active_customers"] > overall["active_customers"]).any()


def test_the_retention_interval_is_wilsons(demo):
    got = mart_rows(demo.db, ["all"])
    low, high = proportion_confint(got["active_customers"], got["cohort_customers"], alpha=0.05, method="wilson")
    # var funnel_z is 1.96; statsmodels' 95% z is 1.95996…
    assert got["retention_rate_ci_low"].to_numpy() == pytest.approx(low.to_numpy(), abs=1e-4)
    assert got["retention_rate_ci_high"].to_numpy() == pytest.approx(high.to_numpy(), abs=1e-4)


def test_the_cohorts_hold_every_buyer_once_and_breakdowns_add_up(demo):
    buyers = query(demo.db, "select count(distinct customer_id) from stg_orders where status = 'completed'")[0][0]
    assert query(
        demo.db, "select sum(cohort_customers) from mart_retention where breakdown = 'all' and period_number = 0"
    ) == [(buyers,)]
    bad = query(
        demo.db,
        """
        with overall as (
            select * from mart_retention where breakdown = 'all'
        ),
        summed as (
            select
                breakdown, cohort_start, period_number,
                sum(cohort_customers) as cohort_customers,
                sum(active_customers) as active_customers,
                sum(unbounded_active_customers) as unbounded_active_customers
            from mart_retention where breakdown <> 'all' group by all
        )
        select summed.* from summed
        inner join overall using (cohort_start, period_number)
        where summed.cohort_customers <> overall.cohort_customers
            or summed.active_customers <> overall.active_customers
            or summed.unbounded_active_customers <> overall.unbounded_active_customers
        """,
    )
    assert bad == []
    counts = query(demo.db, "select breakdown, count(*) from mart_retention group by breakdown order by breakdown")
    overall_rows = dict(counts)["all"]
    assert {b for b, _ in counts} == {"all", "acquisition_channel", "segment_name"}
    assert all(rows >= overall_rows for _, rows in counts)


def test_the_curves_have_the_promised_shape(demo):
    """With activity [orders]: period 0 is 1.0; unbounded retention is never below bounded and never
    rises; once a period is incomplete, so is every later one; a cohort's size is the same in every
    period."""
    bad = query(
        demo.db,
        """
        select *
        from (
            select
                *,
                lag(unbounded_retention_rate) over curve as previous_unbounded,
                lag(is_complete) over curve as previous_complete,
                max(cohort_customers) over curve_all - min(cohort_customers) over curve_all as size_spread
            from mart_retention
            window
                curve as (partition by breakdown, breakdown_value, cohort_start order by period_number),
                curve_all as (partition by breakdown, breakdown_value, cohort_start)
        )
        where (period_number = 0 and retention_rate <> 1.0)
            or unbounded_retention_rate < retention_rate
            or unbounded_retention_rate > previous_unbounded
            or (is_complete and not previous_complete)
            or size_spread <> 0
        """,
    )
    assert bad == []


@pytest.mark.parametrize(
    ("bad_vars", "message"),
    [
        ({"retention_grain": "quarter"}, "var retention_grain must be day, week or month, got 'quarter'"),
        ({"retention_activity": ["orders", "account_deleted"]}, "unknown event type 'account_deleted'"),
        ({"retention_activity": []}, "var retention_activity is empty"),
        ({"retention_max_periods": 2.5}, "var retention_max_periods must be a whole number from 0, got '2.5'"),
    ],
)
def test_a_bad_retention_var_stops_dbt_naming_the_var_and_the_value(demo, tmp_path, bad_vars, message):
    db = tmp_path / demo.db.name
    shutil.copy(demo.db, db)
    result = run_dbt(["compile", "--select", "mart_retention"], demo.raw_dir, db, tmp_path, bad_vars)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert message in output, output[-3000:]
