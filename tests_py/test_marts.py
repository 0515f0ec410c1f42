"""The marts on the default demo data: numbers checked against the generator's planted truth or
computed independently from the raw files."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pandas as pd
import pytest

from helpers import assert_reconciles, query, run_dbt

STAGES = ["awareness", "consideration", "decision", "retention", "advocacy"]


def read_raw(raw_dir, table) -> pd.DataFrame:
    return pd.concat(pd.read_csv(path, dtype=str) for path in sorted((raw_dir / table).rglob("*.csv")))


# ---------------------------------------------------------------------------------------- demo build
def test_demo_rows_all_reconcile(demo):
    counts = assert_reconciles(demo.raw_dir, demo.db)
    assert all(rejected == 0 for _, _, rejected in counts.values()), counts


# ------------------------------------------------------------------------------------------ journey
def test_funnel_counts_equal_the_planted_journeys(demo):
    rows = dict(query(demo.db, "select stage, sum(customers) from mart_stage_funnel group by stage"))
    assert rows == demo.truth["funnel"]["realised_counts"]


def test_funnel_recovers_planted_conversion_rates(demo):
    """Observed stage-to-stage rates lie within 3 standard errors of the planted probabilities."""
    counts = dict(query(demo.db, "select stage, sum(customers) from mart_stage_funnel group by stage"))
    expected = demo.truth["funnel"]["expected_rates"]
    for (previous, stage), key in [
        (("awareness", "consideration"), "p_consider"),
        (("consideration", "decision"), "p_decide_given_consider"),
        (("retention", "advocacy"), "p_advocate_given_retained"),
    ]:
        n, rate, p = counts[previous], counts[stage] / counts[previous], expected[key]
        assert abs(rate - p) < 3 * math.sqrt(p * (1 - p) / n), (stage, rate, p)


def test_funnel_by_channel_adds_up_to_the_funnel(demo):
    assert query(
        demo.db,
        """
        select count(*) from (
            select cohort_month, stage, sum(customers) as customers from mart_stage_funnel_by_channel group by all
        ) as by_channel
        full join mart_stage_funnel using (cohort_month, stage)
        where by_channel.customers is distinct from mart_stage_funnel.customers
    """,
    ) == [(0,)]


def test_dropoff_finds_the_planted_pain_point(demo):
    planted = demo.truth["dropoff"]["planted_last_event_type"]
    top = query(
        demo.db,
        """
        select value, lift from mart_stage_dropoff
        where stage = 'consideration' and dimension = 'event_type' and pain_point_rank = 1
    """,
    )
    assert top[0][0] == planted and top[0][1] > 1.5


def test_attribution_credits_add_up_to_the_raw_orders(demo):
    orders = read_raw(demo.raw_dir, "orders")
    completed = orders[orders["status"] == "completed"]
    revenue = completed["revenue"].astype(float).sum()
    rows = query(
        demo.db, "select attribution_model, sum(conversions), sum(revenue) from mart_channel_attribution group by 1"
    )
    assert len(rows) == 7  # the five heuristic models, markov and shapley
    for model, conversions, credited in rows:
        assert conversions == len(completed), model
        assert float(credited) == pytest.approx(revenue, abs=0.005), model


def test_sessions_hold_every_event(demo):
    assert query(demo.db, "select sum(events) from fct_sessions") == query(demo.db, "select count(*) from stg_events")
    derived, tracked = query(
        demo.db,
        "select count(*) filter (where is_derived_session), "
        "count(*) filter (where not is_derived_session) from fct_sessions",
    )[0]
    assert derived > 0 and tracked > 0


# -------------------------------------------------------------------------------------------- value
def test_cost_allocation_adds_up_to_the_raw_costs(demo):
    raw = read_raw(demo.raw_dir, "activity_costs")["cost"].astype(float).sum()
    allocated = query(demo.db, "select sum(allocated_cost) from fct_customer_costs")[0][0]
    assert float(allocated) == pytest.approx(raw, abs=0.005)


def test_clv_is_finite_for_every_customer(demo):
    customers, finite, one_time, no_orders = query(
        demo.db,
        """
        select
            count(*),
            count(*) filter (where isfinite(predicted_clv) and isfinite(expected_purchases)),
            count(*) filter (where orders = 1),
            count(*) filter (where orders = 0)
        from mart_customer_value
    """,
    )[0]
    assert customers == finite == demo.truth["customers"]
    assert one_time > 0 and no_orders > 0


def test_customer_value_adds_up(demo):
    """Contribution = gross margin − cost to serve; cost to serve = its primary + support + other
    activities = the customer's allocated costs in fct_customer_costs."""
    bad = query(
        demo.db,
        """
        select count(*) from mart_customer_value as v
        left join (
            select customer_id, sum(allocated_cost) as allocated
            from fct_customer_costs
            where not is_unallocated
            group by customer_id
        ) as c on c.customer_id = v.customer_id
        where v.contribution != v.gross_margin - v.cost_to_serve
            or v.cost_to_serve != v.cost_primary_activities + v.cost_support_activities + v.cost_other_activities
            or v.cost_to_serve != coalesce(c.allocated, 0)
    """,
    )
    assert bad == [(0,)]


def test_holdout_validation_tracks_actual_purchases(demo, tmp_path):
    """Calibrate on 2024-01-01..2025-06-30: the holdout's predicted purchases are close to the actual."""
    db = tmp_path / demo.db.name
    shutil.copy(demo.db, db)
    result = run_dbt(
        ["run", "--select", "int_customer_clv_summary+", "--exclude", "mart_churn+"],
        demo.raw_dir,
        db,
        tmp_path,
        {"calibration_end": "2025-06-30"},
    )
    assert result.returncode == 0, result.stdout[-3000:]
    total = query(
        db,
        "select actual_purchases, predicted_purchases, customers from clv_holdout_validation "
        "where is_total and is_selected",
    )
    assert len(total) == 1  # the selected purchase model's total row
    actual, predicted, customers = total[0]
    assert customers > 1000
    assert predicted == pytest.approx(actual, rel=0.2)


# ----------------------------------------------------------------------------------------- advocacy
def test_nps_margin_of_error_matches_a_direct_computation(demo):
    responses = pd.DataFrame(
        query(
            demo.db,
            "select date_trunc('month', responded_at), nps_score from stg_survey_responses where nps_score is not null",
        ),
        columns=["month", "score"],
    )
    mart = {
        row[0]: row[1:]
        for row in query(demo.db, "select response_month, nps, nps_margin_of_error from mart_nps_monthly")
    }
    for month, scores in responses.groupby("month")["score"]:
        promoter = (scores >= 9).astype(float) - (scores <= 6).astype(float)  # +1 / 0 / -1 per response
        nps = 100 * promoter.mean()
        margin = 1.96 * 100 * promoter.std(ddof=0) / np.sqrt(len(scores))
        assert mart[month.date()][0] == pytest.approx(nps)
        assert mart[month.date()][1] == pytest.approx(margin)


def test_referral_trigger_is_recovered(demo):
    planted = demo.truth["referral_trigger"]["event_type"]
    lift_low = query(
        demo.db,
        "select lift_ci_low from mart_referral_triggers where moment_kind = 'event_type' and moment = ?",
        [planted],
    )[0][0]
    assert lift_low > 2
    # the retention-stage event with the highest lift is the planted one
    top = query(
        demo.db,
        """
        select moment from mart_referral_triggers
        inner join stage_map on stage_map.event_type = mart_referral_triggers.moment
        where moment_kind = 'event_type' and stage = 'retention'
        order by lift desc limit 1
    """,
    )
    assert top == [(planted,)]


def test_cascades_reach_every_referred_customer(demo):
    reached = query(demo.db, "select sum(cascade_size), max(max_depth) from mart_referral_cascades")[0]
    assert reached[0] == demo.truth["referred_customers"]
    assert reached[1] >= 2


def test_referral_sensitivity_changes_character_at_one(demo):
    rows = query(
        demo.db,
        "select k, growth_regime, cumulative_referred_customers, limit_referred_customers "
        "from mart_referral_sensitivity where generation = 6",
    )
    for k, regime, cumulative, limit in rows:
        assert regime == ("dies out" if k < 1 else "critical" if k == 1 else "explosive")
        if k < 1:
            assert cumulative <= limit + 1e-6
