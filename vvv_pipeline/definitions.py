"""The one place that assembles the code location's ``Definitions``."""

from __future__ import annotations

import os

import dagster as dg

from vvv_pipeline import settings
from vvv_pipeline.assets.bars import DERIVED_ASSETS
from vvv_pipeline.assets.sources import SOURCE_ASSETS
from vvv_pipeline.jobs import SOURCE_JOBS
from vvv_pipeline.resources import ArcticDB, MarketData, UniverseFile, Validation
from vvv_pipeline.storage.warehouse import WarehouseIOManager


def build_resources() -> dict[str, object]:
    """Resources from the environment; with nothing set, everything lives under ./data."""
    return {
        "market": MarketData(
            provider=os.environ.get("VVV_PROVIDER", "simulated"),
            scale=os.environ.get("VVV_SCALE", "default"),
        ),
        "arctic": ArcticDB(uri=settings.arctic_uri()),
        "universe": UniverseFile(path=str(settings.universe_path())),
        "warehouse": WarehouseIOManager(database=settings.duckdb_path(), schema="sources"),
        "validation": Validation(
            quarantine_uri=settings.arctic_uri(),
            great_expectations=os.environ.get("VVV_GX", "1") != "0",
            docs_dir=str(settings.data_dir() / "gx"),
        ),
    }


def build_definitions() -> dg.Definitions:
    return dg.Definitions(
        assets=[*SOURCE_ASSETS, *DERIVED_ASSETS],
        jobs=list(SOURCE_JOBS),
        resources=build_resources(),
    )


defs = build_definitions()
