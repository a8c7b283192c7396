"""Asset jobs, one per partitions definition (a run has exactly one partition or range)."""

from __future__ import annotations

import dagster as dg

SESSION_SOURCES = ("equity_ticks", "darkpool_prints", "options_flow", "daily_ohlcv")
CALENDAR_DAY_SOURCES = ("news_headlines", "economic_series")
HOURLY_SOURCES = ("crypto_trades", "crypto_open_interest")

session_sources_job = dg.define_asset_job(
    "session_sources_job",
    selection=dg.AssetSelection.assets(*SESSION_SOURCES),
    description="Equity-session sources: ticks, dark pool, options flow, daily OHLCV.",
)
calendar_day_sources_job = dg.define_asset_job(
    "calendar_day_sources_job",
    selection=dg.AssetSelection.assets(*CALENDAR_DAY_SOURCES),
    description="Calendar-day sources: news headlines and economic releases.",
)
hourly_sources_job = dg.define_asset_job(
    "hourly_sources_job",
    selection=dg.AssetSelection.assets(*HOURLY_SOURCES),
    description="Hourly 24/7 crypto sources: trades and open interest.",
)

SOURCE_JOBS = (session_sources_job, calendar_day_sources_job, hourly_sources_job)
