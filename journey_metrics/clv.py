"""Customer lifetime value: BG/NBD and Gamma-Gamma, fitted by maximum likelihood on scipy.

BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while alive a customer
buys as a Poisson process with rate lambda ~ Gamma(r, alpha); after each purchase they drop out with
probability p ~ Beta(a, b). Data per customer: x = repeat purchases (frequency), t_x = time of the
last purchase since the first (recency), T = time since the first purchase (age).

Gamma-Gamma (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value"): a customer's order
values are Gamma(p, nu) with nu ~ Gamma(q, gamma); fitted on customers with x >= 1 and their mean
repeat-order value m_x, independent of the purchase process.

The published likelihoods are written out below rather than taken from a library: `lifetimes`, the
usual one, was last released in 2020 and is not maintained for numpy 2 / pandas 3. Customers with
identical (x, t_x, T) are collapsed into one weighted row, which keeps a fit on a million
customers within seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

BG_NBD_PARAMETERS = ("r", "alpha", "a", "b")
GAMMA_GAMMA_PARAMETERS = ("p", "q", "gamma")


@dataclass(frozen=True)
class FitResult:
    params: dict[str, float]
    log_likelihood: float
    customers: int
    converged: bool


def _collapse(columns: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Unique rows of the given columns and how many customers share each."""
    frame = pd.DataFrame(columns)
    counted = frame.groupby(list(columns), sort=True).size().reset_index(name="weight")
    return {name: counted[name].to_numpy(dtype=float) for name in columns}, counted["weight"].to_numpy(dtype=float)


def bg_nbd_log_likelihood(params, x, t_x, T) -> np.ndarray:
    """Per-customer log-likelihood of BG/NBD (FHL 2005, eq. 6), computed in log space."""
    r, alpha, a, b = params
    x = np.asarray(x, dtype=float)
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.gammaln(a + b) + special.gammaln(b + x) - special.gammaln(b) - special.gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    has_repeat = x > 0
    a4 = np.where(
        has_repeat,
        np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    return a1 + a2 + np.logaddexp(a3, a4)


def gamma_gamma_log_likelihood(params, x, m) -> np.ndarray:
    """Per-customer log-likelihood of the mean repeat-order value m given x >= 1 repeat orders."""
    p, q, gamma = params
    px = p * x
    return (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(x * m + gamma)
    )


def _maximise(log_likelihood, names, data, weights, start) -> FitResult:
    def negative(log_params):
        values = log_likelihood(np.exp(log_params), **data)
        total = np.sum(weights * values)
        return -total if np.isfinite(total) else 1e300

    best = None
    for guess in start:
        result = optimize.minimize(negative, np.log(guess), method="L-BFGS-B")
        if not result.success:
            # a rough surface near the start: polish with the derivative-free simplex
            result = optimize.minimize(negative, result.x, method="Nelder-Mead",
                                       options={"maxiter": 4000, "xatol": 1e-8, "fatol": 1e-10})
        if best is None or result.fun < best.fun:
            best = result
    return FitResult(
        params=dict(zip(names, np.exp(best.x).tolist())),
        log_likelihood=float(-best.fun),
        customers=int(weights.sum()),
        converged=bool(best.success),
    )


def fit_bg_nbd(frequency, recency, age) -> FitResult:
    """Maximum-likelihood BG/NBD parameters (r, alpha, a, b) for customers with at least one purchase."""
    data, weights = _collapse({"x": np.asarray(frequency), "t_x": np.asarray(recency), "T": np.asarray(age)})
    scale = max(float(np.average(data["T"], weights=weights)), 1e-9)
    starts = [(0.5, scale / 2, 1.0, 2.0), (1.0, scale, 0.5, 1.0)]
    return _maximise(bg_nbd_log_likelihood, BG_NBD_PARAMETERS, data, weights, starts)


def fit_gamma_gamma(frequency, monetary_value) -> FitResult:
    """Maximum-likelihood Gamma-Gamma parameters (p, q, gamma) on customers with frequency >= 1."""
    frequency = np.asarray(frequency, dtype=float)
    monetary_value = np.asarray(monetary_value, dtype=float)
    keep = (frequency > 0) & (monetary_value > 0)
    data, weights = _collapse({"x": frequency[keep], "m": monetary_value[keep]})
    mean_value = float(np.average(data["m"], weights=weights))
    starts = [(2.0, 3.0, mean_value), (5.0, 5.0, mean_value * 2)]
    return _maximise(gamma_gamma_log_likelihood, GAMMA_GAMMA_PARAMETERS, data, weights, starts)


def _log_alive_odds(params, x, t_x, T) -> np.ndarray:
    """log of a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x); -inf for x = 0 (never dropped out)."""
    r, alpha, a, b = (params[name] for name in BG_NBD_PARAMETERS)
    x = np.asarray(x, dtype=float)
    return np.where(
        x > 0,
        np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) + (r + x) * np.log((alpha + T) / (alpha + t_x)),
        -np.inf,
    )


def probability_alive(params, x, t_x, T) -> np.ndarray:
    """P(alive | x, t_x, T) (FHL 2005, eq. 11)."""
    return special.expit(-_log_alive_odds(params, x, t_x, T))


def expected_purchases(params, t, x, t_x, T) -> np.ndarray:
    """E[X(T, T + t) | x, t_x, T]: expected purchases in the next t time units (FHL 2005, eq. 10)."""
    r, alpha, a, b = (params[name] for name in BG_NBD_PARAMETERS)
    x = np.asarray(x, dtype=float)
    t = np.broadcast_to(np.asarray(t, dtype=float), x.shape)
    z = t / (alpha + T + t)
    c = a + b + x - 1
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        log_hyp = np.log(special.hyp2f1(r + x, b + x, c, z))
        # Euler's transformation where the series overflows (large r + x, b + x).
        euler = np.log(special.hyp2f1(c - r - x, c - b - x, c, z)) + (c - r - x - b - x) * np.log1p(-z)
        log_hyp = np.where(np.isfinite(log_hyp), log_hyp, euler)
        survival = np.exp(log_hyp + (r + x) * np.log((alpha + T) / (alpha + T + t)))
    numerator = (a + b + x - 1) / (a - 1) * (1 - survival)
    expected = numerator * probability_alive(params, x, t_x, T)
    return np.where(t > 0, np.nan_to_num(expected, nan=0.0, posinf=0.0, neginf=0.0), 0.0)


def expected_order_value(params, x, m) -> np.ndarray:
    """E[M | p, q, gamma, x, m_x]: the customer's expected order value; the population mean for x = 0."""
    p, q, gamma = (params[name] for name in GAMMA_GAMMA_PARAMETERS)
    x = np.asarray(x, dtype=float)
    m = np.nan_to_num(np.asarray(m, dtype=float), nan=0.0)
    return (p * (gamma + x * m)) / (p * x + q - 1)


def discounted_clv(
    bg_params, gg_params, x, t_x, T, m, margin_ratio, horizon: float, step: float, discount_per_step: float
) -> np.ndarray:
    """Margin-based CLV: expected purchases in each step of the horizon x expected order value x
    margin ratio, discounted to today at `discount_per_step` per step."""
    value = expected_order_value(gg_params, x, m) * np.asarray(margin_ratio, dtype=float)
    total = np.zeros(np.shape(x), dtype=float)
    previous = np.zeros(np.shape(x), dtype=float)
    steps = int(np.ceil(horizon / step - 1e-9))
    for k in range(1, steps + 1):
        cumulative = expected_purchases(bg_params, min(k * step, horizon), x, t_x, T)
        total += (cumulative - previous) * value / (1 + discount_per_step) ** k
        previous = cumulative
    return total


def simulate_bg_nbd(customers: int, params: dict[str, float], T, seed: int, holdout: float = 0.0) -> pd.DataFrame:
    """Customers drawn from BG/NBD with the given parameters, observed for T time units after their
    first purchase (continuous time). Returns frequency, recency and T, and holdout_frequency: the
    purchases in the `holdout` time units after T."""
    rng = np.random.default_rng(seed)
    T = np.broadcast_to(np.asarray(T, dtype=float), (customers,)).copy()
    end = T + holdout
    rate = rng.gamma(params["r"], 1 / params["alpha"], customers)
    dropout = rng.beta(params["a"], params["b"], customers)
    frequency = np.zeros(customers)
    recency = np.zeros(customers)
    holdout_frequency = np.zeros(customers)
    now = np.zeros(customers)
    active = np.ones(customers, dtype=bool)
    while active.any():
        idx = np.flatnonzero(active)
        now[idx] += rng.exponential(1 / rate[idx])
        bought = now[idx] <= end[idx]
        buyers = idx[bought]
        in_calibration = now[buyers] <= T[buyers]
        frequency[buyers[in_calibration]] += 1
        recency[buyers[in_calibration]] = now[buyers[in_calibration]]
        holdout_frequency[buyers[~in_calibration]] += 1
        active[idx[~bought]] = False
        dies = rng.random(buyers.size) < dropout[buyers]
        active[buyers[dies]] = False
    return pd.DataFrame({"frequency": frequency, "recency": recency, "T": T, "holdout_frequency": holdout_frequency})


def simulate_gamma_gamma(frequency, params: dict[str, float], seed: int) -> np.ndarray:
    """Mean order value of each customer's `frequency` orders under Gamma-Gamma (nan when 0 orders)."""
    rng = np.random.default_rng(seed)
    frequency = np.asarray(frequency, dtype=int)
    nu = rng.gamma(params["q"], 1 / params["gamma"], frequency.size)
    # the sum of x Gamma(p, nu) values is Gamma(p x, nu)
    totals = rng.gamma(np.maximum(params["p"] * frequency, 1e-12), 1 / nu)
    return np.where(frequency > 0, totals / np.maximum(frequency, 1), np.nan)
