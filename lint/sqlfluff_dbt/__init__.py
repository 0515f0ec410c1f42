"""The parts of dbt's Jinja context our SQL uses, for sqlfluff's jinja templater (`.sqlfluff` names this
folder as `library_path`; every public name here becomes a name in the templates).

sqlfluff's own dbt builtins cover ref, source, config, this and is_incremental. This adds what they
lack: `var` with the real defaults of dbt_project.yml (so a loop over `var('order_statuses')` renders
the statuses), `execute = False` (dbt's parse time: macros that read files or the warehouse take their
parse-time branch), `target` (DuckDB), `builtins` (our `ref` macro wraps `builtins.ref`),
`adapter.dispatch` (finds `duckdb__<name>`, then `default__<name>`, among the loaded macros), and dbt's
cross-database macros rendered as dbt-duckdb renders them. Lint needs no compile, no DuckDB file and
no raw data.
"""

from __future__ import annotations

import datetime as _datetime
import os as _os
from pathlib import Path as _Path
from typing import Any as _Any

import jinja2 as _jinja2
import yaml as _yaml

_PROJECT_YML = _Path(__file__).resolve().parents[2] / "dbt_project.yml"
_VARS: dict[str, _Any] = dict(_yaml.safe_load(_PROJECT_YML.read_text())["vars"])


class _Relation:
    """A relation: renders as its name; any attribute or call (`.include(database=false)`,
    `.identifier`) answers the relation again."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __call__(self, *args: _Any, **kwargs: _Any) -> _Relation:
        return self

    def __getattr__(self, name: str) -> _Any:
        if name.startswith("_") or name in ("unsafe_callable", "alters_data"):
            raise AttributeError(name)  # Jinja's sandbox asks these: a relation is safe to call.
        if name.startswith("is_"):
            return True
        return self

    def __str__(self) -> str:
        return self._name


def var(name: str, default: _Any = None) -> _Any:
    """dbt's var(): the default declared in dbt_project.yml, else the call's default."""
    return _VARS.get(name, default)


def env_var(name: str, default: str = "") -> str:
    return _os.environ.get(name, default)


execute = False
run_started_at = _datetime.datetime(2024, 1, 1, tzinfo=_datetime.UTC)
selected_resources: list[str] = []
graph: dict[str, dict[str, _Any]] = {"nodes": {}, "sources": {}, "exposures": {}, "metrics": {}}


class _Namespace:
    def __init__(self, **values: _Any) -> None:
        self.__dict__.update(values)


target = _Namespace(
    type="duckdb",
    name="dev",
    schema="main",
    database="journey",
    path="journey.duckdb",
    threads=1,
    profile_name="journey_metrics",
)
flags = _Namespace(WHICH="build", FULL_REFRESH=False)
model = _Relation("this_model")


class _Builtins:
    """dbt's `builtins`: the original ref/source that our `ref` macro wraps."""

    @staticmethod
    def ref(*args: _Any, **kwargs: _Any) -> _Relation:
        return _Relation(str(args[-1]))

    @staticmethod
    def source(source_name: str, table_name: str) -> _Relation:
        return _Relation(f"{source_name}_{table_name}")


builtins = _Builtins()


class _Modules:
    """dbt's `modules`: the standard-library modules dbt exposes to Jinja (re, datetime, ...)."""

    import datetime as datetime
    import re as re


modules = _Modules()


def run_query(sql: str) -> None:
    """Nothing is run at lint time (execute is False, so our macros do not call it)."""
    return None


def log(message: str, info: bool = False) -> str:
    return ""


class _CompilerError(Exception):
    pass


class _Exceptions:
    @staticmethod
    def raise_compiler_error(message: str) -> None:
        raise _CompilerError(message)

    @staticmethod
    def warn(message: str) -> str:
        return ""


exceptions = _Exceptions()


class _Adapter:
    @staticmethod
    def quote(identifier: str) -> str:
        return f'"{identifier}"'

    @staticmethod
    def get_relation(database: _Any = None, schema: _Any = None, identifier: _Any = None) -> None:
        return None

    @staticmethod
    @_jinja2.pass_context
    def dispatch(context: _jinja2.runtime.Context, macro_name: str, macro_namespace: str | None = None) -> _Any:
        """dbt's dispatch on DuckDB: `duckdb__<name>`, else `default__<name>`, among the loaded macros."""
        for prefix in ("duckdb__", "default__"):
            found = context.get(prefix + macro_name)
            if found is not None:
                return found
        builtin = getattr(dbt, macro_name, None)
        if builtin is not None:
            return builtin
        raise _CompilerError(f"adapter.dispatch: no duckdb__ or default__ implementation of {macro_name!r}")


adapter = _Adapter()


class _Dbt:
    """dbt's cross-database macros, rendered as dbt-duckdb renders them. Any other `dbt.<name>(...)`
    renders as `<name>(args)`, which parses as a function call."""

    type_string = staticmethod(lambda: "varchar")
    type_int = staticmethod(lambda: "integer")
    type_bigint = staticmethod(lambda: "bigint")
    type_float = staticmethod(lambda: "double")
    type_numeric = staticmethod(lambda: "numeric(28, 6)")
    type_boolean = staticmethod(lambda: "boolean")
    type_timestamp = staticmethod(lambda: "timestamp")
    current_timestamp = staticmethod(lambda: "now()")

    @staticmethod
    def hash(field: str) -> str:
        return f"md5(cast({field} as varchar))"

    @staticmethod
    def concat(fields: list[str]) -> str:
        return " || ".join(str(f) for f in fields)

    @staticmethod
    def dateadd(datepart: str, interval: _Any, from_date_or_timestamp: str) -> str:
        return f"date_add({from_date_or_timestamp}, interval ({interval}) {datepart})"

    @staticmethod
    def datediff(first_date: str, second_date: str, datepart: str) -> str:
        return f"date_diff('{datepart}', {first_date}::timestamp, {second_date}::timestamp)"

    @staticmethod
    def date_trunc(datepart: str, date: str) -> str:
        return f"date_trunc('{datepart}', {date})"

    @staticmethod
    def safe_cast(field: str, type: str) -> str:
        return f"try_cast({field} as {type})"

    @staticmethod
    def cast(field: str, type: str) -> str:
        return f"cast({field} as {type})"

    @staticmethod
    def string_literal(value: str) -> str:
        return f"'{value}'"

    @staticmethod
    def escape_single_quotes(expression: str) -> str:
        return str(expression).replace("'", "''")

    @staticmethod
    def last_day(date: str, datepart: str) -> str:
        return f"last_day({date})"

    @staticmethod
    def any_value(expression: str) -> str:
        return f"any_value({expression})"

    @staticmethod
    def bool_or(expression: str) -> str:
        return f"bool_or({expression})"

    @staticmethod
    def listagg(
        measure: str, delimiter_text: str = "','", order_by_clause: str | None = None, limit_num: int | None = None
    ) -> str:
        order = f" {order_by_clause}" if order_by_clause else ""
        return f"string_agg({measure}, {delimiter_text}{order})"

    def __getattr__(self, name: str) -> _Any:
        if name.startswith("_") or name in ("unsafe_callable", "alters_data"):
            raise AttributeError(name)
        return lambda *args, **kwargs: f"{name}({', '.join(str(a) for a in args)})"


dbt = _Dbt()
