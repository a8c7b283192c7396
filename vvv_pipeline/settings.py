"""Locations and defaults read from the environment, so embedded mode needs no setting at all.

``VVV_DATA_DIR``  root of everything the pipeline writes (default ``./data``).
``VVV_UNIVERSE``  the universe file (default: the project's shipped ``data/universe.toml``).
``VVV_ARCTIC_URI`` ArcticDB URI (default ``lmdb://<data dir>/arcticdb``).
``VVV_DUCKDB_PATH`` DuckDB file for the small sources (default ``<data dir>/warehouse.duckdb``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def data_dir() -> Path:
    return Path(os.environ.get("VVV_DATA_DIR", "data")).resolve()


SHIPPED_UNIVERSE = Path(__file__).resolve().parents[1] / "data" / "universe.toml"


def universe_path() -> Path:
    configured = os.environ.get("VVV_UNIVERSE")
    return Path(configured).resolve() if configured else SHIPPED_UNIVERSE


class SettingsError(ValueError):
    """A setting (a ``VVV_*`` variable or a resource field) whose value cannot be used; the
    message names it. No retry can fix it, so a step that meets one fails at once."""


def lmdb_path(uri: str) -> str:
    """The directory of an ``lmdb://`` URI (its options after ``?`` dropped)."""
    return uri.removeprefix("lmdb://").split("?")[0]


def arctic_uri() -> str:
    """``VVV_ARCTIC_URI``, else LMDB under the data directory.

    An ``lmdb://`` URI without a path is refused: ArcticDB would open the current directory and
    scatter its files wherever the command happened to run.
    """
    configured = os.environ.get("VVV_ARCTIC_URI")
    if not configured:
        return f"lmdb://{data_dir() / 'arcticdb'}"
    if configured.startswith("lmdb://") and not lmdb_path(configured).strip():
        raise SettingsError(
            f"VVV_ARCTIC_URI={configured!r} names no directory; give one "
            "(e.g. lmdb:///abs/path/data/arcticdb) or unset it for <data dir>/arcticdb"
        )
    return configured


def duckdb_path() -> str:
    return os.environ.get("VVV_DUCKDB_PATH") or str(data_dir() / "warehouse.duckdb")


def scale(environ: Mapping[str, str] | None = None) -> str:
    """``VVV_SCALE`` (of ``environ``, default the process's), the simulated density preset
    (default ``default``), checked when read: an unknown preset used to surface only inside the
    runs, after their retries."""
    from vvv_pipeline.providers.simulated.config import SCALE_PRESETS

    value = (os.environ if environ is None else environ).get("VVV_SCALE") or "default"
    if value not in SCALE_PRESETS:
        raise SettingsError(f"VVV_SCALE={value!r}; expected one of {list(SCALE_PRESETS)}")
    return value
