"""The live streams as external assets: ``crypto_trade_stream/<venue>``,
``crypto_open_interest_stream/<venue>``, ``equity_tick_stream/iqfeed``.

A collector (``vvv-pipeline stream crypto|equities``) is not a Dagster run, so its stream is an
asset Dagster does not compute: an :class:`~dagster.AssetSpec` whose events the
``stream_status`` sensor reports (:mod:`vvv_pipeline.defs.automation.streams`). One
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

from vvv_pipeline.calendars import EXCHANGE_TZ
from vvv_pipeline.defs.assets.sources import OWNERS
from vvv_pipeline.settings import MONITORED_STREAMS, stream_venue

STREAM_ASSET_PREFIXES = {
    "crypto_trades": "crypto_trade_stream",
    "crypto_open_interest": "crypto_open_interest_stream",
    "equity_ticks": "equity_tick_stream",
}
"""The first part of a stream asset's key, by the source the stream feeds."""
STATUS_SENSOR_SECONDS = 30
"""How often the status sensor reads the collectors' status files."""


def stream_key(stream: str) -> dg.AssetKey:
    """``<prefix of its source>/<venue>`` of a monitored stream (``VVV_STREAM_VENUES``)."""
    return dg.AssetKey([STREAM_ASSET_PREFIXES[MONITORED_STREAMS[stream]], stream_venue(stream)])


def is_stream_asset(key: dg.AssetKey) -> bool:
    return len(key.path) == 2 and key.path[0] in STREAM_ASSET_PREFIXES.values()


def stream_freshness(stall_seconds: float) -> dg.FreshnessPolicy:
    """Fails after the stall threshold plus two sensor intervals without new frames."""
    window = max(60.0, stall_seconds + 2 * STATUS_SENSOR_SECONDS)
    return dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(seconds=window))


SESSION_FRESHNESS = dg.FreshnessPolicy.cron(
    deadline_cron="0 16 * * 1-5",
    lower_bound_delta=dt.timedelta(hours=6, minutes=30),
    timezone=EXCHANGE_TZ,
)
"""The equity stream's badge: new frames reported between 9:30 and 16:00 New York each weekday
(a time window would fail every night). A weekday holiday fails it until the next session."""


REPORTED = (
    "Updated by the `stream_status` sensor from the collector's status file: each event carries "
    "the stream's health, its lag per instrument, rows staged, reconnects and gaps; a "
    "materialization means new frames arrived since the previous report."
)


def _crypto_spec(venue: str, stall_seconds: float) -> dg.AssetSpec:
    return dg.AssetSpec(
        stream_key(venue),
        description=(
            f"The live {venue} crypto trade stream: what `vvv-pipeline stream crypto --venue "
            f"{venue}` stages into ArcticDB's `tick_stream` library as it arrives, before the "
            f"hourly `crypto_trades` partitions finalize it. {REPORTED}"
        ),
        group_name="sources",
        kinds={"websocket", "arcticdb"},
        owners=OWNERS,
        tags={"layer": "source", "asset_class": "crypto", "store": "arcticdb"},
        freshness_policy=stream_freshness(stall_seconds),
    )


def _equity_spec(venue: str, _stall_seconds: float) -> dg.AssetSpec:
    return dg.AssetSpec(
        stream_key(venue),
        description=(
            "The live IQFeed Level 1 trade stream of the universe's equities: what "
            "`vvv-pipeline stream equities` stages into ArcticDB's `tick_stream` library as it "
            "arrives, beside the `equity_ticks` session partitions (which still fetch the whole "
            f"session from the Lookup socket). {REPORTED} A stream is only expected to deliver "
            "while its instruments trade: outside the session (and extended hours) it reads as "
            "stalled."
        ),
        group_name="sources",
        kinds={"iqfeed", "arcticdb"},
        owners=OWNERS,
        tags={"layer": "source", "asset_class": "equity", "store": "arcticdb"},
        freshness_policy=SESSION_FRESHNESS,
    )


def _open_interest_spec(stream: str, stall_seconds: float) -> dg.AssetSpec:
    venue = stream_venue(stream)
    how = "Bybit's linear tickers" if venue == "bybit" else "Binance's USD-M REST, polled"
    counted = "ticker frames" if venue == "bybit" else "polls"
    return dg.AssetSpec(
        stream_key(stream),
        description=(
            f"The live {venue} open-interest stream ({how}): what `vvv-pipeline stream "
            f"open-interest --venue {venue}` stages into ArcticDB's `tick_stream` library, "
            "before the hourly `crypto_open_interest` partitions finalize it (with "
            f"`VVV_STREAM_CRYPTO_OPEN_INTEREST=1`). {REPORTED} What its counters and pairs table "
            f"call trades are its {counted}."
        ),
        group_name="sources",
        kinds={"websocket" if venue == "bybit" else "rest", "arcticdb"},
        owners=OWNERS,
        tags={"layer": "source", "asset_class": "crypto", "store": "arcticdb"},
        freshness_policy=stream_freshness(stall_seconds),
    )


SPECS = {
    "crypto_trades": _crypto_spec,
    "crypto_open_interest": _open_interest_spec,
    "equity_ticks": _equity_spec,
}
"""The asset spec of a monitored stream, by the source it streams."""


def stream_asset_specs(streams: tuple[str, ...], stall_seconds: float) -> list[dg.AssetSpec]:
    """One asset per monitored stream, in the order given."""
    return [SPECS[MONITORED_STREAMS[stream]](stream, stall_seconds) for stream in streams]
