"""Tiny hand-made canonical frames for the metadata tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from vvv_pipeline.calendars import session_bounds
from vvv_pipeline.schemas import (
    CRYPTO_OPEN_INTEREST,
    CRYPTO_TRADES,
    DARKPOOL_PRINTS,
    EQUITY_TICKS,
    NEWS_HEADLINES,
    OPTIONS_FLOW,
    conform,
)

DAY = "2025-11-25"
OPEN = session_bounds(DAY)[0]


def seconds(offsets: Sequence[float], base: pd.Timestamp = OPEN) -> pd.DatetimeIndex:
    return pd.DatetimeIndex([base + pd.Timedelta(seconds=s) for s in offsets])


def equity(
    offsets: Sequence[float],
    prices: Sequence[float],
    sizes: Sequence[int] | None = None,
    aggressor: Sequence[int] | None = None,
    bid: Sequence[float] | None = None,
    ask: Sequence[float] | None = None,
    symbol: str = "AAA",
) -> pd.DataFrame:
    n = len(prices)
    price = np.asarray(prices, dtype=float)
    frame = pd.DataFrame(
        {
            "ts": seconds(offsets),
            "symbol": symbol,
            "price": price,
            "size": np.asarray(sizes if sizes is not None else [100] * n, dtype=np.int64),
            "bid": price - 0.01 if bid is None else np.asarray(bid, dtype=float),
            "ask": price + 0.01 if ask is None else np.asarray(ask, dtype=float),
            "trade_id": np.arange(n),
            "exchange": "N",
            "condition": "@",
            "aggressor": np.asarray(aggressor if aggressor is not None else [0] * n),
            "extended_hours": False,
        }
    )
    return conform(frame, EQUITY_TICKS)


def crypto(
    ts: Sequence[pd.Timestamp], prices: Sequence[float], sizes: Sequence[float], symbol="BTCUSDT"
):
    n = len(prices)
    frame = pd.DataFrame(
        {
            "ts": pd.DatetimeIndex(ts),
            "symbol": symbol,
            "price": prices,
            "size": sizes,
            "trade_id": np.arange(n),
            "aggressor": [1] * n,
            "venue": "binance",
        }
    )
    return conform(frame, CRYPTO_TRADES)


def darkpool(symbols, offsets, prices, sizes, bids, asks) -> pd.DataFrame:
    prices = np.asarray(prices, dtype=float)
    sizes = np.asarray(sizes, dtype=np.int64)
    frame = pd.DataFrame(
        {
            "ts": seconds(offsets),
            "symbol": symbols,
            "price": prices,
            "size": sizes,
            "premium": prices * sizes,
            "nbbo_bid": bids,
            "nbbo_ask": asks,
            "venue": "L",
            "print_id": np.arange(len(prices)),
        }
    )
    return conform(frame, DARKPOOL_PRINTS)


def options(symbols, offsets, types, premiums, sweeps) -> pd.DataFrame:
    n = len(symbols)
    frame = pd.DataFrame(
        {
            "ts": seconds(offsets),
            "symbol": symbols,
            "alert_id": [f"a{i}" for i in range(n)],
            "option_symbol": "X",
            "option_type": types,
            "strike": 100.0,
            "expiry": pd.Timestamp("2025-12-19"),
            "price": 1.0,
            "underlying_price": 100.0,
            "size": 1,
            "premium": premiums,
            "ask_side_premium": 0.0,
            "bid_side_premium": 0.0,
            "open_interest": 10,
            "is_sweep": sweeps,
            "is_floor": False,
            "rule": "RepeatedHits",
        }
    )
    return conform(frame, OPTIONS_FLOW)


def news(symbols, offsets, labels, scores) -> pd.DataFrame:
    n = len(symbols)
    frame = pd.DataFrame(
        {
            "ts": seconds(offsets),
            "symbol": symbols,
            "headline_id": [f"h{i}" for i in range(n)],
            "headline": "text",
            "source": "Reuters",
            "sentiment": labels,
            "sentiment_score": scores,
            "is_major": False,
        }
    )
    return conform(frame, NEWS_HEADLINES)


def open_interest(symbols, offsets, values) -> pd.DataFrame:
    values = np.asarray(values, dtype=float)
    frame = pd.DataFrame(
        {
            "ts": seconds(offsets),
            "symbol": symbols,
            "open_interest": values,
            "open_interest_value": values * 10.0,
            "mark_price": 10.0,
            "venue": "binance",
        }
    )
    return conform(frame, CRYPTO_OPEN_INTEREST)
