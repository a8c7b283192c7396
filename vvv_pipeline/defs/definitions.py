"""The one place that assembles the code location's ``Definitions``."""

from __future__ import annotations

import dagster as dg

from vvv_pipeline import settings
from vvv_pipeline.defs.assets.analytics import ANALYTICS_ASSETS
from vvv_pipeline.defs.assets.bars import TIME_BAR_ASSETS
from vvv_pipeline.defs.assets.event_bars import EVENT_BAR_ASSETS
from vvv_pipeline.defs.assets.metadata_tiers import METADATA_TIER_ASSETS
from vvv_pipeline.defs.assets.reports import REPORT_ASSETS
from vvv_pipeline.defs.assets.sources import SOURCE_ASSETS
from vvv_pipeline.defs.assets.streams import stream_asset_specs
from vvv_pipeline.defs.automation.alerts import ALERT_SENSORS
from vvv_pipeline.defs.automation.schedules import SCHEDULES
from vvv_pipeline.defs.automation.sensors import SENSORS
from vvv_pipeline.defs.automation.streams import stream_status
from vvv_pipeline.defs.dagster_internals import ReconstructableJob
from vvv_pipeline.defs.executors import executor_from_env, with_executor_from_env
from vvv_pipeline.defs.jobs import JOBS
from vvv_pipeline.defs.resources import ArcticDB, UniverseFile, Validation, market_from_env
from vvv_pipeline.defs.warehouse_io_manager import WarehouseIOManager
from vvv_pipeline.long_lived import freeze_imported


def build_resources() -> dict[str, object]:
    """Resources from the settings; with nothing set, everything lives under ./data."""
    return {
        "market": market_from_env(),
        "arctic": ArcticDB(
            uri=settings.arctic_uri(), tick_cache_mb=settings.current().tick_cache_mb
        ),
        "universe": UniverseFile(path=str(settings.universe_path())),
        "warehouse": WarehouseIOManager(database=settings.duckdb_path(), schema="sources"),
        "validation": Validation(
            quarantine_uri=settings.arctic_uri(),
            great_expectations=settings.current().gx,
            docs_dir=str(settings.data_dir() / "gx"),
        ),
    }


def build_definitions(resources: dict[str, object] | None = None) -> dg.Definitions:
    """The code location; ``resources`` replaces any of :func:`build_resources` by key.

    The live streams' assets and their status sensor are there only when streams are
    monitored (``VVV_STREAM_VENUES``)."""
    venues = settings.stream_venues()
    streams = stream_asset_specs(venues, settings.current().stream_stall_seconds)
    return dg.Definitions(
        assets=[
            *SOURCE_ASSETS,
            *TIME_BAR_ASSETS,
            *EVENT_BAR_ASSETS,
            *METADATA_TIER_ASSETS,
            *ANALYTICS_ASSETS,
            *REPORT_ASSETS,
            *streams,
        ],
        jobs=list(JOBS),
        schedules=SCHEDULES,
        sensors=[*SENSORS, *ALERT_SENSORS, *([stream_status] if venues else [])],
        executor=executor_from_env(),
        resources={**build_resources(), **(resources or {})},
    )


defs = build_definitions()
freeze_imported()  # see vvv_pipeline.long_lived: what a run worker imported, out of full GCs


def job_from_env(job_name: str) -> dg.JobDefinition:
    """The code location's job ``job_name`` with the executor ``VVV_EXECUTOR`` names."""
    return with_executor_from_env(build_definitions()).resolve_job_def(job_name)


def reconstructable_job(job_name: str) -> ReconstructableJob:
    """A pointer every worker can rebuild ``job_name`` from (``dg.execute_job`` takes it)."""
    return dg.build_reconstructable_job(__name__, "job_from_env", reconstructable_args=(job_name,))
