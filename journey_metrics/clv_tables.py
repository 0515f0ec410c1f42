"""The CLV tables the dbt Python models return, from the per-customer summary prepared in SQL
(int_customer_clv_summary). Plain DataFrames in and out; nothing here knows about dbt.

Which estimate a customer gets (documented in python_models/_clv.yml):
- expected purchases and P(alive): the selected purchase model (`is_selected` in model_params: var
  clv_model, or for `auto` the converged model with the lowest BIC); when none is selected, the
  historical rate x / T times the horizon and no P(alive) (`purchase_model = 'historical'`);
- expected order value: Gamma-Gamma when it converged with q off its bound 1; the shrunk mean
  (clv.shrunk_order_value) when q sits on the bound; when Gamma-Gamma could not be fitted, the
  customer's mean repeat-order value, or the sample mean without one (`order_value_model`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from journey_metrics import clv

DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
UNIT_DAYS = {"day": 1.0, "week": 7.0}
HISTORICAL = "historical"

PARAMS_COLUMNS = {
    "model": "string",
    "parameter": "string",
    "value": "float64",
    "log_likelihood": "float64",
    "bic": "float64",
    "customers": "int64",
    "is_converged": "bool",
    "is_selected": "bool",
    "note": "string",
    "calibration_end": "datetime64[us]",
    "time_unit": "string",
}
PREDICTION_COLUMNS = {
    "customer_id": "string",
    "is_modelled": "bool",
    "purchase_model": "string",
    "order_value_model": "string",
    "expected_purchases": "float64",
    "probability_alive": "float64",
    "expected_order_value": "float64",
    "predicted_clv": "float64",
    "horizon_days": "float64",
}
HOLDOUT_COLUMNS = {
    "model": "string",
    "is_selected": "bool",
    "frequency_bucket": "string",
    "bucket_order": "int64",
    "is_total": "bool",
    "customers": "int64",
    "actual_purchases": "float64",
    "predicted_purchases": "float64",
    "actual_per_customer": "float64",
    "predicted_per_customer": "float64",
    "holdout_length": "float64",
}


ALIVE_COLUMNS = {
    "frequency": "float64",
    "recency": "float64",
    "age": "float64",
    "purchase_model": "string",
    "probability_alive": "float64",
}


def _typed(rows, columns: dict[str, str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(columns))
    return frame.astype(columns)


def _buyers(summary: pd.DataFrame) -> pd.DataFrame:
    """The customers with a purchase, in customer_id order: the likelihoods are sums over customers, and
    an optimizer on a flat one (Gamma-Gamma's) stops where the sums' last bits lead it, so the same
    customers in another row order (Spark's toPandas, a later DuckDB) must give the same fit."""
    buyers = summary[summary["has_purchased"].astype("boolean").fillna(False).to_numpy(dtype=bool)]
    return buyers.sort_values("customer_id", kind="stable") if "customer_id" in buyers else buyers


def _join(*notes: str | None) -> str | None:
    kept = [note for note in notes if note]
    return "; ".join(kept) if kept else None


def _purchase_fits(buyers: pd.DataFrame, min_customers: int) -> dict[str, clv.FitResult]:
    fits = {}
    for name, spec in clv.PURCHASE_MODELS.items():
        if buyers.empty:
            fits[name] = clv.not_fitted(spec.parameters, 0, "no customers with a purchase by the calibration end")
        elif len(buyers) < min_customers:
            fits[name] = clv.not_fitted(
                spec.parameters,
                len(buyers),
                f"{len(buyers)} buyers, fewer than var clv_min_customers ({min_customers})",
            )
        else:
            fits[name] = clv.fit_purchase_model(
                name, *(buyers[c].to_numpy(dtype=float) for c in ("frequency", "recency", "age"))
            )
    return fits


def _selection_notes(fits: dict[str, clv.FitResult], selected: str | None, choice: str) -> dict[str, str | None]:
    notes = {}
    for name, fit in fits.items():
        if name == selected:
            why = "lowest BIC of the converged purchase models" if choice == "auto" else "var clv_model"
            notes[name] = _join(fit.note, f"selected: {why}")
        elif fit.converged and selected is not None:
            notes[name] = _join(fit.note, f"not selected: BIC {fit.bic - fits[selected].bic:+.1f} against {selected}")
        elif fit.converged:  # a model was asked for by name and did not converge
            notes[name] = _join(fit.note, f"not selected: var clv_model is {choice}")
        elif name == choice or (choice == "auto" and selected is None):
            notes[name] = _join(fit.note, "no purchase model selected: predictions use the historical purchase rate")
        else:
            notes[name] = fit.note
    return notes


def model_params(summary: pd.DataFrame, min_customers: int, model: str = "auto") -> pd.DataFrame:
    """One row per model and parameter — bg_nbd and mbg_nbd: r, alpha, a, b; pareto_nbd: r, alpha, s,
    beta; gamma_gamma: p, q, gamma — with the fit's log-likelihood, BIC, customers, convergence,
    whether clv_predictions uses it (`is_selected`), a note, calibration end and time unit. Every
    model has its rows: one that could not be fitted (fewer than `min_customers` customers, no
    repeat purchases, no positive order values) has value, log-likelihood and BIC null,
    is_converged = false and a note saying why. `model`: var clv_model (auto, bg_nbd, mbg_nbd or
    pareto_nbd)."""
    buyers = _buyers(summary)
    context = {
        "calibration_end": summary["calibration_end"].iloc[0] if len(summary) else pd.NaT,
        "time_unit": summary["time_unit"].iloc[0] if len(summary) else None,
    }
    fits = _purchase_fits(buyers, min_customers)
    selected = clv.select_purchase_model(fits, model)
    notes = _selection_notes(fits, selected, model)
    chosen = {name: name == selected for name in fits}

    repeaters = buyers[(buyers["frequency"] > 0) & (buyers["monetary_value"].fillna(0) > 0)]
    if len(repeaters) < min_customers:
        gamma_gamma = clv.not_fitted(
            clv.GAMMA_GAMMA_PARAMETERS,
            len(repeaters),
            f"{len(repeaters)} repeat buyers with a positive order value, fewer than var clv_min_customers "
            f"({min_customers})",
        )
    else:
        gamma_gamma = clv.fit_gamma_gamma(
            repeaters["frequency"].to_numpy(dtype=float), repeaters["monetary_value"].to_numpy(dtype=float)
        )
    fits["gamma_gamma"] = gamma_gamma
    chosen["gamma_gamma"] = clv.gamma_gamma_is_usable(gamma_gamma)
    notes["gamma_gamma"] = (
        gamma_gamma.note
        if gamma_gamma.converged
        else _join(
            gamma_gamma.note, "expected order value: each customer's mean repeat-order value, else the sample mean"
        )
    )

    rows = [
        {
            "model": name,
            "parameter": parameter,
            "value": value if fit.converged else None,
            "log_likelihood": fit.log_likelihood if fit.converged else None,
            "bic": fit.bic if fit.converged else None,
            "customers": fit.customers,
            "is_converged": fit.converged,
            "is_selected": chosen[name],
            "note": notes[name],
            **context,
        }
        for name, fit in fits.items()
        for parameter, value in fit.params.items()
    ]
    return _typed(rows, PARAMS_COLUMNS)


def _params_of(params: pd.DataFrame, model: str) -> dict[str, float] | None:
    """The parameters of a converged model (None when it is absent or did not converge)."""
    rows = params[(params["model"] == model) & params["is_converged"].astype(bool)]
    return dict(zip(rows["parameter"], rows["value"].astype(float), strict=True)) if len(rows) else None


def _selected_purchase_model(params: pd.DataFrame) -> str | None:
    chosen = params[params["is_selected"].astype(bool) & params["model"].isin(list(clv.PURCHASE_MODELS))]
    names = chosen["model"].unique()
    return str(names[0]) if len(names) else None


def _cumulative_purchases(model: str | None, params: pd.DataFrame, x, t_x, age) -> Callable[[float], np.ndarray]:
    """t -> expected purchases in the next t time units, for each customer: the purchase model's
    conditional expectation computed once for each distinct (x, t_x, T), or x / T * t."""
    if model is None or model == HISTORICAL:
        rate = clv.historical_purchase_rate(x, age)
        return lambda t: rate * t
    return _BuyerArrays.of(x, t_x, age).cumulative(model, _params_of(params, model))


@dataclass(frozen=True)
class _BuyerArrays:
    """The buyers' x and T, their distinct (x, t_x, T) triples (`triple_of`: each buyer's) and the distinct
    (x, T) pairs of those (`pair_of`: each triple's), found once: prediction_draws evaluates the same
    buyers under hundreds of parameter draws."""

    x: np.ndarray
    age: np.ndarray
    triples: np.ndarray
    triple_of: np.ndarray
    pairs: np.ndarray
    pair_of: np.ndarray

    @classmethod
    def of(cls, x, t_x, age) -> _BuyerArrays:
        x, t_x, age = clv._as_float(x, t_x, age)
        triples, triple_of = np.unique(np.column_stack([x, t_x, age]), axis=0, return_inverse=True)
        pairs, pair_of = np.unique(triples[:, [0, 2]], axis=0, return_inverse=True)
        return cls(x, age, triples, triple_of.reshape(-1), pairs, pair_of.reshape(-1))

    def probability_alive(self, model: str, fitted: dict[str, float]) -> np.ndarray:
        """P(alive) of each distinct triple under the purchase model."""
        return clv.PURCHASE_MODELS[model].probability_alive(fitted, *self.triples.T)

    def cumulative(
        self, model: str, fitted: dict[str, float], alive: np.ndarray | None = None
    ) -> Callable[[float], np.ndarray]:
        """t -> each buyer's expected purchases in the next t time units under the purchase model: the
        if-alive part once a distinct (x, T) and P(alive) (`alive`, of the triples) once a triple, where
        the model splits so (clv.PurchaseModel.if_alive), else the whole expectation once a triple."""
        spec = clv.PURCHASE_MODELS[model]
        x, t_x, age = self.triples.T
        if spec.if_alive is None or spec.combine is None:
            return lambda t: spec.expected_purchases(fitted, t, x, t_x, age)[self.triple_of]
        alive = self.probability_alive(model, fitted) if alive is None else alive
        pair_x, pair_age = self.pairs.T

        computed: dict[float, np.ndarray] = {}  # discounted_clv asks for the horizon again

        def cumulative(t: float) -> np.ndarray:
            if t not in computed:
                if_alive = spec.if_alive(fitted, t, pair_x, pair_age)[self.pair_of]
                computed[t] = spec.combine(if_alive, alive, t)[self.triple_of]
            return computed[t]

        return cumulative


@dataclass(frozen=True)
class _Prepared:
    """What predictions need of the summary, parameters aside: the buyers (a mask of the summary's
    rows), their arrays, margins and mean order value, and the horizon and step in the time unit."""

    buyers: np.ndarray
    arrays: _BuyerArrays | None
    m: np.ndarray
    margin: np.ndarray
    sample_mean: float
    horizon: float
    step: float
    discount_per_step: float

    @classmethod
    def of(cls, summary: pd.DataFrame, horizon_days: float, annual_discount_rate: float) -> _Prepared:
        buyers = summary["has_purchased"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        rows = summary[buyers]
        unit = UNIT_DAYS[rows["time_unit"].iloc[0]] if buyers.any() else 1.0
        x, t_x, age, m = (rows[c].to_numpy(dtype=float) for c in ("frequency", "recency", "age", "monetary_value"))
        return cls(
            buyers=buyers,
            arrays=_BuyerArrays.of(x, t_x, age) if buyers.any() else None,
            m=m,
            margin=rows["margin_ratio"].to_numpy(dtype=float),
            sample_mean=clv.sample_mean_order_value(x, m),
            horizon=horizon_days / unit,
            step=DAYS_PER_MONTH / unit,
            discount_per_step=(1 + annual_discount_rate) ** (1 / 12) - 1,
        )

    def quantities(
        self, model: str | None, value_model: str, purchase: dict | None, gamma_gamma: dict | None
    ) -> dict[str, np.ndarray]:
        """The buyers' expected purchases, P(alive), expected order value and predicted CLV under the
        purchase model `model` (None: the historical rate) with parameters `purchase` and the order
        value model `value_model` (gamma_gamma with parameters `gamma_gamma`, shrunk_mean or historical)."""
        arrays = self.arrays
        x = arrays.x
        if model is not None:
            alive_triples = arrays.probability_alive(model, purchase)
            cumulative = arrays.cumulative(model, purchase, alive_triples)
            alive = alive_triples[arrays.triple_of]
        else:
            rate = clv.historical_purchase_rate(x, arrays.age)
            cumulative = lambda t: rate * t  # noqa: E731
            alive = np.full(x.shape, np.nan)
        if value_model == "gamma_gamma":
            value = clv.expected_order_value(gamma_gamma, x, self.m)
        elif value_model == "shrunk_mean":
            value = clv.shrunk_order_value(x, self.m, self.sample_mean)
        else:
            value = clv.historical_order_value(x, self.m, self.sample_mean)
        return {
            "expected_purchases": cumulative(self.horizon),
            "probability_alive": alive,
            "expected_order_value": value,
            "predicted_clv": clv.discounted_clv(
                cumulative,
                value,
                self.margin,
                horizon=self.horizon,
                step=self.step,
                discount_per_step=self.discount_per_step,
            ),
        }


def _value_model(params: pd.DataFrame) -> str:
    """The order value model: gamma_gamma when selected, shrunk_mean when it converged with q on its
    bound 1, else historical."""
    gamma_gamma = params[params["model"] == "gamma_gamma"]
    if gamma_gamma["is_selected"].astype(bool).any():
        return "gamma_gamma"
    if gamma_gamma["is_converged"].astype(bool).any():  # q on its bound 1
        return "shrunk_mean"
    return HISTORICAL


def predictions(
    summary: pd.DataFrame,
    params: pd.DataFrame,
    horizon_days: float,
    annual_discount_rate: float,
    prepared: _Prepared | None = None,
) -> pd.DataFrame:
    """Per customer: expected purchases over the horizon, P(alive), expected order value and the
    discounted, margin-based predicted CLV, from the models clv_model_params marks is_selected (see
    the module docstring for the fallbacks). Customers without a purchase by the calibration end get
    0 expected purchases and 0 CLV, and no P(alive) or model. `prepared`: _Prepared.of(summary,
    horizon_days, annual_discount_rate), when the caller has it already."""
    if prepared is None:
        prepared = _Prepared.of(summary, horizon_days, annual_discount_rate)
    buyers = prepared.buyers
    out = pd.DataFrame({"customer_id": summary["customer_id"].to_numpy()})
    out["is_modelled"] = False
    out["purchase_model"] = None
    out["order_value_model"] = None
    out["expected_purchases"] = 0.0
    out["probability_alive"] = np.nan
    out["expected_order_value"] = np.nan
    out["predicted_clv"] = 0.0
    out["horizon_days"] = float(horizon_days)
    if buyers.any():
        model = _selected_purchase_model(params)
        value_model = _value_model(params)
        found = prepared.quantities(
            model,
            value_model,
            _params_of(params, model) if model is not None else None,
            _params_of(params, "gamma_gamma") if value_model == "gamma_gamma" else None,
        )
        out.loc[buyers, "purchase_model"] = model or HISTORICAL
        out.loc[buyers, "order_value_model"] = value_model
        out.loc[buyers, "is_modelled"] = model is not None and value_model != HISTORICAL
        for column, values in found.items():
            out.loc[buyers, column] = values
    return _typed(out, PREDICTION_COLUMNS)


def holdout_validation(summary: pd.DataFrame, params: pd.DataFrame, max_bucket: int) -> pd.DataFrame:
    """Predicted vs actual purchases in the holdout (the data after the calibration end), for every
    converged purchase model and the historical rate (x / T times the holdout length), by calibration
    frequency bucket (0, 1, …, `max_bucket`+) and in total (is_total). is_selected marks the rows of
    the estimate clv_predictions uses. Empty without a holdout."""
    buyers = _buyers(summary)
    if buyers.empty or not (buyers["holdout_length"].iloc[0] > 0):
        return _typed([], HOLDOUT_COLUMNS)
    length = float(buyers["holdout_length"].iloc[0])
    x, t_x, age = (buyers[c].to_numpy(dtype=float) for c in ("frequency", "recency", "age"))
    selected = _selected_purchase_model(params)
    models = [name for name in clv.PURCHASE_MODELS if _params_of(params, name) is not None] + [HISTORICAL]
    tables = []
    for model in models:
        frame = pd.DataFrame(
            {
                "bucket_order": np.minimum(x.astype(int), max_bucket),
                "actual_purchases": buyers["holdout_purchases"].to_numpy(dtype=float),
                "predicted_purchases": _cumulative_purchases(model, params, x, t_x, age)(length),
            }
        )
        grouped = frame.groupby("bucket_order", as_index=False).agg(
            customers=("actual_purchases", "size"),
            actual_purchases=("actual_purchases", "sum"),
            predicted_purchases=("predicted_purchases", "sum"),
        )
        grouped["frequency_bucket"] = grouped["bucket_order"].map(lambda b: f"{b}+" if b == max_bucket else str(b))
        grouped["is_total"] = False
        total = pd.DataFrame(
            [
                {
                    "frequency_bucket": "total",
                    "bucket_order": max_bucket + 1,
                    "is_total": True,
                    "customers": len(frame),
                    "actual_purchases": frame["actual_purchases"].sum(),
                    "predicted_purchases": frame["predicted_purchases"].sum(),
                }
            ]
        )
        table = pd.concat([grouped, total], ignore_index=True)
        table["model"] = model
        table["is_selected"] = model == (selected or HISTORICAL)
        tables.append(table)
    out = pd.concat(tables, ignore_index=True)
    out["actual_per_customer"] = out["actual_purchases"] / out["customers"]
    out["predicted_per_customer"] = out["predicted_purchases"] / out["customers"]
    out["holdout_length"] = length
    return _typed(out[list(HOLDOUT_COLUMNS)], HOLDOUT_COLUMNS)


def alive_by_state(states: pd.DataFrame, params: pd.DataFrame) -> pd.DataFrame:
    """P(alive | x, t_x, T) of each purchase state (frequency, recency, age in the CLV time unit)
    under the purchase model clv_model_params selects — the same function clv_predictions uses, so
    churn by model (mart_churn) and mart_customer_value agree. No selected model: null P(alive)."""
    out = states[["frequency", "recency", "age"]].astype(float).reset_index(drop=True)
    model = _selected_purchase_model(params)
    out["purchase_model"] = model
    if model is None or out.empty:
        out["probability_alive"] = np.nan
    else:
        x, t_x, age = (out[c].to_numpy(dtype=float) for c in ("frequency", "recency", "age"))
        out["probability_alive"] = clv.PURCHASE_MODELS[model].probability_alive(_params_of(params, model), x, t_x, age)
    return _typed(out, ALIVE_COLUMNS)
