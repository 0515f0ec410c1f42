"""K-Means segments of the buyers at the k chosen in segment_k_selection; customers without a
completed order are segment 0, "prospects (no purchase yet)" (journey_metrics.segmentation)."""

from journey_metrics.segment_tables import assign_segments


def model(dbt, session):
    dbt.config(materialized="table")
    features = dbt.ref("customer_features").df()
    k_selection = dbt.ref("segment_k_selection").df()
    return assign_segments(
        features,
        k_selection,
        columns=list(dbt.config.get("segment_features")),
        log_columns=list(dbt.config.get("segment_log_features")),
        seed=int(dbt.config.get("segment_seed")),
        n_init=int(dbt.config.get("segment_n_init")),
        sample_size=int(dbt.config.get("segment_sample_size")),
    )
