"""A derived library's snapshot: every live symbol at its latest version, without the lock wait."""

from __future__ import annotations

import time

import pandas as pd

from vvv_pipeline.storage import arctic
from vvv_pipeline.storage.derived import DerivedStore


def _rows(values: list[float], start: str) -> pd.DataFrame:
    index = pd.date_range(start, periods=len(values), freq="1min", tz="UTC", name="ts")
    return pd.DataFrame({"close": values}, index=index)


def test_the_snapshot_holds_every_live_symbol_as_it_was(tmp_path, monkeypatch):
    """Symbols of an earlier run stay in the snapshot, a deleted one does not, and a read as of
    the snapshot gives the rows of that moment after the series changed."""
    monkeypatch.setattr(arctic, "_ARCTICS", {})
    store = DerivedStore(f"lmdb://{tmp_path / 'arctic'}")
    day = (pd.Timestamp("2025-01-02", tz="UTC"), pd.Timestamp("2025-01-03", tz="UTC"))
    store.replace_window("bars", {"AAPL_1min": _rows([1.0, 2.0], "2025-01-02 15:00")}, *day)
    store.replace_window("bars", {"MSFT_1min": _rows([5.0], "2025-01-02 15:00")}, *day)
    store.replace_window("bars", {"GONE_1min": _rows([9.0], "2025-01-02 15:00")}, *day)
    store.library("bars").delete("GONE_1min")

    assert store.snapshot(["bars"], "run-1") == "run-1"
    store.replace_window("bars", {"AAPL_1min": _rows([7.0], "2025-01-02 15:00")}, *day)

    lib = store.library("bars")
    assert sorted(lib.list_symbols(snapshot_name="run-1")) == ["AAPL_1min", "MSFT_1min"]
    assert lib.read("AAPL_1min", as_of="run-1").data["close"].tolist() == [1.0, 2.0]
    assert lib.read("AAPL_1min").data["close"].tolist() == [7.0]
    assert lib.read("MSFT_1min", as_of="run-1").data["close"].tolist() == [5.0]


def test_an_empty_library_gets_no_snapshot(tmp_path, monkeypatch):
    monkeypatch.setattr(arctic, "_ARCTICS", {})
    store = DerivedStore(f"lmdb://{tmp_path / 'arctic'}")
    store.library("empty")
    assert store.snapshot(["empty"], "run-1") is None
    assert store.library("empty").list_snapshots() == {}


def test_a_new_librarys_snapshot_does_not_sleep_the_storage_lock(tmp_path, monkeypatch):
    """ArcticDB's whole-library snapshot lists the symbols, and a new library's first list
    compacts the symbol list under the storage lock, sleeping ``StorageLock.WaitMs``: here set
    to 2 s, which the snapshot must not take."""
    from arcticdb_ext import get_config_int, set_config_int

    monkeypatch.setattr(arctic, "_ARCTICS", {})
    uri = f"lmdb://{tmp_path / 'arctic'}"
    store = DerivedStore(uri)
    day = (pd.Timestamp("2025-01-02", tz="UTC"), pd.Timestamp("2025-01-03", tz="UTC"))
    store.replace_window("fresh", {"AAPL_1min": _rows([1.0], "2025-01-02 15:00")}, *day)
    previous = get_config_int("StorageLock.WaitMs")
    set_config_int("StorageLock.WaitMs", 2000)
    try:
        began = time.perf_counter()
        assert store.snapshot(["fresh"], "run-1") == "run-1"
        assert time.perf_counter() - began < 1.0
    finally:
        set_config_int("StorageLock.WaitMs", previous or arctic.LOCAL_LOCK_WAIT_MS)
    assert store.library("fresh").list_symbols(snapshot_name="run-1") == ["AAPL_1min"]
