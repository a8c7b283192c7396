"""``vvv-pipeline stream crypto|open-interest|equities``: the collectors, long-running processes.

Runs beside the Dagster daemon (a service of its own: systemd, a container), staging a
venue's trades (``--venue binance``: aggTrades; ``bybit``: publicTrade) into ArcticDB's
``tick_stream`` library until SIGTERM or SIGINT (:mod:`vvv_pipeline.streaming.service`);
``open-interest`` stages Bybit's linear tickers (open interest as it changes), or Binance's USD-M
REST polled every ``--interval`` seconds (``--venue binance``: it streams no open interest), the
same way, which ``crypto_open_interest`` hours finalize when
``VVV_STREAM_CRYPTO_OPEN_INTEREST=1``. The
hourly ``crypto_trades`` partitions finalize what Binance's stream staged when
``VVV_STREAM_CRYPTO_TRADES=1`` (docs/streaming.md). ``equities`` stages IQFeed's Level 1 trades
the same way, which ``equity_ticks`` sessions finalize when ``VVV_STREAM_EQUITY_TICKS=1``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from vvv_pipeline.streaming.collector import CollectorConfig


def _universe_symbols(kind: str) -> list[str] | None:
    """The universe file's ``kind`` (equities or crypto) symbols; None after printing why not."""
    from vvv_pipeline import settings
    from vvv_pipeline.universe import UniverseError, load_universe

    try:
        return list(getattr(load_universe(settings.universe_path()), kind))
    except (UniverseError, FileNotFoundError) as error:
        print(f"vvv-pipeline: {error}", file=sys.stderr)
        return None


def _crypto_pairs(symbols: Sequence[str] | None) -> list[str] | None:
    """The pairs given, else the universe's (None after printing why not); logging set up for
    a WebSocket collector."""
    pairs = list(symbols) if symbols else _universe_symbols("crypto")
    if pairs is not None:
        _log_to_stderr()
        logging.getLogger("websockets").setLevel(logging.WARNING)
    return pairs


def _log_to_stderr() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr
    )


def _say(text: str) -> None:
    print(f"vvv-pipeline: {text}", file=sys.stderr, flush=True)


def collector_config(
    url: str, symbols: Sequence[str], flush_rows: int | None, flush_ms: float | None
) -> CollectorConfig:
    """The collector's settings: ``url``, the symbols upper-cased, the flush thresholds given
    (else ``VVV_STREAM_FLUSH_ROWS``, ``VVV_STREAM_FLUSH_MS``)."""
    from vvv_pipeline import settings
    from vvv_pipeline.streaming.collector import CollectorConfig

    current = settings.current()
    return CollectorConfig(
        url=url,
        symbols=tuple(s.upper() for s in symbols),
        flush_rows=flush_rows or current.stream_flush_rows,
        flush_ms=flush_ms or current.stream_flush_ms,
    )


def _announce(symbols: Sequence[str], url: str, uri: str, status: Path) -> None:
    _say(
        f"streaming {', '.join(symbols)} from {url} into {uri} (library tick_stream), status "
        f"in {status}; SIGTERM or Ctrl-C stops after a last flush"
    )


def stream_crypto(
    venue: str,
    symbols: Sequence[str] | None,
    url: str | None,
    rest_url: str | None,
    flush_rows: int | None,
    flush_ms: float | None,
    backfill: bool,
) -> int:
    from vvv_pipeline import settings
    from vvv_pipeline.providers.live.binance import BinanceClient
    from vvv_pipeline.providers.live.bybit import BybitClient
    from vvv_pipeline.streaming.binance_ws import BinanceWire
    from vvv_pipeline.streaming.bybit_ws import BybitWire
    from vvv_pipeline.streaming.service import run_collector
    from vvv_pipeline.streaming.status import status_path
    from vvv_pipeline.streaming.store import StreamStore

    current = settings.current()
    symbols = _crypto_pairs(symbols)
    if symbols is None:
        return 1
    bybit = venue == "bybit"
    url = url or (current.bybit_ws_url if bybit else current.binance_ws_url)
    config = collector_config(url, symbols, flush_rows, flush_ms)
    uri = settings.arctic_uri()
    client: BinanceClient | BybitClient | None = None
    if backfill:
        client = (
            BybitClient(rest_url or current.bybit_url)
            if bybit
            else BinanceClient(rest_url or current.binance_url)
        )
    wire = BybitWire() if bybit else BinanceWire()
    store = StreamStore.for_venue(uri, venue)
    status = status_path(settings.stream_status_dir(), venue)
    _announce(config.symbols, config.url, uri, status)
    try:
        stats = run_collector(config, store, client, status, wire)
    finally:
        if client is not None:
            client.close()
    _say(f"stream stopped: {stats.line()}")
    return 0


def stream_open_interest(
    venue: str,
    symbols: Sequence[str] | None,
    url: str | None,
    rest_url: str | None,
    interval: float,
    flush_rows: int | None,
    flush_ms: float | None,
) -> int:
    from vvv_pipeline import settings
    from vvv_pipeline.providers.live.binance import BinanceClient
    from vvv_pipeline.streaming.bybit_tickers import KIND
    from vvv_pipeline.streaming.service import run_open_interest_collector
    from vvv_pipeline.streaming.status import status_path
    from vvv_pipeline.streaming.store import StreamStore

    if interval <= 0:
        _say(f"--interval must be positive, not {interval}")
        return 2
    current = settings.current()
    symbols = _crypto_pairs(symbols)
    if symbols is None:
        return 1
    binance = venue == "binance"
    if binance:
        url = rest_url or current.binance_futures_url
        # weight 1 a request; Binance allows 2,400 a minute on USD-M
        client = BinanceClient(current.binance_url, futures_url=url, requests_per_second=20.0)
        poll = (client, interval)
    else:
        url, poll = url or current.bybit_ws_url, None
    config = collector_config(url, symbols, flush_rows, flush_ms)
    uri = settings.arctic_uri()
    status = status_path(settings.stream_status_dir(), venue, KIND)
    _announce(config.symbols, config.url, uri, status)
    try:
        stats = run_open_interest_collector(
            config, StreamStore.open_interest(uri, venue), status, poll
        )
    finally:
        if poll is not None:
            poll[0].close()
    _say(f"stream stopped: {stats.line()}")
    return 0


def stream_equities(
    symbols: Sequence[str] | None,
    url: str | None,
    lookup: str | None,
    flush_rows: int | None,
    flush_ms: float | None,
    catch_up: bool,
) -> int:
    from vvv_pipeline import settings
    from vvv_pipeline.providers.errors import ProviderError
    from vvv_pipeline.providers.live.iqfeed import IQFeedClient
    from vvv_pipeline.streaming.iqfeed_l1 import KIND, VENUE
    from vvv_pipeline.streaming.service import run_equity_collector
    from vvv_pipeline.streaming.status import status_path
    from vvv_pipeline.streaming.store import StreamStore
    from vvv_pipeline.streaming.tcp_lines import address

    current = settings.current()
    symbols = symbols or _universe_symbols("equities")
    if symbols is None:
        return 1
    try:
        lookup_host, lookup_port = address(lookup or f"{current.iqfeed_host}:{current.iqfeed_port}")
        url = url or f"tcp://{current.iqfeed_host}:{current.iqfeed_level1_port}"
        address(url)
    except ValueError as error:
        _say(str(error))
        return 2
    _log_to_stderr()
    config = collector_config(url, symbols, flush_rows, flush_ms)
    uri = settings.arctic_uri()
    client = IQFeedClient(lookup_host, lookup_port) if catch_up else None
    store = StreamStore.for_venue(uri, VENUE)
    status = status_path(settings.stream_status_dir(), VENUE, KIND)
    _announce(config.symbols, config.url, uri, status)
    try:
        stats = run_equity_collector(config, store, client, status)
    except ProviderError as error:  # the Lookup socket refused the tables: IQConnect is not up
        _say(str(error))
        return 1
    _say(f"stream stopped: {stats.line()}")
    return 0
