"""Market regime per symbol-day (and per bar): trend_up, trend_down, range or volatile.

Input: time bars (:func:`~vvv_pipeline.bars.time_bars`, 5-minute recommended: the thresholds
below are set for about 78 bars a session) with ``symbol``, ``ts``, ``open``, ``high``, ``low``
and ``close``; a bar belongs to the New York date of its ``ts``. Every measure restarts each day.

Measures of a symbol-day with bars ``i = 1..n`` (``c_0`` is the first bar's open):

- ``efficiency_ratio`` (Kaufman): ``|c_n - c_0| / sum |c_i - c_{i-1}|``, 0 (noise) .. 1 (straight).
- ``realized_vol``: ``100 x sqrt(sum ln(c_i / c_{i-1})^2)``, percent for the day, not annualized.
- ``vol_percentile``: share of the previous ``lookback`` (20) days of the same symbol, from the
  input and from ``trailing`` (earlier outputs of this function), whose realized_vol is strictly
  below today's; NaN with fewer than ``min_history`` (5) such days.
- ``adx``: Wilder's ADX(``period`` = 14) over the day's bars, smoothing as an exponential average
  with alpha = 1/period seeded at the first bar; the day's value is the mean over its bars from
  bar ``2 x period`` on (NaN for shorter days).

Rules, in order (thresholds are parameters; defaults shown):

1. **trend** when efficiency_ratio >= 0.30 and adx >= 20: ``trend_up`` if ``c_n > c_0``,
   else ``trend_down``. margin = min((er - 0.30) / 0.70, (adx - 20) / 30), clipped to 0..1.
2. **volatile** when vol_percentile >= 0.80, or, without enough history, realized_vol >= 2.5%.
   margin = (pct - 0.80) / 0.20, or (rv - 2.5) / 2.5 clipped, without history.
3. **range** otherwise. margin = min(larger of the two trend shortfalls (er_t - er) / er_t and
   (adx_t - adx) / adx_t (one failing test suffices; a NaN adx counts 1), volatility shortfall
   (pct_t - pct) / pct_t, or (2.5 - rv) / 2.5 without history).

``confidence = 0.5 + 0.5 x margin`` (0.5 on a boundary, 1 far beyond it); a day with fewer than
3 bars is ``range`` with confidence 0. :func:`regime_bars` applies the same rules bar by bar to
trailing windows (see its docstring).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.analytics.days import SymbolDays, symbol_days
from vvv_pipeline.metadata_tiers.windows import safe_div

COLUMNS: dict[str, str] = {
    "symbol": "instrument symbol (category)",
    "date": "session date (equities) or New York calendar date (crypto), tz-naive midnight",
    "regime": "trend_up, trend_down, range or volatile (rules in the module docs)",
    "confidence": "0.5 + 0.5 x the margin beyond the deciding thresholds, 0..1",
    "efficiency_ratio": "|net close change| / sum |close changes| over the day's bars, 0..1",
    "realized_vol": "100 x sqrt(sum of squared bar log returns), percent per day",
    "vol_percentile": "share of the previous 20 days with lower realized_vol (NaN: < 5 days)",
    "adx": "mean Wilder ADX(14) over the day's bars after a 28-bar warm-up, 0..100",
}
REGIMES = ("trend_up", "trend_down", "range", "volatile")
_BAR_COLUMNS = ("symbol", "ts", "open", "high", "low", "close")


def daily_regime(
    bars: pd.DataFrame,
    trailing: pd.DataFrame | None = None,
    er_trend: float = 0.30,
    adx_trend: float = 20.0,
    volatile_percentile: float = 0.80,
    volatile_vol: float = 2.5,
    period: int = 14,
    lookback: int = 20,
    min_history: int = 5,
) -> pd.DataFrame:
    """One row per symbol-day of ``bars``; columns :data:`COLUMNS`, rules in the module docs."""
    days = symbol_days(bars, _BAR_COLUMNS, "bars")
    f, starts, ends = days.frame, days.starts, days.ends
    close = f["close"].to_numpy(np.float64)
    previous = _previous_close(days)
    moves = np.abs(close - previous)
    net = close[ends] - previous[starts]
    count = np.bincount(days.day, minlength=days.count)
    adx = _adx(days, previous, period)
    warm = np.where(_bar_number(days) >= 2 * period, adx, np.nan)
    with np.errstate(invalid="ignore"):
        adx_day = _group_nanmean(warm, days)
    out = days.keys.assign(
        efficiency_ratio=np.nan_to_num(safe_div(np.abs(net), _group_sum(moves, days))),
        realized_vol=100 * np.sqrt(_group_sum(np.log(close / previous) ** 2, days)),
        adx=adx_day,
    )
    out["vol_percentile"] = vol_percentile(out, trailing, lookback, min_history)
    labels, margin = classify(
        out["efficiency_ratio"].to_numpy(),
        out["adx"].to_numpy(),
        np.sign(net),
        out["vol_percentile"].to_numpy(),
        out["realized_vol"].to_numpy(),
        (er_trend, adx_trend, volatile_percentile, volatile_vol),
    )
    too_short = count < 3
    out["regime"] = pd.Categorical.from_codes(np.where(too_short, 2, labels), list(REGIMES))
    out["confidence"] = np.where(too_short, 0.0, 0.5 + 0.5 * margin)
    return out[list(COLUMNS)]


def classify(
    er: np.ndarray,
    adx: np.ndarray,
    direction: np.ndarray,
    percentile: np.ndarray,
    realized_vol: np.ndarray,
    thresholds: tuple[float, float, float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """Regime codes (indices into :data:`REGIMES`) and margins 0..1, by the documented rules."""
    er_t, adx_t, pct_t, vol_t = thresholds
    has_history = np.isfinite(percentile)
    with np.errstate(invalid="ignore"):
        trend = (er >= er_t) & (adx >= adx_t)
        volatile = ~trend & np.where(has_history, percentile >= pct_t, realized_vol >= vol_t)
    trend_margin = np.minimum((er - er_t) / (1 - er_t), (adx - adx_t) / (50 - adx_t))
    volatile_margin = np.where(
        has_history, (percentile - pct_t) / (1 - pct_t), (realized_vol - vol_t) / vol_t
    )
    calm = np.where(has_history, (pct_t - percentile) / pct_t, (vol_t - realized_vol) / vol_t)
    adx_shortfall = np.where(np.isfinite(adx), (adx_t - adx) / adx_t, 1.0)
    range_margin = np.minimum(np.maximum((er_t - er) / er_t, adx_shortfall), calm)
    trend_code = np.where(direction > 0, 0, 1)
    codes = np.where(trend, trend_code, np.where(volatile, 3, 2))
    margin = np.where(trend, trend_margin, np.where(volatile, volatile_margin, range_margin))
    return codes, np.clip(np.nan_to_num(margin), 0.0, 1.0)


def vol_percentile(
    daily: pd.DataFrame, trailing: pd.DataFrame | None, lookback: int, min_history: int
) -> np.ndarray:
    """Per row of ``daily`` (symbol, date, realized_vol): share of earlier days with lower vol."""
    frame = daily[["symbol", "date", "realized_vol"]].astype({"symbol": str})
    if trailing is not None and len(trailing):
        missing = {"symbol", "date", "realized_vol"} - set(trailing.columns)
        if missing:
            raise ValueError(f"trailing: missing columns {sorted(missing)}")
        older = trailing[["symbol", "date", "realized_vol"]].astype({"symbol": str})
        frame = pd.concat([older, frame], ignore_index=True)
    frame = frame.drop_duplicates(["symbol", "date"], keep="last").sort_values(["symbol", "date"])
    vol = frame["realized_vol"]
    grouped = vol.groupby(frame["symbol"], sort=False)
    below = np.zeros(len(frame))
    seen = np.zeros(len(frame))
    for lag in range(1, lookback + 1):  # loops over days of history, never over rows
        earlier = grouped.shift(lag).to_numpy()
        below += earlier < vol.to_numpy()
        seen += np.isfinite(earlier)
    share = pd.Series(np.where(seen >= min_history, below / np.maximum(seen, 1), np.nan))
    share.index = pd.MultiIndex.from_frame(frame[["symbol", "date"]])
    wanted = pd.MultiIndex.from_arrays([daily["symbol"].astype(str), daily["date"]])
    return share.reindex(wanted).to_numpy()


def regime_bars(
    bars: pd.DataFrame,
    window: int = 12,
    er_trend: float = 0.50,
    adx_trend: float = 20.0,
    volatile_ratio: float = 1.5,
    period: int = 14,
) -> pd.DataFrame:
    """Per bar: ``symbol``, ``ts``, ``regime``, from the ``window`` bars ending at it (same day).

    A bar is ``trend_up``/``trend_down`` when the efficiency ratio of its trailing window is
    >= ``er_trend`` (0.50: windows are short, so noise alone reaches 0.3 often) and the day's
    running ADX is >= ``adx_trend`` from bar ``period`` on (direction: the window's net move);
    else ``volatile`` when the window is full and its volatility (root mean square of its bars'
    log returns) is >= ``volatile_ratio`` x the running mean of that volatility over the day so
    far (causal: no bar looks ahead); else ``range``. Until a window is full, a bar uses the bars
    since the open (the first bar's open is the anchor).
    """
    if window < 1 or period < 1:
        raise ValueError(f"window and period must be >= 1, got {window} and {period}")
    days = symbol_days(bars, _BAR_COLUMNS, "bars")
    close = days.frame["close"].to_numpy(np.float64)
    previous = _previous_close(days)
    number = _bar_number(days)
    path, reference = _trailing_sum(np.abs(close - previous), days, window)
    squares, _ = _trailing_sum(np.log(close / previous) ** 2, days, window)
    net = close - reference
    er = np.nan_to_num(safe_div(np.abs(net), path))
    vol = np.sqrt(squares / np.minimum(number, window))
    running_mean = _within_day_cumsum(vol, days) / number
    adx = np.where(number >= period, _adx(days, previous, period), np.nan)
    with np.errstate(invalid="ignore"):
        trend = (er >= er_trend) & (adx >= adx_trend)
    volatile = ~trend & (vol >= volatile_ratio * running_mean) & (number >= window)
    codes = np.where(trend, np.where(net > 0, 0, 1), np.where(volatile, 3, 2))
    return pd.DataFrame(
        {
            "symbol": days.keys["symbol"].array.take(days.day),
            "ts": days.frame["ts"].array,
            "regime": pd.Categorical.from_codes(codes, list(REGIMES)),
        }
    )


def _trailing_sum(
    values: np.ndarray, days: SymbolDays, window: int
) -> tuple[np.ndarray, np.ndarray]:
    """Sum of ``values`` over each bar's last ``window`` bars of its day, and the close just
    before that window (the day's open when the window reaches back to the open)."""
    close = days.frame["close"].to_numpy(np.float64)
    running = _within_day_cumsum(values, days)
    back = np.arange(len(values)) - window
    inside = back >= days.starts[days.day]
    back = np.maximum(back, 0)
    total = running - np.where(inside, running[back], 0.0)
    day_open = days.frame["open"].to_numpy(np.float64)[days.starts][days.day]
    return total, np.where(inside, close[back], day_open)


def _within_day_cumsum(values: np.ndarray, days: SymbolDays) -> np.ndarray:
    running = np.cumsum(values)
    before = np.r_[0.0, running][days.starts]  # the running total just before each day
    return running - before[days.day]


def _previous_close(days: SymbolDays) -> np.ndarray:
    """Each bar's previous close within its day; the first bar's own open."""
    close = days.frame["close"].to_numpy(np.float64)
    previous = np.r_[np.nan, close[:-1]]
    previous[days.starts] = days.frame["open"].to_numpy(np.float64)[days.starts]
    return previous


def _adx(days: SymbolDays, previous: np.ndarray, period: int) -> np.ndarray:
    """Wilder's ADX per bar, restarted each day (see the module docs)."""
    high = days.frame["high"].to_numpy(np.float64)
    low = days.frame["low"].to_numpy(np.float64)
    first = np.zeros(len(high), dtype=bool)
    first[days.starts] = True
    true_range = np.maximum(high, previous) - np.minimum(low, previous)
    up = np.where(first, 0.0, high - np.r_[np.nan, high[:-1]])
    down = np.where(first, 0.0, np.r_[np.nan, low[:-1]] - low)
    plus_dm = np.where((up > down) & (up > 0), up, 0.0)
    minus_dm = np.where((down > up) & (down > 0), down, 0.0)
    atr = _smooth(true_range, days, period)
    plus_di = 100 * safe_div(_smooth(plus_dm, days, period), atr)
    minus_di = 100 * safe_div(_smooth(minus_dm, days, period), atr)
    dx = 100 * safe_div(np.abs(plus_di - minus_di), plus_di + minus_di)
    return _smooth(np.nan_to_num(dx), days, period)


def _smooth(values: np.ndarray, days: SymbolDays, period: int) -> np.ndarray:
    """Wilder smoothing (EWM, alpha = 1/period) restarted at each symbol-day."""
    series = pd.Series(values)
    smoothed = series.groupby(days.day).ewm(alpha=1 / period, adjust=False).mean()
    return smoothed.droplevel(0).sort_index().to_numpy()


def _bar_number(days: SymbolDays) -> np.ndarray:
    """1-based position of each bar within its day."""
    return np.arange(len(days.day)) - days.starts[days.day] + 1


def _group_sum(values: np.ndarray, days: SymbolDays) -> np.ndarray:
    return np.bincount(days.day, weights=values, minlength=days.count)


def _group_nanmean(values: np.ndarray, days: SymbolDays) -> np.ndarray:
    finite = np.isfinite(values)
    total = _group_sum(np.where(finite, values, 0.0), days)
    return safe_div(total, np.bincount(days.day, weights=finite, minlength=days.count))
