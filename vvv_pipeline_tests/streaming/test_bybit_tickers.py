"""Bybit's ticker stream as open-interest states, and an hour's five-second grid from them."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from vvv_pipeline.streaming.binance_ws import Held, Malformed, Pong, Reply, Trade
from vvv_pipeline.streaming.bybit_tickers import BybitTickersWire, staged_oi
from vvv_pipeline.streaming.finalize_oi import canonical, grid_states


def _frame(kind: str, ts: int, cs: int, **fields: str) -> str:
    data = {"symbol": "BTCUSDT", "lastPrice": "90000.0", **fields}
    return json.dumps({"topic": "tickers.BTCUSDT", "type": kind, "data": data, "cs": cs, "ts": ts})


SNAPSHOT = _frame(
    "snapshot", 1_000, 7, openInterest="100.5", openInterestValue="9045000.0", markPrice="90000.0"
)


def test_a_snapshot_vouches_from_its_time_and_deltas_change_only_their_fields():
    wire = BybitTickersWire()
    assert wire.subscribe(("BTCUSDT", "ETHUSDT"), 3) == [
        (
            "3.0",
            '{"op": "subscribe", "req_id": "3.0", "args": ["tickers.BTCUSDT", "tickers.ETHUSDT"]}',
        )
    ]
    assert wire.parse(SNAPSHOT) == [
        Held("BTCUSDT", 1_000),
        Trade("BTCUSDT", (7, 1_000, 100.5, 9045000.0, 90000.0)),
    ]
    # a delta of the price alone keeps the open interest; one of the mark keeps the rest
    assert wire.parse(_frame("delta", 1_100, 8, lastPrice="90001.0")) == [
        Trade("BTCUSDT", (8, 1_100, 100.5, 9045000.0, 90000.0))
    ]
    assert wire.parse(_frame("delta", 1_200, 9, markPrice="90010.0")) == [
        Trade("BTCUSDT", (9, 1_200, 100.5, 9045000.0, 90010.0))
    ]


def test_a_delta_without_its_connections_snapshot_is_malformed_and_changes_nothing():
    wire = BybitTickersWire()
    wire.parse(SNAPSHOT)
    wire.subscribe(("BTCUSDT",), 4)  # a new connection forgets the old state
    (message,) = wire.parse(_frame("delta", 2_000, 9, openInterest="101.0"))
    assert isinstance(message, Malformed) and "before its snapshot" in message.reason
    short = _frame("snapshot", 2_000, 9, openInterest="101.0", markPrice="90000.0")
    (message,) = wire.parse(short)
    assert isinstance(message, Malformed) and "open_interest_value" in message.reason
    (message,) = wire.parse(_frame("delta", 2_100, 10, openInterest=101.0))  # a bare number
    assert isinstance(message, Malformed)
    assert wire.states.fields == {}


def test_control_frames():
    wire = BybitTickersWire()
    ack = {"success": True, "ret_msg": "", "conn_id": "c", "req_id": "1.0", "op": "subscribe"}
    assert wire.parse(json.dumps(ack)) == [Reply("1.0", None)]
    assert wire.parse(json.dumps({"op": "pong", "args": ["1"], "conn_id": "c"})) == [Pong()]
    assert isinstance(wire.parse("{")[0], Malformed)


def _states() -> pd.DataFrame:
    # ms: 0 snapshot (oi 10), 7,000 delta (oi 11), 12,000 delta (oi 12), 31,000 (oi 13)
    rows = [
        (1, 0, 10.0, 100.0, 10.0),
        (2, 7_000, 11.0, 110.0, 10.0),
        (3, 12_000, 12.0, 120.0, 10.0),
    ]
    rows.append((4, 31_000, 13.0, 130.0, 10.0))
    return staged_oi(rows, 0)


def test_the_grid_takes_the_state_as_of_each_held_point():
    # points 0, 5, ..., 35 s; covered [0, 22 s) and, from a new snapshot, [31 s, 40 s)
    sampled = grid_states(_states(), [(0, 22_000), (31_000, 40_000)], 0, 40_000)
    assert (sampled.index.asi8 // 1_000_000).tolist() == [
        0,
        5_000,
        10_000,
        15_000,
        20_000,
        35_000,
    ]
    # as of 0 and 5 s: 10; 10 s: 11 (7 s); 15, 20 s: 12 (12 s); 35 s: 13 (31 s)
    assert sampled["open_interest"].tolist() == [10.0, 10.0, 11.0, 12.0, 12.0, 13.0]
    rows = canonical("BTCUSDT", sampled)
    assert rows.columns.tolist() == [
        "ts",
        "symbol",
        "open_interest",
        "open_interest_value",
        "mark_price",
        "venue",
    ]
    assert rows["venue"].astype(str).unique().tolist() == ["bybit"]
    assert rows["open_interest_value"].tolist() == [100.0, 100.0, 110.0, 120.0, 120.0, 130.0]


def test_a_point_at_an_intervals_end_is_not_held():
    sampled = grid_states(_states(), [(0, 10_000)], 0, 20_000)
    assert np.array_equal(sampled.index.asi8 // 1_000_000, [0, 5_000])
