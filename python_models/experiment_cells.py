"""Each treatment combination of each experiment: customers, mean, sd, 95% CI (journey_metrics.experiments)."""

from journey_metrics.experiments import analyse_cells


def model(dbt, session):
    dbt.config(materialized="table")
    outcomes = dbt.ref("int_experiment_outcomes").df()
    assignments = dbt.ref("stg_experiment_assignments").df()
    return analyse_cells(outcomes, assignments)
