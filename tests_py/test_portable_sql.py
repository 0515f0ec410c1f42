"""Models and singular tests say where they are DuckDB-only: every DuckDB-only construct lives in a
dispatched macro (macros/portable/, `adapter.dispatch(name, 'journey_metrics')` with a `duckdb__` and a
`spark__` or `default__` version) or is one of dbt's cross-database macros, never in a model's own text.
The raw-file layer (models/staging/base/raw_*.sql, macros/raw_files) is the one DuckDB-specific room.
See docs/spark.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Each construct: why Spark (or ANSI SQL) rejects it, and the macro to use instead.
DUCKDB_ONLY: dict[str, tuple[str, str]] = {
    "epoch()": (r"\bepoch\s*\(", "seconds_between / days_between"),
    "to_days/to_hours/to_minutes": (r"\bto_(?:days|hours|minutes|seconds|weeks|months|years)\s*\(", "add_interval"),
    "arg_max/arg_min": (r"\barg_(?:max|min)\s*\(", "arg_max / arg_min macros"),
    "quantile_cont/quantile": (r"\bquantile(?:_cont|_disc)?\s*\(", "percentile_cont"),
    "unnest": (r"\bunnest\s*\(", "value_rows / integer_series"),
    "list_* functions": (r"\blist_[a-z_]+\s*\(", "list_contains / dbt.array_append"),
    "list literal [..]": (r"\[", "value_rows / dbt.array_construct"),
    "struct_pack": (r"\bstruct_pack\s*\(", "json_object"),
    "struct literal {'k': v}": (r"\{\s*'", "json_object"),
    "columns(*)": (r"\bcolumns\s*\(", "explicit columns"),
    "* exclude / * replace": (r"\*\s*(?:exclude|replace)\b", "explicit columns"),
    "union all by name": (r"\bunion\s+(?:all\s+)?by\s+name\b", "explicit columns"),
    "asof join": (r"\basof\b", "a macro with a spark__ version"),
    "range() / generate_series": (r"\b(?:range|generate_series)\s*\(", "integer_series / time_series"),
    "string_agg": (r"\bstring_agg\s*\(", "ordered_string_agg / dbt.listagg"),
    "date_diff('unit', ...)": (r"\bdate_?diff\s*\(\s*'", "months_between / dbt.datediff"),
    "varchar without length": (r"\bvarchar\b(?!\s*\()", "dbt.type_string()"),
    "timestamptz / timezone()": (r"\btimestamptz\b|\btimezone\s*\(", "to_utc_timestamp"),
    ":: cast": (r"::", "cast(x as type)"),
    "hugeint": (r"\bhugeint\b", "bigint / decimal"),
}


def sql_text(source: str) -> str:
    """The SQL a file writes itself: without comments, and without Jinja (macro calls, whose
    arguments are Jinja values such as {'amount': ...}, and blocks)."""
    text = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}", " x ", text, flags=re.S)
    text = re.sub(r"\{%.*?%\}", " ", text, flags=re.S)
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"--[^\n]*", " ", text)
    # string literals: their contents are data, not SQL
    return re.sub(r"'(?:[^']|'')*'", "''", text)


def duckdb_only_constructs(source: str) -> list[str]:
    text = sql_text(source).lower()
    return [name for name, (pattern, _) in DUCKDB_ONLY.items() if re.search(pattern, text)]


def checked_files() -> list[Path]:
    files = sorted((ROOT / "models").rglob("*.sql")) + sorted((ROOT / "tests").rglob("*.sql"))
    # the raw-file layer reads files with DuckDB's readers (spark__ versions in its macros)
    return [f for f in files if not (f.parent.name == "base" and f.name.startswith("raw_"))]


@pytest.mark.parametrize("path", checked_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_models_use_no_duckdb_only_sql(path: Path) -> None:
    found = duckdb_only_constructs(path.read_text())
    hints = [f"{name} (use {DUCKDB_ONLY[name][1]})" for name in found]
    assert not found, f"{path.relative_to(ROOT)} writes DuckDB-only SQL outside a macro: " + "; ".join(hints)


@pytest.mark.parametrize(
    ("snippet", "construct"),
    [
        ("select (epoch(b) - epoch(a)) / 86400.0 as days from t", "epoch()"),
        ("select a + to_days(cast(7 as integer)) from t", "to_days/to_hours/to_minutes"),
        ("select arg_max(stage, stage_order) from t", "arg_max/arg_min"),
        ("select quantile_cont(x, 0.5) from t", "quantile_cont/quantile"),
        ("select unnest([1, 2]) as k", "unnest"),
        ("select list_contains(path, id) from t", "list_* functions"),
        ("select [a, b] as path from t", "list literal [..]"),
        ("select struct_pack(a, b) from t", "struct_pack"),
        ("select to_json({'a': 1}) from t", "struct literal {'k': v}"),
        ("select columns(*) from t", "columns(*)"),
        ("select * exclude (a) from t", "* exclude / * replace"),
        ("select a from t union all by name select a from u", "union all by name"),
        ("select * from a asof left join b on a.k = b.k and b.t <= a.t", "asof join"),
        ("select range from range(1, 5)", "range() / generate_series"),
        ("select string_agg(a, ',' order by a) from t", "string_agg"),
        ("select date_diff('month', a, b) from t", "date_diff('unit', ...)"),
        ("select cast(a as varchar) from t", "varchar without length"),
        ("select try_cast(a as timestamptz) from t", "timestamptz / timezone()"),
        ("select a::date from t", ":: cast"),
        ("select cast(a as hugeint) from t", "hugeint"),
    ],
)
def test_each_construct_is_found(snippet: str, construct: str) -> None:
    assert construct in duckdb_only_constructs(snippet)


def test_macro_calls_comments_and_strings_are_not_sql() -> None:
    source = """
        -- epoch() and arg_max in a comment; {# [1, 2] in a Jinja comment #}
        /* unnest([1]) */
        {% set outputs = [{'amount': 'revenue'}] %}
        select
            {{ arg_max('stage', 'stage_order') }} as furthest_stage,
            'range(1, 2) [x]' as label,
            cast(a as varchar(10)) as b
        from {{ ref('t') }}
    """
    assert duckdb_only_constructs(source) == []
