"""The tick cache's contract: a stored version served from memory only while it is ArcticDB's
latest, a miss read from ArcticDB, bounded, dropped when its scope ends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.schemas import EQUITY_TICKS
from vvv_pipeline.storage.arctic import TICK_LIBRARY, ArcticStore, partition_symbol
from vvv_pipeline.storage.tick_cache import TICK_CACHE, as_read_back, frame_bytes

DAYS = ["2025-11-24", "2025-11-25"]
SYMBOLS = ["AAPL", "MSFT"]


def _ticks(symbol: str, day: str, rows: int = 50, price: float = 100.0) -> pd.DataFrame:
    """Canonical rows of one symbol-day, ``ts``-indexed as the source writes them."""
    ts = pd.date_range(f"{day} 14:30", periods=rows, freq="s", tz="UTC", name="ts")
    frame = pd.DataFrame(
        {
            "symbol": pd.Categorical([symbol] * rows, categories=sorted(SYMBOLS)),
            "price": price + np.arange(rows) / 100,
            "size": np.full(rows, 100, dtype=np.int64),
            "bid": price - 0.01 + np.arange(rows) / 100,
            "ask": price + 0.01 + np.arange(rows) / 100,
            "trade_id": np.arange(rows, dtype=np.int64),
            "exchange": pd.Categorical(["Q"] * rows, categories=["N", "Q"]),
            "condition": pd.Categorical(["@"] * rows, categories=["@", "I"]),
            "aggressor": np.ones(rows, dtype=np.int8),
            "extended_hours": np.zeros(rows, dtype=bool),
        },
        index=ts,
    )
    return frame[[c for c in EQUITY_TICKS.names if c != "ts"]]


class Reads:
    """The ArcticDB symbols ``read_partitions`` read from the store (not from the cache)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.names: list[str] = []
        settled = ArcticStore._read_settled

        def counting(store: ArcticStore, library: str, names: list[str]):
            self.names.extend(names)
            return settled(store, library, names)

        monkeypatch.setattr(ArcticStore, "_read_settled", counting)


@pytest.fixture
def store(tmp_path: Path) -> ArcticStore:
    store = ArcticStore(f"lmdb://{tmp_path}/arcticdb")
    for day in DAYS:
        store.write_partition("equity", day, {s: _ticks(s, day) for s in SYMBOLS})
    return store


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Reads:
    return Reads(monkeypatch)


@pytest.fixture
def scope() -> Iterator[None]:
    with TICK_CACHE.scope(64 << 20):
        yield


def _read(store: ArcticStore, days: list[str] = DAYS) -> pd.DataFrame:
    return store.read_partitions("equity", SYMBOLS, days, EQUITY_TICKS)


def test_a_kept_frame_is_what_arcticdb_returns(store):
    """What lets a written frame stand in for its read-back: identical values, dtypes,
    categories and index (ArcticDB stores no index frequency, so the copy drops it too)."""
    lib = store.library(TICK_LIBRARY)
    for day in DAYS:
        for symbol in SYMBOLS:
            stored = lib.read(partition_symbol("equity", symbol, day)).data
            given = _ticks(symbol, day)
            assert given.index.freq is not None and stored.index.freq is None
            pd.testing.assert_frame_equal(stored, as_read_back(given), check_exact=True)
            pd.testing.assert_frame_equal(stored, given, check_exact=True, check_freq=False)


def test_a_partition_written_in_scope_is_served_without_a_read(store, reads, scope):
    want = _read(store)
    assert reads.names  # written before the scope opened: read from ArcticDB
    reads.names.clear()
    for day in DAYS:
        store.write_partition("equity", day, {s: _ticks(s, day, price=200.0) for s in SYMBOLS})
    got = _read(store)
    assert reads.names == []
    assert TICK_CACHE.stats.hits == len(DAYS) * len(SYMBOLS)
    assert (got["price"] >= 200).all() and len(got) == len(want)


def test_what_is_served_equals_what_arcticdb_holds(store, scope):
    cold = _read(store)  # read and kept
    hot = _read(store)  # served
    assert TICK_CACHE.stats.hits == len(DAYS) * len(SYMBOLS)
    pd.testing.assert_frame_equal(hot, cold, check_exact=True)
    with TICK_CACHE.scope(0):  # a nested scope keeps the outer one's cap and entries
        pd.testing.assert_frame_equal(_read(store), cold, check_exact=True)
    assert TICK_CACHE.stats.hits == 2 * len(DAYS) * len(SYMBOLS)


def test_a_cap_of_zero_keeps_nothing(store, reads):
    with TICK_CACHE.scope(0):
        _read(store)
        _read(store)
        assert TICK_CACHE.bytes == 0 and TICK_CACHE.stats.hits == 0
    assert len(reads.names) == 2 * len(DAYS) * len(SYMBOLS)


def test_a_miss_is_read_from_arcticdb_and_a_second_reader_shares_it(store, reads, scope):
    _read(store, DAYS[:1])
    assert sorted(reads.names) == sorted(partition_symbol("equity", s, DAYS[0]) for s in SYMBOLS)
    reads.names.clear()
    _read(store)  # the first day from memory, the second from ArcticDB
    assert sorted(reads.names) == sorted(partition_symbol("equity", s, DAYS[1]) for s in SYMBOLS)
    reads.names.clear()
    _read(store)
    assert reads.names == []  # each partition read once however many readers follow


def test_another_store_never_gets_this_stores_frames(store, tmp_path, reads, scope):
    _read(store)
    other = ArcticStore(f"lmdb://{tmp_path}/other")
    other.write_partition("equity", DAYS[0], {"AAPL": _ticks("AAPL", DAYS[0], price=7.0)})
    TICK_CACHE.forget((other.uri, TICK_LIBRARY, partition_symbol("equity", "AAPL", DAYS[0])))
    reads.names.clear()
    got = other.read_partitions("equity", ["AAPL"], DAYS[:1], EQUITY_TICKS)
    assert reads.names == [partition_symbol("equity", "AAPL", DAYS[0])]
    assert (got["price"] < 8).all()


def test_a_version_written_elsewhere_is_never_served(store, reads, scope):
    """Another process's rewrite (here: the library itself, bypassing this store) or delete
    makes the kept frame stale: ArcticDB's latest version is read instead."""
    _read(store)
    lib = store.library(TICK_LIBRARY)
    rewritten = partition_symbol("equity", "AAPL", DAYS[0])
    deleted = partition_symbol("equity", "MSFT", DAYS[0])
    lib.write(rewritten, _ticks("AAPL", DAYS[0], price=300.0), prune_previous_versions=True)
    lib.delete(deleted)
    reads.names.clear()
    got = _read(store, DAYS[:1])
    assert sorted(reads.names) == sorted([rewritten, deleted])
    assert TICK_CACHE.stats.stale == 2
    assert list(got["symbol"].unique()) == ["AAPL"] and (got["price"] >= 300).all()
    pd.testing.assert_frame_equal(
        got.set_index("ts").drop(columns="symbol"),
        lib.read(rewritten).data.drop(columns="symbol"),
        check_exact=True,
    )


def test_a_matching_version_number_with_another_write_time_is_not_served(store, reads, scope):
    name = partition_symbol("equity", "AAPL", DAYS[0])
    latest = store.library(TICK_LIBRARY).read_metadata(name)
    key = (store.uri, TICK_LIBRARY, name)
    TICK_CACHE.put(key, (latest.version, latest.timestamp + 1), _ticks("AAPL", DAYS[0], price=1.0))
    got = store.read_partitions("equity", ["AAPL"], DAYS[:1], EQUITY_TICKS)
    assert reads.names == [name] and (got["price"] >= 100).all()


def test_entries_stay_under_the_cap_and_what_does_not_fit_is_read(store, reads):
    one = frame_bytes(_ticks("AAPL", DAYS[0]))
    with TICK_CACHE.scope(int(2.5 * one)):
        _read(store)
        assert TICK_CACHE.bytes <= int(2.5 * one)
        assert TICK_CACHE.stats.admitted == 2 and TICK_CACHE.stats.refused == 2
        reads.names.clear()
        again = _read(store)
        assert len(reads.names) == 2  # the two that did not fit
        assert len(again) == len(DAYS) * len(SYMBOLS) * 50


def test_leaving_the_scope_drops_every_entry(store, reads):
    with TICK_CACHE.scope(64 << 20):
        _read(store)
        assert TICK_CACHE.bytes > 0
    assert TICK_CACHE.bytes == 0 and not TICK_CACHE.active
    reads.names.clear()
    _read(store)
    assert len(reads.names) == len(DAYS) * len(SYMBOLS)  # outside a scope nothing is kept


def test_a_written_frame_is_kept_as_written_not_as_the_writer_changes_it_later(tmp_path, scope):
    store = ArcticStore(f"lmdb://{tmp_path}/arcticdb")
    frame = _ticks("AAPL", DAYS[0])
    store.write_partition("equity", DAYS[0], {"AAPL": frame})
    frame["price"] = -1.0  # the writer reuses its frame
    got = store.read_partitions("equity", ["AAPL"], DAYS[:1], EQUITY_TICKS)
    assert TICK_CACHE.stats.hits == 1 and (got["price"] >= 100).all()


def test_a_handed_over_frame_is_kept_without_a_copy_as_arcticdb_returns_it(tmp_path, scope):
    store = ArcticStore(f"lmdb://{tmp_path}/arcticdb")
    frame = _ticks("AAPL", DAYS[0])
    assert frame.index.freq is not None
    store.write_partition("equity", DAYS[0], {"AAPL": frame}, handed_over=True)
    name = partition_symbol("equity", "AAPL", DAYS[0])
    latest = store.library(TICK_LIBRARY).read_metadata(name)
    kept = TICK_CACHE.get((store.uri, TICK_LIBRARY, name), (latest.version, latest.timestamp))
    assert kept is not None and kept.index.freq is None  # dropped, as ArcticDB drops it
    assert np.shares_memory(kept["price"].to_numpy(), frame["price"].to_numpy())  # no copy
    stored = store.library(TICK_LIBRARY).read(name).data
    pd.testing.assert_frame_equal(kept, stored, check_exact=True)
    assert frame.index.freq is not None  # the writer's frame is left as it was


def test_row_counts_come_from_held_frames_and_from_arcticdb_for_the_rest(store, scope):
    counted = {day: len(SYMBOLS) * 50 for day in DAYS}
    assert store.partition_rows("equity", SYMBOLS, DAYS) == counted  # all from ArcticDB
    store.write_partition("equity", DAYS[0], {s: _ticks(s, DAYS[0], rows=70) for s in SYMBOLS})
    key = (store.uri, TICK_LIBRARY, partition_symbol("equity", "AAPL", DAYS[0]))
    assert TICK_CACHE.rows(key) == 70
    assert store.partition_rows("equity", SYMBOLS, DAYS) == {DAYS[0]: 140, DAYS[1]: 100}
    with TICK_CACHE.scope(0):  # nested: the entries stay
        assert TICK_CACHE.rows(key) == 70
    TICK_CACHE.forget(key)
    assert TICK_CACHE.rows(key) is None
    assert store.partition_rows("equity", ["AAPL"], DAYS[:1]) == {DAYS[0]: 70}  # from ArcticDB


def test_an_emptied_partition_is_forgotten(store, reads, scope):
    _read(store)
    store.write_partition("equity", DAYS[0], {"AAPL": _ticks("AAPL", DAYS[0]).iloc[:0]})
    got = _read(store, DAYS[:1])
    assert list(got["symbol"].astype(str).unique()) == ["MSFT"]


def test_it_keeps_no_more_once_off_or_once_a_partition_did_not_fit(store):
    assert TICK_CACHE.keeps_no_more  # no run's scope open
    with TICK_CACHE.scope(0):
        assert TICK_CACHE.keeps_no_more
    one = frame_bytes(_ticks("AAPL", DAYS[0]))
    with TICK_CACHE.scope(int(2.5 * one)):
        assert not TICK_CACHE.keeps_no_more
        store.read_partitions("equity", SYMBOLS[:1], DAYS, EQUITY_TICKS)
        assert not TICK_CACHE.keeps_no_more  # two kept, room for no third
        store.read_partitions("equity", SYMBOLS[1:], DAYS[:1], EQUITY_TICKS)
        assert TICK_CACHE.keeps_no_more and TICK_CACHE.stats.refused == 1
