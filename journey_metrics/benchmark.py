"""The build at scale: `make bench EVENTS=10000000`, or `python -m journey_metrics.benchmark --events N`.

1. Generates Parquet demo data of about N events into `target/bench/data/<N>/` if it is not there
   (the generator's acquired customers: N / EVENTS_PER_CUSTOMER; events partitioned by day), and
   holds its last day of events back.
2. Full `dbt build` from scratch on every day but the last (wall time, peak RSS, dbt's per-node
   times: models_s and tests_s are the sums of the model and test nodes' execution times).
3. Incremental `dbt build` after the last day is put back (one new day of events).
4. `python -m journey_metrics.validate` on the resulting warehouse (wall time, peak RSS).
5. The hand-written reference (journey_metrics/reference_marts.sql: funnel, touchpoint positions
   and customer value straight from the same files, one DuckDB script).

ratio_core_to_reference = the execution time of the SQL models the three core marts
(CORE_MARTS) are built from, themselves included (Python models excluded: the reference fits no
CLV model), in the full build ÷ the reference's wall time. Writes `target/bench/<N>.json` and
prints a table. Peak RSS is the maximum resident set of the command's process tree (os.wait4).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from journey_metrics.paths import REPO_ROOT

BENCH_DIR = REPO_ROOT / "target" / "bench"
# events per acquired customer in the generator's world (10.08M events for 190,000)
EVENTS_PER_CUSTOMER = 53.05
CORE_MARTS = ("mart_stage_funnel", "fct_touchpoints", "mart_customer_value")
REFERENCE_SQL = Path(__file__).with_name("reference_marts.sql")
REFERENCE_TABLES = (
    "customers",
    "events",
    "orders",
    "survey_responses",
    "referrals",
    "support_tickets",
    "activity_costs",
)
AS_OF = "2026-01-01T00:00:00Z"
SEED = 42


def measured(command: list[str], env: dict | None = None, cwd: Path = REPO_ROOT) -> tuple[float, float, int]:
    """Run `command`; its wall seconds, peak RSS in MB (process and waited-for children) and exit code."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    return seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)


def node_seconds(run_results: dict) -> dict[str, tuple[str, float]]:
    """unique_id -> (resource type, execution seconds) from a dbt run_results.json document."""
    return {r["unique_id"]: (r["unique_id"].split(".")[0], float(r["execution_time"])) for r in run_results["results"]}


def core_models(manifest: dict) -> set[str]:
    """The SQL models CORE_MARTS are built from, themselves included (Python models left out)."""
    nodes, parents = manifest["nodes"], manifest["parent_map"]
    wanted = {uid for uid, node in nodes.items() if node["resource_type"] == "model" and node["name"] in CORE_MARTS}
    seen, stack = set(), list(wanted)
    while stack:
        uid = stack.pop()
        if uid in seen or uid not in nodes:
            continue
        seen.add(uid)
        stack.extend(parents.get(uid, []))
    return {
        uid for uid in seen if nodes[uid]["resource_type"] == "model" and nodes[uid].get("language", "sql") == "sql"
    }


def reader(raw: Path, table: str) -> str:
    """DuckDB table expression of a raw table's CSV and Parquet files, every column as text."""
    folder = raw / table
    parts = []
    if any(folder.rglob("*.csv")):
        parts.append(
            f"select * from read_csv('{folder}/**/*.csv', header = true, all_varchar = true, union_by_name = true)"
        )
    if any(folder.rglob("*.parquet")):
        parts.append(
            f"select * from read_parquet('{folder}/**/*.parquet', union_by_name = true, hive_partitioning = false)"
        )
    return "(" + " union all by name ".join(parts) + ")"


def run_reference(raw: Path, db: Path) -> None:
    """Build the reference tables into `db` (a fresh file)."""
    sql = REFERENCE_SQL.read_text()
    for table in REFERENCE_TABLES:
        sql = sql.replace("{" + table + "}", reader(raw, table))
    sql = sql.replace("{seeds}", str(REPO_ROOT / "seeds"))
    db.unlink(missing_ok=True)
    with duckdb.connect(str(db)) as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute(sql)


def prepare_data(events: int, data_dir: Path) -> tuple[Path, Path]:
    """Generated data with its last day of events held back: (raw folder, held-back day folder)."""
    raw, held = data_dir / "raw", data_dir / "held"
    if not (raw / "ground_truth.json").exists():
        shutil.rmtree(data_dir, ignore_errors=True)
        customers = max(1, round(events / EVENTS_PER_CUSTOMER))
        command = [
            sys.executable,
            "-m",
            "journey_metrics.generate",
            "--customers",
            str(customers),
            "--seed",
            str(SEED),
            "--format",
            "parquet",
            "--out",
            str(raw),
        ]
        subprocess.run(command, cwd=REPO_ROOT, check=True)
    held.mkdir(parents=True, exist_ok=True)
    for day in list(held.iterdir()):  # a run that stopped half-way: put the day back first
        shutil.move(str(day), str(raw / "events" / day.name))
    return raw, held


def dbt_env(raw: Path, db: Path, work: Path) -> dict[str, str]:
    return {
        "JOURNEY_RAW_DIR": str(raw),
        "JOURNEY_DUCKDB_PATH": str(db),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "GX_ANALYTICS_ENABLED": "false",
    }


def bench(events: int, root: Path = BENCH_DIR) -> dict:
    data_dir = root / "data" / str(events)
    raw, held = prepare_data(events, data_dir)
    work = root / "work" / str(events)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db = work / "journey.duckdb"
    dbt = str(Path(sys.executable).with_name("dbt"))
    build = [dbt, "build", "--vars", json.dumps({"as_of": AS_OF})]

    days = sorted((raw / "events").iterdir())
    last_day = days[-1]
    shutil.move(str(last_day), str(held / last_day.name))
    try:
        full_s, full_rss, code = measured(build, dbt_env(raw, db, work))
        if code != 0:
            raise SystemExit(f"full dbt build failed: see {work / 'logs'}")
        run_results = json.loads((work / "target" / "run_results.json").read_text())
        manifest = json.loads((work / "target" / "manifest.json").read_text())
    finally:
        shutil.move(str(held / last_day.name), str(last_day))
    nodes = node_seconds(run_results)

    incremental_s, incremental_rss, code = measured(build, dbt_env(raw, db, work))
    if code != 0:
        raise SystemExit(f"incremental dbt build failed: see {work / 'logs'}")

    validate_s, validate_rss, code = measured(
        [sys.executable, "-m", "journey_metrics.validate", "--db", str(db), "--no-docs"],
        dbt_env(raw, db, work),
    )
    reference_db = work / "reference" / "reference.duckdb"
    reference_db.parent.mkdir(exist_ok=True)
    reference_s, reference_rss, reference_code = measured(
        [
            sys.executable,
            "-c",
            f"from journey_metrics.benchmark import run_reference; from pathlib import Path; "
            f"run_reference(Path({str(raw)!r}), Path({str(reference_db)!r}))",
        ]
    )
    if reference_code != 0:
        raise SystemExit("the reference script failed")

    with duckdb.connect(str(db), read_only=True) as con:
        staged_events = con.execute("select count(*) from stg_events").fetchone()[0]
        customers = con.execute("select count(*) from stg_customers").fetchone()[0]
    core = core_models(manifest)
    core_s = sum(seconds for uid, (_, seconds) in nodes.items() if uid in core)
    slowest = sorted(
        (
            (uid.split(".")[-1] if kind != "test" else uid.split(".")[2], kind, seconds)
            for uid, (kind, seconds) in nodes.items()
        ),
        key=lambda row: -row[2],
    )[:10]
    result = {
        "events": staged_events,
        "customers": customers,
        "full_build_s": round(full_s, 1),
        "models_s": round(sum(s for kind, s in nodes.values() if kind == "model"), 1),
        "tests_s": round(sum(s for kind, s in nodes.values() if kind in ("test", "unit_test")), 1),
        "incremental_build_s": round(incremental_s, 1),
        "validate_s": round(validate_s, 1),
        "validate_passed": code == 0,
        "reference_s": round(reference_s, 1),
        "core_models_s": round(core_s, 1),
        "ratio_core_to_reference": round(core_s / reference_s, 2) if reference_s else None,
        "peak_rss_mb": {
            "build": round(full_rss),
            "incremental_build": round(incremental_rss),
            "validate": round(validate_rss),
            "reference": round(reference_rss),
        },
        "slowest_nodes": [
            {"node": name, "type": kind, "seconds": round(seconds, 1)} for name, kind, seconds in slowest
        ],
        "machine": {
            "cores": os.cpu_count(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        },
        "threads_memory": {
            key: os.environ.get(key, "profiles.yml default")
            for key in ("JOURNEY_DUCKDB_THREADS", "JOURNEY_DUCKDB_MEMORY_LIMIT")
        },
    }
    (root / f"{events}.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def table(result: dict) -> str:
    rows = [
        ("events", f"{result['events']:,}"),
        ("customers", f"{result['customers']:,}"),
        ("full dbt build", f"{result['full_build_s']} s, peak {result['peak_rss_mb']['build']:,} MB"),
        ("  models / tests (node time)", f"{result['models_s']} s / {result['tests_s']} s"),
        (
            "incremental build (one new day)",
            f"{result['incremental_build_s']} s, peak {result['peak_rss_mb']['incremental_build']:,} MB",
        ),
        ("validate", f"{result['validate_s']} s, peak {result['peak_rss_mb']['validate']:,} MB"),
        ("hand-written reference", f"{result['reference_s']} s"),
        (
            "core marts' models / reference",
            f"{result['core_models_s']} s / {result['reference_s']} s = {result['ratio_core_to_reference']}×",
        ),
    ]
    lines = [f"{label:<34}{value}" for label, value in rows]
    lines.append("slowest nodes: " + ", ".join(f"{n['node']} {n['seconds']}" for n in result["slowest_nodes"]))
    return "\n".join(lines)


def plot(results: list[dict], out: Path) -> None:
    """Build time and peak memory against events (log scale), one point per result, to a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = sorted(results, key=lambda r: r["events"])
    events = [r["events"] for r in results]
    figure, (time_axis, memory_axis) = plt.subplots(1, 2, figsize=(10, 4), dpi=120)
    for key, label in (
        ("full_build_s", "full build"),
        ("incremental_build_s", "incremental build (one day)"),
        ("validate_s", "validate"),
        ("reference_s", "hand-written reference"),
    ):
        time_axis.plot(events, [r[key] for r in results], marker="o", label=label)
    time_axis.set(xscale="log", yscale="log", xlabel="events", ylabel="seconds (wall)", title="Time")
    for key, label in (("build", "full build"), ("validate", "validate")):
        memory_axis.plot(events, [r["peak_rss_mb"][key] / 1024 for r in results], marker="o", label=label)
    memory_axis.set(xscale="log", xlabel="events", ylabel="peak RSS (GB)", title="Memory")
    machine = results[-1]["machine"]
    figure.suptitle(f"make bench, {machine['cores']} cores, {machine['memory_gb']} GB")
    for axis in (time_axis, memory_axis):
        axis.grid(True, which="both", alpha=0.3)
        axis.legend(fontsize=8)
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="about this many events (default 1,000,000)")
    parser.add_argument(
        "--root", type=Path, default=BENCH_DIR, help="data, work folders and results (default target/bench)"
    )
    parser.add_argument(
        "--plot",
        type=Path,
        metavar="PNG",
        help="only plot the results in --root (every <events>.json) to this PNG (docs/benchmark_scaling.png)",
    )
    args = parser.parse_args(argv)
    if args.plot:
        results = [json.loads(path.read_text()) for path in sorted(args.root.glob("*.json"))]
        if not results:
            raise SystemExit(f"no benchmark results in {args.root}: run `make bench EVENTS=N` first")
        plot(results, args.plot)
        print(f"written {args.plot}")
        return 0
    result = bench(args.events, args.root)
    print(table(result))
    print(f"written {args.root / f'{args.events}.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
