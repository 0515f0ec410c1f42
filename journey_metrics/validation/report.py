"""The printed summary: per layer, table and failed expectation, the failed-row count and a few
examples, read from GX's validation results."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from journey_metrics.validation.suites import EXAMPLES, Check


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
    # GX's result per suite name, with the whole relation's counts (what the data docs show).
    results: dict = field(default_factory=dict)

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


def _failure(check: Check, outcome, disagreement: str | None = None) -> Failure:
    """One failed expectation as the summary shows it; `disagreement` (SQL and GX disagree on it)
    makes it an error, whatever its severity."""
    config = outcome.expectation_config
    kwargs = {k: v for k, v in config.kwargs.items() if k != "batch_id"}
    severity = "warning" if str(getattr(config.severity, "value", config.severity)) != "critical" else "error"
    columns = _columns_of(kwargs)
    if disagreement:
        return Failure(check.layer, check.table, "error", config.type, columns, disagreement)
    result = outcome.result or {}
    info = outcome.exception_info or {}
    raised = (
        info.get("raised_exception")
        if "raised_exception" in info
        else any(isinstance(v, dict) and v.get("raised_exception") for v in info.values())
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
        bounds = _bounds(kwargs, config.type)
        if bounds:
            detail += f"; expected {bounds}"
        examples = _examples(result, [c.strip() for c in columns.split(",") if c], check.row_id)
        if examples:
            detail += f"; e.g. {examples}"
    else:
        detail = _value({k: v for k, v in result.items() if not isinstance(v, list | dict)}) or "failed"
    return Failure(check.layer, check.table, severity, config.type, columns, detail)


def _bounds(kwargs: dict, kind: str = "") -> str:
    if "value_set" in kwargs:
        negation = "not " if kind == "expect_column_values_to_not_be_in_set" else ""
        return f"{negation}in {_value(list(kwargs['value_set']))}"
    if "min_value" in kwargs or "max_value" in kwargs:
        low, high = kwargs.get("min_value"), kwargs.get("max_value")
        if low is not None and high is not None:
            return f"between {_value(low)} and {_value(high)}"
        return f">= {_value(low)}" if low is not None else f"<= {_value(high)}"
    if kwargs.get("column_A"):
        relation = ">=" if kwargs.get("or_equal") else (">" if "or_equal" in kwargs else "=")
        return f"{kwargs['column_A']} {relation} {kwargs['column_B']}"
    return ""


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


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
