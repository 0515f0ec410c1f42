"""Predicted vs actual purchases after the calibration end, for every fitted purchase model
(journey_metrics.clv_tables.holdout_validation)."""

from journey_metrics.clv_tables import holdout_validation


def model(dbt, session):
    dbt.config(materialized="table")
    summary = dbt.ref("int_customer_clv_summary").df()
    params = dbt.ref("clv_model_params").df()
    return holdout_validation(summary, params, max_bucket=int(dbt.config.get("clv_holdout_max_bucket")))
