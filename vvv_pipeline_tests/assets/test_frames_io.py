"""Derived frames read back from ArcticDB: the stored key becomes a categorical symbol."""

import pandas as pd

from vvv_pipeline.defs.assets.frames_io import split_key


def test_split_key_gives_each_row_its_symbol_with_sorted_categories():
    frame = pd.DataFrame(
        {"key": ["MSFT/1min", "AAPL/1min", "AAPL", "MSFT/1min", "BTCUSDT/5min"], "v": range(5)}
    )
    split = split_key(frame)
    assert list(split.columns) == ["symbol", "v"]
    assert split["symbol"].tolist() == ["MSFT", "AAPL", "AAPL", "MSFT", "BTCUSDT"]
    assert list(split["symbol"].cat.categories) == ["AAPL", "BTCUSDT", "MSFT"]
    assert split["v"].tolist() == [0, 1, 2, 3, 4]


def test_split_key_leaves_an_empty_frame_as_it_is():
    empty = pd.DataFrame({"key": pd.Series([], dtype=object)})
    assert split_key(empty) is empty
