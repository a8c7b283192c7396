"""Tiers 2-4 benchmark: check_alignment, check_continuity and check_quality on one heavy
symbol-session, side by side with plain-pandas versions of their core rules.

Run from the repository root:

    python benchmarks/bench_tiers_234.py                  # 1M ticks of SPY, 5 repeats
    python benchmarks/bench_tiers_234.py --ticks 200000 --repeats 3   # quick smoke run

The frame is the simulated market's ``equity_ticks`` for one symbol and one session
(``SimulationConfig(ticks_per_session=--ticks)``), with a 20-minute ``drop_range``, 5
``price_spike`` rows and one ``stale_run`` of about a minute injected so every rule does real
work. The pandas baselines compute the same core answers (rows outside the session,
empty-minute runs, MAD jumps per symbol) and must agree with ours before anything is timed.
Each figure is the median wall time of ``--repeats`` runs in one process. The requirement is
< 1 s per tier.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from timing import median_time  # benchmarks/timing.py, beside this script

from vvv_pipeline.calendars import EXCHANGE_TZ, session_bounds
from vvv_pipeline.providers.simulated.config import Fault, SimulationConfig
from vvv_pipeline.providers.simulated.market import SimulatedMarket
from vvv_pipeline.universe import load_universe
from vvv_pipeline.validation import check_alignment, check_continuity, check_quality
from vvv_pipeline.validation.continuity import min_gap_minutes
from vvv_pipeline.validation.quality import JUMP_FLOOR, JUMP_K, MAD_TO_SD

SESSION = "2025-11-24"
SYMBOL = "SPY"


def heavy_frame(ticks: int) -> tuple[pd.DataFrame, tuple[pd.Timestamp, pd.Timestamp]]:
    day = pd.Timestamp(SESSION).tz_localize(EXCHANGE_TZ)
    window = (day.tz_convert("UTC"), (day + pd.Timedelta(days=1)).tz_convert("UTC"))
    faults = (
        Fault("drop_range", "equity_ticks", SYMBOL, "2025-11-24 17:00", "2025-11-24 17:20"),
        Fault("price_spike", "equity_ticks", SYMBOL, count=5),
        # a frozen price lasting about a minute whatever the density (stale runs must last 30 s)
        Fault("stale_run", "equity_ticks", SYMBOL, count=max(40, ticks // 300)),
    )
    config = SimulationConfig(ticks_per_session=ticks, faults=faults)
    market = SimulatedMarket(config, load_universe())
    return market.fetch("equity_ticks", *window, [SYMBOL]), window


def pandas_alignment(frame: pd.DataFrame) -> int:
    open_, close = session_bounds(SESSION)
    outside = ~frame["ts"].between(open_, close, inclusive="left") & ~frame["extended_hours"]
    shifted = outside & (frame["ts"] + pd.Timedelta(hours=5)).between(open_, close, "left")
    return int(outside.sum()) + int(shifted.sum())


def pandas_continuity(frame: pd.DataFrame) -> int:
    open_, close = session_bounds(SESSION)
    grid = pd.date_range(open_, close, freq="1min", inclusive="left")
    runs = 0
    per_minute = frame.groupby(["symbol", pd.Grouper(key="ts", freq="1min")], observed=True).size()
    for _symbol, counts in per_minute.groupby(level=0, observed=True):
        counts = counts.droplevel(0).reindex(grid, fill_value=0)
        need = min_gap_minutes(np.array([counts.sum() / len(grid)]))[0]
        empty = counts.eq(0)
        run_id = empty.ne(empty.shift()).cumsum()
        lengths = empty[empty].groupby(run_id[empty]).size()
        runs += int((lengths >= need).sum())
    return runs


def pandas_quality(frame: pd.DataFrame) -> int:
    r = np.log(frame["price"]).groupby(frame["symbol"], observed=True).diff()
    by = r.groupby(frame["symbol"], observed=True)
    med = by.transform("median")
    mad = (r - med).abs().groupby(frame["symbol"], observed=True).transform("median")
    threshold = np.maximum(JUMP_K * MAD_TO_SD * mad, JUMP_FLOOR)
    return int(((r - med).abs() > threshold).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    build = time.perf_counter()
    frame, window = heavy_frame(args.ticks)
    print(f"built {len(frame):,} {SYMBOL} ticks in {time.perf_counter() - build:.2f} s")

    tier2 = check_alignment(frame, "equity_ticks", window)
    tier3 = check_continuity(frame, "equity_ticks", window)
    tier4 = check_quality(frame, "equity_ticks")
    ours2 = tier2.counts["outside_session"] + tier2.counts["timezone_shift"]
    assert ours2 == pandas_alignment(frame) == 0, tier2.counts
    assert tier3.counts["trade_gap"] == pandas_continuity(frame) == 1, tier3.runs
    assert tier4.counts["price_jump"] == pandas_quality(frame) == 10, tier4.counts
    assert tier4.counts["stale_price"] == 1, tier4.counts
    print(f"tier 3 run: {tier3.runs.iloc[0].to_dict()}")
    print(f"tier 4 counts: { {k: v for k, v in tier4.counts.items() if v} }")

    rows = [
        ("tier 2 check_alignment", lambda: check_alignment(frame, "equity_ticks", window)),
        ("tier 2 pandas baseline", lambda: pandas_alignment(frame)),
        ("tier 3 check_continuity", lambda: check_continuity(frame, "equity_ticks", window)),
        ("tier 3 pandas baseline", lambda: pandas_continuity(frame)),
        ("tier 4 check_quality", lambda: check_quality(frame, "equity_ticks")),
        ("tier 4 pandas baseline (jumps only)", lambda: pandas_quality(frame)),
    ]
    print(f"rows: {len(frame):,} (1 symbol-session), median of {args.repeats}")
    for name, fn in rows:
        print(f"{name:<38} {median_time(fn, args.repeats):.3f} s")
    floor = median_time(lambda: frame["price"].to_numpy().sum() + frame["ts"].array.asi8.sum(), 5)
    print(f"{'floor (read price and ts once)':<38} {floor:.4f} s")


if __name__ == "__main__":
    main()
