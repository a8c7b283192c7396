"""The pure layer under a backfill, before and after the work on names and copies (issue 14).

Run from the repository root:

    python benchmarks/bench_pipeline_pure.py                 # 20 sessions, 5 repeats
    python benchmarks/bench_pipeline_pure.py --sessions 5 --repeats 2   # quick smoke run

Twenty default-density sessions of the ten equities (20,000 trades each, 4,000,000 ticks) are
simulated and stored in a temporary LMDB store the way ``equity_ticks`` stores them. Each case
then times the code as it was (the baseline, kept here verbatim or swapped into today's
modules) and as it is, alternately in this one process, after checking that both give
identical frames; medians of the repeats, seconds for all 20 sessions:

- ArcticDB's storage lock: the first ``list_symbols`` + ``snapshot`` of a new library (its
  first symbol-list compaction) at ArcticDB's default ``StorageLock.WaitMs`` and at this
  project's local value; one such wait per new library per run;
- tick reads: one session at a time (as the metadata tiers and event bars read) and the 20
  sessions in one read (as time bars read a chunk), the string-sorted read vs ``read_partitions``;
- metadata tiers 1 and 2 per session, with the name-based ``in_window`` / ``group_codes`` vs
  the code-based ones (the tier-1 active-minute grid is in both);
- event bars per session, selecting each symbol's rows by name vs by code;
- the simulator: ``fetch`` of each session's ten equities, one frame per symbol-session +
  concat + the previous ``conform`` vs columns stacked into one frame.
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import tempfile
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from arcticdb.config import set_config_int

from vvv_pipeline.bars import time_bars
from vvv_pipeline.calendars import session_bounds, sessions_between
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.simulated import SimulatedMarket
from vvv_pipeline.providers.simulated.market import _is_sorted
from vvv_pipeline.schemas import EQUITY_TICKS, SOURCE_SCHEMAS, TEXT, UTC_TS
from vvv_pipeline.storage import arctic
from vvv_pipeline.storage.arctic import ArcticStore

events = importlib.import_module("vvv_pipeline.bars.partition_events")
tier1 = importlib.import_module("vvv_pipeline.metadata_tiers.tier1_summary")
tier2 = importlib.import_module("vvv_pipeline.metadata_tiers.tier2_microstructure")

from vvv_pipeline_tests.name_based_baselines import (  # noqa: E402
    group_codes_by_names,
    imbalance_bars_by_names,
    in_window_by_names,
    string_sorted_read,
    with_threshold_by_names,
)

# ---- the baselines: the code as it was -------------------------------------------------------


def old_conform(frame, schema):
    out = {}
    for col in schema.columns:
        values = frame[col.name].reset_index(drop=True)
        if col.dtype == UTC_TS:
            values = pd.to_datetime(values, utc=True).astype(UTC_TS)
        elif col.dtype == "category":
            if not isinstance(values.dtype, pd.CategoricalDtype):
                values = values.astype(object).astype("category")
        elif col.dtype == TEXT:
            values = values.astype(object)
        elif values.dtype != col.dtype:
            values = values.astype(col.dtype)
        out[col.name] = values
    return pd.DataFrame(out, index=pd.RangeIndex(len(frame)))


def old_fetch(market: SimulatedMarket, start, end, symbols: list[str]) -> pd.DataFrame:
    """``fetch("equity_ticks", ...)`` without faults as it was: a frame per symbol-session."""
    table = sorted(symbols)
    codes = {symbol: i for i, symbol in enumerate(table)}
    pieces = []
    for symbol, _unit, columns in market._generate(Source.EQUITY_TICKS, table, start, end):
        frame = pd.DataFrame(columns)
        frame["_sym"] = np.full(len(frame), codes[symbol], dtype=np.int16)
        ts = frame["ts"].to_numpy()
        if len(ts) and (ts.min() < start.value or ts.max() >= end.value):
            frame = frame[(ts >= start.value) & (ts < end.value)]
        if len(frame):
            pieces.append(frame)
    frame = pd.concat(pieces, ignore_index=True) if len(pieces) > 1 else pieces[0]
    sym, ts = frame["_sym"].to_numpy(), frame["ts"].to_numpy()
    if not _is_sorted(sym, ts):
        order = np.lexsort((ts, sym))
        frame, sym, ts = frame.take(order), sym[order], ts[order]
    frame = frame.drop(columns=["_sym", "ts"])
    frame["symbol"] = pd.Categorical.from_codes(sym, categories=table, validate=False)
    frame["ts"] = pd.DatetimeIndex(ts.view("datetime64[ns]")).tz_localize("UTC")
    return old_conform(frame, SOURCE_SCHEMAS["equity_ticks"])


# ---- harness ------------------------------------------------------------------------------------


def alternate(old: Callable[[], object], new: Callable[[], object], repeats: int):
    """Median seconds of ``old`` and ``new``, timed alternately (old first, then new first)."""
    times: dict[str, list[float]] = {"old": [], "new": []}
    for r in range(repeats):
        order = [("old", old), ("new", new)] if r % 2 == 0 else [("new", new), ("old", old)]
        for name, fn in order:
            began = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - began)
    return statistics.median(times["old"]), statistics.median(times["new"])


def swapped(module, **names):
    """Context: ``module``'s attributes replaced by ``names`` for the duration."""

    class _Swap:
        def __enter__(self):
            self.saved = {n: getattr(module, n) for n in names}
            for n, v in names.items():
                setattr(module, n, v)

        def __exit__(self, *exc):
            for n, v in self.saved.items():
                setattr(module, n, v)

    return _Swap()


def report(rows: list[tuple[str, float, float]]) -> None:
    print(f"{'case':<58} {'old s':>8} {'new s':>8} {'ratio':>7}")
    for name, old, new in rows:
        print(f"{name:<58} {old:8.3f} {new:8.3f} {old / new:6.1f}x")


def store_sessions(market: SimulatedMarket, store: ArcticStore, keys: list[str]) -> None:
    """As ``equity_ticks`` stores a partition: ts-indexed row slices per symbol."""
    for key in keys:
        lo, hi = session_bounds(key)
        frame = market.fetch("equity_ticks", lo, hi, market.universe.equities).set_index("ts")
        codes = frame["symbol"].cat.codes.to_numpy()
        cats = list(frame["symbol"].cat.categories)
        parts = {}
        for symbol in market.universe.equities:
            a, b = np.searchsorted(codes, [cats.index(symbol), cats.index(symbol) + 1])
            parts[symbol] = frame.iloc[a:b]
        store.write_partition("equity", key, parts)


def lock_case(uri: str, repeats: int) -> tuple[str, float, float]:
    ac = arctic.arctic_for(uri)
    frame = pd.DataFrame({"x": [1]}, index=pd.DatetimeIndex(["2025-01-02"], name="ts"))
    count = iter(range(10_000))

    def first_snapshot(wait_ms: int) -> Callable[[], None]:
        def run() -> None:
            set_config_int("StorageLock.WaitMs", wait_ms)
            lib = ac.get_library(f"bench_lock_{next(count)}", create_if_missing=True)
            lib.write("a", frame)
            if lib.list_symbols():  # DerivedStore.snapshot: the first one compacts
                lib.snapshot("s")

        return run

    old, new = alternate(first_snapshot(1000), first_snapshot(arctic.LOCAL_LOCK_WAIT_MS), repeats)
    set_config_int("StorageLock.WaitMs", arctic.LOCAL_LOCK_WAIT_MS)
    name = f"first snapshot of a new library (WaitMs 1000 vs {arctic.LOCAL_LOCK_WAIT_MS})"
    return name, old, new


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--end", default="2025-11-21", help="last session of the range")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    keys = [d.strftime("%Y-%m-%d") for d in sessions_between("2020-01-01", args.end)]
    keys = keys[-args.sessions :]
    market = SimulatedMarket()
    symbols = list(market.universe.equities)
    with tempfile.TemporaryDirectory() as folder:
        uri = f"lmdb://{folder}/arctic"
        store = ArcticStore(uri)
        store_sessions(market, store, keys)
        ticks = len(string_sorted_read(store, "equity", symbols, keys, EQUITY_TICKS))
        print(f"{len(keys)} sessions {keys[0]}..{keys[-1]}, {ticks:,} ticks, 10 equities")
        rows = [lock_case(uri, args.repeats)]

        # reads
        for key in keys[:2]:
            new = store.read_partitions("equity", symbols, [key], EQUITY_TICKS)
            pd.testing.assert_frame_equal(
                new,
                string_sorted_read(store, "equity", symbols, [key], EQUITY_TICKS),
                check_exact=True,
            )
        whole = store.read_partitions("equity", symbols, keys, EQUITY_TICKS)
        pd.testing.assert_frame_equal(
            whole,
            string_sorted_read(store, "equity", symbols, keys, EQUITY_TICKS),
            check_exact=True,
        )
        rows.append(
            (
                "tick reads, one session at a time",
                *alternate(
                    lambda: [
                        string_sorted_read(store, "equity", symbols, [k], EQUITY_TICKS)
                        for k in keys
                    ],
                    lambda: [
                        store.read_partitions("equity", symbols, [k], EQUITY_TICKS) for k in keys
                    ],
                    args.repeats,
                ),
            )
        )
        rows.append(
            (
                f"tick reads, {len(keys)} sessions in one read",
                *alternate(
                    lambda: string_sorted_read(store, "equity", symbols, keys, EQUITY_TICKS),
                    lambda: store.read_partitions("equity", symbols, keys, EQUITY_TICKS),
                    args.repeats,
                ),
            )
        )
        days = [store.read_partitions("equity", symbols, [k], EQUITY_TICKS) for k in keys]

        # metadata tiers 1 and 2
        def tiers() -> list[pd.DataFrame]:
            out = []
            for key, day in zip(keys, days, strict=True):
                out.append(tier1.tier1_summary(day, "equity_ticks", key))
                out.append(tier2.tier2_microstructure(day, "equity_ticks", key))
            return out

        def tiers_by_names() -> list[pd.DataFrame]:
            with (
                swapped(tier1, in_window=in_window_by_names, group_codes=group_codes_by_names),
                swapped(tier2, in_window=in_window_by_names, group_codes=group_codes_by_names),
            ):
                return tiers()

        for a, b in zip(tiers(), tiers_by_names(), strict=True):
            pd.testing.assert_frame_equal(a, b, check_exact=True)
        rows.append(
            ("metadata tiers 1 and 2, per session", *alternate(tiers_by_names, tiers, args.repeats))
        )

        # event bars
        daily = time_bars(whole, "1d", sessions=[session_bounds(k) for k in keys])
        history = daily[list(events.HISTORY_COLUMNS)].assign(symbol=daily["symbol"].astype(str))

        def event_bars():
            return [
                events.partition_event_bars(day, history, session_bounds(key))
                for key, day in zip(keys, days, strict=True)
            ]

        def event_bars_by_names():
            with swapped(
                events,
                imbalance_bars=imbalance_bars_by_names,
                _with_threshold=with_threshold_by_names,
            ):
                return event_bars()

        for a, b in zip(event_bars(), event_bars_by_names(), strict=True):
            for kind in a.bars:
                pd.testing.assert_frame_equal(a.bars[kind], b.bars[kind], check_exact=True)
        rows.append(
            (
                "event bars (4 kinds), per session",
                *alternate(event_bars_by_names, event_bars, args.repeats),
            )
        )

        # simulator
        windows = [session_bounds(k) for k in keys]
        for lo, hi in windows[:2]:
            new = market.fetch("equity_ticks", lo, hi, symbols)
            pd.testing.assert_frame_equal(new, old_fetch(market, lo, hi, symbols), check_exact=True)
        rows.append(
            (
                "simulator, equity_ticks 10 symbols per session",
                *alternate(
                    lambda: [old_fetch(market, lo, hi, symbols) for lo, hi in windows],
                    lambda: [market.fetch("equity_ticks", lo, hi, symbols) for lo, hi in windows],
                    args.repeats,
                ),
            )
        )
    print(f"medians of {args.repeats}, old and new alternating in one process")
    report(rows)


if __name__ == "__main__":
    main()
