"""Source partitions finalized from the streams: ``crypto_trades`` hours from the crypto venue's
(``VVV_STREAM_CRYPTO_TRADES``), ``crypto_open_interest`` hours from Bybit's tickers or
Binance's polls (``VVV_STREAM_CRYPTO_OPEN_INTEREST``, :func:`open_interest_stream_fetch`:
:mod:`vvv_pipeline.streaming.finalize_oi`), ``equity_ticks`` sessions from IQFeed's
(``VVV_STREAM_EQUITY_TICKS``, :func:`session_stream_fetch`:
:mod:`vvv_pipeline.streaming.finalize_session`).

An hour the collector of the live provider's crypto venue (``VVV_CRYPTO_TRADES_VENUE``:
Binance or Bybit) staged anything for is built by
:func:`~vvv_pipeline.streaming.finalize.finalize_hour` (the settled stream, its holes filled
from the venue's REST client: Binance's where its aggregate ids jump, Bybit's where the
collector's coverage does not reach, which fails the hour unless Bybit's latest trades still
hold the span) and then validated and written like any fetched
partition; its materialization records how many rows came from the stream, from the
collector's gap backfills and from this fill. An hour with nothing staged is fetched exactly as
without streaming, and gets no streaming metadata.

Each such fetch also deletes the streamed hours of its symbols that are more than
``VVV_STREAM_RETENTION_HOURS`` older than the hour and whose partitions are stored
(``stream_hours_pruned``), so ``tick_stream`` holds about the retention's worth of hours.
An ``equity_ticks`` run does the same for the IQFeed stream's hours when that stream is
monitored (``iqfeed`` in ``VVV_STREAM_VENUES``): an hour goes once the session of its New York
date is stored and is older than the retention before each session the run stores
(:func:`prune_equity_stream`); the sessions themselves are fetched from IQFeed's history as
always.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import dagster as dg
import pandas as pd

from vvv_pipeline import settings
from vvv_pipeline.calendars import EXCHANGE_TZ
from vvv_pipeline.defs.assets.ingest import PartitionFetch
from vvv_pipeline.defs.resources import MarketData
from vvv_pipeline.providers.base import Source
from vvv_pipeline.storage.arctic import ArcticStore
from vvv_pipeline.storage.point_lookups import stored_keys
from vvv_pipeline.streaming.finalize import FinalizedHour, finalize_hour
from vvv_pipeline.streaming.finalize_oi import finalize_oi_hour, uncovered_text
from vvv_pipeline.streaming.finalize_session import finalize_session, streamed_hours
from vvv_pipeline.streaming.iqfeed_l1 import VENUE as IQFEED
from vvv_pipeline.streaming.pruning import prune_stored_hours
from vvv_pipeline.streaming.reads import LiveStream
from vvv_pipeline.streaming.store import OPEN_INTEREST_PREFIXES, StreamStore
from vvv_pipeline.universe import Universe


def finalized_metadata(done: FinalizedHour) -> dict[str, dg.MetadataValue]:
    """Where a finalized partition's rows came from, for its materialization."""
    meta = {
        f"rows_from_{origin}": dg.MetadataValue.int(rows)
        for origin, rows in done.rows_by_origin.items()
    }
    meta["stream_rest_requests"] = dg.MetadataValue.int(done.rest_requests)
    meta["streamed_symbols"] = dg.MetadataValue.text(", ".join(done.streamed_symbols))
    return meta


def symbol_fetch(
    market: MarketData, source: Source, universe: Universe
) -> Callable[[str, pd.Timestamp, pd.Timestamp], pd.DataFrame]:
    """(symbol, lo, hi) -> the provider's ``source`` rows of one symbol: what fills a hole."""

    def fetch(symbol: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
        return market.fetch(source, lo, hi, [symbol], universe)

    return fetch


STREAMED_VENUES = ("binance", "bybit")
"""Crypto venues whose stream an hourly run can finalize: Binance's holes are found in its
consecutive ids and filled from ``aggTrades``; Bybit's are where its coverage does not reach
(:mod:`vvv_pipeline.streaming.coverage`), and only its latest trades can fill them."""


def stream_fetch(market: MarketData, universe: Universe, arctic_uri: str) -> PartitionFetch:
    """The hourly fetch that finalizes staged trades; refused unless the live provider's
    crypto venue is one whose stream can be finalized (:data:`STREAMED_VENUES`)."""
    venue = market.crypto_trades_venue
    if market.provider != "live" or venue not in STREAMED_VENUES:
        raise settings.SettingsError(
            f"{settings.variable('stream_crypto_trades')}=1 finalizes the crypto venue's stream "
            "and fills its holes from that venue's REST: it needs the live provider "
            "(VVV_PROVIDER=live) with VVV_CRYPTO_TRADES_VENUE one of "
            f"{', '.join(STREAMED_VENUES)}, not provider {market.provider!r}, venue {venue!r}"
        )
    store = StreamStore.for_venue(arctic_uri, venue)
    stream = LiveStream(store, "crypto_trades", venue)
    retention = pd.Timedelta(hours=settings.current().stream_retention_hours)

    def prune(symbols: Sequence[str], start: pd.Timestamp) -> int:
        ticks = ArcticStore(arctic_uri)
        return prune_stored_hours(
            stream, symbols, start, retention, lambda s: stored_keys(ticks, "crypto_trades", s)
        )

    rest = symbol_fetch(market, Source.CRYPTO_TRADES, universe)

    def fetch(
        key: str, window: tuple[pd.Timestamp, pd.Timestamp], symbols: Sequence[str]
    ) -> tuple[pd.DataFrame, dict[str, dg.MetadataValue]]:
        if not any(store.streamed(symbol, key) for symbol in symbols):
            return market.fetch(Source.CRYPTO_TRADES, *window, symbols, universe), {}
        coverage = store.coverage(symbols) if venue == "bybit" else None
        done = finalize_hour(store, rest, symbols, key, *window, coverage=coverage, venue=venue)
        meta = finalized_metadata(done)
        meta["stream_hours_pruned"] = dg.MetadataValue.int(prune(symbols, window[0]))
        return done.frame, meta

    return fetch


def open_interest_stream_fetch(
    market: MarketData, universe: Universe, arctic_uri: str
) -> PartitionFetch:
    """The hourly fetch that finalizes the open-interest venue's stream (Bybit's tickers,
    Binance's polls: :mod:`vvv_pipeline.streaming.finalize_oi`); refused unless the provider
    is live."""
    venue = market.open_interest_venue
    if market.provider != "live" or venue not in OPEN_INTEREST_PREFIXES:
        raise settings.SettingsError(
            f"{settings.variable('stream_crypto_open_interest')}=1 finalizes the open-interest "
            "venue's stream and fetches the pairs it misses from that venue's REST: it "
            "needs the live provider (VVV_PROVIDER=live) with VVV_OPEN_INTEREST_VENUE one of "
            f"{', '.join(OPEN_INTEREST_PREFIXES)}, not provider {market.provider!r}, "
            f"venue {venue!r}"
        )
    store = StreamStore.open_interest(arctic_uri, venue)

    rest = symbol_fetch(market, Source.CRYPTO_OPEN_INTEREST, universe)

    def fetch(
        key: str, window: tuple[pd.Timestamp, pd.Timestamp], symbols: Sequence[str]
    ) -> tuple[pd.DataFrame, dict[str, dg.MetadataValue]]:
        if not any(store.streamed(symbol, key) for symbol in symbols):
            return market.fetch(Source.CRYPTO_OPEN_INTEREST, *window, symbols, universe), {}
        # Bybit's coverage is stored beside its stream; Binance's polls are their own
        coverage = store.coverage(symbols) if venue == "bybit" else None
        done, gaps = finalize_oi_hour(store, rest, symbols, *window, coverage, venue)
        meta = finalized_metadata(done)
        meta["stream_uncovered"] = dg.MetadataValue.text(uncovered_text(gaps) or "(none)")
        return done.frame, meta

    return fetch


def session_stream_fetch(market: MarketData, universe: Universe, arctic_uri: str) -> PartitionFetch:
    """The session fetch that finalizes IQFeed's stream; refused unless the provider is live
    (the holes are filled from IQFeed's history)."""
    if market.provider != "live":
        raise settings.SettingsError(
            f"{settings.variable('stream_equity_ticks')}=1 finalizes IQFeed's stream and fills "
            "its holes from IQFeed's history: it needs the live provider (VVV_PROVIDER=live), "
            f"not {market.provider!r}"
        )
    store = StreamStore.for_venue(arctic_uri, IQFEED)

    history = symbol_fetch(market, Source.EQUITY_TICKS, universe)

    def fetch(
        key: str, window: tuple[pd.Timestamp, pd.Timestamp], symbols: Sequence[str]
    ) -> tuple[pd.DataFrame, dict[str, dg.MetadataValue]]:
        lo, hi = window
        if not any(streamed_hours(store, symbol, lo, hi) for symbol in symbols):
            return market.fetch(Source.EQUITY_TICKS, lo, hi, symbols, universe), {}
        done = finalize_session(store, history, symbols, lo, hi, store.coverage(symbols))
        return done.frame, finalized_metadata(done)

    return fetch


def prune_equity_stream(arctic_uri: str, symbols: Sequence[str], session: str) -> int:
    """Once ``session`` is stored: delete the IQFeed stream's hours of stored sessions older
    than the retention before ``session``'s New York midnight; how many."""
    stream = LiveStream(StreamStore.for_venue(arctic_uri, IQFEED), "equity_ticks", IQFEED)
    midnight = pd.Timestamp(session).tz_localize(EXCHANGE_TZ).tz_convert("UTC")
    retention = pd.Timedelta(hours=settings.current().stream_retention_hours)
    ticks = ArcticStore(arctic_uri)
    return prune_stored_hours(
        stream, symbols, midnight, retention, lambda s: stored_keys(ticks, "equity_ticks", s)
    )
