"""Binance, Bybit and Coinbase clients on recorded answers (``recorded/``), replayed locally.

Expected values are computed from the wire strings alone (``Decimal`` of the JSON strings,
``int`` of the millisecond strings), never from the clients' code; each defect that recorded
answers exposed has its regression test here.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.errors import ProviderError, SchemaDriftError
from vvv_pipeline.providers.live.binance import BinanceClient
from vvv_pipeline.providers.live.bybit import BybitClient
from vvv_pipeline.providers.live.coinbase import CoinbaseClient
from vvv_pipeline.validation.structure import check_tier1
from vvv_pipeline_tests.providers.real import replay

FAST = {"requests_per_second": 1000.0, "backoff_initial": 0.01, "backoff_max": 0.02}


def ms(stamp: str | int) -> pd.Timestamp:
    return pd.Timestamp(int(stamp), unit="ms", tz="UTC")


def decimal_floats(values: list[str]) -> list[float]:
    return [float(Decimal(v)) for v in values]


def tier1_failures(frame: pd.DataFrame, source: str, window: tuple, symbols: list[str]) -> dict:
    report = check_tier1(frame, source, window, symbols)
    assert report.frame_errors == []
    return report.counts()


# -- Binance -------------------------------------------------------------------------------


def test_binance_exactly_full_last_page_then_an_empty_page_is_read_not_refused() -> None:
    # Defect: a full page (limit 1) followed by the empty page turned 'm' into object dtype
    # in pd.concat and the fetch failed with "field 'm' is not boolean".
    rows = replay.recorded("binance/agg_trades_doc.json")
    row = rows[0]
    window = (ms(row["T"]) - pd.Timedelta(minutes=1), ms(row["T"]) + pd.Timedelta(minutes=1))
    with replay.serve(replay.binance_agg_trades(rows)) as server:
        client = BinanceClient(server.url, futures_url=server.url, page_size=1, **FAST)
        got = client.fetch(Source.CRYPTO_TRADES, *window, ["ETHBTC"])
        queries = [r.query for r in server.requests]
    assert len(queries) == 2 and queries[1]["fromId"] == str(row["a"] + 1)
    assert got["ts"].tolist() == [ms(row["T"])]
    assert got["price"].tolist() == decimal_floats([row["p"]])
    assert got["size"].tolist() == decimal_floats([row["q"]])
    assert got["trade_id"].tolist() == [row["a"]]
    assert got["aggressor"].tolist() == [-1]  # m = true: the buyer was the maker, taker sold
    assert tier1_failures(got, "crypto_trades", window, ["ETHBTC"]) == {}


def test_binance_agg_trades_missing_m_is_schema_drift_and_an_extra_field_is_ignored() -> None:
    rows = replay.recorded("binance/agg_trades_doc.json")
    window = (ms(rows[0]["T"]), ms(rows[0]["T"]) + pd.Timedelta(seconds=1))
    extra = [dict(rows[0], X="new field")]
    with replay.serve(replay.binance_agg_trades(extra)) as server:
        got = BinanceClient(server.url, futures_url=server.url, **FAST).fetch(
            Source.CRYPTO_TRADES, *window, ["ETHBTC"]
        )
    assert got["trade_id"].tolist() == [rows[0]["a"]]
    missing = [{k: v for k, v in rows[0].items() if k != "m"}]
    with replay.serve(replay.binance_agg_trades(missing)) as server:
        client = BinanceClient(server.url, futures_url=server.url, **FAST)
        with pytest.raises(SchemaDriftError) as caught:
            client.fetch(Source.CRYPTO_TRADES, *window, ["ETHBTC"])
    assert caught.value.field == "m"


@pytest.mark.parametrize("as_number", [False, True])
def test_binance_open_interest_history_as_recorded_and_with_numeric_timestamps(
    as_number: bool,
) -> None:
    rows = replay.recorded("binance/open_interest_hist_doc.json")
    if as_number:  # the live wire sends the number the docs print as a string
        rows = [dict(r, timestamp=int(r["timestamp"])) for r in rows]
    first = ms(rows[0]["timestamp"])
    window = (first, first + pd.Timedelta(minutes=10))
    with replay.serve(replay.binance_oi_hist(rows)) as server:
        client = BinanceClient(server.url, futures_url=server.url, oi_page_size=1, **FAST)
        got = client.fetch(Source.CRYPTO_OPEN_INTEREST, *window, ["BTCUSDT"])
        pages = len(server.requests)
    assert pages == 2  # two full pages of one row; the second reaches the window end
    assert got["ts"].tolist() == [ms(r["timestamp"]) for r in rows]
    oi = [Decimal(r["sumOpenInterest"]) for r in rows]
    value = [Decimal(r["sumOpenInterestValue"]) for r in rows]
    assert got["open_interest"].tolist() == [float(v) for v in oi]
    assert got["open_interest_value"].tolist() == [float(v) for v in value]
    mark = [float(v / o) for v, o in zip(value, oi, strict=True)]
    np.testing.assert_allclose(got["mark_price"], mark, rtol=1e-15)
    assert tier1_failures(got, "crypto_open_interest", window, ["BTCUSDT"]) == {}


@pytest.mark.parametrize("minutes_before", [10, 60 * 24 * 40])
def test_binance_open_interest_window_missing_its_first_samples_is_refused(
    minutes_before: int,
) -> None:
    # openInterestHist keeps 30 days: what it serves of an older window starts late, or is
    # empty; either is refused rather than stored as the window.
    rows = replay.recorded("binance/open_interest_hist_doc.json")
    first = ms(rows[0]["timestamp"])
    start = first - pd.Timedelta(minutes=minutes_before)
    end = (
        first + pd.Timedelta(minutes=10) if minutes_before == 10 else start + pd.Timedelta(hours=1)
    )
    with replay.serve(replay.binance_oi_hist(rows)) as server:
        client = BinanceClient(server.url, futures_url=server.url, **FAST)
        with pytest.raises(ProviderError, match="serves only the last 30 days"):
            client.fetch(Source.CRYPTO_OPEN_INTEREST, start, end, ["BTCUSDT"])


# -- Bybit ---------------------------------------------------------------------------------


def folded(exec_id: str) -> int:
    bits = uuid.UUID(exec_id).int
    return ((bits >> 64) ^ (bits & (2**64 - 1))) & (2**63 - 1)


def test_bybit_linear_trade_id_is_the_exec_id_and_a_string_retcode_is_success() -> None:
    # Defects: retCode "0" (a string, as recorded) was an error, and a linear row without a
    # numeric execId took its id from 'seq' (here absent: the fetch failed).
    body = replay.recorded("bybit/recent_trade_linear_ccxt.json")
    row = body["result"]["list"][0]
    window = (ms(row["time"]) - pd.Timedelta(seconds=1), ms(row["time"]) + pd.Timedelta(seconds=1))
    with replay.serve(replay.bybit_recent_trade(body)) as server:
        client = BybitClient(server.url, category="linear", **FAST)
        got = client.fetch(Source.CRYPTO_TRADES, *window, ["BTCUSDT"])
        assert server.requests[0].query["limit"] == "1000"
    assert got["trade_id"].tolist() == [folded(row["execId"])]
    assert got["price"].tolist() == decimal_floats([row["price"]])
    assert got["size"].tolist() == decimal_floats([row["size"]])
    assert got["aggressor"].tolist() == [1]  # side is the taker's: Buy
    assert tier1_failures(got, "crypto_trades", window, ["BTCUSDT"]) == {}


def test_bybit_string_retcode_other_than_zero_is_the_business_error_it_names() -> None:
    body = replay.recorded("bybit/recent_trade_linear_ccxt.json")
    body.update(retCode="10001", retMsg="params error: symbol invalid", result={})
    with replay.serve(replay.bybit_recent_trade(body)) as server:
        client = BybitClient(server.url, **FAST)
        with pytest.raises(ProviderError, match="retCode 10001: params error"):
            client.fetch(Source.CRYPTO_TRADES, ms(0), ms(1), ["BTCUSDT"])


def test_bybit_spot_snapshot_ids_are_exec_ids_although_seq_repeats() -> None:
    # Defect: 'seq' is shared by trades concluded together; the recorded 60-row snapshot has
    # groups of it, so ids taken from it were duplicates that tier 1 quarantined.
    body = replay.recorded("bybit/recent_trade_spot_60.json")
    rows = body["result"]["list"]
    seqs = pd.Series([r["seq"] for r in rows])
    assert seqs.duplicated().sum() > 0  # the recording itself: seq is not unique
    oldest = min(ms(r["time"]) for r in rows)
    window = (oldest, max(ms(r["time"]) for r in rows) + pd.Timedelta(milliseconds=1))
    with replay.serve(replay.bybit_recent_trade(body)) as server:
        client = BybitClient(server.url, category="spot", **FAST)
        got = client.fetch(Source.CRYPTO_TRADES, *window, ["BTCUSDC"])
        assert server.requests[0].query["limit"] == "60"  # spot's cap
    wire = pd.DataFrame(rows).assign(ts=lambda f: [ms(t) for t in f["time"]])
    wire = wire.assign(id=wire["execId"].astype("int64")).sort_values(["ts", "id"])
    assert len(got) == 60 and got["trade_id"].is_unique
    assert got["trade_id"].tolist() == wire["id"].tolist()
    assert got["price"].tolist() == decimal_floats(wire["price"].tolist())
    assert got["size"].tolist() == decimal_floats(wire["size"].tolist())
    assert got["aggressor"].tolist() == [1 if s == "Buy" else -1 for s in wire["side"]]
    assert tier1_failures(got, "crypto_trades", window, ["BTCUSDC"]) == {}


def test_bybit_full_spot_snapshot_is_refused_for_a_window_it_does_not_reach_back_to() -> None:
    # Defect: the guard compared with 1000 rows; a full 60-row spot snapshot covering the
    # last minutes of an hour was returned as the whole hour.
    body = replay.recorded("bybit/recent_trade_spot_60.json")
    newest = max(ms(r["time"]) for r in body["result"]["list"])
    hour = (newest.floor("h"), newest.floor("h") + pd.Timedelta(hours=1))
    with replay.serve(replay.bybit_recent_trade(body)) as server:
        client = BybitClient(server.url, category="spot", **FAST)
        with pytest.raises(ProviderError, match=r"spot recent-trade snapshot is full \(60 rows"):
            client.fetch(Source.CRYPTO_TRADES, *hour, ["BTCUSDC"])
    with pytest.raises(ValueError, match=r"spot recent-trade limit must be in 1\.\.60"):
        BybitClient("http://127.0.0.1:9", category="spot", trade_limit=1000)


def test_bybit_doc_spot_row_with_extra_fields_parses() -> None:
    body = replay.recorded("bybit/recent_trade_spot_doc.json")
    row = body["result"]["list"][0]
    window = (ms(row["time"]), ms(row["time"]) + pd.Timedelta(milliseconds=1))
    with replay.serve(replay.bybit_recent_trade(body)) as server:
        got = BybitClient(server.url, category="spot", **FAST).fetch(
            Source.CRYPTO_TRADES, *window, ["BTCUSDT"]
        )
    assert got["trade_id"].tolist() == [int(row["execId"])]
    assert got["price"].tolist() == decimal_floats([row["price"]])
    assert tier1_failures(got, "crypto_trades", window, ["BTCUSDT"]) == {}


MARK = "/v5/market/mark-price-kline"


def constructed_marks(body: dict[str, Any], opens: list[str]) -> dict[str, Any]:
    """A mark-price kline answer with one candle at each open-interest sample of ``body``.

    CONSTRUCTED, not recorded: no public recording has mark-price candles at the recorded
    open-interest instants, so the prices are placeholders (not Bybit's); the envelope is the
    recorded docs example's, the candles have its documented shape, newest first.
    """
    kline = replay.recorded("bybit/mark_price_kline_doc.json")
    kline["result"]["symbol"] = body["result"]["symbol"]
    kline["result"]["category"] = body["result"]["category"]
    stamps = [r["timestamp"] for r in body["result"]["list"]]
    kline["result"]["list"] = [[t, o, o, o, o] for t, o in zip(stamps, opens, strict=True)]
    return kline


def bybit_oi(
    body: dict[str, Any], kline: dict[str, Any], category: str, **options: Any
) -> tuple[pd.DataFrame, list, tuple]:
    stamps = [ms(r["timestamp"]) for r in body["result"]["list"]]
    window = (min(stamps), max(stamps) + pd.Timedelta(minutes=5))
    routes = (replay.bybit_open_interest(body), replay.bybit_mark_price_kline(kline))
    with replay.serve(*routes) as server:
        client = BybitClient(server.url, category=category, **options, **FAST)
        got = client.fetch(Source.CRYPTO_OPEN_INTEREST, *window, [body["result"]["symbol"]])
        requests = [(r.path, r.query) for r in server.requests]
    return got, requests, window


def test_bybit_recorded_mark_price_candle_gives_the_mark_price_and_the_value() -> None:
    # The documented mark-price answer (BTCUSDT, a 15-minute candle) against the recorded
    # linear open interest moved to that candle's start (a variant made here, not stored)
    kline = replay.recorded("bybit/mark_price_kline_doc.json")
    start, opening = kline["result"]["list"][0][:2]
    body = replay.recorded("bybit/open_interest_linear_ccxt.json")
    body["result"]["list"][0]["timestamp"] = start
    got, requests, window = bybit_oi(body, kline, "linear", interval="15min")
    marks = [q for path, q in requests if path == MARK]
    assert marks == [
        {
            "category": "linear",
            "symbol": "BTCUSDT",
            "interval": "15",
            "start": start,
            "end": str(int(start) + 5 * 60_000 - 1),
            "limit": "1000",
        }
    ]
    amount = Decimal(body["result"]["list"][0]["openInterest"])
    assert got["ts"].tolist() == [ms(start)]
    assert got["mark_price"].tolist() == [float(Decimal(opening))]  # the open, at the sample
    assert got["open_interest"].tolist() == [float(amount)]
    assert got["open_interest_value"].tolist() == [float(amount) * float(Decimal(opening))]
    assert tier1_failures(got, "crypto_open_interest", window, ["BTCUSDT"]) == {}


def test_bybit_linear_open_interest_is_in_base_units_and_the_cursor_ends_empty() -> None:
    body = replay.recorded("bybit/open_interest_linear_ccxt.json")
    kline = constructed_marks(body, ["96000.5"])
    got, requests, window = bybit_oi(body, kline, "linear")
    queries = [q for path, q in requests if path != MARK]
    assert len(queries) == 2 and queries[1]["cursor"].startswith("lastid=1&")
    amounts = decimal_floats([r["openInterest"] for r in body["result"]["list"]])
    assert got["open_interest"].tolist() == amounts
    assert got["mark_price"].tolist() == [96000.5]
    assert got["open_interest_value"].tolist() == [amounts[0] * 96000.5]
    # with the mark price beside it, the recorded sample is a complete row: tier 1 passes
    assert tier1_failures(got, "crypto_open_interest", window, ["BTCUSDT"]) == {}


@pytest.mark.parametrize(
    ("name", "interval"),
    [
        ("bybit/open_interest_inverse_ccxt.json", "5min"),
        ("bybit/open_interest_inverse_doc.json", "1d"),
    ],
)
def test_bybit_inverse_open_interest_in_usd_goes_to_the_value_column(
    name: str, interval: str
) -> None:
    # Defect: inverse contracts count open interest in USD; it was stored as base units. The
    # base units are the USD value over the mark price at the sample.
    body = replay.recorded(name)
    rows = body["result"]["list"]
    opens = [f"{95_000 + 250 * i}.5" for i in range(len(rows))]
    got, requests, window = bybit_oi(
        body, constructed_marks(body, opens), "inverse", page_size=2, interval=interval
    )
    pages = -(-len(rows) // 2) + 1  # full pages of two, then the empty one after the cursor
    assert len([path for path, _ in requests if path != MARK]) == pages
    assert {q["interval"] for path, q in requests if path == MARK} == {
        "5" if interval == "5min" else "D"
    }
    expected = sorted(
        zip(
            (ms(r["timestamp"]) for r in rows),
            decimal_floats([r["openInterest"] for r in rows]),
            decimal_floats(opens),
            strict=True,
        )
    )
    assert (
        list(zip(got["ts"], got["open_interest_value"], got["mark_price"], strict=True)) == expected
    )
    assert got["open_interest"].tolist() == [value / mark for _, value, mark in expected]
    assert tier1_failures(got, "crypto_open_interest", window, ["BTCUSD"]) == {}


def test_bybit_sample_without_a_mark_price_candle_is_quarantined() -> None:
    # A sample Bybit has no candle for keeps NaN mark price and value, which tier 1 rejects
    body = replay.recorded("bybit/open_interest_inverse_doc.json")
    kline = constructed_marks(body, ["95000.5"] * 5)
    kline["result"]["list"] = kline["result"]["list"][1:]  # the newest candle is missing
    got, _, window = bybit_oi(body, kline, "inverse", interval="1d")
    assert got["mark_price"].isna().tolist() == [False] * 4 + [True]
    failures = tier1_failures(got, "crypto_open_interest", window, ["BTCUSD"])
    assert failures == {"mark_price_positive": 1, "open_interest_non_negative": 1}


# -- Coinbase ------------------------------------------------------------------------------


@pytest.mark.parametrize("numeric_id", [False, True])
def test_coinbase_recorded_trade_with_string_and_numeric_ids(numeric_id: bool) -> None:
    rows = replay.recorded("coinbase/trades_ccxt.json")
    if numeric_id:  # the Exchange API's documented type; the recording has a string
        rows = [dict(r, trade_id=int(r["trade_id"])) for r in rows]
    row = rows[0]
    at = pd.Timestamp(row["time"])
    window = (at.floor("min"), at.floor("min") + pd.Timedelta(minutes=1))
    with replay.serve(replay.coinbase_trades("BTC-USDT", rows)) as server:
        client = CoinbaseClient(server.url, symbol_map={"BTCUSDT": "BTC-USDT"}, **FAST)
        got = client.fetch(Source.CRYPTO_TRADES, *window, ["BTCUSDT"])
        assert [r.query.get("after") for r in server.requests] == [None, str(row["trade_id"])]
    assert got["ts"].tolist() == [pd.Timestamp("2024-03-13 11:00:17.710679", tz="UTC")]
    assert got["trade_id"].tolist() == [int(row["trade_id"])]
    assert got["price"].tolist() == decimal_floats([row["price"]])
    assert got["size"].tolist() == decimal_floats([row["size"]])
    assert got["aggressor"].tolist() == [1]  # the maker sold: the taker bought
    assert tier1_failures(got, "crypto_trades", window, ["BTCUSDT"]) == {}
