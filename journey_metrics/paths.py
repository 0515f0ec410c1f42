"""Where the project's files are, and the defaults of its two environment variables."""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SEEDS_DIR = REPO_ROOT / "seeds"


def default_raw_dir() -> Path:
    """JOURNEY_RAW_DIR's default: the demo data `make demo` generates."""
    return REPO_ROOT / "data" / "demo"


def default_duckdb_path() -> Path:
    """JOURNEY_DUCKDB_PATH's default (git-ignored)."""
    return REPO_ROOT / "warehouse" / "journey.duckdb"
