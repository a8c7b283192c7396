"""Tier 3 (WARN): continuity, the expected time grid against the observed rows.

:func:`check_continuity` returns a :class:`~vvv_pipeline.validation.results.TierResult` whose
``runs`` frame holds one row per gap: ``kind, symbol, start, end, length`` with the gap
``[start, end)`` and ``length`` in grid slots (minutes, or open-interest samples at the
provider's cadence).

Rules (all vectorized: integer slot keys ``(ts - grid_start) // slot_ns``, one ``bincount``
over ``symbol x slot``, and runs of empty slots from one ``diff``):

* ``equity_ticks`` -> ``trade_gap``: the grid is every minute of each XNYS session overlapping
  the window (early closes included). Only **liquid** symbols are judged: a symbol-session whose
  trades average at least :data:`LIQUID_TRADES_PER_MINUTE` per minute. A gap is a run of empty
  minutes at least ``max(GAP_MIN_MINUTES, ceil(GAP_EXPECTED_TRADES / rate))`` long, where
  ``rate`` is the symbol-session's average trades per minute: the gap must have been expected
  to hold :data:`GAP_EXPECTED_TRADES` trades. At the quietest point of a U-shaped day (about
  half the average rate) that is still ~15 expected trades, so a Poisson tape stays empty that
  long with probability ~3e-7: quiet midday minutes at small scales do not false-alarm, while a
  20-minute outage of a symbol trading 5 a minute (threshold 6 minutes) is caught.
* ``crypto_trades`` -> ``trade_gap``: the same rule on the minutes of the (24/7) window.
* ``crypto_open_interest`` -> ``cadence_gap``: every multiple of the provider's cadence (since
  the Unix epoch) inside the window is expected per symbol; any run of missing samples is a gap
  (threshold :data:`CADENCE_GAP_MAX_SLOTS`). ``off_cadence`` counts in-window rows off that grid.
  The cadence is the one the provider declares for the series it serves (``cadence_ns``): the
  simulated market samples every 5 s, Binance and Bybit publish history at 5 minutes at best,
  so judging a venue's series on the simulator's grid would fail every healthy partition.

``counts`` hold gap *runs* for ``trade_gap`` and missing *slots* for ``cadence_gap``; rows
outside the grid are ignored here (tier 2 reports them). Symbols judged: those with rows, plus
any passed in ``symbols`` (an expected symbol with no row at all is ``symbol_without_rows``).
Sparse sources (dark-pool prints, option alerts, news, daily, economic) have no expected grid:
their result passes with no kinds.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from vvv_pipeline.validation.alignment import sessions_in
from vvv_pipeline.validation.continuity import (
    LIQUID_TRADES_PER_MINUTE,
    cadence_grid,
    min_gap_minutes,
    slot_counts,
)
from vvv_pipeline.validation.masks import window_ns
from vvv_pipeline.validation.results import (
    MINUTE_NS,
    SAMPLE_LIMIT,
    Collector,
    TierResult,
    codes_and_names,
    runs_frame,
    true_runs_2d,
    ts_ns,
)

TIER = 3
TRADE_GAP_MAX_RUNS = 0
"""Trade-gap runs allowed per partition."""
CADENCE_NS = 5_000_000_000
"""Open-interest sample spacing when the caller names none (the simulated market's)."""
CADENCE_GAP_MAX_SLOTS = 0
"""Missing open-interest samples allowed per partition."""
OFF_CADENCE_MAX_ROWS = 0
"""In-window open-interest rows off the cadence grid allowed."""
GRID_SOURCES = ("equity_ticks", "crypto_trades", "crypto_open_interest")


def _sample_before(
    out: Collector, kind: str, t: np.ndarray, codes: np.ndarray, rows: np.ndarray, begin: np.ndarray
) -> None:
    """Sample the symbol's last row before each of the first few gaps (one pass per gap)."""
    for code, start in zip(rows[:SAMPLE_LIMIT], begin[:SAMPLE_LIMIT], strict=True):
        before = np.flatnonzero((codes == code) & (t < start))
        if len(before):
            out.add(kind, 0, before[-1:], failed=False)


def _trade_gaps(
    out: Collector,
    t: np.ndarray,
    codes: np.ndarray,
    names: np.ndarray,
    judged: np.ndarray,
    grids: list[tuple[int, int]],
) -> None:
    runs_found = 0
    liquid_total = 0
    for start, stop in grids:
        n_slots = -(-(stop - start) // MINUTE_NS)
        counts = slot_counts(t, codes, len(names), start, MINUTE_NS, n_slots)
        rate = counts.sum(axis=1) / n_slots
        liquid = judged & (rate >= LIQUID_TRADES_PER_MINUTE)
        liquid_total += int(np.count_nonzero(liquid))
        need = min_gap_minutes(rate)
        rows, first, length = true_runs_2d(counts == 0)
        keep = liquid[rows] & (length >= need[rows])
        rows, first, length = rows[keep], first[keep], length[keep]
        begin = start + first * MINUTE_NS
        end = np.minimum(begin + length * MINUTE_NS, stop)
        out.runs.append(runs_frame("trade_gap", names[rows], begin, end, length))
        runs_found += len(rows)
        _sample_before(out, "trade_gap", t, codes, rows, begin)
        if liquid.any():
            out.metrics["gap_min_minutes_median"] = float(np.median(need[liquid]))
    out.add("trade_gap", runs_found, None, runs_found > TRADE_GAP_MAX_RUNS)
    out.metrics["liquid_symbol_grids"] = float(liquid_total)


def _cadence_gaps(
    out: Collector,
    t: np.ndarray,
    codes: np.ndarray,
    names: np.ndarray,
    judged: np.ndarray,
    grid: tuple[int, int, int],
    lo: int,
    hi: int,
) -> None:
    first_slot, cadence, n_slots = grid
    inside = (t >= lo) & (t < hi)
    off = inside & (t % cadence != 0)
    n_off = int(np.count_nonzero(off))
    out.add("off_cadence", n_off, np.flatnonzero(off), n_off > OFF_CADENCE_MAX_ROWS)
    on = ~off
    counts = slot_counts(t[on], codes[on], len(names), first_slot, cadence, n_slots)
    rows, first, length = true_runs_2d((counts == 0) & judged[:, None])
    begin = first_slot + first * cadence
    end = np.minimum(begin + length * cadence, hi)
    out.runs.append(runs_frame("cadence_gap", names[rows], begin, end, length))
    _sample_before(out, "cadence_gap", t, codes, rows, begin)
    missing = int(length.sum())
    out.add("cadence_gap", missing, None, missing > CADENCE_GAP_MAX_SLOTS)
    expected = n_slots * int(np.count_nonzero(judged))
    out.metrics["cadence_coverage"] = 1.0 - missing / expected if expected else 1.0
    out.metrics["cadence_seconds"] = cadence / 1e9
    out.metrics["cadence_slots"] = float(n_slots)


def check_continuity(
    frame: pd.DataFrame,
    source: str,
    window: tuple[pd.Timestamp, pd.Timestamp],
    symbols: Collection[str] | None = None,
    cadence_ns: int = CADENCE_NS,
) -> TierResult:
    """Tier-3 continuity of one partition; ``symbols`` adds expected symbols, ``cadence_ns`` is
    the open-interest provider's sample spacing (module doc)."""
    source = str(source)
    out = Collector(frame)
    if source not in GRID_SOURCES:
        return out.result(TIER, source, with_runs=True)
    t = ts_ns(frame)
    if t is None:
        out.add("ts_not_utc", len(frame), np.arange(min(len(frame), 1)), failed=len(frame) > 0)
        return out.result(TIER, source, with_runs=True)
    codes, names = codes_and_names(frame)
    extra = [s for s in (symbols or ()) if s not in set(names)]
    names = np.concatenate((names, np.asarray(extra, dtype=object)))
    present = np.bincount(codes[codes >= 0], minlength=len(names)) > 0
    wanted = set(symbols) if symbols is not None else set()
    expected = np.fromiter((s in wanted for s in names), dtype=bool, count=len(names))
    absent = expected & ~present
    lo, hi = window_ns(window)
    grid = cadence_grid(lo, hi, cadence_ns) if source == "crypto_open_interest" else None
    if grid is not None and grid[2] == 0:
        absent[:] = False  # no sample falls due in this window: a symbol without rows is right
    if absent.any():
        out.add("symbol_without_rows", int(np.count_nonzero(absent)), None, failed=True)
        out.metrics["symbols_without_rows"] = float(np.count_nonzero(absent))
    judged = present | expected
    if grid is not None:
        _cadence_gaps(out, t, codes, names, judged, grid, lo, hi)
    else:
        if source == "equity_ticks":
            grids = [(max(o, lo), min(c, hi)) for o, c, _ in sessions_in(window)]
        else:
            grids = [(lo, hi)]
        _trade_gaps(out, t, codes, names, judged, [g for g in grids if g[1] > g[0]])
    return out.result(TIER, source, with_runs=True)
