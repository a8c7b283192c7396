"""``crypto_open_interest`` hours finalized from an open-interest stream: Bybit's tickers
(:mod:`.bybit_tickers`) or Binance's polls (:mod:`.binance_oi`).

The stream holds each pair's open-interest state after every ticker frame (or poll). Bybit's
collector's coverage (:mod:`.coverage`) says from when (a snapshot's ``ts``) to when (the last
frame heard) it held every change; Binance's polls each hold the five seconds after them
(:func:`~.coverage.poll_coverage`). An hour's samples are the state as of each point of the
``crypto_open_interest`` grid (every :data:`STEP_MS`, from the hour's start): the last state at or
before the point, for every point a coverage interval holds (``start <= point < end``). A pair
whose coverage holds the whole hour is finalized from the stream alone, at five seconds, the
cadence the schema describes. A pair with a span its coverage does not hold is fetched from
the venue's REST instead, whole (its five-minute history: a state the stream missed cannot be
recovered at a finer grid, and one partition mixing grids in a pair would read as gaps); the
spans are named in the partition's metadata. Finalizing twice gives the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from vvv_pipeline.schemas import SOURCE_SCHEMAS, conform
from vvv_pipeline.streaming.coverage import Interval, poll_coverage, uncovered
from vvv_pipeline.streaming.finalize import FinalizedHour, span_text
from vvv_pipeline.streaming.store import StreamStore, hour_key

STEP_MS = 5_000
"""The ``crypto_open_interest`` grid: a sample every five seconds."""

RestHour = Callable[[str, pd.Timestamp, pd.Timestamp], pd.DataFrame]
"""(symbol, lo, hi) -> the venue's canonical ``crypto_open_interest`` rows of ``[lo, hi)``."""


def grid_states(
    states: pd.DataFrame, covered: Sequence[Interval], lo_ms: int, hi_ms: int
) -> pd.DataFrame:
    """The state as of each grid point of ``[lo_ms, hi_ms)`` that ``covered`` holds: ``states``
    (ts-indexed, sorted, one row per state) as of the point, re-indexed at the points."""
    points = np.arange(lo_ms, hi_ms, STEP_MS, dtype=np.int64)
    held = np.zeros(len(points), dtype=bool)
    for start, end in covered:
        held |= (points >= start) & (points < end)
    points = points[held]
    times = states.index.asi8 // 1_000_000
    at = np.searchsorted(times, points, side="right") - 1
    known = at >= 0  # a held point always has its interval's snapshot at or before it
    picked = states.iloc[at[known]]
    index = pd.DatetimeIndex((points[known] * 1_000_000).view("datetime64[ns]"), name="ts")
    return picked.set_axis(index.tz_localize("UTC"), axis=0)


def canonical(symbol: str, sampled: pd.DataFrame, venue: str = "bybit") -> pd.DataFrame:
    """A pair's grid states as canonical ``crypto_open_interest`` rows of ``venue``."""
    frame = pd.DataFrame(
        {
            "ts": sampled.index,
            "symbol": symbol,
            "open_interest": sampled["open_interest"].to_numpy(),
            "open_interest_value": sampled["open_interest_value"].to_numpy(),
            "mark_price": sampled["mark_price"].to_numpy(),
            "venue": venue,
        }
    )
    return conform(frame, SOURCE_SCHEMAS["crypto_open_interest"])


def hour_states(store: StreamStore, symbol: str, lo: pd.Timestamp) -> pd.DataFrame:
    """The pair's streamed states of the hour starting at ``lo`` and the last one before it
    (the state in force at the hour's first point)."""
    key = hour_key(lo.value // 1_000_000)
    earlier = store.last_settled(symbol, hour_key(lo.value // 1_000_000 - 1), None)
    states = store.hour(symbol, key)
    return pd.concat([earlier.iloc[-1:], states]) if len(earlier) else states


def finalize_oi_hour(
    store: StreamStore,
    rest: RestHour,
    symbols: Sequence[str],
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    coverage: Mapping[str, Sequence[Interval]] | None,
    venue: str = "bybit",
) -> tuple[FinalizedHour, dict[str, list[Interval]]]:
    """The hour ``[lo, hi)`` of ``symbols`` (see the module docstring) and, per pair fetched
    from REST instead, the spans its coverage did not hold. ``coverage`` None: a polled
    stream, held where its polls are dense enough (:func:`~.coverage.poll_coverage`)."""
    lo_ms, hi_ms = lo.value // 1_000_000, hi.value // 1_000_000
    schema = SOURCE_SCHEMAS["crypto_open_interest"]
    parts: list[pd.DataFrame] = []
    gaps: dict[str, list[Interval]] = {}
    rows = {"stream": 0, "rest_fill": 0}
    streamed: list[str] = []
    for symbol in symbols:
        states = hour_states(store, symbol, lo)
        if coverage is None:
            held = poll_coverage(states.index.asi8 // 1_000_000, STEP_MS)
        else:
            held = list(coverage.get(symbol, []))
        missing = uncovered(held, lo_ms, hi_ms)
        if missing:
            gaps[symbol] = missing
            parts.append(rest(symbol, lo, hi))
            rows["rest_fill"] += len(parts[-1])
            continue
        sampled = grid_states(states, held, lo_ms, hi_ms)
        parts.append(canonical(symbol, sampled, venue))
        rows["stream"] += len(sampled)
        streamed.append(symbol)
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=schema.names)
    frame = conform(frame, schema)
    return FinalizedHour(frame, rows, len(gaps), streamed), gaps


def uncovered_text(gaps: Mapping[str, Sequence[Interval]]) -> str:
    """``BTCUSDT 15:20:00.000..15:30:00.000; ...``: the spans each pair's stream missed."""
    return "; ".join(
        f"{symbol} " + ", ".join(span_text(lo, hi) for lo, hi in spans)
        for symbol, spans in gaps.items()
    )
