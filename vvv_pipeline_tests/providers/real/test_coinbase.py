"""CoinbaseClient against the fake Coinbase Exchange: CB-AFTER paging, mapping and faults."""

from __future__ import annotations

import math
import time

import pandas as pd
import pytest

from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.errors import ProviderError, SchemaDriftError
from vvv_pipeline.providers.live.coinbase import CoinbaseClient
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.universe import load_universe
from vvv_pipeline_tests.fakes.base import FakeHttpServer, Fault, FaultPlan
from vvv_pipeline_tests.fakes.coinbase import make_server

MARKET = SimulatedMarket(
    SimulationConfig(seed=7, ticks_per_session=500, crypto_trades_per_hour=100), load_universe()
)
START = pd.Timestamp("2025-11-25 15:00", tz="UTC")
HOUR = (START, START + pd.Timedelta(hours=1))
NOW = START + pd.Timedelta(hours=1, minutes=30)
PAGE = 40
BTC = "/products/BTC-USD/trades"


def expected(symbols: list[str]) -> pd.DataFrame:
    frame = MARKET.fetch(Source.CRYPTO_TRADES, *HOUR, symbols)
    frame["ts"] = frame["ts"].dt.floor("us")  # ISO times carry microseconds
    frame["venue"] = pd.Categorical(["coinbase"] * len(frame))
    return frame


def pages_back_to_start(symbol: str) -> int:
    """Pages of PAGE trades from NOW back to the first page holding a trade before START."""
    newer = len(MARKET.fetch(Source.CRYPTO_TRADES, START, NOW, [symbol]))
    return math.ceil((newer + 1) / PAGE)


def serve(*faults: Fault) -> FakeHttpServer:
    server = make_server(MARKET, faults=FaultPlan(faults), now=NOW)
    server.stall_seconds = 2.0
    return server


def client_for(server: FakeHttpServer, **options: object) -> CoinbaseClient:
    settings: dict[str, object] = {
        "requests_per_second": 200.0,
        "page_size": PAGE,
        "timeout": 10.0,  # generous: CI machines are loaded; only timeout faults use a short one
        "max_attempts": 4,
        "backoff_initial": 0.01,
        "backoff_max": 0.05,
    } | options
    return CoinbaseClient(server.url, **settings)  # type: ignore[arg-type]


def test_pages_back_with_cb_after_and_equals_the_simulated_window() -> None:
    with serve() as server:
        client = client_for(server)
        got = client.fetch(Source.CRYPTO_TRADES, *HOUR, ["SOLUSDT", "BTCUSDT"])
        pd.testing.assert_frame_equal(got, expected(["BTCUSDT", "SOLUSDT"]))
        pages = pages_back_to_start("SOLUSDT") + pages_back_to_start("BTCUSDT")
        assert (client.stats.requests, client.stats.pages, client.stats.retries) == (
            pages,
            pages,
            0,
        )
        first, second = server.requests[0], server.requests[1]
        assert first.path == "/products/SOL-USD/trades" and first.query == {"limit": "40"}
        assert int(second.query["after"]) == int(first_page_oldest(server, "SOL-USD"))


def first_page_oldest(server: FakeHttpServer, product: str) -> int:
    """The oldest id of the first page the fake served (what CB-AFTER announced)."""
    symbol = {"SOL-USD": "SOLUSDT", "BTC-USD": "BTCUSDT"}[product]
    newest = MARKET.fetch(Source.CRYPTO_TRADES, NOW - pd.Timedelta(hours=2), NOW, [symbol])
    return int(newest["trade_id"].iloc[-PAGE])


def test_maker_side_is_flipped_into_the_taker_side() -> None:
    with serve() as server:
        got = client_for(server).fetch(Source.CRYPTO_TRADES, *HOUR, ["ETHUSDT"])
    assert got["aggressor"].tolist() == expected(["ETHUSDT"])["aggressor"].tolist()


def test_symbol_map_is_configurable() -> None:
    with serve() as server:
        client = client_for(server, symbol_map={"XBT": "BTC-USD"})
        got = client.fetch(Source.CRYPTO_TRADES, *HOUR, ["XBT"])
        assert server.paths() and set(server.paths()) == {BTC}
        with pytest.raises(ValueError, match="no product id for 'BTCUSDT'"):
            client.fetch(Source.CRYPTO_TRADES, *HOUR, ["BTCUSDT"])
    assert got["symbol"].tolist() == ["XBT"] * 100
    assert got["trade_id"].tolist() == expected(["BTCUSDT"])["trade_id"].tolist()


def test_window_beyond_max_pages_raises_instead_of_returning_part() -> None:
    with serve() as server, pytest.raises(ProviderError, match="beyond 2 pages back"):
        client_for(server, max_pages=2).fetch(Source.CRYPTO_TRADES, *HOUR, ["BTCUSDT"])


def test_end_of_history_is_an_empty_frame() -> None:
    with make_server(MARKET, now=NOW, history_hours=0) as server:
        old = (START - pd.Timedelta(days=3), START - pd.Timedelta(days=3, hours=-1))
        got = client_for(server).fetch(Source.CRYPTO_TRADES, *old, ["BTCUSDT"])
    assert got.empty and list(got.columns)[:2] == ["ts", "symbol"]


def test_429_json_with_retry_after_is_honoured() -> None:
    with serve(Fault("429", BTC, retry_after=0.4)) as server:
        client = client_for(server)
        began = time.monotonic()
        got = client.fetch(Source.CRYPTO_TRADES, *HOUR, ["BTCUSDT"])
        assert time.monotonic() - began >= 0.4
    pd.testing.assert_frame_equal(got, expected(["BTCUSDT"]))
    assert client.stats.retries == 1


@pytest.mark.parametrize("kind", ["500", "timeout", "reset", "truncated"])
def test_transient_faults_are_retried_and_the_rows_are_complete(kind: str) -> None:
    with serve(Fault(kind, BTC, times=2)) as server:
        client = client_for(server, timeout=1.0 if kind == "timeout" else 10.0)
        got = client.fetch(Source.CRYPTO_TRADES, *HOUR, ["BTCUSDT"])
    pd.testing.assert_frame_equal(got, expected(["BTCUSDT"]))
    pages = pages_back_to_start("BTCUSDT")
    assert (client.stats.retries, client.stats.requests, client.stats.pages) == (
        2,
        pages + 2,
        pages,
    )


def test_unknown_product_404_is_not_retried() -> None:
    with serve() as server:
        client = client_for(server, symbol_map={"DOGEUSDT": "DOGE-USD"})
        with pytest.raises(ProviderError, match="HTTP 404"):
            client.fetch(Source.CRYPTO_TRADES, *HOUR, ["DOGEUSDT"])
    assert (client.stats.requests, client.stats.retries) == (1, 0)


def test_malformed_price_raises_naming_the_field() -> None:
    with (
        serve(Fault("malformed", BTC, times=10)) as server,  # every page, so one in the window
        pytest.raises(ProviderError, match="field 'price' holds an unreadable value 'n/a'"),
    ):
        client_for(server).fetch(Source.CRYPTO_TRADES, *HOUR, ["BTCUSDT"])


def test_drifted_trade_without_side_is_schema_drift() -> None:
    with serve(Fault("drift", BTC)) as server, pytest.raises(SchemaDriftError) as caught:
        client_for(server).fetch(Source.CRYPTO_TRADES, *HOUR, ["BTCUSDT"])
    assert caught.value.field == "side" and caught.value.endpoint == BTC
