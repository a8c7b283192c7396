"""Canonical frames from crypto venues' pages (shared by the Binance, Bybit, Coinbase clients)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from vvv_pipeline.schemas import Schema, conform

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


def utc(instant: pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(instant)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
