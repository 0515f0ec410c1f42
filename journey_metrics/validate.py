"""Great Expectations checks of the three layers: `python -m journey_metrics.validate`.

    python -m journey_metrics.validate [--db PATH] [--raw-dir PATH] [--suites raw,staging,marts]

- **raw**: the raw contract, file by file and row by row: every contract column present, keys
  present, timestamps, numbers and dates castable the way staging casts them. Row problems are
  *warnings* (staging rejects those rows into `rejected_rows`); a missing column or an unreadable
  file is an error.
- **staging**: keys unique and not null, timestamps in range, scores in range, every customer and
  experiment id known.
- **marts**: NPS and rates in range, funnels non-increasing, attribution adding up to the orders,
  one segment per customer, finite CLV, experiment cells covering the design.

The GX project is the folder gx/ (file mode). Each checked table has an expectation suite
`<layer>.<table>` (gx/expectations/<layer>/<table>.json) and a validation definition; the suites
are defined here, in code (the raw and staging ones follow the raw contract in
models/staging/_sources.yml), and saved to gx/ only when their content changes, so the committed
files always say what runs: change a suite here, not in its JSON (a run rewrites a JSON that differs). GX's SQL path does not work on DuckDB, so each table is read with the
duckdb library (the warehouse read-only), the columns a rule needs are computed in the query (an
orphan flag, a step-to-step difference, ...), and the frame is validated with a pandas data source.

Prints a summary of every failed expectation, writes the data docs under gx/uncommitted/data_docs/
and exits 1 when an error-level expectation failed (0 when only warnings did).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# Closed network: GX must not try to send usage statistics. Set before great_expectations is imported.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import duckdb  # noqa: E402
import great_expectations as gx  # noqa: E402
import great_expectations.expectations as gxe  # noqa: E402
import pandas as pd  # noqa: E402
from great_expectations.core.run_identifier import RunIdentifier  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402
from great_expectations.data_context.types.resource_identifiers import (  # noqa: E402
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)
from great_expectations.exceptions import DataContextError  # noqa: E402

from journey_metrics.contract import raw_contract  # noqa: E402
from journey_metrics.paths import REPO_ROOT, default_duckdb_path, default_raw_dir  # noqa: E402
from journey_metrics.project import project_var  # noqa: E402

LAYERS = ("raw", "staging", "marts")
GX_DIR = REPO_ROOT / "gx"
DATA_SOURCE = "journey"
BATCH_DEFINITION = "whole_frame"

# Timestamps before this are typos or epoch defaults, not customer history: the var staging rejects
# them by (too_early_timestamp), so the bound has one definition.
def _utc_naive(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value)
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


EARLIEST_TIMESTAMP = _utc_naive(str(project_var("earliest_valid_at")))
# Upper bound: now plus this margin (clock skew, time zones); passed to the suites as a parameter.
FUTURE_MARGIN = dt.timedelta(days=1)
LATEST_PARAMETER = "latest_allowed_at"
# Attribution credits are rounded by the largest-remainder method (1e-12 of a conversion, the cent
# of revenue), so the sums match the totals exactly; this only absorbs float conversion.
TOTALS_TOLERANCE = 1e-6
EXAMPLES = 3
RUN_NAME = "journey_metrics.validate"
# Validation results and their data-docs pages are kept for this many runs, then deleted.
KEEP_RUNS = 10

# How staging casts each raw text column (macros/staging.sql); `*_at` columns are ISO-8601 timestamps.
RAW_TYPES = {
    "revenue": "number",
    "cost_of_goods": "number",
    "cost": "number",
    "nps_score": "whole number",
    "csat_score": "whole number",
    "metric_window_days": "whole number",
    "period_month": "date",
}
RAW_TYPE_NAMES = {
    "timestamp": "an ISO-8601 timestamp",
    "number": "a number",
    "whole number": "a whole number",
    "date": "a date or a YYYY-MM month",
}
CASTS = {
    "timestamp": "try_cast({} as timestamptz)",
    "number": "try_cast({} as decimal(18, 2))",
    "whole number": (
        "case when try_cast({0} as decimal(38, 6)) = round(try_cast({0} as decimal(38, 6))) then 1 end"
    ),
    "date": "coalesce(try_cast({0} as date), try_cast({0} || '-01' as date))",
}
# The same CSV dialect as dbt's read_raw() (macros/raw_files.sql).
CSV_OPTIONS = (
    "header = true, all_varchar = true, delim = ',', quote = '\"', escape = '\"', "
    "union_by_name = true, filename = true, null_padding = true"
)

# Staging: inclusive value ranges, and the table each foreign key must be found in.
STAGING_RANGES = {("survey_responses", "nps_score"): (0, 10), ("survey_responses", "csat_score"): (1, 5)}
FOREIGN_KEYS = {
    "customer_id": ("customers", "customer_id"),
    "referrer_customer_id": ("customers", "customer_id"),
    "referred_customer_id": ("customers", "customer_id"),
    "experiment_id": ("experiments", "experiment_id"),
}


# --------------------------------------------------------------------------------------------------
# What is checked: one Check per suite, i.e. per table (or per rule whose grain is not a table's)
# --------------------------------------------------------------------------------------------------


@dataclass
class Check:
    """One suite: a frame (from a query) and the expectations on it."""

    layer: str
    table: str
    expectations: Callable[[], list]  # builds new Expectation objects (GX ties each to one suite)
    sql: str | None = None  # the frame's query; raw checks read files instead
    row_id: list[str] = field(default_factory=list)  # columns shown with failed rows
    frame: pd.DataFrame | None = None
    read_error: str | None = None

    @property
    def suite_name(self) -> str:
        return f"{self.layer}.{self.table}"


def _is_timestamp(column: str) -> bool:
    return column.endswith("_at")


def _raw_type(column: str) -> str | None:
    return "timestamp" if _is_timestamp(column) else RAW_TYPES.get(column)


def _quote(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def raw_expectations(table: str) -> Callable[[], list]:
    spec = raw_contract()[table]
    key = spec["primary_key"]

    def build() -> list:
        found = [gxe.ExpectColumnToExist(column=c) for c in spec["columns"]]
        rows = [
            gxe.ExpectColumnValuesToNotBeNull(
                column=c, severity="warning", description=f"Rows without {c} are rejected by staging."
            )
            for c in key
        ]
        unique = dict(severity="warning", description="Repeated keys are rejected by staging as duplicates.")
        rows.append(
            gxe.ExpectColumnValuesToBeUnique(column=key[0], **unique)
            if len(key) == 1
            else gxe.ExpectCompoundColumnsToBeUnique(column_list=key, **unique)
        )
        for c in spec["columns"]:
            kind = _raw_type(c)
            if kind:
                rows.append(
                    gxe.ExpectColumnValuesToBeNull(
                        column=f"{c}__unparseable",
                        severity="warning",
                        description=(
                            f"{c} must be {RAW_TYPE_NAMES[kind]} or blank: "
                            f"{c}__unparseable holds the text that is not, and staging rejects those rows."
                        ),
                    )
                )
        return found + rows

    return build


def raw_files_expectations() -> list:
    return [
        gxe.ExpectColumnValuesToBeNull(
            column="problem",
            description="Every raw file is readable and has every contract column of its table (else dbt stops).",
        )
    ]


def staging_check(table: str) -> Check:
    spec = raw_contract()[table]
    key, columns = spec["primary_key"], spec["columns"]
    dated = [c for c in columns if _is_timestamp(c) or _raw_type(c) == "date"]
    ranged = [(c, STAGING_RANGES[(table, c)]) for c in columns if (table, c) in STAGING_RANGES]
    foreign = [c for c in columns if c in FOREIGN_KEYS and FOREIGN_KEYS[c][0] != table]
    selected = list(dict.fromkeys(key + dated + [c for c, _ in ranged] + foreign))
    flags = [
        f"case when t.{c} is not null then t.{c} not in "
        f"(select {FOREIGN_KEYS[c][1]} from stg_{FOREIGN_KEYS[c][0]} where {FOREIGN_KEYS[c][1]} is not null) "
        f"end as is_{c}_unknown"
        for c in foreign
    ]
    sql = f"select {', '.join([f't.{c}' for c in selected] + flags)} from stg_{table} as t"

    def build() -> list:
        expectations = [gxe.ExpectColumnValuesToNotBeNull(column=c) for c in key]
        expectations.append(
            gxe.ExpectColumnValuesToBeUnique(column=key[0])
            if len(key) == 1
            else gxe.ExpectCompoundColumnsToBeUnique(column_list=key)
        )
        for c in dated:
            expectations.append(
                gxe.ExpectColumnValuesToBeBetween(
                    column=c,
                    min_value=EARLIEST_TIMESTAMP,
                    max_value={"$PARAMETER": LATEST_PARAMETER},
                    description=f"Not before {EARLIEST_TIMESTAMP:%Y-%m-%d}, not after the run time plus one day.",
                )
            )
        for c, (low, high) in ranged:
            expectations.append(gxe.ExpectColumnValuesToBeBetween(column=c, min_value=low, max_value=high))
        for c in foreign:
            parent, parent_key = FOREIGN_KEYS[c]
            expectations.append(
                gxe.ExpectColumnValuesToBeInSet(
                    column=f"is_{c}_unknown",
                    value_set=[False],
                    description=f"Every {c} is a {parent_key} of stg_{parent} (the flag is computed in the query).",
                )
            )
        return expectations

    return Check("staging", f"stg_{table}", build, sql, row_id=list(dict.fromkeys(key + foreign)))


def _between(column: str, low: float | None, high: float | None, **kwargs) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeBetween(column=column, min_value=low, max_value=high, **kwargs)


def _nps_expectations() -> list:
    return [
        _between("nps", -100, 100),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="nps", column_B="ci_low", or_equal=True, ignore_row_if="either_value_is_missing"
        ),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="ci_high", column_B="nps", or_equal=True, ignore_row_if="either_value_is_missing"
        ),
    ]


def _funnel_check(table: str, grain: list[str]) -> Check:
    partition = ", ".join(grain)
    sql = f"""
        select
            {partition},
            stage,
            stage_order,
            customers,
            conversion_from_previous,
            conversion_from_entry,
            customers - lag(customers) over (partition by {partition} order by stage_order)
                as customers_change_from_previous_stage
        from {table}
    """

    def build() -> list:
        return [
            _between("conversion_from_previous", 0, 1),
            _between("conversion_from_entry", 0, 1),
            _between(
                "customers_change_from_previous_stage",
                None,
                0,
                description="A funnel never grows from one stage to the next (difference computed in the query).",
            ),
        ]

    return Check("marts", table, build, sql, row_id=grain + ["stage"])


def _clv_expectations() -> list:
    return [
        gxe.ExpectColumnValuesToNotBeNull(column="predicted_clv"),
        _between("predicted_clv", 0, None),
        gxe.ExpectColumnValuesToBeInSet(
            column="is_predicted_clv_finite",
            value_set=[True],
            description="predicted_clv is a finite number (isfinite() in the query).",
        ),
    ]


def mart_checks() -> list[Check]:
    return [
        Check("marts", "mart_nps_monthly", _nps_expectations,
              "select response_month, nps, ci_low, ci_high from mart_nps_monthly",
              row_id=["response_month"]),
        Check("marts", "mart_nps_by_cut", _nps_expectations,
              "select cut, cut_value, response_month, nps, ci_low, ci_high from mart_nps_by_cut",
              row_id=["cut", "cut_value", "response_month"]),
        _funnel_check("mart_stage_funnel", ["cohort_month"]),
        _funnel_check("mart_stage_funnel_by_channel", ["cohort_month", "acquisition_channel"]),
        _funnel_check("mart_stage_funnel_by_segment", ["cohort_month", "segment_name"]),
        Check("marts", "mart_churn",
              lambda: [_between("churn_rate", 0, 1), _between("churn_rate_by_model", 0, 1)],
              "select month, cohort_month, acquisition_channel, churn_rate, churn_rate_by_model from mart_churn",
              row_id=["month", "cohort_month", "acquisition_channel"]),
        Check("marts", "mart_channel_attribution",
              lambda: [
                  _between("revenue_difference", -TOTALS_TOLERANCE, TOTALS_TOLERANCE,
                           description="Per model, credited revenue minus the revenue of completed stg_orders."),
                  _between("conversions_difference", -TOTALS_TOLERANCE, TOTALS_TOLERANCE,
                           description="Per model, credited conversions minus the number of completed stg_orders."),
              ],
              """
              with completed as (
                  select sum(revenue) as revenue, count(*) as orders
                  from stg_orders
                  where status = 'completed'
              ),

              credited as (
                  select attribution_model, sum(revenue) as revenue, sum(conversions) as conversions
                  from mart_channel_attribution
                  group by attribution_model
              )

              select
                  credited.attribution_model,
                  cast(credited.revenue - completed.revenue as double) as revenue_difference,
                  cast(credited.conversions - completed.orders as double) as conversions_difference
              from credited
              cross join completed
              """,
              row_id=["attribution_model"]),
        Check("marts", "customer_segments",
              lambda: [
                  _between("segments", 1, 1,
                           description="Every customer of stg_customers has exactly one segment_id."),
                  gxe.ExpectColumnValuesToBeInSet(
                      column="is_customer_unknown", value_set=[False],
                      description="Every segmented customer is in stg_customers (so the counts match)."),
              ],
              """
              with segments as (
                  select customer_id, count(segment_id) as segments
                  from customer_segments
                  group by customer_id
              )

              select
                  coalesce(customers.customer_id, segments.customer_id) as customer_id,
                  coalesce(segments.segments, 0) as segments,
                  customers.customer_id is null as is_customer_unknown
              from stg_customers as customers
              full outer join segments
                  on customers.customer_id = segments.customer_id
              """,
              row_id=["customer_id"]),
        Check("marts", "clv_predictions",
              lambda: _clv_expectations() + [_between("expected_purchases", 0, None),
                                             _between("probability_alive", 0, 1)],
              """
              select customer_id, predicted_clv, isfinite(predicted_clv) as is_predicted_clv_finite,
                  expected_purchases, probability_alive
              from clv_predictions
              """,
              row_id=["customer_id"]),
        Check("marts", "mart_customer_value", _clv_expectations,
              """
              select customer_id, predicted_clv, isfinite(predicted_clv) as is_predicted_clv_finite
              from mart_customer_value
              """,
              row_id=["customer_id"]),
        Check("marts", "experiment_cells",
              lambda: [gxe.ExpectColumnPairValuesToBeEqual(
                  column_A="cells", column_B="design_cells",
                  description="Per experiment and metric, one cell per combination of factor levels "
                              "(the product of each factor's levels in stg_experiment_assignments).")],
              """
              with levels as (
                  select experiment_id, factor, count(distinct level) as levels
                  from stg_experiment_assignments
                  group by experiment_id, factor
              ),

              design as (
                  select experiment_id, cast(product(levels) as bigint) as design_cells
                  from levels
                  group by experiment_id
              ),

              cells as (
                  select experiment_id, metric, count(distinct cell) as cells
                  from experiment_cells
                  group by experiment_id, metric
              )

              select
                  coalesce(design.experiment_id, cells.experiment_id) as experiment_id,
                  cells.metric,
                  coalesce(cells.cells, 0) as cells,
                  coalesce(design.design_cells, 0) as design_cells
              from design
              full outer join cells
                  on design.experiment_id = cells.experiment_id
              """,
              row_id=["experiment_id", "metric"]),
    ]


def build_checks(layers: list[str]) -> list[Check]:
    checks: list[Check] = []
    if "raw" in layers:
        checks.append(Check("raw", "files", raw_files_expectations, row_id=["table", "file"]))
        checks += [Check("raw", table, raw_expectations(table)) for table in raw_contract()]
    if "staging" in layers:
        checks += [staging_check(table) for table in raw_contract()]
    if "marts" in layers:
        checks += mart_checks()
    return checks


# --------------------------------------------------------------------------------------------------
# Reading the frames
# --------------------------------------------------------------------------------------------------


def _raw_file_columns(con: duckdb.DuckDBPyConnection, path: Path) -> set[str]:
    """The lower-cased column names of one raw file (a CSV's header row, a Parquet file's schema)."""
    if path.suffix.lower() == ".parquet":
        rows = con.execute("select name from parquet_schema(?)", [str(path)]).fetchall()
        return {name.lower() for (name,) in rows}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle), None)
    if header is None:
        raise ValueError("is empty: a CSV needs at least its header row")
    return {name.strip().lower() for name in header}


def _raw_files(raw_dir: Path, table: str) -> list[Path]:
    folder = raw_dir / table
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".csv", ".parquet") and p.is_file())


def read_raw(checks: list[Check], raw_dir: Path) -> None:
    """Fill the raw checks' frames from the files under `raw_dir` (an in-memory DuckDB)."""
    by_table = {c.table: c for c in checks if c.layer == "raw"}
    if not by_table:
        return
    problems: list[dict] = []
    with duckdb.connect() as con:
        for table, spec in raw_contract().items():
            check = by_table.get(table)
            if check is None:
                continue
            files = _raw_files(raw_dir, table)
            if not files:
                problems.append({"table": table, "file": f"{table}/", "problem": "no .csv or .parquet file"})
                check.read_error = f"no .csv or .parquet file under {raw_dir / table}"
                continue
            present: set[str] = set()
            readable: list[Path] = []
            for path in files:
                relative = str(path.relative_to(raw_dir))
                try:
                    found = _raw_file_columns(con, path)
                except UnicodeDecodeError:
                    problems.append({"table": table, "file": relative, "problem": "is not UTF-8 encoded"})
                    continue
                except ValueError as error:
                    problems.append({"table": table, "file": relative, "problem": str(error)})
                    continue
                except duckdb.Error as error:
                    problems.append({"table": table, "file": relative, "problem": f"unreadable: {_first_line(error)}"})
                    continue
                present |= found
                readable.append(path)
                missing = [c for c in spec["columns"] if c not in found]
                problems.append({
                    "table": table,
                    "file": relative,
                    "problem": f"missing column(s) {', '.join(missing)}" if missing else None,
                })
            if not readable:
                check.read_error = "no readable file"
                continue
            try:
                check.frame = con.execute(_raw_sql(raw_dir, spec, readable, present)).df()
            except duckdb.Error as error:
                check.read_error = f"could not read the files: {_first_line(error)}"
            check.row_id = [c for c in spec["primary_key"] if c in present] + ["source_file"]
    if "files" in by_table:
        by_table["files"].frame = pd.DataFrame(problems, columns=["table", "file", "problem"]).astype(
            {"problem": "object"}
        )


def _raw_sql(raw_dir: Path, spec: dict, files: list[Path], present: set[str]) -> str:
    """One raw table's rows: contract columns as trimmed text, plus the text that does not cast."""

    def listed(suffix: str) -> str:
        return "[" + ", ".join(_quote(p) for p in files if p.suffix.lower() == suffix) + "]"

    readers = []
    if any(p.suffix.lower() == ".csv" for p in files):
        readers.append(f"read_csv({listed('.csv')}, {CSV_OPTIONS})")
    if any(p.suffix.lower() == ".parquet" for p in files):
        readers.append(
            f"read_parquet({listed('.parquet')}, union_by_name = true, filename = true, hive_partitioning = false)"
        )
    columns = [c for c in spec["columns"] if c in present]
    # Staging trims every value and reads a blank as missing; so does this.
    text = {c: f"nullif(trim(cast(\"{c}\" as varchar)), '')" for c in columns}
    selected = [f"{text[c]} as {c}" for c in columns]
    for c in columns:
        kind = _raw_type(c)
        if kind:
            selected.append(
                f"case when {text[c]} is not null and {CASTS[kind].format(text[c])} is null "
                f"then {text[c]} end as {c}__unparseable"
            )
    prefix = len(str(raw_dir)) + 2
    selected.append(f"substr(filename, {prefix}) as source_file")
    branches = [f"select {', '.join(selected)} from {reader}" for reader in readers]
    return "\nunion all by name\n".join(branches)


def read_warehouse(checks: list[Check], db: Path) -> None:
    """Fill the staging and mart checks' frames from the warehouse, opened read-only and closed."""
    wanted = [c for c in checks if c.sql is not None]
    if not wanted:
        return
    with duckdb.connect(str(db), read_only=True) as con:
        for check in wanted:
            try:
                check.frame = _nanoseconds(con.execute(check.sql).df())
            except duckdb.Error as error:
                check.read_error = f"query failed: {_first_line(error)}"


def _nanoseconds(frame: pd.DataFrame) -> pd.DataFrame:
    """Timestamps as datetime64[ns]: GX compares those vectorised, other units row by row (slow)."""
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]) and not isinstance(frame[column].dtype, pd.DatetimeTZDtype):
            try:
                frame[column] = frame[column].astype("datetime64[ns]")
            except (OverflowError, pd.errors.OutOfBoundsDatetime):
                pass  # outside 1677-2262: keep the slow comparison, and the values it will report
    return frame


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


# --------------------------------------------------------------------------------------------------
# The GX project
# --------------------------------------------------------------------------------------------------


def open_project(gx_dir: Path):
    """The file-mode GX context in `gx_dir` (created on first use), with progress bars and analytics off."""
    context = gx.get_context(mode="file", context_root_dir=str(gx_dir))
    variables = context.variables
    bars = variables.progress_bars
    if isinstance(bars, dict):  # as read back from great_expectations.yml
        bars = ProgressBarsConfig(**bars)
    if bars is None or bars.globally or bars.metric_calculations or variables.analytics_enabled is not False:
        variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        variables.analytics_enabled = False
        variables.save()
    return context


def _comparable(suite) -> list[dict]:
    """A suite's expectations without their generated ids, as JSON (so datetimes are text on both sides)."""
    expectations = suite.to_json_dict()["expectations"]
    return [{k: v for k, v in e.items() if k not in ("id", "rendered_content")} for e in expectations]


def ensure_validation(context, check: Check):
    """The check's validation definition, adding the data asset, suite and definition where missing
    and saving the suite only when its expectations changed (so the files in gx/ stay put)."""
    try:
        source = context.data_sources.get(DATA_SOURCE)
    except KeyError:
        source = context.data_sources.add_pandas(DATA_SOURCE)
    try:
        asset = source.get_asset(check.suite_name)
    except LookupError:
        asset = source.add_dataframe_asset(check.suite_name)
    try:
        batch = asset.get_batch_definition(BATCH_DEFINITION)
    except KeyError:
        batch = asset.add_batch_definition_whole_dataframe(BATCH_DEFINITION)

    wanted = gx.ExpectationSuite(name=check.suite_name, expectations=check.expectations())
    try:
        suite = context.suites.get(check.suite_name)
    except DataContextError:
        suite = None
    if suite is None:
        suite = context.suites.add(wanted)
    elif _comparable(suite) != _comparable(wanted):
        wanted.id = suite.id  # keep the id the validation definition refers to
        suite = context.suites.add_or_update(wanted)

    try:
        definition = context.validation_definitions.get(check.suite_name)
    except DataContextError:
        definition = None
    if definition is None or definition.suite.id != suite.id or definition.batch_definition.id != batch.id:
        if definition is not None:
            context.validation_definitions.delete(check.suite_name)
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=check.suite_name, data=batch, suite=suite)
        )
    else:
        definition.suite = suite
    return definition


# --------------------------------------------------------------------------------------------------
# Running and reporting
# --------------------------------------------------------------------------------------------------


@dataclass
class Failure:
    layer: str
    table: str
    severity: str  # "error" or "warning"
    expectation: str
    column: str
    detail: str


@dataclass
class Outcome:
    checks: list[Check]
    evaluated: dict[str, int]  # expectations evaluated, per layer
    failures: list[Failure]
    docs: Path | None
    seconds: float

    @property
    def errors(self) -> list[Failure]:
        return [f for f in self.failures if f.severity == "error"]

    @property
    def warnings(self) -> list[Failure]:
        return [f for f in self.failures if f.severity == "warning"]

    @property
    def passed(self) -> bool:
        return not self.errors


def _columns_of(kwargs: dict) -> str:
    if "column" in kwargs:
        return str(kwargs["column"])
    if "column_list" in kwargs:
        return ", ".join(kwargs["column_list"])
    if "column_A" in kwargs:
        return f"{kwargs['column_A']}, {kwargs['column_B']}"
    return ""


def _value(value) -> str:
    """A value as the summary shows it: null for missing, dates without a midnight time."""
    if value is None or value is pd.NA or value is pd.NaT:
        return "null"
    if isinstance(value, float):
        return "null" if math.isnan(value) else f"{value:g}"
    if isinstance(value, pd.Timestamp | dt.datetime):
        midnight = (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0)
        return value.strftime("%Y-%m-%d") if midnight else value.isoformat(sep=" ")
    if isinstance(value, dict):
        return "(" + ", ".join(f"{k}={_value(v)}" for k, v in value.items()) + ")"
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(_value(v) for v in value) + ")"
    if hasattr(value, "item"):  # numpy scalars
        return _value(value.item())
    return repr(value) if isinstance(value, str) else str(value)


def _examples(result: dict, checked: list[str], row_id: list[str]) -> str:
    rows = result.get("partial_unexpected_index_list") or []
    if rows:
        shown = []
        for row in rows[:EXAMPLES]:
            values = [_value(row[c]) for c in checked if c in row]
            ids = [f"{c}={_value(row[c])}" for c in row_id if c in row and c not in checked]
            shown.append(", ".join(values) + (f" ({', '.join(ids)})" if ids else ""))
        return "; ".join(shown)
    values = result.get("partial_unexpected_list") or []
    return "; ".join(_value(v) for v in values[:EXAMPLES])


def _failure(check: Check, outcome) -> Failure:
    config = outcome.expectation_config
    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
    severity = "warning" if str(getattr(config.severity, "value", config.severity)) != "critical" else "error"
    columns = _columns_of(kwargs)
    result = outcome.result or {}
    info = outcome.exception_info or {}
    raised = info.get("raised_exception") if "raised_exception" in info else any(
        isinstance(v, dict) and v.get("raised_exception") for v in info.values()
    )
    if raised:
        message = info.get("exception_message") or next(
            (v.get("exception_message") for v in info.values() if isinstance(v, dict) and v.get("exception_message")),
            "",
        )
        detail = f"could not be evaluated: {_first_line(Exception(message)) if message else 'error'}"
    elif config.type == "expect_column_to_exist":
        detail = "column missing"
    elif "unexpected_count" in result:
        count, total = result["unexpected_count"], result.get("element_count", 0)
        share = f" ({100 * count / total:.3g}%)" if total else ""
        detail = f"{count:,} of {total:,} rows failed{share}"
        bounds = _bounds(kwargs)
        if bounds:
            detail += f"; expected {bounds}"
        examples = _examples(result, [c.strip() for c in columns.split(",") if c], check.row_id)
        if examples:
            detail += f"; e.g. {examples}"
    else:
        detail = _value({k: v for k, v in result.items() if not isinstance(v, list | dict)}) or "failed"
    return Failure(check.layer, check.table, severity, config.type, columns, detail)


def _bounds(kwargs: dict) -> str:
    if "value_set" in kwargs:
        return f"in {_value(list(kwargs['value_set']))}"
    if "min_value" in kwargs or "max_value" in kwargs:
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        if low is not None and high is not None:
            return f"between {_value(low)} and {_value(high)}"
        return f">= {_value(low)}" if low is not None else f"<= {_value(high)}"
    if kwargs.get("column_A"):
        relation = ">=" if kwargs.get("or_equal") else (">" if "or_equal" in kwargs else "=")
        return f"{kwargs['column_A']} {relation} {kwargs['column_B']}"
    return ""


def run(
    layers: list[str],
    db: Path,
    raw_dir: Path,
    gx_dir: Path = GX_DIR,
    now: dt.datetime | None = None,
    docs: bool = True,
) -> Outcome:
    """Validate `layers` against the warehouse `db` and the raw folder `raw_dir`."""
    started = time.perf_counter()
    checks = build_checks(layers)
    if any(c.layer != "raw" for c in checks) and not db.exists():
        raise FileNotFoundError(f"no warehouse at {db}: run `make build` (or dbt build) first, or pass --db")
    read_raw(checks, raw_dir)
    read_warehouse(checks, db)

    context = open_project(gx_dir)
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    parameters = {LATEST_PARAMETER: now + FUTURE_MARGIN}
    run_id = RunIdentifier(run_name=RUN_NAME, run_time=now.replace(tzinfo=dt.timezone.utc))
    evaluated = {layer: 0 for layer in layers}
    failures: list[Failure] = []
    documented: list = []
    for check in checks:
        if check.frame is None:
            failures.append(Failure(check.layer, check.table, "error", "not validated", "", check.read_error or ""))
            continue
        definition = ensure_validation(context, check)
        result_format = {
            "result_format": "SUMMARY",
            "partial_unexpected_count": EXAMPLES,
            "unexpected_index_column_names": [c for c in check.row_id if c in check.frame.columns],
        }
        results = definition.run(
            batch_parameters={"dataframe": check.frame},
            expectation_parameters=parameters,
            result_format=result_format,
            run_id=run_id,
        )
        evaluated[check.layer] += len(results.results)
        failures += [_failure(check, r) for r in results.results if not r.success]
        documented += [
            ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=check.suite_name),
                run_id=run_id,
                batch_identifier=results.batch_id,
            ),
            ExpectationSuiteIdentifier(name=check.suite_name),
        ]
    prune_history(Path(gx_dir), KEEP_RUNS)
    index = None
    if docs and documented:
        sites = context.build_data_docs(resource_identifiers=documented)
        index = Path(gx_dir) / "uncommitted" / "data_docs" / "local_site" / "index.html"
        url = sites.get("local_site", "")
        if url.startswith("file://"):
            index = Path(url.removeprefix("file://"))
    return Outcome(checks, evaluated, failures, index, time.perf_counter() - started)


def prune_history(gx_dir: Path, keep: int) -> None:
    """Per suite, delete the stored validation results and data-docs pages of all but its `keep`
    latest runs (GX keeps every run: the index page and the folder would grow without end)."""
    uncommitted = gx_dir / "uncommitted"
    for root in (uncommitted / "validations", uncommitted / "data_docs" / "local_site" / "validations"):
        for suite_runs in root.glob(f"**/{RUN_NAME}") if root.is_dir() else []:
            runs = sorted((run for run in suite_runs.iterdir() if run.is_dir()), key=lambda run: run.name)
            for run in runs[:-keep]:
                shutil.rmtree(run, ignore_errors=True)


def summary(outcome: Outcome, layers: list[str]) -> str:
    lines = []
    for layer in layers:
        checks = [c for c in outcome.checks if c.layer == layer]
        failures = [f for f in outcome.failures if f.layer == layer]
        errors = sum(f.severity == "error" for f in failures)
        warnings = len(failures) - errors
        state = "FAILED" if errors else ("passed with warnings" if warnings else "passed")
        counts = ", ".join(
            text for n, text in ((errors, f"{errors} error(s)"), (warnings, f"{warnings} warning(s)")) if n
        )
        lines.append(
            f"{layer:<8} {len(checks):>2} tables  {outcome.evaluated.get(layer, 0):>4} expectations  "
            f"{state}{f' ({counts})' if counts else ''}"
        )
        for check in checks:
            mine = [f for f in failures if f.table == check.table]
            if not mine:
                continue
            lines.append(f"  {check.table}")
            for f in mine:
                column = f" [{f.column}]" if f.column else ""
                lines.append(f"    {f.severity.upper():<7} {f.expectation}{column}: {f.detail}")
    total = sum(outcome.evaluated.values())
    lines.append("")
    if outcome.docs:
        lines.append(f"Data docs: {outcome.docs}")
    if outcome.errors:
        tables = ", ".join(dict.fromkeys(f"{f.layer}.{f.table}" for f in outcome.errors))
        lines.append(
            f"FAILED: {len(outcome.errors)} error-level expectation(s) failed in {tables}"
            f"{f'; {len(outcome.warnings)} warning(s)' if outcome.warnings else ''} ({outcome.seconds:.1f} s)."
        )
    elif outcome.warnings:
        lines.append(
            f"Passed: no error-level expectation failed; {len(outcome.warnings)} warning(s) "
            f"(rows staging rejects) of {total} expectations ({outcome.seconds:.1f} s)."
        )
    else:
        lines.append(f"All passed: {total} expectations met ({outcome.seconds:.1f} s).")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m journey_metrics.validate",
        description="Validate the raw files, staging and marts with Great Expectations (suites in gx/).",
    )
    parser.add_argument("--db", type=Path, default=Path(os.environ.get("JOURNEY_DUCKDB_PATH") or default_duckdb_path()),
                        help="DuckDB warehouse, opened read-only (default: JOURNEY_DUCKDB_PATH)")
    parser.add_argument("--raw-dir", type=Path, default=Path(os.environ.get("JOURNEY_RAW_DIR") or default_raw_dir()),
                        help="raw files folder (default: JOURNEY_RAW_DIR)")
    parser.add_argument("--suites", default=",".join(LAYERS),
                        help="comma-separated layers to validate: raw, staging, marts (default: all)")
    parser.add_argument("--gx-dir", type=Path, default=GX_DIR,
                        help="the GX project folder (default: gx/ in the repository)")
    parser.add_argument("--no-docs", action="store_true", help="skip writing the data docs")
    args = parser.parse_args(argv)
    layers = [s.strip() for s in args.suites.split(",") if s.strip()]
    unknown = [s for s in layers if s not in LAYERS]
    if unknown or not layers:
        parser.error(f"--suites: unknown layer(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(LAYERS)}")
    try:
        outcome = run(layers, args.db, args.raw_dir, args.gx_dir, docs=not args.no_docs)
    except FileNotFoundError as error:
        print(f"validate: {error}", file=sys.stderr)
        return 2
    sources = ([f"raw files {args.raw_dir}"] if "raw" in layers else []) + (
        [f"warehouse {args.db}"] if set(layers) - {"raw"} else []
    )
    print(f"Great Expectations {gx.__version__} · {' · '.join(sources)}")
    print(summary(outcome, layers))
    return 0 if outcome.passed else 1


if __name__ == "__main__":
    sys.exit(main())
