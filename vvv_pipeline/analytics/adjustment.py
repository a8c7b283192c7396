"""Back-adjusted closes: the standard (CRSP, Yahoo) adjustment for dividends and splits.

Input: columns ``symbol``, ``date``, ``close`` (as traded, > 0), ``dividend`` (cash per share
going ex on that day, >= 0) and ``split_ratio`` (shares after / before, 1 if none). Each event
day ``e`` multiplies every earlier close of its symbol by

    m_e = (1 - dividend_e / close_(e-1)) / split_ratio_e

so the last close of each symbol is its own adjusted close and returns over the adjusted series
are total returns: a 2-for-1 split is no -50 % crash, and a dividend no loss. Closes already
split-adjusted (Yahoo's, the canonical ``close``) take ``split_ratio`` 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def back_adjusted(frame: pd.DataFrame) -> pd.Series:
    """``adj_close`` per row of ``frame`` (its index), referenced to each symbol's last row."""
    order = frame.sort_values(["symbol", "date"], kind="stable")
    close = order["close"].to_numpy(dtype=np.float64)
    symbol = order["symbol"].astype(str).to_numpy()
    previous = np.roll(close, 1)
    same = np.zeros(len(order), dtype=bool)
    same[1:] = symbol[1:] == symbol[:-1]
    dividend = order["dividend"].to_numpy(dtype=np.float64)
    multiplier = np.where(same, 1.0 - dividend / np.where(same, previous, 1.0), 1.0)
    multiplier /= order["split_ratio"].to_numpy(dtype=np.float64)
    # factor_t = product of the multipliers of the symbol's rows after t: a reversed
    # cumulative product per symbol, shifted by one row
    steps = pd.Series(multiplier, index=order.index)
    after = steps.iloc[::-1].groupby(symbol[::-1], sort=False).cumprod().iloc[::-1]
    factor = after.groupby(symbol, sort=False).shift(-1).fillna(1.0)
    return (order["close"] * factor).reindex(frame.index)


def adjusted_history(bars: pd.DataFrame, daily: pd.DataFrame) -> pd.DataFrame:
    """The price history risk reads: ``symbol``, ``date``, ``adj_close``.

    ``daily`` (canonical daily_ohlcv rows: ``symbol``, ``ts``, ``adj_close``) supplies every
    symbol it has rows for; ``bars`` (``symbol``, ``ts``, ``close``: daily bars from ticks,
    as traded) only the others, so one symbol's series never mixes an adjusted and an
    as-traded source.
    """
    adjusted = daily.loc[:, ["symbol", "ts", "adj_close"]]
    covered = set(adjusted["symbol"].astype(str))
    rest = bars.loc[~bars["symbol"].astype(str).isin(covered), ["symbol", "ts", "close"]]
    frames = [
        frame.rename(columns={"ts": "date", "close": "adj_close"})
        for frame in (adjusted, rest)
        if len(frame)
    ]
    if not frames:
        return pd.DataFrame({"symbol": [], "date": [], "adj_close": []})
    out = pd.concat([f.assign(symbol=f["symbol"].astype(str)) for f in frames], ignore_index=True)
    return out
