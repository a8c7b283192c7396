"""The README's main command: materialize every source for the default window, twice."""

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

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
    assert (project / "data" / "gx" / "uncommitted" / "data_docs").is_dir()
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
