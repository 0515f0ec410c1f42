"""Every headline metric of the semantic layer answers like the mart it comes from: each saved query of
models/semantic/_semantic.yml is run with `mf query --saved-query` against the demo warehouse and
compared, row by row, with the mart (NPS, CSAT, promoters' and detractors' shares; CLV sum and mean,
P(alive), churn under both definitions, cost to serve, contribution by segment, channel and country;
attributed revenue and conversions by model and channel; referral K and conversion rate by cohort;
the funnel by cohort; retention by cohort and period; the user-defined funnels step by step; the
paths to purchase; the Markov removal effects and Shapley values; the CUPED-adjusted main effects and
the experiment decisions; the whale curves; the referral uplift; the CLV totals with their intervals)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from journey_metrics.paths import REPO_ROOT

from helpers import mf, query


def approx(expected, abs=1e-9):
    """pytest.approx where a null (a mart's SQL null, MetricFlow's empty cell) equals NaN."""
    if isinstance(expected, list):
        expected = [float("nan") if value is None else value for value in expected]
    elif expected is None:
        expected = float("nan")
    return pytest.approx(expected, abs=abs, nan_ok=True)


def number(text: str) -> float:
    return float(text) if text not in ("", None) else float("nan")


@pytest.fixture
def warehouse(semantic_manifest):
    """The demo warehouse, parsed for `mf` (conftest's semantic_manifest)."""
    return semantic_manifest


def saved_query(db: Path, tmp_path: Path, name: str) -> list[dict]:
    return mf(db, tmp_path / f"{name}.csv", ["--saved-query", name])


def test_every_saved_query_is_compared_here():
    semantic = yaml.safe_load((REPO_ROOT / "models" / "semantic" / "_semantic.yml").read_text())
    names = {q["name"] for q in semantic["saved_queries"]}
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    assert names <= tested, names - tested
    assert len(names) >= 4


def test_nps_by_month(warehouse, tmp_path):
    rows = saved_query(warehouse, tmp_path, "nps_by_month")
    mart = {
        str(month): values
        for month, *values in query(
            warehouse,
            "select response_month, nps, csat_avg, promoters / responses, detractors / responses, responses "
            "from mart_nps_monthly",
        )
    }
    assert len(rows) == len(mart)
    for row in rows:
        nps, csat, promoters, detractors, responses = mart[row["metric_time__month"][:10]]
        assert number(row["nps"]) == approx(nps)
        assert number(row["csat"]) == approx(csat)
        assert number(row["promoter_share"]) == approx(promoters)
        assert number(row["detractor_share"]) == approx(detractors)
        assert int(row["nps_responses"]) == responses


def test_value_by_segment(warehouse, tmp_path):
    rows = saved_query(warehouse, tmp_path, "value_by_segment")
    summary = {
        name: values
        for name, *values in query(
            warehouse,
            "select segment_name, customers * avg_predicted_clv, avg_predicted_clv, avg_probability_alive, "
            "churned_share_of_buyers, customers * contribution_per_customer from mart_segment_summary",
        )
    }
    # the model's churn and the cost to serve are not in the summary: from mart_customer_value itself
    value = {
        name: values
        for name, *values in query(
            warehouse,
            "select segment_name, "
            "avg(case when is_churned_by_model then 1.0 when not is_churned_by_model then 0.0 end), "
            "sum(cost_to_serve) from mart_customer_value group by segment_name",
        )
    }
    assert len(rows) == len(summary)
    for row in rows:
        segment = row["customer__segment"]
        clv_total, clv_mean, p_alive, churn, contribution = summary[segment]
        churn_by_model, cost_to_serve = value[segment]
        assert number(row["clv_total"]) == approx(clv_total, abs=1e-6)
        assert number(row["clv_mean"]) == approx(clv_mean)
        assert number(row["probability_alive_mean"]) == approx(p_alive)
        assert number(row["churn_rate"]) == approx(churn)
        assert number(row["churn_rate_by_model"]) == approx(churn_by_model)
        assert number(row["contribution"]) == approx(float(contribution), abs=0.01)
        assert number(row["cost_to_serve"]) == approx(float(cost_to_serve), abs=0.005)


def test_value_by_channel_and_country(warehouse, tmp_path):
    rows = saved_query(warehouse, tmp_path, "value_by_channel_and_country")
    by_channel, by_country = {}, {}
    for row in rows:
        channel = by_channel.setdefault(row["customer__acquisition_channel"], [0, 0.0, 0.0, 0.0])
        for i, metric in enumerate(["customers", "clv_total", "cost_to_serve", "contribution"]):
            channel[i] += number(row[metric])
        by_country[row["customer__country"]] = by_country.get(row["customer__country"], 0) + int(row["customers"])
    mart = query(
        warehouse,
        "select acquisition_channel, customers, predicted_clv, cost_to_serve, contribution from mart_value_by_channel",
    )
    assert len(by_channel) == len(mart)
    for channel, customers, clv, cost, contribution in mart:
        assert by_channel[channel] == approx([customers, clv, float(cost), float(contribution)], abs=0.01), channel
    # country comes from dim_customers; the churn rate of a cell from mart_customer_value
    assert by_country == dict(query(warehouse, "select country, count(*) from dim_customers group by country"))
    churn = {
        (country, channel): rate
        for country, channel, rate in query(
            warehouse,
            "select c.country, v.acquisition_channel, "
            "avg(case when v.is_churned then 1.0 when not v.is_churned then 0.0 end) "
            "from mart_customer_value as v join dim_customers as c using (customer_id) group by all",
        )
    }
    for row in rows:
        key = (row["customer__country"], row["customer__acquisition_channel"])
        assert number(row["churn_rate"]) == approx(churn[key]), key


def test_attribution_by_model(warehouse, tmp_path):
    rows = saved_query(warehouse, tmp_path, "attribution_by_model")
    mart = {
        (model, channel): (float(conversions), float(revenue))
        for model, channel, conversions, revenue in query(
            warehouse,
            "select attribution_model, channel, sum(conversions), sum(revenue) "
            "from mart_channel_attribution group by all",
        )
    }
    assert len(rows) == len(mart)
    # the data-driven models' credits flow through the same semantic model
    assert {"markov", "shapley"} <= {row["attribution_credit__attribution_model"] for row in rows}
    for row in rows:
        conversions, revenue = mart[(row["attribution_credit__attribution_model"], row["attribution_credit__channel"])]
        assert number(row["attributed_conversions"]) == approx(conversions, abs=1e-6)
        assert number(row["attributed_revenue"]) == approx(revenue, abs=0.005)


def test_referrals_by_cohort(warehouse, tmp_path):
    rows = saved_query(warehouse, tmp_path, "referrals_by_cohort")
    mart = {
        str(month): values
        for month, *values in query(
            warehouse,
            "select cohort_month, referrals_sent, referrals_converted, conversion_rate, viral_coefficient "
            "from mart_referrals",
        )
    }
    assert len(rows) == len(mart)
    for row in rows:
        sent, converted, conversion_rate, k = mart[row["customer__cohort_month__month"][:10]]
        assert number(row["referrals_sent"]) == sent
        assert number(row["referrals_converted"]) == converted
        assert number(row["referral_conversion_rate"]) == approx(conversion_rate)
        assert number(row["referral_k"]) == approx(k)


def test_funnel_by_cohort(warehouse, tmp_path):
    rows = saved_query(warehouse, tmp_path, "funnel_by_cohort")
    mart = {
        (str(month), stage): (customers, rate)
        for month, stage, customers, rate in query(
            warehouse, "select cohort_month, stage, customers, conversion_from_previous from mart_stage_funnel"
        )
    }
    previous = {
        "consideration": "awareness",
        "decision": "consideration",
        "retention": "decision",
        "advocacy": "retention",
    }
    assert len(rows) == len({month for month, _ in mart})
    for row in rows:
        month = row["customer_stage__cohort_month__month"][:10]
        assert int(row["funnel_customers"]) == mart[(month, "awareness")][0]
        for stage, before in previous.items():
            expected = mart[(month, stage)][1]
            # MetricFlow gives 0 where the mart has no previous-stage customers (a null rate)
            expected = 0.0 if expected is None else expected
            assert number(row[f"{before}_to_{stage}"]) == approx(expected), (month, stage)


def test_retention_by_cohort_and_period(warehouse, tmp_path):
    rows = saved_query(warehouse, tmp_path, "retention_by_cohort_and_period")
    mart = {
        (str(cohort), period): values
        for cohort, period, *values in query(
            warehouse,
            "select cohort_start, period_number, is_complete, cohort_customers, active_customers, retention_rate, "
            "unbounded_active_customers, unbounded_retention_rate from mart_retention where breakdown = 'all'",
        )
    }
    assert len(rows) == len(mart)
    for row in rows:
        key = (row["metric_time__month"][:10], int(row["cohort_period__period_number"]))
        is_complete, cohort, active, rate, unbounded_active, unbounded_rate = mart[key]
        assert row["cohort_period__is_complete"] == str(is_complete), key
        assert int(row["cohort_customers"]) == cohort, key
        assert int(row["retained_customers"]) == active, key
        assert int(row["unbounded_retained_customers"]) == unbounded_active, key
        assert number(row["retention_rate"]) == approx(rate), key
        assert number(row["unbounded_retention_rate"]) == approx(unbounded_rate), key


def test_funnel_steps(warehouse, tmp_path):
    rows = saved_query(warehouse, tmp_path, "funnel_steps")
    mart = {
        (funnel, step): values
        for funnel, step, *values in query(
            warehouse,
            "select funnel_name, step_number, step_name, customers, previous_step_customers, "
            "conversion_from_previous, conversion_from_first from mart_funnels where breakdown = 'all'",
        )
    }
    assert len(rows) == len(mart)
    for row in rows:
        key = (row["funnel_step__funnel_name"], int(row["funnel_step__step_number"]))
        name, customers, previous, from_previous, from_first = mart[key]
        assert row["funnel_step__step_name"] == name, key
        assert int(row["funnel_step_customers"]) == customers, key
        assert int(row["funnel_previous_step_customers"]) == previous, key
        assert number(row["funnel_conversion_from_previous"]) == approx(from_previous), key
        assert number(row["funnel_conversion_from_first"]) == approx(from_first), key


def test_paths_to_purchase(warehouse, tmp_path):
    rows = saved_query(warehouse, tmp_path, "paths_to_purchase")
    mart = {
        (outcome, path): customers
        for outcome, path, customers in query(warehouse, "select outcome, path, customers from mart_paths_to_purchase")
    }
    assert len(rows) == len(mart)
    got = {(row["customer_path__outcome"], row["customer_path__path"]): int(row["paths_customers"]) for row in rows}
    assert got == mart


def test_markov_removal_effects(warehouse, tmp_path):
    rows = saved_query(warehouse, tmp_path, "markov_removal_effects")
    mart = {
        channel: values
        for channel, *values in query(
            warehouse,
            "select channel, removal_effect, conversion_probability_without, removal_effect_share, "
            "removal_conversions from mart_markov_removal_effects",
        )
    }
    assert len(rows) == len(mart)
    for row in rows:
        effect, without, share, conversions = mart[row["markov_channel__channel"]]
        assert number(row["markov_removal_effect"]) == approx(effect)
        assert number(row["markov_conversion_probability_without"]) == approx(without)
        assert number(row["markov_removal_effect_share"]) == approx(share)
        assert number(row["markov_removal_conversions"]) == approx(conversions, abs=1e-6)


def test_shapley_values(warehouse, tmp_path):
    rows = saved_query(warehouse, tmp_path, "shapley_values")
    mart = {
        (channel_set, channel): values
        for channel_set, channel, *values in query(
            warehouse,
            "select channel_set, channel, shapley_value, shapley_share, coalition_worth, "
            "set_conversions * shapley_share from mart_shapley_values",
        )
    }
    assert len(rows) == len(mart)
    by_channel: dict[str, float] = {}
    for row in rows:
        key = (row["shapley_channel__channel_set"], row["shapley_channel__channel"])
        value, share, worth, conversions = mart[key]
        assert number(row["shapley_value"]) == approx(value), key
        assert number(row["shapley_share"]) == approx(share), key
        assert number(row["shapley_coalition_worth"]) == worth, key
        assert number(row["shapley_conversions"]) == approx(conversions), key
        by_channel[key[1]] = by_channel.get(key[1], 0.0) + number(row["shapley_conversions"])
    # summed over the sets, a channel's Shapley conversions are the shapley model's credits
    credits = dict(
        query(
            warehouse,
            "select channel, sum(conversions)::double from mart_channel_attribution "
            "where attribution_model = 'shapley' and channel <> '(none)' group by channel",
        )
    )
    assert by_channel == approx(credits, abs=1e-6)


def test_cuped_main_effects(warehouse, tmp_path):
    rows = saved_query(warehouse, tmp_path, "cuped_main_effects")
    mart = {
        (experiment, term, level): values
        for experiment, term, level, *values in query(
            warehouse,
            "select experiment_id, term, level, estimate, ci_low, ci_high, unadjusted_estimate, "
            "effect_variance_reduction, variance_reduction from experiment_cuped where term_type = 'main'",
        )
    }
    assert len(rows) == len(mart)
    for row in rows:
        key = (row["cuped_effect__experiment_id"], row["cuped_effect__term"], row["cuped_effect__level"])
        estimate, ci_low, ci_high, unadjusted, effect_reduction, reduction = mart[key]
        assert number(row["cuped_estimate"]) == approx(estimate), key
        assert number(row["cuped_ci_low"]) == approx(ci_low), key
        assert number(row["cuped_ci_high"]) == approx(ci_high), key
        assert number(row["cuped_unadjusted_estimate"]) == approx(unadjusted), key
        assert number(row["cuped_effect_variance_reduction"]) == approx(effect_reduction), key
        assert number(row["cuped_variance_reduction"]) == approx(reduction), key


def test_experiment_decisions(warehouse, tmp_path):
    rows = saved_query(warehouse, tmp_path, "experiment_decisions")
    mart = {
        (experiment, factor): values
        for experiment, factor, *values in query(
            warehouse,
            "select experiment_id, factor, level, decision, estimate, relative_lift, relative_lift_ci_low, "
            "relative_lift_ci_high from experiment_decisions",
        )
    }
    assert len(rows) == len(mart)
    for row in rows:
        key = (row["experiment_decision__experiment_id"], row["experiment_decision__factor"])
        level, decision, estimate, lift, lift_low, lift_high = mart[key]
        assert row["experiment_decision__level"] == level, key
        assert row["experiment_decision__decision"] == decision, key
        assert int(row["experiment_factors_decided"]) == 1, key
        assert number(row["decision_estimate"]) == approx(estimate), key
        assert number(row["decision_relative_lift"]) == approx(lift), key
        assert number(row["decision_relative_lift_ci_low"]) == approx(lift_low), key
        assert number(row["decision_relative_lift_ci_high"]) == approx(lift_high), key


def test_whale_curves(warehouse, tmp_path):
    rows = saved_query(warehouse, tmp_path, "whale_curves")
    mart = {
        (breakdown, value): values
        for breakdown, value, *values in query(
            warehouse,
            "select breakdown, breakdown_value, customers, unprofitable_customer_share, total_contribution, "
            "peak_share, peak_customer_share, crossing_customer_share from mart_whale_curve_summary",
        )
    }
    assert len(rows) == len(mart)
    for row in rows:
        key = (row["whale_curve__breakdown"], row["whale_curve__breakdown_value"])
        customers, unprofitable, contribution, peak, peak_customers, crossing = mart[key]
        assert int(row["whale_curve_customers"]) == customers, key
        assert number(row["whale_curve_unprofitable_share"]) == approx(unprofitable), key
        assert number(row["whale_curve_total_contribution"]) == approx(float(contribution), abs=0.005), key
        assert number(row["whale_peak_share"]) == approx(peak), key
        assert number(row["whale_peak_customer_share"]) == approx(peak_customers), key
        assert number(row["whale_crossing_customer_share"]) == approx(crossing), key


def test_referral_uplift(warehouse, tmp_path):
    rows = saved_query(warehouse, tmp_path, "referral_uplift")
    columns = [
        "uplift",
        "uplift_ci_low",
        "uplift_ci_high",
        "relative_uplift",
        "relative_uplift_ci_low",
        "relative_uplift_ci_high",
    ]
    mart = {
        metric: values
        for metric, *values in query(warehouse, f"select metric, {', '.join(columns)} from mart_referral_uplift")
    }
    assert len(rows) == len(mart)
    for row in rows:
        outcome = row["referral_outcome__outcome"]
        assert [number(row[f"referral_{column}"]) for column in columns] == approx(mart[outcome]), outcome


def test_clv_total_intervals(warehouse, tmp_path):
    rows = saved_query(warehouse, tmp_path, "clv_total_intervals")
    columns = [
        "total_predicted_clv",
        "total_predicted_clv_low_95",
        "total_predicted_clv_low_80",
        "total_predicted_clv_high_80",
        "total_predicted_clv_high_95",
    ]
    mart = {
        (grouping, value): values
        for grouping, value, *values in query(
            warehouse, f"select grouping, group_value, customers, {', '.join(columns)} from clv_total_intervals"
        )
    }
    assert len(rows) == len(mart)
    metrics = ["clv_group_total", "clv_group_total_low_95", "clv_group_total_low_80"]
    metrics += ["clv_group_total_high_80", "clv_group_total_high_95"]
    for row in rows:
        key = (row["clv_group__grouping"], row["clv_group__group_value"])
        customers, *totals = mart[key]
        assert int(row["clv_interval_customers"]) == customers, key
        assert [number(row[metric]) for metric in metrics] == approx(totals, abs=1e-6), key
