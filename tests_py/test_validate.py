"""The Great Expectations layer (journey_metrics.validate): the demo build passes; a broken mart fails
naming the table and the expectation; a raw row staging rejects is a warning of its raw rule, counted,
with the row as example; a missing raw column stops dbt before there is anything to validate."""

from __future__ import annotations

import dataclasses
import datetime as dt
import filecmp
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import great_expectations as gx
import numpy as np
import pandas as pd
import pytest
import yaml

from journey_metrics import validate
from journey_metrics.contract import raw_contract
from journey_metrics.paths import REPO_ROOT
from journey_metrics.validation import sql, suites
from journey_metrics.validation.sql import nanoseconds

from helpers import query, run_dbt, write_tables


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
        [
            sys.executable,
            "-m",
            "journey_metrics.validate",
            "--db",
            str(demo.db),
            "--gx-dir",
            str(gx_dir),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
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
    # and gx/ holds no suite the code no longer defines (a run retires those)
    stored = {f"{p.parent.name}.{p.stem}" for p in (validate.GX_DIR / "expectations").glob("*/*.json")}
    assert stored == suites, sorted(stored ^ suites)


def test_a_corrupted_mart_fails_naming_table_and_expectation(demo, gx_dir, tmp_path, capsys):
    db = tmp_path / demo.db.name  # same file name: views name their catalog after it
    shutil.copy(demo.db, db)
    with duckdb.connect(str(db)) as con:
        con.execute(
            "update mart_nps_monthly set nps = 150 "
            "where response_month = (select min(response_month) from mart_nps_monthly)"
        )
        con.execute("""
            update mart_stage_funnel set customers = customers + 100000, conversion_from_previous = 1.5
            where stage_order = (select max(stage_order) from mart_stage_funnel)
        """)
        con.execute("""
            update mart_channel_attribution set revenue = revenue + 1
            where attribution_model = (select min(attribution_model) from mart_channel_attribution)
        """)

    code, out = run_main(
        capsys,
        "--db",
        str(db),
        "--gx-dir",
        str(gx_dir),
        "--suites",
        "staging,marts",
        "--no-docs",
    )

    assert code == 1, out
    assert "FAILED" in out
    assert "  mart_nps_monthly\n    ERROR   expect_column_values_to_be_between [nps]: 1 of " in out
    assert "e.g. 150" in out
    assert "  mart_stage_funnel\n    ERROR   expect_column_values_to_be_between [conversion_from_previous]" in out
    assert (
        "staging   9 tables" in out
        and "expectation(s) failed in marts.mart_nps_monthly, marts.mart_stage_funnel" in out
    )
    # validate opened the copy read-only and closed it: a writer may open it again.
    duckdb.connect(str(db)).close()

    # That a funnel never grows and that attribution adds up to the orders are dbt's singular tests
    # (tests/), not repeated in GX: they catch the grown funnel and the extra revenue.
    singular = ["assert_funnel_never_grows", "assert_attribution_adds_up"]
    result = run_dbt(["test", "--select", *singular], demo.raw_dir, db, tmp_path)
    assert result.returncode != 0, result.stdout[-3000:]
    for test in singular:
        assert f"Failure in test {test} " in result.stdout, result.stdout[-3000:]


# --------------------------------------------------------------------------------------------------
# The checks are computed in DuckDB SQL and handed to GX: every kind of check must still fire, with
# the count and examples an independent computation (pandas on the small demo warehouse) gives.
# --------------------------------------------------------------------------------------------------

AS_OF = dt.datetime(2026, 1, 1)
NOT_NULL, UNIQUE, COMPOUND_UNIQUE = (
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_unique",
    "expect_compound_columns_to_be_unique",
)
BETWEEN, IN_SET = "expect_column_values_to_be_between", "expect_column_values_to_be_in_set"
PAIR_GREATER, PAIR_EQUAL = "expect_column_pair_values_a_to_be_greater_than_b", "expect_column_pair_values_to_be_equal"
NPS_150 = (
    "update mart_nps_monthly set nps = 150 where response_month = (select min(response_month) from mart_nps_monthly)"
)


def _as_table(con, view: str) -> None:
    """Replace a staging view by a table of its rows, so the test can corrupt them."""
    con.execute(f"create table {view}__rows as select * from {view}")
    con.execute(f"drop view {view}")
    con.execute(f"alter table {view}__rows rename to {view}")


def _nth(con, table: str, key: str, n: int) -> str:
    return con.execute(
        f"select {key} from {table} where {key} is not null order by {key} limit 1 offset {n}"
    ).fetchone()[0]


@pytest.fixture(scope="module")
def corrupted(demo, tmp_path_factory) -> Path:
    """The demo warehouse with a planted problem for every kind of staging and mart check."""
    db = tmp_path_factory.mktemp("corrupted") / demo.db.name
    shutil.copy(demo.db, db)
    with duckdb.connect(str(db)) as con:
        for view in ("stg_orders", "stg_survey_responses", "stg_activity_costs"):
            _as_table(con, view)
        first, second = _nth(con, "stg_orders", "order_id", 0), _nth(con, "stg_orders", "order_id", 1)
        con.execute(f"insert into stg_orders select * from stg_orders where order_id in ('{first}', '{second}')")
        for n, change in (
            (10, "order_id = null"),
            (20, "ordered_at = timestamp '1999-12-31 23:00:00'"),
            (30, "ordered_at = timestamp '2099-01-01'"),
            (40, "customer_id = 'NOPE'"),
        ):
            con.execute(f"update stg_orders set {change} where order_id = '{_nth(con, 'stg_orders', 'order_id', n)}'")
        responses = [_nth(con, "stg_survey_responses", "response_id", n) for n in (0, 1, 2)]
        con.execute(f"update stg_survey_responses set nps_score = 11 where response_id = '{responses[0]}'")
        con.execute(f"update stg_survey_responses set csat_score = 0 where response_id = '{responses[1]}'")
        con.execute(f"update stg_survey_responses set nps_score = null where response_id = '{responses[2]}'")
        # activity_costs (period_month, activity): one repeated row, two rows repeating with a null
        # activity (still considered), one row of nulls only (ignored).
        con.execute(
            "insert into stg_activity_costs select * from stg_activity_costs order by period_month, activity limit 1"
        )
        con.execute("""
            update stg_activity_costs set activity = null
            where period_month = (select max(period_month) from stg_activity_costs)
                and activity in (select distinct activity from stg_activity_costs order by activity limit 2)
        """)
        con.execute(
            "update stg_activity_costs set period_month = null, activity = null "
            "where period_month = (select min(period_month) from stg_activity_costs) and activity = "
            "(select max(activity) from stg_activity_costs)"
        )
        con.execute(NPS_150)
        con.execute(
            "update mart_nps_monthly set ci_low = nps + 1 "
            "where response_month = (select max(response_month) from mart_nps_monthly)"
        )
        con.execute("""update mart_nps_monthly set ci_high = null
                       where response_month = (
                           select response_month from mart_nps_monthly order by 1 limit 1 offset 1
                       )""")
        customers = [_nth(con, "clv_predictions", "customer_id", n) for n in range(6)]
        for customer, change in zip(
            customers,
            (
                "predicted_clv = 'nan'::double",
                "predicted_clv = 'inf'::double",
                "predicted_clv = '-inf'::double",
                "predicted_clv = -5",
                "predicted_clv = null",
                "probability_alive = 1.5",
            ),
            strict=True,
        ):
            con.execute(f"update clv_predictions set {change} where customer_id = '{customer}'")
        con.execute("insert into customer_segments select * from customer_segments order by customer_id limit 1")
        con.execute(
            "update customer_segments set customer_id = 'GHOST' "
            "where customer_id = (select max(customer_id) from customer_segments)"
        )
        con.execute("delete from experiment_cells where cell = (select min(cell) from experiment_cells)")
        con.execute(
            "update mart_stage_funnel set conversion_from_previous = 1.5 "
            "where stage_order = (select max(stage_order) from mart_stage_funnel)"
        )
    return db


@pytest.fixture(scope="module")
def corrupted_run(corrupted, demo, gx_dir):
    """validate.run on the corrupted warehouse, recording the size of every frame GX is given."""
    sizes: dict[str, int] = {}
    original = gx.ValidationDefinition.run

    def spy(self, **kwargs):
        sizes[self.name] = len(kwargs["batch_parameters"]["dataframe"])
        return original(self, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(gx.ValidationDefinition, "run", spy)
        outcome = validate.run(["staging", "marts"], corrupted, gx_dir, now=AS_OF, docs=False)
    return outcome, sizes


def frame(db: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).df()


def rows(values: pd.DataFrame) -> list[list]:
    return [list(r) for r in values.itertuples(index=False)]


def result_of(outcome, suite: str, kind: str, columns: str):
    """The GX result of one expectation (by type and its columns, as the summary names them)."""
    found = []
    for r in outcome.results[suite].results:
        kwargs = r.expectation_config.kwargs
        names = kwargs.get("column") or ", ".join(
            kwargs.get("column_list") or [kwargs.get("column_A"), kwargs.get("column_B")]
        )
        if r.expectation_config.type == kind and names == columns:
            found.append(r)
    assert len(found) == 1, (suite, kind, columns, found)
    return found[0]


def same(a, b) -> bool:
    """Equality with NaN equal to NaN (and to None: both are missing to pandas)."""
    if pd.isna(a) if not isinstance(a, list | tuple | dict) else False:
        return pd.isna(b) if not isinstance(b, list | tuple | dict) else False
    return a == b


def assert_result(result, *, unexpected: int, element: int, failing: list | None = None, missing: int | None = None):
    """The counts SQL handed GX, and examples that are among the failing values (as many as shown)."""
    r = result.result
    assert (r["unexpected_count"], r["element_count"]) == (unexpected, element), r
    assert result.success == (unexpected == 0)
    if missing is not None:
        assert r["missing_count"] == missing, r
        assert r["unexpected_percent"] == pytest.approx(100 * unexpected / (element - missing))
    shown = r.get("partial_unexpected_list", [])
    assert len(shown) == min(validate.EXAMPLES, unexpected), r
    if failing is not None:
        for value in shown:
            value = (
                list(value.values()) if isinstance(value, dict) else list(value) if isinstance(value, tuple) else value
            )
            assert any(same(value, f) for f in failing), (value, failing)


def test_staging_checks_count_like_pandas(corrupted, corrupted_run):
    outcome, _ = corrupted_run
    orders = frame(corrupted, "select * from stg_orders")
    known = set(frame(corrupted, "select customer_id from stg_customers")["customer_id"].dropna())
    n = len(orders)

    nulls = int(orders["order_id"].isna().sum())
    assert_result(result_of(outcome, "staging.stg_orders", NOT_NULL, "order_id"), unexpected=nulls, element=n)
    keys = orders["order_id"].dropna()
    repeated = keys[keys.duplicated(keep=False)]
    unique = result_of(outcome, "staging.stg_orders", UNIQUE, "order_id")
    assert_result(unique, unexpected=len(repeated), element=n, failing=list(repeated), missing=nulls)
    assert len(repeated) == 4
    # The examples are rows of the smallest repeated value first: both of its rows.
    assert unique.result["partial_unexpected_list"][:2] == [repeated.min()] * 2

    latest = AS_OF + suites.FUTURE_MARGIN
    ordered = orders["ordered_at"]
    outside = ordered[(ordered < suites.EARLIEST_TIMESTAMP) | (ordered > latest)]
    assert_result(
        result_of(outcome, "staging.stg_orders", BETWEEN, "ordered_at"),
        unexpected=len(outside),
        element=n,
        failing=list(outside),
        missing=int(ordered.isna().sum()),
    )
    assert len(outside) == 2
    unknown = orders[orders["customer_id"].notna() & ~orders["customer_id"].isin(known)]
    flag = result_of(outcome, "staging.stg_orders", IN_SET, "is_customer_id_unknown")
    assert_result(flag, unexpected=len(unknown), element=n, failing=[True])
    assert [row["customer_id"] for row in flag.result["partial_unexpected_index_list"]] == ["NOPE"]

    responses = frame(corrupted, "select nps_score, csat_score from stg_survey_responses")
    for column, (low, high) in (("nps_score", (0, 10)), ("csat_score", (1, 5))):
        values = responses[column]
        bad = values[values.notna() & ((values < low) | (values > high))]
        assert_result(
            result_of(outcome, "staging.stg_survey_responses", BETWEEN, column),
            unexpected=len(bad),
            element=len(values),
            failing=list(bad),
            missing=int(values.isna().sum()),
        )
        assert len(bad) == 1

    costs = frame(corrupted, "select period_month, activity from stg_activity_costs")
    considered = costs[costs["period_month"].notna() | costs["activity"].notna()]
    repeats = considered[considered.duplicated(keep=False)]
    assert_result(
        result_of(outcome, "staging.stg_activity_costs", COMPOUND_UNIQUE, "period_month, activity"),
        unexpected=len(repeats),
        element=len(costs),
        failing=rows(repeats),
        missing=len(costs) - len(considered),
    )
    assert len(repeats) == 4 and len(costs) - len(considered) == 1


def test_mart_checks_count_like_pandas(corrupted, corrupted_run):
    outcome, _ = corrupted_run
    nps = frame(corrupted, "select nps, ci_low, ci_high from mart_nps_monthly")
    assert_result(
        result_of(outcome, "marts.mart_nps_monthly", BETWEEN, "nps"),
        unexpected=int(((nps["nps"] < -100) | (nps["nps"] > 100)).sum()),
        element=len(nps),
        failing=[150],
    )
    for high, low in (("nps", "ci_low"), ("ci_high", "nps")):
        both = nps[nps[high].notna() & nps[low].notna()]
        bad = both[~(both[high] >= both[low])]
        assert_result(
            result_of(outcome, "marts.mart_nps_monthly", PAIR_GREATER, f"{high}, {low}"),
            unexpected=len(bad),
            element=len(nps),
            failing=rows(bad[[high, low]]),
            missing=len(nps) - len(both),
        )
        assert len(bad) == 1

    clv = frame(
        corrupted, "select predicted_clv, predicted_clv is null as is_null, probability_alive from clv_predictions"
    )
    value, n = clv["predicted_clv"], len(clv)
    assert_result(
        result_of(outcome, "marts.clv_predictions", NOT_NULL, "predicted_clv"), unexpected=2, element=n
    )  # NaN and null: both missing to pandas
    assert int(value.isna().sum()) == 2
    negative = value[value < 0]
    assert_result(
        result_of(outcome, "marts.clv_predictions", BETWEEN, "predicted_clv"),
        unexpected=len(negative),
        element=n,
        failing=list(negative),
        missing=2,
    )
    assert len(negative) == 2  # -inf and -5; +inf is >= 0
    not_finite = clv[~clv["is_null"] & ~np.isfinite(value.fillna(np.inf))]  # NaN, +inf, -inf
    assert_result(
        result_of(outcome, "marts.clv_predictions", IN_SET, "is_predicted_clv_finite"),
        unexpected=len(not_finite),
        element=n,
        failing=[False],
        missing=1,
    )
    assert len(not_finite) == 3
    alive = clv["probability_alive"]
    assert_result(
        result_of(outcome, "marts.clv_predictions", BETWEEN, "probability_alive"),
        unexpected=int(((alive < 0) | (alive > 1)).sum()),
        element=n,
        failing=[1.5],
    )

    segments = frame(corrupted, "select customer_id from customer_segments")
    customers = frame(corrupted, "select customer_id from stg_customers")
    per_customer = segments["customer_id"].value_counts()
    everyone = set(customers["customer_id"]) | set(segments["customer_id"])
    counts = {c: int(per_customer.get(c, 0)) for c in everyone}
    wrong = {c: k for c, k in counts.items() if k != 1}
    assert_result(
        result_of(outcome, "marts.customer_segments", BETWEEN, "segments"),
        unexpected=len(wrong),
        element=len(everyone),
        failing=list(wrong.values()),
    )
    assert sorted(wrong.values()) == [0, 2]
    assert_result(
        result_of(outcome, "marts.customer_segments", IN_SET, "is_customer_unknown"),
        unexpected=len(everyone - set(customers["customer_id"])),
        element=len(everyone),
        failing=[True],
    )

    # (that the funnel never grows is dbt's test: test_a_corrupted_mart_fails_naming_table_and_expectation)
    funnel = frame(corrupted, "select conversion_from_previous as rate from mart_stage_funnel")["rate"]
    outside = funnel[(funnel < 0) | (funnel > 1)]
    assert_result(
        result_of(outcome, "marts.mart_stage_funnel", BETWEEN, "conversion_from_previous"),
        unexpected=len(outside),
        element=len(funnel),
        failing=list(outside),
        missing=int(funnel.isna().sum()),
    )
    assert len(outside) >= 1

    cells = frame(
        corrupted, "select experiment_id, metric, count(distinct cell) as cells from experiment_cells group by all"
    )
    design = frame(
        corrupted,
        """
        select experiment_id, cast(product(levels) as bigint) as design_cells
        from (
            select experiment_id, factor, count(distinct level) as levels
            from stg_experiment_assignments group by all
        )
        group by all""",
    )
    both = cells.merge(design, on="experiment_id", how="outer").fillna(0)
    off = both[both["cells"] != both["design_cells"]]
    assert_result(
        result_of(outcome, "marts.experiment_cells", PAIR_EQUAL, "cells, design_cells"),
        unexpected=len(off),
        element=len(both),
        failing=rows(off[["cells", "design_cells"]]),
    )
    assert len(off) >= 1


def test_gx_is_given_the_examples_not_the_tables(corrupted_run, gx_dir):
    outcome, sizes = corrupted_run
    checks = {c.suite_name: c for c in outcome.checks}
    assert set(sizes) == set(checks)
    for suite, size in sizes.items():
        expectations = len(outcome.results[suite].results)
        assert size <= validate.EXAMPLES * expectations, (suite, size)
    assert sizes["staging.stg_events"] == 0  # a table that passes: GX gets no row of it
    # The stored result (what the data docs render) holds the counts SQL computed, not the frame's.
    runs = (gx_dir / "uncommitted" / "validations" / "staging" / "stg_orders").rglob("*.json")
    stored = json.loads(next(p for p in runs if AS_OF.strftime("%Y%m%dT%H%M%S") in str(p)).read_text())
    by_type = {r["expectation_config"]["type"]: r for r in stored["results"]}
    orders = outcome.results["staging.stg_orders"]
    assert by_type[UNIQUE]["result"]["unexpected_count"] == 4
    assert (
        by_type[UNIQUE]["result"]["element_count"]
        == result_of(outcome, "staging.stg_orders", UNIQUE, "order_id").result["element_count"]
    )
    assert stored["statistics"]["unsuccessful_expectations"] == sum(not r.success for r in orders.results) == 4
    assert "DuckDB SQL" in stored["meta"]["batch_parameters"]["counts"]


def _key(result) -> str:
    """An expectation by its type, columns and value set (unique within each suite: the raw rules
    differ in their reasons only)."""
    kwargs = result.expectation_config.kwargs
    columns = kwargs.get("column") or kwargs.get("column_list") or [kwargs.get("column_A"), kwargs.get("column_B")]
    return f"{result.expectation_config.type} {columns} {kwargs.get('value_set', '')}"


def _assert_counts_equal_gx_on_whole_frames(con, outcome, checks, parameters) -> int:
    """GX run the way validation used to run (on the whole relation read into pandas) gives, per
    expectation, the verdict and the element, unexpected and missing counts SQL gave."""
    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_pandas("whole")
    compared = 0
    for check in checks:
        batch = (
            source.add_dataframe_asset(check.suite_name)
            .add_batch_definition_whole_dataframe("all")
            .get_batch(batch_parameters={"dataframe": nanoseconds(con.execute(check.sql).df())})
        )
        suite = gx.ExpectationSuite(name=check.suite_name, expectations=check.expectations())
        whole = {_key(r): r for r in batch.validate(suite, expectation_parameters=parameters).results}
        mine = outcome.results[check.suite_name].results
        assert sorted(whole) == sorted(_key(r) for r in mine), check.suite_name
        for r in mine:
            expected = whole[_key(r)]
            assert r.success == expected.success, (check.suite_name, _key(r))
            for name in ("element_count", "unexpected_count", "missing_count"):
                assert r.result.get(name) == expected.result.get(name), (check.suite_name, _key(r), name)
            compared += 1
    return compared


def test_sql_counts_equal_gx_on_the_whole_tables(corrupted, corrupted_run, planted, planted_run):
    """The oracle: GX itself on the whole (small) tables, for every suite of the corrupted warehouse
    and of the planted raw files' warehouse."""
    outcome, _ = corrupted_run
    parameters = {suites.LATEST_PARAMETER: AS_OF + suites.FUTURE_MARGIN}
    with duckdb.connect(str(corrupted), read_only=True) as con:
        # stg_events: 270k rows through GX row by row is slow, and nothing is planted there
        checks = [c for c in outcome.checks if c.table != "stg_events"]
        compared = _assert_counts_equal_gx_on_whole_frames(con, outcome, checks, parameters)

    with duckdb.connect(str(planted), read_only=True) as con:
        compared += _assert_counts_equal_gx_on_whole_frames(con, planted_run, planted_run.checks, parameters)
    assert compared >= 150


# --------------------------------------------------------------------------------------------------
# The raw suites count what staging rejected (rejected_rows), rule by rule, with the rejected rows
# (file, key, the row as it arrived) as examples: the problems are planted in raw files, built with
# dbt, and must come back as warnings with their counts.
# --------------------------------------------------------------------------------------------------

RAW = "expect_column_values_to_not_be_in_set"


def order(key, customer, ordered_at, revenue, status="completed") -> dict:
    return {
        "order_id": key,
        "customer_id": customer,
        "ordered_at": ordered_at,
        "revenue": revenue,
        "status": status,
    }


# The same orders and activity costs written as Parquet (native types) and as CSV (their text):
# staging must judge them alike, infinite and far years included.
TWINS = """(values
    (1, timestamptz '2024-03-01 10:00:00+00', date '2024-01-01'),
    (2, timestamptz 'infinity', date 'infinity'),
    (3, timestamptz '-infinity', date '-infinity'),
    (4, cast(timestamp '290000-01-01 00:00:00' as timestamptz), date '0044-03-15 (BC)'),
    (5, cast(timestamp '0044-03-15 (BC) 10:00:00' as timestamptz), null))
    as t(n, ordered_at, period_month)"""


def planted_raw(raw: Path) -> Path:
    """Raw files, CSV and Parquet, with a row breaking each kind of staging rule."""
    write_tables(
        raw,
        {
            "customers": [
                {"customer_id": f"C{i}", "created_at": "2024-01-01T00:00:00Z", "country": "NL"} for i in range(3)
            ],
            "orders": [
                order("O1", "C0", "2024-02-01T10:00:00+01:00", "10.50"),
                order("O1", "C0", "2024-02-01T10:00:00+01:00", "10.50"),  # an exact repeat: duplicate
                order("O2", "C1", "yesterday", "ten"),  # invalid_timestamp, the first rule it breaks
                order(None, "C2", "2024-02-03", "3"),  # missing_primary_key
                order("O3", "C2", "2024-02-04", "ten"),  # invalid_number
                order("O4", "C9", "2024-02-05", "5"),  # unknown_customer
                order("O5", "C0", "2024-02-06", "5", status="shipped"),  # unknown_status
                order("O6", "C0", "2099-01-01", "5"),  # future_timestamp
                order("O7", "C0", "2024-02-07", "-5"),  # negative_amount
            ],
            "events": [
                {
                    "event_id": f"E{i}",
                    "customer_id": c,
                    "occurred_at": "2024-02-01T10:00:00Z",
                    "event_type": "page_view",
                }
                for i, c in ((1, "C0"), (2, "C9"))  # E2: unknown_customer, found by rejected_rows, not base_events
            ],
            "survey_responses": [
                {"response_id": "R1", "customer_id": "C0", "responded_at": "2024-02-01", "nps_score": "11"},
                {"response_id": "R2", "customer_id": "C0", "responded_at": "2024-02-01", "nps_score": "9"},
            ],
            "referrals": [
                {
                    "referral_id": "F1",
                    "referrer_customer_id": "C0",
                    "referred_customer_id": "C0",  # self_referral
                    "sent_at": "2024-02-01",
                }
            ],
        },
    )
    orders, costs = raw / "orders", raw / "activity_costs"
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        # native types: a NaN revenue and a cost beyond decimal(18, 2) (invalid_number), and O1 again
        # with other values (duplicate_key: the CSV's O1, from the later file by path, is kept)
        con.execute(f"""copy (select * from (values
            ('P1', 'C0', timestamptz '2024-03-01 10:00:00+00', 5.25::double, 1.0::double, 'completed'),
            ('P2', 'C1', timestamptz '2024-03-02 10:00:00+00', 'nan'::double, 2.0::double, 'completed'),
            ('P3', 'C2', timestamptz '2024-03-03 10:00:00+00', 3.0::double, 1e20::double, 'completed'),
            ('O1', 'C0', timestamptz '2024-03-04 10:00:00+00', 4.0::double, null, 'completed'))
            as t(order_id, customer_id, ordered_at, revenue, cost_of_goods, status))
            to '{orders / "native.parquet"}' (format parquet)""")
        # text: an unparseable timestamp, a missing key
        con.execute(f"""copy (select * from (values
            ('P4', 'C0', 'bad', '1', '1', 'completed'), (null, 'C0', '2024-01-01', '2', '2', 'completed'))
            as t(order_id, customer_id, ordered_at, revenue, cost_of_goods, status))
            to '{orders / "text.parquet"}' (format parquet)""")
        for suffix, prefix, options in (("parquet", "N", "(format parquet)"), ("csv", "T", "(header)")):
            con.execute(f"""copy (select '{prefix}' || n as order_id, 'C0' as customer_id, ordered_at,
                '1' as revenue, '1' as cost_of_goods, 'completed' as status from {TWINS})
                to '{orders / f"more.{suffix}"}' {options}""")
            con.execute(f"""copy (select period_month, '{suffix}' as activity, cast(n as varchar) as cost,
                'orders' as driver from {TWINS}) to '{costs / f"more.{suffix}"}' {options}""")
    return raw


def build_staging(raw: Path, tmp: Path) -> tuple[subprocess.CompletedProcess, Path]:
    db = tmp / "warehouse.duckdb"
    return run_dbt(["run", "--select", "path:models/staging"], raw, db, tmp), db


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    """The planted raw files, staged by dbt: the warehouse the raw suites read."""
    tmp = tmp_path_factory.mktemp("planted")
    result, db = build_staging(planted_raw(tmp / "raw"), tmp)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return db


@pytest.fixture(scope="module")
def planted_run(planted, gx_dir):
    return validate.run(["raw"], planted, gx_dir, now=AS_OF, docs=False)


def raw_result(outcome, table: str, rule: str):
    """The GX result of one raw rule (suites.RAW_RULES) of one raw table."""
    reasons = list(suites.RAW_RULES[rule])
    found = [r for r in outcome.results[f"raw.{table}"].results if r.expectation_config.kwargs["value_set"] == reasons]
    assert len(found) == 1, (table, rule)
    return found[0]


def test_bad_raw_rows_are_warnings(planted, gx_dir, capsys):
    code, out = run_main(capsys, "--db", str(planted), "--gx-dir", str(gx_dir), "--suites", "raw", "--no-docs")

    assert code == 0, out
    assert "raw       9 tables    90 expectations  passed with warnings (" in out
    assert "  orders\n    WARNING expect_column_values_to_not_be_in_set [rejection_reason]: 2 of 25 rows failed" in out
    # each failed rule: its count, its reasons, and the rejected rows with their file, key and record
    assert (
        "[rejection_reason]: 5 of 25 rows failed (20%); expected not in ['invalid_timestamp', 'invalid_number']; "
        "e.g. 'invalid_number' (source_file="
    ) in out
    assert 'orders/part-1.csv\', source_key=\'O2\', record=\'{"order_id":"O2","customer_id":"C1",' in out
    assert '"ordered_at":"yesterday","revenue":"ten"' in out
    assert "expected not in ['duplicate', 'duplicate_key']; e.g. 'duplicate_key' (source_file=" in out
    assert "  events\n    WARNING expect_column_values_to_not_be_in_set [rejection_reason]: 1 of 2 rows failed" in out
    assert "expected not in ['unknown_customer', 'unknown_experiment']; e.g. 'unknown_customer'" in out
    assert "source_key='E2'" in out
    assert "  referrals\n    WARNING" in out and "e.g. 'self_referral'" in out
    assert "  survey_responses\n    WARNING" in out and "e.g. 'nps_out_of_range'" in out
    assert "ERROR" not in out
    assert "Passed: no error-level expectation failed;" in out


def test_raw_checks_count_planted_problems_in_csv_and_parquet(planted, planted_run):
    """Per rule, the count of raw rows staging rejected for it, and rejected rows as examples."""
    rejected = frame(planted, "select source_table, source_key, reason, source_file from rejected_rows")
    raw_orders = int(frame(planted, "select count(*) as n from base_orders")["n"][0])
    expected = {
        # rule: the orders' keys rejected for it (None: a missing key)
        "key present": [None, None],
        "required values present": [],
        "key unique": ["O1", "O1"],
        "values parse": ["O2", "O3", "P2", "P3", "P4"],
        # O6 in 2099; the twins' infinite and far moments, N<n> from more.parquet and T<n> from more.csv
        "timestamps plausible": ["O6", "N2", "N3", "N4", "N5", "T2", "T3", "T4", "T5"],
        "values in range": ["O7"],
        "codes known": ["O5"],
        "rows consistent": [],
        "references known": ["O4"],
    }
    orders = rejected[rejected["source_table"] == "orders"]
    for rule, keys in expected.items():
        reasons = suites.RAW_RULES[rule]
        mine = orders[orders["reason"].isin(reasons)]
        assert sorted(mine["source_key"].fillna("-")) == sorted(k or "-" for k in keys), rule
        result = raw_result(planted_run, "orders", rule)
        assert_result(result, unexpected=len(keys), element=raw_orders, failing=list(reasons))
        shown = result.result.get("partial_unexpected_index_list", [])
        assert len(shown) == min(len(keys), validate.EXAMPLES)
        for row in shown:  # an example is a rejected row: its file, key and record as it arrived
            assert row["rejection_reason"] in reasons
            assert same(json.loads(row["record"])["order_id"], row["source_key"]), row
            assert row["source_file"].startswith(str(planted.parent / "raw" / "orders")), row
    assert len(orders) == raw_orders - len(frame(planted, "select * from stg_orders")) == 21
    # every rejected row of every table is counted by exactly one rule: none falls to the catch-all
    for table in raw_contract():
        results = planted_run.results[f"raw.{table}"].results
        counted = sum(r.result["unexpected_count"] for r in results if r.expectation_config.type == RAW)
        assert counted == int((rejected["source_table"] == table).sum()), table
        catch_all = [r for r in results if r.expectation_config.type == IN_SET]
        assert len(catch_all) == 1 and catch_all[0].success, table
    events = raw_result(planted_run, "events", "references known")
    assert_result(events, unexpected=1, element=2, failing=["unknown_customer"])
    assert events.result["partial_unexpected_index_list"][0]["source_key"] == "E2"


def test_every_rejection_reason_has_a_raw_rule():
    """The reasons staging may give (rejected_rows' accepted values) each belong to one rule."""
    staging = yaml.safe_load((REPO_ROOT / "models" / "staging" / "_staging.yml").read_text())
    model = next(m for m in staging["models"] if m["name"] == "rejected_rows")
    column = next(c for c in model["columns"] if c["name"] == "reason")
    accepted = next(
        t["accepted_values"] for t in column["data_tests"] if isinstance(t, dict) and "accepted_values" in t
    )
    values = (accepted.get("arguments") or accepted)["values"]
    ruled = [reason for reasons in suites.RAW_RULES.values() for reason in reasons]
    assert sorted(ruled) == sorted(values) and len(set(ruled)) == len(ruled)


def test_native_parquet_types_are_judged_as_their_text(planted):
    """Staging judges a Parquet timestamp or date column as the same values exported as text (CSV),
    infinite and far years included: no twin is unparseable, each gets its text twin's reason."""
    for table, n in (("orders", "right(source_key, 1)"), ("activity_costs", "cast(cast(cost as int) as varchar)")):
        twins = frame(
            planted,
            f"select {n} as n, regexp_extract(source_file, 'more[.](\\w+)$', 1) as kind, rejection_reason "
            f"from base_{table} where regexp_matches(source_file, 'more[.](csv|parquet)$')",
        )
        by_kind = twins.pivot(index="n", columns="kind", values="rejection_reason").fillna("staged")
        assert len(by_kind) == 5, (table, twins)
        assert by_kind["parquet"].tolist() == by_kind["csv"].tolist(), (table, by_kind)
        assert "invalid_timestamp" not in set(by_kind["csv"]), (table, by_kind)
        assert by_kind["csv"]["1"] == "staged", (table, by_kind)  # the ordinary moment


@pytest.mark.parametrize("table", ["customers", "orders"])
def test_a_missing_raw_column_stops_the_build_before_validation(tmp_path, gx_dir, capsys, table):
    """A file without a contract column (CSV or Parquet) stops dbt before any model is built (the
    run-start check, macros/raw_files/contract_check.sql): nothing is staged, and validation fails."""
    raw = tmp_path / "raw"
    write_tables(raw, {"customers": [{"customer_id": "C0", "created_at": "2024-01-01", "country": "NL"}]})
    if table == "customers":
        path, missing = raw / "customers" / "part-2.csv", "country"
        path.write_text("customer_id,created_at,acquisition_channel\nC9,2024-01-01,web\n")
    else:
        path, missing = raw / "orders" / "text.parquet", "status"
        with duckdb.connect() as con:
            con.execute(f"""copy (select 'P3' as order_id, 'C0' as customer_id, 'bad' as ordered_at, '1' as revenue,
                '1' as cost_of_goods) to '{path}' (format parquet)""")

    result, db = build_staging(raw, tmp_path)

    assert result.returncode != 0
    assert f"table '{table}', file '{path}': missing column(s) {missing}" in result.stdout
    built = db.exists()  # dbt may have opened the file before its run-start check stopped it: empty then
    if built:
        assert query(db, "select count(*) from duckdb_tables() where not internal") == [(0,)]
    code, out = run_main(capsys, "--db", str(db), "--gx-dir", str(gx_dir), "--suites", "raw", "--no-docs")
    assert code == (1 if built else 2), out
    if built:
        assert "FAILED" in out and out.count("ERROR   not validated: query failed") == len(raw_contract()), out


def test_a_wrong_sql_translation_is_caught_by_gx(demo, gx_dir, tmp_path, capsys, monkeypatch):
    """GX validates the example rows itself: were the SQL of an expectation wrong (here: nps never
    out of range), the row another expectation brings as an example contradicts it: an error."""
    db = tmp_path / demo.db.name
    shutil.copy(demo.db, db)
    with duckdb.connect(str(db)) as con:
        con.execute(NPS_150)
    original = sql.rule_for

    def broken(expectation, types, parameters, row_id):
        rule = original(expectation, types, parameters, row_id)
        if rule is not None and rule.columns == ("nps",) and rule.type == BETWEEN:
            return dataclasses.replace(rule, unexpected="false")
        return rule

    monkeypatch.setattr(sql, "rule_for", broken)
    code, out = run_main(
        capsys,
        "--db",
        str(db),
        "--gx-dir",
        str(gx_dir),
        "--suites",
        "marts",
        "--no-docs",
    )
    assert code == 1, out
    assert (
        "ERROR   expect_column_values_to_be_between [nps]: SQL counts 0 unexpected rows but GX finds 1 "
        "among the 1 example rows it was given"
    ) in out
    assert "ERROR   expect_column_pair_values_a_to_be_greater_than_b [ci_high, nps]: 1 of " in out
