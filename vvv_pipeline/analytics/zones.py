"""Price zones per symbol-day from the market profile: volume nodes and rejection tails.

Input: the ``levels`` frame of :func:`~vvv_pipeline.analytics.profile.market_profile` (contiguous
levels per symbol-day, one row size each) and the bars it was built from (for ``touches``).
Per symbol-day, with ``mean`` the average volume per level:

- ``hvn`` (high-volume node): a run of adjacent levels each holding >= ``hvn_ratio`` (1.5) x mean;
  where the market agreed on price. strength = the run's largest level volume / the POC's volume.
- ``lvn`` (low-volume node): a run of adjacent levels each holding <= ``lvn_ratio`` (0.5) x mean
  and not touching the day's top or bottom level (a node lies between traded areas); prices the
  market passed through quickly. strength = 1 - (run's mean level volume / mean) / lvn_ratio.
- ``supply``: the selling tail, the run of single-print levels (TPO count 1) down from the day's
  top level; ``demand``: the buying tail up from the bottom level. Prices rejected at the day's
  extremes. strength = min(1, levels in the tail / ``full_tail`` (3)).

A zone spans ``[price_low, price_high]``: its lowest level's price minus half a row to its
highest plus half a row, so it covers every price that rounds into it. ``volume`` sums its
levels. ``touches`` counts separate visits by the day's bars: maximal runs of consecutive bars
whose [low, high] overlaps the zone. Rows are sorted by symbol, date, price_low, kind.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.analytics.days import symbol_days
from vvv_pipeline.metadata_tiers.windows import safe_div

COLUMNS: dict[str, str] = {
    "symbol": "instrument symbol (category)",
    "date": "session date (equities) or New York calendar date (crypto), tz-naive midnight",
    "kind": "supply (selling tail), demand (buying tail), hvn or lvn (high/low-volume node)",
    "price_low": "lowest price of the zone (its bottom level minus half a row)",
    "price_high": "highest price of the zone (its top level plus half a row)",
    "volume": "volume traded at the zone's levels (shares or base units)",
    "strength": "0..1, by kind: see the module docs",
    "touches": "separate visits by the day's bars (runs of consecutive overlapping bars), int64",
}
KINDS = ("supply", "demand", "hvn", "lvn")
_LEVEL_COLUMNS = ("symbol", "date", "price", "tpo_count", "volume")


def price_zones(
    levels: pd.DataFrame,
    bars: pd.DataFrame,
    hvn_ratio: float = 1.5,
    lvn_ratio: float = 0.5,
    full_tail: int = 3,
) -> pd.DataFrame:
    """Zones of every symbol-day in ``levels``; columns :data:`COLUMNS`, rules in the docs."""
    missing = [name for name in _LEVEL_COLUMNS if name not in levels.columns]
    if missing:
        raise ValueError(f"levels: missing columns {missing}")
    if not 0 < lvn_ratio < 1 < hvn_ratio or full_tail < 1:
        raise ValueError(
            f"need 0 < lvn_ratio < 1 < hvn_ratio and full_tail >= 1, "
            f"got {lvn_ratio}, {hvn_ratio}, {full_tail}"
        )
    lv = levels.assign(symbol=levels["symbol"].astype(str))
    lv = lv.sort_values(["symbol", "date", "price"], ignore_index=True)
    day = lv.groupby(["symbol", "date"], sort=False).ngroup().to_numpy()
    first = np.r_[True, day[1:] != day[:-1]][: len(day)]
    last = np.r_[day[1:] != day[:-1], True][: len(day)]
    volume = lv["volume"].to_numpy(np.float64)
    price = lv["price"].to_numpy(np.float64)
    mean = (np.bincount(day, weights=volume) / np.bincount(day))[day] if len(day) else volume
    poc_volume = np.maximum.reduceat(volume, np.flatnonzero(first))[day] if len(day) else volume
    # levels are contiguous, so the row size is the step from a day's first level to its second
    step = np.r_[price[1:] - price[:-1], 0.0][: len(day)]
    half_row = np.where(last[np.flatnonzero(first)], 0.0, step[np.flatnonzero(first)])[day] / 2
    sums = np.r_[0.0, np.cumsum(volume)]

    def zones_of(
        kind: str, starts: np.ndarray, ends: np.ndarray, strength: np.ndarray
    ) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "symbol": lv["symbol"].to_numpy()[starts],
                "date": lv["date"].to_numpy()[starts],
                "kind": kind,
                "price_low": np.round(price[starts] - half_row[starts], 10),
                "price_high": np.round(price[ends] + half_row[ends], 10),
                "volume": sums[ends + 1] - sums[starts],
                "strength": np.clip(strength, 0.0, 1.0),
            }
        )

    high_flag = volume >= hvn_ratio * mean
    starts, ends = run_bounds(high_flag, day)
    peak = _run_max(np.where(high_flag, volume, -np.inf), starts)
    hvn = zones_of("hvn", starts, ends, safe_div(peak, poc_volume[starts]))

    starts, ends = run_bounds(volume <= lvn_ratio * mean, day)
    inner = ~first[starts] & ~last[ends]
    starts, ends = starts[inner], ends[inner]
    run_mean = (sums[ends + 1] - sums[starts]) / (ends - starts + 1)
    lvn = zones_of("lvn", starts, ends, 1 - safe_div(run_mean, mean[starts]) / lvn_ratio)

    starts, ends = run_bounds(lv["tpo_count"].to_numpy() == 1, day)
    tail_strength = np.minimum(1.0, (ends - starts + 1) / full_tail)
    buying, selling = first[starts], last[ends]
    demand = zones_of("demand", starts[buying], ends[buying], tail_strength[buying])
    supply = zones_of("supply", starts[selling], ends[selling], tail_strength[selling])

    zones = pd.concat([supply, demand, hvn, lvn], ignore_index=True)
    if levels["volume"].dtype.kind in "iu":
        zones["volume"] = zones["volume"].astype(levels["volume"].dtype)
    zones["touches"] = count_touches(zones, bars)
    zones = zones.sort_values(["symbol", "date", "price_low", "kind"], ignore_index=True)
    zones["symbol"] = pd.Categorical(zones["symbol"], categories=sorted(set(zones["symbol"])))
    zones["kind"] = pd.Categorical(zones["kind"], categories=list(KINDS))
    return zones[list(COLUMNS)]


def run_bounds(flag: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last row of each maximal run of flagged adjacent rows within one day."""
    joins = np.r_[False, (day[1:] == day[:-1]) & flag[1:] & flag[:-1]][: len(flag)]
    starts = np.flatnonzero(flag & ~joins)
    ends = np.flatnonzero(flag & ~np.r_[joins[1:], False][: len(flag)])
    return starts, ends


def count_touches(zones: pd.DataFrame, bars: pd.DataFrame) -> np.ndarray:
    """Per zone: runs of consecutive same-day bars whose [low, high] overlaps the zone."""
    if zones.empty:
        return np.zeros(0, dtype=np.int64)
    days = symbol_days(bars, ("symbol", "ts", "high", "low"), "bars")
    keys = days.keys.assign(symbol=days.keys["symbol"].astype(str), bar_day=range(days.count))
    found = zones[["symbol", "date"]].merge(keys, on=["symbol", "date"], how="left")
    bar_day = found["bar_day"].to_numpy()
    if np.isnan(bar_day).any():
        row = zones.iloc[int(np.flatnonzero(np.isnan(bar_day))[0])]
        raise ValueError(f"bars: no bars for {row['symbol']} on {row['date']:%Y-%m-%d}")
    bar_day = bar_day.astype(np.int64)
    first_bar, n_bars = days.starts[bar_day], np.diff(np.r_[days.starts, len(days.day)])[bar_day]
    # every (zone, bar of its day) pair, zone by zone, bars in time order
    zone = np.repeat(np.arange(len(zones)), n_bars)
    bar = np.arange(len(zone)) - np.repeat(np.cumsum(n_bars) - n_bars, n_bars)
    bar += np.repeat(first_bar, n_bars)
    high = days.frame["high"].to_numpy(np.float64)[bar]
    low = days.frame["low"].to_numpy(np.float64)[bar]
    overlaps = (low <= zones["price_high"].to_numpy()[zone]) & (
        high >= zones["price_low"].to_numpy()[zone]
    )
    continues = np.r_[False, (zone[1:] == zone[:-1]) & overlaps[:-1]]
    return np.bincount(zone, weights=overlaps & ~continues, minlength=len(zones)).astype(np.int64)


def _run_max(masked: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Max of each run, given values masked to -inf outside runs (so a slice to the next run's
    start holds only this run's values)."""
    return np.maximum.reduceat(masked, starts) if len(starts) else np.zeros(0)
