"""The production instance (``deploy/production/dagster.yaml``) on the real PostgreSQL server.

Every test gets its own fresh database (see :mod:`.postgres`) and loads the shipped yaml with
the ``DAGSTER_PG_*`` variables pointing at it; what the instance reports is then checked again
by querying PostgreSQL directly, so nothing here can pass on an in-memory or SQLite store.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from dagster_postgres import (
    PostgresEventLogStorage,
    PostgresRunStorage,
    PostgresScheduleStorage,
)

from vvv_pipeline.defs.automation.schedules import xnys_session_close_schedule
from vvv_pipeline.defs.automation.sensors import gap_requests, partition_gap_sensor
from vvv_pipeline.defs.dagster_internals import RANGE_TAGS
from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline.defs.jobs import SESSION_SOURCES
from vvv_pipeline.validation.gate import TIER1
from vvv_pipeline_tests.conftest import EARLY_CLOSE, WEEK
from vvv_pipeline_tests.dagster_internals import (
    PARTITION_NAME_TAG,
    RUN_KEY_TAG,
    SINGLETON_REPOSITORY_NAME,
    InProcessCodeLocationOrigin,
    LoadableTargetOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
    SubmitRunContext,
)
from vvv_pipeline_tests.frozen_clock import dagster_clock
from vvv_pipeline_tests.production.postgres import (
    PostgresServer,
    fresh_database,
    production_instance,
    require_server,
)

DAYS = [WEEK[3], EARLY_CLOSE]  # the day before Thanksgiving and the 13:00 early close
ARCTIC_POOLS = {
    "arcticdb_bars_time_bars",
    "arcticdb_bars_volume_bars",
    "arcticdb_metadata_tier1",
    "arcticdb_metadata_tier2",
    "arcticdb_metadata_tier3",
}
NEW_YORK = "America/New_York"


@pytest.fixture(scope="module")
def server() -> PostgresServer:
    found = PostgresServer.from_environment()
    require_server(found)
    return found


@pytest.fixture
def database(server: PostgresServer) -> Iterator[str]:
    with fresh_database(server) as name:
        yield name


@pytest.fixture
def instance(
    tmp_path: Path, server: PostgresServer, database: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dg.DagsterInstance]:
    with production_instance(tmp_path / "dagster_home", server, database, monkeypatch) as made:
        yield made


def _sql(server: PostgresServer, database: str, sql: str, *params: object) -> list[tuple]:
    return server.execute(sql, database, params)


def test_production_yaml_puts_every_storage_in_postgres_with_queue_and_pools(
    instance: dg.DagsterInstance, server: PostgresServer, database: str
):
    assert isinstance(instance.run_storage, PostgresRunStorage)
    assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
    assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
    assert type(instance.run_coordinator).__name__ == "BackfillGuardRunCoordinator"
    assert isinstance(instance.run_coordinator, dg.QueuedRunCoordinator)
    assert not instance.telemetry_enabled

    config = instance.get_concurrency_config()
    queue = config.run_queue_config
    assert queue is not None and queue.max_concurrent_runs == 8
    assert queue.tag_concurrency_limits == [
        {"key": "provider", "value": {"applyLimitPerUniqueValue": True}, "limit": 2},
        {"key": "dagster/backfill", "limit": 4},
    ]
    assert config.pool_config.default_pool_limit == 1
    assert config.pool_config.pool_granularity.value == "op"

    tables = {
        row[0]
        for row in _sql(
            server,
            database,
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
        )
    }
    # run, event-log and schedule storage tables, and the pools' slot table
    assert {"runs", "event_logs", "instigators", "job_ticks", "concurrency_limits"} <= tables


def _idle_backends(server: PostgresServer, database: str) -> set[tuple]:
    """The database's client connections other than this query's: (pid, backend start)."""
    return set(
        _sql(
            server,
            database,
            "SELECT pid, backend_start FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            database,
        )
    )


def _use_every_storage(instance: dg.DagsterInstance, i: int) -> None:
    key = dg.AssetKey("pooled")
    instance.report_runless_asset_event(dg.AssetMaterialization(key, partition=f"p{i}"))
    assert len(instance.get_materialized_partitions(key)) == i + 1
    instance.get_runs_count(dg.RunsFilter(tags={"dagster/run_key": f"k{i}"}))
    instance.all_instigator_state()


def test_each_storage_keeps_one_connection_and_a_forked_child_opens_its_own(
    instance: dg.DagsterInstance, server: PostgresServer, database: str
):
    _use_every_storage(instance, 0)
    kept = _idle_backends(server, database)
    assert len(kept) == 3, kept  # run, event-log and schedule storage: one connection each
    for i in range(1, 21):
        _use_every_storage(instance, i)
    assert _idle_backends(server, database) == kept  # the same three, never reconnected

    child = os.fork()
    if child == 0:  # the child must not touch its parent's sockets: it connects anew
        try:
            _use_every_storage(instance, 21)
            os._exit(0)
        except BaseException:
            os._exit(1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    _use_every_storage(instance, 22)  # the parent's connections survived the child
    assert _idle_backends(server, database) == kept


def test_session_range_run_and_its_checks_are_read_back_from_postgres(
    data_dir,
    instance: dg.DagsterInstance,
    server: PostgresServer,
    database: str,
):
    tags = dict(zip(RANGE_TAGS, DAYS, strict=True))
    job = build_definitions().resolve_job_def("session_sources_job")
    result = job.execute_in_process(instance=instance, tags=tags)
    assert result.success
    run_id = result.run_id

    assert instance.get_run_by_id(run_id).status == dg.DagsterRunStatus.SUCCESS
    for asset in (*SESSION_SOURCES, "equity_time_bars", "equity_metadata_tier3"):
        assert instance.get_materialized_partitions(dg.AssetKey(asset)) == set(DAYS), asset
    check = dg.AssetCheckKey(dg.AssetKey("equity_ticks"), TIER1)
    infos = instance.event_log_storage.get_asset_check_partition_info([check])
    per_partition = {
        info.partition_key: info.latest_execution_status.value
        for info in infos
        if info.partition_key is not None
    }
    assert per_partition == {day: "SUCCEEDED" for day in DAYS}

    # The same facts straight from PostgreSQL's tables.
    assert _sql(server, database, "SELECT status FROM runs WHERE run_id = %s", run_id) == [
        ("SUCCESS",)
    ]
    stored = _sql(
        server,
        database,
        "SELECT asset_key, partition, count(*) FROM event_logs WHERE run_id = %s "
        "AND dagster_event_type = 'ASSET_MATERIALIZATION' GROUP BY asset_key, partition",
        run_id,
    )
    materialized = {(json.loads(key)[0], part): n for key, part, n in stored}  # keys: ["name"]
    assert len(result.get_asset_materialization_events()) == sum(materialized.values())
    assert {part for (asset, part) in materialized if asset == "equity_ticks"} == set(DAYS)
    assert all(n == 1 for n in materialized.values())  # one event per asset and partition
    check_rows = _sql(
        server,
        database,
        "SELECT partition, execution_status FROM asset_check_executions "
        "WHERE run_id = %s AND check_name = %s AND asset_key = %s AND partition IS NOT NULL",
        run_id,
        TIER1,
        dg.AssetKey("equity_ticks").to_string(),
    )
    assert sorted(check_rows) == [(day, "SUCCEEDED") for day in DAYS]

    # Each ArcticDB pool the run's steps used got one slot, from `pools: default_limit: 1`.
    limits = _sql(
        server,
        database,
        'SELECT concurrency_key, "limit", using_default_limit FROM concurrency_limits',
    )
    assert {pool for pool, _, _ in limits} >= ARCTIC_POOLS
    assert {(limit, default) for _, limit, default in limits} == {(1, True)}
    assert all(
        instance.event_log_storage.get_concurrency_info(pool).slot_count == 1
        for pool in ARCTIC_POOLS
    )


def _tick(
    instance: dg.DagsterInstance, defs: dg.Definitions, local_time: str
) -> list[dg.RunRequest]:
    context = dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=pd.Timestamp(local_time, tz=NEW_YORK).to_pydatetime(),
        repository_def=defs.get_repository_def(),  # resolves the partitioned job's requests
    )
    return list(xnys_session_close_schedule.evaluate_tick(context).run_requests or [])


def _queue(
    instance: dg.DagsterInstance, defs: dg.Definitions, request: dg.RunRequest
) -> dg.DagsterRun:
    """Create the schedule's run as the daemon does and hand it to the run coordinator."""
    job = defs.resolve_job_def("session_sources_job")
    location = InProcessCodeLocationOrigin(
        LoadableTargetOrigin(module_name="vvv_pipeline.defs.definitions"),
        location_name="vvv_pipeline",
    )
    run = instance.create_run_for_job(
        job,
        # the queue keeps where to load the job from, as a launched run would
        remote_job_origin=RemoteJobOrigin(
            RemoteRepositoryOrigin(location, SINGLETON_REPOSITORY_NAME), job.name
        ),
        tags={**request.tags, RUN_KEY_TAG: request.run_key},
        asset_selection=request.asset_selection,  # None: the whole job, as scheduled
    )
    # the queued coordinator only records the run as QUEUED; the daemon would launch it
    return instance.run_coordinator.submit_run(SubmitRunContext(run, workspace=None))


def test_schedule_tick_queues_the_early_close_and_the_gap_sensor_leaves_it_out(
    instance: dg.DagsterInstance, server: PostgresServer, database: str
):
    defs = build_definitions()
    assert _tick(instance, defs, f"{EARLY_CLOSE} 16:15") == []  # closed at 13:00: not this tick
    (request,) = _tick(instance, defs, f"{EARLY_CLOSE} 13:15")
    assert (request.partition_key, request.run_key) == (EARLY_CLOSE, f"session-{EARLY_CLOSE}")
    queued = _queue(instance, defs, request)
    assert queued.status == dg.DagsterRunStatus.QUEUED
    assert queued.tags[PARTITION_NAME_TAG] == EARLY_CLOSE
    assert _sql(
        server,
        database,
        "SELECT status FROM runs WHERE run_id = %s",
        queued.run_id,
    ) == [("QUEUED",)]

    # Darkpool prints of the day before Thanksgiving are stored; Friday's session is queued.
    instance.report_runless_asset_event(
        dg.AssetMaterialization("darkpool_prints", partition=WEEK[3])
    )
    # A tick at New York midnight after the early close looks back over 23..28 November and
    # starts with darkpool_prints (source index 3): sessions 24 and 25 are requested; 26 is
    # stored, 27 is Thanksgiving, 28 is queued. Then options_flow's sessions but the queued
    # 28th, then news headlines' six days (news is not in the session job), of which five fit
    # under the cap of ten.
    tick = gap_requests(  # no grace hour: the 28th is expected, and left out as queued
        instance,
        pd.Timestamp("2025-11-29 05:00", tz="UTC"),
        json.dumps({"next": 3}),
        grace=pd.Timedelta(0),
    )
    got = [(next(iter(r.asset_selection)).to_user_string(), r.partition_key) for r in tick.requests]
    assert got == [
        ("darkpool_prints", "2025-11-24"),
        ("darkpool_prints", "2025-11-25"),
        ("options_flow", "2025-11-24"),
        ("options_flow", "2025-11-25"),
        ("options_flow", "2025-11-26"),
        ("news_headlines", "2025-11-23"),
        ("news_headlines", "2025-11-24"),
        ("news_headlines", "2025-11-25"),
        ("news_headlines", "2025-11-26"),
        ("news_headlines", "2025-11-27"),
    ]
    # news_headlines was cut: daily_ohlcv is next; nothing has been given up
    assert json.loads(tick.cursor) == {"next": 6, "given_up": []}
    assert tick.found == 3 + 4 + 6  # counted before the queued partitions are left out

    # The sensor itself, at noon New York on Wednesday 10 December (Dagster's clock; on the wall
    # clock the counts would depend on the hour): nothing is stored in its seven-day lookback
    # (4..10 December), so it requests every finished day of news (4..9), then fills the cap of
    # ten with the finished daily_ohlcv sessions and moves the cursor past it.
    context = dg.build_sensor_context(
        instance=instance, cursor=json.dumps({"next": 5}), definitions=defs
    )
    with dagster_clock(pd.Timestamp("2025-12-10 17:00", tz="UTC")):
        data = partition_gap_sensor.evaluate_tick(context)
    assets = [next(iter(r.asset_selection)).to_user_string() for r in data.run_requests]
    pairs = zip(assets, data.run_requests, strict=True)
    assert [(asset, r.partition_key) for asset, r in pairs] == [
        *(("news_headlines", f"2025-12-{day:02d}") for day in (4, 5, 6, 7, 8, 9)),
        *(("daily_ohlcv", f"2025-12-{day:02d}") for day in (4, 5, 8, 9)),
    ]
    assert assets == sorted(assets, key=["news_headlines", "daily_ohlcv"].index)
    assert [r.run_key for r in data.run_requests] == [  # first attempts
        f"gap:{asset}:{r.partition_key}:1"
        for asset, r in zip(assets, data.run_requests, strict=True)
    ]
    assert json.loads(data.cursor) == {"next": 7, "given_up": []}
