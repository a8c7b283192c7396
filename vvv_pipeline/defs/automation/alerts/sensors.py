"""The three alert sensors: failed runs, blocking check failures, freshness breaches."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

import dagster as dg

from vvv_pipeline.defs.assets.streams import is_stream_asset
from vvv_pipeline.defs.automation.alerts import messages as msg
from vvv_pipeline.defs.automation.alerts import readers
from vvv_pipeline.defs.automation.alerts.webhook import (
    WEBHOOK_ENV,
    deliver,
    per_tick_cap,
    ui_url,
    webhook_url,
)
from vvv_pipeline.defs.automation.gap_attempts import (
    ATTEMPT_TAG,
    TRIGGER_TAG,
    configured_max_attempts,
)
from vvv_pipeline.defs.dagster_internals import PARTITION_NAME_TAG

ALERTS_OFF = f"alerts off: {WEBHOOK_ENV} not set"
BACKFILL_RUN_ALERTS = 3
"""Failed runs of one backfill that are posted; later ones only show in the UI."""
RUNS_PER_TICK = 50
EVENTS_PER_TICK = 200
CHECK_FAILED_ERROR = "DagsterAssetCheckFailedError"
"""A step that failed only because its blocking check failed: the check sensor reports it."""
OPEN_INCIDENTS_KEPT = 2000


def repeats_an_incident(run: dg.DagsterRun, error_class: str | None) -> str | None:
    """Why a failed run is part of an incident already posted, or None if it is a new one.

    A gap-sensor retry repeats the failure that opened the gap (posted when that run failed);
    only the last allowed attempt is posted, as the gap being given up. A step that failed
    because its blocking check failed is the check's incident, posted by the check sensor.
    """
    retry = run.tags.get(TRIGGER_TAG) == "gap_sensor"
    if retry and int(run.tags.get(ATTEMPT_TAG, "1")) < configured_max_attempts():
        return "a gap-sensor retry of an incident already posted"
    if error_class == CHECK_FAILED_ERROR:
        return "a blocking check failure, posted by alert_on_blocking_check_failure"
    return None


def _utc(timestamp: float) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


@dg.run_failure_sensor(
    name="alert_on_run_failure",
    monitor_all_code_locations=True,  # also runs made in-process by the CLI (no code location)
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Posts one message per failed run to VVV_ALERT_WEBHOOK (job, assets, "
    "partition or range, the failing step's error, run link); at most 3 failed runs per "
    "backfill are posted. Skips with 'alerts off' when the webhook is not set.",
)
def alert_on_run_failure(context: dg.RunFailureSensorContext):
    url = webhook_url()
    if url is None:
        return dg.SkipReason(ALERTS_OFF)
    run = context.dagster_run
    steps = context.get_step_failure_events()
    if steps:
        step = steps[0].step_key
        cause = readers.step_cause(steps[0].step_failure_data.error)
        assets = readers.step_assets(context.instance, run, step) if step else []
    else:  # the run failed outside a step (run worker died, launch failed, ...)
        failure = context.failure_event.job_failure_data
        step, assets = None, []
        cause = readers.step_cause(failure.error if failure else None)
    error = (cause.message if cause else "") or context.failure_event.message
    repeated = repeats_an_incident(run, cause.cls_name if cause else None)
    if repeated:
        context.log.info(f"run {run.run_id} failed; not posted: {repeated}")
        return None
    backfill = run.tags.get(readers.BACKFILL_TAG)
    earlier = readers.failed_runs_before(context.instance, run, backfill) if backfill else 0
    if earlier >= BACKFILL_RUN_ALERTS:
        context.log.info(f"run {run.run_id} of backfill {backfill} failed; not posted (cap)")
        return None
    reason = msg.first_line(error)
    if run.tags.get(TRIGGER_TAG) == "gap_sensor":  # the last allowed attempt (see above)
        reason = f"{reason} (gap given up after {configured_max_attempts()} attempts)"
    incident = msg.run_failure(
        ui_url(),
        run.job_name,
        run.run_id,
        assets,
        readers.run_partition(dict(run.tags)),
        step,
        reason,
        backfill,
        last_of_backfill=bool(backfill) and earlier == BACKFILL_RUN_ALERTS - 1,
    )
    deliver(url, [msg.render(incident)], context.log)
    return None


@dataclass
class _CheckGroup:
    asset_path: list[str]
    check: str
    backfill: str | None
    partitions: list[str] = field(default_factory=list)
    total: int = 0
    runs: list[str] = field(default_factory=list)
    reason: str | None = None


def check_incidents(
    instance: dg.DagsterInstance, run_ids: list[str], ui: str, open_: set[str] | None = None
) -> list:
    """One incident per (run or backfill, asset, check) with failed ERROR-severity evaluations.

    A range run records one evaluation per partition plus an unpartitioned summary; the
    summary is used only when a run recorded no partitioned evaluation for that check.
    ``open_`` holds the ``asset|check|partition`` failures already posted and not passed since:
    a re-run failing the same way (a gap retry) is the same incident and is not posted again;
    a passing evaluation closes the incident. It is updated in place.
    """
    open_ = set() if open_ is None else open_
    groups: dict[tuple, _CheckGroup] = {}
    for run_id in run_ids:
        run = instance.get_run_by_id(run_id)
        if run is None:
            continue
        evaluated: dict[tuple, set[str]] = {}
        failed: dict[tuple, list[dg.AssetCheckEvaluation]] = {}
        for e in readers.check_evaluations(instance, run_id):
            key = (tuple(e.asset_key.path), e.check_name)
            evaluated.setdefault(key, set()).update([e.partition] if e.partition else [])
            incident = f"{'/'.join(e.asset_key.path)}|{e.check_name}|{e.partition}"
            if e.passed:
                open_.discard(incident)
            elif e.severity == dg.AssetCheckSeverity.ERROR:
                if e.partition and incident in open_:
                    continue
                open_.add(incident)
                failed.setdefault(key, []).append(e)
        backfill = run.tags.get(readers.BACKFILL_TAG)
        for key, evaluations in failed.items():
            parts = [e.partition for e in evaluations if e.partition]
            chosen = [e for e in evaluations if e.partition] or evaluations
            if not parts and PARTITION_NAME_TAG in run.tags:
                parts = [run.tags[PARTITION_NAME_TAG]]
            group = groups.setdefault(
                (backfill or run_id, key), _CheckGroup(list(key[0]), key[1], backfill)
            )
            group.partitions.extend(p for p in parts if p not in group.partitions)
            group.total += len(evaluated[key]) or len(parts)
            group.runs.append(run_id)
            group.reason = group.reason or readers.first_text(
                [e.metadata.get("summary") for e in chosen] + [e.description for e in chosen]
            )
    return [
        msg.check_failure(
            ui,
            g.asset_path,
            g.check,
            g.partitions,
            g.total or None,
            g.reason or "the check did not pass",
            g.runs,
            g.backfill,
        )
        for g in groups.values()
    ]


def _post_all(context: dg.SensorEvaluationContext, url: str, incidents: list, seen: str):
    if not incidents:
        return dg.SkipReason(f"no new incidents ({seen})")
    done = deliver(url, msg.fold(incidents, per_tick_cap()), context.log)
    return dg.SkipReason(
        f"{len(incidents)} incidents ({seen}): {done.posted} messages posted"
        + (f", delivery failed ({done.failed[0]}), {done.dropped} dropped" if done.failed else "")
    )


@dg.sensor(
    name="alert_on_blocking_check_failure",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Posts blocking (tier 1, ERROR) check failures of finished runs to "
    "VVV_ALERT_WEBHOOK: one message per run (or backfill) and check, its failing partitions "
    "listed; a partition failing again before it passes is not posted twice; "
    "VVV_ALERT_MAX_PER_TICK caps a tick's messages. Skips with 'alerts off' when unset.",
)
def alert_on_blocking_check_failure(context: dg.SensorEvaluationContext):
    state = json.loads(context.cursor) if context.cursor else {"runs": None, "open": []}
    batch = readers.finished_runs(context.instance, state["runs"], RUNS_PER_TICK)
    open_ = set(state["open"])
    url = webhook_url()
    incidents = []
    if not batch.started:
        incidents = check_incidents(context.instance, batch.items, ui_url(), open_)
    kept = sorted(open_)[-OPEN_INCIDENTS_KEPT:]
    context.update_cursor(json.dumps({"runs": batch.cursor, "open": kept}))
    if batch.started:
        return dg.SkipReason(f"started after event-log record {batch.cursor}")
    if url is None:
        return dg.SkipReason(ALERTS_OFF)
    return _post_all(context, url, incidents, f"{len(batch.items)} finished runs read")


@dg.sensor(
    name="alert_on_freshness_failure",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Posts each asset whose freshness policy turns FAIL (as evaluated by the "
    "daemon's freshness evaluation) to VVV_ALERT_WEBHOOK, with its last materialization; "
    "live streams are left to stream_status's stall alert. "
    "Skips with 'alerts off' when unset.",
)
def alert_on_freshness_failure(context: dg.SensorEvaluationContext):
    batch = readers.freshness_changes(context.instance, context.cursor, EVENTS_PER_TICK)
    context.update_cursor(batch.cursor)
    url = webhook_url()
    if batch.started:
        return dg.SkipReason(f"started after event-log record {batch.cursor}")
    if url is None:
        return dg.SkipReason(ALERTS_OFF)
    incidents = []
    for change in batch.items:
        if change.new_state != "FAIL":
            continue
        if is_stream_asset(change.key):  # the stall alert (stream_status) posted it
            continue
        last = context.instance.get_latest_materialization_event(change.key)
        incidents.append(
            msg.freshness_failure(
                ui_url(),
                change.key.path,
                str(change.previous_state.value),
                _utc(change.state_change_timestamp),
                _utc(last.timestamp) if last else None,
            )
        )
    return _post_all(context, url, incidents, f"{len(batch.items)} freshness changes read")


ALERT_SENSORS = [alert_on_run_failure, alert_on_blocking_check_failure, alert_on_freshness_failure]
