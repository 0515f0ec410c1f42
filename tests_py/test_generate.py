"""Tests of the demo-data generator: determinism, the raw-data contract, the planted funnel rules and bounded memory.

The funnel is recomputed from the written files with DuckDB, using the marts' stage definitions, and compared
with the generator's latent truth (ground_truth.json and _truth/customer_truth.csv).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from journey_metrics import generate as gen
from journey_metrics.generate.writers import write_csv

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"

# The raw-data contract, written out independently of the generator's own constants.
CONTRACT = {
    "customers": ["customer_id", "created_at", "country", "acquisition_channel"],
    "events": ["event_id", "customer_id", "occurred_at", "event_type", "channel", "touchpoint", "session_id"],
    "orders": ["order_id", "customer_id", "ordered_at", "revenue", "cost_of_goods", "status"],
    "survey_responses": ["response_id", "customer_id", "responded_at", "nps_score", "csat_score", "touchpoint"],
    "referrals": ["referral_id", "referrer_customer_id", "referred_customer_id", "sent_at", "converted_at", "channel"],
    "support_tickets": ["ticket_id", "customer_id", "opened_at", "resolved_at", "category", "channel"],
    "experiments": ["experiment_id", "name", "primary_metric", "metric_window_days", "started_at", "ended_at"],
    "experiment_assignments": ["experiment_id", "customer_id", "assigned_at", "factor", "level"],
    "activity_costs": ["period_month", "activity", "cost", "driver"],
}
ID_COLUMNS = {
    "customers": "customer_id",
    "events": "event_id",
    "orders": "order_id",
    "survey_responses": "response_id",
    "referrals": "referral_id",
    "support_tickets": "ticket_id",
}
TIMESTAMP_COLUMNS = {
    "customers": ["created_at"],
    "events": ["occurred_at"],
    "orders": ["ordered_at"],
    "survey_responses": ["responded_at"],
    "referrals": ["sent_at", "converted_at"],
    "support_tickets": ["opened_at", "resolved_at"],
    "experiments": ["started_at", "ended_at"],
    "experiment_assignments": ["assigned_at"],
}
UTC_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
OFFSET_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")
START, END = "2024-01-01 00:00:00+00", "2026-01-01 00:00:00+00"


# ---------------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("csv_run")
    truth = gen.generate(out, customers=3000, seed=7, chunk_size=1000)
    return out, truth


@pytest.fixture(scope="module")
def parquet_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("parquet_run")
    truth = gen.generate(out, customers=1200, seed=7, fmt="parquet", chunk_size=600)
    return out, truth


def _connect(out: Path, fmt: str) -> duckdb.DuckDBPyConnection:
    """Tables loaded once from the written files: raw_<table> (as written), typed ev, od, sv, rf, ea, cu, the
    latent truth, the stage map, and `reach` (stage times per customer, as the marts define them)."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    for table in CONTRACT:
        if fmt == "csv":
            source = f"read_csv('{out}/{table}/**/*.csv', all_varchar = true, header = true)"
        else:
            source = f"read_parquet('{out}/{table}/**/*.parquet', hive_partitioning = false)"
        con.execute(f"create table raw_{table} as select * from {source}")
    con.execute(f"create view sm as select * from read_csv('{SEEDS}/stage_map.csv', header = true)")
    con.execute(f"create table truth as select * from read_csv('{out}/_truth/customer_truth.csv', header = true)")
    con.execute(
        "create table cu as select customer_id, created_at::timestamptz as t, acquisition_channel from raw_customers"
    )
    con.execute(
        "create table ev as select event_id, customer_id, occurred_at::timestamptz as t, event_type, "
        "session_id from raw_events"
    )
    con.execute(
        "create table od as select order_id, customer_id, ordered_at::timestamptz as t, "
        "revenue::double as revenue, status from raw_orders"
    )
    con.execute(
        "create table sv as select customer_id, responded_at::timestamptz as t, nps_score::int as nps "
        "from raw_survey_responses"
    )
    con.execute(
        "create table rf as select referrer_customer_id, referred_customer_id, sent_at::timestamptz as sent_at, "
        "converted_at::timestamptz as converted_at from raw_referrals"
    )
    con.execute(
        "create table ea as select customer_id, assigned_at::timestamptz as t, factor, level "
        "from raw_experiment_assignments"
    )
    con.execute(_REACH_SQL)
    return con


# Stage reach per customer, exactly as the marts define it.
_REACH_SQL = """
create table reach as
with touch as (
    select customer_id, min(t) as aware_at
    from (select customer_id, t from ev union all select customer_id, t from od)
    group by customer_id
),
considered as (
    select ev.customer_id, min(ev.t) as considered_at
    from ev
    join sm on sm.event_type = ev.event_type and sm.stage = 'consideration'
    join touch on touch.customer_id = ev.customer_id and ev.t >= touch.aware_at
    group by ev.customer_id
),
completed as (
    select od.customer_id, od.t, row_number() over (partition by od.customer_id order by od.t, od.order_id) as n
    from od
    join considered on considered.customer_id = od.customer_id and od.t >= considered.considered_at
    where od.status = 'completed'
),
retained as (select customer_id, t as retained_at from completed where n = 2),
advocacy as (
    select x.customer_id, min(x.t) as advocated_at
    from (
        select referrer_customer_id as customer_id, sent_at as t from rf
        union all
        select customer_id, t from sv where nps >= 9
    ) as x
    join retained on retained.customer_id = x.customer_id and x.t >= retained.retained_at
    group by x.customer_id
)
select
    cu.customer_id, touch.aware_at, considered.considered_at, decided.t as decided_at, retained.retained_at,
    advocacy.advocated_at
from cu
left join touch using (customer_id)
left join considered using (customer_id)
left join (select customer_id, t from completed where n = 1) as decided using (customer_id)
left join retained using (customer_id)
left join advocacy using (customer_id)
"""


@pytest.fixture(scope="module")
def csv_db(csv_run):
    return _connect(csv_run[0], "csv")


@pytest.fixture(scope="module")
def parquet_db(parquet_run):
    return _connect(parquet_run[0], "parquet")


def _scalar(con, sql):
    return con.execute(sql).fetchone()[0]


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# ---------------------------------------------------------------------------------------------------- determinism


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_same_seed_gives_identical_bytes_and_another_seed_differs(tmp_path, fmt):
    kwargs = {"customers": 300, "fmt": fmt, "chunk_size": 120, "days": 365}
    gen.generate(tmp_path / "a", seed=3, **kwargs)
    gen.generate(tmp_path / "b", seed=3, **kwargs)
    gen.generate(tmp_path / "c", seed=4, **kwargs)
    a, b, c = (_digests(tmp_path / name) for name in "abc")
    assert len(a) > 20
    assert a == b
    assert a != c
    customers = f"customers/{'part-00000.parquet' if fmt == 'parquet' else 'customers_part-00000.csv'}"
    assert a[customers] != c[customers]


def test_rerun_into_the_same_folder_replaces_old_files(tmp_path):
    gen.generate(tmp_path, customers=200, chunk_size=50, days=200)
    gen.generate(tmp_path, customers=100, chunk_size=100, days=200)
    assert sorted(p.name for p in (tmp_path / "customers").iterdir()) == ["customers_part-00000.csv"]


# ---------------------------------------------------------------------------------------------------- contract


def test_csv_layout_and_columns(csv_run):
    out, _truth = csv_run
    assert (out / "ground_truth.json").is_file() and (out / "_truth" / "customer_truth.csv").is_file()
    for table, columns in CONTRACT.items():
        files = sorted((out / table).glob("*.csv"))
        assert files, table
        for path in files:
            with open(path, newline="") as handle:
                assert next(csv.reader(handle)) == columns, path
        if table in ("events", "orders"):
            assert all(re.fullmatch(rf"{table}_\d{{4}}-\d{{2}}_part-\d{{5}}\.csv", p.name) for p in files)
            assert len({p.name.split("_part")[0] for p in files}) == 24  # one file per month (per chunk)
        else:
            assert all(re.fullmatch(rf"{table}_part-\d{{5}}\.csv", p.name) for p in files)
    assert len(list((out / "customers").glob("*.csv"))) == 3  # one per chunk


def test_parquet_layout_columns_and_types(parquet_run):
    out, _ = parquet_run
    expected_types = {
        "ts": pa.timestamp("us", tz="UTC"),
        "money": pa.decimal128(18, 2),
        "int": pa.int64(),
        "id": pa.string(),
        "str": pa.string(),
        "date": pa.date32(),
    }
    for table, columns in CONTRACT.items():
        files = sorted((out / table).rglob("*.parquet"))
        assert files, table
        for path in files[:50]:
            schema = pq.read_schema(path)
            assert schema.names == columns, path
            for name, kind in gen.TABLES[table]:
                assert schema.field(name).type == expected_types[kind], (table, name)
    partitions = sorted(p.name for p in (out / "events").iterdir())
    assert all(re.fullmatch(r"event_date=\d{4}-\d{2}-\d{2}", p) for p in partitions)
    assert len(partitions) > 700
    assert sorted(p.name for p in (out / "events" / partitions[100]).iterdir())[0] == "part-00000.parquet"


def test_parquet_event_partitions_hold_their_utc_day(parquet_run):
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    mismatched = _scalar(
        con,
        f"""
        select count(*)
        from read_parquet('{parquet_run[0]}/events/**/*.parquet', hive_partitioning = false, filename = true)
        where strftime(occurred_at, '%Y-%m-%d') <> regexp_extract(filename, 'event_date=([0-9-]+)', 1)
    """,
    )
    assert mismatched == 0


def test_empty_tables_still_get_a_file(tmp_path):
    for fmt in ("csv", "parquet"):
        out = tmp_path / fmt
        truth = gen.generate(out, customers=0, fmt=fmt)
        assert truth["row_counts"]["customers"] == 0 and truth["row_counts"]["experiments"] == 1
        for table, columns in CONTRACT.items():
            files = sorted(p for p in (out / table).rglob("*") if p.is_file())
            assert len(files) >= 1, table
            if fmt == "csv":
                if truth["row_counts"][table] == 0:
                    assert files[0].read_text() == ",".join(columns) + "\n"
            else:
                assert pq.read_schema(files[0]).names == columns


def test_csv_quotes_only_values_that_need_it(tmp_path):
    plain = pa.table({"a": ["x", None], "b": pa.array([1, 2])})
    write_csv(plain, tmp_path / "plain.csv")
    assert (tmp_path / "plain.csv").read_text() == "a,b\nx,1\n,2\n"
    awkward = pa.table({"a": ["x,y", "line\nbreak"], "b": pa.array([1, 2])})
    write_csv(awkward, tmp_path / "awkward.csv")
    with open(tmp_path / "awkward.csv", newline="") as handle:
        assert list(csv.reader(handle)) == [["a", "b"], ["x,y", "1"], ["line\nbreak", "2"]]


def test_csv_values_are_well_formed(csv_db):
    con = csv_db
    for table, columns in TIMESTAMP_COLUMNS.items():
        for column in columns:
            values = [v for (v,) in con.execute(f"select {column} from raw_{table}").fetchall() if v is not None]
            offsets = sum(bool(OFFSET_TEXT.match(v)) for v in values)
            assert all(UTC_TEXT.match(v) or OFFSET_TEXT.match(v) for v in values), (table, column)
            if table in ("events", "orders"):
                assert 0.07 < offsets / len(values) < 0.13, (table, offsets / len(values))
            else:
                assert offsets == 0, table
    money = re.compile(r"^\d+\.\d{2}$")
    for table, column in [("orders", "revenue"), ("orders", "cost_of_goods"), ("activity_costs", "cost")]:
        values = [v for (v,) in con.execute(f"select {column} from raw_{table}").fetchall() if v is not None]
        assert values and all(money.match(v) for v in values), (table, column)
    assert (
        _scalar(
            con, "select count(*) from raw_activity_costs where not regexp_full_match(period_month, '\\d{4}-\\d{2}-01')"
        )
        == 0
    )
    # nullable values are empty fields
    assert 0.01 < _scalar(con, "select avg((cost_of_goods is null)::int) from raw_orders") < 0.06
    assert 0.07 < _scalar(con, "select avg((session_id is null)::int) from raw_events") < 0.13
    assert _scalar(con, "select count(*) from raw_events where event_type is null or channel is null") == 0


def test_offset_timestamps_are_the_same_instant(csv_run):
    """Within a file, event ids follow the UTC instant: an offset written as local time would break the order."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    out_of_order = _scalar(
        con,
        f"""
        select count(*) from (
            select occurred_at::timestamptz as t,
                   lag(occurred_at::timestamptz) over (partition by filename order by event_id) as previous
            from read_csv('{csv_run[0]}/events/*.csv', all_varchar = true, header = true, filename = true)
        ) where t < previous
    """,
    )
    assert out_of_order == 0


def test_ids_are_unique_and_referential(csv_db):
    con = csv_db
    for table, column in ID_COLUMNS.items():
        assert _scalar(con, f"select count(*) - count(distinct {column}) from raw_{table}") == 0, table
        assert _scalar(con, f"select count(*) from raw_{table} where {column} is null") == 0, table
    for table in ("events", "orders", "survey_responses", "support_tickets", "experiment_assignments"):
        assert _scalar(con, f"select count(*) from raw_{table} anti join cu using (customer_id)") == 0, table
    assert (
        _scalar(
            con,
            "select count(*) from (select session_id from raw_events where session_id is not null "
            "group by 1 having count(distinct customer_id) > 1)",
        )
        == 0
    )
    assert _scalar(con, "select count(*) from raw_referrals where referrer_customer_id = referred_customer_id") == 0


def test_catalog_values(csv_db):
    con = csv_db
    drift = _scalar(con, "select count(*) from ev anti join sm using (event_type)")
    assert 0.002 < drift / _scalar(con, "select count(*) from ev") < 0.01
    assert (
        _scalar(
            con,
            "select count(*) from ev anti join sm using (event_type) where event_type not in "
            "('chatbot_open', 'wishlist_add')",
        )
        == 0
    )
    channels = f"read_csv('{SEEDS}/channels.csv', header = true)"
    touchpoints = f"read_csv('{SEEDS}/touchpoints.csv', header = true)"
    assert _scalar(con, f"select count(*) from raw_events anti join {channels} using (channel)") == 0
    assert _scalar(con, f"select count(*) from raw_events anti join {touchpoints} using (touchpoint)") == 0
    assert (
        _scalar(
            con, f"select count(*) from raw_customers c anti join {channels} ch on ch.channel = c.acquisition_channel"
        )
        == 0
    )
    assert {r for (r,) in con.execute("select distinct status from raw_orders").fetchall()} == {
        "completed",
        "refunded",
        "cancelled",
    }
    costs = f"read_csv('{SEEDS}/value_chain_activities.csv', header = true)"
    assert (
        _scalar(
            con,
            f"select count(*) from raw_activity_costs a anti join {costs} v "
            "on v.activity = a.activity and v.default_driver = a.driver",
        )
        == 0
    )
    assert _scalar(con, "select count(*) from raw_activity_costs") == 24 * _scalar(con, f"select count(*) from {costs}")


# ---------------------------------------------------------------------------------------------------- journeys


def test_first_event_is_awareness_at_created_and_nothing_precedes_it(csv_db):
    con = csv_db
    bad_first = _scalar(
        con,
        """
        select count(*) from cu
        join (select customer_id, min(t) as first_t, arg_min(event_type, t) as first_type from ev group by 1) f
            using (customer_id)
        join sm on sm.event_type = f.first_type
        where f.first_t <> cu.t or sm.stage <> 'awareness'
    """,
    )
    assert bad_first == 0
    assert _scalar(con, "select count(*) from cu anti join ev using (customer_id)") == 0
    assert _scalar(con, "select count(*) from od join cu using (customer_id) where od.t <= cu.t") == 0
    assert _scalar(con, "select count(*) from ev join cu using (customer_id) where ev.t < cu.t") == 0
    assert _scalar(con, f"select count(*) from ev where t < '{START}' or t >= '{END}'") == 0
    assert _scalar(con, f"select count(*) from od where t >= '{END}'") == 0


def test_funnel_rules_hold(csv_db):
    con = csv_db
    # non-considerers: awareness-stage events only, and no orders at all
    assert (
        _scalar(
            con,
            """
        select count(*) from ev join truth using (customer_id) left join sm using (event_type)
        where not truth.considered and coalesce(sm.stage, '?') <> 'awareness'
    """,
        )
        == 0
    )
    assert _scalar(con, "select count(*) from od join truth using (customer_id) where not considered") == 0
    # non-deciders: no completed orders
    assert (
        _scalar(
            con, "select count(*) from od join truth using (customer_id) where not decided and status = 'completed'"
        )
        == 0
    )
    # non-advocates: no referrals, and no promoter response at or after retention
    assert (
        _scalar(
            con,
            "select count(*) from rf join truth on truth.customer_id = rf.referrer_customer_id "
            "where not truth.advocate",
        )
        == 0
    )
    assert (
        _scalar(
            con,
            """
        select count(*) from sv join truth using (customer_id) join reach using (customer_id)
        where not truth.advocate and sv.nps >= 9 and sv.t >= reach.retained_at
    """,
        )
        == 0
    )
    # deciders' first completed order follows at least one consideration event
    assert (
        _scalar(con, "select count(*) from reach where decided_at is not null and not (considered_at < decided_at)")
        == 0
    )


def test_realised_stage_counts_match_the_files(csv_db, csv_run):
    _, truth = csv_run
    con = csv_db
    recomputed = con.execute("""
        select count(aware_at), count(considered_at), count(decided_at), count(retained_at), count(advocated_at)
        from reach
    """).fetchone()
    realised = truth["funnel"]["realised_counts"]
    assert list(recomputed) == [
        realised[s] for s in ("awareness", "consideration", "decision", "retention", "advocacy")
    ]
    # and customer by customer
    mismatches = _scalar(
        con,
        """
        select count(*) from truth join reach using (customer_id)
        where considered <> (considered_at is not null) or decided <> (decided_at is not null)
           or retained <> (retained_at is not null) or advocate <> (advocated_at is not null)
    """,
    )
    assert mismatches == 0
    assert realised["awareness"] == truth["customers"] == _scalar(con, "select count(*) from cu")


def test_stage_counts_match_in_parquet_mode(parquet_db, parquet_run):
    realised = parquet_run[1]["funnel"]["realised_counts"]
    recomputed = parquet_db.execute(
        "select count(considered_at), count(decided_at), count(retained_at), count(advocated_at) from reach"
    ).fetchone()
    assert list(recomputed) == [realised[s] for s in ("consideration", "decision", "retention", "advocacy")]


def test_planted_dropoff(csv_db):
    con = csv_db
    non_deciders = _scalar(
        con,
        """
        select avg((last_type = 'pricing_view')::int) from truth
        join (select customer_id, arg_max(event_type, t) as last_type from ev group by 1) using (customer_id)
        where considered and not decided
    """,
    )
    deciders = _scalar(
        con,
        """
        select avg((last_type = 'pricing_view')::int) from (
            select ev.customer_id, arg_max(ev.event_type, ev.t) as last_type
            from ev join sm using (event_type) join reach using (customer_id)
            where sm.stage = 'consideration' and ev.t < reach.decided_at
            group by 1
        )
    """,
    )
    assert abs(non_deciders - 0.5) < 0.06
    assert abs(deciders - 0.15) < 0.05


def test_referrals_and_cascades(csv_db, csv_run):
    con = csv_db
    _, truth = csv_run
    bad_referred = _scalar(
        con,
        """
        select count(*) from rf join cu on cu.customer_id = rf.referred_customer_id
        join (select customer_id, arg_min(event_type, t) as first_type from ev group by 1) f using (customer_id)
        where cu.acquisition_channel <> 'referral' or cu.t <> rf.converted_at or rf.converted_at < rf.sent_at
           or f.first_type <> 'referral_link_visit'
    """,
    )
    assert bad_referred == 0
    assert (
        _scalar(con, "select count(*) from cu where acquisition_channel = 'referral'")
        == _scalar(con, "select count(referred_customer_id) from rf")
        == truth["referred_customers"]
        > 0
    )
    assert _scalar(con, "select count(*) from rf where (referred_customer_id is null) <> (converted_at is null)") == 0
    assert 0.2 < _scalar(con, "select avg((converted_at is not null)::int) from rf") < 0.4
    assert truth["referrals"]["max_generation"] >= 2
    assert _scalar(con, "select max(referral_generation) from truth") == truth["referrals"]["max_generation"]


def test_referral_trigger(csv_db):
    """Each advocate's first loyalty claim after retention is followed by a referral within 14 days ~70% of
    the time; non-advocates claim rewards too but never refer."""
    share = _scalar(
        csv_db,
        """
        with claims as (
            select ev.customer_id, min(ev.t) as claimed_at
            from ev join truth using (customer_id) join reach using (customer_id)
            where truth.advocate and ev.event_type = 'loyalty_reward_claimed' and ev.t > reach.retained_at
            group by 1
        )
        select avg((exists (select 1 from rf where rf.referrer_customer_id = claims.customer_id
                            and rf.sent_at between claims.claimed_at and claims.claimed_at + interval 14 day))::int)
        from claims
    """,
    )
    assert 0.55 < share < 0.9
    assert (
        _scalar(
            csv_db,
            "select count(*) from ev join truth using (customer_id) "
            "where not advocate and event_type = 'loyalty_reward_claimed'",
        )
        > 0
    )


def test_experiment(csv_db, csv_run):
    con = csv_db
    _, truth = csv_run
    exp = truth["experiment"]
    assert con.execute(
        "select experiment_id, name, primary_metric, metric_window_days, started_at, ended_at from raw_experiments"
    ).fetchall() == [
        ("EXP001", "checkout_pricing_2025", "revenue", "30", "2025-09-01T00:00:00Z", "2025-10-31T23:59:59Z")
    ]
    assigned = exp["assigned_customers"]
    assert assigned > 100
    assert _scalar(con, "select count(*) from ea") == 3 * assigned
    assert (
        _scalar(
            con,
            "select count(*) from (select customer_id from ea group by 1 "
            "having count(distinct factor) <> 3 or count(distinct t) <> 1)",
        )
        == 0
    )
    levels = {f: set(v) for f, v in exp["factors"].items()}
    for factor, level in con.execute("select distinct factor, level from ea").fetchall():
        assert level in levels[factor]
    assert _scalar(con, "select count(*) from ea where t < '2025-09-01' or t > '2025-10-31 23:59:59+00'") == 0
    # everyone assigned was retained before the start and orders within the metric window
    assert (
        _scalar(
            con,
            "select count(*) from ea join reach using (customer_id) "
            "where retained_at is null or retained_at >= '2025-09-01'",
        )
        == 0
    )
    missing_order = _scalar(
        con,
        """
        select count(distinct ea.customer_id) from ea
        where not exists (select 1 from od where od.customer_id = ea.customer_id and od.status = 'completed'
                          and od.t > ea.t and od.t <= ea.t + interval 30 day)
    """,
    )
    assert missing_order == 0
    cells = {(c["pricing"], c["feature"], c["support"]): c["mean_revenue"] for c in exp["cell_means"]}
    assert cells[("control", "off", "standard")] == 60
    assert cells[("bundle", "on", "standard")] == 60 + 12 + 8 + 10


def test_segments_are_separable(csv_db):
    rows = csv_db.execute("""
        select segment, avg(n_orders), avg(aov), avg(coalesce(n_tickets, 0)), avg(nps)
        from truth
        join (select customer_id, count(*) as n_orders, avg(revenue) as aov from od
              where status = 'completed' group by 1) using (customer_id)
        left join (select customer_id, count(*) as n_tickets from raw_support_tickets group by 1) using (customer_id)
        left join (select customer_id, avg(nps) as nps from sv group by 1) using (customer_id)
        group by 1
    """).fetchall()
    stats = {name: values for name, *values in rows}
    loyal, bargain, support = stats["loyal_high_value"], stats["bargain_occasional"], stats["support_heavy_at_risk"]
    assert loyal[0] > 2 * bargain[0] and loyal[1] > 2 * bargain[1]  # frequency and monetary value
    assert support[2] > 3 * max(loyal[2], bargain[2])  # tickets
    assert loyal[3] > 8 and support[3] < 5  # promoters vs detractors
    mix = dict(
        csv_db.execute("""
        select category, count(*) from raw_support_tickets join truth using (customer_id)
        where segment = 'support_heavy_at_risk' group by 1
    """).fetchall()
    )
    assert (mix["delivery"] + mix["billing"]) / sum(mix.values()) > 0.7


def test_ground_truth_row_counts_match_files(csv_db, csv_run, parquet_db, parquet_run):
    for con, (_, truth) in ((csv_db, csv_run), (parquet_db, parquet_run)):
        for table in CONTRACT:
            assert _scalar(con, f"select count(*) from raw_{table}") == truth["row_counts"][table], table
    keys = {
        "seed",
        "customers",
        "start",
        "end",
        "format",
        "segments",
        "funnel",
        "bg_nbd",
        "gamma_gamma",
        "dropoff",
        "referral_trigger",
        "referrals",
        "experiment",
        "activity_costs",
        "row_counts",
    }
    truth = csv_run[1]
    assert keys <= set(truth)
    assert json.loads((csv_run[0] / "ground_truth.json").read_text()) == truth
    assert truth["end"] == "2025-12-31" and truth["dropoff"]["planted_last_event_type"] == "pricing_view"
    assert _scalar(csv_db, "select count(*) from truth") == truth["customers"]


# ---------------------------------------------------------------------------------------------------- scale


def _peak_rss_kb(tmp_path: Path, customers: int) -> int:
    code = (
        "import resource, sys\n"
        "from journey_metrics.generate import generate\n"
        f"generate(sys.argv[1], customers={customers}, chunk_size=250)\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / str(customers))],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(result.stdout.split()[-1])


def test_memory_does_not_grow_with_customers(tmp_path):
    small = _peak_rss_kb(tmp_path, 500)
    large = _peak_rss_kb(tmp_path, 12_000)  # 24x the customers: ~0.5M events
    # KiB. Normal growth is ~3 MB; keeping just the chunks' numpy event columns would add ~25 MB.
    assert large - small < 12_000, (small, large)


def test_cli_help_and_run(tmp_path):
    help_text = subprocess.run(
        [sys.executable, "-m", "journey_metrics.generate", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for option in ("--customers", "--seed", "--out", "--format", "--start", "--days", "--chunk-size"):
        assert option in help_text
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "journey_metrics.generate",
            "--customers",
            "50",
            "--days",
            "120",
            "--out",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert re.search(r"^events\s+[\d,]+ rows$", result.stdout, re.M)
    truth = json.loads((tmp_path / "ground_truth.json").read_text())
    assert truth["end"] == "2024-04-30"
    started = truth["experiment"]["started_at"]
    assert started[:10] >= "2024-01-01" and truth["experiment"]["ended_at"][:10] <= "2024-04-30"
