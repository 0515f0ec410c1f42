"""The CLV tables (journey_metrics.clv_tables) on summaries with a known answer: customers simulated
from a model, hand-made degenerate summaries, and worked fallback numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from journey_metrics import clv, clv_tables

# day-grain parameters close to the demo's fit (MBG/NBD: one-time buyers drop out too)
MBG_NBD_DAYS = {"r": 0.7, "alpha": 25.0, "a": 0.6, "b": 4.0}
GAMMA_GAMMA = {"p": 6.0, "q": 4.0, "gamma": 75.0}
HORIZON_DAYS, DISCOUNT = 365.0, 0.10


def summary_of(
    frequency,
    recency,
    age,
    monetary_value,
    holdout_purchases=None,
    holdout_length=0.0,
    margin_ratio=0.4,
    has_purchased=None,
) -> pd.DataFrame:
    """A summary shaped like int_customer_clv_summary (day grain)."""
    frequency = np.asarray(frequency, dtype=float)
    n = frequency.size
    return pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(n)],
            "has_purchased": np.ones(n, dtype=bool) if has_purchased is None else np.asarray(has_purchased),
            "frequency": frequency,
            "recency": np.asarray(recency, dtype=float),
            "age": np.asarray(age, dtype=float),
            "monetary_value": np.asarray(monetary_value, dtype=float),
            "margin_ratio": margin_ratio,
            "holdout_purchases": np.zeros(n) if holdout_purchases is None else np.asarray(holdout_purchases),
            "holdout_length": holdout_length,
            "calibration_end": pd.Timestamp("2025-06-30"),
            "time_unit": "day",
        }
    )


@pytest.fixture(scope="module")
def mbg_summary():
    """8,000 customers simulated from MBG/NBD, first purchases up to two years before the calibration
    end, followed for 180 days of holdout."""
    customers = 8_000
    ages = np.floor(np.random.default_rng(1).uniform(30, 730, customers))
    sim = clv.simulate_mbg_nbd(customers, MBG_NBD_DAYS, T=ages, seed=2, holdout=180.0)
    values = clv.simulate_gamma_gamma(sim["frequency"], GAMMA_GAMMA, seed=3)
    return summary_of(sim["frequency"], sim["recency"], sim["T"], values, sim["holdout_frequency"], 180.0)


@pytest.fixture(scope="module")
def mbg_params(mbg_summary):
    return clv_tables.model_params(mbg_summary, min_customers=20)


def _value(params, model, parameter):
    row = params[(params["model"] == model) & (params["parameter"] == parameter)]
    return float(row["value"].iloc[0])


# ------------------------------------------------------------------------------ clv_model_params
def test_model_params_keeps_every_model_in_long_format(mbg_params, mbg_summary):
    names = {
        "bg_nbd": clv.BG_NBD_PARAMETERS,
        "mbg_nbd": clv.MBG_NBD_PARAMETERS,
        "pareto_nbd": clv.PARETO_NBD_PARAMETERS,
        "gamma_gamma": clv.GAMMA_GAMMA_PARAMETERS,
    }
    expected = {(model, parameter) for model, parameters in names.items() for parameter in parameters}
    assert set(zip(mbg_params["model"], mbg_params["parameter"], strict=True)) == expected and len(mbg_params) == 15
    assert list(mbg_params.columns) == list(clv_tables.PARAMS_COLUMNS)
    assert mbg_params["is_converged"].all()
    for model, rows in mbg_params.groupby("model"):
        k, n, ll = len(rows), rows["customers"].iloc[0], rows["log_likelihood"].iloc[0]
        assert rows["bic"].iloc[0] == pytest.approx(k * np.log(n) - 2 * ll, rel=1e-12), model
    assert (mbg_params.loc[mbg_params["model"] != "gamma_gamma", "customers"] == len(mbg_summary)).all()


def test_auto_selects_the_generating_model_and_gamma_gamma_is_used(mbg_params):
    selected = mbg_params[mbg_params["is_selected"]].groupby("model").size()
    assert dict(selected) == {"mbg_nbd": 4, "gamma_gamma": 3}
    purchase = mbg_params[mbg_params["model"] != "gamma_gamma"].groupby("model")["bic"].first()
    assert purchase.idxmin() == "mbg_nbd"
    notes = mbg_params.groupby("model")["note"].first()
    assert "lowest BIC" in notes["mbg_nbd"] and "not selected: BIC +" in notes["bg_nbd"]
    assert _value(mbg_params, "mbg_nbd", "b") == pytest.approx(MBG_NBD_DAYS["b"], rel=0.25)


@pytest.mark.parametrize("choice", ["bg_nbd", "pareto_nbd"])
def test_var_clv_model_chooses_the_purchase_model(mbg_summary, mbg_params, choice):
    params = clv_tables.model_params(mbg_summary, min_customers=20, model=choice)
    assert set(params.loc[params["is_selected"], "model"]) == {choice, "gamma_gamma"}
    # the fits do not depend on the choice
    assert params["value"].to_numpy() == pytest.approx(mbg_params["value"].to_numpy(), rel=1e-9)
    predicted = clv_tables.predictions(mbg_summary.head(50), params, HORIZON_DAYS, DISCOUNT)
    assert (predicted["purchase_model"] == choice).all()


def test_an_unknown_clv_model_is_an_error(mbg_summary):
    with pytest.raises(ValueError, match="clv_model"):
        clv_tables.model_params(mbg_summary.head(100), min_customers=20, model="nbd")


# ------------------------------------------------------------------------------ clv_predictions
def test_predictions_use_the_selected_models(mbg_summary, mbg_params):
    predicted = clv_tables.predictions(mbg_summary, mbg_params, HORIZON_DAYS, DISCOUNT)
    assert list(predicted.columns) == list(clv_tables.PREDICTION_COLUMNS)
    assert predicted["is_modelled"].all()
    assert (predicted["purchase_model"] == "mbg_nbd").all() and (predicted["order_value_model"] == "gamma_gamma").all()
    mbg = {p: _value(mbg_params, "mbg_nbd", p) for p in clv.MBG_NBD_PARAMETERS}
    gg = {p: _value(mbg_params, "gamma_gamma", p) for p in clv.GAMMA_GAMMA_PARAMETERS}
    x, t_x, T, m = (mbg_summary[c].to_numpy() for c in ("frequency", "recency", "age", "monetary_value"))
    r, alpha, a, b = mbg.values()
    by_hand = 1 / (1 + a / (b + x) * ((alpha + T) / (alpha + t_x)) ** (r + x))
    assert predicted["probability_alive"].to_numpy() == pytest.approx(by_hand, rel=1e-9)
    p, q, gamma = gg.values()
    assert predicted["expected_order_value"].to_numpy() == pytest.approx(
        p * (gamma + x * np.nan_to_num(m)) / (p * x + q - 1), rel=1e-12
    )
    assert (predicted["expected_order_value"] > 0).all() and (predicted["predicted_clv"] >= 0).all()


def test_one_time_buyers_are_less_alive_the_longer_ago_they_bought(mbg_summary, mbg_params):
    predicted = clv_tables.predictions(mbg_summary, mbg_params, HORIZON_DAYS, DISCOUNT)
    one_time = mbg_summary.assign(alive=predicted["probability_alive"])[mbg_summary["frequency"] == 0]
    by_age = one_time.sort_values("age")
    assert (np.diff(by_age["alive"].to_numpy()) <= 1e-15).all()
    assert by_age["alive"].iloc[-1] < 0.5 < by_age["alive"].iloc[0]


def test_non_buyers_get_zero_and_no_model():
    summary = summary_of([2, np.nan], [20, np.nan], [100, np.nan], [30, np.nan], has_purchased=[True, False])
    predicted = clv_tables.predictions(summary, clv_tables.model_params(summary, 20), HORIZON_DAYS, DISCOUNT)
    non_buyer = predicted.iloc[1]
    assert not non_buyer["is_modelled"] and pd.isna(non_buyer["purchase_model"])
    assert non_buyer["expected_purchases"] == 0 and non_buyer["predicted_clv"] == 0
    assert pd.isna(non_buyer["probability_alive"]) and pd.isna(non_buyer["expected_order_value"])


# ------------------------------------------------------------------------------ degenerate inputs
def _month_discount(k: int) -> float:
    return (1 + DISCOUNT) ** (-k / 12)


def test_a_single_customer_gets_the_historical_estimate():
    """x = 2 repeat purchases in 100 days at 30 each, margin 0.5: 0.02 purchases a day for 365 days
    (7.3), order value 30, CLV = 0.02 * 30.4375 days * 30 * 0.5 a month, discounted monthly."""
    summary = summary_of([2], [60], [100], [30.0], margin_ratio=0.5)
    params = clv_tables.model_params(summary, min_customers=20)
    assert len(params) == 15 and not params["is_converged"].any() and not params["is_selected"].any()
    assert params["value"].isna().all() and params["bic"].isna().all()
    assert params["note"].str.contains("fewer than var clv_min_customers").all()
    predicted = clv_tables.predictions(summary, params, HORIZON_DAYS, DISCOUNT).iloc[0]
    assert not predicted["is_modelled"]
    assert predicted["purchase_model"] == "historical" and predicted["order_value_model"] == "historical"
    assert pd.isna(predicted["probability_alive"])
    assert predicted["expected_purchases"] == pytest.approx(7.3)
    assert predicted["expected_order_value"] == 30.0
    month = clv_tables.DAYS_PER_MONTH
    steps = [min(k * month, 365) - min((k - 1) * month, 365) for k in range(1, 13)]
    by_hand = sum(0.02 * days * 30 * 0.5 * _month_discount(k) for k, days in enumerate(steps, start=1))
    assert predicted["predicted_clv"] == pytest.approx(by_hand, rel=1e-12)


def test_no_repeat_buyers_at_all():
    summary = summary_of([0] * 30, [0] * 30, np.arange(30) * 10.0, [np.nan] * 30)
    params = clv_tables.model_params(summary, min_customers=20)
    purchase = params[params["model"] != "gamma_gamma"]
    assert not purchase["is_converged"].any() and purchase["note"].str.contains("no repeat purchases").all()
    assert purchase["customers"].eq(30).all()
    assert params.loc[params["model"] == "gamma_gamma", "note"].str.contains("0 repeat buyers").all()
    predicted = clv_tables.predictions(summary, params, HORIZON_DAYS, DISCOUNT)
    assert (predicted["expected_purchases"] == 0).all() and (predicted["predicted_clv"] == 0).all()
    assert predicted["expected_order_value"].isna().all()  # no order value to go by
    assert not predicted["is_modelled"].any()


def test_zero_value_orders():
    """Repeat orders all worth 0: the purchase models fit, Gamma-Gamma cannot (no positive value),
    and the expected order value falls back to each customer's own mean: 0, so CLV 0."""
    sim = clv.simulate_mbg_nbd(400, MBG_NBD_DAYS, T=np.floor(np.linspace(30, 700, 400)), seed=4)
    values = np.where(sim["frequency"] > 0, 0.0, np.nan)
    summary = summary_of(sim["frequency"], sim["recency"], sim["T"], values)
    params = clv_tables.model_params(summary, min_customers=20)
    gamma_gamma = params[params["model"] == "gamma_gamma"]
    assert not gamma_gamma["is_converged"].any() and not gamma_gamma["is_selected"].any()
    assert gamma_gamma["note"].str.contains("positive order value").all()
    assert params.loc[params["model"] != "gamma_gamma", "is_converged"].all()
    predicted = clv_tables.predictions(summary, params, HORIZON_DAYS, DISCOUNT)
    assert (predicted["order_value_model"] == "historical").all() and not predicted["is_modelled"].any()
    assert (predicted["expected_order_value"] == 0).all() and (predicted["predicted_clv"] == 0).all()
    assert (predicted["expected_purchases"] > 0).all()  # still from the fitted purchase model


@pytest.mark.parametrize(
    "summary",
    [
        summary_of([], [], [], []),  # no customers at all
        summary_of([np.nan] * 3, [np.nan] * 3, [np.nan] * 3, [np.nan] * 3, has_purchased=[False] * 3),  # no orders
    ],
)
def test_no_orders(summary):
    params = clv_tables.model_params(summary, min_customers=20)
    assert len(params) == 15 and not params["is_converged"].any()
    assert params.loc[params["model"] != "gamma_gamma", "note"].str.contains("no customers with a purchase").all()
    predicted = clv_tables.predictions(summary, params, HORIZON_DAYS, DISCOUNT)
    assert len(predicted) == len(summary) and (predicted["predicted_clv"] == 0).all()
    assert clv_tables.holdout_validation(summary, params, max_bucket=7).empty


def test_gamma_gamma_on_its_bound_shrinks_towards_the_sample_mean():
    """Spend with q = 0.8 (heavy tail): Gamma-Gamma converges on q = 1, is not used, and every
    expected order value is x / (x + 1) m_x + 1 / (x + 1) * sample mean, never negative."""
    sim = clv.simulate_mbg_nbd(3_000, MBG_NBD_DAYS, T=np.floor(np.linspace(30, 700, 3_000)), seed=5)
    values = clv.simulate_gamma_gamma(sim["frequency"], {"p": 2.0, "q": 0.8, "gamma": 40.0}, seed=6)
    summary = summary_of(sim["frequency"], sim["recency"], sim["T"], values)
    params = clv_tables.model_params(summary, min_customers=20)
    gamma_gamma = params[params["model"] == "gamma_gamma"]
    assert gamma_gamma["is_converged"].all() and not gamma_gamma["is_selected"].any()
    assert gamma_gamma["note"].str.contains("q at its bound 1").all()
    assert _value(params, "gamma_gamma", "q") > 1
    predicted = clv_tables.predictions(summary, params, HORIZON_DAYS, DISCOUNT)
    assert (predicted["order_value_model"] == "shrunk_mean").all() and predicted["is_modelled"].all()
    x, m = summary["frequency"].to_numpy(), summary["monetary_value"].to_numpy()
    repeat = x > 0
    sample_mean = np.sum(x[repeat] * m[repeat]) / np.sum(x[repeat])
    by_hand = np.where(repeat, x / (x + 1) * np.nan_to_num(m) + 1 / (x + 1) * sample_mean, sample_mean)
    assert predicted["expected_order_value"].to_numpy() == pytest.approx(by_hand, rel=1e-12)
    assert (predicted["expected_order_value"] > 0).all() and (predicted["predicted_clv"] >= 0).all()


# ------------------------------------------------------------------------------ clv_holdout_validation
def test_holdout_validation_compares_every_model_and_marks_the_total(mbg_summary, mbg_params):
    table = clv_tables.holdout_validation(mbg_summary, mbg_params, max_bucket=7)
    assert list(table.columns) == list(clv_tables.HOLDOUT_COLUMNS)
    assert set(table["model"]) == {"bg_nbd", "mbg_nbd", "pareto_nbd", "historical"}
    assert not table.duplicated(["model", "frequency_bucket"]).any()
    assert set(table.loc[table["is_selected"], "model"]) == {"mbg_nbd"}
    actual_total = mbg_summary["holdout_purchases"].sum()
    for _model, rows in table.groupby("model"):
        total = rows[rows["is_total"]]
        assert len(total) == 1 and total["frequency_bucket"].iloc[0] == "total"
        buckets = rows[~rows["is_total"]]
        # a sum() over the buckets, total row left out, gives the total once
        assert buckets["actual_purchases"].sum() == total["actual_purchases"].iloc[0] == actual_total
        assert buckets["predicted_purchases"].sum() == pytest.approx(total["predicted_purchases"].iloc[0])
        assert buckets["customers"].sum() == total["customers"].iloc[0] == len(mbg_summary)
    totals = table[table["is_total"]].set_index("model")["predicted_purchases"]
    # the generating model predicts the holdout; the historical rate, blind to drop-out, overshoots
    assert totals["mbg_nbd"] == pytest.approx(actual_total, rel=0.05)
    assert totals["historical"] > 1.2 * actual_total


def test_holdout_validation_without_a_model_shows_the_historical_rate():
    summary = summary_of([2, 0], [50, 0], [100, 80], [30.0, np.nan], holdout_purchases=[1, 0], holdout_length=50.0)
    table = clv_tables.holdout_validation(summary, clv_tables.model_params(summary, 20), max_bucket=7)
    assert set(table["model"]) == {"historical"} and table["is_selected"].all()
    total = table[table["is_total"]].iloc[0]
    assert total["predicted_purchases"] == pytest.approx(2 / 100 * 50)
    assert total["actual_purchases"] == 1


# ------------------------------------------------------------------------------ through dbt
def test_a_single_customer_builds_through_dbt(tmp_path):
    """One customer, three completed orders (2025-01-01: 50, 03-01: 70, 05-01: 90; cost 20, 30, 40): the
    CLV models and their data tests build; no model is fitted (1 buyer < clv_min_customers) and the
    prediction is the historical one: x = 2 in T = 120 days, 2 / 120 * 365 purchases, order value 80
    (mean of the repeat days), margin ratio 120 / 210."""
    from helpers import query, run_dbt, write_tables

    orders = [
        {
            "order_id": f"O{i}",
            "customer_id": "C1",
            "ordered_at": f"2025-{month}-01T12:00:00Z",
            "revenue": revenue,
            "cost_of_goods": cost,
            "status": "completed",
        }
        for i, (month, revenue, cost) in enumerate([("01", 50, 20), ("03", 70, 30), ("05", 90, 40)])
    ]
    raw = tmp_path / "raw"
    write_tables(
        raw,
        {
            "customers": [
                {
                    "customer_id": "C1",
                    "created_at": "2024-12-20T00:00:00Z",
                    "country": "DE",
                    "acquisition_channel": "email",
                }
            ],
            "orders": orders,
        },
    )
    db = tmp_path / "w.duckdb"
    result = run_dbt(
        ["build", "--select", "+clv_predictions", "+clv_holdout_validation", "--indirect-selection", "cautious"],
        raw,
        db,
        tmp_path,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    params = query(
        db,
        "select model, count(*), bool_or(is_converged), bool_or(is_selected), min(note) "
        "from clv_model_params group by model order by model",
    )
    assert [row[:4] for row in params] == [
        ("bg_nbd", 4, False, False),
        ("gamma_gamma", 3, False, False),
        ("mbg_nbd", 4, False, False),
        ("pareto_nbd", 4, False, False),
    ]
    assert all("fewer than var clv_min_customers" in row[4] for row in params)
    (row,) = query(
        db,
        "select is_modelled, purchase_model, order_value_model, expected_purchases, probability_alive, "
        "expected_order_value, predicted_clv from clv_predictions",
    )
    assert row[:3] == (False, "historical", "historical")
    assert row[3] == pytest.approx(2 / 120 * 365) and row[4] is None and row[5] == pytest.approx(80.0)
    expected_clv = clv.discounted_clv(
        lambda t: np.array([2 / 120 * t]),
        np.array([80.0]),
        120 / 210,
        horizon=365,
        step=clv_tables.DAYS_PER_MONTH,
        discount_per_step=(1 + DISCOUNT) ** (1 / 12) - 1,
    )[0]
    assert row[6] == pytest.approx(expected_clv, rel=1e-9)


def test_alive_by_state_scores_states_with_the_selected_model():
    """mart_churn's unit test (models/marts/value/_value.yml) gives these P(alive) values: BG/NBD with
    r = 1, alpha = 10, a = 1, b = 1 is 1 / (1 + ((10 + T) / (10 + t_x))^(1 + x) / x), 1 for x = 0."""
    states = pd.DataFrame(
        {
            "frequency": [1, 1, 1, 1, 1, 0, 0, 1, 1, 2],
            "recency": [10, 10, 10, 10, 10, 0, 0, 56, 56, 147],
            "age": [21, 50, 81, 111, 142, 26, 55, 86, 116, 147],
        }
    )
    rows = [("bg_nbd", name, value) for name, value in {"r": 1.0, "alpha": 10.0, "a": 1.0, "b": 1.0}.items()]
    params = pd.DataFrame(rows, columns=["model", "parameter", "value"]).assign(is_converged=True, is_selected=True)
    scored = clv_tables.alive_by_state(states, params)
    assert list(scored["purchase_model"]) == ["bg_nbd"] * len(states)
    assert list(scored["probability_alive"].round(3)) == [
        0.294,
        0.1,
        0.046,
        0.027,
        0.017,
        1.0,
        1.0,
        0.321,
        0.215,
        0.667,
    ]
    # MBG/NBD with the same parameters lets a one-time buyer (x = 0) die, the more the older
    params["model"] = "mbg_nbd"
    one_time = clv_tables.alive_by_state(
        pd.DataFrame({"frequency": [0.0, 0.0], "recency": [0.0, 0.0], "age": [26.0, 55.0]}), params
    )["probability_alive"]
    expected = [1 / (1 + 1 / (1 + 0) * ((10 + age) / 10) ** 1) for age in (26, 55)]
    assert list(one_time) == pytest.approx(expected)
    assert one_time.iloc[1] < one_time.iloc[0] < 1
    # no selected purchase model: no P(alive)
    params["is_selected"] = False
    assert clv_tables.alive_by_state(states, params)["probability_alive"].isna().all()


def test_model_params_do_not_depend_on_the_order_of_the_rows(mbg_summary, mbg_params):
    """Spark's toPandas and DuckDB hand the same customers in different orders: the fits must be the same
    to the last bit (model_params fits on the customers sorted by customer_id)."""
    shuffled = mbg_summary.sample(frac=1.0, random_state=11).reset_index(drop=True)
    again = clv_tables.model_params(shuffled, min_customers=20)
    pd.testing.assert_frame_equal(again, mbg_params, check_exact=True)
