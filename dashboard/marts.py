"""Read-only access to the published marts and their dbt docs, for the dashboard pages.

Every query resolves JOURNEY_DUCKDB_PATH again: the variable names a symbolic link to the published
release (journey_metrics.publish), so a `make build` switches the link and the next query reads the
new release, while a query in flight keeps the file it opened. Results are cached by the resolved
release path (and its modification time, for a plain `dbt build` that writes the file in place), so a
new release is never answered from the old one's cache. Each query opens its own read-only
connection: a reader never takes the writer's lock.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
# How long a cached answer of one release may be served (a new release is a new cache key anyway).
CACHE_SECONDS = 600


class MartUnavailable(Exception):
    """A mart that cannot be shown: no warehouse, a mart not built, or the file locked by a writer."""


def warehouse_link() -> Path:
    """JOURNEY_DUCKDB_PATH as set (default: the Makefile's), not resolved."""
    return Path(os.environ.get("JOURNEY_DUCKDB_PATH") or REPO_ROOT / "warehouse" / "journey.duckdb")


def release_path() -> Path:
    """The release JOURNEY_DUCKDB_PATH points at now (the file itself when it is not a link)."""
    return warehouse_link().resolve()


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False, max_entries=256)
def _query(release: str, modified: float, sql: str, params: tuple) -> pd.DataFrame:
    with duckdb.connect(release, read_only=True) as con:
        return con.execute(sql, list(params)).df()


def query(sql: str, params: tuple = ()) -> pd.DataFrame:
    """Run `sql` on the published release, read-only; MartUnavailable with a readable reason."""
    release = release_path()
    if not release.is_file():
        raise MartUnavailable(
            f"No warehouse at {warehouse_link()}: build one with `make demo` (demo data) or `make build`."
        )
    try:
        return _query(str(release), release.stat().st_mtime, sql, tuple(params))
    except duckdb.CatalogException as error:
        match = re.search(r"Table with name (\w+) does not exist", str(error))
        name = match.group(1) if match else "a mart"
        raise MartUnavailable(
            f"{name} is not in the published warehouse ({release.name} in {release.parent}): "
            "run `make build` to build it."
        ) from error
    except duckdb.IOException as error:
        raise MartUnavailable(
            f"The warehouse file {release} cannot be opened read-only ({error}). A plain `dbt build` "
            "writing it in place holds its lock: `make build` publishes releases that readers never wait for."
        ) from error


def mart(
    name: str, columns: str = "*", where: str = "", params: tuple = (), group_by: str = "", order_by: str = ""
) -> pd.DataFrame:
    """A mart (or some of its columns and rows, or an aggregate of them) as a DataFrame."""
    if not re.fullmatch(r"\w+", name):
        raise ValueError(f"not a model name: {name!r}")
    sql = f"select {columns} from {name}"
    if where:
        sql += f" where {where}"
    if group_by:
        sql += f" group by {group_by}"
    if order_by:
        sql += f" order by {order_by}"
    return query(sql, params)


@dataclass(frozen=True)
class Freshness:
    release: str
    published_at: datetime | None
    last_event_at: datetime | None
    last_order_at: datetime | None


def freshness() -> Freshness:
    """Which release is published, when, and the latest event and completed order it holds."""
    release = release_path()
    link = warehouse_link()
    try:
        label = str(release.relative_to(link.parent))
    except ValueError:
        label = str(release)
    published = datetime.fromtimestamp(release.stat().st_mtime, tz=UTC) if release.is_file() else None
    try:
        latest = query(
            "select (select max(occurred_at) from fct_touchpoints) as last_event_at, "
            "(select max(ordered_at) from fct_orders where is_completed) as last_order_at"
        ).iloc[0]
        last_event, last_order = (
            None if pd.isna(v) else pd.Timestamp(v).to_pydatetime()
            for v in (latest["last_event_at"], latest["last_order_at"])
        )
    except MartUnavailable:
        last_event = last_order = None
    return Freshness(label, published, last_event, last_order)


# --- the dbt docs: descriptions of models and columns ------------------------------------------------


def _manifest_path() -> Path:
    return Path(os.environ.get("DBT_TARGET_PATH") or REPO_ROOT / "target") / "manifest.json"


@st.cache_data(show_spinner=False)
def _docs_from_manifest(path: str, modified: float) -> dict[str, dict]:
    nodes = json.loads(Path(path).read_text())["nodes"].values()
    return {
        node["name"]: {
            "description": node.get("description") or "",
            "columns": {c: (v.get("description") or "") for c, v in node.get("columns", {}).items()},
        }
        for node in nodes
        if node.get("resource_type") == "model"
    }


DOC_BLOCK = re.compile(r"\{%-?\s*docs\s+(\w+)\s*-?%\}(.*?)\{%-?\s*enddocs\s*-?%\}", re.DOTALL)
DOC_CALL = re.compile(r"\{\{\s*doc\(\s*['\"](\w+)['\"]\s*\)\s*\}\}")


@st.cache_data(show_spinner=False)
def _docs_from_yaml(stamp: tuple) -> dict[str, dict]:
    folders = [REPO_ROOT / folder for folder in ("models", "python_models")]
    blocks = {
        name: text.strip()
        for folder in folders
        for path in sorted(folder.rglob("*.md"))
        for name, text in DOC_BLOCK.findall(path.read_text())
    }

    def render(text: str | None) -> str:
        """The description as dbt renders it: doc() blocks filled in, any other Jinja left out."""
        text = DOC_CALL.sub(lambda call: blocks.get(call.group(1), ""), text or "")
        return re.sub(r"\{\{.*?\}\}", "", text).strip()

    docs: dict[str, dict] = {}
    for folder in folders:
        for path in sorted(folder.rglob("*.yml")):
            for model in (yaml.safe_load(path.read_text()) or {}).get("models") or []:
                docs[model["name"]] = {
                    "description": render(model.get("description")),
                    "columns": {c["name"]: render(c.get("description")) for c in model.get("columns") or []},
                }
    return docs


def docs() -> dict[str, dict]:
    """{model: {description, columns: {column: description}}} from target/manifest.json (what `dbt
    docs` shows), or read from the models' YAML when no manifest has been written yet."""
    manifest = _manifest_path()
    if manifest.is_file():
        try:
            return _docs_from_manifest(str(manifest), manifest.stat().st_mtime)
        except (OSError, ValueError, KeyError):
            pass
    files = sorted(
        path
        for folder in ("models", "python_models")
        for ext in ("yml", "md")
        for path in (REPO_ROOT / folder).rglob(f"*.{ext}")
    )
    return _docs_from_yaml(tuple((str(p), p.stat().st_mtime) for p in files))


def describe(model: str, column: str | None = None) -> str:
    entry = docs().get(model, {})
    if column is None:
        return entry.get("description", "")
    return entry.get("columns", {}).get(column, "")


@st.cache_data(show_spinner=False)
def project_vars() -> dict:
    """The project's vars (dbt_project.yml), for the thresholds the pages draw."""
    return yaml.safe_load((REPO_ROOT / "dbt_project.yml").read_text()).get("vars", {})


def nps_of(promoters: float, detractors: float, responses: float) -> tuple[float, float, float]:
    """NPS with its interval over pooled counts — the formula of macro nps_metrics
    (SE = 100 × sqrt((p_P + p_D − (p_P − p_D)²) / n), ± var nps_z × SE, clipped to ±100), for
    periods the marts do not hold as one row (several months, a cut over a date range)."""
    if not responses:
        return float("nan"), float("nan"), float("nan")
    p_p, p_d = promoters / responses, detractors / responses
    nps = 100.0 * (p_p - p_d)
    se = 100.0 * max(p_p + p_d - (p_p - p_d) ** 2, 0.0) ** 0.5 / responses**0.5
    z = float(project_vars()["nps_z"])
    return nps, max(nps - z * se, -100.0), min(nps + z * se, 100.0)
