"""Trap and spoof detectors against patterns injected into the simulated market.

Run from the repository root:

    python benchmarks/bench_traps.py                 # both sets, about 3 minutes
    python benchmarks/bench_traps.py --sets tuning   # the tuning set only
    python benchmarks/bench_traps.py --only crypto   # the crypto pairs only

Each day is built the way the ``equity_traps`` and ``crypto_traps`` assets read it: the
simulated ticks of the 10 equities (``--ticks`` per session, default 20,000: the pipeline's
default density) or the trades and 5-second open interest of the 3 crypto pairs (3,000 trades
an hour), 1-minute time bars, the market profile and price zones of the day, and the reference
levels of the previous day (:func:`reference_levels`). Days run in order, so each day's levels
come from the day before as it was stored, injected patterns included. The first day of a run
only provides levels.

Ground truth comes from :mod:`vvv_pipeline.providers.simulated.traps`: per symbol-day
``--traps`` traps (bull and bear alternating, where the day comes near a level), ``--bursts``
size bursts kept 15 minutes from them, and (crypto) ``--oi`` open-interest bursts. A detection
matches an unmatched label of its kind and symbol when it starts from 2 minutes before to 5
minutes after a trap's label (the breakout bar falls inside the push) or within 5 seconds of a
burst's. Precision = matched detections / detections of the kind; recall = matched labels /
labels. The same days are also run clean (no injection at all): every detection of a trap or
spoof kind there is a false alarm, reported per symbol-day.

- TUNING: seed 20240601 (the pipeline's default): the detectors' thresholds were chosen on it.
- HELD-OUT: seeds 7 and 8 (other paths, levels and injected patterns), other dates; run once,
  after every threshold was fixed. (Seeds 5 and 6 held out first; the open-interest undo band
  was narrowed after looking at their clean days' false alarms, so they were retired.)
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vvv_pipeline.analytics.profile import market_profile
from vvv_pipeline.analytics.spoofing import oi_bursts, size_bursts
from vvv_pipeline.analytics.traps import detect_traps, empty_events, reference_levels
from vvv_pipeline.analytics.zones import price_zones
from vvv_pipeline.bars import oi_windows, time_bars
from vvv_pipeline.bars.frames import ts_ns
from vvv_pipeline.calendars import sessions_between
from vvv_pipeline.metadata_tiers.windows import calendar_window
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.providers.simulated.traps import (
    inject_oi_bursts,
    inject_size_bursts,
    inject_traps,
)
from vvv_pipeline.universe import load_universe

SETS = {
    "tuning": ((20240601,), "2024-05-31", "2024-05-20"),
    "held-out": ((7, 8), "2025-10-31", "2025-10-25"),
}
"""Name -> (seeds, last equity session, last crypto day)."""
PATTERNS = ("bull_trap", "bear_trap", "size_spoof", "oi_spoof")
WINDOW_S = {"trap": (-120, 300), "burst": (-5, 5)}
"""Seconds a detection may start before and after its label's time."""


def equity_days(last: str, count: int) -> list[str]:
    days = sessions_between(pd.Timestamp(last) - pd.Timedelta(days=2 * count + 10), last)
    return [d.strftime("%Y-%m-%d") for d in days[-count:]]


def crypto_days(last: str, count: int) -> list[str]:
    end = pd.Timestamp(last)
    return [(end - pd.Timedelta(days=count - 1 - i)).strftime("%Y-%m-%d") for i in range(count)]


def _keys(symbols: list[str], day: str) -> pd.DataFrame:
    return pd.DataFrame({"symbol": symbols, "date": pd.Timestamp(day)})


def run(
    crypto: bool, seed: int, days: list[str], args: argparse.Namespace, inject: bool
) -> tuple[pd.DataFrame, pd.DataFrame | None, int]:
    """(events, labels, symbol-days scored) of one seed's days, in order."""
    universe = load_universe()
    config = SimulationConfig(seed=seed, ticks_per_session=args.ticks)
    market = SimulatedMarket(config, universe)
    symbols = list(universe.crypto if crypto else universe.equities)
    source = Source.CRYPTO_TRADES if crypto else Source.EQUITY_TICKS
    previous: tuple[pd.DataFrame, pd.DataFrame] | None = None
    events, labels = [], []
    for day in days:
        lo, hi = calendar_window(day)
        trades = market.fetch(source, lo, hi, symbols)
        oi = market.fetch(Source.CRYPTO_OPEN_INTEREST, lo, hi, symbols) if crypto else None
        levels = reference_levels(*previous, _keys(symbols, day)) if previous else None
        if inject and levels is not None:
            trades, traps = inject_traps(trades, levels, args.traps, seed)
            trades, bursts = inject_size_bursts(trades, args.bursts, seed, avoid=traps)
            labels += [traps, bursts]
            if oi is not None:
                oi, spoofs = inject_oi_bursts(oi, args.oi, seed)
                labels.append(spoofs)
        sessions = None if crypto else [day]
        bars = time_bars(trades, "1min", sessions=sessions)
        profile = market_profile(bars, sessions=sessions)
        if levels is not None:
            events += [detect_traps(bars, levels), size_bursts(trades)]
            if oi is not None:
                events.append(oi_bursts(oi_windows(oi)))
        previous = (profile.summary, price_zones(profile.levels, bars))
    scored = len(symbols) * (len(days) - 1)
    found = pd.concat([e for e in events if len(e)], ignore_index=True) if events else None
    truth = pd.concat(labels, ignore_index=True) if labels else None
    return (found if found is not None else empty_events()), truth, scored


def score(found: pd.DataFrame, truth: pd.DataFrame | None, kind: str) -> tuple[int, int, int]:
    """(labels, detections, matched) of one kind, greedy one-to-one in time order."""
    det = found[found["kind"].astype(str) == kind]
    lab = truth[truth["kind"] == kind] if truth is not None else truth
    n_lab = 0 if lab is None else len(lab)
    if not n_lab or det.empty:
        return n_lab, len(det), 0
    lo, hi = WINDOW_S["trap" if kind.endswith("trap") else "burst"]
    matched = 0
    for symbol, mine in det.groupby(det["symbol"].astype(str)):
        t_det = np.sort(ts_ns(mine["ts"]))
        t_lab = np.sort(ts_ns(lab.loc[lab["symbol"] == symbol, "ts"]))
        used = np.zeros(len(t_lab), dtype=bool)
        for t in t_det:
            ok = np.flatnonzero(~used & (t - t_lab >= lo * 1e9) & (t - t_lab <= hi * 1e9))
            if len(ok):
                used[ok[0]] = True
                matched += 1
    return n_lab, len(det), matched


def report(
    name: str, crypto: bool, seeds: tuple[int, ...], days: list[str], args: argparse.Namespace
) -> None:
    alarms, scored_days = dict.fromkeys(PATTERNS, 0), 0
    totals = {k: [0, 0, 0] for k in PATTERNS}
    for seed in seeds:
        found, truth, scored = run(crypto, seed, days, args, inject=True)
        clean, _, _ = run(crypto, seed, days, args, inject=False)
        scored_days += scored
        for kind in PATTERNS:
            for j, n in enumerate(score(found, truth, kind)):
                totals[kind][j] += n
            alarms[kind] += int((clean["kind"].astype(str) == kind).sum())
    what = "3 crypto pairs" if crypto else "10 equities"
    print(f"\n{name}, {what}: seeds {', '.join(map(str, seeds))}, days {days[1]}..{days[-1]}")
    print(f"({scored_days} symbol-days scored, each also run clean)\n")
    print("| pattern | injected | detected | matched | precision | recall | clean false alarms |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for kind in PATTERNS:
        n_lab, n_det, hit = totals[kind]
        if not crypto and kind == "oi_spoof":
            continue
        precision = f"{hit / n_det:.1%}" if n_det else "n/a"
        recall = f"{hit / n_lab:.1%}" if n_lab else "n/a"
        per_day = alarms[kind] / scored_days
        print(
            f"| {kind} | {n_lab} | {n_det} | {hit} | {precision} | {recall} | "
            f"{alarms[kind]} ({per_day:.3f} per symbol-day) |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ticks", type=int, default=20_000)
    parser.add_argument("--sessions", type=int, default=21, help="equity sessions per seed")
    parser.add_argument("--days", type=int, default=22, help="crypto days per seed")
    parser.add_argument("--traps", type=int, default=2, help="traps per symbol-day")
    parser.add_argument("--bursts", type=int, default=2, help="size bursts per symbol-day")
    parser.add_argument("--oi", type=int, default=3, help="OI bursts per crypto pair-day")
    parser.add_argument("--sets", nargs="*", default=list(SETS), choices=list(SETS))
    parser.add_argument("--only", choices=["equity", "crypto"], default=None)
    args = parser.parse_args()
    started = time.perf_counter()
    for name in args.sets:
        seeds, last_session, last_day = SETS[name]
        if args.only != "crypto":
            report(name, False, seeds, equity_days(last_session, args.sessions), args)
        if args.only != "equity":
            report(name, True, seeds, crypto_days(last_day, args.days), args)
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
