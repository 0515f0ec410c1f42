"""Synthetic demo data for journey-metrics, with known ("planted") truths that the marts must recover.

Usage: ``python -m journey_metrics.generate --customers 5000 --seed 42 --out data/demo``
(``--help`` lists every option). In Python: ``generate(out_dir, ...)`` returns the ground-truth dict.

The latent model
================
Every customer belongs to one of four latent **segments** (``SEGMENTS``), each with its own parameters:
``loyal_high_value``, ``bargain_occasional``, ``support_heavy_at_risk`` and ``browsers``. A customer's journey
is drawn in this order (all times are whole seconds, UTC, inside ``[start, start + days)``):

1. **Awareness** -- the customer is created (sign-ups are seasonal: Nov/Dec x1.5, weekends x0.7) and the first
   event, an awareness-stage event matching the acquisition channel, happens exactly at ``created_at``.
2. **Consideration** -- with probability ``p_consider[segment]`` a first consideration-stage event follows after
   a log-normal delay. Non-considerers only ever get awareness-stage events and never order.
3. **Decision** -- a considerer decides with probability ``p_decide[segment]``: the first completed order follows
   the consideration events. For considerers who never decide, the very last event is ``pricing_view`` with
   probability 0.5; for deciders the last consideration event before the first order is ``pricing_view`` with
   probability 0.15 (the planted drop-off pain point).
4. **Retention** -- after the first order purchases follow a BG/NBD-like process: rate ``lambda ~ Gamma(r, alpha)``
   (per day) and, after every purchase including the first (the "modified" BG/NBD), the customer drops out with
   probability ``p ~ Beta(a, b)``. Purchases are a Poisson process while alive, observed until the end date.
   Retained = at least two completed orders. Order values follow the Gamma-Gamma model: per-customer
   ``nu ~ Gamma(q, rate=gamma)`` and each value ``~ Gamma(p, rate=nu)``.
5. **Advocacy** -- a retained customer is an advocate with probability ``p_advocate[segment]``. Every advocate
   claims a loyalty reward (``loyalty_reward_claimed``) after retention, sends 1-3 referrals after retention,
   the first one within 0-7 days of that claim with probability 0.7 (the planted referral trigger).
   Non-advocates never refer and never answer a survey with NPS >= 9 at or after their retention.

Around that skeleton: events in bursts (sessions), support tickets (segment rates and category mixes), surveys
after orders and tickets (NPS driven by the segment and by tickets in the 30 days before), referrals that convert
(p = 0.3) into new ``referral`` customers who run the same journey (cascades over several generations), one
2x3x2 factorial experiment on revenue with one planted interaction, and monthly value-chain activity costs
(fixed + unit cost x driver volume + noise).

Scaling: customers are simulated in chunks of ``--chunk-size`` acquired customers (plus the customers they refer),
each chunk with its own ``numpy.random.default_rng(SeedSequence([seed, chunk_index]))``. A chunk's rows are
written and dropped before the next chunk starts; only ID counters and monthly driver volumes are kept, so
memory does not grow with ``--customers``. All work inside a chunk is vectorised numpy. The same arguments
always give byte-identical files.
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

# ================================================================================================== catalogs

SEEDS_DIR = Path(__file__).resolve().parents[1] / "seeds"


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
    "paid_search": 0.20, "paid_social": 0.14, "display": 0.08, "affiliate": 0.06,
    "email": 0.10, "direct": 0.14, "organic_search": 0.20, "social": 0.08,
}  # fmt: skip
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
_SITE = [("direct", "website", 0.35), ("direct", "mobile_app", 0.25), ("organic_search", "website", 0.15),
         ("email", "website", 0.10), ("paid_search", "website", 0.10), ("social", "mobile_app", 0.05)]  # fmt: skip
EVENT_CONTEXT: dict[str, list[tuple[str, str, float]]] = {
    "ad_impression": [("display", "ad_network", 0.45), ("paid_social", "social_feed", 0.35),
                      ("paid_search", "search_engine", 0.20)],
    "ad_click": [("paid_search", "search_engine", 0.45), ("paid_social", "social_feed", 0.30),
                 ("display", "ad_network", 0.15), ("affiliate", "ad_network", 0.10)],
    "email_open": [("email", "email_inbox", 1.0)],
    "social_engagement": [("social", "social_feed", 0.7), ("paid_social", "social_feed", 0.3)],
    "organic_search_visit": [("organic_search", "search_engine", 1.0)],
    "referral_link_visit": [("referral", "website", 1.0)],
    "product_view": _SITE, "pricing_view": _SITE, "compare_products": _SITE, "add_to_cart": _SITE,
    "review_read": _SITE,
    "demo_request": [("direct", "website", 0.5), ("direct", "call_center", 0.25), ("direct", "store", 0.25)],
    "checkout_started": [("direct", "website", 0.6), ("direct", "mobile_app", 0.4)],
    "login": [("direct", "website", 0.45), ("direct", "mobile_app", 0.55)],
    "order_tracking_view": [("direct", "mobile_app", 0.45), ("direct", "website", 0.30),
                            ("email", "email_inbox", 0.25)],
    "help_center_visit": [("direct", "website", 0.8), ("organic_search", "search_engine", 0.2)],
    "loyalty_reward_claimed": [("direct", "mobile_app", 0.5), ("email", "email_inbox", 0.3),
                               ("direct", "website", 0.2)],
    "review_written": [("direct", "website", 0.7), ("direct", "mobile_app", 0.3)],
    "social_share": [("social", "social_feed", 1.0)],
    "chatbot_open": [("direct", "chat", 0.6), ("direct", "website", 0.4)],
    "wishlist_add": [("direct", "mobile_app", 0.6), ("direct", "website", 0.4)],
}  # fmt: skip
DEFAULT_CONTEXT = [("direct", "website", 1.0)]  # for event types added to the stage map later

# --- event mixes (weights; stage-map event types missing here get weight 0)
AWARENESS_MIX = {"ad_impression": 0.35, "email_open": 0.25, "social_engagement": 0.15,
                 "organic_search_visit": 0.15, "ad_click": 0.10}  # fmt: skip
CONSIDERATION_MIX = {"product_view": 0.42, "pricing_view": 0.12, "review_read": 0.14, "add_to_cart": 0.14,
                     "compare_products": 0.13, "demo_request": 0.05}  # fmt: skip
RETENTION_MIX = {"login": 0.55, "order_tracking_view": 0.17, "help_center_visit": 0.12,
                 "loyalty_reward_claimed": 0.06, "email_open": 0.10}  # fmt: skip
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

# --- support tickets
TICKET_CATEGORIES = ("billing", "delivery", "product_defect", "account", "usability")
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
    "main_effects": {"pricing": {"discount_10": 5.0, "bundle": 12.0}, "feature": {"on": 8.0},
                     "support": {"priority": 3.0}},
    "interactions": [{"levels": {"pricing": "bundle", "feature": "on"}, "effect": 10.0}],
    "revenue_sd": 25.0,
}  # fmt: skip
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
    "customer": ("C", 8), "event": ("E", 10), "order": ("O", 9), "survey": ("S", 9), "referral": ("R", 9),
    "ticket": ("T", 9), "session": ("SES", 10),
}  # fmt: skip


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
        "loyal_high_value", 0.18, p_consider=0.95, p_decide=0.80, p_advocate=0.55,
        bg_nbd={"r": 2.0, "alpha": 40.0, "a": 1.0, "b": 14.0}, gamma_gamma={"p": 10.0, "q": 12.0, "gamma": 165.0},
        awareness_events=2, consideration_events=5, consider_delay_days=1, decide_delay_days=2,
        browse_span_days=10, events_per_active_month=12, browse_share=0.25, tickets_per_active_month=0.03,
        ticket_mix={"billing": 0.2, "delivery": 0.25, "product_defect": 0.2, "account": 0.2, "usability": 0.15},
        nps_base=9.3,
    ),
    Segment(
        "bargain_occasional", 0.32, p_consider=0.80, p_decide=0.50, p_advocate=0.15,
        bg_nbd={"r": 1.2, "alpha": 150.0, "a": 1.5, "b": 6.0}, gamma_gamma={"p": 10.0, "q": 12.0, "gamma": 27.5},
        awareness_events=3, consideration_events=10, consider_delay_days=3, decide_delay_days=5,
        browse_span_days=20, events_per_active_month=5, browse_share=0.35, tickets_per_active_month=0.06,
        ticket_mix={"billing": 0.3, "delivery": 0.3, "product_defect": 0.15, "account": 0.15, "usability": 0.1},
        nps_base=7.3,
    ),
    Segment(
        "support_heavy_at_risk", 0.15, p_consider=0.85, p_decide=0.55, p_advocate=0.03,
        bg_nbd={"r": 1.5, "alpha": 60.0, "a": 3.0, "b": 4.0}, gamma_gamma={"p": 10.0, "q": 12.0, "gamma": 82.5},
        awareness_events=2, consideration_events=6, consider_delay_days=2, decide_delay_days=3,
        browse_span_days=14, events_per_active_month=8, browse_share=0.2, tickets_per_active_month=2.0,
        ticket_mix={"billing": 0.38, "delivery": 0.42, "product_defect": 0.1, "account": 0.05, "usability": 0.05},
        nps_base=4.5,
    ),
    Segment(
        "browsers", 0.35, p_consider=0.90, p_decide=0.12, p_advocate=0.08,
        bg_nbd={"r": 1.0, "alpha": 120.0, "a": 2.0, "b": 6.0}, gamma_gamma={"p": 10.0, "q": 12.0, "gamma": 60.5},
        awareness_events=3, consideration_events=60, consider_delay_days=2, decide_delay_days=10,
        browse_span_days=60, events_per_active_month=12, browse_share=0.65, tickets_per_active_month=0.04,
        ticket_mix={"billing": 0.15, "delivery": 0.2, "product_defect": 0.15, "account": 0.2, "usability": 0.3},
        nps_base=6.8,
    ),
)  # fmt: skip

# Raw-data contract: table -> ((column, kind), ...). Kinds: id, str, ts, money, int, date.
TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "customers": (("customer_id", "id"), ("created_at", "ts"), ("country", "str"), ("acquisition_channel", "str")),
    "events": (("event_id", "id"), ("customer_id", "id"), ("occurred_at", "ts"), ("event_type", "str"),
               ("channel", "str"), ("touchpoint", "str"), ("session_id", "id")),
    "orders": (("order_id", "id"), ("customer_id", "id"), ("ordered_at", "ts"), ("revenue", "money"),
               ("cost_of_goods", "money"), ("status", "str")),
    "survey_responses": (("response_id", "id"), ("customer_id", "id"), ("responded_at", "ts"),
                         ("nps_score", "int"), ("csat_score", "int"), ("touchpoint", "str")),
    "referrals": (("referral_id", "id"), ("referrer_customer_id", "id"), ("referred_customer_id", "id"),
                  ("sent_at", "ts"), ("converted_at", "ts"), ("channel", "str")),
    "support_tickets": (("ticket_id", "id"), ("customer_id", "id"), ("opened_at", "ts"), ("resolved_at", "ts"),
                        ("category", "str"), ("channel", "str")),
    "experiments": (("experiment_id", "id"), ("name", "str"), ("primary_metric", "str"),
                    ("metric_window_days", "int"), ("started_at", "ts"), ("ended_at", "ts")),
    "experiment_assignments": (("experiment_id", "id"), ("customer_id", "id"), ("assigned_at", "ts"),
                               ("factor", "str"), ("level", "str")),
    "activity_costs": (("period_month", "date"), ("activity", "str"), ("cost", "money"), ("driver", "str")),
}  # fmt: skip
MONTHLY_CSV_TABLES = {"events": "occurred_at", "orders": "ordered_at"}  # csv: one file per month per chunk
ORDER_STATUSES = ("completed", "refunded", "cancelled")
COMPLETED, REFUNDED, CANCELLED = range(3)
TRUTH_DIR = "_truth"

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
TICKET_CUM = np.cumsum([[s.ticket_mix[c] / sum(s.ticket_mix.values()) for c in TICKET_CATEGORIES]
                        for s in SEGMENTS], axis=1)  # fmt: skip
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
        cell = dict(zip(factors, levels))
        mean = EXPERIMENT["intercept"]
        mean += sum(EXPERIMENT["main_effects"].get(f, {}).get(level, 0.0) for f, level in cell.items())
        for term in EXPERIMENT["interactions"]:
            if all(cell[f] == level for f, level in term["levels"].items()):
                mean += term["effect"]
        cells.append({**cell, "mean_revenue": round(mean, 6)})
    return cells


EXPERIMENT_CELLS = _experiment_cells()  # in itertools.product order: index = sum(level_i * stride_i)
EXPERIMENT_CELL_MEANS = np.array([c["mean_revenue"] for c in EXPERIMENT_CELLS])
_FACTOR_SIZES = [len(levels) for levels in EXPERIMENT["factors"].values()]
EXPERIMENT_STRIDES = np.array([int(np.prod(_FACTOR_SIZES[i + 1:])) for i in range(len(_FACTOR_SIZES))])


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
    def build(cls, start: str, days: int) -> "Calendar":
        """The data runs from `start` through the day `start + days` (2024-01-01 + 730 days = 2025-12-31)."""
        start_day = np.datetime64(start, "D")
        start_s = int(start_day.astype("datetime64[s]").astype(np.int64))
        n_days = days + 1
        end_s = start_s + n_days * DAY
        months = np.arange(start_day.astype("datetime64[M]"), _as_dt(end_s - 1).astype("datetime64[M]") + 1)
        month_starts = months.astype("datetime64[s]").astype(np.int64)
        exp_start_month = _as_dt(end_s).astype("datetime64[M]") - EXPERIMENT_MONTHS_BEFORE_END
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


def _as_dt(seconds: int) -> np.datetime64:
    return np.datetime64(int(seconds), "s")


def _month_number(seconds: int) -> int:
    return int(_as_dt(seconds).astype("datetime64[M]").astype(np.int64))


def _iso(seconds: int) -> str:
    return str(_as_dt(seconds)) + "Z"


# ================================================================================================== array helpers


def _group_starts(counts: np.ndarray) -> np.ndarray:
    starts = np.zeros(counts.size, dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    return starts


def _rank_in_group(counts: np.ndarray) -> np.ndarray:
    """0, 1, ... within each run of a np.repeat(..., counts) array."""
    total = int(counts.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(_group_starts(counts), counts)


def _lognormal(rng: np.random.Generator, median: np.ndarray | float, sigma: float, minimum: int,
               size: int) -> np.ndarray:  # fmt: skip
    """Log-normal durations in whole seconds, at least `minimum`."""
    return np.maximum(minimum, rng.lognormal(np.log(median), sigma, size)).astype(np.int64)


def _uniform_between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Whole seconds uniformly in [lo, hi) (hi > lo)."""
    return lo + (rng.random(lo.size) * (hi - lo)).astype(np.int64)


def _burst_times(rng: np.random.Generator, owner: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                 anchor_first: bool = False) -> np.ndarray:  # fmt: skip
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
    new_visit = first | (rng.random(n) >= BURST_CONTINUE_P)
    start = _uniform_between(rng, lo, hi)
    if anchor_first:
        start = np.where(first, lo, start)
    gap = np.where(new_visit, 0, 1 + rng.exponential(BURST_GAP_MEAN, n)).astype(np.int64)
    visit_start = np.flatnonzero(new_visit)
    visit = np.cumsum(new_visit) - 1
    elapsed = np.cumsum(gap)
    offset = elapsed - elapsed[visit_start][visit]
    return np.minimum(start[visit_start][visit] + offset, hi - 1)


def _sample_context(rng: np.random.Generator, event_type: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    u = np.minimum(rng.random(event_type.size), 1 - 1e-9)
    k = np.searchsorted(CONTEXT_CUM, event_type + u, side="right")
    return CONTEXT_CHANNEL[k], CONTEXT_TOUCHPOINT[k]


def _choice(rng: np.random.Generator, codes: np.ndarray, p: np.ndarray, size: int) -> np.ndarray:
    return codes[rng.choice(codes.size, size=size, p=p)]


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def _take(columns: dict[str, np.ndarray], index: np.ndarray) -> dict[str, np.ndarray]:
    return {key: values[index] for key, values in columns.items()}


# ================================================================================================== simulation


def _draw_signups(rng: np.random.Generator, cal: Calendar, n: int) -> np.ndarray:
    """Sign-up instants: seasonal (Nov/Dec boost), fewer at weekends, slowly growing, daytime-heavy."""
    day0 = cal.start // DAY
    day = np.arange(cal.n_days, dtype=np.int64)
    month = (day0 + day).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64) % 12 + 1
    weekday = (day0 + day + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    weight = np.array([SEASON_BOOST.get(int(m), 1.0) for m in range(1, 13)])[month - 1]
    weight = weight * np.where(weekday >= 5, WEEKEND_FACTOR, 1.0) * (1 + GROWTH_OVER_PERIOD * day / cal.n_days)
    chosen_day = rng.choice(cal.n_days, size=n, p=weight / weight.sum())
    hour = rng.choice(24, size=n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    return (day0 + chosen_day) * DAY + hour * HOUR + rng.integers(0, HOUR, n)


def _new_people(rng: np.random.Generator, created: np.ndarray, acquisition: np.ndarray, country: np.ndarray,
                referrer: np.ndarray, generation: int) -> dict[str, np.ndarray]:  # fmt: skip
    n = created.size
    return {
        "created": created.astype(np.int64),
        "segment": rng.choice(len(SEGMENTS), size=n, p=SEGMENT_SHARES),
        "acquisition": acquisition.astype(np.int64),
        "country": country.astype(np.int64),
        "referrer": referrer.astype(np.int64),
        "generation": np.full(n, generation, dtype=np.int64),
    }


def _acquired_people(rng: np.random.Generator, cal: Calendar, n: int) -> dict[str, np.ndarray]:
    created = np.sort(_draw_signups(rng, cal, n))
    acquisition = _choice(rng, ACQUISITION_CODES, ACQUISITION_P, n)
    country = rng.choice(len(COUNTRIES), size=n, p=COUNTRY_P)
    return _new_people(rng, created, acquisition, country, np.full(n, -1), 0)


def _simulate_journeys(rng: np.random.Generator, cal: Calendar, people: dict[str, np.ndarray], first_index: int
                       ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:  # fmt: skip
    """Latent journey of one generation of customers: stage flags and times, purchases and referrals.

    Times are epoch seconds; `cal.end` stands for "never". Owner indices are chunk-local (first_index + i).
    Returns (people with latent columns, repeat purchases, referrals).
    """
    n, end = people["created"].size, cal.end
    seg, created = people["segment"], people["created"]

    # consideration and decision
    t_consider = created + _lognormal(rng, SEGMENTS_CONSIDER_DELAY[seg], 1.0, MINUTE, n)
    considered = (rng.random(n) < P_CONSIDER[seg]) & (t_consider < end - MIN_ROOM_TO_CONSIDER)
    t_first = t_consider + _lognormal(rng, SEGMENTS_DECIDE_DELAY[seg], 1.0, HOUR, n)
    decided = considered & (rng.random(n) < P_DECIDE[seg]) & (t_first < end - MINUTE)
    browse_span = _lognormal(rng, SEGMENTS_BROWSE_SPAN[seg], 0.8, HOUR, n)
    t_consider = np.where(considered, t_consider, end)
    t_first = np.where(decided, t_first, end)
    t_browse_end = np.where(decided, t_first - CHECKOUT_LEAD, np.minimum(t_consider + browse_span, end - 1))

    # repeat purchases (modified BG/NBD): Poisson process while alive, dropout after each purchase
    rate_per_day = rng.gamma(BG_R[seg], 1.0 / BG_ALPHA[seg])
    p_dropout = np.clip(rng.beta(BG_A[seg], BG_B[seg]), 1e-6, 1.0)
    purchases_alive = rng.geometric(p_dropout)  # drops out right after this many purchases
    nu = rng.gamma(GG_Q[seg], 1.0 / GG_GAMMA[seg])
    window = np.where(decided, end - 1 - t_first, 0)
    candidates = rng.poisson(rate_per_day * window / DAY)
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
    advocate = retained & (rng.random(n) < P_ADVOCATE[seg]) & (t_ret < end - HOUR)
    room = end - t_ret
    trigger_gap = np.minimum(rng.exponential(TRIGGER_DELAY_MEAN_DAYS * DAY, n), room // 2).astype(np.int64)
    t_trigger = np.where(advocate, t_ret + MINUTE + trigger_gap, end)

    referrals = _simulate_referrals(rng, cal, advocate, t_ret, t_trigger, first_index)
    state = {
        **people,
        "considered": considered, "decided": decided, "retained": retained, "advocate": advocate,
        "alive_at_end": decided & ~dropped,
        "t_consider": t_consider, "t_browse_end": t_browse_end, "t_first": t_first, "t_ret": t_ret,
        "t_drop": t_drop, "t_trigger": t_trigger, "nu": nu,
    }  # fmt: skip
    repeats = {"owner": repeat_owner + first_index, "t": repeat_t}
    return state, repeats, referrals


def _simulate_referrals(rng: np.random.Generator, cal: Calendar, advocate: np.ndarray, t_ret: np.ndarray,
                        t_trigger: np.ndarray, first_index: int) -> dict[str, np.ndarray]:  # fmt: skip
    """Advocates' referrals: 1-3 each after retention, the first within 0-7 days of the loyalty claim with
    probability TRIGGER_P; every other referral avoids the 14-day window after that claim."""
    n, end = advocate.size, cal.end
    sizes = np.array(list(REFERRALS_PER_ADVOCATE))
    count = np.where(advocate, sizes[rng.choice(sizes.size, size=n, p=list(REFERRALS_PER_ADVOCATE.values()))], 0)
    sender = np.repeat(np.arange(n), count)
    m = sender.size
    first = _rank_in_group(count) == 0
    triggered = first & (rng.random(m) < TRIGGER_P)
    claim, retained_at = t_trigger[sender], t_ret[sender]
    lag_room = np.maximum(np.minimum(TRIGGER_LAG_DAYS * DAY, end - 1 - claim) - MINUTE, 1)
    sent_triggered = claim + MINUTE + (rng.random(m) * lag_room).astype(np.int64)
    before = claim - retained_at - 1  # seconds in (retained_at, claim)
    window_end = claim + TRIGGER_WINDOW_DAYS * DAY
    after = np.maximum(0, end - 1 - window_end)  # seconds in (window_end, end)
    x = (rng.random(m) * (before + after)).astype(np.int64)
    sent_other = np.where(x < before, retained_at + 1 + x, window_end + 1 + (x - before))
    sent = np.where(triggered, sent_triggered, sent_other)
    channel = rng.choice(len(REFERRAL_CHANNEL_NAMES), size=m, p=REFERRAL_CHANNEL_P)
    converted_at = sent + _lognormal(rng, REFERRAL_LAG_MEDIAN_HOURS * HOUR, 1.2, MINUTE, m)
    converted = (rng.random(m) < REFERRAL_CONVERSION_P) & (converted_at < end - MINUTE)
    return {
        "sender": sender + first_index, "sent": sent, "channel": channel, "triggered": triggered,
        "converted": converted, "converted_at": np.where(converted, converted_at, -1),
        "referred": np.full(m, -1, dtype=np.int64),
    }  # fmt: skip


def _simulate_population(rng: np.random.Generator, cal: Calendar, n_acquired: int):
    """Acquired customers, then the customers they refer, generation by generation."""
    people = _acquired_people(rng, cal, n_acquired)
    generations, repeats, referrals = [], [], []
    first_index = 0
    for generation in range(MAX_REFERRAL_GENERATIONS + 1):
        state, rep, ref = _simulate_journeys(rng, cal, people, first_index)
        generations.append(state)
        repeats.append(rep)
        referrals.append(ref)
        first_index += state["created"].size
        converted = np.flatnonzero(ref["converted"])
        if converted.size == 0:
            break
        if generation == MAX_REFERRAL_GENERATIONS:  # cascade cut off: the last referrals stay unconverted
            ref["converted"][:] = False
            ref["converted_at"][:] = -1
            break
        converted = converted[np.lexsort((ref["sender"][converted], ref["converted_at"][converted]))]
        ref["referred"][converted] = first_index + np.arange(converted.size)
        referrer = ref["sender"][converted]
        referrer_country = state["country"][referrer - (first_index - state["created"].size)]
        country = np.where(rng.random(converted.size) < REFERRED_SAME_COUNTRY_P, referrer_country,
                           rng.choice(len(COUNTRIES), size=converted.size, p=COUNTRY_P))  # fmt: skip
        people = _new_people(rng, ref["converted_at"][converted], np.full(converted.size, REFERRAL_CHANNEL_CODE),
                             country, referrer, generation + 1)  # fmt: skip
    return _concat(generations), _concat(repeats), _concat(referrals)


def _assign_experiment(rng: np.random.Generator, cal: Calendar, pop: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Customers retained before the experiment and still alive at its start get one cell (independent uniform
    levels) and one extra completed order in the metric window, revenue ~ Gamma around the cell mean. Their
    regular purchases pause during the window (see _build_orders), so the window holds exactly that order."""
    eligible = pop["retained"] & (pop["t_ret"] < cal.exp_start) & (pop["t_drop"] > cal.exp_start)
    owner = np.flatnonzero(eligible)
    k = owner.size
    assigned = cal.exp_start + (rng.random(k) * (cal.exp_end - cal.exp_start + 1)).astype(np.int64)
    levels = np.stack([rng.integers(0, size, k) for size in _FACTOR_SIZES], axis=1) if k else np.zeros((0, 3), int)
    mean = EXPERIMENT_CELL_MEANS[levels @ EXPERIMENT_STRIDES] if k else np.zeros(0)
    sd = EXPERIMENT["revenue_sd"]
    revenue = rng.gamma((mean / sd) ** 2, sd**2 / np.maximum(mean, 1e-9)) if k else np.zeros(0)
    room = np.maximum(np.minimum(EXPERIMENT["metric_window_days"] * DAY, cal.end - 1 - assigned) - 1, 0)
    t_order = assigned + 1 + (rng.random(k) * room).astype(np.int64)
    return {"owner": owner, "assigned": assigned, "levels": levels.astype(np.int64), "t_order": t_order,
            "revenue_cents": np.maximum(MIN_ORDER_CENTS, np.rint(revenue * 100)).astype(np.int64)}  # fmt: skip


def _in_metric_window(n: int, experiment: dict[str, np.ndarray], owner: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Whether each (owner, t) falls in its owner's experiment metric window [assigned_at, + window]."""
    window_start = np.full(n, np.iinfo(np.int64).max // 2)
    window_start[experiment["owner"]] = experiment["assigned"]
    return (t >= window_start[owner]) & (t <= window_start[owner] + EXPERIMENT["metric_window_days"] * DAY)


def _order_values(rng: np.random.Generator, pop: dict[str, np.ndarray], owner: np.ndarray) -> np.ndarray:
    """Gamma-Gamma order values in cents."""
    value = rng.gamma(GG_P[pop["segment"][owner]], 1.0 / pop["nu"][owner])
    return np.maximum(MIN_ORDER_CENTS, np.rint(value * 100)).astype(np.int64)


def _build_orders(rng: np.random.Generator, cal: Calendar, pop: dict[str, np.ndarray], repeats: dict[str, np.ndarray],
                  experiment: dict[str, np.ndarray]) -> dict[str, np.ndarray]:  # fmt: skip
    n, end = pop["created"].size, cal.end
    buyers = np.flatnonzero(pop["decided"])
    repeats = _take(repeats, ~_in_metric_window(n, experiment, repeats["owner"], repeats["t"]))
    bgnbd_owner = np.concatenate([buyers, repeats["owner"]])
    owner = np.concatenate([bgnbd_owner, experiment["owner"]])
    t = np.concatenate([pop["t_first"][buyers], repeats["t"], experiment["t_order"]])
    revenue = np.concatenate([_order_values(rng, pop, bgnbd_owner), experiment["revenue_cents"]])
    status = np.full(owner.size, COMPLETED)

    # refunded / cancelled extras of buyers, after their first completed order
    extra = rng.poisson(EXTRA_ORDER_RATE * np.bincount(owner, minlength=n))
    x_owner = np.repeat(np.arange(n), extra)
    x_t = _uniform_between(rng, pop["t_first"][x_owner] + 1, np.full(x_owner.size, end))
    x_status = np.where(rng.random(x_owner.size) < REFUNDED_SHARE, REFUNDED, CANCELLED)

    # a cancelled order of some considerers who never decide, while they are still browsing
    c_mask = pop["considered"] & ~pop["decided"] & (pop["t_browse_end"] - pop["t_consider"] > 2)
    c_owner = np.flatnonzero(c_mask & (rng.random(n) < NON_DECIDER_CANCELLED_P))
    c_t = _uniform_between(rng, pop["t_consider"][c_owner] + 1, pop["t_browse_end"][c_owner])

    owner = np.concatenate([owner, x_owner, c_owner])
    t = np.concatenate([t, x_t, c_t])
    revenue = np.concatenate([revenue, _order_values(rng, pop, np.concatenate([x_owner, c_owner]))])
    status = np.concatenate([status, x_status, np.full(c_owner.size, CANCELLED)])
    cogs = np.rint(revenue * rng.uniform(*COGS_SHARE_RANGE, owner.size)).astype(np.int64)
    return {
        "owner": owner, "t": t, "revenue_cents": revenue, "cogs_cents": cogs,
        "cogs_valid": rng.random(owner.size) >= COGS_MISSING_P, "status": status,
        "offset_min": _draw_offsets(rng, owner.size),
    }  # fmt: skip


def _draw_offsets(rng: np.random.Generator, n: int) -> np.ndarray:
    """UTC offset (minutes) a timestamp is written with in CSV: 0 for ~90% of rows."""
    offset = OFFSET_MINUTES[rng.integers(0, OFFSET_MINUTES.size, n)]
    return np.where(rng.random(n) < OFFSET_SHARE, offset, 0)


def _events_block(owner: np.ndarray, t: np.ndarray, event_type: np.ndarray, channel: np.ndarray | None = None,
                  touchpoint: np.ndarray | None = None) -> dict[str, np.ndarray]:  # fmt: skip
    """Events of one kind; channel/touchpoint -1 = sample a plausible context for the type later."""
    n = owner.size
    return {
        "owner": owner.astype(np.int64), "t": t.astype(np.int64), "type": np.broadcast_to(event_type, n).astype(np.int64),
        "channel": np.full(n, -1, np.int64) if channel is None else channel.astype(np.int64),
        "touchpoint": np.full(n, -1, np.int64) if touchpoint is None else touchpoint.astype(np.int64),
    }  # fmt: skip


def _phase_events(rng: np.random.Generator, who: np.ndarray, counts: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                  types: tuple[np.ndarray, np.ndarray], anchor_first: bool = False) -> dict[str, np.ndarray]:  # fmt: skip
    """`counts[i]` bursty events of customer who[i] in [lo[i], hi[i]), types drawn from a mix."""
    owner = np.repeat(who, counts)
    idx = np.repeat(np.arange(who.size), counts)
    t = _burst_times(rng, owner, lo[idx], hi[idx], anchor_first=anchor_first)
    return _events_block(owner, t, _choice(rng, *types, owner.size))


def _build_events(rng: np.random.Generator, cal: Calendar, pop: dict[str, np.ndarray],
                  orders: dict[str, np.ndarray]) -> dict[str, np.ndarray]:  # fmt: skip
    n, end = pop["created"].size, cal.end
    seg, created = pop["segment"], pop["created"]
    considered, decided = pop["considered"], pop["decided"]
    everyone = np.arange(n)
    blocks = []

    # 1. first touch, exactly at created_at, matching the acquisition channel
    acquisition = pop["acquisition"]
    blocks.append(_events_block(everyone, created, FIRST_TYPE[acquisition], acquisition, FIRST_TOUCHPOINT[acquisition]))

    # 2. more awareness events, before the first consideration event (or over a few weeks)
    span = _lognormal(rng, AWARENESS_SPAN_DAYS * DAY, 1.0, HOUR, n)
    hi = np.where(considered, pop["t_consider"], np.minimum(created + span, end))
    counts = np.where(hi - created > 2, rng.poisson(SEGMENTS_AWARENESS_EVENTS[seg]), 0)
    blocks.append(_phase_events(rng, everyone, counts, created + 1, hi, (AWARENESS_CODES, AWARENESS_P)))

    # 3. consideration before the first order (or until the considerer drops off); plant the last event's type
    who = np.flatnonzero(considered)
    counts = 1 + rng.poisson(SEGMENTS_CONSIDERATION_EVENTS[seg[who]])
    block = _phase_events(rng, who, counts, pop["t_consider"][who], pop["t_browse_end"][who],
                          (CONSIDERATION_CODES, CONSIDERATION_P), anchor_first=True)  # fmt: skip
    order = np.lexsort((block["t"], block["owner"]))
    last = order[np.cumsum(counts) - 1]
    block["t"][last] += (counts > 1).astype(np.int64)  # the last event is strictly the latest
    p_dropoff = np.where(decided[who], DROPOFF_P_DECIDERS, DROPOFF_P_NON_DECIDERS)
    dropoff = rng.random(who.size) < p_dropoff
    block["type"][last] = np.where(dropoff, DROPOFF_CODE, _choice(rng, NON_DROPOFF_CODES, NON_DROPOFF_P, who.size))
    blocks.append(block)

    # 4. around completed orders: checkout_started 1-20 min before, order_tracking_view 2-72 h after
    completed = orders["status"] == COMPLETED
    o_owner, o_t = orders["owner"][completed], orders["t"][completed]
    mask = rng.random(o_owner.size) < CHECKOUT_P
    before = o_t - rng.integers(MINUTE, 20 * MINUTE + 1, o_owner.size)
    blocks.append(_events_block(o_owner[mask], before[mask], CHECKOUT_CODE))
    after = o_t + rng.integers(2 * HOUR, 72 * HOUR + 1, o_owner.size)
    mask = (rng.random(o_owner.size) < TRACKING_P) & (after < end)
    blocks.append(_events_block(o_owner[mask], after[mask], TRACKING_CODE))

    # 5. buyers while alive: retention events and some browsing; after dropout: the odd email or login
    who = np.flatnonzero(decided)
    lo, hi = pop["t_first"][who] + 1, pop["t_drop"][who]
    months = (hi - lo) / MONTH
    counts = np.where(hi - lo > 2, rng.poisson(SEGMENTS_EVENTS_PER_MONTH[seg[who]] * np.maximum(months, 0)), 0)
    block = _phase_events(rng, who, counts, lo, hi, (RETENTION_CODES, RETENTION_P))
    browsing = rng.random(block["owner"].size) < SEGMENTS_BROWSE_SHARE[seg[block["owner"]]]
    block["type"] = np.where(browsing, _choice(rng, CONSIDERATION_CODES, CONSIDERATION_P, browsing.size), block["type"])
    blocks.append(block)
    lo, hi = pop["t_drop"][who] + 1, np.full(who.size, end)
    counts = np.where(hi - lo > 2, rng.poisson(DORMANT_EVENTS_PER_MONTH * np.maximum((hi - lo) / MONTH, 0)), 0)
    blocks.append(_phase_events(rng, who, counts, lo, hi, (DORMANT_CODES, DORMANT_P)))

    # 6. advocates: the loyalty claim that triggers referrals, then reviews and shares
    who = np.flatnonzero(pop["advocate"])
    blocks.append(_events_block(who, pop["t_trigger"][who], TRIGGER_CODE))
    counts = 1 + rng.poisson(ADVOCACY_EVENTS_MEAN, who.size)
    lo, hi = pop["t_ret"][who] + 1, np.full(who.size, end)
    blocks.append(_phase_events(rng, who, counts, lo, hi, (ADVOCACY_CODES, ADVOCACY_P)))

    events = _concat(blocks)
    events = _add_drift_events(rng, pop, _take(events, np.lexsort((events["t"], events["owner"]))))
    missing = events["channel"] < 0
    channel, touchpoint = _sample_context(rng, events["type"][missing])
    events["channel"][missing], events["touchpoint"][missing] = channel, touchpoint
    events = _sessionise(rng, events)
    events["offset_min"] = _draw_offsets(rng, events["t"].size)
    return events


def _add_drift_events(rng: np.random.Generator, pop: dict[str, np.ndarray], events: dict[str, np.ndarray]
                      ) -> dict[str, np.ndarray]:  # fmt: skip
    """A few events with types the stage map does not know, strictly between a considerer's first and last
    event (so they change no stage reach and no 'last event'). Input and output sorted by (owner, t)."""
    n = pop["created"].size
    per_owner = np.bincount(events["owner"], minlength=n)
    last_t = events["t"][np.cumsum(per_owner) - 1]
    created = pop["created"]
    eligible = pop["considered"] & (last_t - created >= 3)
    counts = np.where(eligible, rng.poisson(DRIFT_RATE * per_owner), 0)
    owner = np.repeat(np.arange(n), counts)
    t = _uniform_between(rng, created[owner] + 1, last_t[owner])
    drift = _events_block(owner, t, DRIFT_CODES[rng.integers(0, DRIFT_CODES.size, owner.size)])
    merged = _concat([events, drift])
    return _take(merged, np.lexsort((merged["t"], merged["owner"])))


def _sessionise(rng: np.random.Generator, events: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Session numbers (1-based within the chunk) by the 30-minute rule over events sorted by (owner, t); ~10%
    of events lose theirs (the tracker dropped it)."""
    m = events["owner"].size
    new_session = np.ones(m, dtype=bool)
    new_session[1:] = (events["owner"][1:] != events["owner"][:-1]) | (np.diff(events["t"]) > SESSION_GAP)
    events["session"] = np.cumsum(new_session)
    events["session_valid"] = rng.random(m) >= SESSION_MISSING_P
    return events


def _build_tickets(rng: np.random.Generator, cal: Calendar, pop: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Buyers' tickets while alive (and up to 30 days after dropping out); segment rates and category mixes."""
    who = np.flatnonzero(pop["decided"])
    lo = pop["t_first"][who] + 1
    hi = np.minimum(pop["t_drop"][who] + TICKET_AFTER_DROPOUT, cal.end)
    months = np.maximum(hi - lo, 0) / MONTH
    counts = np.where(hi - lo > 2, rng.poisson(SEGMENTS_TICKETS_PER_MONTH[pop["segment"][who]] * months), 0)
    idx = np.repeat(np.arange(who.size), counts)
    owner = who[idx]
    opened = _uniform_between(rng, lo[idx], hi[idx])
    u = rng.random(owner.size)
    category = (u[:, None] >= TICKET_CUM[pop["segment"][owner]]).sum(axis=1)
    channel = rng.choice(len(TICKET_CHANNEL_NAMES), size=owner.size, p=TICKET_CHANNEL_P)
    resolved = opened + _lognormal(rng, RESOLUTION_MEDIAN_HOURS * HOUR, RESOLUTION_SIGMA, MINUTE, owner.size)
    resolved_valid = (rng.random(owner.size) >= UNRESOLVED_P) & (resolved < cal.end)
    order = np.lexsort((opened, owner))
    return _take({"owner": owner, "opened": opened, "resolved": resolved, "resolved_valid": resolved_valid,
                  "category": category, "channel": channel}, order)  # fmt: skip


def _build_surveys(rng: np.random.Generator, cal: Calendar, pop: dict[str, np.ndarray], orders: dict[str, np.ndarray],
                   tickets: dict[str, np.ndarray]) -> dict[str, np.ndarray]:  # fmt: skip
    """Responses to surveys sent after completed orders and after tickets. NPS = segment base - penalty per ticket
    in the 30 days before + noise; retained non-advocates never give 9-10 at or after retention."""
    completed = orders["status"] == COMPLETED
    o_owner, o_t = orders["owner"][completed], orders["t"][completed]
    answered = rng.random(o_owner.size) < SURVEY_AFTER_ORDER_P * SURVEY_RESPONSE_P
    o_resp = o_t + rng.integers(DAY, 7 * DAY + 1, o_owner.size)
    o_tp = _choice(rng, ORDER_SURVEY_TP, ORDER_SURVEY_TP_P, o_owner.size)

    t_owner = tickets["owner"]
    base = np.where(tickets["resolved_valid"], tickets["resolved"], tickets["opened"] + 2 * DAY)
    t_answered = rng.random(t_owner.size) < SURVEY_AFTER_TICKET_P * SURVEY_RESPONSE_P
    t_resp = base + rng.integers(HOUR, 3 * DAY + 1, t_owner.size)
    t_tp = _choice(rng, TICKET_SURVEY_TP, TICKET_SURVEY_TP_P, t_owner.size)

    owner = np.concatenate([o_owner, t_owner])
    t = np.concatenate([o_resp, t_resp])
    touchpoint = np.concatenate([o_tp, t_tp])
    keep = np.concatenate([answered, t_answered]) & (t < cal.end)
    owner, t, touchpoint = owner[keep], t[keep], touchpoint[keep]

    recent_tickets = _count_before(tickets["owner"], tickets["opened"], owner, t, NPS_TICKET_WINDOW)
    after_retention = t >= pop["t_ret"][owner]
    advocate = pop["advocate"][owner]
    score = (SEGMENTS_NPS_BASE[pop["segment"][owner]] + rng.normal(0, NPS_NOISE_SD, owner.size)
             - NPS_TICKET_PENALTY * recent_tickets + NPS_ADVOCATE_BOOST * (advocate & after_retention))  # fmt: skip
    nps = np.clip(np.rint(score), 0, 10).astype(np.int64)
    nps = np.where(~advocate & after_retention, np.minimum(nps, NPS_MAX_NON_ADVOCATE_AFTER_RETENTION), nps)
    csat = np.clip(np.rint(1 + 0.4 * nps + rng.normal(0, 0.6, owner.size)), 1, 5).astype(np.int64)
    u = rng.random(owner.size)
    touchpoint = np.where(rng.random(owner.size) < SURVEY_TOUCHPOINT_MISSING_P, -1, touchpoint)
    order = np.lexsort((owner, t))
    return _take({"owner": owner, "t": t, "nps": nps, "nps_valid": u >= NPS_MISSING_P, "csat": csat,
                  "csat_valid": (u < NPS_MISSING_P) | (u >= NPS_MISSING_P + CSAT_MISSING_P),
                  "touchpoint": touchpoint}, order)  # fmt: skip


def _count_before(ref_owner: np.ndarray, ref_t: np.ndarray, owner: np.ndarray, t: np.ndarray, window: int
                  ) -> np.ndarray:  # fmt: skip
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


def simulate_chunk(cal: Calendar, seed: int, chunk_index: int, n_acquired: int) -> Chunk:
    rng = np.random.default_rng(np.random.SeedSequence([seed, chunk_index]))
    pop, repeats, referrals = _simulate_population(rng, cal, n_acquired)
    experiment = _assign_experiment(rng, cal, pop)
    orders = _build_orders(rng, cal, pop, repeats, experiment)
    events = _build_events(rng, cal, pop, orders)
    tickets = _build_tickets(rng, cal, pop)
    surveys = _build_surveys(rng, cal, pop, orders, tickets)
    return Chunk(pop, orders, events, tickets, surveys, referrals, experiment)


# ================================================================================================== formatting

_DIGITS = np.frombuffer(b"0123456789", dtype=np.uint8)


def _put_digits(buffer: np.ndarray, column: int, values: np.ndarray, width: int) -> None:
    for k in range(width):
        buffer[:, column + width - 1 - k] = _DIGITS[(values // 10**k) % 10]


def _strings(buffer: np.ndarray, lengths: np.ndarray | None = None, valid: np.ndarray | None = None) -> pa.Array:
    """Arrow strings from a (rows, width) byte matrix; row i holds lengths[i] bytes (all of them if None)."""
    n, width = buffer.shape
    if lengths is None:
        lengths = np.full(n, width, dtype=np.int64)
    if valid is not None:
        lengths = np.where(valid, lengths, 0)
    data = buffer.reshape(-1) if bool((lengths == width).all()) else buffer[np.arange(width) < lengths[:, None]]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    if offsets[-1] >= 2**31:
        raise MemoryError("A chunk's text column exceeds 2 GiB; use a smaller --chunk-size.")
    validity = None if valid is None or valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
    null_count = 0 if validity is None else int(n - valid.sum())
    buffers = [validity, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(np.ascontiguousarray(data))]
    return pa.Array.from_buffers(pa.string(), n, buffers, null_count)


def _iso_bytes(seconds: np.ndarray, offset_min: np.ndarray) -> np.ndarray:
    """(rows, 25) bytes 'YYYY-MM-DDTHH:MM:SS' + 'Z' (offset 0) or '+HH:MM' (the local time of that offset)."""
    local = seconds + offset_min * MINUTE
    day = local // DAY
    second_of_day = local - day * DAY
    date = day.astype("datetime64[D]")
    month_start = date.astype("datetime64[M]")
    buffer = np.empty((seconds.size, 25), dtype=np.uint8)
    _put_digits(buffer, 0, month_start.astype("datetime64[Y]").astype(np.int64) + 1970, 4)
    _put_digits(buffer, 5, month_start.astype(np.int64) % 12 + 1, 2)
    _put_digits(buffer, 8, (date - month_start).astype(np.int64) + 1, 2)
    _put_digits(buffer, 11, second_of_day // HOUR, 2)
    _put_digits(buffer, 14, second_of_day // MINUTE % 60, 2)
    _put_digits(buffer, 17, second_of_day % 60, 2)
    buffer[:, [4, 7]] = ord("-")
    buffer[:, 10] = ord("T")
    buffer[:, [13, 16, 22]] = ord(":")
    buffer[:, 19] = np.where(offset_min == 0, ord("Z"), np.where(offset_min > 0, ord("+"), ord("-")))
    _put_digits(buffer, 20, np.abs(offset_min) // 60, 2)
    _put_digits(buffer, 23, np.abs(offset_min) % 60, 2)
    return buffer


class Formatter:
    """Numpy columns -> Arrow arrays in the contract's types (CSV: timestamps/dates as ISO text)."""

    def __init__(self, fmt: str) -> None:
        self.csv = fmt == "csv"

    @staticmethod
    def ids(kind: str, numbers: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
        prefix, width = ID_FORMATS[kind]
        numbers = np.asarray(numbers, dtype=np.int64)
        if numbers.size and int(numbers.max()) >= 10**width:
            raise OverflowError(f"More {kind} ids than {width} digits hold.")
        buffer = np.empty((numbers.size, len(prefix) + width), dtype=np.uint8)
        buffer[:, : len(prefix)] = np.frombuffer(prefix.encode(), dtype=np.uint8)
        _put_digits(buffer, len(prefix), numbers, width)
        return _strings(buffer, valid=valid)

    def timestamps(self, seconds: np.ndarray, offset_min: np.ndarray | None = None,
                   valid: np.ndarray | None = None) -> pa.Array:  # fmt: skip
        """CSV: ISO-8601 text, `...Z`, or `...+02:00` for rows with an offset; Parquet: timestamp[us, UTC]."""
        seconds = np.asarray(seconds, dtype=np.int64)
        if not self.csv:
            return pa.array(seconds * 1_000_000, type=pa.timestamp("us", tz="UTC"),
                            mask=None if valid is None else ~valid)  # fmt: skip
        if offset_min is None:
            offset_min = np.zeros(seconds.size, dtype=np.int64)
        return _strings(_iso_bytes(seconds, offset_min), np.where(offset_min == 0, 20, 25), valid)

    def dates(self, seconds: np.ndarray) -> pa.Array:
        """CSV: YYYY-MM-DD text; Parquet: date32."""
        seconds = np.asarray(seconds, dtype=np.int64)
        if not self.csv:
            return pa.array((seconds // DAY).astype(np.int32), type=pa.date32())
        return _strings(np.ascontiguousarray(_iso_bytes(seconds, np.zeros_like(seconds))[:, :10]))

    @staticmethod
    def labels(names: tuple[str, ...], codes: np.ndarray) -> pa.Array:
        codes = np.asarray(codes, dtype=np.int64)
        indices = pa.array(codes, mask=codes < 0) if (codes < 0).any() else pa.array(codes)
        return pa.array(list(names), type=pa.string()).take(indices)

    @staticmethod
    def money(cents: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
        """decimal128(18, 2) from integer cents, exactly (two's complement, little-endian 128-bit)."""
        cents = np.asarray(cents, dtype=np.int64)
        words = np.empty((cents.size, 2), dtype=np.int64)
        words[:, 0], words[:, 1] = cents, np.where(cents < 0, -1, 0)
        validity = None if valid is None or valid.all() else pa.py_buffer(np.packbits(valid, bitorder="little"))
        null_count = 0 if validity is None else int(cents.size - valid.sum())
        return pa.Array.from_buffers(pa.decimal128(18, 2), cents.size, [validity, pa.py_buffer(words)], null_count)

    @staticmethod
    def ints(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
        return pa.array(np.asarray(values, dtype=np.int64), type=pa.int64(), mask=None if valid is None else ~valid)

    def schema(self, table: str) -> pa.Schema:
        text = pa.string()
        types = {"id": text, "str": text, "int": pa.int64(), "money": pa.decimal128(18, 2),
                 "ts": text if self.csv else pa.timestamp("us", tz="UTC"), "date": text if self.csv else pa.date32()}
        return pa.schema([(name, types[kind]) for name, kind in TABLES[table]])


# ================================================================================================== writing


class RawWriter:
    """Writes raw tables into <out>/<table>/ as CSV or Parquet files and counts rows."""

    def __init__(self, out_dir: Path, fmt: str) -> None:
        self.out_dir, self.fmt = out_dir, fmt
        self.formatter = Formatter(fmt)
        self.rows = {table: 0 for table in TABLES}
        self.files = {table: 0 for table in TABLES}
        for table in TABLES:
            (out_dir / table).mkdir(parents=True, exist_ok=True)

    def write(self, table: str, columns: list[pa.Array], part: int, split_seconds: np.ndarray | None = None,
              cal: Calendar | None = None) -> None:  # fmt: skip
        """One chunk of a table. events (both formats) and orders (csv) are split by the time column, whose
        values (sorted ascending) are given as split_seconds."""
        data = pa.Table.from_arrays(columns, schema=self.formatter.schema(table))
        if data.num_rows == 0:
            return
        folder = self.out_dir / table
        if split_seconds is not None and self.fmt == "csv" and table in MONTHLY_CSV_TABLES:
            bounds = np.searchsorted(split_seconds, np.append(cal.month_starts, cal.end))
            for i in range(cal.month_starts.size):
                if bounds[i + 1] > bounds[i]:
                    month = str(_as_dt(cal.month_starts[i]).astype("datetime64[M]"))
                    self._write_file(data.slice(bounds[i], bounds[i + 1] - bounds[i]),
                                     folder / f"{table}_{month}_part-{part:05d}.csv", table)  # fmt: skip
        elif split_seconds is not None and self.fmt == "parquet" and table == "events":
            day_starts = cal.start + DAY * np.arange(cal.n_days + 1, dtype=np.int64)
            bounds = np.searchsorted(split_seconds, day_starts)
            for i in np.flatnonzero(bounds[1:] > bounds[:-1]):
                partition = folder / f"event_date={_as_dt(day_starts[i]).astype('datetime64[D]')}"
                partition.mkdir(exist_ok=True)
                self._write_file(data.slice(bounds[i], bounds[i + 1] - bounds[i]),
                                 partition / f"part-{part:05d}.parquet", table)  # fmt: skip
        else:
            name = f"part-{part:05d}.parquet" if self.fmt == "parquet" else f"{table}_part-{part:05d}.csv"
            self._write_file(data, folder / name, table)

    def _write_file(self, data: pa.Table, path: Path, table: str) -> None:
        if self.fmt == "parquet":
            pq.write_table(data, path)
        else:
            _write_csv(data, path)
        self.rows[table] += data.num_rows
        self.files[table] += 1

    def finish(self) -> None:
        """A table without rows still gets one file: header-only CSV or a schema-only Parquet file."""
        for table, columns in TABLES.items():
            if self.files[table]:
                continue
            folder = self.out_dir / table
            if self.fmt == "parquet":
                pq.write_table(self.formatter.schema(table).empty_table(), folder / "part-00000.parquet")
            else:
                name = f"{table}_part-00000.csv"
                (folder / name).write_text(",".join(column for column, _ in columns) + "\n", encoding="utf-8")
            self.files[table] = 1


def _write_csv(data: pa.Table, path: Path) -> None:
    """Minimal quoting like pandas: nothing is quoted unless a value needs it (then Arrow quotes strings)."""
    try:
        pacsv.write_csv(data, path, pacsv.WriteOptions(quoting_style="none", quoting_header="none"))
    except pa.ArrowInvalid:
        pacsv.write_csv(data, path, pacsv.WriteOptions(quoting_style="needed", quoting_header="none"))


@dataclass
class Counters:
    """Global id counters (last id used) and monthly driver volumes, the only state kept across chunks."""

    months: int
    ids: dict[str, int] = field(default_factory=lambda: {kind: 0 for kind in ID_FORMATS})
    volumes: dict[str, np.ndarray] = field(default_factory=dict)
    funnel: dict[str, np.ndarray] = field(default_factory=dict)
    max_generation: int = 0
    experiment_assigned: int = 0
    trigger: dict[str, int] = field(default_factory=lambda: {"advocates": 0, "triggered_referrals": 0})

    def __post_init__(self) -> None:
        self.volumes = {driver: np.zeros(self.months) for driver in UNIT_COST_BASE}
        self.funnel = {stage: np.zeros(len(SEGMENTS), dtype=np.int64) for stage in STAGES}


def _write_chunk(writer: RawWriter, truth_writer: "TruthWriter", cal: Calendar, chunk: Chunk, part: int,
                 counters: Counters) -> None:  # fmt: skip
    """Allocate global ids, write every table of one chunk, update the small cross-chunk aggregates."""
    f, ids = writer.formatter, counters.ids
    pop = chunk.pop
    n = pop["created"].size
    customer_no = ids["customer"] + 1 + np.arange(n)

    writer.write("customers", [f.ids("customer", customer_no), f.timestamps(pop["created"]),
                               f.labels(COUNTRIES, pop["country"]), f.labels(CHANNELS, pop["acquisition"])], part)

    ev = chunk.events
    ev = _take(ev, np.argsort(ev["t"], kind="stable"))
    m = ev["t"].size
    writer.write("events", [
        f.ids("event", ids["event"] + 1 + np.arange(m)), f.ids("customer", customer_no[ev["owner"]]),
        f.timestamps(ev["t"], ev["offset_min"]), f.labels(EVENT_TYPES, ev["type"]), f.labels(CHANNELS, ev["channel"]),
        f.labels(TOUCHPOINTS, ev["touchpoint"]), f.ids("session", ids["session"] + ev["session"], ev["session_valid"]),
    ], part, split_seconds=ev["t"], cal=cal)  # fmt: skip

    od = chunk.orders
    od = _take(od, np.lexsort((od["owner"], od["t"])))
    writer.write("orders", [
        f.ids("order", ids["order"] + 1 + np.arange(od["t"].size)), f.ids("customer", customer_no[od["owner"]]),
        f.timestamps(od["t"], od["offset_min"]), f.money(od["revenue_cents"]),
        f.money(od["cogs_cents"], od["cogs_valid"]), f.labels(ORDER_STATUSES, od["status"]),
    ], part, split_seconds=od["t"], cal=cal)  # fmt: skip

    sv = chunk.surveys
    writer.write("survey_responses", [
        f.ids("survey", ids["survey"] + 1 + np.arange(sv["t"].size)), f.ids("customer", customer_no[sv["owner"]]),
        f.timestamps(sv["t"]), f.ints(sv["nps"], sv["nps_valid"]), f.ints(sv["csat"], sv["csat_valid"]),
        f.labels(TOUCHPOINTS, sv["touchpoint"]),
    ], part)  # fmt: skip

    rf = chunk.referrals
    rf = _take(rf, np.lexsort((rf["sender"], rf["sent"])))
    converted = rf["converted"]
    writer.write("referrals", [
        f.ids("referral", ids["referral"] + 1 + np.arange(rf["sent"].size)), f.ids("customer", customer_no[rf["sender"]]),
        f.ids("customer", np.where(converted, ids["customer"] + 1 + rf["referred"], 0), converted),
        f.timestamps(rf["sent"]), f.timestamps(np.maximum(rf["converted_at"], 0), valid=converted),
        f.labels(REFERRAL_CHANNEL_NAMES, rf["channel"]),
    ], part)  # fmt: skip

    tk = chunk.tickets
    tk = _take(tk, np.lexsort((tk["owner"], tk["opened"])))
    writer.write("support_tickets", [
        f.ids("ticket", ids["ticket"] + 1 + np.arange(tk["opened"].size)), f.ids("customer", customer_no[tk["owner"]]),
        f.timestamps(tk["opened"]), f.timestamps(tk["resolved"], valid=tk["resolved_valid"]),
        f.labels(TICKET_CATEGORIES, tk["category"]), f.labels(TICKET_CHANNEL_NAMES, tk["channel"]),
    ], part)  # fmt: skip

    ex = chunk.experiment
    k, n_factors = ex["owner"].size, len(_FACTOR_SIZES)
    factor = np.tile(np.arange(n_factors), k)
    level_names = tuple(itertools.chain.from_iterable(EXPERIMENT["factors"].values()))
    level_offset = np.cumsum([0] + _FACTOR_SIZES[:-1])
    writer.write("experiment_assignments", [
        f.labels((EXPERIMENT["experiment_id"],), np.zeros(k * n_factors)),
        f.ids("customer", np.repeat(customer_no[ex["owner"]], n_factors)),
        f.timestamps(np.repeat(ex["assigned"], n_factors)), f.labels(tuple(EXPERIMENT["factors"]), factor),
        f.labels(level_names, (ex["levels"] + level_offset).reshape(-1)),
    ], part)  # fmt: skip

    truth_writer.write(pop, customer_no, ex)
    _update_counters(cal, chunk, counters, ev, od, tk)


def _update_counters(cal: Calendar, chunk: Chunk, counters: Counters, ev: dict, od: dict, tk: dict) -> None:
    pop, ids, months = chunk.pop, counters.ids, counters.months
    n = pop["created"].size
    ids["customer"] += n
    ids["event"] += ev["t"].size
    ids["session"] += int(ev["session"].max(initial=0))  # session numbers run 1..S within the chunk
    ids["order"] += od["t"].size
    ids["survey"] += chunk.surveys["t"].size
    ids["referral"] += chunk.referrals["sent"].size
    ids["ticket"] += tk["opened"].size

    ev_month = cal.month_index(ev["t"])
    completed = od["status"] == COMPLETED
    od_month = cal.month_index(od["t"])
    counters.volumes["events"] += np.bincount(ev_month, minlength=months)
    counters.volumes["orders"] += np.bincount(od_month[completed], minlength=months)
    counters.volumes["revenue"] += np.bincount(od_month[completed], od["revenue_cents"][completed], months) / 100
    counters.volumes["tickets"] += np.bincount(cal.month_index(tk["opened"]), minlength=months)
    active = np.unique(np.concatenate([ev["owner"] * months + ev_month, od["owner"] * months + od_month]))
    counters.volumes["customers"] += np.bincount(active % months, minlength=months)

    flags = {"awareness": np.ones(n, dtype=bool), "consideration": pop["considered"], "decision": pop["decided"],
             "retention": pop["retained"], "advocacy": pop["advocate"]}  # fmt: skip
    for stage, flag in flags.items():
        counters.funnel[stage] += np.bincount(pop["segment"][flag], minlength=len(SEGMENTS))
    counters.max_generation = max(counters.max_generation, int(pop["generation"].max(initial=0)))
    counters.experiment_assigned += chunk.experiment["owner"].size
    counters.trigger["advocates"] += int(pop["advocate"].sum())
    counters.trigger["triggered_referrals"] += int(chunk.referrals["triggered"].sum())


class TruthWriter:
    """Appends one row per customer to <out>/_truth/customer_truth.csv, chunk by chunk."""

    COLUMNS = ("customer_id", "segment", "considered", "decided", "retained", "advocate", "alive_at_end",
               "is_referred", "referral_generation", "pricing", "feature", "support")  # fmt: skip

    def __init__(self, out_dir: Path) -> None:
        folder = out_dir / TRUTH_DIR
        folder.mkdir(parents=True, exist_ok=True)
        schema = pa.schema([(name, pa.string()) for name in self.COLUMNS[:2]]
                           + [(name, pa.bool_()) for name in self.COLUMNS[2:8]]
                           + [("referral_generation", pa.int64())]
                           + [(name, pa.string()) for name in self.COLUMNS[9:]])  # fmt: skip
        self._schema = schema
        self._writer = pacsv.CSVWriter(str(folder / "customer_truth.csv"), schema,
                                       write_options=pacsv.WriteOptions(quoting_style="none", quoting_header="none"))

    def write(self, pop: dict[str, np.ndarray], customer_no: np.ndarray, experiment: dict[str, np.ndarray]) -> None:
        n = customer_no.size
        levels = np.full((n, len(_FACTOR_SIZES)), -1, dtype=np.int64)
        levels[experiment["owner"]] = experiment["levels"]
        columns = [Formatter.ids("customer", customer_no), Formatter.labels(SEGMENT_NAMES, pop["segment"])]
        columns += [pa.array(pop[key]) for key in ("considered", "decided", "retained", "advocate", "alive_at_end")]
        columns += [pa.array(pop["referrer"] >= 0), pa.array(pop["generation"])]
        columns += [Formatter.labels(tuple(names), levels[:, i]) for i, names in enumerate(EXPERIMENT["factors"].values())]
        self._writer.write_table(pa.Table.from_arrays(columns, schema=self._schema))

    def close(self) -> None:
        self._writer.close()


def _plant_activity_costs(seed: int, customers: int) -> dict[str, dict]:
    """Planted fixed monthly cost and unit cost of every value-chain activity (its default driver)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, COST_STREAM]))
    planted = {}
    scale = max(customers, 1) / FIXED_COST_PER_CUSTOMERS
    for activity, activity_type, driver in ACTIVITIES:
        if driver not in UNIT_COST_BASE:
            raise RuntimeError(f"seeds/value_chain_activities.csv: unknown driver '{driver}' of '{activity}'.")
        unit = round(UNIT_COST_BASE[driver] * rng.uniform(0.5, 1.5), 4)
        fixed = round(FIXED_COST_BASE.get(activity_type, 2000.0) * rng.uniform(0.6, 1.4) * scale, 2)
        planted[activity] = {"driver": driver, "fixed_monthly": fixed, "unit_cost": unit}
    return planted


def _write_costs(writer: RawWriter, cal: Calendar, seed: int, planted: dict[str, dict], counters: Counters) -> None:
    rng = np.random.default_rng(np.random.SeedSequence([seed, COST_STREAM, 1]))
    months, f = cal.month_starts.size, writer.formatter
    activity_code, cents = [], []
    for code, (activity, params) in enumerate(planted.items()):
        expected = params["fixed_monthly"] + params["unit_cost"] * counters.volumes[params["driver"]]
        cost = expected + rng.normal(0, COST_NOISE_SD_FRACTION, months) * expected
        activity_code.append(np.full(months, code))
        cents.append(np.rint(np.maximum(cost, 0) * 100).astype(np.int64))
    activity_code = np.stack(activity_code, axis=1).reshape(-1)  # month-major, activities in seed order
    cents = np.stack(cents, axis=1).reshape(-1)
    activities = tuple(planted)
    drivers = tuple(UNIT_COST_BASE)
    driver_code = np.array([drivers.index(planted[a]["driver"]) for a in activities])[activity_code]
    writer.write("activity_costs", [f.dates(np.repeat(cal.month_starts, len(activities))),
                                    f.labels(activities, activity_code), f.money(cents),
                                    f.labels(drivers, driver_code)], 0)  # fmt: skip


def _write_experiments(writer: RawWriter, cal: Calendar) -> None:
    f = writer.formatter
    writer.write("experiments", [
        pa.array([EXPERIMENT["experiment_id"]]), pa.array([EXPERIMENT["name"]]), pa.array([EXPERIMENT["primary_metric"]]),
        f.ints(np.array([EXPERIMENT["metric_window_days"]])), f.timestamps(np.array([cal.exp_start])),
        f.timestamps(np.array([cal.exp_end])),
    ], 0)  # fmt: skip


# ================================================================================================== ground truth


def _ground_truth(args: dict, cal: Calendar, counters: Counters, writer: RawWriter, planted_costs: dict) -> dict:
    shares = SEGMENT_SHARES
    p_consider = float(shares @ P_CONSIDER)
    p_decide = float(shares @ (P_CONSIDER * P_DECIDE)) / p_consider
    retained_by_segment = counters.funnel["retention"]
    retained_total = int(retained_by_segment.sum())
    p_advocate = float(retained_by_segment @ P_ADVOCATE / retained_total) if retained_total else None
    funnel_counts = {stage: int(v.sum()) for stage, v in counters.funnel.items()}
    acquired = args["customers"]
    return {
        "generator": {"module": "journey_metrics.generate", "version": "0.1.0"},
        "seed": args["seed"],
        "customers": counters.ids["customer"],
        "acquired_customers": acquired,
        "referred_customers": counters.ids["customer"] - acquired,
        "start": _iso(cal.start)[:10],
        "end": _iso(cal.end - 1)[:10],
        "end_exclusive": _iso(cal.end),
        "days": args["days"],
        "format": args["fmt"],
        "chunk_size": args["chunk_size"],
        "segments": {s.name: {k: v for k, v in asdict(s).items() if k != "name"} for s in SEGMENTS},
        "funnel": {
            "definitions": {
                "awareness": "first event or first order, whichever is earlier",
                "consideration": "first consideration-stage event at or after awareness",
                "decision": "first completed order at or after consideration",
                "retention": "next completed order after the decision order",
                "advocacy": "first referral sent, or first survey response with nps_score >= 9, at or after retention",
            },
            "probabilities": {
                "p_consider": dict(zip(SEGMENT_NAMES, P_CONSIDER.tolist())),
                "p_decide_given_consider": dict(zip(SEGMENT_NAMES, P_DECIDE.tolist())),
                "p_advocate_given_retained": dict(zip(SEGMENT_NAMES, P_ADVOCATE.tolist())),
            },
            "expected_rates": {
                "p_consider": round(p_consider, 6),
                "p_decide_given_consider": round(p_decide, 6),
                "p_advocate_given_retained": None if p_advocate is None else round(p_advocate, 6),
                "note": "share-weighted; P(advocate | retained) weighted by the realised retained customers per "
                        "segment. Realised rates run a little lower: journeys are cut off at the end date.",
            },
            "realised_counts": funnel_counts,
            "realised_counts_by_segment": {
                stage: dict(zip(SEGMENT_NAMES, v.tolist())) for stage, v in counters.funnel.items()
            },
        },
        "bg_nbd": {
            "variant": "modified BG/NBD: after every purchase, the first included, the customer drops out with "
                       "probability p; lambda per day",
            **{s.name: s.bg_nbd for s in SEGMENTS},
        },
        "gamma_gamma": {
            "note": "order value ~ Gamma(p, rate=nu), nu ~ Gamma(q, rate=gamma); mean value = p * gamma / (q - 1)",
            **{s.name: {**s.gamma_gamma,
                        "mean_order_value": round(s.gamma_gamma["p"] * s.gamma_gamma["gamma"]
                                                  / (s.gamma_gamma["q"] - 1), 2)} for s in SEGMENTS},
        },  # fmt: skip
        "dropoff": {
            "planted_last_event_type": DROPOFF_EVENT,
            "p_last_event_non_deciders": DROPOFF_P_NON_DECIDERS,
            "p_last_consideration_event_deciders": DROPOFF_P_DECIDERS,
            "note": "non-deciders: their very last event; deciders: their last consideration event before the "
                    "first completed order",
        },
        "referral_trigger": {
            "event_type": TRIGGER_EVENT,
            "window_days": TRIGGER_WINDOW_DAYS,
            "planted_probability": TRIGGER_P,
            "planted_lag_days": [0, TRIGGER_LAG_DAYS],
            "advocates": counters.trigger["advocates"],
            "triggered_referrals": counters.trigger["triggered_referrals"],
            "note": "every advocate claims one reward after retention; its first referral follows within 0-7 days "
                    "with the planted probability; no other referral falls in the 14 days after that claim. "
                    "Non-advocates claim rewards too but never refer.",
        },
        "referrals": {
            "conversion_probability": REFERRAL_CONVERSION_P,
            "referrals_per_advocate": {str(k): v for k, v in REFERRALS_PER_ADVOCATE.items()},
            "channels": REFERRAL_CHANNELS,
            "max_generation": counters.max_generation,
        },
        "support_tickets": {
            "tickets_per_active_month": {s.name: s.tickets_per_active_month for s in SEGMENTS},
            "category_mix": {s.name: s.ticket_mix for s in SEGMENTS},
            "unresolved_probability": UNRESOLVED_P,
        },
        "surveys": {
            "response_probability": SURVEY_RESPONSE_P,
            "nps_base": {s.name: s.nps_base for s in SEGMENTS},
            "nps_ticket_penalty": NPS_TICKET_PENALTY,
            "nps_ticket_window_days": NPS_TICKET_WINDOW // DAY,
            "nps_noise_sd": NPS_NOISE_SD,
            "nps_missing_share": NPS_MISSING_P,
            "csat_missing_share": CSAT_MISSING_P,
            "touchpoint_missing_share": SURVEY_TOUCHPOINT_MISSING_P,
        },
        "experiment": {
            **{k: EXPERIMENT[k] for k in ("experiment_id", "name", "primary_metric", "metric_window_days")},
            "started_at": _iso(cal.exp_start),
            "ended_at": _iso(cal.exp_end),
            "population": "retained before started_at and still alive (latent) at started_at",
            "assigned_customers": counters.experiment_assigned,
            "factors": EXPERIMENT["factors"],
            "reference_levels": {f: levels[0] for f, levels in EXPERIMENT["factors"].items()},
            "model": {
                "outcome": "completed revenue within metric_window_days after assigned_at: exactly one extra "
                           "order per assigned customer (their regular purchases pause in the window)",
                "intercept": EXPERIMENT["intercept"],
                "main_effects": EXPERIMENT["main_effects"],
                "interactions": EXPERIMENT["interactions"],
                "noise": f"Gamma with the cell mean and sd {EXPERIMENT['revenue_sd']}",
            },
            "cell_means": EXPERIMENT_CELLS,
        },
        "activity_costs": {
            "model": "cost = fixed_monthly + unit_cost * driver volume of the month + normal noise "
                     f"(sd {COST_NOISE_SD_FRACTION:.0%} of the expected cost), rounded to cents",
            "driver_definitions": {
                "orders": "completed orders placed in the month",
                "events": "events in the month",
                "tickets": "support tickets opened in the month",
                "customers": "active customers: distinct customers with an event or an order in the month",
                "revenue": "revenue of completed orders placed in the month",
            },
            "activities": planted_costs,
            "monthly_driver_volumes": {
                "months": [str(_as_dt(s).astype("datetime64[D]")) for s in cal.month_starts],
                **{driver: [round(float(v), 2) for v in values] for driver, values in counters.volumes.items()},
            },
        },
        "timestamps": {"non_utc_offset_share_csv": OFFSET_SHARE, "tables_with_offsets": list(MONTHLY_CSV_TABLES)},
        "sessions": {"gap_minutes": SESSION_GAP // MINUTE, "missing_session_id_share": SESSION_MISSING_P},
        "drift_event_types": list(DRIFT_EVENT_TYPES),
        "row_counts": dict(writer.rows),
    }


# ================================================================================================== entry points


def generate(out_dir: str | Path, customers: int = DEFAULT_CUSTOMERS, seed: int = DEFAULT_SEED,
             fmt: str = DEFAULT_FORMAT, start: str = DEFAULT_START, days: int = DEFAULT_DAYS,
             chunk_size: int = DEFAULT_CHUNK_SIZE, progress: Callable[[str], None] | None = None) -> dict:  # fmt: skip
    """Write the raw demo tables, ground_truth.json and _truth/customer_truth.csv into out_dir.

    `customers` counts the acquired (non-referred) customers; referred customers come on top. Existing table
    folders, _truth and ground_truth.json in out_dir are replaced. Returns the ground-truth dict.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {FORMATS}, not {fmt!r}")
    if customers < 0 or days < 1 or chunk_size < 1 or seed < 0:
        raise ValueError("customers must be >= 0, days and chunk_size >= 1, seed >= 0")
    cal = Calendar.build(start, days)
    out = Path(out_dir)
    for name in (*TABLES, TRUTH_DIR):
        if (out / name).exists():
            shutil.rmtree(out / name)
    out.mkdir(parents=True, exist_ok=True)
    writer, truth_writer = RawWriter(out, fmt), TruthWriter(out)
    counters = Counters(months=cal.month_starts.size)
    n_chunks = -(-customers // chunk_size)
    try:
        for index in range(n_chunks):
            n_acquired = min(chunk_size, customers - index * chunk_size)
            chunk = simulate_chunk(cal, seed, index, n_acquired)
            _write_chunk(writer, truth_writer, cal, chunk, index, counters)
            del chunk
            if progress:
                progress(f"chunk {index + 1}/{n_chunks}: {counters.ids['customer']:,} customers, "
                         f"{counters.ids['event']:,} events")  # fmt: skip
    finally:
        truth_writer.close()
    _write_experiments(writer, cal)
    planted_costs = _plant_activity_costs(seed, customers)
    _write_costs(writer, cal, seed, planted_costs, counters)
    writer.finish()
    args = {"customers": customers, "seed": seed, "fmt": fmt, "days": days, "chunk_size": chunk_size}
    truth = _ground_truth(args, cal, counters, writer, planted_costs)
    (out / "ground_truth.json").write_text(json.dumps(truth, indent=2) + "\n", encoding="utf-8")
    return truth


def _int_at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}")
        return value

    return parse


def _date(text: str) -> str:
    try:
        np.datetime64(text, "D")
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {text!r}") from None
    return text


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m journey_metrics.generate",
        description="Write synthetic customer-journey raw data (one sub-folder per table) with planted truths, "
                    "plus ground_truth.json and _truth/customer_truth.csv. Deterministic: the same arguments "
                    "give byte-identical files.",
        epilog="Example: python -m journey_metrics.generate --customers 200000 --format parquet --out data/big",
    )  # fmt: skip
    parser.add_argument("--customers", metavar="N", type=_int_at_least(0), default=DEFAULT_CUSTOMERS,
                        help="acquired customers to simulate; referred customers come on top (default %(default)s)")
    parser.add_argument("--seed", metavar="S", type=_int_at_least(0), default=DEFAULT_SEED, help="random seed (default %(default)s)")
    parser.add_argument("--out", metavar="DIR", required=True, type=Path,
                        help="output folder; its table folders, _truth and ground_truth.json are replaced")
    parser.add_argument("--format", dest="fmt", choices=FORMATS, default=DEFAULT_FORMAT,
                        help="csv: text, events/orders one file per month; parquet: typed, events partitioned "
                             "by UTC day (default %(default)s)")
    parser.add_argument("--start", metavar="DATE", type=_date, default=DEFAULT_START, help="first day, YYYY-MM-DD (default %(default)s)")
    parser.add_argument("--days", metavar="N", type=_int_at_least(1), default=DEFAULT_DAYS,
                        help="the data ends on the day start + DAYS (default %(default)s: 2024-01-01 to 2025-12-31)")
    parser.add_argument("--chunk-size", metavar="N", type=_int_at_least(1), default=DEFAULT_CHUNK_SIZE,
                        help="acquired customers simulated and written at a time; bounds memory "
                             "(default %(default)s)")  # fmt: skip
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    began = time.perf_counter()
    truth = generate(args.out, customers=args.customers, seed=args.seed, fmt=args.fmt, start=args.start,
                     days=args.days, chunk_size=args.chunk_size,
                     progress=lambda line: print(line, file=sys.stderr, flush=True))  # fmt: skip
    for table, rows in truth["row_counts"].items():
        print(f"{table:<24} {rows:>13,} rows")
    print(f"wrote {args.out} ({args.fmt}) in {time.perf_counter() - began:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
