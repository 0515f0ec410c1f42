"""The segment tables the dbt Python models return (customer_segments), from customer_features and
the k chosen in segment_k_selection. Plain DataFrames in and out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from journey_metrics import segmentation

PROSPECT_SEGMENT_ID = 0
PROSPECT_SEGMENT_NAME = "prospects (no purchase yet)"
COLUMNS = {
    "customer_id": "string",
    "segment_id": "int64",
    "segment_name": "string",
    "distance_to_centroid": "float64",
    "silhouette": "float64",
}


def assign_segments(
    features: pd.DataFrame,
    k_selection: pd.DataFrame,
    columns: list[str],
    log_columns: list[str],
    seed: int,
    n_init: int,
    sample_size: int,
) -> pd.DataFrame:
    """Every customer's segment: buyers (frequency > 0) clustered by K-Means at the chosen k, with
    their distance to the centroid and, for a seeded sample, their silhouette; customers without a
    completed order in segment 0 (prospects)."""
    # sorted, so that the same customers give the same segments whatever order SQL returned them in
    features = features.sort_values("customer_id", kind="stable")
    buyers = features[features["frequency"] > 0].reset_index(drop=True)
    prospects = features[~(features["frequency"] > 0)]
    chosen = k_selection.loc[k_selection["is_chosen"].astype(bool), "k"]
    parts = []
    if len(chosen) and len(buyers) > int(chosen.iloc[0]):
        k = int(chosen.iloc[0])
        result = segmentation.segment(buyers, columns, log_columns, k, k, seed, n_init, sample_size)
        assigned = result.assignments.copy()
        x = segmentation.prepare(buyers, columns, log_columns)
        silhouettes = segmentation.sampled_silhouettes(x, assigned["segment_id"].to_numpy(), seed, sample_size)
        assigned["silhouette"] = silhouettes
        parts.append(assigned)
    elif len(buyers):
        parts.append(
            pd.DataFrame(
                {
                    "customer_id": buyers["customer_id"],
                    "segment_id": 1,
                    "segment_name": "all buyers",
                    "distance_to_centroid": np.nan,
                    "silhouette": np.nan,
                }
            )
        )
    parts.append(
        pd.DataFrame(
            {
                "customer_id": prospects["customer_id"],
                "segment_id": PROSPECT_SEGMENT_ID,
                "segment_name": PROSPECT_SEGMENT_NAME,
                "distance_to_centroid": np.nan,
                "silhouette": np.nan,
            }
        )
    )
    frame = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else None
    if frame is None:
        return pd.DataFrame(columns=list(COLUMNS)).astype(COLUMNS)
    return frame[list(COLUMNS)].astype(COLUMNS)


K_SELECTION_COLUMNS = {"k": "int64", "silhouette": "float64", "is_chosen": "bool"}


def k_selection(
    features: pd.DataFrame,
    columns: list[str],
    log_columns: list[str],
    k_min: int,
    k_max: int,
    seed: int,
    n_init: int,
    sample_size: int,
) -> pd.DataFrame:
    """Silhouette of every k tried on the buyers (customers with frequency > 0); empty when there
    are too few buyers to cluster."""
    buyers = features[features["frequency"] > 0].sort_values("customer_id", kind="stable")
    if len(buyers) <= max(k_min, 2):
        return pd.DataFrame(columns=list(K_SELECTION_COLUMNS)).astype(K_SELECTION_COLUMNS)
    x = segmentation.prepare(buyers, columns, log_columns)
    table = segmentation.choose_k(x, range(k_min, k_max + 1), seed=seed, n_init=n_init, sample_size=sample_size)
    return table.astype(K_SELECTION_COLUMNS)
