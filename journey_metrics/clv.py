"""Customer lifetime value: three purchase models and Gamma-Gamma spend, fitted by maximum likelihood.

Data per customer, as in all three papers: x = repeat purchases (frequency), t_x = time of the last
purchase since the first (recency), T = time since the first purchase (age).

Purchase models (while alive a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha)):

- BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way", Marketing Science 24(2)):
  after each *repeat* purchase the customer drops out with probability p ~ Beta(a, b). A customer
  with x = 0 never had a chance to drop out, so P(alive) = 1 whatever the time since the purchase.
- MBG/NBD (Batislam, Denizel & Filiztekin 2007, "Empirical validation and comparison of models for
  customer base analysis", IJRM 24(3)): the drop-out chance comes after *every* purchase, the first
  included, so one-time buyers churn too. In every BG/NBD expression b + x - 1 becomes b + x.
- Pareto/NBD (Schmittlein, Morrison & Colombo 1987, "Counting your customers", Management Science
  33(1); expressions as derived in Fader & Hardie 2005, "A note on deriving the Pareto/NBD model and
  related expressions"): the customer's lifetime is exponential with rate mu ~ Gamma(s, beta),
  independent of purchases.

Spend: Gamma-Gamma (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value"): a customer's
order values are Gamma(p, nu) with nu ~ Gamma(q, gamma); fitted on customers with x >= 1 and their
mean repeat-order value m_x, independent of the purchase process. The population's mean spend
p * gamma / (q - 1) exists only for q > 1, so q is fitted on (1, inf) (see fit_gamma_gamma).

The published likelihoods are written out below rather than taken from a library: `lifetimes`, the
usual one, was last released in 2020 and is not maintained for numpy 2 / pandas 3. Customers with
identical inputs are collapsed into one weighted row, which keeps a fit on a million customers
within seconds. A fit never raises on degenerate data (no customers, no repeat purchases, zero
order values): it returns FitResult(converged=False, note=why) with nan parameters.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, special

BG_NBD_PARAMETERS = ("r", "alpha", "a", "b")
MBG_NBD_PARAMETERS = ("r", "alpha", "a", "b")
PARETO_NBD_PARAMETERS = ("r", "alpha", "s", "beta")
GAMMA_GAMMA_PARAMETERS = ("p", "q", "gamma")

# Every parameter is searched on a log scale within this range. An estimate at an edge means the
# likelihood is flat (or still rising) in that direction; the fit's note says so.
PARAMETER_RANGE = (1e-8, 1e8)
# Gamma-Gamma's q is fitted as 1 + exp(theta). An estimate with q - 1 below this sits on the bound
# q = 1: the data would take q <= 1, where the population's mean spend p * gamma / (q - 1) does not
# exist (at q = 1.01 it is already 100 * p * gamma). The fit's note says so and the expected order
# value becomes shrunk_order_value instead of the Gamma-Gamma mean.
GAMMA_GAMMA_Q_BOUND_TOLERANCE = 0.01
# shrunk_order_value weighs a customer's own mean m_x by x / (x + k), the sample mean by k / (x + k):
# k = 1 treats the sample mean as worth one of the customer's orders.
SHRINKAGE_PSEUDO_ORDERS = 1.0
# Where a - 1 is closer to 0 than this, (a + b' - 1) / (a - 1) * [1 - ...] in the beta-geometric
# expected purchases is 0 / 0 (removable): it is evaluated 2 * A_NEAR_ONE either side and averaged.
A_NEAR_ONE = 1e-4


@dataclass(frozen=True)
class FitResult:
    """A fit: parameters (nan when not fitted), log-likelihood, customers it was fitted on, whether the
    optimiser converged, and a note saying why not or what to know about the estimate."""

    params: dict[str, float]
    log_likelihood: float
    customers: int
    converged: bool
    note: str | None = None
    at_bound: tuple[str, ...] = field(default=())

    @property
    def bic(self) -> float:
        """Schwarz's BIC = k ln(n) - 2 LL, k parameters, n customers (nan when not fitted)."""
        if not self.converged or self.customers <= 0:
            return float("nan")
        return len(self.params) * float(np.log(self.customers)) - 2.0 * self.log_likelihood


def not_fitted(names, customers: int, note: str) -> FitResult:
    """The FitResult of a model that could not be fitted (nan parameters, converged = False)."""
    return FitResult({name: float("nan") for name in names}, float("nan"), int(customers), False, note)


def _collapse(columns: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Unique rows of the given columns and how many customers share each."""
    frame = pd.DataFrame(columns)
    counted = frame.groupby(list(columns), sort=True).size().reset_index(name="weight")
    return {name: counted[name].to_numpy(dtype=float) for name in columns}, counted["weight"].to_numpy(dtype=float)


def _as_float(*arrays) -> list[np.ndarray]:
    return [np.asarray(a, dtype=float) for a in arrays]


# ------------------------------------------------------------------------------ BG/NBD and MBG/NBD
def _beta_geometric_log_likelihood(params, x, t_x, T, modified: bool) -> np.ndarray:
    r, alpha, a, b = params
    x, t_x, T = _as_float(x, t_x, T)
    # survived every drop-out chance: x of them under BG/NBD, x + 1 under MBG/NBD
    chances = x + 1 if modified else x
    a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
    a2 = special.betaln(a, b + chances) - special.betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    # dropped out right after the last purchase: odds a / (b + chances - 1) against surviving it
    can_drop = chances > 0
    a4 = np.where(
        can_drop,
        np.log(a) - np.log(np.maximum(b + chances - 1, 1e-300)) - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    return a1 + a2 + np.logaddexp(a3, a4)


def bg_nbd_log_likelihood(params, x, t_x, T) -> np.ndarray:
    """Per-customer log-likelihood of BG/NBD (FHL 2005, eq. 6), computed in log space."""
    return _beta_geometric_log_likelihood(params, x, t_x, T, modified=False)


def mbg_nbd_log_likelihood(params, x, t_x, T) -> np.ndarray:
    """Per-customer log-likelihood of MBG/NBD (Batislam et al. 2007): FHL 2005's eq. 6 with a drop-out
    chance after the first purchase too,
    L = Gamma(r+x) alpha^r / Gamma(r) * B(a, b+x+1) / B(a, b)
        * [(alpha+T)^-(r+x) + a / (b+x) * (alpha+t_x)^-(r+x)],
    the second term present for x = 0 as well (dropped out right after the first purchase)."""
    return _beta_geometric_log_likelihood(params, x, t_x, T, modified=True)


def _beta_geometric_log_alive_odds(params, x, t_x, T, modified: bool) -> np.ndarray:
    """log of a / (b + x - 1 + [modified]) * ((alpha+T)/(alpha+t_x))^(r+x); -inf for x = 0 in BG/NBD."""
    r, alpha, a, b = (params[name] for name in BG_NBD_PARAMETERS)
    x, t_x, T = _as_float(x, t_x, T)
    b_x = b + x if modified else b + x - 1
    can_drop = (x > 0) | modified
    return np.where(
        can_drop,
        np.log(a) - np.log(np.maximum(b_x, 1e-300)) + (r + x) * np.log((alpha + T) / (alpha + t_x)),
        -np.inf,
    )


def bg_nbd_probability_alive(params, x, t_x, T) -> np.ndarray:
    """P(alive | x, t_x, T) of BG/NBD (FHL 2005, eq. 11); 1 for x = 0 (never seen to drop out)."""
    return special.expit(-_beta_geometric_log_alive_odds(params, x, t_x, T, modified=False))


def mbg_nbd_probability_alive(params, x, t_x, T) -> np.ndarray:
    """P(alive | x, t_x, T) of MBG/NBD (Batislam et al. 2007):
    1 / (1 + a / (b+x) * ((alpha+T)/(alpha+t_x))^(r+x)), which falls with T for x = 0 too."""
    return special.expit(-_beta_geometric_log_alive_odds(params, x, t_x, T, modified=True))


def _beta_geometric_expected_if_alive(r, alpha, a, b_post, t, x, T) -> np.ndarray:
    """E[purchases in (T, T+t] | alive at T] for a customer whose posterior is lambda ~ Gamma(r+x,
    alpha+T), p ~ Beta(a, b_post): E[(1 - exp(-lambda p t)) / p], which is
    (a + b_post - 1) / (a - 1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b_post; a+b_post-1; z)],
    z = t / (alpha+T+t) (FHL 2005, eq. 10 without its P(alive) factor; b_post = b + x there)."""
    if abs(a - 1) < A_NEAR_ONE:  # removable 0 / 0 at a = 1
        return 0.5 * (
            _beta_geometric_expected_if_alive(r, alpha, 1 - 2 * A_NEAR_ONE, b_post, t, x, T)
            + _beta_geometric_expected_if_alive(r, alpha, 1 + 2 * A_NEAR_ONE, b_post, t, x, T)
        )
    z = t / (alpha + T + t)
    c = a + b_post - 1
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        log_hyp = np.log(special.hyp2f1(r + x, b_post, c, z))
        # Euler's transformation where the series overflows (large r + x, b + x), computed there only.
        overflow = ~np.isfinite(log_hyp)
        if overflow.any():
            x_, b_, c_, z_ = (np.broadcast_to(v, log_hyp.shape)[overflow] for v in (x, b_post, c, z))
            log_hyp = np.array(log_hyp, dtype=float)
            euler = np.log(special.hyp2f1(c_ - r - x_, c_ - b_, c_, z_)) + (c_ - r - x_ - b_) * np.log1p(-z_)
            log_hyp[overflow] = euler
        survival = np.exp(log_hyp + (r + x) * np.log((alpha + T) / (alpha + T + t)))
        expected = c / (a - 1) * (1 - survival)
    return np.nan_to_num(expected, nan=0.0, posinf=0.0, neginf=0.0)


def _beta_geometric_if_alive(params, t, x, T, modified: bool) -> np.ndarray:
    """E[purchases in (T, T+t] | alive at T] of BG/NBD or MBG/NBD: a function of (x, T) and t only."""
    r, alpha, a, b = (params[name] for name in BG_NBD_PARAMETERS)
    x, T = _as_float(x, T)
    t = np.broadcast_to(np.asarray(t, dtype=float), x.shape)
    b_post = b + x + 1 if modified else b + x
    return _beta_geometric_expected_if_alive(r, alpha, a, b_post, t, x, T)


def _beta_geometric_combine(if_alive, alive, t) -> np.ndarray:
    """Expected purchases from their if-alive part and P(alive) (0 for t <= 0)."""
    t = np.broadcast_to(np.asarray(t, dtype=float), np.shape(if_alive))
    return np.where(t > 0, np.maximum(if_alive * alive, 0.0), 0.0)


def _beta_geometric_expected(params, t, x, t_x, T, modified: bool) -> np.ndarray:
    x, t_x, T = _as_float(x, t_x, T)
    if_alive = _beta_geometric_if_alive(params, t, x, T, modified)
    alive = special.expit(-_beta_geometric_log_alive_odds(params, x, t_x, T, modified))
    return _beta_geometric_combine(if_alive, alive, t)


def bg_nbd_if_alive(params, t, x, T) -> np.ndarray:
    """BG/NBD's expected purchases in the next t time units of a customer alive at T (x purchases)."""
    return _beta_geometric_if_alive(params, t, x, T, modified=False)


def mbg_nbd_if_alive(params, t, x, T) -> np.ndarray:
    """MBG/NBD's expected purchases in the next t time units of a customer alive at T (x purchases)."""
    return _beta_geometric_if_alive(params, t, x, T, modified=True)


def bg_nbd_expected_purchases(params, t, x, t_x, T) -> np.ndarray:
    """E[X(T, T + t) | x, t_x, T] of BG/NBD: expected purchases in the next t time units (FHL 2005, eq. 10)."""
    return _beta_geometric_expected(params, t, x, t_x, T, modified=False)


def mbg_nbd_expected_purchases(params, t, x, t_x, T) -> np.ndarray:
    """E[X(T, T + t) | x, t_x, T] of MBG/NBD (Batislam et al. 2007): FHL 2005's eq. 10 with b + x - 1
    replaced by b + x: (a+b+x)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x)
    2F1(r+x, b+x+1; a+b+x; t/(alpha+T+t))] * P(alive)."""
    return _beta_geometric_expected(params, t, x, t_x, T, modified=True)


# ------------------------------------------------------------------------------------------ Pareto/NBD
def pareto_nbd_pairs(x, t_x, T) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The distinct (x, tau) pairs among (x, t_x) and (x, T), and where each customer's two pairs lie in
    them: the likelihood's hypergeometric depends on x and tau only, and customers share far fewer
    pairs than triples (16k against 115k for 190k simulated customers), so a fit computes it once a pair."""
    x, t_x, T = _as_float(x, t_x, T)
    stacked = np.column_stack([np.concatenate([x, x]), np.concatenate([t_x, T])])
    pairs, codes = np.unique(stacked, axis=0, return_inverse=True)
    codes = codes.reshape(-1)
    return pairs[:, 0], pairs[:, 1], codes[: x.size], codes[x.size :]


def _pareto_nbd_log_terms(params, x, t_x, T, pairs=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """log A1, log of the alive-at-T term and log of the dropped-out-in-(t_x, T] term of the
    Pareto/NBD likelihood, L = A1 * [alive + dead] (Fader & Hardie 2005 note, section 3):

        A1    = Gamma(r+x) alpha^r beta^s / Gamma(r)
        alive = (alpha+T)^-(r+x) (beta+T)^-s
        dead  = s * integral over tau in (t_x, T] of (alpha+tau)^-(r+x) (beta+tau)^-(s+1)
              = s * [F(t_x) - F(T)],  F(tau) = integral from tau to infinity of the same.

    F is the note's Gaussian hypergeometric written with max(alpha, beta) so that its argument lies
    in [0, 1), then put through Euler's transformation 2F1(n, b; n+1; z) = (1-z)^(1-b)
    2F1(1, n+1-b; n+1; z), n = r+s+x, whose series has positive terms and stays bounded:

        alpha >= beta: F = (alpha+tau)^-(r+x) (beta+tau)^-s 2F1(1, r+x; n+1; (alpha-beta)/(alpha+tau)) / n
        alpha <  beta: F = (alpha+tau)^-(r+x-1) (beta+tau)^-(s+1) 2F1(1, s+1; n+1; (beta-alpha)/(beta+tau)) / n

    F(t_x) - F(T) is taken as F(t_x) * (1 - F(T)/F(t_x)) with log F(T) - log F(t_x) computed from
    log1p of the time differences, so large alpha and beta (F(T) close to F(t_x)) keep their digits."""
    r, alpha, s, beta = params
    x, t_x, T = _as_float(x, t_x, T)
    n = r + s + x
    log_a1 = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    log_alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    if alpha >= beta:
        max_ab, pow_alpha, pow_beta = alpha, r + x, s
    else:
        max_ab, pow_alpha, pow_beta = beta, r + x - 1, s + 1
    gap = abs(alpha - beta)
    pair_x, pair_tau, at_t_x, at_T = pairs if pairs is not None else pareto_nbd_pairs(x, t_x, T)
    pair_b = r + pair_x if alpha >= beta else np.full(pair_x.shape, s + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_hyp = np.log(special.hyp2f1(1.0, pair_b, r + s + pair_x + 1, gap / (max_ab + pair_tau)))
        log_hyp_tx, log_hyp_T = log_hyp[at_t_x], log_hyp[at_T]
        log_f_tx = -np.log(n) - pow_alpha * np.log(alpha + t_x) - pow_beta * np.log(beta + t_x) + log_hyp_tx
        # log F(T) - log F(t_x) <= 0
        log_ratio = (
            -pow_alpha * np.log1p((T - t_x) / (alpha + t_x))
            - pow_beta * np.log1p((T - t_x) / (beta + t_x))
            + log_hyp_T
            - log_hyp_tx
        )
        log_ratio = np.minimum(log_ratio, 0.0)
        log_dead = np.log(s) + log_f_tx + np.log(-np.expm1(log_ratio))
    log_dead = np.where(t_x < T, log_dead, -np.inf)
    return log_a1, log_alive, log_dead


def pareto_nbd_log_likelihood(params, x, t_x, T, pairs=None) -> np.ndarray:
    """Per-customer log-likelihood of Pareto/NBD (SMC 1987; Fader & Hardie 2005 note), in the
    numerically stable form of _pareto_nbd_log_terms; `pairs`: pareto_nbd_pairs(x, t_x, T), precomputed."""
    log_a1, log_alive, log_dead = _pareto_nbd_log_terms(params, x, t_x, T, pairs)
    return log_a1 + np.logaddexp(log_alive, log_dead)


def pareto_nbd_probability_alive(params, x, t_x, T) -> np.ndarray:
    """P(alive | x, t_x, T) of Pareto/NBD (SMC 1987; FH 2005 note): the alive term's share of the
    likelihood, 1 / (1 + s/(r+s+x) (alpha+T)^(r+x) (beta+T)^s [F(t_x) - F(T)] n)."""
    p = tuple(params[name] for name in PARETO_NBD_PARAMETERS)
    _, log_alive, log_dead = _pareto_nbd_log_terms(p, x, t_x, T)
    return np.exp(log_alive - np.logaddexp(log_alive, log_dead))


def pareto_nbd_expected_purchases(params, t, x, t_x, T) -> np.ndarray:
    """E[X(T, T + t) | x, t_x, T] of Pareto/NBD (SMC 1987; FH 2005 note):
    (r+x)/(alpha+T) * (beta+T)/(s-1) * [1 - ((beta+T)/(beta+T+t))^(s-1)] * P(alive), i.e.
    E[lambda] E[(1 - exp(-mu t)) / mu] under the alive posterior; the limit (beta+T) ln((beta+T+t)/(beta+T))
    replaces the middle factor at s = 1, and the expression holds for s < 1 as well."""
    x, t_x, T = _as_float(x, t_x, T)
    return _pareto_nbd_combine(pareto_nbd_if_alive(params, t, x, T), pareto_nbd_probability_alive(params, x, t_x, T), t)


def pareto_nbd_if_alive(params, t, x, T) -> np.ndarray:
    """Pareto/NBD's expected purchases in the next t time units of a customer alive at T (x purchases):
    (r+x)/(alpha+T) * (beta+T) * E[(1 - exp(-mu t)) / mu]."""
    r, alpha, s, beta = (params[name] for name in PARETO_NBD_PARAMETERS)
    x, T = _as_float(x, T)
    t = np.broadcast_to(np.asarray(t, dtype=float), x.shape)
    log_shrink = np.log(beta + T) - np.log(beta + T + t)  # <= 0
    u = (s - 1) * log_shrink
    lifetime = np.where(np.abs(u) > 1e-12, -np.expm1(u) / np.where(s == 1, 1.0, s - 1), -log_shrink)
    return (r + x) / (alpha + T) * (beta + T) * lifetime


def _pareto_nbd_combine(if_alive, alive, t) -> np.ndarray:
    t = np.broadcast_to(np.asarray(t, dtype=float), np.shape(if_alive))
    expected = if_alive * alive
    return np.where(t > 0, np.maximum(np.nan_to_num(expected, nan=0.0, posinf=0.0, neginf=0.0), 0.0), 0.0)


# ------------------------------------------------------------------------------------------ model table
@dataclass(frozen=True)
class PurchaseModel:
    """A purchase model: its parameters, likelihood, P(alive) and conditional expected purchases."""

    name: str
    parameters: tuple[str, ...]
    log_likelihood: Callable[..., np.ndarray]
    probability_alive: Callable[..., np.ndarray]
    expected_purchases: Callable[..., np.ndarray]
    # starting points, given the customers' mean age
    starts: Callable[[float], list[tuple[float, ...]]]
    # extra likelihood arguments computed once a fit from the collapsed data
    prepare: Callable[[dict[str, np.ndarray]], dict] = lambda data: {}
    # expected_purchases(params, t, x, t_x, T) == combine(if_alive(params, t, x, T),
    # probability_alive(params, x, t_x, T), t): the if-alive part depends on (x, T) only, which
    # customers share far more than (x, t_x, T), so predictions compute it once a pair
    if_alive: Callable[..., np.ndarray] | None = None
    combine: Callable[..., np.ndarray] | None = None


def _beta_geometric_starts(scale: float) -> list[tuple[float, ...]]:
    return [(0.5, scale / 2, 1.0, 2.0), (1.0, scale, 0.5, 1.0)]


def _pareto_starts(scale: float) -> list[tuple[float, ...]]:
    return [(0.5, scale / 2, 0.5, scale / 2), (1.0, scale, 1.0, scale * 2)]


PURCHASE_MODELS: dict[str, PurchaseModel] = {
    "bg_nbd": PurchaseModel(
        "bg_nbd",
        BG_NBD_PARAMETERS,
        bg_nbd_log_likelihood,
        bg_nbd_probability_alive,
        bg_nbd_expected_purchases,
        _beta_geometric_starts,
        if_alive=bg_nbd_if_alive,
        combine=_beta_geometric_combine,
    ),
    "mbg_nbd": PurchaseModel(
        "mbg_nbd",
        MBG_NBD_PARAMETERS,
        mbg_nbd_log_likelihood,
        mbg_nbd_probability_alive,
        mbg_nbd_expected_purchases,
        _beta_geometric_starts,
        if_alive=mbg_nbd_if_alive,
        combine=_beta_geometric_combine,
    ),
    "pareto_nbd": PurchaseModel(
        "pareto_nbd",
        PARETO_NBD_PARAMETERS,
        pareto_nbd_log_likelihood,
        pareto_nbd_probability_alive,
        pareto_nbd_expected_purchases,
        _pareto_starts,
        lambda data: {"pairs": pareto_nbd_pairs(data["x"], data["t_x"], data["T"])},
        if_alive=pareto_nbd_if_alive,
        combine=_pareto_nbd_combine,
    ),
}


# Kept for the callers of the BG/NBD-only API.
probability_alive = bg_nbd_probability_alive
expected_purchases = bg_nbd_expected_purchases


# ------------------------------------------------------------------------------------------ fitting
def _maximise(log_likelihood, names, data, weights, starts, to_params, from_params) -> FitResult:
    """Maximise sum(weights * log_likelihood(to_params(theta), **data)) over theta from each start
    (in parameter space); theta is searched within the log of PARAMETER_RANGE."""
    low, high = np.log(PARAMETER_RANGE)
    bounds = [(low, high)] * len(names)

    customers = float(weights.sum())

    def negative(theta):
        # the mean per customer: gradients of order 1 keep the first steps inside the range
        with np.errstate(all="ignore"):
            values = log_likelihood(to_params(theta), **data)
        mean = np.sum(weights * values) / customers
        return -mean if np.isfinite(mean) else 1e300

    best = None
    for guess in starts:
        theta0 = np.clip(from_params(np.asarray(guess, dtype=float)), low, high)
        result = optimize.minimize(negative, theta0, method="L-BFGS-B", bounds=bounds)
        if not result.success:
            # a rough surface near the start: polish with the derivative-free simplex
            result = optimize.minimize(
                negative,
                result.x,
                method="Nelder-Mead",
                bounds=bounds,
                options={"maxiter": 4000, "xatol": 1e-8, "fatol": 1e-10},
            )
        if best is None or result.fun < best.fun:
            best = result
    values = to_params(best.x)
    finite = bool(np.isfinite(best.fun) and best.fun < 1e300 and np.all(np.isfinite(values)))
    log_likelihood_total = float(-best.fun * customers) if finite else float("nan")
    edge = tuple(name for name, theta in zip(names, best.x, strict=True) if theta <= low + 1e-6 or theta >= high - 1e-6)
    note = None
    if not finite:
        note = "the likelihood could not be evaluated at any starting point"
    elif not best.success:
        note = f"the optimiser did not converge: {best.message}"
    elif edge:
        note = f"{', '.join(edge)} at the edge of the search range {PARAMETER_RANGE}: the likelihood is flat there"
    return FitResult(
        params=dict(zip(names, [float(v) for v in values], strict=True)),
        log_likelihood=log_likelihood_total,
        customers=int(customers),
        converged=bool(best.success and finite),
        note=note,
        at_bound=edge,
    )


def fit_purchase_model(model: str, frequency, recency, age) -> FitResult:
    """Maximum-likelihood parameters of PURCHASE_MODELS[model] for customers with at least one purchase.
    Not fitted (converged = False, with a note) without customers or without any repeat purchase: then
    the purchase rate cannot be told apart from drop-out."""
    spec = PURCHASE_MODELS[model]
    frequency, recency, age = _as_float(frequency, recency, age)
    if frequency.size == 0:
        return not_fitted(spec.parameters, 0, "no customers with a purchase to fit on")
    if not (frequency > 0).any():
        return not_fitted(
            spec.parameters, frequency.size, "no repeat purchases: the purchase rate cannot be told apart from drop-out"
        )
    data, weights = _collapse({"x": frequency, "t_x": recency, "T": age})
    scale = max(float(np.average(data["T"], weights=weights)), 1.0)
    return _maximise(
        spec.log_likelihood,
        spec.parameters,
        {**data, **spec.prepare(data)},
        weights,
        spec.starts(scale),
        np.exp,
        np.log,
    )


def fit_bg_nbd(frequency, recency, age) -> FitResult:
    """Maximum-likelihood BG/NBD parameters (r, alpha, a, b); see fit_purchase_model."""
    return fit_purchase_model("bg_nbd", frequency, recency, age)


def fit_mbg_nbd(frequency, recency, age) -> FitResult:
    """Maximum-likelihood MBG/NBD parameters (r, alpha, a, b); see fit_purchase_model."""
    return fit_purchase_model("mbg_nbd", frequency, recency, age)


def fit_pareto_nbd(frequency, recency, age) -> FitResult:
    """Maximum-likelihood Pareto/NBD parameters (r, alpha, s, beta); see fit_purchase_model."""
    return fit_purchase_model("pareto_nbd", frequency, recency, age)


def select_purchase_model(fits: dict[str, FitResult], choice: str) -> str | None:
    """The purchase model to predict with: `choice` itself (bg_nbd, mbg_nbd, pareto_nbd) when it
    converged, or for `auto` the converged model with the lowest BIC; None when that model (or every
    model, for auto) did not converge."""
    if choice != "auto" and choice not in PURCHASE_MODELS:
        raise ValueError(f"clv_model must be auto or one of {sorted(PURCHASE_MODELS)}, not {choice!r}")
    converged = {name: fit.bic for name, fit in fits.items() if fit.converged and np.isfinite(fit.bic)}
    if choice != "auto":
        return choice if choice in converged else None
    return min(converged, key=converged.get) if converged else None


# ------------------------------------------------------------------------------------------ Gamma-Gamma
def gamma_gamma_log_likelihood(params, x, m) -> np.ndarray:
    """Per-customer log-likelihood of the mean repeat-order value m given x >= 1 repeat orders
    (Fader & Hardie 2013)."""
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


def _gamma_gamma_to_params(theta):
    return np.array([np.exp(theta[0]), 1.0 + np.exp(theta[1]), np.exp(theta[2])])


def _gamma_gamma_from_params(params):
    return np.log([params[0], max(params[1] - 1.0, PARAMETER_RANGE[0]), params[2]])


def fit_gamma_gamma(frequency, monetary_value) -> FitResult:
    """Maximum-likelihood Gamma-Gamma parameters (p, q, gamma) on customers with frequency >= 1 and a
    positive mean order value (the Gamma has no mass at 0), with q > 1 as a constraint (q = 1 +
    exp(theta)). When the estimate sits on that bound (q - 1 < GAMMA_GAMMA_Q_BOUND_TOLERANCE) the note
    says so and `at_bound` names q: use shrunk_order_value then. Not fitted (converged = False) without
    such customers."""
    frequency, monetary_value = _as_float(frequency, monetary_value)
    keep = (frequency > 0) & np.isfinite(monetary_value) & (monetary_value > 0)
    if not keep.any():
        return not_fitted(GAMMA_GAMMA_PARAMETERS, 0, "no repeat buyers with a positive order value to fit on")
    data, weights = _collapse({"x": frequency[keep], "m": monetary_value[keep]})
    mean_value = float(np.average(data["m"], weights=weights))
    starts = [(2.0, 3.0, mean_value), (5.0, 5.0, mean_value * 2)]
    fit = _maximise(
        gamma_gamma_log_likelihood,
        GAMMA_GAMMA_PARAMETERS,
        data,
        weights,
        starts,
        _gamma_gamma_to_params,
        _gamma_gamma_from_params,
    )
    if fit.converged and fit.params["q"] - 1.0 < GAMMA_GAMMA_Q_BOUND_TOLERANCE:
        note = (
            f"q at its bound 1 (q - 1 < {GAMMA_GAMMA_Q_BOUND_TOLERANCE}): the data would take q <= 1, "
            "where the population's mean spend does not exist; the expected order value shrinks each "
            f"customer's mean towards the sample mean with weight x / (x + {SHRINKAGE_PSEUDO_ORDERS:g})"
        )
        fit = FitResult(
            fit.params, fit.log_likelihood, fit.customers, fit.converged, note, tuple(sorted(set(fit.at_bound) | {"q"}))
        )
    return fit


def gamma_gamma_is_usable(fit: FitResult) -> bool:
    """Whether the Gamma-Gamma mean applies: converged with q off its bound 1."""
    return fit.converged and "q" not in fit.at_bound


def expected_order_value(params, x, m) -> np.ndarray:
    """E[M | p, q, gamma, x, m_x] = p (gamma + x m_x) / (p x + q - 1) (Fader & Hardie 2013): the
    customer's expected order value, the population mean p gamma / (q - 1) for x = 0. Positive for
    q > 1 (which fit_gamma_gamma guarantees); negative m_x counts as 0."""
    p, q, gamma = (params[name] for name in GAMMA_GAMMA_PARAMETERS)
    x = np.asarray(x, dtype=float)
    m = np.maximum(np.nan_to_num(np.asarray(m, dtype=float), nan=0.0), 0.0)
    return (p * (gamma + x * m)) / (p * x + q - 1)


def sample_mean_order_value(frequency, monetary_value) -> float:
    """Mean value of all repeat orders in the data, sum(x m_x) / sum(x) over customers with x >= 1
    (zero-value orders included); nan without repeat orders."""
    frequency, monetary_value = _as_float(frequency, monetary_value)
    keep = (frequency > 0) & np.isfinite(monetary_value)
    if not keep.any():
        return float("nan")
    return float(np.sum(frequency[keep] * np.maximum(monetary_value[keep], 0.0)) / np.sum(frequency[keep]))


def shrunk_order_value(x, m, sample_mean: float, pseudo_orders: float = SHRINKAGE_PSEUDO_ORDERS) -> np.ndarray:
    """w m_x + (1 - w) sample_mean with w = x / (x + pseudo_orders): the customer's own mean repeat-order
    value shrunk towards the sample mean (the sample mean itself for x = 0). The expected order value
    when Gamma-Gamma's q sits on its bound 1; never negative."""
    x = np.asarray(x, dtype=float)
    m = np.maximum(np.nan_to_num(np.asarray(m, dtype=float), nan=0.0), 0.0)
    w = x / (x + pseudo_orders)
    return w * m + (1 - w) * max(sample_mean, 0.0)


# ------------------------------------------------------------------------------------------ fallbacks
def historical_purchase_rate(x, T) -> np.ndarray:
    """Repeat purchases per time unit so far, x / T (0 when T = 0): the expected purchases of a
    customer whose purchase model could not be fitted are this rate x the horizon."""
    x, T = _as_float(x, T)
    return np.where(T > 0, x / np.where(T > 0, T, 1.0), 0.0)


def historical_order_value(x, m, sample_mean: float) -> np.ndarray:
    """The customer's mean repeat-order value m_x when they have one (x >= 1), else sample_mean: the
    expected order value when Gamma-Gamma could not be fitted (nan when neither exists)."""
    x = np.asarray(x, dtype=float)
    m = np.asarray(m, dtype=float)
    own = (x > 0) & np.isfinite(m)
    return np.where(own, np.maximum(np.where(own, m, 0.0), 0.0), sample_mean)


# ------------------------------------------------------------------------------------------ CLV
def discounted_clv(
    cumulative_purchases: Callable[[float], np.ndarray],
    order_value,
    margin_ratio,
    horizon: float,
    step: float,
    discount_per_step: float,
) -> np.ndarray:
    """Margin-based CLV: the expected purchases in each step of the horizon (differences of
    `cumulative_purchases(t)`, expected purchases in the next t time units) x order value x margin
    ratio, discounted to today at `discount_per_step` per step. Never negative: a negative or missing
    order value or margin counts as 0."""
    value = np.nan_to_num(np.asarray(order_value, dtype=float) * np.asarray(margin_ratio, dtype=float), nan=0.0)
    value = np.maximum(value, 0.0)
    previous = np.asarray(cumulative_purchases(0.0), dtype=float) * 0.0
    total = np.zeros(np.broadcast_shapes(previous.shape, value.shape), dtype=float)
    steps = int(np.ceil(horizon / step - 1e-9))
    for k in range(1, steps + 1):
        cumulative = np.asarray(cumulative_purchases(min(k * step, horizon)), dtype=float)
        total += np.maximum(cumulative - previous, 0.0) * value / (1 + discount_per_step) ** k
        previous = cumulative
    return total


# ------------------------------------------------------------------------------------------ simulators
def _simulate_beta_geometric(
    customers: int, params: dict[str, float], T, seed: int, holdout: float, modified: bool
) -> pd.DataFrame:
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
    alive = np.ones(customers, dtype=bool)  # not dropped out by T
    if modified:  # the drop-out chance right after the first purchase
        alive &= rng.random(customers) >= dropout
        active &= alive
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
        alive[buyers[dies & in_calibration]] = False
    return pd.DataFrame(
        {"frequency": frequency, "recency": recency, "T": T, "holdout_frequency": holdout_frequency, "alive": alive}
    )


def simulate_bg_nbd(customers: int, params: dict[str, float], T, seed: int, holdout: float = 0.0) -> pd.DataFrame:
    """Customers drawn from BG/NBD with the given parameters, observed for T time units after their
    first purchase (continuous time). Returns frequency, recency and T, holdout_frequency (the
    purchases in the `holdout` time units after T) and alive (not dropped out by T)."""
    return _simulate_beta_geometric(customers, params, T, seed, holdout, modified=False)


def simulate_mbg_nbd(customers: int, params: dict[str, float], T, seed: int, holdout: float = 0.0) -> pd.DataFrame:
    """Customers drawn from MBG/NBD: as simulate_bg_nbd, with a drop-out chance right after the
    first purchase too."""
    return _simulate_beta_geometric(customers, params, T, seed, holdout, modified=True)


def simulate_pareto_nbd(customers: int, params: dict[str, float], T, seed: int, holdout: float = 0.0) -> pd.DataFrame:
    """Customers drawn from Pareto/NBD: lambda ~ Gamma(r, alpha), mu ~ Gamma(s, beta), lifetime ~
    Exponential(mu), purchases a Poisson(lambda) process while alive. Same columns as simulate_bg_nbd."""
    rng = np.random.default_rng(seed)
    T = np.broadcast_to(np.asarray(T, dtype=float), (customers,)).copy()
    rate = rng.gamma(params["r"], 1 / params["alpha"], customers)
    death = rng.exponential(1 / rng.gamma(params["s"], 1 / params["beta"], customers))
    observed = np.minimum(death, T + holdout)
    counts = rng.poisson(rate * observed)
    owner = np.repeat(np.arange(customers), counts)
    times = rng.random(owner.size) * observed[owner]  # a Poisson process's times are uniform given the count
    in_calibration = times <= T[owner]
    frequency = np.bincount(owner[in_calibration], minlength=customers).astype(float)
    recency = np.zeros(customers)
    np.maximum.at(recency, owner[in_calibration], times[in_calibration])
    holdout_frequency = np.bincount(owner[~in_calibration], minlength=customers).astype(float)
    return pd.DataFrame(
        {"frequency": frequency, "recency": recency, "T": T, "holdout_frequency": holdout_frequency, "alive": death > T}
    )


def simulate_gamma_gamma(frequency, params: dict[str, float], seed: int) -> np.ndarray:
    """Mean order value of each customer's `frequency` orders under Gamma-Gamma (nan when 0 orders)."""
    rng = np.random.default_rng(seed)
    frequency = np.asarray(frequency, dtype=int)
    nu = rng.gamma(params["q"], 1 / params["gamma"], frequency.size)
    # the sum of x Gamma(p, nu) values is Gamma(p x, nu)
    totals = rng.gamma(np.maximum(params["p"] * frequency, 1e-12), 1 / nu)
    return np.where(frequency > 0, totals / np.maximum(frequency, 1), np.nan)
