"""The provider interface every source asset talks to.

A provider answers one question: "give me source S for these symbols in the half-open UTC
window [start, end)". It returns a frame in that source's canonical schema
(:mod:`vvv_pipeline.schemas`), sorted by (symbol, ts), holding only rows of that window.
Assets never know which provider they use; the ``MarketData`` resource chooses it.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Protocol, runtime_checkable

import pandas as pd


class Source(StrEnum):
    EQUITY_TICKS = "equity_ticks"
    CRYPTO_TRADES = "crypto_trades"
    CRYPTO_OPEN_INTEREST = "crypto_open_interest"
    DARKPOOL_PRINTS = "darkpool_prints"
    OPTIONS_FLOW = "options_flow"
    NEWS_HEADLINES = "news_headlines"
    DAILY_OHLCV = "daily_ohlcv"
    ECONOMIC_SERIES = "economic_series"


CROSS_VENUES: tuple[str, ...] = ("binance", "bybit", "mexc")
"""The venues the cross-venue view compares (the crypto seed runs these three together); each
serves ``crypto_open_interest`` rows tagged with its ``venue``, the first is the reference."""


@runtime_checkable
class MarketDataProvider(Protocol):
    name: str

    def fetch(
        self,
        source: Source,
        start: pd.Timestamp,
        end: pd.Timestamp,
        symbols: Sequence[str],
    ) -> pd.DataFrame:
        """Rows of ``source`` for ``symbols`` with ``start <= ts < end`` (UTC), canonical schema."""
        ...


@runtime_checkable
class OpenInterestSeries(Protocol):
    """A provider serving ``crypto_open_interest`` declares the spacing of the samples it serves.

    Venues publish open-interest history at their own period (the simulated market every 5 s,
    Binance and Bybit every 5 minutes at best), and tier 3 expects a sample at each multiple of
    that period, so the period must come from the provider that shaped the series.
    """

    @property
    def oi_cadence_seconds(self) -> int:
        """Seconds between two open-interest samples of one symbol."""
        ...
