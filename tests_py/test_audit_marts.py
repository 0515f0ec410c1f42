"""Advocacy, segment and funnel marts count only what belongs (issue 11, section 5), on one small
hand-made data set built once: sixteen customers in four monthly cohorts whose journeys are planted
stage by stage, two of them in an experiment with responses before, inside and after their metric
window, one converted referral. Every expected number is worked out from the planted rows below.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from statsmodels.stats.multitest import multipletests

from helpers import dbt_build, query, write_tables

STAGES = ["awareness", "consideration", "decision", "retention", "advocacy"]

# customer → (awareness day, furthest stage planted). The data end at 2024-06-15 12:00 (Y2's last
# event); with no funnel window a cohort is complete when the end of its month plus
# funnel_maturity_days (90) is at or before it: January (ends 02-01 → 05-01) and February
# (03-01 → 05-30) are complete, March (04-01 → 06-30) and May are not.
JOURNEYS = {
    "J1": ("2024-01-05", "awareness"),
    "J2": ("2024-01-06", "awareness"),
    "J3": ("2024-01-07", "consideration"),
    "J4": ("2024-01-08", "consideration"),
    "J5": ("2024-01-09", "decision"),
    "J6": ("2024-01-10", "decision"),
    "F1": ("2024-02-01", "awareness"),
    "F2": ("2024-02-02", "consideration"),
    "F3": ("2024-02-03", "advocacy"),
    "F4": ("2024-02-04", "retention"),
    "M1": ("2024-03-10", "awareness"),
    "M2": ("2024-03-11", "awareness"),
    "M3": ("2024-03-12", "consideration"),
    "M4": ("2024-03-13", "decision"),
    "Y1": ("2024-05-20", "awareness"),
    "Y2": ("2024-05-21", "awareness"),
}
DATA_END = "2024-06-15T12:00:00Z"
COMPLETE = {"2024-01-01": True, "2024-02-01": True, "2024-03-01": False, "2024-05-01": False}


def _at(day: str, **delta) -> str:
    return (datetime.fromisoformat(day) + timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _tables() -> dict[str, list[dict]]:
    customers, events, orders, referrals = [], [], [], []
    for customer, (day, furthest) in JOURNEYS.items():
        reach = STAGES.index(furthest)
        customers.append(
            {"customer_id": customer, "created_at": _at(day), "country": "DE", "acquisition_channel": "paid_search"}
        )

        def event(event_type: str, at: str, _customer=customer) -> None:
            events.append(
                {
                    "event_id": f"{_customer}-{len(events)}",
                    "customer_id": _customer,
                    "occurred_at": at,
                    "event_type": event_type,
                    "channel": "paid_search",
                    "touchpoint": "search_engine",
                }
            )

        event("ad_click", _at(day))  # awareness
        if reach >= 1:
            event("product_view", _at(day, days=1))  # consideration
        if reach >= 2:  # decision: the first completed order; a login after it
            orders.append(
                {
                    "order_id": f"{customer}-o1",
                    "customer_id": customer,
                    "ordered_at": _at(day, days=2),
                    "revenue": "50",
                    "cost_of_goods": "20",
                    "status": "completed",
                }
            )
            event("login", _at(day, days=2, hours=1))
        if reach >= 3:  # retention: the second completed order
            orders.append(
                {
                    "order_id": f"{customer}-o2",
                    "customer_id": customer,
                    "ordered_at": _at(day, days=10),
                    "revenue": "70",
                    "cost_of_goods": "30",
                    "status": "completed",
                }
            )
            event("login", _at(day, days=10, hours=1))
    event("ad_impression", DATA_END, _customer="Y2")
    # F3 advocates: a referral that brought M1 (converted when M1 became aware), and one that did not
    referrals = [
        {
            "referral_id": "R1",
            "referrer_customer_id": "F3",
            "referred_customer_id": "M1",
            "sent_at": _at("2024-02-23"),
            "converted_at": _at("2024-03-10"),
            "channel": "email",
        },
        {"referral_id": "R2", "referrer_customer_id": "F3", "sent_at": _at("2024-02-24"), "channel": "email"},
    ]
    return {
        "customers": customers,
        "events": events,
        "orders": orders,
        "referrals": referrals,
        # X1 measures 30 days from the assignment: J5 [03-10, 04-09], J6 [03-15, 04-14]
        "experiments": [
            {
                "experiment_id": "X1",
                "name": "pricing",
                "primary_metric": "nps",
                "metric_window_days": "30",
                "started_at": _at("2024-03-01"),
                "ended_at": _at("2024-12-31"),
            }
        ],
        "experiment_assignments": [
            {
                "experiment_id": "X1",
                "customer_id": "J5",
                "assigned_at": _at("2024-03-10"),
                "factor": "pricing",
                "level": "control",
            },
            {
                "experiment_id": "X1",
                "customer_id": "J5",
                "assigned_at": _at("2024-03-10"),
                "factor": "feature",
                "level": "on",
            },
            {
                "experiment_id": "X1",
                "customer_id": "J6",
                "assigned_at": _at("2024-03-15"),
                "factor": "pricing",
                "level": "discount",
            },
            {
                "experiment_id": "X1",
                "customer_id": "J6",
                "assigned_at": _at("2024-03-15"),
                "factor": "feature",
                "level": "on",
            },
        ],
        "survey_responses": [
            {"response_id": "S1", "customer_id": "J5", "responded_at": _at("2024-03-01"), "nps_score": "0"},  # before
            {"response_id": "S2", "customer_id": "J5", "responded_at": _at("2024-03-20"), "nps_score": "10"},  # in
            {"response_id": "S3", "customer_id": "J5", "responded_at": _at("2024-04-20"), "nps_score": "0"},  # after
            {"response_id": "S4", "customer_id": "J6", "responded_at": _at("2024-04-14"), "nps_score": "9"},  # at end
            {
                "response_id": "S5",
                "customer_id": "J6",
                "responded_at": _at("2024-04-14", seconds=1),
                "nps_score": "2",
            },  # a second after the end
            {"response_id": "S6", "customer_id": "J1", "responded_at": _at("2024-03-05"), "nps_score": "7"},
        ],
        "activity_costs": [{"period_month": "2024-01-01", "activity": "operations", "cost": "100", "driver": "orders"}],
    }


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("audit_marts")
    write_tables(tmp / "raw", _tables())
    return dbt_build(tmp / "raw", tmp)


# ------------------------------------------------------------------------------- NPS by arm
def test_nps_by_arm_counts_only_responses_in_the_metric_window(warehouse):
    rows = query(
        warehouse,
        """
        select cut_value, cast(response_month as varchar), responses, promoters, detractors, nps
        from mart_nps_by_cut where cut = 'experiment_arm' order by all
    """,
    )
    # J5: S1 before the assignment and S3 after the window are out, S2 in; J6: S4 at the window's
    # end in, S5 a second later out (counting all would give control 2 + 1 and discount 2)
    assert rows == [
        ("X1: feature=on, pricing=control", "2024-03-01", 1, 1, 0, 100.0),
        ("X1: feature=on, pricing=discount", "2024-04-01", 1, 1, 0, 100.0),
    ]
    # the other cuts still count every response: 6
    assert query(
        warehouse,
        "select cut, sum(responses) from mart_nps_by_cut where cut != 'experiment_arm' group by cut order by cut",
    ) == [("acquisition_channel", 6), ("segment", 6), ("stage_reached", 6), ("touchpoint", 6)]


# ------------------------------------------------------------------------------ pain points
def test_pain_points_are_lift_above_one_and_holm_significant_and_only_they_rank(warehouse):
    rows = query(
        warehouse,
        """
        select segment_id, signal, rate, lift, p_value, p_value_holm, is_pain_point, pain_point_rank
        from segment_pain_points order by segment_id, signal
    """,
    )
    assert rows
    # not vacuous on this data: one pain point, and a row with lift > 1 and raw p < 0.05 that the
    # Holm adjustment (over all 14 tests with a p-value) no longer flags
    assert any(row[6] for row in rows)
    assert any(row[3] > 1 and row[4] < 0.05 and not row[6] for row in rows if row[4] is not None)
    tested = [row for row in rows if row[4] is not None]
    expected_holm = multipletests([row[4] for row in tested], method="holm")[1]
    for row, holm in zip(tested, expected_holm, strict=True):
        assert row[5] == pytest.approx(holm, rel=1e-9, abs=1e-12), row
    for _segment_id, signal, rate, lift, _p, holm, is_pain_point, rank in rows:
        assert is_pain_point == (lift is not None and lift > 1 and holm is not None and holm < 0.05), signal
        assert (rank is not None) == is_pain_point, signal
        if rank is not None:
            assert rate > 0
    # ranks are 1, 2, … over each segment's pain points, by lift
    for segment_id in {row[0] for row in rows}:
        flagged = sorted((row for row in rows if row[0] == segment_id and row[6]), key=lambda row: row[7])
        assert [row[7] for row in flagged] == list(range(1, len(flagged) + 1))
        assert [row[3] for row in flagged] == sorted((row[3] for row in flagged), reverse=True)


# ---------------------------------------------------------------------- referral sensitivity
def test_referral_sensitivity_targets_and_deduplicated_steps(warehouse):
    # one converted referral over the 16 customers: K = 1/16
    current_k = 1 / 16
    rows = query(
        warehouse,
        """
        select scenario_type, k_step, k_target, k, current_k, k_multiplier, growth_regime,
            new_customers, cumulative_referred_customers
        from mart_referral_sensitivity where generation = 6 order by scenario_type, k
    """,
    )
    assert all(row[4] == pytest.approx(current_k) for row in rows)
    targets = [row for row in rows if row[0] == "target"]
    assert [row[2] for row in targets] == [0.25, 0.5, 0.75, 0.9, 1.0, 1.1, 1.5]
    for _, _, target, k, _, multiplier, regime, new, cumulative in targets:
        assert k == target and multiplier == pytest.approx(target * 16)
        assert new == pytest.approx(1000 * target**6)
        assert cumulative == pytest.approx(1000 * sum(target**g for g in range(1, 7)))
        assert regime == ("dies out" if target < 1 else "critical" if target == 1 else "explosive")
    # steps −0.2 and −0.1 both clamp K to 0: one row, the step nearest 0; −0.05 leaves 0.0125
    steps = [(float(row[1]), row[3]) for row in rows if row[0] == "step"]
    assert [step for step, _ in steps] == [-0.1, -0.05, 0.0, 0.05, 0.1, 0.2]
    assert steps[0][1] == 0 and steps[1][1] == pytest.approx(current_k - 0.05)


# ------------------------------------------------------------------------- complete cohorts
def test_funnels_flag_complete_cohorts(warehouse):
    for mart in ["mart_stage_funnel", "mart_stage_funnel_by_channel", "mart_stage_funnel_by_segment"]:
        flags = query(warehouse, f"select distinct cast(cohort_month as varchar), is_complete from {mart} order by 1")
        assert dict(flags) == COMPLETE, mart
    counts = query(warehouse, "select cast(cohort_month as varchar), stage, customers from mart_stage_funnel")
    planted = {}
    for day, furthest in JOURNEYS.values():
        for stage in STAGES[: STAGES.index(furthest) + 1]:
            key = (day[:8] + "01", stage)
            planted[key] = planted.get(key, 0) + 1
    assert {(month, stage): n for month, stage, n in counts if n} == planted


def test_dropoff_compares_only_customers_of_complete_cohorts(warehouse):
    totals = query(
        warehouse,
        """
        select distinct stage, stalled_customers, moved_on_customers, incomplete_cohort_customers
        from mart_stage_dropoff order by all
    """,
    )
    # January and February only: awareness stalled J1, J2, F1 — M1, M2, Y1, Y2 (not yet moved on, in
    # young cohorts) are left out with M3, M4: 6; consideration stalled J3, J4, F2; decision J5, J6;
    # retention F4 (F3 advocated)
    assert sorted(totals) == sorted(
        [
            ("awareness", 3, 7, 6),
            ("consideration", 3, 4, 2),
            ("decision", 2, 2, 1),
            ("retention", 1, 1, 0),
        ]
    )
