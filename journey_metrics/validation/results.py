"""The GX project (gx/, file mode) and the hand-over of the SQL results to it.

Each suite's validation definition validates, with GX, the evidence frame of its suite (the example
rows SQL found: see journey_metrics.validation.sql). GX's result per expectation then gets the
whole relation's numbers in place of the frame's: element, unexpected and missing counts and their
percentages, and the examples; the corrected suite result is stored again under the same key, so
the data docs show what SQL counted, under each expectation's own name and description.
"""

from __future__ import annotations

import contextlib
import shutil
from collections import Counter
from pathlib import Path

import great_expectations as gx
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)
from great_expectations.exceptions import DataContextError

from journey_metrics.validation.sql import Computed, Measure
from journey_metrics.validation.suites import (
    BATCH_DEFINITION,
    DATA_SOURCE,
    EXAMPLES,
    RUN_NAME,
    Check,
)


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


def retire_suites(context, defined: set[str]) -> None:
    """Delete the data assets, suites and validation definitions of suites the code no longer
    defines (`defined`: every layer's suite names), so gx/ holds only what runs."""
    try:
        source = context.data_sources.get(DATA_SOURCE)
    except KeyError:
        return
    for name in sorted(asset.name for asset in source.assets if asset.name not in defined):
        for store in (context.validation_definitions, context.suites):
            with contextlib.suppress(DataContextError):  # already gone
                store.delete(name)
        source.delete_asset(name)


def expectations_with_ids(check: Check, definition) -> list[tuple[object, str]]:
    """The check's expectations as the code builds them (bounds typed: datetimes, numbers), each
    with the id of the same expectation in the stored suite, which GX's results carry."""
    built = check.expectations()
    stored = definition.suite.expectations
    if [e.expectation_type for e in built] != [e.expectation_type for e in stored]:
        raise RuntimeError(f"suite {check.suite_name}: the stored suite differs from the code's")
    return [(mine, theirs.id) for mine, theirs in zip(built, stored, strict=True)]


def _raised(result) -> bool:
    info = result.exception_info or {}
    if "raised_exception" in info:
        return bool(info["raised_exception"])
    return any(isinstance(v, dict) and v.get("raised_exception") for v in info.values())


def _percent(part: int, whole: int | None) -> float | None:
    return part / whole * 100 if whole else None


def whole_relation_result(frame_result: dict, measure: Measure, index_columns: list[str]) -> dict:
    """GX's result on the evidence frame with the whole relation's counts and examples in its place,
    computed as GX computes them from its metrics (great_expectations' _format_map_output); keys GX
    did not report stay absent, so the result keeps the shape GX gives this expectation."""
    result = dict(frame_result)
    n, unexpected, considered = measure.element_count, measure.unexpected_count, measure.considered_count
    result["element_count"] = n
    result["unexpected_count"] = unexpected
    if "missing_count" in result and considered is not None:
        result["missing_count"] = n - considered
        result["missing_percent"] = _percent(n - considered, n)
        result["unexpected_percent_total"] = _percent(unexpected, n)
        result["unexpected_percent_nonmissing"] = _percent(unexpected, considered) if n else None
        result["unexpected_percent"] = result["unexpected_percent_nonmissing"]
    else:
        result["unexpected_percent"] = _percent(unexpected, n)
    columns = list(measure.rule.columns)
    if measure.rule.type == "expect_compound_columns_to_be_unique":
        values = [{c: row[c] for c in columns} for row in measure.examples]
    elif len(columns) == 2:  # a column pair
        values = [(row[columns[0]], row[columns[1]]) for row in measure.examples]
    else:
        values = [row[columns[0]] for row in measure.examples]
    if "partial_unexpected_list" in result:
        result["partial_unexpected_list"] = values
    if "partial_unexpected_counts" in result:
        hashable = [tuple(v.values()) if isinstance(v, dict) else v for v in values]
        try:
            result["partial_unexpected_counts"] = [
                {"value": value, "count": count}
                for value, count in sorted(Counter(hashable).most_common(EXAMPLES), key=lambda x: (-x[1], x[0]))
            ]
        except TypeError:  # GX leaves the counts out when the values do not sort (None among them)
            del result["partial_unexpected_counts"]
    if "partial_unexpected_index_list" in result:
        shown = list(dict.fromkeys(columns + index_columns))
        result["partial_unexpected_index_list"] = [{c: row[c] for c in shown} for row in measure.examples]
    return result


def hand_over(context, check: Check, results, computed: Computed, run_id, source: str) -> dict[str, str]:
    """Put the SQL counts into GX's suite result `results` (validated on the evidence frame) and
    store it again; returns {expectation id: why} where GX's verdict on the evidence contradicts
    the SQL count (a translation of the expectation to SQL that differs from GX's): those fail."""
    index_columns = [c for c in check.row_id if c in computed.evidence.columns]
    disagreements: dict[str, str] = {}
    for result in results.results:
        measure = computed.measures.get(result.expectation_config.id)
        if measure is None or _raised(result):
            continue  # GX's own result stands: a column's presence, a missing column, an error
        fails = measure.unexpected_count > 0
        if result.success == fails:
            disagreements[result.expectation_config.id] = (
                f"SQL counts {measure.unexpected_count:,} unexpected rows but GX finds "
                f"{(result.result or {}).get('unexpected_count')} among the {len(computed.evidence)} example rows "
                "it was given: the SQL of this expectation differs from GX's"
            )
        result.result = whole_relation_result(result.result or {}, measure, index_columns)
        result.success = not fails and result.expectation_config.id not in disagreements
    successful = sum(r.success for r in results.results)
    total = len(results.results)
    results.success = successful == total
    results.statistics.update(
        {
            "evaluated_expectations": total,
            "successful_expectations": successful,
            "unsuccessful_expectations": total - successful,
            "success_percent": _percent(successful, total),
        }
    )
    results.meta["batch_parameters"] = {
        "dataframe": f"the {len(computed.evidence):,} example rows SQL found failing (evidence for GX)",
        "counts": f"computed in DuckDB SQL over {source} ({computed.element_count:,} rows)",
    }
    suite = ExpectationSuiteIdentifier(name=check.suite_name)
    context.validation_results_store.store_validation_results(
        suite_validation_result=results,
        suite_validation_result_identifier=result_identifier(check, results, run_id),
        expectation_suite_identifier=suite,
    )
    return disagreements


def result_identifier(check: Check, results, run_id) -> ValidationResultIdentifier:
    return ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=check.suite_name),
        run_id=run_id,
        batch_identifier=results.batch_id,
    )


def prune_history(gx_dir: Path, keep: int) -> None:
    """Per suite, delete the stored validation results and data-docs pages of all but its `keep`
    latest runs (GX keeps every run: the index page and the folder would grow without end)."""
    uncommitted = gx_dir / "uncommitted"
    for root in (uncommitted / "validations", uncommitted / "data_docs" / "local_site" / "validations"):
        for suite_runs in root.glob(f"**/{RUN_NAME}") if root.is_dir() else []:
            runs = sorted((run for run in suite_runs.iterdir() if run.is_dir()), key=lambda run: run.name)
            for run in runs[:-keep]:
                shutil.rmtree(run, ignore_errors=True)
