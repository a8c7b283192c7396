"""The rehearsal's provider: the simulated market, down while the clock is in an outage."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from vvv_pipeline.defs.automation.clock import now_utc
from vvv_pipeline.defs.resources import FaultSpec, MarketData
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.errors import RetryableError
from vvv_pipeline.universe import Universe
from vvv_pipeline_tests.operations.scenario import CRYPTO_TRADES_PER_HOUR, OUTAGE, TIER1_FAILURE


class RehearsalMarket(MarketData):
    """:class:`MarketData` whose every request fails with HTTP 503 during the outage window."""

    outage_start: str | None = None
    outage_end: str | None = None

    def fetch(
        self,
        source: Source,
        start: pd.Timestamp,
        end: pd.Timestamp,
        symbols: Sequence[str],
        universe: Universe,
    ) -> pd.DataFrame:
        if self.outage_start and self.outage_end:
            now = now_utc()
            if pd.Timestamp(self.outage_start) <= now < pd.Timestamp(self.outage_end):
                raise RetryableError(
                    "simulated", f"/{source.value}", f"HTTP 503 at {now:%Y-%m-%d %H:%M} UTC"
                )
        return super().fetch(source, start, end, symbols, universe)


def rehearsal_market() -> RehearsalMarket:
    """Tiny density (crypto a little denser), the outage, and crossed quotes in one session's
    dark-pool prints."""
    source, session = TIER1_FAILURE
    day = pd.Timestamp(session, tz="America/New_York")
    return RehearsalMarket(
        scale="tiny",
        crypto_trades_per_hour=CRYPTO_TRADES_PER_HOUR,
        outage_start=OUTAGE[0].isoformat(),
        outage_end=OUTAGE[1].isoformat(),
        faults=[
            FaultSpec(
                kind="crossed_quote",
                source=source,
                start=day.tz_convert("UTC").isoformat(),
                end=(day + pd.Timedelta(days=1)).tz_convert("UTC").isoformat(),
                count=2,
            )
        ],
    )
