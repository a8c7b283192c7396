"""Argument checks of ``vvv-pipeline``: a bad argument is refused before anything runs.

A bad value used to reach the pipeline and fail there, or worse, not fail: ``--sessions 0`` ran 7
sessions, ``--sessions 300`` planned for minutes, a future ``--as-of`` wrote future data, and a
bad ``replay`` key exited 0. Every check here runs before the instance is opened or any store
is touched, and a refusal is one line naming the argument (argparse's ``error`` without the usage
block), exit status 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING, NoReturn

import pandas as pd

from vvv_pipeline.calendars import EXCHANGE_TZ

if TYPE_CHECKING:
    import dagster as dg

MAX_SESSIONS = 60
"""More than this is a backfill (one run per job over a range), not a ``run``."""


class OneLineParser(argparse.ArgumentParser):
    """``error`` prints ``prog: error: message`` only; ``--help`` still shows the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {' '.join(message.split())}\n")


def session_count(text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= count <= MAX_SESSIONS:
        raise argparse.ArgumentTypeError(
            f"{count} is outside 1..{MAX_SESSIONS}; for a longer range launch a backfill "
            "(dagster asset materialize --partition-range, or from the UI)"
        )
    return count


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


def ny_date(text: str) -> pd.Timestamp:
    """A ``YYYY-MM-DD`` New York date as a tz-naive midnight."""
    try:
        return pd.Timestamp(dt.date.fromisoformat(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def past_instant(text: str) -> pd.Timestamp:
    """An ISO time (New York when it has no offset) that is not in the future."""
    try:
        stamp = pd.Timestamp(dt.datetime.fromisoformat(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO date or time (e.g. 2025-11-26 or 2025-11-26T17:00)"
        ) from None
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize(EXCHANGE_TZ)
    now = pd.Timestamp.now(tz=EXCHANGE_TZ)
    if stamp > now:
        raise argparse.ArgumentTypeError(
            f"{text!r} is in the future (now {now:%Y-%m-%d %H:%M} New York)"
        )
    return stamp


def start_of_today() -> pd.Timestamp:
    """Default ``--as-of``: sessions whose New York day has ended, so every partition exists."""
    return pd.Timestamp.now(tz=EXCHANGE_TZ).normalize()


def default_windows(sessions: list[str]) -> dict[str, tuple[str, str]]:
    """Partition ranges (first, last key) per job that cover ``sessions`` (oldest first)."""
    first_day = pd.Timestamp(sessions[0], tz=EXCHANGE_TZ)
    end_day = pd.Timestamp(sessions[-1], tz=EXCHANGE_TZ) + pd.Timedelta(days=1)
    first_hour = first_day.tz_convert("UTC")
    last_hour = end_day.tz_convert("UTC") - pd.Timedelta(hours=1)
    # hourly first: the calendar-day job builds the day's crypto bars from those hours;
    # calendar days before sessions: equity metadata tier 3 reads the day's news
    return {
        "hourly_sources_job": (
            first_hour.strftime("%Y-%m-%d-%H:%M"),
            last_hour.strftime("%Y-%m-%d-%H:%M"),
        ),
        "calendar_day_sources_job": (sessions[0], sessions[-1]),
        "session_sources_job": (sessions[0], sessions[-1]),
    }


def job_partitions(job: str) -> dg.TimeWindowPartitionsDefinition:
    """The partitions definition of a source job: that of the sources it materializes."""
    from vvv_pipeline.defs.assets.source_specs import SOURCE_SPECS
    from vvv_pipeline.defs.jobs import JOB_ASSETS

    return next(s.partitions for s in SOURCE_SPECS if s.source.value in JOB_ASSETS[job])()


def run_sessions(
    parser: argparse.ArgumentParser, count: int, as_of: pd.Timestamp | None
) -> list[str]:
    """The ``count`` sessions closed by ``as_of``; refuses a window that has fewer sessions or
    whose partitions (session, calendar-day, hourly) do not all exist."""
    from vvv_pipeline.calendars import last_sessions, xnys

    arg = "--as-of" if as_of is not None else "--as-of (default: start of today)"
    when = as_of if as_of is not None else start_of_today()
    sessions = last_sessions(count, when)
    if len(sessions) < count:
        parser.error(
            f"argument {arg}: {when:%Y-%m-%d %H:%M} leaves {len(sessions)} of the {count} "
            f"sessions asked for in the XNYS calendar, which starts {xnys().first_session:%Y-%m-%d}"
        )
    for job, (first, last) in default_windows(sessions).items():
        partitions = job_partitions(job)
        lo, hi = partitions.get_first_partition_key(), partitions.get_last_partition_key()
        for key in (first, last):
            if not partitions.has_partition_key(key):
                why = "it has not ended yet" if key > str(hi) else "before the partitions start"
                parser.error(
                    f"argument {arg}: {count} sessions closed by {when:%Y-%m-%d %H:%M} need "
                    f"{job} partition {key} ({why}; partitions {lo} .. {hi})"
                )
    return sessions


def gaps_range(
    parser: argparse.ArgumentParser, start: pd.Timestamp | None, end: pd.Timestamp | None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(first, last) New York dates of ``gaps``; the default is the week ending today."""
    last = end if end is not None else start_of_today().tz_localize(None)
    first = start if start is not None else last - pd.Timedelta(days=6)
    if first > last:
        parser.error(f"argument --start: {first:%Y-%m-%d} is after --end {last:%Y-%m-%d}")
    return first, last


def replay_key(parser: argparse.ArgumentParser, source: str, key: str) -> None:
    """Refuse a partition key the source does not have (non-session day, out of range, typo)."""
    from vvv_pipeline.defs.assets.source_specs import SOURCE_SPECS

    spec = next(s for s in SOURCE_SPECS if s.source.value == source)
    partitions = spec.partitions()
    if not partitions.has_partition_key(key):
        kind = spec.partitioning.split(" (")[0]
        parser.error(
            f"argument partition: {key!r} is not a partition of {source} (one per {kind}, "
            f"{partitions.get_first_partition_key()} .. {partitions.get_last_partition_key()})"
        )
