"""Staging on hand-made raw data: every rejection rule, the reconciliation invariant, the edge cases.

One dbt build on a small dirty dataset where each rejection reason is planted on a known row;
the expected reason of every planted row is written next to it.
"""

from __future__ import annotations

import shutil

import pytest
import yaml

from journey_metrics.paths import REPO_ROOT

from helpers import AS_OF, assert_reconciles, dbt_build, query, run_dbt, write_csv, write_tables

CLEAN = {
    "customers": [
        {"customer_id": "C1", "created_at": "2024-01-01T00:00:00Z", "country": "DE", "acquisition_channel": "email"},
        {
            "customer_id": "C2",
            "created_at": "2024-01-02 10:00:00",
            "country": "FR",
            "acquisition_channel": "paid_search",
        },
        # quoted comma and newline inside a value, mixed case code
        {
            "customer_id": "C3",
            "created_at": "2024-01-03T09:00:00-05:00",
            "country": "Bosnia,\nHerzegovina",
            "acquisition_channel": " Referral ",
        },
    ],
    "events": [
        {
            "event_id": "E1",
            "customer_id": "C1",
            "occurred_at": "2024-01-01T00:00:00Z",
            "event_type": "ad_click",
            "channel": "paid_search",
            "touchpoint": "search_engine",
            "session_id": "S1",
        },
        # same instant as 2024-01-01T00:30:00Z, written with an offset
        {
            "event_id": "E2",
            "customer_id": "C1",
            "occurred_at": "2024-01-01T02:30:00+02:00",
            "event_type": "product_view",
            "channel": "direct",
            "touchpoint": "website",
        },
        # unknown tracking value: kept (warned), never dropped
        {
            "event_id": "E3",
            "customer_id": "C2",
            "occurred_at": "2024-01-05T00:00:00Z",
            "event_type": "chatbot_open",
            "channel": "tiktok",
            "touchpoint": "smart_speaker",
        },
    ],
    "orders": [
        {
            "order_id": "O1",
            "customer_id": "C1",
            "ordered_at": "2024-01-03T00:00:00Z",
            "revenue": "10.50",
            "cost_of_goods": "5",
            "status": "completed",
        },
        {
            "order_id": "O2",
            "customer_id": "C2",
            "ordered_at": "2024-01-04T00:00:00Z",
            "revenue": "0",
            "cost_of_goods": "",
            "status": "Cancelled",
        },
    ],
    "survey_responses": [
        {
            "response_id": "S1",
            "customer_id": "C1",
            "responded_at": "2024-01-04T00:00:00Z",
            "nps_score": "9",
            "csat_score": "5",
            "touchpoint": "website",
        },
        {
            "response_id": "S2",
            "customer_id": "C2",
            "responded_at": "2024-01-04T00:00:00Z",
            "nps_score": "",
            "csat_score": "3",
        },
    ],
    "referrals": [
        {
            "referral_id": "R1",
            "referrer_customer_id": "C1",
            "referred_customer_id": "C3",
            "sent_at": "2024-01-02T00:00:00Z",
            "converted_at": "2024-01-03T14:00:00Z",
            "channel": "email",
        },
        {"referral_id": "R2", "referrer_customer_id": "C1", "sent_at": "2024-01-02T00:00:00Z", "channel": "social"},
    ],
    "support_tickets": [
        {
            "ticket_id": "T1",
            "customer_id": "C1",
            "opened_at": "2024-01-05T00:00:00Z",
            "category": "billing",
            "channel": "chat",
        },
    ],
    "experiments": [
        {
            "experiment_id": "X1",
            "name": "checkout",
            "primary_metric": "revenue",
            "metric_window_days": "30",
            "started_at": "2024-01-01T00:00:00Z",
            "ended_at": "2026-12-31T00:00:00Z",
        },
    ],
    "experiment_assignments": [
        {
            "experiment_id": "X1",
            "customer_id": "C1",
            "assigned_at": "2024-01-02T00:00:00Z",
            "factor": "pricing",
            "level": "control",
        },
        {
            "experiment_id": "X1",
            "customer_id": "C1",
            "assigned_at": "2024-01-02T00:00:00Z",
            "factor": "feature",
            "level": "on",
        },
    ],
    "activity_costs": [
        {"period_month": "2024-01-01", "activity": "operations", "cost": "100.00", "driver": "orders"},
        {"period_month": "2024-01-15", "activity": "service", "cost": "50", "driver": "tickets"},
    ],
}

# (reason, table, source_key, row): each row breaks exactly the rule named by its reason.
PLANTED = [
    ("missing_primary_key", "customers", None, {"customer_id": " ", "created_at": "2024-01-01T00:00:00Z"}),
    ("missing_value", "customers", "C10", {"customer_id": "C10", "created_at": ""}),
    ("invalid_timestamp", "customers", "C11", {"customer_id": "C11", "created_at": "yesterday"}),
    ("future_timestamp", "customers", "C12", {"customer_id": "C12", "created_at": "2026-01-02T01:00:00Z"}),
    ("too_early_timestamp", "customers", "C13", {"customer_id": "C13", "created_at": "1970-01-01T00:00:00Z"}),
    (
        "too_early_timestamp",
        "events",
        "E14",
        {"event_id": "E14", "customer_id": "C1", "occurred_at": "1999-12-31T23:59:59Z", "event_type": "ad_click"},
    ),
    (
        "too_early_timestamp",
        "support_tickets",
        "T13",
        {
            "ticket_id": "T13",
            "customer_id": "C1",
            "opened_at": "2024-02-01",
            "resolved_at": "1970-01-01",
            "category": "billing",
        },
    ),
    (
        "missing_customer_id",
        "events",
        "E10",
        {"event_id": "E10", "customer_id": "", "occurred_at": "2024-01-01", "event_type": "ad_click"},
    ),
    (
        "unknown_customer",
        "events",
        "E11",
        {"event_id": "E11", "customer_id": "C999", "occurred_at": "2024-01-01", "event_type": "ad_click"},
    ),
    (
        "missing_value",
        "events",
        "E12",
        {"event_id": "E12", "customer_id": "C1", "occurred_at": "2024-01-01", "event_type": ""},
    ),
    (
        "invalid_timestamp",
        "events",
        "E13",
        {"event_id": "E13", "customer_id": "C1", "occurred_at": "2024-13-45", "event_type": "ad_click"},
    ),
    (
        "invalid_number",
        "orders",
        "O10",
        {"order_id": "O10", "customer_id": "C1", "ordered_at": "2024-02-01", "revenue": "abc", "status": "completed"},
    ),
    (
        "invalid_number",
        "orders",
        "O11",
        {"order_id": "O11", "customer_id": "C1", "ordered_at": "2024-02-01", "revenue": "1e30", "status": "completed"},
    ),
    (
        "negative_amount",
        "orders",
        "O12",
        {"order_id": "O12", "customer_id": "C1", "ordered_at": "2024-02-01", "revenue": "-5", "status": "completed"},
    ),
    (
        "unknown_status",
        "orders",
        "O13",
        {"order_id": "O13", "customer_id": "C1", "ordered_at": "2024-02-01", "revenue": "5", "status": "shipped"},
    ),
    (
        "nps_out_of_range",
        "survey_responses",
        "S10",
        {"response_id": "S10", "customer_id": "C1", "responded_at": "2024-02-01", "nps_score": "11"},
    ),
    (
        "csat_out_of_range",
        "survey_responses",
        "S11",
        {"response_id": "S11", "customer_id": "C1", "responded_at": "2024-02-01", "csat_score": "0"},
    ),
    (
        "invalid_number",
        "survey_responses",
        "S12",
        {"response_id": "S12", "customer_id": "C1", "responded_at": "2024-02-01", "nps_score": "7.5"},
    ),
    (
        "missing_value",
        "survey_responses",
        "S13",
        {"response_id": "S13", "customer_id": "C1", "responded_at": "2024-02-01"},
    ),
    (
        "self_referral",
        "referrals",
        "R10",
        {"referral_id": "R10", "referrer_customer_id": "C1", "referred_customer_id": "C1", "sent_at": "2024-02-01"},
    ),
    (
        "conversion_before_sent",
        "referrals",
        "R11",
        {
            "referral_id": "R11",
            "referrer_customer_id": "C1",
            "referred_customer_id": "C2",
            "sent_at": "2024-02-01",
            "converted_at": "2024-01-01",
        },
    ),
    (
        "resolved_before_opened",
        "support_tickets",
        "T10",
        {"ticket_id": "T10", "customer_id": "C1", "opened_at": "2024-02-02", "resolved_at": "2024-02-01"},
    ),
    (
        "unknown_metric",
        "experiments",
        "X10",
        {"experiment_id": "X10", "primary_metric": "clicks", "metric_window_days": "7", "started_at": "2024-01-01"},
    ),
    (
        "invalid_value",
        "experiments",
        "X11",
        {"experiment_id": "X11", "primary_metric": "nps", "metric_window_days": "0", "started_at": "2024-01-01"},
    ),
    (
        "ended_before_started",
        "experiments",
        "X12",
        {
            "experiment_id": "X12",
            "primary_metric": "nps",
            "metric_window_days": "7",
            "started_at": "2024-02-01",
            "ended_at": "2024-01-01",
        },
    ),
    (
        "unknown_experiment",
        "experiment_assignments",
        "X99|C1|pricing",
        {
            "experiment_id": "X99",
            "customer_id": "C1",
            "assigned_at": "2024-01-02",
            "factor": "pricing",
            "level": "control",
        },
    ),
    (
        "unknown_driver",
        "activity_costs",
        "2024-02-01|operations",
        {"period_month": "2024-02-01", "activity": "operations", "cost": "10", "driver": "headcount"},
    ),
    # an exact copy of C1 (the timestamp written differently is the same instant)
    (
        "duplicate",
        "customers",
        "C1",
        {"customer_id": "C1", "created_at": "2024-01-01 00:00:00", "country": "DE", "acquisition_channel": "email"},
    ),
]
# A later file changes C2's country: the later file wins, the earlier C2 row is a duplicate_key.
UPDATED_C2 = {
    "customer_id": "C2",
    "created_at": "2024-01-02T10:00:00Z",
    "country": "BE",
    "acquisition_channel": "paid_search",
}
REASONS = sorted({reason for reason, *_ in PLANTED} | {"duplicate_key"})


@pytest.fixture(scope="module")
def dirty_build(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dirty")
    raw = tmp / "raw"
    write_tables(raw, CLEAN)
    late_rows: dict[str, list[dict]] = {}
    for _, table, _, row in PLANTED:
        late_rows.setdefault(table, []).append(row)
    late_rows["customers"].append(UPDATED_C2)
    for table, rows in late_rows.items():
        write_csv(raw / table / "part-2.csv", table, rows)
    return raw, dbt_build(raw, tmp)


def test_every_reason_is_planted():
    """The battery covers every reason code documented in rejected_rows' accepted values."""
    staging = yaml.safe_load((REPO_ROOT / "models/staging/_staging.yml").read_text())
    rejected_rows = next(model for model in staging["models"] if model["name"] == "rejected_rows")
    reason = next(column for column in rejected_rows["columns"] if column["name"] == "reason")
    accepted = next(test["accepted_values"] for test in reason["data_tests"] if isinstance(test, dict))
    documented = set(accepted["arguments"]["values"])
    assert documented == set(REASONS)


@pytest.mark.parametrize(("reason", "table", "source_key", "row"), PLANTED, ids=[p[0] + "-" + p[1] for p in PLANTED])
def test_planted_row_is_rejected_with_its_reason(dirty_build, reason, table, source_key, row):
    _, db = dirty_build
    key_filter = "source_key is null" if source_key is None else "source_key = ?"
    found = query(
        db,
        f"select reason from rejected_rows where source_table = ? and {key_filter}",
        [table] + ([] if source_key is None else [source_key]),
    )
    assert found == [(reason,)]


def test_conflicting_versions_keep_the_latest_file(dirty_build):
    _, db = dirty_build
    assert query(db, "select reason, source_file like '%part-1.csv' from rejected_rows where source_key = 'C2'") == [
        ("duplicate_key", True)
    ]
    assert query(db, "select country from stg_customers where customer_id = 'C2'") == [("BE",)]


def test_rejected_record_keeps_the_raw_row(dirty_build):
    _, db = dirty_build
    (record,) = query(db, "select record from rejected_rows where source_key = 'O10'")[0]
    assert '"revenue":"abc"' in record and '"order_id":"O10"' in record


def test_every_raw_row_is_staged_or_rejected(dirty_build):
    raw, db = dirty_build
    counts = assert_reconciles(raw, db)
    assert sum(rejected for _, _, rejected in counts.values()) == len(PLANTED) + 1


def test_clean_rows_are_typed_trimmed_and_utc(dirty_build):
    _, db = dirty_build
    assert query(db, "select cast(occurred_at as varchar) from stg_events where event_id = 'E2'") == [
        ("2024-01-01 00:30:00",)
    ]
    assert query(
        db,
        "select cast(created_at as varchar), country, acquisition_channel from stg_customers where customer_id = 'C3'",
    ) == [("2024-01-03 14:00:00", "Bosnia,\nHerzegovina", "referral")]
    assert query(db, "select status, revenue, cost_of_goods from stg_orders where order_id = 'O2'") == [
        ("cancelled", 0, None)
    ]
    assert query(db, "select cast(period_month as varchar) from stg_activity_costs where activity = 'service'") == [
        ("2024-01-01",)
    ]


def test_unknown_tracking_values_are_kept_and_warned(dirty_build, tmp_path):
    raw, db = dirty_build
    assert query(db, "select event_type, channel, touchpoint from stg_events where event_id = 'E3'") == [
        ("chatbot_open", "tiktok", "smart_speaker")
    ]
    result = run_dbt(["test", "--select", "stg_events"], raw, db, tmp_path)
    assert result.returncode == 0
    assert "Warning in test relationships_stg_events_event_type" in result.stdout


def test_missing_column_stops_the_build_naming_table_file_and_column(tmp_path):
    raw = tmp_path / "raw"
    write_tables(raw, CLEAN)
    broken = write_csv(
        raw / "orders" / "part-2.csv",
        "orders",
        CLEAN["orders"],
        columns=["order_id", "customer_id", "ordered_at", "cost_of_goods", "status"],
    )
    result = run_dbt(["build"], raw, tmp_path / "w.duckdb", tmp_path)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "Raw data contract broken" in output
    assert f"table 'orders', file '{broken}': missing column(s) revenue" in output
    assert "Traceback" not in output


def test_table_without_files_is_a_clear_error(tmp_path):
    raw = tmp_path / "raw"
    write_tables(raw, CLEAN)
    shutil.rmtree(raw / "referrals")
    (raw / "referrals").mkdir()
    result = run_dbt(["build"], raw, tmp_path / "w.duckdb", tmp_path)
    assert result.returncode != 0
    assert "table 'referrals' has no .csv or .parquet file" in result.stdout


def test_all_empty_tables_build_green(tmp_path):
    raw = tmp_path / "raw"
    write_tables(raw, {})
    db = dbt_build(raw, tmp_path)
    counts = assert_reconciles(raw, db)
    assert all(count == (0, 0, 0) for count in counts.values())


def test_as_of_defaults_to_the_run_time(tmp_path):
    """Without a pinned as_of, a timestamp a year ahead of today is still in the future."""
    raw = tmp_path / "raw"
    write_tables(raw, {"customers": [{"customer_id": "C1", "created_at": "2999-01-01T00:00:00Z"}]})
    db = tmp_path / "w.duckdb"
    result = run_dbt(["build"], raw, db, tmp_path, {"as_of": None})
    assert result.returncode == 0, result.stdout[-3000:]
    assert query(db, "select reason from rejected_rows") == [("future_timestamp",)]
    assert AS_OF < "2999"
