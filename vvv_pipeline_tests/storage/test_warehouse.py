"""The DuckDB warehouse IO manager: offset-aware partition windows and atomic replacement."""

import dagster as dg
import duckdb
import pandas as pd
import pytest

from vvv_pipeline.defs.partitions import session_partitions
from vvv_pipeline.defs.warehouse_io_manager import WarehouseIOManager


def _rows(day: str, price: float) -> pd.DataFrame:
    # 00:30 and 23:30 New York: the second is 04:30 UTC on the next calendar day.
    local = pd.to_datetime([f"{day} 00:30", f"{day} 23:30"]).tz_localize("America/New_York")
    return pd.DataFrame({"ts": local.tz_convert("UTC"), "symbol": ["SPY", "SPY"], "price": price})


PRICES: dict[str, float | str] = {}


@dg.asset(partitions_def=session_partitions(), metadata={"partition_expr": "ts"})
def probe(context: dg.AssetExecutionContext) -> pd.DataFrame:
    price = PRICES[context.partition_key]
    frame = _rows(context.partition_key, 0.0)
    frame["price"] = price
    return frame


@pytest.fixture
def database(tmp_path) -> str:
    return str(tmp_path / "wh.duckdb")


def _materialize(database: str, key: str, price) -> dg.ExecuteInProcessResult:
    PRICES[key] = price
    return dg.materialize(
        [probe],
        partition_key=key,
        resources={"io_manager": WarehouseIOManager(database=database, schema="sources")},
        raise_on_error=False,
    )


def _table(database: str) -> pd.DataFrame:
    with duckdb.connect(database, read_only=True) as con:
        return con.execute("SELECT ts, price FROM sources.probe ORDER BY ts").fetchdf()


def test_new_york_day_is_replaced_exactly(database):
    assert _materialize(database, "2025-11-24", 1.0).success
    assert _materialize(database, "2025-11-25", 2.0).success
    assert _materialize(database, "2025-11-24", 3.0).success
    table = _table(database)
    assert len(table) == 4
    assert table["price"].tolist() == [3.0, 3.0, 2.0, 2.0]


def test_failed_insert_keeps_the_previous_rows(database):
    assert _materialize(database, "2025-11-24", 1.0).success
    result = _materialize(database, "2025-11-24", "not a number")
    assert not result.success
    assert _table(database)["price"].tolist() == [1.0, 1.0]


def test_load_reads_back_only_the_partition(database):
    _materialize(database, "2025-11-24", 1.0)
    _materialize(database, "2025-11-25", 2.0)
    received: list[pd.DataFrame] = []

    @dg.asset(partitions_def=session_partitions())
    def consumer(probe: pd.DataFrame) -> None:
        received.append(probe)

    result = dg.materialize(
        [probe, consumer],
        partition_key="2025-11-25",
        selection=[consumer],
        resources={"io_manager": WarehouseIOManager(database=database, schema="sources")},
    )
    assert result.success
    (frame,) = received
    assert frame["price"].tolist() == [2.0, 2.0]
    assert frame["ts"].tolist() == _rows("2025-11-25", 2.0)["ts"].tolist()


def test_empty_partition_creates_the_table_and_clears_the_window(database):
    assert _materialize(database, "2025-11-24", 1.0).success
    PRICES["2025-11-24"] = 1.0

    @dg.asset(name="probe", partitions_def=session_partitions(), metadata={"partition_expr": "ts"})
    def empty_probe() -> pd.DataFrame:
        return _rows("2025-11-24", 0.0).iloc[:0]

    result = dg.materialize(
        [empty_probe],
        partition_key="2025-11-24",
        resources={"io_manager": WarehouseIOManager(database=database, schema="sources")},
    )
    assert result.success
    assert _table(database).empty
