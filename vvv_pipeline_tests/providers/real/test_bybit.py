"""BybitClient against the fake Bybit: cursor paging, the retCode envelope and every fault."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.errors import ProviderBannedError, ProviderError, SchemaDriftError
from vvv_pipeline.providers.live.bybit import BybitClient
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.universe import load_universe
from vvv_pipeline_tests.fakes.base import FakeHttpServer, Fault, FaultPlan
from vvv_pipeline_tests.fakes.bybit import make_server

MARKET = SimulatedMarket(
    SimulationConfig(seed=7, ticks_per_session=500, crypto_trades_per_hour=100), load_universe()
)
START = pd.Timestamp("2025-11-25 15:00", tz="UTC")
HOUR = (START, START + pd.Timedelta(hours=1))
NOW = START + pd.Timedelta(hours=1, minutes=30)
OI = "/v5/market/open-interest"
TRADES = "/v5/market/recent-trade"
MARK = "/v5/market/mark-price-kline"


def with_venue(frame: pd.DataFrame) -> pd.DataFrame:
    frame["venue"] = pd.Categorical(["bybit"] * len(frame))
    return frame


def expected_oi(symbols: list[str]) -> pd.DataFrame:
    frame = MARKET.fetch(Source.CRYPTO_OPEN_INTEREST, *HOUR, symbols)
    frame = frame[frame["ts"].astype("int64") % 300_000_000_000 == 0].reset_index(drop=True)
    # Bybit's open-interest wire has no value: the client derives it from the mark price it
    # reads from the mark-price klines (the simulated mark price at each sample)
    frame["open_interest_value"] = frame["open_interest"] * frame["mark_price"]
    return with_venue(frame)


def expected_trades(symbols: list[str]) -> pd.DataFrame:
    frame = MARKET.fetch(Source.CRYPTO_TRADES, *HOUR, symbols)
    frame["ts"] = frame["ts"].dt.floor("ms")
    return with_venue(frame)


def serve(*faults: Fault) -> FakeHttpServer:
    server = make_server(MARKET, faults=FaultPlan(faults), now=NOW)
    server.stall_seconds = 2.0
    return server


def client_for(server: FakeHttpServer, **options: object) -> BybitClient:
    settings: dict[str, object] = {
        "requests_per_second": 200.0,
        "page_size": 5,
        "timeout": 10.0,  # generous: CI machines are loaded; only timeout faults use a short one
        "max_attempts": 4,
        "backoff_initial": 0.01,
        "backoff_max": 0.05,
    } | options
    return BybitClient(server.url, **settings)  # type: ignore[arg-type]


def test_open_interest_pages_by_cursor_and_equals_the_five_minute_samples() -> None:
    with serve() as server:
        client = client_for(server)
        got = client.fetch(Source.CRYPTO_OPEN_INTEREST, *HOUR, ["SOLUSDT", "BTCUSDT"])
        pd.testing.assert_frame_equal(got, expected_oi(["BTCUSDT", "SOLUSDT"]))
        # 12 samples in pages of 5: three pages a symbol, the last with an empty cursor, then
        # one page of mark-price candles for the same window at the same interval
        assert (client.stats.requests, client.stats.pages, client.stats.retries) == (8, 8, 0)
        assert [r.path for r in server.requests].count(MARK) == 2
        second = server.requests[1].query
        assert second["cursor"] == "lastid=5&lasttime=" + second["cursor"].split("=")[-1]
        assert second["startTime"] == str(START.value // 10**6)
        assert second["endTime"] == str(HOUR[1].value // 10**6 - 1)


def test_recent_trades_cover_a_window_inside_the_snapshot() -> None:
    with serve() as server:
        client = client_for(server)
        got = client.fetch(Source.CRYPTO_TRADES, *HOUR, ["ETHUSDT"])
    pd.testing.assert_frame_equal(got, expected_trades(["ETHUSDT"]))
    assert len(got) == 100 and (client.stats.requests, client.stats.pages) == (1, 1)


def test_window_older_than_the_snapshot_raises_instead_of_returning_part() -> None:
    with serve() as server:
        client = client_for(server, trade_limit=120)  # 1.2 hours of trades back from NOW
        with pytest.raises(ProviderError, match="history archives"):
            client.fetch(Source.CRYPTO_TRADES, *HOUR, ["ETHUSDT"])


def test_rate_limit_retcode_in_http_200_waits_for_the_reset_then_succeeds() -> None:
    with serve(Fault("quota", OI, retry_after=0.4)) as server:
        client = client_for(server)
        began = time.monotonic()
        got = client.fetch(Source.CRYPTO_OPEN_INTEREST, *HOUR, ["BTCUSDT"])
        assert time.monotonic() - began >= 0.3
    pd.testing.assert_frame_equal(got, expected_oi(["BTCUSDT"]))
    assert (client.stats.retries, client.stats.requests) == (1, 5)


def test_business_retcode_fails_at_once_naming_code_and_message() -> None:
    with serve() as server:
        client = client_for(server)
        with pytest.raises(ProviderError, match="retCode 10001: params error: symbol invalid"):
            client.fetch(Source.CRYPTO_OPEN_INTEREST, *HOUR, ["DOGEUSDT"])
    assert (client.stats.requests, client.stats.retries) == (1, 0)


def test_429_with_retry_after_is_honoured() -> None:
    with serve(Fault("429", OI, retry_after=0.3)) as server:
        client = client_for(server)
        began = time.monotonic()
        got = client.fetch(Source.CRYPTO_OPEN_INTEREST, *HOUR, ["ETHUSDT"])
        assert time.monotonic() - began >= 0.3
    pd.testing.assert_frame_equal(got, expected_oi(["ETHUSDT"]))
    assert client.stats.retries == 1


@pytest.mark.parametrize("kind", ["500", "timeout", "reset", "truncated"])
def test_transient_faults_are_retried_and_the_rows_are_complete(kind: str) -> None:
    with serve(Fault(kind, OI, times=2)) as server:
        client = client_for(server, timeout=1.0 if kind == "timeout" else 10.0)
        got = client.fetch(Source.CRYPTO_OPEN_INTEREST, *HOUR, ["ETHUSDT"])
    pd.testing.assert_frame_equal(got, expected_oi(["ETHUSDT"]))
    assert (client.stats.retries, client.stats.requests, client.stats.pages) == (2, 6, 4)


def test_403_access_too_frequent_is_a_ban_not_retried() -> None:
    with serve(Fault("ban", TRADES)) as server:
        client = client_for(server)
        with pytest.raises(ProviderBannedError, match="HTTP 403"):
            client.fetch(Source.CRYPTO_TRADES, *HOUR, ["BTCUSDT"])
    assert client.stats.requests == 1


def test_malformed_number_raises_naming_the_field() -> None:
    with (
        serve(Fault("malformed", TRADES)) as server,
        pytest.raises(ProviderError, match="field 'price' holds an unreadable value 'n/a'"),
    ):
        client_for(server).fetch(Source.CRYPTO_TRADES, *HOUR, ["BTCUSDT"])


@pytest.mark.parametrize(("path", "field"), [(OI, "timestamp"), (TRADES, "side"), (MARK, "list")])
def test_drifted_rows_are_schema_drift_naming_the_field(path: str, field: str) -> None:
    source = Source.CRYPTO_TRADES if path == TRADES else Source.CRYPTO_OPEN_INTEREST
    with serve(Fault("drift", path)) as server, pytest.raises(SchemaDriftError) as caught:
        client_for(server).fetch(source, *HOUR, ["BTCUSDT"])
    assert caught.value.field == field and caught.value.endpoint == path


def test_mark_prices_page_back_by_end_and_each_sample_takes_its_candle_open() -> None:
    with serve() as server:
        client = client_for(server, kline_page_size=5)
        got = client.fetch(Source.CRYPTO_OPEN_INTEREST, *HOUR, ["BTCUSDT"])
        marks = [r.query for r in server.requests if r.path == MARK]
    pd.testing.assert_frame_equal(got, expected_oi(["BTCUSDT"]))
    # 12 five-minute candles newest first in pages of 5: each page ends before the oldest
    # candle of the one before, the third is short and ends the walk
    first, last = START.value // 10**6, HOUR[1].value // 10**6 - 1
    assert [(q["start"], q["end"], q["limit"], q["interval"]) for q in marks] == [
        (str(first), str(last), "5", "5"),
        (str(first), str(first + 7 * 300_000 - 1), "5", "5"),
        (str(first), str(first + 2 * 300_000 - 1), "5", "5"),
    ]


def test_malformed_mark_price_raises_naming_the_field() -> None:
    with (
        serve(Fault("malformed", MARK)) as server,
        pytest.raises(ProviderError, match="field 'openPrice' holds an unreadable value 'n/a'"),
    ):
        client_for(server).fetch(Source.CRYPTO_OPEN_INTEREST, *HOUR, ["BTCUSDT"])


def test_kline_page_size_is_checked_against_the_endpoint_cap() -> None:
    with pytest.raises(ValueError, match=r"kline_page_size must be in 1\.\.1000"):
        BybitClient(kline_page_size=1001)
