"""Dagster resources: provider choice, simulated-market knobs, store locations, universe.

Every field has a default that makes embedded mode work with no setting at all; the
definitions build them from the settings (:mod:`vvv_pipeline.settings`) at definition time.
Credentials of the live providers are meant to arrive as ``dg.EnvVar`` so their values stay out
of run config, the event log and the UI (:func:`market_from_env`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import get_args

import dagster as dg
import pandas as pd
from pydantic import Field, PrivateAttr

from vvv_pipeline import settings
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.live.http import FetchStats
from vvv_pipeline.providers.live.market import (
    CRYPTO_TRADES_VENUES,
    OPEN_INTEREST_VENUES,
    LiveConfig,
    LiveMarket,
)
from vvv_pipeline.providers.simulated import (
    FAULT_KINDS,
    SCALE_PRESETS,
    Fault,
    SimulatedMarket,
    SimulationConfig,
)
from vvv_pipeline.storage.arctic import ArcticStore
from vvv_pipeline.storage.quarantine import QuarantineStore
from vvv_pipeline.storage.tick_cache import MIB, TICK_CACHE
from vvv_pipeline.universe import Universe, load_universe
from vvv_pipeline.validation.expectations import ExpectationsRun
from vvv_pipeline.validation.expectations_helper import expect

PROVIDERS: tuple[str, ...] = get_args(settings.ProviderName)
LIVE_DEFAULTS = LiveConfig()


class FaultSpec(dg.Config):
    """One injected defect of the simulated market (see the README's fault table)."""

    kind: str = Field(description=f"one of {', '.join(FAULT_KINDS)}")
    source: str = Field(description="source name, e.g. equity_ticks")
    symbol: str | None = Field(default=None, description="one symbol, or every symbol if unset")
    start: str | None = Field(
        default=None, description="ISO time; limits the fault to [start, end)"
    )
    end: str | None = Field(default=None, description="ISO time; end of the fault window")
    count: int = Field(default=5, description="bad rows per affected symbol and unit")


class MarketData(dg.ConfigurableResource):
    """Serves every source asset; assets never know which provider is behind it.

    ``simulated`` is the offline market; ``live`` routes each source to its real client
    (:class:`~vvv_pipeline.providers.live.market.LiveMarket`), built once per run on first fetch and
    closed when the run's step ends, so a run shares connections and counts its requests.
    """

    provider: str = Field(default=settings.default("provider"), description=f"one of {PROVIDERS}")
    seed: int = Field(default=20240601, description="simulated market seed")
    scale: str = Field(
        default=settings.default("scale"),
        description=f"simulated density preset: {', '.join(SCALE_PRESETS)}",
    )
    ticks_per_session: int | None = Field(
        default=None, description="equity trades per symbol-session; overrides the preset"
    )
    crypto_trades_per_hour: int | None = Field(
        default=None, description="crypto trades per symbol-hour; overrides the preset"
    )
    faults: list[FaultSpec] = Field(default_factory=list, description="injected defects")
    unusual_whales_url: str = Field(default=LIVE_DEFAULTS.unusual_whales_url)
    iqfeed_host: str = Field(default=LIVE_DEFAULTS.iqfeed_host, description="IQConnect host")
    iqfeed_port: int = Field(default=LIVE_DEFAULTS.iqfeed_port, description="Lookup port")
    binance_url: str = Field(default=LIVE_DEFAULTS.binance_url, description="spot API")
    binance_futures_url: str = Field(
        default=LIVE_DEFAULTS.binance_futures_url, description="USD-M futures API"
    )
    bybit_url: str = Field(default=LIVE_DEFAULTS.bybit_url)
    mexc_url: str = Field(default=LIVE_DEFAULTS.mexc_url)
    coinbase_url: str = Field(default=LIVE_DEFAULTS.coinbase_url)
    fred_url: str = Field(default=LIVE_DEFAULTS.fred_url)
    yahoo_url: str = Field(default=LIVE_DEFAULTS.yahoo_url)
    unusual_whales_token: str | None = Field(
        default=None,
        repr=False,
        description="Unusual Whales API token; set with dg.EnvVar (live dark pool/flow/news)",
    )
    fred_api_key: str | None = Field(
        default=None,
        repr=False,
        description="FRED API key; set with dg.EnvVar (live economic_series)",
    )
    crypto_trades_venue: str = Field(
        default=LIVE_DEFAULTS.crypto_trades_venue,
        description=f"live crypto_trades from {CRYPTO_TRADES_VENUES}",
    )
    open_interest_venue: str = Field(
        default=LIVE_DEFAULTS.open_interest_venue,
        description=f"live crypto_open_interest from {OPEN_INTEREST_VENUES}",
    )
    requests_per_second: float | None = Field(
        default=None,
        description="replaces every live HTTP client's own pace (local fake servers only)",
    )
    _live: LiveMarket | None = PrivateAttr(default=None)

    def simulation_config(self) -> SimulationConfig:
        if self.scale not in SCALE_PRESETS:
            raise settings.SettingsError(
                f"MarketData.scale={self.scale!r}; expected one of {list(SCALE_PRESETS)}"
            )
        ticks, crypto = SCALE_PRESETS[self.scale]
        return SimulationConfig(
            seed=self.seed,
            ticks_per_session=self.ticks_per_session or ticks,
            crypto_trades_per_hour=self.crypto_trades_per_hour or crypto,
            faults=tuple(Fault(**spec.model_dump()) for spec in self.faults),
        )

    def live_config(self) -> LiveConfig:
        fields = LiveConfig.__dataclass_fields__
        return LiveConfig(**{name: getattr(self, name) for name in fields})

    def client(self, universe: Universe) -> SimulatedMarket | LiveMarket:
        """A new provider over ``universe``; the caller closes a live one."""
        if self.provider == "simulated":
            return SimulatedMarket(self.simulation_config(), universe)
        if self.provider == "live":
            return LiveMarket(self.live_config(), universe)
        raise ValueError(f"MarketData.provider={self.provider!r}; expected one of {PROVIDERS}")

    def market(self, universe: Universe) -> SimulatedMarket | LiveMarket:
        """The provider a fetch goes to: a new simulated market (it holds no state), or the
        run's live market, built on first use and kept so a run shares its connections."""
        if self.provider != "live":
            return self.client(universe)
        if self._live is None or self._live.universe != universe:
            self.close_live()
            self._live = LiveMarket(self.live_config(), universe)
        return self._live

    def fetch(
        self,
        source: Source,
        start: pd.Timestamp,
        end: pd.Timestamp,
        symbols: Sequence[str],
        universe: Universe,
    ) -> pd.DataFrame:
        return self.market(universe).fetch(source, start, end, symbols)

    def venue_open_interest(
        self, start: pd.Timestamp, end: pd.Timestamp, symbols: Sequence[str], universe: Universe
    ) -> pd.DataFrame:
        """Open interest and mark price of each cross-venue venue (Binance, Bybit, MEXC) in
        [start, end): ``crypto_open_interest`` columns, sorted by (symbol, ts, venue)."""
        return self.market(universe).venue_open_interest(start, end, symbols)

    def oi_cadence_seconds(self, universe: Universe) -> int:
        """Seconds between the open-interest samples the configured provider serves.

        Tier 3 expects one sample per symbol at each multiple of this and the source asset
        records it (``oi_cadence_seconds``): 5 simulated, 300 from Binance or Bybit by default.
        """
        return self.market(universe).oi_cadence_seconds

    def provider_stats(self) -> dict[str, FetchStats]:
        """Counters of the live clients used so far in this run; empty when simulated."""
        return self._live.stats_by_provider() if self._live is not None else {}

    def close_live(self) -> None:
        if self._live is not None:
            self._live.close()
            self._live = None

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self.close_live()


SECRET_FIELDS = ("unusual_whales_token", "fred_api_key")
"""``MarketData`` credentials: a set variable is passed by name (``dg.EnvVar``), never by value."""
LIVE_FIELDS = tuple(
    name
    for name in LiveConfig.__dataclass_fields__
    if name in settings.Settings.model_fields and name not in SECRET_FIELDS
)
"""Plain ``MarketData`` fields of the live provider whose defaults ``VVV_*`` variables override."""


def market_from_env(environ: Mapping[str, str] | None = None) -> MarketData:
    """``MarketData`` from the settings (:func:`vvv_pipeline.settings.current`); credentials
    become ``dg.EnvVar`` references.

    The provider, the scale, the endpoints and venues of the live provider come from their
    ``VVV_*`` variables. A credential variable that is unset leaves the field unset (live fails
    only for the sources that need it); a set one is passed by name, so its value is read at
    run time.
    """
    current = settings.current(environ)
    fields: dict[str, object] = {"provider": current.provider, "scale": current.scale}
    fields.update({name: getattr(current, name) for name in LIVE_FIELDS})
    for name in SECRET_FIELDS:
        if getattr(current, name) is not None:
            fields[name] = dg.EnvVar(settings.variable(name))
    return MarketData(**fields)


class ArcticDB(dg.ConfigurableResource):
    """The ArcticDB store (``lmdb://`` under the data directory by default; S3 in production).

    Its lifetime is the tick cache's scope (:mod:`vvv_pipeline.storage.tick_cache`): the whole
    run with the in-process executor (``vvv-pipeline run``, ``execute_in_process``), so the
    tick partitions a source wrote or a derived asset read are not read again by the run's
    other derived assets; one step with the multiprocess executor, where each step reads.
    """

    uri: str = Field(description="ArcticDB URI, e.g. lmdb:///abs/path or s3://host:bucket?...")
    tick_cache_mb: float = Field(
        default=settings.default("tick_cache_mb"),
        ge=0,
        description="MiB of tick partitions a run keeps in memory for its derived assets (0: off)",
    )

    def store(self) -> ArcticStore:
        return ArcticStore(self.uri)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        TICK_CACHE.open(int(self.tick_cache_mb * MIB))

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        stats = TICK_CACHE.stats
        if stats.hits or stats.admitted or stats.stale:
            context.log.info(
                f"tick cache: {stats.hits} partition reads served from memory, "
                f"{stats.stale} stale entries not served, {stats.admitted} kept, "
                f"{stats.refused} not kept (cap {self.tick_cache_mb:g} MiB), "
                f"peak {stats.peak_bytes / MIB:.0f} MiB"
            )
        TICK_CACHE.close()


class UniverseFile(dg.ConfigurableResource):
    """The instrument universe (``data/universe.toml`` by default)."""

    path: str = Field(description="path of the universe TOML file")

    def load(self) -> Universe:
        return load_universe(Path(self.path))


class Validation(dg.ConfigurableResource):
    """Where tier-1 rejected rows go, and whether tier 4 runs the great-expectations suites."""

    quarantine_uri: str = Field(description="ArcticDB URI holding the quarantine library")
    great_expectations: bool = Field(
        default=True, description="run each source's GX suite once per run (tier 4)"
    )
    docs_dir: str = Field(
        description="folder of the GX context: suites and every run's stored result (JSON)"
    )

    def quarantine(self) -> QuarantineStore:
        return QuarantineStore(self.quarantine_uri)

    def expect(
        self, frame: pd.DataFrame, source: str, label: str, symbols: Sequence[str]
    ) -> ExpectationsRun:
        """The source's suite on ``frame``, in the command's GX helper process when one is
        open (:mod:`vvv_pipeline.validation.expectations_helper`), else here."""
        return expect(frame, source, label, Path(self.docs_dir), symbols=symbols)
