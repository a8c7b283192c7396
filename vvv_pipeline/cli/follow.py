"""Follow a run of ``vvv-pipeline run`` through its events in the instance.

The run executes in the command's main thread (:func:`vvv_pipeline.cli.runs.execute_here`);
everything the command reports (steps started and finished, rows per asset, partition checks
passed and failed, the error of a failed step) comes from the run's events as the instance
stores them, the events the UI reads.
"""

from __future__ import annotations

import _thread
import queue
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TextIO

import dagster as dg

from vvv_pipeline.defs.cancellation import request_stop

if TYPE_CHECKING:
    from vvv_pipeline.defs.dagster_internals import SerializableErrorInfo

POLL_SECONDS = 0.5


@dataclass
class RunOutcome:
    """What a finished run wrote and checked, read from its events in the instance."""

    run_id: str
    status: dg.DagsterRunStatus
    seconds: float
    partitions_rows: dict[str, tuple[int, int]] = field(default_factory=dict)
    checks_passed: int = 0
    checks_failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return self.status == dg.DagsterRunStatus.SUCCESS

    def written(self, assets: Sequence[str]) -> list[tuple[str, int, int]]:
        """(asset, partitions, rows) in the order of ``assets`` (the job's), then by name: steps
        may finish in any order, the summary should not."""
        order = {name: i for i, name in enumerate(assets)}
        names = sorted(self.partitions_rows, key=lambda n: (order.get(n, len(order)), n))
        return [(name, *self.partitions_rows[name]) for name in names]

    def record(self, entry: dg.EventLogEntry) -> str | None:
        """Count the event; return its progress line, if it is worth one."""
        event = entry.dagster_event
        if event is None:
            return None
        kind = event.event_type
        if kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
            mat = event.step_materialization_data.materialization
            rows = mat.metadata.get("dagster/row_count")
            name = mat.asset_key.to_user_string()
            partitions, total = self.partitions_rows.get(name, (0, 0))
            # each partition's materialization counts its own rows: the asset's are the sum
            self.partitions_rows[name] = (partitions + 1, total + (rows.value if rows else 0))
        elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.asset_check_evaluation_data
            if evaluation.partition is not None:
                self.checks_passed += evaluation.passed
                self.checks_failed += not evaluation.passed
        elif kind == dg.DagsterEventType.STEP_START:
            return f"{event.step_key} started"
        elif kind == dg.DagsterEventType.STEP_SUCCESS:
            partitions, rows = self.partitions_rows.get(event.step_key or "", (0, 0))
            noun = "partition" if partitions == 1 else "partitions"
            return f"{event.step_key} finished: {partitions} {noun}, {rows:,} rows"
        elif kind == dg.DagsterEventType.STEP_FAILURE:
            message = _root_message(event.step_failure_data.error)
            self.errors.append(f"{event.step_key}: {message}")
            return f"{event.step_key} FAILED: {message}"
        elif kind == dg.DagsterEventType.ENGINE_EVENT and event.engine_event_data.error:
            # the worker failed outside any step (it could not load the job, say): the error is
            # the run's only cause, on an engine event
            message = _root_message(event.engine_event_data.error)
            self.errors.append(f"run: {message}")
            return f"run error: {message}"
        elif kind == dg.DagsterEventType.RUN_FAILURE and not self.errors:
            message = entry.user_message or event.message or "no error recorded"
            self.errors.append(f"run: {message.strip().splitlines()[0][:400]}")
        return None


def _root_message(error: SerializableErrorInfo | None) -> str:
    """The first line of the innermost cause: Dagster wraps what the asset raised (a retry
    policy's "Exceeded max_retries", "Error occurred while executing ...")."""
    if error is None:
        return "no error recorded"
    while error.cause is not None:
        error = error.cause
    lines = error.message.strip().splitlines()
    return lines[0][:400] if lines else error.cls_name or "error"


def follow_here(
    instance: dg.DagsterInstance,
    run_id: str,
    window: str,
    entries: queue.SimpleQueue[dg.EventLogEntry],
    finished: threading.Event,
    out: TextIO = sys.stdout,
) -> RunOutcome:
    """Follow a run this process executes in its main thread, printing one line per step start
    and end (seconds since launch, the partition range) and counting what it wrote and checked.

    The events come as the instance stores them (``entries``, filled by the instance's event
    listener): reading every event back from the event log, as a follower of another process
    must, cost the command about a second a run. Only the run's status is polled until the main
    thread sets ``finished``: a terminate request (the run turns ``CANCELING``) interrupts the
    main thread, as Dagster's run worker is interrupted, and asks it to stop at its next
    partition (:mod:`vvv_pipeline.defs.cancellation`); the interrupt is repeated at every poll
    while the run stays ``CANCELING``, because one that lands inside ArcticDB's native write is
    lost there."""
    launched = time.time()
    outcome = RunOutcome(run_id, dg.DagsterRunStatus.STARTING, 0.0)
    while True:
        done = finished.wait(POLL_SECONDS)  # set after the run's last event was listened to
        while not entries.empty():
            _report(outcome, entries.get(), launched, window, out)
        run = instance.get_run_by_id(run_id)
        if run is None:
            raise RuntimeError(f"run {run_id} is not in the instance (deleted while running?)")
        if done:
            outcome.status, outcome.seconds = run.status, time.time() - launched
            return outcome
        if run.status == dg.DagsterRunStatus.CANCELING:
            request_stop()
            _thread.interrupt_main()


def _report(
    outcome: RunOutcome, entry: dg.EventLogEntry, launched: float, window: str, out: TextIO
) -> None:
    line = outcome.record(entry)
    if line is not None:
        took = entry.timestamp - launched
        print(f"    [{took:6.1f}s] {line}  ({window})", file=out, flush=True)
