"""Generation units: the smallest pieces the simulation regenerates independently.

A fetch window is cut into units (an equity session, a crypto UTC hour, a New York calendar
day, a daily-bar session); each unit is generated whole and then clipped to the window, so a
session fetched alone and the same session inside a week-long fetch are the same rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from vvv_pipeline.calendars import EXCHANGE_TZ, sessions_between
from vvv_pipeline.providers.simulated.anchors import EPOCH_NS, HOUR_NS, day_index, hour_index
from vvv_pipeline.providers.simulated.paths import session_window


@dataclass(frozen=True)
class Unit:
    key: str
    """Stable name: ``2024-11-29`` (session or day) or ``2024-06-03T14`` (UTC hour)."""
    start_ns: int
    end_ns: int
    """The unit's own span ``[start, end)`` in UTC nanoseconds (used to target faults)."""
    index: int
    """Days (or hours, for crypto) since the simulation epoch."""

    def overlaps(self, lo_ns: int, hi_ns: int) -> bool:
        return self.start_ns < hi_ns and self.end_ns > lo_ns


def _local_dates(lo: pd.Timestamp, hi: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last New York calendar dates touched by ``[lo, hi)``."""
    first = lo.tz_convert(EXCHANGE_TZ).tz_localize(None).normalize()
    last = (hi - pd.Timedelta(1, "ns")).tz_convert(EXCHANGE_TZ).tz_localize(None).normalize()
    return first, last


def local_midnight_ns(day: pd.Timestamp) -> int:
    """00:00 America/New_York of a calendar date, as UTC nanoseconds (DST-aware)."""
    return pd.Timestamp(day).tz_localize(EXCHANGE_TZ).value


def session_units(lo: pd.Timestamp, hi: pd.Timestamp) -> list[Unit]:
    """XNYS sessions whose ``[open, close)`` overlaps the window (weekends/holidays: none)."""
    first, last = _local_dates(lo, hi)
    units = []
    for session in sessions_between(first, last):
        key = session.strftime("%Y-%m-%d")
        open_ns, close_ns = session_window(key)
        unit = Unit(key, open_ns, close_ns, day_index(session))
        if unit.overlaps(lo.value, hi.value):
            units.append(unit)
    return units


def bar_units(lo: pd.Timestamp, hi: pd.Timestamp) -> list[Unit]:
    """Sessions whose bar timestamp (00:00 New York of the session date) lies in the window."""
    first, last = _local_dates(lo, hi)
    units = []
    for session in sessions_between(first, last):
        midnight = local_midnight_ns(session)
        if lo.value <= midnight < hi.value:
            end = local_midnight_ns(session + pd.Timedelta(days=1))
            units.append(Unit(session.strftime("%Y-%m-%d"), midnight, end, day_index(session)))
    return units


def day_units(lo: pd.Timestamp, hi: pd.Timestamp) -> list[Unit]:
    """New York calendar days overlapping the window (every day, weekends included)."""
    first, last = _local_dates(lo, hi)
    units = []
    for day in pd.date_range(first, last, freq="D"):
        start = local_midnight_ns(day)
        end = local_midnight_ns(day + pd.Timedelta(days=1))
        units.append(Unit(day.strftime("%Y-%m-%d"), start, end, day_index(day)))
    return units


def hour_units(lo: pd.Timestamp, hi: pd.Timestamp) -> list[Unit]:
    """UTC hours overlapping the window (crypto trades 24/7)."""
    first = hour_index(lo.value)
    last = hour_index(hi.value - 1)
    units = []
    for hour in range(first, last + 1):
        start = EPOCH_NS + hour * HOUR_NS
        key = pd.Timestamp(start, tz="UTC").strftime("%Y-%m-%dT%H")
        units.append(Unit(key, start, start + HOUR_NS, hour))
    return units
