"""Fair cents and marketing touches on the demo, recomputed in pandas apart from the models:
fct_customer_costs and fct_attribution_credits (largest-remainder rounding), and the sessions that
attribution credits."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import compile_inline, query

CENT = 0.01
# floating-point slack of the independent recomputation (far below a cent)
SLACK = 1e-6


def frame(db, sql: str) -> pd.DataFrame:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).df()


@pytest.fixture(scope="module")
def costs(demo) -> pd.DataFrame:
    """Every allocated row beside its exact share, from driver volumes recounted here from staging."""
    raw = frame(demo.db, "select period_month, activity, cost, driver from stg_activity_costs")
    orders = frame(demo.db, "select customer_id, ordered_at, revenue, status from stg_orders")
    events = frame(demo.db, "select customer_id, occurred_at from stg_events")
    tickets = frame(demo.db, "select customer_id, opened_at from stg_support_tickets")

    def monthly(table: pd.DataFrame, at: str) -> pd.Series:
        return table[at].dt.to_period("M").dt.to_timestamp()

    volumes = {
        "orders": orders.assign(m=monthly(orders, "ordered_at")).groupby(["m", "customer_id"]).size(),
        "events": events.assign(m=monthly(events, "occurred_at")).groupby(["m", "customer_id"]).size(),
        "tickets": tickets.assign(m=monthly(tickets, "opened_at")).groupby(["m", "customer_id"]).size(),
        "customers": pd.concat(
            [
                events.assign(m=monthly(events, "occurred_at"))[["m", "customer_id"]],
                orders.assign(m=monthly(orders, "ordered_at"))[["m", "customer_id"]],
            ]
        )
        .drop_duplicates()
        .assign(v=1)
        .set_index(["m", "customer_id"])["v"],
        "revenue": orders[orders["status"] == "completed"]
        .assign(m=monthly(orders, "ordered_at"))
        .groupby(["m", "customer_id"])["revenue"]
        .sum()
        .astype(float)
        .pipe(lambda s: s[s > 0]),
    }
    parts = []
    for driver, series in volumes.items():
        table = series.rename("volume").reset_index()
        table["driver"] = driver
        parts.append(table)
    volume = pd.concat(parts).rename(columns={"m": "period_month"})
    raw["period_month"] = pd.to_datetime(raw["period_month"])
    exact = raw.merge(volume, on=["period_month", "driver"])
    exact["exact"] = (
        exact["cost"].astype(float)
        * exact["volume"].astype(float)
        / exact.groupby(["period_month", "activity"])["volume"].transform("sum").astype(float)
    )

    allocated = frame(
        demo.db,
        """
        select period_month, activity, customer_id, allocated_cost
        from fct_customer_costs where not is_unallocated""",
    )
    allocated["period_month"] = pd.to_datetime(allocated["period_month"])
    return allocated.merge(exact, on=["period_month", "activity", "customer_id"], how="outer", indicator=True)


def test_every_cost_share_is_within_one_cent_of_its_exact_value(costs):
    assert (costs["_merge"] == "both").all(), costs[costs["_merge"] != "both"].head()
    deviation = (costs["allocated_cost"].astype(float) - costs["exact"]).abs()
    assert deviation.max() < CENT + SLACK, costs.loc[deviation.idxmax()]


def test_no_customer_collects_the_leftover_cents(costs):
    """The case that failed: the `customers` driver gives equal shares every month; the leftover cents
    of each activity-month went to the same customer (151.50 of human_resources against 36.53).
    Now every customer's total over all months stays within a cent a month of their fair total, and
    the tie winners differ from month to month."""
    equal = costs[costs["driver"] == "customers"].copy()
    assert not equal.empty
    equal["gap"] = equal["allocated_cost"].astype(float) - equal["exact"]
    months = equal["period_month"].nunique()
    per_customer = equal.groupby(["activity", "customer_id"])["gap"].sum()
    assert per_customer.abs().max() < months * CENT + SLACK
    # on average a customer's rounding gap is a fraction of a cent, not a systematic one
    assert abs(equal["gap"].mean()) < 1e-3
    winners = equal[equal["gap"] > 0].groupby(["period_month", "activity"])["customer_id"].apply(set)
    by_activity = winners.groupby(level="activity").apply(lambda sets: len(set.intersection(*sets)))
    assert (by_activity == 0).all(), by_activity


@pytest.fixture(scope="module")
def credits(demo) -> pd.DataFrame:
    return frame(
        demo.db,
        """
        select credits.*, orders.revenue
        from fct_attribution_credits as credits
        inner join stg_orders as orders using (order_id)""",
    )


def test_every_order_is_credited_exactly_once_per_model(demo):
    # summed in SQL: the credits are decimals, and their sums must be exact
    completed = query(demo.db, "select count(*) from stg_orders where status = 'completed'")[0][0]
    rows = query(
        demo.db,
        """
        with totals as (
            select attribution_model, order_id, sum(conversion_credit) as conversion,
                sum(revenue_credit) as revenue_credit
            from fct_attribution_credits
            group by all
        )
        select attribution_model, count(*),
            count(*) filter (where conversion = 1 and revenue_credit = orders.revenue)
        from totals
        inner join stg_orders as orders using (order_id)
        group by all""",
    )
    assert len(rows) == 7  # the five heuristic models, markov and shapley
    for model, orders, exact in rows:
        assert orders == completed, model
        assert exact == completed, model


def test_linear_credits_of_one_order_differ_by_at_most_a_cent(credits):
    linear = credits[credits["attribution_model"] == "linear"]
    spread = linear.groupby("order_id")["revenue_credit"].agg(lambda s: max(s) - min(s)).astype(float)
    assert spread.max() <= CENT + SLACK
    # and every model's credits are within a cent of the exact share
    exact_share = 1 / linear["touches"].clip(lower=1)
    deviation = (linear["revenue_credit"].astype(float) - linear["revenue"].astype(float) * exact_share).abs()
    assert deviation.max() < CENT + SLACK


def test_touches_are_the_sessions_that_started_in_the_lookback_window(demo, credits):
    """Recounted from the sessionised events: a session's start is its first event, its channel the
    first event's; every completed order's touches are the sessions started in the 30 days up to it."""
    events = frame(
        demo.db, "select customer_id, session_id, occurred_at, event_id, channel from int_events_sessionised"
    )
    events = events.sort_values(["occurred_at", "event_id"])
    sessions = events.groupby(["customer_id", "session_id"], as_index=False).agg(
        started_at=("occurred_at", "first"), channel=("channel", "first")
    )
    orders = frame(demo.db, "select order_id, customer_id, ordered_at from stg_orders where status = 'completed'")
    pairs = orders.merge(sessions, on="customer_id")
    lookback = pd.Timedelta(days=30)
    inside = pairs[
        (pairs["started_at"] <= pairs["ordered_at"]) & (pairs["started_at"] >= pairs["ordered_at"] - lookback)
    ]
    expected = inside.groupby("order_id").size()
    last = inside.sort_values(["started_at", "session_id"]).groupby("order_id")["channel"].last()

    first_touch = credits[credits["attribution_model"] == "first_touch"]
    touches = first_touch.groupby("order_id")["touches"].first()
    assert (touches[touches > 0].sort_index() == expected.sort_index()).all()
    assert set(touches[touches == 0].index) == set(orders["order_id"]) - set(expected.index)

    last_touch = credits[(credits["attribution_model"] == "last_touch") & (credits["conversion_credit"] == 1)]
    credited = last_touch.set_index("order_id")["channel"]
    assert (credited.loc[last.index] == last).all()
    assert len(credited) == len(orders)


@pytest.fixture(scope="module")
def allocations(tmp_path_factory) -> tuple[str, str]:
    """largest_remainder over table `t` (partition p, weight w, amount a, sole_winner flag s), as
    compiled by dbt: without sole_winner, and with it."""
    tmp_path = tmp_path_factory.mktemp("allocations")
    call = (
        "{{{{ largest_remainder('t', weight='w', partition_by=['p'], tie_key=['p', 'k'],"
        " outputs=[{{'amount': 'a', 'output': 'revenue'}},"
        " {{'amount': '1', 'output': 'conversion', 'decimals': 12}}]{extra}) }}}}"
    )
    marker = "-- the same with sole_winner --"
    inline = call.format(extra="") + f"\n{marker}\n" + call.format(extra=", sole_winner='s'")
    compiled = compile_inline(inline, tmp_path)
    full, fast = compiled.split(marker)
    return full, fast


def test_sole_winner_rows_get_what_the_full_method_gives(allocations):
    """largest_remainder's sole_winner shortcut (no windows for partitions where one row weighs 1
    and the rest 0) equals the method itself, cent for cent, on amounts that round up, down, half
    way, negative, zero, null and large; partitions the flag leaves out (false or null) still go
    through the method."""
    import duckdb
    import numpy as np

    full, fast = allocations
    rng = np.random.default_rng(7)
    rows = []
    special = [None, 0.0, 0.005, 0.015, -0.005, 19.99, 0.1 + 0.2, -3.335, 1e9 + 0.125, 2.675]
    for p in range(600):
        n = int(rng.integers(1, 7))
        amount = special[p] if p < len(special) else round(float(rng.uniform(-500, 5000)), int(rng.integers(0, 5)))
        sole = p % 5 != 4  # every fifth partition: ordinary weights, through the method
        flag = None if p % 10 == 9 else sole  # null flags count as false
        winner = int(rng.integers(0, n))
        for k in range(n):
            weight = (1.0 if k == winner else 0.0) if sole else float(rng.uniform(0, 3))
            rows.append((p, k, weight, amount, flag))
    frame_ = pd.DataFrame(rows, columns=["p", "k", "w", "a", "s"])
    with duckdb.connect() as con:
        con.register("frame_", frame_)
        con.execute("create table t as select p, k, w, cast(a as decimal(18, 3)) as a, s from frame_")
        con.execute(f"create table full_ as {full}")
        con.execute(f"create table fast as {fast}")
        columns = "p, k, lr_share, revenue, conversion"
        for a, b in (("full_", "fast"), ("fast", "full_")):
            extra = con.execute(f"select {columns} from {a} except all select {columns} from {b}").fetchall()
            assert extra == [], (a, b, extra[:5])
        assert con.execute("select count(*) from fast").fetchone()[0] == len(frame_)
        # the shortcut was taken: no window columns on the flagged rows
        shortcut = con.execute("select count(*) from fast where lr_rows is null").fetchone()[0]
        assert shortcut == int((frame_["s"] == True).sum())  # noqa: E712


def test_a_null_partition_key_is_one_partition(allocations):
    """The partition's total weight is grouped and joined back: rows whose partition key is null
    are one partition, as a window has them, and none is dropped (worked out by hand: 10.00 over
    three equal weights is 3.34 + 3.33 + 3.33, 1.00 over weights 1 and 3 is 0.25 + 0.75)."""
    import duckdb

    rows = [(None, 0, 1.0, 10.0), (None, 1, 1.0, 10.0), (None, 2, 1.0, 10.0), (1, 0, 1.0, 1.0), (1, 1, 3.0, 1.0)]
    frame_ = pd.DataFrame(rows, columns=["p", "k", "w", "a"]).astype({"p": "Int64"})
    for compiled in allocations:
        with duckdb.connect() as con:
            con.register("frame_", frame_)
            con.execute("create table t as select p, k, w, cast(a as decimal(18, 2)) as a, false as s from frame_")
            got = con.execute(f"select p, k, revenue, conversion from ({compiled}) order by p, k").fetchall()
        by_partition: dict = {}
        for p, k, revenue, conversion in got:
            by_partition.setdefault(p, []).append((k, float(revenue), float(conversion)))
        assert len(got) == len(rows)
        assert sorted(r for _, r, _ in by_partition[None]) == [3.33, 3.33, 3.34]
        assert [(k, r) for k, r, _ in by_partition[1]] == [(0, 0.25), (1, 0.75)]
        for shares in by_partition.values():
            assert sum(c for _, _, c in shares) == pytest.approx(1.0, abs=1e-12)
