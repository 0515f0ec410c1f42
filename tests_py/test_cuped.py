"""CUPED (journey_metrics.cuped) on simulated experiments with a known correlation between outcome and
pre-period covariate, the decision rule (journey_metrics.experiments.decide) on hand-made effects, and
experiment_cuped / experiment_decisions on the demo warehouse against independent recomputations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from journey_metrics import cuped, experiments

from helpers import query

PREFERENCE = ["control", "off", "standard"]
# outcome = 50 + 6·[pricing = bundle] + 3·[feature = on] + e, e ~ N(0, SIGMA²) with corr(e, X) = ρ,
# X ~ N(100, SIGMA_X²) the pre-period metric. Additive: the main effects are the planted 6 and 3.
EFFECTS = {("pricing", "bundle"): 6.0, ("feature", "on"): 3.0}
SIGMA, SIGMA_X = 10.0, 20.0
# Var of the cell means with both factors split 50/50: 6²/4 + 3²/4 (what pooling the arms adds to var Y)
VAR_MEANS = 6.0**2 / 4 + 3.0**2 / 4


def simulated(customers: int, rho: float, seed: int, missing_pre: float = 0.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Outcomes (outcome, pre_outcome) and assignments of a 2 × 2 experiment whose noise has
    correlation `rho` with the pre-period covariate; a share `missing_pre` of customers has none."""
    rng = np.random.default_rng(seed)
    pricing = rng.choice(["control", "bundle"], customers)
    feature = rng.choice(["off", "on"], customers)
    z_x, z = rng.normal(size=customers), rng.normal(size=customers)
    noise = SIGMA * (rho * z_x + np.sqrt(1 - rho**2) * z)
    outcome = 50 + EFFECTS[("pricing", "bundle")] * (pricing == "bundle")
    outcome = outcome + EFFECTS[("feature", "on")] * (feature == "on")
    pre = 100 + SIGMA_X * z_x
    pre[rng.random(customers) < missing_pre] = np.nan
    ids = [f"c{i:05d}" for i in range(customers)]
    outcomes = pd.DataFrame(
        {"experiment_id": "X", "customer_id": ids, "metric": "revenue", "outcome": outcome + noise, "pre_outcome": pre}
    )
    assignments = pd.concat(
        [
            pd.DataFrame({"experiment_id": "X", "customer_id": ids, "factor": "pricing", "level": pricing}),
            pd.DataFrame({"experiment_id": "X", "customer_id": ids, "factor": "feature", "level": feature}),
        ]
    )
    return outcomes, assignments


def main_rows(table: pd.DataFrame) -> pd.DataFrame:
    return table[(table["term_type"] == "main") & ~table["is_reference"]].set_index(["term", "level"])


def test_theta_is_the_pooled_regression_slope_and_the_adjustment_as_written():
    outcomes, _ = simulated(500, rho=0.5, seed=1)
    y, x = outcomes["outcome"].to_numpy(), outcomes["pre_outcome"].to_numpy()
    expected = np.cov(y, x)[0, 1] / np.var(x, ddof=1)
    assert cuped.theta(y, x) == pytest.approx(expected, rel=1e-12)
    assert cuped.theta(y, x) == pytest.approx(np.polyfit(x, y, 1)[0], rel=1e-9)  # the OLS slope of Y on X
    adjusted, adjustment = cuped.adjust(outcomes)
    assert adjusted["outcome"].to_numpy() == pytest.approx(y - expected * (x - x.mean()), rel=1e-12)
    assert adjusted["outcome"].mean() == pytest.approx(y.mean(), rel=1e-12)  # centring keeps the mean
    assert adjustment.rho == pytest.approx(np.corrcoef(y, x)[0, 1], rel=1e-12)
    # in-sample, with the pooled θ: var(Y_adj) = var(Y)(1 − ρ²) exactly (Deng et al., Eq. 5)
    assert adjustment.variance_reduction == pytest.approx(adjustment.rho**2, rel=1e-9)
    assert adjustment.customers_used == 500


@pytest.mark.parametrize("rho", [0.6, 0.3])
def test_the_variance_falls_by_about_rho_squared(rho):
    n = 10_000
    outcomes, assignments = simulated(n, rho=rho, seed=7)
    table = cuped.analyse_cuped(outcomes, assignments, PREFERENCE)
    # the standard deviation of a sample ρ̂² is about 2ρ(1 − ρ²)/√n (Fisher): judge at 4 of them
    pooled_rho = rho * SIGMA / np.sqrt(SIGMA**2 + VAR_MEANS)  # the arms' spread dilutes the pooled ρ
    tolerance = 4 * 2 * pooled_rho * (1 - pooled_rho**2) / np.sqrt(n)
    assert table["variance_reduction"].iloc[0] == pytest.approx(pooled_rho**2, abs=tolerance)
    assert table["theta"].iloc[0] == pytest.approx(rho * SIGMA / SIGMA_X, abs=4 / np.sqrt(n))
    # an effect's variance falls by the within-arm ρ²: the residual variance of the model
    main = main_rows(table)
    within_tolerance = 4 * 2 * rho * (1 - rho**2) / np.sqrt(n)
    for key in EFFECTS:
        assert main.loc[key, "effect_variance_reduction"] == pytest.approx(rho**2, abs=within_tolerance), key
        assert main.loc[key, "std_error"] < main.loc[key, "unadjusted_std_error"]
    assert (table["customers_used"] == n).all() and (table["customers_without_pre_period"] == 0).all()


def test_the_adjusted_estimate_is_unbiased_less_variable_and_its_intervals_cover():
    rho, runs, n = 0.6, 50, 400
    adjusted, unadjusted, covered = [], [], []
    for seed in range(runs):
        outcomes, assignments = simulated(n, rho=rho, seed=100 + seed)
        main = main_rows(cuped.analyse_cuped(outcomes, assignments, PREFERENCE))
        for key, truth in EFFECTS.items():
            adjusted.append(main.loc[key, "estimate"] - truth)
            unadjusted.append(main.loc[key, "unadjusted_estimate"] - truth)
            covered.append(main.loc[key, "ci_low"] <= truth <= main.loc[key, "ci_high"])
    errors = np.array(adjusted).reshape(runs, len(EFFECTS))
    for column, key in enumerate(EFFECTS):  # unbiased: the mean error within 3 of its standard errors
        mean_error = errors[:, column].mean()
        assert abs(mean_error) < 3 * errors[:, column].std(ddof=1) / np.sqrt(runs), key
    # across runs the adjusted estimates vary less, by about 1 − ρ² = 0.64 in variance (50 runs: ±0.2)
    ratio = np.var(adjusted, ddof=1) / np.var(unadjusted, ddof=1)
    assert 1 - rho**2 - 0.2 < ratio < 1 - rho**2 + 0.2
    # 100 intervals treating θ as known: about 95 cover (fewer than 88 has probability below 1%)
    assert 0.88 <= np.mean(covered) <= 1.0


def test_adjusted_effects_are_those_of_the_adjusted_outcome_computed_by_hand():
    outcomes, assignments = simulated(800, rho=0.5, seed=3)
    table = cuped.analyse_cuped(outcomes, assignments, PREFERENCE)
    frame = outcomes.merge(assignments.pivot(index="customer_id", columns="factor", values="level"), on="customer_id")
    y, x = frame["outcome"], frame["pre_outcome"]
    frame["adjusted"] = y - (np.cov(y, x)[0, 1] / x.var()) * (x - x.mean())
    cells = frame.groupby(["pricing", "feature"])["adjusted"].mean()
    # marginal effect: the cell means averaged with equal weight over the other factor
    bundle = cells.loc["bundle"].mean() - cells.loc["control"].mean()
    feature = cells.xs("on", level="feature").mean() - cells.xs("off", level="feature").mean()
    main = main_rows(table)
    assert main.loc[("pricing", "bundle"), "estimate"] == pytest.approx(bundle, rel=1e-9)
    assert main.loc[("feature", "on"), "estimate"] == pytest.approx(feature, rel=1e-9)
    unadjusted = experiments.analyse_effects(outcomes, assignments, PREFERENCE)
    unadjusted = unadjusted[unadjusted["term_type"] != "best_combination"].set_index(["term_type", "term", "level"])
    mine = table.set_index(["term_type", "term", "level"])
    for name in cuped.EFFECT_VALUES:
        pd.testing.assert_series_equal(
            mine[f"unadjusted_{name}"], unadjusted.loc[mine.index, name], check_names=False, check_dtype=False
        )


def test_customers_without_a_pre_period_are_left_out_and_counted():
    outcomes, assignments = simulated(1000, rho=0.5, seed=5, missing_pre=0.2)
    missing = int(outcomes["pre_outcome"].isna().sum())
    table = cuped.analyse_cuped(outcomes, assignments, PREFERENCE)
    assert (table["customers_without_pre_period"] == missing).all()
    assert (table["customers_used"] == 1000 - missing).all()
    used = outcomes.dropna(subset=["pre_outcome"])
    assert table["rho"].iloc[0] == pytest.approx(np.corrcoef(used["outcome"], used["pre_outcome"])[0, 1])
    main = main_rows(table)
    assert main.loc[("pricing", "bundle"), "customers"] == (assignments["level"] == "bundle").sum()  # unadjusted

    # nobody has a pre-period: no CUPED, and the decisions fall back to the unadjusted effects
    table = cuped.analyse_cuped(outcomes.assign(pre_outcome=np.nan), assignments, PREFERENCE)
    assert table[["theta", "rho", "variance_reduction", "estimate"]].isna().all().all()
    assert (table["customers_used"] == 0).all() and table["unadjusted_estimate"].notna().all()
    preferred = cuped.preferred_main_effects(table)
    assert (preferred["analysis"] == "unadjusted").all()
    assert preferred["estimate"].tolist() == table.loc[table["term_type"] == "main", "unadjusted_estimate"].tolist()


def test_no_experiments_give_empty_typed_tables():
    outcomes = pd.DataFrame(columns=["experiment_id", "customer_id", "metric", "outcome", "pre_outcome"])
    assignments = pd.DataFrame(columns=["experiment_id", "customer_id", "factor", "level"])
    table = cuped.analyse_cuped(outcomes, assignments, PREFERENCE)
    assert table.empty and list(table.columns) == list(cuped.CUPED_COLUMNS)
    decisions = experiments.decide(cuped.preferred_main_effects(table), pd.DataFrame(columns=table.columns))
    assert decisions.empty and list(decisions.columns) == list(experiments.DECISION_COLUMNS)


def effect(factor: str, level: str, estimate: float, half_width: float, p: float, metric: str = "revenue") -> dict:
    """One hand-made main row (reference rows: estimate 0, no interval)."""
    is_reference = level in PREFERENCE
    return {
        "experiment_id": "X",
        "metric": metric,
        "term": factor,
        "level": level,
        "is_reference": is_reference,
        "estimate": estimate,
        "ci_low": np.nan if is_reference else estimate - half_width,
        "ci_high": np.nan if is_reference else estimate + half_width,
        "p_value": np.nan if is_reference else p,
        "p_value_holm": np.nan if is_reference else min(1.0, 2 * p),
        "relative_lift": estimate / 50,
        "relative_lift_ci_low": (estimate - half_width) / 50,
        "relative_lift_ci_high": (estimate + half_width) / 50,
        "analysis": "cuped",
    }


def test_the_decision_rule_on_hand_made_effects():
    primary = pd.DataFrame(
        [
            # a: significant gain, guardrail flat → ship
            effect("a", "control", 0, 0, np.nan),
            effect("a", "x", 5.0, 2.0, 0.001),
            # b: significant gain, but the guardrail falls significantly → do not ship
            effect("b", "off", 0, 0, np.nan),
            effect("b", "on", 4.0, 2.0, 0.002),
            # c: not significant (Holm p = 0.4) → inconclusive; the best of two levels is decided on
            effect("c", "standard", 0, 0, np.nan),
            effect("c", "y", 1.0, 3.0, 0.2),
            effect("c", "z", -0.5, 3.0, 0.3),
            # d: significantly worse → do not ship
            effect("d", "control", 0, 0, np.nan),
            effect("d", "w", -6.0, 2.0, 0.0001),
        ]
    )
    guardrail = pd.DataFrame(
        [
            effect("a", "x", -0.01, 0.02, 0.3, "conversion"),  # interval −0.03 to 0.01: upper end ≥ 0
            effect("b", "on", -0.05, 0.02, 0.001, "conversion"),  # −0.07 to −0.03: falls significantly
            effect("c", "y", 0.0, 0.02, 1.0, "conversion"),
            effect("d", "w", 0.01, 0.02, 0.4, "conversion"),
        ]
    )
    decisions = experiments.decide(primary, guardrail).set_index("factor")
    assert decisions["decision"].to_dict() == {"a": "ship", "b": "do not ship", "c": "inconclusive", "d": "do not ship"}
    assert decisions["is_significant"].to_dict() == {"a": True, "b": True, "c": False, "d": True}
    assert decisions["guardrail_ok"].to_dict() == {"a": True, "b": False, "c": True, "d": True}
    assert decisions.loc["c", "level"] == "y" and decisions.loc["c", "reference_level"] == "standard"
    assert decisions.loc["b", "guardrail_ci_high"] == pytest.approx(-0.03)
    assert decisions.loc["a", "relative_lift"] == pytest.approx(0.1)
    assert decisions.loc["b", "decision_reason"].startswith("do not ship: b=on vs off: +4 revenue")
    assert "guardrail conversion -0.05 falls significantly" in decisions.loc["b", "decision_reason"]

    # significant gain with a guardrail that has no test (every customer converted): ship, said so
    flat = guardrail.assign(p_value=np.nan, ci_low=0.0, ci_high=-1e-17, estimate=-1e-17)
    decisions = experiments.decide(primary, flat).set_index("factor")
    assert decisions.loc["a", "decision"] == "ship" and decisions["guardrail_ok"].all()
    assert "without a test (no evidence of harm)" in decisions.loc["a", "decision_reason"]


def test_a_guardrail_without_variation_has_no_test():
    """Every customer converted: the guardrail's effects are 0 up to rounding and get no p-value (no
    rounding-noise 'significant' fall)."""
    outcomes, assignments = simulated(300, rho=0.5, seed=9)
    guardrail = experiments.analyse_effects(outcomes.assign(outcome=1.0), assignments, PREFERENCE)
    main = main_rows(guardrail)
    assert main["p_value"].isna().all() and (main["std_error"] == 0).all()
    assert np.allclose(main["estimate"], 0, atol=1e-12)


def test_decisions_from_simulated_outcomes_with_a_falling_guardrail():
    outcomes, assignments = simulated(2000, rho=0.6, seed=11)
    levels = assignments.pivot(index="customer_id", columns="factor", values="level")
    rng = np.random.default_rng(11)
    # the guardrail: conversion 0.6, 15 points lower with the bundle, unaffected by the feature
    converts = rng.random(len(levels)) < np.where(levels["pricing"] == "bundle", 0.45, 0.6)
    outcomes["guardrail_outcome"] = outcomes["customer_id"].map(pd.Series(converts.astype(float), index=levels.index))
    outcomes["guardrail_metric"] = "conversion"
    table = cuped.analyse_cuped(outcomes, assignments, PREFERENCE)
    decisions = experiments.analyse_decisions(cuped.preferred_main_effects(table), outcomes, assignments, PREFERENCE)
    decisions = decisions.set_index("factor")
    assert decisions.loc["feature", "decision"] == "ship" and decisions.loc["feature", "analysis"] == "cuped"
    assert decisions.loc["pricing", "decision"] == "do not ship" and not decisions.loc["pricing", "guardrail_ok"]
    assert decisions.loc["pricing", "is_significant"]
    assert decisions.loc["pricing", "guardrail_metric"] == "conversion"
    share = pd.Series(converts, index=levels.index).groupby(levels["pricing"]).mean()
    feature_share = pd.Series(converts, index=levels.index).groupby(levels["feature"]).mean()
    assert abs(decisions.loc["pricing", "guardrail_effect"] - (share["bundle"] - share["control"])) < 0.01
    assert abs(decisions.loc["feature", "guardrail_effect"] - (feature_share["on"] - feature_share["off"])) < 0.01


def test_the_demo_cuped_agrees_with_experiment_effects_and_pandas(demo):
    columns = ", ".join(f"unadjusted_{name}" for name in cuped.EFFECT_VALUES)
    mine = pd.DataFrame(
        query(demo.db, f"select term_type, term, level, {columns} from experiment_cuped order by all"),
        columns=["term_type", "term", "level", *(f"unadjusted_{n}" for n in cuped.EFFECT_VALUES)],
    ).set_index(["term_type", "term", "level"])
    theirs = pd.DataFrame(
        query(
            demo.db,
            f"select term_type, term, level, {', '.join(cuped.EFFECT_VALUES)} from experiment_effects "
            "where term_type != 'best_combination' order by all",
        ),
        columns=["term_type", "term", "level", *cuped.EFFECT_VALUES],
    ).set_index(["term_type", "term", "level"])
    assert len(mine) == len(theirs) > 0
    for name in cuped.EFFECT_VALUES:
        np.testing.assert_allclose(mine[f"unadjusted_{name}"], theirs[name], rtol=1e-12, equal_nan=True)

    # θ and ρ recomputed in pandas from the customer-level outcomes
    outcomes = pd.DataFrame(
        query(demo.db, "select cast(outcome as double), cast(pre_outcome as double) from int_experiment_outcomes"),
        columns=["y", "x"],
    ).dropna()
    ((theta, rho, reduction, used, without),) = query(
        demo.db,
        "select distinct theta, rho, variance_reduction, customers_used, customers_without_pre_period "
        "from experiment_cuped",
    )
    assert theta == pytest.approx(outcomes["y"].cov(outcomes["x"]) / outcomes["x"].var(), rel=1e-9)
    assert rho == pytest.approx(outcomes["y"].corr(outcomes["x"]), rel=1e-9)
    assert reduction == pytest.approx(rho**2, rel=1e-6)
    assert used == len(outcomes) and without == 0

    # one decision per factor, on its best level's adjusted main effect
    decisions = query(
        demo.db,
        "select d.factor, d.level, d.estimate, c.estimate, d.decision, d.guardrail_ok from experiment_decisions d "
        "inner join experiment_cuped c on c.term_type = 'main' and c.term = d.factor and c.level = d.level",
    )
    assert {row[0] for row in decisions} == {"pricing", "feature", "support"}
    for factor, level, estimate, cuped_estimate, decision, guardrail_ok in decisions:
        assert estimate == pytest.approx(cuped_estimate)
        (best,) = query(
            demo.db,
            "select max(estimate) from experiment_cuped where term_type = 'main' and not is_reference and term = ?",
            [factor],
        )[0]
        assert estimate == pytest.approx(best), (factor, level)
        # the demo plants no guardrail effect: every assigned customer places one extra order (converts)
        assert guardrail_ok and decision in ("ship", "inconclusive"), (factor, decision)
