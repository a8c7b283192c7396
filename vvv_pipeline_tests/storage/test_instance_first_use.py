"""Commands started together on a fresh instance must not break its SQLite storage.

Dagster stamps ``alembic_version`` on first use with no lock between processes
(dagster-io/dagster#27390): processes opening a fresh instance at once fail, and often leave two
heads so that every later command fails. The project opens its instance under a file lock
(:mod:`vvv_pipeline.defs.instance`); these tests race real processes on fresh homes to show the
failure without the lock and its absence with it.
"""

import shutil
from pathlib import Path

import pytest
from dagster import DagsterInstance

from vvv_pipeline.defs.instance import (
    InstanceConfigError,
    LockedSqliteStorage,
    lock_path,
    open_instance,
    project_instance_ref,
)
from vvv_pipeline_tests.dagster_internals import InstanceRef
from vvv_pipeline_tests.storage.instance_race import race

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 5
ROUNDS = 6
PLAIN_STORAGE = "storage:\n  sqlite:\n    base_dir: data/dagster/storage\n"
LOCKED_STORAGE = (
    "storage:\n  custom:\n    module: vvv_pipeline.defs.instance\n"
    f"    class: {LockedSqliteStorage.__name__}\n"
    "    config:\n      base_dir: data/dagster/storage\n"
)
DATABASES = {
    "data/dagster/storage/history/runs.db",
    "data/dagster/storage/history/runs/index.db",
    "data/dagster/storage/schedules/schedules.db",
}


def _homes(tmp_path: Path, config: str, rounds: int = ROUNDS) -> list[Path]:
    homes = []
    for round_no in range(rounds):
        home = tmp_path / f"home{round_no}"
        home.mkdir()
        (home / "dagster.yaml").write_text(config)
        homes.append(home)
    return homes


def _shipped_config() -> str:
    config = (ROOT / "dagster.yaml").read_text()
    assert LOCKED_STORAGE in config, "the shipped instance no longer opens its storage locked"
    return config


def _plain_config() -> str:
    """The shipped configuration with Dagster's stock, unlocked SQLite storage."""
    return _shipped_config().replace(LOCKED_STORAGE, PLAIN_STORAGE)


def _assert_clean(rounds) -> None:
    for played in rounds:
        assert played.errors == [], played.home
        assert played.alembic_rows == dict.fromkeys(DATABASES, 1), played.home
        assert lock_path(played.home / "data/dagster/storage").is_file()


@pytest.mark.slow
def test_unlocked_first_use_fails_so_the_race_is_real(tmp_path):
    """Control: without the lock the same race breaks at least one of 4 rounds (the rates
    measured are in RELIABILITY.md)."""
    rounds = race(_homes(tmp_path, _plain_config(), 4), ["dagster"] * WORKERS, tmp_path / "c")
    assert any(played.errors or played.broken for played in rounds)


@pytest.mark.slow
def test_project_commands_started_together_create_the_storage_once(tmp_path):
    rounds = race(_homes(tmp_path, _plain_config()), ["project"] * WORKERS, tmp_path / "c")
    _assert_clean(rounds)


@pytest.mark.slow
def test_locked_storage_config_covers_dagster_processes_and_project_commands(tmp_path):
    """The shipped dagster.yaml names ``LockedSqliteStorage``: Dagster's own processes lock too."""
    config = _shipped_config()
    modes = ["dagster", "project", "dagster", "project", "dagster"]
    _assert_clean(race(_homes(tmp_path, config), modes, tmp_path / "c"))


def test_locked_storage_opens_an_existing_instance_without_waiting_on_itself(tmp_path, monkeypatch):
    home = _homes(tmp_path, _shipped_config(), 1)[0]
    monkeypatch.chdir(home)
    for _ in range(2):  # create, then reopen; open_instance must not take the lock twice
        with open_instance(InstanceRef.from_dir(str(home))) as instance:
            assert instance.get_ref().storage_data.class_name == "LockedSqliteStorage"
            assert instance.get_run_records(limit=1) == []


def test_project_instance_is_the_root_dagster_yaml_or_dagster_home(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InstanceConfigError, match=r"no dagster\.yaml"):
        project_instance_ref()
    shutil.copy(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    with open_instance(project_instance_ref()) as instance:
        assert instance.get_run_records(limit=1) == []
    assert (tmp_path / "data" / "dagster" / "storage" / "history" / "runs.db").is_file()
    assert (tmp_path / "data" / "dagster" / "storage.lock").is_file()
    monkeypatch.setenv("DAGSTER_HOME", "relative/home")
    with pytest.raises(InstanceConfigError, match="DAGSTER_HOME"):
        project_instance_ref()
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with open_instance(project_instance_ref()) as instance:
        assert isinstance(instance, DagsterInstance)
