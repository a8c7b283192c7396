"""The README's main command, twice, as real runs of the code location the UI loads; a failed
run; and every bad argument refused before anything runs."""

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
import yaml

from vvv_pipeline.calendars import sessions_between
from vvv_pipeline.cli import main
from vvv_pipeline.cli.args import (
    MAX_SESSIONS,
    past_instant,
    replay_key,
    run_sessions,
    session_count,
)
from vvv_pipeline.cli.runs import workspace_target
from vvv_pipeline.defs.automation.run_launcher import WORKER_HOST_TAG, this_host
from vvv_pipeline.defs.instance import open_instance
from vvv_pipeline.settings import SHIPPED_UNIVERSE
from vvv_pipeline_tests.dagster_internals import (
    REPOSITORY_LABEL_TAG,
    InstanceRef,
    ModuleTarget,
    WorkspaceFileTarget,
    WorkspaceProcessContext,
)
from vvv_pipeline_tests.main_command import FirstRun, main_command, run_main_command

ROOT = Path(__file__).resolve().parents[1]
JOBS = ["hourly_sources_job", "calendar_day_sources_job", "session_sources_job"]
RUN_DONE = re.compile(r"^  (\w+_job): ok in [\d.]+s \(run ([0-9a-f-]{36})\)$", re.MULTILINE)


def _ok(project: Path) -> str:
    done = run_main_command(project)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _assert_real_runs_listed_under_their_jobs(project: Path, runs: list[tuple[str, str]]) -> None:
    """Every run has a code-location origin and is listed under its job (the job page and the
    timeline filter by repository). That "Re-execute all" on such a run succeeds is shown in the
    browser by ``ui/test_ui_tells_the_truth.py`` on a run of this same command."""
    target = WorkspaceFileTarget(paths=[str(ROOT / "workspace.yaml")])  # what dagster dev loads
    instance_ref = InstanceRef.from_dir(str(project / "data" / "dagster"), config_dir=str(project))
    with (
        open_instance(instance_ref) as instance,
        WorkspaceProcessContext(instance, target, version=dg.__version__) as process,
    ):
        context = process.create_request_context()
        location = context.get_code_location("vvv_pipeline")
        (repository,) = location.get_repositories().values()
        label = repository.get_remote_origin().get_label()
        for job, run_id in runs:
            run = instance.get_run_by_id(run_id)
            assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
            assert run.remote_job_origin is not None
            assert run.remote_job_origin.location_name == "vvv_pipeline"
            assert run.tags[WORKER_HOST_TAG] == this_host()
            assert run.tags["dagster/asset_partition_range_start"]
            listed = instance.get_runs(dg.RunsFilter(job_name=job))
            assert run_id in {r.run_id for r in listed}
            on_job_page = dg.RunsFilter(job_name=job, tags={REPOSITORY_LABEL_TAG: label})
            assert run_id in {r.run_id for r in instance.get_runs(on_job_page)}


def _counts(project: Path) -> dict[str, int]:
    with duckdb.connect(str(project / "data" / "warehouse.duckdb"), read_only=True) as con:
        tables = [t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
        return {t: con.execute(f"SELECT count(*) FROM sources.{t}").fetchone()[0] for t in tables}


def test_main_command_writes_every_source_and_is_idempotent(
    main_command_first_run: FirstRun, tmp_path, monkeypatch
):
    project = main_command_first_run.copy_to(tmp_path / "project")
    first = main_command_first_run.stdout
    assert "sessions 2025-11-24 .. 2025-11-25 (2)" in first
    for source in ("equity_ticks", "crypto_trades", "crypto_open_interest", "darkpool_prints"):
        assert source in first
    assert "hourly_sources_job: ok" in first
    assert "48 partitions" in first  # two New York days of UTC hours
    # progress, read from the run's event log while it runs
    hours = "(2025-11-24-05:00 .. 2025-11-26-04:00)"
    assert re.search(rf"\] crypto_trades started  {re.escape(hours)}", first)
    assert re.search(
        rf"\] crypto_trades finished: 48 partitions, [\d,]+ rows  {re.escape(hours)}", first
    )
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
    second = _ok(project)
    assert _counts(project) == counts
    # the same stores and counts; the first run wrote them where the shared project lies
    shared = str(main_command_first_run.project)
    assert first.split("written:")[1].replace(shared, str(project)) == second.split("written:")[1]
    assert (project / "data" / "dagster" / "storage").is_dir()  # runs recorded for the UI
    runs = RUN_DONE.findall(first) + RUN_DONE.findall(second)
    # in dependency order, each time, then the coverage report of the same days
    assert [job for job, _ in runs] == [*JOBS, "coverage_report_job"] * 2
    printed = re.search(r"^  coverage report  (\S+)  \(sources x days of this run\)$", first, re.M)
    page = Path(printed.group(1))
    assert page == (main_command_first_run.project / "data" / "reports" / "coverage.html").resolve()
    page = project / "data" / "reports" / "coverage.html"  # this test's copy
    assert "<title>Source coverage 2025-11-24 .. 2025-11-25</title>" in page.read_text()
    assert (page.parent / "plotly.min.js").is_file()
    gaps = run_main_command(
        project, "gaps", "--start", "2025-11-21", "--end", "2025-11-25", "--asset", "equity_ticks"
    )
    assert gaps.returncode == 0, gaps.stderr[-3000:]
    # sessions 21, 24, 25 expected; the run wrote 24 and 25
    assert "equity_ticks         3             2        1             0" in gaps.stdout
    assert "equity_ticks missing: 2025-11-21" in gaps.stdout
    monkeypatch.chdir(project)  # the instance's storage paths are relative to the project
    for variable in ("DAGSTER_HOME", "VVV_ARCTIC_URI", "VVV_DUCKDB_PATH", "VVV_UNIVERSE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("VVV_DATA_DIR", str(project / "data"))
    monkeypatch.setenv("VVV_SCALE", "tiny")
    _assert_real_runs_listed_under_their_jobs(project, [run for run in runs if run[0] in JOBS])


def test_a_failed_run_exits_1_naming_the_run(tmp_path, monkeypatch):
    shutil.copy(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    closed = "http://127.0.0.1:9"  # nothing listens: the crypto sources fail at once
    done = run_main_command(
        tmp_path,
        VVV_PROVIDER="live",
        VVV_BINANCE_URL=closed,
        VVV_BINANCE_FUTURES_URL=closed,
        VVV_BYBIT_URL=closed,
        VVV_SOURCE_RETRIES="0",
    )
    assert done.returncode == 1
    failed = re.search(
        r"^hourly_sources_job FAILURE for \S+ \(run ([0-9a-f-]{36})\)$", done.stderr, re.M
    )
    assert failed, done.stderr[-3000:]
    # each failed step with its root cause, right under that line
    assert re.search(r"^  crypto_trades: .*ProviderError: binance .*gave up", done.stderr, re.M)
    assert not re.search(r"^  calendar_day_sources_job", done.stdout, re.M)  # nothing after it
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    with open_instance(
        InstanceRef.from_dir(str(tmp_path / "data" / "dagster"), config_dir=str(tmp_path))
    ) as instance:
        run = instance.get_run_by_id(failed.group(1))
        assert run is not None and run.status == dg.DagsterRunStatus.FAILURE
        assert run.remote_job_origin is not None


def test_terminating_the_commands_run_as_the_ui_does_stops_it_canceled(tmp_path, monkeypatch):
    """The command executes its runs itself: the UI's "Terminate" (the coordinator's
    ``cancel_run``, which asks the run launcher) must still stop a running one."""
    shutil.copy(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    # five sessions: the hourly run's 336 partitions last long after its first step starts
    command, env = main_command(
        tmp_path, "run", "--sessions", "5", "--scale", "tiny", "--as-of", "2025-11-26"
    )
    started = re.compile(r"^  hourly_sources_job \S+ \.\. \S+ \(run ([0-9a-f-]{36})\)$", re.M)
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=stdout, stderr=stderr)
    try:
        deadline = time.monotonic() + 120
        while not (found := started.search(out.read_text())) or "crypto_trades started" not in (
            out.read_text()
        ):
            assert process.poll() is None and time.monotonic() < deadline, err.read_text()[-3000:]
            time.sleep(0.2)
        run_id = found.group(1)
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("DAGSTER_HOME", raising=False)
        ref = InstanceRef.from_dir(str(tmp_path / "data" / "dagster"), config_dir=str(tmp_path))
        with open_instance(ref) as instance:
            assert instance.run_coordinator.cancel_run(run_id)  # its steps are executing
            assert process.wait(timeout=120) == 1
            run = instance.get_run_by_id(run_id)
            assert run is not None and run.status == dg.DagsterRunStatus.CANCELED
        assert "hourly_sources_job CANCELED for " in err.read_text()
        assert "calendar_day_sources_job" not in out.read_text()  # nothing after it
    finally:
        if process.poll() is None:
            process.kill()


def test_the_command_launches_into_the_location_the_ui_loads(tmp_path):
    shipped = yaml.safe_load((ROOT / "workspace.yaml").read_text())
    (entry,) = shipped["load_from"]
    fallback = workspace_target(tmp_path)  # run outside the project root: the module itself
    assert isinstance(fallback, ModuleTarget)
    assert fallback.module_name == entry["python_module"]["module_name"]
    assert fallback.location_name == entry["python_module"]["location_name"]
    assert workspace_target(ROOT) == WorkspaceFileTarget(paths=[str(ROOT / "workspace.yaml")])


TODAY = pd.Timestamp.now(tz="America/New_York").normalize()
LATER = (TODAY + pd.Timedelta(days=3)).strftime("%Y-%m-%d")
# The second session after today: the next one is already a partition (the session in progress,
# end_offset=1) whenever today is not a session, e.g. on a weekend.
FUTURE_SESSION = str(
    sessions_between(TODAY + pd.Timedelta(days=1), TODAY + pd.Timedelta(days=14))[1].date()
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
    for variable in ("VVV_ARCTIC_URI", "VVV_DUCKDB_PATH", "VVV_UNIVERSE", "VVV_HOLDINGS"):
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


def test_bad_holdings_file_is_refused_before_any_run(project, monkeypatch, capsys):
    holdings = project / "holdings.toml"
    holdings.write_text("cash = 100.0\n[positions]\nZZZZ = { quantity = 5, cost_basis = 10.0 }\n")
    monkeypatch.setenv("VVV_HOLDINGS", str(holdings))
    assert main(["run", "--sessions", "1", "--as-of", "2025-11-26"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"vvv-pipeline: {holdings}: positions.ZZZZ 'ZZZZ': not one of the")
    assert sorted(p.name for p in project.iterdir()) == ["dagster.yaml", "holdings.toml"]


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
