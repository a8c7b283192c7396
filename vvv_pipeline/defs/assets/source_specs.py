"""What distinguishes one source asset from another, in one table."""

from collections.abc import Callable
from dataclasses import dataclass

import dagster as dg

from vvv_pipeline.defs.partitions import (
    calendar_day_partitions,
    hourly_partitions,
    session_partitions,
)
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.live.market import LiveConfig
from vvv_pipeline.storage.arctic import TICK_PREFIXES
from vvv_pipeline.universe import Universe

DEFAULT_LIVE = LiveConfig()


@dataclass(frozen=True)
class SourceSpec:
    """Everything that distinguishes one source asset from another."""

    source: Source
    partitions: Callable[[], dg.TimeWindowPartitionsDefinition]
    asset_class: str
    symbols_of: str
    """Universe attribute listing the source's symbols."""
    summary: str
    partitioning: str
    arctic_prefix: str | None = None
    """ArcticDB symbol prefix for tick-scale sources; None means the DuckDB warehouse."""

    @property
    def provider(self) -> str:
        """The real provider family behind the source (names its concurrency pool): its
        provider under the default live configuration (crypto may use Bybit/Coinbase)."""
        return DEFAULT_LIVE.provider_of(self.source)

    def symbols(self, universe: Universe) -> list[str]:
        return list(getattr(universe, self.symbols_of))


SOURCE_SPECS = (
    SourceSpec(
        Source.EQUITY_TICKS,
        session_partitions,
        "equity",
        "equities",
        "Every equity trade of the universe with the NBBO at that moment.",
        "XNYS session (one key per trading day; holidays are not partitions)",
        arctic_prefix=TICK_PREFIXES["equity_ticks"],
    ),
    SourceSpec(
        Source.CRYPTO_TRADES,
        hourly_partitions,
        "crypto",
        "crypto",
        "Aggregate crypto trades, 24/7, with the taker side.",
        "UTC hour (crypto never closes; hours keep each partition small)",
        arctic_prefix=TICK_PREFIXES["crypto_trades"],
    ),
    SourceSpec(
        Source.CRYPTO_OPEN_INTEREST,
        hourly_partitions,
        "crypto",
        "crypto",
        "Perpetual-futures open interest sampled every 5 seconds.",
        "UTC hour (720 samples per symbol-hour)",
        arctic_prefix=TICK_PREFIXES["crypto_open_interest"],
    ),
    SourceSpec(
        Source.DARKPOOL_PRINTS,
        session_partitions,
        "equity",
        "equities",
        "Off-exchange block prints with the NBBO at print time.",
        "XNYS session",
    ),
    SourceSpec(
        Source.OPTIONS_FLOW,
        session_partitions,
        "equity",
        "equities",
        "Unusual options-flow alerts on the equity universe (OCC option symbols).",
        "XNYS session",
    ),
    SourceSpec(
        Source.NEWS_HEADLINES,
        calendar_day_partitions,
        "equity",
        "equities",
        "News headlines with tickers, publisher and sentiment, one row per mentioned ticker.",
        "calendar day, America/New_York (news never stops)",
    ),
    SourceSpec(
        Source.DAILY_OHLCV,
        session_partitions,
        "multi_asset",
        "daily_ohlcv",
        "Daily bars for stocks, an FX pair and a commodity; equities agree with their ticks.",
        "XNYS session (the bar of that session date)",
    ),
    SourceSpec(
        Source.ECONOMIC_SERIES,
        calendar_day_partitions,
        "macro",
        "economic",
        "Economic series (FRED) at their real frequencies, keyed by release time.",
        "calendar day of release, America/New_York",
    ),
)
