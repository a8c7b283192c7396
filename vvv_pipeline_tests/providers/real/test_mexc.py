"""MexcClient against the fake MEXC: the success/code envelope, the deals snapshot, the ticker."""

from __future__ import annotations

import pandas as pd
import pytest

from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.errors import ProviderBannedError, ProviderError, SchemaDriftError
from vvv_pipeline.providers.live.mexc import DEALS_CAP, MexcClient, contract_symbol
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.universe import load_universe
from vvv_pipeline_tests.fakes.base import FakeHttpServer, Fault, FaultPlan
from vvv_pipeline_tests.fakes.mexc import make_server

MARKET = SimulatedMarket(
    SimulationConfig(seed=7, ticks_per_session=500, crypto_trades_per_hour=100), load_universe()
)
NOW = pd.Timestamp("2025-11-25 16:30:02.5", tz="UTC")
HALF_HOUR = (NOW - pd.Timedelta(minutes=30), NOW)
DEALS = "/api/v1/contract/deals/"
TICKER = "/api/v1/contract/ticker"
DETAIL = "/api/v1/contract/detail"


def serve(*faults: Fault) -> FakeHttpServer:
    server = make_server(MARKET, faults=FaultPlan(faults), now=NOW)
    server.stall_seconds = 2.0
    return server


def client_for(server: FakeHttpServer, **options: object) -> MexcClient:
    settings: dict[str, object] = {
        "requests_per_second": 200.0,
        "timeout": 10.0,
        "max_attempts": 4,
        "backoff_initial": 0.01,
        "backoff_max": 0.05,
    } | options
    return MexcClient(server.url, **settings)  # type: ignore[arg-type]


def expected_trades(symbol: str) -> pd.DataFrame:
    frame = MARKET.fetch(Source.CRYPTO_TRADES, *HALF_HOUR, [symbol])
    frame["ts"] = frame["ts"].dt.floor("ms")
    frame["venue"] = pd.Categorical(["mexc"] * len(frame))
    return frame


def test_contract_names_take_an_underscore_before_the_quote() -> None:
    assert contract_symbol("BTCUSDT") == "BTC_USDT"
    assert contract_symbol("SOL_USDT") == "SOL_USDT"
    assert contract_symbol("ETHUSDC") == "ETH_USDC"
    with pytest.raises(ValueError, match="cannot name the contract"):
        contract_symbol("BTCEUR")


def test_deals_snapshot_covers_a_window_it_reaches_back_past() -> None:
    with serve() as server:
        client = client_for(server)
        got = client.fetch(Source.CRYPTO_TRADES, *HALF_HOUR, ["ETHUSDT"])
        asked = [r for r in server.requests if r.path.startswith(DEALS)]
    want = expected_trades("ETHUSDT")
    # sizes travel as whole contracts of contractSize base units: equal to the last bits
    pd.testing.assert_frame_equal(
        got.drop(columns="trade_id"), want.drop(columns="trade_id"), check_exact=False, rtol=1e-12
    )
    assert got["trade_id"].is_unique and len(got) == len(want) > 20
    # one snapshot of the cap (no paging exists) and the contract info once
    assert [r.query["limit"] for r in asked] == [str(DEALS_CAP)]
    assert asked[0].path == DEALS + "ETH_USDT"
    assert (client.stats.requests, client.stats.pages) == (2, 2)


def test_trade_ids_are_stable_across_fetches() -> None:
    with serve() as server:
        first = client_for(server).fetch(Source.CRYPTO_TRADES, *HALF_HOUR, ["BTCUSDT"])
        again = client_for(server).fetch(Source.CRYPTO_TRADES, *HALF_HOUR, ["BTCUSDT"])
    pd.testing.assert_series_equal(first["trade_id"], again["trade_id"])


def test_full_snapshot_starting_inside_the_window_raises_instead_of_returning_part() -> None:
    with serve() as server:
        client = client_for(server, trade_limit=10)  # ten deals: a few minutes back from NOW
        with pytest.raises(ProviderError, match="MEXC serves no older deals"):
            client.fetch(Source.CRYPTO_TRADES, *HALF_HOUR, ["ETHUSDT"])


def test_deals_limit_is_checked_against_the_documented_cap() -> None:
    with pytest.raises(ValueError, match=r"deals limit must be in 1\.\.100"):
        MexcClient(trade_limit=101)


def test_open_interest_is_the_ticker_sample_in_contracts_times_the_contract_size() -> None:
    with serve() as server:
        got = client_for(server).fetch(Source.CRYPTO_OPEN_INTEREST, *HALF_HOUR, ["BTCUSDT"])
    at = NOW.floor("5s")
    want = MARKET.venue_open_interest(at, at + pd.Timedelta(seconds=5), ["BTCUSDT"], ["mexc"])
    want["venue"] = pd.Categorical(["mexc"])
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-9)


def test_a_window_without_the_ticker_instant_is_refused() -> None:
    earlier = (HALF_HOUR[0] - pd.Timedelta(hours=2), HALF_HOUR[0] - pd.Timedelta(hours=1))
    with serve() as server, pytest.raises(ProviderError, match="only as the current ticker"):
        client_for(server).fetch(Source.CRYPTO_OPEN_INTEREST, *earlier, ["BTCUSDT"])


def test_error_code_in_http_200_fails_at_once_naming_code_and_message() -> None:
    with serve() as server:
        client = client_for(server)
        with pytest.raises(ProviderError, match="code 1001: Contract does not exist"):
            client.fetch(Source.CRYPTO_TRADES, *HALF_HOUR, ["DOGEUSDT"])
    assert (client.stats.requests, client.stats.retries) == (1, 0)


def test_code_510_excessive_frequency_is_retried_then_succeeds() -> None:
    with serve(Fault("quota", TICKER)) as server:
        client = client_for(server)
        got = client.fetch(Source.CRYPTO_OPEN_INTEREST, *HALF_HOUR, ["ETHUSDT"])
    assert len(got) == 1 and client.stats.retries == 1


@pytest.mark.parametrize("kind", ["500", "truncated"])
def test_transient_faults_are_retried(kind: str) -> None:
    with serve(Fault(kind, DEALS, times=2)) as server:
        client = client_for(server)
        got = client.fetch(Source.CRYPTO_TRADES, *HALF_HOUR, ["SOLUSDT"])
    assert len(got) == len(expected_trades("SOLUSDT")) and client.stats.retries == 2


def test_access_denied_is_a_ban_not_retried() -> None:
    with serve(Fault("ban", DEALS)) as server:
        client = client_for(server)
        with pytest.raises(ProviderBannedError, match="HTTP 403"):
            client.fetch(Source.CRYPTO_TRADES, *HALF_HOUR, ["BTCUSDT"])
    assert client.stats.requests == 1


def test_malformed_price_raises_naming_the_field() -> None:
    with (
        serve(Fault("malformed", DEALS)) as server,
        pytest.raises(SchemaDriftError, match="field 'p' holds an unreadable value 'n/a'"),
    ):
        client_for(server).fetch(Source.CRYPTO_TRADES, *HALF_HOUR, ["BTCUSDT"])


@pytest.mark.parametrize(("path", "field"), [(DEALS, "T"), (TICKER, "holdVol")])
def test_drifted_replies_are_schema_drift_naming_the_field(path: str, field: str) -> None:
    source = Source.CRYPTO_TRADES if path == DEALS else Source.CRYPTO_OPEN_INTEREST
    with serve(Fault("drift", path)) as server, pytest.raises(SchemaDriftError) as caught:
        client_for(server).fetch(source, *HALF_HOUR, ["BTCUSDT"])
    assert caught.value.field == field


def test_live_cross_venue_open_interest_leaves_out_a_venue_that_cannot_serve_the_window() -> None:
    from vvv_pipeline.providers.live.market import LiveConfig, LiveMarket
    from vvv_pipeline_tests.fakes import binance, bybit

    with (
        binance.make_server(MARKET) as spot,
        bybit.make_server(MARKET, now=NOW) as linear,
        serve() as mexc,
    ):
        config = LiveConfig(
            binance_url=spot.url,
            binance_futures_url=spot.url,
            bybit_url=linear.url,
            mexc_url=mexc.url,
            requests_per_second=200.0,
        )
        with LiveMarket(config, MARKET.universe) as market:
            now = market.venue_open_interest(*HALF_HOUR, ["BTCUSDT"])
            earlier = (HALF_HOUR[0] - pd.Timedelta(hours=1), HALF_HOUR[0])
            past = market.venue_open_interest(*earlier, ["BTCUSDT"])
    # five-minute samples from Binance and Bybit, MEXC's ticker sample only while it is now
    assert now["venue"].value_counts().to_dict() == {"binance": 6, "bybit": 6, "mexc": 1}
    assert set(past["venue"].astype(str)) == {"binance", "bybit"}
    assert list(now["venue"].cat.categories) == ["binance", "bybit", "mexc"]
    assert now.sort_values(["ts"], kind="stable")["ts"].is_monotonic_increasing
