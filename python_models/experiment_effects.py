"""Per factor level its marginal effect (main) and its effect at the other factors' reference levels
(simple), per interaction its contrast, each with 95% CI, relative lift and Holm-adjusted p-values,
and the best treatment combination (journey_metrics.experiments)."""

from journey_metrics.experiments import analyse_effects


def model(dbt, session):
    dbt.config(materialized="table")
    outcomes = dbt.ref("int_experiment_outcomes").df()
    assignments = dbt.ref("stg_experiment_assignments").df()
    return analyse_effects(outcomes, assignments, list(dbt.config.get("experiment_reference_levels")))
