"""Private Dagster names the tests use, in one module (the product's are in
:mod:`vvv_pipeline.defs.dagster_internals`, re-exported here): test workspaces and code-location
origins, Dagster's frozen clock, the daemons' single iterations (freshness, run monitoring,
backfills) and the run coordinator's submit context, which the tests drive directly as the
daemon would."""

from datetime import datetime

import dagster as dg
from dagster._core.definitions.repository_definition.valid_definitions import (
    SINGLETON_REPOSITORY_NAME,
)
from dagster._core.events import EngineEventData
from dagster._core.execution.backfill import PartitionBackfill
from dagster._core.remote_origin import (
    InProcessCodeLocationOrigin,
    RemoteJobOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.run_coordinator import SubmitRunContext
from dagster._core.storage.dagster_run import DagsterRunStatus
from dagster._core.storage.tags import RUN_KEY_TAG
from dagster._core.test_utils import InProcessTestWorkspaceLoadTarget, freeze_time
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
from dagster._daemon import controller as daemon_controller
from dagster._daemon.backfill import execute_backfill_iteration
from dagster._daemon.cli import main as dagster_daemon_main
from dagster._daemon.freshness import FreshnessDaemon
from dagster._daemon.monitoring.run_monitoring import monitor_started_run
from dagster._serdes import serialize_value
from dagster._utils.schedules import cron_string_iterator

from vvv_pipeline.defs.dagster_internals import *  # noqa: F403
from vvv_pipeline.defs.dagster_internals import __all__ as _product_names

__all__ = [
    *_product_names,
    "RUN_KEY_TAG",
    "SINGLETON_REPOSITORY_NAME",
    "DagsterRunStatus",
    "EngineEventData",
    "FreshnessDaemon",
    "InProcessCodeLocationOrigin",
    "InProcessTestWorkspaceLoadTarget",
    "InProcessWorkspaceLoadTarget",
    "LoadableTargetOrigin",
    "PartitionBackfill",
    "RemoteJobOrigin",
    "RemoteRepositoryOrigin",
    "SubmitRunContext",
    "cron_string_iterator",
    "dagster_daemon_main",
    "daemon_controller",
    "execute_backfill_iteration",
    "freeze_time",
    "monitor_started_run",
    "schedule_context_on",
    "serialize_value",
]


def schedule_context_on(
    instance: dg.DagsterInstance,
    scheduled_execution_time: datetime,
    repository_def: dg.RepositoryDefinition,
) -> dg.ScheduleEvaluationContext:
    """``dg.build_schedule_context`` whose ``instance`` is ``instance`` itself.

    The public builder keeps only the instance's reference and opens a new instance from it at
    first use (its storage, with the migration checks), once per evaluation: 2.7 % of the
    production rehearsal, which evaluates ~200 schedule ticks on one instance.
    """
    context = dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=scheduled_execution_time,
        repository_def=repository_def,
    )
    context._instance = instance  # set where the property would open a new one on first use
    return context
