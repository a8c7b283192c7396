"""The README's main command, twice; and every bad argument refused before anything runs."""

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from vvv_pipeline.calendars import sessions_between
from vvv_pipeline.cli import main
from vvv_pipeline.cli_args import (
    MAX_SESSIONS,
    past_instant,
    replay_key,
    run_sessions,
    session_count,
)
from vvv_pipeline.settings import SHIPPED_UNIVERSE

ROOT = Path(__file__).resolve().parents[1]


def _run(project: Path) -> str:
    command = [sys.executable, "-m", "vvv_pipeline.cli", "run", "--sessions", "2"]
    command += ["--scale", "tiny", "--as-of", "2025-11-26"]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(project), "VVV_DATA_DIR": str(project / "data")}
    done = subprocess.run(command, cwd=project, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _counts(project: Path) -> dict[str, int]:
    with duckdb.connect(str(project / "data" / "warehouse.duckdb"), read_only=True) as con:
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return {t: con.execute(f"SELECT count(*) FROM sources.{t}").fetchone()[0] for t in tables}


def test_main_command_writes_every_source_and_is_idempotent(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(ROOT / "dagster.yaml", project / "dagster.yaml")
    first = _run(project)
    assert "sessions 2025-11-24 .. 2025-11-25 (2)" in first
    for source in ("equity_ticks", "crypto_trades", "crypto_open_interest", "darkpool_prints"):
        assert source in first
    assert "hourly_sources_job: ok" in first
    assert "48 partitions" in first  # two New York days of UTC hours
    assert "dagster dev" in first
    assert "partition checks passed, 0 failed" in first  # clean simulated data: no alarms
    assert (project / "data" / "gx" / "uncommitted" / "validations").is_dir()
    assert not list((project / "data" / "gx").rglob("*.html"))  # GX renders no CDN pages
    counts = _counts(project)
    assert set(counts) == {
        "darkpool_prints",
        "options_flow",
        "daily_ohlcv",
        "news_headlines",
        "economic_series",
    }
    assert all(n > 0 for n in counts.values())
    second = _run(project)
    assert _counts(project) == counts
    assert first.split("written:")[1] == second.split("written:")[1]
    assert (project / "data" / "dagster" / "storage").is_dir()  # runs recorded for the UI
    gaps = subprocess.run(
        [
            *(sys.executable, "-m", "vvv_pipeline.cli", "gaps", "--start", "2025-11-21"),
            *("--end", "2025-11-25", "--asset", "equity_ticks"),
        ],
        cwd=project,
        env={"PATH": "/usr/bin:/bin", "HOME": str(project), "VVV_DATA_DIR": str(project / "data")},
        capture_output=True,
        text=True,
    )
    assert gaps.returncode == 0, gaps.stderr[-3000:]
    # sessions 21, 24, 25 expected; the run wrote 24 and 25
    assert "equity_ticks         3             2        1             0" in gaps.stdout
    assert "equity_ticks missing: 2025-11-21" in gaps.stdout


TODAY = pd.Timestamp.now(tz="America/New_York").normalize()
LATER = (TODAY + pd.Timedelta(days=3)).strftime("%Y-%m-%d")
FUTURE_SESSION = str(
    sessions_between(TODAY + pd.Timedelta(days=1), TODAY + pd.Timedelta(days=9))[0].date()
)
BAD_ARGUMENTS = {
    "sessions_zero": (["run", "--sessions", "0"], "--sessions"),
    "sessions_minus_one": (["run", "--sessions", "-1"], "--sessions"),
    "sessions_minus_five": (["run", "--sessions", "-5"], "--sessions"),
    "sessions_huge": (["run", "--sessions", "100000"], "--sessions"),
    "sessions_300": (["run", "--sessions", "300"], "--sessions"),
    "sessions_text": (["run", "--sessions", "five"], "--sessions"),
    "as_of_garbage": (["run", "--as-of", "yesterday-ish"], "--as-of"),
    "as_of_bad_date": (["run", "--as-of", "2025-02-30"], "--as-of"),
    "as_of_future": (["run", "--as-of", LATER], "--as-of"),
    "as_of_out_of_calendar": (["run", "--as-of", "1990-01-02"], "--as-of"),
    "as_of_before_hourly_start": (["run", "--as-of", "2025-11-03"], "--as-of"),
    "as_of_window_before_start": (["run", "--as-of", "2025-11-26", "--sessions", "60"], "--as-of"),
    "scale_unknown": (["run", "--scale", "huge"], "--scale"),
    "gaps_start_after_end": (["gaps", "--start", "2025-11-25", "--end", "2025-11-21"], "--start"),
    "gaps_start_after_today": (["gaps", "--start", LATER], "--start"),
    "gaps_start_invalid": (["gaps", "--start", "2025-13-01"], "--start"),
    "gaps_end_invalid": (["gaps", "--end", "Nov 25"], "--end"),
    "gaps_limit_negative": (["gaps", "--limit", "-1"], "--limit"),
    "gaps_limit_zero": (["gaps", "--limit", "0"], "--limit"),
    "gaps_asset_unknown": (["gaps", "--asset", "nope"], "--asset"),
    "quarantine_source_unknown": (["quarantine", "--source", "nope"], "--source"),
    "replay_source_unknown": (["replay", "nope", "2025-11-24"], "source"),
    "replay_holiday": (["replay", "equity_ticks", "2025-11-27"], "partition"),
    "replay_weekend": (["replay", "darkpool_prints", "2025-11-29"], "partition"),
    "replay_before_start": (["replay", "equity_ticks", "2020-01-02"], "partition"),
    "replay_future_session": (["replay", "equity_ticks", FUTURE_SESSION], "partition"),
    "replay_day_key_for_hours": (["replay", "crypto_trades", "2025-11-24"], "partition"),
    "replay_hour_key_for_days": (["replay", "news_headlines", "2025-11-24-10:00"], "partition"),
}


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A project folder as on a fresh clone: dagster.yaml and no data directory yet."""
    shutil.copy(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    for variable in ("VVV_SESSIONS_START", "VVV_CALENDAR_DAYS_START", "VVV_HOURLY_START"):
        monkeypatch.delenv(variable, raising=False)
    for variable in ("VVV_ARCTIC_URI", "VVV_DUCKDB_PATH", "VVV_UNIVERSE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("VVV_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


@pytest.mark.parametrize("case", list(BAD_ARGUMENTS))
def test_bad_argument_is_refused_on_one_line_before_anything_runs(case, project, capsys):
    argv, argument = BAD_ARGUMENTS[case]
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"vvv-pipeline {argv[0]}: error: argument {argument}"), err
    assert sorted(p.name for p in project.iterdir()) == ["dagster.yaml"]  # no data, no instance


def test_bad_argument_exits_2_from_the_console_command(project):
    done = subprocess.run(
        [sys.executable, "-m", "vvv_pipeline.cli", "run", "--sessions", "0"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert done.stderr == (
        "vvv-pipeline run: error: argument --sessions: 0 is outside 1..60; for a longer range "
        "launch a backfill (dagster asset materialize --partition-range, or from the UI)\n"
    )
    assert sorted(p.name for p in project.iterdir()) == ["dagster.yaml"]


def test_bad_universe_file_is_refused_before_any_run(project, monkeypatch, capsys):
    universe = project / "universe.toml"
    universe.write_text(SHIPPED_UNIVERSE.read_text().replace('"JPM"]', '"JPM", "_unlisted"]'))
    monkeypatch.setenv("VVV_UNIVERSE", str(universe))
    assert main(["run", "--sessions", "1", "--as-of", "2025-11-26"]) == 1
    err = capsys.readouterr().err
    reason = "names starting with '_' are reserved for the pipeline"
    assert err == f"vvv-pipeline: {universe}: equities.symbols[10] '_unlisted': {reason}\n"
    assert sorted(p.name for p in project.iterdir()) == ["dagster.yaml", "universe.toml"]


def test_accepted_bounds_cover_whole_windows_of_existing_partitions(project):
    parser = argparse.ArgumentParser()
    assert session_count("1") == 1 and session_count(str(MAX_SESSIONS)) == MAX_SESSIONS
    sessions = run_sessions(parser, MAX_SESSIONS, None)  # the default --as-of
    assert len(sessions) == MAX_SESSIONS and sessions[-1] < f"{TODAY:%Y-%m-%d}"
    as_of = past_instant("2025-11-28T13:00")  # the early close: that session counts
    assert run_sessions(parser, 2, as_of) == ["2025-11-26", "2025-11-28"]
    replay_key(parser, "equity_ticks", "2025-11-28")
    replay_key(parser, "crypto_trades", "2025-11-28-17:00")
    assert sorted(p.name for p in project.iterdir()) == ["dagster.yaml"]
