"""The Great Expectations layer (journey_metrics.validate): the demo build passes; a broken mart fails
naming the table and the expectation; a bad raw row is a warning, a missing raw column an error."""

from __future__ import annotations

import filecmp
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from helpers import write_tables
from journey_metrics import validate
from journey_metrics.paths import REPO_ROOT


@pytest.fixture(scope="module")
def gx_dir(tmp_path_factory) -> Path:
    """A copy of the committed GX project, so runs write their results and docs outside the repository."""
    copy = tmp_path_factory.mktemp("gx") / "gx"
    shutil.copytree(validate.GX_DIR, copy, ignore=shutil.ignore_patterns("uncommitted"))
    return copy


def run_main(capsys, *args: str) -> tuple[int, str]:
    code = validate.main(list(args))
    return code, capsys.readouterr().out


def committed_files(root: Path) -> dict[str, Path]:
    return {
        str(p.relative_to(root)): p
        for p in root.rglob("*")
        if p.is_file() and "uncommitted" not in p.relative_to(root).parts
    }


def test_demo_build_passes_and_writes_data_docs(demo, gx_dir):
    result = subprocess.run(
        [sys.executable, "-m", "journey_metrics.validate",
         "--db", str(demo.db), "--raw-dir", str(demo.raw_dir), "--gx-dir", str(gx_dir)],
        cwd=REPO_ROOT, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "All passed" in out, out
    for layer in validate.LAYERS:
        assert re.search(rf"^{layer} +\d+ tables +\d+ expectations  passed$", out, re.MULTILINE), out

    index = gx_dir / "uncommitted" / "data_docs" / "local_site" / "index.html"
    assert f"Data docs: {index}" in out
    assert index.stat().st_size > 0
    pages = list((gx_dir / "uncommitted" / "data_docs" / "local_site" / "validations").rglob("*.html"))
    suites = {c.suite_name for c in validate.build_checks(list(validate.LAYERS))}
    assert len(pages) >= len(suites)
    assert "mart_nps_monthly" in " ".join(str(p) for p in pages)

    # The suites, validation definitions and config in gx/ are what the code defines: a run that
    # had to add or change one would leave the copy different from the committed project.
    committed, after = committed_files(validate.GX_DIR), committed_files(gx_dir)
    assert sorted(after) == sorted(committed), "gx/ is out of date: run `make validate` and commit gx/"
    changed = [name for name in committed if not filecmp.cmp(committed[name], after[name], shallow=False)]
    assert not changed, f"gx/ is out of date ({', '.join(changed)}): run `make validate` and commit gx/"


def test_a_corrupted_mart_fails_naming_table_and_expectation(demo, gx_dir, tmp_path, capsys):
    db = tmp_path / demo.db.name  # same file name: views name their catalog after it
    shutil.copy(demo.db, db)
    with duckdb.connect(str(db)) as con:
        con.execute("update mart_nps_monthly set nps = 150 where response_month = (select min(response_month) from mart_nps_monthly)")
        con.execute("""
            update mart_stage_funnel set customers = customers + 100000
            where stage_order = (select max(stage_order) from mart_stage_funnel)
        """)

    code, out = run_main(capsys, "--db", str(db), "--raw-dir", str(demo.raw_dir), "--gx-dir", str(gx_dir),
                         "--suites", "staging,marts", "--no-docs")

    assert code == 1, out
    assert "FAILED" in out
    assert "  mart_nps_monthly\n    ERROR   expect_column_values_to_be_between [nps]: 1 of " in out
    assert "e.g. 150" in out
    assert "  mart_stage_funnel\n    ERROR   expect_column_values_to_be_between [customers_change_from_previous_stage]" in out
    assert "staging   9 tables" in out and "expectation(s) failed in marts.mart_nps_monthly, marts.mart_stage_funnel" in out
    # validate opened the copy read-only and closed it: a writer may open it again.
    duckdb.connect(str(db)).close()


def small_raw(tmp_path: Path) -> Path:
    raw = tmp_path / "raw"
    write_tables(raw, {
        "customers": [{"customer_id": f"C{i}", "created_at": "2024-01-01T00:00:00Z", "country": "NL"} for i in range(3)],
        "orders": [
            {"order_id": "O1", "customer_id": "C0", "ordered_at": "2024-02-01T10:00:00+01:00", "revenue": "10.50",
             "status": "completed"},
            {"order_id": "O2", "customer_id": "C1", "ordered_at": "yesterday", "revenue": "ten",
             "status": "completed"},
            {"order_id": None, "customer_id": "C2", "ordered_at": "2024-02-03", "revenue": "3", "status": "completed"},
        ],
    })
    return raw


def test_bad_raw_rows_are_warnings(tmp_path, gx_dir, capsys):
    raw = small_raw(tmp_path)

    code, out = run_main(capsys, "--raw-dir", str(raw), "--gx-dir", str(gx_dir), "--suites", "raw", "--no-docs")

    assert code == 0, out
    assert "raw      10 tables" in out and "passed with warnings (3 warning(s))" in out
    assert "WARNING expect_column_values_to_be_null [ordered_at__unparseable]: 1 of 3 rows failed" in out
    assert "e.g. 'yesterday' (order_id='O2', source_file='orders/part-1.csv')" in out
    assert "WARNING expect_column_values_to_be_null [revenue__unparseable]: 1 of 3 rows failed" in out
    assert "WARNING expect_column_values_to_not_be_null [order_id]: 1 of 3 rows failed" in out
    assert "Passed: no error-level expectation failed; 3 warning(s)" in out


def test_a_missing_raw_column_is_an_error(tmp_path, gx_dir, capsys):
    raw = small_raw(tmp_path)
    (raw / "customers" / "part-2.csv").write_text("customer_id,created_at,acquisition_channel\nC9,2024-01-01,web\n")

    code, out = run_main(capsys, "--raw-dir", str(raw), "--gx-dir", str(gx_dir), "--suites", "raw", "--no-docs")

    assert code == 1, out
    assert "  files\n    ERROR   expect_column_values_to_be_null [problem]: 1 of 10 rows failed" in out
    assert "'missing column(s) country' (table='customers', file='customers/part-2.csv')" in out
