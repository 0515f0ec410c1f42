"""Silhouette of K-Means for every k tried, on a seeded sample of the buyers' features; the highest
is chosen (journey_metrics.segmentation.choose_k)."""

from journey_metrics.segmentation import choose_k, prepare


def model(dbt, session):
    dbt.config(materialized="table")
    features = dbt.ref("customer_features").df()
    buyers = features[features["frequency"] > 0]
    x = prepare(buyers, list(dbt.config.get("segment_features")), list(dbt.config.get("segment_log_features")))
    # one dbt.config.get per line: dbt finds the configs a Python model uses by reading its code
    k_min = int(dbt.config.get("segment_k_min"))
    k_max = int(dbt.config.get("segment_k_max"))
    k_values = range(k_min, k_max + 1)
    return choose_k(x, k_values, seed=int(dbt.config.get("segment_seed")),
                    n_init=int(dbt.config.get("segment_n_init")),
                    sample_size=int(dbt.config.get("segment_sample_size"))).astype(
        {"k": "int64", "silhouette": "float64", "is_chosen": "bool"})
