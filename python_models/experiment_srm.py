"""Sample-ratio-mismatch chi-square test per experiment and factor (journey_metrics.experiments)."""

from journey_metrics.experiments import sample_ratio_mismatch


def model(dbt, session):
    dbt.config(materialized="table")
    assignments = dbt.ref("stg_experiment_assignments").df()
    return sample_ratio_mismatch(assignments, threshold=float(dbt.config.get("srm_p_threshold")))
