"""Readers during a build: journey_metrics.publish builds into a new release and switches the link
atomically, so a reader always sees a complete warehouse — never a half-built one or a lock error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb

from helpers import AS_OF, write_tables
from journey_metrics.paths import REPO_ROOT

READER = textwrap.dedent("""
    import json, os, sys, time, duckdb
    link, out, stop = sys.argv[1], sys.argv[2], sys.argv[3]
    seen, errors, deadline = [], [], time.time() + 120
    while time.time() < deadline and not os.path.exists(stop):
        try:
            with duckdb.connect(link, read_only=True) as con:
                seen.append(con.execute("select count(*) from stg_customers").fetchone()[0])
        except Exception as error:  # the test asserts there are none
            errors.append(repr(error))
        time.sleep(0.02)
    json.dump({"seen": seen, "errors": errors}, open(out, "w"))
""")


def customers(count: int) -> dict:
    return {"customers": [{"customer_id": f"C{i}", "created_at": "2024-01-01T00:00:00Z"} for i in range(count)]}


def publish(link: Path, raw: Path, tmp: Path, *dbt_args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "JOURNEY_DUCKDB_PATH": str(link), "JOURNEY_RAW_DIR": str(raw),
           "DBT_TARGET_PATH": str(tmp / "target"), "DBT_LOG_PATH": str(tmp / "logs"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    args = list(dbt_args) + ["--vars", json.dumps({"as_of": AS_OF})]
    return subprocess.run([sys.executable, "-m", "journey_metrics.publish", *args],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True)


STAGING_ONLY = ("run", "--select", "+stg_customers")


def test_readers_see_the_previous_release_during_a_build(tmp_path):
    link = tmp_path / "warehouse" / "journey.duckdb"
    first, second = tmp_path / "raw1", tmp_path / "raw2"
    write_tables(first, customers(3))
    write_tables(second, customers(5))
    assert publish(link, first, tmp_path, *STAGING_ONLY).returncode == 0
    assert link.is_symlink()

    out, stop = tmp_path / "reader.json", tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(link), str(out), str(stop)])
    time.sleep(1)
    result = publish(link, second, tmp_path, *STAGING_ONLY)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    time.sleep(1)
    stop.touch()
    reader.wait(timeout=60)
    report = json.loads(out.read_text())

    assert report["errors"] == []
    assert set(report["seen"]) <= {3, 5}
    # it read the previous release while the build ran, and the new one after the switch
    assert report["seen"][0] == 3 and report["seen"][-1] == 5
    with duckdb.connect(str(link), read_only=True) as con:
        assert con.execute("select count(*) from stg_customers").fetchone()[0] == 5


def test_a_failed_build_leaves_the_published_release(tmp_path):
    link = tmp_path / "warehouse" / "journey.duckdb"
    good, broken = tmp_path / "good", tmp_path / "broken"
    write_tables(good, customers(2))
    write_tables(broken, customers(2))
    (broken / "customers" / "part-1.csv").write_text("customer_id\nC1\n")  # lacks created_at
    assert publish(link, good, tmp_path, *STAGING_ONLY).returncode == 0
    published = link.resolve()
    result = publish(link, broken, tmp_path, *STAGING_ONLY)
    assert result.returncode != 0
    assert "still serves the previous release" in result.stderr
    assert link.resolve() == published
    releases = list((link.parent / "releases").glob("*/*/journey.duckdb"))
    assert releases == [published]
