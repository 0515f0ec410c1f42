"""Parameter uncertainty of the CLV models carried to the predictions, by the observed information.

Method (the asymptotic normal of the maximum-likelihood estimate; e.g. Pawitan 2001, "In all
likelihood", ch. 9): at the fitted parameters, on the scale the fitters search (journey_metrics.clv:
theta = log of each purchase-model parameter; Gamma-Gamma theta = (log p, log(q - 1), log gamma)), the
observed information I = the Hessian of the total negative log-likelihood, by central differences.
theta_hat ~ N(theta, I^-1) approximately, so `draws` parameter vectors are drawn from N(theta_hat, I^-1)
(seeded), mapped back, and each one is put through the computation of clv_tables.predictions — the
very function clv_predictions uses (_Prepared.quantities, the summary's arrays prepared once) — giving
per customer a distribution of expected purchases, P(alive), expected
order value and predicted CLV. Its 2.5 / 10 / 90 / 97.5 percentiles are the 95% and 80% intervals.

The percentiles of the `draws` values are taken at the plotting positions p (draws + 1) (numpy's
method="weibull", Hyndman & Fan's type 6), not numpy's default p (draws - 1) + 1: for a quantity
that is distributed like one more draw, the interval between the order statistics k and draws + 1 - k
covers it with chance exactly (draws + 1 - 2k) / (draws + 1), so these positions give the nominal
level (95.2% and 80.0% with 100 normal draws, by simulation) while the default ones give
(draws - 1) / (draws + 1) of it: 93.1% and 78.4% with 100 draws, 94.1% and 79.2% with 200. (The 2.5
percentile needs draws >= 39; with fewer it is the smallest draw and the coverage is below the level.)

Calibration, measured on customers simulated from known parameters (tests_py/test_clv_intervals.py;
the estimand is the cohort's total at the true parameters given the histories): for the total expected
purchases over 365 days under MBG/NBD, 600 runs of 2,000 customers show no bias (mean error -0.02 of
its sd), no skew (0.01) and a Hessian standard error of the total 2.6% (± 3%) below the spread of the
refits, so the normal approximation covers 93.7% / 78.8% at 95% / 80%; with 8,000 customers 0.8% and
95.3% / 80.0%, with 500 3.3% and 92.2% / 76.8%: a small-sample effect that fades as the cohort grows
(the standard errors do not move with the Hessian's step, 1e-2 to 1e-4; a sandwich covariance
H^-1 J H^-1 gains under 1%). The seeded test's 300 runs give 92.7% / 76.3% for purchases and
96.3% / 80.3% for the repeat buyers' expected order values under Gamma-Gamma. A bootstrap over
customers would carry the small-sample spread too, but costs a refit per replicate (B of them) where
this costs a few likelihood evaluations.

The intervals are for parameter uncertainty only: they cover the customer's *expected* purchases /
value under the model (the estimand), not the purchases the customer will actually make (Poisson and
drop-out noise on top).

Totals (total_intervals): the sum over a group's customers is taken *within each draw*, and the
percentiles of those sums are the interval of the total. Summing per-customer percentiles instead
would treat every customer's error as moving together at its extreme, and be far too wide for a
total's 95% interval (and not an interval of anything).

No intervals (null, with `interval_note`): customers clv_predictions does not model (is_modelled
false: no purchase, no selected purchase model, or Gamma-Gamma not fitted), and everyone when the
selected purchase model or a usable Gamma-Gamma did not converge, sits at an edge of the search range,
or has a Hessian that is not positive definite. When Gamma-Gamma's q sits on its bound 1 the expected
order value is the shrunk mean, which has no parameters: only the purchase model is drawn then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from journey_metrics import clv, clv_tables

QUANTITIES = ("expected_purchases", "probability_alive", "expected_order_value", "predicted_clv")
# (suffix, percentile): the 95% interval is 2.5-97.5, the 80% one 10-90
BOUNDS = (("low_95", 2.5), ("low_80", 10.0), ("high_80", 90.0), ("high_95", 97.5))
# how the percentiles of the draws are read off: at positions p (draws + 1), which give the intervals
# their nominal coverage whatever the number of draws (see the module docstring)
PERCENTILE_METHOD = "weibull"
# central-difference step on theta (log scale): a relative step of 0.1% in each parameter (the standard
# errors agree to 5 digits with steps 1e-2 to 1e-4)
HESSIAN_STEP = 1e-3

INTERVAL_COLUMNS = {
    "customer_id": "string",
    "is_modelled": "bool",
    **{f"{q}{suffix}": "float64" for q in QUANTITIES for suffix in ("", *(f"_{s}" for s, _ in BOUNDS))},
    "interval_draws": "int64",
    "interval_note": "string",
}
TOTAL_COLUMNS = {
    "grouping": "string",
    "group_value": "string",
    "customers": "int64",
    **{
        f"total_{q}{suffix}": "float64"
        for q in ("expected_purchases", "predicted_clv")
        for suffix in ("", *(f"_{s}" for s, _ in BOUNDS))
    },
    "interval_draws": "int64",
    "interval_note": "string",
}


@dataclass(frozen=True)
class Uncertainty:
    """A fitted model's estimate on the fitter's theta scale, its covariance I^-1 (None when it could not
    be had) and a note saying why not."""

    model: str
    names: tuple[str, ...]
    theta: np.ndarray
    covariance: np.ndarray | None
    to_params: Callable[[np.ndarray], np.ndarray]
    note: str | None = None

    @property
    def standard_errors(self) -> np.ndarray | None:
        """Standard errors of theta (of log r, log alpha, …): sqrt of the covariance's diagonal."""
        return None if self.covariance is None else np.sqrt(np.diag(self.covariance))


def numerical_hessian(f: Callable[[np.ndarray], float], theta, step: float = HESSIAN_STEP) -> np.ndarray:
    """The matrix of second derivatives of f at theta by central differences (error O(step^2)):
    f_ii = (f(+h) - 2 f + f(-h)) / h^2, f_ij = (f(++) - f(+-) - f(-+) + f(--)) / (4 h^2)."""
    theta = np.asarray(theta, dtype=float)
    k = theta.size
    eye = np.eye(k) * step
    centre = f(theta)
    hessian = np.empty((k, k))
    for i in range(k):
        hessian[i, i] = (f(theta + eye[i]) - 2 * centre + f(theta - eye[i])) / step**2
        for j in range(i):
            hessian[i, j] = hessian[j, i] = (
                f(theta + eye[i] + eye[j])
                - f(theta + eye[i] - eye[j])
                - f(theta - eye[i] + eye[j])
                + f(theta - eye[i] - eye[j])
            ) / (4 * step**2)
    return hessian


def _covariance(negative_log_likelihood, theta: np.ndarray) -> tuple[np.ndarray | None, str | None]:
    hessian = numerical_hessian(negative_log_likelihood, theta)
    if not np.all(np.isfinite(hessian)):
        return None, "the Hessian of the log-likelihood could not be evaluated"
    try:
        np.linalg.cholesky(hessian)
    except np.linalg.LinAlgError:
        return None, "the Hessian of the negative log-likelihood is not positive definite"
    covariance = np.linalg.inv(hessian)
    return (covariance + covariance.T) / 2, None


def purchase_uncertainty(model: str, fitted: dict[str, float] | None, frequency, recency, age) -> Uncertainty:
    """The observed-information covariance of a purchase model's log-parameters at `fitted` (None: not
    fitted), from its likelihood in journey_metrics.clv on the buyers' (x, t_x, T)."""
    spec = clv.PURCHASE_MODELS[model]
    if fitted is None or not all(np.isfinite(fitted.get(n, np.nan)) for n in spec.parameters):
        nan = np.full(len(spec.parameters), np.nan)
        return Uncertainty(model, spec.parameters, nan, None, np.exp, f"{model} did not converge")
    theta = np.log([fitted[n] for n in spec.parameters])
    data, weights = clv._collapse(dict(zip(("x", "t_x", "T"), clv._as_float(frequency, recency, age), strict=True)))
    data = {**data, **spec.prepare(data)}

    def negative(t: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            return -float(np.sum(weights * spec.log_likelihood(np.exp(t), **data)))

    covariance, note = _covariance(negative, theta)
    return Uncertainty(model, spec.parameters, theta, covariance, np.exp, note)


def gamma_gamma_uncertainty(fitted: dict[str, float] | None, frequency, monetary_value) -> Uncertainty:
    """The observed-information covariance of Gamma-Gamma's (log p, log(q - 1), log gamma) at `fitted`,
    on the repeat buyers with a positive mean order value (the customers fit_gamma_gamma uses)."""
    names = clv.GAMMA_GAMMA_PARAMETERS
    to_params = clv._gamma_gamma_to_params
    if fitted is None or not all(np.isfinite(fitted.get(n, np.nan)) for n in names):
        return Uncertainty("gamma_gamma", names, np.full(3, np.nan), None, to_params, "gamma_gamma did not converge")
    theta = clv._gamma_gamma_from_params(np.array([fitted[n] for n in names]))
    x, m = np.asarray(frequency, float), np.asarray(monetary_value, float)
    keep = (x > 0) & np.isfinite(m) & (m > 0)
    data, weights = clv._collapse({"x": x[keep], "m": m[keep]})

    def negative(t: np.ndarray) -> float:
        with np.errstate(all="ignore"):
            return -float(np.sum(weights * clv.gamma_gamma_log_likelihood(to_params(t), **data)))

    covariance, note = _covariance(negative, theta)
    return Uncertainty("gamma_gamma", names, theta, covariance, to_params, note)


def _usable(params: pd.DataFrame, model: str) -> bool:
    rows = params[params["model"] == model]
    note = " ".join(rows["note"].dropna().astype(str))
    return bool(len(rows)) and "edge of the search range" not in note


def model_uncertainties(summary: pd.DataFrame, params: pd.DataFrame) -> tuple[list[Uncertainty], str | None]:
    """The uncertainties of the models clv_predictions uses (the selected purchase model; Gamma-Gamma
    when is_selected), and a note when intervals cannot be given (none selected, an estimate at an
    edge of the search range, a Hessian not positive definite)."""
    model = clv_tables._selected_purchase_model(params)
    if model is None:
        return [], "no purchase model selected: no intervals"
    buyers = clv_tables._buyers(summary)
    x, t_x, age, m = (buyers[c].to_numpy(dtype=float) for c in ("frequency", "recency", "age", "monetary_value"))
    found = [purchase_uncertainty(model, clv_tables._params_of(params, model), x, t_x, age)]
    gamma_gamma = params[params["model"] == "gamma_gamma"]
    if gamma_gamma["is_selected"].astype(bool).any():
        found.append(gamma_gamma_uncertainty(clv_tables._params_of(params, "gamma_gamma"), x, m))
    notes = [f"{u.model}: {u.note}" for u in found if u.note]
    notes += [f"{u.model}: a parameter at the edge of the search range" for u in found if not _usable(params, u.model)]
    return found, ("; ".join(notes) + ": no intervals") if notes else None


def draw_parameter_values(uncertainties: list[Uncertainty], draws: int, seed: int) -> dict[str, np.ndarray]:
    """For each model, a draws x parameters array: theta ~ N(theta_hat, I^-1) (seeded), mapped back with
    the fitter's transform, so every drawn parameter is positive and Gamma-Gamma's q above 1."""
    rng = np.random.default_rng(seed)
    return {
        u.model: np.array([u.to_params(t) for t in rng.multivariate_normal(u.theta, u.covariance, size=draws)])
        for u in uncertainties
    }


def draw_bounds(values, axis: int = 0) -> dict[str, np.ndarray]:
    """The interval bounds (low_95, low_80, high_80, high_95) of draws along `axis`: their 2.5 / 10 / 90
    / 97.5 percentiles at the plotting positions p (draws + 1) (PERCENTILE_METHOD)."""
    values = np.asarray(values, dtype=float)
    return {
        suffix: np.percentile(values, percentile, axis=axis, method=PERCENTILE_METHOD) for suffix, percentile in BOUNDS
    }


def prediction_draws(
    summary: pd.DataFrame,
    params: pd.DataFrame,
    horizon_days: float,
    annual_discount_rate: float,
    draws: int,
    seed: int,
) -> tuple[pd.DataFrame, dict[str, np.ndarray] | None, str | None]:
    """clv_tables.predictions at the fitted parameters (the point estimates, equal to clv_predictions),
    and for each quantity an array draws x modelled customers (point["is_modelled"], in the row order
    of `summary`) of its values under the drawn parameters (None, with a note, when there are no
    intervals): the customers without a model get no intervals, so their draws are not kept. Each draw
    goes through the computation clv_tables.predictions makes (clv_tables._Prepared.quantities), with
    the summary's arrays prepared once."""
    prepared = clv_tables._Prepared.of(summary, horizon_days, annual_discount_rate)
    point = clv_tables.predictions(summary, params, horizon_days, annual_discount_rate, prepared)
    uncertainties, note = model_uncertainties(summary, params)
    if note is not None or not point["is_modelled"].any():
        return point, None, note or "no modelled customers"
    model = clv_tables._selected_purchase_model(params)
    value_model = clv_tables._value_model(params)
    sampled = draw_parameter_values(uncertainties, draws, seed)
    # the modelled customers among the buyers (prepared.quantities' rows)
    modelled = point["is_modelled"].to_numpy(dtype=bool)[prepared.buyers]
    values = {q: np.empty((draws, int(modelled.sum()))) for q in QUANTITIES}
    for k in range(draws):
        # every uncertain model's parameters drawn: the purchase model, and Gamma-Gamma when selected
        drawn = {u.model: dict(zip(u.names, map(float, sampled[u.model][k]), strict=True)) for u in uncertainties}
        found = prepared.quantities(model, value_model, drawn[model], drawn.get("gamma_gamma"))
        for q in QUANTITIES:
            values[q][k] = found[q][modelled]
    return point, values, None


def prediction_intervals(
    summary: pd.DataFrame,
    params: pd.DataFrame,
    horizon_days: float,
    annual_discount_rate: float,
    draws: int,
    seed: int,
) -> pd.DataFrame:
    """One row per customer: clv_predictions' point estimates and the 80% and 95% intervals of each from
    the parameter draws (see the module docstring); null intervals where the customer is not modelled
    or the models give none, with `interval_note` saying why."""
    point, values, note = prediction_draws(summary, params, horizon_days, annual_discount_rate, draws, seed)
    out = point[["customer_id", "is_modelled", *QUANTITIES]].copy()
    modelled = point["is_modelled"].to_numpy(dtype=bool)
    for q in QUANTITIES:
        bounds = None if values is None else draw_bounds(values[q], axis=0)
        for suffix, _ in BOUNDS:
            column = np.full(len(out), np.nan)
            if bounds is not None:
                column[modelled] = bounds[suffix]
            out[f"{q}_{suffix}"] = column
    out["interval_draws"] = draws if values is not None else 0
    out["interval_note"] = np.where(modelled, note, "not modelled (see clv_predictions.is_modelled)")
    return clv_tables._typed(out, INTERVAL_COLUMNS)


def total_intervals(
    summary: pd.DataFrame,
    params: pd.DataFrame,
    groups: pd.DataFrame,
    horizon_days: float,
    annual_discount_rate: float,
    draws: int,
    seed: int,
) -> pd.DataFrame:
    """One row per grouping and group of the modelled customers — `all`, and each column of `groups`
    (customer_id plus e.g. segment_name, cohort_month) — with the totals of expected purchases and
    predicted CLV and their 80% and 95% intervals: the total is summed within each draw and the
    percentiles are taken of those sums, NOT summed from the per-customer percentiles."""
    point, values, note = prediction_draws(summary, params, horizon_days, annual_discount_rate, draws, seed)
    modelled = point["is_modelled"].to_numpy(dtype=bool)
    keyed = point[["customer_id"]].merge(groups.astype({"customer_id": str}), on="customer_id", how="left")
    groupings = {"all": np.full(len(point), "all", dtype=object)}
    for column in groups.columns.drop("customer_id"):
        groupings[column] = keyed[column].astype("string").fillna("(none)").to_numpy(dtype=object)
    rows = []
    for grouping, labels in groupings.items():
        for label in sorted(set(labels[modelled])):
            members = modelled & (labels == label)
            row = {"grouping": grouping, "group_value": label, "customers": int(members.sum())}
            for q in ("expected_purchases", "predicted_clv"):
                row[f"total_{q}"] = float(point[q].to_numpy(dtype=float)[members].sum())
                # values' columns are the modelled customers
                bounds = None if values is None else draw_bounds(values[q][:, members[modelled]].sum(axis=1))
                for suffix, _ in BOUNDS:
                    row[f"total_{q}_{suffix}"] = np.nan if bounds is None else float(bounds[suffix])
            row["interval_draws"] = draws if values is not None else 0
            row["interval_note"] = note
            rows.append(row)
    return clv_tables._typed(rows, TOTAL_COLUMNS)
