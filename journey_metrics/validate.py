"""Validate the raw rows, staging and marts with Great Expectations: `python -m journey_metrics.validate`.

    python -m journey_metrics.validate [--db PATH] [--suites raw,staging,marts] [--gx-dir PATH] [--no-docs]

Every layer is read from the warehouse (the raw suites count the rows staging rejected, by reason).
The checks are computed in DuckDB SQL and handed to GX (suites, validation results, data docs in
gx/): see journey_metrics.validation for the design. Exits 0 when no error-level expectation
failed (warnings allowed), 1 when one did, 2 when there is no warehouse.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# Closed network: GX must not try to send usage statistics. Set before great_expectations is imported.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx

from journey_metrics.paths import default_duckdb_path
from journey_metrics.validation.report import Failure, Outcome, summary
from journey_metrics.validation.runner import run
from journey_metrics.validation.suites import EXAMPLES, GX_DIR, LAYERS, Check, build_checks

__all__ = ["EXAMPLES", "GX_DIR", "LAYERS", "Check", "Failure", "Outcome", "build_checks", "main", "run", "summary"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m journey_metrics.validate",
        description="Validate the raw rows, staging and marts with Great Expectations (suites in gx/).",
    )
    parser.add_argument(
        "--db",
        type=Path,
        default=Path(os.environ.get("JOURNEY_DUCKDB_PATH") or default_duckdb_path()),
        help="DuckDB warehouse, opened read-only (default: JOURNEY_DUCKDB_PATH)",
    )
    # The raw suites read the warehouse, not the files: accepted so that older callers keep working.
    parser.add_argument("--raw-dir", type=Path, help="ignored: the raw suites read what staging computed")
    parser.add_argument(
        "--suites",
        default=",".join(LAYERS),
        help="comma-separated layers to validate: raw, staging, marts (default: all)",
    )
    parser.add_argument(
        "--gx-dir", type=Path, default=GX_DIR, help="the GX project folder (default: gx/ in the repository)"
    )
    parser.add_argument("--no-docs", action="store_true", help="skip writing the data docs")
    args = parser.parse_args(argv)
    layers = [s.strip() for s in args.suites.split(",") if s.strip()]
    unknown = [s for s in layers if s not in LAYERS]
    if unknown or not layers:
        parser.error(f"--suites: unknown layer(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(LAYERS)}")
    try:
        outcome = run(layers, args.db, args.gx_dir, docs=not args.no_docs)
    except FileNotFoundError as error:
        print(f"validate: {error}", file=sys.stderr)
        return 2
    print(f"Great Expectations {gx.__version__} · warehouse {args.db}")
    print(summary(outcome, layers))
    return 0 if outcome.passed else 1


if __name__ == "__main__":
    sys.exit(main())
