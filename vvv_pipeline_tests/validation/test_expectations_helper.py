"""Tier 4's suites in the command's helper process give what they give here, its errors raise
here, a helper that is gone leaves the suites to this process, and a closed helper leaves
(:mod:`vvv_pipeline.validation.expectations_helper`)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from vvv_pipeline.validation import expectations_helper as helper_module
from vvv_pipeline.validation.expectations import run_expectations
from vvv_pipeline.validation.expectations_helper import (
    expect,
    expectations_helper,
    helper_open,
)
from vvv_pipeline_tests.validation.test_expectations import clean, market, partition

SOURCE = "equity_ticks"


def _comparable(run) -> tuple:
    statistics = {k: v for k, v in run.statistics.items() if k != "seconds"}
    return run.success, run.evaluated, run.failed, statistics, run.results.to_dict("list")


def test_a_suite_run_in_the_helper_is_the_suite_run_here(tmp_path: Path, monkeypatch) -> None:
    frame = clean(SOURCE)
    broken = frame.copy()
    broken.loc[broken.index[:3], "price"] = -1.0  # a failed expectation, named in both
    symbols = list(market().known_symbols(SOURCE))
    local = [
        run_expectations(f, SOURCE, partition(SOURCE), tmp_path / "here", symbols=symbols)
        for f in (frame, broken)
    ]
    with expectations_helper() as helper:
        assert helper is not None and helper_open()

        def not_here(*_args, **_kwargs):
            raise AssertionError("the suite ran in the calling process")

        monkeypatch.setattr(helper_module, "run_expectations", not_here)  # the helper forked first
        remote = [
            expect(f, SOURCE, partition(SOURCE), tmp_path / "helper", symbols)
            for f in (frame, broken)
        ]
    assert [_comparable(r) for r in remote] == [_comparable(r) for r in local]
    assert remote[0].success and not remote[1].success and remote[1].failed
    assert (tmp_path / "helper" / "great_expectations.yml").exists()  # written by the helper
    assert not helper_open()


def test_an_error_in_the_helper_raises_here_with_its_traceback(tmp_path: Path) -> None:
    with pytest.raises(Exception) as local:
        run_expectations(clean(SOURCE), "no_such_source", "p", tmp_path / "here")
    with expectations_helper(), pytest.raises(type(local.value)) as remote:
        expect(clean(SOURCE), "no_such_source", "p", tmp_path / "helper")
    assert str(remote.value) == str(local.value)
    assert any("great-expectations helper" in note for note in remote.value.__notes__)


def test_a_helper_that_is_gone_leaves_the_suite_to_this_process(tmp_path: Path) -> None:
    with expectations_helper() as helper:
        os.kill(helper._process.pid, signal.SIGKILL)
        helper._process.join()
        assert not helper_open()
        run = expect(clean(SOURCE), SOURCE, partition(SOURCE), tmp_path)
    assert run.success and run.evaluated > 0


def test_a_closed_helper_leaves_at_once_and_none_is_opened_when_disabled() -> None:
    with expectations_helper() as helper:
        process = helper._process
    started = time.monotonic()
    process.join(timeout=10)
    assert not process.is_alive() and time.monotonic() - started < 2.0
    assert process.exitcode == 0
    with expectations_helper(enabled=False) as none:
        assert none is None and not helper_open()
