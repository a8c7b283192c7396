"""Tier 2 — per (symbol, day) microstructure estimators, from ticks and their 5-minute bars.

Bars are :func:`~vvv_pipeline.bars.time_bars` at "5min" inside the day's window (session-aligned
for equities, New York calendar day for crypto); an empty interval has no bar. The **5-minute
price path** of a symbol-day is ``[p_0, c_1, ..., c_K]``: the day's first trade price ``p_0``
(the first bar's open) then the close of each non-empty bar. Returns are ``r_k = ln c_k -
ln c_{k-1}`` (so ``sum r_k = ln(close / open)``; a gap of empty bars is folded into the next
return) and price changes ``dp_k = c_k - c_{k-1}``; bar ``k`` has one return and one change.

Signed volume uses the bars' ``buy_volume - sell_volume``: the aggressor where known, else the
tick rule (:mod:`~vvv_pipeline.bars.signing`), which starts unknown at each symbol's first
trade in the window (pre-market prints are not used); unknown volume is in neither side.

The estimators are also exposed as grouped numpy functions (``codes``: contiguous group ids
``0..G-1``, rows of a group consecutive and in time order) so they can be tested on literal series.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.bars import time_bars
from vvv_pipeline.bars.frames import TICK_ARRAY_COLUMNS
from vvv_pipeline.metadata_tiers.windows import (
    DayLike,
    as_date,
    day_window,
    group_codes,
    group_count,
    group_quantiles,
    group_sum,
    in_window,
    safe_div,
    same_group_as_previous,
    symbol_column,
)

READS = TICK_ARRAY_COLUMNS
"""The tick columns :func:`tier2_microstructure` reads (its 5-minute bars' and its own): a
reader of stored ticks for it copies no others."""
BAR_FREQ = "5min"
QUANTILES = (0.5, 0.9, 0.99)

COLUMNS: dict[str, str] = {
    "symbol": "instrument symbol (category)",
    "date": "session date (equities) or New York calendar date (crypto), tz-naive midnight",
    "n_bars": "non-empty 5-minute bars in the window (int64)",
    "realized_variance": "sum of squared 5-minute log returns r_k (see the module docs), "
    "daily, in squared log-return units",
    "bipower_variation": "pi/2 x sum_{k>=2} |r_k| |r_{k-1}|, same units as realized_variance",
    "roll_spread": "Roll (1984) spread 2 sqrt(-cov(dp_t, dp_{t-1})) on trade-by-trade price "
    "changes (population covariance of consecutive pairs), quote currency; NaN when the "
    "autocovariance is >= 0 or there are fewer than 3 trades",
    "roll_spread_bps": "roll_spread / vwap x 1e4",
    "amihud": "Amihud illiquidity: mean over 5-minute bars of |r_k| / dollar volume_k "
    "(sum price x size of the bar), per quote-currency unit; x1e6 gives return per million",
    "kyle_lambda": "OLS slope (with intercept) of the 5-minute price change dp_k on the bar's "
    "signed volume (buy - sell), quote currency per share/base unit; NaN with fewer than "
    "2 bars or no variation in signed volume",
    "buy_volume": "volume signed +1 (aggressor, else tick rule), float64",
    "sell_volume": "volume signed -1, float64",
    "order_flow_imbalance": "(buy_volume - sell_volume) / (buy_volume + sell_volume), in [-1, 1]",
    "size_p50": "median trade size (linear interpolation), shares or base units",
    "size_p90": "90th percentile of trade size",
    "size_p99": "99th percentile of trade size",
}


def realized_variance(returns: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group sum of r^2."""
    r = np.asarray(returns, dtype=np.float64)
    return group_sum(codes, r * r, n_groups)


def bipower_variation(returns: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group pi/2 x sum |r_t| |r_{t-1}| over consecutive returns of the group."""
    a = np.abs(np.asarray(returns, dtype=np.float64))
    pair = same_group_as_previous(codes)
    prod = np.zeros_like(a)
    prod[1:] = a[1:] * a[:-1]
    return np.pi / 2.0 * group_sum(codes[pair], prod[pair], n_groups)


def roll_spread(prices: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group 2 sqrt(-cov(dp_t, dp_{t-1})) of consecutive price changes, NaN if cov >= 0.

    The covariance is the population one over the group's pairs (dp_t, dp_{t-1}).
    """
    p = np.asarray(prices, dtype=np.float64)
    has_prev = same_group_as_previous(codes)
    dp = np.full(len(p), np.nan)
    dp[1:] = p[1:] - p[:-1]
    dp[~has_prev] = np.nan
    lag = np.full(len(p), np.nan)
    lag[1:] = dp[:-1]
    lag[~has_prev] = np.nan
    ok = ~np.isnan(dp) & ~np.isnan(lag)
    c, x, y = codes[ok], dp[ok], lag[ok]
    n = group_count(c, n_groups)
    cov = safe_div(group_sum(c, x * y, n_groups), n) - safe_div(
        group_sum(c, x, n_groups), n
    ) * safe_div(group_sum(c, y, n_groups), n)
    with np.errstate(invalid="ignore"):
        return np.where(cov < 0, 2.0 * np.sqrt(np.where(cov < 0, -cov, 0.0)), np.nan)


def ols_slope(x: np.ndarray, y: np.ndarray, codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group OLS slope of y on x (with intercept); NaN when x does not vary."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n = group_count(codes, n_groups).astype(np.float64)
    sx, sy = group_sum(codes, x, n_groups), group_sum(codes, y, n_groups)
    sxx, sxy = group_sum(codes, x * x, n_groups), group_sum(codes, x * y, n_groups)
    den = n * sxx - sx * sx
    # relative tolerance: a constant x leaves only rounding noise in den
    tiny = np.abs(den) <= 1e-12 * np.maximum(n * sxx, 1e-300)
    slope = safe_div(n * sxy - sx * sy, den)
    return np.where(tiny | (n < 2), np.nan, slope)


def amihud(
    returns: np.ndarray, dollar_volume: np.ndarray, codes: np.ndarray, n_groups: int
) -> np.ndarray:
    """Per group mean of |r| / dollar volume over rows with dollar volume > 0."""
    r = np.abs(np.asarray(returns, dtype=np.float64))
    dv = np.asarray(dollar_volume, dtype=np.float64)
    ok = dv > 0
    ratio = r[ok] / dv[ok]
    return safe_div(group_sum(codes[ok], ratio, n_groups), group_count(codes[ok], n_groups))


def order_flow_imbalance(buy: np.ndarray, sell: np.ndarray) -> np.ndarray:
    """(buy - sell) / (buy + sell), NaN where nothing is signed."""
    buy = np.asarray(buy, dtype=np.float64)
    sell = np.asarray(sell, dtype=np.float64)
    return safe_div(buy - sell, buy + sell)


def bar_path(bars: pd.DataFrame, codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per bar (log return, price change) along the 5-minute price path (module docs)."""
    close = bars["close"].to_numpy(dtype=np.float64)
    prev = np.empty_like(close)
    prev[1:] = close[:-1]
    first = ~same_group_as_previous(codes)
    prev[first] = bars["open"].to_numpy(dtype=np.float64)[first]
    return np.log(close) - np.log(prev), close - prev


def tier2_microstructure(ticks: pd.DataFrame, source: str, day: DayLike) -> pd.DataFrame:
    """One row per symbol with a trade on ``day``; columns and units in :data:`COLUMNS`.

    ``source`` is "equity_ticks" (``day`` must be an XNYS session) or "crypto_trades".
    """
    window = day_window(source, day)
    frame = in_window(ticks, window)
    if len(frame) == 0:
        return _empty()
    codes, names = group_codes(frame["symbol"])
    g = len(names)
    frame = frame.copy(deep=False)  # the caller's frame keeps its column; no data copied
    frame["symbol"] = pd.Categorical.from_codes(codes, categories=names)
    bars = time_bars(frame, BAR_FREQ, sessions=[window])
    bar_codes = bars["symbol"].cat.codes.to_numpy().astype(np.int64)
    r, dp = bar_path(bars, bar_codes)
    bar_volume = bars["volume"].to_numpy(dtype=np.float64)
    dollar = bars["vwap"].to_numpy(dtype=np.float64) * bar_volume
    buy = bars["buy_volume"].to_numpy(dtype=np.float64)
    sell = bars["sell_volume"].to_numpy(dtype=np.float64)
    buy_sum, sell_sum = group_sum(bar_codes, buy, g), group_sum(bar_codes, sell, g)

    price = frame["price"].to_numpy(dtype=np.float64)
    size = frame["size"].to_numpy(dtype=np.float64)
    vwap = safe_div(group_sum(codes, price * size, g), group_sum(codes, size, g))
    roll = roll_spread(price, codes, g)
    quantiles = group_quantiles(codes, size, g, QUANTILES)

    out = pd.DataFrame(
        {
            "symbol": symbol_column(names),
            "date": pd.DatetimeIndex([as_date(day)] * g).astype("datetime64[ns]"),
            "n_bars": group_count(bar_codes, g),
            "realized_variance": realized_variance(r, bar_codes, g),
            "bipower_variation": bipower_variation(r, bar_codes, g),
            "roll_spread": roll,
            "roll_spread_bps": safe_div(roll, vwap) * 1e4,
            "amihud": amihud(r, dollar, bar_codes, g),
            "kyle_lambda": ols_slope(buy - sell, dp, bar_codes, g),
            "buy_volume": buy_sum,
            "sell_volume": sell_sum,
            "order_flow_imbalance": order_flow_imbalance(buy_sum, sell_sum),
            "size_p50": quantiles[:, 0],
            "size_p90": quantiles[:, 1],
            "size_p99": quantiles[:, 2],
        }
    )
    return out[list(COLUMNS)]


def _empty() -> pd.DataFrame:
    out = pd.DataFrame({name: pd.Series(dtype=np.float64) for name in COLUMNS})
    out["symbol"] = pd.Categorical([])
    out["date"] = pd.Series(dtype="datetime64[ns]")
    out["n_bars"] = out["n_bars"].astype(np.int64)
    return out
