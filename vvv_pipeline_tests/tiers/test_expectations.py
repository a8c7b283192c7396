"""Tier 4: GX suites pass on clean simulated data, name injected defects, and keep data docs."""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from vvv_pipeline.providers.simulated.config import SimulationConfig
from vvv_pipeline.providers.simulated.market import SimulatedMarket
from vvv_pipeline.schemas import SOURCE_SCHEMAS
from vvv_pipeline.tiers.expectations import (
    INDEX_RUNS,
    run_expectations,
    sample,
    suite_for,
    suite_name,
)
from vvv_pipeline.universe import load_universe

SESSION_START = pd.Timestamp("2025-11-24 05:00", tz="UTC")
DAY = (SESSION_START, SESSION_START + pd.Timedelta(days=1))
HOUR_START = pd.Timestamp("2025-11-25 15:00", tz="UTC")
HOUR = (HOUR_START, HOUR_START + pd.Timedelta(hours=1))
CRYPTO = ("crypto_trades", "crypto_open_interest")


@cache
def market() -> SimulatedMarket:
    config = SimulationConfig(ticks_per_session=500, crypto_trades_per_hour=100)
    return SimulatedMarket(config, load_universe())


@cache
def clean(source: str) -> pd.DataFrame:
    start, end = HOUR if source in CRYPTO else DAY
    return market().fetch(source, start, end, market().known_symbols(source))


def partition(source: str) -> str:
    return "2025-11-25-15:00" if source in CRYPTO else "2025-11-24"


@pytest.fixture(scope="module")
def shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One context for the per-source runs (as the pipeline shares ``<data dir>/gx``)."""
    return tmp_path_factory.mktemp("gx")


@pytest.mark.parametrize("source", sorted(SOURCE_SCHEMAS))
def test_clean_data_passes_its_suite(source: str, shared_root: Path) -> None:
    frame = clean(source)
    assert len(frame) > 0
    before = frame.copy()
    symbols = market().known_symbols(source)
    run = run_expectations(frame, source, partition(source), shared_root, symbols=symbols)
    assert run.success, run.failed
    assert run.failed == []
    assert run.evaluated == len(suite_for(source, symbols).expectations)
    assert run.statistics["success_percent"] == 100.0
    assert run.statistics["rows_validated"] == len(frame)
    assert run.docs_index.is_file()
    assert suite_name(source) in run.docs_index.read_text()
    pd.testing.assert_frame_equal(frame, before)  # the caller's frame is untouched


def test_suites_cover_the_schema() -> None:
    for source, schema in SOURCE_SCHEMAS.items():
        suite = suite_for(source)
        assert suite.name == suite_name(source)
        kinds = {e.expectation_type for e in suite.expectations}
        assert "expect_table_columns_to_match_ordered_list" in kinds
        assert "expect_column_values_to_not_be_null" in kinds
        ordered = suite.expectations[0]
        assert ordered.column_list == schema.names
    with pytest.raises(ValueError, match="unknown source"):
        suite_for("bogus")


def test_injected_defects_are_named(tmp_path: Path) -> None:
    frame = clean("equity_ticks").copy()
    frame.loc[3, "price"] = -1.0
    frame["exchange"] = frame["exchange"].cat.add_categories(["!"])
    frame.loc[5, "exchange"] = "!"
    frame.loc[8, "trade_id"] = frame.loc[7, "trade_id"]
    run = run_expectations(frame, "equity_ticks", "2025-11-24", tmp_path)
    assert not run.success
    assert set(run.failed) == {
        "expect_column_values_to_be_between(price)",
        "expect_column_values_to_be_in_set(exchange)",
        "expect_compound_columns_to_be_unique(symbol,trade_id)",
    }
    assert run.statistics["unsuccessful_expectations"] == 3
    assert run.statistics["success_percent"] < 100.0
    assert run.docs_index.is_file()


def test_missing_column_and_unknown_symbol(tmp_path: Path) -> None:
    frame = clean("crypto_trades").drop(columns=["venue"])
    run = run_expectations(frame, "crypto_trades", "x", tmp_path, symbols=["BTCUSDT"])
    assert not run.success
    assert "expect_table_columns_to_match_ordered_list()" in run.failed
    assert "expect_column_values_to_be_in_set(symbol)" in run.failed


def test_reruns_and_partitions_accumulate(tmp_path: Path) -> None:
    frame = clean("darkpool_prints")
    first = run_expectations(frame, "darkpool_prints", "2025-11-24", tmp_path)
    again = run_expectations(frame, "darkpool_prints", "2025-11-24", tmp_path)
    other = run_expectations(frame, "darkpool_prints", "2025-11-25", tmp_path)
    assert first.success and again.success and other.success
    assert first.docs_index == other.docs_index
    index = other.docs_index.read_text()
    assert "2025-11-24" in index and "2025-11-25" in index
    results = tmp_path / "uncommitted" / "validations" / "vvv" / "darkpool_prints"
    assert sorted(p.name for p in results.iterdir()) == ["2025-11-24", "2025-11-25"]
    assert len(list((results / "2025-11-24").iterdir())) == 2  # both runs kept
    config = (tmp_path / "great_expectations.yml").read_text()
    assert "analytics_enabled: false" in config
    assert f"validation_results_limit: {INDEX_RUNS}" in config


def test_big_frames_are_sampled_deterministically(tmp_path: Path) -> None:
    frame = clean("equity_ticks")
    picked = sample(frame, 100)
    assert len(picked) == 100
    pd.testing.assert_frame_equal(picked, sample(frame, 100))
    ends = frame.iloc[[0, -1]].reset_index(drop=True)
    pd.testing.assert_frame_equal(picked.iloc[[0, -1]].reset_index(drop=True), ends)
    assert sample(frame, None) is frame
    run = run_expectations(frame, "equity_ticks", "2025-11-24", tmp_path, sample_rows=1000)
    assert run.success
    assert run.statistics["rows"] == len(frame)
    assert run.statistics["rows_validated"] == 1000


CHILD = """
import sys
from pathlib import Path
import pandas as pd
from vvv_pipeline.providers.simulated.config import SimulationConfig
from vvv_pipeline.providers.simulated.market import SimulatedMarket
from vvv_pipeline.tiers.expectations import run_expectations
m = SimulatedMarket(SimulationConfig(ticks_per_session=500, crypto_trades_per_hour=100))
start = pd.Timestamp("2025-11-24 05:00", tz="UTC")
end = start + pd.Timedelta(days=1)
frame = m.fetch("news_headlines", start, end, m.known_symbols("news_headlines"))
run = run_expectations(frame, "news_headlines", sys.argv[2], Path(sys.argv[1]))
sys.exit(0 if run.success and run.docs_index.is_file() else 1)
"""


def test_two_processes_share_one_context(tmp_path: Path) -> None:
    """First use from two processes at once: one scaffolds, both runs are stored and listed."""
    children = [
        subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path), key])
        for key in ("2025-11-24", "2025-11-25")
    ]
    assert [child.wait(timeout=120) for child in children] == [0, 0]
    results = tmp_path / "uncommitted" / "validations" / "vvv" / "news_headlines"
    assert sorted(p.name for p in results.iterdir()) == ["2025-11-24", "2025-11-25"]
    index = (tmp_path / "uncommitted" / "data_docs" / "local_site" / "index.html").read_text()
    assert "2025-11-24" in index and "2025-11-25" in index
