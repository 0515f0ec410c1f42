"""Incremental against full builds: `python -m journey_metrics.incremental_benchmark [--customers N]`.

Generates Parquet demo data (events partitioned by day) into a work folder, builds the warehouse on
every day but the last, adds the last day's events and builds again (incremental), then builds a
second warehouse from scratch on all days. Prints the seconds of the event-sized models and of the
whole build in each case, and checks that the event-sized tables of both warehouses are identical.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from journey_metrics.dbt_cli import run_dbt
from journey_metrics.generate import generate

EVENT_MODELS = ("base_events", "int_events_sessionised", "int_sessions_aggregated", "fct_touchpoints", "fct_sessions")
AS_OF = "2026-01-01T00:00:00Z"


def model_seconds(run_results: dict) -> dict[str, float]:
    """Execution seconds of each model in a dbt run_results.json document."""
    return {
        result["unique_id"].split(".")[-1]: result["execution_time"]
        for result in run_results["results"]
        if result["unique_id"].startswith("model.")
    }


def build(raw: Path, db: Path, work: Path) -> tuple[float, dict[str, float]]:
    started = time.perf_counter()
    result = run_dbt(["build"], raw, db, work, {"as_of": AS_OF})
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"dbt build failed:\n{result.stdout[-3000:]}")
    return seconds, model_seconds(json.loads((work / "dbt_target" / "run_results.json").read_text()))


def differences(left: Path, right: Path, table: str) -> int:
    """Rows of `table` in one warehouse and not the other, both ways."""
    with duckdb.connect(str(left), read_only=True) as con:
        con.execute(f"attach '{right}' as other (read_only)")
        return sum(
            con.execute(f"select count(*) from (select * from {a} except all select * from {b})").fetchone()[0]
            for a, b in ((table, f"other.{table}"), (f"other.{table}", table))
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000, help="customers (default 100,000)")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one, removed after)")
    args = parser.parse_args(argv)

    work = args.work or Path(tempfile.mkdtemp(prefix="journey_incremental_"))
    raw, held = work / "raw", work / "held"
    generate(raw, customers=args.customers, seed=args.seed, fmt="parquet")
    last_day = sorted((raw / "events").iterdir())[-1]
    held.mkdir(parents=True, exist_ok=True)
    shutil.move(last_day, held / last_day.name)
    (work / "incremental").mkdir(exist_ok=True)
    (work / "full").mkdir(exist_ok=True)
    incremental, full = work / "incremental" / "journey.duckdb", work / "full" / "journey.duckdb"

    build(raw, incremental, work)
    shutil.move(held / last_day.name, last_day)
    with duckdb.connect() as con:
        new_events = con.execute(f"select count(*) from read_parquet('{last_day}/*.parquet')").fetchone()[0]
    incremental_seconds, incremental_models = build(raw, incremental, work)
    full_seconds, full_models = build(raw, full, work)

    with duckdb.connect(str(full), read_only=True) as con:
        events = con.execute("select count(*) from base_events").fetchone()[0]
    print(f"{events:,} events; the incremental build adds {last_day.name} ({new_events:,} events)")
    print(f"{'model':<28}{'incremental s':>15}{'full s':>10}{'differences':>13}")
    for model in EVENT_MODELS:
        print(
            f"{model:<28}{incremental_models[model]:>15.1f}{full_models[model]:>10.1f}"
            f"{differences(incremental, full, model):>13}"
        )
    print(f"{'whole dbt build':<28}{incremental_seconds:>15.1f}{full_seconds:>10.1f}")
    if args.work is None:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
