"""What the Dagster UI shows about the main command's runs is true.

``vvv-pipeline run --sessions 2 --scale tiny`` ran as a subprocess in a project folder as on a
fresh clone (the session's first run, :mod:`vvv_pipeline_tests.main_command`; this test is the
one that uses that project in place); then the real webserver opens that instance and headless
Chromium reads the pages an operator reads. A run launched from the UI starts at once (Dagster's
default coordinator instead of the shipped queue, so no daemon is needed); everything else is
the shipped configuration.

What the pages must show:

* ``equity_ticks`` -> Partitions, one session at a time: the row count, first and last timestamp
  shown for each partition are that partition's own, equal to the rows stored in ArcticDB for it
  (read here with ArcticDB directly), and not the run's range total;
* ``equity_ticks`` -> Checks -> ``tier1_structure`` -> Partitions: the materialized sessions count
  as Passed, none of them as Missing, and a selected session says how many of its rows passed;
* the CLI's hourly run, re-executed with "Re-execute all" on its run page, reaches Success (read
  in the UI, in GraphQL and in the instance: parent, job, every partition written again);
* each job's Runs tab lists exactly that job's runs: the CLI's, and the re-execution.

The ground truth is independent of the pages: ArcticDB's stored symbols, the webserver's GraphQL
API and the instance. Screenshots of every view land in :func:`artifacts_dir`
(``ui_truth_*.png``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import arcticdb as adb
import dagster as dg
import pytest
from playwright.sync_api import Locator, Page, expect

from vvv_pipeline.defs.automation.run_launcher import (
    COMMAND_RUN_TAG,
    COMMAND_RUN_VALUE,
    LAUNCHED_RUN_VALUE,
)
from vvv_pipeline_tests.browser import artifacts_dir, open_page, save_screenshot
from vvv_pipeline_tests.main_command import FirstRun
from vvv_pipeline_tests.ui.webserver import (
    DagsterDeployment,
    project_instance_yaml,
    running_dagster,
)

pytestmark = [pytest.mark.slow, pytest.mark.integration]

SESSIONS = ("2025-11-24", "2025-11-25")
AS_OF = "2025-11-26"
ASSET = "equity_ticks"
TICK_PREFIX = "equity"
"""ArcticDB keeps a session of equity ticks as ``equity/<symbol>/<session>`` in ``tick_data``."""
CHECK = "tier1_structure"
REEXECUTED_JOB = "hourly_sources_job"
HOURS = 48
"""UTC hours of the two New York days the hourly run covered."""
HOURLY_ASSETS = 2
IMMEDIATE_COORDINATOR = {
    "module": "dagster._core.run_coordinator",
    "class": "DefaultRunCoordinator",
}
RUN_TIMEOUT_S = 300.0
UI_MS = 60_000
VIEWPORT = (1600, 1500)
"""Tall enough that a partition's first_ts and last_ts rows show below its preview table."""
RUN_DONE = re.compile(r"^  (\w+_job): ok in [\d.]+s \(run ([0-9a-f-]{36})\)$", re.MULTILINE)
RUN_LINK = re.compile(r"^/runs/([0-9a-f-]{36})$")
TERMINAL = {"SUCCESS", "FAILURE", "CANCELED"}
RUN_QUERY = """query($id: ID!) { runOrError(runId: $id) {
  __typename
  ... on Run { runId status jobName parentRunId rootRunId }
} }"""
JOB_RUNS_QUERY = """query($job: String!) { runsOrError(filter: {pipelineName: $job}) {
  ... on Runs { results { runId } }
} }"""
CHECK_EXECUTIONS_QUERY = """query($key: AssetKeyInput!, $check: String!) {
  assetCheckExecutions(assetKey: $key, checkName: $check, limit: 50) {
    runId status partition evaluation { success description }
  }
}"""
MATERIALIZED_QUERY = """query($key: AssetKeyInput!) { assetNodes(assetKeys: [$key]) {
  assetPartitionStatuses { ... on TimePartitionStatuses { ranges { status startKey endKey } } }
} }"""


def ui_instance_yaml(project: Path) -> Callable[[Path], str]:
    """The shipped ``dagster.yaml`` over ``project``'s instance (its ``data/dagster`` folders),
    except that a run launched from the UI starts at once: the shipped coordinator queues it for
    a daemon, and a daemon (its own code server, sensors ticking every 30 s) would only compete
    with the runs for two busy cores."""
    folders = (project / "data" / "dagster").resolve()
    return lambda _home: project_instance_yaml(folders, {"run_coordinator": IMMEDIATE_COORDINATOR})


def command_runs(first: FirstRun) -> list[tuple[str, str]]:
    """The (job, run id) lines of the command's first run, in order."""
    assert f"sessions {SESSIONS[0]} .. {SESSIONS[-1]} ({len(SESSIONS)})" in first.stdout
    runs = RUN_DONE.findall(first.stdout)
    assert [job for job, _ in runs] == [
        "hourly_sources_job",
        "calendar_day_sources_job",
        "session_sources_job",
        "coverage_report_job",
    ], first.stdout
    return runs


def stored_partitions(data_dir: Path) -> dict[str, dict[str, object]]:
    """Per session: rows, first and last ``ts`` of the ``equity/*/<session>`` symbols stored.

    Read with ArcticDB itself, not through the pipeline's store; done before any server starts,
    and the handle is dropped afterwards."""
    arctic = adb.Arctic(f"lmdb://{data_dir.resolve() / 'arcticdb'}")
    library = arctic["tick_data"]
    stored: dict[str, dict[str, object]] = {}
    for session in SESSIONS:
        names = [
            name
            for name in library.list_symbols()
            if name.startswith(f"{TICK_PREFIX}/") and name.endswith(f"/{session}")
        ]
        described = [library.get_description(name) for name in names]  # rows, ts index range
        stored[session] = {
            "rows": sum(d.row_count for d in described),
            "first_ts": str(min(d.date_range[0] for d in described)),
            "last_ts": str(max(d.date_range[1] for d in described)),
        }
    del library, arctic
    return stored


def shot(page: Page, name: str) -> Path:
    return save_screenshot(page, artifacts_dir() / f"ui_truth_{name}.png")


def seen(locator: Locator) -> None:
    expect(locator).to_be_visible(timeout=UI_MS)


def metadata_value(page: Page, label: str) -> str:
    """The value cell of the metadata table row whose label is exactly ``label``."""
    row = page.locator("tr").filter(has=page.get_by_text(label, exact=True))
    seen(row.first)
    assert row.count() == 1, f"{row.count()} metadata rows labelled {label!r}"
    return row.locator("td").nth(1).inner_text().strip()


def status_count(page: Page, status: str) -> int:
    """N of a partition status filter ``<status> (N)`` (exactly that status, not a longer one)."""
    label = page.get_by_text(re.compile(rf"^{re.escape(status)} \(\d+\)$"))
    seen(label.first)
    return int(re.search(r"\((\d+)\)", label.first.inner_text()).group(1))


def selected_count(page: Page) -> int:
    label = page.get_by_text(re.compile(r"^\d+ Partitions? Selected$"))
    seen(label.first)
    return int(label.first.inner_text().split()[0])


def open_partition(page: Page, url: str, session: str) -> dict[str, str | int]:
    """The asset's Partitions tab with ``session`` selected: what its detail panel says."""
    page.goto(f"{url}/assets/{ASSET}?view=partitions&partition={session}")
    heading = page.locator(f'[data-tooltip="{session}"]')  # the detail panel's title and tag
    seen(heading.filter(has=page.get_by_text("Materialized", exact=True)))
    seen(page.get_by_text("Latest materialization"))
    return {
        "rows": int(metadata_value(page, "dagster/row_count").replace(",", "")),
        "first_ts": metadata_value(page, "first_ts"),
        "last_ts": metadata_value(page, "last_ts"),
    }


def linked_runs(page: Page) -> set[str]:
    """Run ids the page links to (``/runs/<id>``)."""
    hrefs = [a.get_attribute("href") or "" for a in page.locator("a[href^='/runs/']").all()]
    return {m.group(1) for href in hrefs if (m := RUN_LINK.match(href))}


def wait_for_run_end(dagster: DagsterDeployment, run_id: str) -> dict:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    run: dict = {}
    while time.monotonic() < deadline:
        run = dagster.graphql(RUN_QUERY, {"id": run_id})["runOrError"]
        assert run["__typename"] == "Run", run
        if run["status"] in TERMINAL:
            return run
        time.sleep(2)
    raise AssertionError(f"run {run_id} still {run.get('status')} after {RUN_TIMEOUT_S:.0f}s")


def test_the_ui_shows_the_commands_runs_as_they_are(main_command_first_run: FirstRun):
    project = main_command_first_run.project  # in place: see vvv_pipeline_tests.main_command
    runs = command_runs(main_command_first_run)
    cli_runs = dict(runs)
    stored = stored_partitions(project / "data")
    range_total = sum(int(part["rows"]) for part in stored.values())
    assert all(0 < int(part["rows"]) < range_total for part in stored.values()), stored

    instance_yaml = ui_instance_yaml(project)
    # the command ran with great-expectations on (the default), and so must the UI
    with running_dagster(
        project, daemon=False, instance_yaml=instance_yaml, unset=("VVV_GX",)
    ) as dagster:
        dagster.graphql("mutation { setNuxSeen }")  # the newsletter dialog would cover pages
        parent = cli_runs[REEXECUTED_JOB]
        with open_page(f"{dagster.url}/runs/{parent}", VIEWPORT, wait_for_plotly=False) as page:
            page.set_default_timeout(UI_MS)

            # (c) first launched, so the run works while the other pages are read
            seen(page.get_by_text("Success", exact=True).first)
            seen(page.get_by_text("RUN_SUCCESS").first)  # the event log has loaded
            shot(page, "01_cli_run")
            page.get_by_role("button", name=re.compile(r"^Re-execute all")).click()
            new_run = re.compile(rf"/runs/(?!{parent})([0-9a-f-]{{36}})$")
            expect(page).to_have_url(new_run, timeout=UI_MS)
            child = new_run.search(page.url).group(1)

            # (a) each session's own rows, as stored; not the range's
            key = {"path": [ASSET]}
            for step, session in enumerate(SESSIONS, start=2):
                shown = open_partition(page, dagster.url, session)
                assert status_count(page, "Materialized") == len(SESSIONS)
                shot(page, f"0{step}_partition_{session}")
                assert shown == stored[session], (session, shown, stored[session])
                assert shown["rows"] != range_total
                assert str(shown["first_ts"]).startswith(session)
                assert str(shown["last_ts"]).startswith(session)
            ranges = dagster.graphql(MATERIALIZED_QUERY, {"key": key})["assetNodes"][0]
            assert ranges["assetPartitionStatuses"]["ranges"] == [
                {"status": "MATERIALIZED", "startKey": SESSIONS[0], "endKey": SESSIONS[-1]}
            ]

            # (b) the check's partitions: the materialized sessions are Passed, not Missing
            page.goto(f"{dagster.url}/assets/{ASSET}?view=checks&checkDetail={CHECK}")
            page.locator("button[role=tab]").filter(has_text="Partitions").click()
            every = selected_count(page)
            assert status_count(page, "Passed") == len(SESSIONS)
            assert status_count(page, "Missing") == every - len(SESSIONS)
            assert status_count(page, "Failed") == 0
            selection = page.locator("input[value^='[']").first.element_handle()
            selection.fill(f"[{SESSIONS[0]}...{SESSIONS[-1]}]")
            selection.press("Enter")
            expect(page.get_by_text(f"{len(SESSIONS)} Partitions Selected")).to_be_visible()
            assert status_count(page, "Passed") == len(SESSIONS)
            assert status_count(page, "Missing") == 0
            assert status_count(page, "Failed") == 0
            page.get_by_text(SESSIONS[0], exact=True).first.click()
            seen(page.get_by_text(f"all {stored[SESSIONS[0]]['rows']} rows pass").first)
            seen(page.get_by_text("Passed", exact=True).first)
            shot(page, "04_check_partitions")
            executions = dagster.graphql(CHECK_EXECUTIONS_QUERY, {"key": key, "check": CHECK})
            by_partition = {e["partition"]: e for e in executions["assetCheckExecutions"]}
            assert set(by_partition) == set(SESSIONS)
            for session, execution in by_partition.items():
                assert execution["status"] == "SUCCEEDED"
                assert execution["runId"] == cli_runs["session_sources_job"]
                rows = stored[session]["rows"]
                assert execution["evaluation"]["description"] == f"all {rows} rows pass"

            # (c) the re-execution reaches Success: GraphQL, then the run page
            finished = wait_for_run_end(dagster, child)
            assert finished["status"] == "SUCCESS", finished
            assert finished["jobName"] == REEXECUTED_JOB
            assert finished["parentRunId"] == finished["rootRunId"] == parent
            page.goto(f"{dagster.url}/runs/{child}")
            seen(page.get_by_text("Success", exact=True).first)
            seen(page.get_by_text("RUN_SUCCESS").first)
            seen(page.get_by_text("Re-executions (1)"))
            seen(page.get_by_text("ROOT", exact=True))  # the CLI's run, listed as the root
            seen(page.get_by_text(parent[:8]).first)
            shot(page, "05_reexecution_success")

            # (d) each job's Runs tab lists exactly its runs
            for step, (job, run_id) in enumerate(runs, start=6):
                expected = {run_id, child} if job == REEXECUTED_JOB else {run_id}
                served = dagster.graphql(JOB_RUNS_QUERY, {"job": job})["runsOrError"]["results"]
                assert {r["runId"] for r in served} == expected
                page.goto(f"{dagster.url}/locations/{dagster.location_name}/jobs/{job}/runs")
                for listed in expected:
                    seen(page.locator(f"a[href='/runs/{listed}']").filter(has_text=listed[:8]))
                assert linked_runs(page) == expected
                shot(page, f"0{step}_{job}_runs")

        instance = dg.DagsterInstance.from_config(str(dagster.home))
        try:
            run = instance.get_run_by_id(child)
            assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
            assert run.parent_run_id == parent and run.job_name == REEXECUTED_JOB
            # a run worker executes the re-execution: "Terminate" must signal it, not the command
            assert instance.get_run_by_id(parent).tags[COMMAND_RUN_TAG] == COMMAND_RUN_VALUE
            assert run.tags[COMMAND_RUN_TAG] == LAUNCHED_RUN_VALUE
            written = instance.get_records_for_run(
                child, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, limit=1000
            ).records
            assert len(written) == HOURLY_ASSETS * HOURS
            assert instance.get_materialized_partitions(dg.AssetKey(ASSET)) == set(SESSIONS)
        finally:
            instance.dispose()
