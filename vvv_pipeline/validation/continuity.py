"""Tier 3 (WARN) kernels: continuity, the expected time grid against the observed rows.

The kinds are pandera checks (:mod:`.registered_tiers`) declared in :mod:`.rule_table`; these
are the kernels their bodies call. A gap is rows that are absent, so pandera has no failing row
to name: the kernels note each gap as a run (:class:`~.binding.Note`), and the tier's ``runs``
frame holds one row per gap: ``kind, symbol, start, end, length`` with the gap
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
  (any missing sample fails the tier). ``off_cadence`` counts in-window rows off that grid.
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

from vvv_pipeline.validation.binding import Note
from vvv_pipeline.validation.results import MINUTE_NS, SAMPLE_LIMIT, runs_frame, true_runs_2d

LIQUID_TRADES_PER_MINUTE = 2.0
"""Average trades per grid minute from which a symbol counts as liquid (gaps judged)."""
GAP_MIN_MINUTES = 5
"""Shortest empty run ever reported as a trade gap."""
GAP_EXPECTED_TRADES = 30.0
"""Trades a gap must have been expected to hold at the symbol's average rate."""


def slot_counts(
    t: np.ndarray, codes: np.ndarray, n_symbols: int, start: int, slot_ns: int, n_slots: int
) -> np.ndarray:
    """Rows per (symbol, slot) of ``[start, start + n_slots * slot_ns)`` as an int matrix."""
    keep = (t >= start) & (t < start + n_slots * slot_ns) & (codes >= 0)
    slot = (t[keep] - start) // slot_ns
    key = codes[keep] * n_slots + slot
    return np.bincount(key, minlength=n_symbols * n_slots).reshape(n_symbols, n_slots)


def min_gap_minutes(rate: np.ndarray) -> np.ndarray:
    """Shortest reported gap per symbol, in minutes, from its average trades per minute."""
    with np.errstate(divide="ignore"):
        need = np.ceil(GAP_EXPECTED_TRADES / rate)
    return np.maximum(GAP_MIN_MINUTES, np.where(np.isfinite(need), need, np.inf))


def rows_before(
    t: np.ndarray, codes: np.ndarray, rows: np.ndarray, begin: np.ndarray
) -> np.ndarray:
    """The symbol's last row before each of the first few gaps (one pass per gap): the rows a
    gap's sample shows, since the gap itself has none."""
    found = []
    for code, start in zip(rows[:SAMPLE_LIMIT], begin[:SAMPLE_LIMIT], strict=True):
        before = np.flatnonzero((codes == code) & (t < start))
        if len(before):
            found.append(before[-1])
    return np.asarray(found, dtype=np.int64)


def trade_gaps(
    note: Note,
    t: np.ndarray,
    codes: np.ndarray,
    names: np.ndarray,
    judged: np.ndarray,
    grids: list[tuple[int, int]],
) -> np.ndarray:
    """Note the gap runs of liquid symbols (count: runs); return the rows sampled before them."""
    runs_found = 0
    liquid_total = 0
    sampled = []
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
        note.runs.append(runs_frame("trade_gap", names[rows], begin, end, length))
        runs_found += len(rows)
        sampled.append(rows_before(t, codes, rows, begin))
        if liquid.any():
            note.metrics["gap_min_minutes_median"] = float(np.median(need[liquid]))
    note.count = runs_found
    note.metrics["liquid_symbol_grids"] = float(liquid_total)
    return np.concatenate(sampled) if sampled else np.zeros(0, dtype=np.int64)


def off_cadence(t: np.ndarray, window: tuple[int, int], cadence_ns: int) -> np.ndarray:
    """In-window rows off the multiples of the cadence."""
    lo, hi = window
    return (t >= lo) & (t < hi) & (t % cadence_ns != 0)


def cadence_gaps(
    note: Note,
    t: np.ndarray,
    codes: np.ndarray,
    names: np.ndarray,
    judged: np.ndarray,
    window: tuple[int, int],
    cadence_ns: int,
) -> np.ndarray:
    """Note the missing samples of judged symbols (count: samples) and their runs; return the
    rows sampled before the gaps."""
    lo, hi = window
    first_slot, cadence, n_slots = cadence_grid(lo, hi, cadence_ns)
    on = ~off_cadence(t, window, cadence_ns)
    counts = slot_counts(t[on], codes[on], len(names), first_slot, cadence, n_slots)
    rows, first, length = true_runs_2d((counts == 0) & judged[:, None])
    begin = first_slot + first * cadence
    end = np.minimum(begin + length * cadence, hi)
    note.runs.append(runs_frame("cadence_gap", names[rows], begin, end, length))
    missing = int(length.sum())
    note.count = missing
    expected = n_slots * int(np.count_nonzero(judged))
    note.metrics["cadence_coverage"] = 1.0 - missing / expected if expected else 1.0
    note.metrics["cadence_seconds"] = cadence / 1e9
    note.metrics["cadence_slots"] = float(n_slots)
    return rows_before(t, codes, rows, begin)


def cadence_grid(lo: int, hi: int, cadence_ns: int) -> tuple[int, int, int]:
    """``(first slot, cadence, slots)``: the multiples of ``cadence_ns`` in ``[lo, hi)``.

    Venues stamp samples on multiples of their period since the epoch, so the grid is anchored
    there rather than at the window start: a cadence longer than the window (a 4-hour series in
    an hourly partition) leaves some windows with no expected sample at all.
    """
    if cadence_ns <= 0:
        raise ValueError(f"cadence_ns must be positive, got {cadence_ns}")
    first_slot = -(-lo // cadence_ns) * cadence_ns
    return first_slot, cadence_ns, max(0, -(-(hi - first_slot) // cadence_ns))


def judged_symbols(
    codes: np.ndarray, names: np.ndarray, expected_symbols: Collection[str] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(names with the expected symbols that have no row appended, present, expected)."""
    extra = [s for s in (expected_symbols or ()) if s not in set(names)]
    names = np.concatenate((names, np.asarray(extra, dtype=object)))
    present = np.bincount(codes[codes >= 0], minlength=len(names)) > 0
    wanted = set(expected_symbols) if expected_symbols is not None else set()
    expected = np.fromiter((s in wanted for s in names), dtype=bool, count=len(names))
    return names, present, expected
