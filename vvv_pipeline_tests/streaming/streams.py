"""One simulated hour served twice, as Binance serves it: by the WebSocket and by REST."""

from __future__ import annotations

import pandas as pd

from vvv_pipeline.providers.live.binance import BinanceClient
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.providers.simulated.anchors import EPOCH_NS, HOUR_NS
from vvv_pipeline.universe import load_universe
from vvv_pipeline_tests.fakes import binance
from vvv_pipeline_tests.fakes.base import FakeHttpServer
from vvv_pipeline_tests.fakes.binance_ws import ContiguousTrades

SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
KEY = "2025-11-25-15:00"
START = pd.Timestamp("2025-11-25 15:00", tz="UTC")
END = START + pd.Timedelta(hours=1)
SIM_HOUR = (START.value - EPOCH_NS) // HOUR_NS
"""The hour's index in the simulator's clock (what the fakes take)."""


def hour_market(trades_per_hour: int) -> tuple[SimulatedMarket, ContiguousTrades]:
    config = SimulationConfig(ticks_per_session=500, crypto_trades_per_hour=trades_per_hour)
    market = SimulatedMarket(config, load_universe())
    return market, ContiguousTrades(market)


def rest_server(market: SimulatedMarket, trades: ContiguousTrades) -> FakeHttpServer:
    return binance.make_server(market, trades=trades)


def rest_client(server: FakeHttpServer) -> BinanceClient:
    return BinanceClient(server.url, futures_url=server.url, requests_per_second=1000.0)


def served_hour(client: BinanceClient) -> pd.DataFrame:
    """The whole hour as the REST client returns it: what a finalized hour must equal."""
    return client.fetch("crypto_trades", START, END, SYMBOLS)
