"""The command line: ``python -m journey_metrics.generate --out DIR [options]`` (``--help`` lists them)."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from journey_metrics.generate import generate
from journey_metrics.generate.world import (
    DEFAULT_CHUNK_SIZE,
    DEFAULT_CUSTOMERS,
    DEFAULT_DAYS,
    DEFAULT_FORMAT,
    DEFAULT_SEED,
    DEFAULT_START,
    FORMATS,
)


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
    )
    parser.add_argument(
        "--customers",
        metavar="N",
        type=_int_at_least(0),
        default=DEFAULT_CUSTOMERS,
        help="acquired customers to simulate; referred customers come on top (default %(default)s)",
    )
    parser.add_argument(
        "--seed", metavar="S", type=_int_at_least(0), default=DEFAULT_SEED, help="random seed (default %(default)s)"
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        required=True,
        type=Path,
        help="output folder; its table folders, _truth and ground_truth.json are replaced",
    )
    parser.add_argument(
        "--format",
        dest="fmt",
        choices=FORMATS,
        default=DEFAULT_FORMAT,
        help="csv: text, events/orders one file per month; parquet: typed, events partitioned "
        "by UTC day (default %(default)s)",
    )
    parser.add_argument(
        "--start", metavar="DATE", type=_date, default=DEFAULT_START, help="first day, YYYY-MM-DD (default %(default)s)"
    )
    parser.add_argument(
        "--days",
        metavar="N",
        type=_int_at_least(1),
        default=DEFAULT_DAYS,
        help="the data ends on the day start + DAYS (default %(default)s: 2024-01-01 to 2025-12-31)",
    )
    parser.add_argument(
        "--chunk-size",
        metavar="N",
        type=_int_at_least(1),
        default=DEFAULT_CHUNK_SIZE,
        help="acquired customers simulated and written at a time; bounds memory (default %(default)s)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    began = time.perf_counter()
    truth = generate(
        args.out,
        customers=args.customers,
        seed=args.seed,
        fmt=args.fmt,
        start=args.start,
        days=args.days,
        chunk_size=args.chunk_size,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    for table, rows in truth["row_counts"].items():
        print(f"{table:<24} {rows:>13,} rows")
    print(f"wrote {args.out} ({args.fmt}) in {time.perf_counter() - began:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
