"""BinanceClient against the fake Binance: exact rows through paging, and every fault."""

from __future__ import annotations

import time

import pandas as pd
import pytest

from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.errors import ProviderBannedError, ProviderError, SchemaDriftError
from vvv_pipeline.providers.live.binance import BinanceClient
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.universe import load_universe
from vvv_pipeline_tests.fakes.base import FakeHttpServer, Fault, FaultPlan
from vvv_pipeline_tests.fakes.binance import make_server

MARKET = SimulatedMarket(
    SimulationConfig(seed=7, ticks_per_session=500, crypto_trades_per_hour=100), load_universe()
)
START = pd.Timestamp("2025-11-25 15:00", tz="UTC")
HOUR = (START, START + pd.Timedelta(hours=1))
TWO_HOURS = (START, START + pd.Timedelta(hours=2))
TRADES = "/api/v3/aggTrades"
OI = "/futures/data/openInterestHist"


def expected_trades(start: pd.Timestamp, end: pd.Timestamp, symbols: list[str]) -> pd.DataFrame:
    frame = MARKET.fetch(Source.CRYPTO_TRADES, start, end, symbols)
    frame["ts"] = frame["ts"].dt.floor("ms")  # the wire carries milliseconds
    return frame


def expected_oi(start: pd.Timestamp, end: pd.Timestamp, symbols: list[str]) -> pd.DataFrame:
    frame = MARKET.fetch(Source.CRYPTO_OPEN_INTEREST, start, end, symbols)
    on_period = frame["ts"].astype("int64") % 300_000_000_000 == 0  # 5-minute samples only
    return frame[on_period].reset_index(drop=True)


def client_for(server: FakeHttpServer, **options: object) -> BinanceClient:
    settings: dict[str, object] = {
        "futures_url": server.url,
        "requests_per_second": 200.0,
        "page_size": 40,
        "timeout": 10.0,  # generous: CI machines are loaded; only timeout faults use a short one
        "max_attempts": 4,
        "backoff_initial": 0.01,
        "backoff_max": 0.05,
    } | options
    return BinanceClient(server.url, **settings)  # type: ignore[arg-type]


def serve(*faults: Fault) -> FakeHttpServer:
    server = make_server(MARKET, faults=FaultPlan(faults))
    server.stall_seconds = 2.0
    return server


def test_trades_page_by_from_id_and_equal_the_simulated_window() -> None:
    with serve() as server:
        client = client_for(server)
        got = client.fetch(Source.CRYPTO_TRADES, *TWO_HOURS, ["ETHUSDT", "BTCUSDT"])
        pd.testing.assert_frame_equal(got, expected_trades(*TWO_HOURS, ["BTCUSDT", "ETHUSDT"]))
        assert len(got) == 400
        first, second = server.requests[0].query, server.requests[1].query
        assert first == {
            "symbol": "ETHUSDT",
            "startTime": str(START.value // 10**6),
            "endTime": str(TWO_HOURS[1].value // 10**6 - 1),
            "limit": "40",
        }
        eth = got[got["symbol"] == "ETHUSDT"]
        assert second == {
            "symbol": "ETHUSDT",
            "fromId": str(eth["trade_id"].iloc[39] + 1),
            "limit": "40",
        }
        # 200 trades a symbol in pages of 40: five full pages, then one that crosses the end.
        assert client.stats.as_dict() == {
            "requests": 12,
            "retries": 0,
            "pages": 12,
            "bytes": client.stats.bytes,
        }
        assert client.stats.bytes > 400 * 80


def test_taker_side_follows_the_m_flag() -> None:
    with serve() as server:
        got = client_for(server).fetch(Source.CRYPTO_TRADES, *HOUR, ["SOLUSDT"])
    want = expected_trades(*HOUR, ["SOLUSDT"])
    assert got["aggressor"].tolist() == want["aggressor"].tolist()
    assert set(got["aggressor"]) == {-1, 1}


def test_open_interest_is_five_minute_history_with_derived_mark_price() -> None:
    with serve() as server:
        client = client_for(server, oi_page_size=7)
        got = client.fetch(Source.CRYPTO_OPEN_INTEREST, *HOUR, ["BTCUSDT", "SOLUSDT"])
        want = expected_oi(*HOUR, ["BTCUSDT", "SOLUSDT"])
        assert len(got) == 24
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12)
        pd.testing.assert_series_equal(got["open_interest"], want["open_interest"])
        # 12 samples an hour in pages of 7: a full page, then a short one, per symbol.
        assert (client.stats.requests, client.stats.pages) == (4, 4)
        assert server.requests[1].query["startTime"] == str(START.value // 10**6 + 7 * 300_000)


def test_empty_window_is_an_empty_canonical_frame() -> None:
    with serve() as server:
        got = client_for(server).fetch(Source.CRYPTO_TRADES, START, START, ["BTCUSDT"])
    assert got.empty and list(got.columns)[:2] == ["ts", "symbol"]


def test_429_waits_for_retry_after_then_succeeds() -> None:
    with serve(Fault("429", TRADES, retry_after=0.4)) as server:
        client = client_for(server)
        began = time.monotonic()
        got = client.fetch(Source.CRYPTO_TRADES, *HOUR, ["BTCUSDT"])
        assert time.monotonic() - began >= 0.4
    pd.testing.assert_frame_equal(got, expected_trades(*HOUR, ["BTCUSDT"]))
    assert (client.stats.retries, client.stats.requests, client.stats.pages) == (1, 4, 3)


@pytest.mark.parametrize(
    "fault",
    [
        Fault("500", TRADES, times=3),
        Fault("timeout", TRADES),
        Fault("reset", TRADES),
        Fault("truncated", TRADES),
    ],
    ids=["500-burst", "timeout", "reset", "truncated"],
)
def test_transient_faults_are_retried_and_the_rows_are_complete(fault: Fault) -> None:
    with serve(fault) as server:
        client = client_for(server, timeout=1.0 if fault.kind == "timeout" else 10.0)
        got = client.fetch(Source.CRYPTO_TRADES, *HOUR, ["BTCUSDT"])
        assert server.faults.pending() == 0
    pd.testing.assert_frame_equal(got, expected_trades(*HOUR, ["BTCUSDT"]))
    assert client.stats.retries == fault.times
    assert client.stats.requests == client.stats.pages + fault.times == 3 + fault.times


def test_persistent_429_gives_up_after_max_attempts() -> None:
    with serve(Fault("429", TRADES, times=10, retry_after=0.01)) as server:
        client = client_for(server, max_attempts=3)
        with pytest.raises(ProviderError, match=r"gave up after 3 attempt\(s\)"):
            client.fetch(Source.CRYPTO_TRADES, *HOUR, ["BTCUSDT"])
    assert (client.stats.requests, client.stats.retries) == (3, 2)


def test_ban_418_fails_at_once() -> None:
    with serve(Fault("ban", TRADES, retry_after=120)) as server:
        client = client_for(server)
        with pytest.raises(ProviderBannedError, match="HTTP 418"):
            client.fetch(Source.CRYPTO_TRADES, *HOUR, ["BTCUSDT"])
    assert (client.stats.requests, client.stats.retries) == (1, 0)


def test_malformed_price_raises_naming_the_field() -> None:
    with (
        serve(Fault("malformed", TRADES)) as server,
        pytest.raises(ProviderError, match="field 'p' holds an unreadable value 'n/a'"),
    ):
        client_for(server).fetch(Source.CRYPTO_TRADES, *HOUR, ["BTCUSDT"])


def test_drifted_trade_without_m_is_schema_drift() -> None:
    with serve(Fault("drift", TRADES)) as server, pytest.raises(SchemaDriftError) as caught:
        client_for(server).fetch(Source.CRYPTO_TRADES, *HOUR, ["BTCUSDT"])
    assert caught.value.field == "m" and caught.value.endpoint == TRADES


def test_drifted_open_interest_names_the_missing_field() -> None:
    with (
        serve(Fault("drift", OI)) as server,
        pytest.raises(SchemaDriftError, match="sumOpenInterest"),
    ):
        client_for(server).fetch(Source.CRYPTO_OPEN_INTEREST, *HOUR, ["ETHUSDT"])


def test_invalid_symbol_is_not_retried() -> None:
    with serve() as server:
        client = client_for(server)
        with pytest.raises(ProviderError, match="HTTP 400"):
            client.fetch(Source.CRYPTO_TRADES, *HOUR, ["DOGEUSDT"])
    assert (client.stats.requests, client.stats.retries) == (1, 0)
