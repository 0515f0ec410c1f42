"""What is checked: one Check per GX suite (a table, or a rule whose grain is not a table's), its
expectations, and the relation (a SQL query) they are computed on. Change a suite here, not in its
JSON under gx/expectations/: a run rewrites a JSON that differs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import great_expectations.expectations as gxe

from journey_metrics.contract import raw_contract
from journey_metrics.paths import REPO_ROOT
from journey_metrics.project import project_var

LAYERS = ("raw", "staging", "marts")
GX_DIR = REPO_ROOT / "gx"
DATA_SOURCE = "journey"
BATCH_DEFINITION = "whole_frame"


# Timestamps before this are typos or epoch defaults, not customer history: the var staging rejects
# them by (too_early_timestamp), so the bound has one definition.
def _utc_naive(value: str) -> dt.datetime:
    moment = dt.datetime.fromisoformat(value)
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


EARLIEST_TIMESTAMP = _utc_naive(str(project_var("earliest_valid_at")))
# Upper bound: now plus this margin (clock skew, time zones); passed to the suites as a parameter.
FUTURE_MARGIN = dt.timedelta(days=1)
LATEST_PARAMETER = "latest_allowed_at"
# Failed rows per expectation that SQL fetches and the summary and data docs show.
EXAMPLES = 3
RUN_NAME = "journey_metrics.validate"
# Validation results and their data-docs pages are kept for this many runs, then deleted.
KEEP_RUNS = 10

# Raw: the rules a raw row must meet, each named by the rejection reasons staging gives the rows that
# break it (the doc block `rejection_reason`, models/staging/_docs.md). Staging applies the rules (the
# base_<table> models); the raw suites count its verdicts in rejected_rows, so a rule lives in one place.
RAW_RULES = {
    "key present": ("missing_primary_key",),
    "required values present": ("missing_customer_id", "missing_value"),
    "key unique": ("duplicate", "duplicate_key"),
    "values parse": ("invalid_timestamp", "invalid_number"),
    "timestamps plausible": ("future_timestamp", "too_early_timestamp"),
    "values in range": ("negative_amount", "nps_out_of_range", "csat_out_of_range", "invalid_value"),
    "codes known": ("unknown_status", "unknown_metric", "unknown_driver"),
    "rows consistent": ("self_referral", "conversion_before_sent", "resolved_before_opened", "ended_before_started"),
    "references known": ("unknown_customer", "unknown_experiment"),
}
# The example rows' columns: where the row came from and the row as it arrived.
RAW_ROW_ID = ["source_file", "source_key", "record"]

# Staging: inclusive value ranges (the vars staging rejects scores by), the date columns besides the
# `*_at` timestamps, and the table each foreign key must be found in.
STAGING_RANGES = {
    ("survey_responses", "nps_score"): tuple(project_var("nps_score_range")),
    ("survey_responses", "csat_score"): tuple(project_var("csat_score_range")),
}
STAGING_DATES = {"period_month"}
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
    """One suite: a relation (a SQL query over the warehouse) and the expectations on it."""

    layer: str
    table: str
    expectations: Callable[[], list]  # builds new Expectation objects (GX ties each to one suite)
    sql: str
    row_id: list[str] = field(default_factory=list)  # columns shown with failed rows

    @property
    def suite_name(self) -> str:
        return f"{self.layer}.{self.table}"


def _is_timestamp(column: str) -> bool:
    return column.endswith("_at")


def raw_check(table: str) -> Check:
    """The raw rows of `table` as staging judged them: its rejected rows (reason, file, key, the row as
    it arrived) and one row per staged row (no reason), so the counts are of raw rows
    (raw rows = staged + rejected, tests/assert_raw_rows_reconcile.sql)."""
    sql = f"""
        select reason as rejection_reason, source_file, source_key, record
        from rejected_rows
        where source_table = '{table}'
        union all
        select null, null, null, null
        from stg_{table}
    """

    def build() -> list:
        expectations = [
            gxe.ExpectColumnValuesToNotBeInSet(
                column="rejection_reason",
                value_set=list(reasons),
                severity="warning",
                description=f"{rule.capitalize()}: no raw row that staging rejects as {' or '.join(reasons)}.",
            )
            for rule, reasons in RAW_RULES.items()
        ]
        named = [reason for reasons in RAW_RULES.values() for reason in reasons]
        expectations.append(
            gxe.ExpectColumnValuesToBeInSet(
                column="rejection_reason",
                value_set=named,
                severity="warning",
                description="No raw row that staging rejects for a reason the rules above do not name "
                "(a new staging rule shows here until suites.RAW_RULES gives it a rule).",
            )
        )
        return expectations

    return Check("raw", table, build, sql, row_id=list(RAW_ROW_ID))


def staging_check(table: str) -> Check:
    spec = raw_contract()[table]
    key, columns = spec["primary_key"], spec["columns"]
    dated = [c for c in columns if _is_timestamp(c) or c in STAGING_DATES]
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
    # That a funnel never grows from one stage to the next is dbt's test (tests/assert_funnel_never_grows.sql).
    sql = f"select {', '.join(grain)}, stage, conversion_from_previous, conversion_from_entry from {table}"

    def build() -> list:
        return [_between("conversion_from_previous", 0, 1), _between("conversion_from_entry", 0, 1)]

    return Check("marts", table, build, sql, row_id=[*grain, "stage"])


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
        Check(
            "marts",
            "mart_nps_monthly",
            _nps_expectations,
            "select response_month, nps, ci_low, ci_high from mart_nps_monthly",
            row_id=["response_month"],
        ),
        Check(
            "marts",
            "mart_nps_by_cut",
            _nps_expectations,
            "select cut, cut_value, response_month, nps, ci_low, ci_high from mart_nps_by_cut",
            row_id=["cut", "cut_value", "response_month"],
        ),
        _funnel_check("mart_stage_funnel", ["cohort_month"]),
        _funnel_check("mart_stage_funnel_by_channel", ["cohort_month", "acquisition_channel"]),
        _funnel_check("mart_stage_funnel_by_segment", ["cohort_month", "segment_name"]),
        Check(
            "marts",
            "mart_churn",
            lambda: [_between("churn_rate", 0, 1), _between("churn_rate_by_model", 0, 1)],
            "select month, cohort_month, acquisition_channel, churn_rate, churn_rate_by_model from mart_churn",
            row_id=["month", "cohort_month", "acquisition_channel"],
        ),
        Check(
            "marts",
            "customer_segments",
            lambda: [
                _between("segments", 1, 1, description="Every customer of stg_customers has exactly one segment_id."),
                gxe.ExpectColumnValuesToBeInSet(
                    column="is_customer_unknown",
                    value_set=[False],
                    description="Every segmented customer is in stg_customers (so the counts match).",
                ),
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
            row_id=["customer_id"],
        ),
        Check(
            "marts",
            "clv_predictions",
            lambda: (
                [
                    *_clv_expectations(),
                    _between("expected_purchases", 0, None),
                    _between("probability_alive", 0, 1),
                    _between("expected_order_value", 0, None),
                ]
            ),
            """
              select customer_id, predicted_clv, isfinite(predicted_clv) as is_predicted_clv_finite,
                  expected_purchases, probability_alive, expected_order_value
              from clv_predictions
              """,
            row_id=["customer_id"],
        ),
        Check(
            "marts",
            "mart_customer_value",
            _clv_expectations,
            """
              select customer_id, predicted_clv, isfinite(predicted_clv) as is_predicted_clv_finite
              from mart_customer_value
              """,
            row_id=["customer_id"],
        ),
        Check(
            "marts",
            "experiment_cells",
            lambda: [
                gxe.ExpectColumnPairValuesToBeEqual(
                    column_A="cells",
                    column_B="design_cells",
                    description="Per experiment and metric, one cell per combination of factor levels "
                    "(the product of each factor's levels in stg_experiment_assignments).",
                )
            ],
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
            row_id=["experiment_id", "metric"],
        ),
    ]


def build_checks(layers: list[str]) -> list[Check]:
    checks: list[Check] = []
    if "raw" in layers:
        checks += [raw_check(table) for table in raw_contract()]
    if "staging" in layers:
        checks += [staging_check(table) for table in raw_contract()]
    if "marts" in layers:
        checks += mart_checks()
    return checks
