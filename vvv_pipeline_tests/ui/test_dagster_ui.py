"""The Dagster UI as an operator sees it: headless Chromium against a local webserver.

One test walks the asset graph: every group the code location declares, every asset under its
group, the group-to-group lineage edges, the upstream edge of a derived asset, the checks of a
source, and every declared schedule and sensor on the automation page. The other opens
``daily_ohlcv``'s partitions view, launches a backfill over two sessions from the Materialize
dialog, waits in the UI until the backfill daemon has finished it, and then confirms the outcome
three ways: GraphQL, the instance's materialized partitions, and the rows in the warehouse.
Screenshots of each step land in :func:`artifacts_dir` (``dagster_ui_*.png``). Both run on the
shared deployment of :mod:`vvv_pipeline_tests.ui.conftest` (the shipped instance, webserver and
daemon, the project's definitions plus a test schedule): starting a deployment costs more than
either walk.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from pathlib import Path

import dagster as dg
import pytest
from playwright.sync_api import Locator, Page, expect

from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline.storage.duckdb_connect import connect
from vvv_pipeline.universe import load_universe
from vvv_pipeline_tests.browser import artifacts_dir, open_page, save_screenshot
from vvv_pipeline_tests.ui.conftest import DaemonDeployment
from vvv_pipeline_tests.ui.webserver import DagsterDeployment

pytestmark = pytest.mark.slow

VIEWPORT = (1600, 1000)
UI_MS = 60_000
BACKFILL_TIMEOUT_S = 150.0
BACKFILL_ASSET = "daily_ohlcv"
BACKFILL_SESSIONS = ("2025-11-24", "2025-11-25")  # Monday and Tuesday of Thanksgiving week
LINEAGE_CHILD, LINEAGE_PARENT = "equity_time_bars", "equity_ticks"
CHECKED_SOURCE = "equity_ticks"
REQUIRED_GROUPS = {"sources", "bars", "metadata"}
DISTINCT_EDGES = """() => new Set([...document.querySelectorAll('svg path[marker-end]')]
  .map(p => p.getAttribute('d'))).size"""
"""Edges drawn in the graph; the highlighted set repeats paths, so count distinct outlines."""
ASSET_GRAPH_QUERY = """query { assetNodes {
  assetKey { path } groupName dependencyKeys { path }
  assetChecksOrError { ... on AssetChecks { checks { name } } }
} }"""
BACKFILL_QUERY = """query($id: String!) { partitionBackfillOrError(backfillId: $id) {
  ... on PartitionBackfill { status partitionNames runs(limit: 10) { status } }
} }"""
PARTITION_STATUS_QUERY = """query($key: AssetKeyInput!) { assetNodes(assetKeys: [$key]) {
  assetPartitionStatuses { ... on TimePartitionStatuses { ranges { status startKey endKey } } }
} }"""


def declared_graph(
    defs: dg.Definitions,
) -> tuple[dict[str, str], set[tuple[str, str]], dict[str, set[str]]]:
    """(asset -> group, (parent, child) edges, asset -> check names) from the definitions."""
    graph = defs.resolve_asset_graph()
    groups, edges = {}, set()
    for key in graph.get_all_asset_keys():
        name = key.to_user_string()
        groups[name] = graph.get(key).group_name
        edges |= {(parent.to_user_string(), name) for parent in graph.get(key).parent_keys}
    checks: dict[str, set[str]] = defaultdict(set)
    for check in graph.asset_check_keys:
        checks[check.asset_key.to_user_string()].add(check.name)
    return groups, edges, dict(checks)


def declared_automation(defs: dg.Definitions) -> dict[str, list[str]]:
    """Schedule and sensor names the definitions declare, keyed by their UI path segment."""
    return {
        "schedules": sorted(schedule.name for schedule in defs.schedules or ()),
        "sensors": sorted(sensor.name for sensor in defs.sensors or ()),
    }


def served_graph(dagster: DagsterDeployment) -> tuple[dict, set, dict]:
    """The same three views of the graph, as the webserver's GraphQL API serves them to the UI."""
    nodes = dagster.graphql(ASSET_GRAPH_QUERY)["assetNodes"]
    groups = {"/".join(n["assetKey"]["path"]): n["groupName"] for n in nodes}
    edges = {
        ("/".join(dep["path"]), "/".join(n["assetKey"]["path"]))
        for n in nodes
        for dep in n["dependencyKeys"]
    }
    checks = {
        "/".join(n["assetKey"]["path"]): {c["name"] for c in n["assetChecksOrError"]["checks"]}
        for n in nodes
        if n["assetChecksOrError"].get("checks")
    }
    return groups, edges, checks


def shot(page: Page, step: str) -> Path:
    return save_screenshot(page, artifacts_dir() / f"dagster_ui_{step}.png")


def seen(locator: Locator) -> None:
    expect(locator).to_be_visible(timeout=UI_MS)


def wait_for_edges(page: Page, expected: int) -> None:
    page.wait_for_function(f"() => ({DISTINCT_EDGES})() === {expected}", timeout=UI_MS)


def test_ui_shows_every_declared_group_asset_lineage_edge_check_and_automation(
    daemon_deployment: DaemonDeployment,
):
    dagster = daemon_deployment.dagster
    defs = build_definitions()
    groups, edges, checks = declared_graph(defs)
    declared_groups = set(groups.values())
    assert declared_groups >= REQUIRED_GROUPS
    group_links = {(groups[a], groups[b]) for a, b in edges if groups[a] != groups[b]}
    assert served_graph(dagster) == (groups, edges, checks)
    with open_page(f"{dagster.url}/asset-groups", VIEWPORT, wait_for_plotly=False) as page:
        page.set_default_timeout(UI_MS)
        seen(page.get_by_text("Global asset lineage"))
        for group in sorted(declared_groups):  # collapsed group nodes show their asset count
            size = sum(g == group for g in groups.values())
            node = page.locator("foreignObject.group").filter(
                has=page.get_by_text(group, exact=True)
            )
            expect(node).to_contain_text(re.compile(rf"^{group}\s*{size}\b"), timeout=UI_MS)
        wait_for_edges(page, len(group_links))  # one edge per linked pair of groups
        shot(page, "01_asset_graph_groups")

        for group in sorted(declared_groups):  # every asset listed under its own group
            page.goto(f"{dagster.url}/locations/{dagster.location_name}/asset-groups/{group}/list")
            members = sorted(name for name, g in groups.items() if g == group)
            for name in members:
                seen(page.locator(f'a[href="/assets/{name}"]').first)
            if group == "metadata":
                shot(page, "02_metadata_tiers_list")

        page.goto(f"{dagster.url}/assets/{LINEAGE_CHILD}?view=lineage&lineageScope=upstream")
        seen(page.get_by_text(LINEAGE_PARENT, exact=True))
        parents = {a for a, b in edges if b == LINEAGE_CHILD}
        assert parents == {LINEAGE_PARENT}
        wait_for_edges(page, len(parents))
        shot(page, "03_lineage_upstream")

        page.goto(f"{dagster.url}/assets/{CHECKED_SOURCE}?view=checks")
        source_checks = checks[CHECKED_SOURCE]
        seen(page.get_by_text(f"Checks ({len(source_checks)})"))
        for name in sorted(source_checks):
            seen(page.get_by_text(name, exact=True).first)
        shot(page, "04_source_checks")

        page.goto(f"{dagster.url}/automation")
        for kind, names in declared_automation(defs).items():
            for name in names:
                seen(page.locator(f'a[href="/locations/{dagster.location_name}/{kind}/{name}"]'))
        shot(page, "05_automation")


def launch_backfill_from_partitions_view(page: Page, url: str) -> str:
    """Materialize dialog on the partitions tab, a typed two-session range; the backfill id."""
    page.goto(f"{url}/assets/{BACKFILL_ASSET}?view=partitions")
    seen(page.get_by_text("Materialized (0)"))
    shot(page, "06_partitions_before")
    page.get_by_role("button", name="Materialize…").first.click()
    dialog = page.get_by_role("dialog")
    seen(dialog.get_by_text(f"Launch runs to materialize {BACKFILL_ASSET}"))
    show_all = dialog.get_by_text("Show all partitions")  # older sessions are hidden by default
    if show_all.count():
        show_all.click()
    selection = dialog.get_by_role("textbox").first
    selection.fill(f"[{BACKFILL_SESSIONS[0]}...{BACKFILL_SESSIONS[-1]}]")
    selection.press("Enter")
    seen(dialog.get_by_text(f"{len(BACKFILL_SESSIONS)} partitions", exact=True))
    shot(page, "07_backfill_dialog")
    dialog.get_by_role("button", name="Launch backfill").click()
    toast = page.get_by_text(re.compile(r"Created backfill \w+"))
    seen(toast)
    backfill_id = toast.inner_text().split()[-1]
    page.get_by_role("link", name="View", exact=True).click()
    expect(page).to_have_url(re.compile(rf"/runs/b/{backfill_id}"), timeout=UI_MS)
    shot(page, "08_backfill_launched")
    return backfill_id


def wait_until_backfill_succeeds(page: Page) -> None:
    """Reload the backfill page until its status reads Succeeded; fail fast on a bad ending."""
    status = page.get_by_text("Status", exact=True).locator("xpath=..")
    deadline = time.monotonic() + BACKFILL_TIMEOUT_S
    while True:
        seen(status)
        text = status.inner_text()
        if "Succeeded" in text:
            return
        assert not re.search(r"Failed|Canceled", text), f"backfill ended badly: {text!r}"
        assert time.monotonic() < deadline, f"backfill still {text!r} after {BACKFILL_TIMEOUT_S}s"
        page.wait_for_timeout(3000)
        page.reload()


def test_backfill_launched_from_the_partitions_view_materializes_exactly_its_range(
    daemon_deployment: DaemonDeployment,
):
    dagster = daemon_deployment.dagster
    with open_page(dagster.url, VIEWPORT, wait_for_plotly=False) as page:
        page.set_default_timeout(UI_MS)
        backfill_id = launch_backfill_from_partitions_view(page, dagster.url)
        wait_until_backfill_succeeds(page)
        seen(page.get_by_text("100% completed"))
        shot(page, "09_backfill_done")
        page.goto(f"{dagster.url}/assets/{BACKFILL_ASSET}?view=partitions")
        seen(page.get_by_text(f"Materialized ({len(BACKFILL_SESSIONS)})"))
        shot(page, "10_partitions_after")

    backfill = dagster.graphql(BACKFILL_QUERY, {"id": backfill_id})["partitionBackfillOrError"]
    assert backfill["status"] == "COMPLETED_SUCCESS"
    assert backfill["partitionNames"] == list(BACKFILL_SESSIONS)
    assert [run["status"] for run in backfill["runs"]] == ["SUCCESS"]  # single-run policy
    key = {"path": [BACKFILL_ASSET]}
    status = dagster.graphql(PARTITION_STATUS_QUERY, {"key": key})["assetNodes"][0]
    first, last = BACKFILL_SESSIONS[0], BACKFILL_SESSIONS[-1]
    assert status["assetPartitionStatuses"]["ranges"] == [
        {"status": "MATERIALIZED", "startKey": first, "endKey": last}
    ]

    instance = dg.DagsterInstance.from_config(str(dagster.home))
    try:
        materialized = instance.get_materialized_partitions(dg.AssetKey(BACKFILL_ASSET))
    finally:
        instance.dispose()
    assert materialized == set(BACKFILL_SESSIONS)

    # the deployment still runs: wait out a run that may hold the warehouse, as the IO manager does
    with connect(str(dagster.data_dir / "warehouse.duckdb")) as warehouse:
        rows = warehouse.sql(
            "select symbol, strftime(timezone('America/New_York', ts), '%Y-%m-%d') as session "
            f"from sources.{BACKFILL_ASSET}"
        ).fetchall()
    instruments = load_universe().daily_ohlcv
    assert len(rows) == len(instruments) * len(BACKFILL_SESSIONS)
    assert set(rows) == {(s, day) for s in instruments for day in BACKFILL_SESSIONS}
