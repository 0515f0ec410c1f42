"""Silhouette of K-Means for every k tried, on a seeded sample of the buyers' features; the highest
is chosen (journey_metrics.segment_tables.k_selection)."""

from journey_metrics.segment_tables import k_selection


def model(dbt, session):
    dbt.config(materialized="table")
    features = dbt.ref("customer_features").df()
    # one dbt.config.get per line: dbt finds the configs a Python model uses by reading its code
    columns = list(dbt.config.get("segment_features"))
    log_columns = list(dbt.config.get("segment_log_features"))
    k_min = int(dbt.config.get("segment_k_min"))
    k_max = int(dbt.config.get("segment_k_max"))
    seed = int(dbt.config.get("segment_seed"))
    n_init = int(dbt.config.get("segment_n_init"))
    sample_size = int(dbt.config.get("segment_sample_size"))
    return k_selection(features, columns, log_columns, k_min, k_max, seed, n_init, sample_size)
