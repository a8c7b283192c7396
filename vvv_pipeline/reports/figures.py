"""The daily report's chart of one symbol, as a plotly figure.

Pure functions from frames to ``go.Figure``; nothing here writes files or knows about Dagster.
A symbol's chart has three panels sharing axes, so every layer lines up with the candles:

- **Price** (row 1, left): candlesticks, dark-pool prints as markers (area grows with premium),
  regime shading (one translucent rectangle per run of consecutive bars with the same regime,
  from the run's first bar to the end of its last bar), the POC / VAH / VAL lines, price zones
  as horizontal bands across the day (supply, demand, high- and low-volume nodes) and open-
  interest spikes as triangles at the mark price (up: OI added, down: removed; larger for a
  larger size class).
- **Volume profile** (row 1, right): horizontal bars of volume per price level on their own x-axis
  (``x2``), its y-axis matched to the price axis; bars inside the value area are coloured and the
  value area is highlighted as a band.
- **Volume** (row 2, left): bar volume, its x-axis matched to the price panel's.

Times are shown as New York wall time (``display_tz``): plotly.js has no time zones, and the
exchange clock is the one a reader expects; the time axis names the zone ("time (New York)"),
since nothing else on the chart would. Layers whose frame is ``None`` or empty are omitted.
"""

from __future__ import annotations

import copy
from functools import cache

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from vvv_pipeline.calendars import as_utc

DISPLAY_TZ = "America/New_York"
REGIME_COLORS = {
    "trend_up": "rgba(38, 166, 91, 0.14)",
    "trend_down": "rgba(214, 69, 65, 0.14)",
    "range": "rgba(120, 120, 120, 0.12)",
    "volatile": "rgba(242, 159, 5, 0.16)",
}
LEVEL_STYLES = {"poc": "#1f3a93", "vah": "#6c7a89", "val": "#6c7a89"}
UP, DOWN = "#26a65b", "#d64541"
PRINT_SIZE_RANGE = (6.0, 30.0)
"""Dark-pool marker diameters in px, smallest and largest premium of the chart."""
ZONE_COLORS = {
    "supply": "rgba(214, 69, 65, 0.13)",
    "demand": "rgba(38, 166, 91, 0.13)",
    "hvn": "rgba(31, 58, 147, 0.05)",
    "lvn": "rgba(149, 165, 166, 0.05)",
}
"""Tails (where the day refused prices) stand out; volume nodes, often many a day, stay faint."""
SPIKE_SIZES = {"small": 6.0, "medium": 8.0, "large": 11.0, "whale": 15.0}
"""Open-interest spike marker diameters in px per size class."""


SYMBOL_GRID = {
    "rows": 2,
    "cols": 2,
    "shared_xaxes": True,
    "shared_yaxes": True,
    "column_widths": [0.82, 0.18],
    "row_heights": [0.74, 0.26],
    "horizontal_spacing": 0.01,
    "vertical_spacing": 0.03,
    "specs": [[{}, {}], [{}, None]],
}
"""The symbol chart's panels (``make_subplots`` arguments): price and volume profile on top,
volume below the price."""
PORTFOLIO_GRID = {
    "rows": 1,
    "cols": 2,
    "column_widths": [0.62, 0.38],
    "horizontal_spacing": 0.2,  # room for the drawdown axis and the bars' axis titles
    "specs": [[{"secondary_y": True}, {}]],
    "subplot_titles": ("value and drawdown", "contribution to 1-day VaR / CVaR 95 %"),
}
"""The portfolio chart's panels: value with drawdown on a second y-axis, risk contributions."""
AxisRefs = dict[str, str]
"""A panel's axes as a trace names them: ``{"xaxis": "x2", "yaxis": "y2"}``."""
Panel = tuple[int, int, bool]
"""Row, column and whether the panel's secondary y-axis is meant."""


SYMBOL_PANELS: tuple[Panel, ...] = ((1, 1, False), (1, 2, False), (2, 1, False))
PORTFOLIO_PANELS: tuple[Panel, ...] = ((1, 1, False), (1, 1, True), (1, 2, False))


def _panels(grid: dict, panels: tuple[Panel, ...]) -> tuple[dict, dict[Panel, AxisRefs]]:
    """The layout ``make_subplots`` makes of ``grid`` (domains, shared and matched axes,
    subplot titles; no template) and each of ``panels``' axis references."""
    figure = make_subplots(**grid)
    layout = figure.layout.to_plotly_json()
    layout.pop("template", None)  # the page sets its own (:func:`..pages.figure_html`)
    refs = {}
    for row, col, secondary in panels:
        panel = figure.get_subplot(row, col, secondary_y=secondary)
        refs[(row, col, secondary)] = {
            "xaxis": panel.xaxis.plotly_name.replace("axis", ""),
            "yaxis": panel.yaxis.plotly_name.replace("axis", ""),
        }
    return layout, refs


@cache
def _symbol_panels() -> tuple[dict, dict[Panel, AxisRefs]]:
    return _panels(SYMBOL_GRID, SYMBOL_PANELS)


@cache
def _portfolio_panels() -> tuple[dict, dict[Panel, AxisRefs]]:
    return _panels(PORTFOLIO_GRID, PORTFOLIO_PANELS)


def _axis(layout: dict, ref: str) -> dict:
    """The layout entry of the axis a trace calls ``ref`` ("x2" -> ``layout["xaxis2"]``)."""
    return layout.setdefault(f"{ref[0]}axis{ref[1:]}", {})


def symbol_figure(
    bars: pd.DataFrame,
    levels: pd.DataFrame | None,
    profile: pd.DataFrame | None,
    regime_bars: pd.DataFrame | None,
    darkpool: pd.DataFrame | None,
    *,
    zones: pd.DataFrame | None = None,
    oi_spikes: pd.DataFrame | None = None,
    display_tz: str = DISPLAY_TZ,
    bar_interval: pd.Timedelta | None = None,
) -> go.Figure:
    """The report chart of one symbol (see the module docstring for the panels).

    Every frame holds one symbol's rows for the day: ``bars`` time bars, ``levels`` the
    ``profile_levels`` rows, ``profile`` its one ``profile_summary`` row, ``regime_bars``
    (symbol, ts, regime), ``darkpool`` canonical dark-pool prints, ``zones`` its price zones of
    the day (kind, price_low, price_high) and ``oi_spikes`` its open-interest spikes (ts,
    oi_change, size_class, mark_price). ``bar_interval`` (the span a regime bar covers) defaults
    to the smallest step between consecutive regime bars.

    Traces and layout are gathered as plotly's JSON on the panels of :data:`SYMBOL_GRID` and
    validated once, by the one ``go.Figure`` made of them: adding them one at a time to a
    ``make_subplots`` figure validated the layout again at every step (14 times the time).
    """
    if bars is None or bars.empty:
        raise ValueError("bars: no rows, a symbol chart needs at least one bar")
    symbol = _single_symbol(bars, "bars")
    grid, refs = _symbol_panels()
    layout = copy.deepcopy(grid)
    price, side, volume = refs[(1, 1, False)], refs[(1, 2, False)], refs[(2, 1, False)]
    ts = _wall_time(bars["ts"], display_tz)
    up = (bars["close"] >= bars["open"]).to_numpy()
    traces: list[dict] = [
        {
            "type": "candlestick",
            "x": ts,
            "open": bars["open"],
            "high": bars["high"],
            "low": bars["low"],
            "close": bars["close"],
            "name": "price",
            "increasing": {"line": {"color": UP}},
            "decreasing": {"line": {"color": DOWN}},
            **price,
        },
        {
            "type": "bar",
            "x": ts,
            "y": bars["volume"],
            "name": "volume",
            # 0/1 on a two-colour scale: a typed array, not one colour string per bar
            "marker": {"color": up.astype(np.int8), "colorscale": [[0, DOWN], [1, UP]]},
            "showlegend": False,  # its panel's axis names it; a scale's swatch would be one blend
            **volume,
        },
    ]
    shapes: list[dict] = []
    if darkpool is not None and not darkpool.empty:
        _single_symbol(darkpool, "darkpool", expected=symbol)
        traces.append({**_darkpool_trace(darkpool, display_tz), **price})
    if oi_spikes is not None and not oi_spikes.empty:
        _single_symbol(oi_spikes, "oi_spikes", expected=symbol)
        traces.append({**_spike_trace(oi_spikes, display_tz), **price})
    if levels is not None and not levels.empty:
        _single_symbol(levels, "levels", expected=symbol)
        traces.append({**_profile_trace(levels), **side})
    if profile is not None and not profile.empty:
        _single_symbol(profile, "profile", expected=symbol)
        shapes += _value_area(profile, price, side)
    if regime_bars is not None and not regime_bars.empty:
        _single_symbol(regime_bars, "regime_bars", expected=symbol)
        spans = regime_spans(regime_bars, bar_interval)
        shapes += regime_shading(spans, display_tz, price)
    if zones is not None and not zones.empty:
        _single_symbol(zones, "zones", expected=symbol)
        shapes += zone_bands(zones)
    layout.update(
        title={"text": symbol, "x": 0.01, "y": 0.99},
        height=640,
        margin={"l": 50, "r": 20, "t": 40, "b": 30},
        bargap=0.05,
        legend={"orientation": "h", "y": 1.0, "x": 1.0, "yanchor": "bottom", "xanchor": "right"},
    )
    if shapes:
        layout["shapes"] = shapes
    _axis(layout, price["xaxis"])["rangeslider"] = {"visible": False}
    _axis(layout, price["yaxis"])["title"] = {"text": "price"}
    _axis(layout, side["xaxis"])["title"] = {"text": "volume at price"}
    _axis(layout, volume["yaxis"])["title"] = {"text": "volume"}
    _axis(layout, volume["xaxis"])["title"] = {"text": time_axis_title(display_tz)}
    return go.Figure(data=traces, layout=layout)


def regime_shading(spans: pd.DataFrame, display_tz: str, price: AxisRefs) -> list[dict]:
    """One translucent rectangle per regime span over the price panel's height, coloured by
    regime (:data:`REGIME_COLORS`), the first of each regime named in the legend.

    ``type`` ("rect") and ``xref`` ("x", the price panel's) are plotly's defaults and left out:
    a session has dozens of spans on each symbol's chart.
    """
    xref = {} if price["xaxis"] == "x" else {"xref": price["xaxis"]}
    starts = _wall_time(spans["start"], display_tz)
    ends = _wall_time(spans["end"], display_tz)
    first_of_kind = ~spans["regime"].duplicated().to_numpy()
    return [
        {
            **xref,
            "yref": f"{price['yaxis']} domain",
            "x0": start,
            "x1": end,
            "y0": 0,
            "y1": 1,
            "fillcolor": REGIME_COLORS.get(regime, "rgba(0, 0, 0, 0.08)"),
            "line": {"width": 0},
            "layer": "below",
            "name": f"regime: {regime}",
            # one legend entry per regime explains the colours
            **({"showlegend": True} if first else {}),
        }
        for start, end, regime, first in zip(
            starts, ends, spans["regime"], first_of_kind, strict=True
        )
    ]


def time_axis_title(display_tz: str) -> str:
    """The time axis title, e.g. "time (New York)": the zone's city, or the zone name (UTC)."""
    return f"time ({display_tz.rsplit('/', 1)[-1].replace('_', ' ')})"


def regime_spans(
    regime_bars: pd.DataFrame, bar_interval: pd.Timedelta | None = None
) -> pd.DataFrame:
    """Runs of consecutive bars with the same regime: regime, start, end (UTC), bars.

    A run ends where its last bar ends (``ts + bar_interval``), so a run's span covers exactly
    its bars; ``bar_interval`` defaults to the smallest positive step between bars (one minute
    when there is a single bar).
    """
    frame = regime_bars.sort_values("ts", kind="stable")
    ts = pd.to_datetime(frame["ts"], utc=True)
    if bar_interval is None:
        steps = ts.diff().dropna()
        steps = steps[steps > pd.Timedelta(0)]
        bar_interval = steps.min() if len(steps) else pd.Timedelta(minutes=1)
    regime = frame["regime"].astype(str).to_numpy()
    # bars are in time order: a run starts at its first bar and its last bar is its latest
    first = np.flatnonzero(np.r_[True, regime[1:] != regime[:-1]])
    last = np.r_[first[1:], len(regime)] - 1
    stamps = ts.reset_index(drop=True)
    return pd.DataFrame(
        {
            "regime": regime[first],
            "start": stamps.iloc[first].reset_index(drop=True),
            "end": stamps.iloc[last].reset_index(drop=True) + bar_interval,
            "bars": last - first + 1,
        }
    )


def _darkpool_trace(prints: pd.DataFrame, display_tz: str) -> dict:
    premium = prints["premium"].to_numpy(dtype=float)
    top = premium.max() if len(premium) else 0.0
    # sqrt so the marker *area* grows with premium, as the eye reads size
    share = np.sqrt(np.clip(premium, 0, None) / top) if top > 0 else np.zeros_like(premium)
    low, high = PRINT_SIZE_RANGE
    return _markers(
        _wall_time(prints["ts"], display_tz),
        prints["price"],
        "dark-pool prints",
        {"size": low + (high - low) * share, "color": "rgba(142, 68, 173, 0.55)"},
        np.column_stack([prints["size"], premium]),
        "%{y:.2f} x %{customdata[0]:,} = $%{customdata[1]:,.0f}<extra></extra>",
    )


def _markers(
    x: pd.Series, y: pd.Series, name: str, marker: dict, customdata: np.ndarray, hover: str
) -> dict:
    """A scatter trace of markers on the price panel (its axes added by the chart)."""
    return {
        "type": "scatter",
        "x": x,
        "y": y,
        "mode": "markers",
        "name": name,
        "marker": marker,
        "customdata": customdata,
        "hovertemplate": hover,
    }


def zone_bands(zones: pd.DataFrame) -> list[dict]:
    """One band per zone across the price panel, from its price_low to its price_high, coloured
    by kind (:data:`ZONE_COLORS`), the first of each kind named in the legend."""
    first_of_kind = ~zones["kind"].astype(str).duplicated().to_numpy()
    return [
        {
            "xref": "x domain",
            "x0": 0,
            "x1": 1,
            "y0": float(low),
            "y1": float(high),
            "fillcolor": ZONE_COLORS.get(kind, "rgba(0, 0, 0, 0.06)"),
            "line": {"width": 0},
            "layer": "below",
            "name": f"zone: {kind}",
            **({"showlegend": True} if first else {}),
        }
        for kind, low, high, first in zip(
            zones["kind"].astype(str),
            zones["price_low"],
            zones["price_high"],
            first_of_kind,
            strict=True,
        )
    ]


def _spike_trace(spikes: pd.DataFrame, display_tz: str) -> dict:
    added = spikes["oi_change"].to_numpy(dtype=float) >= 0
    size_class = spikes["size_class"].astype(str)
    return _markers(
        _wall_time(spikes["ts"], display_tz),
        spikes["mark_price"],
        "OI spikes",
        {
            "symbol": np.where(added, "triangle-up", "triangle-down"),
            "size": size_class.map(SPIKE_SIZES).fillna(SPIKE_SIZES["small"]).to_numpy(),
            "color": np.where(added, UP, DOWN),
            "line": {"width": 0.5, "color": "#2c3e50"},
        },
        np.column_stack([size_class, spikes["oi_change_pct"].to_numpy(dtype=float)]),
        "%{customdata[0]} %{customdata[1]:+.2%} OI at %{y:.2f}<extra></extra>",
    )


def _profile_trace(levels: pd.DataFrame) -> dict:
    inside = levels["in_value_area"].to_numpy(dtype=bool)
    return {
        "type": "bar",
        "x": levels["volume"],
        "y": levels["price"],
        "orientation": "h",
        "name": "volume profile",
        "marker": {
            "color": np.where(inside, "rgba(31, 58, 147, 0.75)", "rgba(149, 165, 166, 0.6)")
        },
        "showlegend": False,
    }


def _value_area(profile: pd.DataFrame, price: AxisRefs, side: AxisRefs) -> list[dict]:
    """The value area as a band behind the volume profile, and the POC / VAH / VAL lines across
    both top panels (the profile's y-axis is matched to the price axis)."""
    if len(profile) != 1:
        raise ValueError(f"profile: expected one profile_summary row, got {len(profile)}")
    row = profile.iloc[0]
    band = {
        "type": "rect",
        "xref": f"{side['xaxis']} domain",
        "x0": 0,
        "x1": 1,
        "yref": side["yaxis"],
        "y0": row["val"],
        "y1": row["vah"],
        "fillcolor": "rgba(31, 58, 147, 0.08)",
        "line": {"width": 0},
        "layer": "below",
        "name": "value_area",
    }
    lines = [
        {
            "type": "line",
            "xref": "paper",
            "x0": 0,
            "x1": 1,
            "yref": price["yaxis"],
            "y0": row[level],
            "y1": row[level],
            "line": {"color": color, "width": 1.5 if level == "poc" else 1, "dash": "dash"},
            "name": level,
            # POC labelled on the right so it never hides a VAL/VAH label at the same price
            "label": {
                "text": f"{level.upper()} {row[level]:.2f}",
                "textposition": "end" if level == "poc" else "start",
            },
        }
        for level, color in LEVEL_STYLES.items()
    ]
    return [band, *lines]


def _wall_time(ts: pd.Series, display_tz: str) -> pd.Series:
    """Wall time in ``display_tz`` as "YYYY-MM-DD HH:MM" text (with ":SS" when some time has
    seconds), which plotly reads as dates: given timestamps it writes nanoseconds
    ("...T09:30:00.000000000"), and the times of a chart's traces were a fifth of a page."""
    stamps = as_utc(ts).dt.tz_convert(display_tz).dt.tz_localize(None)
    whole_minutes = bool((stamps.dt.second == 0).all() and (stamps.dt.microsecond == 0).all())
    text = stamps.dt.strftime("%Y-%m-%d %H:%M" if whole_minutes else "%Y-%m-%d %H:%M:%S")
    return text.reset_index(drop=True)


def _single_symbol(frame: pd.DataFrame, name: str, expected: str | None = None) -> str:
    values = frame["symbol"].astype(str).unique()
    if len(values) != 1 or (expected is not None and values[0] != expected):
        want = f"only {expected!r}" if expected else "exactly one symbol"
        raise ValueError(f"{name}: expected {want}, got {sorted(values)}")
    return str(values[0])


def portfolio_figure(history: pd.DataFrame, positions: pd.DataFrame) -> go.Figure:
    """The portfolio's chart: value and drawdown over ``history``, risk contributions of the day.

    ``history`` holds the portfolio summary rows (``date``, ``total_value``) up to the session,
    ``positions`` the session's position rows (``symbol``, ``var_contribution_95``,
    ``cvar_contribution_95``). Left: the value (line) and its drawdown from the running peak of
    the rows shown (shaded, right axis, in %). Right: each position's contribution to the
    one-day VaR and CVaR at 95 % in % of value (they sum to the portfolio's); left out, with a
    note, while the history is too short for VaR.
    """
    order = history.sort_values("date", kind="stable")
    value = order["total_value"].to_numpy(dtype=np.float64)
    drawdown = 1.0 - value / np.maximum.accumulate(value) if len(value) else value
    grid, refs = _portfolio_panels()
    layout = copy.deepcopy(grid)
    history_axes, drawdown_axes, risk = refs[(1, 1, False)], refs[(1, 1, True)], refs[(1, 2, False)]
    dates = pd.to_datetime(order["date"]).dt.strftime("%Y-%m-%d")  # sessions: no weekend gaps
    traces: list[dict] = [
        {
            "type": "scatter",
            "x": dates,
            "y": value,
            "name": "value",
            "mode": "lines+markers",
            "line": {"color": "#1f3a93"},
            **history_axes,
        },
        {
            "type": "scatter",
            "x": dates,
            "y": -100.0 * drawdown,
            "name": "drawdown %",
            "fill": "tozeroy",
            "fillcolor": "rgba(214, 69, 65, 0.18)",  # light: the value line stays readable
            "mode": "lines",
            "line": {"color": DOWN, "width": 1},
            **drawdown_axes,
        },
    ]
    shown = positions.dropna(subset=["var_contribution_95", "cvar_contribution_95"])
    if shown.empty:
        layout["annotations"].append(
            {
                "text": "VaR needs at least 20 daily returns",
                "showarrow": False,
                # paper coordinates: an axis without traces has no domain to anchor to, and the
                # note then landed on the value chart's axes at (0, 0)
                "xref": "paper",
                "yref": "paper",
                "x": 0.85,
                "y": 0.5,
            }
        )
        _axis(layout, risk["xaxis"])["visible"] = False
        _axis(layout, risk["yaxis"])["visible"] = False
    else:
        symbols = shown["symbol"].astype(str).tolist()
        traces += [
            {
                "type": "bar",
                "x": symbols,
                "y": 100.0 * shown[column],
                "name": name,
                "marker": {"color": color},
                **risk,
            }
            for column, name, color in (
                ("var_contribution_95", "VaR 95 %", "#6c7a89"),
                ("cvar_contribution_95", "CVaR 95 %", DOWN),
            )
        ]
        _axis(layout, risk["yaxis"])["title"] = {"text": "% of value"}
    _axis(layout, history_axes["xaxis"])["type"] = "category"
    _axis(layout, history_axes["yaxis"])["title"] = {"text": "value"}
    _axis(layout, drawdown_axes["yaxis"])["title"] = {"text": "drawdown %"}
    layout.update(height=380, barmode="group", margin={"l": 40, "r": 20, "t": 40, "b": 40})
    return go.Figure(data=traces, layout=layout)
