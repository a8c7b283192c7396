"""Asset jobs, one per partitions definition (a run has exactly one partition or range)."""

from __future__ import annotations

import dagster as dg

SESSION_SOURCES = ("equity_ticks", "darkpool_prints", "options_flow", "daily_ohlcv")
SESSION_DERIVED = ("equity_time_bars", "equity_metadata_tier1", "equity_metadata_tier2")
CALENDAR_DAY_SOURCES = ("news_headlines", "economic_series")
CALENDAR_DAY_DERIVED = ("crypto_time_bars",)
HOURLY_SOURCES = ("crypto_trades", "crypto_open_interest")

session_sources_job = dg.define_asset_job(
    "session_sources_job",
    selection=dg.AssetSelection.assets(*SESSION_SOURCES, *SESSION_DERIVED),
    description="Equity-session sources (ticks, dark pool, options flow, daily OHLCV) and the "
    "bars and metadata tiers derived from the ticks.",
)
calendar_day_sources_job = dg.define_asset_job(
    "calendar_day_sources_job",
    selection=dg.AssetSelection.assets(*CALENDAR_DAY_SOURCES, *CALENDAR_DAY_DERIVED),
    description="Calendar-day sources (news, economic releases) and the day's crypto bars "
    "(run it after the hourly crypto sources of that day).",
)
hourly_sources_job = dg.define_asset_job(
    "hourly_sources_job",
    selection=dg.AssetSelection.assets(*HOURLY_SOURCES),
    description="Hourly 24/7 crypto sources: trades and open interest.",
)

SOURCE_JOBS = (session_sources_job, calendar_day_sources_job, hourly_sources_job)
