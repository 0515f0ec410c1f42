"""Readers during a build: journey_metrics.publish builds into a new release and switches the link
atomically, so a reader always sees a complete warehouse — never a half-built one or a lock error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from journey_metrics.paths import REPO_ROOT

from helpers import AS_OF, write_tables

READER = textwrap.dedent("""
    import json, os, sys, time, duckdb
    link, out, stop = sys.argv[1], sys.argv[2], sys.argv[3]
    seen, errors, deadline = [], [], time.time() + 600
    while time.time() < deadline and not os.path.exists(stop):
        try:
            with duckdb.connect(link, read_only=True) as con:
                count = con.execute("select count(*) from stg_customers").fetchone()[0]
            seen.append(count)
            # markers the test waits for: no fixed sleeps, so a loaded machine only makes it slower
            open(out + f".saw-{count}", "w").close()
        except Exception as error:  # the test asserts there are none
            errors.append(repr(error))
        time.sleep(0.02)
    json.dump({"seen": seen, "errors": errors}, open(out, "w"))
""")


def wait_for(path: Path, limit: float = 600) -> None:
    """Until `path` exists (the reader's marker); a generous limit only guards against a hang."""
    deadline = time.time() + limit
    while not path.exists():
        assert time.time() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def customers(count: int) -> dict:
    return {"customers": [{"customer_id": f"C{i}", "created_at": "2024-01-01T00:00:00Z"} for i in range(count)]}


def publish(link: Path, raw: Path, tmp: Path, *dbt_args: str, as_of: str = AS_OF) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "JOURNEY_DUCKDB_PATH": str(link),
        "JOURNEY_RAW_DIR": str(raw),
        "DBT_TARGET_PATH": str(tmp / "target"),
        "DBT_LOG_PATH": str(tmp / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    args = [*list(dbt_args), "--vars", json.dumps({"as_of": as_of})]
    return subprocess.run(
        [sys.executable, "-m", "journey_metrics.publish", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True
    )


# a partial build: the validation suites need every staging model and mart, so it publishes unvalidated
STAGING_ONLY = ("--validate", "none", "run", "--select", "+stg_customers")
# every staging model, validated by the staging suite before it is published
STAGING_VALIDATED = ("--validate", "staging", "run", "--select", "path:models/staging")


def test_readers_see_the_previous_release_during_a_build(tmp_path):
    link = tmp_path / "warehouse" / "journey.duckdb"
    first, second = tmp_path / "raw1", tmp_path / "raw2"
    write_tables(first, customers(3))
    write_tables(second, customers(5))
    assert publish(link, first, tmp_path, *STAGING_ONLY).returncode == 0
    assert link.is_symlink()

    out, stop = tmp_path / "reader.json", tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(link), str(out), str(stop)])
    wait_for(Path(f"{out}.saw-3"))  # the reader reads the first release
    result = publish(link, second, tmp_path, *STAGING_ONLY)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    wait_for(Path(f"{out}.saw-5"))  # and, after the switch, the new one
    stop.touch()
    reader.wait(timeout=600)
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
    # and no empty folder of the failed release is left behind
    assert [p.name for p in (link.parent / "releases").iterdir()] == [published.parent.parent.name]


def test_a_release_that_fails_validation_is_never_published(tmp_path):
    """dbt succeeds, but the staging suite fails (an order dated after now + 1 day, allowed by an
    as_of further ahead): the previous release stays published, the failures are printed, the new
    release is gone."""
    link = tmp_path / "warehouse" / "journey.duckdb"
    good, odd = tmp_path / "good", tmp_path / "odd"
    write_tables(good, customers(2))
    # dated a year from now: staging accepts it (as_of two years ahead), validation does not
    today = datetime.now(UTC)
    ordered_at, as_of = today + timedelta(days=366), today + timedelta(days=731)
    write_tables(
        odd,
        {
            **customers(2),
            "orders": [
                {
                    "order_id": "O1",
                    "customer_id": "C1",
                    "ordered_at": f"{ordered_at:%Y-%m-%d}T00:00:00Z",
                    "revenue": "5",
                    "status": "completed",
                }
            ],
        },
    )
    first = publish(link, good, tmp_path, *STAGING_VALIDATED)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
    published = link.resolve()
    result = publish(link, odd, tmp_path, *STAGING_VALIDATED, as_of=f"{as_of:%Y-%m-%d}T00:00:00Z")
    assert result.returncode != 0
    assert "validation failed (staging)" in result.stderr
    assert "stg_orders" in result.stdout and "FAILED" in result.stdout
    assert link.resolve() == published
    assert [p.name for p in (link.parent / "releases").iterdir()] == [published.parent.parent.name]


def test_a_release_is_a_plain_file(tmp_path):
    """A copy under another name, and the file ATTACHed under any alias, answer every model."""
    link = tmp_path / "warehouse" / "journey.duckdb"
    raw = tmp_path / "raw"
    write_tables(raw, customers(3))
    assert publish(link, raw, tmp_path, "--validate", "none", "run", "--select", "path:models/staging").returncode == 0
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(link.resolve().read_bytes())
    with duckdb.connect(str(copy), read_only=True) as con:
        views = [
            r[0]
            for r in con.execute(
                "select view_name from duckdb_views() where not internal and schema_name = 'main'"
            ).fetchall()
        ]
        assert {"stg_customers", "stg_orders", "stg_events"} <= set(views)
        assert con.execute("select count(*) from rejected_rows").fetchone()[0] == 0
        assert all(con.execute(f'select count(*) from "{v}"').fetchone()[0] >= 0 for v in views)
        assert con.execute("select count(*) from stg_customers").fetchone()[0] == 3
    with duckdb.connect() as con:
        con.execute(f"attach '{copy}' as anything (read_only)")
        assert con.execute("select count(*) from anything.main.stg_customers").fetchone()[0] == 3
        assert all(con.execute(f'select count(*) from anything.main."{v}"').fetchone()[0] >= 0 for v in views)
