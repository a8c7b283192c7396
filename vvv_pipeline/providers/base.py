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
