"""Run ``vvv-pipeline run``'s jobs as real runs of the code location, as the UI records them.

A run made with ``execute_in_process`` has no code-location origin: the UI cannot re-execute it
("Re-execute all" fails), and it is missing from its job's Runs tab and from the timeline. So the
command loads the project's workspace (``./workspace.yaml``, else the module
``vvv_pipeline.defs.definitions`` as the location ``vvv_pipeline``) and creates each run from the
remote job, as ``dagster job launch`` and the webserver do. It then executes the run in this
process, as ``dagster job execute`` does, rather than through the run launcher: a launched run
starts a worker process that imports the definitions (and great-expectations) again, about 3-5 s
a run, four runs a command. The run is the same run either way: the UI lists it under its job,
re-executes it through its own launcher, and a terminate request from the UI (the run turns
``CANCELING``) interrupts the command's execution as it would a worker's.
:mod:`vvv_pipeline.cli.follow` reports the run's events from a thread meanwhile, as the
instance stores them, so progress lines are those of any launched run.
"""

from __future__ import annotations

import importlib
import os
import queue
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import dagster as dg

from vvv_pipeline import settings
from vvv_pipeline.long_lived import freeze_imported

if TYPE_CHECKING:
    from vvv_pipeline.cli.follow import RunOutcome
    from vvv_pipeline.defs.dagster_internals import (
        CodeLocation,
        WorkspaceLoadTarget,
        WorkspaceRequestContext,
    )

LOCATION_NAME = "vvv_pipeline"
DEFINITIONS_MODULE = "vvv_pipeline.defs.definitions"


def run_config(log_level: str) -> dict[str, object]:
    """The command's run config: Dagster's console log level and, unless steps go to Celery,
    the in-process executor.

    With the default multiprocess executor every step starts a process that rebuilds the
    definitions, opens the stores and compiles the numba kernels again: the 33 short steps of a
    2-session tiny run took about twice as long (3m00s against 1m41s). The executor is run
    config, so a re-execution from the UI keeps it and a launch from the UI does not.
    """
    config: dict[str, object] = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    if settings.current().executor == "multiprocess":
        config["execution"] = {"config": {"in_process": {}}}
    return config


class LaunchError(RuntimeError):
    """The code location did not load or has no such job."""


def workspace_target(cwd: Path | None = None) -> WorkspaceLoadTarget:
    """The project's ``workspace.yaml`` when run from the root, else the definitions module
    under the location name the shipped workspace uses (so the UI matches its runs)."""
    from vvv_pipeline.defs.dagster_internals import ModuleTarget, WorkspaceFileTarget

    workspace_file = (cwd or Path.cwd()) / "workspace.yaml"
    if workspace_file.is_file():
        return WorkspaceFileTarget(paths=[str(workspace_file)])
    return ModuleTarget(DEFINITIONS_MODULE, None, None, LOCATION_NAME)


@contextmanager
def open_workspace(
    instance: dg.DagsterInstance,
    target: WorkspaceLoadTarget | None = None,
    meanwhile: Sequence[Callable[[], object]] = (),
) -> Iterator[WorkspaceRequestContext]:
    """A workspace whose code server lives as long as the block (it starts the run workers).

    Opening it mostly waits for the code server to import the definitions in its own process
    (about 3.5 s); ``meanwhile`` runs in a thread during that wait (:func:`preload`).
    """
    from vvv_pipeline.defs.dagster_internals import (
        WORKSPACE_CLIENT_MODULES,
        WorkspaceProcessContext,
    )

    for module in WORKSPACE_CLIENT_MODULES:  # so that no two threads import the same modules
        importlib.import_module(module)
    helper = threading.Thread(target=_run_all, args=(meanwhile,), name="preload", daemon=True)
    helper.start()
    try:
        with WorkspaceProcessContext(
            instance,
            workspace_load_target=target or workspace_target(),
            version=dg.__version__,
            code_server_log_level="WARNING",
        ) as process_context:
            helper.join()
            freeze_imported()  # the preloads are done and no run has started
            yield process_context.create_request_context()
    finally:
        helper.join()


def _run_all(calls: Sequence[Callable[[], object]]) -> None:
    """Each call, ignoring its failure: a preload that fails is done again, and fails with its
    real error, where the module is needed."""
    for call in calls:
        try:
            call()
        except Exception:  # see the docstring
            continue


def preload() -> list[Callable[[], object]]:
    """What executing the command's runs in this process imports first: the definitions (about
    1.2 s) and, when tier 4 runs its suites and no GX helper process runs them
    (:mod:`vvv_pipeline.validation.expectations_helper`), great-expectations (about 3.5 s)."""
    from vvv_pipeline.validation.expectations import import_great_expectations
    from vvv_pipeline.validation.expectations_helper import helper_open

    calls: list[Callable[[], object]] = [lambda: importlib.import_module(DEFINITIONS_MODULE)]
    if settings.current().gx and not helper_open():
        calls.append(import_great_expectations)
    return calls


def _location_with_job(workspace: WorkspaceRequestContext, job_name: str) -> CodeLocation:
    errors = []
    for name, entry in workspace.get_code_location_entries().items():
        if entry.load_error is not None:
            errors.append(f"code location {name} failed to load:\n{entry.load_error.to_string()}")
            continue
        location = workspace.get_code_location(name)
        if any(repo.has_job(job_name) for repo in location.get_repositories().values()):
            return location
    raise LaunchError("\n".join(errors) or f"no code location in the workspace has {job_name}")


def create_run(
    instance: dg.DagsterInstance,
    workspace: WorkspaceRequestContext,
    job_name: str,
    tags: Mapping[str, str],
    run_config: Mapping[str, object],
) -> dg.DagsterRun:
    """Create the run from the remote job, as ``dagster job launch`` does, tagged as one this
    command executes itself (:func:`execute_here`)."""
    from vvv_pipeline.defs.automation.run_launcher import COMMAND_RUN_TAG, COMMAND_RUN_VALUE
    from vvv_pipeline.defs.dagster_internals import JobSubsetSelector

    location = _location_with_job(workspace, job_name)
    repo = next(r for r in location.get_repositories().values() if r.has_job(job_name))
    remote_job = location.get_job(
        JobSubsetSelector(
            location_name=location.name,
            repository_name=repo.name,
            job_name=job_name,
            op_selection=None,
        )
    )
    plan = location.get_execution_plan(
        remote_job, dict(run_config), step_keys_to_execute=None, known_state=None, instance=instance
    ).execution_plan_snapshot
    run = instance.create_run(
        job_name=job_name,
        run_id=None,
        run_config=dict(run_config),
        status=None,
        tags={**remote_job.tags, **tags, COMMAND_RUN_TAG: COMMAND_RUN_VALUE},
        root_run_id=None,
        parent_run_id=None,
        step_keys_to_execute=plan.step_keys_to_execute,
        execution_plan_snapshot=plan,
        job_snapshot=remote_job.job_snapshot,
        parent_job_snapshot=remote_job.parent_job_snapshot,
        asset_selection=None,
        asset_check_selection=None,
        resolved_op_selection=None,
        op_selection=None,
        remote_job_origin=remote_job.get_remote_origin(),
        job_code_origin=remote_job.get_python_origin(),
        asset_graph=repo.asset_graph,
    )
    return run


def execute_here(instance: dg.DagsterInstance, run: dg.DagsterRun) -> None:
    """Execute the created ``run`` in this process, as a run worker would: the engine event with
    this process's pid first (run monitoring judges the run by it), then every step."""
    from vvv_pipeline.defs.cancellation import forget_request
    from vvv_pipeline.defs.dagster_internals import (
        EngineEventData,
        execute_run,
        recon_job_from_origin,
    )

    if run.job_code_origin is None:
        raise LaunchError(f"run {run.run_id} has no code origin to load its job from")
    forget_request()
    pid = os.getpid()
    instance.report_engine_event(
        f"Started process for run (pid: {pid}).", run, EngineEventData.in_process(pid)
    )
    try:
        execute_run(recon_job_from_origin(run.job_code_origin), run, instance)
    except KeyboardInterrupt:
        # interrupted where Dagster does not turn it into a canceled or failed run (before its
        # steps or after them): the run must not stay STARTED or CANCELING
        current = instance.get_run_by_id(run.run_id)
        if current is not None and current.status == dg.DagsterRunStatus.CANCELING:
            instance.report_run_canceled(current, message="Terminated by request.")
            return
        if current is not None and not current.is_finished:
            instance.report_run_failed(current, message="vvv-pipeline run was interrupted.")
        raise


def range_tags(first: str, last: str) -> dict[str, str]:
    """Tags of a run over the partition range ``first``..``last`` (what a single-run backfill
    launches), with this machine as its worker host, so run monitoring can tell when the worker
    is gone."""
    from vvv_pipeline.defs.automation.run_launcher import WORKER_HOST_TAG, this_host
    from vvv_pipeline.defs.dagster_internals import (
        ASSET_PARTITION_RANGE_END_TAG,
        ASSET_PARTITION_RANGE_START_TAG,
    )

    return {
        ASSET_PARTITION_RANGE_START_TAG: first,
        ASSET_PARTITION_RANGE_END_TAG: last,
        WORKER_HOST_TAG: this_host(),
    }


def launch_and_follow(
    instance: dg.DagsterInstance,
    workspace: WorkspaceRequestContext,
    job_name: str,
    tags: Mapping[str, str],
    config: Mapping[str, object],
    window: tuple[str, str],
    out: TextIO = sys.stdout,
) -> RunOutcome | None:
    """Launch one run over ``window`` (first, last key), print its progress until it ends; its
    outcome, or None once a launch error or a failure (with each failed step's cause) is printed
    on stderr."""
    from vvv_pipeline.cli.follow import follow_here

    try:
        created = create_run(instance, workspace, job_name, tags, config)
    except LaunchError as error:
        print(f"vvv-pipeline: {error}", file=sys.stderr)
        return None
    first, last = window
    print(f"  {job_name} {first} .. {last} (run {created.run_id})", file=out, flush=True)
    followed: list[RunOutcome] = []
    entries: queue.SimpleQueue[dg.EventLogEntry] = queue.SimpleQueue()
    finished = threading.Event()
    instance.add_event_listener(created.run_id, entries.put)
    follower = threading.Thread(
        target=lambda: followed.append(
            follow_here(instance, created.run_id, f"{first} .. {last}", entries, finished, out)
        ),
        name=f"follow-{created.run_id}",
        daemon=True,
    )
    follower.start()
    try:
        execute_here(instance, created)
    finally:
        finished.set()
    follower.join()
    if not followed:
        raise RuntimeError(f"run {created.run_id}: its event log could not be followed")
    outcome = followed[0]
    if not outcome.success:
        why = "".join(f"\n  {error}" for error in outcome.errors)
        print(
            f"{job_name} {outcome.status.value} for {first}..{last} (run {outcome.run_id}){why}",
            file=sys.stderr,
        )
        return None
    print(
        f"  {job_name}: ok in {outcome.seconds:.1f}s (run {outcome.run_id})", file=out, flush=True
    )
    return outcome
