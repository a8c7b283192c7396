"""The daily report: one HTML page per session, its tables, its markdown gist.

The page is a title, the validation tiers' table, the signal table (both plotly tables built
here), then one section per symbol with its chart (:mod:`vvv_pipeline.reports.figures`). The
page references ``plotly.min.js`` in its folder, written once for all pages
(:mod:`vvv_pipeline.reports.pages`): a page holds only its data, about 19 KB per symbol (190 KB
for the ten default equities) instead of 5 MB, and still opens offline. A missing value in the
signal table shows as an em dash, and a component no row of the page has (open interest, for
equities) is left out rather than shown as empty cells.

The file is written to a temporary sibling, made readable (0644) and renamed into place: a
failure while a section is being built leaves the previous report (if any) untouched and no
partial file behind. Sections are streamed to that file as they are built, so a day with many
symbols never holds the whole page in memory. :func:`report_summary_markdown` is the few lines
shown in the materialization's metadata, so the UI gives the gist without opening the page.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from vvv_pipeline.reports.figures import DISPLAY_TZ, portfolio_figure, symbol_figure
from vvv_pipeline.reports.pages import figure_html, write_page

TIER_COLUMNS = ["source", "partition", "check", "tier", "passed", "severity", "summary"]
SIGNAL_COLUMNS = ["symbol", "date", "score", "confidence", "direction", "conflicts"]
SESSION_TZ = "America/New_York"
"""Clock of the session date: the XNYS session, and the crypto calendar-day partition."""
PLOT_CONFIG = {"displaylogo": False, "responsive": True}
MISSING = "\u2014"
"""An em dash: what a missing value shows as in the page's tables (plotly would print null)."""
STYLE = (
    "body{font-family:system-ui,sans-serif;margin:24px;color:#2c3e50}"
    "section{margin-top:28px}h2{border-bottom:1px solid #ddd;padding-bottom:4px}"
)


def write_daily_report(
    path: str | Path,
    session: str | dt.date | pd.Timestamp,
    bars: pd.DataFrame,
    levels: pd.DataFrame | None = None,
    profile: pd.DataFrame | None = None,
    regime_bars: pd.DataFrame | None = None,
    darkpool: pd.DataFrame | None = None,
    tier_results: pd.DataFrame | None = None,
    signals: pd.DataFrame | None = None,
    portfolio: pd.DataFrame | None = None,
    portfolio_positions: pd.DataFrame | None = None,
    zones: pd.DataFrame | None = None,
    oi_spikes: pd.DataFrame | None = None,
    *,
    title: str | None = None,
    display_tz: str = DISPLAY_TZ,
    with_tiers: bool = True,
    period: str = "Session",
) -> Path:
    """Write the report of ``session`` to the HTML file ``path`` and return ``path``.

    Frames may hold several symbols and days: those with a ``date`` column are cut to the session's
    rows, those with ``ts`` to the session's New York calendar date (the equity session, or the
    crypto day). Symbols are those with bars that day, in sorted order; a missing optional frame
    leaves its layer or table out. ``title`` defaults to :func:`report_title`.

    ``portfolio`` (the ``equity_portfolio`` summary rows up to the session: its history) and
    ``portfolio_positions`` (position rows, cut to the session) add a "Portfolio" table and chart
    after the signals, when the session has a portfolio row. ``zones`` and ``oi_spikes`` add
    their layers to each symbol's chart. The crypto page passes ``with_tiers=False`` (its sources
    are hourly: their checks are on the assets' Checks tabs) and ``period="New York day"``.
    """
    target = Path(path)
    day = pd.Timestamp(session).normalize()
    heading = title or report_title(day)
    bars, levels, profile, regime_bars, darkpool, signals, zones, oi_spikes = (
        _on_day(f, day)
        for f in (bars, levels, profile, regime_bars, darkpool, signals, zones, oi_spikes)
    )
    # a session with no bars (nothing stored yet, a feed outage) still gets its page: the tiers
    # and signals tables say what is known, with no symbol sections
    symbols = sorted(bars["symbol"].astype(str).unique()) if "symbol" in bars else []
    sections: list[tuple[str, str, Callable[[], go.Figure]]] = []
    if with_tiers:
        tiers = _or_empty(tier_results, TIER_COLUMNS)
        sections.append(("tiers", "Validation tiers", lambda: tiers_table(tiers)))
    sections.append(
        ("signals", "Signals", lambda: signals_table(_or_empty(signals, SIGNAL_COLUMNS)))
    )
    sections += _portfolio_sections(day, portfolio, _on_day(portfolio_positions, day))
    for symbol in symbols:
        frames = [_of(f, symbol) for f in (bars, levels, profile, regime_bars, darkpool)]
        layers = {"zones": _of(zones, symbol), "oi_spikes": _of(oi_spikes, symbol)}
        sections.append(
            (
                f"symbol-{symbol}",
                symbol,
                lambda frames=frames, layers=layers: symbol_figure(
                    *frames, **layers, display_tz=display_tz
                ),
            )
        )
    body = partial(
        _write_body, heading=heading, day=day, symbols=symbols, sections=sections, period=period
    )
    return write_page(target, heading, body, STYLE)


def report_title(session: str | dt.date | pd.Timestamp, name: str = "Daily report") -> str:
    """The page title of a session's report, e.g. "Daily report 2025-11-25"."""
    return f"{name} {pd.Timestamp(session):%Y-%m-%d}"


def report_summary_markdown(
    session: str | dt.date | pd.Timestamp,
    symbols: list[str],
    signals: pd.DataFrame | None = None,
    tier_results: pd.DataFrame | None = None,
    *,
    top: int = 3,
    max_failures: int = 5,
    portfolio: pd.Series | None = None,
    title: str = "Daily report",
) -> str:
    """A few markdown lines: session, symbols, the ``top`` strongest signals, the portfolio
    (its summary row of the session, when given), failed checks (when ``tier_results`` is
    given)."""
    lines = [f"**{report_title(session, title)}** · {len(symbols)} symbols: {', '.join(symbols)}"]
    if signals is not None and not signals.empty:
        order = signals["score"].abs().sort_values(ascending=False, kind="stable").index
        best = signals.loc[order[:top]]
        picks = [
            f"{s.symbol} {s.direction} {s.score:+.2f} (conf {s.confidence:.2f})"
            for s in best.itertuples(index=False)
        ]
        lines.append(f"- Top signals: {'; '.join(picks)}")
    else:
        lines.append("- Top signals: none")
    if portfolio is not None:
        lines.append(portfolio_line(portfolio))
    if tier_results is None:  # a page without a tiers table (crypto: hourly sources)
        return "\n".join(lines)
    if tier_results.empty:
        lines.append("- Checks: none run")
        return "\n".join(lines)
    failed = tier_results[~tier_results["passed"].astype(bool)]
    if failed.empty:
        lines.append(f"- Checks: all {len(tier_results)} passed")
        return "\n".join(lines)
    errors = int((failed["severity"] == "ERROR").sum())
    lines.append(
        f"- Failed checks: {len(failed)} of {len(tier_results)} "
        f"({errors} ERROR, {len(failed) - errors} WARN)"
    )
    # "ERROR" sorts before "WARN": the blocking failures are listed first
    worst = failed.sort_values(["severity", "tier"], kind="stable").head(max_failures)
    lines.extend(
        f"  - tier {r.tier} {r.severity} {r.source} {r.partition} `{r.check}`: {r.summary}"
        for r in worst.itertuples(index=False)
    )
    if len(failed) > max_failures:
        lines.append(f"  - … and {len(failed) - max_failures} more")
    return "\n".join(lines)


PORTFOLIO_TABLE_COLUMNS = [
    "symbol",
    "quantity",
    "close",
    "market_value",
    "weight",
    "pnl_day",
    "pnl_total",
    "var_contribution_95",
    "cvar_contribution_95",
]


def _portfolio_sections(
    day: pd.Timestamp,
    history: pd.DataFrame | None,
    positions: pd.DataFrame | None,
) -> list[tuple[str, str, Callable[[], go.Figure]]]:
    if history is None or positions is None or history.empty or positions.empty:
        return []
    history = history[pd.to_datetime(history["date"]).dt.normalize() <= day]
    today = history[pd.to_datetime(history["date"]).dt.normalize() == day]
    if today.empty:
        return []
    summary = today.iloc[-1]
    return [
        ("portfolio", "Portfolio", lambda: portfolio_table(positions, summary)),
        (
            "portfolio-risk",
            "Portfolio value and risk",
            lambda: portfolio_figure(history, positions),
        ),
    ]


def portfolio_table(positions: pd.DataFrame, summary: pd.Series, digits: int = 4) -> go.Figure:
    """The session's positions, then a ``cash`` row and a ``total`` row (value, P&L, VaR and
    CVaR at 95 % as fractions of value), largest absolute market value first."""
    _require(positions, PORTFOLIO_TABLE_COLUMNS, "portfolio_positions")
    table = positions.iloc[np.argsort(-positions["market_value"].abs().to_numpy(), kind="stable")]
    table = table[PORTFOLIO_TABLE_COLUMNS].assign(symbol=lambda f: f["symbol"].astype(str))
    total = float(summary["total_value"])
    extra = pd.DataFrame(
        {
            "symbol": ["cash", "total"],
            "quantity": [np.nan, np.nan],
            "close": [np.nan, np.nan],
            "market_value": [float(summary["cash"]), total],
            "weight": [float(summary["cash"]) / total if total else np.nan, 1.0],
            "pnl_day": [np.nan, float(summary["pnl_day"])],
            "pnl_total": [np.nan, float(summary["pnl_total"])],
            "var_contribution_95": [np.nan, float(summary["var_95"])],
            "cvar_contribution_95": [np.nan, float(summary["cvar_95"])],
        }
    )
    table = pd.concat([table, extra], ignore_index=True)
    fills = ["white"] * (len(table) - 2) + ["#f4f6f7", "#e8ecef"]
    cells = [_cells(table[c], digits) for c in PORTFOLIO_TABLE_COLUMNS]
    return _table_figure(PORTFOLIO_TABLE_COLUMNS, cells, fills)


def portfolio_line(summary: pd.Series) -> str:
    """The portfolio's markdown line: value, P&L of the day and in all, VaR and CVaR at 95 %."""

    def money(name: str) -> str:
        value = summary[name]
        return MISSING if pd.isna(value) else f"{value:,.2f}"

    def signed(name: str) -> str:
        value = summary[name]
        return MISSING if pd.isna(value) else f"{value:+,.2f}"

    return (
        f"- Portfolio: value {money('total_value')}, P&L day {signed('pnl_day')}, "
        f"total {signed('pnl_total')}, 1-day VaR 95 % {money('var_95_value')}, "
        f"CVaR {money('cvar_95_value')}"
    )


def tiers_table(tier_results: pd.DataFrame) -> go.Figure:
    """Validation results as a table, failures first (ERROR before WARN), then tier and source."""
    columns = ["tier", "source", "partition", "check", "passed", "severity", "summary"]
    _require(tier_results, columns, "tier_results")
    rank = np.where(tier_results["passed"], 2, np.where(tier_results["severity"] == "ERROR", 0, 1))
    table = (
        tier_results.assign(_rank=rank)
        .sort_values(["_rank", "tier", "source", "partition", "check"], kind="stable")
        .reset_index(drop=True)
    )
    fills = np.select(
        [table["_rank"] == 0, table["_rank"] == 1], ["#f6d5d3", "#fcebc5"], default="white"
    )
    cells = [table[c].astype(str).tolist() for c in columns]
    cells[columns.index("passed")] = np.where(table["passed"], "pass", "FAIL").tolist()
    return _table_figure(columns, cells, fills.tolist())


def signals_table(signals: pd.DataFrame, digits: int = 3) -> go.Figure:
    """Fusion signals as a table, strongest ``|score|`` first, numbers rounded to ``digits``.

    A component no row has (open interest for equities, flow for crypto) is left out; a missing
    value of a shown one is an em dash (plotly prints NaN as "null").
    """
    _require(signals, ["symbol", "score", "confidence", "direction", "conflicts"], "signals")
    components = [
        c for c in signals.columns if c.startswith("component_") and signals[c].notna().any()
    ]
    # the conflict rule and the reason where the fusion recorded them
    explained = [c for c in ("rule", "reason") if c in signals.columns]
    columns = ["symbol", "direction", "score", "confidence", "conflicts", *components, *explained]
    table = signals.iloc[np.argsort(-signals["score"].abs().to_numpy(), kind="stable")]
    colors = {"long": "#e3f4e9", "short": "#f6d5d3"}
    fills = [colors.get(d, "white") for d in table["direction"].astype(str)]
    cells = [_cells(table[c], digits) for c in columns]
    return _table_figure(columns, cells, fills)


def _cells(values: pd.Series, digits: int) -> list:
    """A column's cells: floats rounded, anything missing an em dash, the rest as text."""
    if pd.api.types.is_float_dtype(values):
        return [MISSING if pd.isna(v) else v for v in values.round(digits).tolist()]
    return [MISSING if pd.isna(v) else str(v) for v in values.tolist()]


def _table_figure(header: list[str], cells: list[list], fills: list[str]) -> go.Figure:
    # each column as wide as its longest text (header or cell), within 1..6 units: a long
    # sentence (the signals' reason, a check's summary) gets room instead of a tall wrapped cell
    # that pushes the other rows out of the table's height
    widths = [
        min(max(len(name), *(len(str(c)) for c in column), 10) / 10, 6.0)
        for name, column in zip(header, cells, strict=True)
    ]
    rows = len(cells[0]) if cells else 0
    per_row = 46 if max(widths, default=1.0) >= 6.0 else 28  # long text wraps onto two lines
    table = {
        "type": "table",
        "columnwidth": widths,
        "header": {"values": header, "fill": {"color": "#2c3e50"}, "font": {"color": "white"}},
        "cells": {"values": cells, "fill": {"color": [fills] * len(header)}, "align": "left"},
    }
    # tall enough for every row up to a cap; plotly tables scroll beyond it
    layout = {
        "height": min(60 + per_row * rows, 900),
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
    }
    return go.Figure(data=[table], layout=layout)


def _write_body(
    out: TextIO,
    heading: str,
    day: pd.Timestamp,
    symbols: list[str],
    sections: list[tuple[str, str, Callable[[], go.Figure]]],
    period: str,
) -> None:
    title = html.escape(heading)
    links = " · ".join(f'<a href="#symbol-{html.escape(s)}">{html.escape(s)}</a>' for s in symbols)
    out.write(
        f"<h1>{title}</h1>\n<p>{html.escape(period)} {day:%Y-%m-%d} · {len(symbols)} symbols: "
        f"{links}</p>\n"
    )
    for index, (anchor, name, build) in enumerate(sections):
        # the first figure references the folder's plotly.min.js; the rest reuse it
        figure = figure_html(build(), index == 0, div_id=f"chart-{anchor}", config=PLOT_CONFIG)
        out.write(
            f'<section id="{html.escape(anchor)}">\n<h2>{html.escape(name)}</h2>\n'
            f"{figure}\n</section>\n"
        )


def _on_day(frame: pd.DataFrame | None, day: pd.Timestamp) -> pd.DataFrame | None:
    if frame is None:
        return None
    if "date" in frame.columns:
        return frame[pd.to_datetime(frame["date"]).dt.normalize() == day]
    if "ts" in frame.columns:
        local = pd.to_datetime(frame["ts"], utc=True).dt.tz_convert(SESSION_TZ)
        return frame[local.dt.tz_localize(None).dt.normalize() == day]
    return frame


def _of(frame: pd.DataFrame | None, symbol: str) -> pd.DataFrame | None:
    if frame is None:
        return None
    return frame[frame["symbol"].astype(str) == symbol]


def _or_empty(frame: pd.DataFrame | None, columns: list[str]) -> pd.DataFrame:
    # a store with nothing for the day may hand back a frame without columns
    return pd.DataFrame(columns=columns) if frame is None or frame.columns.empty else frame


def _require(frame: pd.DataFrame, columns: list[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing columns {missing}")
