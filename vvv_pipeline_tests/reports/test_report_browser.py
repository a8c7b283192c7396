"""The daily report as a person sees it: opened from file:// in headless Chromium, offline.

The page must render every chart from the plotly.min.js beside it (nothing is fetched from a
network), and a full-page screenshot is kept in the artifacts folder for a person to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vvv_pipeline.reports.daily import report_title, write_daily_report
from vvv_pipeline_tests import browser
from vvv_pipeline_tests.browser import artifacts_dir, open_page, png_size, save_screenshot
from vvv_pipeline_tests.reports.test_daily_report import DAY, simulated_report_inputs

VIEWPORT = (1400, 900)


def test_report_renders_every_chart_offline_and_is_screenshotted(tmp_path):
    symbols = ("NVDA", "SPY")
    inputs = simulated_report_inputs(symbols)
    report = write_daily_report(tmp_path / "daily.html", DAY, **inputs)
    out_png = artifacts_dir() / "daily_report.png"
    out_png.unlink(missing_ok=True)
    with open_page(report, VIEWPORT) as page:
        # every resource the page fetched while loading: its folder's plotly.min.js, no network
        fetched = page.evaluate("performance.getEntriesByType('resource').map(e => e.name)")
        assert [url for url in fetched if not url.startswith("file://")] == []
        scripts = page.evaluate("Array.from(document.scripts).filter(s => s.src).map(s => s.src)")
        assert scripts == [(tmp_path / "plotly.min.js").as_uri()]
        assert page.evaluate("typeof Plotly") == "object"  # loaded from beside the page
        assert page.title() == report_title(DAY)
        assert page.locator(".js-plotly-plot").count() == 2 + len(symbols)
        for symbol in symbols:
            section = page.locator(f"#symbol-{symbol}")
            assert section.locator(".main-svg").count() >= 1
            bars = int((inputs["bars"]["symbol"] == symbol).sum())
            assert section.locator(".boxlayer path").count() == bars  # one drawn candle per bar
        rows = page.locator("#tiers .js-plotly-plot").inner_text()
        assert "unique_print_ids" in rows and "FAIL" in rows
        save_screenshot(page, out_png)
    width, height = png_size(out_png)
    assert width == VIEWPORT[0] and height > VIEWPORT[1]  # full page: taller than the viewport
    assert out_png.stat().st_size > 50_000


def test_a_configured_chromium_that_is_missing_fails_instead_of_installing(tmp_path, monkeypatch):
    monkeypatch.setenv("VVV_CHROMIUM", str(tmp_path / "no-such-chromium"))
    with pytest.raises(RuntimeError, match=r"VVV_CHROMIUM=.*no-such-chromium is not an executable"):
        browser.chromium_executable()


def test_a_missing_chromium_without_root_fails_with_the_install_command(tmp_path, monkeypatch):
    monkeypatch.delenv("VVV_CHROMIUM", raising=False)
    monkeypatch.setattr(browser, "DEFAULT_CHROMIUM", str(tmp_path / "chromium"))
    monkeypatch.setattr(browser.os, "geteuid", lambda: 1000)
    with pytest.raises(RuntimeError, match="apt-get install -y chromium"):
        browser.chromium_executable()


def test_artifacts_dir_follows_the_environment_and_is_created(tmp_path, monkeypatch):
    monkeypatch.setenv("VVV_ARTIFACTS_DIR", str(tmp_path / "shots"))
    assert artifacts_dir() == tmp_path / "shots" and (tmp_path / "shots").is_dir()
    monkeypatch.delenv("VVV_ARTIFACTS_DIR")
    default = Path(browser.__file__).resolve().parents[1] / "data/artifacts/screenshots"
    assert artifacts_dir() == default


def test_png_size_reads_the_header_and_rejects_other_files(tmp_path):
    header = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + (640).to_bytes(4, "big")
    (tmp_path / "a.png").write_bytes(header + (480).to_bytes(4, "big") + b"rest")
    assert png_size(tmp_path / "a.png") == (640, 480)
    (tmp_path / "b.png").write_text("not an image")
    with pytest.raises(ValueError, match=r"b\.png is not a PNG"):
        png_size(tmp_path / "b.png")
