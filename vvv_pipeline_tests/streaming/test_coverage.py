"""Coverage intervals of a stream without consecutive ids, on hand-made times (ms)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.streaming.binance_ws import FROM_BACKFILL, FROM_STREAM, staged_frame
from vvv_pipeline.streaming.coverage import Coverage, uncovered
from vvv_pipeline.streaming.finalize import FROM_REST, UncoveredHour, complete_covered
from vvv_pipeline.streaming.service import resume_points
from vvv_pipeline.streaming.store import StreamStore


def test_uncovered_spans_of_a_window():
    assert uncovered([], 0, 100) == [(0, 100)]
    assert uncovered([(0, 100)], 0, 100) == []
    assert uncovered([(-50, 150)], 0, 100) == []
    assert uncovered([(10, 40), (60, 90)], 0, 100) == [(0, 10), (40, 60), (90, 100)]
    assert uncovered([(60, 90), (10, 40), (30, 70)], 0, 100) == [(0, 10), (90, 100)]
    assert uncovered([(100, 200), (-20, 0)], 0, 100) == [(0, 100)]  # touching is not covering


def test_a_resync_reaching_back_continues_the_interval_one_that_does_not_opens_another():
    coverage = Coverage()
    coverage.connection_opened()
    coverage.heard("BTC", 1_000)  # before the first resync: vouches for nothing
    assert coverage.snapshot() == {}
    coverage.resynced("BTC", 901, 1_000)  # a snapshot whose oldest trade is at 900 ms
    coverage.heard("BTC", 1_500)
    assert coverage.snapshot() == {"BTC": [(901, 1_500)]}
    coverage.connection_opened()  # a reconnect: 1,600 is heard before the resync
    coverage.heard("BTC", 1_600)
    assert coverage.snapshot() == {"BTC": [(901, 1_500)]}
    coverage.resynced("BTC", 1_201, 1_600)  # reaches back before 1,500: nothing was lost
    assert coverage.snapshot() == {"BTC": [(901, 1_600)]}
    coverage.connection_opened()
    coverage.resynced("BTC", 1_600, 1_700)  # from 1,600 on: just meets the interval's end
    assert coverage.snapshot() == {"BTC": [(901, 1_700)]}
    coverage.connection_opened()
    coverage.resynced("BTC", 2_001, 2_100)  # short: 1,700..2,001 is uncovered
    coverage.resynced("ETH", None, None)  # an empty snapshot verifies nothing
    coverage.heard("ETH", 2_100)
    assert coverage.snapshot() == {"BTC": [(901, 1_700), (2_001, 2_100)]}
    # a restarted collector continues what the last one stored
    again = Coverage(coverage.snapshot())
    again.connection_opened()
    again.resynced("BTC", 2_051, 2_400)
    assert again.snapshot() == {"BTC": [(901, 1_700), (2_001, 2_400)]}


def _rows(ms: list[int], ids: list[int], origin: int) -> pd.DataFrame:
    return staged_frame([(i, t, 100.0, 1.0, 1) for i, t in zip(ids, ms, strict=True)], origin)


LO = pd.Timestamp("2025-11-25 14:00", tz="UTC")
HI = LO + pd.Timedelta(hours=1)
T0 = LO.value // 1_000_000


def test_a_covered_hour_is_the_stream_and_an_uncovered_span_is_asked_of_rest():
    # trades every 10 minutes; the stream holds all but the one at :30 (a collector was down)
    streamed = pd.concat(
        [
            _rows([T0 + 600_000 * k for k in (0, 1, 2)], [10, 11, 12], FROM_STREAM),
            _rows([T0 + 600_000 * k for k in (4, 5)], [14, 15], FROM_BACKFILL),
        ]
    )
    asked = []

    def rest(symbol: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
        asked.append((lo, hi))
        ts = pd.to_datetime([T0 + 600_000 * k for k in range(6)], unit="ms", utc=True)
        return pd.DataFrame(
            {
                "ts": ts,
                "symbol": symbol,
                "price": 100.0,
                "size": 1.0,
                "trade_id": np.arange(10, 16),
                "aggressor": np.int8(1),
                "venue": "bybit",
            }
        )

    whole = [(T0 - 5, T0 + 3_600_000 + 5)]
    rows, requests = complete_covered("BTC", streamed, LO, HI, whole, rest)
    assert requests == 0 and asked == [] and rows["trade_id"].tolist() == [10, 11, 12, 14, 15]
    # covered up to :25 and again from :35: the span between is REST's, and only it
    split = [(T0 - 5, T0 + 1_500_000), (T0 + 2_100_000, T0 + 3_600_000 + 5)]
    rows, requests = complete_covered("BTC", streamed, LO, HI, split, rest)
    assert requests == 1 and asked == [
        (LO + pd.Timedelta(minutes=25), LO + pd.Timedelta(minutes=35))
    ]
    assert rows["trade_id"].tolist() == [10, 11, 12, 13, 14, 15]
    assert rows["origin"].tolist() == [FROM_STREAM] * 3 + [FROM_REST] + [FROM_BACKFILL] * 2


def test_a_span_rest_cannot_serve_fails_the_hour_naming_it():
    def refusing(symbol: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
        raise RuntimeError("the recent-trade snapshot starts at 14:58")

    covered = [(T0 + 1_500_000, T0 + 3_600_000)]
    with pytest.raises(
        UncoveredHour,
        match=r"BTC 2025-11-25 14:00 UTC: the stream does not "
        r"cover 14:00:00.000..14:25:00.000 .*starts at 14:58",
    ):
        complete_covered(
            "BTC", _rows([T0 + 1_600_000], [1], FROM_STREAM), LO, HI, covered, refusing
        )


def test_coverage_is_stored_per_symbol_and_replaced(tmp_path):
    store = StreamStore.for_venue(f"lmdb://{tmp_path / 'db'}", "bybit")
    assert store.coverage(["BTCUSDT"]) == {"BTCUSDT": []}
    store.write_coverage({"BTCUSDT": [(1, 5), (9, 12)], "ETHUSDT": []})
    store.write_coverage({"BTCUSDT": [(1, 5), (9, 20)]})
    assert store.coverage(["BTCUSDT", "ETHUSDT"]) == {"BTCUSDT": [(1, 5), (9, 20)], "ETHUSDT": []}
    assert store.settled_hours("BTCUSDT") == []  # coverage is not an hour of the stream


def test_a_restarted_equity_collector_resumes_where_the_stored_coverage_ends(tmp_path):
    store = StreamStore.for_venue(f"lmdb://{tmp_path / 'db'}", "iqfeed")
    store.publish("SPY", _rows([T0 + 1_000, T0 + 5_000], [1, 2], FROM_STREAM))
    store.publish("AAPL", _rows([T0 + 7_000], [3], FROM_STREAM))
    # SPY's coverage was last stored before its last rows were; AAPL's after them
    store.write_coverage({"SPY": [(T0, T0 + 3_000)], "AAPL": [(T0, T0 + 9_000)]})
    points = resume_points(store, ("SPY", "AAPL", "MSFT"))
    ms = {s: None if t is None else t.value // 1_000_000 for s, t in points.items()}
    assert ms == {"SPY": T0 + 3_000, "AAPL": T0 + 7_000, "MSFT": None}
