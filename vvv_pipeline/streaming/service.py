"""The long-running collector process behind ``vvv-pipeline stream crypto``.

Wires the collector to the store (each flush staged into ``tick_stream`` and settled, so the
read API sees it at once: :meth:`~.store.StreamStore.publish`) and a gap's backfill
to the Binance REST client the hourly asset uses, then runs until SIGTERM or SIGINT, which
stop it cleanly: the socket is closed and what the buffer holds is staged before exit. A
process killed outright (SIGKILL, a crash) loses only what it had not flushed yet, at most
``flush_rows`` rows or ``flush_ms`` of trades: the hour's finalization fills that hole from REST.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from pathlib import Path

import pandas as pd

from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.live.binance import BinanceClient
from vvv_pipeline.streaming.binance_ws import FROM_BACKFILL, staged_from_canonical
from vvv_pipeline.streaming.collector import Backfill, Collector, CollectorConfig, CollectorStats
from vvv_pipeline.streaming.sequence import Gap
from vvv_pipeline.streaming.status import write_status
from vvv_pipeline.streaming.store import StreamStore


def rest_backfill(client: BinanceClient) -> Backfill:
    """A gap's trades from ``aggTrades`` over its time span, kept by id."""
    lock = threading.Lock()  # one HTTP client: its pacing and session are not shared safely

    def fill(gap: Gap) -> pd.DataFrame:
        lo = pd.Timestamp(gap.after_ms, unit="ms", tz="UTC")
        hi = pd.Timestamp(gap.before_ms + 1, unit="ms", tz="UTC")
        with lock:
            frame = client.fetch(Source.CRYPTO_TRADES, lo, hi, [gap.symbol])
        rows = staged_from_canonical(frame, FROM_BACKFILL)
        ids = rows["trade_id"].to_numpy()
        return rows[(ids > gap.after_id) & (ids < gap.before_id)]

    return fill


async def collect_until_signalled(
    config: CollectorConfig,
    store: StreamStore,
    backfill: Backfill | None,
    status_file: Path | None = None,
) -> CollectorStats:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    report = None
    if status_file is not None:
        report = lambda status: write_status(status_file, status)  # noqa: E731
    try:
        return await Collector(config, store.publish, backfill, report=report).run(stop)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


def run_collector(
    config: CollectorConfig,
    store: StreamStore,
    client: BinanceClient | None,
    status_file: Path | None = None,
) -> CollectorStats:
    """Collect until SIGTERM/SIGINT; the REST ``client`` backfills gaps (None: finalization
    alone fills them); ``status_file`` is rewritten every ``config.status_interval`` seconds
    (:mod:`.status`)."""
    backfill = rest_backfill(client) if client is not None else None
    return asyncio.run(collect_until_signalled(config, store, backfill, status_file))
