"""Shared fixtures: a temporary data directory, tiny simulated scale, a throwaway instance.

Test tiers: every test that needs a Dagster instance, a service (PostgreSQL, Redis, S3), a
browser, a webserver or daemon, a subprocess run of the command, or materializes jobs is marked
``integration`` here at collection, by where it lives (:data:`INTEGRATION_PATHS`), by the
fixtures it uses (:data:`INTEGRATION_FIXTURES`, which includes every fixture built on them) or
by being ``slow``; the rest is pure logic (``pytest -m "not integration"``). A test elsewhere that
needs one of those says so with ``@pytest.mark.integration`` or a module's ``pytestmark``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from arcticdb_ext import set_config_int

from vvv_pipeline.settings import SHIPPED_UNIVERSE
from vvv_pipeline.storage import arctic
from vvv_pipeline_tests.instance_home import project_instance_for_test
from vvv_pipeline_tests.main_command import FirstRun, first_run

TESTS = Path(__file__).resolve().parent
INTEGRATION_PATHS = (
    # the rehearsal, PostgreSQL, Celery/Redis/S3, the webserver and daemon in Chromium
    "operations/",
    "production/",
    "scaleout/",
    "ui/",
    # source and derived assets materialized into an instance; the command run in processes
    "assets/",
    "automation/test_run_monitoring.py",
    "automation/test_session_close.py",
    "reports/test_report_browser.py",
    "storage/",
    "test_cli.py",
    # runs materialized into an instance beside the pure checks of their module
    "test_configuration_errors.py::test_a_run_with_such_a_fault_fails_naming_it",
    "test_configuration_errors.py::test_an_unknown_scale_in_run_config_fails_the_step_once",
)
"""Directories (ending in ``/``), modules and tests (``module::name``), relative to
``vvv_pipeline_tests/``: a prefix of a test's id there marks it."""
INTEGRATION_FIXTURES = frozenset({"instance", "main_command_first_run"})
"""A test using one of these, directly or through another fixture, is an integration test."""
LONGEST: tuple[tuple[float, tuple[str, ...]], ...] = (
    (190, ("operations/test_production_rehearsal.py::test_a_production_stretch_on_the_shipped",)),
    (56, ("operations/test_production_rehearsal.py::test_the_faulty_days_on_postgresql",)),
    # the main command's first run (about 27 s) is paid by whichever of the two comes first
    (
        82,
        (
            "test_cli.py::test_main_command_writes_every_source_and_is_idempotent",
            "ui/test_ui_tells_the_truth.py::test_the_ui_shows_the_commands_runs_as_they_are",
        ),
    ),
    (45, ("assets/test_reliability.py::",)),
    # one deployment (ui/conftest.py): the schedule's first tick fires during the UI walks
    (60, ("ui/test_dagster_ui.py::", "ui/test_schedule_tick_graphql.py::")),
    (28, ("scaleout/test_celery_executor.py::",)),
    (27, ("assets/test_parallel_writers.py::",)),
    (18, ("test_cli.py::test_terminating_the_commands_run_as_the_ui_does_stops_it_canceled",)),
    (17, ("assets/test_tick_cache_runs.py::",)),
    (16, ("assets/test_analytics_and_reports.py::",)),
    (13, ("test_cli.py::test_a_failed_run_exits_1_naming_the_run",)),
    (11, ("scaleout/test_arcticdb_s3.py::",)),
    (10, ("assets/test_partition_metadata.py::",)),
)
"""The longest tests (or groups run one after the other on one worker: a module's, or tests
sharing a session fixture) with their seconds alone on an idle 2-core machine in a whole-suite
run: started first, each on the worker with the least such work so far (see
:func:`_longest_first`). Ids are prefixes of :func:`_where`."""

# Sessions used across tests (inside every default partition range): Thanksgiving week 2025
# with the 13:00 early close on Friday the 28th, and an hour of a normal session.
WEEK = ["2025-11-21", "2025-11-24", "2025-11-25", "2025-11-26", "2025-11-28"]
EARLY_CLOSE = "2025-11-28"
HOUR = "2025-11-25-15:00"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data directory with the tiny simulated scale; the shipped universe."""
    root = tmp_path / "data"
    root.mkdir()
    use_data_dir(monkeypatch, root)
    return root


def use_data_dir(env: pytest.MonkeyPatch, root: Path) -> None:
    """Point the settings at ``root`` as :func:`data_dir` does (also for a shared store)."""
    env.setenv("VVV_DATA_DIR", str(root))
    env.setenv("VVV_UNIVERSE", str(SHIPPED_UNIVERSE))
    env.setenv("VVV_SCALE", "tiny")
    env.setenv("VVV_GX", "0")  # GX costs seconds per run; its own tests switch it on
    env.delenv("VVV_ARCTIC_URI", raising=False)
    env.delenv("VVV_DUCKDB_PATH", raising=False)


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with project_instance_for_test() as test_instance:
        yield test_instance


@pytest.fixture(scope="session")
def main_command_first_run(tmp_path_factory: pytest.TempPathFactory) -> FirstRun:
    """The README's main command run once per session (see :mod:`.main_command`); with xdist
    the workers share it through the folder above their own temporary folders."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    return first_run(shared / "main-command")


@pytest.fixture(autouse=True)
def _close_the_tests_local_stores(request: pytest.FixtureRequest) -> Iterator[None]:
    """Close the LMDB stores a test opened under its own temporary folder once it ends.

    ``arctic_for`` keeps one ``Arctic`` per URI for the life of the process (a store must not
    be opened twice in one), and each LMDB library maps 400 GiB of address space: a test worker
    that kept every test's libraries open ran out of it (``mdb_env_open: Cannot allocate
    memory``) after about 300. A test's own folder is never used after it; stores of wider
    fixtures live elsewhere and stay open.
    """
    yield
    folder = request.node.funcargs.get("tmp_path")
    if folder is None:
        return
    inside = str(folder) + os.sep
    with arctic._ARCTICS_LOCK:
        for uri in [u for u in arctic._ARCTICS if u.startswith("lmdb://")]:
            if arctic.lmdb_path(uri).startswith(inside):
                del arctic._ARCTICS[uri]  # the last reference: its environments unmap


@pytest.fixture(autouse=True)
def _local_lock_wait_after_object_stores() -> Iterator[None]:
    """Return the worker to local stores' lock wait after a test that opened an object store.

    Opening a non-local store sets ArcticDB's process-wide ``StorageLock.WaitMs`` to its 1 s
    default for the rest of the process, as a deployment must (see
    :data:`vvv_pipeline.storage.arctic.LOCAL_LOCK_WAIT_MS`); in a test worker that would make
    every later test sleep a second on each new library it creates.
    """
    yield
    if arctic._REMOTE_OPENED:
        for uri in [uri for uri in arctic._ARCTICS if not uri.startswith("lmdb://")]:
            del arctic._ARCTICS[uri]
        arctic._REMOTE_OPENED = False
        set_config_int("StorageLock.WaitMs", arctic.LOCAL_LOCK_WAIT_MS)


def _where(item: pytest.Item) -> str:
    """The item's id relative to ``vvv_pipeline_tests/`` (empty outside it)."""
    path = item.path.resolve()
    if not path.is_relative_to(TESTS):
        return ""
    return "::".join([path.relative_to(TESTS).as_posix(), *item.nodeid.split("::")[1:]])


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("integration"):
            continue
        where = _where(item)
        if (
            where.startswith(INTEGRATION_PATHS)
            or INTEGRATION_FIXTURES.intersection(item.fixturenames)
            or item.get_closest_marker("slow")
        ):
            item.add_marker(pytest.mark.integration)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_LongestFirst(), "vvv-longest-first")


class _LongestFirst:
    @pytest.hookimpl(trylast=True)  # on what -m and -k left
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]):
        _longest_first(config, items)


def _longest_first(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start every test of :data:`LONGEST` first, spread over the workers by their seconds.

    With ``-n N`` and ``--dist worksteal`` (``addopts``), worker ``i`` starts on the ``i``-th of
    N consecutive shares of the collection (as equal in count as they can be), and an idle
    worker takes over the *last* queued tests of a busy one. Each long test or group goes, the
    longest first, to the head of the share whose long tests add up to the least so far; the
    short tests fill the shares behind them. The long tests then run at once and side by side,
    and what is left at the end are short tests that balance the workers' last minutes.
    Without xdist the order is the collection's.
    """
    workers = int(getattr(config, "workerinput", {}).get("workercount", 1))
    if workers < 2:
        return
    heads: list[list[pytest.Item]] = [[] for _ in range(workers)]
    loads = [0.0] * workers
    placed: set[int] = set()
    for seconds, prefixes in sorted(LONGEST, key=lambda entry: -entry[0]):
        group = [
            item
            for prefix in prefixes
            for item in items
            if id(item) not in placed and _where(item).startswith(prefix)
        ]
        if not group:
            continue
        lightest = loads.index(min(loads))
        heads[lightest] += group
        loads[lightest] += seconds
        placed.update(id(item) for item in group)
    rest = [item for item in items if id(item) not in placed]
    ordered: list[pytest.Item] = []
    for index, head in enumerate(heads):
        share = (len(items) - len(ordered)) // (workers - index)  # as worksteal splits
        take = max(share - len(head), 0)
        ordered += head + rest[:take]
        rest = rest[take:]
    items[:] = ordered + rest
