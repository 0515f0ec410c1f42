"""Totals of expected purchases and predicted CLV over all modelled customers, each segment and each
cohort month, with 80% and 95% intervals summed within each parameter draw
(journey_metrics.clv_intervals.total_intervals)."""

from journey_metrics.clv_intervals import total_intervals


def model(dbt, session):
    dbt.config(materialized="table")
    summary = dbt.ref("int_customer_clv_summary").df()
    params = dbt.ref("clv_model_params").df()
    segments = dbt.ref("customer_segments").df()[["customer_id", "segment_name"]]
    cohorts = dbt.ref("dim_customers").df()[["customer_id", "cohort_month"]]
    return total_intervals(
        summary,
        params,
        groups=cohorts.merge(segments, on="customer_id", how="outer"),
        horizon_days=float(dbt.config.get("clv_horizon_days")),
        annual_discount_rate=float(dbt.config.get("clv_annual_discount_rate")),
        draws=int(dbt.config.get("clv_interval_draws")),
        seed=int(dbt.config.get("clv_interval_seed")),
    )
