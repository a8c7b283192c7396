"""Asset jobs, one per partitions definition (a run has exactly one partition or range)."""

from __future__ import annotations

import dagster as dg

SESSION_SOURCES = ("equity_ticks", "darkpool_prints", "options_flow", "daily_ohlcv")
SESSION_DERIVED = (
    "equity_time_bars",
    "equity_event_bars",
    "equity_metadata_tier1",
    "equity_metadata_tier2",
    "equity_metadata_tier3",
    "equity_market_profile",
    "equity_price_zones",
    "equity_regime",
    "equity_velocity",
    "equity_flow",
    "equity_risk",
    "equity_portfolio",
    "equity_forecast",
    "equity_traps",
    "equity_signals",
    "daily_report",
)
CALENDAR_DAY_SOURCES = ("news_headlines", "economic_series")
CALENDAR_DAY_DERIVED = (
    "crypto_oi_windows",
    "crypto_time_bars",
    "crypto_event_bars",
    "crypto_metadata_tier1",
    "crypto_metadata_tier2",
    "crypto_metadata_tier3",
    "crypto_market_profile",
    "crypto_price_zones",
    "crypto_regime",
    "crypto_velocity",
    "crypto_oi_spikes",
    "crypto_cross_venue",
    "crypto_traps",
    "crypto_signals",
    "crypto_daily_report",
)
HOURLY_SOURCES = ("crypto_trades", "crypto_open_interest")

JOB_ASSETS: dict[str, tuple[str, ...]] = {
    "session_sources_job": (*SESSION_SOURCES, *SESSION_DERIVED),
    "calendar_day_sources_job": (*CALENDAR_DAY_SOURCES, *CALENDAR_DAY_DERIVED),
    "hourly_sources_job": HOURLY_SOURCES,
    "coverage_report_job": ("coverage_report",),
}
"""The assets each job materializes (a whole-job run records no asset selection of its own)."""


def _asset_job(name: str, description: str) -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        name, selection=dg.AssetSelection.assets(*JOB_ASSETS[name]), description=description
    )


session_sources_job = _asset_job(
    "session_sources_job",
    "Equity-session sources (ticks, dark pool, options flow, daily OHLCV) and the "
    "bars and metadata tiers derived from them (run it after the calendar-day job of the same "
    "days: metadata tier 3 reads that day's news).",
)
calendar_day_sources_job = _asset_job(
    "calendar_day_sources_job",
    "Calendar-day sources (news, economic releases) and the day's crypto bars, "
    "open-interest windows and metadata tiers (run it after the hourly crypto sources of that "
    "day).",
)
hourly_sources_job = _asset_job(
    "hourly_sources_job", "Hourly 24/7 crypto sources: trades and open interest."
)
coverage_report_job = _asset_job(
    "coverage_report_job",
    "The coverage heatmap of every source over the last 30 days (unpartitioned).",
)

SOURCE_JOBS = (session_sources_job, calendar_day_sources_job, hourly_sources_job)
JOBS = (*SOURCE_JOBS, coverage_report_job)
