"""Data-driven attribution over channel paths: Markov-chain removal effects and Shapley values.

Input is path-level, prepared in SQL (int_channel_paths): one row per distinct path with `path` (the
channels in touch order joined with PATH_SEPARATOR), `channel_set` (its distinct channels in
ascending order joined with SET_SEPARATOR), `conversions` and `non_conversions` (journeys with that
path that did / did not end in a completed order). Outputs are plain DataFrames; nothing here knows
about dbt.

Markov (Anderl, Becker, von Wangenheim & Schumann 2016, "Mapping the customer journey: Lessons
learned from graph-based online attribution modeling", IJRM 33(3)), first order: every journey is a
walk (start) → c1 → … → ck → (conversion) or (null), and the transition probabilities are the
walks' transition counts, each row divided by its total. Consecutive repeats of a channel are one
visit (email > email > direct is email > direct): ChannelAttribution's markov_model drops the
self-transitions too, and they leave every absorption probability unchanged (a self-loop only
delays the walk). The conversion probability P is the probability that the chain started in (start)
is absorbed in (conversion): with Q the transitions among the transient states ((start) and the
channels) and r the one-step conversion probabilities, the absorption probabilities b solve
(I − Q) b = r (Kemeny & Snell's fundamental matrix; solved exactly, not simulated). Removing channel
c sends every transition into c to (null) (Anderl et al.'s removal: column c of Q set to 0), giving
P₋c; the removal effect is RE_c = 1 − P₋c / P, and a channel's share RE_c / Σ RE. ChannelAttribution
credits total conversions × share to each channel (`removal_conversions`).

Shapley (Zhao, Mahboobi & Bagheri 2018, "Shapley value methods for attribution modeling in online
advertising", arXiv:1804.05327): r_T = conversions of paths whose channel set is exactly T, and the
coalition worth v(S) = Σ_{T ⊆ S} r_T, the conversions of journeys that touched only channels of S
(Zhao et al.'s characteristic function). The literal v(S) = r_S is not monotone: a channel could then
get a negative value (v({a, b}) < v({a})), which cannot be a share of an order. v is a sum of
unanimity games r_T · u_T (u_T(S) = 1 when T ⊆ S), whose Shapley value gives 1/|T| to each member of
T, so in the game played by the channels of an order's set T the value of channel j ∈ T is

    φ_j(T) = Σ_{U ⊆ T, j ∈ U} r_U / |U|,    Σ_j φ_j(T) = v(T)

(Zhao et al.'s simplified formula, on the sub-game of T), and an order with channel set T gives j
the share φ_j(T) / v(T): how much of what T's channels convert, alone and in smaller combinations,
is j's.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict

import numpy as np
import pandas as pd

PATH_SEPARATOR = " > "
SET_SEPARATOR = " + "
START = "(start)"
CONVERSION = "(conversion)"
NULL = "(null)"

TRANSITION_COLUMNS = {
    "channel_from": "string",
    "channel_to": "string",
    "transitions": "float64",
    "transition_probability": "float64",
}
REMOVAL_EFFECT_COLUMNS = {
    "channel": "string",
    "journeys": "int64",
    "converting_journeys": "int64",
    "conversion_probability": "float64",
    "conversion_probability_without": "float64",
    "removal_effect": "float64",
    "removal_effect_share": "float64",
    "removal_conversions": "float64",
}
SHAPLEY_COLUMNS = {
    "channel_set": "string",
    "channel": "string",
    "channels": "int64",
    "set_conversions": "int64",
    "coalition_worth": "int64",
    "shapley_value": "float64",
    "shapley_share": "float64",
}


def _typed(rows: list[tuple], columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(columns)).astype(columns)


def split_path(path: str) -> list[str]:
    """The channels of a path, consecutive repeats made one visit (a > a > b > a: a, b, a)."""
    channels = [channel.strip() for channel in str(path).split(PATH_SEPARATOR.strip()) if channel.strip()]
    return [channel for i, channel in enumerate(channels) if i == 0 or channel != channels[i - 1]]


def _walks(paths: pd.DataFrame) -> list[tuple[list[str], float, float]]:
    walks = []
    for path, conversions, non_conversions in zip(
        paths["path"], paths["conversions"], paths["non_conversions"], strict=True
    ):
        channels = split_path(path)
        if channels and conversions + non_conversions > 0:
            walks.append((channels, float(conversions), float(non_conversions)))
    return walks


def _transition_counts(walks: list[tuple[list[str], float, float]]) -> tuple[list[str], np.ndarray]:
    """Channels (ascending) and the transition counts: rows (start) then the channels, columns the
    same states then (conversion) and (null)."""
    channels = sorted({channel for walk, _, _ in walks for channel in walk})
    index = {channel: i + 1 for i, channel in enumerate(channels)}
    states = len(channels) + 1
    counts = np.zeros((states, states + 2))
    for walk, conversions, non_conversions in walks:
        visited = [0, *(index[channel] for channel in walk)]
        for a, b in itertools.pairwise(visited):
            counts[a, b] += conversions + non_conversions
        counts[visited[-1], states] += conversions
        counts[visited[-1], states + 1] += non_conversions
    return channels, counts


def _probabilities(counts: np.ndarray) -> np.ndarray:
    totals = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, totals, out=np.zeros_like(counts), where=totals > 0)


def conversion_probability(q: np.ndarray, r: np.ndarray) -> float:
    """P(absorbed in conversion | start in state 0) for the transient-to-transient probabilities
    `q` and the one-step conversion probabilities `r`: (I − Q) b = r solved for b, b[0]."""
    return float(np.linalg.solve(np.eye(len(q)) - q, r)[0])


def markov_transitions(paths: pd.DataFrame) -> pd.DataFrame:
    """The first-order transition matrix of the paths, one row per observed transition: from (start)
    or a channel to a channel, (conversion) or (null), with its count (journeys) and probability.
    Self-transitions are dropped (as in ChannelAttribution's markov_model)."""
    channels, counts = _transition_counts(_walks(paths))
    probabilities = _probabilities(counts)
    names = [START, *channels, CONVERSION, NULL]
    rows = [
        (names[a], names[b], counts[a, b], probabilities[a, b])
        for a in range(counts.shape[0])
        for b in range(counts.shape[1])
        if counts[a, b] > 0
    ]
    return _typed(rows, TRANSITION_COLUMNS)


def markov_removal_effects(paths: pd.DataFrame) -> pd.DataFrame:
    """One row per channel of the paths: the chain's conversion probability P, P₋c without the channel,
    the removal effect 1 − P₋c / P, its share of all channels' removal effects, and total conversions ×
    share (ChannelAttribution's total_conversions). With no conversion every effect is 0."""
    walks = _walks(paths)
    channels, counts = _transition_counts(walks)
    probabilities = _probabilities(counts)
    states = len(channels) + 1
    q, r = probabilities[:, :states], probabilities[:, states]
    total = conversion_probability(q, r) if channels else 0.0
    journeys: dict[str, float] = defaultdict(float)
    converting: dict[str, float] = defaultdict(float)
    for walk, conversions, non_conversions in walks:
        for channel in set(walk):
            journeys[channel] += conversions + non_conversions
            converting[channel] += conversions
    without, effects = [], []
    for i in range(1, states):
        removed = q.copy()
        removed[:, i] = 0.0  # every transition into the channel now ends in (null)
        p_without = conversion_probability(removed, r)
        without.append(p_without)
        effects.append(float(np.clip(1.0 - p_without / total, 0.0, 1.0)) if total > 0 else 0.0)
    effect_sum = sum(effects)
    shares = [effect / effect_sum if effect_sum > 0 else 0.0 for effect in effects]
    total_conversions = sum(conversions for _, conversions, _ in walks)
    rows = [
        (
            channel,
            round(journeys[channel]),
            round(converting[channel]),
            total,
            without[i],
            effects[i],
            shares[i],
            total_conversions * shares[i],
        )
        for i, channel in enumerate(channels)
    ]
    return _typed(rows, REMOVAL_EFFECT_COLUMNS)


def shapley_values(paths: pd.DataFrame) -> pd.DataFrame:
    """One row per channel set T with conversions (r_T > 0) and channel j in it: the Shapley value
    φ_j(T) = Σ_{U ⊆ T, j ∈ U} r_U / |U| of the game v(S) = Σ_{U ⊆ S} r_U played by T's channels, and
    j's share φ_j(T) / v(T) of an order with channel set T (module docstring)."""
    conversions: dict[frozenset[str], int] = defaultdict(int)
    keys: dict[frozenset[str], str] = {}
    for channel_set, converted in zip(paths["channel_set"], paths["conversions"], strict=True):
        members = frozenset(c.strip() for c in str(channel_set).split(SET_SEPARATOR.strip()) if c.strip())
        if members and converted > 0:
            conversions[members] += int(converted)
            keys.setdefault(members, str(channel_set))
    rows = []
    for coalition in sorted(conversions, key=lambda members: keys[members]):
        subsets = [(members, r) for members, r in conversions.items() if members <= coalition]
        worth = sum(r for _, r in subsets)
        for channel in sorted(coalition):
            # fsum: correctly rounded, so the value does not depend on the order the paths arrive in
            value = math.fsum(r / len(members) for members, r in subsets if channel in members)
            rows.append((keys[coalition], channel, len(coalition), conversions[coalition], worth, value, value / worth))
    return _typed(rows, SHAPLEY_COLUMNS)
