"""K-Means customer segments: standardised features, k chosen by silhouette, deterministic and named.

Takes the customer-level features prepared in SQL (customer_features) and returns plain
DataFrames; nothing here knows about dbt.

How a segmentation is made (segment):
1. prepare: heavy-tailed columns as log(1 + x), every column standardised (mean 0, standard
   deviation 1, so no feature dominates by its unit), missing values (no NPS answer) predicted
   from the customer's other features by least squares instead of being taken as average.
2. choose_k: K-Means for every candidate k on a seeded sample; the k with the highest silhouette.
3. The chosen k's sample centroids start one K-Means pass over every customer (cheap at a
   million), so choosing k costs the same at any size.
4. Segments are numbered by their centroids (highest order value first) and named from them.

Determinism: the rows are put in customer_id order before anything is computed and the seeds are
fixed, so the same customers give the same segments whatever order they come in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_samples, silhouette_score
from threadpoolctl import threadpool_limits

# A centroid this many standard deviations from the buyers' mean is "high" / "low" on a feature.
NOTABLE = 0.5
# How each feature reads when the centroid is high / low (None: not worth naming).
DESCRIPTORS = {
    "avg_order_value": ("high value", "low value"),
    "monetary": ("high value", "low value"),
    "orders_per_month": ("frequent", "rare buyers"),
    "frequency": ("frequent", "rare buyers"),
    "recency_days": ("at risk", "recently active"),
    "tickets_per_order": ("many tickets", None),
    "tickets": ("many tickets", "few tickets"),
    "avg_nps": ("promoters", "detractors"),
    "latest_nps": ("promoters", "detractors"),
    "referrals_sent": ("referrers", None),
    "consideration_events_before_first_order": ("browsing a lot", None),
    "consideration_share": ("browsing a lot", None),
    "consideration_events": ("browsing a lot", None),
    "events": ("highly engaged", "barely engaged"),
    "sessions": ("many sessions", None),
    "tenure_days": ("long-standing", "new"),
}
# Segment 1 is the segment whose centroid is highest on the first of these that is clustered on.
ORDER_BY = ("avg_order_value", "monetary", "orders_per_month", "frequency")
# K-Means and silhouettes run on one thread. With few features the work is small and memory-bound;
# the OpenMP / BLAS threads scikit-learn would start wait for each other at every iteration, and on a
# busy machine (dbt runs DuckDB's threads beside the Python models) that waiting made the segmentation
# of 5,000 customers 3x slower (10 s instead of 3 s) and of 1,000,000 customers 2x slower.
THREADS = 1


@dataclass(frozen=True)
class Segmentation:
    assignments: pd.DataFrame  # customer_id, segment_id, segment_name, distance_to_centroid
    k_selection: pd.DataFrame  # k, silhouette, is_chosen
    centroids: pd.DataFrame  # segment_id, segment_name, <feature> in standardised units


def prepare(
    features: pd.DataFrame, columns: list[str], log_columns: list[str], impute: str = "regression"
) -> np.ndarray:
    """Feature matrix in standardised units: log(1 + x) for heavy-tailed columns, then each column
    centred on its mean and divided by its standard deviation (over the known values; a column
    without spread becomes 0). Missing values are then filled in standardised units:

    - impute="regression" (default): predicted by least squares from the columns that are never
      missing, fitted on the rows where the value is known. A customer who never answered a survey
      is not assumed to be an average one: one with many tickets is likely a detractor.
    - impute="mean": 0, the mean.
    """
    if impute not in ("regression", "mean"):
        raise ValueError(f"impute must be 'regression' or 'mean', not {impute!r}")
    frame = features[columns].astype(float)
    for column in log_columns:
        if column in frame:
            frame[column] = np.log1p(frame[column].clip(lower=0))
    x = frame.to_numpy(dtype=float, copy=True)
    x[~np.isfinite(x)] = np.nan
    known = ~np.isnan(x)
    counts = known.sum(axis=0)
    mean = np.divide(np.nansum(x, axis=0), counts, out=np.zeros(x.shape[1]), where=counts > 0)
    centred = np.where(known, x - mean, 0.0)
    sd = np.sqrt(np.divide((centred**2).sum(axis=0), counts, out=np.zeros(x.shape[1]), where=counts > 0))
    z = np.divide(centred, sd, out=np.zeros_like(centred), where=sd > 0)
    if impute == "regression" and not known.all():
        z = _regression_impute(z, known)
    return z


def _regression_impute(z: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Missing cells (0 in z) replaced by a least-squares prediction from the complete columns."""
    complete = known.all(axis=0)
    if not complete.any():
        return z
    design = np.column_stack([np.ones(len(z)), z[:, complete]])
    z = z.copy()
    for column in np.flatnonzero(~complete):
        rows = known[:, column]
        if rows.sum() <= design.shape[1]:
            continue  # too few known values to fit on: they stay at the mean
        beta, *_ = np.linalg.lstsq(design[rows], z[rows, column], rcond=None)
        z[~rows, column] = design[~rows] @ beta
    return z


def _kmeans(k: int, seed: int, n_init: int, init: str | np.ndarray = "k-means++") -> KMeans:
    return KMeans(n_clusters=k, init=init, n_init=n_init, random_state=seed, algorithm="lloyd")


def _canonical_sample(x: np.ndarray, seed: int, sample_size: int) -> np.ndarray:
    """A seeded sample of the rows, independent of the order the rows come in: rows are put in
    lexicographic order of their values first."""
    canonical = x[np.lexsort(x.T[::-1])] if len(x) else x
    if len(canonical) <= sample_size:
        return canonical
    rng = np.random.default_rng(seed)
    return canonical[np.sort(rng.choice(len(canonical), sample_size, replace=False))]


def _fit_candidates(
    x: np.ndarray, k_values: range, seed: int, n_init: int, sample_size: int
) -> tuple[pd.DataFrame, dict[int, np.ndarray]]:
    """Silhouette of K-Means for each k on the sample, and each k's centroids."""
    sample = _canonical_sample(x, seed, sample_size)
    rows, centres = [], {}
    with threadpool_limits(limits=THREADS):
        for k in k_values:
            if k >= len(sample):
                break
            model = _kmeans(k, seed, n_init).fit(sample)
            score = silhouette_score(sample, model.labels_) if len(set(model.labels_)) > 1 else -1.0
            rows.append({"k": k, "silhouette": float(score)})
            centres[k] = model.cluster_centers_
    table = pd.DataFrame(rows, columns=["k", "silhouette"])
    table["is_chosen"] = False
    if len(table):
        table.loc[table["silhouette"].idxmax(), "is_chosen"] = True  # the smallest k on a tie
    return table, centres


def choose_k(x: np.ndarray, k_values: range, seed: int, n_init: int, sample_size: int) -> pd.DataFrame:
    """Silhouette of K-Means for each k on a seeded sample; the chosen k has the highest."""
    return _fit_candidates(x, k_values, seed, n_init, sample_size)[0]


def name_segments(centroids: pd.DataFrame) -> list[str]:
    """Names from each centroid's most notable features (in standard deviations from the mean),
    e.g. "high value, frequent"; unique (a number is added to repeats) and independent of run order."""
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
        labels = list(dict.fromkeys(label for _, label in sorted(notable)))  # strongest first, once each
        names.append(", ".join(labels[:2]) or "typical")
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return unique


def _single_segment(features: pd.DataFrame) -> Segmentation:
    assignments = pd.DataFrame(
        {
            "customer_id": features["customer_id"].astype("string").to_numpy(),
            "segment_id": np.ones(len(features), dtype="int64"),
            "segment_name": pd.array(["all customers"] * len(features), dtype="string"),
            "distance_to_centroid": np.zeros(len(features)),
        }
    )
    return Segmentation(
        assignments,
        pd.DataFrame(columns=["k", "silhouette", "is_chosen"]),
        pd.DataFrame({"segment_id": [1], "segment_name": ["all customers"]}),
    )


def segment(
    features: pd.DataFrame,
    columns: list[str],
    log_columns: list[str],
    k_min: int,
    k_max: int,
    seed: int,
    n_init: int,
    sample_size: int,
    impute: str = "regression",
) -> Segmentation:
    """Segments every customer (row) of `features`; the assignments keep the rows' order. The same
    customers and settings always give the same segments: rows are put in customer_id order first,
    seeds are fixed, and segment ids follow the centroids (ORDER_BY), not K-Means' labels."""
    if len(features) < max(k_min, 2) + 1:
        return _single_segment(features)
    customer_ids = features["customer_id"].astype("string")
    order = np.argsort(customer_ids.to_numpy(dtype=object), kind="stable")
    x = prepare(features.iloc[order], columns, log_columns, impute)
    k_selection, centres = _fit_candidates(x, range(k_min, k_max + 1), seed, n_init, sample_size)
    if not len(k_selection):
        return _single_segment(features)
    k = int(k_selection.loc[k_selection["is_chosen"], "k"].iloc[0])
    with threadpool_limits(limits=THREADS):
        model = _kmeans(k, seed, 1, init=centres[k]).fit(x)
    centroids = pd.DataFrame(model.cluster_centers_, columns=columns)
    key = [c for c in ORDER_BY if c in columns][:1] or columns[:1]
    ties = [c for c in columns if c not in key]
    ranked = centroids.sort_values(key + ties, ascending=False, kind="stable").index.to_numpy()
    new_id = np.empty(k, dtype="int64")
    new_id[ranked] = np.arange(1, k + 1)
    centroids = centroids.loc[ranked].reset_index(drop=True)
    centroids.insert(0, "segment_id", np.arange(1, k + 1, dtype="int64"))
    centroids.insert(1, "segment_name", name_segments(centroids[columns]))
    labels = new_id[model.labels_]
    distances = np.linalg.norm(x - model.cluster_centers_[model.labels_], axis=1)
    names = centroids["segment_name"].to_numpy(dtype=object)
    unsort = np.empty_like(order)
    unsort[order] = np.arange(len(order))
    assignments = pd.DataFrame(
        {
            "customer_id": customer_ids.to_numpy(),
            "segment_id": labels[unsort],
            "segment_name": pd.array(names[labels[unsort] - 1], dtype="string"),
            "distance_to_centroid": distances[unsort],
        }
    )
    return Segmentation(assignments, k_selection, centroids)


def sampled_silhouettes(x: np.ndarray, labels: np.ndarray, seed: int, sample_size: int) -> np.ndarray:
    """Silhouette of each customer in a seeded sample of at most `sample_size` (NaN for the others,
    and for everyone when there are fewer than two segments)."""
    values = np.full(len(x), np.nan)
    rng = np.random.default_rng(seed)
    idx = np.arange(len(x)) if len(x) <= sample_size else np.sort(rng.choice(len(x), sample_size, replace=False))
    if len(set(labels[idx])) > 1:
        with threadpool_limits(limits=THREADS):
            values[idx] = silhouette_samples(x[idx], labels[idx])
    return values
