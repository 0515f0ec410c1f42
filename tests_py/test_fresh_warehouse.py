"""dbt as CI runs it, on a warehouse that does not exist yet: `dbt run` stops before any model until
the seeds are loaded, and a selection builds with the flags the README gives."""

from __future__ import annotations

from helpers import query, run_dbt, write_tables

TABLES = {
    "customers": [{"customer_id": "C1", "created_at": "2024-01-01T00:00:00Z", "acquisition_channel": "email"}],
    "orders": [
        {"order_id": "O1", "customer_id": "C1", "ordered_at": "2024-02-01", "revenue": "10", "status": "completed"}
    ],
}


def test_dbt_run_on_a_fresh_warehouse_asks_for_the_seeds_then_runs(tmp_path):
    raw = tmp_path / "raw"
    write_tables(raw, TABLES)
    db = tmp_path / "fresh.duckdb"
    first = run_dbt(["run"], raw, db, tmp_path)
    output = first.stdout + first.stderr
    assert first.returncode != 0
    assert "are not loaded" in output and "Run `dbt seed` first, or `dbt build`" in output, output[-3000:]
    assert "stage_map" in output
    assert "OK created" not in output  # stopped before any model
    assert run_dbt(["seed"], raw, db, tmp_path).returncode == 0
    second = run_dbt(["run"], raw, db, tmp_path)
    assert second.returncode == 0, second.stdout[-3000:]
    assert query(db, "select count(*) from stg_orders") == [(1,)]


def test_a_model_and_what_it_reads_build_on_a_fresh_warehouse(tmp_path):
    raw = tmp_path / "raw"
    write_tables(raw, TABLES)
    db = tmp_path / "fresh.duckdb"
    result = run_dbt(["build", "--select", "+stg_orders", "--indirect-selection", "cautious"], raw, db, tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    assert query(db, "select order_id from stg_orders") == [("O1",)]
