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
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from dagster import DagsterInstance

from vvv_pipeline.defs.dagster_internals import (
    ConfigurableClassData,
    DagsterSqliteStorage,
    InstanceRef,
)

LOCK_SUFFIX = ".lock"


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


class LockedSqliteStorage(DagsterSqliteStorage):
    """Dagster's SQLite storage, created under :func:`storage_lock` (see the module docstring).

    Configured as ``storage: custom:`` in ``dagster.yaml``, so every Dagster process that opens
    the instance takes the lock, not only this project's commands.
    """

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
