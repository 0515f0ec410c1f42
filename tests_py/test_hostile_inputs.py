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


HEADER = "customer_id,created_at,country,acquisition_channel\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty: a CSV needs at least its header row"),
        (
            (HEADER + "C2,2024-01-01,DE,email\nC3,2024-01-01,Françe,email\n").encode("latin-1"),
            "(line 3) is not UTF-8 encoded",
        ),
        (
            (HEADER + "C2,2024-01-01,DE,email\nC3,2024-01-01,DE,email\nC4,2024-01-01,DE,email,surprise\n").encode(),
            "has lines with more fields than its header (a stray delimiter or an unquoted comma?) (first on line 4)",
        ),
        (
            HEADER.replace(",", ";").encode() + b"C2;2024-01-01;DE;email\n",
            'its header is one column, separated by ";" (semicolon)',
        ),
        (HEADER.replace(",", "|").encode() + b"C2|2024-01-01|DE|email\n", 'separated by "|" (pipe)'),
        (HEADER.replace(",", "\t").encode() + b"C2\t2024-01-01\tDE\temail\n", "separated by a tab"),
    ],
    ids=["empty-file", "latin-1", "extra-field", "semicolons", "pipes", "tabs"],
)
def test_unreadable_files_stop_with_a_clear_error(tmp_path, content, message):
    raw = tmp_path / "raw"
    write_tables(raw, BASE)
    bad = raw / "customers" / "part-2.csv"
    bad.write_bytes(content)
    assert_clear_error(run_staging(raw, tmp_path), "Raw data contract broken", "table 'customers'", str(bad), message)


def test_a_missing_raw_folder_is_named(tmp_path):
    missing = tmp_path / "no-such-folder"
    assert_clear_error(run_staging(missing, tmp_path), f"raw folder not found: {missing}")


def test_a_byte_order_mark_and_odd_header_case_are_read(tmp_path):
    raw = tmp_path / "raw"
    write_tables(raw, BASE)
    (raw / "customers" / "part-2.csv").write_bytes(
        "\ufeffCustomer_ID,Created_At,Country,Acquisition_Channel\nC2,2024-02-01T00:00:00Z,FR,email\n".encode("utf-8")
    )
    assert run_staging(raw, tmp_path).returncode == 0
    assert query(tmp_path / "w.duckdb", "select customer_id, country from stg_customers order by 1") == [
        ("C1", "DE"),
        ("C2", "FR"),
    ]


def write_typed_order_files(folder) -> None:
    """Orders exported as Parquet by different tools, beside the CSV: the physical types a column
    may come in (text is the CSV's). Read as one, DuckDB would have to cast the BIGINT of
    typed-1 to the TIMESTAMP of the others and fail the whole build."""

    def one(name, **columns):
        defaults = {
            "customer_id": pa.array(["C1"]),
            "cost_of_goods": pa.array([None], pa.string()),
            "status": pa.array(["completed"]),
        }
        pq.write_table(pa.table({**defaults, **columns}), folder / name)

    # an epoch BIGINT where a timestamp belongs: invalid_timestamp (never a crash), revenue a double
    one(
        "typed-1.parquet",
        order_id=pa.array(["O7"]),
        ordered_at=pa.array([1_706_745_600], pa.int64()),
        revenue=pa.array([12.5], pa.float64()),
    )
    # a real TIMESTAMP and a DECIMAL: staged as they are; cost of goods an int32
    one(
        "typed-2.parquet",
        order_id=pa.array(["O8"]),
        ordered_at=pa.array([1_706_868_000_000_000], pa.timestamp("us")),
        revenue=pa.array([20], pa.decimal128(10, 2)),
        cost_of_goods=pa.array([5], pa.int32()),
    )
    # a DATE, an integer revenue, and an integer key
    one(
        "typed-3.parquet",
        order_id=pa.array([9], pa.int64()),
        ordered_at=pa.array([19_756], pa.date32()),
        revenue=pa.array([7], pa.int32()),
    )
    # a double beyond decimal(18, 2): invalid_number
    one(
        "typed-4.parquet",
        order_id=pa.array(["O10"]),
        ordered_at=pa.array([19_756], pa.date32()),
        revenue=pa.array([1.0], pa.float64()),
        cost_of_goods=pa.array([1e30], pa.float64()),
    )
    # a TIMESTAMP WITH TIME ZONE (stored as UTC instants) and a boolean status: unknown_status
    one(
        "typed-5.parquet",
        order_id=pa.array(["O11"]),
        ordered_at=pa.array([1_706_868_000_000_000], pa.timestamp("us", tz="Europe/Amsterdam")),
        revenue=pa.array([3.25], pa.float64()),
        status=pa.array([True], pa.bool_()),
    )
    # a TIMESTAMP WITH TIME ZONE that is staged, in UTC
    one(
        "typed-7.parquet",
        order_id=pa.array(["O13"]),
        ordered_at=pa.array([1_706_954_400_000_000], pa.timestamp("us", tz="America/New_York")),
        revenue=pa.array([4.5], pa.float64()),
    )


@pytest.fixture(scope="module")
def rejected(tmp_path_factory):
    """One build over a battery of bad values that staging must reject, each with its reason."""
    tmp = tmp_path_factory.mktemp("hostile")
    raw = tmp / "raw"
    write_tables(
        raw,
        {
            **BASE,
            "orders": [
                {
                    "order_id": "O1",
                    "customer_id": "C1",
                    "ordered_at": "2024-02-01",
                    "revenue": "1e30",
                    "status": "completed",
                },
                {
                    "order_id": "O2",
                    "customer_id": "C1",
                    "ordered_at": "2024-02-01",
                    "revenue": "12,50",
                    "status": "completed",
                },
                {
                    "order_id": "O3",
                    "customer_id": "C1",
                    "ordered_at": "2024-02-01T25:61:00",
                    "revenue": "1",
                    "status": "completed",
                },
                {
                    "order_id": "O4",
                    "customer_id": "C1",
                    "ordered_at": "2024-02-01",
                    "revenue": "NaN",
                    "status": "completed",
                },
                {
                    "order_id": "O5",
                    "customer_id": "C1",
                    "ordered_at": "2024-02-01",
                    "revenue": "99.99",
                    "status": "completed",
                },
            ],
            "survey_responses": [
                {
                    "response_id": "S1",
                    "customer_id": "C1",
                    "responded_at": "2024-02-01",
                    "nps_score": "99999999999999999999",
                },
                {"response_id": "S2", "customer_id": "C1", "responded_at": "2024-02-01", "nps_score": "nine"},
            ],
            "events": [
                {"event_id": "E1", "customer_id": "C1", "occurred_at": "2024-02-01", "event_type": "x" * 100_000},
            ],
        },
    )
    # a short line: padded with nulls, so the missing required values reject it
    with (raw / "orders" / "part-3.csv").open("w") as handle:
        handle.write("order_id,customer_id,ordered_at,revenue,cost_of_goods,status\nO6,C1\n")
    # Parquet with the wrong physical types: text where a number belongs, a typed timestamp
    pq.write_table(
        pa.table(
            {
                "response_id": ["S3", "S4"],
                "customer_id": ["C1", "C1"],
                "responded_at": pa.array([1_706_745_600_000_000, 1_706_745_600_000_000], pa.timestamp("us", tz="UTC")),
                "nps_score": ["ten", "10"],
                "csat_score": [None, None],
                "touchpoint": [None, None],
            }
        ),
        raw / "survey_responses" / "part-2.parquet",
    )
    write_typed_order_files(raw / "orders")
    result = run_dbt(
        [
            "build",
            "--select",
            "path:models/staging",
            "path:seeds",
            "assert_raw_rows_reconcile",
            "--indirect-selection",
            "cautious",
        ],
        raw,
        tmp / "w.duckdb",
        tmp,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    return raw, tmp / "w.duckdb"


@pytest.mark.parametrize(
    ("table", "key", "reason"),
    [
        ("orders", "O1", "invalid_number"),  # beyond decimal(18, 2)
        ("orders", "O2", "invalid_number"),  # decimal comma
        ("orders", "O3", "invalid_timestamp"),  # hour 25
        ("orders", "O4", "invalid_number"),  # not a number
        ("orders", "O6", "missing_value"),  # short line
        ("survey_responses", "S1", "invalid_number"),
        ("survey_responses", "S2", "invalid_number"),
        ("survey_responses", "S3", "invalid_number"),
        ("orders", "O7", "invalid_timestamp"),  # Parquet BIGINT epoch in a timestamp column
        ("orders", "O10", "invalid_number"),  # Parquet DOUBLE beyond decimal(18, 2)
        ("orders", "O11", "unknown_status"),  # Parquet BOOLEAN where a status belongs
    ],
)
def test_bad_values_are_rejected_with_their_reason(rejected, table, key, reason):
    _, db = rejected
    assert query(db, "select reason from rejected_rows where source_table = ? and source_key = ?", [table, key]) == [
        (reason,)
    ]


def test_good_rows_next_to_bad_ones_are_staged_exactly(rejected):
    raw, db = rejected
    assert query(
        db,
        "select order_id, cast(ordered_at as varchar), cast(revenue as varchar), "
        "cast(cost_of_goods as varchar) from stg_orders order by order_id",
    ) == [
        ("9", "2024-02-03 00:00:00", "7.00", None),  # Parquet DATE, INT32, INT64 key
        ("O13", "2024-02-03 10:00:00", "4.50", None),  # Parquet TIMESTAMPTZ, in UTC
        ("O5", "2024-02-01 00:00:00", "99.99", None),  # CSV
        ("O8", "2024-02-02 10:00:00", "20.00", "5.00"),  # Parquet TIMESTAMP, DECIMAL, INT32
    ]
    assert query(db, "select nps_score, cast(responded_at as varchar) from stg_survey_responses") == [
        (10, "2024-02-01 00:00:00")
    ]
    assert query(db, "select length(event_type) from stg_events") == [(100_000,)]
    assert_reconciles(raw, db)


def test_sub_cent_amounts_are_rounded_and_counted_by_a_warning(tmp_path):
    raw = tmp_path / "raw"
    write_tables(
        raw,
        {
            **BASE,
            "orders": [
                {
                    "order_id": "O1",
                    "customer_id": "C1",
                    "ordered_at": "2024-02-01",
                    "revenue": "12.345",
                    "status": "completed",
                },
                {
                    "order_id": "O2",
                    "customer_id": "C1",
                    "ordered_at": "2024-02-01",
                    "revenue": "12.344",
                    "cost_of_goods": "1.005",
                    "status": "completed",
                },
                {
                    "order_id": "O3",
                    "customer_id": "C1",
                    "ordered_at": "2024-02-01",
                    "revenue": "1e3",
                    "status": "completed",
                },
                {
                    "order_id": "O4",
                    "customer_id": "C1",
                    "ordered_at": "2024-02-01",
                    "revenue": "7.10",
                    "status": "completed",
                },
            ],
            "activity_costs": [{"period_month": "2024-02", "activity": "service", "cost": "0.001", "driver": "orders"}],
        },
    )
    db = tmp_path / "w.duckdb"
    result = run_dbt(
        [
            "build",
            "--select",
            "+stg_orders",
            "+stg_activity_costs",
            "warn_amounts_rounded_to_the_cent",
            "--indirect-selection",
            "cautious",
        ],
        raw,
        db,
        tmp_path,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "Warning in test warn_amounts_rounded_to_the_cent" in result.stdout
    assert "Got 3 results, configured to warn if != 0" in result.stdout
    assert query(
        db, "select order_id, cast(revenue as varchar), cast(cost_of_goods as varchar) from stg_orders order by 1"
    ) == [("O1", "12.35", None), ("O2", "12.34", "1.01"), ("O3", "1000.00", None), ("O4", "7.10", None)]
    assert query(db, "select cast(cost as varchar) from stg_activity_costs") == [("0.00",)]
