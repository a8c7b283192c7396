"""``crypto_cross_venue``: the pairs' open interest across Binance, Bybit and MEXC per New York day.

The ``crypto_open_interest`` source stores one venue; comparing venues needs each venue's
samples of the same day side by side. The asset asks the market-data resource for them one
New York day at a time (a day at a time bounds memory): the simulated market's three venues
(Binance's rows are the source's own), or live each venue's own client, where a venue that
cannot serve the day is left out and the rows say how many venues reported. It computes with
:mod:`vvv_pipeline.analytics.cross_venue` and replaces its window of ``analytics_cross_venue``:
``{PAIR}`` (the day's summary), ``{PAIR}/venues`` (one row per venue) and ``{PAIR}/oi`` (the
summed open interest and shares per minute). Each partition's materialization carries the
day's total value, top venue, leader and widest basis over all pairs.
"""

import dagster as dg
import pandas as pd

from vvv_pipeline.analytics.cross_venue import (
    DIVERGENCE_BPS,
    aggregate_open_interest,
    cross_venue_days,
)
from vvv_pipeline.defs.assets.derive import (
    CRYPTO_OI_DEP,
    derive,
    derived_asset,
    partition_window,
    per_symbol,
)
from vvv_pipeline.defs.assets.frames_io import day_rows_to_series
from vvv_pipeline.defs.partitions import calendar_day_partitions
from vvv_pipeline.defs.resources import ArcticDB, MarketData, UniverseFile
from vvv_pipeline.storage.derived import CROSS_VENUE

DESCRIPTION = (
    "Cross-venue open interest of each crypto pair on Binance, Bybit and MEXC per New York day "
    "(the venues' samples from the market-data provider: simulated venues with basis, "
    "lead-lag and their own shares, or each venue's live client, a venue that cannot serve the "
    "day left out): open interest summed over the venues and each venue's share per minute, "
    "the basis of each venue against the reference venue (largest open-interest value) in bps, "
    "one-minute return correlation (whole day and rolling 60 minutes), lead-lag from the "
    "cross-correlation peak of 5-second returns, and the minutes where some venue's basis "
    f"exceeds {DIVERGENCE_BPS:g} bps (docs: analytics). ArcticDB `analytics_cross_venue`: "
    "`{PAIR}` (daily summary), `{PAIR}/venues` (one row per venue and day), `{PAIR}/oi` (per "
    "minute)."
)


def _text(value: object) -> dg.MetadataValue:
    return dg.MetadataValue.text(str(value))


def _number(value: float, digits: int = 2) -> dg.MetadataValue:
    if pd.isna(value):
        return dg.MetadataValue.text("n/a")
    return dg.MetadataValue.float(round(float(value), digits))


def day_metadata(summary: pd.DataFrame) -> dict[str, dg.MetadataValue]:
    """One day's figures over all pairs: what the partition's materialization shows."""
    if summary.empty:
        return {"cross_venue": dg.MetadataValue.text("no venue served open interest that day")}
    widest = summary.loc[summary["max_abs_basis_bps"].idxmax()]
    table = "\n".join(
        [
            "| pair | venues | top venue | share | leader | lead s | min corr | max basis bps |",
            "| --- | ---: | --- | ---: | --- | ---: | ---: | ---: |",
            *(
                f"| {r.symbol} | {r.venues} | {r.top_venue} | {r.top_share:.3f} | {r.leader} "
                f"| {r.lead_seconds:g} | {r.min_return_corr:.3f} | {r.max_abs_basis_bps:.1f} |"
                for r in summary.itertuples(index=False)
            ),
        ]
    )
    return {
        "open_interest_value_usd": _number(summary["open_interest_value_last"].sum(), 0),
        "venues": dg.MetadataValue.int(int(summary["venues"].max())),
        "max_abs_basis_bps": _number(widest["max_abs_basis_bps"]),
        "widest_basis_pair": _text(widest["symbol"]),
        "divergence_minutes": dg.MetadataValue.int(int(summary["divergence_minutes"].sum())),
        "pairs": dg.MetadataValue.md(table),
    }


def _joined(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The days' frames end to end (a day without rows adds none, not its empty columns)."""
    filled = [part for part in parts if len(part)]
    return pd.concat(filled, ignore_index=True) if filled else parts[0]


@derived_asset(
    "crypto_cross_venue",
    calendar_day_partitions(),
    [CRYPTO_OI_DEP],
    "analytics",
    DESCRIPTION,
    CROSS_VENUE,
    {"arcticdb", "pandas"},
)
def crypto_cross_venue(
    context: dg.AssetExecutionContext,
    arctic: ArcticDB,
    universe: UniverseFile,
    market: MarketData,
) -> dg.MaterializeResult:
    loaded = universe.load()
    symbols = list(loaded.crypto)
    partitions_def = context.assets_def.partitions_def
    summaries: dict[str, pd.DataFrame] = {}

    def compute(chunk: list[str], _window: tuple) -> dict[str, pd.DataFrame]:
        days, venues, minutes = [], [], []
        for key in chunk:
            samples = market.venue_open_interest(
                *partition_window(partitions_def, key), symbols, loaded
            )
            summary, per_venue = cross_venue_days(samples)
            summaries[key] = summary
            days.append(summary)
            venues.append(per_venue)
            minutes.append(aggregate_open_interest(samples))
        summary, per_venue, aggregate = (_joined(parts) for parts in (days, venues, minutes))
        return (
            day_rows_to_series(summary, symbols)
            | day_rows_to_series(per_venue, symbols, "/venues")
            | per_symbol(aggregate, symbols, "/oi")
        )

    return derive(
        context,
        arctic,
        CROSS_VENUE,
        compute,
        lambda key: day_metadata(summaries.get(key, pd.DataFrame())),
    )
