"""Factorial experiments: cells, Type II ANOVA, effects with Holm-adjusted p-values, and the
sample-ratio-mismatch check. Works for any number of factors and levels, balanced or not.

Input is customer-level: one row per experiment and customer with the primary-metric outcome
(prepared in SQL, int_experiment_outcomes) and one row per experiment, customer and factor with the
level (stg_experiment_assignments). Outputs are plain DataFrames; nothing here knows about dbt.

The linear model is the full factorial with treatment coding: an intercept (every factor at its
reference level), one column per non-reference level of each factor, and one per combination of
non-reference levels of every set of two or more factors. Its coefficients are the "difference from
the reference level" of each level (with the other factors at their reference) and the interaction
contrasts; its fitted values are the cell means.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests

CELL_COLUMNS = {"experiment_id": "string", "metric": "string", "cell": "string", "levels": "string",
                "customers": "int64", "mean": "float64", "std": "float64", "ci_low": "float64", "ci_high": "float64"}
ANOVA_COLUMNS = {"experiment_id": "string", "metric": "string", "term": "string", "sum_sq": "float64",
                 "df": "float64", "f_value": "float64", "p_value": "float64"}
EFFECT_COLUMNS = {"experiment_id": "string", "metric": "string", "term_type": "string", "term": "string",
                  "level": "string", "is_reference": "bool", "customers": "int64", "mean": "float64",
                  "estimate": "float64", "ci_low": "float64", "ci_high": "float64", "p_value": "float64",
                  "p_value_holm": "float64"}
SRM_COLUMNS = {"experiment_id": "string", "factor": "string", "levels": "int64", "customers": "int64",
               "counts": "string", "chi_square": "float64", "df": "int64", "p_value": "float64",
               "is_mismatch": "bool"}


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
            name = ":".join(f"{factor}={level}" for factor, level in zip(term, combo))
            columns[name] = np.prod([dummies[f][level] for f, level in zip(term, combo)], axis=0)
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
    rows.append({"term": "Residual", "sum_sq": full_rss, "df": float(residual_df), "f_value": np.nan, "p_value": np.nan})
    return pd.DataFrame(rows)


def cells(frame: pd.DataFrame, factors: list[str], confidence: float) -> pd.DataFrame:
    """Each treatment combination: customers, mean, standard deviation and t-interval of the mean."""
    grouped = frame.groupby(factors, sort=True)["outcome"]
    table = grouped.agg(customers="size", mean="mean", std="std").reset_index()
    t = stats.t.ppf(0.5 + confidence / 2, np.maximum(table["customers"] - 1, 1))
    half = t * table["std"].fillna(0) / np.sqrt(table["customers"])
    table["ci_low"] = np.where(table["customers"] > 1, table["mean"] - half, np.nan)
    table["ci_high"] = np.where(table["customers"] > 1, table["mean"] + half, np.nan)
    table["cell"] = table[factors].astype(str).apply(
        lambda row: ", ".join(f"{f}={row[f]}" for f in factors), axis=1
    )
    table["levels"] = table[factors].astype(str).apply(lambda row: json.dumps(row.to_dict(), sort_keys=True), axis=1)
    return table


def effects(frame: pd.DataFrame, factors: list[str], references: dict[str, str], confidence: float) -> pd.DataFrame:
    """Per factor level: its mean and its difference from the reference level (the treatment-coded
    coefficient, other factors at their reference) with a confidence interval; per interaction
    contrast the same; p-values Holm-adjusted over all of them; and the best treatment combination
    (highest predicted mean) with its interval."""
    matrix, column_terms = _model_matrix(frame, factors, references)
    fit = sm.OLS(frame["outcome"].to_numpy(dtype=float), matrix).fit()
    intervals = fit.conf_int(alpha=1 - confidence)
    rows = []
    for factor in factors:
        for level in sorted(frame[factor].astype(str).unique()):
            at_level = frame[factor].astype(str) == level
            is_reference = level == references[factor]
            name = f"{factor}={level}"
            rows.append({
                "term_type": "main", "term": factor, "level": level, "is_reference": is_reference,
                "customers": int(at_level.sum()), "mean": float(frame.loc[at_level, "outcome"].mean()),
                "estimate": 0.0 if is_reference else float(fit.params[name]),
                "ci_low": np.nan if is_reference else float(intervals.loc[name, 0]),
                "ci_high": np.nan if is_reference else float(intervals.loc[name, 1]),
                "p_value": np.nan if is_reference else float(fit.pvalues[name]),
            })
    for name, term in column_terms.items():
        if len(term) < 2:
            continue
        levels = [part.split("=", 1)[1] for part in name.split(":")]
        mask = np.logical_and.reduce([frame[f].astype(str) == lv for f, lv in zip(term, levels)])
        rows.append({
            "term_type": "interaction", "term": ":".join(term), "level": ":".join(levels), "is_reference": False,
            "customers": int(mask.sum()), "mean": float(frame.loc[mask, "outcome"].mean()) if mask.any() else np.nan,
            "estimate": float(fit.params[name]), "ci_low": float(intervals.loc[name, 0]),
            "ci_high": float(intervals.loc[name, 1]), "p_value": float(fit.pvalues[name]),
        })
    table = pd.DataFrame(rows)
    tested = table["p_value"].notna()
    table["p_value_holm"] = np.nan
    if tested.any():
        table.loc[tested, "p_value_holm"] = multipletests(table.loc[tested, "p_value"].fillna(1.0), method="holm")[1]

    cell_table = cells(frame, factors, confidence)
    cell_matrix, _ = _model_matrix(cell_table, factors, references)
    prediction = fit.get_prediction(cell_matrix.reindex(columns=matrix.columns, fill_value=0.0))
    predicted = prediction.summary_frame(alpha=1 - confidence)
    best = int(np.argmax(predicted["mean"].to_numpy()))
    best_row = {
        "term_type": "best_combination", "term": ":".join(factors), "level": cell_table["cell"].iloc[best],
        "is_reference": False, "customers": int(cell_table["customers"].iloc[best]),
        "mean": float(predicted["mean"].iloc[best]), "estimate": float(predicted["mean"].iloc[best]),
        "ci_low": float(predicted["mean_ci_lower"].iloc[best]), "ci_high": float(predicted["mean_ci_upper"].iloc[best]),
        "p_value": np.nan, "p_value_holm": np.nan,
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
        rows.append({
            "experiment_id": experiment_id, "factor": factor, "levels": len(counts),
            "customers": int(counts.sum()), "counts": json.dumps({str(k): int(v) for k, v in counts.items()}),
            "chi_square": float(chi_square), "df": len(counts) - 1, "p_value": float(p_value),
            "is_mismatch": bool(p_value < threshold),
        })
    return _typed(rows, SRM_COLUMNS)


TABLES = {"cells": CELL_COLUMNS, "anova": ANOVA_COLUMNS, "effects": EFFECT_COLUMNS}


def analyse(outcomes: pd.DataFrame, assignments: pd.DataFrame, table: str, reference_preference: list[str],
            confidence: float = 0.95) -> pd.DataFrame:
    """One of the tables "cells", "anova" or "effects", for every experiment in `outcomes`."""
    parts = []
    for experiment_id in sorted(outcomes["experiment_id"].dropna().unique()):
        frame, factors = design(outcomes, assignments, experiment_id)
        if frame.empty or not factors:
            continue
        metric = str(outcomes.loc[outcomes["experiment_id"] == experiment_id, "metric"].iloc[0])
        references = {f: reference_level(frame[f].astype(str).unique(), reference_preference) for f in factors}
        if table == "cells":
            result = cells(frame, factors, confidence)
        elif table == "anova":
            result = anova_type2(frame, factors, references)
        else:
            result = effects(frame, factors, references, confidence)
        parts.append(result.assign(experiment_id=experiment_id, metric=metric))
    columns = TABLES[table]
    return _typed(pd.concat(parts, ignore_index=True)[list(columns)] if parts else [], columns)
