"""The dbt project's vars as dbt_project.yml declares them: one definition for the Python tools
(validation, generator) and the SQL models alike."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import yaml

from journey_metrics.paths import REPO_ROOT

DBT_PROJECT_YML = REPO_ROOT / "dbt_project.yml"


@lru_cache(maxsize=1)
def project_vars() -> dict[str, Any]:
    """The `vars:` of dbt_project.yml (defaults; a run's --vars may override them)."""
    return dict(yaml.safe_load(DBT_PROJECT_YML.read_text())["vars"])


def project_var(name: str) -> Any:
    """One var's default; KeyError names the var when dbt_project.yml does not declare it."""
    values = project_vars()
    if name not in values:
        raise KeyError(f"var {name!r} is not declared in {DBT_PROJECT_YML}")
    return values[name]
