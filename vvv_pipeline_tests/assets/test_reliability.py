"""Failure and overlap: a run killed mid-write, and two backfills over overlapping ranges."""

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from vvv_pipeline import settings
from vvv_pipeline.bars import time_bars
from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline.defs.jobs import SESSION_SOURCES
from vvv_pipeline.read import load_bars
from vvv_pipeline.storage.arctic import ArcticStore
from vvv_pipeline_tests.assets.helpers import expected, stored_table, stored_ticks
from vvv_pipeline_tests.assets.test_derived import BARS, EQUITIES, _run, _span
from vvv_pipeline_tests.conftest import WEEK

WORKER = [sys.executable, "-m", "vvv_pipeline_tests.assets.materialize_worker"]


def _spawn(args: list[str], gate, **env: str) -> subprocess.Popen:
    environment = {**os.environ, "VVV_TEST_START_AT": str(gate), **env}
    return subprocess.Popen([*WORKER, *args], env=environment, stderr=subprocess.PIPE, text=True)


def _partitions(days: list[str]) -> dict[tuple[str, str], pd.DataFrame]:
    """Each stored (symbol, session) partition of equity ticks, read on its own."""
    parts = {}
    for day in days:
        ticks = stored_ticks("equity_ticks", [day])
        for symbol, rows in ticks.groupby(ticks["symbol"].astype(str), observed=True):
            parts[(str(symbol), day)] = rows.reset_index(drop=True)
    return parts


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    try:
        pd.testing.assert_frame_equal(a, b)
    except AssertionError:
        return False
    return True


def _tick_versions(days: list[str]) -> dict[str, int]:
    library = ArcticStore(settings.arctic_uri()).library("tick_data")
    names = [f"equity/{s}/{d}" for s in EQUITIES for d in days]
    return {name: library.read_metadata(name).version for name in names if library.has_symbol(name)}


@pytest.mark.slow
def test_overlapping_range_backfills_lose_and_duplicate_nothing(data_dir, tmp_path):
    gate = tmp_path / "go"
    first = _spawn(["session_sources_job", "--range", WEEK[0], WEEK[2]], gate)
    second = _spawn(["session_sources_job", "--range", WEEK[1], WEEK[4]], gate)
    gate.touch()
    for worker in (first, second):
        _, stderr = worker.communicate(timeout=900)
        assert worker.returncode == 0, stderr[-3000:]
    defs = build_definitions()
    for source in SESSION_SOURCES:
        want = expected(source, defs.resolve_assets_def(source).partitions_def, WEEK)
        got = stored_ticks(source, WEEK) if source == "equity_ticks" else stored_table(source)
        assert len(got) == len(want) > 0, source
    ticks = stored_ticks("equity_ticks", WEEK)
    assert not ticks.duplicated(["symbol", "trade_id"]).any()
    bars = load_bars(EQUITIES, "1min", *_span(WEEK)).sort_values(
        ["symbol", "ts"], ignore_index=True
    )
    want = time_bars(ticks, "1min", sessions=WEEK)
    assert len(bars) == len(want)
    assert bars["volume"].sum() == ticks["size"].sum()
    assert len(load_bars(EQUITIES, "1d", *_span(WEEK))) == len(EQUITIES) * len(WEEK)


@pytest.mark.slow
def test_a_run_killed_mid_write_leaves_readable_data_and_the_rerun_completes(
    data_dir, tmp_path, instance
):
    days = WEEK[1:3]
    # the tiny scale: the data before the crash (ticks and the bars read back, nothing else)
    _run("session_sources_job", days, instance, assets=BARS)
    before = _tick_versions(days)
    baseline = stored_ticks("equity_ticks", days)
    old_parts = _partitions(days)
    assert len(old_parts) == len(EQUITIES) * len(days)
    gate = tmp_path / "go"
    # a denser re-run (default scale) killed as soon as it has replaced some partitions
    victim = _spawn(["session_sources_job", "--range", *days], gate, VVV_SCALE="default")
    gate.touch()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and victim.poll() is None:
        now = _tick_versions(days)
        if any(now[name] != version for name, version in before.items()):
            break
        time.sleep(0.05)
    assert victim.poll() is None, "the run finished before it could be killed"
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=60)

    # every partition symbol is readable and whole: either the old rows or the new ones
    after = stored_ticks("equity_ticks", days)
    after_parts = _partitions(days)
    old = baseline.groupby(baseline["symbol"].astype(str), observed=True).size()
    assert len(after) >= len(baseline) > 0
    assert load_bars(EQUITIES, "1min", *_span(days)).shape[0] > 0

    _run(
        "session_sources_job",
        days,
        instance,
        {"resources": {"market": {"config": {"scale": "default"}}}},
        assets=BARS,
    )
    ticks = stored_ticks("equity_ticks", days)
    new = ticks.groupby(ticks["symbol"].astype(str), observed=True).size()
    assert (new > old).all()  # the rerun replaced every partition with the denser data
    # partition by partition, what the kill left is the old rows or the rerun's (the same
    # deterministic rows the killed run was writing), never a mix, a remnant or nothing
    new_parts = _partitions(days)
    assert set(after_parts) == set(old_parts) == set(new_parts)
    was_new = {key: _same(rows, new_parts[key]) for key, rows in after_parts.items()}
    for key, rows in after_parts.items():
        assert was_new[key] or _same(rows, old_parts[key]), key
    assert any(was_new.values())  # the kill came after some partitions were replaced
    bars = load_bars(EQUITIES, "1d", *_span(days))
    assert bars["volume"].sum() == ticks["size"].sum()
    assert len(bars) == len(EQUITIES) * len(days)
