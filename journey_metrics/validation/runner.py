"""One validation run: compute every suite in DuckDB, hand the results to GX, write the data docs."""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

from journey_metrics.validation.raw import read_raw
from journey_metrics.validation.report import Failure, Outcome, _failure, _first_line
from journey_metrics.validation.results import (
    ensure_validation,
    expectations_with_ids,
    hand_over,
    open_project,
    prune_history,
    result_identifier,
)
from journey_metrics.validation.sql import compute
from journey_metrics.validation.suites import (
    EXAMPLES,
    FUTURE_MARGIN,
    GX_DIR,
    KEEP_RUNS,
    LATEST_PARAMETER,
    RUN_NAME,
    build_checks,
)

# DuckDB's share of the run's memory (the whole run stays under 1 GB at 10M events: GX and pandas
# take ~300 MB); above it DuckDB spills its hash tables to a temporary folder instead of growing.
DUCKDB_MEMORY_LIMIT = "300MB"


@contextmanager
def connect(db: Path | None):
    """The warehouse `db` read-only (or, for the raw layer alone, an in-memory database), its
    memory capped and spilling to a temporary folder removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="journey-validate-") as spill:
        config = {
            "memory_limit": DUCKDB_MEMORY_LIMIT,
            "temp_directory": spill,
            "preserve_insertion_order": False,  # no order is relied on: examples are sorted
        }
        con = duckdb.connect(str(db), read_only=True, config=config) if db else duckdb.connect(config=config)
        try:
            con.execute("set TimeZone = 'UTC'")  # timestamps compare in UTC, as staging stores them
            con.execute("set parquet_metadata_cache = true")  # the raw files' footers are read once
            con.execute("set enable_progress_bar = false")  # long scans must not draw on the terminal
            yield con
        finally:
            con.close()


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
    warehouse = any(c.layer != "raw" for c in checks)
    if warehouse and not db.exists():
        raise FileNotFoundError(f"no warehouse at {db}: run `make build` (or dbt build) first, or pass --db")

    context = open_project(gx_dir)
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    parameters = {LATEST_PARAMETER: now + FUTURE_MARGIN}
    run_id = RunIdentifier(run_name=RUN_NAME, run_time=now.replace(tzinfo=dt.UTC))
    evaluated = dict.fromkeys(layers, 0)
    failures: list[Failure] = []
    documented: list = []
    suite_results: dict = {}
    with connect(db if warehouse else None) as con:
        read_raw(checks, raw_dir, con)
        for check in checks:
            if check.sql is None or check.read_error:
                failures.append(Failure(check.layer, check.table, "error", "not validated", "", check.read_error or ""))
                continue
            definition = ensure_validation(context, check)
            try:
                computed = compute(con, check, expectations_with_ids(check, definition), parameters)
            except duckdb.Error as error:
                reading = "could not read the files" if check.layer == "raw" else "query failed"
                failures.append(
                    Failure(check.layer, check.table, "error", "not validated", "", f"{reading}: {_first_line(error)}")
                )
                continue
            results = definition.run(
                batch_parameters={"dataframe": computed.evidence},
                expectation_parameters=parameters,
                result_format={
                    "result_format": "SUMMARY",
                    "partial_unexpected_count": EXAMPLES,
                    "unexpected_index_column_names": [c for c in check.row_id if c in computed.evidence.columns],
                },
                run_id=run_id,
            )
            if check.layer != "raw":
                source = f"the warehouse {db}"
            else:
                source = (
                    f"the files under {raw_dir}"
                    if check.table == "files"
                    else f"the files under {raw_dir / check.table}"
                )
            disagreements = hand_over(context, check, results, computed, run_id, source)
            suite_results[check.suite_name] = results
            evaluated[check.layer] += len(results.results)
            failures += [
                _failure(check, r, disagreements.get(r.expectation_config.id)) for r in results.results if not r.success
            ]
            documented += [result_identifier(check, results, run_id), ExpectationSuiteIdentifier(name=check.suite_name)]
    prune_history(Path(gx_dir), KEEP_RUNS)
    index = None
    if docs and documented:
        sites = context.build_data_docs(resource_identifiers=documented)
        index = Path(gx_dir) / "uncommitted" / "data_docs" / "local_site" / "index.html"
        url = sites.get("local_site", "")
        if url.startswith("file://"):
            index = Path(url.removeprefix("file://"))
    return Outcome(checks, evaluated, failures, index, time.perf_counter() - started, suite_results)
