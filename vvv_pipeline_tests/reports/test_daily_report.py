"""The daily report's figures, tables, HTML page and markdown gist, on hand-made and simulated data.

Analytics frames are built here by hand to the shared contract (profile_levels, profile_summary,
regime bars, fusion signals, tier results), so these tests do not depend on the analytics code.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from plotly.offline import get_plotlyjs, get_plotlyjs_version

from vvv_pipeline.bars.time import time_bars
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.reports import daily
from vvv_pipeline.reports.daily import (
    report_summary_markdown,
    signals_table,
    tiers_table,
    write_daily_report,
)
from vvv_pipeline.reports.figures import regime_spans, symbol_figure
from vvv_pipeline.universe import load_universe

DAY = "2025-11-25"
DATE = pd.Timestamp(DAY)
OPEN_UTC = pd.Timestamp("2025-11-25 14:30", tz="UTC")  # 09:30 New York


def hand_bars(symbol: str = "SPY") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": pd.Categorical([symbol] * 6),
            "ts": pd.date_range(OPEN_UTC, periods=6, freq="5min"),
            "open": [10.0, 10.5, 11.0, 11.2, 10.8, 10.4],
            "high": [10.6, 11.1, 11.4, 11.3, 10.9, 10.7],
            "low": [9.9, 10.4, 10.9, 10.7, 10.3, 10.2],
            "close": [10.5, 11.0, 11.2, 10.8, 10.4, 10.6],
            "volume": [100, 200, 300, 150, 120, 90],
        }
    )


def hand_levels(symbol: str = "SPY") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": symbol,
            "date": DATE,
            "price": [10.0, 10.5, 11.0, 11.5],
            "tpo_count": [2, 4, 3, 1],
            "volume": [80.0, 500.0, 300.0, 80.0],
            "in_value_area": [False, True, True, False],
            "is_poc": [False, True, False, False],
        }
    )


def hand_profile(symbol: str = "SPY") -> pd.DataFrame:
    return pd.DataFrame(
        {"symbol": [symbol], "date": [DATE], "poc": [10.5], "vah": [11.0], "val": [10.5]}
    )


def hand_regimes(symbol: str = "SPY") -> pd.DataFrame:
    regimes = ["range", "range", "trend_up", "trend_up", "trend_up", "range"]
    ts = pd.date_range(OPEN_UTC, periods=6, freq="5min")
    return pd.DataFrame({"symbol": symbol, "ts": ts, "regime": regimes})


def hand_prints(symbol: str = "SPY") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": symbol,
            "ts": OPEN_UTC + pd.to_timedelta([7, 21], unit="min"),
            "price": [10.75, 11.1],
            "size": [100, 400],
            "premium": [250.0, 1000.0],
        }
    )


def hand_tiers() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": ["equity_ticks", "darkpool_prints", "equity_ticks", "options_flow"],
            "partition": [DAY] * 4,
            "check": ["ts_sorted", "unique_print_ids", "price_positive", "premium_matches"],
            "tier": [1, 2, 1, 3],
            "passed": [True, False, True, False],
            "severity": ["ERROR", "WARN", "ERROR", "ERROR"],
            "summary": ["ok", "2 duplicate ids", "ok", "3 rows off by > 1%"],
        }
    )


def hand_signals() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": ["SPY", "NVDA", "AAPL"],
            "date": DATE,
            "score": [0.21, -0.6254, 0.05],
            "confidence": [0.5, 0.8, 0.3],
            "direction": ["long", "short", "neutral"],
            "conflicts": [1, 0, 2],
            "component_regime": [0.4, -0.9, 0.0],
        }
    )


def simulated_report_inputs(symbols: tuple[str, ...] = ("NVDA", "SPY")) -> dict:
    """A day of simulated equities with analytics frames derived crudely from its bars."""
    market = SimulatedMarket(
        SimulationConfig(seed=7, ticks_per_session=20_000, crypto_trades_per_hour=3_000),
        load_universe(),
    )
    start = pd.Timestamp(DAY, tz="America/New_York").tz_convert("UTC")
    end = start + pd.Timedelta(days=1)
    ticks = market.fetch(Source.EQUITY_TICKS, start, end, list(symbols))
    bars = time_bars(ticks, "5min", sessions=[DAY])
    levels, profiles = [], []
    for symbol, group in bars.groupby("symbol", observed=True):
        volume, edges = np.histogram(group["vwap"], bins=12, weights=group["volume"])
        prices = (edges[:-1] + edges[1:]) / 2
        by_volume = np.argsort(-volume, kind="stable")
        inside = np.zeros(len(volume), dtype=bool)
        inside[by_volume[np.cumsum(volume[by_volume]) <= 0.7 * volume.sum()]] = True
        inside[by_volume[0]] = True
        levels.append(
            pd.DataFrame(
                {
                    "symbol": symbol,
                    "date": DATE,
                    "price": prices,
                    "tpo_count": 1,
                    "volume": volume,
                    "in_value_area": inside,
                    "is_poc": np.arange(len(volume)) == by_volume[0],
                }
            )
        )
        profiles.append(
            {
                "symbol": symbol,
                "date": DATE,
                "poc": prices[by_volume[0]],
                "vah": prices[inside].max(),
                "val": prices[inside].min(),
            }
        )
    drift = bars.groupby("symbol", observed=True)["close"].diff(6).fillna(0.0)
    regime = np.select([drift > 0.2, drift < -0.2], ["trend_up", "trend_down"], "range")
    return {
        "bars": bars,
        "levels": pd.concat(levels, ignore_index=True),
        "profile": pd.DataFrame(profiles),
        "regime_bars": bars[["symbol", "ts"]].assign(regime=regime),
        "darkpool": market.fetch(Source.DARKPOOL_PRINTS, start, end, list(symbols)),
        "tier_results": hand_tiers(),
        "signals": hand_signals(),
    }


def plotted_data(page: str, div_id: str) -> list[dict]:
    """The traces passed to ``Plotly.newPlot`` for ``div_id``, typed arrays decoded."""
    anchor = page.index(f'"{div_id}",', page.index("Plotly.newPlot"))
    start = page.index("[", anchor)
    traces, _ = json.JSONDecoder().raw_decode(page, start)
    return [{k: _decoded(v) for k, v in trace.items()} for trace in traces]


def _decoded(value: object) -> object:
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return value


@pytest.fixture(scope="module")
def simulated() -> dict:
    return simulated_report_inputs()


def test_candles_and_volume_equal_the_input_bars_on_new_york_wall_time():
    bars = hand_bars()
    fig = symbol_figure(bars, None, None, None, None)
    candle, volume = fig.data
    assert (candle.type, volume.type) == ("candlestick", "bar")
    for column in ("open", "high", "low", "close"):
        np.testing.assert_array_equal(np.asarray(getattr(candle, column)), bars[column])
    np.testing.assert_array_equal(np.asarray(volume.y), bars["volume"])
    up = np.asarray(volume.marker.color) == 1  # coloured as the candle: up green, down red
    np.testing.assert_array_equal(up, bars["close"] >= bars["open"])
    assert [c for _, c in volume.marker.colorscale] == ["#d64541", "#26a65b"]
    wall = pd.to_datetime(np.asarray(candle.x))
    assert wall[0] == pd.Timestamp("2025-11-25 09:30") and wall[-1] == pd.Timestamp(
        "2025-11-25 09:55"
    )
    assert (volume.xaxis, fig.layout.xaxis.matches) == ("x3", "x3")
    assert fig.layout.xaxis3.title.text == "time (New York)"  # the axis names its zone
    assert len(fig.layout.shapes) == 0


def test_profile_bars_sit_on_a_second_x_axis_matched_to_the_price_axis():
    fig = symbol_figure(hand_bars(), hand_levels(), hand_profile(), None, None)
    profile = fig.data[2]
    assert (profile.type, profile.orientation) == ("bar", "h")
    assert (profile.xaxis, profile.yaxis, fig.layout.yaxis2.matches) == ("x2", "y2", "y")
    np.testing.assert_array_equal(np.asarray(profile.y), [10.0, 10.5, 11.0, 11.5])
    np.testing.assert_array_equal(np.asarray(profile.x), [80.0, 500.0, 300.0, 80.0])
    colors = list(profile.marker.color)
    assert colors[1] == colors[2] != colors[0] == colors[3]  # the value area stands out


def test_poc_vah_val_lines_and_value_area_band_sit_at_the_profile_levels():
    fig = symbol_figure(hand_bars(), hand_levels(), hand_profile(), None, None)
    shapes = {shape.name: shape for shape in fig.layout.shapes}
    assert set(shapes) == {"poc", "vah", "val", "value_area"}
    for name, price in {"poc": 10.5, "vah": 11.0, "val": 10.5}.items():
        line = shapes[name]
        assert (line.type, line.yref, line.y0, line.y1) == ("line", "y", price, price)
        assert (line.xref, line.x0, line.x1) == ("paper", 0, 1)
        assert line.label.text == f"{name.upper()} {price:.2f}"
    band = shapes["value_area"]
    assert (band.type, band.xref, band.y0, band.y1) == ("rect", "x2 domain", 10.5, 11.0)


def test_regime_shading_has_one_span_per_run_of_equal_regime():
    fig = symbol_figure(hand_bars(), None, None, hand_regimes(), None)
    spans = [
        (shape.name, str(shape.x0), str(shape.x1), shape.yref, bool(shape.showlegend))
        for shape in fig.layout.shapes
        if shape.name.startswith("regime: ")
    ]
    assert spans == [
        ("regime: range", "2025-11-25 09:30", "2025-11-25 09:40", "y domain", True),
        ("regime: trend_up", "2025-11-25 09:40", "2025-11-25 09:55", "y domain", True),
        ("regime: range", "2025-11-25 09:55", "2025-11-25 10:00", "y domain", False),
    ]
    # rectangles on the price axis: plotly's defaults, left out of the page's JSON
    assert {(shape.type, shape.xref) for shape in fig.layout.shapes if shape.x0} == {(None, None)}


def test_a_session_of_one_minute_regime_flips_shades_every_span_quickly():
    ts = pd.date_range(OPEN_UTC, periods=390, freq="1min")
    bars = pd.DataFrame(
        {"symbol": "SPY", "ts": ts, "open": 1.0, "high": 2.0, "low": 0.5, "close": 1.5}
    ).assign(volume=10)
    flips = np.where(np.arange(390) % 2 == 0, "range", "trend_up")
    regimes = pd.DataFrame({"symbol": "SPY", "ts": ts, "regime": flips})
    started = time.perf_counter()
    fig = symbol_figure(bars, None, None, regimes, None)
    # one shape at a time (add_vrect) took 86 s here; building the list at once takes ~0.2 s
    assert time.perf_counter() - started < 10.0
    assert len(fig.layout.shapes) == 390
    assert sum(bool(shape.showlegend) for shape in fig.layout.shapes) == 2


def test_regime_spans_count_bars_and_end_one_interval_after_the_last_bar():
    spans = regime_spans(hand_regimes())
    assert spans["regime"].tolist() == ["range", "trend_up", "range"]
    assert spans["bars"].tolist() == [2, 3, 1]
    assert spans["end"].iloc[-1] == OPEN_UTC + pd.Timedelta(minutes=30)
    single = regime_spans(hand_regimes().iloc[:1])
    assert single["end"].iloc[0] - single["start"].iloc[0] == pd.Timedelta(minutes=1)
    wide = regime_spans(hand_regimes(), bar_interval=pd.Timedelta(minutes=15))
    assert wide["end"].iloc[0] == OPEN_UTC + pd.Timedelta(minutes=20)


def test_darkpool_prints_are_one_marker_each_sized_by_premium():
    fig = symbol_figure(hand_bars(), None, None, None, hand_prints())
    (prints,) = [trace for trace in fig.data if trace.name == "dark-pool prints"]
    assert (prints.type, prints.mode, prints.xaxis) == ("scatter", "markers", "x")
    np.testing.assert_array_equal(np.asarray(prints.y), [10.75, 11.1])
    # diameter 6 + 24 * sqrt(premium / max premium): 250 of 1000 gives 6 + 24 * 0.5
    np.testing.assert_allclose(np.asarray(prints.marker.size), [18.0, 30.0])
    wall = pd.to_datetime(np.asarray(prints.x))
    assert list(wall.strftime("%H:%M")) == ["09:37", "09:51"]


@pytest.mark.parametrize("layer", ["levels", "profile", "regime_bars", "darkpool"])
def test_a_layer_of_another_symbol_is_rejected_by_name(layer):
    frames = {
        "levels": hand_levels(),
        "profile": hand_profile(),
        "regime_bars": hand_regimes(),
        "darkpool": hand_prints(),
    }
    frames[layer] = frames[layer].assign(symbol="QQQ")
    with pytest.raises(ValueError, match=f"^{layer}: expected only 'SPY'"):
        symbol_figure(hand_bars(), **frames)


def test_bars_must_be_one_nonempty_symbol():
    mixed = pd.concat([hand_bars("SPY"), hand_bars("QQQ")], ignore_index=True)
    with pytest.raises(ValueError, match=r"^bars: expected exactly one symbol"):
        symbol_figure(mixed, None, None, None, None)
    with pytest.raises(ValueError, match=r"^bars: no rows"):
        symbol_figure(hand_bars().iloc[:0], None, None, None, None)


def test_tiers_table_lists_errors_then_warnings_then_passes():
    (table,) = tiers_table(hand_tiers()).data
    assert list(table.header.values) == [
        "tier",
        "source",
        "partition",
        "check",
        "passed",
        "severity",
        "summary",
    ]
    tier, source, _, check, passed, severity, summary = table.cells.values
    assert list(check) == ["premium_matches", "unique_print_ids", "price_positive", "ts_sorted"]
    assert list(tier) == ["3", "2", "1", "1"]
    assert list(source) == ["options_flow", "darkpool_prints", "equity_ticks", "equity_ticks"]
    assert list(passed) == ["FAIL", "FAIL", "pass", "pass"]
    assert list(severity) == ["ERROR", "WARN", "ERROR", "ERROR"]
    assert list(summary)[:2] == ["3 rows off by > 1%", "2 duplicate ids"]
    assert list(table.cells.fill.color[0]) == ["#f6d5d3", "#fcebc5", "white", "white"]


def test_signals_table_orders_by_absolute_score_and_rounds():
    (table,) = signals_table(hand_signals()).data
    header = list(table.header.values)
    assert header == ["symbol", "direction", "score", "confidence", "conflicts", "component_regime"]
    columns = dict(zip(header, table.cells.values, strict=True))
    assert list(columns["symbol"]) == ["NVDA", "SPY", "AAPL"]
    assert list(columns["score"]) == [-0.625, 0.21, 0.05]
    assert list(columns["conflicts"]) == ["0", "1", "2"]
    assert list(columns["component_regime"]) == [-0.9, 0.4, 0.0]


def test_signals_table_shows_missing_values_as_a_dash_and_drops_empty_components():
    signals = hand_signals().assign(
        component_flow=[0.25, np.nan, -0.5],  # NVDA has no flow that day
        component_oi=np.nan,  # equities have no open interest
    )
    (table,) = signals_table(signals).data
    header = list(table.header.values)
    assert header[-2:] == ["component_regime", "component_flow"]  # component_oi left out
    columns = dict(zip(header, table.cells.values, strict=True))
    assert list(columns["component_flow"]) == ["\u2014", 0.25, -0.5]  # NVDA, SPY, AAPL
    figure_json = signals_table(signals).to_json()
    assert "null" not in figure_json and "NaN" not in figure_json


def test_report_references_the_shared_plotlyjs_and_renders_every_section(simulated, tmp_path):
    private = os.umask(0o077)  # the mode must not depend on who writes the page
    try:
        path = write_daily_report(tmp_path / "reports" / "daily.html", DAY, **simulated)
    finally:
        os.umask(private)
    page = path.read_text(encoding="utf-8")
    assert path == tmp_path / "reports" / "daily.html"
    assert page.count('src="plotly.min.js"') == 1 and '<script src="http' not in page
    assert f"plotly.js v{get_plotlyjs_version()}" not in page  # the library is not embedded
    bundle = path.parent / "plotly.min.js"
    assert bundle.read_text(encoding="utf-8") == get_plotlyjs()
    assert path.stat().st_size < 200_000
    assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE(bundle.stat().st_mode) == 0o644
    assert page.count("Plotly.newPlot(") == 4  # two tables, two symbol charts
    assert "<title>Daily report 2025-11-25</title>" in page
    sections = ['id="tiers"', 'id="signals"', 'id="symbol-NVDA"', 'id="symbol-SPY"']
    assert [page.index(s) for s in sections] == sorted(page.index(s) for s in sections)
    tier_cells = plotted_data(page, "chart-tiers")[0]["cells"]["values"]
    assert tier_cells[3] == ["premium_matches", "unique_print_ids", "price_positive", "ts_sorted"]
    signal_cells = plotted_data(page, "chart-signals")[0]["cells"]["values"]
    assert signal_cells[0] == ["NVDA", "SPY", "AAPL"] and signal_cells[2] == [-0.625, 0.21, 0.05]
    bars, prints = simulated["bars"], simulated["darkpool"]
    for symbol in ("NVDA", "SPY"):
        traces = plotted_data(page, f"chart-symbol-{symbol}")
        assert [t["type"] for t in traces] == ["candlestick", "bar", "scatter", "bar"]
        mine = bars[bars["symbol"] == symbol]
        np.testing.assert_array_equal(traces[0]["close"], mine["close"].to_numpy())
        assert len(traces[2]["y"]) == int((prints["symbol"] == symbol).sum()) > 0


def test_report_keeps_only_the_session_rows(tmp_path):
    earlier = hand_bars("QQQ").assign(ts=lambda f: f["ts"] - pd.Timedelta(days=1))
    bars = pd.concat([hand_bars("SPY"), earlier], ignore_index=True)
    stale = hand_signals().assign(date=DATE - pd.Timedelta(days=1), symbol="OLD")
    signals = pd.concat([hand_signals(), stale], ignore_index=True)
    page = write_daily_report(tmp_path / "r.html", DAY, bars, signals=signals).read_text()
    assert 'id="symbol-SPY"' in page and 'id="symbol-QQQ"' not in page
    assert plotted_data(page, "chart-signals")[0]["cells"]["values"][0] == ["NVDA", "SPY", "AAPL"]
    assert len(plotted_data(page, "chart-symbol-SPY")[0]["close"]) == 6


def test_a_failed_report_leaves_the_previous_file_and_no_temporary_file(tmp_path, monkeypatch):
    target = tmp_path / "daily.html"
    target.write_text("previous report")
    real = daily.symbol_figure

    def fail_on_second(bars: pd.DataFrame, *args: object, **kwargs: object):
        if (bars["symbol"] == "SPY").any():
            raise RuntimeError("chart failed")
        return real(bars, *args, **kwargs)

    monkeypatch.setattr(daily, "symbol_figure", fail_on_second)
    bars = pd.concat([hand_bars("AAPL"), hand_bars("SPY")], ignore_index=True)
    with pytest.raises(RuntimeError, match="chart failed"):
        write_daily_report(target, DAY, bars)
    assert target.read_text() == "previous report"
    assert sorted(p.name for p in Path(tmp_path).iterdir()) == ["daily.html", "plotly.min.js"]


def test_summary_markdown_names_session_symbols_top_signals_and_failures():
    text = report_summary_markdown(
        DAY, ["AAPL", "NVDA", "SPY"], hand_signals(), hand_tiers(), top=2
    )
    assert text.splitlines() == [
        "**Daily report 2025-11-25** · 3 symbols: AAPL, NVDA, SPY",
        "- Top signals: NVDA short -0.63 (conf 0.80); SPY long +0.21 (conf 0.50)",
        "- Failed checks: 2 of 4 (1 ERROR, 1 WARN)",
        "  - tier 3 ERROR options_flow 2025-11-25 `premium_matches`: 3 rows off by > 1%",
        "  - tier 2 WARN darkpool_prints 2025-11-25 `unique_print_ids`: 2 duplicate ids",
    ]


def test_summary_markdown_without_signals_and_with_every_check_passed():
    passed = hand_tiers().assign(passed=True)
    assert report_summary_markdown(DAY, ["SPY"], None, passed).splitlines()[1:] == [
        "- Top signals: none",
        "- Checks: all 4 passed",
    ]


def test_a_session_without_bars_still_gets_its_page_with_the_failed_tier(tmp_path):
    """Nothing stored for the session (a feed outage): the page is written with the tiers and
    signals tables and no symbol section, instead of the asset failing on a missing column."""
    tiers = pd.DataFrame(
        [["equity_ticks", "2025-11-24", "tier1_structure", 1, False, "ERROR", "no rows"]],
        columns=["source", "partition", "check", "tier", "passed", "severity", "summary"],
    )
    path = write_daily_report(
        tmp_path / "2025-11-24.html",
        "2025-11-24",
        pd.DataFrame(),
        tier_results=tiers,
        signals=pd.DataFrame(),
    )
    page = path.read_text()
    assert "Session 2025-11-24 · 0 symbols" in page
    assert 'id="symbol-' not in page
    assert "tier1_structure" in page and "no rows" in page
    assert report_summary_markdown("2025-11-24", [], tier_results=tiers).startswith(
        "**Daily report 2025-11-24** · 0 symbols"
    )


def hand_portfolio() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two sessions of portfolio summary rows and the session's two positions."""
    from vvv_pipeline.analytics.portfolio import COLUMNS, POSITION_COLUMNS

    summary = pd.DataFrame(np.nan, index=range(2), columns=list(COLUMNS))
    summary = summary.assign(
        date=[DATE - pd.Timedelta(days=1), DATE],
        cash=100.0,
        total_value=[110.0, 125.0],
        pnl_day=[np.nan, 20.0],
        pnl_total=[30.0, 45.0],
        var_95=[np.nan, 0.02],
        cvar_95=[np.nan, 0.03],
        var_95_value=[np.nan, 2.5],
        cvar_95_value=[np.nan, 3.75],
    )
    positions = pd.DataFrame(
        {
            "symbol": ["B", "A"],
            "date": DATE,
            "quantity": [-5.0, 10.0],
            "cost_basis": [22.0, 9.0],
            "close": [19.0, 12.0],
            "market_value": [-95.0, 120.0],
            "weight": [-0.76, 0.96],
            "pnl_day": [10.0, 10.0],
            "pnl_total": [15.0, 30.0],
            "var_contribution_95": [-0.005, 0.025],
            "cvar_contribution_95": [0.001, 0.029],
        }
    )[list(POSITION_COLUMNS)]
    return summary, positions


def test_report_shows_the_portfolio_table_and_chart_after_the_signals(tmp_path):
    summary, positions = hand_portfolio()
    page = write_daily_report(
        tmp_path / "r.html",
        DAY,
        hand_bars("SPY"),
        signals=hand_signals(),
        portfolio=summary,
        portfolio_positions=positions,
    ).read_text()
    order = ['id="signals"', 'id="portfolio"', 'id="portfolio-risk"', 'id="symbol-SPY"']
    assert [page.index(s) for s in order] == sorted(page.index(s) for s in order)
    cells = plotted_data(page, "chart-portfolio")[0]["cells"]["values"]
    assert cells[0] == ["A", "B", "cash", "total"]  # largest |market value| first
    assert cells[3] == [120.0, -95.0, 100.0, 125.0]
    assert cells[4] == [0.96, -0.76, 0.8, 1.0]
    assert cells[8] == [0.029, 0.001, "\u2014", 0.03]  # CVaR contributions, then the total
    traces = plotted_data(page, "chart-portfolio-risk")
    assert [t["type"] for t in traces] == ["scatter", "scatter", "bar", "bar"]
    assert list(traces[0]["y"]) == [110.0, 125.0]
    assert list(traces[3]["x"]) == ["B", "A"]  # the positions in their order
    assert list(traces[3]["y"]) == pytest.approx([0.1, 2.9])  # CVaR contribution, % of value


def test_no_portfolio_section_without_a_portfolio_row_for_the_session(tmp_path):
    summary, positions = hand_portfolio()
    earlier = summary.iloc[:1]
    page = write_daily_report(
        tmp_path / "r.html", DAY, hand_bars("SPY"), portfolio=earlier, portfolio_positions=positions
    ).read_text()
    assert 'id="portfolio"' not in page and page.count("Plotly.newPlot(") == 3


def test_summary_markdown_has_the_portfolio_line():
    summary, _ = hand_portfolio()
    text = report_summary_markdown(DAY, ["SPY"], None, None, portfolio=summary.iloc[1])
    assert text.splitlines()[2] == (
        "- Portfolio: value 125.00, P&L day +20.00, total +45.00, 1-day VaR 95 % 2.50, CVaR 3.75"
    )


def plotted_layout(page: str, div_id: str) -> dict:
    """The layout passed to ``Plotly.newPlot`` for ``div_id`` (after its traces)."""
    anchor = page.index(f'"{div_id}",', page.index("Plotly.newPlot"))
    _, end = json.JSONDecoder().raw_decode(page, page.index("[", anchor))
    layout, _ = json.JSONDecoder().raw_decode(page, page.index("{", end))
    return layout


def test_crypto_page_has_no_tiers_and_draws_each_pairs_zones_and_oi_spikes(tmp_path):
    bars = hand_bars("BTCUSDT")
    zones = pd.DataFrame(
        {
            "symbol": "BTCUSDT",
            "date": DATE,
            "kind": ["supply", "demand", "hvn"],
            "price_low": [101.5, 99.0, 100.0],
            "price_high": [102.0, 99.5, 100.5],
        }
    )
    spikes = pd.DataFrame(
        {
            "symbol": "BTCUSDT",
            "ts": bars["ts"].iloc[[1, 3]].to_numpy(),
            "oi_change": [250.0, -400.0],
            "oi_change_pct": [0.012, -0.02],
            "size_class": ["large", "whale"],
            "mark_price": [100.2, 99.8],
        }
    )
    signals = (
        hand_signals()
        .assign(symbol="BTCUSDT", rule="trap_veto", reason="neutral +0.47: vetoed")
        .iloc[:1]
    )
    page = write_daily_report(
        tmp_path / "crypto.html",
        DAY,
        bars,
        signals=signals,
        zones=zones,
        oi_spikes=spikes,
        title="Crypto daily report 2025-11-25",
        with_tiers=False,
        period="New York day",
    ).read_text()
    assert 'id="tiers"' not in page and "New York day 2025-11-25 · 1 symbols" in page
    header = plotted_data(page, "chart-signals")[0]["header"]["values"]
    assert header[-2:] == ["rule", "reason"]
    layout = plotted_layout(page, "chart-symbol-BTCUSDT")
    bands = [s for s in layout["shapes"] if s.get("name", "").startswith("zone: ")]
    assert [(b["name"], b["y0"], b["y1"]) for b in bands] == [
        ("zone: supply", 101.5, 102.0),
        ("zone: demand", 99.0, 99.5),
        ("zone: hvn", 100.0, 100.5),
    ]
    (spike,) = [t for t in plotted_data(page, "chart-symbol-BTCUSDT") if t["name"] == "OI spikes"]
    assert list(spike["y"]) == [100.2, 99.8]
    assert list(spike["marker"]["symbol"]) == ["triangle-up", "triangle-down"]
    assert list(_decoded(spike["marker"]["size"])) == [11.0, 15.0]  # large, whale
