"""A partition whose every row passes tier 1 is stored as fetched: no copy of its columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.providers.simulated import SimulatedMarket
from vvv_pipeline.storage.arctic import ts_indexed
from vvv_pipeline.validation.gate import validate_partition
from vvv_pipeline_tests.providers.simkit import universe

PAIRS = ["BTCUSDT", "ETHUSDT"]
HOUR = (pd.Timestamp("2025-11-20 14:00", tz="UTC"), pd.Timestamp("2025-11-20 15:00", tz="UTC"))


def _trades() -> pd.DataFrame:
    return SimulatedMarket(universe=universe()).fetch("crypto_trades", *HOUR, PAIRS)


def test_a_clean_partition_is_kept_as_fetched_and_a_dirty_one_loses_only_its_bad_rows():
    fetched = _trades()
    assert validate_partition(fetched, "crypto_trades", HOUR, PAIRS).clean is fetched
    dirty = fetched.copy()
    dirty.loc[3, "price"] = -1.0  # tier 1 rejects a non-positive price
    validation = validate_partition(dirty, "crypto_trades", HOUR, PAIRS)
    assert len(validation.rejected) == 1 and len(validation.clean) == len(dirty) - 1
    assert validation.clean.index.equals(pd.RangeIndex(len(dirty) - 1))
    pd.testing.assert_frame_equal(
        validation.clean, dirty.drop(index=3).reset_index(drop=True), check_exact=True
    )


def test_indexing_by_ts_moves_the_column_without_copying_the_others():
    fetched = _trades()
    indexed = ts_indexed(fetched)
    pd.testing.assert_frame_equal(indexed, fetched.set_index("ts"), check_exact=True)
    assert "ts" in fetched.columns  # the partition itself is left as it was
    assert np.shares_memory(indexed["price"].to_numpy(), fetched["price"].to_numpy())
