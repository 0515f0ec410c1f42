"""first_row (macros/portable/first_row.sql), as dbt compiles it, keeps what the window it replaced
keeps: `qualify row_number() over (partition by p order by a asc nulls last, b asc nulls last) = 1`,
on hand-made groups whose keys hold nulls (in either key, both, or in the row's other columns)."""

from __future__ import annotations

import random

import duckdb
import pytest

from helpers import compile_inline

GROUPS = 800


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> str:
    tmp_path = tmp_path_factory.mktemp("first_row")
    inline = "select p, {{ first_row({'a': 'a', 'b': 'b', 'x': 'x'}, ['a', 'b']) }} as picked from t group by p"
    return compile_inline(inline, tmp_path)


def rows() -> list[tuple]:
    """Groups of 1-8 rows; each (a, b) at most once in a group (a full tie may keep either row),
    a and b null in about a third of the rows, x null in some; one group keyed by a null p."""
    generator = random.Random(7)
    keys = [(a, b) for a in [None, 1, 2, 3] for b in [None, "a", "b", "c"]]
    out = []
    for group in range(GROUPS):
        p = None if group == 0 else f"g{group}"
        for a, b in generator.sample(keys, generator.randint(1, 8)):
            x = None if generator.random() < 0.2 else generator.randint(0, 10**6)
            out.append((p, a, b, x))
    return out


def test_first_row_keeps_what_the_window_keeps(compiled):
    con = duckdb.connect()
    con.execute("create table t (p varchar, a integer, b varchar, x integer)")
    con.executemany("insert into t values (?, ?, ?, ?)", rows())
    fast = f"select p, picked.a, picked.b, picked.x from ({compiled}) as firsts"
    window = """
        select p, a, b, x from t
        qualify row_number() over (partition by p order by a asc nulls last, b asc nulls last) = 1
    """
    assert con.execute(f"select count(*) from ({fast})").fetchone()[0] == GROUPS
    for left, right in [(fast, window), (window, fast)]:
        differing = con.execute(f"select * from ({left}) except all select * from ({right})").fetchall()
        assert differing == []
    # the cases that matter were there: a group whose first row has a null key, a null x kept
    assert con.execute(f"select count(*) from ({fast}) where a is null").fetchone()[0] > 0
    assert con.execute(f"select count(*) from ({fast}) where b is null").fetchone()[0] > 0
    assert con.execute(f"select count(*) from ({fast}) where x is null").fetchone()[0] > 0
    assert con.execute(f"select count(*) from ({fast}) where p is null").fetchone()[0] == 1
