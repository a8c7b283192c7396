"""Reading derived data back: bars and metadata tiers for symbols and a date range, one call.

    from vvv_pipeline.read import load_bars, load_tier
    bars = load_bars(["AAPL", "MSFT"], "5min", "2025-11-24", "2025-11-26")
    volume = load_event_bars(["AAPL"], "volume", "2025-11-24", "2025-11-26")
    tier2 = load_tier(2, ["AAPL"], "2025-11-01", "2025-12-01")
    as_then = load_bars(["AAPL"], "1min", "2025-11-24", "2025-11-25", as_of="<snapshot>")

Dates are UTC instants or dates (read as UTC midnight); the range is [start, end). ``as_of``
is a snapshot name from a materialization's metadata. The store defaults to the pipeline's
(``VVV_ARCTIC_URI`` or ``lmdb://<data dir>/arcticdb``).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from vvv_pipeline import settings
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


def _with_symbol(frame: pd.DataFrame) -> pd.DataFrame:
    """The series ``key`` ("AAPL/5min", or "AAPL" for tiers) -> a leading ``symbol`` column."""
    if frame.empty:
        return frame
    frame.insert(0, "symbol", frame.pop("key").str.rsplit("/", n=1).str[0])
    return frame
