"""Flow views on hand-made dark-pool prints, options alerts, headlines and lit volume."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.analytics.flow import COLUMNS, flow_view

DAY = pd.Timestamp("2025-11-25")  # a normal session: 14:30-21:00 UTC


def at(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def darkpool(rows: list[tuple[str, str, float, int]]) -> pd.DataFrame:
    """(symbol, UTC time, price, size) per print."""
    symbol, ts, price, size = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "ts": [at(t) for t in ts],
            "symbol": pd.Categorical(symbol),
            "price": price,
            "size": np.array(size, dtype=np.int64),
            "premium": np.array(price) * np.array(size),
        }
    )


def options(rows: list[tuple[str, str, str, float, bool, bool]]) -> pd.DataFrame:
    """(symbol, UTC time, call/put, premium, is_sweep, is_floor) per alert."""
    symbol, ts, kind, premium, sweep, floor = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "ts": [at(t) for t in ts],
            "symbol": pd.Categorical(symbol),
            "option_type": pd.Categorical(kind),
            "premium": premium,
            "is_sweep": sweep,
            "is_floor": floor,
        }
    )


def news(rows: list[tuple[str, str, str, float]]) -> pd.DataFrame:
    """(symbol, UTC time, label, score) per headline row."""
    symbol, ts, label, score = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "ts": [at(t) for t in ts],
            "symbol": pd.Categorical(symbol),
            "sentiment": pd.Categorical(label),
            "sentiment_score": score,
        }
    )


def inputs() -> dict[str, pd.DataFrame]:
    return {
        "volume": pd.DataFrame({"symbol": ["AAA"], "date": [DAY], "volume": [183_000.0]}),
        "darkpool": darkpool(
            [
                ("AAA", "2025-11-25 15:00", 100.0, 1_000),
                ("AAA", "2025-11-25 16:00", 100.0, 60_000),  # $6M: large
                ("AAA", "2025-11-25 13:00", 100.0, 5_000),  # 08:00 New York: pre-market
                ("AAA", "2025-11-28 18:30", 100.0, 5_000),  # after the 13:00 early close
                ("AAA", "2025-11-29 15:00", 100.0, 5_000),  # Saturday
            ]
        ),
        "options": options(
            [
                ("AAA", "2025-11-25 15:00", "call", 1_000.0, True, False),
                ("AAA", "2025-11-25 15:01", "call", 2_000.0, False, True),
                ("AAA", "2025-11-25 15:02", "put", 1_500.0, True, True),
                ("BBB", "2025-11-26 03:00", "put", 700.0, False, False),  # 22:00 NY on the 25th
            ]
        ),
        "news": news(
            [
                ("AAA", "2025-11-25 12:00", "positive", 0.8),
                ("AAA", "2025-11-25 13:00", "positive", 0.4),
                ("AAA", "2025-11-25 14:00", "negative", -0.6),
                ("AAA", "2025-11-25 15:00", "neutral", 0.0),
            ]
        ),
    }


def test_one_row_per_symbol_day_with_contract_columns() -> None:
    out = flow_view(**inputs())
    assert list(out.columns) == list(COLUMNS)
    assert list(out["symbol"]) == ["AAA", "BBB"]
    assert isinstance(out["symbol"].dtype, pd.CategoricalDtype)
    assert out["date"].dtype == "datetime64[ns]"
    assert (out["date"] == DAY).all()


def test_dark_pool_counts_regular_session_prints_only() -> None:
    row = flow_view(**inputs()).iloc[0]
    assert row["dp_volume"] == 61_000
    assert row["dp_premium"] == 6_100_000.0
    assert row["large_prints"] == 1
    assert row["dp_share"] == pytest.approx(61_000 / 244_000, rel=1e-12)


def test_large_print_threshold_is_configurable() -> None:
    row = flow_view(**inputs(), large_print_usd=100_000.0).iloc[0]
    assert row["large_prints"] == 2


def test_options_premium_split_and_flag_counts() -> None:
    out = flow_view(**inputs()).set_index("symbol")
    aaa, bbb = out.loc["AAA"], out.loc["BBB"]
    assert (aaa["call_premium"], aaa["put_premium"]) == (3_000.0, 1_500.0)
    assert aaa["put_call_premium_ratio"] == 0.5
    assert (aaa["sweeps"], aaa["floors"], aaa["alerts"]) == (2, 2, 3)
    assert (bbb["call_premium"], bbb["put_premium"], bbb["alerts"]) == (0.0, 700.0, 1)
    assert math.isnan(bbb["put_call_premium_ratio"])  # no call premium


def test_news_volume_and_sentiment() -> None:
    out = flow_view(**inputs()).set_index("symbol")
    assert out.loc["AAA", "news_count"] == 4
    assert out.loc["AAA", "sentiment_mean"] == pytest.approx(0.15, rel=1e-12)
    assert out.loc["AAA", "sentiment_balance"] == 0.25
    # news was passed: BBB had none that day (count 0, no mean)
    assert out.loc["BBB", "news_count"] == 0
    assert math.isnan(out.loc["BBB", "sentiment_mean"])
    assert math.isnan(out.loc["BBB", "sentiment_balance"])


def test_a_passed_source_without_rows_for_a_symbol_day_gives_zero_activity() -> None:
    bbb = flow_view(**inputs()).set_index("symbol").loc["BBB"]
    assert (bbb["dp_volume"], bbb["large_prints"], bbb["dp_premium"]) == (0.0, 0.0, 0.0)
    assert math.isnan(bbb["dp_share"])  # no lit volume for BBB


def test_lit_volume_without_dark_prints_is_a_zero_share() -> None:
    volume = pd.DataFrame({"symbol": ["AAA", "CCC"], "date": [DAY, DAY], "volume": [1.0, 5.0]})
    out = flow_view(volume=volume, darkpool=inputs()["darkpool"]).set_index("symbol")
    assert out.loc["CCC", "dp_share"] == 0.0
    assert out.loc["AAA", "dp_share"] == pytest.approx(61_000 / 61_001, rel=1e-12)


def test_sources_not_passed_leave_their_columns_nan() -> None:
    out = flow_view(news=inputs()["news"])
    assert len(out) == 1
    assert out[list(COLUMNS)[2:12]].isna().all().all()
    assert out["news_count"].iloc[0] == 4


def test_no_inputs_give_an_empty_frame_with_the_columns() -> None:
    out = flow_view()
    assert list(out.columns) == list(COLUMNS)
    assert len(out) == 0


def test_missing_columns_are_named() -> None:
    with pytest.raises(ValueError, match="options: missing required column"):
        flow_view(options=pd.DataFrame({"symbol": ["A"], "ts": [at("2025-11-25 15:00")]}))
    with pytest.raises(ValueError, match="volume: more than one row"):
        flow_view(volume=pd.concat([inputs()["volume"]] * 2))
