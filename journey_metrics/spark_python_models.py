"""Run the dbt Python models (python_models/) on Spark outside Databricks.

dbt-spark runs Python models only on Databricks. The models themselves are three lines that read
their refs, call a function of journey_metrics and return a pandas frame, so this runner gives them
what dbt would: `dbt.ref(name).df()` reads the Spark table (`toPandas`), `dbt.config.get(key)` the
model's rendered config from dbt's manifest (`dbt parse --target spark`), and the returned frame is
written back as a Spark table under the model's name, which the downstream SQL models read.

    python -m journey_metrics.spark_python_models --manifest target/manifest.json

Models run in dependency order (clv_model_params before clv_predictions). The Spark session is
built from the `spark` target's settings in profiles.yml, so it finds the same metastore (docs/spark.md).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from journey_metrics.paths import REPO_ROOT


class _Ref:
    def __init__(self, frame: Callable[[], pd.DataFrame]) -> None:
        self._frame = frame

    def df(self) -> pd.DataFrame:
        return self._frame()


class _Config:
    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __call__(self, **kwargs: Any) -> None:
        """dbt.config(materialized=...) inside the model: nothing to do here."""

    def get(self, key: str, default: Any = None) -> Any:
        return self._values.get(key, default)


class _Dbt:
    """The part of dbt's Python-model context our models use."""

    def __init__(self, config: dict[str, Any], read: Callable[[str], pd.DataFrame]) -> None:
        self.config = _Config(config)
        self._read = read

    def ref(self, name: str) -> _Ref:
        return _Ref(lambda: self._read(name))


def python_nodes(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The manifest's Python models, each after the Python models it reads."""
    nodes = {
        unique_id: node
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "model" and node.get("language") == "python"
    }
    ordered: list[str] = []

    def visit(unique_id: str) -> None:
        if unique_id in ordered:
            return
        for parent in nodes[unique_id]["depends_on"]["nodes"]:
            if parent in nodes:
                visit(parent)
        ordered.append(unique_id)

    for unique_id in sorted(nodes):
        visit(unique_id)
    return [nodes[unique_id] for unique_id in ordered]


def to_spark_frame(spark: Any, frame: pd.DataFrame) -> Any:
    """A pandas frame as a Spark frame with the schema Arrow gives its dtypes (so an empty frame keeps
    its columns and types), without pandas' index."""
    import pyarrow as pa
    from pyspark.sql.pandas.types import from_arrow_schema

    table = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    # pandas 3 writes strings as large_string, which Spark reads as string
    fields = [
        pa.field(f.name, pa.string()) if pa.types.is_large_string(f.type) or pa.types.is_null(f.type) else f
        for f in table.schema
    ]
    table = table.cast(pa.schema(fields))
    schema = from_arrow_schema(table.schema)
    rows = [tuple(row.values()) for row in table.to_pylist()]
    return spark.createDataFrame(rows, schema=schema)


def run(spark: Any, manifest: dict[str, Any], schema: str) -> dict[str, float]:
    """Builds every Python model of the manifest as a table of `schema`; returns seconds per model."""
    seconds: dict[str, float] = {}
    for node in python_nodes(manifest):
        started = time.perf_counter()
        namespace: dict[str, Any] = {"__name__": f"python_models.{node['name']}"}
        exec(compile(node["raw_code"], node["original_file_path"], "exec"), namespace)

        def read(name: str) -> pd.DataFrame:
            return spark.table(f"{schema}.{name}").toPandas()

        frame = namespace["model"](_Dbt(node["config"], read), spark)
        to_spark_frame(spark, frame).write.mode("overwrite").format("parquet").saveAsTable(f"{schema}.{node['name']}")
        seconds[node["name"]] = time.perf_counter() - started
    return seconds


def spark_session(profile: dict[str, Any]) -> Any:
    """A Spark session with the settings of a dbt-spark `session` profile output."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for key, value in profile.get("server_side_parameters", {}).items():
        builder = builder.config(str(key), str(value))
    return builder.config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate()


def spark_profile() -> dict[str, Any]:
    """The `spark` output of profiles.yml, rendered as dbt renders it (env_var with defaults)."""
    import os

    import jinja2
    import yaml

    template = jinja2.Environment().from_string((REPO_ROOT / "profiles.yml").read_text())
    rendered = template.render(env_var=lambda name, default="": os.environ.get(name, default))
    return yaml.safe_load(rendered)["journey_metrics"]["outputs"]["spark"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--manifest", type=Path, default=REPO_ROOT / "target" / "manifest.json")
    args = parser.parse_args(argv)
    profile = spark_profile()
    spark = spark_session(profile)
    try:
        seconds = run(spark, json.loads(args.manifest.read_text()), profile["schema"])
    finally:
        spark.stop()
    for name, took in seconds.items():
        print(f"{name:28} {took:6.1f} s")


if __name__ == "__main__":
    main()
