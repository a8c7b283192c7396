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
from vvv_pipeline.providers.live.bybit import BybitClient
from vvv_pipeline.streaming.binance_ws import FROM_BACKFILL, staged_from_canonical
from vvv_pipeline.streaming.collector import (
    Backfill,
    Collector,
    CollectorConfig,
    CollectorStats,
    Resync,
    Wire,
)
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


def recent_resync(client: BybitClient) -> Resync:
    """A pair's recent-trade snapshot in staged form (Bybit: see :mod:`.bybit_ws`)."""
    lock = threading.Lock()

    def fetch(symbol: str, last_ms: int | None) -> pd.DataFrame:
        # Bybit serves only its latest trades, whatever was heard last
        with lock:
            frame = client.recent_trades(symbol)
        return staged_from_canonical(frame, FROM_BACKFILL)

    return fetch


async def collect_until_signalled(
    config: CollectorConfig,
    store: StreamStore,
    backfill: Backfill | None,
    status_file: Path | None = None,
    wire: Wire | None = None,
    resync: Resync | None = None,
) -> CollectorStats:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    report = None
    if status_file is not None:
        report = lambda status: write_status(status_file, status)  # noqa: E731
    try:
        collector = Collector(
            config, store.publish, backfill, report=report, wire=wire, resync=resync
        )
        return await collector.run(stop)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


def run_collector(
    config: CollectorConfig,
    store: StreamStore,
    client: BinanceClient | BybitClient | None,
    status_file: Path | None = None,
    wire: Wire | None = None,
) -> CollectorStats:
    """Collect until SIGTERM/SIGINT from the venue ``wire`` speaks (default Binance); the
    REST ``client`` backfills Binance's id gaps, or re-reads Bybit's recent trades after each
    subscription (None: finalization alone fills holes); ``status_file`` is rewritten every
    ``config.status_interval`` seconds (:mod:`.status`)."""
    backfill = rest_backfill(client) if isinstance(client, BinanceClient) else None
    resync = recent_resync(client) if isinstance(client, BybitClient) else None
    return asyncio.run(collect_until_signalled(config, store, backfill, status_file, wire, resync))
