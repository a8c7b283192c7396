"""Point lookups on a year of ticks: ``latest_tick`` and ``search_ticks`` against reading the
whole range and filtering in pandas.

Run from the repository root:

    python benchmarks/bench_point_lookups.py                   # 252 sessions x 2 symbols x 20,000
    python benchmarks/bench_point_lookups.py --ticks 2000      # quick smoke run

The year is the 252 XNYS sessions up to 2025-12-31, simulated at the default density (``--ticks``
trades per symbol-session) for ``--symbols`` equities and written to a temporary LMDB ArcticDB
with the pipeline's own partition write (one ArcticDB symbol per instrument and session), not
through Dagster. Then, for the first symbol, medians of ``--repeats`` in one process:

* **latest, now**: ``latest_tick(sym)`` vs the year read with the project's range read
  (``ArcticStore.read_partitions``) and its last row;
* **latest, mid-year**: ``latest_tick(sym, as_of=<session 126, 15:00 UTC>)`` vs the year read
  and its last row at or before ``as_of``;
* **search, month / year**: ``search_ticks`` with a selective filter (size >= ``--min-size`` on
  exchange N) over the last 21 sessions and over the year, and over the year asking for two
  columns (``columns=["price", "size"]``), vs the same range read (all columns) and the same
  filter in pandas.

Before timing, each pair must return identical frames.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from timing import median_time  # benchmarks/timing.py, beside this script

from vvv_pipeline.calendars import sessions_between
from vvv_pipeline.defs.assets.ingest import split_by_symbol
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.read import latest_tick, search_ticks
from vvv_pipeline.schemas import EQUITY_TICKS
from vvv_pipeline.storage.arctic import ArcticStore

SYMBOLS = ("AAPL", "MSFT", "NVDA", "AMZN", "GOOGL")


def write_year(store: ArcticStore, days: list[str], symbols: list[str], ticks: int) -> int:
    market = SimulatedMarket(SimulationConfig(ticks_per_session=ticks))
    rows = 0
    for day in days:
        start = pd.Timestamp(day, tz="America/New_York").tz_convert("UTC")
        frame = market.fetch("equity_ticks", start, start + pd.Timedelta(days=1), symbols)
        store.write_partition("equity", day, split_by_symbol(frame.set_index("ts"), symbols))
        rows += len(frame)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ticks", type=int, default=20_000, help="trades per symbol-session")
    parser.add_argument("--symbols", type=int, default=2, choices=range(1, len(SYMBOLS) + 1))
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--min-size", type=int, default=2_000)
    args = parser.parse_args()
    # the 252 sessions up to the end of 2025 (2025 itself has 250)
    days = [d.strftime("%Y-%m-%d") for d in sessions_between("2024-12-01", "2025-12-31")[-252:]]
    symbols = list(SYMBOLS[: args.symbols])
    sym = symbols[0]
    with tempfile.TemporaryDirectory() as folder:
        uri = f"lmdb://{folder}/arctic"
        store = ArcticStore(uri)
        began = time.perf_counter()
        rows = write_year(store, days, symbols, args.ticks)
        print(
            f"wrote {rows:,} ticks ({len(days)} sessions x {len(symbols)} symbols) "
            f"in {time.perf_counter() - began:.1f} s"
        )

        def read_range(keys: list[str]) -> pd.DataFrame:
            return store.read_partitions("equity", [sym], keys, EQUITY_TICKS)

        mid = pd.Timestamp(f"{days[125]} 15:00", tz="UTC")
        where = {"size": (">=", args.min_size), "exchange": ("==", "N")}
        two = ["price", "size"]
        month = days[-21:]
        month_lo = pd.Timestamp(month[0], tz="UTC")
        year_lo, year_hi = pd.Timestamp(days[0], tz="UTC"), pd.Timestamp("2026-01-01", tz="UTC")

        def last(frame: pd.DataFrame, as_of: pd.Timestamp | None = None) -> pd.DataFrame:
            if as_of is not None:
                frame = frame[frame["ts"] <= as_of]
            return frame.tail(1).reset_index(drop=True)

        def filtered(frame: pd.DataFrame) -> pd.DataFrame:
            keep = (frame["size"] >= args.min_size) & (frame["exchange"] == "N")
            return frame[keep].reset_index(drop=True)

        cases = [
            (
                "latest_tick, as_of=None",
                lambda: latest_tick(sym, uri=uri),
                lambda: last(read_range(days)),
            ),
            (
                f"latest_tick, as_of={mid:%Y-%m-%d %H:%M}Z",
                lambda: latest_tick(sym, as_of=mid, uri=uri),
                lambda: last(read_range(days), mid),
            ),
            (
                "search_ticks, last 21 sessions",
                lambda: search_ticks(sym, month_lo, year_hi, where=where, uri=uri),
                lambda: filtered(read_range(month)),
            ),
            (
                "search_ticks, 252 sessions",
                lambda: search_ticks(sym, year_lo, year_hi, where=where, uri=uri),
                lambda: filtered(read_range(days)),
            ),
            (
                "search_ticks, 252 sessions, 2 columns",
                lambda: search_ticks(sym, year_lo, year_hi, where=where, columns=two, uri=uri),
                lambda: filtered(read_range(days))[["ts", "symbol", *two]],
            ),
        ]
        results = []
        for name, ours, baseline in cases:
            got, expected = ours(), baseline()
            pd.testing.assert_frame_equal(got, expected)
            results.append(
                (
                    name,
                    len(got),
                    median_time(ours, args.repeats),
                    median_time(baseline, args.repeats),
                )
            )
    print(f"symbol {sym}, median of {args.repeats}; selective filter: {where}")
    print(f"{'lookup':<40} {'rows':>7} {'ours':>10} {'read+pandas':>12} {'ratio':>7}")
    for name, n, ours_s, base_s in results:
        print(
            f"{name:<40} {n:>7,} {ours_s * 1e3:>8.1f}ms {base_s * 1e3:>10.1f}ms"
            f" {base_s / ours_s:>6.1f}x"
        )


if __name__ == "__main__":
    main()
