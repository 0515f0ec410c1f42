"""Each expectation computed in DuckDB SQL over the whole relation of its suite.

Per suite, one aggregate scan gives the element count and, per expectation, the rows GX would
consider (its missing count is the rest) and the unexpected rows; a uniqueness expectation counts
the distinct hashes of its values there, and only when they are fewer than its rows (a repeat, or a
rare hash collision) does an exact `group by` count the repeated rows. Only the expectations that
failed then fetch examples: the first EXAMPLES unexpected rows in order of the suite's row-id
columns (`arg_min(row, sort key, n)`), in one more scan of the failing rows. What counts as
unexpected or missing follows GX's pandas semantics, expectation by expectation (NaN is missing,
as pandas' isnull() says; a uniqueness failure counts every row of a repeated value).

The result is small whatever the table's size: counts, and at most EXAMPLES rows per expectation.
Those example rows, merged into one frame (the evidence) that holds each table row at most as
often as the table does, are what GX validates.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import duckdb
import pandas as pd

from journey_metrics.validation.suites import EXAMPLES, Check

FLOAT_TYPES = {"FLOAT", "DOUBLE", "REAL", "FLOAT4", "FLOAT8"}
REPEATS_TABLE = "validation_repeats_"
RULE_COLUMN = "_validation_expectation"
POSITION_COLUMN = "_validation_position"


@dataclass(frozen=True)
class Rule:
    """One expectation as SQL over a row of the relation `t`."""

    type: str
    columns: tuple[str, ...]  # the columns GX checks, in its order
    unexpected: str | None  # predicate of an unexpected row; None for a uniqueness expectation
    considered: str | None  # predicate of a row GX does not ignore; None when GX reports no missing count
    unique: bool
    sort: tuple[str, ...]  # the order the examples are taken in


@dataclass
class Measure:
    """What SQL found for one expectation, over the whole relation."""

    rule: Rule
    element_count: int
    considered_count: int | None
    unexpected_count: int
    examples: list[dict]  # at most EXAMPLES unexpected rows, as the evidence frame holds them


@dataclass
class Computed:
    element_count: int
    measures: dict[str, Measure]  # by expectation id; expectations SQL does not compute are absent
    evidence: pd.DataFrame  # the example rows of every expectation, each table row at most as often as in the table


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value) -> str:
    """A bound or a set member as a SQL literal."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return f"timestamp '{value.isoformat(sep=' ')}'"
    if isinstance(value, dt.date):
        return f"date '{value.isoformat()}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(f"no SQL literal for {value!r}")


def _parameter(value, parameters: dict):
    """A kwarg's value, with a {"$PARAMETER": name} reference resolved."""
    if isinstance(value, dict) and "$PARAMETER" in value:
        return parameters[value["$PARAMETER"]]
    return value


def _missing_rows(columns: list[str], ignore_row_if: str) -> str | None:
    """The rows a multi-column expectation ignores, per its ignore_row_if (GX's names)."""
    nulls = [f"t.{ident(c)} is null" for c in columns]
    if ignore_row_if in ("both_values_are_missing", "all_values_are_missing"):
        return " and ".join(nulls)
    if ignore_row_if in ("either_value_is_missing", "any_value_is_missing"):
        return " or ".join(nulls)
    if ignore_row_if in ("neither", "never"):
        return None
    raise NotImplementedError(f"ignore_row_if={ignore_row_if!r}")


def rule_for(expectation, types: dict[str, str], parameters: dict, row_id: list[str]) -> Rule | None:
    """The SQL of one expectation, or None where GX's own result on the evidence frame is exact
    (a column's presence) or is the report (a column the relation lacks)."""
    kind = expectation.expectation_type
    if kind == "expect_column_to_exist":
        return None
    if getattr(expectation, "row_condition", None) or getattr(expectation, "mostly", 1) not in (None, 1):
        raise NotImplementedError(f"{kind}: row_condition and mostly are not computed in SQL")
    kwargs = expectation.configuration.kwargs
    if "column_list" in kwargs:
        columns = list(kwargs["column_list"])
    elif "column_A" in kwargs:
        columns = [kwargs["column_A"], kwargs["column_B"]]
    else:
        columns = [kwargs["column"]]
    if any(c not in types for c in columns):
        return None
    x = [f"t.{ident(c)}" for c in columns]
    unexpected: str | None
    considered: str | None = f"{x[0]} is not null"
    unique = False
    if kind == "expect_column_values_to_not_be_null":
        unexpected, considered = f"{x[0]} is null", None
    elif kind == "expect_column_values_to_be_null":
        unexpected, considered = f"{x[0]} is not null", None
    elif kind == "expect_column_values_to_be_between":
        low = _parameter(kwargs.get("min_value"), parameters)
        high = _parameter(kwargs.get("max_value"), parameters)
        outside = []
        if low is not None:
            outside.append(f"{x[0]} {'<=' if expectation.strict_min else '<'} {literal(low)}")
        if high is not None:
            outside.append(f"{x[0]} {'>=' if expectation.strict_max else '>'} {literal(high)}")
        if not outside:
            raise NotImplementedError(f"{kind} without min_value and max_value")
        unexpected = f"{x[0]} is not null and ({' or '.join(outside)})"
    elif kind in ("expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set"):
        members = ", ".join(literal(v) for v in _parameter(kwargs["value_set"], parameters))
        negation = "not " if kind == "expect_column_values_to_be_in_set" else ""
        unexpected = f"{x[0]} is not null and {x[0]} {negation}in ({members})"
    elif kind == "expect_column_values_to_be_unique":
        unexpected, unique = None, True
    elif kind == "expect_compound_columns_to_be_unique":
        missing = _missing_rows(columns, expectation.ignore_row_if)
        unexpected, considered, unique = None, f"not ({missing})" if missing else "true", True
    elif kind in ("expect_column_pair_values_a_to_be_greater_than_b", "expect_column_pair_values_to_be_equal"):
        missing = _missing_rows(columns, expectation.ignore_row_if)
        considered = f"not ({missing})" if missing else "true"
        equal = kind == "expect_column_pair_values_to_be_equal"
        relation = "=" if equal else (">=" if expectation.or_equal else ">")
        # pandas compares a missing value as False, so a considered row with one missing fails.
        unexpected = f"{considered} and not coalesce({x[0]} {relation} {x[1]}, false)"
    else:
        raise NotImplementedError(f"{kind} is not computed in SQL: add it to journey_metrics.validation.sql")
    ids = [c for c in row_id if c in types]
    sort = (columns + ids + columns) if unique else (ids + columns)
    return Rule(kind, tuple(columns), unexpected, considered, unique, tuple(dict.fromkeys(sort)))


def _row(columns) -> str:
    """A row of `t` as a struct, its fields named after the columns."""
    return "{" + ", ".join(f"{literal(c)}: t.{ident(c)}" for c in columns) + "}"


def _sort_key(columns) -> str:
    """The columns as a struct that sorts by them in order (fields s0, s1, ...: a column may repeat)."""
    return "{" + ", ".join(f"'s{i}': t.{ident(c)}" for i, c in enumerate(columns)) + "}"


def compute(
    con: duckdb.DuckDBPyConnection,
    check: Check,
    expectations: list[tuple[object, str]],
    parameters: dict,
) -> Computed:
    """Count and sample every expectation of `check` (pairs of expectation and its id) in SQL."""
    described = con.execute(f"describe select * from ({check.sql}) as validation_base").fetchall()
    types = {row[0]: str(row[1]).upper() for row in described}
    columns = list(types)
    # NaN is missing to pandas (and so to GX), a value above every other to DuckDB: make it null.
    selected = [
        f"nullif({ident(c)}, 'nan'::double) as {ident(c)}" if types[c] in FLOAT_TYPES else ident(c) for c in columns
    ]
    relation = f"(select {', '.join(selected)} from ({check.sql}) as validation_base)"
    rules: dict[int, tuple[str, Rule]] = {}
    for index, (expectation, expectation_id) in enumerate(expectations):
        rule = rule_for(expectation, types, parameters, check.row_id)
        if rule is not None:
            rules[index] = (expectation_id, rule)

    # 1. One scan for every count. A uniqueness expectation counts the distinct hashes of its
    #    values: as many as the rows it considers proves them unique; fewer (a repeat, or a hash
    #    collision) sends it to an exact `group by`.
    aggregates = ["count(*) as n"]
    for i, (_, rule) in rules.items():
        if rule.considered is not None:
            aggregates.append(f"count(*) filter (where {rule.considered}) as c{i}")
        if rule.unique:
            values = ", ".join(f"t.{ident(c)}" for c in rule.columns)
            aggregates.append(f"count(distinct hash({values})) filter (where {rule.considered}) as d{i}")
        else:
            aggregates.append(f"count(*) filter (where {rule.unexpected}) as u{i}")
    cursor = con.execute(f"select {', '.join(aggregates)} from {relation} as t")
    counts = dict(zip([d[0] for d in cursor.description], cursor.fetchone(), strict=True))
    element_count = int(counts["n"])
    row = _row(columns)
    unexpected: dict[int, int] = {}
    lists = [f"select -1 as k, (select arg_min({row}, 0, {EXAMPLES}) from {relation} as t where false) as e"]
    try:
        for i, (_, rule) in rules.items():
            if not rule.unique:
                unexpected[i] = int(counts[f"u{i}"])
            elif counts[f"d{i}"] == counts[f"c{i}"]:
                unexpected[i] = 0
            else:
                unexpected[i] = _repeats(con, rule, relation, row, table=f"{REPEATS_TABLE}{i}")
                lists.append(f"select {i}, e from {REPEATS_TABLE}{i}")

        # 2. The examples of the other expectations that failed, in one more scan.
        failing = [i for i, (_, rule) in rules.items() if unexpected[i] and not rule.unique]
        with_failing = ""
        if failing:
            found = ", ".join(
                f"arg_min({row}, {_sort_key(rules[i][1].sort)}, {EXAMPLES}) "
                f"filter (where {rules[i][1].unexpected}) as e{i}"
                for i in failing
            )
            anywhere = " or ".join(f"({rules[i][1].unexpected})" for i in failing)
            with_failing = f"with failing as (select {found} from {relation} as t where {anywhere}) "
            lists += [f"select {i}, e{i} from failing" for i in failing]
        if len(lists) > 1:
            examples = con.execute(
                f"{with_failing}select {RULE_COLUMN}, {POSITION_COLUMN}, unnest(r) from ("
                f"select k as {RULE_COLUMN}, generate_subscripts(e, 1) as {POSITION_COLUMN}, unnest(e) as r "
                f"from ({' union all '.join(lists)})) order by {RULE_COLUMN}, {POSITION_COLUMN}"
            ).df()
        else:  # all passed: the frame has no row, only the relation's columns and types
            examples = con.execute(
                f"select -1 as {RULE_COLUMN}, 0 as {POSITION_COLUMN}, * from {relation} as t limit 0"
            ).df()
    finally:
        for i in rules:
            con.execute(f"drop table if exists {REPEATS_TABLE}{i}")
    examples = nanoseconds(examples)

    measures = {}
    for i, (expectation_id, rule) in rules.items():
        mine = examples.loc[examples[RULE_COLUMN] == i, columns]
        considered = counts.get(f"c{i}")
        measures[expectation_id] = Measure(
            rule=rule,
            element_count=element_count,
            considered_count=None if considered is None else int(considered),
            unexpected_count=unexpected[i],
            examples=mine.to_dict("records"),
        )
    return Computed(element_count, measures, evidence(examples, columns))


def _repeats(con: duckdb.DuckDBPyConnection, rule: Rule, relation: str, row: str, table: str) -> int:
    """A uniqueness expectation counted exactly: the considered rows whose values repeat. Its
    examples, the rows of the first repeated values in order (so two rows of one value come first),
    go to the temporary `table` (one list `e`) for the examples query."""
    keys = ", ".join(f"t.{ident(c)}" for c in rule.columns)
    same = " and ".join(f"t.{ident(c)} is not distinct from d.{ident(c)}" for c in rule.columns)
    con.execute(f"""
        create or replace temp table {table} as
        with repeated as materialized (
            select {keys}, count(*) as n from {relation} as t where {rule.considered}
            group by {keys} having count(*) > 1
        ),

        first_repeated as (
            select * from repeated as t order by {keys} limit {EXAMPLES}
        )

        select
            (select coalesce(sum(n), 0) from repeated) as n,
            (select list(r order by s) from (
                select {row} as r, {_sort_key(rule.sort)} as s
                from {relation} as t semi join first_repeated as d on {same}
                order by s limit {EXAMPLES}
            )) as e
    """)
    return int(con.execute(f"select n from {table}").fetchone()[0])


def evidence(examples: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The example rows of all expectations in one frame, each row as often as the expectation that
    lists it most often does (never more often than in the table, so no repeated key, and no row
    that fails an expectation, appears that the table does not have)."""
    if examples.empty:
        return examples[columns].reset_index(drop=True)
    text = pd.Series([repr(row) for row in examples[columns].itertuples(index=False, name=None)], index=examples.index)
    copy = text.groupby([examples[RULE_COLUMN], text]).cumcount()
    keep = ~pd.DataFrame({"row": text, "copy": copy}).duplicated()
    return examples.loc[keep, columns].reset_index(drop=True)


def nanoseconds(frame: pd.DataFrame) -> pd.DataFrame:
    """Timestamps as datetime64[ns]: GX compares those vectorised, other units row by row."""
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]) and not isinstance(
            frame[column].dtype, pd.DatetimeTZDtype
        ):
            # Outside 1677-2262: keep the unit, and the values it will report.
            with contextlib.suppress(OverflowError, pd.errors.OutOfBoundsDatetime):
                frame[column] = frame[column].astype("datetime64[ns]")
    return frame
