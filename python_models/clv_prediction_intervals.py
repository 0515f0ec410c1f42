"""Per-customer 80% and 95% intervals of clv_predictions from the models' parameter uncertainty
(observed information; journey_metrics.clv_intervals.prediction_intervals)."""

from journey_metrics.clv_intervals import prediction_intervals


def model(dbt, session):
    dbt.config(materialized="table")
    summary = dbt.ref("int_customer_clv_summary").df()
    params = dbt.ref("clv_model_params").df()
    return prediction_intervals(
        summary,
        params,
        horizon_days=float(dbt.config.get("clv_horizon_days")),
        annual_discount_rate=float(dbt.config.get("clv_annual_discount_rate")),
        draws=int(dbt.config.get("clv_interval_draws")),
        seed=int(dbt.config.get("clv_interval_seed")),
    )
