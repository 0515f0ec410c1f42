"""DuckDB's resources in profiles.yml: a build that spills past JOURNEY_DUCKDB_MEMORY_LIMIT must go on.

dbt-duckdb runs a profile's `settings` as SET statements on every cursor it opens (one a node), and
DuckDB refuses to set temp_directory again once a query has spilled into it. With temp_directory
under `settings`, every node after the first spill failed ("Cannot switch temporary directory after
the current one has been used"): a 10M-event build with a 3 GB limit failed this way. The resources
are set once, when the file is opened (`config_options`); this builds two models with the project's
own profiles.yml and a limit the first one must spill past.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import textwrap

import duckdb
import yaml

from journey_metrics.paths import REPO_ROOT

from helpers import DBT

# sorting 3M rows of 32-character strings needs well over this (and it fits in it, spilling)
SPILLING_LIMIT = "64MB"


def test_resources_are_set_once_per_database_not_per_cursor():
    dev = yaml.safe_load((REPO_ROOT / "profiles.yml").read_text())["journey_metrics"]["outputs"]["dev"]
    assert {"threads", "memory_limit", "temp_directory"} <= set(dev["config_options"])
    assert not {"threads", "memory_limit", "temp_directory"} & set(dev.get("settings", {}))


def test_a_build_goes_on_after_a_model_spills_to_disk(tmp_path):
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "profiles.yml", project / "profiles.yml")
    (project / "dbt_project.yml").write_text(
        textwrap.dedent("""
        name: spill
        version: "1.0"
        profile: journey_metrics
        models:
          spill:
            +materialized: table
        """)
    )
    (project / "models" / "sorted_rows.sql").write_text(
        "select range as n, md5(cast(range as varchar)) as h from range(3000000) order by h\n"
    )
    temp_dir = tmp_path / "spill"
    # a new cursor after the spill; DuckDB removes its temporary folder when the file is closed, so
    # whether the first model spilled is seen from inside the run
    (project / "models" / "after_the_spill.py").write_text(
        textwrap.dedent(f"""
        import os
        import pandas as pd

        def model(dbt, session):
            rows = dbt.ref("sorted_rows").df()
            return pd.DataFrame({{"rows": [len(rows)], "spilled": [os.path.isdir({str(temp_dir)!r})]}})
        """)
    )
    env = {
        **os.environ,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "JOURNEY_DUCKDB_PATH": str(tmp_path / "w.duckdb"),
        "JOURNEY_DUCKDB_MEMORY_LIMIT": SPILLING_LIMIT,
        "JOURNEY_DUCKDB_THREADS": "2",
        "JOURNEY_DUCKDB_TEMP_DIR": str(temp_dir),
    }
    run = subprocess.run(
        [str(DBT), "run", "--threads", "1", "--project-dir", str(project), "--profiles-dir", str(project)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-3000:]
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        rows, spilled = con.execute("select rows, spilled from after_the_spill").fetchone()
    assert rows == 3_000_000
    assert spilled, "the first model did not spill: raise its rows or lower SPILLING_LIMIT"
