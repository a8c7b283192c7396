"""Crypto stream: end-to-end lag at 5,000 trades/s, ingest rate and memory of one collector.

    .venv/bin/python benchmarks/bench_stream.py [--rate 5000] [--seconds 30] [--burst-seconds 10]

The fake Binance WebSocket (``vvv_pipeline_tests.fakes.binance_ws``) replays a simulated hour of
three pairs at ``--rate`` trades a second and records when each trade leaves it (wall clock).
The collector runs as its command does (``vvv-pipeline stream crypto``, its own process,
default flush settings: 1,000 rows or 100 ms, each flush staged and settled) into a fresh LMDB
store. This process reads the stream through the read API, ``search_ticks(...,
include_stream=True)`` from the last time seen, in a loop, and notes when each trade first
comes back: lag = readable - sent. Then the fake sends
as fast as it can for ``--burst-seconds`` and the rows the collector staged per second are its
sustained ingest rate (the fake, in this process, may be the slower side: both are printed).
The collector's resident memory is sampled every second over the whole run, anonymous (its
own) and file-backed (the LMDB map's pages it touched, which grow with the data written)
apart, and printed at the start of each minute and as each minute's median (the last
"minute" is the burst's samples).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.providers.simulated.anchors import EPOCH_NS, HOUR_NS
from vvv_pipeline.read import search_ticks
from vvv_pipeline.streaming.store import StreamStore
from vvv_pipeline.universe import load_universe
from vvv_pipeline_tests.fakes.binance_ws import ContiguousTrades, FakeBinanceStream, StreamScript

SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
START = pd.Timestamp("2025-11-25 15:00", tz="UTC")


def rss_mb(pid: int) -> tuple[float, float]:
    """(anonymous, file-backed) resident MB: the process's own memory, and the pages of the
    memory-mapped LMDB file it has touched (which grow with the data written, and which the
    kernel reclaims under pressure)."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("RssAnon:", "RssFile:")):
            found[line.split(":")[0]] = int(line.split()[1]) / 1024
    return found.get("RssAnon", float("nan")), found.get("RssFile", float("nan"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=5000.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--burst-seconds", type=float, default=10.0)
    args = parser.parse_args()
    # enough trades for the lag phase and a burst (the fake sends well under 150,000 a second)
    per_symbol = int((args.rate * args.seconds + 150_000 * args.burst_seconds) / len(SYMBOLS))
    config = SimulationConfig(ticks_per_session=500, crypto_trades_per_hour=per_symbol)
    trades = ContiguousTrades(SimulatedMarket(config, load_universe()))
    hour = (START.value - EPOCH_NS) // HOUR_NS
    script = StreamScript(rate=args.rate, ping_every=20.0, record_sends=True)
    data = Path(tempfile.mkdtemp(prefix="bench_stream_"))
    env = {**os.environ, "VVV_DATA_DIR": str(data)}
    uri = f"lmdb://{data / 'arcticdb'}"
    store = StreamStore(uri)
    end = START + pd.Timedelta(hours=1)
    with FakeBinanceStream(trades, SYMBOLS, hour, script).start() as fake:
        print(f"{len(fake.frames):,} trades to replay; collector -> {data}", flush=True)
        command = [sys.executable, "-m", "vvv_pipeline.cli", "stream", "crypto"]
        collector = subprocess.Popen(
            [*command, "--url", fake.url, "--no-backfill"], env=env, stderr=subprocess.DEVNULL
        )
        memory: list[tuple[float, float]] = []
        try:
            while fake.started is None:
                time.sleep(0.01)
            readable: dict[tuple[str, int], int] = {}
            since = dict.fromkeys(SYMBOLS, START)
            next_sample = time.monotonic()
            stop_at = fake.started + args.seconds
            reads = 0
            while time.monotonic() < stop_at:
                for symbol in SYMBOLS:
                    rows = search_ticks(
                        symbol,
                        since[symbol],
                        end,
                        columns=["trade_id"],
                        source="crypto_trades",
                        uri=uri,
                        include_stream=True,
                    )
                    now = time.time_ns()
                    reads += 1
                    if len(rows):
                        since[symbol] = rows["ts"].iloc[-1]
                        for trade_id in rows["trade_id"].tolist():
                            readable.setdefault((symbol, trade_id), now)
                if time.monotonic() >= next_sample:
                    memory.append(rss_mb(collector.pid))
                    next_sample += 1.0
                time.sleep(0.005)
            sent = dict(fake.sent_ns)
            lags = np.array([(readable[k] - sent[k]) / 1e6 for k in readable if k in sent])
            sent_in_window = len(sent)
            # burst: as fast as the fake can send
            before = sum(len(store.hour(s, START.strftime("%Y-%m-%d-%H:%M"))) for s in SYMBOLS)
            sent_before = fake.log.sent
            fake.script.rate = 1e9
            fake.script.record_sends = False
            t0 = time.monotonic()
            while time.monotonic() - t0 < args.burst_seconds:
                time.sleep(1.0)
                memory.append(rss_mb(collector.pid))
            fake.script.rate = 0.0  # the replay clock stops: nothing more is due
            burst_sent = fake.log.sent - sent_before
            elapsed = time.monotonic() - t0
        finally:
            collector.send_signal(signal.SIGTERM)
            collector.wait(30)
        key = START.strftime("%Y-%m-%d-%H:%M")
        after = sum(len(store.hour(s, key)) for s in SYMBOLS)
    print(f"lag phase: {args.rate:,.0f} trades/s for {args.seconds:.0f} s")
    print(f"  trades sent {sent_in_window:,}, seen readable {len(lags):,} ({reads:,} reads)")
    print(
        f"  lag sent -> readable: median {np.median(lags):.0f} ms, p99 "
        f"{np.percentile(lags, 99):.0f} ms, max {lags.max():.0f} ms"
    )
    print(f"burst phase: {elapsed:.1f} s as fast as the fake sends")
    print(f"  fake sent {burst_sent / elapsed:,.0f} trades/s")
    print(f"  collector staged {(after - before) / elapsed:,.0f} rows/s (all rows: {after:,})")
    anon = [a for a, _ in memory]
    mapped = [f for _, f in memory]
    print(
        f"collector anonymous RSS: first {anon[0]:.0f} MB, max {max(anon):.0f} MB, last "
        f"{anon[-1]:.0f} MB over {len(anon)} samples; file-backed (LMDB map) "
        f"{mapped[0]:.0f} -> {mapped[-1]:.0f} MB"
    )
    minutes = range(0, len(memory), 60)
    print("  anonymous RSS each minute (MB): " + ", ".join(f"{anon[i]:.0f}" for i in minutes))
    # the one-second samples of each minute: a single sample may fall on a settle's buffers
    spans = [anon[i : i + 60] for i in minutes]
    print(
        "  anonymous RSS each minute, median of its samples (min-max, MB): "
        + ", ".join(f"{np.median(s):.1f} ({min(s):.0f}-{max(s):.0f})" for s in spans)
    )
    print("  file-backed RSS each minute (MB): " + ", ".join(f"{mapped[i]:.0f}" for i in minutes))


if __name__ == "__main__":
    main()
