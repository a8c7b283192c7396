"""The coverage heatmap and summary on a hand-made case with daily and hourly assets."""

from __future__ import annotations

import base64
import os
import re
import stat

import numpy as np
import pandas as pd
import pytest
from plotly.offline import get_plotlyjs

from vvv_pipeline.defs.automation.gaps import expected_partition_keys, find_gaps
from vvv_pipeline.defs.coverage_report import (
    coverage_figure,
    coverage_markdown,
    daily_status,
    status_frame,
    write_coverage_html,
    write_coverage_report,
)
from vvv_pipeline.defs.partitions import hourly_partitions

DAYS = ["2025-11-21", "2025-11-22", "2025-11-23", "2025-11-24"]
NAN = np.nan


def _hours(day: str) -> list[str]:
    return expected_partition_keys(hourly_partitions(), day, day).tolist()


def _case() -> list:
    friday, saturday = _hours(DAYS[0]), _hours(DAYS[1])
    return [
        find_gaps("equity_ticks", [DAYS[0], DAYS[3]], [DAYS[0]]),
        find_gaps("news_headlines", DAYS, DAYS, [DAYS[1]]),
        find_gaps("crypto_trades", friday + saturday, friday[:10] + friday[12:] + saturday),
    ]


def test_hourly_partitions_roll_up_to_new_york_days_with_hours_counted():
    daily = daily_status(status_frame(_case()))
    crypto = daily[daily["asset"] == "crypto_trades"].sort_values("day")
    assert crypto[["day", "state", "present", "expected"]].values.tolist() == [
        [DAYS[0], "missing", 22, 24],
        [DAYS[1], "materialized", 24, 24],
    ]
    assert len(daily) == 2 + 4 + 2


def test_clock_change_days_roll_up_25_and_23_hours():
    hours = _hours("2025-11-02") + _hours("2026-03-08")
    daily = daily_status(find_gaps("crypto_trades", hours, hours).to_frame())
    assert daily[["day", "expected", "present"]].values.tolist() == [
        ["2025-11-02", 25, 25],
        ["2026-03-08", 23, 23],
    ]


def test_heatmap_has_one_trace_with_states_as_codes_and_blanks_for_non_partitions():
    figure = coverage_figure(_case())
    assert len(figure.data) == 1
    heatmap = figure.data[0]
    assert heatmap.type == "heatmap"
    assert list(heatmap.y) == ["equity_ticks", "news_headlines", "crypto_trades"]
    assert list(heatmap.x) == DAYS
    np.testing.assert_array_equal(
        np.asarray(heatmap.z, dtype=float),
        [[2, NAN, NAN, 0], [2, 1, 2, 2], [0, 2, NAN, NAN]],
    )
    assert list(heatmap.colorbar.tickvals) == [0, 1, 2]
    assert list(heatmap.colorbar.ticktext) == ["missing", "failed_tier1", "materialized"]
    assert (heatmap.zmin, heatmap.zmax) == (-0.5, 2.5)
    assert figure.layout.xaxis.type == "category"  # one column per day, no hour ticks


def test_hover_text_names_asset_day_state_and_hours_present():
    text = np.asarray(coverage_figure(_case()).data[0].text, dtype=object)
    assert text[0, 3] == "equity_ticks<br>2025-11-24<br>missing"
    assert text[1, 1] == "news_headlines<br>2025-11-22<br>failed_tier1"
    assert text[2, 0] == "crypto_trades<br>2025-11-21<br>missing<br>22 of 24 hours present"
    assert text[0, 1] == ""  # a Saturday is not a session


def test_a_status_frame_gives_the_same_figure_and_unknown_states_are_rejected():
    status = status_frame(_case())
    from_frame = coverage_figure(status).data[0]
    np.testing.assert_array_equal(
        np.asarray(from_frame.z, dtype=float), np.asarray(coverage_figure(_case()).data[0].z)
    )
    bad = pd.DataFrame({"asset": ["a"], "partition": ["2025-11-21"], "state": ["stale"]})
    with pytest.raises(ValueError, match="unknown states"):
        coverage_figure(bad)


def _z_from_html(html: str) -> np.ndarray:
    # plotly writes numeric arrays as base64 typed arrays inside JSON-escaped text
    found = re.search(r'"z":\{"dtype":"f8","bdata":"([^"]+)","shape":"(\d+), (\d+)"\}', html)
    assert found, "no z matrix in the HTML"
    raw = base64.b64decode(found.group(1).replace("\\u002f", "/"))
    return np.frombuffer(raw, dtype="<f8").reshape(int(found.group(2)), int(found.group(3)))


def test_html_is_small_titled_readable_and_carries_the_data(tmp_path):
    private = os.umask(0o077)  # the mode must not depend on who writes the page
    try:
        figure = coverage_figure(_case(), title="Source coverage 2025-11-21 .. 2025-11-24")
        path = write_coverage_html(figure, tmp_path / "out" / "coverage.html")
    finally:
        os.umask(private)
    html = path.read_text()
    readable = html.replace("\\u003c", "<").replace("\\u003e", ">")
    assert "crypto_trades<br>2025-11-21<br>missing<br>22 of 24 hours present" in readable
    assert '"x":["2025-11-21","2025-11-22","2025-11-23","2025-11-24"]' in html
    assert '"y":["equity_ticks","news_headlines","crypto_trades"]' in html
    np.testing.assert_array_equal(
        _z_from_html(html), [[2, NAN, NAN, 0], [2, 1, 2, 2], [0, 2, NAN, NAN]]
    )
    assert "<title>Source coverage 2025-11-21 .. 2025-11-24</title>" in html
    # one script from the page's folder, nothing from a network
    assert re.findall(r"<script[^>]*\bsrc=\"([^\"]+)\"", html) == ["plotly.min.js"]
    assert "plotly.js v" not in html and path.stat().st_size < 200_000
    bundle = path.parent / "plotly.min.js"
    assert bundle.read_text(encoding="utf-8") == get_plotlyjs()
    assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE(bundle.stat().st_mode) == 0o644


def test_a_stale_plotlyjs_beside_the_page_is_replaced(tmp_path):
    (tmp_path / "plotly.min.js").write_text("/* plotly.js v0.0.1 */")
    write_coverage_html(coverage_figure(_case()), tmp_path / "coverage.html")
    assert (tmp_path / "plotly.min.js").read_text(encoding="utf-8") == get_plotlyjs()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["coverage.html", "plotly.min.js"]


def test_markdown_summary_counts_each_asset_and_report_writes_both_files(tmp_path):
    table = coverage_markdown(_case()).splitlines()
    assert table == [
        "| asset | expected | materialized | missing | failed_tier1 |",
        "| --- | --- | --- | --- | --- |",
        "| equity_ticks | 2 | 1 | 1 | 0 |",
        "| news_headlines | 4 | 4 | 0 | 1 |",
        "| crypto_trades | 48 | 46 | 2 | 0 |",
    ]
    html, markdown = write_coverage_report(_case(), tmp_path)
    assert html.name == "coverage.html" and html.stat().st_size < 200_000
    assert (html.parent / "plotly.min.js").is_file()
    assert "<title>Partition coverage</title>" in html.read_text()
    text = markdown.read_text()
    assert "| crypto_trades | 48 | 46 | 2 | 0 |" in text
    assert "- missing: 2025-11-21-15:00, 2025-11-21-16:00" in text
