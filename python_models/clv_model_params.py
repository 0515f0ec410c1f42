"""BG/NBD, MBG/NBD, Pareto/NBD and Gamma-Gamma parameters fitted by maximum likelihood, and the purchase
model the predictions use (journey_metrics.clv_tables.model_params)."""

from journey_metrics.clv_tables import model_params


def model(dbt, session):
    dbt.config(materialized="table")
    summary = dbt.ref("int_customer_clv_summary").df()
    return model_params(
        summary,
        min_customers=int(dbt.config.get("clv_min_customers")),
        model=str(dbt.config.get("clv_model")),
    )
