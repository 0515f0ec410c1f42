"""Running the project's dbt from Python (tests, benchmarks): one place for the environment it needs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from journey_metrics.paths import REPO_ROOT

# The dbt executable of the running virtual environment.
DBT = Path(sys.executable).with_name("dbt")


def run_dbt(
    args: list[str], raw_dir: Path, db_path: Path, work_dir: Path, vars: dict | None = None
) -> subprocess.CompletedProcess:
    """`dbt <args>` from the repository root on `raw_dir`, writing `db_path`, with its target/ and logs
    in `work_dir` (dbt_target/, dbt_logs/); output captured, never raises."""
    env = {
        **os.environ,
        "JOURNEY_RAW_DIR": str(raw_dir),
        "JOURNEY_DUCKDB_PATH": str(db_path),
        "DBT_TARGET_PATH": str(work_dir / "dbt_target"),
        "DBT_LOG_PATH": str(work_dir / "dbt_logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    command = [str(DBT), *args, "--vars", yaml.safe_dump(vars or {})]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
