"""Shared fixtures: the default demo data generated and built once per test session."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from journey_metrics.generate import generate

from helpers import dbt_build, parse_semantic_manifest

DEMO_CUSTOMERS = 5000
DEMO_SEED = 42


@dataclass(frozen=True)
class Build:
    raw_dir: Path
    db: Path
    truth: dict
    generate_seconds: float
    build_seconds: float


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Build:
    """The default demo (5,000 customers, seed 42) generated and built with `dbt build`."""
    tmp = tmp_path_factory.mktemp("demo")
    raw = tmp / "raw"
    started = time.perf_counter()
    generate(raw, customers=DEMO_CUSTOMERS, seed=DEMO_SEED)
    generated = time.perf_counter()
    db = dbt_build(raw, tmp)
    built = time.perf_counter()
    truth = json.loads((raw / "ground_truth.json").read_text())
    return Build(raw, db, truth, generated - started, built - generated)


@pytest.fixture(scope="session")
def semantic_manifest(demo, tmp_path_factory) -> Path:
    """The demo warehouse, with the project parsed for it where `mf` reads the semantic manifest (once
    per test session, for every semantic-layer test file)."""
    return parse_semantic_manifest(demo.raw_dir, demo.db, tmp_path_factory.mktemp("parse"))
