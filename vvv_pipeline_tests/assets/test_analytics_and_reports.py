"""Analytics and report assets end to end: stored results equal the pure layer on stored inputs."""

import stat
from pathlib import Path

import dagster as dg
import pandas as pd

from vvv_pipeline.analytics.profile import market_profile
from vvv_pipeline.defs.assets.frames_io import read_bars, read_days
from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline.defs.jobs import SESSION_SOURCES
from vvv_pipeline.read import load_series
from vvv_pipeline.settings import arctic_uri
from vvv_pipeline.storage.derived import MARKET_PROFILE, SIGNALS, DerivedStore
from vvv_pipeline_tests.assets.test_derived import EQUITIES, _run, _span

DAYS = ["2025-11-24", "2025-11-25"]
CRYPTO = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]


def _materialization(result: dg.ExecuteInProcessResult, asset: str):
    for event in result.get_asset_materialization_events():
        mat = event.step_materialization_data.materialization
        if mat.asset_key.to_user_string() == asset:
            return mat
    raise AssertionError(f"no materialization of {asset}")


def test_analytics_and_daily_report_of_a_range(two_days_store):
    # the crypto hours, the calendar days and the sessions of DAYS, each job over the range
    assert two_days_store.days == DAYS
    result = two_days_store.session_run
    start, end = _span(DAYS)
    derived = DerivedStore(arctic_uri())

    # the stored profile is the pure profile of the stored 1-minute bars
    bars = read_bars(derived, EQUITIES, "1min", start, end)
    want = market_profile(bars, sessions=DAYS).summary
    got = read_days(derived, MARKET_PROFILE, EQUITIES, start, end)
    assert len(got) == len(EQUITIES) * len(DAYS)
    got = got.sort_values(["symbol", "date"], ignore_index=True)
    want = want.assign(symbol=want["symbol"].astype(str)).sort_values(["symbol", "date"])
    pd.testing.assert_frame_equal(
        got.assign(symbol=got["symbol"].astype(str))[want.columns].reset_index(drop=True),
        want.assign(close_location=want["close_location"].astype(str)).reset_index(drop=True),
        check_dtype=False,
        check_categorical=False,
    )
    assert ((got["val"] <= got["poc"]) & (got["poc"] <= got["vah"])).all()

    signals = load_series(SIGNALS, EQUITIES + CRYPTO, start, end)
    assert len(signals) == (len(EQUITIES) + len(CRYPTO)) * len(DAYS)
    assert signals["score"].between(-1, 1).all() and signals["confidence"].between(0, 1).all()
    crypto = signals[signals["key"].isin(CRYPTO)]
    assert crypto["component_oi"].notna().all() and crypto["component_flow"].isna().all()

    reports = {
        e.partition: e.step_materialization_data.materialization
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey("daily_report")
    }
    assert sorted(reports) == DAYS
    for day, report in reports.items():  # each session links its own page, not the range's last
        page = report.metadata["report"].value
        assert page.endswith(f"{day}.html")
        html = Path(page).read_text(encoding="utf-8")
        assert "tier1_structure" in html and "AAPL" in html and "Plotly" in html
        # ten equities' charts, the library beside the page (once for all pages), readable
        assert Path(page).stat().st_size < 200_000
        assert (Path(page).parent / "plotly.min.js").is_file()
        assert stat.S_IMODE(Path(page).stat().st_mode) == 0o644
        assert report.metadata["report_url"].value == Path(page).as_uri()
        signals = html[html.index('id="signals"') : html.index('id="symbol-')]
        assert "component_regime" in signals and "component_oi" not in signals
        assert "null" not in signals  # missing values are em dashes
        assert day in report.metadata["summary"].value
        assert report.metadata["dagster/row_count"].value == 1
        # the day's zones of a symbol are bands on its chart
        from vvv_pipeline.storage.derived import ZONES
        from vvv_pipeline_tests.reports.test_daily_report import plotted_layout

        zones = read_days(derived, ZONES, ["AAPL"], *_span([day]))
        layout = plotted_layout(html, "chart-symbol-AAPL")
        bands = [s for s in layout["shapes"] if s.get("name", "").startswith("zone: ")]
        assert len(bands) == len(zones) > 0


def test_coverage_report_counts_the_missing_partitions(data_dir, instance):
    _run("session_sources_job", DAYS, instance, assets=SESSION_SOURCES)  # what it counts
    defs = build_definitions()
    run_config = {"ops": {"coverage_report": {"config": {"lookback_days": 7, "end": DAYS[-1]}}}}
    result = defs.resolve_job_def("coverage_report_job").execute_in_process(
        instance=instance, run_config=run_config
    )
    mat = _materialization(result, "coverage_report")
    # 2025-11-19..25: five sessions (19, 20, 21, 24, 25) per session source, two materialized
    summary = mat.metadata["summary"].value
    assert "| equity_ticks | 5 | 2 | 3 | 0 |" in summary, summary
    page = Path(mat.metadata["report"].value)
    html = page.read_text(encoding="utf-8")
    assert "equity_ticks" in html and "crypto_trades" in html
    assert "<title>Source coverage 2025-11-19 .. 2025-11-25</title>" in html
    assert stat.S_IMODE(page.stat().st_mode) == 0o644 and page.stat().st_size < 200_000
    assert mat.metadata["report_url"].value == page.as_uri()


def test_signals_fuse_six_analytics_and_say_why(two_days_store):
    first, second = two_days_store.days
    derived = DerivedStore(arctic_uri())
    signals = read_days(derived, SIGNALS, EQUITIES + CRYPTO, *_span(two_days_store.days))
    signals = signals.assign(key=signals["symbol"].astype(str))
    on_second = signals[signals["date"] == pd.Timestamp(second)]
    # every instrument fuses regime, velocity, profile, zones, traps and flow (or OI)
    for kind, symbols, participation in ((EQUITIES, EQUITIES, "flow"), (CRYPTO, CRYPTO, "oi")):
        rows = on_second[on_second["key"].isin(symbols)]
        for name in ("regime", "velocity", "profile", "zones", "traps", participation):
            assert rows[f"component_{name}"].notna().all(), (kind, name)
    # the first day has no earlier levels to read traps against: that component is missing
    assert signals.loc[signals["date"] == pd.Timestamp(first), "component_traps"].isna().all()
    assert set(signals["rule"]) <= {
        "none",
        "trap_veto",
        "volatile_regime",
        "participation_disagrees",
    }
    for row in signals.itertuples(index=False):
        assert row.reason.startswith(f"{row.direction} {row.score:+.2f}, confidence"), row


def test_crypto_daily_report_pages_draw_the_stored_zones_and_spikes(two_days_store):
    from vvv_pipeline.defs.assets.reports import reports_dir
    from vvv_pipeline.storage.derived import OI_SPIKES, ZONES
    from vvv_pipeline_tests.reports.test_daily_report import plotted_data, plotted_layout

    derived = DerivedStore(arctic_uri())
    for day in two_days_store.days:
        page = (reports_dir() / "crypto" / f"{day}.html").read_text(encoding="utf-8")
        assert f"<title>Crypto daily report {day}</title>" in page and 'id="tiers"' not in page
        header = plotted_data(page, "chart-signals")[0]["header"]["values"]
        assert "component_oi" in header and "component_flow" not in header
        zones = read_days(derived, ZONES, CRYPTO, *_span([day]))
        spikes = derived.read(OI_SPIKES, [f"{p}/spikes" for p in CRYPTO], *_span([day]))
        for pair in CRYPTO:
            layout = plotted_layout(page, f"chart-symbol-{pair}")
            bands = [s for s in layout["shapes"] if s.get("name", "").startswith("zone: ")]
            assert len(bands) == int((zones["symbol"].astype(str) == pair).sum()) > 0
            traces = plotted_data(page, f"chart-symbol-{pair}")
            drawn = [t for t in traces if t.get("name") == "OI spikes"]
            stored = int((spikes["key"] == f"{pair}/spikes").sum()) if len(spikes) else 0
            assert sum(len(t["x"]) for t in drawn) == stored
