"""Schema evolution of the DuckDB warehouse: a daily_ohlcv table written before dividends,
splits and the adjusted close existed keeps working, through the store and the IO manager."""

from __future__ import annotations

import dagster as dg
import duckdb
import pandas as pd

from vvv_pipeline.defs.partitions import session_partitions
from vvv_pipeline.defs.warehouse_io_manager import WarehouseIOManager
from vvv_pipeline.schemas import DAILY_OHLCV, conform
from vvv_pipeline.storage.warehouse_tables import insert_rows, read_window

OLD_COLUMNS = ["ts", "symbol", "asset_class", "open", "high", "low", "close", "volume"]
DAY1 = pd.Timestamp("2025-11-24 05:00", tz="UTC")  # 2025-11-24 00:00 New York
DAY2 = pd.Timestamp("2025-11-25 05:00", tz="UTC")


def _bar(ts: pd.Timestamp, close: float, dividend: float, adj_close: float) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "ts": [ts],
            "symbol": ["SPY"],
            "asset_class": ["equity"],
            "open": [close],
            "high": [close + 1.0],
            "low": [close - 1.0],
            "close": [close],
            "volume": [1000.0],
            "dividend": [dividend],
            "split_ratio": [1.0],
            "adj_close": [adj_close],
        }
    )
    return conform(frame, DAILY_OHLCV)


def _legacy_table(path: str) -> None:
    """A warehouse as the previous release wrote it: the eight columns, one row."""
    with duckdb.connect(path) as con:
        con.execute("CREATE SCHEMA sources")
        con.execute(
            "CREATE TABLE sources.daily_ohlcv (ts TIMESTAMPTZ, symbol VARCHAR, "
            "asset_class VARCHAR, open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, "
            "volume DOUBLE)"
        )
        con.execute(
            "INSERT INTO sources.daily_ohlcv VALUES "
            "(TIMESTAMPTZ '2025-11-24 05:00:00+00', 'SPY', 'equity', 10, 11, 9, 10, 500)"
        )


def test_reading_a_legacy_table_fills_no_dividend_no_split_and_the_close(tmp_path) -> None:
    path = str(tmp_path / "wh.duckdb")
    _legacy_table(path)
    with duckdb.connect(path) as con:
        got = read_window(con, "daily_ohlcv", DAY1, DAY2)
    assert got.columns.tolist() == DAILY_OHLCV.names
    assert got[["dividend", "split_ratio", "adj_close"]].iloc[0].tolist() == [0.0, 1.0, 10.0]


def test_appending_to_a_legacy_table_adds_and_fills_the_new_columns(tmp_path) -> None:
    path = str(tmp_path / "wh.duckdb")
    _legacy_table(path)
    with duckdb.connect(path) as con:
        insert_rows(con, "sources.daily_ohlcv", _bar(DAY2, 20.0, 0.5, 19.5))
        columns = [row[0] for row in con.execute("DESCRIBE sources.daily_ohlcv").fetchall()]
        got = read_window(con, "daily_ohlcv", DAY1, DAY2 + pd.Timedelta(days=1))
    assert columns == [*OLD_COLUMNS, "dividend", "split_ratio", "adj_close"]
    # the old row: no events, adjusted close = close; the new row as written
    assert got["dividend"].tolist() == [0.0, 0.5]
    assert got["split_ratio"].tolist() == [1.0, 1.0]
    assert got["adj_close"].tolist() == [10.0, 19.5]


@dg.asset(
    name="daily_ohlcv", partitions_def=session_partitions(), metadata={"partition_expr": "ts"}
)
def bars() -> pd.DataFrame:
    return _bar(DAY2, 20.0, 0.5, 19.5)


@dg.asset(partitions_def=session_partitions(), io_manager_key="memory")
def reader(daily_ohlcv: pd.DataFrame) -> float:
    return float(daily_ohlcv["adj_close"].sum())


def test_a_run_on_a_legacy_warehouse_writes_and_reads_the_new_columns(tmp_path) -> None:
    path = str(tmp_path / "wh.duckdb")
    _legacy_table(path)
    resources = {
        "io_manager": WarehouseIOManager(database=path, schema="sources"),
        "memory": dg.InMemoryIOManager(),
    }
    # reading a partition that predates the columns (the IO manager's load path)
    old = dg.materialize(
        [bars, reader], partition_key="2025-11-24", resources=resources, selection=[reader.key]
    )
    assert old.success and old.output_for_node("reader") == 10.0
    new = dg.materialize([bars, reader], partition_key="2025-11-25", resources=resources)
    assert new.success and new.output_for_node("reader") == 19.5
