"""How assets run unattended: automation conditions, freshness policies, backfill policies.

- **Downstream follows upstream** by declarative automation: every derived asset (bars,
  metadata tiers, analytics, reports) carries :data:`FOLLOW_UPSTREAM`, Dagster's ``eager()``
  (request the latest partition when a dependency updates, not while a dependency is missing or
  in progress) combined with ``all_deps_blocking_checks_passed()`` (never build on a partition
  whose blocking tier-1 check failed). The default automation-condition sensor evaluates it; it
  only requests the latest time partition, so history is built by backfills. Assets that read
  UTC-hour crypto sources over an all-partitions edge have no condition (every hour would look
  like an update of every day): the calendar-day schedule builds them and the gap sensor
  rebuilds a day when one of its hours lands after it.
- **Freshness** (visible on each asset in the UI): session sources and their key derived
  assets are expected by 17:30 New York after each weekday close, hourly crypto sources within
  two hours, calendar-day sources by 02:00 the next day.
- **Backfill policy**: derived assets are single-run (one run reads a range once and writes it
  once). Source assets are single-run on the simulated market; on real, rate-limited providers
  (``VVV_PROVIDER=live``) they are multi-run with at most :data:`LIVE_PARTITIONS_PER_RUN`
  partitions per run, so a year of backfill becomes bounded runs that the run queue and the
  provider pools can pace.
- **Retries**: a source step that raises is retried ``VVV_SOURCE_RETRIES`` times (default 2)
  after an exponential, jittered delay starting at ``VVV_SOURCE_RETRY_DELAY_SECONDS`` (default
  20 s): transient provider errors heal within the run. Errors that retrying cannot fix (a ban,
  an exhausted daily quota, schema drift, a simulated fault naming what does not exist, a
  setting that cannot work, a span of a streamed hour the venue no longer serves) fail the step
  at once, and so does a terminate request: the step requests its retries itself
  (:func:`source_retries`) rather than through a Dagster ``RetryPolicy``, which retries an
  interrupted step too. A run that ``vvv-pipeline run``
  executes then waited out the delay before it stopped (11-40 s measured), and a run worker
  logged a step it was stopping as put up for retry. Gaps left by runs that still fail are
  retried later by the gap sensor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg

import vvv_pipeline.defs.preview_apis  # noqa: F401  (silences the beta APIs used on purpose)
from vvv_pipeline.defs.partitions import (
    calendar_day_partitions,
    hourly_partitions,
    session_partitions,
)
from vvv_pipeline.providers.errors import (
    ProviderBannedError,
    QuotaExhaustedError,
    SchemaDriftError,
)
from vvv_pipeline.providers.simulated.config import FaultError
from vvv_pipeline.settings import Settings, SettingsError
from vvv_pipeline.storage.lmdb_space import StorageFullError
from vvv_pipeline.streaming.finalize import UncoveredHour

FOLLOW_UPSTREAM = (
    dg.AutomationCondition.eager() & dg.AutomationCondition.all_deps_blocking_checks_passed()
)
LIVE_PARTITIONS_PER_RUN = 5
PERMANENT_ERRORS = (
    ProviderBannedError,
    QuotaExhaustedError,
    SchemaDriftError,
    FaultError,
    StorageFullError,
    SettingsError,
    UncoveredHour,
)

SESSION_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron="30 17 * * 1-5",
    lower_bound_delta=dt.timedelta(hours=1, minutes=30),
    timezone="America/New_York",
)
"""Materialized between 16:00 and 17:30 New York on weekdays (early closes finish sooner)."""
HOURLY_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=dt.timedelta(hours=2), warn_window=dt.timedelta(hours=1, minutes=15)
)
CALENDAR_DAY_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron="0 2 * * *", lower_bound_delta=dt.timedelta(hours=2), timezone="America/New_York"
)


def source_backfill_policy(provider: str) -> dg.BackfillPolicy:
    """Single-run on the simulated market; bounded multi-run on real providers (``provider``
    is the ``market`` resource's provider, from ``VVV_PROVIDER``)."""
    if provider == "live":
        return dg.BackfillPolicy.multi_run(max_partitions_per_run=LIVE_PARTITIONS_PER_RUN)
    return dg.BackfillPolicy.single_run()


def freshness_for(partitions_def: dg.PartitionsDefinition) -> dg.FreshnessPolicy:
    """The freshness expected of an asset with these partitions (session, day or hour)."""
    if partitions_def == session_partitions():
        return SESSION_FRESHNESS
    if partitions_def == hourly_partitions():
        return HOURLY_FRESHNESS
    if partitions_def == calendar_day_partitions():
        return CALENDAR_DAY_FRESHNESS
    raise ValueError(f"no freshness policy for partitions {partitions_def}")


def source_retry_policy(settings: Settings) -> dg.RetryPolicy:
    """The delays of a source step's retries: bounded, jittered, exponential (see the module
    docstring; :func:`source_retries` requests them)."""
    return dg.RetryPolicy(
        max_retries=settings.source_retries,
        delay=settings.source_retry_delay_seconds,
        backoff=dg.Backoff.EXPONENTIAL,
        jitter=dg.Jitter.PLUS_MINUS,
    )


@contextmanager
def source_retries(settings: Settings, retry_number: int) -> Iterator[None]:
    """Around a source step's work: an error retrying cannot fix fails the step at once, any
    other error requests a retry after :func:`source_retry_policy`'s delay for the attempt after
    ``retry_number`` (the step's ``context.retry_number``), and an interruption (a terminate
    request, a ``BaseException``) passes through: the run stops instead of waiting to retry."""
    try:
        yield
    except PERMANENT_ERRORS as error:
        raise dg.Failure(
            description=f"{type(error).__name__}: {error} (not retried)", allow_retries=False
        ) from error
    except (dg.Failure, dg.RetryRequested, dg.DagsterError):
        raise  # the step's own decision, or Dagster's: as Dagster treats them
    except Exception as error:
        policy = source_retry_policy(settings)
        raise dg.RetryRequested(
            max_retries=policy.max_retries,
            seconds_to_wait=policy.calculate_delay(retry_number + 1),
        ) from error
