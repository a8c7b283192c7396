"""A schedule tick end to end: the real scheduler daemon ticks, launches a run, the run succeeds.

On the shared deployment of :mod:`vvv_pipeline_tests.ui.conftest` (``dagster-webserver`` and
``dagster-daemon`` over the shipped ``dagster.yaml``: locked SQLite storage, the run queue, the
project's run launcher, run monitoring) with the test code location
:mod:`vvv_pipeline_tests.ui.minutely_location`: the project's definitions plus a RUNNING schedule
that requests the previous UTC hour of ``hourly_sources_job`` every minute. Everything the test
asserts is read back through the webserver's GraphQL API (and the run's materializations once
more through the instance): the schedule's first tick succeeded with one run, that run succeeded
with the schedule's and the partition's tags and the worker-host tag the project's launcher
adds, and every asset of the job has that hour, and only that, materialized by that run. The
deployment's teardown checks that none of its processes is left.
"""

from __future__ import annotations

import time

import dagster as dg
import pandas as pd
import pytest

from vvv_pipeline.defs.automation.run_launcher import WORKER_HOST_TAG, this_host
from vvv_pipeline.defs.jobs import JOB_ASSETS
from vvv_pipeline_tests.ui.conftest import MINUTELY_LOCATION, DaemonDeployment
from vvv_pipeline_tests.ui.minutely_location import MINUTELY_SCHEDULE

pytestmark = pytest.mark.slow

REPOSITORY = "__repository__"
"""The name Dagster gives the repository of a module-level ``Definitions``."""
JOB = "hourly_sources_job"
TICK_TIMEOUT_S = 150.0
RUN_TIMEOUT_S = 180.0
POLL_S = 2.0
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


def test_minutely_schedule_tick_launches_a_run_that_materializes_the_previous_hour(
    daemon_deployment: DaemonDeployment,
):
    dagster = daemon_deployment.dagster
    selector = {
        "repositoryLocationName": MINUTELY_LOCATION,
        "repositoryName": REPOSITORY,
        "scheduleName": MINUTELY_SCHEDULE,
    }
    tick = wait_for_successful_tick(dagster, selector)
    tick_time = pd.Timestamp(tick["timestamp"], unit="s", tz="UTC")
    assert daemon_deployment.started.floor("min") <= tick_time <= pd.Timestamp.now("UTC"), tick
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
        assert answer["assetMaterializations"] == [{"partition": partition, "runId": run_id}], asset

    instance = dg.DagsterInstance.from_config(str(dagster.home))
    try:
        written = instance.get_records_for_run(
            run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, limit=100
        ).records
    finally:
        instance.dispose()
    # the run wrote its hour of each asset of the job, nothing else
    assert sorted(
        (r.event_log_entry.asset_materialization.asset_key.to_user_string(), r.partition_key)
        for r in written
    ) == sorted((asset, partition) for asset in JOB_ASSETS[JOB])
