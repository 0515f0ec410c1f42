"""Paths to purchase on the demo: the paths add up to the customers of each outcome (buyers and
non-buyers counted apart from stg_orders and dim_customers), the Sankey links are conserved node by
node, and the paths recomputed independently in pandas from fct_sessions and stg_orders equal
mart_paths_to_purchase (top paths, ranks and median days). Each rule is unit-tested on hand-made
journeys in models/marts/funnels/_paths.yml."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd
import pytest
import yaml

from journey_metrics.paths import REPO_ROOT

from helpers import query

TERMINALS = {"(purchase)", "(no purchase)"}
TOP = 5


def project_var(name: str):
    return yaml.safe_load((REPO_ROOT / "dbt_project.yml").read_text())["vars"][name]


def frame(db, sql: str, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(query(db, sql), columns=columns)


@pytest.fixture(scope="module")
def paths(demo) -> pd.DataFrame:
    return frame(
        demo.db,
        "select outcome, path, path_length, is_truncated, customers, share, median_days_to_purchase, path_rank"
        " from mart_paths_to_purchase",
        ["outcome", "path", "path_length", "is_truncated", "customers", "share", "median_days", "path_rank"],
    )


@pytest.fixture(scope="module")
def recomputed(demo) -> pd.DataFrame:
    """One row per customer: outcome, path and days to purchase, from fct_sessions, stg_orders and
    dim_customers: sessions before the first completed order (all of them for a non-buyer), in
    started_at then session_id order, a null channel as no_value_label, repeats collapsed, the first
    path_max_length channels and then '(more)'; '(no sessions)' without a session."""
    max_length, none_label = project_var("path_max_length"), project_var("no_value_label")
    customers = frame(demo.db, "select customer_id from dim_customers", ["customer_id"])
    first_purchase = (
        frame(
            demo.db,
            "select customer_id, ordered_at from stg_orders where status = 'completed'",
            ["customer_id", "ordered_at"],
        )
        .groupby("customer_id")["ordered_at"]
        .min()
    )
    sessions = frame(
        demo.db,
        "select customer_id, session_id, started_at, entry_channel from fct_sessions",
        ["customer_id", "session_id", "started_at", "entry_channel"],
    )
    sessions["channel"] = sessions["entry_channel"].fillna(none_label)
    sessions["purchase_at"] = sessions["customer_id"].map(first_purchase)
    before = sessions[sessions["purchase_at"].isna() | (sessions["started_at"] < sessions["purchase_at"])]
    before = before.sort_values(["customer_id", "started_at", "session_id"])
    first_session = before.groupby("customer_id")["started_at"].min()
    channels: dict[str, list[str]] = defaultdict(list)
    for customer, channel in zip(before["customer_id"], before["channel"], strict=True):
        if not channels[customer] or channels[customer][-1] != channel:
            channels[customer].append(channel)

    def path_of(customer: str) -> str:
        steps = channels.get(customer, [])
        if not steps:
            return "(no sessions)"
        return " > ".join(steps[:max_length] + (["(more)"] if len(steps) > max_length else []))

    return customers.assign(
        outcome=customers["customer_id"].map(lambda c: "purchase" if c in first_purchase.index else "no_purchase"),
        path=customers["customer_id"].map(path_of),
        days=(customers["customer_id"].map(first_purchase) - customers["customer_id"].map(first_session))
        / pd.Timedelta(days=1),
    )


def counts(table: pd.DataFrame) -> dict[tuple[str, str], int]:
    """customers by (outcome, path)."""
    return table.set_index(["outcome", "path"])["customers"].to_dict()


def test_paths_add_up_to_the_customers(demo, paths):
    buyers = query(demo.db, "select count(distinct customer_id) from stg_orders where status = 'completed'")[0][0]
    customers = query(demo.db, "select count(*) from dim_customers")[0][0]
    non_buyers = query(
        demo.db,
        "select count(*) from dim_customers where customer_id not in"
        " (select customer_id from stg_orders where status = 'completed')",
    )[0][0]
    by_outcome = paths.groupby("outcome")["customers"].sum().to_dict()
    assert by_outcome == {"purchase": buyers, "no_purchase": non_buyers}
    assert sum(by_outcome.values()) == customers
    assert paths.groupby("outcome")["share"].sum().to_dict() == pytest.approx({"purchase": 1, "no_purchase": 1})
    assert paths.loc[paths["path_length"] == 0, "path"].eq("(no sessions)").all()
    assert (paths["is_truncated"] == paths["path"].str.endswith(" > (more)")).all()


def test_transitions_are_conserved(demo):
    links = frame(
        demo.db,
        "select step_index, from_step, to_step, customers from mart_path_transitions",
        ["step_index", "from_step", "to_step", "customers"],
    )
    customers = query(demo.db, "select count(*) from dim_customers")[0][0]
    first = links[links["step_index"] == 1]
    assert first["from_step"].eq("(start)").all() and first["customers"].sum() == customers
    into = links.groupby(["step_index", "to_step"])["customers"].sum()
    out_of = links.groupby(["step_index", "from_step"])["customers"].sum()
    flows_in = {(step, node): n for (step, node), n in into.items() if node not in TERMINALS}
    flows_out = {(step - 1, node): n for (step, node), n in out_of.items() if step > 1}
    assert flows_in == flows_out
    ended = links[links["to_step"].isin(TERMINALS)].groupby("to_step")["customers"].sum().to_dict()
    assert sum(ended.values()) == customers


def test_paths_match_a_pandas_recomputation(paths, recomputed):
    expected = (
        recomputed.groupby(["outcome", "path"])
        .agg(customers=("customer_id", "size"), median_days=("days", "median"))
        .reset_index()
        .sort_values(["outcome", "customers", "path"], ascending=[True, False, True])
    )
    expected["path_rank"] = expected.groupby("outcome").cumcount() + 1
    actual = paths.sort_values(["outcome", "path_rank"])
    columns = ["outcome", "path", "customers", "path_rank"]
    for outcome in ["purchase", "no_purchase"]:
        top = expected[expected["outcome"] == outcome].head(TOP)[columns].to_dict("records")
        assert actual[actual["outcome"] == outcome].head(TOP)[columns].to_dict("records") == top
    # every path, not only the top ones
    assert counts(paths) == counts(expected)
    top_buyer_path = expected[expected["outcome"] == "purchase"].iloc[0]
    mart_median = actual[(actual["outcome"] == "purchase") & (actual["path_rank"] == 1)]["median_days"].item()
    assert mart_median == pytest.approx(top_buyer_path["median_days"], rel=1e-9)
    assert paths.loc[paths["outcome"] == "no_purchase", "median_days"].isna().all()
