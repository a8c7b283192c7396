"""Shared fixtures: a temporary data directory, tiny simulated scale, a throwaway instance."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from vvv_pipeline.settings import SHIPPED_UNIVERSE

# Sessions used across tests (inside every default partition range): Thanksgiving week 2025
# with the 13:00 early close on Friday the 28th, and an hour of a normal session.
WEEK = ["2025-11-21", "2025-11-24", "2025-11-25", "2025-11-26", "2025-11-28"]
EARLY_CLOSE = "2025-11-28"
HOUR = "2025-11-25-15:00"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data directory with the tiny simulated scale; the shipped universe."""
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setenv("VVV_DATA_DIR", str(root))
    monkeypatch.setenv("VVV_UNIVERSE", str(SHIPPED_UNIVERSE))
    monkeypatch.setenv("VVV_SCALE", "tiny")
    monkeypatch.setenv("VVV_GX", "0")  # GX costs seconds per run; its own tests switch it on
    monkeypatch.delenv("VVV_ARCTIC_URI", raising=False)
    monkeypatch.delenv("VVV_DUCKDB_PATH", raising=False)
    return root


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        yield test_instance
