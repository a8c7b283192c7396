"""The project's Dagster instance, opened so that the first use of a fresh SQLite storage is safe.

Dagster's SQLite storages create their tables and stamp ``alembic_version`` the first time a
process opens them, with no lock between processes. Two processes doing it at once can leave two
``alembic_version`` rows, after which every command fails with "more than one head present"
(dagster-io/dagster#27390); ``vvv-pipeline run`` started next to ``dagster dev`` on a fresh clone
is enough. So every instance this project opens is built while holding an exclusive
``fcntl.flock`` on a lock file beside the storage folder (``data/dagster/storage.lock``): the
first process creates the storage, the others wait and then find it complete.

Dagster's own processes (``dagster dev``, ``dagster-webserver``, ``dagster-daemon``, run
workers) build their instance from ``dagster.yaml`` before they import any code location, so
nothing in the code location runs early enough for them. They take the same lock when the
instance config names :class:`LockedSqliteStorage` as its storage::

    storage:
      custom:
        module: vvv_pipeline.defs.instance
        class: LockedSqliteStorage
        config:
          base_dir: data/dagster/storage
"""

from __future__ import annotations

import fcntl
import importlib
import os
import re
import sqlite3
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from dagster import DagsterInstance
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.pool import StaticPool

from vvv_pipeline.defs.dagster_internals import (
    ASSET_CHECK_EVALUATION,
    ASSET_EVENTS,
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SQLITE_EVENT_LOG_MIGRATIONS,
    ConfigurableClassData,
    DagsterSqliteStorage,
    EventLogEntry,
    InstanceRef,
    SqlEventLogStorageMetadata,
    SqliteEventLogStorage,
    db_result,
)

LOCK_SUFFIX = ".lock"
KEPT_OPEN_SHARDS = 4
"""Event-log database files (the index, run shards) a process keeps an engine and one idle
connection for; see :class:`KeptOpenEventLogStorage`."""
CONCURRENT_INIT = re.compile(
    r"table [A-Za-z_]* already exists|database is locked"
    r"|UNIQUE constraint failed: alembic_version\.version_num"
)
"""What another process creating the same shard at the same moment makes SQLite say (Dagster's
own test for it): the shard is then retried, :data:`INIT_RETRIES` times at most."""
INIT_RETRIES = 10
EVENT_BATCH_SIZE = 1000
"""``DAGSTER_EVENT_BATCH_SIZE`` the project's storage sets where the environment does not: Dagster
then hands a range's planned and per-partition materializations to
:meth:`KeptOpenEventLogStorage.store_event_batch` together (up to this many at a time) instead
of one by one."""


class InstanceConfigError(RuntimeError):
    """No usable instance configuration (DAGSTER_HOME unset or wrong, no ./dagster.yaml)."""


def lock_path(base_dir: str | Path) -> Path:
    """The lock file beside a storage folder; relative folders resolve from the working
    directory, as Dagster's SQLite storages resolve them."""
    base = Path(base_dir).expanduser().resolve()
    return base.with_name(base.name + LOCK_SUFFIX)


@contextmanager
def storage_lock(base_dir: str | Path) -> Iterator[Path]:
    """Hold the exclusive lock of the storage at ``base_dir`` (blocking until it is free).

    The lock file is never deleted: removing it would let a waiter lock a file that a newcomer
    no longer sees. ``flock`` is released by the kernel if the holder dies.
    """
    path = lock_path(base_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield path
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _sqlite_base_dir(data: ConfigurableClassData | None) -> tuple[Path | None, bool]:
    """(folder, locks itself) of a unified SQLite storage config; (None, False) otherwise."""
    if data is None:
        return None, False
    storage_class = getattr(importlib.import_module(data.module_name), data.class_name, None)
    if not (isinstance(storage_class, type) and issubclass(storage_class, DagsterSqliteStorage)):
        return None, False
    base = data.config_dict.get("base_dir")
    if isinstance(base, Mapping) and "env" in base:
        base = os.environ.get(str(base["env"]))
    folder = Path(base) if isinstance(base, str) and base else None
    return folder, issubclass(storage_class, LockedSqliteStorage)


def open_instance(ref: InstanceRef) -> DagsterInstance:
    """``DagsterInstance.from_ref`` under the storage lock when the storage is SQLite.

    Other storages (PostgreSQL, legacy per-storage configs) open as Dagster opens them; a
    :class:`LockedSqliteStorage` takes the lock itself (``flock`` is not re-entrant).
    """
    base, locks_itself = _sqlite_base_dir(ref.storage_data)
    if base is None or locks_itself:
        return DagsterInstance.from_ref(ref)
    with storage_lock(base):
        return DagsterInstance.from_ref(ref)


def project_instance_ref(cwd: Path | None = None) -> InstanceRef:
    """``$DAGSTER_HOME``'s instance, else the project's embedded one: ``./dagster.yaml`` with
    local artifacts under ``./data/dagster`` (what ``dagster dev`` run from the root uses)."""
    home = os.environ.get("DAGSTER_HOME")
    if home:
        home = os.path.expanduser(home)
        if not (os.path.isabs(home) and os.path.isdir(home)):
            raise InstanceConfigError(f"DAGSTER_HOME={home!r} is not an existing absolute folder")
        return InstanceRef.from_dir(home)
    config_dir = cwd or Path.cwd()
    if not (config_dir / "dagster.yaml").is_file():
        raise InstanceConfigError(
            "no dagster.yaml in the current folder and DAGSTER_HOME is unset; "
            "run from the project root or set DAGSTER_HOME"
        )
    base = config_dir / "data" / "dagster"
    base.mkdir(parents=True, exist_ok=True)
    return InstanceRef.from_dir(str(base), config_dir=str(config_dir))


class KeptOpenEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log, with cheaper writes (docs/storage.md, "Dagster's event log").

    Dagster opens a new SQLAlchemy engine and SQLite connection for every statement group (a
    check evaluation is three: run shard, index, check table; a materialization two) and
    closes them after. Its databases are in WAL mode, and closing the *last* connection to a
    WAL database checkpoints the WAL into the database (with fsyncs) and deletes it, so the
    next commit creates it again; each new engine also compiles every statement again. That
    made each event cost about 10-40 ms on this project's loaded 2-core machine. Here:

    * for each of the last :data:`KEPT_OPEN_SHARDS` database files it used (the index and the
      current runs' shards) the process keeps the engine (its compiled statements) and its one
      SQLite connection (``StaticPool``), so Dagster's connections are never the last one and
      the WAL stays in place, and no statement group pays for opening a connection (more than
      half of an event's cost when every use opened its own). Between uses the connection
      holds no write lock and no read snapshot (each use ends in a commit or a rollback):
      other processes read, write and checkpoint as before; SQLite's automatic checkpoint
      (every 1,000 pages) still runs on commit (the WAL is then reused from its start, so it
      stays small), and the last connection to close (at the latest when the process ends)
      checkpoints the rest. Uses are serialised by Dagster's per-process lock, so threads
      never share the connection at the same time.
    * a connection that wrote to a run shard touches the shard file (its mtime): the
      webserver follows a live run by watching ``<run_id>.db`` change, which used to happen
      through the checkpoint on close.
    * connections commit with ``PRAGMA synchronous=NORMAL`` (WAL): no fsync per commit, only
      at checkpoints. A committed event survives a crash or kill of any process; only a power
      loss or OS crash can lose the last events before a checkpoint (the database is never
      corrupted). The data itself (ArcticDB, DuckDB) is not affected.
    * a table found in the index is remembered (:meth:`has_table`): Dagster asks before every
      check evaluation and materialization, each time through a new engine (1.4 ms).
    * a batch of one run's asset events (a range's planned materializations, a range output's
      per-partition materializations; Dagster hands them over together once
      ``DAGSTER_EVENT_BATCH_SIZE`` is set, which this storage does where the environment does
      not) is written in one transaction per database (:meth:`store_event_batch`), the rows
      Dagster's storage writes one event at a time.
    * a new run's shard is a copy of an empty shard made once per process
      (:func:`_empty_run_shard`): the tables, WAL mode and the head revision, as Dagster's
      ``_initdb`` creates them. Dagster creates every table and index again for each run and
      reads every migration script of its history (twice), a quarter of a one-partition run's
      time. A file found already there (another process placed it, or a reader's connection
      left an empty one) is completed in place (:func:`_create_run_shard`).
    """

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        # set first: Dagster's constructor already opens the index through them
        self._kept: OrderedDict[str, Engine] = OrderedDict()
        self._tables_present: set[str] = set()
        self._within: dict[tuple[int, str], Connection] = {}
        super().__init__(base_dir, inst_data=inst_data)
        # Dagster reads it from the environment at each event: 0 there turns batches off
        os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", str(EVENT_BATCH_SIZE))

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """A batch of events in order, each run of consecutive asset events of one run (a
        range's planned materializations, a range output's per-partition materializations) in
        one transaction per database, as :meth:`store_event` writes each of them; the others
        (a run's planned check evaluations among them) event by event.

        Dagster hands batches over when ``DAGSTER_EVENT_BATCH_SIZE`` is set
        (:data:`EVENT_BATCH_SIZE`); its SQLite storage writes them one at a time, each with its
        own statement groups and commits on both databases.
        """
        group: list[EventLogEntry] = []
        for entry in events:
            if group and (not _asset_event(entry) or entry.run_id != group[0].run_id):
                self._store_asset_events(group)
                group = []
            if _asset_event(entry):
                group.append(entry)
            else:
                self.store_event(entry)
        if group:
            self._store_asset_events(group)

    def _store_asset_events(self, events: Sequence[EventLogEntry]) -> None:
        """One run's asset events: the run's log, then the index, one transaction each."""
        if len(events) == 1:
            self.store_event(events[0])
            return
        inserts = [self.prepare_insert_event(entry) for entry in events]
        with self.run_connection(events[0].run_id) as conn:
            for insert in inserts:
                conn.execute(insert)
        with self.index_transaction() as conn:
            ids = []
            for insert in inserts:
                with db_result(conn, insert) as result:
                    ids.append(result.inserted_primary_key[0])
            self._store_asset_event_tags(conn, events, ids)
            for entry, event_id in zip(events, ids, strict=True):
                self._store_asset_event(conn, entry, event_id)

    def has_table(self, table_name: str) -> bool:
        """Dagster's answer, remembered once yes: only a migration or a wipe creates or drops
        index tables, and both forget what was remembered."""
        if table_name in self._tables_present:
            return True
        present = super().has_table(table_name)
        if present:
            self._tables_present.add(table_name)
        return present

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        """The shard's kept connection in a transaction; inside one this thread already holds
        on the shard (:meth:`store_event`), that same one."""
        within = (threading.get_ident(), shard)
        if within in self._within:
            yield self._within[within]
            return
        with self._db_lock:  # Dagster's: one statement group at a time per process
            engine = self._engine(shard)
            with engine.connect() as conn:
                driver = conn.connection.dbapi_connection
                changes = driver.total_changes  # counts since the kept connection opened
                with conn.begin():
                    self._within[within] = conn
                    try:
                        yield conn
                    finally:
                        del self._within[within]
                wrote = driver.total_changes > changes
            if wrote and shard != INDEX_SHARD_NAME:
                os.utime(self.path_for_shard(shard))  # wakes watchers of the run's log

    def store_event(self, event: EventLogEntry) -> None:
        """As Dagster stores it; a run's check evaluation with its row of the check table in
        the same transaction on the index as its own row (Dagster: one transaction each)."""
        if not (event.run_id and event.dagster_event_type == ASSET_CHECK_EVALUATION):
            super().store_event(event)
            return
        insert = self.prepare_insert_event(event)
        with self.run_connection(event.run_id) as conn:
            conn.execute(insert)
        with self.index_connection() as conn:
            with db_result(conn, insert) as result:
                event_id = result.inserted_primary_key[0]
            self.store_asset_check_event(event, event_id)  # on this same connection

    def _engine(self, shard: str) -> Engine:
        """The shard's engine, created (and the shard initialised) on first use."""
        if shard in self._kept:
            self._kept.move_to_end(shard)
            return self._kept[shard]
        engine = create_engine(
            self.conn_string_for_shard(shard),
            poolclass=StaticPool,  # one connection, kept: see the class docstring
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
        )
        event.listen(engine, "connect", _synchronous_normal)
        if shard not in self._initialized_dbs:
            if shard != INDEX_SHARD_NAME:
                _place_copy(_empty_run_shard(), Path(self.path_for_shard(shard)))
            self._initdb(engine)  # completes an empty file a reader left; else a no-op
            self._initialized_dbs.add(shard)
        self._kept[shard] = engine
        while len(self._kept) > KEPT_OPEN_SHARDS:
            self._kept.popitem(last=False)[1].dispose()
        return engine

    def _initdb(self, engine: Engine, for_index_shard: bool = False) -> None:
        """Dagster's creation of a shard, for run shards with the scripts read once: a shard
        without an alembic revision gets the tables, WAL mode and the head revision, as
        Dagster's ``_initdb`` gives it, retrying while another process is doing the same."""
        if for_index_shard:  # once per instance, with Dagster's handling of old index files
            super()._initdb(engine, for_index_shard=True)
            return
        _create_run_shard(engine)

    def close_kept(self) -> None:
        """Drop the engines and close the idle connections (the last close checkpoints), and
        forget which tables were present."""
        self._tables_present.clear()
        with self._db_lock:
            while self._kept:
                self._kept.popitem()[1].dispose()

    def upgrade(self) -> None:
        self.close_kept()
        super().upgrade()

    def wipe(self) -> None:
        self.close_kept()
        super().wipe()

    def dispose(self) -> None:
        self.close_kept()
        super().dispose()


def _asset_event(entry: EventLogEntry) -> bool:
    return entry.is_dagster_event and entry.dagster_event_type in ASSET_EVENTS


def _create_run_shard(engine: Engine) -> None:
    """Give a run shard without an alembic revision the tables, WAL mode and the head revision,
    as Dagster's ``_initdb`` does, retrying while another process is doing the same."""
    for retries_left in range(INIT_RETRIES, -1, -1):
        try:
            with engine.connect() as connection:
                migrations = MigrationContext.configure(connection)
                if migrations.get_current_revision() is None:
                    SqlEventLogStorageMetadata.create_all(engine)
                    connection.execute(text("PRAGMA journal_mode=WAL;"))
                    migrations.stamp(_event_log_scripts(), "head")
                    connection.commit()
            return
        except (DatabaseError, sqlite3.DatabaseError) as error:
            if not retries_left or not CONCURRENT_INIT.search(str(error)):
                raise
            time.sleep(0.2)


@cache
def _empty_run_shard() -> bytes:
    """The bytes of a new run shard as :func:`_create_run_shard` makes it, made once per
    process in a scratch folder (its last connection closed, so no WAL file is left)."""
    with tempfile.TemporaryDirectory(prefix="vvv-run-shard-") as folder:
        path = Path(folder) / "empty.db"
        engine = create_engine(f"sqlite:///{path}", poolclass=StaticPool)
        try:
            _create_run_shard(engine)
        finally:
            engine.dispose()
        return path.read_bytes()


def _place_copy(content: bytes, path: Path) -> None:
    """``path`` holding ``content``, unless a file is already there: written beside it first
    and linked into place, so no process ever opens a half-written shard."""
    if path.exists():
        return
    scratch = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    scratch.write_bytes(content)
    try:
        os.link(scratch, path)
    except FileExistsError:
        pass  # another process placed it first (the same bytes), or a reader's empty file
    finally:
        scratch.unlink()


@cache
def _event_log_scripts() -> ScriptDirectory:
    """Dagster's event-log migration scripts, read once per process."""
    return ScriptDirectory.from_config(SQLITE_EVENT_LOG_MIGRATIONS)


def _synchronous_normal(dbapi_connection: sqlite3.Connection, _record: object) -> None:
    """On the driver's connection as it opens: through SQLAlchemy, the statement cost as much
    as the event it was issued for."""
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class LockedSqliteStorage(DagsterSqliteStorage):
    """Dagster's SQLite storage, created under :func:`storage_lock` (see the module docstring),
    with the event log of :class:`KeptOpenEventLogStorage`.

    Configured as ``storage: custom:`` in ``dagster.yaml``, so every Dagster process that opens
    the instance takes the lock, not only this project's commands.
    """

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        super().__init__(base_dir, inst_data=inst_data)
        events_dir = self._event_log_storage._base_dir
        self._event_log_storage = KeptOpenEventLogStorage(events_dir)

    @classmethod
    def from_config_value(  # ty: ignore[invalid-method-override]
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, str]
    ) -> LockedSqliteStorage:
        return cls.from_local(inst_data=inst_data, **config_value)

    @classmethod
    def from_local(
        cls, base_dir: str, inst_data: ConfigurableClassData | None = None
    ) -> LockedSqliteStorage:
        with storage_lock(base_dir):
            return super().from_local(base_dir, inst_data=inst_data)
