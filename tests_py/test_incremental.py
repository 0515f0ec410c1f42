"""Incremental = full refresh, and idempotent builds.

Build on the data up to November (its last event file cut short), append December's event and order
files and re-deliver the cut file whole (late events), load them (one run) and build the rest
incrementally (another run);
then build everything from scratch on all files: every model table must be identical. A second
build on unchanged data must change nothing either.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from journey_metrics.generate import generate

from helpers import last_month_held_back, run_dbt


def tables(db) -> dict[str, pd.DataFrame]:
    """Every table of the warehouse (views are recomputed from them), sorted so row order is moot."""
    with duckdb.connect(str(db), read_only=True) as con:
        names = [
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_type = 'BASE TABLE' order by 1"
            ).fetchall()
        ]
        frames = {}
        for name in names:
            frame = con.execute(f'select * from "{name}"').df()
            frames[name] = frame.sort_values(list(frame.columns)).reset_index(drop=True) if len(frame) else frame
        return frames


def assert_same(left: dict, right: dict) -> None:
    assert sorted(left) == sorted(right)
    for name in left:
        pd.testing.assert_frame_equal(left[name], right[name], check_exact=False, rtol=1e-9, atol=1e-9, obj=name)


def build(raw, db, tmp, *extra):
    # the models and seeds of `dbt build`, without its data and unit tests: they do not change a table
    # (the demo build runs them), and skipping them halves each of these five builds
    result = run_dbt(["build", "--exclude-resource-type", "test", "unit_test", *extra], raw, db, tmp)
    assert result.returncode == 0, result.stdout[-4000:]


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("incremental")
    raw = tmp / "raw"
    generate(raw, customers=800, seed=7)

    # the last event file before December first arrives without its last third of rows, and is
    # re-delivered whole together with December (late events): var event_files_lookback re-reads it
    incremental = tmp / "incremental" / "warehouse.duckdb"
    incremental.parent.mkdir()
    with last_month_held_back(raw):
        build(raw, incremental, tmp)
        before = tables(incremental)
        build(raw, incremental, tmp)  # the same data again
        again = tables(incremental)

    # the new files are loaded by one run and the rest is built by another: change detection must
    # not depend on both happening in the same run
    result = run_dbt(["run", "--select", "+base_events"], raw, incremental, tmp)
    assert result.returncode == 0, result.stdout[-4000:]
    build(raw, incremental, tmp)

    full = tmp / "full" / "warehouse.duckdb"
    full.parent.mkdir()
    build(raw, full, tmp, "--full-refresh")
    return before, again, tables(incremental), tables(full)


def test_a_second_build_on_the_same_data_changes_nothing(builds):
    before, again, _, _ = builds
    assert_same(before, again)


def test_incremental_build_equals_a_full_refresh(builds):
    _, _, incremental, full = builds
    assert len(incremental["base_events"]) > len(builds[0]["base_events"])  # December was appended
    assert_same(incremental, full)
