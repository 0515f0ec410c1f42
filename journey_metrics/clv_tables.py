"""The CLV tables the dbt Python models return, from the per-customer summary prepared in SQL
(int_customer_clv_summary). Plain DataFrames in and out; nothing here knows about dbt."""

from __future__ import annotations

import numpy as np
import pandas as pd

from journey_metrics import clv

DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
UNIT_DAYS = {"day": 1.0, "week": 7.0}

PARAMS_COLUMNS = {
    "model": "string",
    "parameter": "string",
    "value": "float64",
    "log_likelihood": "float64",
    "customers": "int64",
    "converged": "bool",
    "calibration_end": "datetime64[us]",
    "time_unit": "string",
}
PREDICTION_COLUMNS = {
    "customer_id": "string",
    "is_modelled": "bool",
    "expected_purchases": "float64",
    "probability_alive": "float64",
    "expected_order_value": "float64",
    "predicted_clv": "float64",
    "horizon_days": "float64",
}
HOLDOUT_COLUMNS = {
    "frequency_bucket": "string",
    "bucket_order": "int64",
    "customers": "int64",
    "actual_purchases": "float64",
    "predicted_purchases": "float64",
    "actual_per_customer": "float64",
    "predicted_per_customer": "float64",
    "holdout_length": "float64",
}


def _typed(rows, columns: dict[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns))
    return frame.astype(columns)


def _buyers(summary: pd.DataFrame) -> pd.DataFrame:
    return summary[summary["has_purchased"].astype(bool)]


def model_params(summary: pd.DataFrame, min_customers: int) -> pd.DataFrame:
    """One row per model and parameter (bg_nbd: r, alpha, a, b; gamma_gamma: p, q, gamma), with the
    fit's log-likelihood, customers, convergence, calibration end and time unit. A model with fewer
    than `min_customers` to fit on has no rows."""
    buyers = _buyers(summary)
    if buyers.empty:
        return _typed([], PARAMS_COLUMNS)
    context = {"calibration_end": buyers["calibration_end"].iloc[0], "time_unit": buyers["time_unit"].iloc[0]}
    fits = {}
    if len(buyers) >= min_customers:
        fits["bg_nbd"] = clv.fit_bg_nbd(buyers["frequency"], buyers["recency"], buyers["age"])
    repeaters = buyers[(buyers["frequency"] > 0) & (buyers["monetary_value"] > 0)]
    if len(repeaters) >= min_customers:
        fits["gamma_gamma"] = clv.fit_gamma_gamma(repeaters["frequency"], repeaters["monetary_value"])
    rows = [
        {"model": model, "parameter": name, "value": value, "log_likelihood": fit.log_likelihood,
         "customers": fit.customers, "converged": fit.converged, **context}
        for model, fit in fits.items()
        for name, value in fit.params.items()
    ]
    return _typed(rows, PARAMS_COLUMNS)


def _params_of(params: pd.DataFrame, model: str) -> dict[str, float] | None:
    rows = params[params["model"] == model]
    return dict(zip(rows["parameter"], rows["value"].astype(float))) if len(rows) else None


def predictions(
    summary: pd.DataFrame, params: pd.DataFrame, horizon_days: float, annual_discount_rate: float
) -> pd.DataFrame:
    """Per customer: expected purchases over the horizon, P(alive), expected order value and the
    discounted, margin-based predicted CLV. Customers without a purchase (or when a model could not
    be fitted) get 0 expected purchases and 0 CLV, and no P(alive)."""
    bg, gg = _params_of(params, "bg_nbd"), _params_of(params, "gamma_gamma")
    out = pd.DataFrame({"customer_id": summary["customer_id"].to_numpy()})
    out["is_modelled"] = summary["has_purchased"].astype(bool).to_numpy() & (bg is not None) & (gg is not None)
    out["expected_purchases"] = 0.0
    out["probability_alive"] = np.nan
    out["expected_order_value"] = np.nan
    out["predicted_clv"] = 0.0
    out["horizon_days"] = float(horizon_days)
    modelled = out["is_modelled"].to_numpy()
    if modelled.any():
        rows = summary[modelled]
        unit = UNIT_DAYS[rows["time_unit"].iloc[0]]
        x, t_x, age = (rows[c].to_numpy(dtype=float) for c in ("frequency", "recency", "age"))
        m = rows["monetary_value"].to_numpy(dtype=float)
        horizon = horizon_days / unit
        out.loc[modelled, "expected_purchases"] = clv.expected_purchases(bg, horizon, x, t_x, age)
        out.loc[modelled, "probability_alive"] = clv.probability_alive(bg, x, t_x, age)
        out.loc[modelled, "expected_order_value"] = clv.expected_order_value(gg, x, m)
        out.loc[modelled, "predicted_clv"] = clv.discounted_clv(
            bg, gg, x, t_x, age, m, rows["margin_ratio"].to_numpy(dtype=float),
            horizon=horizon,
            step=DAYS_PER_MONTH / unit,
            discount_per_step=(1 + annual_discount_rate) ** (1 / 12) - 1,
        )
    return _typed(out, PREDICTION_COLUMNS)


def holdout_validation(summary: pd.DataFrame, params: pd.DataFrame, max_bucket: int) -> pd.DataFrame:
    """Predicted vs actual purchases in the holdout (the data after the calibration end), by
    calibration frequency bucket (0, 1, …, `max_bucket`+) and in total. Empty without a holdout."""
    bg = _params_of(params, "bg_nbd")
    buyers = _buyers(summary)
    if bg is None or buyers.empty or not (buyers["holdout_length"].iloc[0] > 0):
        return _typed([], HOLDOUT_COLUMNS)
    length = float(buyers["holdout_length"].iloc[0])
    frame = pd.DataFrame({
        "bucket_order": np.minimum(buyers["frequency"].to_numpy(dtype=int), max_bucket),
        "actual_purchases": buyers["holdout_purchases"].to_numpy(dtype=float),
        "predicted_purchases": clv.expected_purchases(
            bg, length, *(buyers[c].to_numpy(dtype=float) for c in ("frequency", "recency", "age"))
        ),
    })
    grouped = frame.groupby("bucket_order", as_index=False).agg(
        customers=("actual_purchases", "size"),
        actual_purchases=("actual_purchases", "sum"),
        predicted_purchases=("predicted_purchases", "sum"),
    )
    grouped["frequency_bucket"] = grouped["bucket_order"].map(
        lambda b: f"{b}+" if b == max_bucket else str(b)
    )
    total = pd.DataFrame([{
        "frequency_bucket": "total", "bucket_order": max_bucket + 1, "customers": len(frame),
        "actual_purchases": frame["actual_purchases"].sum(), "predicted_purchases": frame["predicted_purchases"].sum(),
    }])
    out = pd.concat([grouped, total], ignore_index=True)
    out["actual_per_customer"] = out["actual_purchases"] / out["customers"]
    out["predicted_per_customer"] = out["predicted_purchases"] / out["customers"]
    out["holdout_length"] = length
    return _typed(out[list(HOLDOUT_COLUMNS)], HOLDOUT_COLUMNS)
