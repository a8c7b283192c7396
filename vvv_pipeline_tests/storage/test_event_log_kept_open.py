"""The project's event log keeps engines and idle connections open (cheap commits) and still
shows every committed event to other processes at once, including the webserver's live watch of
a run's log (:class:`vvv_pipeline.defs.instance.KeptOpenEventLogStorage`)."""

import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
from alembic.script import ScriptDirectory

from vvv_pipeline.defs.dagster_internals import SqliteEventLogStorage
from vvv_pipeline.defs.instance import (
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
    stock = SqliteEventLogStorage.has_table

    def counted(self, table_name: str) -> bool:
        looked_up.append(table_name)
        return stock(self, table_name)

    monkeypatch.setattr(SqliteEventLogStorage, "has_table", counted)
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
