"""Symbol-day groups: the shared view every per-(symbol, day) analysis computes over.

A bar belongs to the New York calendar date of its ``ts`` (the session date for XNYS
equities); groups are contiguous after one lexsort, so analyses reduce with ``reduceat``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vvv_pipeline.bars.frames import ts_ns
from vvv_pipeline.calendars import EXCHANGE_TZ
from vvv_pipeline.metadata_tiers.windows import group_codes, symbol_column


@dataclass(frozen=True)
class SymbolDays:
    """A frame sorted by (symbol, date, ts) and split into contiguous symbol-day groups."""

    frame: pd.DataFrame
    day: np.ndarray
    """Group id per row, 0..count-1, in (symbol, date) order."""
    starts: np.ndarray
    """Row index of each group's first row."""
    ts: np.ndarray
    """UTC int64 ns per row."""
    local: np.ndarray
    """New York wall-clock int64 ns per row (tz-naive)."""
    keys: pd.DataFrame
    """``symbol`` (category) and ``date`` (tz-naive midnight) of each group."""

    @property
    def count(self) -> int:
        return len(self.starts)

    @property
    def ends(self) -> np.ndarray:
        return np.r_[self.starts[1:], len(self.day)] - 1


def symbol_days(frame: pd.DataFrame, required: tuple[str, ...], what: str) -> SymbolDays:
    """Group ``frame`` (named ``what`` in errors) by symbol and New York date of ``ts``."""
    missing = [name for name in required if name not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing columns {missing}")
    if not isinstance(frame["ts"].dtype, pd.DatetimeTZDtype):
        raise ValueError(f"{what}: ts must be tz-aware UTC, got {frame['ts'].dtype}")
    ts = ts_ns(frame["ts"])
    local = pd.DatetimeIndex(ts.view("datetime64[ns]")).tz_localize("UTC")
    local = local.tz_convert(EXCHANGE_TZ).tz_localize(None).asi8
    date = local - local % (86_400 * 10**9)
    codes, names = group_codes(frame["symbol"])
    order = np.lexsort((ts, date, codes))
    codes, date, ts, local = codes[order], date[order], ts[order], local[order]
    new_day = np.r_[True, (codes[1:] != codes[:-1]) | (date[1:] != date[:-1])][: len(ts)]
    starts = np.flatnonzero(new_day)
    keys = pd.DataFrame(
        {
            "symbol": symbol_column(names[codes[starts]]),
            "date": date[starts].view("datetime64[ns]"),
        }
    )
    sorted_frame = frame.iloc[order].reset_index(drop=True)
    return SymbolDays(sorted_frame, np.cumsum(new_day) - 1, starts, ts, local, keys)
