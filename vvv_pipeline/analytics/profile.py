"""Market profile per symbol-day: TPO counts, volume profile, POC, value area, initial balance.

Input: time bars (:func:`~vvv_pipeline.bars.time_bars`, 1-minute recommended) with ``symbol``,
``ts`` (UTC bar label), ``high``, ``low``, ``close``, ``volume`` and ``vwap``. A bar belongs to
the New York calendar date of its ``ts`` (the session date for XNYS equities).

- **Rows (price levels).** ``row_size`` when given; otherwise, per symbol-day, the smallest
  "nice" size (1, 2, 2.5 or 5 x 10^k, at least ``min_row``) with (high - low) / size <= ``rows``,
  so a day has at most ``rows + 1`` levels. A price belongs to the level of its nearest multiple
  of the row size (halves round up); the level's ``price`` is that multiple. Levels are
  contiguous from the day's low level to its high level, empty ones included.
- **TPOs.** Periods of ``period`` (30 minutes) counted from the session open: the window open
  from ``sessions`` when given, else the start of the period (on a grid anchored at New York
  midnight) holding the day's first bar, which is 09:30 for XNYS and 00:00 for crypto. A period
  prints one TPO at every level from its low's level to its high's level.
- **Volume profile.** Each bar's volume counted at the level of its vwap (close if vwap is NaN),
  so level volumes sum exactly to the day's volume.
- **Point of control (POC).** The level with the most volume; ties go to the level nearest the
  middle of the day's levels, then to the lower price.
- **Value area.** Starting from the POC, compare the volume of the next two levels above the area
  with the next two below (a side with one level left offers one) and add the larger pair; equal
  pairs add the upper one. Stop once the area holds >= ``value_area`` (70%) of the day's volume.
- **Initial balance.** High and low of the first hour (the first two 30-minute periods).
- **Single prints.** Levels with exactly one TPO, the day's tails included.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from vvv_pipeline.analytics.days import SymbolDays, symbol_days
from vvv_pipeline.bars.session_grid import as_windows

COLUMNS: dict[str, str] = {
    "symbol": "instrument symbol (category)",
    "date": "session date (equities) or New York calendar date (crypto), tz-naive midnight",
    "poc": "point of control: price of the level with the most volume (quote currency)",
    "vah": "value area high: price of the value area's top level",
    "val": "value area low: price of the value area's bottom level",
    "value_area_volume_share": "share of the day's volume inside the value area (>= 0.70)",
    "ib_high": "initial balance high: highest price of the first hour after the open",
    "ib_low": "initial balance low: lowest price of the first hour after the open",
    "single_prints": "levels with exactly one TPO (tails included), int64",
    "tpo_periods": "30-minute periods holding at least one bar, int64",
    "close": "last close of the day",
    "close_location": "level of the close vs the value area: above_value, in_value or below_value",
}
LEVEL_COLUMNS: dict[str, str] = {
    "symbol": "instrument symbol (category)",
    "date": "session date (equities) or New York calendar date (crypto), tz-naive midnight",
    "price": "level price: a multiple of the day's row size",
    "tpo_count": "30-minute periods whose range touched the level, int64",
    "volume": "volume of bars whose vwap falls on the level (shares or base units)",
    "in_value_area": "True for the levels of the value area",
    "is_poc": "True for the point of control (one level per day)",
}
MAX_LEVELS = 10_000
"""Levels allowed in one symbol-day: the profile is a dense (days x levels) matrix."""
LOCATIONS = ("above_value", "in_value", "below_value")
NICE_MANTISSAS = np.array([1.0, 2.0, 2.5, 5.0, 10.0])
_EPS = 1e-9  # absorbs float error so an exact multiple of the row size lands on its own level
_BAR_COLUMNS = ("symbol", "ts", "high", "low", "close", "volume", "vwap")


def nice_row_size(span: np.ndarray, rows: int, min_row: float) -> np.ndarray:
    """Smallest 1/2/2.5/5 x 10^k size >= max(span / rows, min_row), elementwise."""
    raw = np.maximum(np.asarray(span, dtype=np.float64) / rows, min_row)
    scale = 10.0 ** np.floor(np.log10(raw))
    mantissa = NICE_MANTISSAS[np.searchsorted(NICE_MANTISSAS, raw / scale - _EPS)]
    return np.round(mantissa * scale, 12)


def level_of(price: np.ndarray, row: np.ndarray) -> np.ndarray:
    """Index of the nearest multiple of ``row`` (halves round up)."""
    return np.floor(price / row + 0.5 + _EPS).astype(np.int64)


class MarketProfile(NamedTuple):
    summary: pd.DataFrame
    """One row per symbol-day, columns :data:`COLUMNS`."""
    levels: pd.DataFrame
    """One row per symbol-day and level, columns :data:`LEVEL_COLUMNS`."""


def market_profile(
    bars: pd.DataFrame,
    rows: int = 30,
    row_size: float | None = None,
    period: str = "30min",
    value_area: float = 0.70,
    sessions: pd.DataFrame | list | None = None,
    min_row: float = 0.01,
) -> MarketProfile:
    """Summary and levels of every symbol-day in ``bars``; the rules are in the module docs."""
    if rows < 1 or (row_size is not None and row_size <= 0) or min_row <= 0:
        raise ValueError(f"rows, row_size and min_row must be positive: {rows}, {row_size}")
    if not 0 < value_area <= 1:
        raise ValueError(f"value_area must be in (0, 1], got {value_area}")
    days = symbol_days(bars, _BAR_COLUMNS, "bars")
    frame, day, starts, n_days = days.frame, days.day, days.starts, days.count
    if n_days == 0:
        return MarketProfile(_empty(COLUMNS), _empty(LEVEL_COLUMNS))
    high, low = frame["high"].to_numpy(np.float64), frame["low"].to_numpy(np.float64)
    close, volume = frame["close"].to_numpy(np.float64), frame["volume"].to_numpy()
    day_low = np.minimum.reduceat(low, starts)
    span = np.maximum.reduceat(high, starts) - day_low
    row = np.full(n_days, row_size, float) if row_size else nice_row_size(span, rows, min_row)
    base = level_of(day_low, row)
    n_levels = level_of(day_low + span, row) - base + 1
    width = int(n_levels.max())
    if width > MAX_LEVELS:
        raise ValueError(f"row_size {row_size} gives {width} levels in one day (max {MAX_LEVELS})")

    period_ns = pd.Timedelta(period).value
    period_index = (days.ts - _period_opens(days, period_ns, sessions)[day]) // period_ns
    new_period = np.r_[True, (day[1:] != day[:-1]) | (period_index[1:] != period_index[:-1])]
    p_starts = np.flatnonzero(new_period)
    p_day = day[p_starts]
    p_low = level_of(np.minimum.reduceat(low, p_starts), row[p_day]) - base[p_day]
    p_high = level_of(np.maximum.reduceat(high, p_starts), row[p_day]) - base[p_day]
    # one +1/-1 pair per period, summed along the levels: a TPO on every level it spanned
    edges = n_days * (width + 1)
    marks = np.bincount(p_day * (width + 1) + p_low, minlength=edges)
    marks -= np.bincount(p_day * (width + 1) + p_high + 1, minlength=edges)
    tpo = np.cumsum(marks.reshape(n_days, width + 1), axis=1)[:, :width]

    vwap = frame["vwap"].to_numpy(np.float64)
    at = level_of(np.where(np.isfinite(vwap), vwap, close), row[day]) - base[day]
    at = np.clip(at, 0, n_levels[day] - 1)
    vol = np.bincount(day * width + at, weights=volume, minlength=n_days * width)
    vol = vol.reshape(n_days, width)
    valid = np.arange(width) < n_levels[:, None]
    poc = point_of_control(vol, n_levels)
    low_k, high_k, area = value_area_bounds(vol, poc, n_levels, value_area)

    first_hour = np.where(period_index < 2, 1.0, np.nan)
    ends = days.ends
    close_k = level_of(close[ends], row) - base
    location = np.where(close_k > high_k, 0, np.where(close_k < low_k, 2, 1))
    price = (base[:, None] + np.arange(width)) * row[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = area / vol.sum(axis=1)
    summary = days.keys.assign(
        poc=_pick(price, poc),
        vah=_pick(price, high_k),
        val=_pick(price, low_k),
        value_area_volume_share=share,
        ib_high=np.fmax.reduceat(high * first_hour, starts),
        ib_low=np.fmin.reduceat(low * first_hour, starts),
        single_prints=((tpo == 1) & valid).sum(axis=1).astype(np.int64),
        tpo_periods=np.bincount(p_day, minlength=n_days).astype(np.int64),
        close=close[ends],
        close_location=pd.Categorical.from_codes(location, categories=list(LOCATIONS)),
    )
    day_of_level = np.repeat(np.arange(n_days), n_levels)
    k = np.flatnonzero(valid.ravel()) % width
    level_volume = vol[day_of_level, k]
    if volume.dtype.kind in "iu":  # integer volumes sum exactly in float64 below 2**53
        level_volume = level_volume.astype(volume.dtype)
    levels = pd.DataFrame(
        {
            "symbol": days.keys["symbol"].array.take(day_of_level),
            "date": days.keys["date"].to_numpy().take(day_of_level),
            "price": np.round(price[day_of_level, k], 10),
            "tpo_count": tpo[day_of_level, k].astype(np.int64),
            "volume": level_volume,
            "in_value_area": (k >= low_k[day_of_level]) & (k <= high_k[day_of_level]),
            "is_poc": k == poc[day_of_level],
        }
    )
    return MarketProfile(summary, levels)


def profile_summary(bars: pd.DataFrame, **options: object) -> pd.DataFrame:
    """The summary frame of :func:`market_profile` (columns :data:`COLUMNS`)."""
    return market_profile(bars, **options).summary  # type: ignore[arg-type]


def profile_levels(bars: pd.DataFrame, **options: object) -> pd.DataFrame:
    """The levels frame of :func:`market_profile` (columns :data:`LEVEL_COLUMNS`)."""
    return market_profile(bars, **options).levels  # type: ignore[arg-type]


def point_of_control(volume: np.ndarray, n_levels: np.ndarray) -> np.ndarray:
    """Level index of each row's POC in a (days x levels) volume matrix; ties as documented."""
    index = np.arange(volume.shape[1])
    masked = np.where(index < n_levels[:, None], volume, -np.inf)
    is_top = masked == masked.max(axis=1, keepdims=True)
    distance = np.abs(index - (n_levels[:, None] - 1) / 2)
    # argmin returns the first minimum, so equal distances resolve to the lower price
    return np.argmin(np.where(is_top, distance, np.inf), axis=1)


def value_area_bounds(
    volume: np.ndarray, poc: np.ndarray, n_levels: np.ndarray, share: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(low level, high level, volume inside) of each row's value area; the documented expansion.

    Iterates over levels, never over days: each pass widens every unfinished day by one pair.
    """
    n_days, width = volume.shape
    padded = np.zeros((n_days, width + 4))
    padded[:, 2 : width + 2] = volume  # two empty levels beyond each edge: pairs never overrun
    day = np.arange(n_days)
    low, high = poc.copy(), poc.copy()
    area = volume[day, poc].astype(np.float64)
    target = share * volume.sum(axis=1) * (1 - 1e-12)
    done = area >= target
    while not done.all():
        room_up, room_down = high < n_levels - 1, low > 0
        above = padded[day, high + 3] + padded[day, high + 4]
        below = padded[day, low + 1] + padded[day, low]
        up = ~done & room_up & (~room_down | (above >= below))
        down = ~done & room_down & ~up
        area += np.where(up, above, 0.0) + np.where(down, below, 0.0)
        high = np.where(up, np.minimum(high + 2, n_levels - 1), high)
        low = np.where(down, np.maximum(low - 2, 0), low)
        done |= (area >= target) | ((high >= n_levels - 1) & (low <= 0))
    return low, high, area


def _period_opens(days: SymbolDays, period_ns: int, sessions: object) -> np.ndarray:
    """UTC ns of each symbol-day's session open (see the module docs)."""
    first_ts, first_local = days.ts[days.starts], days.local[days.starts]
    if sessions is None:
        return first_ts - (first_local % (86_400 * 10**9)) % period_ns
    opens, closes = as_windows(sessions)
    at = np.searchsorted(opens, first_ts, side="right") - 1
    outside = (at < 0) | (first_ts >= closes[np.maximum(at, 0)])
    if outside.any():
        key = days.keys.iloc[int(np.flatnonzero(outside)[0])]
        raise ValueError(f"bars: {key['symbol']} on {key['date'].date()} lie outside sessions")
    return opens[at]


def _pick(matrix: np.ndarray, column: np.ndarray) -> np.ndarray:
    return np.round(matrix[np.arange(len(column)), column], 10)


def _empty(columns: dict[str, str]) -> pd.DataFrame:
    out = pd.DataFrame({name: pd.Series(dtype=np.float64) for name in columns})
    out["symbol"] = pd.Categorical([])
    out["date"] = pd.Series(dtype="datetime64[ns]")
    return out
