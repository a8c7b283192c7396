"""Dagster resources: provider choice, simulated-market knobs, store locations, universe.

Every field has a default that makes embedded mode work with no setting at all; the defaults
read environment variables (see :mod:`vvv_pipeline.settings`) at definition time.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import dagster as dg
import pandas as pd
from pydantic import Field

from vvv_pipeline.providers.base import MarketDataProvider, Source
from vvv_pipeline.providers.simulated import (
    FAULT_KINDS,
    SCALE_PRESETS,
    Fault,
    SimulatedMarket,
    SimulationConfig,
)
from vvv_pipeline.storage.arctic import ArcticStore
from vvv_pipeline.storage.quarantine import QuarantineStore
from vvv_pipeline.tiers.expectations import ExpectationsRun, run_expectations
from vvv_pipeline.universe import Universe, load_universe

PROVIDERS = ("simulated",)


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
    """Serves every source asset; assets never know which provider is behind it."""

    provider: str = Field(default="simulated", description=f"one of {PROVIDERS}")
    seed: int = Field(default=20240601, description="simulated market seed")
    scale: str = Field(
        default="default",
        description=f"simulated density preset: {', '.join(SCALE_PRESETS)}",
    )
    ticks_per_session: int | None = Field(
        default=None, description="equity trades per symbol-session; overrides the preset"
    )
    crypto_trades_per_hour: int | None = Field(
        default=None, description="crypto trades per symbol-hour; overrides the preset"
    )
    faults: list[FaultSpec] = Field(default_factory=list, description="injected defects")

    def simulation_config(self) -> SimulationConfig:
        if self.scale not in SCALE_PRESETS:
            raise ValueError(
                f"MarketData.scale={self.scale!r}; expected one of {list(SCALE_PRESETS)}"
            )
        ticks, crypto = SCALE_PRESETS[self.scale]
        return SimulationConfig(
            seed=self.seed,
            ticks_per_session=self.ticks_per_session or ticks,
            crypto_trades_per_hour=self.crypto_trades_per_hour or crypto,
            faults=tuple(Fault(**spec.model_dump()) for spec in self.faults),
        )

    def client(self, universe: Universe) -> MarketDataProvider:
        if self.provider == "simulated":
            return SimulatedMarket(self.simulation_config(), universe)
        raise ValueError(f"MarketData.provider={self.provider!r}; expected one of {PROVIDERS}")

    def fetch(
        self,
        source: Source,
        start: pd.Timestamp,
        end: pd.Timestamp,
        symbols: Sequence[str],
        universe: Universe,
    ) -> pd.DataFrame:
        return self.client(universe).fetch(source, start, end, symbols)


class ArcticDB(dg.ConfigurableResource):
    """The ArcticDB store (``lmdb://`` under the data directory by default; S3 in production)."""

    uri: str = Field(description="ArcticDB URI, e.g. lmdb:///abs/path or s3://host:bucket?...")

    def store(self) -> ArcticStore:
        return ArcticStore(self.uri)


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
    docs_dir: str = Field(description="folder of the GX context and its data docs")

    def quarantine(self) -> QuarantineStore:
        return QuarantineStore(self.quarantine_uri)

    def expect(
        self, frame: pd.DataFrame, source: str, label: str, symbols: Sequence[str]
    ) -> ExpectationsRun:
        return run_expectations(frame, source, label, Path(self.docs_dir), symbols=symbols)
