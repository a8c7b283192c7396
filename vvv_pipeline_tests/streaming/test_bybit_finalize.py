"""``crypto_trades`` hours finalized from Bybit's stream: where the collector's coverage does
not reach, the hour is filled from Bybit's latest trades, or fails naming the span when they
no longer reach it. The stream and its coverage are written here as a collector leaves them
(the collector's coverage itself is tested against the fake stream in ``test_bybit.py``)."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest

from vvv_pipeline.defs.assets.sources import SOURCE_ASSETS
from vvv_pipeline.defs.definitions import build_resources
from vvv_pipeline.defs.resources import MarketData
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.live.bybit import BybitClient
from vvv_pipeline.providers.simulated.config import SimulationConfig
from vvv_pipeline.providers.simulated.market import SimulatedMarket
from vvv_pipeline.settings import arctic_uri
from vvv_pipeline.streaming.binance_ws import FROM_STREAM, staged_from_canonical
from vvv_pipeline.streaming.store import StreamStore
from vvv_pipeline.universe import load_universe
from vvv_pipeline_tests.assets.helpers import stored_ticks
from vvv_pipeline_tests.fakes.bybit import make_server
from vvv_pipeline_tests.streaming.streams import END, KEY, START, SYMBOLS

pytestmark = pytest.mark.slow
CRYPTO_TRADES = next(a for a in SOURCE_ASSETS if a.key.to_user_string() == "crypto_trades")
HOLE = (START + pd.Timedelta(minutes=20), START + pd.Timedelta(minutes=30))
"""The span no collector covered: the stream lacks its trades."""


def _ms(stamp: pd.Timestamp) -> int:
    return stamp.value // 1_000_000


def _stream_all_but_the_hole(truth: pd.DataFrame) -> int:
    """Stage the hour's trades outside :data:`HOLE`, with coverage of all but it; how many."""
    store = StreamStore.for_venue(arctic_uri(), "bybit")
    outside = (truth["ts"] < HOLE[0]) | (truth["ts"] >= HOLE[1])
    for symbol in SYMBOLS:
        mine = truth[outside & (truth["symbol"].astype(str) == symbol).to_numpy()]
        store.publish(symbol, staged_from_canonical(mine, FROM_STREAM))
    before, after = (_ms(START) - 60_000, _ms(HOLE[0])), (_ms(HOLE[1]), _ms(END) + 60_000)
    store.write_coverage({symbol: [before, after] for symbol in SYMBOLS})
    return int(outside.sum())


def _materialize(instance: dg.DagsterInstance, url: str) -> dg.ExecuteInProcessResult:
    market = MarketData(
        provider="live", crypto_trades_venue="bybit", bybit_url=url, requests_per_second=1e3
    )
    return dg.materialize(
        [CRYPTO_TRADES],
        partition_key=KEY,
        resources={**build_resources(), "market": market},
        instance=instance,
        raise_on_error=False,
    )


def _market(trades_per_hour: int) -> SimulatedMarket:
    config = SimulationConfig(ticks_per_session=500, crypto_trades_per_hour=trades_per_hour)
    return SimulatedMarket(config, load_universe())


def test_the_uncovered_span_is_filled_from_bybits_latest_trades(data_dir, instance, monkeypatch):
    monkeypatch.setenv("VVV_STREAM_CRYPTO_TRADES", "1")
    # 300 trades an hour: Bybit's 1,000 latest trades still reach back past the hole
    with make_server(_market(300), now=END + pd.Timedelta(minutes=1)) as server:
        truth = BybitClient(server.url, requests_per_second=1e3).fetch(
            Source.CRYPTO_TRADES, START, END, SYMBOLS
        )
        streamed = _stream_all_but_the_hole(truth)
        result = _materialize(instance, server.url)
    assert result.success
    stored = stored_ticks("crypto_trades", [KEY])
    pd.testing.assert_frame_equal(
        stored[truth.columns].reset_index(drop=True), truth, check_categorical=False
    )
    (event,) = result.asset_materializations_for_node("crypto_trades")
    meta = {k: v.value for k, v in event.metadata.items()}
    in_hole = len(truth) - streamed
    assert in_hole > 0 and meta["rows_from_stream"] == streamed
    assert meta["rows_from_rest_fill"] == in_hole and meta["stream_rest_requests"] == len(SYMBOLS)


def test_a_span_bybit_no_longer_serves_fails_the_hour_naming_it(data_dir, instance, monkeypatch):
    monkeypatch.setenv("VVV_STREAM_CRYPTO_TRADES", "1")
    # 3,000 trades an hour: the 1,000 latest begin after the hole
    with make_server(_market(3000), now=END + pd.Timedelta(minutes=1)) as server:
        truth = _market(3000).fetch(Source.CRYPTO_TRADES, START, END, SYMBOLS)
        _stream_all_but_the_hole(truth)
        result = _materialize(instance, server.url)
    assert not result.success
    failure = result.get_step_failure_events()[0].step_failure_data.error
    assert failure is not None
    message = str(failure.message) + "".join(str(c.message) for c in [failure.cause] if c)
    assert "BTCUSDT 2025-11-25 15:00 UTC: the stream does not cover 15:20:00.000..15:30:00.000" in (
        message
    )
    # retrying cannot bring back trades Bybit no longer serves: the step fails at once
    assert "UncoveredHour" in message and "(not retried)" in message
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert stored_ticks("crypto_trades", [KEY]).empty  # nothing half-written
