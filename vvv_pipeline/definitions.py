"""The one place that assembles the code location's ``Definitions``."""

from __future__ import annotations

import os

import dagster as dg

from vvv_pipeline import settings
from vvv_pipeline.assets.analytics import ANALYTICS_ASSETS
from vvv_pipeline.assets.bars import TIME_BAR_ASSETS
from vvv_pipeline.assets.event_bars import EVENT_BAR_ASSETS
from vvv_pipeline.assets.metadata_tiers import METADATA_TIER_ASSETS
from vvv_pipeline.assets.reports import REPORT_ASSETS
from vvv_pipeline.assets.sources import SOURCE_ASSETS
from vvv_pipeline.automation.alerts import ALERT_SENSORS
from vvv_pipeline.automation.schedules import SCHEDULES
from vvv_pipeline.automation.sensors import SENSORS
from vvv_pipeline.executors import executor_from_env
from vvv_pipeline.jobs import JOBS
from vvv_pipeline.resources import ArcticDB, UniverseFile, Validation, market_from_env
from vvv_pipeline.storage.warehouse import WarehouseIOManager


def build_resources() -> dict[str, object]:
    """Resources from the environment; with nothing set, everything lives under ./data."""
    return {
        "market": market_from_env(),
        "arctic": ArcticDB(uri=settings.arctic_uri()),
        "universe": UniverseFile(path=str(settings.universe_path())),
        "warehouse": WarehouseIOManager(database=settings.duckdb_path(), schema="sources"),
        "validation": Validation(
            quarantine_uri=settings.arctic_uri(),
            great_expectations=os.environ.get("VVV_GX", "1") != "0",
            docs_dir=str(settings.data_dir() / "gx"),
        ),
    }


def build_definitions(resources: dict[str, object] | None = None) -> dg.Definitions:
    """The code location; ``resources`` replaces any of :func:`build_resources` by key."""
    return dg.Definitions(
        assets=[
            *SOURCE_ASSETS,
            *TIME_BAR_ASSETS,
            *EVENT_BAR_ASSETS,
            *METADATA_TIER_ASSETS,
            *ANALYTICS_ASSETS,
            *REPORT_ASSETS,
        ],
        jobs=list(JOBS),
        schedules=SCHEDULES,
        sensors=[*SENSORS, *ALERT_SENSORS],
        executor=executor_from_env(),
        resources={**build_resources(), **(resources or {})},
    )


defs = build_definitions()
