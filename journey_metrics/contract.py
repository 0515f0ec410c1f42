"""The raw-data contract, read from its one definition: the `raw` source in models/staging/_sources.yml."""

from __future__ import annotations

from functools import lru_cache

import yaml

from journey_metrics.paths import REPO_ROOT

SOURCES_YML = REPO_ROOT / "models" / "staging" / "_sources.yml"


@lru_cache(maxsize=1)
def raw_contract() -> dict[str, dict]:
    """{table: {"columns": [names in order], "primary_key": [names]}} in declaration order."""
    sources = yaml.safe_load(SOURCES_YML.read_text())["sources"]
    raw = next(source for source in sources if source["name"] == "raw")
    return {
        table["name"]: {
            "columns": [column["name"] for column in table["columns"]],
            "primary_key": list(table["meta"]["primary_key"]),
        }
        for table in raw["tables"]
    }


def raw_tables() -> list[str]:
    return list(raw_contract())


def raw_columns(table: str) -> list[str]:
    return raw_contract()[table]["columns"]
