"""One store of two sessions built by every job, shared by the asset tests that only read it.

Building the hourly, calendar-day and session jobs over two days takes a worker tens of seconds;
the tests that read analytics, the report, event bars, crypto windows and tiers, tier 3 and the
stored column schemas read the same store instead of each building their part of it. A test
that writes or reruns anything builds its own store (``data_dir`` and ``instance``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from vvv_pipeline_tests.assets.test_derived import _run
from vvv_pipeline_tests.assets.test_event_bars_and_tiers import _hours
from vvv_pipeline_tests.conftest import WEEK, use_data_dir
from vvv_pipeline_tests.instance_home import project_instance_for_test

TWO_DAYS = WEEK[1:3]
"""2025-11-24 and 2025-11-25: full sessions, and the New York days of their crypto hours."""


@dataclass(frozen=True)
class BuiltStore:
    root: Path
    days: list[str]
    session_run: dg.ExecuteInProcessResult
    """The session job's range run (its materializations carry the daily reports' metadata)."""


@pytest.fixture(scope="session")
def _two_days_store(tmp_path_factory: pytest.TempPathFactory) -> BuiltStore:
    """:data:`TWO_DAYS` through every job in the order a deployment runs them: the crypto hours,
    the calendar days (news, crypto bars, windows, tiers, analytics), then the sessions (sources,
    bars, tiers, analytics, report). Built once per worker; the instance is closed afterwards
    (the tests read the stores and the session run's result, not the event log)."""
    root = tmp_path_factory.mktemp("two_days") / "data"
    root.mkdir()
    with pytest.MonkeyPatch.context() as env, project_instance_for_test() as instance:
        use_data_dir(env, root)
        _run("hourly_sources_job", list(_hours(TWO_DAYS)), instance)
        _run("calendar_day_sources_job", TWO_DAYS, instance)
        session_run = _run("session_sources_job", TWO_DAYS, instance)
    return BuiltStore(root, list(TWO_DAYS), session_run)


@pytest.fixture
def two_days_store(_two_days_store: BuiltStore, monkeypatch: pytest.MonkeyPatch) -> BuiltStore:
    """The shared store of :data:`TWO_DAYS`, the settings pointed at it. Read it, never write."""
    use_data_dir(monkeypatch, _two_days_store.root)
    return _two_days_store


@pytest.fixture(scope="module")
def module_instance() -> Iterator[dg.DagsterInstance]:
    """One Dagster instance for the runs of a module's tests (opening one takes half a second),
    for tests that each write their own store (``data_dir``) and judge their run by its result
    and that store, never by the instance's event log."""
    with project_instance_for_test() as instance:
        yield instance
