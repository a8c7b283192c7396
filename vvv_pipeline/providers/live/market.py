"""The live provider: each source routed to the real client configured for it.

:class:`LiveMarket` is the :class:`~vvv_pipeline.providers.base.MarketDataProvider` behind
``MarketData(provider="live")``. It is built once per run and closed after it, so every
partition of a run shares one pooled connection (and one rate limiter) per provider, and the
counters of :func:`stats_by_provider` cover the whole run. Clients are built on first use: a
run that never touches Unusual Whales needs no Unusual Whales token, and a missing token fails
the source that needs it with a message naming the setting, not the run's first asset.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, get_args

import pandas as pd

from vvv_pipeline.providers.base import CROSS_VENUES, OpenInterestSeries, Source
from vvv_pipeline.providers.errors import ProviderError
from vvv_pipeline.providers.live.binance import BinanceClient
from vvv_pipeline.providers.live.bybit import BybitClient
from vvv_pipeline.providers.live.coinbase import CoinbaseClient
from vvv_pipeline.providers.live.fred import FredClient
from vvv_pipeline.providers.live.http import FetchStats
from vvv_pipeline.providers.live.iqfeed import IQFeedClient
from vvv_pipeline.providers.live.mexc import MexcClient
from vvv_pipeline.providers.live.unusual_whales import UnusualWhalesClient
from vvv_pipeline.providers.live.yahoo import YahooClient
from vvv_pipeline.settings import CryptoTradesVenue, OpenInterestVenue, default
from vvv_pipeline.universe import Universe

CRYPTO_TRADES_VENUES: tuple[str, ...] = get_args(CryptoTradesVenue)
OPEN_INTEREST_VENUES: tuple[str, ...] = get_args(OpenInterestVenue)
LOGGER = logging.getLogger("vvv_pipeline.providers")
FIXED_PROVIDERS = {
    Source.EQUITY_TICKS: "iqfeed",
    Source.DARKPOOL_PRINTS: "unusual_whales",
    Source.OPTIONS_FLOW: "unusual_whales",
    Source.NEWS_HEADLINES: "unusual_whales",
    Source.DAILY_OHLCV: "yahoo",
    Source.ECONOMIC_SERIES: "fred",
}
"""Sources with one real provider; the crypto sources follow the configured venues
(:meth:`LiveConfig.provider_of`)."""


class RealClient(Protocol):
    """What every real client offers beyond ``fetch``: its counters.

    HTTP clients also have ``close()`` (their pooled session); IQFeed opens and closes its
    socket within each fetch, so it has nothing to close.
    """

    name: str

    @property
    def stats(self) -> FetchStats: ...

    def fetch(
        self, source: Source, start: pd.Timestamp, end: pd.Timestamp, symbols: Sequence[str]
    ) -> pd.DataFrame: ...


@dataclass(frozen=True)
class LiveConfig:
    """Endpoints, credentials and venue choices of the live provider (defaults: production,
    those of :class:`vvv_pipeline.settings.Settings`, where their variables are declared).

    ``requests_per_second``, when set, replaces every HTTP client's own pace (the published
    limits are far too slow for local fake servers); leave it unset against real endpoints.
    """

    unusual_whales_url: str = default("unusual_whales_url")
    iqfeed_host: str = default("iqfeed_host")
    iqfeed_port: int = default("iqfeed_port")
    binance_url: str = default("binance_url")
    binance_futures_url: str = default("binance_futures_url")
    bybit_url: str = default("bybit_url")
    mexc_url: str = default("mexc_url")
    coinbase_url: str = default("coinbase_url")
    fred_url: str = default("fred_url")
    yahoo_url: str = default("yahoo_url")
    unusual_whales_token: str | None = None
    fred_api_key: str | None = None
    crypto_trades_venue: str = default("crypto_trades_venue")
    open_interest_venue: str = default("open_interest_venue")
    requests_per_second: float | None = None

    def __post_init__(self) -> None:
        if self.crypto_trades_venue not in CRYPTO_TRADES_VENUES:
            raise ValueError(
                f"crypto_trades_venue={self.crypto_trades_venue!r}; "
                f"expected one of {CRYPTO_TRADES_VENUES}"
            )
        if self.open_interest_venue not in OPEN_INTEREST_VENUES:
            raise ValueError(
                f"open_interest_venue={self.open_interest_venue!r}; "
                f"expected one of {OPEN_INTEREST_VENUES}"
            )

    def __repr__(self) -> str:
        # the dataclass repr would print the credentials
        return (
            f"LiveConfig(crypto_trades_venue={self.crypto_trades_venue!r}, "
            f"open_interest_venue={self.open_interest_venue!r})"
        )

    def provider_of(self, source: Source) -> str:
        """The real provider serving ``source`` under this configuration."""
        src = Source(source)
        if src == Source.CRYPTO_TRADES:
            return self.crypto_trades_venue
        if src == Source.CRYPTO_OPEN_INTEREST:
            return self.open_interest_venue
        return FIXED_PROVIDERS[src]


def _required(value: str | None, setting: str, provider: str, source: Source) -> str:
    if not value:
        raise ValueError(
            f"MarketData.{setting} is not set, but provider 'live' needs it: {source.value} "
            f"comes from {provider} (set it with dg.EnvVar, e.g. through the environment)"
        )
    return value


def build_client(
    provider: str, config: LiveConfig, universe: Universe, source: Source
) -> RealClient:
    """A new client of ``provider``; ``source`` only names what needed it in errors."""
    pace: dict[str, Any] = {}
    if config.requests_per_second is not None:
        pace["requests_per_second"] = config.requests_per_second
    builders: dict[str, Callable[[], RealClient]] = {
        "unusual_whales": lambda: UnusualWhalesClient(
            config.unusual_whales_url,
            token=_required(config.unusual_whales_token, "unusual_whales_token", provider, source),
            **pace,
        ),
        "iqfeed": lambda: IQFeedClient(config.iqfeed_host, config.iqfeed_port),
        "binance": lambda: BinanceClient(
            config.binance_url, futures_url=config.binance_futures_url, **pace
        ),
        "bybit": lambda: BybitClient(config.bybit_url, **pace),
        "mexc": lambda: MexcClient(config.mexc_url, **pace),
        "coinbase": lambda: CoinbaseClient(config.coinbase_url, **pace),
        "fred": lambda: FredClient(
            config.fred_url,
            api_key=_required(config.fred_api_key, "fred_api_key", provider, source),
            frequencies=universe.economic,
            **pace,
        ),
        "yahoo": lambda: YahooClient(config.yahoo_url, asset_classes=universe.daily_ohlcv, **pace),
    }
    if provider not in builders:
        raise ValueError(f"unknown real provider {provider!r}; expected one of {list(builders)}")
    return builders[provider]()


class LiveMarket:
    """Routes each source to its configured real client, built on first use, kept until
    :meth:`close`. One instance per run: its counters are the run's."""

    name = "live"

    def __init__(self, config: LiveConfig, universe: Universe) -> None:
        self.config = config
        self.universe = universe
        self._clients: dict[str, RealClient] = {}

    def __repr__(self) -> str:
        return f"LiveMarket({self.config!r}, open clients={sorted(self._clients)})"

    def client_for(self, source: Source) -> RealClient:
        """The client serving ``source``, built the first time it is asked for."""
        src = Source(source)
        return self._client_named(self.config.provider_of(src), src)

    def fetch(
        self, source: Source, start: pd.Timestamp, end: pd.Timestamp, symbols: Sequence[str]
    ) -> pd.DataFrame:
        return self.client_for(source).fetch(source, start, end, symbols)

    def venue_open_interest(
        self,
        start: pd.Timestamp,
        end: pd.Timestamp,
        symbols: Sequence[str],
        venues: Sequence[str] = CROSS_VENUES,
    ) -> pd.DataFrame:
        """Each venue's open interest in [start, end) from its own client, one frame sorted by
        (symbol, ts, venue). A venue that cannot serve the window (Binance beyond its 30 days,
        MEXC anything but the current ticker) is left out with a warning: the other venues
        still compare; when none can, the last error is raised."""
        frames, failed = [], None
        for venue in venues:
            client = self._client_named(venue, Source.CRYPTO_OPEN_INTEREST)
            try:
                frames.append(client.fetch(Source.CRYPTO_OPEN_INTEREST, start, end, symbols))
            except ProviderError as error:
                LOGGER.warning("cross-venue open interest without %s: %s", venue, error)
                failed = error
        if not any(len(f) for f in frames) and failed is not None:
            raise failed
        frame = pd.concat([f for f in frames if len(f)] or frames[:1], ignore_index=True)
        order = {v: i for i, v in enumerate(venues)}
        rank = frame["venue"].astype(str).map(order)
        frame = frame.assign(_rank=rank).sort_values(["symbol", "ts", "_rank"], kind="stable")
        frame = frame.drop(columns="_rank").reset_index(drop=True)
        frame["symbol"] = frame["symbol"].astype(str).astype(pd.CategoricalDtype(sorted(symbols)))
        frame["venue"] = frame["venue"].astype(str).astype(pd.CategoricalDtype(list(venues)))
        return frame

    def _client_named(self, provider: str, source: Source) -> RealClient:
        if provider not in self._clients:
            self._clients[provider] = build_client(provider, self.config, self.universe, source)
        return self._clients[provider]

    @property
    def oi_cadence_seconds(self) -> int:
        """The sample spacing the configured open-interest venue serves (its client says)."""
        client = self.client_for(Source.CRYPTO_OPEN_INTEREST)
        if not isinstance(client, OpenInterestSeries):
            raise TypeError(f"{client.name} serves open interest but declares no cadence")
        return client.oi_cadence_seconds

    def stats_by_provider(self) -> dict[str, FetchStats]:
        """A snapshot of each built client's counters (copies: later requests don't move them)."""
        return {name: FetchStats(**c.stats.as_dict()) for name, c in self._clients.items()}

    def close(self) -> None:
        """Close every client; the market may be used again (clients are rebuilt on demand)."""
        clients, self._clients = self._clients, {}
        for client in clients.values():
            close = getattr(client, "close", None)
            if close is not None:
                close()

    def __enter__(self) -> LiveMarket:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
