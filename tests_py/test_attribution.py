"""Data-driven attribution (journey_metrics.attribution; int_channel_paths, mart_markov_removal_effects,
mart_shapley_values, the markov and shapley rows of mart_channel_attribution): hand-worked path sets,
independent computations (fixed-point iteration of the chain, Shapley by its subset formula), the
ChannelAttribution package, and the demo warehouse recomputed from int_channel_paths."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest

from journey_metrics.attribution import markov_removal_effects, markov_transitions, shapley_values

from helpers import query

# ---------------------------------------------------------------------------------- hand-made paths


def hand_paths() -> pd.DataFrame:
    """13 journeys over channels a, b, c (a self-loop in "a > a", a cycle through "b > a")."""
    return pd.DataFrame(
        {
            "path": ["a > b", "a > a", "b > a", "c"],
            "channel_set": ["a + b", "a", "a + b", "c"],
            "conversions": [2, 2, 1, 0],
            "non_conversions": [2, 2, 1, 3],
        }
    )


def test_markov_removal_effects_on_a_hand_worked_path_set():
    """ "a > a" is the walk a (repeats are one visit). Transition counts: (start) → a 8, → b 2, → c 3
    (of 13); a → b 4, a → conversion 3 ("a" 2, "b > a" 1), a → null 3 (of 10); b → a 2, b → conversion
    2, b → null 2 (of 6); c → null 3. Conversion probabilities x solve x_a = 0.3 + 0.4 x_b,
    x_b = 1/3 + x_a / 3: x_a = (0.3 + 0.4/3) / (1 − 0.4/3) = (13/30) / (13/15) = 1/2, x_b = 1/2, x_c = 0,
    so P = (8 · 1/2 + 2 · 1/2) / 13 = 5/13 (5 of the 13 journeys convert).
    Without a: x_b = 1/3 (b → a now ends), P₋a = 2/3 / 13 = 2/39, RE_a = 1 − (2/39) / (5/13) = 13/15.
    Without b: x_a = 0.3, P₋b = 2.4 / 13, RE_b = 1 − 2.4/5 = 13/25. Without c: P unchanged, RE_c = 0.
    Shares: Σ RE = 13/15 + 13/25 = 104/75, so a 65/104 = 5/8, b 39/104 = 3/8, c 0; removal
    conversions 5 · 5/8 = 3.125 and 5 · 3/8 = 1.875."""
    effects = markov_removal_effects(hand_paths()).set_index("channel")
    assert list(effects.index) == ["a", "b", "c"]
    assert effects["conversion_probability"].to_numpy() == pytest.approx([5 / 13] * 3)
    assert effects["conversion_probability_without"].to_numpy() == pytest.approx([2 / 39, 2.4 / 13, 5 / 13])
    assert effects["removal_effect"].to_numpy() == pytest.approx([13 / 15, 13 / 25, 0], abs=1e-12)
    assert effects["removal_effect_share"].to_numpy() == pytest.approx([5 / 8, 3 / 8, 0], abs=1e-12)
    assert effects["removal_conversions"].to_numpy() == pytest.approx([3.125, 1.875, 0], abs=1e-12)
    assert effects["journeys"].tolist() == [10, 6, 3]
    assert effects["converting_journeys"].tolist() == [5, 3, 0]


def test_markov_transitions_on_the_hand_worked_path_set():
    transitions = markov_transitions(hand_paths())
    got = {
        (f, t): p
        for f, t, p in transitions[["channel_from", "channel_to", "transition_probability"]].itertuples(index=False)
    }
    expected = {
        ("(start)", "a"): 8 / 13,
        ("(start)", "b"): 2 / 13,
        ("(start)", "c"): 3 / 13,
        ("a", "b"): 0.4,
        ("a", "(conversion)"): 0.3,
        ("a", "(null)"): 0.3,
        ("b", "a"): 1 / 3,
        ("b", "(conversion)"): 1 / 3,
        ("b", "(null)"): 1 / 3,
        ("c", "(null)"): 1.0,
    }
    assert got.keys() == expected.keys()
    for key, probability in expected.items():
        assert got[key] == pytest.approx(probability), key


def test_repeats_are_one_visit_and_paths_can_be_split_over_rows():
    """a > a > b converts like a > b (a self-loop only delays the walk); the same path on two rows
    counts like one row with the sum."""
    collapsed = pd.DataFrame({"path": ["a > b", "b"], "conversions": [3, 1], "non_conversions": [1, 4]})
    repeated = pd.DataFrame(
        {"path": ["a > a > b", "a > b > b", "b > b", "b"], "conversions": [2, 1, 1, 0], "non_conversions": [0, 1, 2, 2]}
    )
    pd.testing.assert_frame_equal(markov_removal_effects(collapsed), markov_removal_effects(repeated))


def test_no_conversion_means_no_removal_effect():
    paths = pd.DataFrame({"path": ["a > b", "b"], "conversions": [0, 0], "non_conversions": [3, 1]})
    effects = markov_removal_effects(paths)
    assert (effects["removal_effect"] == 0).all() and (effects["removal_effect_share"] == 0).all()
    assert markov_removal_effects(paths.iloc[0:0]).empty


def random_paths(seed: int, journeys: int = 400, channels: str = "abcdef") -> pd.DataFrame:
    """Random journeys of 1 to 5 touches (revisits and cycles included); a on a path raises its
    conversions."""
    rng = np.random.default_rng(seed)
    weights = np.array([0.3, 0.25, 0.15, 0.12, 0.1, 0.08])[: len(channels)]
    totals: dict[str, list[int]] = {}
    for _ in range(journeys):
        touched = rng.choice(list(channels), int(rng.integers(1, 6)), p=weights / weights.sum())
        path = " > ".join(touched)
        counts = totals.setdefault(path, [0, 0])
        counts[0] += int(rng.poisson(1.0 + 0.5 * list(touched).count("a")))
        counts[1] += int(rng.poisson(2.0))
    frame = pd.DataFrame(
        [(p, c, n) for p, (c, n) in totals.items()], columns=["path", "conversions", "non_conversions"]
    )
    frame["channel_set"] = [" + ".join(sorted(set(p.split(" > ")))) for p in frame["path"]]
    return frame[frame["conversions"] + frame["non_conversions"] > 0].reset_index(drop=True)


def iterated_removal_effects(paths: pd.DataFrame) -> dict[str, float]:
    """Independent of the module: the chain as dictionaries of counts (repeats dropped with
    itertools.groupby), absorption probabilities by fixed-point iteration x ← r + Q x until it moves
    less than 1e-15, rather than a linear solve."""
    counts: dict[str, dict[str, float]] = {}
    for path, conversions, non_conversions in paths[["path", "conversions", "non_conversions"]].itertuples(index=False):
        walk = ["(start)", *(k for k, _ in itertools.groupby(c.strip() for c in path.split(">")))]
        for a, b in itertools.pairwise(walk):
            counts.setdefault(a, {}).setdefault(b, 0.0)
            counts[a][b] += conversions + non_conversions
        ends = counts.setdefault(walk[-1], {})
        ends["(conversion)"] = ends.get("(conversion)", 0.0) + conversions
        ends["(null)"] = ends.get("(null)", 0.0) + non_conversions
    probabilities = {a: {b: n / sum(row.values()) for b, n in row.items()} for a, row in counts.items()}

    def p_conversion(removed: str | None) -> float:
        x = dict.fromkeys(probabilities, 0.0)
        while True:
            new = {
                a: sum(
                    p * (1.0 if b == "(conversion)" else 0.0 if b in ("(null)", removed) else x[b])
                    for b, p in row.items()
                )
                for a, row in probabilities.items()
            }
            if max(abs(new[a] - x[a]) for a in x) < 1e-15:
                return new["(start)"]
            x = new

    total = p_conversion(None)
    return {c: 1 - p_conversion(c) / total for c in sorted(probabilities) if c != "(start)"}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_markov_matches_an_independent_fixed_point_iteration(seed):
    paths = random_paths(seed)
    effects = markov_removal_effects(paths).set_index("channel")["removal_effect"]
    expected = iterated_removal_effects(paths)
    assert list(effects.index) == list(expected)
    assert effects.to_numpy() == pytest.approx(list(expected.values()), abs=1e-10)


# ------------------------------------------------------------------------- ChannelAttribution 2.2.x


@pytest.fixture(scope="module")
def channel_attribution():
    return pytest.importorskip("ChannelAttribution")


def channel_attribution_markov(module, paths: pd.DataFrame) -> dict:
    # max_step: by default ChannelAttribution cuts every simulated walk at the longest observed
    # path, which biases the effects down where the chain has cycles (by 0.02–0.03 on random_paths);
    # with a high cap its simulation estimates the exact chain
    return module.markov_model(
        paths,
        "path",
        "conversions",
        var_null="non_conversions",
        out_more=True,
        verbose=False,
        flg_pro=False,
        nsim_start=1e6,
        max_step=1000,
        seed=1,
    )


@pytest.mark.parametrize("paths", [hand_paths(), random_paths(1), random_paths(4)], ids=["hand", "random1", "random4"])
def test_markov_matches_channel_attribution(channel_attribution, paths):
    """ChannelAttribution's markov_model (2.2.5): the same transition matrix exactly (it too drops
    self-transitions), and removal effects and total conversions within its simulation's error
    (1e6 simulated walks: about 0.002 on an effect)."""
    result = channel_attribution_markov(channel_attribution, paths)
    # markov_model numbers the channels; transition_matrix gives the numbering
    ids = channel_attribution.transition_matrix(paths, "path", "conversions", var_null="non_conversions")["channels"]
    names = dict(zip(ids["id_channel"].astype(str), ids["channel_name"], strict=True))
    theirs = result["transition_matrix"].assign(
        channel_from=lambda f: f["channel_from"].astype(str).map(lambda s: names.get(s, s)),
        channel_to=lambda f: f["channel_to"].astype(str).map(lambda s: names.get(s, s)),
    )
    theirs = theirs.set_index(["channel_from", "channel_to"])["transition_probability"].sort_index()
    ours = markov_transitions(paths).set_index(["channel_from", "channel_to"])["transition_probability"].sort_index()
    assert list(ours.index) == list(theirs.index)
    assert ours.to_numpy() == pytest.approx(theirs.to_numpy(), abs=1e-6)

    effects = markov_removal_effects(paths).set_index("channel")
    removal = result["removal_effects"].set_index("channel_name")["removal_effect"]
    assert effects["removal_effect"].to_numpy() == pytest.approx(removal.loc[effects.index].to_numpy(), abs=0.01)
    credited = result["result"].set_index("channel_name")["total_conversions"]
    assert effects["removal_conversions"].to_numpy() == pytest.approx(
        credited.loc[effects.index].to_numpy(), rel=0.02, abs=0.05
    )


# ------------------------------------------------------------------------------------------- Shapley


def test_shapley_values_on_the_hand_worked_path_set():
    """Conversions by exact channel set: r_{a} = 2, r_{a,b} = 3 ("a > b" 2 and "b > a" 1); {c} has none,
    so it is no coalition. Set {a}: v = 2, φ_a = 2, share 1. Set {a, b}: v({a,b}) = r_a + r_b + r_ab = 5;
    orders a-then-b: a adds v({a}) = 2, b adds 5 − 2 = 3; b-then-a: b adds v({b}) = 0, a adds 5; so
    φ_a = (2 + 5)/2 = 3.5 = r_a + r_ab/2, φ_b = (3 + 0)/2 = 1.5 = r_ab/2; shares 0.7 and 0.3."""
    values = shapley_values(hand_paths())
    assert values.to_dict("records") == [
        {
            "channel_set": "a",
            "channel": "a",
            "channels": 1,
            "set_conversions": 2,
            "coalition_worth": 2,
            "shapley_value": 2.0,
            "shapley_share": 1.0,
        },
        {
            "channel_set": "a + b",
            "channel": "a",
            "channels": 2,
            "set_conversions": 3,
            "coalition_worth": 5,
            "shapley_value": 3.5,
            "shapley_share": 0.7,
        },
        {
            "channel_set": "a + b",
            "channel": "b",
            "channels": 2,
            "set_conversions": 3,
            "coalition_worth": 5,
            "shapley_value": 1.5,
            "shapley_share": pytest.approx(0.3),
        },
    ]


def subset_formula_shapley(conversions: dict[frozenset, int], coalition: frozenset) -> dict[str, Fraction]:
    """Independent of the module: Shapley's own formula φ_j = Σ_{S ⊆ T∖j} |S|!(|T|−|S|−1)!/|T|! ·
    (v(S ∪ j) − v(S)) with v(S) = Σ_{U ⊆ S} r_U, in exact fractions."""

    def worth(members: frozenset) -> int:
        return sum(r for u, r in conversions.items() if u <= members)

    n = len(coalition)
    values = {}
    for j in coalition:
        others = sorted(coalition - {j})
        values[j] = sum(
            (
                Fraction(math.factorial(k) * math.factorial(n - k - 1), math.factorial(n))
                * (worth(frozenset(s) | {j}) - worth(frozenset(s)))
                for k in range(n)
                for s in itertools.combinations(others, k)
            ),
            Fraction(0),
        )
    return values


@pytest.mark.parametrize("seed", [1, 5])
def test_shapley_matches_the_subset_formula(seed):
    paths = random_paths(seed, channels="abcde")
    conversions: dict[frozenset, int] = {}
    for channel_set, converted in paths[["channel_set", "conversions"]].itertuples(index=False):
        key = frozenset(channel_set.split(" + "))
        conversions[key] = conversions.get(key, 0) + converted
    conversions = {k: r for k, r in conversions.items() if r > 0}
    values = shapley_values(paths)
    assert set(values["channel_set"].map(lambda s: frozenset(s.split(" + ")))) == set(conversions)
    for channel_set, group in values.groupby("channel_set"):
        expected = subset_formula_shapley(conversions, frozenset(channel_set.split(" + ")))
        got = group.set_index("channel")
        for channel, value in expected.items():
            assert got.loc[channel, "shapley_value"] == pytest.approx(float(value), abs=1e-9)
        assert got["shapley_share"].sum() == pytest.approx(1.0)
        assert (got["shapley_share"] >= 0).all()
        assert got["coalition_worth"].iloc[0] == sum(expected.values())


def test_data_driven_results_do_not_depend_on_the_order_of_the_paths():
    """A table's rows come in no fixed order: the same paths shuffled give bit-identical Shapley values
    and removal effects (a plain float sum in arrival order once moved a demo credit by 1e-12)."""
    paths = random_paths(5, channels="abcdef")
    shuffled = paths.sample(frac=1.0, random_state=3).reset_index(drop=True)
    pd.testing.assert_frame_equal(shapley_values(shuffled), shapley_values(paths), check_exact=True)
    pd.testing.assert_frame_equal(markov_removal_effects(shuffled), markov_removal_effects(paths), check_exact=True)


# ------------------------------------------------------------------------------------------ the demo


def demo_frame(db, sql: str) -> pd.DataFrame:
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).df()


def test_demo_data_driven_totals_equal_the_heuristic_totals_exactly(demo):
    rows = query(
        demo.db,
        """
        select attribution_model, sum(conversions), sum(revenue)
        from mart_channel_attribution group by attribution_model""",
    )
    totals = {model: (conversions, revenue) for model, conversions, revenue in rows}
    orders, revenue = query(demo.db, "select count(*), sum(revenue) from stg_orders where status = 'completed'")[0]
    assert {"markov", "shapley"} <= set(totals)
    for model in totals:
        assert totals[model] == totals["first_touch"], model
    # decimals, summed exactly
    assert totals["markov"] == (orders, revenue)


def test_demo_removal_effects_recomputed_from_the_channel_paths(demo):
    """The chain rebuilt with numpy from int_channel_paths (pandas explode; repeats dropped where a
    channel equals the one before it) and absorbed by matrix powers of the full stochastic matrix,
    (conversion) and (null) absorbing, instead of a linear solve."""
    paths = demo_frame(demo.db, "select path, conversions, non_conversions from int_channel_paths")
    steps = paths.assign(channel=paths["path"].str.split(" > "), journey=range(len(paths))).explode("channel")
    steps = steps[steps["channel"] != steps.groupby("journey")["channel"].shift()]
    steps["next"] = steps.groupby("journey")["channel"].shift(-1)
    steps["weight"] = steps["conversions"] + steps["non_conversions"]
    channels = sorted(steps["channel"].unique())
    states = ["(start)", *channels, "(conversion)", "(null)"]
    at = {s: i for i, s in enumerate(states)}
    counts = np.zeros((len(states), len(states)))
    firsts = steps.groupby("journey").head(1)
    np.add.at(counts, (0, firsts["channel"].map(at).to_numpy()), firsts["weight"].to_numpy())
    inner = steps[steps["next"].notna()]
    np.add.at(counts, (inner["channel"].map(at).to_numpy(), inner["next"].map(at).to_numpy()), inner["weight"])
    lasts = steps[steps["next"].isna()]
    np.add.at(counts, (lasts["channel"].map(at).to_numpy(), at["(conversion)"]), lasts["conversions"].to_numpy())
    np.add.at(counts, (lasts["channel"].map(at).to_numpy(), at["(null)"]), lasts["non_conversions"].to_numpy())
    counts[at["(conversion)"], at["(conversion)"]] = counts[at["(null)"], at["(null)"]] = 1

    def p_conversion(removed: str | None) -> float:
        matrix = counts.copy()
        if removed is not None:
            matrix[:, at["(null)"]] += matrix[:, at[removed]]
            matrix[:, at[removed]] = 0
        matrix = matrix / matrix.sum(axis=1, keepdims=True)
        return float(np.linalg.matrix_power(matrix, 4096)[0, at["(conversion)"]])

    total = p_conversion(None)
    expected = pd.Series({c: 1 - p_conversion(c) / total for c in channels})
    mart = demo_frame(demo.db, "select * from mart_markov_removal_effects").set_index("channel").sort_index()
    assert list(mart.index) == list(expected.index)
    assert mart["removal_effect"].to_numpy() == pytest.approx(expected.to_numpy(), abs=1e-9)
    assert mart["conversion_probability"].to_numpy() == pytest.approx(total, abs=1e-12)
    assert mart["removal_effect_share"].sum() == pytest.approx(1.0)


def test_demo_credits_follow_the_removal_effects_and_shapley_shares(demo):
    """Each channel's markov and shapley conversions recomputed in pandas from the orders' touches:
    a channel's weight within the order (removal-effect share renormalised over the order's
    channels; the order's channel set's Shapley share), summed over orders. Equal to the mart within
    the largest-remainder rounding (1e-12 a touch)."""
    touches = demo_frame(demo.db, "select order_id, channel, touches from int_order_touches")
    shares = demo_frame(demo.db, "select channel, removal_effect_share from mart_markov_removal_effects")
    shapley = demo_frame(demo.db, "select channel_set, channel, shapley_share from mart_shapley_values")
    credited = (
        demo_frame(
            demo.db,
            """
        select attribution_model, channel, sum(conversions) as conversions
        from mart_channel_attribution where attribution_model in ('markov', 'shapley') group by all""",
        )
        .set_index(["attribution_model", "channel"])["conversions"]
        .astype(float)
    )

    channels = touches[touches["touches"] > 0].drop_duplicates(["order_id", "channel"])
    markov = channels.merge(shares, on="channel")
    assert (markov.groupby("order_id")["removal_effect_share"].sum() > 0).all()
    markov["weight"] = markov["removal_effect_share"] / markov.groupby("order_id")["removal_effect_share"].transform(
        "sum"
    )
    sets = channels.groupby("order_id")["channel"].agg(lambda c: " + ".join(sorted(c))).rename("channel_set")
    by_set = channels.join(sets, on="order_id").merge(shapley, on=["channel_set", "channel"], how="left")
    assert by_set["shapley_share"].notna().all(), "every touched order's channel set has Shapley shares"
    untouched = (touches["touches"] == 0).sum()

    for model, weights in [
        ("markov", markov.groupby("channel")["weight"].sum()),
        ("shapley", by_set.groupby("channel")["shapley_share"].sum()),
    ]:
        expected = weights.copy()
        expected["(none)"] = expected.get("(none)", 0.0) + untouched
        got = credited.loc[model].reindex(expected.index).fillna(0)
        assert got.to_numpy() == pytest.approx(expected.to_numpy(), abs=1e-6), model
