"""Factorial-experiment maths (journey_metrics.experiments) on hand-made and simulated designs, and
the experiment models on the generator's data."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import patsy
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.anova import anova_lm

from journey_metrics import experiments
from journey_metrics.generate import generate

from helpers import query, run_dbt

PREFERENCE = ["control", "off", "standard"]
TRUE_MEANS = {  # outcome = 10 + 3·[b = on] + 5·[a = high] + 1·[a = mid] + 4·[a = high and b = on]
    ("control", "off"): 10.0,
    ("control", "on"): 13.0,
    ("high", "off"): 15.0,
    ("high", "on"): 22.0,
    ("mid", "off"): 11.0,
    ("mid", "on"): 14.0,
}
# The marginal effects of TRUE_MEANS, worked by hand: marginal means a = control (10 + 13)/2 = 11.5,
# mid (11 + 14)/2 = 12.5, high (15 + 22)/2 = 18.5; b = off (10 + 11 + 15)/3 = 12, on (13 + 14 + 22)/3 = 49/3.
TRUE_MARGINAL = {("a", "high"): 7.0, ("a", "mid"): 1.0, ("b", "on"): 49 / 3 - 12}
TRUE_RELATIVE_LIFT_A_HIGH = 7.0 / 11.5


def simulated(customers: int, seed: int, weights=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Outcomes and assignments of a 3 × 2 design with known effects (unbalanced when weighted)."""
    rng = np.random.default_rng(seed)
    a = rng.choice(["control", "mid", "high"], customers, p=weights)
    b = rng.choice(["off", "on"], customers)
    mean = np.array([TRUE_MEANS[(x, y)] for x, y in zip(a, b, strict=True)])
    ids = [f"c{i}" for i in range(customers)]
    outcomes = pd.DataFrame(
        {"experiment_id": "X", "customer_id": ids, "metric": "revenue", "outcome": mean + rng.normal(0, 4, customers)}
    )
    assignments = pd.concat(
        [
            pd.DataFrame({"experiment_id": "X", "customer_id": ids, "factor": "a", "level": a}),
            pd.DataFrame({"experiment_id": "X", "customer_id": ids, "factor": "b", "level": b}),
        ]
    )
    return outcomes, assignments


def exactly_balanced(per_cell: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Outcomes and assignments of the same 3 × 2 design with exactly `per_cell` customers per cell."""
    rng = np.random.default_rng(seed)
    cells = [cell for cell in TRUE_MEANS for _ in range(per_cell)]
    ids = [f"c{i}" for i in range(len(cells))]
    outcomes = pd.DataFrame(
        {
            "experiment_id": "X",
            "customer_id": ids,
            "metric": "revenue",
            "outcome": [TRUE_MEANS[c] for c in cells] + rng.normal(0, 4, len(cells)),
        }
    )
    assignments = pd.concat(
        [
            pd.DataFrame({"experiment_id": "X", "customer_id": ids, "factor": "a", "level": [c[0] for c in cells]}),
            pd.DataFrame({"experiment_id": "X", "customer_id": ids, "factor": "b", "level": [c[1] for c in cells]}),
        ]
    )
    return outcomes, assignments


def statsmodels_marginal_effects(
    frame: pd.DataFrame, factors: list[str], references: dict[str, str], confidence: float = 0.95
) -> dict:
    """The independent computation: statsmodels' formula OLS of the full factorial, every cell predicted
    and the predictions averaged by hand per level; standard error, interval and p-value by fit.t_test on
    the contrast built from statsmodels' own (patsy) design rows of the cells; the relative lift by the
    two-variable delta method on (effect, reference marginal mean)."""
    formula = "outcome ~ " + " * ".join(f"C({f}, Treatment('{references[f]}'))" for f in factors)
    fit = smf.ols(formula, data=frame).fit()
    grid = pd.DataFrame(list(itertools.product(*(sorted(frame[f].unique()) for f in factors))), columns=factors)
    predicted = fit.predict(grid).to_numpy()
    rows = np.asarray(patsy.dmatrix(fit.model.data.orig_exog.design_info, grid))
    cov = fit.cov_params().to_numpy()
    t = stats.t.ppf(0.5 + confidence / 2, fit.df_resid)
    result = {}
    for factor in factors:
        reference = (grid[factor] == references[factor]).to_numpy()
        for level in sorted(frame[factor].unique()):
            if level == references[factor]:
                continue
            at = (grid[factor] == level).to_numpy()
            contrast = rows[at].mean(axis=0) - rows[reference].mean(axis=0)
            test = fit.t_test(contrast)
            a, b = predicted[at].mean() - predicted[reference].mean(), predicted[reference].mean()
            reference_row = rows[reference].mean(axis=0)
            var_a, var_b = contrast @ cov @ contrast, reference_row @ cov @ reference_row
            cov_ab = contrast @ cov @ reference_row
            gradient = np.array([1 / b, -a / b**2])
            se_lift = np.sqrt(gradient @ np.array([[var_a, cov_ab], [cov_ab, var_b]]) @ gradient)
            result[(factor, level)] = {
                "estimate": a,
                "t_test_estimate": float(np.squeeze(test.effect)),
                "std_error": float(np.squeeze(test.sd)),
                "ci": tuple(np.squeeze(test.conf_int(alpha=1 - confidence))),
                "p_value": float(np.squeeze(test.pvalue)),
                "mean": predicted[at].mean(),
                "reference_mean": b,
                "relative_lift": a / b,
                "relative_lift_ci": (a / b - t * se_lift, a / b + t * se_lift),
            }
    return result


def effect_rows(table: pd.DataFrame, term_type: str) -> pd.DataFrame:
    return table[table["term_type"] == term_type].set_index(["term", "level"])


@pytest.mark.parametrize("weights", [None, [0.6, 0.3, 0.1]], ids=["balanced", "unbalanced"])
def test_anova_matches_statsmodels_type_ii(weights):
    outcomes, assignments = simulated(600, seed=3, weights=weights)
    ours = experiments.analyse_anova(outcomes, assignments, PREFERENCE).set_index("term")
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
    frame = pd.DataFrame(
        {
            "p": rng.choice(["x", "y", "z"], n),
            "q": rng.choice(["0", "1"], n),
            "r": rng.choice(["u", "v"], n, p=[0.7, 0.3]),
        }
    )
    frame["outcome"] = rng.normal(0, 1, n) + (frame["p"] == "z") * 1.0 + (frame["q"] == "1") * (frame["r"] == "v")
    ours = experiments.anova_type2(frame, ["p", "q", "r"], {"p": "x", "q": "0", "r": "u"}).set_index("term")
    theirs = anova_lm(smf.ols("outcome ~ C(p) * C(q) * C(r)", data=frame).fit(), typ=2)
    theirs.index = [name.replace("C(", "").replace(")", "") for name in theirs.index]
    for term in theirs.index:
        assert ours.loc[term, "sum_sq"] == pytest.approx(theirs.loc[term, "sum_sq"], rel=1e-7), term


def test_effects_recover_known_effects():
    outcomes, assignments = simulated(6000, seed=11)
    table = experiments.analyse_effects(outcomes, assignments, PREFERENCE)

    def row(term_type, term, level):
        return table[(table["term_type"] == term_type) & (table["term"] == term) & (table["level"] == level)].iloc[0]

    truths = [
        ("simple", "a", "high", 5.0),
        ("simple", "a", "mid", 1.0),
        ("simple", "b", "on", 3.0),
        ("interaction", "a:b", "high:on", 4.0),
        ("interaction", "a:b", "mid:on", 0.0),
        *[("main", term, level, value) for (term, level), value in TRUE_MARGINAL.items()],
    ]
    for term_type, term, level, truth in truths:
        effect = row(term_type, term, level)
        # eight intervals at once: judge each at 4 standard errors, coverage is tested below
        assert abs(effect["estimate"] - truth) < 4 * effect["std_error"], (term_type, term, level)
        assert effect["estimate"] == pytest.approx((effect["ci_low"] + effect["ci_high"]) / 2)
        assert effect["ci_high"] - effect["ci_low"] == pytest.approx(2 * 1.96 * effect["std_error"], rel=1e-3)
    for term_type in ("main", "simple"):
        reference = row(term_type, "a", "control")
        assert reference["is_reference"] and reference["estimate"] == 0 and reference["relative_lift"] == 0
        assert np.isnan(reference["p_value"]) and np.isnan(reference["p_value_holm"])
    assert row("main", "b", "on")["other_factors"] == "averaged over a"
    assert row("simple", "b", "on")["other_factors"] == "at a=control"
    best = table[table["term_type"] == "best_combination"].iloc[0]
    assert best["level"] == "a=high, b=on"
    assert abs(best["estimate"] - 22.0) < 4 * (best["ci_high"] - best["ci_low"]) / (2 * 1.96)
    assert (table["p_value_holm"].dropna() >= table["p_value"].dropna()).all()


def test_effect_intervals_cover_the_truth_95_percent_of_the_time():
    covered = {"interaction": [], "main": [], "relative_lift": []}
    for seed in range(200):
        outcomes, assignments = simulated(300, seed=1000 + seed)
        table = experiments.analyse_effects(outcomes, assignments, PREFERENCE)
        interaction = effect_rows(table, "interaction").loc[("a:b", "high:on")]
        main = effect_rows(table, "main").loc[("a", "high")]
        covered["interaction"].append(interaction["ci_low"] <= 4.0 <= interaction["ci_high"])
        covered["main"].append(main["ci_low"] <= TRUE_MARGINAL[("a", "high")] <= main["ci_high"])
        covered["relative_lift"].append(
            main["relative_lift_ci_low"] <= TRUE_RELATIVE_LIFT_A_HIGH <= main["relative_lift_ci_high"]
        )
    for kind, hits in covered.items():
        assert 0.90 <= np.mean(hits) <= 0.99, kind


@pytest.mark.parametrize("case", ["balanced", "unbalanced", "three_factors_unbalanced"])
def test_main_effects_are_averaged_statsmodels_predictions(case):
    if case == "balanced":
        outcomes, assignments = exactly_balanced(50, seed=7)
    elif case == "unbalanced":
        outcomes, assignments = simulated(600, seed=3, weights=[0.6, 0.3, 0.1])
    else:
        rng = np.random.default_rng(5)
        n = 500
        levels = {
            "p": rng.choice(["control", "y", "z"], n, p=[0.5, 0.3, 0.2]),
            "q": rng.choice(["off", "on"], n),
            "r": rng.choice(["standard", "v"], n, p=[0.7, 0.3]),
        }
        ids = [f"c{i}" for i in range(n)]
        outcome = (
            rng.normal(0, 1, n)
            + (levels["p"] == "z") * 1.0
            + 2.0 * (levels["q"] == "on") * (levels["r"] == "v")
            + 0.5 * (levels["p"] == "y") * (levels["q"] == "on")
        )
        outcomes = pd.DataFrame({"experiment_id": "X", "customer_id": ids, "metric": "revenue", "outcome": outcome})
        assignments = pd.concat(
            [
                pd.DataFrame({"experiment_id": "X", "customer_id": ids, "factor": f, "level": v})
                for f, v in levels.items()
            ]
        )
    table = experiments.analyse_effects(outcomes, assignments, PREFERENCE)
    frame, factors = experiments.design(outcomes, assignments, "X")
    references = {f: experiments.reference_level(frame[f].unique(), PREFERENCE) for f in factors}
    theirs = statsmodels_marginal_effects(frame, factors, references)
    ours = effect_rows(table, "main")
    assert len(ours) == sum(frame[f].nunique() for f in factors)
    for (factor, level), expected in theirs.items():
        row = ours.loc[(factor, level)]
        assert row["estimate"] == pytest.approx(expected["estimate"], rel=1e-9, abs=1e-9), (factor, level)
        assert row["estimate"] == pytest.approx(expected["t_test_estimate"], rel=1e-9, abs=1e-9)
        assert row["std_error"] == pytest.approx(expected["std_error"], rel=1e-9)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(expected["ci"], rel=1e-9)
        assert row["p_value"] == pytest.approx(expected["p_value"], rel=1e-6, abs=1e-300)
        assert row["mean"] == pytest.approx(expected["mean"], rel=1e-9)
        assert ours.loc[(factor, references[factor]), "mean"] == pytest.approx(expected["reference_mean"], rel=1e-9)
        assert row["relative_lift"] == pytest.approx(expected["relative_lift"], rel=1e-9, abs=1e-12)
        assert (row["relative_lift_ci_low"], row["relative_lift_ci_high"]) == pytest.approx(
            expected["relative_lift_ci"], rel=1e-9, abs=1e-12
        )
        raw = frame.groupby(factor)["outcome"].mean()
        assert row["raw_mean"] == pytest.approx(raw[level])
        raw_difference = raw[level] - raw[references[factor]]
        if case == "balanced":  # equal cells: the marginal effect is the difference of the raw means
            assert row["estimate"] == pytest.approx(raw_difference, rel=1e-9)
            assert row["mean"] == pytest.approx(raw[level], rel=1e-9)
    if case == "unbalanced":  # and it is not the raw difference when the other factor is unbalanced
        assert ours.loc[("b", "on"), "estimate"] != pytest.approx(
            frame.groupby("b")["outcome"].mean().diff().iloc[-1], abs=0.05
        )


def test_simple_rows_are_the_treatment_coded_coefficients():
    outcomes, assignments = simulated(600, seed=3, weights=[0.6, 0.3, 0.1])
    table = experiments.analyse_effects(outcomes, assignments, PREFERENCE)
    frame, _ = experiments.design(outcomes, assignments, "X")
    fit = smf.ols("outcome ~ C(a, Treatment('control')) * C(b, Treatment('off'))", data=frame).fit()
    intervals, cov = fit.conf_int(), fit.cov_params()
    t = stats.t.ppf(0.975, fit.df_resid)
    intercept = fit.params["Intercept"]
    simple = effect_rows(table, "simple")
    names = {
        ("a", "high"): "C(a, Treatment('control'))[T.high]",
        ("a", "mid"): "C(a, Treatment('control'))[T.mid]",
        ("b", "on"): "C(b, Treatment('off'))[T.on]",
    }
    for key, name in names.items():
        row = simple.loc[key]
        assert row["estimate"] == pytest.approx(fit.params[name], rel=1e-9)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx(tuple(intervals.loc[name]), rel=1e-9)
        assert row["p_value"] == pytest.approx(fit.pvalues[name], rel=1e-6)
        # relative to the reference cell's mean (the intercept), delta method on (coefficient, intercept)
        coefficient = fit.params[name]
        gradient = np.array([1 / intercept, -coefficient / intercept**2])
        block = cov.loc[[name, "Intercept"], [name, "Intercept"]].to_numpy()
        se = np.sqrt(gradient @ block @ gradient)
        assert row["relative_lift"] == pytest.approx(coefficient / intercept, rel=1e-9)
        assert (row["relative_lift_ci_low"], row["relative_lift_ci_high"]) == pytest.approx(
            (coefficient / intercept - t * se, coefficient / intercept + t * se), rel=1e-9
        )
    cell = frame[(frame["a"] == "high") & (frame["b"] == "off")]["outcome"]
    assert simple.loc[("a", "high"), "customers"] == len(cell)
    assert simple.loc[("a", "high"), "mean"] == pytest.approx(cell.mean())
    assert simple.loc[("a", "high"), "other_factors"] == "at b=off"
    assert simple.loc[("a", "control"), "mean"] == pytest.approx(intercept)
    interaction = effect_rows(table, "interaction").loc[("a:b", "high:on")]
    name = "C(a, Treatment('control'))[T.high]:C(b, Treatment('off'))[T.on]"
    assert interaction["estimate"] == pytest.approx(fit.params[name], rel=1e-9)
    assert (interaction["ci_low"], interaction["ci_high"]) == pytest.approx(tuple(intervals.loc[name]), rel=1e-9)


def holm_by_hand(p_values: list[float]) -> list[float]:
    """Holm (1979): the i-th smallest of m p-values times (m − i + 1), made monotone, capped at 1."""
    order = np.argsort(p_values)
    adjusted, running = np.empty(len(p_values)), 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return list(adjusted)


def test_holm_adjusts_main_rows_and_coefficients_as_two_families():
    outcomes, assignments = simulated(400, seed=21, weights=[0.5, 0.3, 0.2])
    table = experiments.analyse_effects(outcomes, assignments, PREFERENCE)
    main = table[(table["term_type"] == "main") & ~table["is_reference"]]
    coefficients = table[table["term_type"].isin(["simple", "interaction"]) & ~table["is_reference"]]
    assert len(main) == 3 and len(coefficients) == 5
    assert main["p_value_holm"].tolist() == pytest.approx(holm_by_hand(main["p_value"].tolist()), rel=1e-12)
    assert coefficients["p_value_holm"].tolist() == pytest.approx(
        holm_by_hand(coefficients["p_value"].tolist()), rel=1e-12
    )
    untested = table[table["is_reference"] | (table["term_type"] == "best_combination")]
    assert untested["p_value_holm"].isna().all() and untested["p_value"].isna().all()


def test_empty_cells_make_what_needs_them_null_with_the_reason():
    outcomes, assignments = simulated(1200, seed=4)
    levels = assignments.pivot(index="customer_id", columns="factor", values="level")
    empty = levels[(levels["a"] == "high") & (levels["b"] == "on")].index
    outcomes = outcomes[~outcomes["customer_id"].isin(empty)]
    table = experiments.analyse_effects(outcomes, assignments, PREFERENCE)
    main, simple, interaction = (effect_rows(table, kind) for kind in ("main", "simple", "interaction"))
    reason = "needs the empty cell(s) a=high, b=on"
    for rows, key in [(main, ("a", "high")), (main, ("b", "on")), (interaction, ("a:b", "high:on"))]:
        row = rows.loc[key]
        assert row["not_estimable_reason"] == reason, key
        nulls = ["estimate", "std_error", "ci_low", "ci_high", "p_value", "p_value_holm", "relative_lift"]
        assert row[nulls].isna().all(), key
    assert main.loc[("b", "off"), "not_estimable_reason"] is pd.NA and np.isfinite(main.loc[("b", "off"), "mean"])
    assert np.isnan(main.loc[("a", "high"), "mean"])
    # still estimable: mid vs control averaged over b, and every simple effect (cells at b = off, a = control)
    frame, _ = experiments.design(outcomes, assignments, "X")
    cell = frame.groupby(["a", "b"])["outcome"].agg(["mean", "size", "var"])
    pooled = ((cell["size"] - 1) * cell["var"]).sum() / (len(frame) - len(cell))  # the saturated model's s²
    weights = {("mid", "off"): 0.5, ("mid", "on"): 0.5, ("control", "off"): -0.5, ("control", "on"): -0.5}
    mid = main.loc[("a", "mid")]
    assert mid["estimate"] == pytest.approx(sum(w * cell.loc[k, "mean"] for k, w in weights.items()), rel=1e-9)
    assert mid["std_error"] == pytest.approx(
        np.sqrt(pooled * sum(w**2 / cell.loc[k, "size"] for k, w in weights.items())), rel=1e-9
    )
    assert mid["not_estimable_reason"] is pd.NA
    assert simple.loc[("a", "high"), "estimate"] == pytest.approx(
        cell.loc[("high", "off"), "mean"] - cell.loc[("control", "off"), "mean"], rel=1e-9
    )
    assert simple.loc[("b", "on"), "estimate"] == pytest.approx(
        cell.loc[("control", "on"), "mean"] - cell.loc[("control", "off"), "mean"], rel=1e-9
    )
    assert simple["estimate"].notna().all() and interaction.loc[("a:b", "mid:on"), "estimate"] == pytest.approx(
        cell.loc[("mid", "on"), "mean"]
        - cell.loc[("mid", "off"), "mean"]
        - cell.loc[("control", "on"), "mean"]
        + cell.loc[("control", "off"), "mean"],
        rel=1e-9,
    )
    best = table[table["term_type"] == "best_combination"].iloc[0]
    assert best["level"] == "a=high, b=off" and best["estimate"] == pytest.approx(cell.loc[("high", "off"), "mean"])
    main_family = table[(table["term_type"] == "main") & table["p_value"].notna()]
    assert main_family["p_value_holm"].tolist() == pytest.approx(holm_by_hand(main_family["p_value"].tolist()))


def table_of(rows: list[tuple[str, float, dict[str, str]]]) -> pd.DataFrame:
    """The effects table of hand-made customers: (customer_id, outcome, factor → level)."""
    outcomes = pd.DataFrame(
        [{"experiment_id": "X", "customer_id": c, "metric": "revenue", "outcome": y} for c, y, _ in rows]
    )
    assignments = pd.DataFrame(
        [
            {"experiment_id": "X", "customer_id": c, "factor": f, "level": level}
            for c, _, levels in rows
            for f, level in levels.items()
        ]
    )
    return experiments.analyse_effects(outcomes, assignments, PREFERENCE)


def test_relative_lift_is_null_when_the_reference_mean_is_zero():
    table = table_of(
        [("c1", 0.0, {"a": "control"}), ("c2", 0.0, {"a": "control"}), ("c3", 7.0, {"a": "x"}), ("c4", 8.0, {"a": "x"})]
    )
    for term_type in ("main", "simple"):
        rows = effect_rows(table, term_type)
        assert rows.loc[("a", "x"), "estimate"] == pytest.approx(7.5)  # worked: (7 + 8)/2 − 0
        assert rows.loc[("a", "x"), "std_error"] == pytest.approx(0.5)  # s² = 0.5/2, SE = √(s²/2 + s²/2)
        assert rows[["relative_lift", "relative_lift_ci_low", "relative_lift_ci_high"]].isna().all().all()


def test_one_customer_per_cell_gives_estimates_without_intervals():
    table = table_of(
        [
            ("c1", 5.0, {"a": "control", "b": "off"}),
            ("c2", 7.0, {"a": "x", "b": "off"}),
            ("c3", 6.0, {"a": "control", "b": "on"}),
            ("c4", 10.0, {"a": "x", "b": "on"}),
        ]
    )
    main = effect_rows(table, "main")
    assert main.loc[("a", "x"), "estimate"] == pytest.approx((7 + 10) / 2 - (5 + 6) / 2)
    assert main.loc[("a", "x"), "relative_lift"] == pytest.approx(3 / 5.5)
    assert table[["std_error", "ci_low", "ci_high", "p_value", "p_value_holm"]].isna().all().all()


def test_an_empty_reference_cell_leaves_the_simple_effects_null():
    outcomes, assignments = simulated(600, seed=4)
    levels = assignments.pivot(index="customer_id", columns="factor", values="level")
    empty = levels[(levels["a"] == "control") & (levels["b"] == "off")].index
    table = experiments.analyse_effects(outcomes[~outcomes["customer_id"].isin(empty)], assignments, PREFERENCE)
    simple = table[table["term_type"] == "simple"]
    assert simple["mean"].isna().sum() == 2  # the reference cell itself, as a's and as b's reference row
    assert simple.loc[~simple["is_reference"], ["estimate", "relative_lift"]].isna().all().all()
    assert (simple["not_estimable_reason"].dropna().str.contains("a=control, b=off")).all()
    assert effect_rows(table, "main")["estimate"].isna().sum() == 3  # every non-reference level needs it


def test_cells_cover_the_design():
    outcomes, assignments = simulated(600, seed=3)
    cells = experiments.analyse_cells(outcomes, assignments)
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
    for result, columns in (
        (experiments.analyse_cells(empty_outcomes, empty_assignments), experiments.CELL_COLUMNS),
        (experiments.analyse_anova(empty_outcomes, empty_assignments, PREFERENCE), experiments.ANOVA_COLUMNS),
        (experiments.analyse_effects(empty_outcomes, empty_assignments, PREFERENCE), experiments.EFFECT_COLUMNS),
    ):
        assert result.empty and list(result.columns) == list(columns)
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


def planted_marginal_effects(experiment: dict) -> dict[tuple[str, str], float]:
    """Each non-reference level's marginal effect, worked from the ground truth's planted cell means: the
    mean over the cells at the level minus the mean over the cells at the reference (equal weights)."""
    cells = pd.DataFrame(experiment["cell_means"])
    effects = {}
    for factor, levels in experiment["factors"].items():
        by_level = cells.groupby(factor)["mean_revenue"].mean()
        reference = experiment["reference_levels"][factor]
        effects.update(
            {(factor, level): by_level[level] - by_level[reference] for level in levels if level != reference}
        )
    return effects


def effects_by_key(db) -> dict[tuple[str, str, str], dict]:
    columns = ["term_type", "term", "level", "estimate", "ci_low", "ci_high", "std_error", "p_value_holm"]
    return {
        row[:3]: dict(zip(columns, row, strict=True))
        for row in query(
            db, f"select {', '.join(columns)} from experiment_effects where term_type != 'best_combination'"
        )
    }


def test_planted_effects_are_recovered_from_the_generated_experiment(large_experiment):
    db, truth = large_experiment
    model = truth["experiment"]["model"]
    rows = effects_by_key(db)
    # the generator plants treatment-coded effects: those are the simple rows
    for factor, levels in model["main_effects"].items():
        for level, value in levels.items():
            row = rows[("simple", factor, level)]
            assert np.sign(row["estimate"]) == np.sign(value) and row["ci_low"] <= value <= row["ci_high"], row
    for interaction in model["interactions"]:
        factors = sorted(interaction["levels"])
        row = rows[("interaction", ":".join(factors), ":".join(interaction["levels"][f] for f in factors))]
        assert np.sign(row["estimate"]) == np.sign(interaction["effect"])
        assert row["ci_low"] <= interaction["effect"] <= row["ci_high"], row
    for (factor, level), value in planted_marginal_effects(truth["experiment"]).items():
        row = rows[("main", factor, level)]
        assert row["ci_low"] <= value <= row["ci_high"] and row["p_value_holm"] < 0.05, row
    assert query(db, "select count(*) from experiment_srm where is_mismatch") == [(0,)]


def test_the_demo_main_effects_contain_the_planted_marginal_effects(demo):
    planted = planted_marginal_effects(demo.truth["experiment"])
    assert planted == pytest.approx(
        {
            ("pricing", "discount_10"): 5.0,
            ("pricing", "bundle"): 12 + 10 / 2,
            ("feature", "on"): 8 + 10 / 3,
            ("support", "priority"): 3.0,
        }
    )
    rows = effects_by_key(demo.db)
    (residual_df,) = query(demo.db, "select df from experiment_anova where term = 'Residual'")[0]
    # four intervals at once: each at the Bonferroni level, so that all four hold together with 95%
    t = stats.t.ppf(1 - 0.05 / (2 * len(planted)), residual_df)
    for (factor, level), value in planted.items():
        row = rows[("main", factor, level)]
        assert abs(row["estimate"] - value) <= t * row["std_error"], (factor, level, row)
        assert row["estimate"] > 0, (factor, level, row)
    # the case: feature = on works on average (its simple effect, at pricing = control, is unclear)
    feature = rows[("main", "feature", "on")]
    assert feature["ci_low"] > 0 and feature["p_value_holm"] < 0.001
    assert rows[("simple", "feature", "on")]["ci_low"] < 0 < rows[("simple", "feature", "on")]["ci_high"]


@pytest.mark.parametrize("seed", range(5))
def test_holm_equals_statsmodels(seed):
    from statsmodels.stats.multitest import multipletests

    rng = np.random.default_rng(seed)
    values = rng.uniform(0, 0.2, 12) ** (1 + seed)
    values[3] = values[5]  # a tie
    p_values = pd.Series(values, index=[f"r{i}" for i in range(12)])
    p_values.iloc[[1, 7]] = np.nan  # not tested: stay null
    got = experiments.holm(p_values)
    tested = p_values.notna()
    assert got[~tested].isna().all()
    np.testing.assert_allclose(got[tested], multipletests(p_values[tested], method="holm")[1], rtol=0, atol=1e-15)
    assert experiments.holm(pd.Series([np.nan, np.nan])).isna().all()
    assert experiments.holm(pd.Series([0.04, 0.01, 0.9])).tolist() == pytest.approx([0.08, 0.03, 0.9])
