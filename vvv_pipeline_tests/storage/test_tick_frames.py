"""Tick reads stack ArcticDB's frames by category code: the same frames as the string sort.

The baseline is the read as it was before (``reset_index``, concat, ``astype(str)``, a new
``pd.Categorical``, a stable (symbol, ts) ``sort_values``), run on the same stored partitions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.bars.frames import in_symbol_time_order
from vvv_pipeline.providers.simulated import SimulatedMarket
from vvv_pipeline.schemas import CRYPTO_TRADES, EQUITY_TICKS, Schema
from vvv_pipeline.storage.arctic import ArcticStore
from vvv_pipeline.storage.tick_frames import stack_partitions
from vvv_pipeline_tests.name_based_baselines import string_sorted_read
from vvv_pipeline_tests.providers.simkit import universe

SESSIONS = ["2025-11-18", "2025-11-19", "2025-11-20"]
HOURS = ["2025-11-20-14:00", "2025-11-20-15:00"]


def _write(store: ArcticStore, prefix: str, key: str, frame: pd.DataFrame) -> None:
    """As ``equity_ticks`` writes: ts-indexed row slices per symbol, categories kept."""
    indexed = frame.set_index("ts")
    names = indexed["symbol"].astype(str).to_numpy()
    parts = {s: indexed[names == s] for s in indexed["symbol"].cat.categories}
    store.write_partition(prefix, key, parts)


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> ArcticStore:
    """Three default-density sessions of the ten equities and two hours of crypto, stored."""
    store = ArcticStore(f"lmdb://{tmp_path_factory.mktemp('ticks') / 'arctic'}")
    market = SimulatedMarket(universe=universe())
    for key in SESSIONS:
        day = pd.Timestamp(key, tz="America/New_York")
        frame = market.fetch("equity_ticks", day, day + pd.Timedelta(days=1), universe().equities)
        _write(store, "equity", key, frame)
    for key in HOURS:
        start = pd.Timestamp(f"{key[:10]} {key[11:]}", tz="UTC")
        frame = market.fetch("crypto_trades", start, start + pd.Timedelta(hours=1), ["BTCUSDT"])
        _write(store, "crypto", key, frame)
    return store


def _same(new: pd.DataFrame, old: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    assert list(new.columns) == list(old.columns)
    assert new["symbol"].cat.categories.tolist() == old["symbol"].cat.categories.tolist()
    assert isinstance(new.index, pd.RangeIndex)


@pytest.mark.parametrize(
    ("symbols", "keys"),
    [
        (None, SESSIONS[:1]),
        (None, SESSIONS),
        (None, SESSIONS[::-1]),  # partitions asked for out of time order: sorted, not stacked
        (["TSLA", "AAPL", "SPY", "AAPL"], SESSIONS[1:]),  # unsorted, repeated
        (["AAPL", "ZZZZ"], SESSIONS),  # a symbol with nothing stored
        (["ZZZZ"], SESSIONS),
    ],
)
def test_equity_reads_equal_the_string_sorted_read(stored, symbols, keys):
    symbols = list(universe().equities) if symbols is None else symbols
    new = stored.read_partitions("equity", symbols, keys, EQUITY_TICKS)
    _same(new, string_sorted_read(stored, "equity", symbols, keys, EQUITY_TICKS))
    assert len(new) == len(new.drop_duplicates(["symbol", "trade_id"]))


def test_crypto_reads_equal_the_string_sorted_read(stored):
    for keys in (HOURS, HOURS[::-1]):
        new = stored.read_partitions("crypto", ["BTCUSDT"], keys, CRYPTO_TRADES)
        _same(new, string_sorted_read(stored, "crypto", ["BTCUSDT"], keys, CRYPTO_TRADES))


def test_frames_without_category_symbols_or_with_differing_codes_follow_pandas_rules():
    """A non-categorical symbol (a foreign write) and per-frame exchange categories."""
    ts = pd.DatetimeIndex(pd.to_datetime([3, 1, 2], unit="s", utc=True), name="ts")

    def frame(symbol, exchanges, categories, as_category=True):
        sym = pd.Categorical([symbol] * 3) if as_category else [symbol] * 3
        return pd.DataFrame(
            {
                "symbol": sym,
                "price": [1.0, 2.0, 3.0],
                "exchange": pd.Categorical(exchanges, categories=categories),
            },
            index=ts,
        )

    schema = Schema("t", EQUITY_TICKS.columns[:3] + EQUITY_TICKS.columns[7:8], "")
    cases = [
        [frame("B", ["N", "Q", "N"], ["N", "Q"]), frame("A", ["Q", "Q", "N"], ["Q", "N"])],
        [frame("B", ["N"] * 3, ["N"], as_category=False), frame("A", ["N"] * 3, ["N"])],
    ]
    for frames in cases:
        old = pd.concat([f.reset_index() for f in frames], ignore_index=True)
        old["symbol"] = pd.Categorical(old["symbol"].astype(str))
        old = old.sort_values(["symbol", "ts"], kind="stable", ignore_index=True)
        _same(stack_partitions(frames, schema), old[schema.names])


def test_order_check_sees_a_step_back_only_inside_a_symbol():
    codes = np.array([0, 0, 1, 1], dtype=np.int8)
    assert in_symbol_time_order(codes, np.array([1, 2, 0, 5]))
    assert not in_symbol_time_order(codes, np.array([2, 1, 3, 4]))
    assert not in_symbol_time_order(codes[::-1], np.array([1, 2, 3, 4]))


@pytest.mark.parametrize("keys", [SESSIONS, SESSIONS[::-1], ["2025-11-17"]])
def test_a_read_of_some_columns_is_those_columns_of_the_whole_read(stored, keys):
    """The bar readers ask for the kernels' columns only; ``ts`` and ``symbol`` always come."""
    symbols = list(universe().equities)
    whole = stored.read_partitions("equity", symbols, keys, EQUITY_TICKS)
    some = stored.read_partitions("equity", symbols, keys, EQUITY_TICKS, columns=["size", "price"])
    assert list(some.columns) == ["ts", "symbol", "price", "size"]
    _same(some, whole[["ts", "symbol", "price", "size"]])
    with pytest.raises(ValueError, match="not in the schema"):
        stored.read_partitions("equity", symbols, keys, EQUITY_TICKS, columns=["venue"])
