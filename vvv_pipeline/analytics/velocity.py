"""Price velocity per symbol-day: rate of change and acceleration over 5, 15 and 60 minutes.

Input: time bars (:func:`~vvv_pipeline.bars.time_bars`, 1-minute recommended) with ``symbol``,
``ts`` (UTC bar label) and ``close``; a bar belongs to the New York date of its ``ts``.

For a bar at time ``t`` and a window ``W``, the reference close ``c(t - W)`` is the close of the
latest bar of the same symbol-day labelled at or before ``t - W`` (bars are sparse: a minute
without trades has no bar, so the reference is the price standing at that instant). Then

- ``roc_W(t) = 100 x (close(t) / c(t - W) - 1)``, percent; NaN when no bar of the day is that old;
- ``accel_W(t) = roc_W(t) - roc_W(t')`` where ``t'`` is that reference bar: the change of the
  W-rate over one window, in percentage points per window.

The daily frame reports both at the day's last bar, and ``max_abs_roc_15m``, the largest
``|roc_15m|`` over every bar of the day. Each window is one ``searchsorted`` over the whole frame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.analytics.days import SymbolDays, symbol_days
from vvv_pipeline.metadata_tiers.windows import safe_div

WINDOWS: dict[str, str] = {"5m": "5min", "15m": "15min", "60m": "60min"}
COLUMNS: dict[str, str] = {
    "symbol": "instrument symbol (category)",
    "date": "session date (equities) or New York calendar date (crypto), tz-naive midnight",
    **{
        f"roc_{name}": f"percent change of the close over the last {name[:-1]} minutes, at the "
        "day's last bar (NaN when the day is shorter)"
        for name in WINDOWS
    },
    **{
        f"accel_{name}": f"roc_{name} now minus roc_{name} one window earlier, percentage points "
        "per window, at the day's last bar"
        for name in WINDOWS
    },
    "max_abs_roc_15m": "largest |roc_15m| over the day's bars, percent",
}
_DAY_NS = 86_400 * 10**9


def reference_rows(days: SymbolDays, window: str) -> np.ndarray:
    """Per row, the row of the latest same-day bar at or before ``ts - window``; -1 if none."""
    lag = pd.Timedelta(window).value
    if not 0 < lag < _DAY_NS:
        raise ValueError(f"window must be between 0 and one day, got {window!r}")
    # symbol-days are contiguous and each spans < 2 days, so (day, ts - day start) sorts the frame
    anchor = days.ts[days.starts][days.day]
    key = days.day * (2 * _DAY_NS) + (days.ts - anchor)
    found = np.searchsorted(key, key - lag, side="right") - 1
    same_day = (found >= 0) & (days.day[np.maximum(found, 0)] == days.day)
    return np.where(same_day, found, -1)


def rate_of_change(close: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """``100 x (close / close[reference] - 1)``; NaN where ``reference`` is -1."""
    base = np.where(reference >= 0, close[np.maximum(reference, 0)], np.nan)
    return 100 * (safe_div(close, base) - 1)


def bar_velocity(bars: pd.DataFrame) -> pd.DataFrame:
    """Per bar: ``symbol``, ``ts``, ``date`` and ``roc_W``/``accel_W`` for each window."""
    days = symbol_days(bars, ("symbol", "ts", "close"), "bars")
    return _per_bar(days)


def daily_velocity(bars: pd.DataFrame) -> pd.DataFrame:
    """One row per symbol-day at its last bar; columns :data:`COLUMNS`."""
    days = symbol_days(bars, ("symbol", "ts", "close"), "bars")
    per_bar = _per_bar(days)
    last = per_bar.iloc[days.ends].reset_index(drop=True)
    magnitude = np.abs(per_bar["roc_15m"].to_numpy())
    last["max_abs_roc_15m"] = np.fmax.reduceat(magnitude, days.starts) if days.count else []
    return last[list(COLUMNS)]


def _per_bar(days: SymbolDays) -> pd.DataFrame:
    close = days.frame["close"].to_numpy(np.float64)
    out = {
        "symbol": days.keys["symbol"].array.take(days.day),
        "ts": days.frame["ts"].array,
        "date": days.keys["date"].to_numpy().take(days.day),
    }
    for name, window in WINDOWS.items():
        reference = reference_rows(days, window)
        roc = rate_of_change(close, reference)
        earlier = np.where(reference >= 0, roc[np.maximum(reference, 0)], np.nan)
        out[f"roc_{name}"] = roc
        out[f"accel_{name}"] = roc - earlier
    return pd.DataFrame(out)
