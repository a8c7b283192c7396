"""The long-running collector processes behind ``vvv-pipeline stream crypto|equities``.

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
from vvv_pipeline.providers.live.iqfeed import IQFeedClient
from vvv_pipeline.streaming.binance_oi import BinanceOiPollWire, poll_opener
from vvv_pipeline.streaming.binance_ws import FROM_BACKFILL, staged_from_canonical
from vvv_pipeline.streaming.bybit_tickers import BybitTickersWire
from vvv_pipeline.streaming.collector import (
    HELD_FROM_MS,
    HELD_UNTIL_MS,
    Backfill,
    Collector,
    CollectorConfig,
    CollectorStats,
    Opener,
    Resync,
    Wire,
)
from vvv_pipeline.streaming.coverage import Coverage
from vvv_pipeline.streaming.iqfeed_l1 import IQFeedWire, staged_from_ticks, staged_rows
from vvv_pipeline.streaming.sequence import Gap
from vvv_pipeline.streaming.status import write_status
from vvv_pipeline.streaming.store import StreamStore
from vvv_pipeline.streaming.tcp_lines import line_opener


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
        rows = staged_from_canonical(frame, FROM_BACKFILL)
        if len(frame) < client.trade_limit:  # not full: every trade the pair ever had
            rows.attrs[HELD_FROM_MS] = 0
        else:  # a trade sharing the oldest one's millisecond may be cut off
            rows.attrs[HELD_FROM_MS] = int(rows.index.asi8.min() // 1_000_000) + 1
        return rows

    return fetch


RESYNC_SPAN = pd.Timedelta(days=1)


def resume_points(store: StreamStore, symbols: tuple[str, ...]) -> dict[str, pd.Timestamp | None]:
    """Where a restarted equity collector asks the history from, per symbol: the newest row
    an earlier collector settled, or where its stored coverage ends if that is earlier (the
    coverage is stored up to a second behind the rows), so the resync continues it."""
    coverage = store.coverage(symbols)
    points: dict[str, pd.Timestamp | None] = {}
    for symbol in symbols:
        latest = store.latest(symbol)
        intervals = coverage.get(symbol) or []
        if latest is not None and intervals:
            end = pd.Timestamp(intervals[-1][1], unit="ms", tz="UTC")
            latest = min(latest, end)
        points[symbol] = latest
    return points


def lookup_resync(
    client: IQFeedClient,
    store: StreamStore,
    symbols: tuple[str, ...],
    span: pd.Timedelta = RESYNC_SPAN,
) -> Resync:
    """A symbol's ticks from IQFeed's Lookup socket (``HTT``) from the last trade heard, in
    staged form (IQFeed: see :mod:`.iqfeed_l1`). A process that has heard nothing of the symbol
    yet continues from the newest row it finds settled in the store (what an earlier collector
    left), so a restart fills its own downtime; with neither, there is nothing to continue and
    nothing is fetched. The window is ``span`` long: a collector down for longer leaves the rest
    to the session's finalization. The store is read here, before anything streams: read
    later, it would hold this process's own first flushes and hide the hole before them."""
    lock = threading.Lock()  # one Lookup client: its counters and tables are not shared safely
    left = resume_points(store, symbols)

    def fetch(symbol: str, last_ms: int | None) -> pd.DataFrame:
        since = left.get(symbol) if last_ms is None else pd.Timestamp(last_ms, unit="ms")
        if since is None:
            return staged_rows([], FROM_BACKFILL)
        since = since.tz_localize("UTC") if since.tzinfo is None else since
        with lock:
            frame = client.fetch(Source.EQUITY_TICKS, since, since + span, [symbol])
        rows = staged_from_ticks(frame, FROM_BACKFILL)
        # every trade from ``since`` on, as far as the window reaches (the collector checks
        # that it reaches the stream)
        rows.attrs[HELD_FROM_MS] = since.value // 1_000_000
        rows.attrs[HELD_UNTIL_MS] = (since + span).value // 1_000_000
        return rows

    return fetch


async def collect_until_signalled(
    config: CollectorConfig,
    store: StreamStore,
    backfill: Backfill | None,
    status_file: Path | None = None,
    wire: Wire | None = None,
    resync: Resync | None = None,
    opener: Opener | None = None,
    keep_coverage: bool = False,
) -> CollectorStats:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    report = None
    if status_file is not None:
        report = lambda status: write_status(status_file, status)  # noqa: E731
    # where the stream is complete is kept beside it (:mod:`.coverage`), continuing what an
    # earlier collector stored, for venues whose ids cannot show a hole
    coverage = Coverage(store.coverage(config.symbols)) if keep_coverage else None
    try:
        collector = Collector(
            config,
            store.publish,
            backfill,
            report=report,
            wire=wire,
            resync=resync,
            opener=opener,
            coverage=coverage,
            coverage_sink=store.write_coverage if coverage is not None else None,
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
    return asyncio.run(
        collect_until_signalled(
            config, store, backfill, status_file, wire, resync, keep_coverage=resync is not None
        )
    )


def run_open_interest_collector(
    config: CollectorConfig,
    store: StreamStore,
    status_file: Path | None = None,
    poll: tuple[BinanceClient, float] | None = None,
) -> CollectorStats:
    """Collect open interest until SIGTERM/SIGINT into ``store``
    (:meth:`StreamStore.open_interest`): Bybit's linear tickers, keeping coverage from each
    snapshot on (the snapshot a subscription brings is the resync, no REST is asked); or, with
    ``poll`` (a client, seconds between polls), Binance's REST polled (:mod:`.binance_oi`),
    whose polls are their own coverage."""
    if poll is not None:
        client, interval = poll
        wire: Wire = BinanceOiPollWire()
        opener: Opener | None = poll_opener(client, interval)
    else:
        wire, opener = BybitTickersWire(), None
    return asyncio.run(
        collect_until_signalled(
            config, store, None, status_file, wire, None, opener, keep_coverage=poll is None
        )
    )


def run_equity_collector(
    config: CollectorConfig,
    store: StreamStore,
    lookup: IQFeedClient | None,
    status_file: Path | None = None,
) -> CollectorStats:
    """Collect IQFeed Level 1 trades (``config.url``: ``tcp://host:5009``) until SIGTERM/SIGINT;
    the ``lookup`` client (port 9100) gives the market-centre and condition tables DTN's
    IQConnect serves, and after each subscription the ticks since the last one heard (None:
    neither; the default tables, and holes left to finalization)."""
    if lookup is not None and lookup.lookup_tables:
        lookup.refresh_tables()
    wire = IQFeedWire(
        lookup.market_centers if lookup else None, lookup.condition_codes if lookup else None
    )
    resync = lookup_resync(lookup, store, config.symbols) if lookup is not None else None
    return asyncio.run(
        collect_until_signalled(
            config, store, None, status_file, wire, resync, line_opener, keep_coverage=True
        )
    )
