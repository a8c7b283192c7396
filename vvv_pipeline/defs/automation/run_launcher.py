"""A run launcher whose runs can be declared dead: Dagster's default launcher plus a health check.

Dagster's run monitoring marks a run failed only when its launcher can say the run's worker is
gone; the default launcher cannot, so a run whose process was killed (``kill -9``, an OOM kill,
a machine restart, a ``vvv-pipeline run`` interrupted hard) stayed ``STARTED`` forever and the
gap sensor kept treating its partitions as in flight.

Every run records the process that orchestrates it in an engine event with a ``pid`` metadata
entry (the launched worker's "Started process for run", or the in-process/multiprocess
executor's "Executing steps ..."). A run is alive while that process exists and is not a zombie.
A pid is only meaningful on the machine that started it: runs carry the worker's host name in
:data:`WORKER_HOST_TAG` (set here for runs this launcher starts through a code server on this
machine, and by the ``vvv-pipeline`` command for its own runs); a run started elsewhere, or
without the tag, is reported running and left to ``max_runtime_seconds``.

``vvv-pipeline run`` executes its runs in its own process (:mod:`vvv_pipeline.cli.runs`), tagged
:data:`COMMAND_RUN_TAG`; no code server holds them, so a terminate request (the UI's
"Terminate") for such a run only marks it ``CANCELING``, which the command watches for and
interrupts the run on.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import dagster as dg

from vvv_pipeline.defs.dagster_internals import (
    CheckRunHealthResult,
    DefaultRunLauncher,
    LaunchRunContext,
    WorkerStatus,
)

WORKER_HOST_TAG = "vvv/worker_host"
COMMAND_RUN_TAG = "vvv/executed_by"
"""Set to :data:`COMMAND_RUN_VALUE` on the runs ``vvv-pipeline run`` executes itself."""
COMMAND_RUN_VALUE = "vvv-pipeline run"
LAUNCHED_RUN_VALUE = "run worker"
""":data:`COMMAND_RUN_TAG` of a run this launcher starts that carried the command's value: a
re-execution from the UI copies its parent's tags, yet a run worker executes it."""


def this_host() -> str:
    return socket.gethostname()


def process_alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a killed child not yet reaped is a zombie: dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        state = stat.read_text().rsplit(")", 1)[-1].split()[0]
        return state not in ("Z", "X")
    return True


def run_worker_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The pid of the process that orchestrates the run (its first engine event with a pid)."""
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ENGINE_EVENT, limit=20
    ).records
    for record in records:
        event = record.event_log_entry.dagster_event
        data = event.engine_event_data if event else None
        pid = data.metadata.get("pid") if data else None
        if pid is not None:
            return int(pid.value)
    return None


class LocalRunLauncher(DefaultRunLauncher):
    """Launches runs as Dagster's default launcher does and tells dead workers from live ones."""

    def launch_run(self, context: LaunchRunContext) -> None:
        run = context.dagster_run
        tags = {WORKER_HOST_TAG: this_host()} if _started_on_this_host(run) else {}
        if run.tags.get(COMMAND_RUN_TAG) == COMMAND_RUN_VALUE:
            tags[COMMAND_RUN_TAG] = LAUNCHED_RUN_VALUE  # else "Terminate" would not reach it
        if self.has_instance and tags:
            self._instance.add_run_tags(run.run_id, tags)
        super().launch_run(context)

    def terminate(self, run_id: str) -> bool:
        run = self._instance.get_run_by_id(run_id) if self.has_instance else None
        if run is None or run.is_finished or run.tags.get(COMMAND_RUN_TAG) != COMMAND_RUN_VALUE:
            return super().terminate(run_id)
        # the command executing it interrupts the run once it reads CANCELING
        self._instance.report_run_canceling(run)
        return True

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: dg.DagsterRun) -> CheckRunHealthResult:
        if run.tags.get(WORKER_HOST_TAG) != this_host():
            return CheckRunHealthResult(WorkerStatus.RUNNING, "worker on another host: not judged")
        pid = run_worker_pid(self._instance, run.run_id)
        if pid is None:
            return CheckRunHealthResult(WorkerStatus.RUNNING, "worker has not reported a pid yet")
        if process_alive(pid):
            return CheckRunHealthResult(WorkerStatus.RUNNING, f"worker pid {pid} alive")
        return CheckRunHealthResult(
            WorkerStatus.FAILED, f"run worker (pid {pid} on {this_host()}) is gone"
        )


def _started_on_this_host(run: dg.DagsterRun) -> bool:
    """A run whose code location is a process this machine starts (not a remote gRPC server)."""
    origin = run.remote_job_origin
    if origin is None:
        return True
    location = origin.repository_origin.code_location_origin
    host = getattr(location, "host", None)
    return host in (None, "localhost", "127.0.0.1", "::1", this_host())
