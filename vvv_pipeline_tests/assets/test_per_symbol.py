"""A derived frame split into one ``ts``-indexed series per symbol (by hand)."""

import pandas as pd

from vvv_pipeline.defs.assets.derive import per_symbol


def test_each_symbol_gets_its_rows_in_order_and_a_missing_one_an_empty_series():
    frame = pd.DataFrame(
        {
            "symbol": pd.Categorical(
                ["MSFT", "AAPL", "MSFT", "AAPL", "SPY"], categories=["AAPL", "MSFT", "SPY", "QQQ"]
            ),
            "ts": pd.to_datetime(
                [
                    "2025-01-02 15:00",
                    "2025-01-02 15:00",
                    "2025-01-02 15:01",
                    "2025-01-02 15:02",
                    "2025-01-02 15:03",
                ],
                utc=True,
            ),
            "close": [10.0, 1.0, 11.0, 2.0, 5.0],
        }
    )
    out = per_symbol(frame, ["AAPL", "MSFT", "QQQ", "TSLA"], "/1min")

    assert list(out) == ["AAPL/1min", "MSFT/1min", "QQQ/1min", "TSLA/1min"]
    assert out["AAPL/1min"]["close"].tolist() == [1.0, 2.0]
    assert out["MSFT/1min"]["close"].tolist() == [10.0, 11.0]
    assert list(out["MSFT/1min"].index) == list(
        pd.to_datetime(["2025-01-02 15:00", "2025-01-02 15:01"], utc=True)
    )
    assert out["MSFT/1min"].index.name == "ts"
    for empty in ("QQQ/1min", "TSLA/1min"):  # an unused category and an absent symbol
        assert out[empty].empty
        assert list(out[empty].columns) == ["close"]
        assert out[empty].index.name == "ts"


def test_an_empty_frame_gives_empty_series():
    frame = pd.DataFrame(
        {"symbol": pd.Categorical([]), "ts": pd.to_datetime([], utc=True), "close": []}
    )
    out = per_symbol(frame, ["AAPL"], "/1min")
    assert out["AAPL/1min"].empty and list(out["AAPL/1min"].columns) == ["close"]
