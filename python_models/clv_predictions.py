"""Per-customer CLV predictions from the selected models, with their documented fallbacks
(journey_metrics.clv_tables.predictions)."""

from journey_metrics.clv_tables import predictions


def model(dbt, session):
    dbt.config(materialized="table")
    summary = dbt.ref("int_customer_clv_summary").df()
    params = dbt.ref("clv_model_params").df()
    return predictions(
        summary,
        params,
        horizon_days=float(dbt.config.get("clv_horizon_days")),
        annual_discount_rate=float(dbt.config.get("clv_annual_discount_rate")),
    )
