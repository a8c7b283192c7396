"""How often the gap sensor has already tried to fill a gap, and whether it may try again.

A gap run can fail (a provider outage, a bad deploy) or succeed and leave the gap (tier 1
fails again on the same bad data). Either way the gap is requested again, but only after a
back-off that doubles with each attempt (``VVV_GAP_RETRY_MINUTES`` for the second attempt) and
at most ``VVV_GAP_MAX_ATTEMPTS`` times in all (:mod:`vvv_pipeline.settings`, read at each
tick); after that the gap stays visible in the coverage report and the sensor's cursor lists it
as given up. Attempts are read back from the runs themselves
(tags :data:`TARGET_TAG` and :data:`ATTEMPT_TAG`), so the state survives a daemon restart and
is visible on every run in the UI.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import dagster as dg
import pandas as pd

from vvv_pipeline import settings

TRIGGER_TAG = "vvv/trigger"
TARGET_TAG = "vvv/gap"
ATTEMPT_TAG = "vvv/gap_attempt"
HISTORY_LIMIT = 5000
"""Most recent gap runs read per tick, a bound on top of the lookback (a week of hourly gaps of
two sources is ~340 targets)."""


@dataclass(frozen=True)
class Attempt:
    number: int
    finished: bool
    ended: pd.Timestamp | None


def gap_target(name: str, partition: str) -> str:
    """``asset:partition`` for a source, ``job:partition`` for a derived-assets run."""
    return f"{name}:{partition}"


def read_attempts(
    instance: dg.DagsterInstance, since: pd.Timestamp | None = None
) -> dict[str, list[Attempt]]:
    """Gap targets' attempts, oldest first, from the gap sensor's runs updated after ``since``.

    A tick looks at partitions that ended inside its lookback, and their gap runs all came
    later, so runs last updated before the lookback began are left unread.
    """
    updated_after = since.to_pydatetime() if since is not None else None
    records = instance.get_run_records(
        dg.RunsFilter(tags={TRIGGER_TAG: "gap_sensor"}, updated_after=updated_after),
        limit=HISTORY_LIMIT,
    )
    out: dict[str, list[Attempt]] = defaultdict(list)
    for record in records:
        tags = record.dagster_run.tags
        target = tags.get(TARGET_TAG)
        if target is None:
            continue
        ended = pd.Timestamp(record.end_time, unit="s", tz="UTC") if record.end_time else None
        out[target].append(
            Attempt(int(tags.get(ATTEMPT_TAG, "1")), record.dagster_run.is_finished, ended)
        )
    return {target: sorted(runs, key=lambda a: a.number) for target, runs in out.items()}


def next_attempt(
    attempts: list[Attempt],
    now: pd.Timestamp,
    max_attempts: int | None = None,
    retry_after: pd.Timedelta | None = None,
) -> int | None:
    """The attempt number to request now, or None (one in flight, backing off, or given up);
    ``max_attempts`` and ``retry_after`` default to the settings."""
    if not attempts:
        return 1
    max_attempts = max_attempts or configured_max_attempts()
    retry_after = configured_retry_after() if retry_after is None else retry_after
    last = attempts[-1]
    if not last.finished or last.number >= max_attempts:
        return None
    wait = retry_after * 2 ** (last.number - 1)
    if last.ended is not None and now < last.ended + wait:
        return None
    return last.number + 1


def gave_up(attempts: list[Attempt], max_attempts: int | None = None) -> bool:
    limit = max_attempts or configured_max_attempts()
    return bool(attempts) and attempts[-1].finished and attempts[-1].number >= limit


def configured_max_attempts() -> int:
    """``VVV_GAP_MAX_ATTEMPTS``: attempts in all at one gap."""
    return settings.current().gap_max_attempts


def configured_retry_after() -> pd.Timedelta:
    """``VVV_GAP_RETRY_MINUTES``: the back-off before a gap's second attempt."""
    return pd.Timedelta(minutes=settings.current().gap_retry_minutes)
