"""Reading derived data back: bars and metadata tiers for symbols and a date range, one call.

    from vvv_pipeline.read import load_bars, load_tier
    bars = load_bars(["AAPL", "MSFT"], "5min", "2025-11-24", "2025-11-26")
    volume = load_event_bars(["AAPL"], "volume", "2025-11-24", "2025-11-26")
    tier2 = load_tier(2, ["AAPL"], "2025-11-01", "2025-12-01")
    as_then = load_bars(["AAPL"], "1min", "2025-11-24", "2025-11-25", as_of="<snapshot>")
    last = latest_tick("AAPL", as_of="2025-11-24 15:00Z")
    now = latest_tick("BTCUSDT", source="crypto_trades", include_stream=True)
    today = load_bars(["BTCUSDT"], "1min", "2025-11-25", include_stream=True)
    blocks = search_ticks("AAPL", "2025-11-01", "2025-12-01", where={"size": (">=", 10_000)})

Dates are UTC instants or dates (read as UTC midnight; naive times are UTC); the range is
[start, end). ``as_of`` is a snapshot name from a materialization's metadata, except in
``latest_tick``, where it is an instant. The store defaults to the pipeline's
(``VVV_ARCTIC_URI`` or ``lmdb://<data dir>/arcticdb``).

``include_stream=True`` (``crypto_trades`` and ``equity_ticks``) adds what the live stream has
made readable for hours not finalized yet: see :mod:`vvv_pipeline.streaming.reads` for exactly
which rows. The crypto stream is the one of the venue the source stores
(``VVV_CRYPTO_TRADES_VENUE``); the equity stream is IQFeed's Level 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from vvv_pipeline import settings
from vvv_pipeline.storage import point_lookups
from vvv_pipeline.storage.arctic import ArcticStore
from vvv_pipeline.storage.derived import (
    METADATA_TIER1,
    METADATA_TIER2,
    METADATA_TIER3,
    TIME_BARS,
    VOLUME_BARS,
    DerivedStore,
)
from vvv_pipeline.streaming import live_bars, reads
from vvv_pipeline.universe import load_universe

EVENT_KINDS = ("volume", "dollar", "tick", "tick_imbalance")
TIER_LIBRARIES = {1: METADATA_TIER1, 2: METADATA_TIER2, 3: METADATA_TIER3}


def load_series(
    library: str,
    names: Sequence[str],
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    as_of: str | None = None,
    uri: str | None = None,
) -> pd.DataFrame:
    """Rows of the named series of ``library`` in [start, end), with a ``key`` column."""
    return DerivedStore(uri or settings.arctic_uri()).read(library, names, start, end, as_of)


def load_bars(
    symbols: Sequence[str],
    freq: str,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    as_of: str | None = None,
    uri: str | None = None,
    include_stream: bool = False,
) -> pd.DataFrame:
    """Time bars (``symbol``, ``ts`` and the bar columns) of ``symbols`` at ``freq``.

    ``include_stream``: after each symbol's last derived day, bars computed from the ticks a
    read sees (stored partitions and the live stream's unfinalized hours) up to ``end`` (now if
    None): see :mod:`vvv_pipeline.streaming.live_bars`. ``start`` is then required and
    ``as_of`` refused (a snapshot holds no live data).
    """
    frame = _with_symbol(
        load_series(TIME_BARS, [f"{s}/{freq}" for s in symbols], start, end, as_of, uri)
    )
    if not include_stream:
        return frame
    if as_of is not None or start is None:
        raise ValueError("include_stream needs a start and no as_of (a snapshot is not live)")
    lo = point_lookups.utc(start)
    hi = pd.Timestamp.now(tz="UTC") if end is None else point_lookups.utc(end)
    crypto = set(load_universe(settings.universe_path()).crypto)
    pieces = []
    for symbol in symbols:
        stored = frame[frame["symbol"] == symbol] if len(frame) else frame
        pieces.append(stored)
        live_lo = live_bars.first_live_instant(stored, lo)
        if live_lo >= hi:
            continue
        source = "crypto_trades" if symbol in crypto else "equity_ticks"
        day_lo = live_bars.day_starts(live_lo, hi)[0]  # a day's trades are signed from its start
        try:
            ticks = search_ticks(symbol, day_lo, hi, source=source, uri=uri, include_stream=True)
        except point_lookups.NoTicksStored:
            continue
        bars = live_bars.bars_of_ticks(ticks, freq, live_lo, hi, symbol not in crypto)
        # in the stored frame's columns (crypto's OI columns are NaN on equities' rows there)
        pieces.append(
            bars.assign(symbol=symbol).reindex(
                columns=frame.columns.union(bars.columns, sort=False)
            )
        )
    kept = [piece for piece in pieces if len(piece)]
    return pd.concat(kept, ignore_index=True) if kept else frame


def load_event_bars(
    symbols: Sequence[str],
    kind: str,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    as_of: str | None = None,
    uri: str | None = None,
) -> pd.DataFrame:
    """Event bars of ``symbols``: ``kind`` is volume, dollar, tick or tick_imbalance.

    ``ts`` is each bar's last trade; ``complete`` is False for a partition's last (partial) bar.
    """
    if kind not in EVENT_KINDS:
        raise ValueError(f"kind must be one of {EVENT_KINDS}, not {kind!r}")
    frame = load_series(VOLUME_BARS, [f"{s}/{kind}" for s in symbols], start, end, as_of, uri)
    return _with_symbol(frame)


def load_tier(
    tier: int,
    symbols: Sequence[str],
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    as_of: str | None = None,
    uri: str | None = None,
) -> pd.DataFrame:
    """Metadata tier ``tier`` (1, 2 or 3) of ``symbols``: one row per symbol and day."""
    frame = load_series(TIER_LIBRARIES[tier], symbols, start, end, as_of, uri)
    return _with_symbol(frame)


def latest_tick(
    symbol: str,
    as_of: str | pd.Timestamp | None = None,
    source: str = "equity_ticks",
    uri: str | None = None,
    include_stream: bool = False,
) -> pd.DataFrame | None:
    """The last stored tick of ``symbol`` at or before the instant ``as_of`` (now if None): a
    one-row frame of the source's columns, or None when nothing is stored that early.

    ``source`` is a tick-scale source (equity_ticks, crypto_trades, crypto_open_interest).
    Raises ``ValueError`` for an unknown source and
    :class:`~vvv_pipeline.storage.point_lookups.NoTicksStored` (a ``LookupError``) for a symbol
    with no stored partition. Reads one row per partition visited, newest first.

    ``include_stream`` (crypto_trades, equity_ticks): also the stream's settled trades of
    hours not finalized yet; the later of the two answers (the stored one on a tie). A symbol
    with streamed rows but no stored partition is then no error.
    """
    store = ArcticStore(uri or settings.arctic_uri())
    if not include_stream:
        return point_lookups.latest_tick(store, source, symbol, as_of)
    stream = _stream(source, store.uri)
    parts = point_lookups.stored_partitions(store, source, symbol, missing_ok=True)
    finalized = {part.key for part in parts}
    cutoff = None if as_of is None else point_lookups.utc(as_of)
    if not parts and not reads.unfinalized_hours(stream, symbol, finalized):
        point_lookups.stored_partitions(store, source, symbol)  # raises NoTicksStored
    stored = point_lookups.latest_tick(store, source, symbol, as_of) if parts else None
    live = reads.latest_streamed(stream, symbol, cutoff, finalized)
    if live is None or (stored is not None and stored["ts"].iloc[0] >= live["ts"].iloc[0]):
        return stored
    return live


def search_ticks(
    symbol: str,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    where: point_lookups.Where | None = None,
    columns: Sequence[str] | None = None,
    source: str = "equity_ticks",
    uri: str | None = None,
    include_stream: bool = False,
) -> pd.DataFrame:
    """Ticks of ``symbol`` in [start, end) matching ``where``, filtered inside ArcticDB.

    ``where`` maps columns to ``(op, value)``, all ANDed: ``{"price": (">", 100), "size":
    (">=", 500), "exchange": ("in", ["N", "Q"])}``; ops are ``== != < <= > >= in "not in"``
    (category columns: equality and membership only). ``columns`` limits the columns read
    (``ts`` and ``symbol`` always come). Rows are exactly those of the full read filtered in
    pandas, in time order. Errors as :func:`latest_tick`, and ``ValueError`` naming a bad
    column or operator.

    ``include_stream`` (crypto_trades, equity_ticks): also the stream's settled trades of hours
    not finalized yet, filtered the same way (in pandas), in time order with the stored ones.
    """
    store = ArcticStore(uri or settings.arctic_uri())
    if not include_stream:
        return point_lookups.search_ticks(store, source, symbol, start, end, where, columns)
    stream = _stream(source, store.uri)
    schema = point_lookups.tick_schema(source)
    parts = point_lookups.stored_partitions(store, source, symbol, missing_ok=True)
    finalized = {part.key for part in parts}
    lo, hi = point_lookups.utc(start), point_lookups.utc(end)
    live = reads.streamed_between(stream, symbol, lo, hi, finalized)
    live = live[point_lookups.where_mask(schema, live, where).to_numpy()]
    if not parts:
        if not reads.unfinalized_hours(stream, symbol, finalized):
            point_lookups.stored_partitions(store, source, symbol)  # raises NoTicksStored
        stored = schema.empty()
    else:
        stored = point_lookups.search_ticks(store, source, symbol, lo, hi, where)
    filled = [frame for frame in (stored, live) if len(frame)]
    both = pd.concat(filled, ignore_index=True) if len(filled) > 1 else (filled or [stored])[0]
    both = both.sort_values(["ts", "trade_id"], kind="stable", ignore_index=True)
    for column in schema.names:  # categories that differed between the two
        if schema.dtypes[column] == "category" and both[column].dtype != "category":
            both[column] = both[column].astype(object).astype("category")
    return both if columns is None else both[point_lookups.projected(schema, columns)]


def _stream(source: str, uri: str) -> reads.LiveStream:
    """The live stream of ``source`` (crypto_trades: the configured venue's; equity_ticks:
    IQFeed's)."""
    return reads.LiveStream.of(uri, source, settings.current().crypto_trades_venue)


def _with_symbol(frame: pd.DataFrame) -> pd.DataFrame:
    """The series ``key`` ("AAPL/5min", or "AAPL" for tiers) -> a leading ``symbol`` column."""
    if frame.empty:
        return frame
    frame.insert(0, "symbol", frame.pop("key").str.rsplit("/", n=1).str[0])
    return frame
