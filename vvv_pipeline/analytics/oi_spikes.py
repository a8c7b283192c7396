"""Crypto open-interest spikes: 5-second OI changes classed by size, and flags at round prices.

Input of :func:`classify_oi_spikes`: the :func:`~vvv_pipeline.bars.open_interest.oi_windows`
frame (``symbol``, ``ts``, ``open_interest``, ``mark_price``, ``oi_change``, ``oi_change_pct``;
``oi_change_pct`` is a fraction of the previous window's OI, 0.01 = 1 %). Output: one row per
window, columns in :data:`SPIKE_COLUMNS`.

**Size classes.** Large players move open interest in steps; the question is whether a change
stands out from that symbol's ordinary churn *on that day* and is big in absolute terms. Per
(symbol, New York calendar date) the robust scale is ``1.4826 x MAD`` of the day's
``oi_change_pct`` (MAD: median absolute deviation from the median; 1.4826 makes it a standard
deviation for normal noise), and ``z = |oi_change_pct - median| / scale`` (``inf`` when the scale
is 0 and the change differs from the median). A window is the highest class of
:data:`SIZE_THRESHOLDS` whose three floors it meets at once: ``z``, ``|oi_change_pct|`` and the
notional ``|oi_change| x mark_price`` (USD). The absolute floors keep a quiet day's noise, or a
thin market's relative jumps, from being called whales. Otherwise, and when the change is NaN
(a frame's first window), the class is ``small``.

**Whole-number levels.** Orders cluster at round prices. The level step depends on the price's
magnitude: ``step = 10 ** (digits - 1)`` where ``digits`` is the number of integer digits of the
mark (BTC at 42,000 -> 1,000; ETH at 2,300 -> 100; SOL at 100 -> 10; a price of 99.9 -> 1).
The nearest level is ``round(mark / step) x step``; the window is ``near_whole_number`` when
``|mark - level| <= tolerance_bps / 1e4 x mark`` (default 20 bps = 0.2 %: 84 USDT for BTC at
42,000), and ``whole_number_level`` is that level then, NaN otherwise.

:func:`oi_spike_summary` counts them per (symbol, New York date): columns in :data:`COLUMNS`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from vvv_pipeline.calendars import EXCHANGE_TZ, as_utc

SIZE_CLASSES = ("small", "medium", "large", "whale")
MAD_TO_SIGMA = 1.4826
NEAR_LEVEL_BPS = 20.0


class SpikeFloor(NamedTuple):
    """The three floors a window's change must all reach to earn a class."""

    robust_z: float
    change_fraction: float
    notional_usd: float


SIZE_THRESHOLDS: dict[str, SpikeFloor] = {
    "medium": SpikeFloor(robust_z=4.0, change_fraction=0.001, notional_usd=1e6),
    "large": SpikeFloor(robust_z=8.0, change_fraction=0.01, notional_usd=1e7),
    "whale": SpikeFloor(robust_z=16.0, change_fraction=0.05, notional_usd=5e7),
}
"""Class -> floors; checked from small to whale, the last one met wins."""

SPIKE_COLUMNS: dict[str, str] = {
    "symbol": "crypto pair (category)",
    "ts": "start of the 5-second window, UTC",
    "oi_change": "change of open interest from the previous window, base units",
    "oi_change_pct": "oi_change / previous open interest, fraction (0.01 = 1 %)",
    "size_class": "small | medium | large | whale (ordered category), see SIZE_THRESHOLDS",
    "mark_price": "mark price at the window's last sample, USDT",
    "whole_number_level": "round price level within tolerance of the mark, USDT; NaN if none",
    "near_whole_number": "True when the mark is within tolerance_bps of a round level",
}

COLUMNS: dict[str, str] = {
    "symbol": "crypto pair (category)",
    "date": "New York calendar date, tz-naive midnight",
    "spikes": "windows classed medium or above (int)",
    "large_spikes": "windows classed large or whale (int)",
    "whale_spikes": "windows classed whale (int)",
    "whole_number_spikes": "spikes (medium or above) near a whole-number level (int)",
    "net_oi_change_pct": "day's net OI change over the OI before its first measured change, "
    "fraction (0.01 = 1 %)",
}

_SIZE_DTYPE = pd.CategoricalDtype(list(SIZE_CLASSES), ordered=True)


def new_york_date(ts: pd.Series) -> pd.Series:
    """The New York calendar date of UTC instants, as tz-naive midnight."""
    stamps = as_utc(ts).dt.tz_convert(EXCHANGE_TZ).dt.tz_localize(None)
    return stamps.dt.normalize().astype("datetime64[ns]")


def robust_z(values: pd.Series, keys: list[pd.Series]) -> np.ndarray:
    """``|x - median| / (1.4826 x MAD)`` within each key group; NaN stays NaN."""
    grouped = values.groupby(keys, observed=True, sort=False)
    deviation = (values - grouped.transform("median")).abs()
    scale = deviation.groupby(keys, observed=True, sort=False).transform("median") * MAD_TO_SIGMA
    dev, sc = deviation.to_numpy(dtype=np.float64), scale.to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sc > 0, dev / np.where(sc > 0, sc, 1.0), np.where(dev > 0, np.inf, 0.0))


def whole_number_levels(mark: np.ndarray, tolerance_bps: float = NEAR_LEVEL_BPS) -> np.ndarray:
    """Nearest round level of each mark (step by magnitude) when within tolerance, else NaN."""
    mark = np.asarray(mark, dtype=np.float64)
    positive = np.isfinite(mark) & (mark > 0)
    safe = np.where(positive, mark, 1.0)
    digits = np.floor(np.log10(safe))
    # log10 can land a hair below an exact power of ten; settle the exponent exactly
    digits = np.where(10.0**digits > safe, digits - 1, digits)
    digits = np.where(10.0 ** (digits + 1) <= safe, digits + 1, digits)
    step = 10.0 ** (digits - 1)
    level = np.round(safe / step) * step
    near = positive & (np.abs(safe - level) <= tolerance_bps / 1e4 * safe)
    return np.where(near, level, np.nan)


def classify_oi_spikes(
    windows: pd.DataFrame,
    thresholds: dict[str, SpikeFloor] | None = None,
    tolerance_bps: float = NEAR_LEVEL_BPS,
) -> pd.DataFrame:
    """Size class and whole-number flag of every OI window; see the module docstring."""
    required = ["symbol", "ts", "oi_change", "oi_change_pct", "mark_price"]
    missing = [c for c in required if c not in windows.columns]
    if missing:
        raise ValueError(f"windows: missing required column(s) {missing}")
    floors = SIZE_THRESHOLDS if thresholds is None else thresholds
    unknown = set(floors) - set(SIZE_CLASSES[1:])
    if unknown:
        raise ValueError(f"thresholds: unknown size class(es) {sorted(unknown)}")
    frame = windows.reset_index(drop=True)
    change = frame["oi_change"].to_numpy(dtype=np.float64)
    fraction = frame["oi_change_pct"].to_numpy(dtype=np.float64)
    mark = frame["mark_price"].to_numpy(dtype=np.float64)
    z = robust_z(
        frame["oi_change_pct"].astype(np.float64), [frame["symbol"], new_york_date(frame["ts"])]
    )
    notional = np.abs(change * mark)
    codes = np.zeros(len(frame), dtype=np.int8)
    for code, name in enumerate(SIZE_CLASSES[1:], start=1):
        if name not in floors:
            continue
        floor = floors[name]
        meets = (
            (z >= floor.robust_z)
            & (np.abs(fraction) >= floor.change_fraction)
            & (notional >= floor.notional_usd)
        )
        codes = np.where(meets, np.int8(code), codes)
    level = whole_number_levels(mark, tolerance_bps)
    symbol = frame["symbol"]
    return pd.DataFrame(
        {
            "symbol": symbol
            if isinstance(symbol.dtype, pd.CategoricalDtype)
            else symbol.astype("category"),
            "ts": pd.to_datetime(frame["ts"], utc=True),
            "oi_change": change,
            "oi_change_pct": fraction,
            "size_class": pd.Categorical.from_codes(codes, dtype=_SIZE_DTYPE),
            "mark_price": mark,
            "whole_number_level": level,
            "near_whole_number": ~np.isnan(level),
        }
    )


def oi_spike_summary(classified: pd.DataFrame) -> pd.DataFrame:
    """Spike counts and the net OI change per (symbol, New York date) of classified windows.

    ``net_oi_change_pct = sum(oi_change) / base`` where ``base`` is the open interest before the
    day's first window with a measured change (``oi_change / oi_change_pct`` there); consecutive
    changes telescope, so this is ``last OI / base - 1``.
    """
    missing = [c for c in SPIKE_COLUMNS if c not in classified.columns]
    if missing:
        raise ValueError(f"classified: missing required column(s) {missing}")
    rank = classified["size_class"].cat.codes.to_numpy()
    change = classified["oi_change"].to_numpy(dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        base = change / classified["oi_change_pct"].to_numpy(dtype=np.float64)
    spike = rank >= SIZE_CLASSES.index("medium")
    parts = pd.DataFrame(
        {
            "symbol": classified["symbol"].astype(str).to_numpy(),
            "date": new_york_date(classified["ts"]).to_numpy(),
            "spikes": spike,
            "large_spikes": rank >= SIZE_CLASSES.index("large"),
            "whale_spikes": rank >= SIZE_CLASSES.index("whale"),
            "whole_number_spikes": spike & classified["near_whole_number"].to_numpy(dtype=bool),
            "change": change,
            "base": np.where(np.isfinite(base) & (base != 0), base, np.nan),
        }
    )
    grouped = parts.groupby(["symbol", "date"], sort=True)
    out = grouped[["spikes", "large_spikes", "whale_spikes", "whole_number_spikes"]].sum()
    out = out.astype(np.int64)
    out["net_oi_change_pct"] = grouped["change"].sum(min_count=1) / grouped["base"].first()
    out = out.reset_index()
    out["symbol"] = pd.Categorical(out["symbol"], categories=sorted(out["symbol"].unique()))
    return out[list(COLUMNS)]
