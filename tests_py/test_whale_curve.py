"""The whale curve marts (mart_whale_curve, mart_whale_curve_summary) on the demo, recomputed here in
pandas from mart_customer_value alone: ranks, running totals in cents, shares, the peak, the crossing of
100% and the non-positive-total rule."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

NO_VALUE = "(none)"


def frame(db: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).df()


def expected_curves(customer_value: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The curve and its summary from (customer_id, segment_name, contribution), contribution in cents."""
    cents = (customer_value["contribution"].astype(float) * 100).round().astype("int64")
    base = customer_value.assign(cents=cents)
    breakdowns = [
        base.assign(breakdown="all", breakdown_value="all"),
        base.assign(breakdown="segment_name", breakdown_value=base["segment_name"].fillna(NO_VALUE)),
    ]
    curves, summaries = [], []
    for rows in breakdowns:
        for (breakdown, value), group in rows.groupby(["breakdown", "breakdown_value"]):
            group = group.sort_values(["cents", "customer_id"], ascending=[False, True]).reset_index(drop=True)
            n = len(group)
            running = group["cents"].cumsum().to_numpy()
            total = int(running[-1])
            peak = int(np.argmax(running))  # the first index of the maximum
            positive = total > 0
            share = running / total if positive else np.full(n, np.nan)
            curves.append(
                pd.DataFrame(
                    {
                        "breakdown": breakdown,
                        "breakdown_value": value,
                        "customer_rank": np.arange(1, n + 1),
                        "customer_id": group["customer_id"],
                        "cumulative_cents": running,
                        "cumulative_share": share,
                        "customer_share": np.arange(1, n + 1) / n,
                        "is_peak": np.arange(n) == peak,
                        "is_total_nonpositive": not positive,
                    }
                )
            )
            crossing = (int(np.flatnonzero(running >= total)[0]) + 1) / n if positive else np.nan
            summaries.append(
                {
                    "breakdown": breakdown,
                    "breakdown_value": value,
                    "customers": n,
                    "total_cents": total,
                    "unprofitable_customers": int((group["cents"] < 0).sum()),
                    "peak_rank": peak + 1,
                    "peak_cents": int(running[peak]),
                    "peak_share": running[peak] / total if positive else np.nan,
                    "peak_customer_share": (peak + 1) / n,
                    "crossing_customer_share": crossing,
                    "is_total_nonpositive": not positive,
                }
            )
    return pd.concat(curves, ignore_index=True), pd.DataFrame(summaries)


def check_whale_curve(db: Path) -> pd.DataFrame:
    """Compare both marts with the pandas recomputation; returns the expected summary."""
    curve, summary = expected_curves(
        frame(db, "select customer_id, segment_name, contribution from mart_customer_value")
    )
    keys = ["breakdown", "breakdown_value", "customer_rank"]
    mart = frame(
        db, "select *, cast(round(cumulative_contribution * 100) as bigint) as cumulative_cents from mart_whale_curve"
    )
    assert len(mart) == len(curve)
    both = curve.merge(mart, on=keys, suffixes=("", "_mart"), validate="one_to_one")
    assert len(both) == len(curve)
    assert (both["customer_id"] == both["customer_id_mart"]).all()
    assert (both["cumulative_cents"] == both["cumulative_cents_mart"]).all()
    for column in ["cumulative_share", "customer_share"]:
        assert both[f"{column}_mart"].isna().equals(both[column].isna()), column
        np.testing.assert_allclose(both[f"{column}_mart"].dropna(), both[column].dropna(), rtol=1e-12)
    for column in ["is_peak", "is_total_nonpositive"]:
        assert (both[column] == both[f"{column}_mart"].astype(bool)).all(), column

    mart_summary = frame(
        db,
        "select *, cast(round(total_contribution * 100) as bigint) as total_cents, "
        "cast(round(peak_contribution * 100) as bigint) as peak_cents from mart_whale_curve_summary",
    )
    both = summary.merge(
        mart_summary, on=["breakdown", "breakdown_value"], suffixes=("", "_mart"), validate="one_to_one"
    )
    assert len(both) == len(summary) == len(mart_summary)
    for column in ["customers", "total_cents", "unprofitable_customers", "peak_rank", "peak_cents"]:
        assert (both[column] == both[f"{column}_mart"]).all(), column
    for column in ["peak_share", "peak_customer_share", "crossing_customer_share"]:
        assert both[f"{column}_mart"].isna().equals(both[column].isna()), column
        np.testing.assert_allclose(both[f"{column}_mart"].dropna(), both[column].dropna(), rtol=1e-12)
    assert (both["is_total_nonpositive"] == both["is_total_nonpositive_mart"].astype(bool)).all()
    return summary


def test_whale_curve_matches_a_pandas_recomputation(demo):
    summary = check_whale_curve(demo.db)
    overall = summary[summary["breakdown"] == "all"].iloc[0]
    # the demo has whales and a long unprofitable tail: the curve rises well above 100%
    assert overall["peak_share"] > 1
    assert overall["crossing_customer_share"] <= overall["peak_customer_share"]
    # prospects never bought: every one of them costs, so their total is negative and no share is given
    prospects = summary[summary["breakdown_value"].str.startswith("prospects")]
    assert len(prospects) == 1 and prospects.iloc[0]["is_total_nonpositive"]


@pytest.mark.parametrize(
    ("contributions", "order", "peak_rank", "peak_share", "crossing"),
    [
        # running totals 5, 10, 9 of 9: the tie C0 before C1 by id; back above the total at rank 2
        ([5, 5, -1], ["C0", "C1", "C2"], 2, 10 / 9, 2 / 3),
        # 2, 4, 4, 1 of 1: the peak is the first rank at the maximum; rank 1 already earns the total
        ([-3, 2, 2, 0], ["C1", "C2", "C3", "C0"], 2, 4.0, 1 / 4),
        # a total of 0: no shares, the peak still the first maximum
        ([0, 0], ["C0", "C1"], 1, np.nan, np.nan),
    ],
)
def test_the_recomputation_itself_on_worked_inputs(contributions, order, peak_rank, peak_share, crossing):
    customers = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(len(contributions))],
            "segment_name": None,
            "contribution": contributions,
        }
    )
    curve, summary = expected_curves(customers)
    assert curve.loc[curve["breakdown"] == "all", "customer_id"].tolist() == order
    row = summary[summary["breakdown"] == "all"].iloc[0]
    assert row["peak_rank"] == peak_rank
    assert row["peak_share"] == pytest.approx(peak_share, nan_ok=True)
    assert row["crossing_customer_share"] == pytest.approx(crossing, nan_ok=True)
    assert row["is_total_nonpositive"] == (sum(contributions) <= 0)
