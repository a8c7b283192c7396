"""Reading derived series back as the frames the pure layers take (bars, per-day rows)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from vvv_pipeline.calendars import EXCHANGE_TZ
from vvv_pipeline.storage.derived import TIME_BARS, DerivedStore

Window = tuple[pd.Timestamp, pd.Timestamp]


def split_key(frame: pd.DataFrame) -> pd.DataFrame:
    """``key`` ("AAPL/1min" or "AAPL") -> a categorical ``symbol`` first column."""
    if frame.empty:
        return frame
    # a handful of distinct keys over many rows: split each distinct key once
    codes, keys = pd.factorize(frame.pop("key"))
    names = np.array([key.split("/", 1)[0] for key in keys], dtype=object)
    name_codes, symbols = pd.factorize(names, sort=True)
    frame.insert(0, "symbol", pd.Categorical.from_codes(name_codes[codes], categories=symbols))
    return frame


def read_bars(
    derived: DerivedStore, symbols: Sequence[str], freq: str, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Time bars of ``symbols`` in [start, end), sorted by (symbol, ts)."""
    frame = split_key(derived.read(TIME_BARS, [f"{s}/{freq}" for s in symbols], start, end))
    if frame.empty:
        return frame
    return frame.sort_values(["symbol", "ts"], kind="stable", ignore_index=True)


def with_date(frame: pd.DataFrame) -> pd.DataFrame:
    """Per-day series (``ts`` = the day's New York midnight) -> ``symbol``, ``date`` first."""
    if frame.empty:
        return frame
    date = frame.pop("ts").dt.tz_convert(EXCHANGE_TZ).dt.tz_localize(None).dt.normalize()
    frame.insert(1, "date", date.astype("datetime64[ns]"))
    return frame


def read_days(
    derived: DerivedStore,
    library: str,
    names: Sequence[str],
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> pd.DataFrame:
    """Per-(symbol, day) rows of the named series in [start, end): ``symbol``, ``date``, ..."""
    return with_date(split_key(derived.read(library, names, start, end)))


def day_rows_to_series(
    frame: pd.DataFrame, symbols: Sequence[str], suffix: str = ""
) -> dict[str, pd.DataFrame]:
    """Rows with ``symbol`` and ``date`` -> one frame per symbol indexed by the date's NY midnight.

    Every symbol gets an entry (empty when it has no rows), so a window without rows is cleared.
    """
    out: dict[str, pd.DataFrame] = {}
    names = frame["symbol"].astype(str) if len(frame) else pd.Series(dtype=str)
    for symbol in symbols:
        rows = frame[names == symbol] if len(frame) else frame
        if rows.empty:
            out[f"{symbol}{suffix}"] = pd.DataFrame()
            continue
        out[f"{symbol}{suffix}"] = indexed_by_day(rows.drop(columns="symbol"))
    return out


def indexed_by_day(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with a ``date`` -> indexed by the date's New York midnight in UTC (``ts``),
    categories as text (empty rows: an empty frame, which clears a window)."""
    if rows.empty:
        return pd.DataFrame()
    local = pd.to_datetime(rows["date"]).dt.tz_localize(EXCHANGE_TZ)
    indexed = rows.drop(columns="date").set_index(local.dt.tz_convert("UTC"))
    indexed.index.name = "ts"
    return _plain(indexed)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categories as text: ArcticDB cannot update categorical columns."""
    for name in frame.columns:
        if isinstance(frame[name].dtype, pd.CategoricalDtype):
            frame[name] = frame[name].astype(str)
    return frame
