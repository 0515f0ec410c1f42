"""Factorial-experiment maths (journey_metrics.experiments) on hand-made and simulated designs, and
the experiment models on the generator's data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.stats.anova import anova_lm

from helpers import query, run_dbt
from journey_metrics import experiments
from journey_metrics.generate import generate

PREFERENCE = ["control", "off", "standard"]
TRUE_MEANS = {  # outcome = 10 + 3·[b = on] + 5·[a = high] + 4·[a = high and b = on]
    ("control", "off"): 10.0, ("control", "on"): 13.0, ("high", "off"): 15.0, ("high", "on"): 22.0,
    ("mid", "off"): 11.0, ("mid", "on"): 14.0,
}


def simulated(customers: int, seed: int, weights=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Outcomes and assignments of a 3 × 2 design with known effects (unbalanced when weighted)."""
    rng = np.random.default_rng(seed)
    a = rng.choice(["control", "mid", "high"], customers, p=weights)
    b = rng.choice(["off", "on"], customers)
    mean = np.array([TRUE_MEANS[(x, y)] for x, y in zip(a, b)])
    ids = [f"c{i}" for i in range(customers)]
    outcomes = pd.DataFrame({"experiment_id": "X", "customer_id": ids, "metric": "revenue",
                             "outcome": mean + rng.normal(0, 4, customers)})
    assignments = pd.concat([
        pd.DataFrame({"experiment_id": "X", "customer_id": ids, "factor": "a", "level": a}),
        pd.DataFrame({"experiment_id": "X", "customer_id": ids, "factor": "b", "level": b}),
    ])
    return outcomes, assignments


@pytest.mark.parametrize("weights", [None, [0.6, 0.3, 0.1]], ids=["balanced", "unbalanced"])
def test_anova_matches_statsmodels_type_ii(weights):
    outcomes, assignments = simulated(600, seed=3, weights=weights)
    ours = experiments.analyse(outcomes, assignments, "anova", PREFERENCE).set_index("term")
    frame, _ = experiments.design(outcomes, assignments, "X")
    theirs = anova_lm(smf.ols("outcome ~ C(a) * C(b)", data=frame).fit(), typ=2)
    theirs.index = [name.replace("C(", "").replace(")", "") for name in theirs.index]
    for term in ["a", "b", "a:b", "Residual"]:
        assert ours.loc[term, "sum_sq"] == pytest.approx(theirs.loc[term, "sum_sq"], rel=1e-8), term
        assert ours.loc[term, "df"] == theirs.loc[term, "df"], term
    for term in ["a", "b", "a:b"]:
        assert ours.loc[term, "f_value"] == pytest.approx(theirs.loc[term, "F"], rel=1e-8), term
        assert ours.loc[term, "p_value"] == pytest.approx(theirs.loc[term, "PR(>F)"], rel=1e-6, abs=1e-300), term


def test_three_factor_anova_matches_statsmodels():
    rng = np.random.default_rng(5)
    n = 400
    frame = pd.DataFrame({"p": rng.choice(["x", "y", "z"], n), "q": rng.choice(["0", "1"], n),
                          "r": rng.choice(["u", "v"], n, p=[0.7, 0.3])})
    frame["outcome"] = rng.normal(0, 1, n) + (frame["p"] == "z") * 1.0 + (frame["q"] == "1") * (frame["r"] == "v")
    ours = experiments.anova_type2(frame, ["p", "q", "r"], {"p": "x", "q": "0", "r": "u"}).set_index("term")
    theirs = anova_lm(smf.ols("outcome ~ C(p) * C(q) * C(r)", data=frame).fit(), typ=2)
    theirs.index = [name.replace("C(", "").replace(")", "") for name in theirs.index]
    for term in theirs.index:
        assert ours.loc[term, "sum_sq"] == pytest.approx(theirs.loc[term, "sum_sq"], rel=1e-7), term


def test_effects_recover_known_effects():
    outcomes, assignments = simulated(6000, seed=11)
    table = experiments.analyse(outcomes, assignments, "effects", PREFERENCE)

    def row(term, level):
        return table[(table["term"] == term) & (table["level"] == level)].iloc[0]

    for term, level, truth in [("a", "high", 5.0), ("a", "mid", 1.0), ("b", "on", 3.0), ("a:b", "high:on", 4.0),
                               ("a:b", "mid:on", 0.0)]:
        effect = row(term, level)
        standard_error = (effect["ci_high"] - effect["ci_low"]) / (2 * 1.96)
        # five intervals at once: judge each at 4 standard errors, coverage is tested below
        assert abs(effect["estimate"] - truth) < 4 * standard_error, (term, level)
        assert effect["estimate"] == pytest.approx((effect["ci_low"] + effect["ci_high"]) / 2)
    assert row("a", "control")["is_reference"] and row("a", "control")["estimate"] == 0
    best = table[table["term_type"] == "best_combination"].iloc[0]
    assert best["level"] == "a=high, b=on"
    assert abs(best["estimate"] - 22.0) < 4 * (best["ci_high"] - best["ci_low"]) / (2 * 1.96)
    assert (table["p_value_holm"].dropna() >= table["p_value"].dropna()).all()


def test_effect_intervals_cover_the_truth_95_percent_of_the_time():
    covered = []
    for seed in range(200):
        outcomes, assignments = simulated(300, seed=1000 + seed)
        table = experiments.analyse(outcomes, assignments, "effects", PREFERENCE)
        effect = table[(table["term"] == "a:b") & (table["level"] == "high:on")].iloc[0]
        covered.append(effect["ci_low"] <= 4.0 <= effect["ci_high"])
    assert 0.90 <= np.mean(covered) <= 0.99


def test_cells_cover_the_design():
    outcomes, assignments = simulated(600, seed=3)
    cells = experiments.analyse(outcomes, assignments, "cells", PREFERENCE)
    assert len(cells) == 6 and cells["customers"].sum() == 600
    inside = [(row.ci_low <= TRUE_MEANS[tuple(eval(row.levels).values())] <= row.ci_high) for row in cells.itertuples()]
    assert sum(inside) >= 5  # 95% intervals: at most one miss expected among six


def test_sample_ratio_mismatch_flags_broken_randomisation():
    _, fair = simulated(3000, seed=1)
    _, broken = simulated(3000, seed=1, weights=[0.45, 0.35, 0.2])
    assert not experiments.sample_ratio_mismatch(fair, 0.001)["is_mismatch"].any()
    flagged = experiments.sample_ratio_mismatch(broken, 0.001).set_index("factor")
    assert flagged.loc["a", "is_mismatch"] and not flagged.loc["b", "is_mismatch"]


def test_no_experiments_give_empty_typed_tables():
    empty_outcomes = pd.DataFrame(columns=["experiment_id", "customer_id", "metric", "outcome"])
    empty_assignments = pd.DataFrame(columns=["experiment_id", "customer_id", "factor", "level"])
    for table in ("cells", "anova", "effects"):
        result = experiments.analyse(empty_outcomes, empty_assignments, table, PREFERENCE)
        assert result.empty and list(result.columns) == list(experiments.TABLES[table])
    assert experiments.sample_ratio_mismatch(empty_assignments, 0.001).empty


@pytest.fixture(scope="module")
def large_experiment(tmp_path_factory):
    """40,000 customers (about 4,000 in the experiment): enough to see effects of 3 on a noise of 25."""
    tmp = tmp_path_factory.mktemp("experiment")
    truth = generate(tmp / "raw", customers=40_000, seed=42)
    db = tmp / "warehouse.duckdb"
    result = run_dbt(["run", "--select", "+experiment_effects", "+experiment_srm"], tmp / "raw", db, tmp)
    assert result.returncode == 0, result.stdout[-3000:]
    return db, truth


def test_planted_effects_are_recovered_from_the_generated_experiment(large_experiment):
    db, truth = large_experiment
    model = truth["experiment"]["model"]
    planted = [(factor, level, value) for factor, levels in model["main_effects"].items()
               for level, value in levels.items()]
    rows = {(term, level): (estimate, low, high) for term, level, estimate, low, high in query(
        db, "select term, level, estimate, ci_low, ci_high from experiment_effects where term_type != 'best_combination'")}
    for factor, level, value in planted:
        estimate, low, high = rows[(factor, level)]
        assert np.sign(estimate) == np.sign(value) and low <= value <= high, (factor, level, estimate, low, high)
    for interaction in model["interactions"]:
        factors = sorted(interaction["levels"])
        key = (":".join(factors), ":".join(interaction["levels"][f] for f in factors))
        estimate, low, high = rows[key]
        assert np.sign(estimate) == np.sign(interaction["effect"]) and low <= interaction["effect"] <= high, key
    assert query(db, "select count(*) from experiment_srm where is_mismatch") == [(0,)]
