"""Tier 1 — per (symbol, day) summary of equity ticks (session) or crypto trades (NY day).

Trades outside the day's window (see :mod:`~vvv_pipeline.metadata_tiers.windows`) are ignored, so
equity pre/post-market prints do not count. Quote statistics need ``bid``/``ask`` and are NaN for
crypto trades. Only symbols with at least one trade in the window get a row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.bars.frames import ts_ns
from vvv_pipeline.metadata_tiers.windows import (
    NS_PER_MINUTE,
    DayLike,
    as_date,
    day_window,
    group_codes,
    group_count,
    group_first_last,
    group_medians,
    group_sum,
    in_window,
    safe_div,
    symbol_column,
)

READS = ("ts", "symbol", "price", "size", "bid", "ask")
"""The tick columns :func:`tier1_summary` reads (``bid`` and ``ask`` where the source has them):
a reader of stored ticks for it copies no others."""

COLUMNS: dict[str, str] = {
    "symbol": "instrument symbol (category)",
    "date": "session date (equities) or New York calendar date (crypto), tz-naive midnight",
    "open": "first trade price in the window, quote currency",
    "high": "highest trade price, quote currency",
    "low": "lowest trade price, quote currency",
    "close": "last trade price, quote currency",
    "vwap": "sum(price x size) / volume, quote currency",
    "volume": "sum of trade sizes: shares (equities) or base units (crypto), float64",
    "dollar_volume": "sum(price x size), quote currency",
    "trade_count": "number of trades in the window (int64)",
    "window_minutes": "minutes in the window, a partial last minute counting as one (int64)",
    "active_minutes": "minutes of the window (from its open) with at least one trade (int64)",
    "coverage": "active_minutes / window_minutes, in (0, 1]",
    "spread_mean_bps": "mean quoted spread (ask - bid) / mid x 1e4 over trades with bid > 0 "
    "and ask > 0, locked (0) and crossed (< 0) quotes included; NaN for crypto",
    "spread_median_bps": "median of the same quoted spreads, bps; NaN for crypto",
    "locked_share": "share of those trades quoted ask == bid; NaN for crypto",
    "crossed_share": "share of those trades quoted ask < bid; NaN for crypto",
}


def tier1_summary(ticks: pd.DataFrame, source: str, day: DayLike) -> pd.DataFrame:
    """One row per symbol with a trade on ``day``; columns and units in :data:`COLUMNS`.

    ``source`` is "equity_ticks" (``day`` must be an XNYS session) or "crypto_trades".
    """
    window = day_window(source, day)
    frame = in_window(ticks, window)
    if len(frame) == 0:
        return _empty()
    codes, names = group_codes(frame["symbol"])
    g = len(names)
    price = frame["price"].to_numpy(dtype=np.float64)
    size = frame["size"].to_numpy(dtype=np.float64)
    first, last = group_first_last(codes, g)
    volume = group_sum(codes, size, g)
    dollar = group_sum(codes, price * size, g)
    high = np.full(g, -np.inf)
    low = np.full(g, np.inf)
    np.maximum.at(high, codes, price)
    np.minimum.at(low, codes, price)

    open_ns, close_ns = window[0].value, window[1].value
    window_minutes = -(-(close_ns - open_ns) // NS_PER_MINUTE)
    minute = (ts_ns(frame["ts"]) - open_ns) // NS_PER_MINUTE
    seen = np.zeros((g, window_minutes + 1), dtype=bool)  # (symbol, minute) with a trade
    seen[codes, minute] = True
    active = seen.sum(axis=1, dtype=np.int64)

    out = pd.DataFrame(
        {
            "symbol": symbol_column(names),
            "date": pd.DatetimeIndex([as_date(day)] * g).astype("datetime64[ns]"),
            "open": price[first],
            "high": high,
            "low": low,
            "close": price[last],
            "vwap": safe_div(dollar, volume),
            "volume": volume,
            "dollar_volume": dollar,
            "trade_count": group_count(codes, g),
            "window_minutes": np.full(g, window_minutes, dtype=np.int64),
            "active_minutes": active,
            "coverage": active / window_minutes,
        }
    )
    spreads = _spread_stats(frame, codes, g)
    for name, values in spreads.items():
        out[name] = values
    return out[list(COLUMNS)]


def _spread_stats(frame: pd.DataFrame, codes: np.ndarray, g: int) -> dict[str, np.ndarray]:
    nan = np.full(g, np.nan)
    if "bid" not in frame.columns or "ask" not in frame.columns:
        names = ("spread_mean_bps", "spread_median_bps", "locked_share", "crossed_share")
        return {name: nan for name in names}
    bid = frame["bid"].to_numpy(dtype=np.float64)
    ask = frame["ask"].to_numpy(dtype=np.float64)
    ok = (bid > 0) & (ask > 0)
    c = codes[ok]
    bid, ask = bid[ok], ask[ok]
    bps = (ask - bid) / ((ask + bid) / 2.0) * 1e4
    n = group_count(c, g)
    median = group_medians(c, bps, g)
    return {
        "spread_mean_bps": safe_div(group_sum(c, bps, g), n),
        "spread_median_bps": median,
        "locked_share": safe_div(group_sum(c, ask == bid, g), n),
        "crossed_share": safe_div(group_sum(c, ask < bid, g), n),
    }


def _empty() -> pd.DataFrame:
    out = pd.DataFrame({name: pd.Series(dtype=np.float64) for name in COLUMNS})
    out["symbol"] = pd.Categorical([])
    out["date"] = pd.Series(dtype="datetime64[ns]")
    for name in ("trade_count", "window_minutes", "active_minutes"):
        out[name] = out[name].astype(np.int64)
    return out
