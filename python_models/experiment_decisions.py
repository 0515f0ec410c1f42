"""Per experiment and factor: is its best level's main effect significant (Holm), its relative lift, the
guardrail check and the decision — ship, do not ship, inconclusive (journey_metrics.experiments.decide)."""

from journey_metrics.cuped import preferred_main_effects
from journey_metrics.experiments import analyse_decisions


def model(dbt, session):
    dbt.config(materialized="table")
    cuped = dbt.ref("experiment_cuped").df()
    outcomes = dbt.ref("int_experiment_outcomes").df()
    assignments = dbt.ref("stg_experiment_assignments").df()
    return analyse_decisions(
        preferred_main_effects(cuped), outcomes, assignments, list(dbt.config.get("experiment_reference_levels"))
    )
