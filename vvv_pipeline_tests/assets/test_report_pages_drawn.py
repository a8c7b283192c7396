"""A range's report pages drawn side by side in forked processes are the pages one process
draws, byte for byte, each returned with its own partition's path and summary."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from vvv_pipeline.defs.assets import reports
from vvv_pipeline_tests.reports.test_daily_report import hand_bars, plotted_data

DAYS = ["2025-11-25", "2025-11-26", "2025-11-27"]  # the hand bars are on the first


def _pages(folder: Path) -> dict[str, dict]:
    pages = {}
    for shift, day in enumerate(DAYS):
        bars = pd.concat([hand_bars("AAPL"), hand_bars("MSFT")], ignore_index=True)
        # each day's bars on that day, with its own prices: the pages differ
        bars["ts"] = bars["ts"] + pd.Timedelta(days=shift)
        bars[["open", "high", "low", "close"]] += shift
        pages[day] = {"path": folder / f"{day}.html", "session": day, "bars": bars}
    return pages


def _draw(folder: Path, workers: str, monkeypatch: pytest.MonkeyPatch) -> list:
    monkeypatch.setenv("VVV_DERIVE_WORKERS", workers)
    drawing_pids: list[int] = []
    write = reports.write_daily_report

    def writing(**page) -> Path:
        path = write(**page)
        Path(f"{path}.pid").write_text(str(os.getpid()))
        return path

    monkeypatch.setattr(reports, "write_daily_report", writing)
    logged: list[str] = []
    pages = _pages(folder)
    gathered: list[str] = []

    def gather(key: str) -> tuple[dict, str]:
        gathered.append(key)
        return pages[key], f"summary of {key}"

    written = reports.drawn(DAYS, gather, logged.append, "daily report")
    assert gathered == DAYS  # each page's inputs gathered once, in order
    drawing_pids += [int(Path(f"{path}.pid").read_text()) for _day, path, _s in written]
    assert logged == [f"daily report {day}: {folder / f'{day}.html'}" for day in DAYS]
    return written, drawing_pids


def test_pages_drawn_in_two_processes_equal_those_drawn_in_one(tmp_path, monkeypatch):
    one, one_pids = _draw(tmp_path / "one", "1", monkeypatch)
    two, two_pids = _draw(tmp_path / "two", "2", monkeypatch)
    assert set(one_pids) == {os.getpid()}
    # rounds of two: the first page of each here, the second in a forked process
    assert two_pids[0] == two_pids[2] == os.getpid() != two_pids[1]
    assert [(day, summary) for day, _path, summary in two] == [
        (day, f"summary of {day}") for day in DAYS
    ]
    for (day, path_one, _), (_, path_two, _) in zip(one, two, strict=True):
        assert path_two == tmp_path / "two" / f"{day}.html"
        assert path_two.read_bytes() == path_one.read_bytes()
    # each page drew its own day's bars: the first bar's open is 10 on the first day, 11 on the next
    opens = [
        plotted_data(path.read_text(), "chart-symbol-AAPL")[0]["open"][0] for _d, path, _s in two
    ]
    assert list(opens) == [10.0, 11.0, 12.0]
