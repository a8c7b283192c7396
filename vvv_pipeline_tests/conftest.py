"""Shared fixtures: a temporary data directory, tiny simulated scale, a throwaway instance."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from vvv_pipeline.settings import SHIPPED_UNIVERSE

# Sessions used across tests: a normal week and the day-after-Thanksgiving early close.
WEEK = ["2024-11-25", "2024-11-26", "2024-11-27", "2024-11-29", "2024-12-02"]
EARLY_CLOSE = "2024-11-29"
HOUR = "2024-11-26-15:00"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data directory with the tiny simulated scale; the shipped universe."""
    root = tmp_path / "data"
    root.mkdir()
    monkeypatch.setenv("VVV_DATA_DIR", str(root))
    monkeypatch.setenv("VVV_UNIVERSE", str(SHIPPED_UNIVERSE))
    monkeypatch.setenv("VVV_SCALE", "tiny")
    monkeypatch.delenv("VVV_ARCTIC_URI", raising=False)
    monkeypatch.delenv("VVV_DUCKDB_PATH", raising=False)
    return root


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as test_instance:
        yield test_instance
