"""Tier 4: GX suites pass on clean simulated data, name injected defects, and return their
results as a table (no data-docs HTML, which needs CDNs to render)."""

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
from vvv_pipeline.universe import load_universe
from vvv_pipeline.validation.expectation_results import RESULT_COLUMNS, results_markdown
from vvv_pipeline.validation.expectations import (
    results_dir,
    run_expectations,
    sample,
    suite_for,
    suite_name,
)

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
    assert list(run.results.columns) == RESULT_COLUMNS
    assert len(run.results) == run.evaluated and run.results["success"].all()
    assert (results_dir(shared_root) / "vvv" / source / partition(source)).is_dir()
    assert not list(shared_root.rglob("*.html"))
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
    failed = run.results.iloc[:3]  # failures first
    assert not failed["success"].any() and run.results.iloc[3:]["success"].all()
    price = failed[failed["expectation"] == "expect_column_values_to_be_between"].iloc[0]
    assert (price["column"], price["unexpected"], price["unexpected_examples"]) == (
        "price",
        1,
        "-1.0",
    )
    assert price["unexpected_percent"] == 100 / len(frame)
    ids = failed[failed["column"] == "symbol,trade_id"].iloc[0]
    assert ids["unexpected"] == 2  # both rows sharing the id
    ordered = run.results[
        run.results["expectation"] == "expect_table_columns_to_match_ordered_list"
    ]
    assert ordered.iloc[0]["observed"].startswith("ts, symbol, price")
    table = results_markdown(run.results).splitlines()
    assert len(table) == 2 + run.evaluated
    assert table[2].startswith("| expect_") and "| **FAIL** |" in table[2]


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
    results = results_dir(tmp_path) / "vvv" / "darkpool_prints"
    assert sorted(p.name for p in results.iterdir()) == ["2025-11-24", "2025-11-25"]
    assert len(list((results / "2025-11-24").iterdir())) == 2  # both runs kept
    config = (tmp_path / "great_expectations.yml").read_text()
    assert "analytics_enabled: false" in config
    assert not list(tmp_path.rglob("*.html"))


def test_a_checkpoint_saved_with_data_docs_renders_no_html(tmp_path: Path) -> None:
    """A context from a version that rendered data docs: its checkpoint is replaced, no HTML."""
    import great_expectations as gx

    frame = clean("daily_ohlcv")
    run_expectations(frame, "daily_ohlcv", "2025-11-24", tmp_path)
    context = gx.get_context(mode="file", context_root_dir=str(tmp_path))
    old = context.checkpoints.get("daily_ohlcv")
    docs = gx.checkpoint.UpdateDataDocsAction(name="docs")
    context.checkpoints.add_or_update(
        gx.Checkpoint(
            name="daily_ohlcv", validation_definitions=old.validation_definitions, actions=[docs]
        )
    )
    assert context.checkpoints.get("daily_ohlcv").actions  # as an older version saved it
    run = run_expectations(frame, "daily_ohlcv", "2025-11-25", tmp_path)
    assert run.success and len(run.results) == run.evaluated
    assert not list(tmp_path.rglob("*.html"))
    reopened = gx.get_context(mode="file", context_root_dir=str(tmp_path))
    assert reopened.checkpoints.get("daily_ohlcv").actions == []


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
from vvv_pipeline.validation.expectations import run_expectations
m = SimulatedMarket(SimulationConfig(ticks_per_session=500, crypto_trades_per_hour=100))
start = pd.Timestamp("2025-11-24 05:00", tz="UTC")
end = start + pd.Timedelta(days=1)
frame = m.fetch("news_headlines", start, end, m.known_symbols("news_headlines"))
run = run_expectations(frame, "news_headlines", sys.argv[2], Path(sys.argv[1]))
sys.exit(0 if run.success and len(run.results) == run.evaluated else 1)
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
