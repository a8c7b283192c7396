"""The WebSocket collector: a venue's trade (or ticker) frames into staged ArcticDB segments.

What differs between venues is a :class:`Wire` (:class:`~.binance_ws.BinanceWire`,
:class:`~.bybit_ws.BybitWire`, :class:`~.iqfeed_l1.IQFeedWire`): the subscription requests, frames
to messages, whether ids reveal gaps, an application-level ping, the staged rows; and the transport
an :data:`Opener` gives (a WebSocket by default; IQFeed's plain TCP lines,
:func:`~.tcp_lines.line_opener`). One asyncio task reads the socket; rows go to a bounded
:class:`~.buffer.TradeBuffer`, flushed (in a worker thread, so reading goes on) every
``flush_rows`` rows or ``flush_ms`` ms, one staged segment per symbol. A dropped connection
(closed, refused, a missed pong, a ``serverShutdown``, a refused subscription, no reply to it) is
retried with exponential backoff and jitter, reset once a connection has delivered; every
connection subscribes afresh. Server pings are answered by ``websockets`` itself (a pong echoing
the payload, as Binance requires); the client pings every ``ping_interval`` and gives a connection
up when no pong comes within ``ping_timeout``. A jump in a symbol's aggregate ids
(:class:`~.sequence.Sequencer`) is fetched from REST at once (``backfill``, in a thread) and staged
with its origin marked; repeats are dropped. Where ids are not consecutive (Bybit), ``resync``
re-reads each pair's recent trades after every subscription instead, and given a
:class:`~.coverage.Coverage` records where it then holds every trade, stored with the flushes
(``coverage_sink``) for the hour's finalization. A wire whose frames carry a full state
(Bybit's ticker snapshots, :class:`~.bybit_tickers.BybitTickersWire`: open interest) says so
with a :class:`~.binance_ws.Held` message, where coverage starts without any REST. Stopping (the
``stop`` event, set by SIGTERM/SIGINT in :mod:`.service`) closes the socket, waits briefly for
running backfills and flushes what the buffer holds. Every ``status_interval`` seconds, and once
more after the last flush, a snapshot of its state (:meth:`Collector.status`) goes to ``report``
(:mod:`.status` writes it to a file that the Dagster sensor reads).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

import pandas as pd
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

from vvv_pipeline.streaming.binance_ws import (
    BinanceWire,
    Held,
    Malformed,
    Message,
    Notice,
    Pong,
    Reply,
    Shutdown,
    Trade,
)
from vvv_pipeline.streaming.buffer import TradeBuffer
from vvv_pipeline.streaming.coverage import Coverage, Interval
from vvv_pipeline.streaming.sequence import Gap, Sequencer
from vvv_pipeline.streaming.status import STATUS_VERSION

LOG = logging.getLogger("vvv_pipeline.streaming")

Sink = Callable[[str, pd.DataFrame], object]
"""Stages one symbol's segment (ts-indexed staged rows) durably; called in a worker thread."""
Backfill = Callable[[Gap], pd.DataFrame]
"""The staged-form rows of a gap from REST (origin ``FROM_BACKFILL``); in a worker thread."""
Report = Callable[[dict[str, Any]], object]
"""Publishes a status snapshot (:meth:`Collector.status`); called on the event loop, so quick."""
Resync = Callable[[str, int | None], pd.DataFrame]
"""A pair's latest trades from REST in staged form (origin ``FROM_BACKFILL``), fetched after
each subscription on venues whose ids cannot reveal a gap; in a worker thread. The second
argument is the time (epoch ms) of the last trade this process heard of the pair (None: none
yet), where a venue's history can be asked from a point in time (IQFeed)."""
HELD_FROM_MS = "held_from_ms"
"""``attrs`` key of a resync's frame: from this time (epoch ms) on, every trade of the pair up
to the fetch is in the frame or was heard before it (absent: the resync vouches for nothing).
Bybit's snapshot: the millisecond after its oldest trade; IQFeed's history: where it began."""
HELD_UNTIL_MS = "held_until_ms"
"""``attrs`` key of a resync's frame whose window ends before now (IQFeed's history, asked for
a span from the last trade): it vouches only if that end reaches the connection's first
streamed trade (or, none heard yet, the wall clock). Absent: the resync reaches to now."""
CoverageSink = Callable[[dict[str, list[Interval]]], object]
"""Stores the pairs' coverage intervals (:mod:`.coverage`); called in a worker thread, after
the rows they vouch for are staged."""
COVERAGE_WRITE_SECONDS = 1.0
"""Coverage is stored with the first flush at least this long after the last time it was (and
with the last flush): an older copy vouches for less, never for more."""


class Link(Protocol):
    """One connection as the collector uses it: frames in (``async for``), requests out."""

    async def send(self, message: str) -> None: ...

    async def close(self) -> None: ...

    def __aiter__(self) -> AsyncIterator[str | bytes]: ...


Opener = Callable[["CollectorConfig"], AbstractAsyncContextManager[Link]]
"""Opens a :class:`Link` to ``config.url``; the default is a WebSocket (``websockets``)."""


class Wire(Protocol):
    """What differs between venues' trade streams; everything else is the collector's."""

    venue: str
    kind: str
    """The source the stream feeds (``crypto_trades``, ``equity_ticks``): the status's name."""
    sequential_ids: bool
    """Trade ids are consecutive per pair: a jump is a gap (Binance's aggregate ids)."""
    app_ping_interval: float | None
    """Seconds between JSON pings the venue wants besides the protocol's (None: none)."""

    def subscribe(self, symbols: tuple[str, ...], request_id: int) -> list[tuple[str, str]]:
        """(request id, frame) of each subscription request for ``symbols``."""
        ...

    def parse(self, frame: str | bytes) -> list[Message]: ...

    def ping(self, request_id: int) -> str: ...

    def staged(self, rows: list[Any], origin: int) -> pd.DataFrame:
        """One symbol's buffered rows (:attr:`Trade.row`) as a staged segment."""
        ...


def websocket_opener(config: CollectorConfig) -> AbstractAsyncContextManager[Link]:
    return connect(  # type: ignore[return-value]  # ClientConnection satisfies Link
        config.url,
        ping_interval=config.ping_interval,
        ping_timeout=config.ping_timeout,
        max_queue=1024,
        compression=None,
    )


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class CollectorConfig:
    url: str
    """WebSocket endpoint, e.g. ``wss://stream.binance.com:9443/ws``."""
    symbols: tuple[str, ...]
    flush_rows: int = 1000
    flush_ms: float = 100.0
    max_buffer_rows: int = 200_000
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    ping_interval: float | None = 20.0
    ping_timeout: float | None = 20.0
    reply_timeout: float = 10.0
    """Seconds to wait for the subscription's reply before reconnecting."""
    shutdown_grace: float = 5.0
    """Seconds a stop waits for running gap backfills before the last flush."""
    status_interval: float = 1.0
    """Seconds between status reports (:mod:`.status`)."""


@dataclass
class CollectorStats:
    frames: int = 0
    trades: int = 0
    repeats: int = 0
    malformed: int = 0
    gaps: int = 0
    backfilled: int = 0
    backfill_failures: int = 0
    connections: int = 0
    disconnects: int = 0
    flushes: int = 0
    staged_rows: int = 0
    last_trade_ms: dict[str, int] = field(default_factory=dict)
    """Latest trade time seen per symbol (epoch ms): the stream's freshness."""
    last_message_ms: int | None = None
    """Wall-clock time the last frame of any kind arrived (epoch ms)."""
    pair_trades: dict[str, int] = field(default_factory=dict)
    pair_staged: dict[str, int] = field(default_factory=dict)
    connected: bool = False
    resync_short: int = 0
    """Resyncs whose snapshot did not reach back to the last trade seen (trades may be lost)."""
    notices: int = 0
    """Messages the venue sent about itself (errors, unknown symbols, feed status), logged."""

    def line(self) -> str:
        return (
            f"{self.trades} trades staged {self.staged_rows} rows in {self.flushes} flushes; "
            f"{self.connections} connections, {self.disconnects} retries, {self.gaps} gaps "
            f"({self.backfilled} rows backfilled, {self.backfill_failures} failed), "
            f"{self.repeats} repeats, {self.malformed} malformed frames"
        )


def backoff_delay(attempt: int, initial: float, cap: float, draw: float) -> float:
    """Exponential delay with equal jitter: half fixed, half drawn (``draw`` in [0, 1))."""
    base = min(cap, initial * 2.0**attempt)
    return base / 2.0 + base / 2.0 * draw


class Collector:
    """Collects ``config.symbols`` until ``stop`` is set; see the module docstring."""

    def __init__(
        self,
        config: CollectorConfig,
        sink: Sink,
        backfill: Backfill | None = None,
        *,
        rng: Callable[[], float] = random.random,
        report: Report | None = None,
        wire: Wire | None = None,
        resync: Resync | None = None,
        opener: Opener | None = None,
        coverage: Coverage | None = None,
        coverage_sink: CoverageSink | None = None,
    ) -> None:
        self.config, self.sink, self.backfill, self.rng = config, sink, backfill, rng
        self.report, self.resync = report, resync
        self.coverage, self.coverage_sink = coverage, coverage_sink
        """Where the pairs are known complete, for venues whose resync reaches back from the
        latest trade (Bybit): see :mod:`.coverage`."""
        self._coverage_written = -COVERAGE_WRITE_SECONDS
        self.wire: Wire = wire or BinanceWire()
        self.opener: Opener = opener or websocket_opener
        self.stats = CollectorStats()
        self.started_ms = now_ms()
        self.stopped = False
        self.buffer = TradeBuffer(config.flush_rows, config.flush_ms, config.max_buffer_rows)
        self.sequencer = Sequencer()
        self._extra: list[tuple[str, pd.DataFrame]] = []
        """Backfilled segments waiting for the next flush."""
        self._flush_lock = asyncio.Lock()
        self._flushing: asyncio.Task[None] | None = None
        self._backfills: set[asyncio.Task[None]] = set()
        self._request_id = 0
        self._pending: set[str] = set()
        """Subscription requests of this connection not confirmed yet."""
        self._heard_before: dict[str, int] = {}
        """The last trade time per symbol when the current connection opened."""
        self._first_heard: dict[str, int] = {}
        """The first trade time per symbol heard on the current connection."""

    async def run(self, stop: asyncio.Event) -> CollectorStats:
        attempt = 0
        ticker = asyncio.create_task(self._tick(stop))
        reporter = asyncio.create_task(self._report(stop)) if self.report else None
        try:
            while not stop.is_set():
                delivered = False
                try:
                    delivered = await self._connection(stop)
                except (WebSocketException, OSError, TimeoutError) as error:
                    LOG.warning("stream: connection lost: %s: %s", type(error).__name__, error)
                if stop.is_set():
                    break
                self.stats.disconnects += 1
                await self._flush()
                attempt = 0 if delivered else attempt + 1
                delay = backoff_delay(
                    attempt, self.config.backoff_initial, self.config.backoff_max, self.rng()
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
        finally:
            for task in (ticker, reporter):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            await self._shutdown()
            self.stopped = True
            self._publish()
        return self.stats

    async def _connection(self, stop: asyncio.Event) -> bool:
        """One connection's life; whether it delivered (a reply or a trade)."""
        config = self.config
        delivered = False
        async with self.opener(config) as ws:
            self.stats.connections += 1
            self.stats.connected = True
            # where this connection's hole begins: a resync runs once the subscription is
            # confirmed, when trades of this connection may already have arrived
            self._heard_before = dict(self.stats.last_trade_ms)
            self._first_heard = {}
            if self.coverage is not None:
                self.coverage.connection_opened()
            self._request_id += 1
            requests = self.wire.subscribe(config.symbols, self._request_id)
            self._pending = {rid for rid, _ in requests}
            for _, request in requests:
                await ws.send(request)
            helpers = [asyncio.create_task(self._close_on(stop, ws))]
            if self.wire.app_ping_interval:
                helpers.append(asyncio.create_task(self._app_ping(ws)))
            try:
                async for frame in ws:
                    self.stats.frames += 1
                    ended = False
                    for message in self.wire.parse(frame):
                        if isinstance(message, Trade):
                            delivered = True
                            self._trade(message)
                        elif isinstance(message, Held):
                            # a full state on the wire (a ticker snapshot): coverage from it on
                            if self.coverage is not None:
                                self.coverage.resynced(
                                    message.symbol, message.from_ms, message.from_ms
                                )
                        elif isinstance(message, Reply):
                            delivered |= message.error is None
                            ended = self._reply(message)
                        elif isinstance(message, Shutdown):
                            LOG.info("stream: server announced shutdown; reconnecting")
                            ended = True
                        elif isinstance(message, Notice):
                            self.stats.notices += 1
                            if self.stats.notices <= 100:
                                LOG.log(message.level, "stream: %s", message.text)
                        elif isinstance(message, Malformed):
                            self.stats.malformed += 1
                            if self.stats.malformed <= 20:
                                LOG.warning(
                                    "stream: malformed frame (%s): %s",
                                    message.reason,
                                    message.frame,
                                )
                        if not isinstance(message, Pong):  # a pong says the link, not the data
                            self.stats.last_message_ms = now_ms()
                    if self.buffer.due():
                        await self._start_flush(wait=self.buffer.full())
                    if ended:
                        break
            finally:
                self.stats.connected = False
                for helper in helpers:
                    helper.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await helper
        return delivered

    def _reply(self, message: Reply) -> bool:
        """Note a subscription's answer; whether the connection must end (refused)."""
        if message.error is not None:
            LOG.error("stream: subscription refused: %s", message.error)
            return True
        if str(message.id) in self._pending:
            self._pending.discard(str(message.id))
            if not self._pending:
                LOG.info("stream: subscribed to %s", ", ".join(self.config.symbols))
                if self.resync is not None:
                    task = asyncio.create_task(self._resync())
                    self._backfills.add(task)
                    task.add_done_callback(self._backfills.discard)
        return False

    async def _close_on(self, stop: asyncio.Event, ws: Link) -> None:
        """Close the socket when ``stop`` is set, or when the subscription gets no reply."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), self.config.reply_timeout)
        if not stop.is_set() and self._pending:
            LOG.warning("stream: no reply to the subscription in %.0f s", self.config.reply_timeout)
            await ws.close()
            return
        await stop.wait()
        await ws.close()

    async def _app_ping(self, ws: Link) -> None:
        """The venue's own JSON ping (Bybit drops a connection that sends none)."""
        assert self.wire.app_ping_interval
        count = 0
        while True:
            await asyncio.sleep(self.wire.app_ping_interval)
            count += 1
            await ws.send(self.wire.ping(count))

    async def _resync(self) -> None:
        """Stage each pair's latest trades from REST, marked as backfill: on a venue whose ids
        cannot reveal a gap, what a reconnect (or a restart) missed is recovered when it is
        within the snapshot's depth; readers keep one copy of each trade."""
        assert self.resync is not None
        for symbol in self.config.symbols:
            try:
                last = self._heard_before.get(symbol)
                rows = await asyncio.to_thread(self.resync, symbol, last)
            except Exception as error:  # the hour keeps a hole; logged and counted
                self.stats.backfill_failures += 1
                LOG.warning("stream: recent trades of %s not fetched: %s", symbol, error)
                continue
            seen = self._heard_before.get(symbol)
            if seen is not None and len(rows) and rows.index[0].value // 1_000_000 > seen:
                self.stats.resync_short += 1
                LOG.warning(
                    "stream: %s recent trades reach back to %s only; trades since %s may be lost",
                    symbol,
                    rows.index[0],
                    pd.Timestamp(seen, unit="ms", tz="UTC"),
                )
            self.stats.backfilled += len(rows)
            if len(rows):
                self._extra.append((symbol, rows))
            if self.coverage is not None:
                heard = [rows.index[-1].value // 1_000_000] if len(rows) else []
                heard += (
                    [self.stats.last_trade_ms[symbol]] if symbol in self.stats.last_trade_ms else []
                )
                held = rows.attrs.get(HELD_FROM_MS)
                until = rows.attrs.get(HELD_UNTIL_MS)
                first = self._first_heard.get(symbol)
                if until is not None and until < (now_ms() if first is None else first):
                    LOG.warning("stream: %s resync does not reach the stream; no coverage", symbol)
                    held = None
                self.coverage.resynced(symbol, held, max(heard) if heard else None)

    def _trade(self, message: Trade) -> None:
        row = message.row
        keep, gap = True, None
        if self.wire.sequential_ids:
            keep, gap = self.sequencer.check(message.symbol, row[0], row[1])
        if not keep:
            self.stats.repeats += 1
            return
        self.stats.trades += 1
        self.stats.last_trade_ms[message.symbol] = row[1]
        self._first_heard.setdefault(message.symbol, row[1])
        if self.coverage is not None:
            self.coverage.heard(message.symbol, row[1])
        pairs = self.stats.pair_trades
        pairs[message.symbol] = pairs.get(message.symbol, 0) + 1
        self.buffer.add(message.symbol, row, 0)
        if gap is not None:
            self.stats.gaps += 1
            LOG.info("stream: %s gap of %d ids after %d", gap.symbol, gap.missing, gap.after_id)
            if self.backfill is not None:
                task = asyncio.create_task(self._backfill(gap))
                self._backfills.add(task)
                task.add_done_callback(self._backfills.discard)

    async def _backfill(self, gap: Gap) -> None:
        assert self.backfill is not None
        try:
            rows = await asyncio.to_thread(self.backfill, gap)
        except Exception as error:  # a failed backfill leaves a hole that finalization fills
            self.stats.backfill_failures += 1
            LOG.warning("stream: backfill of %s failed: %s", gap, error)
            return
        self.stats.backfilled += len(rows)
        if len(rows):
            self._extra.append((gap.symbol, rows))

    async def _tick(self, stop: asyncio.Event) -> None:
        """Flush on age: the receive loop only sees the buffer when a frame arrives."""
        period = max(self.config.flush_ms / 4000.0, 0.005)
        while not stop.is_set():
            await asyncio.sleep(period)
            if self.buffer.due() or self._extra:
                await self._start_flush(wait=False)

    async def _start_flush(self, *, wait: bool) -> None:
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        if wait:  # the buffer is full: stop reading until the store has taken it
            await self._flushing

    async def _flush(self, last: bool = False) -> None:
        async with self._flush_lock:
            held = self.buffer.drain()
            extra, self._extra = self._extra, []
            # taken with the rows: stored after them, it vouches for nothing unstaged
            coverage = self._coverage_due(last)
            segments: dict[str, list[pd.DataFrame]] = {}
            for (symbol, origin), rows in held.items():
                segments.setdefault(symbol, []).append(self.wire.staged(rows, origin))
            for symbol, rows in extra:
                segments.setdefault(symbol, []).append(rows)
            if not segments and coverage is None:
                return
            staged = await asyncio.to_thread(self._stage, segments, coverage)
            self.stats.flushes += bool(segments)
            # counted here, on the loop, where status snapshots read them
            for symbol, rows in staged.items():
                self.stats.staged_rows += rows
                self.stats.pair_staged[symbol] = self.stats.pair_staged.get(symbol, 0) + rows

    def _coverage_due(self, last: bool) -> dict[str, list[Interval]] | None:
        if self.coverage is None or self.coverage_sink is None:
            return None
        now = time.monotonic()
        if not last and now - self._coverage_written < COVERAGE_WRITE_SECONDS:
            return None
        self._coverage_written = now
        return self.coverage.snapshot()

    def _stage(
        self,
        segments: dict[str, list[pd.DataFrame]],
        coverage: dict[str, list[Interval]] | None = None,
    ) -> dict[str, int]:
        staged = {}
        for symbol, parts in segments.items():
            frame = parts[0] if len(parts) == 1 else pd.concat(parts)
            if len(parts) > 1:
                frame = frame.sort_index(kind="stable")
            self.sink(symbol, frame)
            staged[symbol] = len(frame)
        if coverage is not None and self.coverage_sink is not None:
            self.coverage_sink(coverage)
        return staged

    def status(self) -> dict[str, Any]:
        """A snapshot of the collector for :mod:`.status` (plain JSON values)."""
        stats, config = self.stats, self.config
        symbols = sorted({*config.symbols, *stats.pair_trades, *stats.pair_staged})
        return {
            "version": STATUS_VERSION,
            "kind": self.wire.kind,
            "venue": self.wire.venue,
            "url": config.url,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_ms": self.started_ms,
            "written_ms": now_ms(),
            "state": "stopped" if self.stopped else "running",
            "connected": stats.connected,
            "last_message_ms": stats.last_message_ms,
            "frames": stats.frames,
            "trades": stats.trades,
            "staged_rows": stats.staged_rows,
            "held_rows": self.buffer.held,
            "flushes": stats.flushes,
            "connections": stats.connections,
            "reconnects": stats.disconnects,
            "gaps": stats.gaps,
            "backfilled": stats.backfilled,
            "backfill_failures": stats.backfill_failures,
            "resync_short": stats.resync_short,
            "malformed": stats.malformed,
            "repeats": stats.repeats,
            "notices": stats.notices,
            "pairs": {
                symbol: {
                    "last_trade_ms": stats.last_trade_ms.get(symbol),
                    "trades": stats.pair_trades.get(symbol, 0),
                    "staged_rows": stats.pair_staged.get(symbol, 0),
                    "covered_since_ms": self.coverage.since(symbol) if self.coverage else None,
                }
                for symbol in symbols
            },
        }

    def _publish(self) -> None:
        if self.report is None:
            return
        try:
            self.report(self.status())
        except OSError as error:  # a full or read-only status directory must not stop collecting
            LOG.warning("stream: status not written: %s", error)

    async def _report(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            self._publish()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.config.status_interval)

    async def _shutdown(self) -> None:
        if self._backfills:
            await asyncio.wait(set(self._backfills), timeout=self.config.shutdown_grace)
        if self._flushing is not None:
            with contextlib.suppress(Exception):
                await self._flushing
        await self._flush(last=True)
        LOG.info("stream: stopped; %s", self.stats.line())
