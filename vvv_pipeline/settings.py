"""Locations and defaults read from the environment, so embedded mode needs no setting at all.

``VVV_DATA_DIR``  root of everything the pipeline writes (default ``./data``).
``VVV_UNIVERSE``  the universe file (default: the project's shipped ``data/universe.toml``).
``VVV_ARCTIC_URI`` ArcticDB URI (default ``lmdb://<data dir>/arcticdb``).
``VVV_DUCKDB_PATH`` DuckDB file for the small sources (default ``<data dir>/warehouse.duckdb``).
"""

from __future__ import annotations

import os
from pathlib import Path


def data_dir() -> Path:
    return Path(os.environ.get("VVV_DATA_DIR", "data")).resolve()


SHIPPED_UNIVERSE = Path(__file__).resolve().parents[1] / "data" / "universe.toml"


def universe_path() -> Path:
    configured = os.environ.get("VVV_UNIVERSE")
    return Path(configured).resolve() if configured else SHIPPED_UNIVERSE


def arctic_uri() -> str:
    return os.environ.get("VVV_ARCTIC_URI") or f"lmdb://{data_dir() / 'arcticdb'}"


def duckdb_path() -> str:
    return os.environ.get("VVV_DUCKDB_PATH") or str(data_dir() / "warehouse.duckdb")
