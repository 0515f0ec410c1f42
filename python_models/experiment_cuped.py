"""CUPED: each experiment's effects with the outcome adjusted by the same metric before the assignment,
beside the unadjusted ones, with θ, ρ and the variance reduction (journey_metrics.cuped)."""

from journey_metrics.cuped import analyse_cuped


def model(dbt, session):
    dbt.config(materialized="table")
    outcomes = dbt.ref("int_experiment_outcomes").df()
    assignments = dbt.ref("stg_experiment_assignments").df()
    return analyse_cuped(outcomes, assignments, list(dbt.config.get("experiment_reference_levels")))
