"""The collector against the fake Binance stream: drops, malformed frames, pings, gaps, stops.

Real parts throughout: a WebSocket server on 127.0.0.1 speaking Binance's aggTrade format,
the REST fake serving the same trades, the Binance REST client and an LMDB store.
"""

from __future__ import annotations

import asyncio

import pandas as pd
import pytest

from vvv_pipeline.read import latest_tick
from vvv_pipeline.streaming.collector import Collector, CollectorConfig
from vvv_pipeline.streaming.finalize import finalize_hour
from vvv_pipeline.streaming.service import rest_backfill
from vvv_pipeline.streaming.store import StreamStore
from vvv_pipeline_tests.fakes.binance_ws import FakeBinanceStream, StreamScript
from vvv_pipeline_tests.streaming.streams import (
    END,
    KEY,
    SIM_HOUR,
    START,
    SYMBOLS,
    hour_market,
    rest_client,
    rest_server,
    served_hour,
)


def collect(collector: Collector, seconds: float) -> None:
    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(collector.run(stop))
        await asyncio.sleep(seconds)
        stop.set()
        await asyncio.wait_for(task, 10)

    asyncio.run(main())


@pytest.fixture(scope="module")
def hour():
    market, trades = hour_market(2000)
    with rest_server(market, trades) as server:
        yield trades, server


def test_drops_malformed_frames_and_gaps_leave_no_trade_lost_or_repeated(hour, tmp_path):
    trades, server = hour
    client = rest_client(server)
    script = StreamScript(rate=1500, drop_after=(900,), malformed_after=(300,), ping_every=0.2)
    store = StreamStore(f"lmdb://{tmp_path / 'db'}")
    config = CollectorConfig(
        "", tuple(SYMBOLS), flush_rows=200, flush_ms=50, backoff_initial=0.05, backoff_max=0.2
    )
    reports: list[dict] = []
    with FakeBinanceStream(trades, SYMBOLS, SIM_HOUR, script).start() as fake:
        collector = Collector(
            CollectorConfig(**{**config.__dict__, "url": fake.url, "status_interval": 0.1}),
            store.publish,
            rest_backfill(client),
            report=reports.append,
        )
        collect(collector, 2.0)
        printed = fake.printed()
    stats, log = collector.stats, fake.log
    # every flush was settled as it was staged: the read API sees the last trade kept already
    assert store.library.get_staged_symbols() == []
    newest = {
        s: latest_tick(s, source="crypto_trades", uri=store.uri, include_stream=True)
        for s in SYMBOLS
    }
    assert (
        log.connections == 2
        and log.subscriptions == [[f"{s.lower()}@aggTrade" for s in SYMBOLS]] * 2
    )
    assert log.drops == 1 and stats.malformed == log.malformed == 1
    assert (
        log.pongs >= 5 and log.pongs >= log.pings - 2
    )  # every ping answered (the last may be in flight)
    assert stats.gaps >= 1 and stats.backfilled > 0 and stats.backfill_failures == 0
    # everything printed while it listened or in a gap it saw, once each
    streamed = pd.concat([store.hour(s, KEY).assign(symbol=s) for s in SYMBOLS])
    assert not streamed.duplicated(["symbol", "trade_id"]).any()  # ids are per symbol

    def keys(frame: pd.DataFrame) -> set[tuple[str, int]]:
        return set(zip(frame["symbol"].astype(str), frame["trade_id"], strict=True))

    # up to the last trade it kept (the fake prints on after the stop), every printed one
    last = streamed.groupby("symbol")["trade_id"].max()
    assert {s: int(newest[s]["trade_id"].iloc[0]) for s in SYMBOLS} == last.to_dict()
    heard = printed[printed["trade_id"] <= printed["symbol"].astype(str).map(last)]
    assert keys(heard) == keys(streamed) and len(heard) > 1000
    assert stats.staged_rows == len(streamed) == stats.trades + stats.backfilled
    # the status it published: every 0.1 s while running, then once stopped, with its totals
    assert len(reports) >= 10 and any(r["connected"] for r in reports)
    final = reports[-1]
    assert final["state"] == "stopped" and not final["connected"] and final["held_rows"] == 0
    assert [r["state"] for r in reports[:-1]] == ["running"] * (len(reports) - 1)
    assert final["reconnects"] == 1 and final["gaps"] == stats.gaps and final["malformed"] == 1
    pairs = final["pairs"]
    assert sum(p["trades"] for p in pairs.values()) == stats.trades
    for symbol in SYMBOLS:
        kept = streamed[streamed["symbol"] == symbol]
        assert pairs[symbol]["staged_rows"] == len(kept)
        assert pairs[symbol]["last_trade_ms"] == kept.index.max().value // 1_000_000
    assert final["last_message_ms"] >= max(r["last_message_ms"] or 0 for r in reports[:-1])
    # the hour: stream + gap backfills + REST fill == what REST serves for the whole hour
    rest = lambda s, lo, hi: client.fetch("crypto_trades", lo, hi, [s])  # noqa: E731
    done = finalize_hour(store, rest, SYMBOLS, KEY, START, END)
    pd.testing.assert_frame_equal(done.frame, served_hour(client))
    assert done.rows_by_origin["stream"] == stats.trades
    assert done.rows_by_origin["collector_backfill"] == stats.backfilled
    assert sum(done.rows_by_origin.values()) == len(done.frame) == 3 * 2000
    again = finalize_hour(store, rest, SYMBOLS, KEY, START, END)
    pd.testing.assert_frame_equal(again.frame, done.frame)
    assert again.rows_by_origin == done.rows_by_origin
    client.close()


def test_a_server_that_is_down_is_retried_with_backoff_until_stopped(tmp_path):
    store = StreamStore(f"lmdb://{tmp_path / 'db'}")
    config = CollectorConfig(
        "ws://127.0.0.1:9/ws", ("BTCUSDT",), backoff_initial=0.05, backoff_max=0.1
    )
    collector = Collector(config, store.stage)
    collect(collector, 1.0)
    assert collector.stats.connections == 0 and collector.stats.disconnects >= 5
    assert store.library.get_staged_symbols() == []


def test_a_refused_subscription_is_retried_and_nothing_is_staged(hour, tmp_path):
    trades, _ = hour
    store = StreamStore(f"lmdb://{tmp_path / 'db'}")
    with FakeBinanceStream(trades, SYMBOLS, SIM_HOUR).start() as fake:
        config = CollectorConfig(fake.url, ("NOT-A-PAIR",), backoff_initial=0.05, backoff_max=0.1)
        fake_refuses = Collector(config, store.stage)
        collect(fake_refuses, 0.8)
    assert fake.log.connections >= 2 and fake.log.subscriptions == []
    assert fake_refuses.stats.trades == 0 and store.library.get_staged_symbols() == []
