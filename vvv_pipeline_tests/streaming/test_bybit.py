"""Bybit's publicTrade stream through the shared collector: wire format, drops and malformed
frames recovered by the recent-trade resync, and a killed and restarted collector command
losing and repeating nothing against the fake's ground truth."""

from __future__ import annotations

import itertools
import json
import signal

import pandas as pd
import pytest

from vvv_pipeline.providers.live.bybit import BybitClient
from vvv_pipeline.streaming.binance_ws import Malformed, Other, Pong, Reply, Trade
from vvv_pipeline.streaming.bybit_ws import BybitWire, parse
from vvv_pipeline.streaming.collector import Collector, CollectorConfig
from vvv_pipeline.streaming.coverage import Coverage
from vvv_pipeline.streaming.service import recent_resync
from vvv_pipeline.streaming.status import read_status, status_path
from vvv_pipeline.streaming.store import StreamStore
from vvv_pipeline_tests.fakes.binance import HourlyTrades
from vvv_pipeline_tests.fakes.binance_ws import StreamScript
from vvv_pipeline_tests.fakes.bybit_ws import FakeBybitStream
from vvv_pipeline_tests.streaming.streams import KEY, SIM_HOUR, SYMBOLS, hour_market
from vvv_pipeline_tests.streaming.test_collector import collect
from vvv_pipeline_tests.streaming.test_kill_and_finalize import start_collector, wait_until

TRADE = {
    "T": 1672304486865,
    "s": "BTCUSDT",
    "S": "Sell",
    "v": "0.001",
    "p": "16578.50",
    "L": "PlusTick",
    "i": "20f43950-d8dd-5b31-9112-a178eb6023af",
    "BT": False,
    "seq": 1783284617,
}


def frame(*trades: dict) -> str:
    body = {"topic": "publicTrade.BTCUSDT", "type": "snapshot", "ts": 1672304486868}
    return json.dumps(body | {"data": list(trades)})


def test_a_trade_frame_gives_one_row_per_trade_as_the_rest_client_converts_it():
    second = TRADE | {"S": "Buy", "i": "2290000000007764263", "T": 1672304486866}
    one, two = parse(frame(TRADE, second))
    uid = int("20f43950d8dd5b319112a178eb6023af", 16)
    assert one == Trade(
        "BTCUSDT", (((uid >> 64) ^ uid) & (2**63 - 1), 1672304486865, 16578.5, 0.001, -1)
    )
    assert two.row[:2] == (2290000000007764263, 1672304486866) and two.row[4] == 1


def test_acks_pongs_and_broken_frames_are_told_apart():
    ack = '{"success": true, "ret_msg": "", "conn_id": "c", "req_id": "3.0", "op": "subscribe"}'
    assert parse(ack) == [Reply("3.0")]
    refused = json.dumps(
        {"success": False, "ret_msg": "error:handler not found", "req_id": "3.0", "op": "subscribe"}
    )
    assert parse(refused) == [Reply("3.0", "error:handler not found")]
    assert parse('{"op": "pong", "args": ["1675418560633"], "conn_id": "c"}') == [Pong()]
    assert parse('{"success": true, "ret_msg": "pong", "op": "ping"}') == [Pong()]
    assert parse('{"topic": "tickers.BTCUSDT", "data": {}}') == [Other("tickers.BTCUSDT")]
    for broken in (
        '{"topic": "publicTrade.BTCUSDT", "data": [{"T": ',
        frame(TRADE | {"S": "Hold"}),
        frame(TRADE, TRADE | {"p": 16578.5}),  # one bad trade spoils its frame
        frame({k: v for k, v in TRADE.items() if k != "i"}),
    ):
        (message,) = parse(broken)
        assert isinstance(message, Malformed), broken
    requests = BybitWire().subscribe(tuple(f"P{i}USDT" for i in range(12)), 7)
    assert [rid for rid, _ in requests] == ["7.0", "7.1"]
    assert [len(json.loads(text)["args"]) for _, text in requests] == [10, 2]


def kept_keys(store: StreamStore) -> pd.DataFrame:
    frames = [store.hour(s, KEY).assign(symbol=s) for s in SYMBOLS]
    return pd.concat(frames)[["symbol", "trade_id", "origin"]]


def heard_until_last_kept(fake: FakeBybitStream, kept: pd.DataFrame) -> set[tuple[str, int]]:
    """Every trade printed, per pair, up to the last one the store kept (the fake prints on)."""
    truth = fake.printed().reset_index(drop=True)
    position = {
        (s, int(a)): i
        for i, (s, a) in enumerate(zip(truth["symbol"].astype(str), truth["trade_id"], strict=True))
    }
    last = {}
    for s, a in zip(kept["symbol"], kept["trade_id"], strict=True):
        last[s] = max(last.get(s, -1), position[(s, int(a))])
    return {
        (s, int(a))
        for i, (s, a) in enumerate(zip(truth["symbol"].astype(str), truth["trade_id"], strict=True))
        if i <= last.get(s, -1)
    }


def assert_coverage_holds(fake: FakeBybitStream, store: StreamStore, intervals: int = 1) -> None:
    """Each pair has ``intervals`` coverage intervals, and inside each the store holds exactly
    the trades the fake printed: what a finalization takes from the stream without asking
    REST. Between two intervals the store misses a printed trade (why none vouches there)."""
    truth = fake.printed()
    truth_ms = truth["ts"].astype("int64").to_numpy() // 1_000_000
    for symbol, spans in store.coverage(SYMBOLS).items():
        assert len(spans) == intervals, (symbol, spans)
        held = store.hour(symbol, KEY)
        held_ms = held.index.asi8 // 1_000_000
        held_ids = held["trade_id"].to_numpy()
        mine = (truth["symbol"].astype(str) == symbol).to_numpy()
        for start, end in spans:
            inside = mine & (truth_ms >= start) & (truth_ms < end)
            kept = set(held_ids[(held_ms >= start) & (held_ms < end)].tolist())
            assert kept == set(truth["trade_id"].to_numpy()[inside].tolist()), symbol
            assert inside.sum() > 20, symbol
        for (_, end), (start, _) in itertools.pairwise(spans):
            between = truth["trade_id"].to_numpy()[mine & (truth_ms >= end) & (truth_ms < start)]
            assert not set(between.tolist()) <= set(held_ids.tolist()), symbol


def covering_collector(
    fake: FakeBybitStream,
    store: StreamStore,
    client: BybitClient,
    wire: BybitWire,
    **config: float,
) -> Collector:
    """A Bybit collector on the fake that resyncs from ``client`` and keeps coverage in
    ``store``: flushes of 200 rows or 50 ms, a 0.3 s first reconnect delay."""
    settings = CollectorConfig(
        fake.url, tuple(SYMBOLS), flush_rows=200, flush_ms=50, backoff_initial=0.3, **config
    )
    return Collector(
        settings,
        store.publish,
        wire=wire,
        resync=recent_resync(client),
        coverage=Coverage(),
        coverage_sink=store.write_coverage,
    )


@pytest.fixture(scope="module")
def trades() -> HourlyTrades:
    market, _ = hour_market(1500)
    return HourlyTrades(market)


def test_drops_and_malformed_frames_lose_nothing_the_resync_can_reach(trades, tmp_path):
    store = StreamStore.for_venue(f"lmdb://{tmp_path / 'db'}", "bybit")
    wire = BybitWire()
    wire.app_ping_interval = 0.2
    script = StreamScript(rate=900, drop_after=(600,), malformed_after=(200,))
    with FakeBybitStream(trades, SYMBOLS, SIM_HOUR, script).start() as fake:
        client = BybitClient(fake.rest.url, requests_per_second=1000.0)
        collector = covering_collector(fake, store, client, wire, backoff_max=0.5)
        collect(collector, 2.5)
        kept = kept_keys(store)
        expected = heard_until_last_kept(fake, kept)
        log = fake.log
        # the reconnect's resync reached back into the first connection's interval
        assert_coverage_holds(fake, store)
    stats = collector.stats
    assert log.connections == 2 and log.drops == 1 and stats.malformed == log.malformed == 1
    assert fake.app_pings >= 5 and stats.resync_short == 0
    assert not kept.duplicated(["symbol", "trade_id"]).any()
    keys = set(zip(kept["symbol"], kept["trade_id"].astype(int), strict=True))
    assert keys == expected and len(expected) > 1000
    # the reconnect's gap came from the recent-trade snapshot, marked as backfill
    assert (kept["origin"] == 1).sum() > 0 and stats.backfilled >= (kept["origin"] == 1).sum()
    client.close()


@pytest.mark.parametrize(("limit", "intervals"), [(450, 1), (20, 2)])
def test_a_full_snapshot_continues_coverage_only_when_it_reaches_back_over_the_drop(
    limit, intervals, trades, tmp_path
):
    """The snapshot after the reconnect is full (``limit`` trades of a pair, fewer than were
    printed): 450 reach back over the outage (about 0.2-0.5 s of 300 trades a second per
    pair), so the interval goes on; 20 do not, so a second interval starts after the hole."""
    store = StreamStore.for_venue(f"lmdb://{tmp_path / 'db'}", "bybit")
    script = StreamScript(rate=900, drop_after=(1800,))
    with FakeBybitStream(trades, SYMBOLS, SIM_HOUR, script).start() as fake:
        client = BybitClient(fake.rest.url, requests_per_second=1000.0, trade_limit=limit)
        collector = covering_collector(fake, store, client, BybitWire())
        collect(collector, 3.0)
        assert fake.log.connections == 2 and fake.log.drops == 1
        assert collector.stats.resync_short == (0 if intervals == 1 else len(SYMBOLS))
        assert_coverage_holds(fake, store, intervals)
    client.close()


def test_a_killed_and_restarted_bybit_collector_loses_and_repeats_nothing(
    trades, data_dir, tmp_path
):
    log = tmp_path / "collector.log"
    script = StreamScript(rate=300)
    with FakeBybitStream(trades, SYMBOLS, SIM_HOUR, script).start() as fake:
        extra = ["--venue", "bybit"]
        first = start_collector(fake.url, fake.rest.url, log, extra)
        wait_until(lambda: fake.log.sent > 500, 30, "the first collector to stream", log)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        at_kill = fake.log.sent
        second = start_collector(fake.url, fake.rest.url, log, extra)
        wait_until(lambda: fake.log.sent > at_kill + 300, 30, "the second collector", log)
        second.send_signal(signal.SIGTERM)
        assert second.wait(15) == 0, log.read_text()
        store = StreamStore.for_venue(f"lmdb://{data_dir / 'arcticdb'}", "bybit")
        kept = kept_keys(store)
        expected = heard_until_last_kept(fake, kept)
        # the second collector continued the first's coverage across the kill
        assert_coverage_holds(fake, store)
    assert fake.log.connections == 2 and len(expected) > 800
    assert not kept.duplicated(["symbol", "trade_id"]).any()
    assert set(zip(kept["symbol"], kept["trade_id"].astype(int), strict=True)) == expected
    # what was printed while no collector listened came from the second's resync
    assert (kept["origin"] == 1).sum() > 0
    status = read_status(status_path(data_dir / "stream", "bybit"))
    assert status["venue"] == "bybit" and status["state"] == "stopped"
    assert status["pid"] == second.pid and status["resync_short"] == 0
    # the status shows where each pair's coverage starts: the first collector's first resync
    for symbol, ((start, _),) in store.coverage(SYMBOLS).items():
        assert status["pairs"][symbol]["covered_since_ms"] == start
