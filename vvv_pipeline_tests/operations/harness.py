"""The production rehearsal: one deployment operated through the legs of :mod:`.scenario`.

:func:`rehearse` advances Dagster's clock in :data:`~.scenario.STEP` steps; at each step the
:class:`~.clock_driver.ClockDriver` fires the schedules due, and every
:data:`~.scenario.SENSOR_EVERY` it runs run monitoring, every sensor (gap, news completion,
alerts) and the automation conditions, executing what they request against the instance. The
hourly run of :data:`~.scenario.KILLED_HOUR` is launched in its own process and killed while it
writes. Between the legs an operator backfills the weeks the clock skipped, one single-run range
per job. :mod:`.verdict` then judges the instance.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pandas as pd

from vvv_pipeline.defs.automation.gap_attempts import TRIGGER_TAG
from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline.defs.jobs import JOB_ASSETS
from vvv_pipeline_tests.assets.helpers import RANGE_TAGS
from vvv_pipeline_tests.operations.clock_driver import ClockDriver, dagster_clock
from vvv_pipeline_tests.operations.rehearsal_market import rehearsal_market
from vvv_pipeline_tests.operations.scenario import (
    AUTOMATION_EVERY,
    KILLED_HOUR,
    SENSOR_EVERY,
    STEP,
    Leg,
)

KILL_WAIT_SECONDS = 120
CATCH_UP_ORDER = ("hourly_sources_job", "calendar_day_sources_job", "session_sources_job")
"""Inputs first: crypto days read their hours, a session's tier 3 reads its day's news."""


def rehearsal_definitions() -> dg.Definitions:
    return build_definitions(resources={"market": rehearsal_market()})


class KilledRun:
    """Launches the scheduled run of :data:`KILLED_HOUR` in a process and kills it mid-write."""

    def __init__(self, instance: dg.DagsterInstance, workdir: Path) -> None:
        self.instance = instance
        self.marker = workdir / "victim-wrote"
        self.run_id: str | None = None

    def __call__(self, request: dg.RunRequest, job: str, tags: dict, at: pd.Timestamp) -> bool:
        if not (job == "hourly_sources_job" and request.partition_key == KILLED_HOUR):
            return False
        if "dagster/schedule_name" not in tags:
            return False
        payload = {"job": job, "partition_key": KILLED_HOUR, "tags": tags, "at": at.isoformat()}
        victim = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "vvv_pipeline_tests.operations.victim",
                json.dumps(payload),
                str(self.marker),
            ],
            env=os.environ.copy(),
        )
        deadline = time.monotonic() + KILL_WAIT_SECONDS
        while not self.marker.exists():
            if victim.poll() is not None or time.monotonic() > deadline:
                victim.kill()
                raise RuntimeError(f"the run to be killed exited or hung (rc {victim.poll()})")
            time.sleep(0.1)
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        runs = self.instance.get_runs(dg.RunsFilter(tags={"dagster/run_key": request.run_key}))
        self.run_id = runs[0].run_id
        return True


def catch_up(driver: ClockDriver, at: pd.Timestamp) -> list[str]:
    """An operator's single-run backfill, per job, of every partition missing before ``at``."""
    run_ids = []
    with dagster_clock(at):
        for job in CATCH_UP_ORDER:
            first = dg.AssetKey(JOB_ASSETS[job][0])
            partitions = driver.repository.asset_graph.get(first).partitions_def
            done = driver.instance.get_materialized_partitions(first)
            keys = [
                key
                for key in partitions.get_partition_keys(current_time=at.to_pydatetime())
                if key not in done
                and partitions.time_window_for_partition_key(key).end <= at.to_pydatetime()
            ]
            if not keys:
                continue
            tags = dict(zip(RANGE_TAGS, (keys[0], keys[-1]), strict=True))
            tags[TRIGGER_TAG] = "operator_catch_up"
            result = driver.defs.resolve_job_def(job).execute_in_process(
                instance=driver.instance, tags=tags, raise_on_error=False
            )
            run_ids.append(result.run_id)
    return run_ids


def advance(driver: ClockDriver, leg: Leg, progress=print) -> None:
    """Move the clock through ``leg``, firing what is due at each step."""
    previous = leg.start - STEP
    at = leg.start
    while at <= leg.end:
        with dagster_clock(at):
            driver.fire_schedules(previous, at)
            if driver.due("run monitoring", at, SENSOR_EVERY):
                driver.monitor_runs()
            driver.evaluate_sensors(at, SENSOR_EVERY)
            driver.evaluate_automation(at, AUTOMATION_EVERY)
        if at.tz_convert("America/New_York").hour == 0 and at.minute == 0:
            progress(
                f"{at.tz_convert('America/New_York'):%a %Y-%m-%d} New York: "
                f"{len(driver.launches)} runs so far"
            )
        previous, at = at, at + STEP


def rehearse(
    instance: dg.DagsterInstance, legs: tuple[Leg, ...], workdir: Path, progress=print
) -> tuple[ClockDriver, KilledRun, list[str]]:
    """Operate a fresh deployment through ``legs``; the driver, the killed run, catch-up runs."""
    defs = rehearsal_definitions()
    killed = KilledRun(instance, workdir)
    driver = ClockDriver(defs, instance, divert=killed)
    catch_ups: list[str] = []
    for index, leg in enumerate(legs):
        if index:
            progress(f"operator catch-up backfill up to {leg.start}")
            with driver.ticks.timed("operator catch-up"):
                catch_ups += catch_up(driver, leg.start)
        progress(f"leg {index + 1}: {leg.start} .. {leg.end} ({leg.days:.2f} days)")
        advance(driver, leg, progress)
    return driver, killed, catch_ups
