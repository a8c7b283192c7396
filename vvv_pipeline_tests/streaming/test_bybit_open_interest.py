"""Bybit's ticker stream collected by ``vvv-pipeline stream open-interest`` and finalized into
``crypto_open_interest`` hours: the fake replays an hour of simulated five-second open interest
(and the next hour's first sample) as snapshot and delta frames.

A collector that hears the whole hour finalizes it exactly as the market sampled it, from the
stream alone. A collector killed and restarted leaves a span its coverage does not hold: that
pair's hour comes from Bybit's REST (five-minute samples) and the span is named, the others'
from the stream, and a second finalization stores the same rows.
"""

from __future__ import annotations

import signal

import pandas as pd
import pytest

from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.settings import arctic_uri
from vvv_pipeline.streaming.finalize_oi import grid_states
from vvv_pipeline.streaming.status import read_status, status_path
from vvv_pipeline.streaming.store import StreamStore
from vvv_pipeline.universe import load_universe
from vvv_pipeline_tests.assets.helpers import stored_ticks
from vvv_pipeline_tests.fakes.bybit import make_server
from vvv_pipeline_tests.fakes.bybit_tickers import FakeBybitTickers, TickerScript
from vvv_pipeline_tests.streaming.open_interest import materialize
from vvv_pipeline_tests.streaming.streams import END, KEY, START, SYMBOLS
from vvv_pipeline_tests.streaming.test_kill_and_finalize import wait_until

pytestmark = pytest.mark.slow
STEP = pd.Timedelta(seconds=5)
VALUES = ["open_interest", "open_interest_value", "mark_price"]


def _market() -> SimulatedMarket:
    return SimulatedMarket(SimulationConfig(ticks_per_session=500), load_universe())


def _truth(market: SimulatedMarket) -> pd.DataFrame:
    """The hour's five-second samples and the next hour's first."""
    return market.fetch(Source.CRYPTO_OPEN_INTEREST, START, END + STEP, SYMBOLS)


def _stored() -> pd.DataFrame:
    stored = stored_ticks("crypto_open_interest", [KEY])
    return stored.sort_values(["symbol", "ts"], kind="stable", ignore_index=True)


def _hour(frame: pd.DataFrame, symbol: str) -> pd.DataFrame:
    mine = frame[(frame["symbol"].astype(str) == symbol) & (frame["ts"] < END)]
    return mine.reset_index(drop=True)


def test_a_whole_hour_heard_is_finalized_from_the_stream_exactly(
    data_dir, instance, monkeypatch, collectors
):
    monkeypatch.setenv("VVV_STREAM_CRYPTO_OPEN_INTEREST", "1")
    market = _market()
    truth = _truth(market)
    log = collectors.log
    with FakeBybitTickers(truth, SYMBOLS, TickerScript(rate=400)).start() as fake:
        collector = collectors.start("--url", fake.url)
        wait_until(lambda: fake.log.subscriptions, 30, "the subscription", log)
        wait_until(lambda: fake.due() == 721, 30, "the hour's replay", log)
        wait_until(lambda: fake.log.replayed == 1, 30, "the last deltas", log)
        collector.send_signal(signal.SIGTERM)
        assert collector.wait(15) == 0, log.read_text()
    store = StreamStore.open_interest(arctic_uri(), "bybit")
    for symbol, intervals in store.coverage(SYMBOLS).items():
        # one interval from the first sample (the subscription's snapshot) past the hour
        assert len(intervals) == 1 and intervals[0][0] == START.value // 1_000_000, symbol
        assert intervals[0][1] == END.value // 1_000_000
    status = read_status(status_path(data_dir / "stream", "bybit", "crypto_open_interest"))
    assert status["state"] == "stopped" and status["kind"] == "crypto_open_interest"
    with make_server(market, now=END + pd.Timedelta(minutes=5)) as rest:
        meta = materialize(instance, rest.url)
        stored = _stored()
        for symbol in SYMBOLS:
            expected = _hour(truth, symbol)
            got = _hour(stored, symbol)
            assert len(got) == 720
            pd.testing.assert_frame_equal(got[["ts", *VALUES]], expected[["ts", *VALUES]])
        assert meta["rows_from_stream"] == 720 * len(SYMBOLS) and meta["rows_from_rest_fill"] == 0
        assert meta["stream_uncovered"] == "(none)" and meta["stream_rest_requests"] == 0
        assert set(stored["venue"].astype(str)) == {"bybit"}


def test_a_killed_collectors_span_is_fetched_from_rest_and_named(
    data_dir, instance, monkeypatch, collectors
):
    monkeypatch.setenv("VVV_STREAM_CRYPTO_OPEN_INTEREST", "1")
    market = _market()
    truth = _truth(market)
    log = collectors.log
    # slow enough that the second collector subscribes well before the hour's end
    with FakeBybitTickers(truth, SYMBOLS, TickerScript(rate=100)).start() as fake:
        first = collectors.start("--url", fake.url)
        wait_until(lambda: fake.due() > 200, 30, "the first collector to stream", log)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = fake.due()
        wait_until(lambda: fake.due() > killed_at + 60, 30, "the market to move on", log)
        second = collectors.start("--url", fake.url)
        wait_until(lambda: fake.due() == 721, 30, "the hour's replay", log)
        wait_until(lambda: len(fake.log.subscriptions) == 2, 30, "the resubscription", log)
        wait_until(lambda: fake.log.replayed == 1, 30, "the last deltas", log)
        second.send_signal(signal.SIGTERM)
        assert second.wait(15) == 0, log.read_text()
    store = StreamStore.open_interest(arctic_uri(), "bybit")
    coverage = store.coverage(SYMBOLS)
    for symbol, intervals in coverage.items():
        # the kill lost what the first had not flushed and what came before the second's snapshot
        assert len(intervals) == 2, (symbol, intervals)
        assert intervals[0][1] < intervals[1][0]
    with make_server(market, now=END + pd.Timedelta(minutes=5)) as rest:
        meta = materialize(instance, rest.url)
        stored = _stored()
        served = market.fetch(Source.CRYPTO_OPEN_INTEREST, START, END, SYMBOLS)
        for symbol in SYMBOLS:
            got = _hour(stored, symbol)
            # Bybit's REST serves one sample every five minutes, at the simulated values
            assert len(got) == 12
            expected = _hour(served, symbol)
            expected = expected[expected["ts"].dt.minute % 5 == 0]
            expected = expected[expected["ts"].dt.second == 0].reset_index(drop=True)
            pd.testing.assert_frame_equal(
                got[["ts", "open_interest"]], expected[["ts", "open_interest"]]
            )
        assert meta["rows_from_stream"] == 0 and meta["rows_from_rest_fill"] == 12 * len(SYMBOLS)
        assert meta["stream_rest_requests"] == len(SYMBOLS)
        for symbol in SYMBOLS:
            assert f"{symbol} 15:" in str(meta["stream_uncovered"])
        again = materialize(instance, rest.url)
        assert again["rows_from_rest_fill"] == meta["rows_from_rest_fill"]
        pd.testing.assert_frame_equal(_stored(), stored)


def test_a_dropped_connection_and_a_malformed_frame_lose_no_state_the_coverage_claims(
    data_dir, collectors
):
    market = _market()
    truth = _truth(market)
    log = collectors.log
    script = TickerScript(rate=150, drop_after=(600,), malformed_after=(300,))
    with FakeBybitTickers(truth, SYMBOLS, script).start() as fake:
        collector = collectors.start("--url", fake.url)
        wait_until(lambda: fake.log.replayed == 1, 60, "the hour's replay", log)
        collector.send_signal(signal.SIGTERM)
        assert collector.wait(15) == 0, log.read_text()
    assert fake.log.connections == 2 and fake.log.drops == 1 and fake.log.malformed == 1
    status = read_status(status_path(data_dir / "stream", "bybit", "crypto_open_interest"))
    assert status["malformed"] == 1 and status["reconnects"] >= 1
    store = StreamStore.open_interest(arctic_uri(), "bybit")
    lo, hi = START.value // 1_000_000, (END + STEP).value // 1_000_000
    for symbol, intervals in store.coverage(SYMBOLS).items():
        # the drop cut the coverage in two; every point either part holds is the market's
        assert len(intervals) == 2 and intervals[0][1] < intervals[1][0], (symbol, intervals)
        states = pd.concat([store.hour(symbol, KEY), store.hour(symbol, "2025-11-25-16:00")])
        sampled = grid_states(states, intervals, lo, hi)
        expected = truth[truth["symbol"].astype(str) == symbol].set_index("ts")
        expected = expected.loc[sampled.index, VALUES]
        assert len(sampled) > 400
        pd.testing.assert_frame_equal(sampled[VALUES], expected, check_names=False)
