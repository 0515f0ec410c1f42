"""The simulation: one chunk of acquired customers (and the customers they refer) drawn with its own random
stream, as numpy columns with chunk-local owner indices; and the planted activity-cost parameters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from journey_metrics.generate import world

# ================================================================================================== array helpers


def _group_starts(counts: np.ndarray) -> np.ndarray:
    starts = np.zeros(counts.size, dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    return starts


def _rank_in_group(counts: np.ndarray) -> np.ndarray:
    """0, 1, ... within each run of a np.repeat(..., counts) array."""
    total = int(counts.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(_group_starts(counts), counts)


def _lognormal(
    rng: np.random.Generator, median: np.ndarray | float, sigma: float, minimum: int, size: int
) -> np.ndarray:
    """Log-normal durations in whole seconds, at least `minimum`."""
    return np.maximum(minimum, rng.lognormal(np.log(median), sigma, size)).astype(np.int64)


def _uniform_between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Whole seconds uniformly in [lo, hi) (hi > lo)."""
    return lo + (rng.random(lo.size) * (hi - lo)).astype(np.int64)


def _burst_times(
    rng: np.random.Generator, owner: np.ndarray, lo: np.ndarray, hi: np.ndarray, anchor_first: bool = False
) -> np.ndarray:
    """Times in [lo, hi) for events grouped by owner (owner non-decreasing; lo < hi per event).

    Events come in visits: an event either starts a new visit at a uniform time in the window or continues the
    previous visit of the same owner a few minutes later, so sessions hold several events. With
    `anchor_first`, each owner's first event is at lo.
    """
    n = owner.size
    if n == 0:
        return np.empty(0, dtype=np.int64)
    first = np.ones(n, dtype=bool)
    first[1:] = owner[1:] != owner[:-1]
    new_visit = first | (rng.random(n) >= world.BURST_CONTINUE_P)
    start = _uniform_between(rng, lo, hi)
    if anchor_first:
        start = np.where(first, lo, start)
    gap = np.where(new_visit, 0, 1 + rng.exponential(world.BURST_GAP_MEAN, n)).astype(np.int64)
    visit_start = np.flatnonzero(new_visit)
    visit = np.cumsum(new_visit) - 1
    elapsed = np.cumsum(gap)
    offset = elapsed - elapsed[visit_start][visit]
    return np.minimum(start[visit_start][visit] + offset, hi - 1)


def _sample_context(rng: np.random.Generator, event_type: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    u = np.minimum(rng.random(event_type.size), 1 - 1e-9)
    k = np.searchsorted(world.CONTEXT_CUM, event_type + u, side="right")
    return world.CONTEXT_CHANNEL[k], world.CONTEXT_TOUCHPOINT[k]


def _choice(rng: np.random.Generator, codes: np.ndarray, p: np.ndarray, size: int) -> np.ndarray:
    return codes[rng.choice(codes.size, size=size, p=p)]


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def take(columns: dict[str, np.ndarray], index: np.ndarray) -> dict[str, np.ndarray]:
    return {key: values[index] for key, values in columns.items()}


# ================================================================================================== simulation


def _draw_signups(rng: np.random.Generator, cal: world.Calendar, n: int) -> np.ndarray:
    """Sign-up instants: seasonal (Nov/Dec boost), fewer at weekends, slowly growing, daytime-heavy."""
    day0 = cal.start // world.DAY
    day = np.arange(cal.n_days, dtype=np.int64)
    month = (day0 + day).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12 + 1
    weekday = (day0 + day + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    weight = np.array([world.SEASON_BOOST.get(int(m), 1.0) for m in range(1, 13)])[month - 1]
    weight = (
        weight * np.where(weekday >= 5, world.WEEKEND_FACTOR, 1.0) * (1 + world.GROWTH_OVER_PERIOD * day / cal.n_days)
    )
    chosen_day = rng.choice(cal.n_days, size=n, p=weight / weight.sum())
    hour = rng.choice(24, size=n, p=world.HOUR_WEIGHTS / world.HOUR_WEIGHTS.sum())
    return (day0 + chosen_day) * world.DAY + hour * world.HOUR + rng.integers(0, world.HOUR, n)


def _new_people(
    rng: np.random.Generator,
    created: np.ndarray,
    acquisition: np.ndarray,
    country: np.ndarray,
    referrer: np.ndarray,
    generation: int,
) -> dict[str, np.ndarray]:
    n = created.size
    return {
        "created": created.astype(np.int64),
        "segment": rng.choice(len(world.SEGMENTS), size=n, p=world.SEGMENT_SHARES),
        "acquisition": acquisition.astype(np.int64),
        "country": country.astype(np.int64),
        "referrer": referrer.astype(np.int64),
        "generation": np.full(n, generation, dtype=np.int64),
    }


def _acquired_people(rng: np.random.Generator, cal: world.Calendar, n: int) -> dict[str, np.ndarray]:
    created = np.sort(_draw_signups(rng, cal, n))
    acquisition = _choice(rng, world.ACQUISITION_CODES, world.ACQUISITION_P, n)
    country = rng.choice(len(world.COUNTRIES), size=n, p=world.COUNTRY_P)
    return _new_people(rng, created, acquisition, country, np.full(n, -1), 0)


def _simulate_journeys(
    rng: np.random.Generator, cal: world.Calendar, people: dict[str, np.ndarray], first_index: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Latent journey of one generation of customers: stage flags and times, purchases and referrals.

    Times are epoch seconds; `cal.end` stands for "never". Owner indices are chunk-local (first_index + i).
    Returns (people with latent columns, repeat purchases, referrals).
    """
    n, end = people["created"].size, cal.end
    seg, created = people["segment"], people["created"]

    # consideration and decision
    t_consider = created + _lognormal(rng, world.SEGMENTS_CONSIDER_DELAY[seg], 1.0, world.MINUTE, n)
    considered = (rng.random(n) < world.P_CONSIDER[seg]) & (t_consider < end - world.MIN_ROOM_TO_CONSIDER)
    t_first = t_consider + _lognormal(rng, world.SEGMENTS_DECIDE_DELAY[seg], 1.0, world.HOUR, n)
    decided = considered & (rng.random(n) < world.P_DECIDE[seg]) & (t_first < end - world.MINUTE)
    browse_span = _lognormal(rng, world.SEGMENTS_BROWSE_SPAN[seg], 0.8, world.HOUR, n)
    t_consider = np.where(considered, t_consider, end)
    t_first = np.where(decided, t_first, end)
    t_browse_end = np.where(decided, t_first - world.CHECKOUT_LEAD, np.minimum(t_consider + browse_span, end - 1))

    # repeat purchases (modified BG/NBD): Poisson process while alive, dropout after each purchase
    rate_per_day = rng.gamma(world.BG_R[seg], 1.0 / world.BG_ALPHA[seg])
    p_dropout = np.clip(rng.beta(world.BG_A[seg], world.BG_B[seg]), 1e-6, 1.0)
    purchases_alive = rng.geometric(p_dropout)  # drops out right after this many purchases
    nu = rng.gamma(world.GG_Q[seg], 1.0 / world.GG_GAMMA[seg])
    nu = nu / _value_uplift(people["referrer"])  # the planted referral uplift: higher order values
    window = np.where(decided, end - 1 - t_first, 0)
    candidates = rng.poisson(rate_per_day * window / world.DAY)
    cand_owner = np.repeat(np.arange(n), candidates)
    cand_t = t_first[cand_owner] + 1 + (rng.random(cand_owner.size) * window[cand_owner]).astype(np.int64)
    cand_t = cand_t[np.lexsort((cand_t, cand_owner))]
    keep = _rank_in_group(candidates) < (purchases_alive - 1)[cand_owner]
    repeat_owner, repeat_t = cand_owner[keep], cand_t[keep]
    n_repeat = np.minimum(candidates, purchases_alive - 1)
    repeat_start = _group_starts(n_repeat)
    retained = n_repeat >= 1
    padded = np.append(repeat_t, end)  # safe indexing for customers without repeats
    t_ret = np.where(retained, padded[np.minimum(repeat_start, repeat_t.size)], end)
    dropped = decided & (purchases_alive <= candidates + 1)
    t_last_purchase = np.where(n_repeat > 0, padded[np.maximum(repeat_start + n_repeat - 1, 0)], t_first)
    t_drop = np.where(dropped, t_last_purchase, end)

    # advocacy: the loyalty claim that triggers the first referral
    advocate = retained & (rng.random(n) < world.P_ADVOCATE[seg]) & (t_ret < end - world.HOUR)
    room = end - t_ret
    trigger_gap = np.minimum(rng.exponential(world.TRIGGER_DELAY_MEAN_DAYS * world.DAY, n), room // 2).astype(np.int64)
    t_trigger = np.where(advocate, t_ret + world.MINUTE + trigger_gap, end)

    referrals = _simulate_referrals(rng, cal, advocate, t_ret, t_trigger, first_index)
    state = {
        **people,
        "considered": considered,
        "decided": decided,
        "retained": retained,
        "advocate": advocate,
        "alive_at_end": decided & ~dropped,
        "t_consider": t_consider,
        "t_browse_end": t_browse_end,
        "t_first": t_first,
        "t_ret": t_ret,
        "t_drop": t_drop,
        "t_trigger": t_trigger,
        "nu": nu,
    }
    repeats = {"owner": repeat_owner + first_index, "t": repeat_t}
    return state, repeats, referrals


def _simulate_referrals(
    rng: np.random.Generator,
    cal: world.Calendar,
    advocate: np.ndarray,
    t_ret: np.ndarray,
    t_trigger: np.ndarray,
    first_index: int,
) -> dict[str, np.ndarray]:
    """Advocates' referrals: 1-3 each after retention, the first within 0-7 days of the loyalty claim with
    probability world.TRIGGER_P; every other referral avoids the 14-day window after that claim."""
    n, end = advocate.size, cal.end
    sizes = np.array(list(world.REFERRALS_PER_ADVOCATE))
    count = np.where(advocate, sizes[rng.choice(sizes.size, size=n, p=list(world.REFERRALS_PER_ADVOCATE.values()))], 0)
    sender = np.repeat(np.arange(n), count)
    m = sender.size
    first = _rank_in_group(count) == 0
    triggered = first & (rng.random(m) < world.TRIGGER_P)
    claim, retained_at = t_trigger[sender], t_ret[sender]
    lag_room = np.maximum(np.minimum(world.TRIGGER_LAG_DAYS * world.DAY, end - 1 - claim) - world.MINUTE, 1)
    sent_triggered = claim + world.MINUTE + (rng.random(m) * lag_room).astype(np.int64)
    before = claim - retained_at - 1  # seconds in (retained_at, claim)
    window_end = claim + world.TRIGGER_WINDOW_DAYS * world.DAY
    after = np.maximum(0, end - 1 - window_end)  # seconds in (window_end, end)
    x = (rng.random(m) * (before + after)).astype(np.int64)
    sent_other = np.where(x < before, retained_at + 1 + x, window_end + 1 + (x - before))
    sent = np.where(triggered, sent_triggered, sent_other)
    channel = rng.choice(len(world.REFERRAL_CHANNEL_NAMES), size=m, p=world.REFERRAL_CHANNEL_P)
    converted_at = sent + _lognormal(rng, world.REFERRAL_LAG_MEDIAN_HOURS * world.HOUR, 1.2, world.MINUTE, m)
    converted = (rng.random(m) < world.REFERRAL_CONVERSION_P) & (converted_at < end - world.MINUTE)
    return {
        "sender": sender + first_index,
        "sent": sent,
        "channel": channel,
        "triggered": triggered,
        "converted": converted,
        "converted_at": np.where(converted, converted_at, -1),
        "referred": np.full(m, -1, dtype=np.int64),
    }


def _simulate_population(rng: np.random.Generator, cal: world.Calendar, n_acquired: int):
    """Acquired customers, then the customers they refer, generation by generation."""
    people = _acquired_people(rng, cal, n_acquired)
    generations, repeats, referrals = [], [], []
    first_index = 0
    for generation in range(world.MAX_REFERRAL_GENERATIONS + 1):
        state, rep, ref = _simulate_journeys(rng, cal, people, first_index)
        generations.append(state)
        repeats.append(rep)
        referrals.append(ref)
        first_index += state["created"].size
        converted = np.flatnonzero(ref["converted"])
        if converted.size == 0:
            break
        if generation == world.MAX_REFERRAL_GENERATIONS:  # cascade cut off: the last referrals stay unconverted
            ref["converted"][:] = False
            ref["converted_at"][:] = -1
            break
        converted = converted[np.lexsort((ref["sender"][converted], ref["converted_at"][converted]))]
        ref["referred"][converted] = first_index + np.arange(converted.size)
        referrer = ref["sender"][converted]
        referrer_country = state["country"][referrer - (first_index - state["created"].size)]
        country = np.where(
            rng.random(converted.size) < world.REFERRED_SAME_COUNTRY_P,
            referrer_country,
            rng.choice(len(world.COUNTRIES), size=converted.size, p=world.COUNTRY_P),
        )
        people = _new_people(
            rng,
            ref["converted_at"][converted],
            np.full(converted.size, world.REFERRAL_CHANNEL_CODE),
            country,
            referrer,
            generation + 1,
        )
    return _concat(generations), _concat(repeats), _concat(referrals)


def _assign_experiment(
    rng: np.random.Generator, cal: world.Calendar, pop: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Customers retained before the experiment and still alive at its start get one cell (independent uniform
    levels) and one extra completed order in the metric window, revenue ~ Gamma around the cell mean. Their
    regular purchases pause during the window (see _build_orders), so the window holds exactly that order."""
    eligible = pop["retained"] & (pop["t_ret"] < cal.exp_start) & (pop["t_drop"] > cal.exp_start)
    owner = np.flatnonzero(eligible)
    k = owner.size
    assigned = cal.exp_start + (rng.random(k) * (cal.exp_end - cal.exp_start + 1)).astype(np.int64)
    levels = np.stack([rng.integers(0, size, k) for size in world.FACTOR_SIZES], axis=1) if k else np.zeros((0, 3), int)
    mean = world.EXPERIMENT_CELL_MEANS[levels @ world.EXPERIMENT_STRIDES] if k else np.zeros(0)
    sd = world.EXPERIMENT["revenue_sd"]
    revenue = rng.gamma((mean / sd) ** 2, sd**2 / np.maximum(mean, 1e-9)) if k else np.zeros(0)
    room = np.maximum(np.minimum(world.EXPERIMENT["metric_window_days"] * world.DAY, cal.end - 1 - assigned) - 1, 0)
    t_order = assigned + 1 + (rng.random(k) * room).astype(np.int64)
    return {
        "owner": owner,
        "assigned": assigned,
        "levels": levels.astype(np.int64),
        "t_order": t_order,
        "revenue_cents": np.maximum(world.MIN_ORDER_CENTS, np.rint(revenue * 100)).astype(np.int64),
    }


def _in_metric_window(n: int, experiment: dict[str, np.ndarray], owner: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Whether each (owner, t) falls in its owner's experiment metric window [assigned_at, + window]."""
    window_start = np.full(n, np.iinfo(np.int64).max // 2)
    window_start[experiment["owner"]] = experiment["assigned"]
    return (t >= window_start[owner]) & (t <= window_start[owner] + world.EXPERIMENT["metric_window_days"] * world.DAY)


def _value_uplift(referrer: np.ndarray) -> np.ndarray:
    """The factor the planted referral uplift multiplies each customer's order values by: 1 +
    world.REFERRAL_ORDER_VALUE_UPLIFT for a referred customer (one with a referrer), 1 for anyone else."""
    return np.where(referrer >= 0, 1.0 + world.REFERRAL_ORDER_VALUE_UPLIFT, 1.0)


def _cents(value: np.ndarray) -> np.ndarray:
    return np.maximum(world.MIN_ORDER_CENTS, np.rint(value * 100)).astype(np.int64)


def _order_values(
    rng: np.random.Generator, pop: dict[str, np.ndarray], owner: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Gamma-Gamma order values in cents, and the same orders' values without the planted referral uplift
    (a referred customer's value divided by 1 + uplift, the same draw: numpy's gamma scales one standard
    gamma draw by 1 / nu)."""
    value = rng.gamma(world.GG_P[pop["segment"][owner]], 1.0 / pop["nu"][owner])
    return _cents(value), _cents(value / _value_uplift(pop["referrer"][owner]))


def _build_orders(
    rng: np.random.Generator,
    cal: world.Calendar,
    pop: dict[str, np.ndarray],
    repeats: dict[str, np.ndarray],
    experiment: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    n, end = pop["created"].size, cal.end
    buyers = np.flatnonzero(pop["decided"])
    repeats = take(repeats, ~_in_metric_window(n, experiment, repeats["owner"], repeats["t"]))
    bgnbd_owner = np.concatenate([buyers, repeats["owner"]])
    owner = np.concatenate([bgnbd_owner, experiment["owner"]])
    t = np.concatenate([pop["t_first"][buyers], repeats["t"], experiment["t_order"]])
    regular, regular_without_uplift = _order_values(rng, pop, bgnbd_owner)
    revenue = np.concatenate([regular, experiment["revenue_cents"]])
    without_uplift = np.concatenate([regular_without_uplift, experiment["revenue_cents"]])
    status = np.full(owner.size, world.COMPLETED)

    # refunded / cancelled extras of buyers, after their first completed order
    extra = rng.poisson(world.EXTRA_ORDER_RATE * np.bincount(owner, minlength=n))
    x_owner = np.repeat(np.arange(n), extra)
    x_t = _uniform_between(rng, pop["t_first"][x_owner] + 1, np.full(x_owner.size, end))
    x_status = np.where(rng.random(x_owner.size) < world.REFUNDED_SHARE, world.REFUNDED, world.CANCELLED)

    # a cancelled order of some considerers who never decide, while they are still browsing
    c_mask = pop["considered"] & ~pop["decided"] & (pop["t_browse_end"] - pop["t_consider"] > 2)
    c_owner = np.flatnonzero(c_mask & (rng.random(n) < world.NON_DECIDER_CANCELLED_P))
    c_t = _uniform_between(rng, pop["t_consider"][c_owner] + 1, pop["t_browse_end"][c_owner])

    owner = np.concatenate([owner, x_owner, c_owner])
    t = np.concatenate([t, x_t, c_t])
    extra_values, extra_without_uplift = _order_values(rng, pop, np.concatenate([x_owner, c_owner]))
    revenue = np.concatenate([revenue, extra_values])
    without_uplift = np.concatenate([without_uplift, extra_without_uplift])
    status = np.concatenate([status, x_status, np.full(c_owner.size, world.CANCELLED)])
    cogs = np.rint(revenue * rng.uniform(*world.COGS_SHARE_RANGE, owner.size)).astype(np.int64)
    return {
        "owner": owner,
        "t": t,
        "revenue_cents": revenue,
        "revenue_without_uplift_cents": without_uplift,
        "cogs_cents": cogs,
        "cogs_valid": rng.random(owner.size) >= world.COGS_MISSING_P,
        "status": status,
        "offset_min": _draw_offsets(rng, owner.size),
    }


def _draw_offsets(rng: np.random.Generator, n: int) -> np.ndarray:
    """UTC offset (minutes) a timestamp is written with in CSV: 0 for ~90% of rows."""
    offset = world.OFFSET_MINUTES[rng.integers(0, world.OFFSET_MINUTES.size, n)]
    return np.where(rng.random(n) < world.OFFSET_SHARE, offset, 0)


def _events_block(
    owner: np.ndarray,
    t: np.ndarray,
    event_type: np.ndarray,
    channel: np.ndarray | None = None,
    touchpoint: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Events of one kind; channel/touchpoint -1 = sample a plausible context for the type later."""
    n = owner.size
    return {
        "owner": owner.astype(np.int64),
        "t": t.astype(np.int64),
        "type": np.broadcast_to(event_type, n).astype(np.int64),
        "channel": np.full(n, -1, np.int64) if channel is None else channel.astype(np.int64),
        "touchpoint": np.full(n, -1, np.int64) if touchpoint is None else touchpoint.astype(np.int64),
    }


def _phase_events(
    rng: np.random.Generator,
    who: np.ndarray,
    counts: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    types: tuple[np.ndarray, np.ndarray],
    anchor_first: bool = False,
) -> dict[str, np.ndarray]:
    """`counts[i]` bursty events of customer who[i] in [lo[i], hi[i]), types drawn from a mix."""
    owner = np.repeat(who, counts)
    idx = np.repeat(np.arange(who.size), counts)
    t = _burst_times(rng, owner, lo[idx], hi[idx], anchor_first=anchor_first)
    return _events_block(owner, t, _choice(rng, *types, owner.size))


def _build_events(
    rng: np.random.Generator, cal: world.Calendar, pop: dict[str, np.ndarray], orders: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    n, end = pop["created"].size, cal.end
    seg, created = pop["segment"], pop["created"]
    considered, decided = pop["considered"], pop["decided"]
    everyone = np.arange(n)
    blocks = []

    # 1. first touch, exactly at created_at, matching the acquisition channel
    acquisition = pop["acquisition"]
    blocks.append(
        _events_block(
            everyone, created, world.FIRST_TYPE[acquisition], acquisition, world.FIRST_TOUCHPOINT[acquisition]
        )
    )

    # 2. more awareness events, before the first consideration event (or over a few weeks)
    span = _lognormal(rng, world.AWARENESS_SPAN_DAYS * world.DAY, 1.0, world.HOUR, n)
    hi = np.where(considered, pop["t_consider"], np.minimum(created + span, end))
    counts = np.where(hi - created > 2, rng.poisson(world.SEGMENTS_AWARENESS_EVENTS[seg]), 0)
    blocks.append(_phase_events(rng, everyone, counts, created + 1, hi, (world.AWARENESS_CODES, world.AWARENESS_P)))

    # 3. consideration before the first order (or until the considerer drops off); plant the last event's type
    who = np.flatnonzero(considered)
    counts = 1 + rng.poisson(world.SEGMENTS_CONSIDERATION_EVENTS[seg[who]])
    block = _phase_events(
        rng,
        who,
        counts,
        pop["t_consider"][who],
        pop["t_browse_end"][who],
        (world.CONSIDERATION_CODES, world.CONSIDERATION_P),
        anchor_first=True,
    )
    order = np.lexsort((block["t"], block["owner"]))
    last = order[np.cumsum(counts) - 1]
    block["t"][last] += (counts > 1).astype(np.int64)  # the last event is strictly the latest
    p_dropoff = np.where(decided[who], world.DROPOFF_P_DECIDERS, world.DROPOFF_P_NON_DECIDERS)
    dropoff = rng.random(who.size) < p_dropoff
    block["type"][last] = np.where(
        dropoff, world.DROPOFF_CODE, _choice(rng, world.NON_DROPOFF_CODES, world.NON_DROPOFF_P, who.size)
    )
    blocks.append(block)

    # 4. around completed orders: checkout_started 1-20 min before, order_tracking_view 2-72 h after
    completed = orders["status"] == world.COMPLETED
    o_owner, o_t = orders["owner"][completed], orders["t"][completed]
    mask = rng.random(o_owner.size) < world.CHECKOUT_P
    before = o_t - rng.integers(world.MINUTE, 20 * world.MINUTE + 1, o_owner.size)
    blocks.append(_events_block(o_owner[mask], before[mask], world.CHECKOUT_CODE))
    after = o_t + rng.integers(2 * world.HOUR, 72 * world.HOUR + 1, o_owner.size)
    mask = (rng.random(o_owner.size) < world.TRACKING_P) & (after < end)
    blocks.append(_events_block(o_owner[mask], after[mask], world.TRACKING_CODE))

    # 5. buyers while alive: retention events and some browsing; after dropout: the odd email or login
    who = np.flatnonzero(decided)
    lo, hi = pop["t_first"][who] + 1, pop["t_drop"][who]
    months = (hi - lo) / world.MONTH
    counts = np.where(hi - lo > 2, rng.poisson(world.SEGMENTS_EVENTS_PER_MONTH[seg[who]] * np.maximum(months, 0)), 0)
    block = _phase_events(rng, who, counts, lo, hi, (world.RETENTION_CODES, world.RETENTION_P))
    browsing = rng.random(block["owner"].size) < world.SEGMENTS_BROWSE_SHARE[seg[block["owner"]]]
    block["type"] = np.where(
        browsing, _choice(rng, world.CONSIDERATION_CODES, world.CONSIDERATION_P, browsing.size), block["type"]
    )
    blocks.append(block)
    lo, hi = pop["t_drop"][who] + 1, np.full(who.size, end)
    counts = np.where(
        hi - lo > 2, rng.poisson(world.DORMANT_EVENTS_PER_MONTH * np.maximum((hi - lo) / world.MONTH, 0)), 0
    )
    blocks.append(_phase_events(rng, who, counts, lo, hi, (world.DORMANT_CODES, world.DORMANT_P)))

    # 6. advocates: the loyalty claim that triggers referrals, then reviews and shares
    who = np.flatnonzero(pop["advocate"])
    blocks.append(_events_block(who, pop["t_trigger"][who], world.TRIGGER_CODE))
    counts = 1 + rng.poisson(world.ADVOCACY_EVENTS_MEAN, who.size)
    lo, hi = pop["t_ret"][who] + 1, np.full(who.size, end)
    blocks.append(_phase_events(rng, who, counts, lo, hi, (world.ADVOCACY_CODES, world.ADVOCACY_P)))

    events = _concat(blocks)
    events = _add_drift_events(rng, pop, take(events, np.lexsort((events["t"], events["owner"]))))
    missing = events["channel"] < 0
    channel, touchpoint = _sample_context(rng, events["type"][missing])
    events["channel"][missing], events["touchpoint"][missing] = channel, touchpoint
    events = _sessionise(rng, events)
    events["offset_min"] = _draw_offsets(rng, events["t"].size)
    return events


def _add_drift_events(
    rng: np.random.Generator, pop: dict[str, np.ndarray], events: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """A few events with types the stage map does not know, strictly between a considerer's first and last
    event (so they change no stage reach and no 'last event'). Input and output sorted by (owner, t)."""
    n = pop["created"].size
    per_owner = np.bincount(events["owner"], minlength=n)
    last_t = events["t"][np.cumsum(per_owner) - 1]
    created = pop["created"]
    eligible = pop["considered"] & (last_t - created >= 3)
    counts = np.where(eligible, rng.poisson(world.DRIFT_RATE * per_owner), 0)
    owner = np.repeat(np.arange(n), counts)
    t = _uniform_between(rng, created[owner] + 1, last_t[owner])
    drift = _events_block(owner, t, world.DRIFT_CODES[rng.integers(0, world.DRIFT_CODES.size, owner.size)])
    merged = _concat([events, drift])
    return take(merged, np.lexsort((merged["t"], merged["owner"])))


def _sessionise(rng: np.random.Generator, events: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Session numbers (1-based within the chunk) by the 30-minute rule over events sorted by (owner, t); ~10%
    of events lose theirs (the tracker dropped it)."""
    m = events["owner"].size
    new_session = np.ones(m, dtype=bool)
    new_session[1:] = (events["owner"][1:] != events["owner"][:-1]) | (np.diff(events["t"]) > world.SESSION_GAP)
    events["session"] = np.cumsum(new_session)
    events["session_valid"] = rng.random(m) >= world.SESSION_MISSING_P
    return events


def _build_tickets(rng: np.random.Generator, cal: world.Calendar, pop: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Buyers' tickets while alive (and up to 30 days after dropping out); segment rates and category mixes."""
    who = np.flatnonzero(pop["decided"])
    lo = pop["t_first"][who] + 1
    hi = np.minimum(pop["t_drop"][who] + world.TICKET_AFTER_DROPOUT, cal.end)
    months = np.maximum(hi - lo, 0) / world.MONTH
    counts = np.where(hi - lo > 2, rng.poisson(world.SEGMENTS_TICKETS_PER_MONTH[pop["segment"][who]] * months), 0)
    idx = np.repeat(np.arange(who.size), counts)
    owner = who[idx]
    opened = _uniform_between(rng, lo[idx], hi[idx])
    u = rng.random(owner.size)
    category = (u[:, None] >= world.TICKET_CUM[pop["segment"][owner]]).sum(axis=1)
    channel = rng.choice(len(world.TICKET_CHANNEL_NAMES), size=owner.size, p=world.TICKET_CHANNEL_P)
    resolved = opened + _lognormal(
        rng, world.RESOLUTION_MEDIAN_HOURS * world.HOUR, world.RESOLUTION_SIGMA, world.MINUTE, owner.size
    )
    resolved_valid = (rng.random(owner.size) >= world.UNRESOLVED_P) & (resolved < cal.end)
    order = np.lexsort((opened, owner))
    return take(
        {
            "owner": owner,
            "opened": opened,
            "resolved": resolved,
            "resolved_valid": resolved_valid,
            "category": category,
            "channel": channel,
        },
        order,
    )


def _build_surveys(
    rng: np.random.Generator,
    cal: world.Calendar,
    pop: dict[str, np.ndarray],
    orders: dict[str, np.ndarray],
    tickets: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """Responses to surveys sent after completed orders and after tickets. NPS = segment base - penalty per ticket
    in the 30 days before + noise; retained non-advocates never give 9-10 at or after retention."""
    completed = orders["status"] == world.COMPLETED
    o_owner, o_t = orders["owner"][completed], orders["t"][completed]
    answered = rng.random(o_owner.size) < world.SURVEY_AFTER_ORDER_P * world.SURVEY_RESPONSE_P
    o_resp = o_t + rng.integers(world.DAY, 7 * world.DAY + 1, o_owner.size)
    o_tp = _choice(rng, world.ORDER_SURVEY_TP, world.ORDER_SURVEY_TP_P, o_owner.size)

    t_owner = tickets["owner"]
    base = np.where(tickets["resolved_valid"], tickets["resolved"], tickets["opened"] + 2 * world.DAY)
    t_answered = rng.random(t_owner.size) < world.SURVEY_AFTER_TICKET_P * world.SURVEY_RESPONSE_P
    t_resp = base + rng.integers(world.HOUR, 3 * world.DAY + 1, t_owner.size)
    t_tp = _choice(rng, world.TICKET_SURVEY_TP, world.TICKET_SURVEY_TP_P, t_owner.size)

    owner = np.concatenate([o_owner, t_owner])
    t = np.concatenate([o_resp, t_resp])
    touchpoint = np.concatenate([o_tp, t_tp])
    keep = np.concatenate([answered, t_answered]) & (t < cal.end)
    owner, t, touchpoint = owner[keep], t[keep], touchpoint[keep]

    recent_tickets = _count_before(tickets["owner"], tickets["opened"], owner, t, world.NPS_TICKET_WINDOW)
    after_retention = t >= pop["t_ret"][owner]
    advocate = pop["advocate"][owner]
    score = (
        world.SEGMENTS_NPS_BASE[pop["segment"][owner]]
        + rng.normal(0, world.NPS_NOISE_SD, owner.size)
        - world.NPS_TICKET_PENALTY * recent_tickets
        + world.NPS_ADVOCATE_BOOST * (advocate & after_retention)
    )
    nps = np.clip(np.rint(score), 0, 10).astype(np.int64)
    nps = np.where(~advocate & after_retention, np.minimum(nps, world.NPS_MAX_NON_ADVOCATE_AFTER_RETENTION), nps)
    csat = np.clip(np.rint(1 + 0.4 * nps + rng.normal(0, 0.6, owner.size)), 1, 5).astype(np.int64)
    u = rng.random(owner.size)
    touchpoint = np.where(rng.random(owner.size) < world.SURVEY_TOUCHPOINT_MISSING_P, -1, touchpoint)
    order = np.lexsort((owner, t))
    return take(
        {
            "owner": owner,
            "t": t,
            "nps": nps,
            "nps_valid": u >= world.NPS_MISSING_P,
            "csat": csat,
            "csat_valid": (u < world.NPS_MISSING_P) | (u >= world.NPS_MISSING_P + world.CSAT_MISSING_P),
            "touchpoint": touchpoint,
        },
        order,
    )


def _count_before(
    ref_owner: np.ndarray, ref_t: np.ndarray, owner: np.ndarray, t: np.ndarray, window: int
) -> np.ndarray:
    """How many reference rows of the same owner fall in [t - window, t). Reference sorted by (owner, t)."""
    shift = np.int64(1) << 40
    keys = ref_owner * shift + ref_t
    return np.searchsorted(keys, owner * shift + t) - np.searchsorted(keys, owner * shift + t - window)


@dataclass
class Chunk:
    """Everything one chunk simulated, with chunk-local owner indices."""

    pop: dict[str, np.ndarray]
    orders: dict[str, np.ndarray]
    events: dict[str, np.ndarray]
    tickets: dict[str, np.ndarray]
    surveys: dict[str, np.ndarray]
    referrals: dict[str, np.ndarray]
    experiment: dict[str, np.ndarray]


def simulate_chunk(cal: world.Calendar, seed: int, chunk_index: int, n_acquired: int) -> Chunk:
    rng = np.random.default_rng(np.random.SeedSequence([seed, chunk_index]))
    pop, repeats, referrals = _simulate_population(rng, cal, n_acquired)
    experiment = _assign_experiment(rng, cal, pop)
    orders = _build_orders(rng, cal, pop, repeats, experiment)
    events = _build_events(rng, cal, pop, orders)
    tickets = _build_tickets(rng, cal, pop)
    surveys = _build_surveys(rng, cal, pop, orders, tickets)
    return Chunk(pop, orders, events, tickets, surveys, referrals, experiment)


def plant_activity_costs(seed: int, customers: int) -> dict[str, dict]:
    """Planted fixed monthly cost and unit cost of every value-chain activity (its default driver)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, world.COST_STREAM]))
    planted = {}
    scale = max(customers, 1) / world.FIXED_COST_PER_CUSTOMERS
    for activity, activity_type, driver in world.ACTIVITIES:
        if driver not in world.UNIT_COST_BASE:
            raise RuntimeError(f"seeds/value_chain_activities.csv: unknown driver '{driver}' of '{activity}'.")
        unit = round(world.UNIT_COST_BASE[driver] * rng.uniform(0.5, 1.5), 4)
        fixed = round(world.FIXED_COST_BASE.get(activity_type, 2000.0) * rng.uniform(0.6, 1.4) * scale, 2)
        planted[activity] = {"driver": driver, "fixed_monthly": fixed, "unit_cost": unit}
    return planted
