"""Drive a code location the way the daemon does, under a clock the caller moves.

At each instant the driver fires the schedules whose cron ticks fell since the last instant,
evaluates the sensors, the declarative-automation conditions and run monitoring, and executes
every run they request against the instance, in this process, while Dagster's clock stays
frozen at that instant (:mod:`vvv_pipeline_tests.frozen_clock`). Requests are de-duplicated
by run key per instigator, as the daemon does; run monitoring is Dagster's own
``monitor_started_run``, as the daemon calls it.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import dagster as dg
import pandas as pd

from vvv_pipeline.defs.automation.run_launcher import WORKER_HOST_TAG, this_host
from vvv_pipeline.defs.jobs import JOB_ASSETS
from vvv_pipeline_tests.dagster_internals import (
    DagsterRunStatus,
    cron_string_iterator,
    monitor_started_run,
    schedule_context_on,
)
from vvv_pipeline_tests.frozen_clock import dagster_clock

__all__ = ["ClockDriver", "Launch", "dagster_clock", "job_for"]

AUTOMATION = "default_automation_condition_sensor"
LOG = logging.getLogger("vvv.rehearsal")


@dataclass(frozen=True)
class Launch:
    """One run an instigator requested and the driver executed."""

    trigger: str
    run_key: str | None
    run_id: str
    job: str
    partition: str | None
    assets: tuple[str, ...]
    at: pd.Timestamp


@dataclass
class TickLog:
    """What each instigator did, for the report: requests, skips and errors per name."""

    requested: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    skip_reasons: dict[str, set[str]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    """Wall seconds per activity: each instigator's evaluations, runs per job, monitoring."""

    @contextmanager
    def timed(self, activity: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[activity] += time.perf_counter() - started

    def note(self, name: str, requests: int, skip: str | None) -> None:
        self.requested[name] = self.requested.get(name, 0) + requests
        if skip:
            self.skipped[name] = self.skipped.get(name, 0) + 1
            self.skip_reasons.setdefault(name, set()).add(skip[:120])


def job_for(assets: tuple[str, ...]) -> str:
    """The asset job holding all of ``assets`` (one per partitions definition)."""
    for job, members in JOB_ASSETS.items():
        if set(assets) <= set(members):
            return job
    raise ValueError(f"no job holds {assets}")


class ClockDriver:
    """Schedules, sensors, automation and run monitoring of ``defs`` on ``instance``."""

    def __init__(
        self,
        defs: dg.Definitions,
        instance: dg.DagsterInstance,
        divert: Callable[[dg.RunRequest, str, dict[str, str], pd.Timestamp], bool] | None = None,
    ) -> None:
        self.defs = defs
        self.instance = instance
        self.repository = defs.get_repository_def()
        self.divert = divert
        """Returns True when it launched the request itself (e.g. in a process to be killed)."""
        self.seen: set[tuple[str, str]] = set()
        self.launches: list[Launch] = []
        self.cursors: dict[str, str | None] = {}
        self.automation_cursor = None
        self.ticks = TickLog()
        self.last_evaluated: dict[str, tuple[pd.Timestamp, int]] = {}

    def due(self, name: str, at: pd.Timestamp, every: pd.Timedelta) -> bool:
        """Whether instigator ``name`` is evaluated at ``at``.

        Every ``every`` at most, and only if a run was launched since its last evaluation or
        the clock entered a new hour (when partitions end and time-based conditions change):
        an evaluation with neither would see exactly what the previous one saw.
        """
        last = self.last_evaluated.get(name)
        if last is not None:
            when, launches = last
            if at - when < every:
                return False
            if launches == len(self.launches) and when.floor("h") == at.floor("h"):
                return False
        self.last_evaluated[name] = (at, len(self.launches))
        return True

    # -- schedules ---------------------------------------------------------------------------
    def fire_schedules(self, since: pd.Timestamp, until: pd.Timestamp) -> None:
        """Evaluate every schedule at each of its cron ticks in ``(since, until]``."""
        for schedule in self.defs.schedules or []:
            ticks = cron_string_iterator(
                since.timestamp(), schedule.cron_schedule, schedule.execution_timezone or "UTC"
            )
            for tick in ticks:
                at = pd.Timestamp(tick).tz_convert("UTC")
                if at > until:
                    break
                if at <= since:
                    continue
                context = schedule_context_on(self.instance, at.to_pydatetime(), self.repository)
                with self.ticks.timed(f"evaluate {schedule.name}"):
                    data = schedule.evaluate_tick(context)
                requests = data.run_requests or []
                self.ticks.note(schedule.name, len(requests), data.skip_message)
                for request in requests:
                    self.launch(schedule.name, request, schedule.job_name, at, "schedule")

    # -- sensors, automation, monitoring -----------------------------------------------------
    def evaluate_sensors(self, at: pd.Timestamp, every: pd.Timedelta) -> None:
        for sensor in self.defs.sensors or []:
            interval = pd.Timedelta(seconds=sensor.minimum_interval_seconds or 30)
            if not self.due(sensor.name, at, max(every, interval)):
                continue
            context = dg.build_sensor_context(
                instance=self.instance,
                cursor=self.cursors.get(sensor.name),
                repository_def=self.repository,
            )
            with self.ticks.timed(f"evaluate {sensor.name}"):
                data = sensor.evaluate_tick(context)
            self.cursors[sensor.name] = data.cursor
            requests = data.run_requests or []
            self.ticks.note(sensor.name, len(requests), data.skip_message)
            for request in requests:
                self.launch(sensor.name, request, request.job_name, at, "sensor")

    def evaluate_automation(self, at: pd.Timestamp, every: pd.Timedelta) -> None:
        if not self.due(AUTOMATION, at, every):
            return
        with self.ticks.timed(f"evaluate {AUTOMATION}"):
            result = dg.evaluate_automation_conditions(
                defs=self.defs,
                instance=self.instance,
                evaluation_time=at.to_pydatetime(),
                cursor=self.automation_cursor,
            )
        self.automation_cursor = result.cursor
        by_partition: dict[tuple[str, str | None], list[str]] = {}
        for key in self.repository.asset_graph.get_all_asset_keys():
            for partition in result.get_requested_partitions(key):
                name = key.to_user_string()
                by_partition.setdefault((job_for((name,)), partition), []).append(name)
        self.ticks.note(AUTOMATION, len(by_partition), None if by_partition else "nothing")
        for (job, partition), assets in sorted(by_partition.items(), key=str):
            request = dg.RunRequest(
                asset_selection=[dg.AssetKey(a) for a in assets], partition_key=partition
            )
            self.launch(AUTOMATION, request, job, at, "sensor")

    def monitor_runs(self) -> list[str]:
        """One run-monitoring pass; the ids of runs it marked failed."""
        failed = []
        started = self.instance.get_run_records(dg.RunsFilter(statuses=[DagsterRunStatus.STARTED]))
        for record in started:
            with self.ticks.timed("run monitoring"):
                monitor_started_run(self.instance, None, record, LOG)  # type: ignore[arg-type]
            run = self.instance.get_run_by_id(record.dagster_run.run_id)
            if run is not None and run.status == DagsterRunStatus.FAILURE:
                failed.append(run.run_id)
        return failed

    # -- launching ---------------------------------------------------------------------------
    def launch(
        self,
        trigger: str,
        request: dg.RunRequest,
        job: str | None,
        at: pd.Timestamp,
        kind: str,
    ) -> None:
        if request.run_key is not None:
            if (trigger, request.run_key) in self.seen:
                return
            self.seen.add((trigger, request.run_key))
        assets = tuple(k.to_user_string() for k in request.asset_selection or ())
        job = job or job_for(assets)
        tags = {**request.tags, WORKER_HOST_TAG: this_host(), f"dagster/{kind}_name": trigger}
        if request.run_key is not None:
            tags["dagster/run_key"] = request.run_key
        if self.divert is not None and self.divert(request, job, tags, at):
            return
        with self.ticks.timed(f"runs of {job}"):
            result = self.defs.resolve_job_def(job).execute_in_process(
                instance=self.instance,
                partition_key=request.partition_key,
                tags=tags,
                asset_selection=list(request.asset_selection) if request.asset_selection else None,
                raise_on_error=False,
            )
        self.launches.append(
            Launch(
                trigger,
                request.run_key,
                result.run_id,
                job,
                request.partition_key,
                assets or JOB_ASSETS[job],
                at,
            )
        )
