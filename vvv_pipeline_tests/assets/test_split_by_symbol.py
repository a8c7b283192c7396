import pandas as pd

from vvv_pipeline.defs.assets.ingest import UNLISTED, split_by_symbol


def _frame(symbols: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {"symbol": pd.Categorical(symbols), "price": [float(i) for i in range(len(symbols))]}
    )


def test_sorted_frame_splits_into_contiguous_parts_with_an_unlisted_bucket():
    parts = split_by_symbol(_frame(["AAPL", "AAPL", "MSFT", "ZZZZ"]), ["AAPL", "MSFT", "SPY"])
    assert parts["AAPL"]["price"].tolist() == [0.0, 1.0]
    assert parts["MSFT"]["price"].tolist() == [2.0]
    assert parts["SPY"].empty
    assert parts[UNLISTED]["price"].tolist() == [3.0]


def test_unsorted_frame_is_split_by_value_not_position():
    parts = split_by_symbol(_frame(["MSFT", "AAPL", "MSFT", "AAPL"]), ["AAPL", "MSFT"])
    assert parts["AAPL"]["price"].tolist() == [1.0, 3.0]
    assert parts["MSFT"]["price"].tolist() == [0.0, 2.0]
    assert parts[UNLISTED].empty
