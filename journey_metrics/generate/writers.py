"""The writers: numpy columns to Arrow arrays in the raw contract's types, and the raw tables written as CSV
or Parquet files (one sub-folder per table), chunk by chunk, with the few counters kept across chunks.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from journey_metrics.generate.simulation import Chunk, take
from journey_metrics.generate.world import (
    CHANNELS,
    COMPLETED,
    COST_NOISE_SD_FRACTION,
    COST_STREAM,
    COUNTRIES,
    DAY,
    EVENT_TYPES,
    EXPERIMENT,
    FACTOR_SIZES,
    HOUR,
    ID_FORMATS,
    MINUTE,
    ORDER_STATUSES,
    REFERRAL_CHANNEL_NAMES,
    SEGMENTS,
    STAGES,
    TICKET_CATEGORIES,
    TICKET_CHANNEL_NAMES,
    TOUCHPOINTS,
    UNIT_COST_BASE,
    Calendar,
    as_datetime,
)

if TYPE_CHECKING:
    from journey_metrics.generate.truth import TruthWriter

# ================================================================================================== raw contract

# Raw-data contract: table -> ((column, kind), ...). Kinds: id, str, ts, money, int, date.
TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "customers": (("customer_id", "id"), ("created_at", "ts"), ("country", "str"), ("acquisition_channel", "str")),
    "events": (
        ("event_id", "id"),
        ("customer_id", "id"),
        ("occurred_at", "ts"),
        ("event_type", "str"),
        ("channel", "str"),
        ("touchpoint", "str"),
        ("session_id", "id"),
    ),
    "orders": (
        ("order_id", "id"),
        ("customer_id", "id"),
        ("ordered_at", "ts"),
        ("revenue", "money"),
        ("cost_of_goods", "money"),
        ("status", "str"),
    ),
    "survey_responses": (
        ("response_id", "id"),
        ("customer_id", "id"),
        ("responded_at", "ts"),
        ("nps_score", "int"),
        ("csat_score", "int"),
        ("touchpoint", "str"),
    ),
    "referrals": (
        ("referral_id", "id"),
        ("referrer_customer_id", "id"),
        ("referred_customer_id", "id"),
        ("sent_at", "ts"),
        ("converted_at", "ts"),
        ("channel", "str"),
    ),
    "support_tickets": (
        ("ticket_id", "id"),
        ("customer_id", "id"),
        ("opened_at", "ts"),
        ("resolved_at", "ts"),
        ("category", "str"),
        ("channel", "str"),
    ),
    "experiments": (
        ("experiment_id", "id"),
        ("name", "str"),
        ("primary_metric", "str"),
        ("metric_window_days", "int"),
        ("started_at", "ts"),
        ("ended_at", "ts"),
    ),
    "experiment_assignments": (
        ("experiment_id", "id"),
        ("customer_id", "id"),
        ("assigned_at", "ts"),
        ("factor", "str"),
        ("level", "str"),
    ),
    "activity_costs": (("period_month", "date"), ("activity", "str"), ("cost", "money"), ("driver", "str")),
}
MONTHLY_CSV_TABLES = {"events": "occurred_at", "orders": "ordered_at"}  # csv: one file per month per chunk

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

    def timestamps(
        self, seconds: np.ndarray, offset_min: np.ndarray | None = None, valid: np.ndarray | None = None
    ) -> pa.Array:
        """CSV: ISO-8601 text, `...Z`, or `...+02:00` for rows with an offset; Parquet: timestamp[us, UTC]."""
        seconds = np.asarray(seconds, dtype=np.int64)
        if not self.csv:
            return pa.array(
                seconds * 1_000_000, type=pa.timestamp("us", tz="UTC"), mask=None if valid is None else ~valid
            )
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
        types = {
            "id": text,
            "str": text,
            "int": pa.int64(),
            "money": pa.decimal128(18, 2),
            "ts": text if self.csv else pa.timestamp("us", tz="UTC"),
            "date": text if self.csv else pa.date32(),
        }
        return pa.schema([(name, types[kind]) for name, kind in TABLES[table]])


# ================================================================================================== writing


class RawWriter:
    """Writes raw tables into <out>/<table>/ as CSV or Parquet files and counts rows."""

    def __init__(self, out_dir: Path, fmt: str) -> None:
        self.out_dir, self.fmt = out_dir, fmt
        self.formatter = Formatter(fmt)
        self.rows = dict.fromkeys(TABLES, 0)
        self.files = dict.fromkeys(TABLES, 0)
        for table in TABLES:
            (out_dir / table).mkdir(parents=True, exist_ok=True)

    def write(
        self,
        table: str,
        columns: list[pa.Array],
        part: int,
        split_seconds: np.ndarray | None = None,
        cal: Calendar | None = None,
    ) -> None:
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
                    month = str(as_datetime(cal.month_starts[i]).astype("datetime64[M]"))
                    self._write_file(
                        data.slice(bounds[i], bounds[i + 1] - bounds[i]),
                        folder / f"{table}_{month}_part-{part:05d}.csv",
                        table,
                    )
        elif split_seconds is not None and self.fmt == "parquet" and table == "events":
            day_starts = cal.start + DAY * np.arange(cal.n_days + 1, dtype=np.int64)
            bounds = np.searchsorted(split_seconds, day_starts)
            for i in np.flatnonzero(bounds[1:] > bounds[:-1]):
                partition = folder / f"event_date={as_datetime(day_starts[i]).astype('datetime64[D]')}"
                partition.mkdir(exist_ok=True)
                self._write_file(
                    data.slice(bounds[i], bounds[i + 1] - bounds[i]), partition / f"part-{part:05d}.parquet", table
                )
        else:
            name = f"part-{part:05d}.parquet" if self.fmt == "parquet" else f"{table}_part-{part:05d}.csv"
            self._write_file(data, folder / name, table)

    def _write_file(self, data: pa.Table, path: Path, table: str) -> None:
        if self.fmt == "parquet":
            pq.write_table(data, path)
        else:
            write_csv(data, path)
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


def write_csv(data: pa.Table, path: Path) -> None:
    """Minimal quoting like pandas: nothing is quoted unless a value needs it (then Arrow quotes strings)."""
    try:
        pacsv.write_csv(data, path, pacsv.WriteOptions(quoting_style="none", quoting_header="none"))
    except pa.ArrowInvalid:
        pacsv.write_csv(data, path, pacsv.WriteOptions(quoting_style="needed", quoting_header="none"))


@dataclass
class Counters:
    """Global id counters (last id used) and monthly driver volumes, the only state kept across chunks."""

    months: int
    ids: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ID_FORMATS, 0))
    volumes: dict[str, np.ndarray] = field(default_factory=dict)
    funnel: dict[str, np.ndarray] = field(default_factory=dict)
    max_generation: int = 0
    experiment_assigned: int = 0
    trigger: dict[str, int] = field(default_factory=lambda: {"advocates": 0, "triggered_referrals": 0})

    def __post_init__(self) -> None:
        self.volumes = {driver: np.zeros(self.months) for driver in UNIT_COST_BASE}
        self.funnel = {stage: np.zeros(len(SEGMENTS), dtype=np.int64) for stage in STAGES}


def write_chunk(
    writer: RawWriter, truth_writer: TruthWriter, cal: Calendar, chunk: Chunk, part: int, counters: Counters
) -> None:
    """Allocate global ids, write every table of one chunk, update the small cross-chunk aggregates."""
    f, ids = writer.formatter, counters.ids
    pop = chunk.pop
    n = pop["created"].size
    customer_no = ids["customer"] + 1 + np.arange(n)

    writer.write(
        "customers",
        [
            f.ids("customer", customer_no),
            f.timestamps(pop["created"]),
            f.labels(COUNTRIES, pop["country"]),
            f.labels(CHANNELS, pop["acquisition"]),
        ],
        part,
    )

    ev = chunk.events
    ev = take(ev, np.argsort(ev["t"], kind="stable"))
    m = ev["t"].size
    writer.write(
        "events",
        [
            f.ids("event", ids["event"] + 1 + np.arange(m)),
            f.ids("customer", customer_no[ev["owner"]]),
            f.timestamps(ev["t"], ev["offset_min"]),
            f.labels(EVENT_TYPES, ev["type"]),
            f.labels(CHANNELS, ev["channel"]),
            f.labels(TOUCHPOINTS, ev["touchpoint"]),
            f.ids("session", ids["session"] + ev["session"], ev["session_valid"]),
        ],
        part,
        split_seconds=ev["t"],
        cal=cal,
    )

    od = chunk.orders
    od = take(od, np.lexsort((od["owner"], od["t"])))
    writer.write(
        "orders",
        [
            f.ids("order", ids["order"] + 1 + np.arange(od["t"].size)),
            f.ids("customer", customer_no[od["owner"]]),
            f.timestamps(od["t"], od["offset_min"]),
            f.money(od["revenue_cents"]),
            f.money(od["cogs_cents"], od["cogs_valid"]),
            f.labels(ORDER_STATUSES, od["status"]),
        ],
        part,
        split_seconds=od["t"],
        cal=cal,
    )

    sv = chunk.surveys
    writer.write(
        "survey_responses",
        [
            f.ids("survey", ids["survey"] + 1 + np.arange(sv["t"].size)),
            f.ids("customer", customer_no[sv["owner"]]),
            f.timestamps(sv["t"]),
            f.ints(sv["nps"], sv["nps_valid"]),
            f.ints(sv["csat"], sv["csat_valid"]),
            f.labels(TOUCHPOINTS, sv["touchpoint"]),
        ],
        part,
    )

    rf = chunk.referrals
    rf = take(rf, np.lexsort((rf["sender"], rf["sent"])))
    converted = rf["converted"]
    writer.write(
        "referrals",
        [
            f.ids("referral", ids["referral"] + 1 + np.arange(rf["sent"].size)),
            f.ids("customer", customer_no[rf["sender"]]),
            f.ids("customer", np.where(converted, ids["customer"] + 1 + rf["referred"], 0), converted),
            f.timestamps(rf["sent"]),
            f.timestamps(np.maximum(rf["converted_at"], 0), valid=converted),
            f.labels(REFERRAL_CHANNEL_NAMES, rf["channel"]),
        ],
        part,
    )

    tk = chunk.tickets
    tk = take(tk, np.lexsort((tk["owner"], tk["opened"])))
    writer.write(
        "support_tickets",
        [
            f.ids("ticket", ids["ticket"] + 1 + np.arange(tk["opened"].size)),
            f.ids("customer", customer_no[tk["owner"]]),
            f.timestamps(tk["opened"]),
            f.timestamps(tk["resolved"], valid=tk["resolved_valid"]),
            f.labels(TICKET_CATEGORIES, tk["category"]),
            f.labels(TICKET_CHANNEL_NAMES, tk["channel"]),
        ],
        part,
    )

    ex = chunk.experiment
    k, n_factors = ex["owner"].size, len(FACTOR_SIZES)
    factor = np.tile(np.arange(n_factors), k)
    level_names = tuple(itertools.chain.from_iterable(EXPERIMENT["factors"].values()))
    level_offset = np.cumsum([0, *FACTOR_SIZES[:-1]])
    writer.write(
        "experiment_assignments",
        [
            f.labels((EXPERIMENT["experiment_id"],), np.zeros(k * n_factors)),
            f.ids("customer", np.repeat(customer_no[ex["owner"]], n_factors)),
            f.timestamps(np.repeat(ex["assigned"], n_factors)),
            f.labels(tuple(EXPERIMENT["factors"]), factor),
            f.labels(level_names, (ex["levels"] + level_offset).reshape(-1)),
        ],
        part,
    )

    truth_writer.write(pop, customer_no, ex, od)
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

    flags = {
        "awareness": np.ones(n, dtype=bool),
        "consideration": pop["considered"],
        "decision": pop["decided"],
        "retention": pop["retained"],
        "advocacy": pop["advocate"],
    }
    for stage, flag in flags.items():
        counters.funnel[stage] += np.bincount(pop["segment"][flag], minlength=len(SEGMENTS))
    counters.max_generation = max(counters.max_generation, int(pop["generation"].max(initial=0)))
    counters.experiment_assigned += chunk.experiment["owner"].size
    counters.trigger["advocates"] += int(pop["advocate"].sum())
    counters.trigger["triggered_referrals"] += int(chunk.referrals["triggered"].sum())


def write_costs(writer: RawWriter, cal: Calendar, seed: int, planted: dict[str, dict], counters: Counters) -> None:
    rng = np.random.default_rng(np.random.SeedSequence([seed, COST_STREAM, 1]))
    months, f = cal.month_starts.size, writer.formatter
    activity_code, cents = [], []
    for code, (_activity, params) in enumerate(planted.items()):
        expected = params["fixed_monthly"] + params["unit_cost"] * counters.volumes[params["driver"]]
        cost = expected + rng.normal(0, COST_NOISE_SD_FRACTION, months) * expected
        activity_code.append(np.full(months, code))
        cents.append(np.rint(np.maximum(cost, 0) * 100).astype(np.int64))
    activity_code = np.stack(activity_code, axis=1).reshape(-1)  # month-major, activities in seed order
    cents = np.stack(cents, axis=1).reshape(-1)
    activities = tuple(planted)
    drivers = tuple(UNIT_COST_BASE)
    driver_code = np.array([drivers.index(planted[a]["driver"]) for a in activities])[activity_code]
    writer.write(
        "activity_costs",
        [
            f.dates(np.repeat(cal.month_starts, len(activities))),
            f.labels(activities, activity_code),
            f.money(cents),
            f.labels(drivers, driver_code),
        ],
        0,
    )


def write_experiments(writer: RawWriter, cal: Calendar) -> None:
    f = writer.formatter
    writer.write(
        "experiments",
        [
            pa.array([EXPERIMENT["experiment_id"]]),
            pa.array([EXPERIMENT["name"]]),
            pa.array([EXPERIMENT["primary_metric"]]),
            f.ints(np.array([EXPERIMENT["metric_window_days"]])),
            f.timestamps(np.array([cal.exp_start])),
            f.timestamps(np.array([cal.exp_end])),
        ],
        0,
    )
