"""The CLV maths: parameter recovery on data simulated from the models, and the predictions."""

from __future__ import annotations

import numpy as np
import pytest

from journey_metrics import clv

# CDNOW estimates (Fader, Hardie & Lee 2005; Fader & Hardie 2013), in weeks
BG_NBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "gamma": 15.44}


@pytest.fixture(scope="module")
def simulated():
    customers = 30_000
    ages = np.random.default_rng(7).uniform(20, 78, customers)
    return clv.simulate_bg_nbd(customers, BG_NBD, T=ages, seed=11)


def test_bg_nbd_recovers_known_parameters(simulated):
    fit = clv.fit_bg_nbd(simulated["frequency"], simulated["recency"], simulated["T"])
    assert fit.converged
    for name, true in BG_NBD.items():
        assert fit.params[name] == pytest.approx(true, rel=0.15), name
    assert fit.customers == len(simulated)


def test_gamma_gamma_recovers_known_parameters():
    frequency = np.random.default_rng(3).integers(1, 12, 40_000)
    values = clv.simulate_gamma_gamma(frequency, GAMMA_GAMMA, seed=5)
    fit = clv.fit_gamma_gamma(frequency, values)
    for name, true in GAMMA_GAMMA.items():
        assert fit.params[name] == pytest.approx(true, rel=0.15), name
    # the model's implied mean order value matches the data's
    assert np.mean(clv.expected_order_value(fit.params, frequency, values)) == pytest.approx(np.mean(values), rel=0.05)


def test_expected_purchases_match_simulated_holdout():
    """E[X(t) | x, t_x, T] against what customers simulated with the true parameters really do next."""
    customers, calibration, holdout = 60_000, 39.0, 39.0
    calib = clv.simulate_bg_nbd(customers, BG_NBD, T=calibration, seed=21, holdout=holdout)
    actual_holdout = calib["holdout_frequency"]
    predicted = clv.expected_purchases(BG_NBD, holdout, calib["frequency"], calib["recency"], calib["T"])
    assert predicted.sum() == pytest.approx(actual_holdout.sum(), rel=0.05)
    for low, high in [(0, 0), (1, 2), (3, 100)]:
        group = (calib["frequency"] >= low) & (calib["frequency"] <= high)
        assert predicted[group].mean() == pytest.approx(actual_holdout[group].mean(), rel=0.12), (low, high)


def test_probability_alive_edge_cases():
    x = np.array([0, 1, 5, 5])
    t_x = np.array([0, 10, 30, 5])
    T = np.array([40, 40, 40, 40])
    alive = clv.probability_alive(BG_NBD, x, t_x, T)
    assert alive[0] == 1.0  # no repeat purchase: never seen to drop out
    assert 0 < alive[3] < alive[2] < 1  # long silence after a busy start: less likely alive


def test_clv_is_finite_for_every_kind_of_customer():
    x = np.array([0, 0, 1, 40, 200])
    t_x = np.array([0, 0, 3, 38, 39])
    T = np.array([0, 39, 39, 39, 39])
    m = np.array([np.nan, np.nan, 20.0, 35.0, 1e6])
    value = clv.discounted_clv(BG_NBD, GAMMA_GAMMA, x, t_x, T, m, margin_ratio=0.4,
                               horizon=52, step=52 / 12, discount_per_step=0.008)
    assert np.isfinite(value).all()
    assert (value >= 0).all()
    assert value[4] > value[3] > value[2]


def test_discounting_lowers_value():
    args = (BG_NBD, GAMMA_GAMMA, np.array([3]), np.array([20.0]), np.array([30.0]), np.array([40.0]), 0.5)
    undiscounted = clv.discounted_clv(*args, horizon=52, step=4, discount_per_step=0.0)
    discounted = clv.discounted_clv(*args, horizon=52, step=4, discount_per_step=0.01)
    expected = clv.expected_purchases(BG_NBD, 52, *args[2:5]) * clv.expected_order_value(GAMMA_GAMMA, 3, 40.0) * 0.5
    assert undiscounted[0] == pytest.approx(expected[0], rel=1e-9)
    assert discounted[0] < undiscounted[0]
