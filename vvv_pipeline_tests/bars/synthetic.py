"""Small deterministic canonical frames for the bar tests, plus independent pandas references.

Equities: two symbols on a regular session (2024-11-27, 14:30-21:00 UTC) and the day after
Thanksgiving (2024-11-29, early close 18:00 UTC), with pre- and post-market rows, trades exactly
on minute boundaries (the open, the close, whole minutes inside), several trades sharing one
timestamp, unknown aggressors (0), and a minute with no trades (AAA 2024-11-27 15:07).
Crypto: two symbols across the 2024-11-03 DST change in New York (a 25-hour local day).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.calendars import session_bounds
from vvv_pipeline.schemas import CRYPTO_TRADES, EQUITY_TICKS, conform

SESSIONS = ["2024-11-27", "2024-11-29"]
EARLY_CLOSE = "2024-11-29"
EMPTY_MINUTE = ("AAA", pd.Timestamp("2024-11-27 15:07", tz="UTC"))
MINUTE = 60_000_000_000


def _prices(rng: np.random.Generator, n: int, start: float) -> np.ndarray:
    steps = rng.choice([-0.01, 0.0, 0.0, 0.01], size=n)
    return np.round(start + np.cumsum(steps), 2)


def equity_ticks(seed: int = 7, per_day: int = 1500) -> pd.DataFrame:
    """Canonical equity ticks, sorted by (symbol, ts)."""
    rng = np.random.default_rng(seed)
    parts = []
    for symbol, start in (("AAA", 50.0), ("BBB", 120.0)):
        for day in SESSIONS:
            open_, close = (t.value for t in session_bounds(day))
            lo, hi = open_ - 20 * MINUTE, close + 20 * MINUTE
            ts = rng.integers(lo, hi, per_day)
            edges = [open_, open_ + MINUTE, open_ + 5 * MINUTE, close - MINUTE, close, close + 1]
            ts = np.sort(np.concatenate([ts, edges, [open_ + 2 * MINUTE] * 3]))
            if symbol == EMPTY_MINUTE[0] and day == SESSIONS[0]:
                gap = EMPTY_MINUTE[1].value
                ts = ts[(ts < gap) | (ts >= gap + MINUTE)]
            n = len(ts)
            lots = rng.choice([1, 7, 100, 200, 500], size=n)
            parts.append(
                pd.DataFrame(
                    {
                        "ts": pd.to_datetime(ts, utc=True),
                        "symbol": symbol,
                        "price": _prices(rng, n, start),
                        "size": lots.astype(np.int64),
                        "aggressor": rng.choice([-1, 0, 0, 1], size=n).astype(np.int8),
                    }
                )
            )
    frame = pd.concat(parts, ignore_index=True)
    frame["bid"] = frame["price"] - 0.01
    frame["ask"] = frame["price"] + 0.01
    frame["trade_id"] = np.arange(len(frame), dtype=np.int64)
    frame["exchange"] = "N"
    frame["condition"] = "@"
    frame["extended_hours"] = False
    frame = frame.sort_values(["symbol", "ts"], kind="stable", ignore_index=True)
    return conform(frame, EQUITY_TICKS)


def crypto_trades(seed: int = 11, n: int = 4000) -> pd.DataFrame:
    """Canonical crypto trades over 2024-11-02 22:00 to 2024-11-04 06:00 UTC (NY DST change)."""
    rng = np.random.default_rng(seed)
    lo = pd.Timestamp("2024-11-02 22:00", tz="UTC").value
    hi = pd.Timestamp("2024-11-04 06:00", tz="UTC").value
    parts = []
    for symbol, start in (("BTCUSDT", 68000.0), ("ETHUSDT", 2450.0)):
        ts = np.sort(np.concatenate([rng.integers(lo, hi, n), [lo, lo + 5 * MINUTE]]))
        parts.append(
            pd.DataFrame(
                {
                    "ts": pd.to_datetime(ts, utc=True),
                    "symbol": symbol,
                    "price": _prices(rng, len(ts), start) + rng.normal(0, 0.5, len(ts)).round(2),
                    "size": rng.exponential(0.3, len(ts)).round(4) + 0.0001,
                    "trade_id": np.arange(len(ts), dtype=np.int64),
                    "aggressor": rng.choice([-1, 1], size=len(ts)).astype(np.int8),
                    "venue": "binance",
                }
            )
        )
    return conform(pd.concat(parts, ignore_index=True), CRYPTO_TRADES)


def in_sessions(ticks: pd.DataFrame, days: list[str] = SESSIONS) -> pd.DataFrame:
    """Rows inside [open, close) of one of ``days``, by plain comparisons."""
    mask = pd.Series(False, index=ticks.index)
    for day in days:
        open_, close = session_bounds(day)
        mask |= (ticks["ts"] >= open_) & (ticks["ts"] < close)
    return ticks[mask]


def reference_signs(ticks: pd.DataFrame) -> pd.Series:
    """Aggressor where non-zero, else the tick rule, computed with pandas over all rows."""
    change = np.sign(ticks.groupby("symbol", observed=True)["price"].diff())
    tick = change.replace(0.0, np.nan)
    tick = tick.groupby(ticks["symbol"], observed=True).ffill().fillna(0.0)
    return ticks["aggressor"].where(ticks["aggressor"] != 0, tick).astype(int)


def reference_bars(ticks: pd.DataFrame, signs: pd.Series, **resample: object) -> pd.DataFrame:
    """Independent bars: pandas ``resample`` per symbol, empty bins dropped."""
    frame = ticks.assign(
        pv=ticks["price"] * ticks["size"],
        buy=ticks["size"].where(signs > 0, 0),
        sell=ticks["size"].where(signs < 0, 0),
    )
    out = []
    for symbol, group in frame.groupby("symbol", observed=True):
        r = group.set_index("ts").resample(**resample)
        bars = r["price"].ohlc()
        bars["volume"] = r["size"].sum()
        bars["vwap"] = r["pv"].sum() / bars["volume"]
        bars["trade_count"] = r["price"].count()
        bars["buy_volume"] = r["buy"].sum()
        bars["sell_volume"] = r["sell"].sum()
        bars = bars[bars["trade_count"] > 0].reset_index()
        bars.insert(0, "symbol", symbol)
        out.append(bars)
    result = pd.concat(out, ignore_index=True)
    result["symbol"] = result["symbol"].astype(ticks["symbol"].dtype)
    result["ts"] = result["ts"].dt.tz_convert("UTC")
    return result
