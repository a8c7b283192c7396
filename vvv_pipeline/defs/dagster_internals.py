"""Every private Dagster name this project uses, imported in this one module.

Dagster 1.13 has no public equivalent for these: the instance's storage and run launcher
(a locked first-use SQLite storage, a launcher with a worker health check), launching real runs
from a workspace the way ``dagster job launch`` does, reading runs and backfills by status, a
check evaluation that names its target materialization, a Dagster type of kind Nothing (a tick
source's pandera type: its rows go to ArcticDB, no value to an IO manager), the DuckDB IO
manager's table slices, Dagster's clock (tests move it) and the range tags of single-run
backfills. Keeping them here makes an upgrade a one-file review;
``vvv_pipeline_tests/test_architecture.py`` fails on a ``dagster._`` import anywhere else in
the package.
"""

from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)
from dagster._core.definitions.metadata import TableMetadataSet
from dagster._core.definitions.reconstruct import ReconstructableJob
from dagster._core.definitions.selector import JobSubsetSelector
from dagster._core.errors import DagsterExecutionInterruptedError
from dagster._core.event_api import PartitionKeyFilter
from dagster._core.events import ASSET_EVENTS, DagsterEventType, EngineEventData
from dagster._core.events.log import EventLogEntry
from dagster._core.execution.api import execute_run
from dagster._core.execution.backfill import BulkActionsFilter, BulkActionStatus
from dagster._core.instance.ref import InstanceRef
from dagster._core.launcher import CheckRunHealthResult, LaunchRunContext, WorkerStatus
from dagster._core.launcher.default_run_launcher import DefaultRunLauncher
from dagster._core.remote_representation.code_location import CodeLocation
from dagster._core.storage.dagster_run import NOT_FINISHED_STATUSES, RunsFilter
from dagster._core.storage.db_io_manager import (
    DbIOManager,
    DbTypeHandler,
    TablePartitionDimension,
    TableSlice,
)
from dagster._core.storage.event_log.base import EventLogRecord
from dagster._core.storage.event_log.schema import SqlEventLogStorageMetadata
from dagster._core.storage.event_log.sqlite import sqlite_event_log
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.sql import get_alembic_config
from dagster._core.storage.sqlalchemy_compat import db_result
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    BACKFILL_ID_TAG,
    PARTITION_NAME_TAG,
    REPOSITORY_LABEL_TAG,
)
from dagster._core.types.dagster_type import DagsterTypeKind
from dagster._core.workspace.context import WorkspaceProcessContext, WorkspaceRequestContext
from dagster._core.workspace.load_target import (
    ModuleTarget,
    WorkspaceFileTarget,
    WorkspaceLoadTarget,
)
from dagster._serdes import ConfigurableClassData
from dagster._time import get_current_datetime
from dagster._utils.error import SerializableErrorInfo
from dagster._utils.hosted_user_process import recon_job_from_origin

SQLITE_EVENT_LOG_MIGRATIONS = get_alembic_config(sqlite_event_log.__file__)
"""The alembic configuration Dagster stamps and migrates its SQLite event-log shards with."""
WORKSPACE_CLIENT_MODULES = (
    "dagster._api.get_server_id",
    "dagster._api.list_repositories",
    "dagster._api.snapshot_repository",
    "dagster._core.workspace.autodiscovery",
    "dagster._grpc.client",
    "dagster._grpc.server",
)
"""What opening a workspace imports on first use (its gRPC client and the code server's
helpers, with grpc and protobuf); importing them up front leaves it nothing to import."""
RANGE_TAGS = (ASSET_PARTITION_RANGE_START_TAG, ASSET_PARTITION_RANGE_END_TAG)
"""The tags of a run over a partition range (first key, last key): a single-run backfill's."""

ASSET_CHECK_EVALUATION = DagsterEventType.ASSET_CHECK_EVALUATION
"""A check evaluation's event type (the event log stores it in its check table too)."""

__all__ = [
    "ASSET_CHECK_EVALUATION",
    "ASSET_EVENTS",
    "ASSET_PARTITION_RANGE_END_TAG",
    "ASSET_PARTITION_RANGE_START_TAG",
    "BACKFILL_ID_TAG",
    "INDEX_SHARD_NAME",
    "NOT_FINISHED_STATUSES",
    "PARTITION_NAME_TAG",
    "RANGE_TAGS",
    "REPOSITORY_LABEL_TAG",
    "SQLITE_BUSY_TIMEOUT_SECONDS",
    "SQLITE_EVENT_LOG_MIGRATIONS",
    "WORKSPACE_CLIENT_MODULES",
    "AssetCheckEvaluationTargetMaterializationData",
    "BulkActionStatus",
    "BulkActionsFilter",
    "CheckRunHealthResult",
    "CodeLocation",
    "ConfigurableClassData",
    "DagsterExecutionInterruptedError",
    "DagsterSqliteStorage",
    "DagsterTypeKind",
    "DbIOManager",
    "DbTypeHandler",
    "DefaultRunLauncher",
    "EngineEventData",
    "EventLogEntry",
    "EventLogRecord",
    "InstanceRef",
    "JobSubsetSelector",
    "LaunchRunContext",
    "ModuleTarget",
    "PartitionKeyFilter",
    "ReconstructableJob",
    "RunsFilter",
    "SerializableErrorInfo",
    "SqlEventLogStorageMetadata",
    "SqliteEventLogStorage",
    "TableMetadataSet",
    "TablePartitionDimension",
    "TableSlice",
    "WorkerStatus",
    "WorkspaceFileTarget",
    "WorkspaceLoadTarget",
    "WorkspaceProcessContext",
    "WorkspaceRequestContext",
    "db_result",
    "execute_run",
    "get_current_datetime",
    "recon_job_from_origin",
]
