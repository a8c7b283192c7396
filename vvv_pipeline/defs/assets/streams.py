"""The live crypto trade streams as external assets: ``crypto_trade_stream/<venue>``.

A collector (``vvv-pipeline stream crypto``) is not a Dagster run, so its stream is an asset
Dagster does not compute: an :class:`~dagster.AssetSpec` whose events the
``crypto_stream_status`` sensor reports (:mod:`vvv_pipeline.defs.automation.streams`). One
asset per monitored venue (``VVV_STREAM_VENUES``), so each stream has its own status page,
freshness state and lag plot. They exist only when streams are monitored: without a collector
to watch, an asset that never updates would only show a failing freshness badge.

Freshness: the sensor records a materialization each tick in which the stream delivered new
frames, so the time-window policy fails once nothing new has landed for the stall threshold
plus two sensor intervals (Dagster's freshness policies count materializations only, and
allow no window under a minute). The sensor itself alerts on a stall within a tick; the policy
is the UI's badge for it, and the freshness alert sensor leaves these assets to the stall alert.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from vvv_pipeline.defs.assets.sources import OWNERS

STREAM_ASSET_PREFIX = "crypto_trade_stream"
STATUS_SENSOR_SECONDS = 30
"""How often the status sensor reads the collectors' status files."""


def stream_key(venue: str) -> dg.AssetKey:
    return dg.AssetKey([STREAM_ASSET_PREFIX, venue])


def is_stream_asset(key: dg.AssetKey) -> bool:
    return len(key.path) == 2 and key.path[0] == STREAM_ASSET_PREFIX


def stream_freshness(stall_seconds: float) -> dg.FreshnessPolicy:
    """Fails after the stall threshold plus two sensor intervals without new frames."""
    window = max(60.0, stall_seconds + 2 * STATUS_SENSOR_SECONDS)
    return dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(seconds=window))


def stream_asset_specs(venues: tuple[str, ...], stall_seconds: float) -> list[dg.AssetSpec]:
    return [
        dg.AssetSpec(
            stream_key(venue),
            description=(
                f"The live {venue} crypto trade stream: what `vvv-pipeline stream crypto "
                f"--venue {venue}` stages into ArcticDB's `tick_stream` library as it arrives, "
                "before the hourly `crypto_trades` partitions finalize it. Updated by the "
                "`crypto_stream_status` sensor from the collector's status file: each event "
                "carries the stream's health, its lag per pair, rows staged, reconnects and "
                "gaps; a materialization means new frames arrived since the previous report."
            ),
            group_name="sources",
            kinds={"websocket", "arcticdb"},
            owners=OWNERS,
            tags={"layer": "source", "asset_class": "crypto", "store": "arcticdb"},
            freshness_policy=stream_freshness(stall_seconds),
        )
        for venue in venues
    ]
