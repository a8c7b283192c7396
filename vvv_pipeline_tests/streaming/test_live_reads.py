"""The read API with ``include_stream``: finalized hours from tick_data, the others from the
stream's settled rows; staged-only rows stay invisible; exact rows expected."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.bars import time_bars
from vvv_pipeline.read import latest_tick, load_bars, search_ticks
from vvv_pipeline.schemas import (
    CRYPTO_TRADES,
    EQUITY_CONDITIONS,
    EQUITY_EXCHANGES,
    EQUITY_TICKS,
    conform,
)
from vvv_pipeline.storage.arctic import ArcticStore
from vvv_pipeline.storage.derived import TIME_BARS, DerivedStore
from vvv_pipeline.storage.point_lookups import NoTicksStored
from vvv_pipeline.streaming.binance_ws import FROM_BACKFILL, FROM_STREAM, staged_frame
from vvv_pipeline.streaming.iqfeed_l1 import staged_from_ticks
from vvv_pipeline.streaming.store import StreamStore

H0, H1 = "2025-11-25-14:00", "2025-11-25-15:00"
T0 = pd.Timestamp("2025-11-25 14:00", tz="UTC")
T1 = pd.Timestamp("2025-11-25 15:00", tz="UTC")
NY_MONDAY = pd.Timestamp("2025-11-24", tz="America/New_York").tz_convert("UTC")


def ms(stamp: pd.Timestamp, seconds: float) -> int:
    return stamp.value // 1_000_000 + int(seconds * 1000)


def canonical(rows: list[tuple[int, int, float, float]]) -> pd.DataFrame:
    """BTCUSDT trades of (id, epoch ms, price, size), as the hourly asset stores them."""
    ids, times, prices, sizes = zip(*rows, strict=True)
    frame = pd.DataFrame(
        {
            "ts": pd.to_datetime(list(times), unit="ms", utc=True),
            "symbol": "BTCUSDT",
            "price": prices,
            "size": sizes,
            "trade_id": ids,
            "aggressor": np.ones(len(rows), dtype="int8"),
            "venue": "binance",
        }
    )
    return conform(frame, CRYPTO_TRADES)


@pytest.fixture
def uri(tmp_path, monkeypatch) -> str:
    monkeypatch.delenv("VVV_CRYPTO_TRADES_VENUE", raising=False)
    uri = f"lmdb://{tmp_path / 'arctic'}"
    finalized = [
        (1, ms(T0, 10), 100.0, 1.0),
        (2, ms(T0, 20), 101.0, 2.0),
        (3, ms(T0, 3000), 102.0, 3.0),
    ]
    ArcticStore(uri).write_partition("crypto", H0, {"BTCUSDT": canonical(finalized)})
    stream = StreamStore.for_venue(uri, "binance")
    # the stream's copy of H0 (finalized since): never read while tick_data holds the hour
    stream.publish("BTCUSDT", staged_frame([(3, ms(T0, 3000), 999.0, 9.0, 1)], FROM_STREAM))
    live = [
        (4, ms(T1, 5), 103.0, 1.5, 1),
        (5, ms(T1, 7), 104.0, 2.5, -1),
        (7, ms(T1, 7), 106.0, 0.5, 1),  # two trades in one millisecond: id 7 is the later
        (6, ms(T1, 7), 105.0, 4.0, 1),
    ]
    stream.publish("BTCUSDT", staged_frame(live, FROM_STREAM))
    stream.publish("ETHUSDT", staged_frame([(50, ms(T1, 1), 3000.0, 1.0, 1)], FROM_STREAM))
    # staged but not settled (a collector between its stage and its settle): invisible
    stream.stage("BTCUSDT", staged_frame([(8, ms(T1, 9), 107.0, 1.0, 1)], FROM_STREAM))
    return uri


def picked(frame: pd.DataFrame | None) -> list[tuple[int, float]]:
    assert frame is not None
    return list(zip(frame["trade_id"].tolist(), frame["price"].tolist(), strict=True))


def test_latest_tick_includes_the_unfinalized_hours_only_when_asked(uri):
    assert picked(latest_tick("BTCUSDT", source="crypto_trades", uri=uri)) == [(3, 102.0)]
    now = latest_tick("BTCUSDT", source="crypto_trades", uri=uri, include_stream=True)
    assert picked(now) == [(7, 106.0)]
    assert list(now.columns) == list(CRYPTO_TRADES.names) and now["venue"].iloc[0] == "binance"
    assert now["ts"].iloc[0] == pd.Timestamp(ms(T1, 7), unit="ms", tz="UTC")
    at = pd.Timestamp(ms(T1, 5), unit="ms", tz="UTC")  # inclusive
    assert picked(latest_tick("BTCUSDT", at, "crypto_trades", uri, include_stream=True)) == [
        (4, 103.0)
    ]
    before = latest_tick("BTCUSDT", T1 - pd.Timedelta(1, "ns"), "crypto_trades", uri, True)
    assert picked(before) == [(3, 102.0)]  # the finalized row, not the stream's copy of it
    assert latest_tick("BTCUSDT", T0, "crypto_trades", uri, include_stream=True) is None


def test_a_finalized_hour_replaces_the_stream_for_that_hour(uri):
    final = canonical([(4, ms(T1, 5), 103.0, 1.5), (5, ms(T1, 7), 104.0, 2.5)])
    ArcticStore(uri).write_partition("crypto", H1, {"BTCUSDT": final})
    assert picked(latest_tick("BTCUSDT", None, "crypto_trades", uri, include_stream=True)) == [
        (5, 104.0)
    ]


def test_search_ticks_joins_stored_and_streamed_rows_under_one_filter(uri):
    window = (T0, T1 + pd.Timedelta(hours=1))
    found = search_ticks(
        "BTCUSDT",
        *window,
        where={"size": (">=", 1.5)},
        source="crypto_trades",
        uri=uri,
        include_stream=True,
    )
    assert picked(found) == [(2, 101.0), (3, 102.0), (4, 103.0), (5, 104.0), (6, 105.0)]
    assert found["symbol"].dtype == "category" and found["venue"].dtype == "category"
    stored_only = search_ticks("BTCUSDT", *window, source="crypto_trades", uri=uri)
    assert stored_only["trade_id"].tolist() == [1, 2, 3]
    narrow = search_ticks(
        "BTCUSDT",
        T1,
        pd.Timestamp(ms(T1, 7), unit="ms", tz="UTC"),
        columns=["price"],
        source="crypto_trades",
        uri=uri,
        include_stream=True,
    )  # half-open: the trades at +7 ms are out
    assert list(narrow.columns) == ["ts", "symbol", "price"] and narrow["price"].tolist() == [103.0]


def test_a_pair_only_the_stream_has_is_readable_and_unknown_ones_are_named(uri):
    eth = latest_tick("ETHUSDT", source="crypto_trades", uri=uri, include_stream=True)
    assert picked(eth) == [(50, 3000.0)]
    with pytest.raises(NoTicksStored):
        latest_tick("ETHUSDT", source="crypto_trades", uri=uri)
    with pytest.raises(NoTicksStored):
        latest_tick("DOGEUSDT", source="crypto_trades", uri=uri, include_stream=True)
    with pytest.raises(NoTicksStored):
        search_ticks("DOGEUSDT", T0, T1, source="crypto_trades", uri=uri, include_stream=True)
    with pytest.raises(NoTicksStored):  # no equity stream nor session stored here
        latest_tick("AAPL", uri=uri, include_stream=True)
    with pytest.raises(ValueError, match="crypto_trades and equity_ticks only"):
        latest_tick("BTCUSDT", source="crypto_open_interest", uri=uri, include_stream=True)


def equity(rows: list[tuple[int, str, float, int]]) -> pd.DataFrame:
    """AAPL trades of (trade id, UTC time, price, size), canonical ``equity_ticks``."""
    ids, times, prices, sizes = zip(*rows, strict=True)
    n = len(rows)
    frame = pd.DataFrame(
        {
            "ts": pd.to_datetime(list(times), utc=True),
            "symbol": "AAPL",
            "price": prices,
            "size": sizes,
            "bid": [p - 0.01 for p in prices],
            "ask": [p + 0.01 for p in prices],
            "trade_id": ids,
            "exchange": pd.Categorical(["Q"] * n, EQUITY_EXCHANGES),
            "condition": pd.Categorical(["@"] * n, EQUITY_CONDITIONS),
            "aggressor": np.ones(n, dtype="int8"),
            "extended_hours": [t[11:16] in ("00:30", "21:15") for t in times],
        }
    )
    return conform(frame, EQUITY_TICKS)


def test_equity_reads_take_unstored_sessions_from_the_iqfeed_stream(tmp_path):
    uri = f"lmdb://{tmp_path / 'arctic'}"
    monday = [(11, "2025-11-24 15:00:01", 230.0, 100), (12, "2025-11-24 20:59:59", 231.0, 200)]
    ArcticStore(uri).write_partition("equity", "2025-11-24", {"AAPL": equity(monday)})
    stream = StreamStore.for_venue(uri, "iqfeed")
    # Monday's session is stored: the stream's copy of it (and of its evening, 00:30 UTC on
    # Tuesday, still Monday in New York) is never read
    monday_copy = [(12, "2025-11-24 20:59:59", 999.0, 1), (13, "2025-11-25 00:30:00", 998.0, 1)]
    stream.publish("AAPL", staged_from_ticks(equity(monday_copy), FROM_STREAM))
    tuesday = [
        (21, "2025-11-25 14:30:00", 232.0, 300),
        (22, "2025-11-25 15:10:00", 233.0, 50),
        (24, "2025-11-25 15:10:00", 234.0, 400),  # same instant: the higher trade id is later
        (23, "2025-11-25 21:15:00", 235.0, 500),  # Tuesday's evening: extended hours
    ]
    stream.publish("AAPL", staged_from_ticks(equity(tuesday), FROM_STREAM))
    # the catch-up after a reconnect fetched id 22 again: readers keep the streamed copy
    again = staged_from_ticks(equity([(22, "2025-11-25 15:10:00", 111.0, 50)]), FROM_BACKFILL)
    stream.publish("AAPL", again)

    assert picked(latest_tick("AAPL", uri=uri)) == [(12, 231.0)]
    now = latest_tick("AAPL", uri=uri, include_stream=True)
    assert picked(now) == [(23, 235.0)] and bool(now["extended_hours"].iloc[0])
    assert list(now.columns) == list(EQUITY_TICKS.names)
    at = pd.Timestamp("2025-11-25 15:30", tz="UTC")
    assert picked(latest_tick("AAPL", at, uri=uri, include_stream=True)) == [(24, 234.0)]
    night = pd.Timestamp("2025-11-25 01:00", tz="UTC")  # Monday evening in New York: stored
    assert picked(latest_tick("AAPL", night, uri=uri, include_stream=True)) == [(12, 231.0)]

    found = search_ticks(
        "AAPL",
        "2025-11-24",
        "2025-11-26",
        where={"size": (">=", 100)},
        uri=uri,
        include_stream=True,
    )
    assert picked(found) == [(11, 230.0), (12, 231.0), (21, 232.0), (24, 234.0), (23, 235.0)]
    for column in ("symbol", "exchange", "condition"):
        assert found[column].dtype == "category", column
    everything = search_ticks("AAPL", "2025-11-25", "2025-11-26", uri=uri, include_stream=True)
    assert everything["trade_id"].tolist() == [21, 22, 24, 23]  # id 22 once, as streamed
    assert everything["price"].tolist() == [232.0, 233.0, 234.0, 235.0]

    ArcticStore(uri).write_partition("equity", "2025-11-25", {"AAPL": equity(tuesday[:2])})
    assert picked(latest_tick("AAPL", uri=uri, include_stream=True)) == [(22, 233.0)]


def test_load_bars_adds_bars_of_the_days_not_derived_yet(tmp_path):
    uri = f"lmdb://{tmp_path / 'arctic'}"
    derived_day = canonical([(1, ms(T0 - pd.Timedelta(days=1), 30), 90.0, 1.0)])  # Monday
    stored_bars = time_bars(derived_day, "1min", partition_starts=[NY_MONDAY])
    stored_bars = stored_bars.assign(oi_open=5.0, oi_close=6.0, oi_change=1.0)
    DerivedStore(uri).replace_window(
        TIME_BARS,
        {"BTCUSDT/1min": stored_bars.drop(columns="symbol").set_index("ts")},
        NY_MONDAY,
        NY_MONDAY + pd.Timedelta(days=1),
    )
    # Tuesday: hour 14 finalized in tick_data, hour 15 only streamed
    tuesday = [(11, ms(T0, 10), 100.0, 1.0), (12, ms(T0, 20), 101.0, 2.0)]
    ArcticStore(uri).write_partition("crypto", H0, {"BTCUSDT": canonical(tuesday)})
    stream = StreamStore.for_venue(uri, "binance")
    live = [(13, ms(T1, 5), 103.0, 1.5, 1), (14, ms(T1, 50), 102.0, 0.5, -1)]
    stream.publish("BTCUSDT", staged_frame(live, FROM_STREAM))
    # a streamed copy of Monday (derived already): never turned into bars again
    monday = ms(T0 - pd.Timedelta(days=1), 40)
    stream.publish("BTCUSDT", staged_frame([(2, monday, 1.0, 1.0, 1)], FROM_STREAM))

    window = ("2025-11-24", "2025-11-26")
    assert len(load_bars(["BTCUSDT"], "1min", *window, uri=uri)) == 1  # Monday's one bar
    bars = load_bars(["BTCUSDT"], "1min", *window, uri=uri, include_stream=True)
    assert bars["ts"].tolist() == [
        pd.Timestamp(ms(T0 - pd.Timedelta(days=1), 0), unit="ms", tz="UTC"),
        T0,
        T1,
    ]
    assert bars[["open", "high", "low", "close", "volume", "trade_count"]].values.tolist() == [
        [90.0, 90.0, 90.0, 90.0, 1.0, 1],
        [100.0, 101.0, 100.0, 101.0, 3.0, 2],
        [103.0, 103.0, 102.0, 102.0, 2.0, 2],
    ]
    assert bars["vwap"].iloc[1] == pytest.approx(302.0 / 3)
    assert bars[["buy_volume", "sell_volume"]].iloc[2].tolist() == [1.5, 0.5]
    assert bars["oi_close"].iloc[0] == 6.0 and bars["oi_close"].iloc[1:].isna().all()
    assert list(bars.columns) == list(load_bars(["BTCUSDT"], "1min", *window, uri=uri).columns)
    daily = load_bars(["BTCUSDT"], "1d", "2025-11-25", "2025-11-26", uri=uri, include_stream=True)
    assert daily[["open", "close", "volume", "trade_count"]].values.tolist() == [
        [100.0, 102.0, 5.0, 4]
    ]
    with pytest.raises(ValueError, match="needs a start and no as_of"):
        load_bars(["BTCUSDT"], "1min", None, uri=uri, include_stream=True)


def test_live_equity_bars_keep_to_the_session(tmp_path):
    uri = f"lmdb://{tmp_path / 'arctic'}"
    stream = StreamStore.for_venue(uri, "iqfeed")
    tuesday = [
        (1, "2025-11-25 14:00:00", 229.0, 100),  # pre-market: signs, but makes no bar
        (2, "2025-11-25 14:30:10", 230.0, 100),
        (3, "2025-11-25 14:30:50", 231.0, 300),
        (4, "2025-11-25 20:59:00", 232.0, 200),
        (5, "2025-11-25 21:15:00", 240.0, 900),  # after the close
    ]
    stream.publish("AAPL", staged_from_ticks(equity(tuesday), FROM_STREAM))
    bars = load_bars(["AAPL"], "1min", "2025-11-25", "2025-11-26", uri=uri, include_stream=True)
    assert bars["ts"].dt.strftime("%H:%M").tolist() == ["14:30", "20:59"]
    assert bars[["open", "close", "volume"]].values.tolist() == [
        [230.0, 231.0, 400],
        [232.0] * 2 + [200],
    ]
    daily = load_bars(["AAPL"], "1d", "2025-11-25", "2025-11-26", uri=uri, include_stream=True)
    assert daily[["open", "high", "close", "volume"]].values.tolist() == [
        [230.0, 232.0, 232.0, 600]
    ]
    assert load_bars(
        ["AAPL"], "1min", "2025-11-29", "2025-11-30", uri=uri, include_stream=True
    ).empty
