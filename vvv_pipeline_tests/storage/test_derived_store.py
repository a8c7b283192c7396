"""DerivedStore.replace_window: a window's rows replaced, symbol by symbol, written in batches."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from vvv_pipeline.storage.derived import DerivedStore

DAY1 = (pd.Timestamp("2025-01-02", tz="UTC"), pd.Timestamp("2025-01-03", tz="UTC"))
DAY2 = (pd.Timestamp("2025-01-03", tz="UTC"), pd.Timestamp("2025-01-04", tz="UTC"))


def _rows(values: list[float], first: str, column: str = "close") -> pd.DataFrame:
    index = pd.date_range(pd.Timestamp(first, tz="UTC"), periods=len(values), freq="1min")
    return pd.DataFrame({column: values}, index=pd.Index(index, name="ts"))


def _empty() -> pd.DataFrame:
    return _rows([], "2025-01-02 15:00")


def test_new_symbols_are_written_and_existing_ones_replaced_in_the_window_only(
    tmp_path: Path,
) -> None:
    store = DerivedStore(f"lmdb://{tmp_path}/arcticdb")
    store.replace_window("bars", {"A": _rows([1.0, 2.0], "2025-01-02 15:00")}, *DAY1)
    store.replace_window("bars", {"A": _rows([3.0], "2025-01-03 15:00")}, *DAY2)
    store.replace_window("bars", {"B": _rows([9.0], "2025-01-03 16:00")}, *DAY2)

    # one call: A's second day replaced, B's day emptied, C new
    store.replace_window(
        "bars",
        {
            "A": _rows([30.0, 31.0], "2025-01-03 15:30"),
            "B": _empty(),
            "C": _rows([5.0], "2025-01-03 17:00"),
        },
        *DAY2,
    )

    got = store.read("bars", ["A", "B", "C"])
    by_symbol = {key: list(rows["close"]) for key, rows in got.groupby("key")}
    assert by_symbol == {"A": [1.0, 2.0, 30.0, 31.0], "C": [5.0]}
    a = got[got["key"] == "A"]
    assert list(a["ts"].dt.strftime("%Y-%m-%d %H:%M")) == [
        "2025-01-02 15:00",
        "2025-01-02 15:01",
        "2025-01-03 15:30",
        "2025-01-03 15:31",
    ]
    library = store.library("bars")
    assert library.has_symbol("B") and library.read("B").data.empty  # its window cleared
    assert sorted(key.version for key in library.list_versions("A")) == [0, 1, 2]  # kept


def test_a_symbol_arcticdb_refuses_is_named(tmp_path: Path) -> None:
    store = DerivedStore(f"lmdb://{tmp_path}/arcticdb")
    store.replace_window("bars", {"A": _rows([1.0], "2025-01-02 15:00")}, *DAY1)
    wrong = pd.DataFrame({"close": ["text"]}, index=_rows([0.0], "2025-01-03 15:00").index)

    with pytest.raises(RuntimeError, match=r"ArcticDB update of 'A' in bars failed"):
        store.replace_window("bars", {"A": wrong}, *DAY2)

    assert list(store.read("bars", ["A"])["close"]) == [1.0]
