"""Market regime per symbol-day (and per bar): trend_up, trend_down, range or volatile.

Input: time bars (:func:`~vvv_pipeline.bars.time_bars`, 5-minute: the thresholds below were set
on about 78 bars a session) with ``symbol``, ``ts``, ``open``, ``high``, ``low`` and ``close``;
a bar belongs to the New York date of its ``ts``. Intraday measures restart each day.

**What tells the regimes apart.** A day's regime shows in the texture of its intraday path more
than in where it closes. The simulated market (:mod:`vvv_pipeline.providers.simulated.anchors`,
whose labels are the benchmark) draws a trend day as a drift with little two-way noise (0.5 x
the symbol's daily sigma, no mean reversion), a range day as chop around the open (0.9 sigma,
15-minute mean reversion) and a volatile day as wide swings with jumps (1.6 sigma). The
open-to-close move cannot separate them (1.2 sigma on a trend day, 1.1 on a volatile one: a
trend day's move is as often small), and neither can the efficiency ratio or ADX of 5-minute
bars, which the bar-to-bar noise dominates (ER >= 0.30 with ADX >= 20 found a third of the
trend days). The amount of noise does: the day's realized volatility is about 0.6, 1.0 and 2.1
times the symbol's usual day, with little overlap. So the rules compare it with the symbol's
own past.

Measures of a symbol-day with bars ``i = 1..n`` (``c_0`` is the first bar's open):

- ``realized_vol``: ``100 x sqrt(sum r_i^2)`` with ``r_i = ln(c_i / c_{i-1})``, percent.
- ``noise_ratio`` (not an output column): realized_vol / the median realized_vol of the previous
  ``lookback`` (20) days of the symbol, from the input and from ``trailing`` (earlier outputs of
  this function); undefined with fewer than ``min_history`` (5) such days. The median because
  the window mixes regimes: its middle is a range day unless 10 of the 20 days trended (about
  5 % of windows at a 30 % trend share), so the baseline does not swing with the recent mix.
- ``variance_ratio`` (not an output column): mean of the squared ``k``-bar log returns
  (``k`` = ``persistence_bars``, 6: half an hour), overlapping, over ``k x mean r_i^2``. 1 for a
  random walk, up to ``k`` for a steady drift, well below 1 when the price reverts within the
  half hour (about 0.6 on range days, 1.1-1.2 on trend days). It needs no history.
- ``vol_percentile``: share of the same previous days whose realized_vol is strictly below
  today's (NaN with fewer than ``min_history``); reported, no longer deciding (a rank reacts to
  the recent regime mix, the ratio to the median much less).
- ``efficiency_ratio`` ``|c_n - c_0| / sum |c_i - c_{i-1}|`` and ``adx`` (Wilder's ADX(``period``
  = 14), smoothing an exponential average with alpha = 1/period seeded at the first bar, the
  day's value the mean from bar ``2 x period`` on, NaN for shorter days): reported for readers
  and per-bar labels, no longer deciding (see above).

Rules (thresholds are parameters; defaults shown):

- **With history** (noise_ratio defined): **volatile** when noise_ratio >= 1.50; else **trend**
  when noise_ratio <= 0.80; else **range**. The thresholds sit near the geometric midpoints of
  the typical ratios (sqrt(0.6 x 1.0) ~ 0.8, sqrt(1.0 x 2.1) ~ 1.45), rounded on the tuning
  sample of ``benchmarks/bench_regime.py`` (seed 20240601, 2024-03..2024-06), where accuracy
  moves by less than a point anywhere in 0.78-0.84 x 1.40-1.70. Margin: the log distance to
  the threshold crossed, ``log2(0.80 / ratio)`` or ``log2(ratio / 1.50)`` (1 at a factor of two
  beyond it); for range, the log distance to the nearer threshold over half the band's log
  width (1 mid-band).
- **Without history** (a symbol's first days): the scale is unknown, so **volatile** when
  realized_vol >= 2.75 % (a range day of the simulator's most volatile equities, sigma 3 %,
  reaches about 0.9 x 3 %; a volatile day of its calmest, 1.5 %, about 1.7 x 1.5 %); else
  **trend** when variance_ratio >= 0.85 (no reversion within the half hour); else **range**.
  Both values are the best of a grid on the tuning sample. Margins: ``(rv - 2.75) / 2.75``,
  ``(vr - 0.85) / 0.85``, and for range the smaller of the two shortfalls (a NaN
  variance_ratio, fewer than ``k`` bars, counts as a full shortfall). Less reliable than the
  ratio (under 90 % against about 98 % on the simulator): an absolute level is a guess about
  the symbol, which the ratio does not need.

A trend is ``trend_up`` when ``c_n > c_0``, ``trend_down`` when ``c_n < c_0``; a day that closed
exactly at its open has no direction and is ``range`` with margin 0. ``confidence = 0.5 + 0.5 x
margin`` (margin clipped to 0..1: 0.5 on a boundary); a day with fewer than 3 bars is ``range``
with confidence 0. A short session (an early close) has less noise by construction, so its
ratio reads low and a half-day range day can come out as a trend. :func:`regime_bars` labels
bars from trailing windows with its own rules (see its docstring).
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
    quiet_ratio: float = 0.80,
    noisy_ratio: float = 1.50,
    volatile_vol: float = 2.75,
    persistent_vr: float = 0.85,
    persistence_bars: int = 6,
    period: int = 14,
    lookback: int = 20,
    min_history: int = 5,
) -> pd.DataFrame:
    """One row per symbol-day of ``bars``; columns :data:`COLUMNS`, rules in the module docs."""
    if persistence_bars < 1:
        raise ValueError(f"persistence_bars must be >= 1, got {persistence_bars}")
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
    returns = np.log(close / previous)
    out = days.keys.assign(
        efficiency_ratio=np.nan_to_num(safe_div(np.abs(net), _group_sum(moves, days))),
        realized_vol=100 * np.sqrt(_group_sum(returns**2, days)),
        adx=adx_day,
    )
    history = vol_history(out, trailing, lookback)
    seen = np.isfinite(history).sum(axis=1)
    out["vol_percentile"] = _percentile(
        history, out["realized_vol"].to_numpy(), seen >= min_history
    )
    baseline = np.full(len(out), np.nan)
    enough = seen >= max(min_history, 1)
    if enough.any():
        baseline[enough] = np.nanmedian(history[enough], axis=1)
    labels, margin = classify(
        safe_div(out["realized_vol"].to_numpy(), baseline),
        variance_ratio(returns, days, persistence_bars),
        np.sign(net),
        out["realized_vol"].to_numpy(),
        (quiet_ratio, noisy_ratio, volatile_vol, persistent_vr),
    )
    too_short = count < 3
    out["regime"] = pd.Categorical.from_codes(np.where(too_short, 2, labels), list(REGIMES))
    out["confidence"] = np.where(too_short, 0.0, 0.5 + 0.5 * margin)
    return out[list(COLUMNS)]


def classify(
    noise_ratio: np.ndarray,
    variance_ratio: np.ndarray,
    direction: np.ndarray,
    realized_vol: np.ndarray,
    thresholds: tuple[float, float, float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """Regime codes (indices into :data:`REGIMES`) and margins 0..1, by the documented rules.

    ``noise_ratio`` is NaN where the symbol has too little history (the fallback rules apply).
    """
    quiet, noisy, vol_t, vr_t = thresholds
    has_history = np.isfinite(noise_ratio)
    with np.errstate(invalid="ignore", divide="ignore"):
        log_ratio = np.log2(noise_ratio)
        volatile = np.where(has_history, noise_ratio >= noisy, realized_vol >= vol_t)
        quiet_day = np.where(has_history, noise_ratio <= quiet, variance_ratio >= vr_t)
        volatile_margin = np.where(
            has_history, log_ratio - np.log2(noisy), (realized_vol - vol_t) / vol_t
        )
        trend_margin = np.where(
            has_history, np.log2(quiet) - log_ratio, (variance_ratio - vr_t) / vr_t
        )
        half_band = 0.5 * np.log2(noisy / quiet)
        vr_shortfall = np.where(np.isfinite(variance_ratio), (vr_t - variance_ratio) / vr_t, 1.0)
        range_margin = np.where(
            has_history,
            np.minimum(-trend_margin, -volatile_margin) / half_band,
            np.minimum(vr_shortfall, (vol_t - realized_vol) / vol_t),
        )
    trend = ~volatile & quiet_day & (direction != 0)
    trend_code = np.where(direction > 0, 0, 1)
    codes = np.where(trend, trend_code, np.where(volatile, 3, 2))
    margin = np.where(trend, trend_margin, np.where(volatile, volatile_margin, range_margin))
    margin = np.where(~volatile & quiet_day & (direction == 0), 0.0, margin)
    return codes, np.clip(np.nan_to_num(margin), 0.0, 1.0)


def variance_ratio(returns: np.ndarray, days: SymbolDays, k: int) -> np.ndarray:
    """Per symbol-day: mean squared overlapping ``k``-bar log return / (``k`` x mean squared
    bar return); NaN for days with fewer than ``k`` bars or no movement."""
    window, _ = _trailing_sum(returns, days, k)
    full = _bar_number(days) >= k
    count = np.bincount(days.day, weights=full, minlength=days.count)
    long_mean = safe_div(_group_sum(np.where(full, window**2, 0.0), days), count)
    bar_mean = safe_div(_group_sum(returns**2, days), np.bincount(days.day, minlength=days.count))
    return safe_div(long_mean, k * bar_mean)


def vol_history(daily: pd.DataFrame, trailing: pd.DataFrame | None, lookback: int) -> np.ndarray:
    """Per row of ``daily`` (symbol, date, realized_vol): the realized_vol of the symbol's
    previous ``lookback`` days (input and ``trailing``), most recent first, NaN-padded."""
    frame = daily[["symbol", "date", "realized_vol"]].astype({"symbol": str})
    if trailing is not None and len(trailing):
        missing = {"symbol", "date", "realized_vol"} - set(trailing.columns)
        if missing:
            raise ValueError(f"trailing: missing columns {sorted(missing)}")
        older = trailing[["symbol", "date", "realized_vol"]].astype({"symbol": str})
        frame = pd.concat([older, frame], ignore_index=True)
    frame = frame.drop_duplicates(["symbol", "date"], keep="last").sort_values(["symbol", "date"])
    grouped = frame["realized_vol"].groupby(frame["symbol"], sort=False)
    # loops over days of history, never over rows
    lags = [grouped.shift(lag).to_numpy(np.float64) for lag in range(1, lookback + 1)]
    history = pd.DataFrame(
        np.column_stack(lags) if lags else np.empty((len(frame), 0)),
        index=pd.MultiIndex.from_frame(frame[["symbol", "date"]]),
    )
    wanted = pd.MultiIndex.from_arrays([daily["symbol"].astype(str), daily["date"]])
    return history.reindex(wanted).to_numpy(np.float64)


def vol_percentile(
    daily: pd.DataFrame, trailing: pd.DataFrame | None, lookback: int, min_history: int
) -> np.ndarray:
    """Per row of ``daily`` (symbol, date, realized_vol): share of earlier days with lower vol."""
    history = vol_history(daily, trailing, lookback)
    enough = np.isfinite(history).sum(axis=1) >= min_history
    return _percentile(history, daily["realized_vol"].to_numpy(np.float64), enough)


def _percentile(history: np.ndarray, today: np.ndarray, enough: np.ndarray) -> np.ndarray:
    seen = np.isfinite(history).sum(axis=1)
    with np.errstate(invalid="ignore"):
        below = (history < today[:, None]).sum(axis=1)
    return np.where(enough, below / np.maximum(seen, 1), np.nan)


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
