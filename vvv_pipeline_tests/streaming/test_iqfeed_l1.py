"""IQFeed's Level 1 stream through the shared collector: hand-written lines parsed as the Lookup
client parses the same trade, a drop and a malformed line recovered from the Lookup socket, and
the collector command killed and restarted losing and repeating nothing against the tape."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from vvv_pipeline.defs.assets.sources import SOURCE_ASSETS
from vvv_pipeline.defs.definitions import build_resources
from vvv_pipeline.defs.resources import MarketData
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.live.iqfeed import IQFeedClient, parse_tick_reply
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.streaming.binance_ws import Malformed, Notice, Other, Pong, Reply, Shutdown
from vvv_pipeline.streaming.collector import Collector, CollectorConfig
from vvv_pipeline.streaming.iqfeed_l1 import IQFeedWire, canonical_ticks
from vvv_pipeline.streaming.service import lookup_resync
from vvv_pipeline.streaming.status import read_status, status_path
from vvv_pipeline.streaming.store import StreamStore, unique_rows
from vvv_pipeline.streaming.tcp_lines import line_opener
from vvv_pipeline.universe import load_universe
from vvv_pipeline_tests.assets.helpers import stored_ticks
from vvv_pipeline_tests.fakes.iqfeed import IQFeedFakeServer
from vvv_pipeline_tests.fakes.iqfeed_l1 import FakeLevel1, L1Script, PrintedMarket, Tape
from vvv_pipeline_tests.streaming.test_kill_and_finalize import wait_until

SYMBOLS = ["SPY", "AAPL", "MSFT"]
EQUITY_TICKS = next(a for a in SOURCE_ASSETS if a.key.to_user_string() == "equity_ticks")
SESSION = pd.Timestamp("2025-11-25")
WIRE_FIELDS = (
    "Symbol,Most Recent Trade,Most Recent Trade Size,Most Recent Trade Time,Most Recent Trade "
    "Date,Most Recent Trade Market Center,Most Recent Trade Conditions,Most Recent Trade "
    "Aggressor,Bid,Ask,TickID,Message Contents"
)


def test_a_trade_update_gives_the_row_the_lookup_client_gives_the_same_trade():
    wire = IQFeedWire()
    # 09:30 Eastern on 2024-06-10 is 13:30 UTC (daylight time); bid 0 means no quote
    q = "Q,AAPL,193.4500,200,09:30:00.004812,06/10/2024,11,3D87,1,193.4400,0.0000,8821371004,Cba,"
    lh = "LH,2024-06-10 09:30:00.004812,193.4500,200,1245311,193.4400,0.0000,8821371004,C,11,"
    lh += "3D87,1,10,"
    [trade] = wire.parse(q + "\r\n")
    streamed = canonical_ticks(wire.staged([trade.row], 0), "AAPL")
    fetched = parse_tick_reply(lh + "\n!ENDMSG!,\n", "AAPL")
    fetched["symbol"] = streamed["symbol"]
    pd.testing.assert_frame_equal(streamed, fetched)
    assert streamed["ts"][0] == pd.Timestamp("2024-06-10 13:30:00.004812", tz="UTC")
    assert streamed["trade_id"][0] == 8821371004 << 8 | 11 and pd.isna(streamed["ask"][0])
    assert streamed["condition"][0] == "F" and streamed["exchange"][0] == "P"
    # winter time, an extended (Form T) trade, a seller as aggressor
    [late] = wire.parse("Q,SPY,600.1000,5,17:01:02.000001,12/01/2025,7,,2,0,0,99,E,")
    row = canonical_ticks(wire.staged([late.row], 0), "SPY").iloc[0]
    assert row["ts"] == pd.Timestamp("2025-12-01 22:01:02.000001", tz="UTC")
    assert (row["condition"], row["extended_hours"], row["aggressor"]) == ("T", True, -1)


def test_system_errors_unknown_symbols_heartbeats_and_quotes_are_told_apart():
    wire = IQFeedWire()
    requests = wire.subscribe(("SPY", "ZZZZ"), 1)
    assert [rid for rid, _ in requests] == ["protocol", "fields", "watch.SPY", "watch.ZZZZ"]
    assert requests[0][1].startswith("S,SET PROTOCOL,6.2\r\n")
    assert requests[1][1] == "S,SELECT UPDATE FIELDS," + WIRE_FIELDS.split(",", 1)[1]
    assert requests[2][1] == "tSPY"
    block = "\r\n".join(
        [
            "S,CURRENT PROTOCOL,6.2",
            "S,CURRENT UPDATE FIELDNAMES," + WIRE_FIELDS,
            "P,SPY,600.0000,1,09:31:00.000000,11/25/2025,7,,1,599.9,600.1,5,C,",
            "n,ZZZZ",
            "T,20251125 09:31:01",
            "E,!SYNTAX_ERROR!,",
            "S,STATS,127.0.0.1,60002,500,1,1",
            "Q,SPY,,,,,,,,599.9,600.1,,ba,",
            "Q,SPY,60x.1,1,09:31:02.000000,11/25/2025,7,,1,599.9,600.1,6,C,",
            "F,SPY,5,",
            "what is this",
        ]
    )
    got = wire.parse(block + "\r\n")
    assert got[:4] == [Reply("protocol"), Reply("fields"), Reply("watch.SPY"), Reply("watch.ZZZZ")]
    assert isinstance(got[4], Notice) and "ZZZZ" in got[4].text and got[5] == Pong()
    assert isinstance(got[6], Notice) and "SYNTAX_ERROR" in got[6].text
    assert got[7] == Other("S,STATS") and got[8] == Other("quote")
    assert isinstance(got[9], Malformed) and got[10] == Other("F")
    assert isinstance(got[11], Malformed) and len(got) == 12
    assert wire.parse("S,CURRENT PROTOCOL,6.1") == [
        Reply("protocol", "server speaks protocol 6.1, need 6.2")
    ]
    # IQConnect losing DTN and getting it back ends the connection, to re-watch and resync
    assert isinstance(wire.parse("S,SERVER DISCONNECTED")[0], Notice)
    assert wire.parse("S,SERVER CONNECTED")[-1] == Shutdown()
    assert wire.parse("S,SERVER CONNECTED") == [Other("S,SERVER CONNECTED")]


@pytest.fixture(scope="module")
def market() -> SimulatedMarket:
    config = SimulationConfig(seed=11, ticks_per_session=600, crypto_trades_per_hour=100)
    return SimulatedMarket(config, load_universe())


@pytest.fixture
def feeds(market: SimulatedMarket) -> Iterator[tuple[Tape, FakeLevel1, IQFeedFakeServer]]:
    """A tape, its Level 1 socket and its Lookup socket (serving only what was printed)."""
    tape = Tape(market, SESSION, SYMBOLS)
    lookup = IQFeedFakeServer(PrintedMarket(market, tape)).start()  # type: ignore[arg-type]
    yield tape, FakeLevel1(tape), lookup
    lookup.close()


def truth(tape: Tape, lookup: IQFeedFakeServer) -> pd.DataFrame:
    """Every trade printed, as the Lookup client fetches it (the stream's rows must equal it)."""
    assert tape.done()
    client = IQFeedClient(port=lookup.port)
    lo = tape.ticks["ts"].min().floor("s")
    return client.fetch(Source.EQUITY_TICKS, lo, lo + pd.Timedelta(days=1), SYMBOLS)


def streamed(store: StreamStore) -> pd.DataFrame:
    """What the stream settled, one row per trade id, as the Lookup client's frame."""
    frames = []
    for symbol in sorted(SYMBOLS):
        rows = [store.settled(symbol, key) for key in store.settled_hours(symbol)]
        kept = unique_rows(pd.concat(rows))
        frames.append(canonical_ticks(kept, symbol).astype({"symbol": str}))
    frame = pd.concat(frames, ignore_index=True)
    frame["symbol"] = pd.Categorical(frame["symbol"], sorted(SYMBOLS))
    return frame


def heard_all(tape: Tape, last_trade_ms: dict[str, int]) -> bool:
    """Whether the tape has ended and the collector heard its last trade of every symbol."""
    if not tape.done():
        return False
    last = tape.ticks.groupby("symbol", observed=True)["ts"].max()
    return all(last_trade_ms.get(s) == last[s].value // 1_000_000 for s in SYMBOLS)


def collect_until(collector: Collector, done: Callable[[], bool], seconds: float) -> None:
    """Run the collector until ``done`` (checked on its loop) or ``seconds``, then stop it."""

    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(collector.run(stop))
        deadline = time.monotonic() + seconds
        while not done() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        stop.set()
        await asyncio.wait_for(task, 10)

    asyncio.run(main())


def test_a_drop_and_a_malformed_line_lose_nothing_the_lookup_resync_fills(feeds, tmp_path):
    tape, level1, lookup = feeds
    level1.script = L1Script(rate=900, drop_after=400, malformed_after=150)
    store = StreamStore.for_venue(f"lmdb://{tmp_path / 'db'}", "iqfeed")
    with level1.start():
        config = CollectorConfig(
            level1.url, tuple(SYMBOLS), flush_rows=200, flush_ms=50, backoff_initial=0.5
        )
        client = IQFeedClient(port=lookup.port, read_timeout=5.0)
        client.refresh_tables()  # DTN's lists as IQConnect serves them, as the command does
        collector = Collector(
            config,
            store.publish,
            wire=IQFeedWire(client.market_centers, client.condition_codes),
            resync=lookup_resync(client, store, tuple(SYMBOLS)),
            opener=line_opener,
        )
        collect_until(collector, lambda: heard_all(tape, collector.stats.last_trade_ms), 15)
    log, stats = level1.log, collector.stats
    assert log.connections == 2 and log.drops == 1 and stats.malformed == log.malformed == 1
    # the drop's hole (printed while reconnecting) came from the Lookup socket, marked as such
    assert stats.backfilled > 0 and stats.resync_short == 0 and stats.backfill_failures == 0
    expected = truth(tape, lookup)
    assert len(expected) == 3 * 600 and stats.trades < len(expected)
    got = streamed(store)
    assert not got.duplicated(["symbol", "trade_id"]).any()
    pd.testing.assert_frame_equal(got, expected)
    assert [c for c in log.commands if c[:1] == "t"] == [f"t{s}" for s in SYMBOLS] * 2


def start_equities(url: str, lookup_port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "vvv_pipeline.cli", "stream", "equities"]
    command += ["--symbols", *SYMBOLS, "--url", url, "--lookup", f"127.0.0.1:{lookup_port}"]
    command += ["--flush-rows", "200", "--flush-ms", "50"]
    with open(log, "ab") as sink:
        return subprocess.Popen(command, env=os.environ.copy(), stdout=sink, stderr=sink)


@pytest.mark.slow
def finalize_session_asset(
    instance: dg.DagsterInstance, lookup_port: int
) -> tuple[dict[str, object], pd.DataFrame]:
    """Materialize :data:`SESSION` of ``equity_ticks`` from IQFeed (the Lookup fake); the
    materialization's metadata and the stored rows."""
    market = MarketData(provider="live", iqfeed_port=lookup_port, requests_per_second=1e3)
    key = SESSION.strftime("%Y-%m-%d")
    result = dg.materialize(
        [EQUITY_TICKS],
        partition_key=key,
        resources={**build_resources(), "market": market},
        instance=instance,
    )
    assert result.success
    (event,) = result.asset_materializations_for_node("equity_ticks")
    meta = {k: v.value for k, v in event.metadata.items()}
    return meta, stored_ticks("equity_ticks", [key])


def test_a_killed_and_restarted_equity_collector_loses_and_repeats_nothing(
    feeds, data_dir, instance, monkeypatch, tmp_path
):
    tape, level1, lookup = feeds
    level1.script = L1Script(rate=250)
    log = tmp_path / "collector.log"
    status_file = status_path(data_dir / "stream", "iqfeed", "equity_ticks")
    with level1.start():
        first = start_equities(level1.url, lookup.port, log)
        wait_until(lambda: level1.log.sent > 500, 20, "the first collector to stream", log)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        at_kill = level1.log.sent
        second = start_equities(level1.url, lookup.port, log)
        wait_until(lambda: level1.log.sent > at_kill + 200, 20, "the second collector", log)

        def heard() -> dict[str, int]:
            pairs = (read_status(status_file) or {}).get("pairs", {})
            return {s: pair.get("last_trade_ms") for s, pair in pairs.items()}

        wait_until(lambda: heard_all(tape, heard()), 20, "the last trades to be heard", log)
        second.send_signal(signal.SIGTERM)
        assert second.wait(15) == 0, log.read_text()
    status = read_status(status_file)
    assert status is not None and status["state"] == "stopped" and status["kind"] == "equity_ticks"
    assert status["pid"] == second.pid and status["backfilled"] > 0
    assert level1.log.connections == 2 and "stream stopped" in log.read_text()
    expected = truth(tape, lookup)
    store = StreamStore.for_venue(f"lmdb://{data_dir / 'arcticdb'}", "iqfeed")
    got = streamed(store)
    assert not got.duplicated(["symbol", "trade_id"]).any()
    pd.testing.assert_frame_equal(got, expected)
    # the first collector had nothing to resync from; the second's resync, from where the
    # first's rows end, began the one interval each symbol's stream vouches for
    coverage = store.coverage(SYMBOLS)
    for symbol in SYMBOLS:
        ((start, end),) = coverage[symbol]
        ms = expected["ts"].astype("int64").to_numpy() // 1_000_000
        inside = (expected["symbol"] == symbol).to_numpy() & (ms >= start) & (ms < end)
        held = got[(got["symbol"] == symbol).to_numpy() & (ms >= start) & (ms < end)]
        assert (
            inside.sum() > 100
            and held["trade_id"].tolist() == expected[inside]["trade_id"].tolist()
        )
        assert start > ms[(expected["symbol"] == symbol).to_numpy()].min()  # not from the start

    # the session finalized from the stream: the uncovered spans come from the history
    universe = tmp_path / "universe.toml"
    universe.write_text(
        '[equities]\nsymbols = ["SPY", "AAPL", "MSFT"]\n'
        "start_price = { SPY = 450.0, AAPL = 185.0, MSFT = 370.0 }\n"
        '[crypto]\nsymbols = ["BTCUSDT"]\nstart_price = { BTCUSDT = 42000.0 }\n'
        '[economic]\nseries = { DGS10 = "daily" }\n'
        '[daily_ohlcv]\ninstruments = { SPY = "equity" }\n'
    )
    monkeypatch.setenv("VVV_UNIVERSE", str(universe))
    monkeypatch.setenv("VVV_STREAM_EQUITY_TICKS", "1")
    # SPY's first streamed hour is lost (before its coverage): the history must bring it back
    first_hour = store.settled_hours("SPY")[0]
    lost = len(unique_rows(store.settled("SPY", first_hour)))
    store.library.delete(store.name("SPY", first_hour))
    meta, stored = finalize_session_asset(instance, lookup.port)
    pd.testing.assert_frame_equal(stored[expected.columns].reset_index(drop=True), expected)
    from_stream, from_fill = meta["rows_from_stream"], meta["rows_from_rest_fill"]
    assert lost > 0 and from_fill == lost
    assert from_stream + meta["rows_from_collector_backfill"] + from_fill == len(expected)
    assert meta["streamed_symbols"] == "SPY, AAPL, MSFT"
    # before each interval, and after its end (the last trade's own millisecond)
    assert meta["stream_rest_requests"] == 2 * len(SYMBOLS)
    again, _ = finalize_session_asset(instance, lookup.port)
    assert {k: v for k, v in again.items() if k.startswith("rows_from")} == {
        k: v for k, v in meta.items() if k.startswith("rows_from")
    }
