"""The same SQL layer on Apache Spark, row for row against DuckDB (docs/spark.md).

`make test-spark` runs this (after `make setup-spark`); a plain `make test` skips it at once, since it
needs pyspark and Java and takes minutes. The demo data at a small size is built on DuckDB and on
Spark (local[2], the `spark` target of profiles.yml): the SQL models that read no Python model, then
the Python models through journey_metrics.spark_python_models (toPandas, the same functions), then
the SQL models downstream of them. Every model table is then compared: the same rows, doubles to
1e-9 relative, timestamps and everything else exact.

The incremental models (insert_overwrite on Spark, delete+insert on DuckDB) are also built on Spark the
way a daily run builds them, in a schema of their own: first on the data without its last month (the last
event file before it cut short), then incrementally after that month and the whole file arrive, as in
tests_py/test_incremental.py. They must equal the DuckDB full build too.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
import subprocess
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from journey_metrics.dbt_cli import DBT, run_dbt
from journey_metrics.generate import generate
from journey_metrics.paths import REPO_ROOT

from helpers import last_month_held_back

pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(
        not os.environ.get("JOURNEY_TEST_SPARK") or importlib.util.find_spec("pyspark") is None,
        reason="Spark parity runs under `make test-spark` (JOURNEY_TEST_SPARK=1, pyspark installed)",
    ),
]

CUSTOMERS = 300
SEED = 42
AS_OF = {"as_of": "2026-01-01T00:00:00Z"}
RELATIVE_TOLERANCE = 1e-9

# Known differences, each with its reason (docs/spark.md, "What differs"). Empty: every model is equal. (Cent
# ties went by each engine's own hash until tie_break_hash became md5 everywhere; the CLV fits depended on the
# row order toPandas handed them until model_params sorted its customers.)
KNOWN_DIFFERENCES: dict[str, str] = {}

# The incremental models, and what they are built with in their own schema (all of it upstream of them).
INCREMENTAL_MODELS = ("base_events", "int_events_sessionised", "int_sessions_aggregated", "fct_touchpoints")
INCREMENTAL_SCHEMA = "journey_incremental"
NO_TESTS = ["--exclude-resource-type", "test", "unit_test"]


def spark_env(work: Path, raw: Path) -> dict[str, str]:
    return {
        **os.environ,
        "JOURNEY_RAW_DIR": str(raw),
        "JOURNEY_SPARK_DIR": str(work / "spark"),
        "DBT_TARGET_PATH": str(work / "target"),
        "DBT_LOG_PATH": str(work / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DO_NOT_TRACK": "1",
    }


def dbt_spark(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    command = [str(DBT), *args, "--target", "spark", "--vars", str(AS_OF)]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)


def check(result: subprocess.CompletedProcess, what: str) -> None:
    assert result.returncode == 0, f"{what} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> tuple[Path, Path, dict[str, str]]:
    tmp = tmp_path_factory.mktemp("spark_parity")
    raw = tmp / "raw"
    generate(raw, customers=CUSTOMERS, seed=SEED)
    env = spark_env(tmp / "spark_work", raw)

    # 0. the incremental models as a daily run builds them: on the data without its last month, then
    # incrementally once it has come (the new files loaded by one run, the rest built by another)
    incremental_env = {**env, "JOURNEY_SPARK_SCHEMA": INCREMENTAL_SCHEMA}
    select = ["--select", *(f"+{model}" for model in INCREMENTAL_MODELS)]
    with last_month_held_back(raw):
        check(dbt_spark(["build", *select, *NO_TESTS], incremental_env), "Spark build before the last month")
    check(dbt_spark(["run", "--select", "+base_events"], incremental_env), "Spark run of the new files")
    check(dbt_spark(["build", *select, *NO_TESTS], incremental_env), "incremental Spark build")

    duckdb_path = tmp / "duckdb" / "journey.duckdb"
    duckdb_path.parent.mkdir()
    check(run_dbt(["build"], raw, duckdb_path, tmp / "duckdb", vars=AS_OF), "dbt build on DuckDB")

    # 1. everything that reads no Python model (unit tests run on DuckDB: they test the rules)
    check(
        dbt_spark(["build", "--exclude", "path:python_models+", "resource_type:unit_test"], env),
        "dbt build on Spark (before the Python models)",
    )
    # 2. the Python models, through the same functions
    manifest = tmp / "spark_work" / "target" / "manifest.json"
    runner = [sys.executable, "-m", "journey_metrics.spark_python_models", "--manifest", str(manifest)]
    check(subprocess.run(runner, cwd=REPO_ROOT, env=env, capture_output=True, text=True), "Python models")
    # 3. what reads them, and their tests
    check(
        dbt_spark(
            ["build", "--select", "path:python_models+", "--exclude", "path:python_models", "resource_type:unit_test"],
            env,
        ),
        "dbt build on Spark (after the Python models)",
    )
    return duckdb_path, tmp / "spark_work", env


def normalised(value: object) -> object:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    return value


def same(a: object, b: object) -> bool:
    a, b = normalised(a), normalised(b)
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None or isinstance(a, str) or isinstance(b, str):
            return a == b
        return math.isclose(float(a), float(b), rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-12)
    if isinstance(a, date) and isinstance(b, date):
        return a == b
    if isinstance(a, str) and isinstance(b, str):
        return same_text(a, b)
    return a == b


NUMBER = re.compile(r"-?\d+(?:\.(\d+))?")


def same_text(a: str, b: str) -> bool:
    """Equal strings, or strings that differ only in numbers printed into them (a segment's centroid as
    JSON, rounded to 4 decimals) by at most one unit of the last printed digit: two doubles equal to 1e-9
    round either way when they sit at a rounding boundary. Anything else in the text must be equal."""
    if a == b:
        return True
    if NUMBER.sub("#", a) != NUMBER.sub("#", b):
        return False
    for x, y in zip(NUMBER.finditer(a), NUMBER.finditer(b), strict=True):
        places = max(len(x.group(1) or ""), len(y.group(1) or ""))
        if x.group(0) != y.group(0) and abs(float(x.group(0)) - float(y.group(0))) > 1.5 * 10.0**-places:
            return False
    return True


def test_numbers_printed_into_text_may_differ_in_their_last_digit_only():
    assert same_text('{"a":28.5479,"b":1}', '{"a":28.548,"b":1}')
    assert same_text("2: 0.3176, 3: 0.4138", "2: 0.3177, 3: 0.4138")
    assert not same_text("2: 0.3176", "2: 0.3178")
    assert not same_text('{"a":28.5479}', '{"b":28.5479}')
    assert not same_text("low value", "high value")


def sort_key(row: tuple) -> tuple:
    # doubles rounded for sorting only, so rows equal within the tolerance line up
    return tuple(
        (1, "") if v is None else (0, repr(round(float(v), 6)) if isinstance(v, float | Decimal) else repr(v))
        for v in map(normalised, row)
    )


def model_tables(duckdb_path: Path) -> list[str]:
    import duckdb

    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        return sorted(
            name
            for (name,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'main'"
                " union select view_name from duckdb_views() where schema_name = 'main' and not internal"
            ).fetchall()
        )


@pytest.fixture(scope="module")
def spark(builds):
    from journey_metrics.spark_python_models import spark_profile, spark_session

    _, _, env = builds
    os.environ.update({k: v for k, v in env.items() if k.startswith("JOURNEY_")})
    session = spark_session(spark_profile())
    yield session
    session.stop()


def differences(spark, schema: str, duckdb_path: Path, tables: list[str]) -> dict[str, str]:
    """Each of `tables` (DuckDB model tables) that differs between DuckDB and Spark's `schema`, with why."""
    import duckdb

    differing: dict[str, str] = {}
    spark_tables = {row.tableName for row in spark.sql(f"show tables in {schema}").collect()}
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        for table in tables:
            if table not in spark_tables:
                differing[table] = "missing on Spark"
                continue
            columns = [c[0] for c in con.execute(f'describe "{table}"').fetchall()]
            duck_rows = sorted(con.execute(f'select * from "{table}"').fetchall(), key=sort_key)
            spark_frame = spark.table(f"{schema}.{table}")
            if sorted(spark_frame.columns) != sorted(columns):
                differing[table] = f"columns differ: {sorted(set(spark_frame.columns) ^ set(columns))}"
                continue
            spark_rows = sorted(
                (tuple(row[c] for c in columns) for row in spark_frame.select(*columns).collect()), key=sort_key
            )
            if len(spark_rows) != len(duck_rows):
                differing[table] = f"{len(spark_rows)} rows on Spark, {len(duck_rows)} on DuckDB"
                continue
            for spark_row, duck_row in zip(spark_rows, duck_rows, strict=True):
                bad = [c for c, a, b in zip(columns, spark_row, duck_row, strict=True) if not same(a, b)]
                if bad:
                    differing[table] = f"first differing row, columns {bad}: {spark_row} vs {duck_row}"
                    break
    return differing


def test_every_model_is_equal_on_spark_and_duckdb(builds, spark) -> None:
    from journey_metrics.spark_python_models import spark_profile

    duckdb_path, _, _ = builds
    differing = differences(spark, spark_profile()["schema"], duckdb_path, model_tables(duckdb_path))
    unexpected = {t: why for t, why in differing.items() if t not in KNOWN_DIFFERENCES}
    assert unexpected == {}, "\n".join(f"{t}: {why[:400]}" for t, why in sorted(unexpected.items()))
    stale = sorted(set(KNOWN_DIFFERENCES) - set(differing))
    assert stale == [], f"equal on both engines now: remove them from KNOWN_DIFFERENCES: {stale}"


def test_incremental_builds_on_spark_equal_the_full_build(builds, spark) -> None:
    """The incremental models built on Spark before and after the last month arrived equal DuckDB's full
    build, and so does everything built with them (their staging parents)."""
    duckdb_path, _, _ = builds
    built = sorted(row.tableName for row in spark.sql(f"show tables in {INCREMENTAL_SCHEMA}").collect())
    assert set(INCREMENTAL_MODELS) <= set(built), built
    december = spark.sql(
        f"select count(*) as events from {INCREMENTAL_SCHEMA}.base_events where occurred_at >= timestamp '2025-12-01'"
    ).collect()[0]["events"]
    assert december > 0  # the last month was appended by the incremental build
    tables = [table for table in model_tables(duckdb_path) if table in built]
    differing = differences(spark, INCREMENTAL_SCHEMA, duckdb_path, tables)
    assert differing == {}, "\n".join(f"{t}: {why[:400]}" for t, why in sorted(differing.items()))
