"""Partition coverage of many assets as one heatmap, plus a markdown summary.

Rows are assets, columns are New York days. Daily partitions (sessions, calendar days) are one
cell each; UTC-hourly partitions are rolled up to the New York day they start in, so a cell
stands for 23, 24 or 25 hours and its hover text counts the hours present. A day's state is the
worst of its partitions: ``failed_tier1`` over ``missing`` over ``materialized``. Days that are
not partitions of an asset (a weekend for a session asset) stay blank.

The page references the folder's shared ``plotly.min.js`` (:mod:`vvv_pipeline.reports.pages`),
so it opens on a machine with no network without carrying 4.6 MB of library itself; its title
is the figure's, so a browser tab or bookmark says what it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from vvv_pipeline.calendars import EXCHANGE_TZ
from vvv_pipeline.defs.assets.ui_metadata import markdown_table
from vvv_pipeline.defs.automation.gaps import STATES, Gaps, gaps_summary
from vvv_pipeline.reports.pages import figure_html, write_atomic, write_page

STATE_CODES = {"missing": 0, "failed_tier1": 1, "materialized": 2}
STATE_COLORS = {"missing": "#d62728", "failed_tier1": "#ff7f0e", "materialized": "#2ca02c"}
HOURLY_KEY_LENGTH = len("2025-11-01-00:00")


def status_frame(gaps: Sequence[Gaps]) -> pd.DataFrame:
    """Long frame asset, partition, state of every expected partition of every asset."""
    frames = [g.to_frame() for g in gaps]
    if not frames:
        return pd.DataFrame({"asset": [], "partition": [], "state": []})
    frame = pd.concat(frames, ignore_index=True)
    frame["asset"] = frame["asset"].astype(str)
    return frame


def _ny_day(partition: pd.Series) -> pd.Series:
    """The New York date a partition starts on: hourly UTC keys are converted, days kept."""
    day = partition.astype(str).str.slice(0, 10)
    hourly = partition.str.len() == HOURLY_KEY_LENGTH
    if hourly.any():
        starts = pd.to_datetime(partition[hourly], format="%Y-%m-%d-%H:%M", utc=True)
        local = starts.dt.tz_convert(EXCHANGE_TZ).dt.tz_localize(None).to_numpy()
        day[hourly] = np.datetime_as_string(local, unit="D")  # strftime is ~50x slower
    return day


def daily_status(status: pd.DataFrame) -> pd.DataFrame:
    """Status rolled up to asset x New York day: state, partitions present, partitions expected.

    ``present`` counts partitions that are not missing (stored, even if tier 1 failed).
    """
    frame = pd.DataFrame(
        {
            "asset": status["asset"].astype(str).to_numpy(),
            "day": _ny_day(status["partition"].astype(str)).to_numpy(),
            "missing": (status["state"] == "missing").to_numpy(),
            "failed": (status["state"] == "failed_tier1").to_numpy(),
        }
    )
    grouped = frame.groupby(["asset", "day"], sort=False)
    daily = grouped.agg(
        expected=("missing", "size"), missing=("missing", "sum"), failed=("failed", "sum")
    ).reset_index()
    daily["present"] = daily["expected"] - daily["missing"]
    daily["state"] = np.where(
        daily["failed"] > 0,
        "failed_tier1",
        np.where(daily["missing"] > 0, "missing", "materialized"),
    )
    return daily[["asset", "day", "state", "present", "expected"]]


def _hover(daily: pd.DataFrame) -> pd.Series:
    text = daily["asset"] + "<br>" + daily["day"] + "<br>" + daily["state"]
    counted = daily["expected"] > 1
    counts = daily["present"].astype(str) + " of " + daily["expected"].astype(str) + " hours"
    return text.where(~counted, text + "<br>" + counts + " present")


def _discrete_colorscale() -> list[list[float | str]]:
    # each state owns one third of [0, 1], so codes 0, 1, 2 with zmin/zmax at -0.5/2.5
    # land in the middle of their own band
    scale: list[list[float | str]] = []
    for code, state in enumerate(STATE_CODES):
        scale += [[code / 3, STATE_COLORS[state]], [(code + 1) / 3, STATE_COLORS[state]]]
    return scale


def coverage_figure(
    gaps_or_status: Sequence[Gaps] | pd.DataFrame, title: str = "Partition coverage"
) -> go.Figure:
    """Heatmap of assets x New York days coloured by state, one hover line per fact."""
    status = (
        gaps_or_status if isinstance(gaps_or_status, pd.DataFrame) else status_frame(gaps_or_status)
    )
    unknown = set(status["state"].astype(str)) - set(STATES)
    if unknown:
        raise ValueError(f"status frame has unknown states {sorted(unknown)}; expected {STATES}")
    daily = daily_status(status)
    assets = list(pd.unique(daily["asset"]))
    days = sorted(pd.unique(daily["day"]))
    daily["code"] = daily["state"].map(STATE_CODES).astype(float)
    daily["hover"] = _hover(daily)
    z = daily.pivot(index="asset", columns="day", values="code").reindex(assets)[days]
    hover = daily.pivot(index="asset", columns="day", values="hover").reindex(assets)[days]
    heatmap = go.Heatmap(
        z=z.to_numpy(),
        x=days,
        y=assets,
        text=hover.fillna("").to_numpy(),
        hovertemplate="%{text}<extra></extra>",
        colorscale=_discrete_colorscale(),
        zmin=-0.5,
        zmax=len(STATE_CODES) - 0.5,
        xgap=1,
        ygap=1,
        colorbar={
            "title": {"text": "state"},
            "tickvals": list(STATE_CODES.values()),
            "ticktext": list(STATE_CODES),
        },
    )
    figure = go.Figure(heatmap)
    figure.update_layout(
        title=title,
        # one equal column per day, labelled as the day itself (a date axis would add hours)
        xaxis={"title": {"text": "New York day"}, "type": "category"},
        yaxis={"autorange": "reversed"},  # first asset on top, as in the summary table
        height=max(300, 60 + 40 * len(assets)),
    )
    return figure


DEFAULT_TITLE = "Partition coverage"


def write_coverage_html(figure: go.Figure, path: str | Path) -> Path:
    """The figure as an HTML page titled like the figure, mode 0644, beside plotly.min.js."""
    body = figure_html(figure, with_plotlyjs=True)
    title = figure.layout.title.text or DEFAULT_TITLE
    return write_page(path, title, lambda out: out.write(f"{body}\n"))


def coverage_markdown(gaps: Sequence[Gaps]) -> str:
    """Per asset: expected, materialized, missing, failed_tier1 partitions, as a markdown table."""
    return markdown_table(gaps_summary(gaps), max_rows=len(gaps))


def write_coverage_report(gaps: Sequence[Gaps], directory: str | Path) -> tuple[Path, Path]:
    """``coverage.html`` and ``coverage.md`` in ``directory``; returns both paths."""
    folder = Path(directory)
    page = write_coverage_html(coverage_figure(gaps), folder / "coverage.html")
    details = "\n\n".join(g.to_markdown() for g in gaps if g.missing or g.failed_tier1)
    text = (
        "# Partition coverage\n\n"
        + coverage_markdown(gaps)
        + ("\n\n" + details if details else "")
        + "\n"
    )
    markdown = write_atomic(folder / "coverage.md", lambda out: out.write(text))
    return page, markdown
