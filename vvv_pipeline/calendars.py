"""Exchange sessions (XNYS) and the 24/7 crypto clock, as pure functions.

Session dates are tz-naive midnight timestamps (the exchange's local date); open and close
instants are tz-aware UTC. Early closes (e.g. 13:00 on the day after Thanksgiving) come from
``exchange_calendars`` and are honoured everywhere a session's bounds are used.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import exchange_calendars as xcals
import pandas as pd

EXCHANGE = "XNYS"
EXCHANGE_TZ = "America/New_York"


def as_utc(stamps: pd.Series) -> pd.Series:
    """Instants as tz-aware UTC; naive ones are read as UTC.

    Already tz-aware stamps (every stored frame's) are converted directly: ``pd.to_datetime``
    would walk them element by element.
    """
    if isinstance(stamps.dtype, pd.DatetimeTZDtype):
        return stamps.dt.tz_convert("UTC")
    return pd.to_datetime(stamps, utc=True)


@lru_cache(maxsize=1)
def xnys() -> xcals.ExchangeCalendar:
    """The XNYS calendar, built once per process (construction costs ~0.3 s)."""
    return xcals.get_calendar(EXCHANGE)


def _as_date(day: str | dt.date | pd.Timestamp) -> pd.Timestamp:
    stamp = pd.Timestamp(day)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert(EXCHANGE_TZ).tz_localize(None)
    return stamp.normalize()


def is_session(day: str | dt.date | pd.Timestamp) -> bool:
    """True when ``day`` (an exchange-local date) is an XNYS trading session."""
    cal = xnys()
    date = _as_date(day)
    if not cal.first_session <= date <= cal.last_session:
        raise ValueError(
            f"{date.date()} is outside the XNYS calendar's range "
            f"{cal.first_session.date()}..{cal.last_session.date()}"
        )
    return bool(cal.is_session(date))


def sessions_between(
    start: str | dt.date | pd.Timestamp, end: str | dt.date | pd.Timestamp
) -> pd.DatetimeIndex:
    """XNYS sessions from ``start`` to ``end``, both inclusive, as tz-naive dates."""
    cal = xnys()
    lo = max(_as_date(start), cal.first_session)
    hi = min(_as_date(end), cal.last_session)
    if lo > hi:
        return pd.DatetimeIndex([])
    return pd.DatetimeIndex(cal.sessions_in_range(lo, hi)).tz_localize(None)


def session_bounds(day: str | dt.date | pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(open, close) of one session as UTC instants; raises if ``day`` is not a session."""
    date = _as_date(day)
    if not is_session(date):
        raise ValueError(f"{date.date()} is not an XNYS session (weekend or holiday)")
    cal = xnys()
    return cal.session_open(date).tz_convert("UTC"), cal.session_close(date).tz_convert("UTC")


def in_regular_hours(at: pd.Timestamp) -> bool:
    """Whether the instant ``at`` (tz-aware) falls inside an XNYS session's regular hours, open
    included, close excluded (early closes and holidays as the calendar has them)."""
    day = at.tz_convert(EXCHANGE_TZ).tz_localize(None).normalize()
    if not is_session(day):
        return False
    open_, close = session_bounds(day)
    return open_ <= at < close


def is_early_close(day: str | dt.date | pd.Timestamp) -> bool:
    """True when the session closes before its regular 16:00 local close."""
    date = _as_date(day)
    close = session_bounds(date)[1].tz_convert(EXCHANGE_TZ)
    return (close.hour, close.minute) < (16, 0)


def non_session_weekdays(
    start: str | dt.date | pd.Timestamp, end: str | dt.date | pd.Timestamp
) -> list[pd.Timestamp]:
    """Weekdays in [start, end] that are not sessions: regular and ad-hoc holidays."""
    lo, hi = _as_date(start), _as_date(end)
    weekdays = pd.bdate_range(lo, hi)
    sessions = sessions_between(lo, hi)
    return list(weekdays.difference(sessions))


def last_sessions(count: int, as_of: str | dt.date | pd.Timestamp | None = None) -> list[str]:
    """The ``count`` most recent sessions closed by ``as_of`` (default: now), oldest first."""
    now = pd.Timestamp.now(tz="UTC") if as_of is None else pd.Timestamp(as_of)
    if now.tzinfo is None:
        now = now.tz_localize(EXCHANGE_TZ)
    cal = xnys()
    local_today = _as_date(now)
    candidates = sessions_between(local_today - pd.Timedelta(days=10 + 2 * count), local_today)
    closed = [d for d in candidates if cal.session_close(d) <= now]
    return [d.strftime("%Y-%m-%d") for d in closed[-count:]]
