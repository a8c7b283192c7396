"""The project's event log keeps engines and idle connections open (cheap commits) and still
shows every committed event to other processes at once, including the webserver's live watch of
a run's log (:class:`vvv_pipeline.defs.instance.KeptOpenEventLogStorage`)."""

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
from alembic.script import ScriptDirectory

from vvv_pipeline.defs.dagster_internals import SqliteEventLogStorage
from vvv_pipeline.defs.instance import (
    EVENT_BATCH_SIZE,
    KEPT_OPEN_SHARDS,
    KeptOpenEventLogStorage,
    LockedSqliteStorage,
    _empty_run_shard,
    _event_log_scripts,
)
from vvv_pipeline_tests.dagster_internals import InstanceRef

CONFIG = (
    "storage:\n  custom:\n    module: vvv_pipeline.defs.instance\n"
    f"    class: {LockedSqliteStorage.__name__}\n"
    "    config:\n      base_dir: {base}\ntelemetry:\n  enabled: false\n"
)
RUN_ID = "0f0f0f0f-0000-4000-8000-000000000001"
WRITER = """
import sys, time
from pathlib import Path
import dagster as dg
from dagster._core.instance.ref import InstanceRef

home, run_id = sys.argv[1], sys.argv[2]
instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(home))
def wait_for(name):
    while not Path(home, name).exists():
        time.sleep(0.05)

instance.report_engine_event("event 0", job_name="j", run_id=run_id)  # creates the shard
Path(home, "started").touch()
wait_for("go")
for i in range(1, 5):
    instance.report_engine_event(f"event {i}", job_name="j", run_id=run_id)
instance.report_runless_asset_event(dg.AssetMaterialization("kept", partition="p1"))
instance.report_runless_asset_event(
    dg.AssetCheckEvaluation(asset_key=dg.AssetKey("kept"), check_name="c", passed=True)
)
Path(home, "written").touch()
wait_for("release")  # stays alive, idle connections open
"""


def _instance(home: Path) -> dg.DagsterInstance:
    (home / "dagster.yaml").write_text(CONFIG.format(base=home / "storage"))
    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))


def _spy(monkeypatch, owner: type, name: str, note) -> None:
    """``note(*arguments)`` at each call of ``owner.name``, which then runs as before."""
    original = getattr(owner, name)

    def spied(self, *arguments):
        note(*arguments)
        return original(self, *arguments)

    monkeypatch.setattr(owner, name, spied)


def _wait(condition, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_another_process_sees_every_event_while_the_writer_holds_its_connections(tmp_path):
    instance = _instance(tmp_path)
    assert isinstance(instance.event_log_storage, KeptOpenEventLogStorage)
    seen: list[str] = []
    instance.watch_event_logs(RUN_ID, None, lambda event, _cursor: seen.append(event.message))
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), RUN_ID])
    try:
        assert _wait(lambda: (tmp_path / "started").exists() or writer.poll() is not None)
        assert _wait(lambda: len(seen) == 1), seen  # the new shard file was written
        time.sleep(0.5)  # the file events of the shard's creation are all handled
        (tmp_path / "go").touch()
        assert _wait(lambda: (tmp_path / "written").exists() or writer.poll() is not None)
        assert writer.poll() is None, "the writer failed"
        # the writer is alive: its WAL is not checkpointed, yet readers see every commit
        assert (tmp_path / "storage" / "history" / "runs" / "index.db-wal").exists()
        messages = [e.message for e in instance.all_logs(RUN_ID)]
        assert messages == [f"event {i}" for i in range(5)]
        mats = instance.fetch_materializations(dg.AssetKey("kept"), limit=10).records
        assert [m.partition_key for m in mats] == ["p1"]
        check = instance.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("kept"), "c")]
        )
        assert len(check) == 1
        # the webserver's live view of a run: a watch on the run's shard file, which the
        # commits no longer change (the WAL is kept): the writer touches it
        assert _wait(lambda: len(seen) == 5), seen
    finally:
        (tmp_path / "release").touch()
        writer.wait(timeout=30)
        instance.dispose()
    assert writer.returncode == 0


def test_a_process_keeps_a_bounded_number_of_shards_open(tmp_path):
    instance = _instance(tmp_path)
    storage = instance.event_log_storage
    assert isinstance(storage, KeptOpenEventLogStorage)
    for n in range(KEPT_OPEN_SHARDS + 3):
        instance.report_engine_event("x", job_name="j", run_id=f"0f0f0f0f-0000-4000-8000-{n:012d}")
    assert len(storage._kept) == KEPT_OPEN_SHARDS
    assert all(len(instance.all_logs(f"0f0f0f0f-0000-4000-8000-{n:012d}")) == 1 for n in range(7))
    storage.close_kept()
    assert not storage._kept
    instance.report_engine_event("after", job_name="j", run_id="after")  # reopens on demand
    assert [e.message for e in instance.all_logs("after")] == ["after"]
    instance.dispose()


def test_a_table_found_once_is_not_looked_up_again(tmp_path, monkeypatch):
    """Dagster asks ``has_table`` before every check evaluation, each time on a new engine."""
    instance = _instance(tmp_path)
    storage = instance.event_log_storage
    looked_up: list[str] = []
    _spy(monkeypatch, SqliteEventLogStorage, "has_table", looked_up.append)
    for n in range(3):
        instance.report_runless_asset_event(
            dg.AssetCheckEvaluation(asset_key=dg.AssetKey("kept"), check_name="c", passed=n > 0)
        )
    assert looked_up.count("asset_check_executions") == 1
    assert not storage.has_table("no_such_table") and not storage.has_table("no_such_table")
    assert looked_up.count("no_such_table") == 2  # an absent table is asked again
    storage.close_kept()
    assert storage.has_table("asset_check_executions")
    assert looked_up.count("asset_check_executions") == 2  # forgotten with the engines
    record = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(dg.AssetKey("kept"), "c")]
    )
    assert record[dg.AssetCheckKey(dg.AssetKey("kept"), "c")].status.value == "SUCCEEDED"
    instance.dispose()


def test_connections_commit_without_an_fsync_each(tmp_path):
    instance = _instance(tmp_path)
    storage = instance.event_log_storage
    instance.report_engine_event("x", job_name="j", run_id=RUN_ID)
    for connection in (storage.index_connection(), storage.run_connection(RUN_ID)):
        with connection as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL; FULL is 2
    instance.dispose()


def _schema(shard: Path) -> tuple[list, list, str]:
    """A shard file's tables and indexes (their SQL), alembic revision and journal mode."""
    with sqlite3.connect(shard) as conn:
        objects = conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    return objects, revision, mode


def test_a_new_run_shard_is_dagsters_own_with_the_scripts_read_once(tmp_path, monkeypatch):
    """A run's shard as Dagster's ``_initdb`` makes it (tables, indexes, alembic head, WAL), its
    migration scripts read once per process, where Dagster reads them twice per run."""
    reads: list[str] = []
    stock_read = ScriptDirectory.from_config.__func__

    def counted(cls, config):
        reads.append(config.get_main_option("script_location"))
        return stock_read(cls, config)

    monkeypatch.setattr(ScriptDirectory, "from_config", classmethod(counted))
    stock = SqliteEventLogStorage(str(tmp_path / "stock"))
    reads.clear()
    with stock.run_connection(RUN_ID):
        pass
    assert len(reads) == 2  # Dagster's, for one new run shard
    _event_log_scripts.cache_clear()
    _empty_run_shard.cache_clear()
    (tmp_path / "ours").mkdir()
    instance = _instance(tmp_path / "ours")
    ours = tmp_path / "ours" / "storage" / "history" / "runs"
    reads.clear()
    runs = [f"0f0f0f0f-0000-4000-8000-{n:012d}" for n in range(4)]
    (ours / f"{runs[3]}.db").touch()  # what a reader's connection leaves before the first event
    for run_id in runs:
        instance.report_engine_event("x", job_name="j", run_id=run_id)
    assert len(reads) == 1  # ours, for four: the empty shard copied, and the touched file
    expected = _schema(tmp_path / "stock" / f"{RUN_ID}.db")
    assert expected[1] and expected[2] == "wal"
    assert all(_schema(ours / f"{run_id}.db") == expected for run_id in runs)
    assert [[e.message for e in instance.all_logs(run_id)] for run_id in runs] == [["x"]] * 4
    assert not [p.name for p in ours.iterdir() if p.name.startswith(".")]  # no scratch left
    instance.dispose()


DAYS = dg.DailyPartitionsDefinition(start_date="2026-01-01")
RANGE_TAGS = {
    "dagster/asset_partition_range_start": "2026-01-01",
    "dagster/asset_partition_range_end": "2026-01-04",
}


@dg.asset(
    partitions_def=DAYS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    check_specs=[dg.AssetCheckSpec("rows", asset="ranged")],
)
def ranged(context: dg.AssetExecutionContext):
    for key in context.partition_keys:
        context.add_asset_metadata({"day_rows": len(key)}, partition_key=key)
    yield dg.MaterializeResult(metadata={"range": ",".join(context.partition_keys)})
    yield dg.AssetCheckResult(check_name="rows", passed=True)


TABLES = {
    "event_logs": "id, run_id, event, dagster_event_type, asset_key, partition, step_key",
    "asset_keys": "asset_key, last_materialization, last_run_id, cached_status_data",
    "asset_event_tags": "event_id, asset_key, key, value",
    "asset_check_executions": "asset_key, check_name, partition, run_id, execution_status,"
    " evaluation_event, evaluation_event_storage_id, materialization_event_storage_id",
}


def _rows(database: Path, tables: list[str]) -> dict[str, list]:
    """The rows of ``tables`` (their columns of :data:`TABLES`: ids, not insert times)."""
    with sqlite3.connect(database) as conn:
        return {
            t: conn.execute(f"SELECT {TABLES[t]} FROM {t} ORDER BY rowid").fetchall()
            for t in tables
        }


def test_a_ranges_events_stored_as_a_batch_are_the_rows_dagster_stores_one_by_one(
    tmp_path, monkeypatch
):
    """A single-run range's planned and per-partition materializations reach the storage as
    batches; stored through :meth:`store_event_batch` (each run of asset events in one
    transaction per database, the rest one by one), the run's events give the same rows in its
    log, the index and the check table as Dagster's own storage writing them one at a time."""
    monkeypatch.delenv("DAGSTER_EVENT_BATCH_SIZE", raising=False)
    (tmp_path / "ours").mkdir()
    instance = _instance(tmp_path / "ours")
    assert os.environ["DAGSTER_EVENT_BATCH_SIZE"] == str(EVENT_BATCH_SIZE)
    batches: list[list[str]] = []
    _spy(
        monkeypatch,
        KeptOpenEventLogStorage,
        "store_event_batch",
        lambda events: batches.append([e.dagster_event_type.value for e in events]),
    )
    result = dg.materialize([ranged], instance=instance, tags=RANGE_TAGS)
    assert result.success
    planned = ["ASSET_MATERIALIZATION_PLANNED"] * 4 + ["ASSET_CHECK_EVALUATION_PLANNED"]
    assert batches == [planned, ["ASSET_MATERIALIZATION"] * 4]
    materialized = instance.get_materialized_partitions(dg.AssetKey("ranged"))
    assert materialized == {"2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"}
    latest = instance.get_latest_materialization_event(dg.AssetKey("ranged"))
    assert latest.dagster_event.partition == "2026-01-04"
    assert latest.asset_materialization.metadata["day_rows"].value == 10

    events = instance.all_logs(result.run_id)
    stock = SqliteEventLogStorage(str(tmp_path / "stock"))
    for event in events:
        stock.store_event(event)
    (tmp_path / "batched").mkdir()
    batched = KeptOpenEventLogStorage(str(tmp_path / "batched"))
    groups: list[int] = []
    _spy(
        monkeypatch, KeptOpenEventLogStorage, "_store_asset_events", lambda g: groups.append(len(g))
    )
    batched.store_event_batch(events)  # every kind, in one batch
    assert groups == [4, 4]  # the planned, then the stored materializations, a group each
    batched.close_kept()
    index = list(TABLES)
    expected = _rows(tmp_path / "stock" / "index.db", index)
    assert len(expected["event_logs"]) >= 10 and expected["asset_check_executions"]
    assert _rows(tmp_path / "batched" / "index.db", index) == expected
    run_log = f"{result.run_id}.db"
    expected_log = _rows(tmp_path / "stock" / run_log, ["event_logs"])
    assert len(expected_log["event_logs"]) == len(events)
    assert _rows(tmp_path / "batched" / run_log, ["event_logs"]) == expected_log
    instance.dispose()


def test_a_batch_of_other_events_is_stored_one_by_one(tmp_path, monkeypatch):
    """A batch that is not one run's asset events (here: two runs' engine events) is stored by
    Dagster's path, event by event."""
    instance = _instance(tmp_path)
    storage = instance.event_log_storage
    singles: list[str] = []
    _spy(monkeypatch, KeptOpenEventLogStorage, "store_event", lambda e: singles.append(e.run_id))
    instance.report_engine_event("a", job_name="j", run_id=RUN_ID)
    instance.report_engine_event("b", job_name="j", run_id="0f0f0f0f-0000-4000-8000-000000000002")
    events = [
        e
        for run in (RUN_ID, "0f0f0f0f-0000-4000-8000-000000000002")
        for e in instance.all_logs(run)
    ]
    singles.clear()
    storage.store_event_batch(events)
    assert len(singles) == 2
    instance.dispose()
