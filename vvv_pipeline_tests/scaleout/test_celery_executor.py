"""Steps of a pipeline job execute on a real Celery worker process through the Redis broker.

The broker is the machine's Redis at 127.0.0.1:6379 (a test database and a queue of this test's
own); an unreachable broker fails the test. The worker shares the stores (ArcticDB on a moto S3
server, the DuckDB file) and the Dagster instance with the test, as the workers of a deployment
share object storage and the instance's database.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from vvv_pipeline.bars import time_bars
from vvv_pipeline.calendars import EXCHANGE_TZ
from vvv_pipeline.defs.automation.schedules import xnys_session_close_schedule
from vvv_pipeline.defs.definitions import job_from_env, reconstructable_job
from vvv_pipeline.defs.executors import (
    celery_config_from_env,
    celery_worker_command,
    executor_from_env,
    with_executor_from_env,
)
from vvv_pipeline.read import load_bars
from vvv_pipeline_tests.assets.helpers import stored_table, stored_ticks
from vvv_pipeline_tests.conftest import EARLY_CLOSE
from vvv_pipeline_tests.scaleout.services import CeleryStack, celery_stack

BROKER = os.environ.get("VVV_TEST_CELERY_BROKER", "redis://127.0.0.1:6379/11")
EQUITIES = ["SPY", "QQQ", "AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "JPM"]
STEPS = ["equity_ticks", "darkpool_prints", "equity_time_bars"]
TIME_BARS_POOL = "arcticdb_bars_time_bars"
# dagster-celery registers its step task again on every submission; the warning says just that
QUIET_CELERY = pytest.mark.filterwarnings("ignore::celery.exceptions.DuplicateTaskNameWarning")


def _session_span(day: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(day, tz="America/New_York")
    return start.tz_convert("UTC"), (start + pd.Timedelta(days=1)).tz_convert("UTC")


def _early_close_run_request() -> dg.RunRequest:
    """What the session schedule requests at 13:15 New York on the early close."""
    tick = pd.Timestamp("2025-11-28 13:15", tz=EXCHANGE_TZ).to_pydatetime()
    request = xnys_session_close_schedule(dg.build_schedule_context(scheduled_execution_time=tick))
    assert isinstance(request, dg.RunRequest)
    return request


def test_without_vvv_executor_the_default_multiprocess_executor_stays(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("VVV_EXECUTOR", raising=False)
    defs = dg.Definitions()
    assert executor_from_env() is None
    assert with_executor_from_env(defs) is defs


def test_celery_config_comes_from_the_environment_with_the_broker_as_backend(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VVV_CELERY_BROKER", "redis://10.0.0.5:6379/3")
    monkeypatch.delenv("VVV_CELERY_BACKEND", raising=False)
    monkeypatch.setenv("VVV_CELERY_QUEUE", "vvv-steps")
    assert celery_config_from_env() == {
        "broker": "redis://10.0.0.5:6379/3",
        "backend": "redis://10.0.0.5:6379/3",
        "config_source": {"task_default_queue": "vvv-steps"},
    }
    monkeypatch.setenv("VVV_CELERY_BACKEND", "redis://10.0.0.5:6379/4")
    assert celery_config_from_env()["backend"] == "redis://10.0.0.5:6379/4"


def test_vvv_executor_celery_gives_every_job_the_celery_executor(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VVV_EXECUTOR", "celery")
    assert job_from_env("hourly_sources_job").executor_def.name == "celery"
    monkeypatch.setenv("VVV_EXECUTOR", "multiprocess")
    assert job_from_env("hourly_sources_job").executor_def.name == "multi_or_in_process_executor"


def test_an_unknown_executor_name_is_rejected_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VVV_EXECUTOR", "dask")
    with pytest.raises(ValueError, match=r"VVV_EXECUTOR='dask'"):
        executor_from_env()


def test_worker_command_serves_the_queue_on_the_broker_and_backend() -> None:
    argv = celery_worker_command("redis://h:1/2", queue="q1", name="w@h", pool="solo")
    assert argv[:7] == [
        "celery",
        "--app",
        "dagster_celery.app",
        "--broker",
        "redis://h:1/2",
        "--result-backend",
        "redis://h:1/2",
    ]
    pairs = dict(itertools.pairwise(argv))
    assert (pairs["--queues"], pairs["--hostname"], pairs["--pool"]) == ("q1", "w@h", "solo")
    with pytest.raises(ValueError, match="concurrency=0"):
        celery_worker_command(concurrency=0)


def _execute_session(
    stack: CeleryStack, tags: dict[str, str], steps: list[str]
) -> tuple[str, list[dg.DagsterEvent]]:
    """Run the selected steps of the session job on the worker; (run id, events)."""
    with dg.execute_job(
        reconstructable_job("session_sources_job"),
        instance=stack.instance,
        tags=tags,
        asset_selection=[dg.AssetKey(step) for step in steps],
    ) as result:
        assert result.success, f"run failed; worker log:\n{stack.worker.log()[-8000:]}"
        return result.run_id, list(result.all_events)


def _wait_for(condition: Callable[[], bool], running: Future, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if running.done():
            running.result()  # raises the run's failure
            raise AssertionError("the run ended before the awaited condition held")
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached within {timeout:.0f} s")
        time.sleep(0.2)


@pytest.mark.slow
@QUIET_CELERY
def test_scheduled_session_run_executes_its_steps_on_the_celery_worker(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = _early_close_run_request()
    assert request.partition_key == EARLY_CLOSE
    with celery_stack(BROKER, tmp_path, monkeypatch) as stack:
        tags = {**request.tags, "dagster/partition": request.partition_key}
        _, events = _execute_session(stack, tags, STEPS)
        ticks = stored_ticks("equity_ticks", [EARLY_CLOSE])
        got = load_bars(EQUITIES, "1min", *_session_span(EARLY_CLOSE))
    step_pids = {e.step_key: e.pid for e in events if e.is_step_start}
    assert set(step_pids) == set(STEPS)
    # the solo pool runs each step in the worker's own process, never in the test's
    assert set(step_pids.values()) == {stack.worker.process.pid} != {os.getpid()}
    handed_to = [
        e.event_specific_data.metadata["Celery worker"].value
        for e in events
        if e.is_engine_event and "Celery worker" in e.event_specific_data.metadata
    ]
    assert handed_to == [stack.node] * len(STEPS)
    materialized = {
        (e.asset_key.to_user_string(), e.partition) for e in events if e.is_step_materialization
    }
    assert materialized == {(step, EARLY_CLOSE) for step in STEPS}
    # steps hand over through the shared stores: the bars are those of the stored ticks
    want = time_bars(ticks, "1min", sessions=[EARLY_CLOSE])
    assert len(got) == len(want) > 0
    assert got["volume"].sum() == ticks["size"].sum()
    assert len(stored_table("darkpool_prints")) > 0
    assert not (data_dir / "arcticdb").exists()  # nothing fell back to the local LMDB store


@pytest.mark.slow
@QUIET_CELERY
def test_an_s3_bars_writer_waits_while_another_holds_the_library_pool(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ArcticDB on S3 has no lock: the pool of the library, limited to 1, is what serialises."""
    limit_one = {"concurrency": {"pools": {"default_limit": 1}}}
    with celery_stack(BROKER, tmp_path, monkeypatch, limit_one) as stack:
        # polled from this thread while the run orchestrates from another
        observer = dg.DagsterInstance.from_ref(stack.instance.get_ref())
        storage = observer.event_log_storage
        assert storage.initialize_concurrency_limit_to_default(TIME_BARS_POOL)
        held = storage.claim_concurrency_slot(TIME_BARS_POOL, "other-writer", "equity_time_bars")
        assert held.is_claimed
        tags = {"dagster/partition": EARLY_CLOSE}
        steps = ["equity_ticks", "equity_time_bars"]
        with ThreadPoolExecutor(1) as orchestrator:
            running = orchestrator.submit(_execute_session, stack, tags, steps)

            def bars_step_waits() -> bool:
                return storage.get_concurrency_info(TIME_BARS_POOL).pending_step_count == 1

            _wait_for(bars_step_waits, running, timeout=60)
            time.sleep(2)  # a few turns of the orchestrator's 1-second loop, still held
            bars_before_release = load_bars(EQUITIES, "1min")
            released = time.time()
            storage.free_concurrency_slot_for_step("other-writer", "equity_time_bars")
            run_id, events = running.result(timeout=120)
        bars = load_bars(EQUITIES, "1min", *_session_span(EARLY_CLOSE))
        starts = {
            entry.step_key: entry.timestamp
            for entry in stack.instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_START)
        }
    assert bars_before_release.empty  # nothing written while the other writer held the pool
    assert starts["equity_ticks"] < released < starts["equity_time_bars"]
    assert len(bars) > 0
    assert {e.step_key for e in events if e.is_step_success} == set(steps)
