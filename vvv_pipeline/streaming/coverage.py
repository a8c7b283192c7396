"""Where a stream whose ids reveal no gap is known complete: coverage intervals per pair.

Bybit's trade ids are not consecutive, so a finalization cannot find a lost frame in them, and
its REST serves only the latest trades, so it cannot fill an hour afterwards either. What it can
know is when the collector held every trade. After each subscription the collector re-reads
the pair's recent-trade snapshot (:func:`~.service.recent_resync`): the snapshot holds every
trade after its oldest one's millisecond ``S`` (a trade sharing ``S`` may be cut off; a
snapshot holding fewer trades than asked holds every trade there is, from ``0``), and the
subscription streams every trade from its acknowledgement on, so from ``S + 1`` the pair is
complete for as long as the connection delivers. An interval ``[start, end)`` (epoch ms) says
so: every trade with ``start <= ms < end`` is held, ``end`` the latest trade heard (a later
frame may still bring trades of that millisecond). A snapshot reaching back into the previous
interval continues it (a reconnect, or a restart, lost nothing); one that does not opens a new
interval, and the time between is uncovered. IQFeed's resync asks the history from the last
trade heard (or stored), so it holds every trade from that millisecond on: the same rule, with
its own start (the resync tells it, :data:`~.collector.HELD_FROM_MS`). Trades heard on a
connection before its resync extend nothing until the resync has verified the connection's
start.

The collector persists the intervals with each flush, after its rows are staged, so a stored
interval never claims a trade that is not stored (:meth:`~.store.StreamStore.write_coverage`);
a finalization then asks :func:`uncovered` for the spans of its hour it cannot vouch for.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

Interval = tuple[int, int]
"""``[start_ms, end_ms)``: every trade of the pair with ``start_ms <= ms < end_ms`` is held."""


class Coverage:
    """The coverage intervals of a collector's pairs, the last of each open while its
    connection delivers; ``known`` are the intervals an earlier collector stored."""

    def __init__(self, known: Mapping[str, Sequence[Interval]] | None = None) -> None:
        self.intervals: dict[str, list[list[int]]] = {
            symbol: [list(interval) for interval in intervals]
            for symbol, intervals in (known or {}).items()
        }
        self.verified: set[str] = set()

    def connection_opened(self) -> None:
        """A new connection: nothing heard on it extends coverage until its resync."""
        self.verified.clear()

    def resynced(self, symbol: str, held_from_ms: int | None, heard_ms: int | None) -> None:
        """The pair's resync holds every trade from ``held_from_ms`` on (None: it vouches for
        nothing, e.g. an empty snapshot); ``heard_ms`` is the latest trade heard so far, the
        resync's included."""
        if held_from_ms is None:
            return
        start = held_from_ms
        intervals = self.intervals.setdefault(symbol, [])
        if not intervals or start > intervals[-1][1]:
            intervals.append([start, start])
        self.verified.add(symbol)
        if heard_ms is not None:
            self.heard(symbol, heard_ms)

    def heard(self, symbol: str, ms: int) -> None:
        """A trade at ``ms`` (the snapshot's or the stream's) on a verified connection."""
        if symbol in self.verified:
            last = self.intervals[symbol][-1]
            last[1] = max(last[1], ms)

    def since(self, symbol: str) -> int | None:
        """Where the pair's latest interval starts (None: never covered): from then on every
        trade up to the latest heard is held, if the current connection is verified."""
        intervals = self.intervals.get(symbol)
        return intervals[-1][0] if intervals else None

    def snapshot(self) -> dict[str, list[Interval]]:
        return {
            symbol: [(start, end) for start, end in intervals]
            for symbol, intervals in self.intervals.items()
        }


def uncovered(intervals: Sequence[Interval], lo_ms: int, hi_ms: int) -> list[Interval]:
    """The spans of ``[lo_ms, hi_ms)`` no interval covers, in time order."""
    spans = []
    at = lo_ms
    for start, end in sorted(intervals):
        if end <= at:
            continue
        if start >= hi_ms:
            break
        if start > at:
            spans.append((at, start))
        at = max(at, end)
        if at >= hi_ms:
            break
    if at < hi_ms:
        spans.append((at, hi_ms))
    return spans


def poll_coverage(times_ms: np.ndarray | Sequence[int], step_ms: int) -> list[Interval]:
    """The grid points a pair's polls hold: ``[t, t + step_ms)`` after each poll at ``t``,
    merged where they touch."""
    times = np.sort(np.asarray(times_ms, dtype=np.int64))
    if not len(times):
        return []
    apart = np.flatnonzero(np.diff(times) > step_ms) + 1  # a poll after the previous one's span
    starts = times[np.r_[0, apart]]
    ends = times[np.r_[apart - 1, len(times) - 1]] + step_ms
    return list(zip(starts.tolist(), ends.tolist(), strict=True))
