"""What the alert sensors read from the Dagster instance, each read bounded and cursor-driven.

Cursors are event-log storage ids of records that live in the instance's cross-run index
(run status changes, freshness state changes): global on PostgreSQL and on the embedded,
run-sharded SQLite storage alike. Check evaluations are read per finished run instead of by a
global cursor, because on SQLite they can only be read across runs with a run-sharded cursor;
reading them per run also gives the grouping per run for free, at the cost of alerting once
the run has ended rather than mid-run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import dagster as dg

from vvv_pipeline.defs.automation.alerts.messages import describe_range
from vvv_pipeline.defs.dagster_internals import (
    PARTITION_NAME_TAG,
    RANGE_TAGS,
    SerializableErrorInfo,
)

FINISHED = (
    dg.DagsterEventType.RUN_SUCCESS,
    dg.DagsterEventType.RUN_FAILURE,
    dg.DagsterEventType.RUN_CANCELED,
)
BACKFILL_TAG = "dagster/backfill"
STEP_WRAPPER = "DagsterExecutionStepExecutionError"


@dataclass(frozen=True)
class Batch:
    """The items read after a cursor, the next cursor, and whether the cursor was just set."""

    items: list
    cursor: str
    started: bool = False


def finished_runs(instance: dg.DagsterInstance, cursor: str | None, limit: int) -> Batch:
    """Ids of runs that ended (success, failure, cancel) after ``cursor``, oldest first.

    The first call only sets the cursor at the newest record, so history is never replayed.
    With ``limit`` records of one status type fetched, the batch stops at the oldest such
    limit so no record of another type is skipped.
    """
    if cursor is None:
        latest = [
            r.storage_id
            for t in FINISHED
            for r in instance.fetch_run_status_changes(t, limit=1).records
        ]
        return Batch([], str(max(latest, default=-1)), started=True)
    after = int(cursor)
    records, bounds = [], []
    for event_type in FINISHED:
        found = instance.fetch_run_status_changes(
            dg.RunStatusChangeRecordsFilter(event_type, after_storage_id=after),
            limit=limit,
            ascending=True,
        ).records
        records.extend(found)
        if len(found) == limit:
            bounds.append(found[-1].storage_id)
    horizon = min(bounds) if bounds else max((r.storage_id for r in records), default=after)
    kept = sorted((r for r in records if r.storage_id <= horizon), key=lambda r: r.storage_id)
    return Batch(list(dict.fromkeys(r.run_id for r in kept)), str(horizon))


def freshness_changes(instance: dg.DagsterInstance, cursor: str | None, limit: int) -> Batch:
    """Freshness state changes (written by the daemon's freshness evaluation) after ``cursor``."""
    storage = instance.event_log_storage
    event_type = dg.DagsterEventType.FRESHNESS_STATE_CHANGE
    if cursor is None:
        latest = storage.get_event_records(dg.EventRecordsFilter(event_type), limit=1)
        return Batch([], str(latest[0].storage_id if latest else -1), started=True)
    records = storage.get_event_records(
        dg.EventRecordsFilter(event_type, after_cursor=int(cursor)), limit=limit, ascending=True
    )
    changes = [r.event_log_entry.dagster_event.asset_freshness_state_change_data for r in records]
    return Batch(changes, str(records[-1].storage_id) if records else cursor)


def check_evaluations(
    instance: dg.DagsterInstance, run_id: str, page: int = 1000
) -> list[dg.AssetCheckEvaluation]:
    """Every asset check evaluation a run recorded, in order."""
    found, cursor = [], None
    while True:
        conn = instance.get_records_for_run(
            run_id, cursor=cursor, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, limit=page
        )
        found.extend(r.event_log_entry.dagster_event.event_specific_data for r in conn.records)
        if not conn.has_more:
            return found
        cursor = conn.cursor


def run_partition(tags: dict[str, str]) -> str:
    """The run's partition, its range, or a note that it had none."""
    if PARTITION_NAME_TAG in tags:
        return tags[PARTITION_NAME_TAG]
    start, end = (tags.get(tag) for tag in RANGE_TAGS)
    return describe_range(start, end) if start and end else "none (unpartitioned run)"


def step_cause(error: SerializableErrorInfo | None) -> SerializableErrorInfo | None:
    """A step's error unwrapped from Dagster's step-execution wrapper: what the step raised."""
    while error is not None and error.cls_name == STEP_WRAPPER and error.cause is not None:
        error = error.cause
    return error


def step_assets(instance: dg.DagsterInstance, run: dg.DagsterRun, step_key: str) -> list[str]:
    """The assets a step of ``run`` materializes, from the run's execution plan snapshot."""
    if not run.execution_plan_snapshot_id:
        return []
    plan = instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id)
    keys = {
        output.properties.asset_key.to_user_string()
        for step in plan.steps
        if step.key == step_key
        for output in step.outputs
        if output.properties and output.properties.asset_key
    }
    return sorted(keys)


def failed_runs_before(instance: dg.DagsterInstance, run: dg.DagsterRun, backfill: str) -> int:
    """How many runs of ``backfill`` failed before ``run`` did (by end time, then run id)."""
    records = instance.get_run_records(
        filters=dg.RunsFilter(tags={BACKFILL_TAG: backfill}, statuses=[dg.DagsterRunStatus.FAILURE])
    )
    ends = {r.dagster_run.run_id: r.end_time or 0.0 for r in records}
    mine = (ends.get(run.run_id, float("inf")), run.run_id)
    return sum(1 for run_id, end in ends.items() if (end, run_id) < mine)


def first_text(values: Sequence[object]) -> str | None:
    """The first metadata value that has text (``MetadataValue.text`` or a plain string)."""
    for value in values:
        text = getattr(value, "value", value)
        if isinstance(text, str) and text:
            return text
    return None
