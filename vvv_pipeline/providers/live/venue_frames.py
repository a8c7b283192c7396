"""Canonical frames from crypto venues' pages (shared by the Binance, Bybit, Coinbase clients)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pandas as pd

from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.errors import ProviderError
from vvv_pipeline.schemas import SOURCE_SCHEMAS, Schema, conform

WindowReader = Callable[[str, pd.Timestamp, pd.Timestamp], pd.DataFrame]
"""Reads one symbol's rows with ``lo <= ts < hi`` (UTC) from a venue."""

MS = 1_000_000


def finish(
    pieces: list[pd.DataFrame],
    schema: Schema,
    symbols: Sequence[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> pd.DataFrame:
    """One canonical frame: rows in [start, end), sorted by (symbol, ts), symbols as given.

    Shared by the Binance, Bybit and Coinbase clients.
    """
    if not pieces:
        return schema.empty()
    frame = pd.concat(pieces, ignore_index=True)
    ts = frame["ts"]
    ties = ["trade_id"] if "trade_id" in frame.columns else []  # wire order varies by venue
    frame = frame[(ts >= start) & (ts < end)].sort_values(["symbol", "ts", *ties], kind="stable")
    out = conform(frame, schema)
    out["symbol"] = out["symbol"].astype(object).astype(pd.CategoricalDtype(sorted(set(symbols))))
    out["venue"] = out["venue"].astype(object).astype("category")
    return out


def fetch_per_symbol(
    provider: str,
    readers: Mapping[Source, WindowReader],
    source: Source | str,
    start: pd.Timestamp,
    end: pd.Timestamp,
    symbols: Sequence[str],
) -> pd.DataFrame:
    """A venue client's ``fetch``: each symbol's window read by the source's reader, then
    :func:`finish`. A source without a reader is an error naming the provider."""
    src = Source(source)
    if src not in readers:
        served = ", ".join(readers)
        raise ValueError(f"{provider}: source {source!r} is not served (serves {served})")
    lo, hi = utc(start), utc(end)
    schema = SOURCE_SCHEMAS[src]
    if hi <= lo or not symbols:
        return schema.empty()
    pieces = [readers[src](symbol, lo, hi) for symbol in symbols]
    return finish([p for p in pieces if len(p)], schema, symbols, lo, hi)


def utc(instant: pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(instant)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def refuse_partial_snapshot(
    provider: str,
    endpoint: str,
    what: str,
    ts: pd.Series,
    limit: int,
    lo: pd.Timestamp,
    older: str,
) -> None:
    """A recent-trades snapshot (no paging) that is full and starts after ``lo`` has lost the
    window's first trades: refuse it rather than store a partition missing them. ``what``
    names the snapshot in the message, ``older`` says where older trades are."""
    if len(ts) >= limit and ts.min() > lo:
        raise ProviderError(
            provider,
            endpoint,
            f"{what} is full ({len(ts)} rows, the limit asked for is {limit}) and reaches back "
            f"to {ts.min()} only, the window starts at {lo}; {older}",
        )
