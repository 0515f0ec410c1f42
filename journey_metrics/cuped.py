"""CUPED: each experiment's outcome adjusted by the same metric before the assignment (Deng, Xu,
Kohavi and Walker 2013, "Improving the sensitivity of online controlled experiments by utilizing
pre-experiment data", WSDM '13).

With Y the outcome and X the covariate — the same metric over a pre-assignment period of equal
length by default (int_experiment_outcomes.pre_outcome) — the adjusted outcome is

    Y_adj = Y − θ (X − mean X),   θ = cov(Y, X) / var(X)                    (Deng et al., Eq. 3–4)

with θ estimated once per experiment, pooled over all arms: X is measured before the assignment, so
it is independent of the treatment, and the pooled θ leaves every arm's expected mean unchanged
(the adjusted effects stay unbiased) while removing the part of the outcome's variance that X
explains. In-sample var(Y_adj) = var(Y) (1 − ρ²), ρ the correlation of Y and X (Eq. 5), so
`variance_reduction` = 1 − var(Y_adj) / var(Y) equals ρ² on the customers used. The reduction that
matters for an effect is that of its variance, 1 − (SE_adj / SE)²: about the within-arm ρ², which
`effect_variance_reduction` reports per row.

The adjusted cell means, marginal and simple effects, interaction contrasts, intervals, Holm
p-values and relative lifts are those of journey_metrics.experiments.effects() run on Y_adj: the
same full-factorial model, the same t intervals. The intervals treat θ as known; its estimation adds
a term of order 1/n to the variance of an effect (Deng et al., Section 3.3, and the delta-method
argument there), negligible at hundreds of customers per experiment — tests_py/test_cuped.py checks
that the intervals still cover the truth about 95% of the time.

A customer whose pre-assignment period starts before the first day of data has no X (pre_outcome
null) and is left out of the adjusted analysis; `customers_without_pre_period` counts them. The
unadjusted columns beside are experiment_effects' own (every customer with an outcome).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from journey_metrics import experiments

# The effect columns reported twice: adjusted (as named) and unadjusted (prefixed "unadjusted_").
EFFECT_VALUES = [
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "p_value",
    "p_value_holm",
    "relative_lift",
    "relative_lift_ci_low",
    "relative_lift_ci_high",
]
CUPED_COLUMNS = {
    "experiment_id": "string",
    "metric": "string",
    "term_type": "string",
    "term": "string",
    "level": "string",
    "is_reference": "bool",
    "customers": "int64",
    "customers_used": "int64",
    "customers_without_pre_period": "int64",
    "theta": "float64",
    "rho": "float64",
    "variance_reduction": "float64",
    **dict.fromkeys(EFFECT_VALUES, "float64"),
    **{f"unadjusted_{name}": "float64" for name in EFFECT_VALUES},
    "effect_variance_reduction": "float64",
    "not_estimable_reason": "string",
}
KEYS = ["term_type", "term", "level"]


@dataclass(frozen=True)
class Adjustment:
    """The CUPED adjustment of one experiment: θ, the correlation ρ of outcome and covariate, and
    1 − var(Y_adj) / var(Y), on the customers with both."""

    theta: float
    rho: float
    variance_reduction: float
    customers_used: int


def theta(outcome: np.ndarray, covariate: np.ndarray) -> float:
    """θ = cov(Y, X) / var(X), pooled over all arms (Deng et al., Eq. 4); the n − 1 of both cancels."""
    y, x = np.asarray(outcome, dtype=float), np.asarray(covariate, dtype=float)
    return float(np.sum((y - y.mean()) * (x - x.mean())) / np.sum((x - x.mean()) ** 2))


def adjust(frame: pd.DataFrame) -> tuple[pd.DataFrame, Adjustment | None]:
    """The customers of `frame` (outcome, pre_outcome, the factors) that have a pre_outcome, with
    outcome replaced by Y_adj = Y − θ (X − mean X), and the adjustment; None when there is nothing to
    adjust with (fewer than two such customers, or X constant)."""
    used = frame[frame["pre_outcome"].notna()].reset_index(drop=True)
    if len(used) < 2:
        return used, None
    y = used["outcome"].to_numpy(dtype=float)
    x = used["pre_outcome"].to_numpy(dtype=float)
    if np.var(x) == 0:
        return used, None
    slope = theta(y, x)
    adjusted = y - slope * (x - x.mean())
    var_y = float(np.var(y, ddof=1))
    rho = float(np.corrcoef(y, x)[0, 1]) if var_y > 0 else np.nan
    reduction = 1 - float(np.var(adjusted, ddof=1)) / var_y if var_y > 0 else np.nan
    return used.assign(outcome=adjusted), Adjustment(slope, rho, reduction, len(used))


def cuped_effects(
    frame: pd.DataFrame, factors: list[str], references: dict[str, str], confidence: float = 0.95
) -> pd.DataFrame:
    """One experiment: effects() of the adjusted outcome beside effects() of the outcome, one row per
    main, simple and interaction row (best_combination is left out: the best cell may differ between
    the two). `frame` is experiments.design()'s with a pre_outcome column."""
    unadjusted = experiments.effects(frame.drop(columns="pre_outcome"), factors, references, confidence)
    unadjusted = unadjusted[unadjusted["term_type"] != "best_combination"]
    table = unadjusted[[*KEYS, "is_reference", "customers"]].copy()
    for name in EFFECT_VALUES:
        table[f"unadjusted_{name}"] = unadjusted[name].to_numpy()
    used, adjustment = adjust(frame)
    table["customers_used"] = len(used) if adjustment else 0
    table["customers_without_pre_period"] = int(frame["pre_outcome"].isna().sum())
    if adjustment is None:
        for name in [*EFFECT_VALUES, "theta", "rho", "variance_reduction", "effect_variance_reduction"]:
            table[name] = np.nan
        table["not_estimable_reason"] = "no CUPED: fewer than two customers with a pre-period, or it is constant"
        return table
    adjusted = experiments.effects(used.drop(columns="pre_outcome"), factors, references, confidence)
    adjusted = adjusted[[*KEYS, *EFFECT_VALUES, "not_estimable_reason"]]
    table = table.merge(adjusted, on=KEYS, how="left")
    table["theta"] = adjustment.theta
    table["rho"] = adjustment.rho
    table["variance_reduction"] = adjustment.variance_reduction
    table["effect_variance_reduction"] = 1 - (table["std_error"] / table["unadjusted_std_error"]) ** 2
    return table


def analyse_cuped(
    outcomes: pd.DataFrame, assignments: pd.DataFrame, reference_preference: list[str], confidence: float = 0.95
) -> pd.DataFrame:
    """cuped_effects() of every experiment (CUPED_COLUMNS). `outcomes` is int_experiment_outcomes
    (outcome and pre_outcome per experiment and customer); reference levels as analyse_effects."""
    parts = []
    for experiment_id in sorted(outcomes["experiment_id"].dropna().unique()):
        frame, factors = experiments.design(outcomes, assignments, experiment_id)
        if frame.empty or not factors:
            continue
        rows = outcomes[outcomes["experiment_id"] == experiment_id]
        frame = frame.merge(rows[["customer_id", "pre_outcome"]], on="customer_id", how="left")
        frame["pre_outcome"] = frame["pre_outcome"].astype(float)
        references = {
            f: experiments.reference_level(frame[f].astype(str).unique(), reference_preference) for f in factors
        }
        table = cuped_effects(frame, factors, references, confidence)
        parts.append(table.assign(experiment_id=experiment_id, metric=str(rows["metric"].iloc[0])))
    if not parts:
        return pd.DataFrame(columns=list(CUPED_COLUMNS)).astype(CUPED_COLUMNS)
    return pd.concat(parts, ignore_index=True)[list(CUPED_COLUMNS)].astype(CUPED_COLUMNS)


def preferred_main_effects(cuped: pd.DataFrame) -> pd.DataFrame:
    """The main rows of experiment_cuped as an effects table to decide on: the adjusted columns where
    the experiment has CUPED (theta not null), else the unadjusted ones; `analysis` says which."""
    main = cuped[cuped["term_type"] == "main"].copy()
    has_cuped = main["theta"].notna()
    for name in EFFECT_VALUES:
        main[name] = main[name].where(has_cuped, main[f"unadjusted_{name}"])
    main["analysis"] = np.where(has_cuped, "cuped", "unadjusted")
    return main[["experiment_id", "metric", *KEYS, "is_reference", *EFFECT_VALUES, "analysis"]].reset_index(drop=True)
