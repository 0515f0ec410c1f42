"""The CLV maths: parameter recovery on data simulated from each model, the likelihoods against
independent numerical integration, P(alive) and expected purchases against simulated truth, the
Gamma-Gamma constraint, and fits on degenerate inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special, stats

from journey_metrics import clv, clv_tables

# CDNOW estimates, in weeks: BG/NBD and Pareto/NBD (Fader, Hardie & Lee 2005), Gamma-Gamma (Fader &
# Hardie 2013), MBG/NBD (the same data fitted by MBG/NBD; the values lifetimes documents for it).
BG_NBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
MBG_NBD = {"r": 0.525, "alpha": 6.183, "a": 0.891, "b": 1.614}
PARETO_NBD = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "gamma": 15.44}

SIMULATORS = {
    "bg_nbd": (clv.simulate_bg_nbd, BG_NBD),
    "mbg_nbd": (clv.simulate_mbg_nbd, MBG_NBD),
    "pareto_nbd": (clv.simulate_pareto_nbd, PARETO_NBD),
}


@pytest.fixture(scope="module")
def simulated():
    """30,000 customers of each purchase model, observed 39 to 117 weeks (one to three CDNOW
    calibration periods) after their first purchase."""
    customers = 30_000
    ages = np.random.default_rng(7).uniform(39, 117, customers)
    return {name: simulate(customers, params, T=ages, seed=11) for name, (simulate, params) in SIMULATORS.items()}


# ------------------------------------------------------------------------------ parameter recovery
@pytest.mark.parametrize("model", list(SIMULATORS))
def test_each_purchase_model_recovers_its_parameters(simulated, model):
    data = simulated[model]
    fit = clv.fit_purchase_model(model, data["frequency"], data["recency"], data["T"])
    assert fit.converged and fit.note is None
    assert fit.customers == len(data)
    for name, true in SIMULATORS[model][1].items():
        assert fit.params[name] == pytest.approx(true, rel=0.15), name


def test_bg_nbd_recovers_known_parameters_at_cdnow_ages():
    """The original check: CDNOW's BG/NBD parameters and its 20-78 week ages."""
    ages = np.random.default_rng(7).uniform(20, 78, 30_000)
    data = clv.simulate_bg_nbd(30_000, BG_NBD, T=ages, seed=11)
    fit = clv.fit_bg_nbd(data["frequency"], data["recency"], data["T"])
    assert fit.converged
    for name, true in BG_NBD.items():
        assert fit.params[name] == pytest.approx(true, rel=0.15), name


def _all_fits(data):
    return {
        name: clv.fit_purchase_model(name, data["frequency"], data["recency"], data["T"])
        for name in clv.PURCHASE_MODELS
    }


@pytest.mark.parametrize("model", ["bg_nbd", "mbg_nbd"])
def test_bic_selects_the_model_that_generated_the_data(simulated, model):
    fits = _all_fits(simulated[model])
    assert clv.select_purchase_model(fits, "auto") == model
    # BIC = k ln(n) - 2 LL, four parameters each
    fit = fits[model]
    assert fit.bic == pytest.approx(4 * np.log(30_000) - 2 * fit.log_likelihood, rel=1e-12)


def test_bic_on_pareto_nbd_data_rules_out_bg_nbd(simulated):
    """On Pareto/NBD data MBG/NBD fits as well (both let every customer drop out, one-time buyers
    included): their BICs lie within 2 (no evidence either way), BG/NBD's far above."""
    bic = {name: fit.bic for name, fit in _all_fits(simulated["pareto_nbd"]).items()}
    assert abs(bic["pareto_nbd"] - bic["mbg_nbd"]) < 2
    assert bic["bg_nbd"] - bic["pareto_nbd"] > 100


def test_select_purchase_model_rules():
    def fit(bic_ll, converged=True):
        return clv.FitResult({"r": 1.0, "alpha": 1.0, "a": 1.0, "b": 1.0}, bic_ll, 100, converged)

    fits = {"bg_nbd": fit(-500.0), "mbg_nbd": fit(-490.0), "pareto_nbd": fit(-480.0, converged=False)}
    assert clv.select_purchase_model(fits, "auto") == "mbg_nbd"  # highest LL, same k: lowest BIC
    assert clv.select_purchase_model(fits, "bg_nbd") == "bg_nbd"
    assert clv.select_purchase_model(fits, "pareto_nbd") is None  # asked for, did not converge
    assert clv.select_purchase_model({k: fit(np.nan, False) for k in fits}, "auto") is None
    with pytest.raises(ValueError, match="clv_model"):
        clv.select_purchase_model(fits, "bgnbd")


# ------------------------------------------------------------------------------ likelihoods
def _pareto_nbd_brute_force(params, x, t_x, T) -> float:
    """log of the Pareto/NBD likelihood by 2-D quadrature of the individual likelihood (FH 2005 note,
    eq. 3) over lambda ~ Gamma(r, alpha) and mu ~ Gamma(s, beta), in log lambda and log mu."""
    r, alpha, s, beta = params
    log_norm = r * math.log(alpha) - math.lgamma(r) + s * math.log(beta) - math.lgamma(s)

    def integrand(v, u):  # u = ln lambda, v = ln mu: the Gamma densities times the Jacobian lambda mu
        lam, mu = math.exp(u), math.exp(v)
        individual = lam**x * math.exp(-(lam + mu) * T) + mu * lam**x / (lam + mu) * (
            math.exp(-(lam + mu) * t_x) - math.exp(-(lam + mu) * T)
        )
        return individual * math.exp(log_norm + r * u - alpha * lam + s * v - beta * mu)

    lam_range = np.log(stats.gamma.ppf([1e-12, 1 - 1e-12], r, scale=1 / alpha))
    mu_range = np.log(stats.gamma.ppf([1e-12, 1 - 1e-12], s, scale=1 / beta))
    value, _ = integrate.dblquad(integrand, *lam_range, *mu_range, epsabs=0, epsrel=1e-10)
    return float(np.log(value))


@pytest.mark.parametrize(
    "params, x, t_x, T",
    [
        ((0.553, 10.578, 0.606, 11.669), 0, 0.0, 38.86),
        ((0.553, 10.578, 0.606, 11.669), 2, 30.43, 38.86),
        ((0.553, 10.578, 0.606, 11.669), 7, 5.0, 38.0),
        ((2.0, 3.0, 0.5, 60.0), 4, 10.0, 39.0),  # alpha < beta
        ((1.5, 400.0, 2.0, 3.0), 3, 100.0, 700.0),  # alpha >> beta, days
        ((5.0, 2000.0, 8.0, 50000.0), 6, 300.0, 700.0),  # large alpha and beta
    ],
)
def test_pareto_nbd_likelihood_matches_brute_force_integration(params, x, t_x, T):
    ours = clv.pareto_nbd_log_likelihood(params, np.array([x]), np.array([t_x]), np.array([T]))[0]
    assert ours == pytest.approx(_pareto_nbd_brute_force(params, x, t_x, T), abs=1e-8)


@pytest.mark.parametrize("alpha, beta", [(1e6, 1e6), (1e7, 3e6), (2e6, 9e6), (1e8, 1e8 * (1 + 1e-9))])
def test_pareto_nbd_likelihood_is_stable_for_large_alpha_and_beta(alpha, beta):
    """The drop-out term s * integral over (t_x, T] of (alpha+tau)^-(r+x) (beta+tau)^-(s+1): with alpha,
    beta >> T its two hypergeometric end terms agree to many digits and a plain difference loses them.
    Reference: the integral by quadrature of the integrand divided by its value at t_x (close to 1)."""
    r, s, x, t_x, T = 0.8, 1.3, np.array([3.0, 0.0, 12.0]), np.array([20.0, 0.0, 35.0]), np.array([40.0, 40.0, 40.0])
    ours = clv.pareto_nbd_log_likelihood((r, alpha, s, beta), x, t_x, T)
    for i in range(x.size):

        def ratio(tau, i=i):
            return ((alpha + t_x[i]) / (alpha + tau)) ** (r + x[i]) * ((beta + t_x[i]) / (beta + tau)) ** (s + 1)

        integral, _ = integrate.quad(ratio, t_x[i], T[i], epsabs=0, epsrel=1e-13)
        log_dead = np.log(s) - (r + x[i]) * np.log(alpha + t_x[i]) - (s + 1) * np.log(beta + t_x[i]) + np.log(integral)
        log_alive = -(r + x[i]) * np.log(alpha + T[i]) - s * np.log(beta + T[i])
        log_a1 = special.gammaln(r + x[i]) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
        assert ours[i] == pytest.approx(log_a1 + np.logaddexp(log_alive, log_dead), abs=1e-9), i


@pytest.mark.parametrize(
    "log_likelihood, params",
    [
        (clv.bg_nbd_log_likelihood, BG_NBD),
        (clv.mbg_nbd_log_likelihood, MBG_NBD),
    ],
)
def test_beta_geometric_likelihoods_sum_to_one_over_outcomes(log_likelihood, params):
    """Over every possible (x, t_x) for a fixed T the likelihood is a probability distribution:
    P(x = 0) + sum over x >= 1 of the density in t_x integrated over (0, T] equals 1."""
    T = 10.0
    p = tuple(params.values())
    total = np.exp(log_likelihood(p, np.array([0.0]), np.array([0.0]), np.array([T])))[0]
    for x in range(1, 80):
        # P(x purchases, the last at t_x) = L(x, t_x) * x t_x^(x-1) / x! ... integrated: the likelihood
        # is of the purchase times, so multiply by the volume t_x^(x-1) / (x-1)! of the earlier ones
        def density(t_x, x=x):
            return np.exp(
                log_likelihood(p, np.array([x]), np.array([t_x]), np.array([T]))[0]
                + (x - 1) * np.log(t_x)
                - special.gammaln(x)
            )

        total += integrate.quad(density, 0, T, epsabs=1e-13)[0]
    assert total == pytest.approx(1.0, abs=1e-6)


# ------------------------------------------------------------------------------ P(alive), expected purchases
def test_probability_alive_edge_cases():
    x = np.array([0, 1, 5, 5])
    t_x = np.array([0, 10, 30, 5])
    T = np.array([40, 40, 40, 40])
    alive = clv.probability_alive(BG_NBD, x, t_x, T)
    assert alive[0] == 1.0  # BG/NBD: no repeat purchase, never seen to drop out
    assert 0 < alive[3] < alive[2] < 1  # long silence after a busy start: less likely alive


def test_one_time_buyers_fall_out_of_life_under_mbg_nbd_and_pareto_nbd():
    T = np.array([1.0, 10.0, 50.0, 100.0])
    zeros = np.zeros(4)
    assert (clv.bg_nbd_probability_alive(BG_NBD, zeros, zeros, T) == 1.0).all()
    mbg = clv.mbg_nbd_probability_alive(MBG_NBD, zeros, zeros, T)
    pareto = clv.pareto_nbd_probability_alive(PARETO_NBD, zeros, zeros, T)
    for alive in (mbg, pareto):
        assert (np.diff(alive) < 0).all() and (alive > 0).all() and alive[0] < 1
    # MBG/NBD worked: 1 / (1 + a / b * ((alpha + T) / alpha)^r) at T = 50
    r, alpha, a, b = MBG_NBD.values()
    assert mbg[2] == pytest.approx(1 / (1 + a / b * ((alpha + 50) / alpha) ** r), rel=1e-12)


@pytest.mark.parametrize("model", list(SIMULATORS))
def test_probability_alive_matches_simulated_survival(simulated, model):
    """Mean P(alive) in groups of customers equals the share of them the simulation left alive."""
    data = simulated[model]
    spec, params = clv.PURCHASE_MODELS[model], SIMULATORS[model][1]
    alive = spec.probability_alive(params, data["frequency"], data["recency"], data["T"])
    for low, high in [(0, 0), (1, 2), (3, 1000)]:
        group = ((data["frequency"] >= low) & (data["frequency"] <= high)).to_numpy()
        assert alive[group].mean() == pytest.approx(data["alive"][group].mean(), abs=0.02), (low, high)


@pytest.mark.parametrize("model", list(SIMULATORS))
def test_expected_purchases_match_simulated_holdout(model):
    """E[X(t) | x, t_x, T] against what customers simulated with the true parameters really do next."""
    simulate, params = SIMULATORS[model]
    customers, calibration, holdout = 60_000, 39.0, 39.0
    data = simulate(customers, params, T=calibration, seed=21, holdout=holdout)
    actual = data["holdout_frequency"]
    predicted = clv.PURCHASE_MODELS[model].expected_purchases(
        params, holdout, data["frequency"], data["recency"], data["T"]
    )
    assert predicted.sum() == pytest.approx(actual.sum(), rel=0.05)
    for low, high in [(0, 0), (1, 2), (3, 100)]:
        group = ((data["frequency"] >= low) & (data["frequency"] <= high)).to_numpy()
        assert predicted[group].mean() == pytest.approx(actual[group].mean(), rel=0.12), (low, high)


def test_expected_purchases_are_continuous_at_the_removable_points():
    """BG/NBD's a = 1 and Pareto/NBD's s = 1 are 0 / 0 points of the closed forms."""
    x, t_x, T = np.array([0.0, 3.0]), np.array([0.0, 20.0]), np.array([30.0, 30.0])
    at_one = clv.bg_nbd_expected_purchases({**BG_NBD, "a": 1.0}, 10, x, t_x, T)
    near = clv.bg_nbd_expected_purchases({**BG_NBD, "a": 1.001}, 10, x, t_x, T)
    assert np.all(at_one > 0) and at_one == pytest.approx(near, rel=1e-2)
    at_one = clv.pareto_nbd_expected_purchases({**PARETO_NBD, "s": 1.0}, 10, x, t_x, T)
    near = clv.pareto_nbd_expected_purchases({**PARETO_NBD, "s": 1.0 + 1e-7}, 10, x, t_x, T)
    assert at_one == pytest.approx(near, rel=1e-5)


# ------------------------------------------------------------------------------ Gamma-Gamma
def test_gamma_gamma_recovers_known_parameters():
    frequency = np.random.default_rng(3).integers(1, 12, 40_000)
    values = clv.simulate_gamma_gamma(frequency, GAMMA_GAMMA, seed=5)
    fit = clv.fit_gamma_gamma(frequency, values)
    assert fit.converged and clv.gamma_gamma_is_usable(fit)
    for name, true in GAMMA_GAMMA.items():
        assert fit.params[name] == pytest.approx(true, rel=0.15), name
    # the model's implied mean order value matches the data's
    assert np.mean(clv.expected_order_value(fit.params, frequency, values)) == pytest.approx(np.mean(values), rel=0.05)


def test_gamma_gamma_with_a_heavy_tail_stays_above_q_1_and_shrinks():
    """Spend simulated with q = 0.8: the population mean does not exist. Unconstrained, the estimate
    q < 1 makes the one-time buyers' p gamma / (q - 1) negative; the fit holds q > 1, says it sits on
    the bound, and the shrunk mean is used instead."""
    frequency = np.random.default_rng(3).integers(1, 6, 5_000)
    values = clv.simulate_gamma_gamma(frequency, {"p": 2.0, "q": 0.8, "gamma": 40.0}, seed=5)
    assert clv.expected_order_value({"p": 2.0, "q": 0.8, "gamma": 40.0}, 0, np.nan) < 0  # what q < 1 does
    fit = clv.fit_gamma_gamma(frequency, values)
    assert fit.converged and fit.params["q"] > 1
    assert fit.params["q"] - 1 < clv.GAMMA_GAMMA_Q_BOUND_TOLERANCE
    assert "q" in fit.at_bound and "bound" in fit.note and not clv.gamma_gamma_is_usable(fit)
    shrunk = clv.shrunk_order_value(frequency, values, clv.sample_mean_order_value(frequency, values))
    assert (shrunk > 0).all()


def test_shrunk_and_historical_order_values_worked_example():
    x = np.array([0.0, 1.0, 3.0, 2.0])
    m = np.array([np.nan, 40.0, 40.0, 0.0])  # the last customer's repeat orders were worth 0
    # sample mean over repeat orders: (1*40 + 3*40 + 2*0) / 6
    assert clv.sample_mean_order_value(x, m) == pytest.approx(160 / 6)
    shrunk = clv.shrunk_order_value(x, m, sample_mean=100.0)  # weight x / (x + 1)
    assert shrunk == pytest.approx([100.0, 70.0, 55.0, 100 / 3])
    assert clv.historical_order_value(x, m, sample_mean=100.0) == pytest.approx([100.0, 40.0, 40.0, 0.0])
    assert clv.historical_purchase_rate(np.array([0, 4, 2]), np.array([0, 200, 0])) == pytest.approx([0, 0.02, 0])


# ------------------------------------------------------------------------------ degenerate inputs
@pytest.mark.parametrize("model", list(clv.PURCHASE_MODELS))
@pytest.mark.parametrize(
    "case, frequency, recency, age, note",
    [
        ("no customers", [], [], [], "no customers"),
        ("no repeat buyers", [0, 0, 0], [0, 0, 0], [10, 50, 300], "no repeat purchases"),
        ("everyone bought today", [0], [0], [0], "no repeat purchases"),
    ],
)
def test_purchase_fits_never_raise_on_degenerate_inputs(model, case, frequency, recency, age, note):
    fit = clv.fit_purchase_model(model, frequency, recency, age)
    assert not fit.converged and note in fit.note
    assert all(np.isnan(v) for v in fit.params.values()) and np.isnan(fit.bic)


@pytest.mark.parametrize("model", list(clv.PURCHASE_MODELS))
def test_a_single_repeat_buyer_does_not_raise(model):
    fit = clv.fit_purchase_model(model, [3], [20.0], [40.0])
    assert fit.customers == 1 and set(fit.params) == set(clv.PURCHASE_MODELS[model].parameters)


@pytest.mark.parametrize(
    "frequency, values",
    [
        ([], []),  # no customers
        ([0, 0], [np.nan, np.nan]),  # no repeat buyers
        ([2, 1], [0.0, 0.0]),  # zero-value orders only
    ],
)
def test_gamma_gamma_never_raises_on_degenerate_inputs(frequency, values):
    fit = clv.fit_gamma_gamma(frequency, values)
    assert not fit.converged and "positive order value" in fit.note
    assert fit.customers == 0


def test_gamma_gamma_on_a_single_customer_does_not_raise():
    fit = clv.fit_gamma_gamma([2], [30.0])
    assert fit.customers == 1


# ------------------------------------------------------------------------------ CLV
def _cumulative(model, params, x, t_x, T):
    return lambda t: clv.PURCHASE_MODELS[model].expected_purchases(params, t, x, t_x, T)


@pytest.mark.parametrize("model", list(SIMULATORS))
def test_clv_is_finite_and_non_negative_for_every_kind_of_customer(model):
    x = np.array([0, 0, 1, 40, 200])
    t_x = np.array([0, 0, 3, 38, 39])
    T = np.array([0, 39, 39, 39, 39])
    m = np.array([np.nan, np.nan, 20.0, 35.0, 1e6])
    value = clv.discounted_clv(
        _cumulative(model, SIMULATORS[model][1], x, t_x, T),
        clv.expected_order_value(GAMMA_GAMMA, x, m),
        margin_ratio=0.4,
        horizon=52,
        step=52 / 12,
        discount_per_step=0.008,
    )
    assert np.isfinite(value).all()
    assert (value >= 0).all()
    assert value[4] > value[3] > value[2]


def test_discounting_lowers_value():
    x, t_x, T, m = np.array([3]), np.array([20.0]), np.array([30.0]), np.array([40.0])
    cumulative = _cumulative("bg_nbd", BG_NBD, x, t_x, T)
    order_value = clv.expected_order_value(GAMMA_GAMMA, x, m)
    undiscounted = clv.discounted_clv(cumulative, order_value, 0.5, horizon=52, step=4, discount_per_step=0.0)
    discounted = clv.discounted_clv(cumulative, order_value, 0.5, horizon=52, step=4, discount_per_step=0.01)
    expected = clv.expected_purchases(BG_NBD, 52, x, t_x, T) * order_value * 0.5
    assert undiscounted[0] == pytest.approx(expected[0], rel=1e-9)
    assert discounted[0] < undiscounted[0]


def test_historical_clv_worked_example():
    """4 repeat purchases in 200 days, 30 per purchase, margin 0.5, 360 days in 12 steps of 30 days at
    1% a step: 0.02 * 30 purchases a step * 15 margin, discounted."""
    rate = clv.historical_purchase_rate(np.array([4.0]), np.array([200.0]))
    value = clv.discounted_clv(lambda t: rate * t, np.array([30.0]), 0.5, horizon=360, step=30, discount_per_step=0.01)
    assert value[0] == pytest.approx(sum(0.6 * 15 / 1.01**k for k in range(1, 13)), rel=1e-12)


@pytest.mark.parametrize("model", list(clv.PURCHASE_MODELS))
def test_expected_purchases_split_into_if_alive_and_alive_is_the_same_number(model):
    """Predictions compute the if-alive part once per distinct (x, T) and P(alive) once per (x, t_x, T)
    (clv_tables._BuyerArrays); put back together they must equal expected_purchases bit for bit, the
    Euler branch of the beta-geometric hypergeometric (its series overflows at x = 2,000) included."""
    spec = clv.PURCHASE_MODELS[model]
    params = {"bg_nbd": BG_NBD, "mbg_nbd": MBG_NBD, "pareto_nbd": PARETO_NBD}[model]
    rng = np.random.default_rng(5)
    x = np.concatenate([rng.integers(0, 12, 300), [150.0, 2000.0]]).astype(float)
    T = np.concatenate([rng.integers(1, 60, 300), [60.0, 60.0]]).astype(float)
    t_x = np.floor(T * rng.uniform(0, 1, T.size)) * (x > 0)
    if model != "pareto_nbd":
        b_post = params["b"] + x + (model == "mbg_nbd")
        z = 52.0 / (params["alpha"] + T + 52.0)
        assert np.isinf(special.hyp2f1(params["r"] + x, b_post, params["a"] + b_post - 1, z)).any()
    for t in (0.0, 13.0, 52.0):
        whole = spec.expected_purchases(params, t, x, t_x, T)
        split = spec.combine(spec.if_alive(params, t, x, T), spec.probability_alive(params, x, t_x, T), t)
        np.testing.assert_array_equal(split, whole)
    arrays = clv_tables._BuyerArrays.of(x, t_x, T)
    np.testing.assert_array_equal(
        arrays.cumulative(model, params)(52.0), spec.expected_purchases(params, 52.0, x, t_x, T)
    )
    assert len(arrays.pairs) < len(arrays.triples) <= len(x)
