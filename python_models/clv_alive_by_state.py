"""P(alive) of every purchase state under the selected purchase model (journey_metrics.clv_tables.alive_by_state)."""

from journey_metrics.clv_tables import alive_by_state


def model(dbt, session):
    dbt.config(materialized="table")
    states = dbt.ref("int_purchase_states").df()
    params = dbt.ref("clv_model_params").df()
    return alive_by_state(states, params)
