"""``crypto_trades`` partitions finalized from the crypto stream (``VVV_STREAM_CRYPTO_TRADES``).

An hour the collector staged anything for is built by
:func:`~vvv_pipeline.streaming.finalize.finalize_hour` (the settled stream, its holes filled
from the market's Binance REST client) and then validated and written like any fetched
partition; its materialization records how many rows came from the stream, from the
collector's gap backfills and from this fill. An hour with nothing staged is fetched exactly as
without streaming, and gets no streaming metadata.

Each such fetch also deletes the streamed hours of its symbols that are more than
``VVV_STREAM_RETENTION_HOURS`` older than the hour and whose partitions are stored
(``stream_hours_pruned``), so ``tick_stream`` holds about the retention's worth of hours.
"""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg
import pandas as pd

from vvv_pipeline import settings
from vvv_pipeline.defs.assets.ingest import PartitionFetch
from vvv_pipeline.defs.resources import MarketData
from vvv_pipeline.providers.base import Source
from vvv_pipeline.storage.arctic import ArcticStore
from vvv_pipeline.storage.point_lookups import stored_partitions
from vvv_pipeline.streaming.finalize import finalize_hour
from vvv_pipeline.streaming.store import StreamStore, hour_key
from vvv_pipeline.universe import Universe


def stream_fetch(market: MarketData, universe: Universe, arctic_uri: str) -> PartitionFetch:
    """The hourly fetch that finalizes staged trades; refused unless the stream's venue is the
    one REST fills from (the live provider's Binance)."""
    if market.provider != "live" or market.crypto_trades_venue != "binance":
        raise settings.SettingsError(
            f"{settings.variable('stream_crypto_trades')}=1 finalizes Binance's stream and fills "
            "its holes from Binance REST: it needs the live provider (VVV_PROVIDER=live) with "
            "VVV_CRYPTO_TRADES_VENUE=binance, not "
            f"provider {market.provider!r}, venue {market.crypto_trades_venue!r}"
        )
    store = StreamStore(arctic_uri)
    retention = pd.Timedelta(hours=settings.current().stream_retention_hours)

    def prune(symbols: Sequence[str], start: pd.Timestamp) -> int:
        if retention <= pd.Timedelta(0):
            return 0
        before = hour_key((start - retention).value // 1_000_000)
        ticks = ArcticStore(arctic_uri)
        pruned = 0
        for symbol in symbols:

            def stored(symbol: str = symbol) -> list[str]:
                parts = stored_partitions(ticks, "crypto_trades", symbol, missing_ok=True)
                return [part.key for part in parts]

            pruned += len(store.prune(symbol, before, stored))
        return pruned

    def rest(symbol: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
        return market.fetch(Source.CRYPTO_TRADES, lo, hi, [symbol], universe)

    def fetch(
        key: str, window: tuple[pd.Timestamp, pd.Timestamp], symbols: Sequence[str]
    ) -> tuple[pd.DataFrame, dict[str, dg.MetadataValue]]:
        if not any(store.streamed(symbol, key) for symbol in symbols):
            return market.fetch(Source.CRYPTO_TRADES, *window, symbols, universe), {}
        done = finalize_hour(store, rest, symbols, key, *window)
        meta = {
            f"rows_from_{origin}": dg.MetadataValue.int(rows)
            for origin, rows in done.rows_by_origin.items()
        }
        meta["stream_rest_requests"] = dg.MetadataValue.int(done.rest_requests)
        meta["streamed_symbols"] = dg.MetadataValue.text(", ".join(done.streamed_symbols))
        meta["stream_hours_pruned"] = dg.MetadataValue.int(prune(symbols, window[0]))
        return done.frame, meta

    return fetch
