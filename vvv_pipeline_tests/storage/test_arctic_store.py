import contextlib
import subprocess
import sys
import time

import pandas as pd
import pytest

from vvv_pipeline.schemas import CRYPTO_TRADES
from vvv_pipeline.storage import arctic
from vvv_pipeline.storage.arctic import ArcticStore, partition_symbol


def _trades(symbol: str, start: str, n: int) -> pd.DataFrame:
    ts = pd.date_range(start, periods=n, freq="s", tz="UTC")
    return pd.DataFrame(
        {
            "ts": ts,
            "symbol": pd.Categorical([symbol] * n),
            "price": [100.0 + i for i in range(n)],
            "size": [0.5] * n,
            "trade_id": range(n),
            "aggressor": pd.array([1] * n, dtype="int8"),
            "venue": pd.Categorical(["binance"] * n),
        }
    )


@pytest.fixture
def store(tmp_path) -> ArcticStore:
    return ArcticStore(f"lmdb://{tmp_path / 'arctic'}")


def test_partition_symbol_names_follow_the_seed_layout():
    assert partition_symbol("equity", "AAPL", "2026-11-20") == "equity/AAPL/2026-11-20"


def test_round_trip_keeps_canonical_dtypes_and_utc(store):
    frame = _trades("BTCUSDT", "2024-11-26 15:00", 10)
    store.write_partition("crypto", "2024-11-26-15:00", {"BTCUSDT": frame})
    back = store.read_partitions("crypto", ["BTCUSDT"], ["2024-11-26-15:00"], CRYPTO_TRADES)
    pd.testing.assert_frame_equal(back, frame)


def test_rewrite_replaces_exactly_one_partition(store):
    store.write_partition("crypto", "h1", {"BTCUSDT": _trades("BTCUSDT", "2024-11-26 15:00", 10)})
    store.write_partition("crypto", "h2", {"BTCUSDT": _trades("BTCUSDT", "2024-11-26 16:00", 7)})
    store.write_partition("crypto", "h1", {"BTCUSDT": _trades("BTCUSDT", "2024-11-26 15:00", 4)})
    both = store.read_partitions("crypto", ["BTCUSDT"], ["h1", "h2"], CRYPTO_TRADES)
    assert len(both) == 11
    lib = store.library("tick_data")
    assert len(lib.list_versions("crypto/BTCUSDT/h1")) == 1  # previous versions pruned


def test_empty_partition_removes_the_symbol_and_reads_empty(store):
    store.write_partition("crypto", "h1", {"ETHUSDT": _trades("ETHUSDT", "2024-11-26 15:00", 3)})
    store.write_partition("crypto", "h1", {"ETHUSDT": CRYPTO_TRADES.empty()})
    back = store.read_partitions("crypto", ["ETHUSDT"], ["h1"], CRYPTO_TRADES)
    assert back.empty and list(back.columns) == CRYPTO_TRADES.names
    assert store.partition_symbols("crypto") == []


def test_partition_rows_sum_each_partitions_stored_symbols_from_metadata(store):
    store.write_partition(
        "crypto",
        "h1",
        {"BTCUSDT": _trades("BTCUSDT", "2024-11-26 15:00", 5), "ETHUSDT": CRYPTO_TRADES.empty()},
    )
    store.write_partition("crypto", "h2", {"ETHUSDT": _trades("ETHUSDT", "2024-11-26 16:00", 3)})
    store.write_partition("crypto", "h2", {"BTCUSDT": _trades("BTCUSDT", "2024-11-26 16:00", 4)})
    rows = store.partition_rows("crypto", ["BTCUSDT", "ETHUSDT"], ["h1", "h2", "never"])
    assert rows == {"h1": 5, "h2": 7, "never": 0}  # empty and unwritten partitions count 0
    assert store.partition_rows("crypto", ["ETHUSDT"], ["h2"]) == {"h2": 3}


def test_read_spans_symbols_and_partitions_sorted(store):
    for key, start in (("h1", "2024-11-26 15:00"), ("h2", "2024-11-26 16:00")):
        store.write_partition(
            "crypto",
            key,
            {"ETHUSDT": _trades("ETHUSDT", start, 2), "BTCUSDT": _trades("BTCUSDT", start, 3)},
        )
    back = store.read_partitions("crypto", ["ETHUSDT", "BTCUSDT"], ["h2", "h1"], CRYPTO_TRADES)
    assert back["symbol"].astype(str).tolist() == ["BTCUSDT"] * 6 + ["ETHUSDT"] * 4
    assert (
        back.groupby("symbol", observed=True)["ts"].apply(lambda s: s.is_monotonic_increasing).all()
    )


_REWRITER = """
import sys
import time
import pandas as pd
from vvv_pipeline.storage.arctic import ArcticStore
from vvv_pipeline_tests.storage.test_arctic_store import _trades

store, offset = ArcticStore(sys.argv[1]), int(sys.argv[2])
for i in range(60):
    frames = {s: _trades(s, "2024-11-26 15:00", 500 + offset) for s in ("BTCUSDT", "ETHUSDT")}
    store.write_partition("crypto", "2024-11-26-15:00", frames)
"""


@pytest.mark.parametrize("reader_locks", [True, False], ids=["lmdb-lock", "no-lock-retry"])
def test_two_processes_rewriting_one_partition_while_a_third_reads_it(
    tmp_path, monkeypatch, reader_locks
):
    """Overlapping backfills rewrite the same partition symbols from two processes at once while
    a bars run reads them: unserialised LMDB writes break the version chain
    (``folly::BrokenPromise``) and a read overlapping a pruning write finds its keys gone. Without
    the reader's lock (as on object storage) the store re-reads what a rewrite pruned."""
    if not reader_locks:
        monkeypatch.setattr(arctic, "library_lock", lambda *_, **__: contextlib.nullcontext())
    uri = f"lmdb://{tmp_path / 'arctic'}"
    store = ArcticStore(uri)
    symbols, partition = ["BTCUSDT", "ETHUSDT"], "2024-11-26-15:00"
    store.write_partition(
        "crypto", partition, {s: _trades(s, "2024-11-26 15:00", 500) for s in symbols}
    )
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _REWRITER, uri, str(offset)], stderr=subprocess.PIPE, text=True
        )
        for offset in (0, 1)
    ]
    reads = 0
    while any(writer.poll() is None for writer in writers):
        seen = store.read_partitions("crypto", symbols, [partition], CRYPTO_TRADES)
        assert seen.groupby("symbol", observed=True).size().isin([500, 501]).all()
        reads += 1
    for writer in writers:
        _, stderr = writer.communicate(timeout=300)
        assert writer.returncode == 0, stderr[-2000:]
    assert reads > 0
    back = store.read_partitions(
        "crypto", ["BTCUSDT", "ETHUSDT"], ["2024-11-26-15:00"], CRYPTO_TRADES
    )
    per_symbol = back.groupby("symbol", observed=True).size()
    assert per_symbol.isin([500, 501]).all() and len(per_symbol) == 2
    versions = store.library("tick_data").list_versions("crypto/BTCUSDT/2024-11-26-15:00")
    assert len(versions) == 1  # previous versions pruned by every write


_OPENER = """
import os, sys, time
from vvv_pipeline.storage.arctic import library_for

uri, gate = sys.argv[1], sys.argv[2]
while not os.path.exists(gate):
    time.sleep(0.001)
for i in range(20):
    library_for(uri, f"lib{i}")
"""


def test_processes_creating_the_same_libraries_at_once_all_open_them(tmp_path):
    """Two runs' first writes to a fresh store both find a library missing and both create it."""
    uri, gate = f"lmdb://{tmp_path / 'arctic'}", tmp_path / "go"
    openers = [
        subprocess.Popen(
            [sys.executable, "-c", _OPENER, uri, str(gate)], stderr=subprocess.PIPE, text=True
        )
        for _ in range(4)
    ]
    time.sleep(3)  # let every interpreter import and wait at the gate
    gate.touch()
    for opener in openers:
        _, stderr = opener.communicate(timeout=120)
        assert opener.returncode == 0, stderr[-2000:]
    assert sorted(arctic.arctic_for(uri).list_libraries()) == sorted(f"lib{i}" for i in range(20))


def test_local_stores_wait_less_for_arcticdb_storage_lock(tmp_path, monkeypatch):
    """The first symbol-list compaction of a new library sleeps ``StorageLock.WaitMs``: 200 ms
    while every store of the process is local, ArcticDB's 1000 ms once one is not."""
    from arcticdb_ext import get_config_int, set_config_int, unset_config_int

    previous = get_config_int("StorageLock.WaitMs")
    monkeypatch.setattr(arctic, "_REMOTE_OPENED", False)
    monkeypatch.setattr(arctic, "_ARCTICS", {})
    try:
        store = ArcticStore(f"lmdb://{tmp_path / 'arctic'}")
        lib = store.library("fresh")
        assert get_config_int("StorageLock.WaitMs") == arctic.LOCAL_LOCK_WAIT_MS == 200
        frame = pd.DataFrame({"x": [1]}, index=pd.DatetimeIndex(["2025-01-02"], name="ts"))
        lib.write("a", frame)
        began = time.perf_counter()
        assert lib.list_symbols() == ["a"]  # compacts the new library's symbol list: one wait
        assert time.perf_counter() - began < 0.9
        arctic.arctic_for("mem://")
        assert get_config_int("StorageLock.WaitMs") == arctic.REMOTE_LOCK_WAIT_MS == 1000
        arctic.arctic_for(f"lmdb://{tmp_path / 'other'}")
        assert get_config_int("StorageLock.WaitMs") == 1000  # process-wide: the default stays
    finally:
        if previous is None:
            unset_config_int("StorageLock.WaitMs")
        else:
            set_config_int("StorageLock.WaitMs", previous)


def test_a_library_is_opened_once_per_store_and_afresh_with_the_store(tmp_path, monkeypatch):
    uri = f"lmdb://{tmp_path / 'arctic'}"
    opened: list[str] = []
    get_library = arctic.adb.Arctic.get_library

    def counting(self, name, *args, **kwargs):
        opened.append(name)
        return get_library(self, name, *args, **kwargs)

    monkeypatch.setattr(arctic.adb.Arctic, "get_library", counting)
    first = arctic.library_for(uri, "ticks")
    first.write("a", pd.DataFrame({"x": [1]}, index=pd.DatetimeIndex(["2025-01-02"], name="ts")))
    assert opened  # created and opened
    opened.clear()
    assert arctic.library_for(uri, "ticks") is first
    assert opened == []  # the second ask read no configuration from the store
    monkeypatch.setattr(arctic, "_ARCTICS", {})  # the store opened afresh (another process)
    again = arctic.library_for(uri, "ticks")
    assert again is not first and opened == ["ticks"]
    assert again.read("a").data["x"].tolist() == [1]
