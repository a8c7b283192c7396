"""Time bars of the days not derived yet, computed from the ticks a read can see.

``load_bars(..., include_stream=True)`` (:mod:`vvv_pipeline.read`) returns the stored bars of
the days the bar assets have built (a New York calendar day for crypto, a session for
equities) and, after the last of them, bars computed here from the ticks of the later days:
the stored tick partitions and the stream's settled rows of the hours not finalized yet
(``search_ticks(..., include_stream=True)``). They are computed as the assets compute them
(:func:`vvv_pipeline.bars.time_bars`, each day signed from its own trades, equities inside the
session only), so a day's live bars become its stored bars once the day is derived, as far
as the trades then are the same: the stream's rows are not validated and a hole is filled only
at finalization. Crypto bars carry open interest only once derived (``oi_open``, ``oi_close``,
``oi_change`` are NaN in live bars: the 5-second OI windows are built per day).
"""

from __future__ import annotations

import pandas as pd

from vvv_pipeline.bars import oi_unknown, time_bars
from vvv_pipeline.calendars import EXCHANGE_TZ, is_session
from vvv_pipeline.metadata_tiers.windows import calendar_window


def first_live_instant(stored: pd.DataFrame, start: pd.Timestamp) -> pd.Timestamp:
    """Where live bars begin: the New York midnight after the last day with a stored bar
    (``stored``: one symbol's stored bars with a ``ts`` column), not before ``start``."""
    if stored.empty:
        return start
    last_day = pd.Timestamp(stored["ts"].max()).tz_convert(EXCHANGE_TZ).normalize()
    after = calendar_window(last_day + pd.Timedelta(days=1))[0]
    return max(start, after)


def day_starts(lo: pd.Timestamp, hi: pd.Timestamp) -> list[pd.Timestamp]:
    """The New York midnights (UTC instants) of the days ``[lo, hi)`` touches."""
    first = lo.tz_convert(EXCHANGE_TZ).normalize().tz_localize(None)
    last = (hi - pd.Timedelta(1, "ns")).tz_convert(EXCHANGE_TZ).normalize().tz_localize(None)
    return [calendar_window(day)[0] for day in pd.date_range(first, last, freq="D")]


def bars_of_ticks(
    ticks: pd.DataFrame, freq: str, lo: pd.Timestamp, hi: pd.Timestamp, equities: bool
) -> pd.DataFrame:
    """Bars of canonical ``ticks`` (one symbol) labelled in ``[lo, hi)``, as the bar assets
    compute them day by day; crypto bars get NaN open-interest columns."""
    starts = day_starts(lo, hi)
    days = [start.tz_convert(EXCHANGE_TZ).strftime("%Y-%m-%d") for start in starts]
    if equities:
        sessions = [day for day in days if is_session(day)]
        if not sessions:  # a weekend or a holiday: no session, no bar
            return time_bars(ticks.iloc[:0], freq, partition_starts=starts)
        bars = time_bars(ticks, freq, sessions=sessions, partition_starts=starts)
    else:
        bars = time_bars(ticks, freq, partition_starts=starts)
        bars = oi_unknown(bars)  # the day's OI windows are built when it is derived
    label = bars["ts"]
    return bars[(label >= lo) & (label < hi)].reset_index(drop=True)
