"""The parameters of the simulated world: the seed catalogs and project vars it draws names from, the latent
segments, every rate, mix and delay of the journey, the factorial experiment, the activity costs, and the
calendar of the simulated period. Nothing here draws a random number.
"""

from __future__ import annotations

import csv
import itertools
from dataclasses import dataclass

import numpy as np

from journey_metrics.paths import SEEDS_DIR
from journey_metrics.project import project_var

# ================================================================================================== catalogs


def _read_seed(name: str) -> list[dict[str, str]]:
    with open(SEEDS_DIR / f"{name}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


_STAGE_ROWS = _read_seed("stage_map")
EVENT_STAGE: dict[str, str] = {row["event_type"]: row["stage"] for row in _STAGE_ROWS}
# Event types that tracking emits but the stage map does not know (tracking drift, kept and warned on by dbt).
DRIFT_EVENT_TYPES = ("chatbot_open", "wishlist_add")
EVENT_TYPES: tuple[str, ...] = tuple(EVENT_STAGE) + DRIFT_EVENT_TYPES
CHANNELS: tuple[str, ...] = tuple(row["channel"] for row in _read_seed("channels"))
TOUCHPOINTS: tuple[str, ...] = tuple(row["touchpoint"] for row in _read_seed("touchpoints"))
ACTIVITIES: tuple[tuple[str, str, str], ...] = tuple(
    (row["activity"], row["activity_type"], row["default_driver"]) for row in _read_seed("value_chain_activities")
)
STAGES = ("awareness", "consideration", "decision", "retention", "advocacy")
# The order statuses and ticket categories staging accepts are the project's vars (dbt_project.yml): one list
# for the generator and the models.
ORDER_STATUSES: tuple[str, ...] = tuple(project_var("order_statuses"))
TICKET_CATEGORIES: tuple[str, ...] = tuple(project_var("ticket_categories"))

if set(DRIFT_EVENT_TYPES) & set(EVENT_STAGE):
    raise RuntimeError("A drift event type is in seeds/stage_map.csv; pick event types the stage map lacks.")


def _code(name: str, names: tuple[str, ...], catalog: str) -> int:
    try:
        return names.index(name)
    except ValueError:
        raise RuntimeError(f"'{name}' is not in {catalog}; the generator and the seed catalogs disagree.") from None


def _ev(name: str) -> int:
    return _code(name, EVENT_TYPES, "seeds/stage_map.csv")


def _ch(name: str) -> int:
    return _code(name, CHANNELS, "seeds/channels.csv")


def _tp(name: str) -> int:
    return _code(name, TOUCHPOINTS, "seeds/touchpoints.csv")


# The statuses the simulation draws, as codes into ORDER_STATUSES.
COMPLETED, REFUNDED, CANCELLED = (
    _code(status, ORDER_STATUSES, "dbt_project.yml's var order_statuses")
    for status in ("completed", "refunded", "cancelled")
)


# ================================================================================================== constants

DAY = 86_400
HOUR = 3_600
MINUTE = 60
MONTH = int(30.44 * DAY)

DEFAULT_CUSTOMERS = 5000
DEFAULT_SEED = 42
DEFAULT_FORMAT = "csv"
DEFAULT_START = "2024-01-01"
DEFAULT_DAYS = 730
DEFAULT_CHUNK_SIZE = 50_000
FORMATS = ("csv", "parquet")

# Stream index of the activity-cost random generator (chunk streams use 0, 1, 2, ...).
COST_STREAM = 2**31 - 1

# --- sign-ups
SEASON_BOOST = {11: 1.5, 12: 1.5}  # month -> sign-up multiplier
WEEKEND_FACTOR = 0.7
GROWTH_OVER_PERIOD = 0.3  # sign-ups grow linearly by 30% over the period
HOUR_WEIGHTS = np.array(
    [1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 3, 4, 4.5, 5, 5.5, 5.5, 5, 4.5, 4.5, 5, 5.5, 6.5, 7, 6, 4, 2], dtype=float
)
COUNTRY_WEIGHTS = {"DE": 0.28, "GB": 0.18, "US": 0.16, "FR": 0.14, "NL": 0.10, "ES": 0.08, "SE": 0.06}
REFERRED_SAME_COUNTRY_P = 0.8
# Acquisition mix of customers who did not come through a referral.
ACQUISITION_WEIGHTS = {
    "paid_search": 0.20,
    "paid_social": 0.14,
    "display": 0.08,
    "affiliate": 0.06,
    "email": 0.10,
    "direct": 0.14,
    "organic_search": 0.20,
    "social": 0.08,
}
REFERRAL_CHANNEL = "referral"
# First event (always awareness stage) and its touchpoint, by acquisition channel.
FIRST_TOUCH = {
    "paid_search": ("ad_click", "search_engine"),
    "paid_social": ("ad_click", "social_feed"),
    "display": ("ad_click", "ad_network"),
    "affiliate": ("ad_click", "ad_network"),
    "email": ("email_open", "email_inbox"),
    "direct": ("ad_impression", "store"),  # saw the brand at a pop-up, then typed the URL
    "organic_search": ("organic_search_visit", "search_engine"),
    "social": ("social_engagement", "social_feed"),
    "referral": ("referral_link_visit", "website"),
}

# --- event context: plausible (channel, touchpoint, weight) per event type
_SITE = [
    ("direct", "website", 0.35),
    ("direct", "mobile_app", 0.25),
    ("organic_search", "website", 0.15),
    ("email", "website", 0.10),
    ("paid_search", "website", 0.10),
    ("social", "mobile_app", 0.05),
]
EVENT_CONTEXT: dict[str, list[tuple[str, str, float]]] = {
    "ad_impression": [
        ("display", "ad_network", 0.45),
        ("paid_social", "social_feed", 0.35),
        ("paid_search", "search_engine", 0.20),
    ],
    "ad_click": [
        ("paid_search", "search_engine", 0.45),
        ("paid_social", "social_feed", 0.30),
        ("display", "ad_network", 0.15),
        ("affiliate", "ad_network", 0.10),
    ],
    "email_open": [("email", "email_inbox", 1.0)],
    "social_engagement": [("social", "social_feed", 0.7), ("paid_social", "social_feed", 0.3)],
    "organic_search_visit": [("organic_search", "search_engine", 1.0)],
    "referral_link_visit": [("referral", "website", 1.0)],
    "product_view": _SITE,
    "pricing_view": _SITE,
    "compare_products": _SITE,
    "add_to_cart": _SITE,
    "review_read": _SITE,
    "demo_request": [("direct", "website", 0.5), ("direct", "call_center", 0.25), ("direct", "store", 0.25)],
    "checkout_started": [("direct", "website", 0.6), ("direct", "mobile_app", 0.4)],
    "login": [("direct", "website", 0.45), ("direct", "mobile_app", 0.55)],
    "order_tracking_view": [
        ("direct", "mobile_app", 0.45),
        ("direct", "website", 0.30),
        ("email", "email_inbox", 0.25),
    ],
    "help_center_visit": [("direct", "website", 0.8), ("organic_search", "search_engine", 0.2)],
    "loyalty_reward_claimed": [
        ("direct", "mobile_app", 0.5),
        ("email", "email_inbox", 0.3),
        ("direct", "website", 0.2),
    ],
    "review_written": [("direct", "website", 0.7), ("direct", "mobile_app", 0.3)],
    "social_share": [("social", "social_feed", 1.0)],
    "chatbot_open": [("direct", "chat", 0.6), ("direct", "website", 0.4)],
    "wishlist_add": [("direct", "mobile_app", 0.6), ("direct", "website", 0.4)],
}
DEFAULT_CONTEXT = [("direct", "website", 1.0)]  # for event types added to the stage map later

# --- event mixes (weights; stage-map event types missing here get weight 0)
AWARENESS_MIX = {
    "ad_impression": 0.35,
    "email_open": 0.25,
    "social_engagement": 0.15,
    "organic_search_visit": 0.15,
    "ad_click": 0.10,
}
CONSIDERATION_MIX = {
    "product_view": 0.42,
    "pricing_view": 0.12,
    "review_read": 0.14,
    "add_to_cart": 0.14,
    "compare_products": 0.13,
    "demo_request": 0.05,
}
RETENTION_MIX = {
    "login": 0.55,
    "order_tracking_view": 0.17,
    "help_center_visit": 0.12,
    "loyalty_reward_claimed": 0.06,
    "email_open": 0.10,
}
DORMANT_MIX = {"email_open": 0.6, "ad_impression": 0.25, "login": 0.15}
ADVOCACY_MIX = {"review_written": 0.6, "social_share": 0.4}
DROPOFF_EVENT = "pricing_view"
TRIGGER_EVENT = "loyalty_reward_claimed"

# --- journey timing
MIN_ROOM_TO_CONSIDER = HOUR  # a first consideration later than end - 1h is not simulated (right-censored)
CHECKOUT_LEAD = 30 * MINUTE  # pre-purchase consideration events end this long before the first order
CHECKOUT_P = 0.85  # share of completed orders preceded by a checkout_started event (1-20 min before)
TRACKING_P = 0.6  # share of completed orders followed by an order_tracking_view (2-72 h after)
BURST_CONTINUE_P = 0.65  # an event continues the previous visit (else starts a new one)
BURST_GAP_MEAN = 150  # seconds between events of one visit
AWARENESS_SPAN_DAYS = 21  # median span of awareness events of non-considerers
DORMANT_EVENTS_PER_MONTH = 0.6  # emails and the odd login after a buyer dropped out
ADVOCACY_EVENTS_MEAN = 1.5  # review_written / social_share events per advocate (plus one)
DRIFT_RATE = 0.005  # drift events per event, considerers only, never a customer's first or last event
SESSION_GAP = 30 * MINUTE
SESSION_MISSING_P = 0.10

# --- dropoff (pain point)
DROPOFF_P_NON_DECIDERS = 0.5  # last event of considerers who never decide
DROPOFF_P_DECIDERS = 0.15  # last consideration event before the first order

# --- orders
EXTRA_ORDER_RATE = 0.04  # refunded/cancelled orders per completed order, after the first completed order
REFUNDED_SHARE = 0.6  # of those extra orders; the rest are cancelled
NON_DECIDER_CANCELLED_P = 0.05  # considerers who never decide but cancelled an order
COGS_SHARE_RANGE = (0.55, 0.70)
COGS_MISSING_P = 0.03
MIN_ORDER_CENTS = 100

# --- advocacy and referrals
TRIGGER_DELAY_MEAN_DAYS = 10  # retention -> the advocate's loyalty_reward_claimed
TRIGGER_P = 0.7  # the first referral follows the claim within TRIGGER_LAG_DAYS
TRIGGER_LAG_DAYS = 7
TRIGGER_WINDOW_DAYS = 14  # other referrals avoid this window after the claim, so the planted rate is exact
REFERRALS_PER_ADVOCATE = {1: 0.5, 2: 0.3, 3: 0.2}
REFERRAL_CHANNELS = {"email": 0.5, "social": 0.3, "direct": 0.2}
REFERRAL_CONVERSION_P = 0.3
REFERRAL_LAG_MEDIAN_HOURS = 18
MAX_REFERRAL_GENERATIONS = 8
# Referred customers' regular order values are (1 + this) times a non-referred customer's like them: their
# Gamma-Gamma nu is divided by it (Schmitt, Skiera & Van den Bulte 2011 found referred customers about 16%
# more valuable). Everything else about their journey (timing, purchases, dropout, the experiment's orders)
# is as for any customer of their segment, so retention carries no uplift.
REFERRAL_ORDER_VALUE_UPLIFT = 0.16

# --- support tickets
TICKET_CHANNELS = {"chat": 0.45, "email": 0.35, "phone": 0.20}
TICKET_AFTER_DROPOUT = 60 * DAY  # tickets can still arrive this long after a buyer dropped out
RESOLUTION_MEDIAN_HOURS = 8
RESOLUTION_SIGMA = 1.3
UNRESOLVED_P = 0.05

# --- surveys
SURVEY_AFTER_ORDER_P = 0.5  # survey sent after a completed order
SURVEY_AFTER_TICKET_P = 1.0
SURVEY_RESPONSE_P = 0.30
ORDER_SURVEY_TOUCHPOINTS = {"website": 0.5, "email_inbox": 0.5}
TICKET_SURVEY_TOUCHPOINTS = {"chat": 0.6, "call_center": 0.4}
NPS_NOISE_SD = 1.3
NPS_TICKET_PENALTY = 1.6  # per ticket opened in the 30 days before the response
NPS_TICKET_WINDOW = 30 * DAY
NPS_ADVOCATE_BOOST = 1.0  # advocates after retention
NPS_MAX_NON_ADVOCATE_AFTER_RETENTION = 8
NPS_MISSING_P = 0.10
CSAT_MISSING_P = 0.10
SURVEY_TOUCHPOINT_MISSING_P = 0.10

# --- timestamps written with a non-UTC offset (CSV only; the instant is the same)
OFFSET_SHARE = 0.10
OFFSET_MINUTES = np.array([60, 120, -300, -480, 330, 540], dtype=np.int64)

# --- the factorial experiment
EXPERIMENT = {
    "experiment_id": "EXP001",
    "name": "checkout_pricing_2025",
    "primary_metric": "revenue",
    "metric_window_days": 30,
    "factors": {
        "pricing": ["control", "discount_10", "bundle"],
        "feature": ["off", "on"],
        "support": ["standard", "priority"],
    },
    "intercept": 60.0,
    "main_effects": {
        "pricing": {"discount_10": 5.0, "bundle": 12.0},
        "feature": {"on": 8.0},
        "support": {"priority": 3.0},
    },
    "interactions": [{"levels": {"pricing": "bundle", "feature": "on"}, "effect": 10.0}],
    "revenue_sd": 25.0,
}
EXPERIMENT_MONTHS_BEFORE_END = 4
EXPERIMENT_DURATION_MONTHS = 2

# --- activity costs: unit cost per driver unit (revenue: per currency unit) and fixed monthly cost per
# 5000 acquired customers, both scaled per activity by a planted random factor.
UNIT_COST_BASE = {"orders": 4.0, "events": 0.015, "tickets": 10.0, "customers": 0.9, "revenue": 0.03}
# sized so that the demo business earns a modest positive contribution after its cost to serve
FIXED_COST_BASE = {"primary": 800.0, "support": 500.0}
FIXED_COST_PER_CUSTOMERS = 5000
COST_NOISE_SD_FRACTION = 0.01

# --- id formats: prefix and number of digits
ID_FORMATS = {
    "customer": ("C", 8),
    "event": ("E", 10),
    "order": ("O", 9),
    "survey": ("S", 9),
    "referral": ("R", 9),
    "ticket": ("T", 9),
    "session": ("SES", 10),
}


@dataclass(frozen=True)
class Segment:
    """Parameters of one latent segment (rates per customer unless said otherwise)."""

    name: str
    share: float
    p_consider: float
    p_decide: float  # given consideration
    p_advocate: float  # given retention
    bg_nbd: dict  # r, alpha (lambda ~ Gamma(r, rate=alpha), per day), a, b (dropout p ~ Beta(a, b))
    gamma_gamma: dict  # p, q, gamma (order value ~ Gamma(p, rate=nu), nu ~ Gamma(q, rate=gamma))
    awareness_events: float  # mean awareness events besides the first
    consideration_events: float  # mean consideration events besides the first, before the first order
    consider_delay_days: float  # median created_at -> first consideration event
    decide_delay_days: float  # median first consideration event -> first order
    browse_span_days: float  # median span of the consideration events of considerers who never buy
    events_per_active_month: float  # buyers, while alive
    browse_share: float  # share of a buyer's later events that are consideration events
    tickets_per_active_month: float
    ticket_mix: dict  # category -> weight
    nps_base: float


# Each segment shows in behaviour a shop would see, so customer segmentation can find it again among the
# buyers: loyal_high_value by order value (mean 150; customers' typical basket varies little, q = 12) and
# frequent purchases, bargain_occasional by small baskets (mean 25), support_heavy_at_risk by support
# contacts (two tickets per active month, lasting into the 60 days after it stops buying) and low NPS,
# browsers by long browsing before their first purchase.
SEGMENTS: tuple[Segment, ...] = (
    Segment(
        "loyal_high_value",
        0.18,
        p_consider=0.95,
        p_decide=0.80,
        p_advocate=0.55,
        bg_nbd={"r": 2.0, "alpha": 40.0, "a": 1.0, "b": 14.0},
        gamma_gamma={"p": 10.0, "q": 12.0, "gamma": 165.0},
        awareness_events=2,
        consideration_events=5,
        consider_delay_days=1,
        decide_delay_days=2,
        browse_span_days=10,
        events_per_active_month=12,
        browse_share=0.25,
        tickets_per_active_month=0.03,
        ticket_mix={"billing": 0.2, "delivery": 0.25, "product_defect": 0.2, "account": 0.2, "usability": 0.15},
        nps_base=9.3,
    ),
    Segment(
        "bargain_occasional",
        0.32,
        p_consider=0.80,
        p_decide=0.50,
        p_advocate=0.15,
        bg_nbd={"r": 1.2, "alpha": 150.0, "a": 1.5, "b": 6.0},
        gamma_gamma={"p": 10.0, "q": 12.0, "gamma": 27.5},
        awareness_events=3,
        consideration_events=10,
        consider_delay_days=3,
        decide_delay_days=5,
        browse_span_days=20,
        events_per_active_month=5,
        browse_share=0.35,
        tickets_per_active_month=0.06,
        ticket_mix={"billing": 0.3, "delivery": 0.3, "product_defect": 0.15, "account": 0.15, "usability": 0.1},
        nps_base=7.3,
    ),
    Segment(
        "support_heavy_at_risk",
        0.15,
        p_consider=0.85,
        p_decide=0.55,
        p_advocate=0.03,
        bg_nbd={"r": 1.5, "alpha": 60.0, "a": 3.0, "b": 4.0},
        gamma_gamma={"p": 10.0, "q": 12.0, "gamma": 82.5},
        awareness_events=2,
        consideration_events=6,
        consider_delay_days=2,
        decide_delay_days=3,
        browse_span_days=14,
        events_per_active_month=8,
        browse_share=0.2,
        tickets_per_active_month=2.0,
        ticket_mix={"billing": 0.38, "delivery": 0.42, "product_defect": 0.1, "account": 0.05, "usability": 0.05},
        nps_base=4.5,
    ),
    Segment(
        "browsers",
        0.35,
        p_consider=0.90,
        p_decide=0.12,
        p_advocate=0.08,
        bg_nbd={"r": 1.0, "alpha": 120.0, "a": 2.0, "b": 6.0},
        gamma_gamma={"p": 10.0, "q": 12.0, "gamma": 60.5},
        awareness_events=3,
        consideration_events=60,
        consider_delay_days=2,
        decide_delay_days=10,
        browse_span_days=60,
        events_per_active_month=12,
        browse_share=0.65,
        tickets_per_active_month=0.04,
        ticket_mix={"billing": 0.15, "delivery": 0.2, "product_defect": 0.15, "account": 0.2, "usability": 0.3},
        nps_base=6.8,
    ),
)


# ================================================================================================== derived lookups


def _weights(mix: dict[str, float], names: tuple[str, ...], catalog: str) -> tuple[np.ndarray, np.ndarray]:
    """(codes, probabilities) of a weighted mix, names checked against a catalog."""
    codes = np.array([_code(name, names, catalog) for name in mix], dtype=np.int64)
    weights = np.array(list(mix.values()), dtype=float)
    return codes, weights / weights.sum()


def _event_mix(mix: dict[str, float], stages: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    for name in mix:
        _ev(name)  # a clear error if the stage map lacks it
        if EVENT_STAGE[name] not in stages:
            raise RuntimeError(f"Event type '{name}' is not a {'/'.join(stages)} event in seeds/stage_map.csv.")
    return _weights(mix, EVENT_TYPES, "seeds/stage_map.csv")


def _seg(attribute: str, key: str | None = None) -> np.ndarray:
    values = [getattr(s, attribute) if key is None else getattr(s, attribute)[key] for s in SEGMENTS]
    return np.array(values, dtype=float)


SEGMENT_NAMES = tuple(s.name for s in SEGMENTS)
SEGMENT_SHARES = _seg("share") / _seg("share").sum()
P_CONSIDER, P_DECIDE, P_ADVOCATE = _seg("p_consider"), _seg("p_decide"), _seg("p_advocate")
BG_R, BG_ALPHA, BG_A, BG_B = (_seg("bg_nbd", k) for k in ("r", "alpha", "a", "b"))
GG_P, GG_Q, GG_GAMMA = (_seg("gamma_gamma", k) for k in ("p", "q", "gamma"))
SEGMENTS_CONSIDER_DELAY = _seg("consider_delay_days") * DAY
SEGMENTS_DECIDE_DELAY = _seg("decide_delay_days") * DAY
SEGMENTS_BROWSE_SPAN = _seg("browse_span_days") * DAY
SEGMENTS_AWARENESS_EVENTS = _seg("awareness_events")
SEGMENTS_CONSIDERATION_EVENTS = _seg("consideration_events")
SEGMENTS_EVENTS_PER_MONTH = _seg("events_per_active_month")
SEGMENTS_BROWSE_SHARE = _seg("browse_share")
SEGMENTS_TICKETS_PER_MONTH = _seg("tickets_per_active_month")
SEGMENTS_NPS_BASE = _seg("nps_base")
for _segment in SEGMENTS:
    _unknown = sorted(set(_segment.ticket_mix) - set(TICKET_CATEGORIES))
    if _unknown:
        raise RuntimeError(f"Segment {_segment.name}: ticket categories {_unknown} are not in var ticket_categories.")
# A category a segment does not weight is never drawn for it.
TICKET_CUM = np.cumsum(
    [[s.ticket_mix.get(c, 0.0) / sum(s.ticket_mix.values()) for c in TICKET_CATEGORIES] for s in SEGMENTS], axis=1
)
TICKET_CUM[:, -1] = 1.0

AWARENESS_CODES, AWARENESS_P = _event_mix(AWARENESS_MIX, ("awareness",))
CONSIDERATION_CODES, CONSIDERATION_P = _event_mix(CONSIDERATION_MIX, ("consideration",))
_NON_DROPOFF = {k: v for k, v in CONSIDERATION_MIX.items() if k != DROPOFF_EVENT}
NON_DROPOFF_CODES, NON_DROPOFF_P = _event_mix(_NON_DROPOFF, ("consideration",))
RETENTION_CODES, RETENTION_P = _event_mix(RETENTION_MIX, ("retention", "awareness"))
DORMANT_CODES, DORMANT_P = _event_mix(DORMANT_MIX, ("retention", "awareness"))
ADVOCACY_CODES, ADVOCACY_P = _event_mix(ADVOCACY_MIX, ("advocacy",))
DRIFT_CODES = np.array([_ev(name) for name in DRIFT_EVENT_TYPES], dtype=np.int64)
DROPOFF_CODE, TRIGGER_CODE = _ev(DROPOFF_EVENT), _ev(TRIGGER_EVENT)
CHECKOUT_CODE, TRACKING_CODE = _ev("checkout_started"), _ev("order_tracking_view")
if EVENT_STAGE[DROPOFF_EVENT] != "consideration" or EVENT_STAGE[TRIGGER_EVENT] != "retention":
    raise RuntimeError("seeds/stage_map.csv: pricing_view must be consideration, loyalty_reward_claimed retention.")

ACQUISITION_CODES, ACQUISITION_P = _weights(ACQUISITION_WEIGHTS, CHANNELS, "seeds/channels.csv")
REFERRAL_CHANNEL_CODE = _ch(REFERRAL_CHANNEL)
COUNTRIES = tuple(COUNTRY_WEIGHTS)
COUNTRY_P = np.array(list(COUNTRY_WEIGHTS.values())) / sum(COUNTRY_WEIGHTS.values())
REFERRAL_CHANNEL_NAMES = tuple(REFERRAL_CHANNELS)
REFERRAL_CHANNEL_P = np.array(list(REFERRAL_CHANNELS.values())) / sum(REFERRAL_CHANNELS.values())
TICKET_CHANNEL_NAMES = tuple(TICKET_CHANNELS)
TICKET_CHANNEL_P = np.array(list(TICKET_CHANNELS.values())) / sum(TICKET_CHANNELS.values())
ORDER_SURVEY_TP, ORDER_SURVEY_TP_P = _weights(ORDER_SURVEY_TOUCHPOINTS, TOUCHPOINTS, "seeds/touchpoints.csv")
TICKET_SURVEY_TP, TICKET_SURVEY_TP_P = _weights(TICKET_SURVEY_TOUCHPOINTS, TOUCHPOINTS, "seeds/touchpoints.csv")

# First touch by acquisition channel code (-1 where a channel is never an acquisition channel).
FIRST_TYPE = np.full(len(CHANNELS), -1, dtype=np.int64)
FIRST_TOUCHPOINT = np.full(len(CHANNELS), -1, dtype=np.int64)
for _channel, (_event_type, _touchpoint) in FIRST_TOUCH.items():
    if EVENT_STAGE.get(_event_type) != "awareness":
        raise RuntimeError(f"First-touch event '{_event_type}' must be an awareness event in seeds/stage_map.csv.")
    FIRST_TYPE[_ch(_channel)], FIRST_TOUCHPOINT[_ch(_channel)] = _ev(_event_type), _tp(_touchpoint)


def _context_table() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Flattened (channel, touchpoint) choices of every event type, with cumulative weights shifted by the type
    code, so one searchsorted samples a context for events of any types at once."""
    channels, touchpoints, cums = [], [], []
    for code, name in enumerate(EVENT_TYPES):
        combos = EVENT_CONTEXT.get(name, DEFAULT_CONTEXT)
        weights = np.array([w for _, _, w in combos], dtype=float)
        cum = np.cumsum(weights / weights.sum())
        cum[-1] = 1.0
        channels += [_ch(c) for c, _, _ in combos]
        touchpoints += [_tp(t) for _, t, _ in combos]
        cums += list(code + cum)
    return np.array(channels), np.array(touchpoints), np.array(cums)


CONTEXT_CHANNEL, CONTEXT_TOUCHPOINT, CONTEXT_CUM = _context_table()


def _experiment_cells() -> list[dict]:
    """Every cell of the factorial design with its planted mean revenue."""
    factors = EXPERIMENT["factors"]
    cells = []
    for levels in itertools.product(*factors.values()):
        cell = dict(zip(factors, levels, strict=True))
        mean = EXPERIMENT["intercept"]
        mean += sum(EXPERIMENT["main_effects"].get(f, {}).get(level, 0.0) for f, level in cell.items())
        for term in EXPERIMENT["interactions"]:
            if all(cell[f] == level for f, level in term["levels"].items()):
                mean += term["effect"]
        cells.append({**cell, "mean_revenue": round(mean, 6)})
    return cells


EXPERIMENT_CELLS = _experiment_cells()  # in itertools.product order: index = sum(level_i * stride_i)
EXPERIMENT_CELL_MEANS = np.array([c["mean_revenue"] for c in EXPERIMENT_CELLS])
FACTOR_SIZES = [len(levels) for levels in EXPERIMENT["factors"].values()]
EXPERIMENT_STRIDES = np.array([int(np.prod(FACTOR_SIZES[i + 1 :])) for i in range(len(FACTOR_SIZES))])


# ================================================================================================== calendar


@dataclass(frozen=True)
class Calendar:
    """The simulated period [start, end) in epoch seconds, its months and the experiment window."""

    start: int
    end: int  # exclusive
    n_days: int  # days in [start, end)
    month_starts: np.ndarray  # epoch seconds of the first second of each month overlapping the period
    exp_start: int
    exp_end: int  # inclusive (…T23:59:59)

    @classmethod
    def build(cls, start: str, days: int) -> Calendar:
        """The data runs from `start` through the day `start + days` (2024-01-01 + 730 days = 2025-12-31)."""
        start_day = np.datetime64(start, "D")
        start_s = int(start_day.astype("datetime64[s]").astype(np.int64))
        n_days = days + 1
        end_s = start_s + n_days * DAY
        months = np.arange(start_day.astype("datetime64[M]"), as_datetime(end_s - 1).astype("datetime64[M]") + 1)
        month_starts = months.astype("datetime64[s]").astype(np.int64)
        exp_start_month = as_datetime(end_s).astype("datetime64[M]") - EXPERIMENT_MONTHS_BEFORE_END
        exp_start = int(exp_start_month.astype("datetime64[s]").astype(np.int64))
        exp_end = int((exp_start_month + EXPERIMENT_DURATION_MONTHS).astype("datetime64[s]").astype(np.int64)) - 1
        window = EXPERIMENT["metric_window_days"] * DAY
        if exp_start < start_s + (end_s - start_s) // 2 or exp_end + window > end_s:
            # Short or odd periods: start at 60% of the period, run for 15% of it (at least a day).
            exp_start = start_s + int(n_days * 0.6) * DAY
            exp_end = exp_start + max(1, int(n_days * 0.15)) * DAY - 1
        return cls(start_s, end_s, n_days, month_starts, exp_start, exp_end)

    def month_index(self, seconds: np.ndarray) -> np.ndarray:
        """0-based index into month_starts of each instant."""
        months = (seconds // DAY).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        return months - _month_number(self.month_starts[0])


def as_datetime(seconds: int) -> np.datetime64:
    return np.datetime64(int(seconds), "s")


def _month_number(seconds: int) -> int:
    return int(as_datetime(seconds).astype("datetime64[M]").astype(np.int64))


def iso_utc(seconds: int) -> str:
    return str(as_datetime(seconds)) + "Z"
