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

from journey_metrics.validation.report import Failure, Outcome, _failure, _first_line
from journey_metrics.validation.results import (
    ensure_validation,
    expectations_with_ids,
    hand_over,
    open_project,
    prune_history,
    result_identifier,
    retire_suites,
)
from journey_metrics.validation.sql import compute
from journey_metrics.validation.suites import (
    EXAMPLES,
    FUTURE_MARGIN,
    GX_DIR,
    KEEP_RUNS,
    LATEST_PARAMETER,
    LAYERS,
    RUN_NAME,
    build_checks,
)

# DuckDB's share of the run's memory (the whole run stays under 1 GB at 10M events: GX and pandas
# take ~300 MB); above it DuckDB spills its hash tables to a temporary folder instead of growing.
DUCKDB_MEMORY_LIMIT = "300MB"


@contextmanager
def connect(db: Path):
    """The warehouse `db` read-only, its memory capped and spilling to a temporary folder removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="journey-validate-") as spill:
        config = {
            "memory_limit": DUCKDB_MEMORY_LIMIT,
            "temp_directory": spill,
            "preserve_insertion_order": False,  # no order is relied on: examples are sorted
        }
        con = duckdb.connect(str(db), read_only=True, config=config)
        try:
            con.execute("set TimeZone = 'UTC'")  # timestamps compare in UTC, as staging stores them
            con.execute("set enable_progress_bar = false")  # long scans must not draw on the terminal
            yield con
        finally:
            con.close()


def run(
    layers: list[str],
    db: Path,
    gx_dir: Path = GX_DIR,
    now: dt.datetime | None = None,
    docs: bool = True,
) -> Outcome:
    """Validate `layers` against the warehouse `db` (every layer: the raw suites read what staging
    computed from the raw files, the base_ models' verdicts in rejected_rows)."""
    started = time.perf_counter()
    checks = build_checks(layers)
    if not db.exists():
        raise FileNotFoundError(f"no warehouse at {db}: run `make build` (or dbt build) first, or pass --db")

    context = open_project(gx_dir)
    retire_suites(context, {c.suite_name for c in build_checks(list(LAYERS))})
    now = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    parameters = {LATEST_PARAMETER: now + FUTURE_MARGIN}
    run_id = RunIdentifier(run_name=RUN_NAME, run_time=now.replace(tzinfo=dt.UTC))
    evaluated = dict.fromkeys(layers, 0)
    failures: list[Failure] = []
    documented: list = []
    suite_results: dict = {}
    with connect(db) as con:
        for check in checks:
            definition = ensure_validation(context, check)
            try:
                computed = compute(con, check, expectations_with_ids(check, definition), parameters)
            except duckdb.Error as error:
                detail = f"query failed: {_first_line(error)}"
                failures.append(Failure(check.layer, check.table, "error", "not validated", "", detail))
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
            disagreements = hand_over(context, check, results, computed, run_id, f"the warehouse {db}")
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
