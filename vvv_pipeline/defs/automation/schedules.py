"""Schedules: the session job after each XNYS close, the hourly crypto job, the day's sources.

The session schedule ticks at 13:15 and 16:15 New York on weekdays and requests the day's
partition only on the tick that follows that day's close by :data:`CLOSE_DELAY`: 13:15 on an
early close (13:00), 16:15 otherwise. Holidays and the other tick are skipped with a reason, so
the schedule's history in the UI says why nothing ran. Each tick requests the one period that
just ended, so no two ticks request the same partition; run keys (Dagster scopes a schedule's
run keys to its tick) make a tick evaluated twice launch it once.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pandas as pd

from vvv_pipeline.calendars import EXCHANGE_TZ, is_session, session_bounds
from vvv_pipeline.defs.jobs import calendar_day_sources_job, hourly_sources_job, session_sources_job
from vvv_pipeline.defs.partitions import (
    calendar_day_partitions,
    hourly_partitions,
    session_partitions,
)

CLOSE_DELAY = pd.Timedelta(minutes=15)
SESSION_TICKS = "15 13,16 * * 1-5"


def _before_history(
    partitions_def: dg.TimeWindowPartitionsDefinition, key: str
) -> dg.SkipReason | None:
    """A skip for a key before the definition's first partition (a deployment's first tick)."""
    start = partitions_def.time_window_for_partition_key(key).start
    if start < partitions_def.start:
        first = partitions_def.start.strftime(partitions_def.fmt)
        return dg.SkipReason(f"{key} is before the first partition ({first})")
    return None


def session_request(now: pd.Timestamp) -> dg.RunRequest | dg.SkipReason:
    """The run for the session whose close (plus the delay) falls in the hour before ``now``."""
    local = now.tz_convert(EXCHANGE_TZ)
    day = local.strftime("%Y-%m-%d")
    if not is_session(day):
        return dg.SkipReason(f"{day} is not an XNYS session")
    due = session_bounds(day)[1] + CLOSE_DELAY
    if not (due <= now < due + pd.Timedelta(hours=1)):
        close = session_bounds(day)[1].tz_convert(EXCHANGE_TZ).strftime("%H:%M")
        return dg.SkipReason(f"{day} closes at {close} New York; not this tick")
    return _before_history(session_partitions(), day) or dg.RunRequest(
        run_key=f"session-{day}", partition_key=day
    )


@dg.schedule(
    job=session_sources_job,
    cron_schedule=SESSION_TICKS,
    execution_timezone=EXCHANGE_TZ,
    description="The session's sources, bars, tiers, analytics and report, 15 minutes after "
    "each XNYS close (13:15 on early closes); holidays are skipped.",
)
def xnys_session_close_schedule(context: dg.ScheduleEvaluationContext):
    return session_request(pd.Timestamp(context.scheduled_execution_time).tz_convert("UTC"))


def hourly_request(now: pd.Timestamp) -> dg.RunRequest | dg.SkipReason:
    """The hour that ended before ``now`` (UTC)."""
    hour = (now.tz_convert("UTC").floor("h") - pd.Timedelta(hours=1)).strftime("%Y-%m-%d-%H:%M")
    return _before_history(hourly_partitions(), hour) or dg.RunRequest(
        run_key=f"hour-{hour}", partition_key=hour
    )


@dg.schedule(
    job=hourly_sources_job,
    cron_schedule="5 * * * *",
    execution_timezone="UTC",
    description="The previous UTC hour of crypto trades and open interest, 5 minutes past.",
)
def hourly_crypto_schedule(context: dg.ScheduleEvaluationContext):
    return hourly_request(pd.Timestamp(context.scheduled_execution_time))


def calendar_day_request(now: pd.Timestamp) -> dg.RunRequest | dg.SkipReason:
    """The New York day that ended before ``now``."""
    day = (now.tz_convert(EXCHANGE_TZ) - dt.timedelta(days=1)).strftime("%Y-%m-%d")
    return _before_history(calendar_day_partitions(), day) or dg.RunRequest(
        run_key=f"day-{day}", partition_key=day
    )


@dg.schedule(
    job=calendar_day_sources_job,
    cron_schedule="20 0 * * *",
    execution_timezone=EXCHANGE_TZ,
    description="Yesterday's news and economic releases and the day's crypto bars, tiers and "
    "analytics, at 00:20 New York (after the day's last hour).",
)
def calendar_day_schedule(context: dg.ScheduleEvaluationContext):
    return calendar_day_request(pd.Timestamp(context.scheduled_execution_time))


SCHEDULES = [xnys_session_close_schedule, hourly_crypto_schedule, calendar_day_schedule]
