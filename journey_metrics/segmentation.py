"""K-Means customer segments: robust scaling, k chosen by silhouette, deterministic and named.

Takes the customer-level features prepared in SQL (customer_features) and returns plain
DataFrames; nothing here knows about dbt.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_samples, silhouette_score
from sklearn.preprocessing import RobustScaler

# A centroid this many robust units (IQRs) from the population median is "high" / "low" on it.
NOTABLE = 0.5
# How each feature reads when the centroid is high / low, in naming order of importance.
DESCRIPTORS = {
    "monetary": ("high value", "low value"),
    "frequency": ("frequent", "rare buyers"),
    "recency_days": ("at risk", "recently active"),
    "tickets": ("many tickets", "few tickets"),
    "latest_nps": ("promoters", "detractors"),
    "referrals_sent": ("referrers", None),
    "consideration_events": ("browsing a lot", None),
    "events": ("highly engaged", "barely engaged"),
    "sessions": ("many sessions", None),
    "tenure_days": ("long-standing", "new"),
}


@dataclass(frozen=True)
class Segmentation:
    assignments: pd.DataFrame  # customer_id, segment_id, segment_name, distance_to_centroid
    k_selection: pd.DataFrame  # k, silhouette, is_chosen
    centroids: pd.DataFrame  # segment_id, segment_name, <feature> in scaled units


def prepare(features: pd.DataFrame, columns: list[str], log_columns: list[str]) -> np.ndarray:
    """Feature matrix: log(1 + x) for heavy-tailed columns, missing values at the median, then
    robust scaling (median 0, interquartile range 1) so no single feature dominates."""
    frame = features[columns].astype(float).copy()
    for column in log_columns:
        if column in frame:
            frame[column] = np.log1p(frame[column].clip(lower=0))
    frame = frame.fillna(frame.median()).fillna(0.0)
    scaled = RobustScaler(quantile_range=(25.0, 75.0)).fit_transform(frame.to_numpy())
    # a feature with no spread (IQR 0) would be divided by 1 by sklearn: fine, it stays near 0
    return np.nan_to_num(scaled)


def _kmeans(k: int, seed: int, n_init: int) -> KMeans:
    return KMeans(n_clusters=k, n_init=n_init, random_state=seed, algorithm="lloyd")


def choose_k(x: np.ndarray, k_values: range, seed: int, n_init: int, sample_size: int) -> pd.DataFrame:
    """Silhouette of K-Means for each k on a seeded sample; the chosen k has the highest."""
    rng = np.random.default_rng(seed)
    sample = x if len(x) <= sample_size else x[np.sort(rng.choice(len(x), sample_size, replace=False))]
    rows = []
    for k in k_values:
        if k >= len(sample):
            break
        labels = _kmeans(k, seed, n_init).fit_predict(sample)
        score = silhouette_score(sample, labels) if len(set(labels)) > 1 else -1.0
        rows.append({"k": k, "silhouette": float(score)})
    table = pd.DataFrame(rows, columns=["k", "silhouette"])
    table["is_chosen"] = False
    if len(table):
        table.loc[table["silhouette"].idxmax(), "is_chosen"] = True
    return table


def name_segments(centroids: pd.DataFrame) -> list[str]:
    """Names from each centroid's most notable features (in robust units from the median), e.g.
    "high value, frequent"; unique (a number is added to repeats) and independent of run order."""
    names = []
    for _, centroid in centroids.iterrows():
        notable = []
        for feature, (high, low) in DESCRIPTORS.items():
            if feature not in centroid:
                continue
            value = centroid[feature]
            label = high if value >= NOTABLE else low if value <= -NOTABLE else None
            if label:
                notable.append((-abs(value), label))
        notable.sort()
        names.append(", ".join(label for _, label in notable[:2]) or "typical")
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return unique


def segment(
    features: pd.DataFrame,
    columns: list[str],
    log_columns: list[str],
    k_min: int,
    k_max: int,
    seed: int,
    n_init: int,
    sample_size: int,
) -> Segmentation:
    """Segments every customer. The same data and settings always give the same segments: fixed
    seeds, and segment ids ordered by centroid (value, then frequency), not by K-Means' labels."""
    if len(features) < max(k_min, 2) + 1:
        empty = pd.DataFrame({"customer_id": features["customer_id"].astype("string"),
                              "segment_id": 1, "segment_name": "all customers", "distance_to_centroid": 0.0})
        return Segmentation(empty, pd.DataFrame(columns=["k", "silhouette", "is_chosen"]),
                            pd.DataFrame({"segment_id": [1], "segment_name": ["all customers"]}))
    x = prepare(features, columns, log_columns)
    k_selection = choose_k(x, range(k_min, k_max + 1), seed, n_init, sample_size)
    k = int(k_selection.loc[k_selection["is_chosen"], "k"].iloc[0])
    model = _kmeans(k, seed, n_init).fit(x)
    centroids = pd.DataFrame(model.cluster_centers_, columns=columns)
    order = centroids.sort_values(
        [c for c in ("monetary", "frequency") if c in columns] or columns[:1], ascending=False
    ).index.to_list()
    relabel = {old: new for new, old in enumerate(order, start=1)}
    centroids = centroids.loc[order].reset_index(drop=True)
    centroids.insert(0, "segment_id", range(1, k + 1))
    centroids.insert(1, "segment_name", name_segments(centroids[columns]))
    labels = np.array([relabel[label] for label in model.labels_])
    distances = np.linalg.norm(x - model.cluster_centers_[model.labels_], axis=1)
    names = dict(zip(centroids["segment_id"], centroids["segment_name"]))
    assignments = pd.DataFrame({
        "customer_id": features["customer_id"].astype("string").to_numpy(),
        "segment_id": labels.astype("int64"),
        "segment_name": pd.array([names[label] for label in labels], dtype="string"),
        "distance_to_centroid": distances,
    })
    return Segmentation(assignments, k_selection, centroids)


def segment_silhouettes(x: np.ndarray, labels: np.ndarray, seed: int, sample_size: int) -> pd.Series:
    """Mean silhouette of each segment on a seeded sample."""
    rng = np.random.default_rng(seed)
    idx = np.arange(len(x)) if len(x) <= sample_size else np.sort(rng.choice(len(x), sample_size, replace=False))
    if len(set(labels[idx])) < 2:
        return pd.Series(dtype=float)
    values = silhouette_samples(x[idx], labels[idx])
    return pd.Series(values).groupby(labels[idx]).mean()
