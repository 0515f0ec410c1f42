"""Hostile raw inputs: each ends in a clean rejection with a reason or a clear error naming the
table and file — never a stack trace, never a silently wrong staged row."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from helpers import assert_reconciles, query, run_dbt, write_tables

BASE = {
    "customers": [{"customer_id": "C1", "created_at": "2024-01-01T00:00:00Z", "country": "DE"}],
}
STAGING = ["run", "--select", "+rejected_rows"]


def run_staging(raw, tmp_path):
    return run_dbt(STAGING, raw, tmp_path / "w.duckdb", tmp_path)


def assert_clear_error(result, *fragments):
    output = result.stdout + result.stderr
    assert result.returncode != 0
    for fragment in fragments:
        assert fragment in output, output[-3000:]
    assert "Traceback" not in output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty: a CSV needs at least its header row"),
        ("customer_id,created_at,country,acquisition_channel\nC2,2024-01-01,Françe,email\n".encode("latin-1"),
         "is not UTF-8 encoded"),
        (b"customer_id,created_at,country,acquisition_channel\nC2,2024-01-01,DE,email,surprise\n",
         "has lines with more fields than its header"),
    ],
    ids=["empty-file", "latin-1", "extra-field"],
)
def test_unreadable_files_stop_with_a_clear_error(tmp_path, content, message):
    raw = tmp_path / "raw"
    write_tables(raw, BASE)
    bad = raw / "customers" / "part-2.csv"
    bad.write_bytes(content)
    assert_clear_error(run_staging(raw, tmp_path), "Raw data contract broken", "table 'customers'", str(bad), message)


def test_a_byte_order_mark_and_odd_header_case_are_read(tmp_path):
    raw = tmp_path / "raw"
    write_tables(raw, BASE)
    (raw / "customers" / "part-2.csv").write_bytes(
        "\ufeffCustomer_ID,Created_At,Country,Acquisition_Channel\nC2,2024-02-01T00:00:00Z,FR,email\n".encode("utf-8"))
    assert run_staging(raw, tmp_path).returncode == 0
    assert query(tmp_path / "w.duckdb", "select customer_id, country from stg_customers order by 1") == [
        ("C1", "DE"), ("C2", "FR")]


@pytest.fixture(scope="module")
def rejected(tmp_path_factory):
    """One build over a battery of bad values that staging must reject, each with its reason."""
    tmp = tmp_path_factory.mktemp("hostile")
    raw = tmp / "raw"
    write_tables(raw, {
        **BASE,
        "orders": [
            {"order_id": "O1", "customer_id": "C1", "ordered_at": "2024-02-01", "revenue": "1e30", "status": "completed"},
            {"order_id": "O2", "customer_id": "C1", "ordered_at": "2024-02-01", "revenue": "12,50", "status": "completed"},
            {"order_id": "O3", "customer_id": "C1", "ordered_at": "2024-02-01T25:61:00", "revenue": "1", "status": "completed"},
            {"order_id": "O4", "customer_id": "C1", "ordered_at": "2024-02-01", "revenue": "NaN", "status": "completed"},
            {"order_id": "O5", "customer_id": "C1", "ordered_at": "2024-02-01", "revenue": "99.99", "status": "completed"},
        ],
        "survey_responses": [
            {"response_id": "S1", "customer_id": "C1", "responded_at": "2024-02-01", "nps_score": "99999999999999999999"},
            {"response_id": "S2", "customer_id": "C1", "responded_at": "2024-02-01", "nps_score": "nine"},
        ],
        "events": [
            {"event_id": "E1", "customer_id": "C1", "occurred_at": "2024-02-01", "event_type": "x" * 100_000},
        ],
    })
    # a short line: padded with nulls, so the missing required values reject it
    with (raw / "orders" / "part-3.csv").open("w") as handle:
        handle.write("order_id,customer_id,ordered_at,revenue,cost_of_goods,status\nO6,C1\n")
    # Parquet with the wrong physical types: text where a number belongs, a typed timestamp
    pq.write_table(pa.table({
        "response_id": ["S3", "S4"], "customer_id": ["C1", "C1"],
        "responded_at": pa.array([1_706_745_600_000_000, 1_706_745_600_000_000], pa.timestamp("us", tz="UTC")),
        "nps_score": ["ten", "10"], "csat_score": [None, None], "touchpoint": [None, None],
    }), raw / "survey_responses" / "part-2.parquet")
    result = run_dbt(["build", "--select", "path:models/staging", "path:seeds", "assert_raw_rows_reconcile",
                      "--indirect-selection", "cautious"], raw, tmp / "w.duckdb", tmp)
    assert result.returncode == 0, result.stdout[-3000:]
    return raw, tmp / "w.duckdb"


@pytest.mark.parametrize(("table", "key", "reason"), [
    ("orders", "O1", "invalid_number"),       # beyond decimal(18, 2)
    ("orders", "O2", "invalid_number"),       # decimal comma
    ("orders", "O3", "invalid_timestamp"),    # hour 25
    ("orders", "O4", "invalid_number"),       # not a number
    ("orders", "O6", "missing_value"),        # short line
    ("survey_responses", "S1", "invalid_number"),
    ("survey_responses", "S2", "invalid_number"),
    ("survey_responses", "S3", "invalid_number"),
])
def test_bad_values_are_rejected_with_their_reason(rejected, table, key, reason):
    _, db = rejected
    assert query(db, "select reason from rejected_rows where source_table = ? and source_key = ?", [table, key]) == [
        (reason,)]


def test_good_rows_next_to_bad_ones_are_staged_exactly(rejected):
    raw, db = rejected
    assert query(db, "select cast(revenue as varchar) from stg_orders") == [("99.99",)]
    assert query(db, "select nps_score, cast(responded_at as varchar) from stg_survey_responses") == [
        (10, "2024-02-01 00:00:00")]
    assert query(db, "select length(event_type) from stg_events") == [(100_000,)]
    assert_reconciles(raw, db)
