"""Segment marts on the demo data: every customer in exactly one segment, profiles and pain points
that add up, p-values checked against scipy."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from helpers import query


def test_every_customer_is_in_exactly_one_segment(demo):
    assert query(demo.db, "select count(*), count(distinct customer_id) from customer_segments")[0] == (
        demo.truth["customers"],
        demo.truth["customers"],
    )
    # segment 0 is exactly the customers without a completed order
    assert query(
        demo.db,
        """
        select count(*) from customer_segments
        inner join customer_features using (customer_id)
        where (segment_id = 0) != (frequency = 0)
    """,
    ) == [(0,)]


def test_profiles_add_up_to_all_customers(demo):
    customers, share, chosen = query(demo.db, "select sum(customers), sum(share), max(chosen_k) from segment_profiles")[
        0
    ]
    assert customers == demo.truth["customers"]
    assert share == pytest.approx(1.0)
    assert query(demo.db, "select count(*) from segment_profiles where segment_id > 0") == [(chosen,)]


def test_pain_point_p_values_match_scipy(demo):
    rows = query(
        demo.db,
        """
        select
            pain.customers, pain.customers_with_signal,
            totals.all_customers - pain.customers, totals.all_with_signal - pain.customers_with_signal,
            pain.z_score, pain.p_value
        from segment_pain_points as pain
        inner join (
            select signal, sum(customers) as all_customers, sum(customers_with_signal) as all_with_signal
            from segment_pain_points group by signal
        ) as totals using (signal)
        where pain.z_score is not null
    """,
    )
    assert rows
    for n_a, x_a, n_b, x_b, z, p in rows:
        pooled = (x_a + x_b) / (n_a + n_b)
        expected_z = (x_a / n_a - x_b / n_b) / math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
        assert z == pytest.approx(expected_z, rel=1e-9)
        assert p == pytest.approx(2 * stats.norm.sf(abs(expected_z)), abs=2e-7)


def test_segment_summary_joins_funnel_value_and_nps(demo):
    assert query(demo.db, "select sum(customers), sum(reached_awareness) from mart_segment_summary")[0] == (
        demo.truth["customers"],
        demo.truth["funnel"]["realised_counts"]["awareness"],
    )
    assert query(demo.db, "select reached_decision from mart_segment_summary where segment_id = 0") == [(0,)]


def test_funnel_by_segment_adds_up_to_the_funnel(demo):
    assert query(
        demo.db,
        """
        select count(*) from (
            select cohort_month, stage, sum(customers) as customers from mart_stage_funnel_by_segment group by all
        ) as by_segment
        full join mart_stage_funnel using (cohort_month, stage)
        where by_segment.customers is distinct from mart_stage_funnel.customers
    """,
    ) == [(0,)]
