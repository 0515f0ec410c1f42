"""The ground truth planted in the data: one row per customer in _truth/customer_truth.csv (segment, stages
reached, experiment cell), and ground_truth.json (every planted parameter, the expected rates and the realised
counts) that the tests compare the marts with.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from journey_metrics.generate import world
from journey_metrics.generate.writers import MONTHLY_CSV_TABLES, Counters, Formatter, RawWriter

# ================================================================================================== customer truth

TRUTH_DIR = "_truth"


class TruthWriter:
    """Appends one row per customer to <out>/_truth/customer_truth.csv, chunk by chunk."""

    COLUMNS = (
        "customer_id",
        "segment",
        "considered",
        "decided",
        "retained",
        "advocate",
        "alive_at_end",
        "is_referred",
        "referral_generation",
        "referral_uplift_revenue_cents",
        "pricing",
        "feature",
        "support",
    )

    def __init__(self, out_dir: Path) -> None:
        folder = out_dir / TRUTH_DIR
        folder.mkdir(parents=True, exist_ok=True)
        schema = pa.schema(
            [(name, pa.string()) for name in self.COLUMNS[:2]]
            + [(name, pa.bool_()) for name in self.COLUMNS[2:8]]
            + [("referral_generation", pa.int64()), ("referral_uplift_revenue_cents", pa.int64())]
            + [(name, pa.string()) for name in self.COLUMNS[10:]]
        )
        self._schema = schema
        self._writer = pacsv.CSVWriter(
            str(folder / "customer_truth.csv"),
            schema,
            write_options=pacsv.WriteOptions(quoting_style="none", quoting_header="none"),
        )

    def write(
        self,
        pop: dict[str, np.ndarray],
        customer_no: np.ndarray,
        experiment: dict[str, np.ndarray],
        orders: dict[str, np.ndarray],
    ) -> None:
        """referral_uplift_revenue_cents: what the planted referral uplift added to the customer's completed
        orders' revenue (0 for a customer who was not referred)."""
        n = customer_no.size
        completed = orders["status"] == world.COMPLETED
        uplift = np.bincount(
            orders["owner"][completed],
            (orders["revenue_cents"] - orders["revenue_without_uplift_cents"])[completed],
            minlength=n,
        )
        levels = np.full((n, len(world.FACTOR_SIZES)), -1, dtype=np.int64)
        levels[experiment["owner"]] = experiment["levels"]
        columns = [Formatter.ids("customer", customer_no), Formatter.labels(world.SEGMENT_NAMES, pop["segment"])]
        columns += [pa.array(pop[key]) for key in ("considered", "decided", "retained", "advocate", "alive_at_end")]
        columns += [
            pa.array(pop["referrer"] >= 0),
            pa.array(pop["generation"]),
            pa.array(np.rint(uplift).astype(np.int64)),
        ]
        columns += [
            Formatter.labels(tuple(names), levels[:, i]) for i, names in enumerate(world.EXPERIMENT["factors"].values())
        ]
        self._writer.write_table(pa.Table.from_arrays(columns, schema=self._schema))

    def close(self) -> None:
        self._writer.close()


# ================================================================================================== ground truth


def ground_truth(args: dict, cal: world.Calendar, counters: Counters, writer: RawWriter, planted_costs: dict) -> dict:
    shares = world.SEGMENT_SHARES
    p_consider = float(shares @ world.P_CONSIDER)
    p_decide = float(shares @ (world.P_CONSIDER * world.P_DECIDE)) / p_consider
    retained_by_segment = counters.funnel["retention"]
    retained_total = int(retained_by_segment.sum())
    p_advocate = float(retained_by_segment @ world.P_ADVOCATE / retained_total) if retained_total else None
    funnel_counts = {stage: int(v.sum()) for stage, v in counters.funnel.items()}
    acquired = args["customers"]
    return {
        "generator": {"module": "journey_metrics.generate", "version": "0.1.0"},
        "seed": args["seed"],
        "customers": counters.ids["customer"],
        "acquired_customers": acquired,
        "referred_customers": counters.ids["customer"] - acquired,
        "start": world.iso_utc(cal.start)[:10],
        "end": world.iso_utc(cal.end - 1)[:10],
        "end_exclusive": world.iso_utc(cal.end),
        "days": args["days"],
        "format": args["fmt"],
        "chunk_size": args["chunk_size"],
        "segments": {s.name: {k: v for k, v in asdict(s).items() if k != "name"} for s in world.SEGMENTS},
        "funnel": {
            "definitions": {
                "awareness": "first event or first order, whichever is earlier",
                "consideration": "first consideration-stage event at or after awareness",
                "decision": "first completed order at or after consideration",
                "retention": "next completed order after the decision order",
                "advocacy": "first referral sent, or first survey response with nps_score >= 9, at or after retention",
            },
            "probabilities": {
                "p_consider": dict(zip(world.SEGMENT_NAMES, world.P_CONSIDER.tolist(), strict=True)),
                "p_decide_given_consider": dict(zip(world.SEGMENT_NAMES, world.P_DECIDE.tolist(), strict=True)),
                "p_advocate_given_retained": dict(zip(world.SEGMENT_NAMES, world.P_ADVOCATE.tolist(), strict=True)),
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
                stage: dict(zip(world.SEGMENT_NAMES, v.tolist(), strict=True)) for stage, v in counters.funnel.items()
            },
        },
        "bg_nbd": {
            "variant": "modified BG/NBD: after every purchase, the first included, the customer drops out with "
            "probability p; lambda per day",
            **{s.name: s.bg_nbd for s in world.SEGMENTS},
        },
        "gamma_gamma": {
            "note": "order value ~ Gamma(p, rate=nu), nu ~ Gamma(q, rate=gamma); mean value = p * gamma / (q - 1)",
            **{
                s.name: {
                    **s.gamma_gamma,
                    "mean_order_value": round(
                        s.gamma_gamma["p"] * s.gamma_gamma["gamma"] / (s.gamma_gamma["q"] - 1), 2
                    ),
                }
                for s in world.SEGMENTS
            },
        },
        "dropoff": {
            "planted_last_event_type": world.DROPOFF_EVENT,
            "p_last_event_non_deciders": world.DROPOFF_P_NON_DECIDERS,
            "p_last_consideration_event_deciders": world.DROPOFF_P_DECIDERS,
            "note": "non-deciders: their very last event; deciders: their last consideration event before the "
            "first completed order",
        },
        "referral_trigger": {
            "event_type": world.TRIGGER_EVENT,
            "window_days": world.TRIGGER_WINDOW_DAYS,
            "planted_probability": world.TRIGGER_P,
            "planted_lag_days": [0, world.TRIGGER_LAG_DAYS],
            "advocates": counters.trigger["advocates"],
            "triggered_referrals": counters.trigger["triggered_referrals"],
            "note": "every advocate claims one reward after retention; its first referral follows within 0-7 days "
            "with the planted probability; no other referral falls in the 14 days after that claim. "
            "Non-advocates claim rewards too but never refer.",
        },
        "referrals": {
            "conversion_probability": world.REFERRAL_CONVERSION_P,
            "referrals_per_advocate": {str(k): v for k, v in world.REFERRALS_PER_ADVOCATE.items()},
            "channels": world.REFERRAL_CHANNELS,
            "max_generation": counters.max_generation,
            "order_value_uplift": world.REFERRAL_ORDER_VALUE_UPLIFT,
            "order_value_uplift_note": "referred customers' regular orders (first, repeat, refunded and cancelled) "
            "are worth (1 + uplift) times a non-referred customer's of the same segment: their Gamma-Gamma nu is "
            "divided by (1 + uplift); their journeys, purchase counts and experiment orders are drawn as for anyone, "
            "so retention carries no uplift",
        },
        "support_tickets": {
            "tickets_per_active_month": {s.name: s.tickets_per_active_month for s in world.SEGMENTS},
            "category_mix": {s.name: s.ticket_mix for s in world.SEGMENTS},
            "unresolved_probability": world.UNRESOLVED_P,
        },
        "surveys": {
            "response_probability": world.SURVEY_RESPONSE_P,
            "nps_base": {s.name: s.nps_base for s in world.SEGMENTS},
            "nps_ticket_penalty": world.NPS_TICKET_PENALTY,
            "nps_ticket_window_days": world.NPS_TICKET_WINDOW // world.DAY,
            "nps_noise_sd": world.NPS_NOISE_SD,
            "nps_missing_share": world.NPS_MISSING_P,
            "csat_missing_share": world.CSAT_MISSING_P,
            "touchpoint_missing_share": world.SURVEY_TOUCHPOINT_MISSING_P,
        },
        "experiment": {
            **{k: world.EXPERIMENT[k] for k in ("experiment_id", "name", "primary_metric", "metric_window_days")},
            "started_at": world.iso_utc(cal.exp_start),
            "ended_at": world.iso_utc(cal.exp_end),
            "population": "retained before started_at and still alive (latent) at started_at",
            "assigned_customers": counters.experiment_assigned,
            "factors": world.EXPERIMENT["factors"],
            "reference_levels": {f: levels[0] for f, levels in world.EXPERIMENT["factors"].items()},
            "model": {
                "outcome": "completed revenue within metric_window_days after assigned_at: exactly one extra "
                "order per assigned customer (their regular purchases pause in the window)",
                "intercept": world.EXPERIMENT["intercept"],
                "main_effects": world.EXPERIMENT["main_effects"],
                "interactions": world.EXPERIMENT["interactions"],
                "noise": f"Gamma with the cell mean and sd {world.EXPERIMENT['revenue_sd']}",
            },
            "cell_means": world.EXPERIMENT_CELLS,
        },
        "activity_costs": {
            "model": "cost = fixed_monthly + unit_cost * driver volume of the month + normal noise "
            f"(sd {world.COST_NOISE_SD_FRACTION:.0%} of the expected cost), rounded to cents",
            "driver_definitions": {
                "orders": "completed orders placed in the month",
                "events": "events in the month",
                "tickets": "support tickets opened in the month",
                "customers": "active customers: distinct customers with an event or an order in the month",
                "revenue": "revenue of completed orders placed in the month",
            },
            "activities": planted_costs,
            "monthly_driver_volumes": {
                "months": [str(world.as_datetime(s).astype("datetime64[D]")) for s in cal.month_starts],
                **{driver: [round(float(v), 2) for v in values] for driver, values in counters.volumes.items()},
            },
        },
        "timestamps": {"non_utc_offset_share_csv": world.OFFSET_SHARE, "tables_with_offsets": list(MONTHLY_CSV_TABLES)},
        "sessions": {
            "gap_minutes": world.SESSION_GAP // world.MINUTE,
            "missing_session_id_share": world.SESSION_MISSING_P,
        },
        "drift_event_types": list(world.DRIFT_EVENT_TYPES),
        "row_counts": dict(writer.rows),
    }
