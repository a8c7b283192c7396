"""Dagster's PostgreSQL storage, with one connection kept per storage in every process.

dagster-postgres builds its run, event-log and schedule storages on engines with SQLAlchemy's
``NullPool``: every statement group opens a new PostgreSQL connection (a server process forked,
authentication, session set-up) and closes it after. Only the webserver swaps in a pooled engine
(Dagster's ``optimize_for_webserver``). The daemon's sensors and schedules, every run worker and
this project's commands paid a connection per read and per event: on a local server, 7.3 ms per
materialization event instead of 2.3 ms, and 9.5 ms instead of 2.2 ms for a run count plus a
materialized-partitions read (``benchmarks/bench_postgres_storage.py``; docs/storage.md).

:class:`PooledPostgresStorage` is configured exactly as ``storage: postgres:`` and replaces each
storage's engine by one whose pool keeps **one** idle connection:

* further connections, when threads use the storage at once (the daemon's sensor and schedule
  threads), are opened and closed as before (unlimited overflow), so nothing ever waits for a
  slot and a process never holds more than one idle connection per storage (three in all);
* the kept connection is checked with a ping before each use (``pool_pre_ping``), so a server
  restart or a dropped idle connection costs a reconnect, not a failed statement, and it is
  replaced after an hour (``pool_recycle``), as the webserver's pool does;
* a forked child never uses its parent's connections: the pools are emptied in the child
  (without closing the parent's sockets), as SQLAlchemy prescribes for ``os.fork``.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Mapping
from typing import Any

from dagster_postgres import (
    DagsterPostgresStorage,
    PostgresEventLogStorage,
    PostgresRunStorage,
    PostgresScheduleStorage,
)
from dagster_postgres.utils import (
    create_pg_engine,
    get_token_provider_from_config,
    pg_url_from_config,
)
from sqlalchemy import Engine

from vvv_pipeline.defs.dagster_internals import ConfigurableClassData

KEPT_CONNECTIONS = 1
"""Idle connections each storage (run, event log, schedules) keeps per process."""
RECYCLE_SECONDS = 3600
"""A kept connection older than this is closed and replaced at its next use."""

_POOLED_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def pooled_engine(postgres_url: str, token_provider: Any = None) -> Engine:
    """An autocommit engine keeping :data:`KEPT_CONNECTIONS` idle connection (see the module)."""
    engine = create_pg_engine(
        postgres_url,
        token_provider,
        isolation_level="AUTOCOMMIT",  # as dagster-postgres: every statement commits
        pool_size=KEPT_CONNECTIONS,
        max_overflow=-1,
        pool_pre_ping=True,
        pool_recycle=RECYCLE_SECONDS,
    )
    _POOLED_ENGINES.add(engine)
    return engine


def _forget_parents_connections() -> None:
    for engine in list(_POOLED_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_parents_connections)


class _KeepsOneConnection:
    """A dagster-postgres storage built as dagster-postgres builds it, then given
    :func:`pooled_engine`'s engine in place of its ``NullPool`` one."""

    postgres_url: str
    _engine: Engine

    def __init__(self, postgres_url: str, should_autocreate_tables: bool, token_provider: Any):
        super().__init__(  # type: ignore[call-arg]
            postgres_url, should_autocreate_tables, token_provider=token_provider
        )
        self._engine.dispose()  # its NullPool holds no connection: nothing is lost
        self._engine = pooled_engine(postgres_url, token_provider)

    def optimize_for_webserver(self, *args: Any, **kwargs: Any) -> None:
        self._engine.dispose()  # the webserver builds a pool of its own
        super().optimize_for_webserver(*args, **kwargs)  # type: ignore[misc]

    def dispose(self) -> None:
        super().dispose()  # type: ignore[misc]
        self._engine.dispose()


class PooledRunStorage(_KeepsOneConnection, PostgresRunStorage):
    pass


class PooledEventLogStorage(_KeepsOneConnection, PostgresEventLogStorage):
    pass


class PooledScheduleStorage(_KeepsOneConnection, PostgresScheduleStorage):
    pass


class PooledPostgresStorage(DagsterPostgresStorage):
    """``storage: postgres:`` with a kept connection per storage (see the module docstring).

    Configured in ``dagster.yaml`` as::

        storage:
          custom:
            module: vvv_pipeline.defs.postgres_storage
            class: PooledPostgresStorage
            config:
              postgres_db: {...}   # exactly as under storage: postgres:
    """

    def __init__(
        self,
        postgres_url: str,
        should_autocreate_tables: bool = True,
        inst_data: ConfigurableClassData | None = None,
        token_provider: Any = None,
    ) -> None:
        # DagsterPostgresStorage.__init__, building the pooled storages instead of its own
        self.postgres_url = postgres_url
        self.should_autocreate_tables = should_autocreate_tables
        self._inst_data = inst_data
        args = (postgres_url, should_autocreate_tables, token_provider)
        self._run_storage = PooledRunStorage(*args)
        self._event_log_storage = PooledEventLogStorage(*args)
        self._schedule_storage = PooledScheduleStorage(*args)
        super(DagsterPostgresStorage, self).__init__()

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> PooledPostgresStorage:
        return cls(
            postgres_url=pg_url_from_config(config_value),
            should_autocreate_tables=config_value.get("should_autocreate_tables", True),
            inst_data=inst_data,
            token_provider=get_token_provider_from_config(config_value),
        )
