"""mart_referral_uplift: the exact-matching ATT of referred against non-referred customers of the same
acquisition month and country. On the demo the mart is recomputed here in pandas (the referred taken
from the generator's truth, not from fct_referrals) and checked against the uplift the generator plants:
referred customers' regular order values are 16% higher (world.REFERRAL_ORDER_VALUE_UPLIFT), and
_truth/customer_truth.csv says by how much that raised each customer's completed revenue. The estimator
itself is checked on simulated data with a planted uplift: unbiased, and its 95% interval covers the
truth about 95% of the time."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

Z = 1.96
METRICS = ["retained", "revenue", "contribution", "predicted_clv"]


def att(frame: pd.DataFrame, z: float = Z) -> dict[str, float]:
    """Exact-matching ATT of `value` for `is_referred` over strata `stratum` (see the mart's docs): the
    stratum differences weighted by referred customers; variance Σ w² (s1²/n1 + s0²/n0) with w = n1/N1,
    each stratum's own sample variances, or the group's pooled within-stratum variance where the stratum
    has a single customer of the group; a normal interval and the delta method for the ratio."""
    groups = frame.groupby(["stratum", "is_referred"])["value"]
    stats = pd.DataFrame({"n": groups.size(), "mean": groups.mean(), "ss": groups.var(ddof=0) * groups.size()})
    stats = stats.unstack("is_referred").dropna()  # strata with both groups
    n1, n0 = stats[("n", True)], stats[("n", False)]
    big_n1, strata = n1.sum(), len(stats)
    pooled1 = stats[("ss", True)].sum() / (big_n1 - strata) if big_n1 > strata else np.nan
    pooled0 = stats[("ss", False)].sum() / (n0.sum() - strata) if n0.sum() > strata else np.nan
    var1 = np.where(n1 >= 2, stats[("ss", True)] / (n1 - 1), pooled1)
    var0 = np.where(n0 >= 2, stats[("ss", False)] / (n0 - 1), pooled0)
    referred_mean = (n1 * stats[("mean", True)]).sum() / big_n1
    matched_mean = (n1 * stats[("mean", False)]).sum() / big_n1
    referred_mean_variance = (n1 * var1).sum() / big_n1**2
    matched_mean_variance = (n1**2 * var0 / n0).sum() / big_n1**2
    uplift = referred_mean - matched_mean
    se = np.sqrt(referred_mean_variance + matched_mean_variance)
    relative = uplift / matched_mean
    relative_se = np.sqrt(referred_mean_variance + (referred_mean / matched_mean) ** 2 * matched_mean_variance) / abs(
        matched_mean
    )
    return {
        "matched_referred_customers": big_n1,
        "matched_control_customers": n0.sum(),
        "strata": strata,
        "referred_mean": referred_mean,
        "matched_mean": matched_mean,
        "uplift": uplift,
        "uplift_standard_error": se,
        "uplift_ci_low": uplift - z * se,
        "uplift_ci_high": uplift + z * se,
        "relative_uplift": relative,
        "relative_uplift_ci_low": relative - z * relative_se,
        "relative_uplift_ci_high": relative + z * relative_se,
    }


def demo_customers(db: Path, raw: Path) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        customers = con.execute(
            """
            select value.customer_id, value.cohort_month, customers.country, value.orders,
                   cast(value.revenue as double) as revenue, cast(value.contribution as double) as contribution,
                   value.predicted_clv
            from mart_customer_value as value
            inner join dim_customers as customers on customers.customer_id = value.customer_id
            """
        ).df()
    truth = pd.read_csv(
        raw / "_truth" / "customer_truth.csv", usecols=["customer_id", "is_referred", "referral_uplift_revenue_cents"]
    )
    customers = customers.merge(truth, on="customer_id", how="left", validate="one_to_one")
    customers["is_referred"] = customers["is_referred"].fillna(False).astype(bool)
    customers["planted_revenue"] = customers["referral_uplift_revenue_cents"].fillna(0) / 100
    customers["retained"] = (customers["orders"] >= 2).astype(float)
    customers["stratum"] = customers["cohort_month"].astype(str) + "|" + customers["country"]
    return customers


def check_referral_uplift(db: Path, raw: Path) -> pd.DataFrame:
    """The mart against the pandas recomputation; returns the recomputed rows."""
    customers = demo_customers(db, raw)
    with duckdb.connect(str(db), read_only=True) as con:
        mart = con.execute("select * from mart_referral_uplift").df().set_index("metric")
    assert sorted(mart.index) == sorted(METRICS)
    referred = int(customers["is_referred"].sum())
    rows = {}
    for metric in METRICS:
        expected = att(customers.assign(value=customers[metric]))
        rows[metric] = expected
        row = mart.loc[metric]
        assert row["referred_customers"] == referred
        assert row["unmatched_referred_customers"] == referred - expected["matched_referred_customers"]
        for column, value in expected.items():
            assert row[column] == pytest.approx(value, rel=1e-9, abs=1e-9), (metric, column)
    return pd.DataFrame(rows).T


def test_referral_uplift_matches_a_pandas_recomputation(demo):
    recomputed = check_referral_uplift(demo.db, demo.raw_dir)
    assert (recomputed["matched_referred_customers"] > 0).all()


def test_demo_revenue_uplift_is_the_planted_one_plus_the_control_noise(demo):
    """Known answer: the truth gives each referred customer's revenue without the planted uplift (Y0),
    so the realised effect on the matched referred, mean(Y1 − Y0), is known exactly. The mart's revenue
    uplift is that effect plus the estimate on the uplift-free revenue (pure noise: referred and matched
    customers there are drawn alike), to the cent; that noise estimate's 95% interval covers 0 and the
    mart's covers the planted effect. The plant is in the data: it raised the referred customers'
    revenue by more than 0 and at most 16% (their experiment orders carry no uplift). Retention has no
    planted uplift and its interval covers 0. With 195 referred customers the intervals are wide (about
    ±50% of the mean); the identity, not the width, is what pins the estimate to the plant."""
    customers = demo_customers(demo.db, demo.raw_dir)
    assert demo.truth["referrals"]["order_value_uplift"] == pytest.approx(0.16)
    referred = customers[customers["is_referred"]]
    assert (customers.loc[~customers["is_referred"], "planted_revenue"] == 0).all()
    realised_relative = referred["planted_revenue"].sum() / (referred["revenue"] - referred["planted_revenue"]).sum()
    print(f"planted revenue of the referred: {referred['planted_revenue'].sum():.2f}, +{realised_relative:.2%}")
    assert 0 < realised_relative <= 0.16 + 1e-9

    with duckdb.connect(str(demo.db), read_only=True) as con:
        mart = con.execute("select * from mart_referral_uplift").df().set_index("metric")
    matched_strata = set(customers.loc[~customers["is_referred"], "stratum"])
    matched = referred[referred["stratum"].isin(matched_strata)]
    planted_effect = matched["planted_revenue"].mean()
    without = att(customers.assign(value=customers["revenue"] - customers["planted_revenue"]))
    revenue = mart.loc["revenue"]
    print(f"revenue uplift {revenue['uplift']:.2f} = planted {planted_effect:.2f} + noise {without['uplift']:.2f}")
    assert revenue["matched_referred_customers"] == len(matched)
    assert revenue["uplift"] == pytest.approx(planted_effect + without["uplift"], abs=1e-6)
    assert without["uplift_ci_low"] <= 0 <= without["uplift_ci_high"]
    assert revenue["uplift_ci_low"] <= planted_effect <= revenue["uplift_ci_high"]
    retained = mart.loc["retained"]
    assert retained["uplift_ci_low"] <= 0 <= retained["uplift_ci_high"]


def simulate(rng: np.random.Generator, uplift: float) -> tuple[pd.DataFrame, float]:
    """Customers in 40 strata (months × countries) of very different value levels; referred customers
    (0-3 per stratum) worth (1 + uplift) × a non-referred customer like them. Returns the customers and
    the true ATT: uplift × the stratum levels weighted by referred customers."""
    strata = 40
    level = rng.lognormal(4.0, 0.6, strata)  # the stratum's mean value of a non-referred customer
    n0 = rng.integers(5, 40, strata)
    n1 = rng.integers(0, 4, strata)
    stratum = np.concatenate([np.repeat(np.arange(strata), n0), np.repeat(np.arange(strata), n1)])
    referred = np.concatenate([np.zeros(n0.sum(), bool), np.ones(n1.sum(), bool)])
    mean = level[stratum] * np.where(referred, 1 + uplift, 1.0)
    value = rng.normal(mean, 0.5 * level[stratum])
    frame = pd.DataFrame({"stratum": stratum, "is_referred": referred, "value": value})
    return frame, uplift * (n1 * level).sum() / n1.sum()


def test_the_estimator_recovers_a_planted_uplift_with_honest_intervals():
    """Planted: referred customers 16% more valuable (Schmitt, Skiera & Van den Bulte 2011). Over 400
    seeded replicates the relative uplift averages 0.16, the uplift its true ATT, and each 95% interval
    covers the planted truth in about 93% of them: with 1-3 referred customers a stratum, of unequal
    spread, the normal approximation runs slightly narrow (93.5% for this seed). The band catches the
    likely mistakes: weights w for w² cover 100%, leaving out the controls' variance 90.5%."""
    rng = np.random.default_rng(18)
    planted, replicates = 0.16, 400
    relative, errors, covered, covered_relative = [], [], 0, 0
    for _ in range(replicates):
        frame, true_att = simulate(rng, planted)
        result = att(frame)
        relative.append(result["relative_uplift"])
        errors.append(result["uplift"] - true_att)
        covered += result["uplift_ci_low"] <= true_att <= result["uplift_ci_high"]
        covered_relative += result["relative_uplift_ci_low"] <= planted <= result["relative_uplift_ci_high"]
    assert np.mean(relative) == pytest.approx(planted, abs=0.02)
    assert abs(np.mean(errors)) < 3 * np.std(errors) / np.sqrt(replicates)
    assert 0.92 <= covered / replicates <= 0.98
    assert 0.92 <= covered_relative / replicates <= 0.98
