"""What the command prints about a run comes from the run's own events as the instance stores
them: a run that fails outside any step (its worker could not load the job) is reported with
that cause, and a step's lines and rows come from its events."""

import io
import queue
import threading
import uuid
from collections.abc import Callable

import dagster as dg

from vvv_pipeline.cli.follow import follow_here
from vvv_pipeline_tests.dagster_internals import EngineEventData, SerializableErrorInfo


@dg.op
def nothing() -> None:
    return None


@dg.job
def tiny_job() -> None:
    nothing()


RANGE_A_TO_B = {
    "dagster/asset_partition_range_start": "a",
    "dagster/asset_partition_range_end": "b",
}


@dg.asset(partitions_def=dg.StaticPartitionsDefinition(["a", "b"]))
def counted(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"dagster/row_count": 7})


def _followed(instance: dg.DagsterInstance, run_id: str, act: Callable[[], object]) -> tuple:
    """Follow ``run_id`` from a thread while ``act()`` runs it, as the command does: the
    listener is there before the run's first event, the follower from that event on."""
    entries: queue.SimpleQueue = queue.SimpleQueue()
    finished = threading.Event()
    out = io.StringIO()
    followed: list = []
    thread = threading.Thread(
        target=lambda: followed.append(
            follow_here(instance, run_id, "2025-11-24", entries, finished, out)
        )
    )

    def listen(entry: dg.EventLogEntry) -> None:
        entries.put(entry)
        if thread.ident is None:
            thread.start()

    instance.add_event_listener(run_id, listen)
    try:
        act()
    finally:
        finished.set()
    thread.join(timeout=30)
    return followed[0], out.getvalue()


def test_a_run_failed_outside_any_step_is_reported_with_its_cause():
    instance = dg.DagsterInstance.ephemeral()
    run = instance.create_run_for_job(tiny_job)
    cause = SerializableErrorInfo(
        "ModuleNotFoundError: No module named 'vvv_pipeline.definitions'\n",
        [],
        "ModuleNotFoundError",
    )

    def fail() -> None:
        instance.report_engine_event("Failure loading job", run, EngineEventData(error=cause))
        instance.report_run_failed(run, message="Run execution errored")

    outcome, out = _followed(instance, run.run_id, fail)
    assert outcome.status == dg.DagsterRunStatus.FAILURE
    assert outcome.errors == [
        "run: ModuleNotFoundError: No module named 'vvv_pipeline.definitions'"
    ]
    assert "run error: ModuleNotFoundError" in out


def test_a_run_failure_without_any_error_event_keeps_the_failure_message():
    instance = dg.DagsterInstance.ephemeral()
    run = instance.create_run_for_job(tiny_job)
    outcome, _ = _followed(
        instance,
        run.run_id,
        lambda: instance.report_run_failed(run, message="run worker (pid 4242 on vm) is gone"),
    )
    assert outcome.errors == ["run: run worker (pid 4242 on vm) is gone"]


def test_a_steps_lines_and_rows_come_from_its_events():
    """Two partitions of seven rows each: one start line, one end line with 2 partitions and
    14 rows, and the outcome's count of the same."""
    instance = dg.DagsterInstance.ephemeral()
    job = dg.Definitions(
        assets=[counted], jobs=[dg.define_asset_job("counted_job", [counted])]
    ).resolve_job_def("counted_job")
    run_id = str(uuid.uuid4())
    results: list = []
    outcome, out = _followed(
        instance,
        run_id,
        lambda: results.append(
            job.execute_in_process(instance=instance, run_id=run_id, tags=RANGE_A_TO_B)
        ),
    )
    assert results[0].success
    assert outcome.status == dg.DagsterRunStatus.SUCCESS
    assert outcome.partitions_rows == {"counted": (2, 14)}
    assert "counted started" in out
    assert "counted finished: 2 partitions, 14 rows" in out
