"""Helpers for tests that drive dbt: write raw tables, run dbt in a subprocess, query the warehouse."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from journey_metrics import dbt_cli
from journey_metrics.contract import raw_columns, raw_tables
from journey_metrics.paths import REPO_ROOT

DBT = dbt_cli.DBT
# A fixed reference time, so `future_timestamp` does not depend on the day the tests run.
AS_OF = "2026-01-01T00:00:00Z"


def write_csv(path: Path, table: str, rows: list[dict], columns: list[str] | None = None) -> Path:
    """One CSV file of `table` (contract columns unless `columns` is given); missing keys are empty."""
    columns = columns or raw_columns(table)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else row[c] for c in columns])
    return path


def write_tables(raw_dir: Path, tables: dict[str, list[dict]], file_name: str = "part-1.csv") -> None:
    """One file per table; every contract table gets a file (header-only when it has no rows)."""
    for table in raw_tables():
        write_csv(raw_dir / table / file_name, table, tables.get(table, []))


def run_dbt(
    args: list[str],
    raw_dir: Path,
    db_path: Path,
    tmp_path: Path,
    vars: dict | None = None,
) -> subprocess.CompletedProcess:
    """Run dbt from the repository root against `raw_dir`, writing `db_path`, as of AS_OF; never raises."""
    return dbt_cli.run_dbt(args, raw_dir, db_path, tmp_path, {"as_of": AS_OF, **(vars or {})})


def dbt_build(raw_dir: Path, tmp_path: Path, vars: dict | None = None) -> Path:
    """`dbt build` that must succeed; returns the warehouse path."""
    db_path = tmp_path / "warehouse.duckdb"
    result = run_dbt(["build"], raw_dir, db_path, tmp_path, vars)
    assert result.returncode == 0, f"dbt build failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    return db_path


def compile_inline(sql: str, tmp_path: Path) -> str:
    """`sql` (Jinja: our macros) as `dbt compile --inline` compiles it on DuckDB."""
    import json

    result = dbt_cli.run_dbt(
        ["compile", "--quiet", "--output", "json", "--inline", sql],
        tmp_path / "raw",
        tmp_path / "compile.duckdb",
        tmp_path,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(result.stdout[result.stdout.index("{") :])["compiled"]


def query(db_path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def count_raw_rows(raw_dir: Path, table: str) -> int:
    """Rows in a raw table's files, counted without DuckDB's CSV reader (csv module / pyarrow)."""
    import pyarrow.parquet as pq

    total = 0
    for path in sorted((raw_dir / table).rglob("*")):
        if path.suffix.lower() == ".csv":
            with path.open(newline="", encoding="utf-8-sig") as handle:
                total += sum(1 for _ in csv.reader(handle)) - 1
        elif path.suffix.lower() == ".parquet":
            total += pq.ParquetFile(path).metadata.num_rows
    return total


def assert_reconciles(raw_dir: Path, db_path: Path) -> dict[str, tuple[int, int, int]]:
    """raw rows = staged rows + rejected rows, for every table; returns the counts."""
    counts = {}
    for table in raw_tables():
        raw = count_raw_rows(raw_dir, table)
        staged = query(db_path, f"select count(*) from stg_{table}")[0][0]
        rejected = query(db_path, "select count(*) from rejected_rows where source_table = ?", [table])[0][0]
        assert raw == staged + rejected, f"{table}: raw {raw} != staged {staged} + rejected {rejected}"
        counts[table] = (raw, staged, rejected)
    return counts


def parse_semantic_manifest(raw_dir: Path, db_path: Path, work_dir: Path) -> Path:
    """`dbt parse` for the warehouse at db_path, and its semantic manifest put where `mf` reads it
    (<repo>/target/semantic_manifest.json, a fixed path) in one atomic rename: tests run side by side
    (pytest-xdist), and a reader must never see a half-written file. The manifest names the database by
    the file's stem (every test warehouse is a `warehouse.duckdb`), not by its path, so two parses
    for two demo warehouses write the same manifest. Returns db_path."""
    result = run_dbt(["parse"], raw_dir, db_path, work_dir)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    target = REPO_ROOT / "target"
    target.mkdir(exist_ok=True)
    staged = target / f"semantic_manifest.json.{os.getpid()}"
    shutil.copyfile(work_dir / "dbt_target" / "semantic_manifest.json", staged)
    os.replace(staged, target / "semantic_manifest.json")
    return db_path


def mf(db_path: Path, out: Path, arguments: list[str]) -> list[dict]:
    """`mf query <arguments> --csv out` on the warehouse at db_path (read-only, DBT_TARGET=reader);
    the answer's rows as dicts."""
    import sys

    env = {
        **os.environ,
        "JOURNEY_DUCKDB_PATH": str(db_path),
        "DBT_TARGET": "reader",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    mf_binary = Path(sys.executable).with_name("mf")
    result = subprocess.run(
        [str(mf_binary), "query", *arguments, "--quiet", "--csv", str(out)],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    with out.open() as handle:
        return list(csv.DictReader(handle))


LATE_DROPS = ("events", "orders")


@contextmanager
def last_month_held_back(raw_dir: Path, month: str = "2025-12") -> Iterator[Path]:
    """The raw data as it stood before `month`: its event and order files held back, and the last event
    file before it cut to its first two thirds (late events). On exit the held-back files come back and
    the cut file is re-delivered whole, as a day's delivery with late events does. Yields the cut file."""
    held_back = raw_dir.parent / f"{raw_dir.name}_held_back"
    moved = []
    for table in LATE_DROPS:
        (held_back / table).mkdir(parents=True)
        for path in (raw_dir / table).glob(f"*_{month}_*.csv"):
            shutil.move(path, held_back / table / path.name)
            moved.append((held_back / table / path.name, raw_dir / table / path.name))
    assert moved, f"no {month} files to hold back in {raw_dir}"
    redelivered = sorted((raw_dir / "events").glob("*.csv"))[-1]
    whole = redelivered.read_bytes()
    lines = whole.decode().splitlines(keepends=True)
    redelivered.write_text("".join(lines[: len(lines) - len(lines) // 3]))
    try:
        yield redelivered
    finally:
        for source, target in moved:
            shutil.move(source, target)
        redelivered.write_bytes(whole)
        shutil.rmtree(held_back)
