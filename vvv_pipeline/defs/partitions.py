"""The three partitions definitions and what each one means.

* ``session_partitions``: one key per XNYS session (``YYYY-MM-DD``, America/New_York). Weekends
  and exchange holidays are excluded, so a holiday is never a partition and never a gap. Early
  closes are sessions; their shorter hours come from :mod:`vvv_pipeline.calendars`.
* ``calendar_day_partitions``: every calendar day (America/New_York) for sources that publish
  every day (news, economic releases) and daily roll-ups of 24/7 crypto.
* ``hourly_partitions``: UTC hours (``YYYY-MM-DD-HH:MM``) for the 24/7 tick-scale crypto sources.
  UTC has no DST, so every hour exists exactly once; calendar days map onto hours by time window.

Start dates are configuration (``VVV_SESSIONS_START``, ``VVV_CALENDAR_DAYS_START``,
``VVV_HOURLY_START``). Every partition from the start counts in the UI's "N% filled" and in
what "Materialize all" backfills (every partition of every selected asset: Dagster 1.13 asks no
confirmation and has no limit), so the defaults stay close to the data a deployment holds:
sessions and calendar days from 2025-08-01 (339 sessions and 490 days in December 2026, where a
2021 start gave 1,488 and 2,163 and read 0% filled after a good run), hours from 2025-11-01.
A deployment with older history sets the variables back before it backfills there.
"""

from __future__ import annotations

from functools import lru_cache

import dagster as dg
import pandas as pd

from vvv_pipeline import settings
from vvv_pipeline.calendars import EXCHANGE_TZ, non_session_weekdays, xnys

WEEKEND_CRON = "0 0 * * 0,6"


@lru_cache(maxsize=4)
def _session_partitions(start: str) -> dg.DailyPartitionsDefinition:
    holidays = non_session_weekdays(start, xnys().last_session)
    return dg.DailyPartitionsDefinition(
        start_date=start,
        timezone=EXCHANGE_TZ,
        exclusions=[WEEKEND_CRON, *(day.to_pydatetime() for day in holidays)],
        # today's session is a partition from midnight, so the close schedule can request it
        # at 16:15 (a plain daily partition only exists once its day has ended)
        end_offset=1,
    )


def session_partitions() -> dg.DailyPartitionsDefinition:
    return _session_partitions(settings.current().sessions_start)


def calendar_day_partitions() -> dg.DailyPartitionsDefinition:
    start = settings.current().calendar_days_start
    return dg.DailyPartitionsDefinition(start_date=start, timezone=EXCHANGE_TZ)


def hourly_partitions() -> dg.HourlyPartitionsDefinition:
    start = settings.current().hourly_start
    return dg.HourlyPartitionsDefinition(start_date=start, timezone="UTC")


def window_utc(window: dg.TimeWindow) -> tuple[pd.Timestamp, pd.Timestamp]:
    """A partition's half-open time window [start, end) as UTC timestamps."""
    return pd.Timestamp(window.start).tz_convert("UTC"), pd.Timestamp(window.end).tz_convert("UTC")
