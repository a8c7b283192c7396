"""A backfill larger than ``VVV_BACKFILL_MAX_PARTITIONS`` is refused unless confirmed by a tag.

Backfills are added to a real instance with the shipped run coordinator, as the UI's launch
dialog adds them, and submitted by one iteration of Dagster's backfill daemon against an
in-process workspace of the project's definitions.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import dagster as dg
import pytest
import yaml

from vvv_pipeline.defs.automation.backfill_guard import (
    CONFIRM_TAG,
    REFUSED_TAG,
    refusal,
)
from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline_tests.conftest import WEEK
from vvv_pipeline_tests.dagster_internals import (
    BulkActionStatus,
    DagsterRunStatus,
    InProcessCodeLocationOrigin,
    InProcessTestWorkspaceLoadTarget,
    LoadableTargetOrigin,
    PartitionBackfill,
    RunsFilter,
    WorkspaceProcessContext,
    execute_backfill_iteration,
)
from vvv_pipeline_tests.instance_home import PROJECT_INSTANCE_YAML

LIMIT = 4
SOURCES = [dg.AssetKey("equity_ticks"), dg.AssetKey("darkpool_prints")]  # single-run backfills


@pytest.fixture
def guarded(data_dir, monkeypatch) -> Iterator[dg.DagsterInstance]:
    """A test instance with the shipped ``dagster.yaml``'s run coordinator, limit 4."""
    monkeypatch.setenv("VVV_BACKFILL_MAX_PARTITIONS", str(LIMIT))
    shipped = yaml.safe_load(PROJECT_INSTANCE_YAML.read_text())
    with dg.instance_for_test(
        overrides={"run_coordinator": shipped["run_coordinator"]}
    ) as instance:
        yield instance


def _backfill(instance, backfill_id: str, keys: list[str], assets, tags=None) -> None:
    instance.add_backfill(
        PartitionBackfill.from_asset_partitions(
            backfill_id=backfill_id,
            asset_graph=build_definitions().resolve_asset_graph(),
            partition_names=keys,
            asset_selection=assets,
            backfill_timestamp=time.time(),
            tags=tags or {},
            dynamic_partitions_store=instance,
            all_partitions=False,
            title=None,
            description=None,
            run_config=None,
        )
    )


def _daemon_iteration(instance: dg.DagsterInstance) -> None:
    origin = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(module_name="vvv_pipeline.defs.definitions", attribute="defs")
    )
    target = InProcessTestWorkspaceLoadTarget(origin)
    with WorkspaceProcessContext(instance, target) as workspace:
        list(execute_backfill_iteration(workspace, logging.getLogger("backfill-test")))


def _runs(instance, backfill_id: str) -> list[dg.DagsterRun]:
    return instance.get_runs(RunsFilter(tags={"dagster/backfill": backfill_id}))


def test_a_backfill_over_the_limit_is_canceled_before_any_run_starts(guarded, caplog):
    _backfill(guarded, "big", WEEK, SOURCES)  # 2 assets x 5 sessions = 10 > 4
    with caplog.at_level(logging.WARNING):
        _daemon_iteration(guarded)

    runs = _runs(guarded, "big")
    assert runs and {run.status for run in runs} == {DagsterRunStatus.CANCELED}
    message = guarded.get_backfill("big").error.message
    for words in ("10 asset-partitions", "VVV_BACKFILL_MAX_PARTITIONS=4", f"{CONFIRM_TAG}=true"):
        assert words in message
    assert message in caplog.text  # the daemon's log
    for run in runs:  # the run's event log
        logs = guarded.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_CANCELED)
        assert [entry.message for entry in logs] == [message]

    backfill = guarded.get_backfill("big")
    assert backfill.status == BulkActionStatus.CANCELING
    assert backfill.tags[REFUSED_TAG] == "10 asset-partitions > 4"
    _daemon_iteration(guarded)  # the daemon finishes the cancellation: no run left to wait for
    assert guarded.get_backfill("big").status == BulkActionStatus.CANCELED
    assert guarded.get_backfill("big").error.message == message
    assert not guarded.get_runs(RunsFilter(statuses=[DagsterRunStatus.QUEUED]))
    for asset in SOURCES:
        assert not guarded.get_materialized_partitions(asset)


def test_the_confirm_tag_lets_a_large_backfill_through(guarded):
    _backfill(guarded, "confirmed", WEEK, SOURCES, tags={CONFIRM_TAG: "true"})
    _daemon_iteration(guarded)
    runs = _runs(guarded, "confirmed")
    assert runs and {run.status for run in runs} == {DagsterRunStatus.QUEUED}
    backfill = guarded.get_backfill("confirmed")
    assert backfill.status == BulkActionStatus.REQUESTED and REFUSED_TAG not in backfill.tags


def test_a_backfill_within_the_limit_is_queued(guarded):
    _backfill(guarded, "small", WEEK[:2], SOURCES)  # 2 x 2 = 4, the limit
    _daemon_iteration(guarded)
    runs = _runs(guarded, "small")
    assert runs and {run.status for run in runs} == {DagsterRunStatus.QUEUED}
    assert guarded.get_backfill("small").status == BulkActionStatus.REQUESTED


def test_zero_means_no_limit_and_finished_backfills_pass(data_dir, instance):
    _backfill(instance, "any", WEEK, SOURCES)
    backfill = instance.get_backfill("any")
    assert refusal(backfill, 0) is None
    assert refusal(backfill, 10) is None
    assert "10 asset-partitions" in refusal(backfill, 9)
    assert refusal(backfill.with_status(BulkActionStatus.COMPLETED_SUCCESS), 9) is None
