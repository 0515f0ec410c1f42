"""The raw layer's relations: the files of each raw table, read by DuckDB in SQL the way dbt's
read_raw() reads them (macros/raw_files.sql: the same CSV dialect, Parquet files read per group of
one schema, every contract column as text), and the per-file problems of the raw.files suite."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from journey_metrics.contract import raw_contract
from journey_metrics.validation.suites import CASTS, CSV_OPTIONS, Check, _quote, _raw_type

# The raw.files frame (one row per raw file) as DuckDB sees it.
FILES_VIEW = "validation_raw_files"


@dataclass
class RawTable:
    """The readable files of one raw table: the CSV files, read together, and the Parquet files in
    groups of one schema, each with the columns (lower case) it has."""

    csv_files: list[Path] = field(default_factory=list)
    csv_columns: set[str] = field(default_factory=set)
    parquet_groups: list[tuple[list[Path], set[str]]] = field(default_factory=list)
    # Per Parquet group, its columns' DuckDB types (upper case, by lower-cased name).
    parquet_types: list[dict[str, str]] = field(default_factory=list)

    @property
    def columns(self) -> set[str]:
        return self.csv_columns.union(*(columns for _, columns in self.parquet_groups))

    @property
    def readable(self) -> bool:
        return bool(self.csv_files or self.parquet_groups)


def _raw_files(raw_dir: Path, table: str) -> list[Path]:
    folder = raw_dir / table
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".csv", ".parquet") and p.is_file())


def _csv_columns(path: Path) -> set[str]:
    """The lower-cased column names of a CSV file's header row."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        header = next(csv.reader(handle), None)
    if header is None:
        raise ValueError("is empty: a CSV needs at least its header row")
    return {name.strip().lower() for name in header}


# Per Parquet file: its schema's signature (every column's name and physical and logical type, as
# dbt's raw_files() groups them) and its column names.
_PARQUET_SCHEMAS = """
    select
        file_name,
        string_agg(
            lower(name) || ':' || coalesce(type, '') || ':' || coalesce(converted_type, '')
                || ':' || coalesce(cast(logical_type as varchar), ''),
            ',' order by lower(name), type, converted_type, cast(logical_type as varchar)
        ) as signature,
        list(lower(name)) as columns
    from parquet_schema({files})
    group by file_name
"""


def _parquet_schemas(con: duckdb.DuckDBPyConnection, files: list[Path]) -> dict[str, tuple[str, set[str]] | str]:
    """{file: (signature, columns)} for each readable Parquet file, {file: error} for the others.
    All files are read in one query; only when that fails is each file read alone, to name it."""

    def query(paths: list[Path]) -> dict[str, tuple[str, set[str]] | str]:
        listed = "[" + ", ".join(_quote(p) for p in paths) + "]"
        rows = con.execute(_PARQUET_SCHEMAS.format(files=listed)).fetchall()
        return {str(Path(name)): (signature, set(columns)) for name, signature, columns in rows}

    try:
        return query(files)
    except duckdb.Error:
        found: dict[str, tuple[str, set[str]] | str] = {}
        for path in files:
            try:
                found.update(query([path]))
            except duckdb.Error as error:
                found[str(path)] = _first_line(error)
        return found


def read_raw(checks: list[Check], raw_dir: Path, con: duckdb.DuckDBPyConnection) -> None:
    """Give each raw check its relation (a query over its readable files) or its read error, and the
    raw.files check its frame of per-file problems (registered in `con` as FILES_VIEW)."""
    by_table = {c.table: c for c in checks if c.layer == "raw"}
    if not by_table:
        return
    problems: list[dict] = []
    for table, spec in raw_contract().items():
        check = by_table.get(table)
        if check is None:
            continue
        files = _raw_files(raw_dir, table)
        if not files:
            problems.append({"table": table, "file": f"{table}/", "problem": "no .csv or .parquet file"})
            check.read_error = f"no .csv or .parquet file under {raw_dir / table}"
            continue
        found = RawTable()
        groups: dict[str, tuple[list[Path], set[str]]] = {}
        parquet = [p for p in files if p.suffix.lower() == ".parquet"]
        schemas = _parquet_schemas(con, parquet) if parquet else {}
        for path in files:
            relative = str(path.relative_to(raw_dir))
            if path.suffix.lower() == ".parquet":
                schema = schemas.get(str(path), "unreadable")
                if isinstance(schema, str):
                    problems.append({"table": table, "file": relative, "problem": f"unreadable: {schema}"})
                    continue
                signature, columns = schema
                groups.setdefault(signature, ([], columns))[0].append(path)
            else:
                try:
                    columns = _csv_columns(path)
                except UnicodeDecodeError:
                    problems.append({"table": table, "file": relative, "problem": "is not UTF-8 encoded"})
                    continue
                except ValueError as error:
                    problems.append({"table": table, "file": relative, "problem": str(error)})
                    continue
                found.csv_files.append(path)
                found.csv_columns |= columns
            missing = [c for c in spec["columns"] if c not in columns]
            problems.append(
                {
                    "table": table,
                    "file": relative,
                    "problem": f"missing column(s) {', '.join(missing)}" if missing else None,
                }
            )
        found.parquet_groups = list(groups.values())
        if not found.readable:
            check.read_error = "no readable file"
            continue
        try:
            for paths, _ in found.parquet_groups:
                described = con.execute(f"describe select * from {_parquet_reader(paths)}").fetchall()
                found.parquet_types.append({row[0].lower(): str(row[1]).upper() for row in described})
        except duckdb.Error as error:
            check.read_error = f"could not read the files: {_first_line(error)}"
            continue
        present = found.columns
        check.sql = raw_sql(raw_dir, spec, found)
        check.row_id = [c for c in spec["primary_key"] if c in present] + ["source_file"]
    if "files" in by_table:
        frame = pd.DataFrame(problems, columns=["table", "file", "problem"]).astype({"problem": "object"})
        con.register(FILES_VIEW, frame)
        by_table["files"].frame = frame
        by_table["files"].sql = (
            f'select cast("table" as varchar) as "table", cast(file as varchar) as file, '
            f"cast(problem as varchar) as problem from {FILES_VIEW}"
        )


def _parquet_reader(paths: list[Path]) -> str:
    listed = "[" + ", ".join(_quote(p) for p in paths) + "]"
    return f"read_parquet({listed}, union_by_name = true, filename = true, hive_partitioning = false)"


# A Parquet column already holding timestamps (or dates) within these bounds prints as text that
# casts back: its text need not be formatted and parsed again, row by row, to know it casts.
# Values outside them (infinity, far years) take the text path like any other.
NATIVE_CASTS = {
    "timestamp": {
        "TIMESTAMP": "cast({0} as timestamp) between timestamp '0001-01-01' and timestamp '9999-12-31'",
        "TIMESTAMP_NS": "cast({0} as timestamp) between timestamp '0001-01-01' and timestamp '9999-12-31'",
        "TIMESTAMP_MS": "cast({0} as timestamp) between timestamp '0001-01-01' and timestamp '9999-12-31'",
        "TIMESTAMP_S": "cast({0} as timestamp) between timestamp '0001-01-01' and timestamp '9999-12-31'",
        "TIMESTAMP WITH TIME ZONE": (
            "{0} between timestamptz '0001-01-02 00:00:00+00' and timestamptz '9999-12-30 00:00:00+00'"
        ),
    },
    "date": {"DATE": "{0} between date '0001-01-01' and date '9999-12-31'"},
}


def raw_sql(raw_dir: Path, spec: dict, found: RawTable) -> str:
    """One raw table's rows: the contract columns its files have, as trimmed text (a blank is
    missing, as in staging), `<column>__unparseable` holding the text that does not cast the way
    staging casts it, and `source_file` (relative to `raw_dir`). Each reader (the CSV files, each
    Parquet group) is one branch of a `union all by name`: a column a branch lacks is null there."""

    def branch(reader: str, types: dict[str, str]) -> str:
        selected = []
        for c in spec["columns"]:
            if c not in types:
                continue
            source = f'"{c}"'
            text = f"nullif(trim(cast({source} as varchar)), '')"
            selected.append(f'{text} as "{c}"')
            kind = _raw_type(c)
            if kind:
                unparseable = f"case when {text} is not null and {CASTS[kind].format(text)} is null then {text} end"
                native = NATIVE_CASTS.get(kind, {}).get(types[c])
                if native:
                    unparseable = (
                        f"case when {source} is null or {native.format(source)} then null else {unparseable} end"
                    )
                selected.append(f'{unparseable} as "{c}__unparseable"')
        return f"select {', '.join([*selected, 'filename'])} from {reader}"

    branches = []
    if found.csv_files:
        listed = "[" + ", ".join(_quote(p) for p in found.csv_files) + "]"
        branches.append(branch(f"read_csv({listed}, {CSV_OPTIONS})", dict.fromkeys(found.csv_columns, "VARCHAR")))
    for (paths, _), types in zip(found.parquet_groups, found.parquet_types, strict=True):
        branches.append(branch(_parquet_reader(paths), types))
    present = [c for c in spec["columns"] if c in found.columns]
    selected = [f'"{c}"' for c in present]
    selected += [f'"{c}__unparseable"' for c in present if _raw_type(c)]
    selected.append(f"substr(filename, {len(str(raw_dir)) + 2}) as source_file")
    union = "\n    union all by name\n    ".join(branches)
    return f"with raw_rows as (\n    {union}\n)\nselect {', '.join(selected)} from raw_rows"


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
