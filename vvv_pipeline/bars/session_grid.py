"""Windows that time bars live in: exchange sessions, or local calendar days for 24/7 sources.

A window is a half-open UTC interval ``[open, close)``. Equity time bars are session-aligned:
each session is a window, its first bar starts at the open, its last bar is clipped at the close
(an early close such as 2024-11-29 13:00 New York ends the session, and its bars, early), and no
bar exists outside a window. Daily bars are one bar per window: a session for equities, a local
calendar day (America/New_York by default, so a day is 23, 24 or 25 hours) for crypto.

Windows are a pair of sorted int64 ns arrays; building them costs one calendar lookup per day,
never anything per tick.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from vvv_pipeline.calendars import session_bounds

DayLike = str | dt.date | pd.Timestamp
Windows = tuple[np.ndarray, np.ndarray]


def session_windows(days: Iterable[DayLike]) -> pd.DataFrame:
    """``open`` and ``close`` (UTC) of each XNYS session in ``days``, early closes honoured.

    Raises ``ValueError`` for a day that is not a session (the calendar's own error).
    """
    bounds = [session_bounds(day) for day in days]
    frame = pd.DataFrame(bounds, columns=["open", "close"])
    return frame.sort_values("open", ignore_index=True)


def calendar_day_windows(
    start: DayLike, end: DayLike, tz: str = "America/New_York"
) -> pd.DataFrame:
    """Local calendar days from ``start`` to ``end`` (both inclusive) as UTC windows.

    Midnights are localized in ``tz``, so a DST change gives a 23- or 25-hour day.
    """
    first = pd.Timestamp(start).date()
    last = pd.Timestamp(end).date()
    midnights = pd.date_range(first, last + dt.timedelta(days=1), freq="D").tz_localize(tz)
    utc = midnights.tz_convert("UTC")
    return pd.DataFrame({"open": utc[:-1], "close": utc[1:]})


def day_windows_covering(ts_min: int, ts_max: int, tz: str) -> Windows:
    """Calendar-day windows in ``tz`` covering the instants ``ts_min..ts_max`` (int64 ns)."""
    lo = pd.Timestamp(ts_min, tz="UTC").tz_convert(tz).date()
    hi = pd.Timestamp(ts_max, tz="UTC").tz_convert(tz).date()
    return as_windows(calendar_day_windows(lo, hi, tz))


def _to_ns(values: Sequence | pd.Series) -> np.ndarray:
    stamps = pd.to_datetime(pd.Series(list(values)), utc=True)
    return np.asarray(stamps.dt.as_unit("ns").array.asi8, dtype=np.int64)


def as_windows(sessions: pd.DataFrame | Sequence | None) -> Windows:
    """Normalize ``sessions`` to sorted, disjoint ``(open_ns, close_ns)`` arrays.

    Accepts a frame with ``open`` and ``close`` columns (e.g. :func:`session_windows`), a
    sequence of ``(open, close)`` pairs, or a sequence of session days (str, date or Timestamp),
    which are looked up in the XNYS calendar. ``None`` gives empty arrays (24/7, no windows).
    """
    if sessions is None:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    if not isinstance(sessions, pd.DataFrame):
        items = list(sessions)
        if items and not isinstance(items[0], tuple | list):
            sessions = session_windows(items)
        else:
            sessions = pd.DataFrame(items, columns=["open", "close"])
    opens, closes = _to_ns(sessions["open"]), _to_ns(sessions["close"])
    order = np.argsort(opens, kind="stable")
    opens, closes = opens[order], closes[order]
    if np.any(closes <= opens) or np.any(opens[1:] < closes[:-1]):
        raise ValueError("windows must satisfy open < close and must not overlap")
    return opens, closes
