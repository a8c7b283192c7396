"""The stream's pure pieces: frames, ids, buffer, staging and finalization on hand-made rows."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.streaming.binance_ws import (
    FROM_BACKFILL,
    FROM_STREAM,
    Malformed,
    Other,
    Reply,
    Shutdown,
    Trade,
    parse,
    staged_frame,
    subscribe_request,
)
from vvv_pipeline.streaming.buffer import TradeBuffer
from vvv_pipeline.streaming.collector import backoff_delay
from vvv_pipeline.streaming.finalize import FROM_REST, complete_hour
from vvv_pipeline.streaming.pruning import prune_stored_hours
from vvv_pipeline.streaming.reads import LiveStream
from vvv_pipeline.streaming.sequence import Gap, Hole, Sequencer, holes
from vvv_pipeline.streaming.store import StreamStore, hour_key

TRADE = {
    "e": "aggTrade",
    "E": 1718032001340,
    "s": "BTCUSDT",
    "a": 3021457781,
    "p": "64210.55000000",
    "q": "0.01250000",
    "f": 4410982201,
    "l": 4410982203,
    "T": 1718032001337,
    "m": True,
    "M": True,
}


def test_a_trade_frame_raw_or_wrapped_gives_the_rest_clients_values():
    want = Trade("BTCUSDT", (3021457781, 1718032001337, 64210.55, 0.0125, -1))
    assert parse(json.dumps(TRADE)) == want
    assert parse(json.dumps({"stream": "btcusdt@aggTrade", "data": TRADE})) == want
    assert parse(json.dumps(TRADE | {"m": False})).row[4] == 1  # buyer took: aggressor +1


def test_replies_shutdown_and_other_events_are_told_apart():
    assert parse('{"result": null, "id": 7}') == Reply(7)
    refused = '{"error": {"code": 2, "msg": "Invalid request"}, "id": 7}'
    assert parse(refused) == Reply(7, "Invalid request")
    assert parse('{"code": 0, "msg": "Unknown property", "id": 3}') == Reply(3, "Unknown property")
    assert parse('{"e": "serverShutdown", "E": 1}') == Shutdown()
    assert parse('{"e": "trade", "E": 1}') == Other("trade")
    assert json.loads(subscribe_request(["BTCUSDT"], 4)) == {
        "method": "SUBSCRIBE",
        "params": ["btcusdt@aggTrade"],
        "id": 4,
    }


@pytest.mark.parametrize(
    "frame",
    [
        '{"e": "aggTrade", "a": ',
        "[1, 2]",
        json.dumps(TRADE | {"p": "n/a"}),
        json.dumps(TRADE | {"p": 64210.55}),  # a number where the wire sends a string
        json.dumps(TRADE | {"m": "true"}),
        json.dumps({k: v for k, v in TRADE.items() if k != "a"}),
        json.dumps(TRADE | {"p": "NaN"}),
    ],
)
def test_malformed_frames_are_reported_not_raised(frame):
    assert isinstance(parse(frame), Malformed)


def test_staged_rows_are_sorted_by_time_then_id_with_their_origin():
    rows = [(12, 2_000, 1.5, 2.0, 1), (10, 1_000, 1.0, 1.0, -1), (11, 2_000, 1.2, 3.0, 1)]
    frame = staged_frame(rows, FROM_BACKFILL)
    assert frame["trade_id"].tolist() == [10, 11, 12]
    assert str(frame.index.dtype) == "datetime64[ns, UTC]" and frame.index.name == "ts"
    assert frame.index[0] == pd.Timestamp(1_000, unit="ms", tz="UTC")
    assert frame["aggressor"].dtype == np.int8 and set(frame["origin"]) == {FROM_BACKFILL}


def test_the_sequencer_drops_repeats_and_reports_jumps():
    seq = Sequencer()
    assert seq.check("X", 5, 100) == (True, None)
    assert seq.check("X", 6, 101) == (True, None)
    assert seq.check("X", 6, 101) == (False, None)
    assert seq.check("X", 10, 150) == (True, Gap("X", 6, 10, 101, 150))
    assert Gap("X", 6, 10, 101, 150).missing == 3
    assert seq.check("Y", 1, 1) == (True, None)  # symbols are independent


def test_holes_are_the_head_the_jumps_and_the_tail():
    ids, ms = np.array([5, 6, 9, 10]), np.array([110, 120, 150, 170])
    assert holes(ids, ms, 100, 200) == [
        Hole(100, 111, None, 5),
        Hole(120, 151, 6, 9),
        Hole(170, 200, 10, None),
    ]
    assert holes(ids[:0], ms[:0], 100, 200) == [Hole(100, 200, None, None)]


def test_the_buffer_is_due_by_rows_or_age_and_full_at_its_bound():
    now = [0.0]
    buf = TradeBuffer(flush_rows=3, flush_ms=100, max_rows=4, clock=lambda: now[0])
    assert not buf.due()
    buf.add("X", (1, 1, 1.0, 1.0, 1), FROM_STREAM)
    assert not buf.due()
    now[0] = 0.1
    assert buf.due()
    for i in range(3):
        buf.add("X", (i + 2, 1, 1.0, 1.0, 1), FROM_STREAM)
    assert buf.full() and buf.held == 4
    assert len(buf.drain()[("X", FROM_STREAM)]) == 4 and buf.held == 0 and not buf.due()


def test_backoff_doubles_to_its_cap_with_jitter_in_the_upper_half():
    assert backoff_delay(0, 0.5, 30, 0.0) == 0.25
    assert backoff_delay(3, 0.5, 30, 0.999) == pytest.approx(4.0, rel=1e-3)
    assert backoff_delay(20, 0.5, 30, 0.5) == 22.5


HOUR = pd.Timestamp("2025-11-25 15:00", tz="UTC")
MS = HOUR.value // 1_000_000


def rows(ids: list[int], offset_ms: int = 0) -> list[tuple[int, int, float, float, int]]:
    return [(i, MS + offset_ms + i * 10, 100.0 + i, 1.0, 1) for i in ids]


def test_staging_splits_by_hour_and_settling_keeps_every_id_once(tmp_path):
    store = StreamStore(f"lmdb://{tmp_path / 'db'}")
    key = hour_key(MS)
    store.stage("BTCUSDT", staged_frame(rows([1, 2, 3]), FROM_STREAM))
    before_hour = staged_frame(rows([0], offset_ms=-10), FROM_STREAM)  # the previous hour
    assert store.stage("BTCUSDT", pd.concat([before_hour, staged_frame(rows([4]), 0)])) == 2
    assert not store.library.has_symbol(store.name("BTCUSDT", key))  # staged: invisible
    assert store.hour("BTCUSDT", key)["trade_id"].tolist() == [1, 2, 3, 4]
    assert store.hour("BTCUSDT", hour_key(MS - 1))["trade_id"].tolist() == [0]
    store.stage("BTCUSDT", staged_frame(rows([5, 6]), FROM_STREAM))  # later: appended
    store.stage("BTCUSDT", staged_frame(rows([2, 3]), FROM_BACKFILL))  # reaches back: rewritten
    got = store.hour("BTCUSDT", key)
    assert got["trade_id"].tolist() == [1, 2, 3, 4, 5, 6]
    assert (got["origin"] == FROM_STREAM).all()  # the streamed copy wins over a backfilled one
    assert store.library.get_staged_symbols() == []


def test_publishing_compacts_the_hours_slices_and_keeps_its_rows_in_order(tmp_path):
    uri = f"lmdb://{tmp_path / 'db'}"
    compacted = StreamStore(uri, compact_every=10, compact_rows=50)
    plain = StreamStore(uri, "plain", compact_every=1_000)
    flushes = [staged_frame(rows(list(range(7 * k, 7 * k + 7))), FROM_STREAM) for k in range(95)]
    for flush in flushes:
        compacted.publish("BTCUSDT", flush)
        plain.publish("BTCUSDT", flush)
    key = hour_key(MS)

    def slices(store: StreamStore) -> int:
        return store.library.compact_data_explain_plan(
            store.name("BTCUSDT", key)
        ).num_row_slices_before

    assert slices(plain) == 95  # one a publish
    # the compacted slices (665 rows, 50 each within a third) and the ones appended since
    assert slices(compacted) <= 665 // 34 + 10
    pd.testing.assert_frame_equal(compacted.hour("BTCUSDT", key), plain.hour("BTCUSDT", key))
    # every row as published, in the order published
    pd.testing.assert_frame_equal(compacted.settled("BTCUSDT", key), pd.concat(flushes))


def test_pruning_deletes_old_finalized_hours_only(tmp_path):
    store = StreamStore(f"lmdb://{tmp_path / 'db'}")
    hour = 3_600_000
    for k in range(4):  # four consecutive hours, one trade each
        store.publish("BTCUSDT", staged_frame(rows([k], offset_ms=k * hour), FROM_STREAM))
    store.publish("ETHUSDT", staged_frame(rows([9]), FROM_STREAM))
    keys = [hour_key(MS + k * hour) for k in range(4)]
    assert store.settled_hours("BTCUSDT") == keys
    # the second hour was never finalized: its stream is all there is of it, so it stays
    asked = []

    def finalized() -> list[str]:
        asked.append(1)
        return [keys[0], keys[2], keys[3]]

    assert store.prune("BTCUSDT", keys[0], finalized) == [] and not asked  # nothing older
    assert store.prune("BTCUSDT", keys[3], finalized) == [keys[0], keys[2]] and len(asked) == 1
    assert store.settled_hours("BTCUSDT") == [keys[1], keys[3]]
    assert store.settled_hours("ETHUSDT") == [keys[0]]  # another pair's hours are its own
    assert store.prune("BTCUSDT", keys[3], finalized) == []
    assert store.hour("BTCUSDT", keys[3])["trade_id"].tolist() == [3]


def test_equity_stream_hours_go_once_their_new_york_session_is_stored(tmp_path):
    uri = f"lmdb://{tmp_path / 'db'}"
    stream = LiveStream(StreamStore.for_venue(uri, "iqfeed"), "equity_ticks", "iqfeed")
    hour = 3_600_000
    monday = pd.Timestamp("2025-11-24 14:00", tz="UTC").value // 1_000_000
    # Monday 09:00 and 18:00 New York; 00:30 UTC Tuesday is still Monday evening in New York;
    # Tuesday 09:00 New York
    starts = [monday, monday + 9 * hour, monday + 10 * hour + hour // 2, monday + 24 * hour]
    for start in starts:
        stream.store.publish("AAPL", staged_frame(rows([1], offset_ms=start - MS), FROM_STREAM))
    keys = stream.store.settled_hours("AAPL")
    assert [stream.partition_of(k) for k in keys] == ["2025-11-24"] * 3 + ["2025-11-25"]
    asked: list[str] = []

    def stored(symbol: str) -> list[str]:
        asked.append(symbol)
        return ["2025-11-24"]  # Tuesday's session is not stored yet

    wednesday = pd.Timestamp("2025-11-26 05:00", tz="UTC")
    week = pd.Timedelta(hours=168)
    assert prune_stored_hours(stream, ["AAPL"], wednesday, week, stored) == 0
    assert asked == []  # nothing older than the retention: the stored sessions are not listed
    assert prune_stored_hours(stream, ["AAPL"], wednesday, pd.Timedelta(0), stored) == 0
    # a day's retention: every Monday hour is older and stored; Tuesday's session is not
    assert prune_stored_hours(stream, ["AAPL"], wednesday, pd.Timedelta(hours=24), stored) == 3
    assert stream.store.settled_hours("AAPL") == keys[3:] and asked == ["AAPL"]


def test_complete_hour_asks_only_the_holes_and_keeps_what_they_lack():
    every = staged_frame(rows(list(range(1, 21))), FROM_STREAM)
    streamed = every[every["trade_id"].isin([3, 4, 5, 9, 10])]
    asked = []

    def rest(symbol, lo, hi):
        asked.append((lo, hi))
        inside = every[(every.index >= lo) & (every.index < hi)]
        return pd.DataFrame(
            {
                "ts": inside.index,
                "price": inside["price"],
                "size": inside["size"],
                "trade_id": inside["trade_id"],
                "aggressor": inside["aggressor"],
            }
        ).reset_index(drop=True)

    end = HOUR + pd.Timedelta(hours=1)
    done, requests = complete_hour("BTCUSDT", streamed, HOUR, end, rest)
    assert done["trade_id"].tolist() == list(range(1, 21)) and requests == 3
    assert done.set_index("trade_id")["origin"].to_dict() == {
        i: FROM_STREAM if i in (3, 4, 5, 9, 10) else FROM_REST for i in range(1, 21)
    }
    assert asked[1] == (
        pd.Timestamp(MS + 50, unit="ms", tz="UTC"),
        pd.Timestamp(MS + 91, unit="ms", tz="UTC"),
    )
