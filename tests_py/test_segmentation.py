"""The segmentation maths (journey_metrics.segmentation) on hand-made inputs with known answers, and
end to end: on the default demo, K-Means with the project's settings finds the generator's planted
segments among the buyers again."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from sklearn.metrics import adjusted_rand_score

from journey_metrics import segmentation
from journey_metrics.paths import REPO_ROOT

FEATURES = ["avg_order_value", "orders_per_month", "tickets_per_order", "consideration_share", "avg_nps"]
LOG_FEATURES = ["avg_order_value", "orders_per_month", "tickets_per_order"]
# Each blob's centre, in FEATURES order
BLOB_CENTRES = {
    "loyal": (150.0, 2.0, 0.02, 0.25, 9.0),
    "support": (75.0, 0.3, 2.5, 0.3, 2.0),
    "bargain": (25.0, 0.3, 0.05, 0.35, 7.0),
    "browsers": (55.0, 0.1, 0.05, 0.8, 7.0),
}


def blobs(per_blob: int = 150, seed: int = 0, missing_nps: float = 0.3) -> pd.DataFrame:
    """Four well-separated groups of customers (log-normal around the centres), some without NPS."""
    rng = np.random.default_rng(seed)
    frames = []
    for number, (name, centre) in enumerate(BLOB_CENTRES.items()):
        values = {
            feature: np.exp(np.log(value) + rng.normal(0, 0.12, per_blob))
            if feature in LOG_FEATURES
            else value + rng.normal(0, 0.05 * value, per_blob)
            for feature, value in zip(FEATURES, centre, strict=True)
        }
        frames.append(
            pd.DataFrame({"customer_id": [f"C{number}{i:05d}" for i in range(per_blob)], "truth": name, **values})
        )
    frame = pd.concat(frames, ignore_index=True)
    frame.loc[rng.random(len(frame)) < missing_nps, "avg_nps"] = np.nan
    return frame


def run(frame: pd.DataFrame, k_min: int = 2, k_max: int = 6, **kwargs) -> segmentation.Segmentation:
    return segmentation.segment(
        frame,
        FEATURES,
        LOG_FEATURES,
        k_min,
        k_max,
        seed=42,
        n_init=3,
        sample_size=kwargs.pop("sample_size", 5000),
        **kwargs,
    )


# --------------------------------------------------------------------------------------------- prepare


def test_prepare_logs_and_standardises():
    frame = pd.DataFrame({"a": [0.0, 1.0, 3.0, 7.0], "b": [1.0, 2.0, 3.0, 4.0], "flat": [5.0] * 4})
    x = segmentation.prepare(frame, ["a", "b", "flat"], log_columns=["a"])
    logged = np.log1p(np.array([0.0, 1.0, 3.0, 7.0]))
    assert x[:, 0] == pytest.approx((logged - logged.mean()) / logged.std())
    assert x[:, 1] == pytest.approx((np.arange(1, 5) - 2.5) / np.sqrt(1.25))
    assert x[:, 2].tolist() == [0.0] * 4  # no spread: no information, and no division by zero
    assert x.mean(axis=0) == pytest.approx([0, 0, 0]) and x[:, :2].std(axis=0) == pytest.approx([1, 1])


def test_prepare_predicts_missing_values_from_the_complete_columns():
    """y = 3x + 1 where known; a missing y is predicted from x, not set to the average."""
    x_values = np.arange(1.0, 11.0)
    y_values = 3 * x_values + 1
    y_values[[2, 8]] = np.nan
    frame = pd.DataFrame({"x": x_values, "y": y_values})
    z = segmentation.prepare(frame, ["x", "y"], log_columns=[])
    known = y_values[~np.isnan(y_values)]
    expected = (3 * x_values[[2, 8]] + 1 - known.mean()) / known.std()
    assert z[[2, 8], 1] == pytest.approx(expected)
    assert z[~np.isnan(y_values), 1] == pytest.approx((known - known.mean()) / known.std())
    # impute="mean": the standardised mean, 0
    assert segmentation.prepare(frame, ["x", "y"], [], impute="mean")[[2, 8], 1].tolist() == [0.0, 0.0]


def test_prepare_treats_non_finite_as_missing_and_survives_all_missing_columns():
    frame = pd.DataFrame(
        {"x": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "y": [1.0, np.inf, 3.0, 4.0, 5.0, 6.0], "none": [np.nan] * 6}
    )
    z = segmentation.prepare(frame, ["x", "y", "none"], log_columns=[])
    assert np.isfinite(z).all()
    assert z[:, 2].tolist() == [0.0] * 6
    known_y = np.array([1.0, 3.0, 4.0, 5.0, 6.0])
    assert z[1, 1] == pytest.approx((2.0 - known_y.mean()) / known_y.std())  # y = x where known: predicted 2
    with pytest.raises(ValueError, match="impute"):
        segmentation.prepare(frame, ["x"], [], impute="median")


# ------------------------------------------------------------------------------------------ choose k


@pytest.mark.parametrize("true_k", [3, 4, 5])
def test_choose_k_finds_the_number_of_well_separated_blobs(true_k):
    rng = np.random.default_rng(true_k)
    centres = rng.normal(0, 10, size=(true_k, 3))
    x = np.concatenate([centre + rng.normal(0, 1, size=(200, 3)) for centre in centres])
    table = segmentation.choose_k(x, range(2, 8), seed=1, n_init=3, sample_size=10_000)
    assert table["k"].tolist() == list(range(2, 8))
    assert table.loc[table["is_chosen"], "k"].tolist() == [true_k]
    assert table["is_chosen"].sum() == 1


def test_choose_k_does_not_depend_on_row_order():
    rng = np.random.default_rng(3)
    x = np.concatenate([c + rng.normal(0, 1, size=(300, 2)) for c in ([0, 0], [6, 0], [0, 6])])
    shuffled = x[rng.permutation(len(x))]
    first = segmentation.choose_k(x, range(2, 6), seed=5, n_init=2, sample_size=500)  # sampled
    second = segmentation.choose_k(shuffled, range(2, 6), seed=5, n_init=2, sample_size=500)
    pd.testing.assert_frame_equal(first, second)


# -------------------------------------------------------------------------------------------- naming


def test_names_come_from_the_strongest_notable_features():
    centroids = pd.DataFrame(
        {
            "avg_order_value": [1.2, -1.0, 0.1, 0.0, 0.2],
            "orders_per_month": [0.8, -0.6, -0.2, 0.1, 0.1],
            "tickets_per_order": [-0.5, -0.3, 2.0, 0.0, 0.0],
            "avg_nps": [0.6, 0.1, -1.4, 0.2, 0.0],
            "consideration_share": [-0.7, 0.0, 0.0, 2.2, 0.1],
            "consideration_events_before_first_order": [-0.7, 0.0, 0.0, 2.5, 0.0],
        }
    )
    assert segmentation.name_segments(centroids) == [
        "high value, frequent",  # low browsing and few tickets are not worth a name
        "low value, rare buyers",
        "many tickets, detractors",
        "browsing a lot",  # two browsing features, one label
        "typical",  # nothing notable
    ]


def test_repeated_names_are_numbered():
    centroids = pd.DataFrame({"avg_order_value": [1.0, 0.9, 0.0], "avg_nps": [0.0, 0.1, 0.0]})
    assert segmentation.name_segments(centroids) == ["high value", "high value (2)", "typical"]


# ------------------------------------------------------------------------------------------- segment


def test_segment_recovers_blobs_with_ordered_ids_and_names():
    frame = blobs()
    result = run(frame)
    assert result.k_selection.loc[result.k_selection["is_chosen"], "k"].tolist() == [4]
    assignments = result.assignments
    assert list(assignments.columns) == ["customer_id", "segment_id", "segment_name", "distance_to_centroid"]
    assert assignments["customer_id"].tolist() == frame["customer_id"].tolist()  # rows keep their order
    assert adjusted_rand_score(frame["truth"], assignments["segment_id"]) == pytest.approx(1.0)
    assert (assignments["distance_to_centroid"] >= 0).all()
    # segment 1 has the highest centroid order value; names follow the centroid profile
    assert list(result.centroids.columns) == ["segment_id", "segment_name", *FEATURES]
    assert result.centroids["segment_id"].tolist() == [1, 2, 3, 4]
    assert result.centroids["avg_order_value"].is_monotonic_decreasing
    truth_by_segment = frame.groupby(assignments["segment_id"])["truth"].first().to_dict()
    assert truth_by_segment == {1: "loyal", 2: "support", 3: "browsers", 4: "bargain"}
    names = dict(zip(result.centroids["segment_id"], result.centroids["segment_name"], strict=True))
    assert "high value" in names[1] and "many tickets" in names[2] and "browsing a lot" in names[3]
    assert "low value" in names[4]
    assert (assignments["segment_name"] == assignments["segment_id"].map(names)).all()


def test_segment_is_deterministic_and_independent_of_row_order():
    frame = blobs(seed=1)
    first, second = run(frame), run(frame)
    for a, b in zip(
        (first.assignments, first.k_selection, first.centroids),
        (second.assignments, second.k_selection, second.centroids),
        strict=True,
    ):
        pd.testing.assert_frame_equal(a, b)
    shuffled = frame.sample(frac=1.0, random_state=7).reset_index(drop=True)
    third = run(shuffled)
    pd.testing.assert_frame_equal(
        third.assignments.sort_values("customer_id").reset_index(drop=True),
        first.assignments.sort_values("customer_id").reset_index(drop=True),
    )
    pd.testing.assert_frame_equal(third.centroids, first.centroids)
    pd.testing.assert_frame_equal(third.k_selection, first.k_selection)


def test_segment_chooses_k_on_a_sample_and_assigns_everyone():
    frame = blobs(per_blob=500, seed=2)
    result = run(frame, sample_size=400)
    assert len(result.assignments) == len(frame)
    assert adjusted_rand_score(frame["truth"], result.assignments["segment_id"]) > 0.99


def test_segment_with_too_few_customers_is_one_segment():
    frame = blobs(per_blob=1).head(2)
    result = run(frame)
    assert result.assignments["segment_id"].tolist() == [1, 1]
    assert result.k_selection.empty


# ---------------------------------------------------------------------------------------- end to end


def segment_settings() -> dict:
    """The segmentation vars of dbt_project.yml (what the dbt Python models use)."""
    project = yaml.safe_load((REPO_ROOT / "dbt_project.yml").read_text())["vars"]
    return {
        "columns": list(project["segment_features"]),
        "log_columns": list(project["segment_log_features"]),
        "k_min": int(project["segment_k_min"]),
        "k_max": int(project["segment_k_max"]),
        "seed": int(project["segment_seed"]),
        "n_init": int(project["segment_n_init"]),
        "sample_size": int(project["segment_sample_size"]),
    }


def test_planted_segments_are_recovered_among_the_buyers(demo):
    """Issue requirement: on the generator's data the planted segments are recovered (adjusted Rand
    index >= 0.8). Buyers only: customers without a completed order are segment 0 (prospects)."""
    with duckdb.connect(str(demo.db), read_only=True) as con:
        features = con.execute("select * from customer_features where frequency > 0").df()
    truth = pd.read_csv(demo.raw_dir / "_truth" / "customer_truth.csv")
    buyers = features.merge(truth[["customer_id", "segment", "decided"]], on="customer_id", validate="1:1")
    assert buyers["decided"].all() and len(buyers) == truth["decided"].sum()

    result = segmentation.segment(buyers, **segment_settings())
    labels = buyers[["customer_id", "segment"]].merge(result.assignments, on="customer_id", validate="1:1")
    assert result.k_selection.loc[result.k_selection["is_chosen"], "k"].tolist() == [4]
    assert adjusted_rand_score(labels["segment"], labels["segment_id"]) >= 0.8
    # each planted segment is mostly one found segment, and the names read like the planted behaviour
    majority = labels.groupby("segment")["segment_name"].agg(lambda names: names.value_counts().index[0])
    assert majority["loyal_high_value"].startswith("high value")
    assert majority["support_heavy_at_risk"].startswith("many tickets")
    assert majority["browsers"].startswith("browsing a lot")
    assert majority["bargain_occasional"].startswith("low value")


def test_sampled_silhouettes_match_sklearn_on_the_sample_and_are_nan_elsewhere():
    from sklearn.metrics import silhouette_samples

    rng = np.random.default_rng(3)
    x = np.vstack([rng.normal(0, 1, (40, 2)), rng.normal(6, 1, (40, 2))])
    labels = np.repeat([1, 2], 40)

    everyone = segmentation.sampled_silhouettes(x, labels, seed=1, sample_size=1000)
    np.testing.assert_allclose(everyone, silhouette_samples(x, labels))

    sampled = segmentation.sampled_silhouettes(x, labels, seed=1, sample_size=30)
    in_sample = ~np.isnan(sampled)
    assert in_sample.sum() == 30
    np.testing.assert_allclose(sampled[in_sample], silhouette_samples(x[in_sample], labels[in_sample]))
    np.testing.assert_array_equal(sampled, segmentation.sampled_silhouettes(x, labels, seed=1, sample_size=30))

    assert np.isnan(segmentation.sampled_silhouettes(x, np.ones(80, dtype=int), seed=1, sample_size=1000)).all()
