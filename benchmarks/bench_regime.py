"""Regime detector against the simulator's own regime labels, on a tuning and a held-out set.

Run from the repository root:

    python benchmarks/bench_regime.py                  # default density, about 1.5 minutes
    python benchmarks/bench_regime.py --detector /tmp/regime_before.py   # another version

The simulated market draws every equity symbol-day's regime (trending, ranging or volatile:
:mod:`vvv_pipeline.providers.simulated.anchors`) and shapes the day's intraday path by it. For
each set below the script builds what the ``equity_regime`` asset reads: the simulated ticks of
the 10 equities of the universe (``--ticks`` per session, default 20,000: the pipeline's default
density), 5-minute time bars of each session, and the detector's earlier rows as ``trailing``.
Like the asset, it calls :func:`daily_regime` one session at a time, in order, with the rows of
the previous 45 calendar days as ``trailing``. The first ``--warmup`` sessions (25) only build
that history; the next ``--sessions`` (80) are scored against ``DailyAnchors.regime``
(``trend_up`` and ``trend_down`` both count as trending, ``range`` as ranging).

- TUNING: seed 20240601 (the pipeline's default), sessions up to 2024-06-28. The detector's
  thresholds were chosen on this set only.
- HELD-OUT: seeds 1 and 2 (other daily sigmas, paths and labels for every symbol), sessions up
  to 2025-10-31. Never used to choose anything.

Printed per set: accuracy and the confusion matrix (rows: the simulator's label, columns: the
detector's) with history, then the accuracy of the no-history fallback rule alone (every
scored day classified as if the symbol had no earlier days). ``--detector`` loads
``daily_regime`` from another file (e.g. ``git show HEAD:vvv_pipeline/analytics/regime.py``)
to measure an earlier version on the same inputs.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vvv_pipeline.analytics.regime import daily_regime
from vvv_pipeline.bars import time_bars
from vvv_pipeline.calendars import sessions_between
from vvv_pipeline.metadata_tiers.windows import calendar_window
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.providers.simulated.anchors import (
    REGIMES,
    daily_anchors,
    day_index,
    equity_sigma,
)
from vvv_pipeline.universe import load_universe

SETS = {
    "tuning": ((20240601,), "2024-06-28"),
    "held-out": ((1, 2), "2025-10-31"),
}
"""Name -> (seeds, last scored session)."""
TRAILING_DAYS = 45
"""Calendar days of earlier rows passed as ``trailing`` (the asset's REGIME_TRAILING_DAYS)."""
TRUTH = ("trending", "ranging", "volatile")
"""The simulator's regime names (``anchors.REGIMES``), the matrix's rows."""
DETECTED = {
    "trend_up": "trending",
    "trend_down": "trending",
    "range": "ranging",
    "volatile": "volatile",
}
"""The detector's labels (the matrix's columns) and the simulator's name each counts as."""
CHUNK = 10
"""Sessions of ticks generated at a time (bounds memory: ~2 million ticks)."""

Detector = Callable[..., pd.DataFrame]


def session_days(last: str, count: int) -> list[str]:
    days = sessions_between(pd.Timestamp(last) - pd.Timedelta(days=2 * count), last)
    return [d.strftime("%Y-%m-%d") for d in days[-count:]]


def five_minute_bars(seed: int, days: list[str], ticks: int) -> pd.DataFrame:
    universe = load_universe()
    market = SimulatedMarket(SimulationConfig(seed=seed, ticks_per_session=ticks), universe)
    pieces = []
    for i in range(0, len(days), CHUNK):
        chunk = days[i : i + CHUNK]
        lo, hi = calendar_window(chunk[0])[0], calendar_window(chunk[-1])[1]
        frame = market.fetch(Source.EQUITY_TICKS, lo, hi, list(universe.equities))
        pieces.append(time_bars(frame, "5min", sessions=chunk))
    return pd.concat(pieces, ignore_index=True)


def labels(seed: int, days: list[str]) -> pd.DataFrame:
    """The simulator's regime of every (symbol, session): ``DailyAnchors.regime``."""
    universe = load_universe()
    rows = []
    for symbol in universe.equities:
        start = universe.start_price(symbol)
        anchors = daily_anchors(seed, symbol, start, equity_sigma(seed, symbol))
        for day in days:
            name = REGIMES[int(anchors.regime[day_index(day)])].name
            rows.append((symbol, pd.Timestamp(day), name))
    return pd.DataFrame(rows, columns=["symbol", "date", "truth"])


def as_the_asset(detect: Detector, bars: pd.DataFrame, days: list[str]) -> pd.DataFrame:
    """One call per session, in order, with the earlier rows of 45 calendar days as trailing."""
    date = bars["ts"].dt.tz_convert("America/New_York").dt.strftime("%Y-%m-%d")
    rows: list[pd.DataFrame] = []
    for day in days:
        before = pd.Timestamp(day) - pd.Timedelta(days=TRAILING_DAYS)
        trailing = pd.concat(rows[-TRAILING_DAYS:], ignore_index=True) if rows else None
        if trailing is not None:
            trailing = trailing[trailing["date"] >= before]
        rows.append(detect(bars[date == day], trailing=trailing))
    return pd.concat(rows, ignore_index=True)


def scored(out: pd.DataFrame, truth: pd.DataFrame) -> pd.DataFrame:
    out = out.assign(symbol=out["symbol"].astype(str), regime=out["regime"].astype(str))
    both = truth.merge(out[["symbol", "date", "regime"]], on=["symbol", "date"], how="left")
    assert both["regime"].notna().all(), "a scored symbol-day has no detector row"
    return both


def confusion(rows: pd.DataFrame) -> str:
    table = pd.crosstab(
        pd.Categorical(rows["truth"], TRUTH),
        pd.Categorical(rows["regime"], list(DETECTED)),
        dropna=False,
    )
    head = "| true \\ detected | " + " | ".join(DETECTED) + " | recall |"
    lines = [head, "| --- |" + " ---: |" * (len(DETECTED) + 1)]
    for name, row in table.iterrows():
        right = sum(n for label, n in row.items() if DETECTED[label] == name)
        recall = f"{right}/{row.sum()} ({right / max(row.sum(), 1):.0%})"
        lines.append(f"| {name} | " + " | ".join(str(n) for n in row) + f" | {recall} |")
    return "\n".join(lines)


def accuracy(rows: pd.DataFrame) -> float:
    return float(np.mean(rows["regime"].map(DETECTED) == rows["truth"]))


def load_detector(path: str | None) -> Detector:
    if path is None:
        return daily_regime
    spec = importlib.util.spec_from_file_location("regime_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.daily_regime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ticks", type=int, default=20_000)
    parser.add_argument("--warmup", type=int, default=25)
    parser.add_argument("--sessions", type=int, default=80)
    parser.add_argument("--detector", help="a file defining daily_regime (default: the repo's)")
    args = parser.parse_args()
    detect = load_detector(args.detector)
    started = time.perf_counter()
    for name, (seeds, last) in SETS.items():
        days = session_days(last, args.warmup + args.sessions)
        scored_days = days[args.warmup :]
        with_history, fallback = [], []
        for seed in seeds:
            bars = five_minute_bars(seed, days, args.ticks)
            truth = labels(seed, scored_days)
            with_history.append(scored(as_the_asset(detect, bars, days), truth))
            cold = detect(bars, min_history=10**6)  # never enough history: the fallback rule
            fallback.append(scored(cold, truth))
        rows, cold_rows = pd.concat(with_history), pd.concat(fallback)
        print(
            f"\n{name}: seeds {', '.join(map(str, seeds))}, 10 equities, sessions "
            f"{scored_days[0]}..{scored_days[-1]} ({len(scored_days)} scored after "
            f"{args.warmup} warm-up), {len(rows)} symbol-days"
        )
        print(f"accuracy with history: {accuracy(rows):.1%}")
        print(f"accuracy of the no-history fallback alone: {accuracy(cold_rows):.1%}\n")
        print(confusion(rows))
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
