"""Reading derived data back: bars and metadata tiers for symbols and a date range, one call.

    from vvv_pipeline.read import load_bars, load_tier
    bars = load_bars(["AAPL", "MSFT"], "5min", "2025-11-24", "2025-11-26")
    volume = load_event_bars(["AAPL"], "volume", "2025-11-24", "2025-11-26")
    tier2 = load_tier(2, ["AAPL"], "2025-11-01", "2025-12-01")
    as_then = load_bars(["AAPL"], "1min", "2025-11-24", "2025-11-25", as_of="<snapshot>")
    last = latest_tick("AAPL", as_of="2025-11-24 15:00Z")
    blocks = search_ticks("AAPL", "2025-11-01", "2025-12-01", where={"size": (">=", 10_000)})

Dates are UTC instants or dates (read as UTC midnight; naive times are UTC); the range is
[start, end). ``as_of`` is a snapshot name from a materialization's metadata, except in
``latest_tick``, where it is an instant. The store defaults to the pipeline's
(``VVV_ARCTIC_URI`` or ``lmdb://<data dir>/arcticdb``).
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
) -> pd.DataFrame:
    """Time bars (``symbol``, ``ts`` and the bar columns) of ``symbols`` at ``freq``."""
    frame = load_series(TIME_BARS, [f"{s}/{freq}" for s in symbols], start, end, as_of, uri)
    return _with_symbol(frame)


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
) -> pd.DataFrame | None:
    """The last stored tick of ``symbol`` at or before the instant ``as_of`` (now if None): a
    one-row frame of the source's columns, or None when nothing is stored that early.

    ``source`` is a tick-scale source (equity_ticks, crypto_trades, crypto_open_interest).
    Raises ``ValueError`` for an unknown source and
    :class:`~vvv_pipeline.storage.point_lookups.NoTicksStored` (a ``LookupError``) for a symbol
    with no stored partition. Reads one row per partition visited, newest first.
    """
    store = ArcticStore(uri or settings.arctic_uri())
    return point_lookups.latest_tick(store, source, symbol, as_of)


def search_ticks(
    symbol: str,
    start: str | pd.Timestamp,
    end: str | pd.Timestamp,
    where: point_lookups.Where | None = None,
    columns: Sequence[str] | None = None,
    source: str = "equity_ticks",
    uri: str | None = None,
) -> pd.DataFrame:
    """Ticks of ``symbol`` in [start, end) matching ``where``, filtered inside ArcticDB.

    ``where`` maps columns to ``(op, value)``, all ANDed: ``{"price": (">", 100), "size":
    (">=", 500), "exchange": ("in", ["N", "Q"])}``; ops are ``== != < <= > >= in "not in"``
    (category columns: equality and membership only). ``columns`` limits the columns read
    (``ts`` and ``symbol`` always come). Rows are exactly those of the full read filtered in
    pandas, in time order. Errors as :func:`latest_tick`, and ``ValueError`` naming a bad
    column or operator.
    """
    store = ArcticStore(uri or settings.arctic_uri())
    return point_lookups.search_ticks(store, source, symbol, start, end, where, columns)


def _with_symbol(frame: pd.DataFrame) -> pd.DataFrame:
    """The series ``key`` ("AAPL/5min", or "AAPL" for tiers) -> a leading ``symbol`` column."""
    if frame.empty:
        return frame
    frame.insert(0, "symbol", frame.pop("key").str.rsplit("/", n=1).str[0])
    return frame
