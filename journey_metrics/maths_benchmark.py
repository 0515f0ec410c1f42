"""Timings of the Python models' maths at scale: `python -m journey_metrics.maths_benchmark [--customers N]`.

Synthetic inputs shaped like the SQL-prepared tables (no dbt, no I/O), so the figures are the
models' own cost on this machine.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from journey_metrics import clv, clv_tables, experiments


def clv_summary(customers: int, seed: int) -> pd.DataFrame:
    """A day-grain CLV summary like int_customer_clv_summary, drawn from BG/NBD and Gamma-Gamma."""
    rng = np.random.default_rng(seed)
    ages = np.floor(rng.uniform(1, 730, customers))
    sim = clv.simulate_bg_nbd(customers, {"r": 0.4, "alpha": 20.0, "a": 0.8, "b": 5.0}, T=ages, seed=seed)
    values = clv.simulate_gamma_gamma(sim["frequency"], {"p": 6.0, "q": 4.0, "gamma": 75.0}, seed=seed)
    return pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(customers)],
            "has_purchased": True,
            "frequency": sim["frequency"],
            "recency": np.floor(sim["recency"]),
            "age": sim["T"],
            "monetary_value": np.round(values, 2),
            "margin_ratio": 0.35,
            "holdout_purchases": 0,
            "holdout_length": 0.0,
            "calibration_end": pd.Timestamp("2025-12-31"),
            "time_unit": "day",
        }
    )


def experiment_tables(assignment_rows: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A 3 × 2 × 2 experiment with `assignment_rows` assignment rows (three per customer)."""
    rng = np.random.default_rng(seed)
    customers = assignment_rows // 3
    ids = np.array([f"C{i}" for i in range(customers)])
    design = {
        "pricing": ["control", "discount_10", "bundle"],
        "feature": ["off", "on"],
        "support": ["standard", "priority"],
    }
    levels = {factor: rng.choice(options, customers) for factor, options in design.items()}
    outcome = (
        60
        + 5 * (levels["pricing"] == "discount_10")
        + 12 * (levels["pricing"] == "bundle")
        + 8 * (levels["feature"] == "on")
        + rng.gamma(4, 6.25, customers)
    )
    outcomes = pd.DataFrame({"experiment_id": "EXP", "customer_id": ids, "metric": "revenue", "outcome": outcome})
    assignments = pd.concat(
        pd.DataFrame({"experiment_id": "EXP", "customer_id": ids, "factor": factor, "level": values})
        for factor, values in levels.items()
    )
    return outcomes, assignments


def timed(label: str, function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    print(f"{label:<58}{time.perf_counter() - started:>8.1f} s", flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000, help="customers (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    n = args.customers

    summary = clv_summary(n, args.seed)
    params = timed(
        f"CLV: fit BG/NBD, MBG/NBD, Pareto/NBD + Gamma-Gamma, {n:,} customers", clv_tables.model_params, summary, 20
    )
    timed(f"CLV: predictions, {n:,} customers", clv_tables.predictions, summary, params, 365, 0.10)

    outcomes, assignments = experiment_tables(n, args.seed)
    preference = ["control", "off", "standard"]
    timed(f"Experiment cells: {n:,} assignments", experiments.analyse_cells, outcomes, assignments)
    timed(f"Experiment anova: {n:,} assignments", experiments.analyse_anova, outcomes, assignments, preference)
    timed(f"Experiment effects: {n:,} assignments", experiments.analyse_effects, outcomes, assignments, preference)
    timed(f"Experiment SRM: {n:,} assignments", experiments.sample_ratio_mismatch, assignments, 0.001)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
