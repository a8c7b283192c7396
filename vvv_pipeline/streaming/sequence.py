"""Aggregate trade ids: duplicates and gaps while streaming, holes when an hour is finalized.

Binance numbers a symbol's aggregate trades consecutively (``a`` of the next trade is ``a + 1``),
so a jump in ``a`` is trades the stream did not deliver (a reconnect, a dropped frame) and an id
at or below the last one seen is a repeat (the overlap of a reconnect with a gap's backfill).
A new process knows no last id: what it missed before its first trade is a hole that
finalization fills (:func:`holes`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Gap:
    """Trades ``after_id < a < before_id`` missing from a symbol's stream; their times lie in
    ``[after_ms, before_ms]`` (milliseconds, both inclusive: neighbours may share a stamp)."""

    symbol: str
    after_id: int
    before_id: int
    after_ms: int
    before_ms: int

    @property
    def missing(self) -> int:
        return self.before_id - self.after_id - 1


class Sequencer:
    """The last aggregate id and time seen per symbol."""

    def __init__(self) -> None:
        self.last: dict[str, tuple[int, int]] = {}

    def check(self, symbol: str, trade_id: int, ms: int) -> tuple[bool, Gap | None]:
        """(keep the trade, the gap it reveals); a repeat is not kept."""
        seen = self.last.get(symbol)
        if seen is not None and trade_id <= seen[0]:
            return False, None
        self.last[symbol] = (trade_id, ms)
        if seen is not None and trade_id > seen[0] + 1:
            return True, Gap(symbol, seen[0], trade_id, seen[1], ms)
        return True, None


@dataclass(frozen=True, slots=True)
class Hole:
    """Where an hour's stored stream may lack trades: times ``lo_ms <= T < hi_ms`` and ids
    strictly between ``after_id`` and ``before_id`` (None: unbounded on that side)."""

    lo_ms: int
    hi_ms: int
    after_id: int | None
    before_id: int | None


def holes(ids: np.ndarray, ms: np.ndarray, lo_ms: int, hi_ms: int) -> list[Hole]:
    """The holes of one symbol-hour ``[lo_ms, hi_ms)`` whose stream holds ``ids`` at ``ms``
    (sorted by id, unique).

    The head (the hour's start to the first streamed trade) and the tail (the last one to the
    hour's end) are always holes: only REST can tell whether trades precede or follow what the
    stream kept, and when none do each costs one short request. Between them every id jump is
    one hole.
    """
    if len(ids) == 0:
        return [Hole(lo_ms, hi_ms, None, None)]
    found = [Hole(lo_ms, int(ms[0]) + 1, None, int(ids[0]))]
    for i in np.flatnonzero(np.diff(ids) > 1):
        found.append(Hole(int(ms[i]), int(ms[i + 1]) + 1, int(ids[i]), int(ids[i + 1])))
    found.append(Hole(int(ms[-1]), hi_ms, int(ids[-1]), None))
    return found


def in_hole(ids: np.ndarray, hole: Hole) -> np.ndarray:
    """Mask of ``ids`` that ``hole`` may hold."""
    keep = np.ones(len(ids), dtype=bool)
    if hole.after_id is not None:
        keep &= ids > hole.after_id
    if hole.before_id is not None:
        keep &= ids < hole.before_id
    return keep
