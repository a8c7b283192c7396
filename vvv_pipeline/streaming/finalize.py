"""An hour of crypto trades from the stream, its holes filled from REST.

What the collector staged for a symbol-hour (:meth:`.store.StreamStore.hour`) is kept; each hole
(:func:`.sequence.holes`: before the first streamed trade, between non-consecutive aggregate
ids, after the last) is asked of the REST client for its time span, keeping only the ids the
hole may hold and the stream lacks. A symbol that streamed nothing is one hole: the whole
window, exactly what the hourly asset fetches without a stream. More holes than
:data:`MAX_HOLE_REQUESTS` are one request of the window instead (a stream broken that often
costs no more than the plain fetch). Every row keeps its origin, so the materialization can
say how much came from the stream, the collector's own gap backfills and this fill.

A stream whose ids are not consecutive (Bybit) cannot show a hole in them; there the holes are
the spans of the hour its stored coverage intervals do not vouch for (:mod:`.coverage`,
:func:`complete_covered`), and a hole REST cannot serve fails the hour, naming the spans
(Bybit's REST holds only its latest trades).

The result depends only on what is stored and what REST serves: finalizing an hour again
reads the same settled stream and asks the same holes, so it gives the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vvv_pipeline.providers.live.venue_frames import finish
from vvv_pipeline.schemas import SOURCE_SCHEMAS
from vvv_pipeline.streaming.binance_ws import (
    FROM_BACKFILL,
    FROM_STREAM,
    VENUE,
    staged_from_canonical,
)
from vvv_pipeline.streaming.coverage import Interval, uncovered
from vvv_pipeline.streaming.sequence import Hole, holes, in_hole
from vvv_pipeline.streaming.store import StreamStore, unique_rows

FROM_REST = 2
"""``origin`` of a row fetched when the hour was finalized."""
MAX_HOLE_REQUESTS = 24
ORIGINS = {FROM_STREAM: "stream", FROM_BACKFILL: "collector_backfill", FROM_REST: "rest_fill"}

RestWindow = Callable[[str, pd.Timestamp, pd.Timestamp], pd.DataFrame]
"""Canonical ``crypto_trades`` rows of one symbol with ``lo <= ts < hi`` from the venue's REST."""


def _ms(stamp: pd.Timestamp) -> int:
    return stamp.value // 1_000_000


def _stamp(ms: int) -> pd.Timestamp:
    return pd.Timestamp(ms, unit="ms", tz="UTC")


def _clock(ms: int) -> str:
    return f"{_stamp(ms):%H:%M:%S}.{ms % 1000:03d}"


def span_text(start_ms: int, end_ms: int) -> str:
    return f"{_clock(start_ms)}..{_clock(end_ms)}"


def complete_hour(
    symbol: str, streamed: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp, rest: RestWindow
) -> tuple[pd.DataFrame, int]:
    """(the symbol's staged-form rows of ``[lo, hi)``, the REST requests made)."""
    ts = streamed.index.asi8
    streamed = unique_rows(streamed[(ts >= lo.value) & (ts < hi.value)])
    order = np.argsort(streamed["trade_id"].to_numpy(), kind="stable")
    ids = streamed["trade_id"].to_numpy()[order]
    ms = streamed.index.asi8[order] // 1_000_000
    found = holes(ids, ms, _ms(lo), _ms(hi))
    if len(found) > MAX_HOLE_REQUESTS:
        found = [Hole(_ms(lo), _ms(hi), None, None)]
    pieces = [streamed]
    for hole in found:
        served = rest(symbol, _stamp(hole.lo_ms), _stamp(hole.hi_ms))
        fetched = staged_from_canonical(served, FROM_REST)
        got = fetched["trade_id"].to_numpy()
        pieces.append(fetched[in_hole(got, hole) & ~np.isin(got, ids)])
    return unique_rows(pd.concat(pieces)), len(found)


class UncoveredHour(RuntimeError):
    """A stream without consecutive ids does not cover part of an hour and REST could not
    serve that part (Bybit keeps no trade history but its latest trades)."""


def complete_covered(
    symbol: str,
    streamed: pd.DataFrame,
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    covered: Sequence[Interval],
    rest: RestWindow,
    staged: Callable[[pd.DataFrame, int], pd.DataFrame] = staged_from_canonical,
) -> tuple[pd.DataFrame, int]:
    """(the symbol's staged-form rows of ``[lo, hi)``, the REST requests made) for a stream
    whose ids reveal no gap: the spans of the hour its coverage intervals do not vouch for are
    the holes (:mod:`.coverage`). A hole REST cannot serve fails the hour, naming the spans.
    ``staged`` turns REST's canonical rows into the stream's staged form (crypto by default;
    IQFeed's :func:`~.iqfeed_l1.staged_from_ticks` for equities)."""
    ts = streamed.index.asi8
    streamed = unique_rows(streamed[(ts >= lo.value) & (ts < hi.value)])
    spans = uncovered(covered, _ms(lo), _ms(hi))
    if len(spans) > MAX_HOLE_REQUESTS:
        spans = [(_ms(lo), _ms(hi))]
    ids = streamed["trade_id"].to_numpy()
    pieces = [streamed]
    for start, end in spans:
        try:
            served = rest(symbol, _stamp(start), _stamp(end))
        except Exception as error:
            named = ", ".join(span_text(a, b) for a, b in spans)
            raise UncoveredHour(
                f"{symbol} {lo:%Y-%m-%d %H:%M} UTC: the stream does not cover {named} and the "
                f"venue could not serve it: {error}"
            ) from error
        fetched = staged(served, FROM_REST)
        got_ms = fetched.index.asi8 // 1_000_000
        inside = (got_ms >= start) & (got_ms < end)
        pieces.append(fetched[inside & ~np.isin(fetched["trade_id"].to_numpy(), ids)])
    return unique_rows(pd.concat(pieces)), len(spans)


@dataclass
class FinalizedHour:
    frame: pd.DataFrame
    """Canonical rows of the partition (``crypto_trades``, ``crypto_open_interest`` or
    ``equity_ticks``), as the REST client would return them."""
    rows_by_origin: dict[str, int] = field(default_factory=dict)
    rest_requests: int = 0
    streamed_symbols: list[str] = field(default_factory=list)


def to_canonical(
    rows: dict[str, pd.DataFrame],
    symbols: Sequence[str],
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    venue: str = VENUE,
) -> pd.DataFrame:
    """Staged-form rows per symbol as one canonical frame (sorted by symbol, ts, id)."""
    pieces = [
        pd.DataFrame(
            {
                "ts": frame.index,
                "symbol": symbol,
                "price": frame["price"].to_numpy(),
                "size": frame["size"].to_numpy(),
                "trade_id": frame["trade_id"].to_numpy(),
                "aggressor": frame["aggressor"].to_numpy(),
                "venue": venue,
            }
        )
        for symbol, frame in rows.items()
        if len(frame)
    ]
    return finish(pieces, SOURCE_SCHEMAS["crypto_trades"], symbols, lo, hi)


def finalize_hour(
    store: StreamStore,
    rest: RestWindow,
    symbols: Sequence[str],
    partition_key: str,
    lo: pd.Timestamp,
    hi: pd.Timestamp,
    coverage: Mapping[str, Sequence[Interval]] | None = None,
    venue: str = VENUE,
) -> FinalizedHour:
    """The hour's canonical rows from the stream plus the REST fill of its holes: found in the
    ids (Binance), or, given ``coverage`` (Bybit), where the stream's coverage does not reach."""
    per_symbol: dict[str, pd.DataFrame] = {}
    out = FinalizedHour(pd.DataFrame(), dict.fromkeys(ORIGINS.values(), 0))
    for symbol in symbols:
        streamed = store.hour(symbol, partition_key)
        if len(streamed):
            out.streamed_symbols.append(symbol)
        if coverage is None:
            rows, requests = complete_hour(symbol, streamed, lo, hi, rest)
        else:
            covered = coverage.get(symbol, [])
            rows, requests = complete_covered(symbol, streamed, lo, hi, covered, rest)
        out.rest_requests += requests
        per_symbol[symbol] = rows
        origins = np.bincount(rows["origin"].to_numpy(), minlength=len(ORIGINS))
        for code, label in ORIGINS.items():
            out.rows_by_origin[label] += int(origins[code])
    out.frame = to_canonical(per_symbol, symbols, lo, hi, venue)
    return out
