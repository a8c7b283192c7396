"""Report assets: the daily HTML page per session and the coverage heatmap of the sources.

Pages are written under ``<data dir>/reports`` beside one shared ``plotly.min.js`` per folder
(they open offline; :mod:`vvv_pipeline.reports.pages`). Each materialization links its page as a
``file://`` URL the UI opens with a click (``report_url``) and as a path (``report``), and puts
a markdown summary in the metadata so the UI shows the gist without opening it. In a range run
each session's materialization links its own page and summary, not the range's last.
"""

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import dagster as dg
import pandas as pd
from pydantic import Field

from vvv_pipeline import settings
from vvv_pipeline.defs.assets.column_schema import (
    COLUMN_SCHEMA,
    coverage_columns,
    report_signal_columns,
    table_schema,
)
from vvv_pipeline.defs.assets.derive import OWNERS, partition_window
from vvv_pipeline.defs.assets.frames_io import read_bars, read_days, split_key, with_date
from vvv_pipeline.defs.assets.source_specs import SOURCE_SPECS
from vvv_pipeline.defs.assets.tier_results import latest_tier_results
from vvv_pipeline.defs.assets.ui_metadata import attach_per_partition
from vvv_pipeline.defs.automation.partition_status import source_gaps
from vvv_pipeline.defs.automation.policies import (
    FOLLOW_UPSTREAM,
    SESSION_FRESHNESS,
    freshness_for,
)
from vvv_pipeline.defs.coverage_report import (
    coverage_figure,
    coverage_markdown,
    write_coverage_html,
)
from vvv_pipeline.defs.jobs import SESSION_SOURCES
from vvv_pipeline.defs.partitions import calendar_day_partitions, session_partitions
from vvv_pipeline.defs.resources import ArcticDB, UniverseFile
from vvv_pipeline.forked import map_forked
from vvv_pipeline.reports.daily import report_summary_markdown, write_daily_report
from vvv_pipeline.storage.derived import (
    MARKET_PROFILE,
    OI_SPIKES,
    PORTFOLIO,
    REGIME,
    SIGNALS,
    ZONES,
    DerivedStore,
)
from vvv_pipeline.stored_columns import markdown
from vvv_pipeline.stored_columns.days import PORTFOLIO_SERIES

DISPLAY_FREQ = "5min"
PORTFOLIO_HISTORY_DAYS = 90
"""Calendar days of the portfolio's value the page charts, ending with the session."""


def reports_dir() -> Path:
    return settings.data_dir() / "reports"


def page_links(path: Path) -> dict[str, dg.MetadataValue]:
    """A page as a clickable ``file://`` URL and as the plain path (scripts read ``report``)."""
    page = path.resolve()
    return {
        "report_url": dg.MetadataValue.url(page.as_uri()),
        "report": dg.MetadataValue.path(str(page)),
    }


@dg.asset(
    partitions_def=session_partitions(),
    deps=[
        "equity_time_bars",
        "equity_market_profile",
        "equity_regime",
        "equity_signals",
        "equity_portfolio",
        "equity_price_zones",
    ],
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="reports",
    kinds={"plotly", "html"},
    owners=OWNERS,
    tags={"layer": "reports"},
    automation_condition=FOLLOW_UPSTREAM,
    freshness_policy=SESSION_FRESHNESS,
    description="One HTML page per session: 5-minute candlesticks with volume, "
    "the volume profile and value area beside the price axis, regime shading, the day's price "
    "zones as bands, dark-pool prints, "
    "the validation tiers' results of that day, the signal table and the portfolio (positions "
    "with weights, P&L and VaR/CVaR contributions; value and drawdown over the last 90 days). "
    "Written to "
    "`data/reports/daily/<session>.html` (beside `plotly.min.js`, offline) and linked from the "
    "materialization.\n\n"
    f"Columns of the page's signal table:\n\n{markdown(report_signal_columns())}",
    metadata={COLUMN_SCHEMA: dg.MetadataValue.table_schema(table_schema(report_signal_columns()))},
)
def daily_report(
    context: dg.AssetExecutionContext,
    arctic: ArcticDB,
    universe: UniverseFile,
    darkpool_prints: pd.DataFrame,
) -> dg.MaterializeResult:
    symbols = list(universe.load().equities)
    derived = DerivedStore(arctic.uri)
    folder = reports_dir() / "daily"

    def gather(key: str) -> Page:
        window = partition_window(context.assets_def.partitions_def, key)
        signals = read_days(derived, SIGNALS, symbols, *window)
        tiers = latest_tier_results(context.instance, SESSION_SOURCES, key)
        history = with_date(
            derived.read(
                PORTFOLIO,
                [PORTFOLIO_SERIES],
                window[0] - pd.Timedelta(days=PORTFOLIO_HISTORY_DAYS),
                window[1],
            ).drop(columns="key", errors="ignore")
        )
        positions = with_date(
            derived.read(PORTFOLIO, [f"{PORTFOLIO_SERIES}/positions"], *window).drop(
                columns="key", errors="ignore"
            )
        )
        page = {
            "path": folder / f"{key}.html",
            "session": key,
            "bars": read_bars(derived, symbols, DISPLAY_FREQ, *window),
            "levels": read_days(derived, MARKET_PROFILE, [f"{s}/levels" for s in symbols], *window),
            "profile": read_days(derived, MARKET_PROFILE, symbols, *window),
            "regime_bars": split_key(derived.read(REGIME, [f"{s}/bars" for s in symbols], *window)),
            "darkpool": darkpool_prints[
                (darkpool_prints["ts"] >= window[0]) & (darkpool_prints["ts"] < window[1])
            ],
            "tier_results": tiers,
            "signals": signals,
            "portfolio": history,
            "portfolio_positions": positions,
            "zones": read_days(derived, ZONES, symbols, *window),
        }
        today = history[history["date"] == pd.Timestamp(key)] if len(history) else history
        summary = report_summary_markdown(
            key,
            symbols,
            signals=signals,
            tier_results=tiers,
            portfolio=today.iloc[-1] if len(today) else None,
        )
        return page, summary

    return pages_written(
        context, drawn(context.partition_keys, gather, context.log.info, "daily report")
    )


Page = tuple[dict[str, Any], str]
"""A partition's page: :func:`write_daily_report`'s arguments, and the summary's markdown."""


def drawn(
    keys: Sequence[str], gather: Callable[[str], Page], log: Callable[[str], object], what: str
) -> list[tuple[str, Path, str]]:
    """Each partition's (key, path, summary), its page gathered here (the reads, the tier results
    from the event log) ``VVV_DERIVE_WORKERS`` partitions at a time, then drawn and written side
    by side in forked processes: Plotly's figure building is a page's cost, and pages are
    independent."""
    workers = settings.current().derive_workers
    written: list[tuple[str, Path, str]] = []
    for first in range(0, len(keys), workers):
        group = list(keys[first : first + workers])
        pages = {key: gather(key) for key in group}
        # the parts are the keys, so a failure names its partition, not the page's frames
        paths = map_forked(
            lambda key, pages=pages: write_daily_report(**pages[key][0]), group, workers
        )
        for key, path in zip(group, paths, strict=True):
            log(f"{what} {key}: {path}")
            written.append((key, path, pages[key][1]))
    return written


def pages_written(
    context: dg.AssetExecutionContext, written: list[tuple[str, Path, str]]
) -> dg.MaterializeResult:
    """Each partition's materialization links its own page and summary (one page a partition);
    the run's lists every page written."""
    attach_per_partition(
        context,
        {
            key: {
                "dagster/row_count": dg.MetadataValue.int(1),
                **page_links(path),
                "summary": dg.MetadataValue.md(summary),
            }
            for key, path, summary in written
        },
    )
    return dg.MaterializeResult(
        metadata={
            "reports_written": dg.MetadataValue.md(
                "\n".join(f"- {key}: `{path}`" for key, path, _ in written)
            ),
        }
    )


CRYPTO_REPORT_DEPS = [
    "crypto_time_bars",
    "crypto_market_profile",
    "crypto_price_zones",
    "crypto_regime",
    "crypto_oi_spikes",
    "crypto_signals",
]


@dg.asset(
    partitions_def=calendar_day_partitions(),
    deps=CRYPTO_REPORT_DEPS,
    backfill_policy=dg.BackfillPolicy.single_run(),
    group_name="reports",
    kinds={"plotly", "html"},
    owners=OWNERS,
    tags={"layer": "reports"},
    automation_condition=FOLLOW_UPSTREAM,
    freshness_policy=freshness_for(calendar_day_partitions()),
    description="One HTML page per New York day for the crypto pairs: the fused signal table "
    "(with each row's conflict rule and reason), then per pair 5-minute candlesticks with "
    "volume, the TPO/volume profile and value area beside the price axis, regime shading, the "
    "day's price zones as bands and its open-interest spikes as triangles (up: added, down: "
    "removed). Written to `data/reports/crypto/<day>.html` (beside `plotly.min.js`, offline) "
    "and linked from the materialization.\n\n"
    f"Columns of the page's signal table:\n\n{markdown(report_signal_columns('crypto'))}",
    metadata={
        COLUMN_SCHEMA: dg.MetadataValue.table_schema(table_schema(report_signal_columns("crypto")))
    },
)
def crypto_daily_report(
    context: dg.AssetExecutionContext, arctic: ArcticDB, universe: UniverseFile
) -> dg.MaterializeResult:
    pairs = list(universe.load().crypto)
    derived = DerivedStore(arctic.uri)
    folder = reports_dir() / "crypto"

    def gather(key: str) -> Page:
        window = partition_window(context.assets_def.partitions_def, key)
        signals = read_days(derived, SIGNALS, pairs, *window)
        page = {
            "path": folder / f"{key}.html",
            "session": key,
            "bars": read_bars(derived, pairs, DISPLAY_FREQ, *window),
            "levels": read_days(derived, MARKET_PROFILE, [f"{p}/levels" for p in pairs], *window),
            "profile": read_days(derived, MARKET_PROFILE, pairs, *window),
            "regime_bars": split_key(derived.read(REGIME, [f"{p}/bars" for p in pairs], *window)),
            "signals": signals,
            "zones": read_days(derived, ZONES, pairs, *window),
            "oi_spikes": split_key(
                derived.read(OI_SPIKES, [f"{p}/spikes" for p in pairs], *window)
            ),
            "title": f"Crypto daily report {key}",
            "with_tiers": False,
            "period": "New York day",
        }
        summary = report_summary_markdown(key, pairs, signals=signals, title="Crypto daily report")
        return page, summary

    return pages_written(
        context, drawn(context.partition_keys, gather, context.log.info, "crypto daily report")
    )


class CoverageConfig(dg.Config):
    lookback_days: int = Field(default=30, description="New York days covered, ending today")
    end: str | None = Field(default=None, description="last day covered (YYYY-MM-DD); today")


@dg.asset(
    deps=[spec.source.value for spec in SOURCE_SPECS],
    group_name="reports",
    kinds={"plotly", "html"},
    owners=OWNERS,
    tags={"layer": "reports"},
    description="Coverage heatmap of every source asset x partition over the last "
    "`lookback_days` New York days: materialized, missing, or failed tier 1 (hourly sources "
    "rolled up to days). Written to `data/reports/coverage.html`.\n\n"
    f"Columns of the counts table (`summary`):\n\n{markdown(coverage_columns())}",
    metadata={COLUMN_SCHEMA: dg.MetadataValue.table_schema(table_schema(coverage_columns()))},
)
def coverage_report(
    context: dg.AssetExecutionContext, config: CoverageConfig
) -> dg.MaterializeResult:
    end = pd.Timestamp(config.end) if config.end else pd.Timestamp.now(tz="America/New_York")
    end = end.tz_localize(None).normalize() if end.tzinfo else end.normalize()
    start = end - pd.Timedelta(days=config.lookback_days - 1)
    gaps = source_gaps(context.instance, start, end)
    path = write_coverage_html(
        coverage_figure(gaps, title=f"Source coverage {start:%Y-%m-%d} .. {end:%Y-%m-%d}"),
        reports_dir() / "coverage.html",
    )
    return dg.MaterializeResult(
        metadata={
            **page_links(path),
            "summary": dg.MetadataValue.md(coverage_markdown(gaps)),
            "missing_partitions": dg.MetadataValue.int(sum(len(g.missing) for g in gaps)),
            "failed_tier1_partitions": dg.MetadataValue.int(sum(len(g.failed_tier1) for g in gaps)),
        }
    )


REPORT_ASSETS = [daily_report, crypto_daily_report, coverage_report]
