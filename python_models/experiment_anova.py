"""Type II ANOVA of each experiment's full-factorial model (journey_metrics.experiments)."""

from journey_metrics.experiments import analyse_anova


def model(dbt, session):
    dbt.config(materialized="table")
    outcomes = dbt.ref("int_experiment_outcomes").df()
    assignments = dbt.ref("stg_experiment_assignments").df()
    return analyse_anova(outcomes, assignments, list(dbt.config.get("experiment_reference_levels")))
