"""Synthetic demo data for journey-metrics, with known ("planted") truths that the marts must recover.

Usage: ``python -m journey_metrics.generate --customers 5000 --seed 42 --out data/demo``
(``--help`` lists every option). In Python: ``generate(out_dir, ...)`` returns the ground-truth dict.

Where things are: ``world`` (the parameters of the simulated world: segments, rates, mixes, the experiment,
the costs, the calendar; order statuses and ticket categories are the project's vars), ``simulation`` (one
chunk of customers drawn from them), ``writers`` (the raw contract's columns and the CSV / Parquet files),
``truth`` (``_truth/customer_truth.csv`` and ``ground_truth.json``), ``__main__`` (the command line) and
``generate()`` below, which runs them chunk by chunk.

The latent model
================
Every customer belongs to one of four latent **segments** (``SEGMENTS``), each with its own parameters:
``loyal_high_value``, ``bargain_occasional``, ``support_heavy_at_risk`` and ``browsers``. A customer's journey
is drawn in this order (all times are whole seconds, UTC, inside ``[start, start + days)``):

1. **Awareness** -- the customer is created (sign-ups are seasonal: Nov/Dec x1.5, weekends x0.7) and the first
   event, an awareness-stage event matching the acquisition channel, happens exactly at ``created_at``.
2. **Consideration** -- with probability ``p_consider[segment]`` a first consideration-stage event follows after
   a log-normal delay. Non-considerers only ever get awareness-stage events and never order.
3. **Decision** -- a considerer decides with probability ``p_decide[segment]``: the first completed order follows
   the consideration events. For considerers who never decide, the very last event is ``pricing_view`` with
   probability 0.5; for deciders the last consideration event before the first order is ``pricing_view`` with
   probability 0.15 (the planted drop-off pain point).
4. **Retention** -- after the first order purchases follow a BG/NBD-like process: rate ``lambda ~ Gamma(r, alpha)``
   (per day) and, after every purchase including the first (the "modified" BG/NBD), the customer drops out with
   probability ``p ~ Beta(a, b)``. Purchases are a Poisson process while alive, observed until the end date.
   Retained = at least two completed orders. Order values follow the Gamma-Gamma model: per-customer
   ``nu ~ Gamma(q, rate=gamma)`` and each value ``~ Gamma(p, rate=nu)``.
5. **Advocacy** -- a retained customer is an advocate with probability ``p_advocate[segment]``. Every advocate
   claims a loyalty reward (``loyalty_reward_claimed``) after retention, sends 1-3 referrals after retention,
   the first one within 0-7 days of that claim with probability 0.7 (the planted referral trigger).
   Non-advocates never refer and never answer a survey with NPS >= 9 at or after their retention.

Around that skeleton: events in bursts (sessions), support tickets (segment rates and category mixes), surveys
after orders and tickets (NPS driven by the segment and by tickets in the 30 days before), referrals that convert
(p = 0.3) into new ``referral`` customers who run the same journey (cascades over several generations) with
16% higher order values (the planted referral uplift: their ``nu`` divided by 1.16), one
2x3x2 factorial experiment on revenue with one planted interaction, and monthly value-chain activity costs
(fixed + unit cost x driver volume + noise).

Scaling: customers are simulated in chunks of ``--chunk-size`` acquired customers (plus the customers they refer),
each chunk with its own ``numpy.random.default_rng(SeedSequence([seed, chunk_index]))``. A chunk's rows are
written and dropped before the next chunk starts; only ID counters and monthly driver volumes are kept, so
memory does not grow with ``--customers``. All work inside a chunk is vectorised numpy. The same arguments
always give byte-identical files.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from journey_metrics.generate.simulation import plant_activity_costs, simulate_chunk
from journey_metrics.generate.truth import TRUTH_DIR, TruthWriter, ground_truth
from journey_metrics.generate.world import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_CUSTOMERS,
    DEFAULT_DAYS,
    DEFAULT_FORMAT,
    DEFAULT_SEED,
    DEFAULT_START,
    FORMATS,
    Calendar,
)
from journey_metrics.generate.writers import TABLES, Counters, RawWriter, write_chunk, write_costs, write_experiments

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "DEFAULT_CUSTOMERS",
    "DEFAULT_DAYS",
    "DEFAULT_FORMAT",
    "DEFAULT_SEED",
    "DEFAULT_START",
    "FORMATS",
    "TABLES",
    "generate",
]


def generate(
    out_dir: str | Path,
    customers: int = DEFAULT_CUSTOMERS,
    seed: int = DEFAULT_SEED,
    fmt: str = DEFAULT_FORMAT,
    start: str = DEFAULT_START,
    days: int = DEFAULT_DAYS,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Write the raw demo tables, ground_truth.json and _truth/customer_truth.csv into out_dir.

    `customers` counts the acquired (non-referred) customers; referred customers come on top. Existing table
    folders, _truth and ground_truth.json in out_dir are replaced. Returns the ground-truth dict.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, not {fmt!r}")
    if customers < 0 or days < 1 or chunk_size < 1 or seed < 0:
        raise ValueError("customers must be >= 0, days and chunk_size >= 1, seed >= 0")
    cal = Calendar.build(start, days)
    out = Path(out_dir)
    for name in (*TABLES, TRUTH_DIR):
        if (out / name).exists():
            shutil.rmtree(out / name)
    out.mkdir(parents=True, exist_ok=True)
    writer, truth_writer = RawWriter(out, fmt), TruthWriter(out)
    counters = Counters(months=cal.month_starts.size)
    n_chunks = -(-customers // chunk_size)
    try:
        for index in range(n_chunks):
            n_acquired = min(chunk_size, customers - index * chunk_size)
            chunk = simulate_chunk(cal, seed, index, n_acquired)
            write_chunk(writer, truth_writer, cal, chunk, index, counters)
            del chunk
            if progress:
                progress(
                    f"chunk {index + 1}/{n_chunks}: {counters.ids['customer']:,} customers, "
                    f"{counters.ids['event']:,} events"
                )
    finally:
        truth_writer.close()
    write_experiments(writer, cal)
    planted_costs = plant_activity_costs(seed, customers)
    write_costs(writer, cal, seed, planted_costs, counters)
    writer.finish()
    args = {"customers": customers, "seed": seed, "fmt": fmt, "days": days, "chunk_size": chunk_size}
    truth = ground_truth(args, cal, counters, writer, planted_costs)
    (out / "ground_truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return truth
