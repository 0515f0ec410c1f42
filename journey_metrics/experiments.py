"""Factorial experiments: cells, Type II ANOVA, marginal and simple effects with relative lifts and
Holm-adjusted p-values, and the sample-ratio-mismatch check. Works for any number of factors and
levels, balanced or not.

Input is customer-level: one row per experiment and customer with the primary-metric outcome
(prepared in SQL, int_experiment_outcomes) and one row per experiment, customer and factor with the
level (stg_experiment_assignments). Outputs are plain DataFrames; nothing here knows about dbt.

The linear model is the full factorial with treatment coding: an intercept (every factor at its
reference level), one column per non-reference level of each factor, and one per combination of
non-reference levels of every set of two or more factors. It is saturated: its fitted values are the
cell means. Its coefficients are simple effects (a level's difference from the reference level with
every other factor at its reference) and interaction contrasts. What an experimenter asks — does this
factor work? — is answered by the marginal effect instead: the level's estimated marginal mean (the
predicted cell means averaged with equal weight over the other factors' levels; Searle, Speed and
Milliken 1980, "Population marginal means in the linear model", Am. Stat. 34(4)) minus the reference
level's, a linear function L·β of the coefficients with variance L V Lᵀ. Relative lifts use the delta
method on the ratio of two such functions.
"""

from __future__ import annotations

import itertools
import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.tools.sm_exceptions import SingularMatrixWarning

CELL_COLUMNS = {
    "experiment_id": "string",
    "metric": "string",
    "cell": "string",
    "levels": "string",
    "customers": "int64",
    "mean": "float64",
    "std": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
}
ANOVA_COLUMNS = {
    "experiment_id": "string",
    "metric": "string",
    "term": "string",
    "sum_sq": "float64",
    "df": "float64",
    "f_value": "float64",
    "p_value": "float64",
}
EFFECT_COLUMNS = {
    "experiment_id": "string",
    "metric": "string",
    "term_type": "string",
    "term": "string",
    "level": "string",
    "is_reference": "bool",
    "customers": "int64",
    "mean": "float64",
    "estimate": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
    "p_value": "float64",
    "p_value_holm": "float64",
    "std_error": "float64",
    "raw_mean": "float64",
    "other_factors": "string",
    "relative_lift": "float64",
    "relative_lift_ci_low": "float64",
    "relative_lift_ci_high": "float64",
    "not_estimable_reason": "string",
}
SRM_COLUMNS = {
    "experiment_id": "string",
    "factor": "string",
    "levels": "int64",
    "customers": "int64",
    "counts": "string",
    "chi_square": "float64",
    "df": "int64",
    "p_value": "float64",
    "is_mismatch": "bool",
}


def _typed(rows, columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns)).astype(columns)


def design(outcomes: pd.DataFrame, assignments: pd.DataFrame, experiment_id: str) -> tuple[pd.DataFrame, list[str]]:
    """One row per customer of the experiment with a usable outcome: outcome and one column per
    factor (its level). Customers missing a factor's assignment are left out."""
    levels = assignments[assignments["experiment_id"] == experiment_id].pivot(
        index="customer_id", columns="factor", values="level"
    )
    factors = sorted(levels.columns.astype(str))
    rows = outcomes[(outcomes["experiment_id"] == experiment_id) & outcomes["outcome"].notna()]
    frame = rows[["customer_id", "outcome"]].merge(levels.reset_index(), on="customer_id", how="inner")
    frame = frame.dropna(subset=factors).sort_values("customer_id", kind="stable")  # order-independent sums
    frame["outcome"] = frame["outcome"].astype(float)
    return frame.reset_index(drop=True), factors


def reference_level(levels, preferred: list[str]) -> str:
    """The first of `preferred` that is a level of the factor, else the alphabetically first."""
    present = sorted(str(level) for level in levels)
    return next((level for level in preferred if level in present), present[0])


def _terms(factors: list[str]) -> list[tuple[str, ...]]:
    """All main effects and interactions of the full factorial, lower orders first."""
    return [combo for order in range(1, len(factors) + 1) for combo in itertools.combinations(factors, order)]


def _model_matrix(frame: pd.DataFrame, factors: list[str], references: dict[str, str]):
    """Treatment-coded full-factorial design: columns named like 'pricing=bundle' and
    'feature=on:pricing=bundle', and the term (tuple of factors) each column belongs to."""
    dummies = {
        factor: {
            level: (frame[factor].astype(str) == level).to_numpy(dtype=float)
            for level in sorted(frame[factor].astype(str).unique())
            if level != references[factor]
        }
        for factor in factors
    }
    columns = {"intercept": np.ones(len(frame))}
    column_terms = {"intercept": ()}
    for term in _terms(factors):
        for combo in itertools.product(*(sorted(dummies[f]) for f in term)):
            name = ":".join(f"{factor}={level}" for factor, level in zip(term, combo, strict=True))
            columns[name] = np.prod([dummies[f][level] for f, level in zip(term, combo, strict=True)], axis=0)
            column_terms[name] = term
    return pd.DataFrame(columns), column_terms


def _rss(y: np.ndarray, x: np.ndarray) -> tuple[float, int]:
    """Residual sum of squares of the least-squares fit and the rank of x."""
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ beta
    return float(residual @ residual), int(np.linalg.matrix_rank(x))


def anova_type2(frame: pd.DataFrame, factors: list[str], references: dict[str, str]) -> pd.DataFrame:
    """Type II sums of squares: each term against the model of every term that does not contain it
    (so a balanced design gives the textbook table and an unbalanced one stays meaningful)."""
    matrix, column_terms = _model_matrix(frame, factors, references)
    y = frame["outcome"].to_numpy(dtype=float)
    full_rss, full_rank = _rss(y, matrix.to_numpy())
    residual_df = len(y) - full_rank
    rows = []
    for term in _terms(factors):
        without = [c for c, t in column_terms.items() if not set(term).issubset(t)]
        with_term = without + [c for c, t in column_terms.items() if t == term]
        rss0, rank0 = _rss(y, matrix[without].to_numpy())
        rss1, rank1 = _rss(y, matrix[with_term].to_numpy())
        df = rank1 - rank0
        sum_sq = max(rss0 - rss1, 0.0)
        f_value = (sum_sq / df) / (full_rss / residual_df) if df > 0 and residual_df > 0 and full_rss > 0 else np.nan
        p_value = float(stats.f.sf(f_value, df, residual_df)) if np.isfinite(f_value) else np.nan
        rows.append({"term": ":".join(term), "sum_sq": sum_sq, "df": float(df), "f_value": f_value, "p_value": p_value})
    rows.append(
        {"term": "Residual", "sum_sq": full_rss, "df": float(residual_df), "f_value": np.nan, "p_value": np.nan}
    )
    return pd.DataFrame(rows)


def cells(frame: pd.DataFrame, factors: list[str], confidence: float) -> pd.DataFrame:
    """Each treatment combination: customers, mean, standard deviation and t-interval of the mean."""
    grouped = frame.groupby(factors, sort=True)["outcome"]
    table = grouped.agg(customers="size", mean="mean", std="std").reset_index()
    t = stats.t.ppf(0.5 + confidence / 2, np.maximum(table["customers"] - 1, 1))
    half = t * table["std"].fillna(0) / np.sqrt(table["customers"])
    table["ci_low"] = np.where(table["customers"] > 1, table["mean"] - half, np.nan)
    table["ci_high"] = np.where(table["customers"] > 1, table["mean"] + half, np.nan)
    table["cell"] = table[factors].astype(str).apply(lambda row: ", ".join(f"{f}={row[f]}" for f in factors), axis=1)
    table["levels"] = table[factors].astype(str).apply(lambda row: json.dumps(row.to_dict(), sort_keys=True), axis=1)
    return table


def _cell_grid(frame: pd.DataFrame, factors: list[str]) -> pd.DataFrame:
    """Every combination of the factors' observed levels, empty cells included, in sorted order, with
    its customers (0 when empty) and raw mean outcome."""
    levels = [sorted(frame[factor].astype(str).unique()) for factor in factors]
    grid = pd.DataFrame(list(itertools.product(*levels)), columns=factors)
    observed = (
        frame.astype(dict.fromkeys(factors, str))
        .groupby(factors, sort=True)["outcome"]
        .agg(customers="size", raw_mean="mean")
        .reset_index()
    )
    grid = grid.merge(observed, on=factors, how="left")
    grid["customers"] = grid["customers"].fillna(0).astype(int)
    return grid


def _label(cell: dict[str, str]) -> str:
    return ", ".join(f"{factor}={level}" for factor, level in cell.items())


@dataclass(frozen=True)
class FullModel:
    """The fitted full-factorial model as the effects read it: coefficients β, their covariance V,
    the residual degrees of freedom, and the design row of every cell (empty cells included), so
    that any linear function L·β of the cell means gets its estimate, standard error √(L V Lᵀ), t
    interval and t test, as the coefficients' own intervals do."""

    params: np.ndarray
    cov: np.ndarray
    df_resid: float
    confidence: float
    factors: list[str]
    cells: pd.DataFrame  # _cell_grid
    cell_rows: np.ndarray  # one design row per row of `cells`; square and invertible (saturated model)
    columns: list[str]

    @classmethod
    def fit(cls, frame: pd.DataFrame, factors: list[str], references: dict[str, str], confidence: float) -> FullModel:
        matrix, _ = _model_matrix(frame, factors, references)
        with warnings.catch_warnings():
            # empty cells make the design rank-deficient; empty_cells_needed keeps what that leaves
            # undetermined out of the table, so the warning says nothing the table does not
            warnings.simplefilter("ignore", SingularMatrixWarning)
            fit = sm.OLS(frame["outcome"].to_numpy(dtype=float), matrix).fit()
        grid = _cell_grid(frame, factors)
        cell_rows, _ = _model_matrix(grid, factors, references)
        y = frame["outcome"].to_numpy(dtype=float)
        # a residual sum of squares that is 0 up to rounding (every cell constant, e.g. a conversion
        # guardrail every customer met) is 0: otherwise its ~1e-30 gives rounding-noise "significant" tests
        ssr = 0.0 if fit.ssr <= 1e-20 * max(1.0, float(y @ y)) else float(fit.ssr)
        scale = ssr / fit.df_resid if fit.df_resid > 0 else np.nan  # no residual df: no intervals
        return cls(
            np.asarray(fit.params, dtype=float),
            np.asarray(fit.normalized_cov_params, dtype=float) * scale,
            float(fit.df_resid),
            confidence,
            factors,
            grid,
            cell_rows.reindex(columns=matrix.columns, fill_value=0.0).to_numpy(dtype=float),
            list(matrix.columns),
        )

    def is_zero(self, mean: float) -> bool:
        """A mean that is 0 up to rounding (the coefficients come from a pseudo-inverse), on the scale of
        the cell means."""
        return not np.isfinite(mean) or abs(mean) <= 1e-9 * (1.0 + np.nanmax(np.abs(self.cells["raw_mean"])))

    def unit(self, column: str) -> np.ndarray:
        """L picking one coefficient."""
        return (np.array(self.columns) == column).astype(float)

    def cell_mask(self, levels: dict[str, str]) -> np.ndarray:
        return np.logical_and.reduce(
            [self.cells[f].to_numpy() == level for f, level in levels.items()] + [np.ones(len(self.cells), dtype=bool)]
        )

    def mean_of_cells(self, levels: dict[str, str]) -> np.ndarray:
        """L of the predicted mean averaged with equal weight over the cells matching `levels` (for one
        factor's level: its estimated marginal mean; for every factor's level: that cell's mean)."""
        return self.cell_rows[self.cell_mask(levels)].mean(axis=0)

    def empty_cells_needed(self, contrast: np.ndarray) -> list[str]:
        """The empty cells whose mean L·β depends on: L·β = w·μ over the cell means μ (w solves
        wᵀ·cell_rows = L); L·β is estimable exactly when w puts no weight on an empty cell."""
        weights = np.linalg.solve(self.cell_rows.T, contrast)
        needed = (np.abs(weights) > 1e-9) & (self.cells["customers"].to_numpy() == 0)
        return [_label(self.cells.loc[i, self.factors].to_dict()) for i in np.flatnonzero(needed)]

    def _interval(self, value: float, variance: float) -> dict:
        standard_error = float(np.sqrt(variance)) if np.isfinite(variance) and variance >= 0 else np.nan
        t = stats.t.ppf(0.5 + self.confidence / 2, self.df_resid) if self.df_resid > 0 else np.nan
        statistic = value / standard_error if standard_error > 0 else np.nan
        return {
            "estimate": value,
            "std_error": standard_error,
            "ci_low": value - t * standard_error,
            "ci_high": value + t * standard_error,
            "p_value": float(2 * stats.t.sf(abs(statistic), self.df_resid)) if np.isfinite(statistic) else np.nan,
        }

    def estimate(self, contrast: np.ndarray) -> dict:
        """L·β with its standard error, interval and two-sided t test; all null, with the reason, when
        L·β needs an empty cell."""
        missing = self.empty_cells_needed(contrast)
        if missing:
            return {**NOT_ESTIMABLE, "not_estimable_reason": "needs the empty cell(s) " + "; ".join(missing)}
        return {
            **self._interval(float(contrast @ self.params), float(contrast @ self.cov @ contrast)),
            "not_estimable_reason": None,
        }

    def ratio(self, numerator: np.ndarray, denominator: np.ndarray) -> dict:
        """(N·β)/(D·β) with its delta-method interval: gradient N/b − (a/b²)·D with a = N·β, b = D·β
        (the gradient (1/b, −a/b²) of a/b carried back to β); null when either needs an empty cell or
        b is 0."""
        if self.empty_cells_needed(numerator) or self.empty_cells_needed(denominator):
            return {"relative_lift": np.nan, "relative_lift_ci_low": np.nan, "relative_lift_ci_high": np.nan}
        a, b = float(numerator @ self.params), float(denominator @ self.params)
        if self.is_zero(b):
            return {"relative_lift": np.nan, "relative_lift_ci_low": np.nan, "relative_lift_ci_high": np.nan}
        gradient = numerator / b - a / b**2 * denominator
        interval = self._interval(a / b, float(gradient @ self.cov @ gradient))
        return {
            "relative_lift": interval["estimate"],
            "relative_lift_ci_low": interval["ci_low"],
            "relative_lift_ci_high": interval["ci_high"],
        }


NOT_ESTIMABLE = {"estimate": np.nan, "std_error": np.nan, "ci_low": np.nan, "ci_high": np.nan, "p_value": np.nan}
REFERENCE = {
    "estimate": 0.0,
    "std_error": np.nan,
    "ci_low": np.nan,
    "ci_high": np.nan,
    "p_value": np.nan,
    "relative_lift_ci_low": np.nan,
    "relative_lift_ci_high": np.nan,
}
# Holm adjusts within an experiment over each family separately: the marginal effects answer "does this
# factor work" together; the model's coefficients (simple effects and interaction contrasts) together.
HOLM_FAMILIES = {"marginal effects": ("main",), "coefficients": ("simple", "interaction")}


def _main_rows(model: FullModel, frame: pd.DataFrame, factors: list[str], references: dict[str, str]) -> list[dict]:
    """Per level: its estimated marginal mean (the predicted cell means averaged with equal weight
    over the other factors' levels) minus the reference level's, and relative to the latter."""
    rows = []
    for factor in factors:
        others = [f for f in factors if f != factor]
        reference = model.mean_of_cells({factor: references[factor]})
        for level in sorted(frame[factor].astype(str).unique()):
            at_level = model.mean_of_cells({factor: level})
            is_reference = level == references[factor]
            mean = model.estimate(at_level)
            if is_reference:
                effect = {
                    **REFERENCE,
                    "not_estimable_reason": mean["not_estimable_reason"],
                    "relative_lift": np.nan if model.is_zero(mean["estimate"]) else 0.0,
                }
            else:
                effect = {**model.estimate(at_level - reference), **model.ratio(at_level - reference, reference)}
            rows.append(
                {
                    "term_type": "main",
                    "term": factor,
                    "level": level,
                    "is_reference": is_reference,
                    "customers": int(model.cells.loc[model.cell_mask({factor: level}), "customers"].sum()),
                    "mean": mean["estimate"],
                    "raw_mean": float(frame.loc[frame[factor].astype(str) == level, "outcome"].mean()),
                    "other_factors": "averaged over " + ", ".join(others) if others else None,
                    **effect,
                }
            )
    return rows


def _simple_rows(model: FullModel, frame: pd.DataFrame, factors: list[str], references: dict[str, str]) -> list[dict]:
    """Per level: the treatment-coded coefficient, its difference from the reference level with every
    other factor at its reference, and relative to the reference cell's mean (the intercept)."""
    rows = []
    reference_cell = model.mean_of_cells(references)
    for factor in factors:
        others = {f: references[f] for f in factors if f != factor}
        for level in sorted(frame[factor].astype(str).unique()):
            cell = {**others, factor: level}
            is_reference = level == references[factor]
            mean = model.estimate(model.mean_of_cells(cell))
            if is_reference:
                effect = {
                    **REFERENCE,
                    "not_estimable_reason": mean["not_estimable_reason"],
                    "relative_lift": np.nan if model.is_zero(mean["estimate"]) else 0.0,
                }
            else:
                coefficient = model.unit(f"{factor}={level}")
                effect = {**model.estimate(coefficient), **model.ratio(coefficient, reference_cell)}
            in_cell = model.cell_mask(cell)
            rows.append(
                {
                    "term_type": "simple",
                    "term": factor,
                    "level": level,
                    "is_reference": is_reference,
                    "customers": int(model.cells.loc[in_cell, "customers"].sum()),
                    "mean": mean["estimate"],
                    "raw_mean": float(model.cells.loc[in_cell, "raw_mean"].iloc[0]),
                    "other_factors": "at " + _label(others) if others else None,
                    **effect,
                }
            )
    return rows


def _interaction_rows(
    model: FullModel,
    frame: pd.DataFrame,
    factors: list[str],
    references: dict[str, str],
    column_terms: dict[str, tuple[str, ...]],
) -> list[dict]:
    """Per interaction column: its coefficient (the interaction contrast, factors outside the term at
    their reference) and the raw mean of the customers with those levels."""
    rows = []
    for name, term in column_terms.items():
        if len(term) < 2:
            continue
        levels = [part.split("=", 1)[1] for part in name.split(":")]
        mask = np.logical_and.reduce([frame[f].astype(str) == lv for f, lv in zip(term, levels, strict=True)])
        raw_mean = float(frame.loc[mask, "outcome"].mean()) if mask.any() else np.nan
        others = {f: references[f] for f in factors if f not in term}
        rows.append(
            {
                "term_type": "interaction",
                "term": ":".join(term),
                "level": ":".join(levels),
                "is_reference": False,
                "customers": int(mask.sum()),
                "mean": raw_mean,
                "raw_mean": raw_mean,
                "other_factors": "at " + _label(others) if others else None,
                **model.estimate(model.unit(name)),
                "relative_lift": np.nan,
                "relative_lift_ci_low": np.nan,
                "relative_lift_ci_high": np.nan,
            }
        )
    return rows


def holm(p_values: pd.Series) -> pd.Series:
    """Holm-adjusted p-values of one family (nulls are not tested and stay null): the i-th smallest of
    m p-values times m - i + 1, made non-decreasing in that order and capped at 1 (Holm 1979; equal to
    statsmodels' multipletests(method="holm"), which tests_py/test_experiments.py checks, without the
    garbage collection that function runs on every call)."""
    adjusted = pd.Series(np.nan, index=p_values.index)
    tested = p_values.notna()
    if tested.any():
        values = p_values[tested].to_numpy(dtype=float)
        order = np.argsort(values, kind="stable")
        m = len(values)
        stepped = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * values[order]))
        result = np.empty(m)
        result[order] = stepped
        adjusted[tested] = result
    return adjusted


def effects(frame: pd.DataFrame, factors: list[str], references: dict[str, str], confidence: float) -> pd.DataFrame:
    """The effects table of one experiment (term_type, in this order):

    - main: per factor level, its marginal effect — estimated marginal mean minus the reference
      level's (in a balanced design the difference of the two levels' raw means); mean is the level's
      estimated marginal mean; relative_lift the effect over the reference's marginal mean;
    - simple: per factor level, the treatment-coded coefficient — the difference from the reference
      level with every other factor at its reference; mean is that cell's mean; relative_lift over
      the reference cell's mean (the intercept);
    - interaction: per interaction column, its coefficient (the interaction contrast);
    - best_combination: the cell with the highest predicted mean, with its interval.

    Reference levels get a row with estimate 0 and relative_lift 0. Intervals and tests are t-based on
    the full model's residual df; Holm adjusts within each of HOLM_FAMILIES. An effect or mean that
    needs a cell without customers is null, with not_estimable_reason naming the cells."""
    model = FullModel.fit(frame, factors, references, confidence)
    _, column_terms = _model_matrix(frame, factors, references)
    table = pd.DataFrame(
        _main_rows(model, frame, factors, references)
        + _simple_rows(model, frame, factors, references)
        + _interaction_rows(model, frame, factors, references, column_terms)
    )
    table["p_value_holm"] = np.nan
    for term_types in HOLM_FAMILIES.values():
        family = table["term_type"].isin(term_types)
        table.loc[family, "p_value_holm"] = holm(table.loc[family, "p_value"])

    observed = model.cells[model.cells["customers"] > 0].reset_index(drop=True)
    predicted = [model.estimate(model.mean_of_cells(row[factors].to_dict())) for _, row in observed.iterrows()]
    best = int(np.argmax([p["estimate"] for p in predicted]))
    best_row = {
        "term_type": "best_combination",
        "term": ":".join(factors),
        "level": _label(observed.loc[best, factors].to_dict()),
        "is_reference": False,
        "customers": int(observed.loc[best, "customers"]),
        "mean": predicted[best]["estimate"],
        "raw_mean": float(observed.loc[best, "raw_mean"]),
        "other_factors": None,
        **predicted[best],
        "p_value": np.nan,
        "p_value_holm": np.nan,
        "relative_lift": np.nan,
        "relative_lift_ci_low": np.nan,
        "relative_lift_ci_high": np.nan,
    }
    return pd.concat([table, pd.DataFrame([best_row])], ignore_index=True)


def sample_ratio_mismatch(assignments: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Per experiment and factor: a chi-square test of the level counts against an equal split;
    flagged when p < threshold, so a broken randomisation is seen before the effects are trusted."""
    rows = []
    for (experiment_id, factor), group in assignments.groupby(["experiment_id", "factor"], sort=True):
        counts = group.groupby("level")["customer_id"].nunique().sort_index()
        if len(counts) > 1:
            chi_square, p_value = stats.chisquare(counts.to_numpy())
        else:
            chi_square, p_value = 0.0, 1.0
        rows.append(
            {
                "experiment_id": experiment_id,
                "factor": factor,
                "levels": len(counts),
                "customers": int(counts.sum()),
                "counts": json.dumps({str(k): int(v) for k, v in counts.items()}),
                "chi_square": float(chi_square),
                "df": len(counts) - 1,
                "p_value": float(p_value),
                "is_mismatch": bool(p_value < threshold),
            }
        )
    return _typed(rows, SRM_COLUMNS)


def _per_experiment(
    outcomes: pd.DataFrame,
    assignments: pd.DataFrame,
    columns: dict[str, str],
    analysis: Callable[[pd.DataFrame, list[str]], pd.DataFrame],
) -> pd.DataFrame:
    """`analysis(frame, factors)` of every experiment in `outcomes` (its design(); experiments without
    customers or factors are skipped), stacked with experiment_id and metric and typed as `columns`."""
    parts = []
    for experiment_id in sorted(outcomes["experiment_id"].dropna().unique()):
        frame, factors = design(outcomes, assignments, experiment_id)
        if frame.empty or not factors:
            continue
        metric = str(outcomes.loc[outcomes["experiment_id"] == experiment_id, "metric"].iloc[0])
        parts.append(analysis(frame, factors).assign(experiment_id=experiment_id, metric=metric))
    return _typed(pd.concat(parts, ignore_index=True)[list(columns)] if parts else [], columns)


def _references(frame: pd.DataFrame, factors: list[str], preference: list[str]) -> dict[str, str]:
    return {f: reference_level(frame[f].astype(str).unique(), preference) for f in factors}


def analyse_cells(outcomes: pd.DataFrame, assignments: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """cells() of every experiment: one row per experiment and treatment combination (CELL_COLUMNS)."""
    return _per_experiment(
        outcomes, assignments, CELL_COLUMNS, lambda frame, factors: cells(frame, factors, confidence)
    )


def analyse_anova(outcomes: pd.DataFrame, assignments: pd.DataFrame, reference_preference: list[str]) -> pd.DataFrame:
    """anova_type2() of every experiment: one row per experiment and term, and its residual (ANOVA_COLUMNS).
    Each factor's reference level is the first of `reference_preference` it has (reference_level)."""
    return _per_experiment(
        outcomes,
        assignments,
        ANOVA_COLUMNS,
        lambda frame, factors: anova_type2(frame, factors, _references(frame, factors, reference_preference)),
    )


def analyse_effects(
    outcomes: pd.DataFrame, assignments: pd.DataFrame, reference_preference: list[str], confidence: float = 0.95
) -> pd.DataFrame:
    """effects() of every experiment: main, simple and interaction rows and the best combination
    (EFFECT_COLUMNS). Each factor's reference level is the first of `reference_preference` it has."""
    return _per_experiment(
        outcomes,
        assignments,
        EFFECT_COLUMNS,
        lambda frame, factors: effects(frame, factors, _references(frame, factors, reference_preference), confidence),
    )


DECISION_COLUMNS = {
    "experiment_id": "string",
    "metric": "string",
    "factor": "string",
    "level": "string",
    "reference_level": "string",
    "analysis": "string",
    "estimate": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
    "p_value_holm": "float64",
    "is_significant": "bool",
    "relative_lift": "float64",
    "relative_lift_ci_low": "float64",
    "relative_lift_ci_high": "float64",
    "guardrail_metric": "string",
    "guardrail_effect": "float64",
    "guardrail_ci_low": "float64",
    "guardrail_ci_high": "float64",
    "guardrail_ok": "bool",
    "decision": "string",
    "decision_reason": "string",
}


def _number(value) -> float:
    return float(value) if pd.notna(value) else np.nan


def _signed(value: float) -> str:
    """A signed figure for a sentence; 0 up to rounding (|x| < 1e-12, e.g. a pseudo-inverse's -2e-16) as +0."""
    if not np.isfinite(value):
        return "not estimable"
    return f"{0.0 if abs(value) < 1e-12 else value:+,.4g}"


def _interval_text(low: float, high: float, confidence: float) -> str:
    if not (np.isfinite(low) and np.isfinite(high)):
        return "no interval"
    return f"{confidence:.0%} CI {low:,.4g} to {high:,.4g}"


def _best_level(levels: pd.DataFrame) -> pd.Series:
    """Of a factor's non-reference main rows: the highest estimate (ties: the first level), else, when
    none is estimable, the alphabetically first level."""
    estimable = levels[levels["estimate"].notna()]
    if len(estimable):
        return estimable.sort_values(["estimate", "level"], ascending=[False, True], kind="stable").iloc[0]
    return levels.sort_values("level", kind="stable").iloc[0]


def _guardrail_check(row: pd.Series | None, alpha: float, confidence: float) -> tuple[dict, str]:
    """The guardrail columns of a decision and their sentence. Significantly lower: a negative estimate
    with a two-sided p-value below alpha — the interval's upper end below 0. Without a test (no row, not
    estimable, or no variation) there is no evidence of harm."""
    metric = str(row["metric"]) if row is not None else None
    effect, low, high, p_value = (
        (_number(row["estimate"]), _number(row["ci_low"]), _number(row["ci_high"]), _number(row["p_value"]))
        if row is not None
        else (np.nan,) * 4
    )
    falls = bool(np.isfinite(p_value) and p_value < alpha and effect < 0)
    columns = {
        "guardrail_metric": metric,
        "guardrail_effect": effect,
        "guardrail_ci_low": low,
        "guardrail_ci_high": high,
        "guardrail_ok": not falls,
    }
    name = f"guardrail {metric or '(none)'} {_signed(effect)}"
    if not np.isfinite(p_value):
        return columns, f"{name}, without a test (no evidence of harm)"
    if falls:
        return columns, f"{name} falls significantly ({_interval_text(low, high, confidence)})"
    return columns, f"{name}, not significantly lower ({_interval_text(low, high, confidence)})"


def decide(primary: pd.DataFrame, guardrail: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """One decision per experiment and factor (DECISION_COLUMNS).

    `primary`: the main rows of the primary metric's effects table (experiment_id, metric, term, level,
    is_reference, estimate, ci_low, ci_high, p_value_holm, relative_lift with its interval, and
    `analysis`: which analysis they come from). `guardrail`: the main rows of the guardrail metric's
    effects table (experiment_id, metric, term, level, estimate, ci_low, ci_high, p_value).

    Per factor the decision concerns its best level: of the non-reference levels with an estimate,
    the one with the highest estimate (the alphabetically first non-reference level when none has).
    - is_significant: its Holm-adjusted p-value (over the experiment's main rows) is below
      1 − confidence;
    - guardrail_ok: the guardrail's main effect at the same level is not significantly negative: not
      (estimate < 0 and its two-sided p-value < 1 − confidence), i.e. the upper end of its interval at
      `confidence` is ≥ 0 — a one-sided test at (1 − confidence)/2, not Holm-adjusted (a harm check errs
      towards flagging). A guardrail without a test (not estimable, no guardrail outcome, or no
      variation: every customer the same) is no evidence of harm: ok, and the reason says so;
    - decision: 'do not ship' when the guardrail falls significantly, or the level is significantly
      worse than the reference; else 'ship' when it is significantly better; else 'inconclusive'."""
    alpha = 1 - confidence
    rows = []
    is_reference = primary["is_reference"].astype(bool)
    for (experiment_id, factor), levels in primary[~is_reference].groupby(["experiment_id", "term"], sort=True):
        reference = primary.loc[
            is_reference & (primary["experiment_id"] == experiment_id) & (primary["term"] == factor), "level"
        ]
        reference_level = str(reference.iloc[0]) if len(reference) else None
        best = _best_level(levels)
        estimate, p_holm = _number(best["estimate"]), _number(best["p_value_holm"])
        is_significant = bool(np.isfinite(p_holm) and p_holm < alpha)
        guard = guardrail[
            (guardrail["experiment_id"] == experiment_id)
            & (guardrail["term"] == factor)
            & (guardrail["level"] == best["level"])
        ]
        guard_columns, guard_text = _guardrail_check(guard.iloc[0] if len(guard) else None, alpha, confidence)
        if not guard_columns["guardrail_ok"] or (is_significant and estimate < 0):
            decision = "do not ship"
        elif is_significant and estimate > 0:
            decision = "ship"
        else:
            decision = "inconclusive"
        primary_text = (
            f"{factor}={best['level']} vs {reference_level}: {_signed(estimate)} {best['metric']} "
            f"({_interval_text(_number(best['ci_low']), _number(best['ci_high']), confidence)}), Holm p = "
            f"{p_holm:.2g}, {'significant' if is_significant else 'not significant'} at {alpha:.2g}"
            if np.isfinite(estimate)
            else f"{factor}={best['level']}: not estimable"
        )
        rows.append(
            {
                "experiment_id": experiment_id,
                "metric": best["metric"],
                "factor": factor,
                "level": best["level"],
                "reference_level": reference_level,
                "analysis": best["analysis"],
                "estimate": estimate,
                "ci_low": best["ci_low"],
                "ci_high": best["ci_high"],
                "p_value_holm": p_holm,
                "is_significant": is_significant,
                "relative_lift": best["relative_lift"],
                "relative_lift_ci_low": best["relative_lift_ci_low"],
                "relative_lift_ci_high": best["relative_lift_ci_high"],
                **guard_columns,
                "decision": decision,
                "decision_reason": f"{decision}: {primary_text}; {guard_text}.",
            }
        )
    return _typed(rows, DECISION_COLUMNS)


def guardrail_outcomes(outcomes: pd.DataFrame) -> pd.DataFrame:
    """int_experiment_outcomes with the guardrail as the outcome (guardrail_outcome, labelled with
    guardrail_metric), for analyse_effects()."""
    return outcomes.assign(outcome=outcomes["guardrail_outcome"], metric=outcomes["guardrail_metric"])


def analyse_decisions(
    primary_main_effects: pd.DataFrame,
    outcomes: pd.DataFrame,
    assignments: pd.DataFrame,
    reference_preference: list[str],
    confidence: float = 0.95,
) -> pd.DataFrame:
    """decide() on the given main effects of the primary metric (cuped.preferred_main_effects of
    experiment_cuped) and the guardrail's main effects, computed here by analyse_effects() on
    guardrail_outcomes(outcomes)."""
    guardrail = analyse_effects(guardrail_outcomes(outcomes), assignments, reference_preference, confidence)
    return decide(primary_main_effects, guardrail[guardrail["term_type"] == "main"], confidence)
