"""What the command prints about a run comes from the run's own events: a run that fails
outside any step (its worker could not load the job) is reported with that cause."""

import io

import dagster as dg

from vvv_pipeline.cli.follow import follow
from vvv_pipeline_tests.dagster_internals import EngineEventData, SerializableErrorInfo


@dg.op
def nothing() -> None:
    return None


@dg.job
def tiny_job() -> None:
    nothing()


def test_a_run_failed_outside_any_step_is_reported_with_its_cause():
    instance = dg.DagsterInstance.ephemeral()
    run = instance.create_run_for_job(tiny_job)
    cause = SerializableErrorInfo(
        "ModuleNotFoundError: No module named 'vvv_pipeline.definitions'\n",
        [],
        "ModuleNotFoundError",
    )
    instance.report_engine_event("Failure loading job", run, EngineEventData(error=cause))
    instance.report_run_failed(run, message="Run execution errored")
    out = io.StringIO()
    outcome = follow(instance, run.run_id, "2025-11-24", out=out)
    assert outcome.status == dg.DagsterRunStatus.FAILURE
    assert outcome.errors == [
        "run: ModuleNotFoundError: No module named 'vvv_pipeline.definitions'"
    ]
    assert "run error: ModuleNotFoundError" in out.getvalue()


def test_a_run_failure_without_any_error_event_keeps_the_failure_message():
    instance = dg.DagsterInstance.ephemeral()
    run = instance.create_run_for_job(tiny_job)
    instance.report_run_failed(run, message="run worker (pid 4242 on vm) is gone")
    outcome = follow(instance, run.run_id, "2025-11-24", out=io.StringIO())
    assert outcome.errors == ["run: run worker (pid 4242 on vm) is gone"]
