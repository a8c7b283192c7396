"""What the UI shows per partition after one single-run range: that partition's own truth.

One run of ``session_sources_job`` over three sessions (two full days and the 13:00 early
close, so counts differ) with two faults: negative dark-pool prices on the middle session
(tier 1 rejects rows there and fails that partition) and AAPL price spikes on the first (tier 4
fails there). The run fails on the blocking dark-pool check, which is what a user sees too; the
equity sources and their bars still materialize. Materializations, check evaluations and the
check partition statuses are read back from the instance and through Dagster's GraphQL API,
the one the UI uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from dagster_graphql.test.utils import execute_dagster_graphql

from vvv_pipeline.bars.time import FREQUENCIES
from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline.defs.partitions import session_partitions, window_utc
from vvv_pipeline.read import load_bars
from vvv_pipeline.settings import SHIPPED_UNIVERSE
from vvv_pipeline.validation.gate import check_names
from vvv_pipeline_tests.assets.helpers import stored_table, stored_ticks
from vvv_pipeline_tests.assets.test_derived import EQUITIES, RANGE_TAGS
from vvv_pipeline_tests.dagster_internals import (
    InProcessCodeLocationOrigin,
    InProcessWorkspaceLoadTarget,
    LoadableTargetOrigin,
    WorkspaceProcessContext,
)
from vvv_pipeline_tests.instance_home import project_instance_for_test

KEYS = ["2025-11-25", "2025-11-26", "2025-11-28"]
SPIKED, REJECTED = KEYS[0], KEYS[1]
FAULTS = [
    {
        "kind": "negative_price",
        "source": "darkpool_prints",
        "start": f"{REJECTED}T00:00:00-05:00",
        "end": "2025-11-27T00:00:00-05:00",
        "count": 2,
    },
    {
        "kind": "price_spike",
        "source": "equity_ticks",
        "symbol": "AAPL",
        "start": f"{SPIKED}T00:00:00-05:00",
        "end": f"{REJECTED}T00:00:00-05:00",
        "count": 3,
    },
]
SOURCES = ("equity_ticks", "darkpool_prints", "options_flow", "daily_ohlcv")
CHECK_STATUSES = """
query($key: AssetKeyInput!) { assetNodes(assetKeys: [$key]) { assetChecksOrError {
  ... on AssetChecks { checks { name partitionStatuses {
    __typename ... on AssetCheckTimePartitionStatuses { ranges { startKey endKey status } }
  } } }
} } }
"""
CHECK_HISTORY = """
query($key: AssetKeyInput!, $check: String!) {
  assetCheckExecutions(assetKey: $key, checkName: $check, limit: 50) {
    partition status
    evaluation { description partition targetMaterialization { storageId runId } }
  }
}
"""


@dataclass(frozen=True)
class RangeRun:
    instance: dg.DagsterInstance
    result: dg.ExecuteInProcessResult


@pytest.fixture(scope="module")
def range_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RangeRun]:
    """The faulty three-session range run, shared by this module's tests (it takes seconds)."""
    root: Path = tmp_path_factory.mktemp("partition_metadata") / "data"
    root.mkdir()
    with pytest.MonkeyPatch.context() as env, project_instance_for_test() as instance:
        env.setenv("VVV_DATA_DIR", str(root))
        env.setenv("VVV_UNIVERSE", str(SHIPPED_UNIVERSE))
        env.setenv("VVV_SCALE", "tiny")
        env.setenv("VVV_GX", "0")
        env.delenv("VVV_ARCTIC_URI", raising=False)
        env.delenv("VVV_DUCKDB_PATH", raising=False)
        result = (
            build_definitions()
            .resolve_job_def("session_sources_job")
            .execute_in_process(
                instance=instance,
                tags=dict(zip(RANGE_TAGS, (KEYS[0], KEYS[-1]), strict=True)),
                run_config={
                    "resources": {"market": {"config": {"scale": "tiny", "faults": FAULTS}}}
                },
                raise_on_error=False,
            )
        )
        yield RangeRun(instance, result)


def _window(key: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    return window_utc(session_partitions().time_window_for_partition_key(key))


def _materializations(run: RangeRun, asset: str) -> dict[str, dg.AssetMaterialization]:
    found = {}
    for event in run.result.get_asset_materialization_events():
        mat = event.step_materialization_data.materialization
        if mat.asset_key.to_user_string() == asset:
            assert mat.partition not in found
            found[mat.partition] = mat
    assert sorted(found) == KEYS, asset
    return found


def _meta(mat: dg.AssetMaterialization) -> dict[str, object]:
    return {k: v.value for k, v in mat.metadata.items()}


def _assert_inside(meta: dict[str, object], key: str, first: pd.Timestamp, last: pd.Timestamp):
    start, end = _window(key)
    assert start <= pd.Timestamp(meta["first_ts"]) <= pd.Timestamp(meta["last_ts"]) < end
    assert (pd.Timestamp(meta["first_ts"]), pd.Timestamp(meta["last_ts"])) == (first, last)


def test_a_range_records_partitioned_evaluations_only_and_fails_on_the_rejected_one(range_run):
    evaluations = range_run.result.get_asset_check_evaluations()
    assert all(e.partition in KEYS for e in evaluations)  # no range-wide summary result
    failed = [
        (e.asset_key.to_user_string(), e.check_name, e.partition)
        for e in evaluations
        if not e.passed and e.severity == dg.AssetCheckSeverity.ERROR
    ]
    assert failed == [("darkpool_prints", "tier1_structure", REJECTED)]
    assert not range_run.result.success  # the blocking failure still fails the step


def test_each_tick_partition_carries_its_own_rows_timestamps_and_preview(range_run):
    counts = {}
    for key, mat in _materializations(range_run, "equity_ticks").items():
        meta = _meta(mat)
        stored = stored_ticks("equity_ticks", [key])
        counts[key] = meta["dagster/row_count"]
        assert counts[key] == meta["dagster/partition_row_count"] == len(stored) > 0
        assert meta["rejected_rows"] == 0
        _assert_inside(meta, key, stored["ts"].min(), stored["ts"].max())
        assert str(stored["ts"].iloc[0]) in meta["preview"]  # the partition's first row
        assert meta["symbol_count"] == len(EQUITIES)
        assert "tick_data" in meta["storage"]  # the run's storage, true of every partition
    assert counts[KEYS[2]] < counts[KEYS[0]]  # the early close holds fewer trades
    assert sum(counts.values()) == len(stored_ticks("equity_ticks", KEYS))


def test_each_warehouse_partition_counts_its_own_stored_and_rejected_rows(range_run):
    table = stored_table("darkpool_prints")  # DuckDB keeps microseconds
    rows = {}
    for key, mat in _materializations(range_run, "darkpool_prints").items():
        meta = _meta(mat)
        start, end = _window(key)
        stored = table[(table["ts"] >= start) & (table["ts"] < end)]
        rows[key] = meta["dagster/row_count"]
        # the IO manager's own count is the whole output's; each partition states its own
        assert rows[key] == meta["dagster/partition_row_count"] == len(stored) > 0
        first, last = (pd.Timestamp(meta[name]) for name in ("first_ts", "last_ts"))
        assert start <= first <= last < end
        assert (first.floor("us"), last.floor("us")) == (stored["ts"].min(), stored["ts"].max())
        assert (meta["rejected_rows"] > 0) == (key == REJECTED)
    assert len(set(rows.values())) == len(KEYS)
    assert sum(rows.values()) == len(table)


def test_each_derived_partition_counts_the_bars_written_into_its_window(range_run):
    counts = {}
    for key, mat in _materializations(range_run, "equity_time_bars").items():
        meta = _meta(mat)
        bars = pd.concat([load_bars(EQUITIES, freq, *_window(key)) for freq in FREQUENCIES])
        counts[key] = meta["dagster/row_count"]
        assert counts[key] == len(bars) > 0
        _assert_inside(meta, key, bars["ts"].min(), bars["ts"].max())
        assert meta["series_written"] == len(EQUITIES) * len(FREQUENCIES)
        assert meta["library"] == "bars_time_bars" and meta["snapshot"]
    assert len(set(counts.values())) == len(KEYS)
    for mat in _materializations(range_run, "equity_metadata_tier1").values():
        assert _meta(mat)["dagster/row_count"] == len(EQUITIES)  # one summary row per equity


def _latest_materialization(instance: dg.DagsterInstance, source: str, key: str):
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(source), asset_partitions=[key]), limit=1
    ).records
    return records[0]


def test_each_check_evaluation_targets_its_partitions_materialization(range_run):
    instance = range_run.instance
    for source in SOURCES:
        latest = {key: _latest_materialization(instance, source, key) for key in KEYS}
        evaluations = [
            e
            for e in range_run.result.get_asset_check_evaluations()
            if e.asset_key == dg.AssetKey(source)
        ]
        assert sorted((e.partition, e.check_name) for e in evaluations) == sorted(
            (key, name) for key in KEYS for name in check_names(source)
        )
        for e in evaluations:
            target = e.target_materialization_data
            assert target is not None, (source, e.check_name, e.partition)
            assert target.storage_id == latest[e.partition].storage_id
            assert target.run_id == range_run.result.run_id
            assert e.description and "\n" not in e.description
        infos = instance.event_log_storage.get_asset_check_partition_info(
            [dg.AssetCheckKey(dg.AssetKey(source), name) for name in check_names(source)]
        )
        assert sorted(info.partition_key for info in infos) == sorted(
            KEYS * len(check_names(source))
        )
        assert all(info.is_current for info in infos)


def _graphql(instance: dg.DagsterInstance, queries: list[tuple[str, dict]]) -> list[dict]:
    """Answers of Dagster's GraphQL API over the project's code location, in process."""
    origin = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(module_name="vvv_pipeline.defs.definitions", attribute="defs"),
        location_name="vvv_pipeline",
    )
    with WorkspaceProcessContext(instance, InProcessWorkspaceLoadTarget(origin)) as process:
        return [
            execute_dagster_graphql(process.create_request_context(), query, variables).data
            for query, variables in queries
        ]


def _status_counts(ranges: list[dict]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in ranges:
        span = dg.PartitionKeyRange(r["startKey"], r["endKey"])
        n = len(session_partitions().get_partition_keys_in_range(span))
        counts[r["status"]] = counts.get(r["status"], 0) + n
    return counts


def test_the_ui_counts_each_check_partition_as_passed_or_failed(range_run):
    queries = [(CHECK_STATUSES, {"key": {"path": [source]}}) for source in SOURCES]
    queries.append((CHECK_HISTORY, {"key": {"path": ["equity_ticks"]}, "check": "tier1_structure"}))
    *statuses, history = _graphql(range_run.instance, queries)
    failed = {
        ("equity_ticks", "tier4_quality"): SPIKED,
        ("darkpool_prints", "tier1_structure"): REJECTED,
    }
    for source, answer in zip(SOURCES, statuses, strict=True):
        (node,) = answer["assetNodes"]
        checks = node["assetChecksOrError"]["checks"]
        assert sorted(c["name"] for c in checks) == sorted(check_names(source))
        for check in checks:
            statuses_of = check["partitionStatuses"]
            assert statuses_of["__typename"] == "AssetCheckTimePartitionStatuses"
            counts = _status_counts(statuses_of["ranges"])
            bad = failed.get((source, check["name"]))
            want = {"SUCCEEDED": 2, "FAILED": 1} if bad else {"SUCCEEDED": len(KEYS)}
            assert counts == want, (source, check["name"], statuses_of["ranges"])
            if bad:
                (failing,) = [r for r in statuses_of["ranges"] if r["status"] == "FAILED"]
                assert failing["startKey"] == failing["endKey"] == bad
    executions = history["assetCheckExecutions"]
    assert sorted(e["partition"] for e in executions) == KEYS
    for execution in executions:
        evaluation = execution["evaluation"]
        assert execution["status"] == "SUCCEEDED"
        assert evaluation["partition"] == execution["partition"]
        assert (
            evaluation["description"].startswith("all ")
            and "rows pass" in evaluation["description"]
        )
        target = evaluation["targetMaterialization"]
        latest = _latest_materialization(range_run.instance, "equity_ticks", execution["partition"])
        assert int(target["storageId"]) == latest.storage_id
        assert target["runId"] == range_run.result.run_id
