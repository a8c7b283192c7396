"""Binance's open interest, polled (it streams none): the poll's answers as rows, the grid points
polls hold, the collector against the fake's current-state endpoints, and hours finalized from
the polls or, where they are too sparse, from ``openInterestHist``."""

from __future__ import annotations

import json
import signal
import time

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.settings import arctic_uri
from vvv_pipeline.streaming.binance_oi import OPEN_INTEREST, PREMIUM_INDEX, BinanceOiPollWire
from vvv_pipeline.streaming.binance_ws import FROM_STREAM, Malformed, Trade
from vvv_pipeline.streaming.bybit_tickers import staged_oi
from vvv_pipeline.streaming.coverage import poll_coverage
from vvv_pipeline.streaming.finalize_oi import finalize_oi_hour, grid_states
from vvv_pipeline.streaming.status import read_status, status_path
from vvv_pipeline.streaming.store import StreamStore
from vvv_pipeline.universe import load_universe
from vvv_pipeline_tests.fakes.binance import make_server
from vvv_pipeline_tests.streaming.open_interest import materialize
from vvv_pipeline_tests.streaming.streams import END, START
from vvv_pipeline_tests.streaming.test_kill_and_finalize import wait_until

VALUES = ["open_interest", "open_interest_value", "mark_price"]


def _poll(oi: object = "100.5", mark: object = "90000.0", symbol: str = "BTCUSDT") -> str:
    return json.dumps(
        {
            OPEN_INTEREST: {"openInterest": oi, "symbol": "BTCUSDT", "time": 1_000},
            PREMIUM_INDEX: {"symbol": symbol, "markPrice": mark, "time": 1_000},
        }
    )


def test_a_poll_is_one_row_and_a_bad_one_is_malformed():
    wire = BinanceOiPollWire()
    assert wire.parse(_poll()) == [Trade("BTCUSDT", (1_000, 1_000, 100.5, 9045000.0, 90000.0))]
    for bad in (_poll(oi=100.5), _poll(mark=None), _poll(symbol="ETHUSDT"), "[]"):
        (message,) = wire.parse(bad)
        assert isinstance(message, Malformed), bad


def test_polls_hold_the_five_seconds_after_them():
    # polls at 0, 4 and 9 s join; 20 s stands alone
    assert poll_coverage([9_000, 0, 4_000, 20_000], 5_000) == [(0, 14_000), (20_000, 25_000)]
    assert poll_coverage([], 5_000) == []


def _market() -> SimulatedMarket:
    return SimulatedMarket(SimulationConfig(ticks_per_session=500), load_universe())


def test_an_hour_polled_every_five_seconds_is_the_markets(data_dir):
    market = _market()
    truth = market.fetch(Source.CRYPTO_OPEN_INTEREST, START, END, ["BTCUSDT"])
    store = StreamStore.open_interest(arctic_uri(), "binance")
    ms = (truth["ts"].astype("int64") // 1_000_000).tolist()
    # polled 1.2 s after each sample: as of each grid point, the poll before it
    rows = [
        (t + 1_200, t + 1_200, oi, value, mark)
        for t, oi, value, mark in zip(ms, *(truth[c] for c in VALUES), strict=True)
    ]
    store.publish("BTCUSDT", staged_oi(rows, FROM_STREAM))
    nothing = lambda symbol, lo, hi: truth.iloc[:0]  # noqa: E731
    done, gaps = finalize_oi_hour(store, nothing, ["BTCUSDT"], START, END, None, "binance")
    # the hour's first point has no poll before it: it alone is uncovered, so REST is asked
    assert gaps == {"BTCUSDT": [(ms[0], ms[0] + 1_200)]} and done.streamed_symbols == []
    # a poll in the hour before (of the first sample) holds it
    first = (ms[0] - 3_800, ms[0] - 3_800, *rows[0][2:])
    store.publish("BTCUSDT", staged_oi([first], FROM_STREAM))
    done, gaps = finalize_oi_hour(store, nothing, ["BTCUSDT"], START, END, None, "binance")
    assert gaps == {} and done.rows_by_origin == {"stream": 720, "rest_fill": 0}
    got = done.frame
    assert set(got["venue"].astype(str)) == {"binance"}
    # each point holds the previous sample's values, but for the first (the extra poll's)
    expected = truth[VALUES].shift(1)
    expected.iloc[0] = truth[VALUES].iloc[0]
    pd.testing.assert_frame_equal(got[VALUES], expected, check_dtype=False)


def _assert_polled(states: pd.DataFrame, truth: pd.DataFrame) -> None:
    at = truth.loc[states.index]
    after = truth.shift(-1).loc[states.index]
    assert (states["open_interest"] == at["open_interest"]).all()
    mark = states["mark_price"]
    assert ((mark == at["mark_price"]) | (mark == after["mark_price"])).all()
    value = states["open_interest"] * mark
    assert np.allclose(states["open_interest_value"], value, rtol=1e-12)


@pytest.mark.slow
def test_the_collector_polls_the_current_state_and_the_sparse_hour_comes_from_rest(
    data_dir, instance, monkeypatch, collectors
):
    market = _market()
    began = time.monotonic()
    speed = 25.0  # market seconds per wall second
    clock = lambda: START + pd.Timedelta(seconds=(time.monotonic() - began) * speed)  # noqa: E731
    log = collectors.log
    with make_server(market, now=clock) as rest:
        collector = collectors.start(
            "--venue",
            "binance",
            "--symbols",
            "BTCUSDT",
            "--rest-url",
            rest.url,
            "--interval",
            "0.1",
        )
        store = StreamStore.open_interest(arctic_uri(), "binance")
        key = START.strftime("%Y-%m-%d-%H:%M")
        wait_until(lambda: len(store.hour("BTCUSDT", key)) >= 20, 60, "20 polls", log)
        collector.send_signal(signal.SIGTERM)
        assert collector.wait(15) == 0, log.read_text()
        states = store.hour("BTCUSDT", key)
        truth = market.fetch(Source.CRYPTO_OPEN_INTEREST, START, END, ["BTCUSDT"]).set_index("ts")
        # every poll answered with its sample's time and open interest; the mark comes from the
        # request after it, the same sample's unless the two straddled the next one
        _assert_polled(states, truth)
        held = poll_coverage(states.index.asi8 // 1_000_000, 5_000)
        sampled = grid_states(states, held, START.value // 1_000_000, END.value // 1_000_000)
        assert len(sampled) >= 15
        _assert_polled(sampled, truth)
        status = read_status(status_path(data_dir / "stream", "binance", "crypto_open_interest"))
        assert status["kind"] == "crypto_open_interest" and status["venue"] == "binance"
        assert status["state"] == "stopped" and status["pairs"]["BTCUSDT"]["trades"] >= 20
        monkeypatch.setenv("VVV_STREAM_CRYPTO_OPEN_INTEREST", "1")
        meta = materialize(instance, rest.url, "binance")
    # a few minutes of polls do not hold the hour: every pair came from openInterestHist
    assert meta["rows_from_stream"] == 0 and meta["stream_rest_requests"] == 3
    assert meta["rows_from_rest_fill"] == 3 * 12
    spans = dict(part.split(" ", 1) for part in str(meta["stream_uncovered"]).split("; "))
    assert spans["ETHUSDT"] == spans["SOLUSDT"] == "15:00:00.000..16:00:00.000"
    assert spans["BTCUSDT"].startswith("15:00:00.000..15:0") and ", " in spans["BTCUSDT"]
