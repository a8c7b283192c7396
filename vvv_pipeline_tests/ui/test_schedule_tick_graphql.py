"""A schedule tick end to end: the real scheduler daemon ticks, launches a run, the run succeeds.

``dagster-webserver`` and ``dagster-daemon`` run over a fresh instance configured by the shipped
``dagster.yaml`` (locked SQLite storage, the project's run launcher, run monitoring), with the
test code location :mod:`vvv_pipeline_tests.ui.minutely_location`: the project's definitions
plus a RUNNING schedule that requests the previous UTC hour of ``hourly_sources_job`` every
minute. Everything the test asserts is read back through the webserver's GraphQL API (and the
materialized partitions once more through the instance): the tick succeeded with one run, that
run succeeded with the schedule's and the partition's tags and the worker-host tag the project's
launcher adds, and every asset of the job has that hour materialized by that run. Afterwards no
process of the deployment may be left.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from vvv_pipeline.defs.automation.run_launcher import WORKER_HOST_TAG, this_host
from vvv_pipeline.defs.jobs import JOB_ASSETS
from vvv_pipeline_tests.browser import REPO_ROOT
from vvv_pipeline_tests.ui.minutely_location import MINUTELY_SCHEDULE
from vvv_pipeline_tests.ui.webserver import project_instance_yaml, running_dagster

pytestmark = pytest.mark.slow

LOCATION = "vvv_pipeline_minutely"
REPOSITORY = "__repository__"
"""The name Dagster gives the repository of a module-level ``Definitions``."""
JOB = "hourly_sources_job"
TICK_TIMEOUT_S = 150.0
RUN_TIMEOUT_S = 180.0
TEARDOWN_TIMEOUT_S = 15.0
POLL_S = 2.0
WORKSPACE_YAML = """\
load_from:
  - python_module:
      module_name: vvv_pipeline_tests.ui.minutely_location
      location_name: {location}
      working_directory: {repo}
"""
DAEMONS = ("SCHEDULER", "QUEUED_RUN_COORDINATOR", "MONITORING")
"""Daemons the shipped instance needs for a scheduled run: ticks, the run queue, run monitoring."""
TICKS_QUERY = """query($selector: ScheduleSelector!) {
scheduleOrError(scheduleSelector: $selector) {
  __typename
  ... on Schedule { scheduleState { status ticks(limit: 5) {
    status runIds timestamp skipReason error { message }
  } } }
  ... on PythonError { message }
  ... on ScheduleNotFoundError { message }
} }"""
RUN_QUERY = """query($id: ID!) { runOrError(runId: $id) {
  __typename
  ... on Run { runId status jobName tags { key value } }
  ... on PythonError { message }
  ... on RunNotFoundError { message }
} }"""
RUN_EVENTS_QUERY = """query($id: ID!) { logsForRun(runId: $id, limit: 500) {
  ... on EventConnection { events {
    ... on MessageEvent { message level } ... on ErrorEvent { error { message } }
  } }
} }"""
MATERIALIZATIONS_QUERY = """query($key: AssetKeyInput!, $partitions: [String!]) {
  assetOrError(assetKey: $key) {
    __typename
    ... on Asset { assetMaterializations(partitions: $partitions) { partition runId } }
  }
}"""
TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}


def previous_hour(at: pd.Timestamp) -> str:
    """The hourly partition key of the UTC hour before the one holding ``at``."""
    return (at.tz_convert("UTC").floor("h") - pd.Timedelta(hours=1)).strftime("%Y-%m-%d-%H:%M")


def wait_for_successful_tick(dagster, selector: dict[str, str]) -> dict:
    """The first SUCCESS tick of the schedule; fails at once on a failed or skipped first tick."""
    deadline = time.monotonic() + TICK_TIMEOUT_S
    ticks: list[dict] = []
    while time.monotonic() < deadline:
        answer = dagster.graphql(TICKS_QUERY, {"selector": selector})["scheduleOrError"]
        assert answer["__typename"] == "Schedule", f"schedule not served: {answer}"
        state = answer["scheduleState"]
        assert state["status"] == "RUNNING", f"{MINUTELY_SCHEDULE} is {state['status']}"
        ticks = sorted(state["ticks"], key=lambda tick: tick["timestamp"])
        for tick in ticks:
            if tick["status"] == "SUCCESS":
                return tick
            assert tick["status"] not in ("FAILURE", "SKIPPED"), f"tick went wrong: {tick}"
        time.sleep(POLL_S)
    raise AssertionError(f"no SUCCESS tick within {TICK_TIMEOUT_S:.0f}s; ticks: {ticks}")


def wait_for_run_end(dagster, run_id: str) -> dict:
    """The run as GraphQL serves it once it reached a terminal status."""
    deadline = time.monotonic() + RUN_TIMEOUT_S
    run: dict = {}
    while time.monotonic() < deadline:
        run = dagster.graphql(RUN_QUERY, {"id": run_id})["runOrError"]
        assert run["__typename"] == "Run", f"run {run_id} not served: {run}"
        if run["status"] in TERMINAL:
            return run
        time.sleep(POLL_S)
    raise AssertionError(f"run {run_id} still {run.get('status')} after {RUN_TIMEOUT_S:.0f}s")


def run_errors(dagster, run_id: str) -> list[str]:
    """The run's ERROR-level messages and their errors, for a failure that says what went wrong."""
    events = dagster.graphql(RUN_EVENTS_QUERY, {"id": run_id})["logsForRun"].get("events", [])
    return [
        " ".join([e["message"], (e.get("error") or {}).get("message", "")]).strip()
        for e in events
        if e.get("level") == "ERROR"
    ]


def processes_of(home: Path) -> dict[int, str]:
    """Command line of every live process whose environment names ``home`` as DAGSTER_HOME."""
    marker = f"DAGSTER_HOME={home.resolve()}".encode()
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if marker not in (proc / "environ").read_bytes().split(b"\0"):
                continue
            state = (proc / "stat").read_text().rsplit(")", 1)[-1].split()[0]
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue
        if state != "Z":  # a zombie has already exited; only its parent's wait is pending
            found[int(proc.name)] = command.strip()
    return found


def end_leftovers(home: Path) -> dict[int, str]:
    """Wait for the deployment's processes to be gone; SIGKILL and return any that stay."""
    deadline = time.monotonic() + TEARDOWN_TIMEOUT_S
    while (left := processes_of(home)) and time.monotonic() < deadline:
        time.sleep(0.5)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return left


def test_minutely_schedule_tick_launches_a_run_that_materializes_the_previous_hour(tmp_path):
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text(WORKSPACE_YAML.format(location=LOCATION, repo=REPO_ROOT))
    selector = {
        "repositoryLocationName": LOCATION,
        "repositoryName": REPOSITORY,
        "scheduleName": MINUTELY_SCHEDULE,
    }
    home = tmp_path / "dagster_home"
    started = pd.Timestamp.now("UTC")
    try:
        with running_dagster(
            tmp_path,
            workspace=workspace,
            location_name=LOCATION,
            instance_yaml=project_instance_yaml,
            daemons=DAEMONS,
        ) as dagster:
            assert dagster.home == home
            tick = wait_for_successful_tick(dagster, selector)
            tick_time = pd.Timestamp(tick["timestamp"], unit="s", tz="UTC")
            assert started.floor("min") <= tick_time <= pd.Timestamp.now("UTC"), tick
            assert len(tick["runIds"]) == 1, tick
            run_id = tick["runIds"][0]
            partition = previous_hour(tick_time)  # what hourly_crypto_schedule asks at that time

            run = wait_for_run_end(dagster, run_id)
            assert run["status"] == "SUCCESS", (run, run_errors(dagster, run_id))
            assert run["jobName"] == JOB
            tags = {tag["key"]: tag["value"] for tag in run["tags"]}
            assert tags.get("dagster/schedule_name") == MINUTELY_SCHEDULE, tags
            assert tags.get("dagster/partition") == partition, tags
            assert tags.get(WORKER_HOST_TAG) == this_host(), tags

            for asset in JOB_ASSETS[JOB]:
                answer = dagster.graphql(
                    MATERIALIZATIONS_QUERY, {"key": {"path": [asset]}, "partitions": [partition]}
                )["assetOrError"]
                assert answer["__typename"] == "Asset", (asset, answer)
                assert answer["assetMaterializations"] == [
                    {"partition": partition, "runId": run_id}
                ], asset

            instance = dg.DagsterInstance.from_config(str(home))
            try:
                materialized = instance.get_materialized_partitions(dg.AssetKey("crypto_trades"))
            finally:
                instance.dispose()
            assert materialized == {partition}
    finally:
        left = end_leftovers(home)
    assert not left, f"processes of the deployment outlived it (killed now): {left}"
