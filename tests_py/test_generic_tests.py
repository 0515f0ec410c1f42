"""The project's own generic tests (macros/tests/), each run on a model where it must pass and on
models where it must fail — in a throwaway dbt project that uses the repository's macros."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap

import pytest

from journey_metrics.paths import REPO_ROOT

from helpers import DBT

MODELS = {
    # name: SQL
    "shape_ok": "select 'a' as label, cast(1 as bigint) as n, 0.5 as share",
    "shape_wrong_type": "select 'a' as label, cast(1 as integer) as n, 0.5 as share",
    "shape_missing_column": "select 'a' as label, cast(1 as bigint) as n",
    "shape_extra_column": "select 'a' as label, cast(1 as bigint) as n, 0.5 as share, true as extra",
    "shape_reordered": "select cast(1 as bigint) as n, 'a' as label, 0.5 as share",
    "range_ok": "select * from (values (0.0), (1.0), (null)) as t(share)",
    "range_outside": "select * from (values (-0.1), (0.5), (1.5)) as t(share)",
    "combination_unique": "select * from (values ('a', 1), ('a', 2), ('b', 1)) as t(k1, k2)",
    "combination_repeated": "select * from (values ('a', 1), ('a', 1), ('b', 1)) as t(k1, k2)",
}
SHAPE_COLUMNS = [
    {"name": "label", "data_type": "varchar"},
    {"name": "n", "data_type": "bigint"},
    {"name": "share", "data_type": "decimal(2,1)"},
]
# model: (test, expected status, expected failing rows)
EXPECTED = {
    "shape_ok": ("matches_declared_columns", "pass", 0),
    "shape_wrong_type": ("matches_declared_columns", "fail", 1),
    "shape_missing_column": ("matches_declared_columns", "fail", 1),
    "shape_extra_column": ("matches_declared_columns", "fail", 1),
    "shape_reordered": ("matches_declared_columns", "fail", 2),
    "range_ok": ("values_between", "pass", 0),
    "range_outside": ("values_between", "fail", 2),
    "combination_unique": ("unique_combination_of_columns", "pass", 0),
    "combination_repeated": ("unique_combination_of_columns", "fail", 1),  # one row per repeated key
}


def model_yaml(name: str) -> dict:
    test = EXPECTED[name][0]
    if test == "matches_declared_columns":
        return {"name": name, "data_tests": [test], "columns": SHAPE_COLUMNS}
    if test == "values_between":
        return {
            "name": name,
            "columns": [{"name": "share", "data_tests": [{test: {"arguments": {"min_value": 0, "max_value": 1}}}]}],
        }
    return {"name": name, "data_tests": [{test: {"arguments": {"combination_of_columns": ["k1", "k2"]}}}]}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    project = tmp_path_factory.mktemp("generic_tests")
    shutil.copytree(REPO_ROOT / "macros", project / "macros")
    (project / "models").mkdir()
    for name, sql in MODELS.items():
        (project / "models" / f"{name}.sql").write_text(sql + "\n")
    (project / "models" / "_models.yml").write_text(
        json.dumps({"version": 2, "models": [model_yaml(name) for name in MODELS]})
    )
    (project / "dbt_project.yml").write_text(
        textwrap.dedent("""
        name: generic_tests
        version: "1.0"
        profile: generic_tests
        models:
          generic_tests:
            +materialized: table
    """)
    )
    (project / "profiles.yml").write_text(
        textwrap.dedent(f"""
        generic_tests:
          target: dev
          outputs:
            dev:
              type: duckdb
              path: "{project / "w.duckdb"}"
              threads: 4
    """)
    )
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    run = subprocess.run(
        [str(DBT), "build", "--project-dir", str(project), "--profiles-dir", str(project)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert "Compilation Error" not in run.stdout, run.stdout[-3000:]
    outcome = {}
    for result in json.loads((project / "target" / "run_results.json").read_text())["results"]:
        if result["unique_id"].startswith("test."):
            model = next(name for name in MODELS if f"_{name}_" in result["unique_id"] + "_")
            outcome[model] = (result["status"], result["failures"])
    return outcome


@pytest.mark.parametrize("model", list(EXPECTED))
def test_generic_test_passes_or_fails_as_it_should(results, model):
    _, status, failures = EXPECTED[model]
    assert results[model] == (status, failures)
