"""Print headline figures from the warehouse after a build: `python -m journey_metrics.report`.

Opens the DuckDB file read-only (JOURNEY_DUCKDB_PATH), so it never holds the writer's lock.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import duckdb

from journey_metrics.contract import raw_tables
from journey_metrics.paths import default_duckdb_path


def staging_summary(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, int]]:
    """(table, staged rows, rejected rows) for every raw table."""
    rejected = dict(con.execute("select source_table, count(*) from rejected_rows group by source_table").fetchall())
    return [
        (table, con.execute(f"select count(*) from stg_{table}").fetchone()[0], rejected.get(table, 0))
        for table in raw_tables()
    ]


def rejection_reasons(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    return con.execute(
        """
        select source_table, reason, count(*) as rows
        from rejected_rows
        group by source_table, reason
        order by source_table, rows desc, reason
        """
    ).fetchall()


HEADLINES = {
    "Customers aware → considering → buying → retained → advocates": """
        select string_agg(format('{:,}', customers), ' → ' order by stage_order)
        from (select stage_order, sum(customers) as customers from mart_stage_funnel group by stage_order)
    """,
    "Revenue net of refunds / contribution after cost to serve": """
        select format('{:,.0f} / {:,.0f}', sum(revenue), sum(contribution)) from mart_customer_value
    """,
    "Predicted CLV, next horizon (sum)": "select format('{:,.0f}', sum(predicted_clv)) from mart_customer_value",
    "NPS, last month with 30+ responses (95% interval)": """
        select format('{:.1f} ({:.1f} to {:.1f})', nps, ci_low, ci_high)
        from mart_nps_monthly where not is_small_sample order by response_month desc limit 1
    """,
    "Viral coefficient K (converted referrals per customer)": """
        select format('{:.3f}', sum(referrals_converted) / sum(customers)) from mart_referrals
    """,
}


def headlines(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """A few figures from the marts; a mart that is missing or empty shows as 'n/a'."""
    figures = []
    for label, sql in HEADLINES.items():
        try:
            value = con.execute(sql).fetchone()[0]
        except duckdb.Error:
            value = None
        figures.append((label, value if value is not None else "n/a"))
    return figures


def render(con: duckdb.DuckDBPyConnection) -> str:
    lines = ["Headline figures"] + [f"  {label}: {value}" for label, value in headlines(con)]
    lines += ["Staging: raw rows = staged + rejected", f"  {'table':<24}{'staged':>12}{'rejected':>10}"]
    for table, staged, rejected in staging_summary(con):
        lines.append(f"  {table:<24}{staged:>12,}{rejected:>10,}")
    reasons = rejection_reasons(con)
    if reasons:
        lines.append("Rejected rows by reason (see rejected_rows):")
        lines += [f"  {table:<24}{reason:<26}{rows:>8,}" for table, reason, rows in reasons]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Print headline figures from the built warehouse.")
    parser.add_argument(
        "--db",
        default=os.environ.get("JOURNEY_DUCKDB_PATH") or str(default_duckdb_path()),
        help="DuckDB warehouse file (default: JOURNEY_DUCKDB_PATH)",
    )
    args = parser.parse_args(argv)
    if not Path(args.db).exists():
        print(f"No warehouse at {args.db}: run `make demo` (or `dbt build`) first.", file=sys.stderr)
        return 1
    with duckdb.connect(args.db, read_only=True) as con:
        print(render(con))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
