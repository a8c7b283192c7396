"""Configuration that cannot work is refused with an error naming it, never run half-silently."""

from __future__ import annotations

from pathlib import Path

import pytest

from vvv_pipeline import settings
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.providers.simulated.config import SCALE_PRESETS, Fault
from vvv_pipeline.storage.arctic import arctic_for
from vvv_pipeline.universe import load_universe
from vvv_pipeline_tests.assets.helpers import materialize_alone
from vvv_pipeline_tests.conftest import WEEK

PRESETS = list(SCALE_PRESETS)


@pytest.mark.parametrize("uri", ["lmdb://", "lmdb://?map_size=1GB", "lmdb://  "])
def test_an_lmdb_uri_without_a_path_is_refused_naming_the_variable(uri, monkeypatch):
    monkeypatch.setenv("VVV_ARCTIC_URI", uri)
    with pytest.raises(settings.SettingsError, match=r"VVV_ARCTIC_URI=.*names no directory"):
        settings.arctic_uri()
    with pytest.raises(ValueError, match="names no directory"):
        arctic_for(uri)


def test_the_command_refuses_it_before_writing_anything(data_dir, tmp_path, monkeypatch, capsys):
    from vvv_pipeline.cli import main

    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("VVV_ARCTIC_URI", "lmdb://")
    for argv in (["run", "--sessions", "1"], ["quarantine"], ["replay", "equity_ticks", WEEK[1]]):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 2
        err = capsys.readouterr().err
        assert err.startswith("vvv-pipeline: error: VVV_ARCTIC_URI='lmdb://' names no directory")
    assert list(Path(cwd).iterdir()) == []
    assert list(data_dir.iterdir()) == []


def test_unset_or_empty_falls_back_to_the_data_directory(data_dir, monkeypatch):
    monkeypatch.setenv("VVV_ARCTIC_URI", "")
    assert settings.arctic_uri() == f"lmdb://{data_dir / 'arcticdb'}"


def test_a_fault_naming_an_unknown_symbol_is_an_error_naming_both():
    fault = Fault("crossed_quote", "equity_ticks", symbol="APPL", count=3)
    with pytest.raises(ValueError, match=r"fault 'crossed_quote' on equity_ticks: .*'APPL'"):
        SimulatedMarket(SimulationConfig(faults=(fault,)), load_universe())
    crypto = Fault("zero_size", "crypto_trades", symbol="AAPL")  # an equity, not a pair
    with pytest.raises(ValueError, match=r"fault 'zero_size' on crypto_trades: .*'AAPL'"):
        SimulatedMarket(SimulationConfig(faults=(crypto,)), load_universe())
    known = Fault("crossed_quote", "equity_ticks", symbol="AAPL")
    assert SimulatedMarket(SimulationConfig(faults=(known,)), load_universe()).config.faults


def test_a_run_with_such_a_fault_fails_naming_it(data_dir):
    fault = {"kind": "zero_size", "source": "equity_ticks", "symbol": "APPL"}
    result = materialize_alone("equity_ticks", [WEEK[1]], [fault])
    assert not result.success
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert len(failures) == 1  # a configuration error is not retried
    message = failures[0].step_failure_data.error.to_string()
    assert "FaultError: fault 'zero_size' on equity_ticks: unknown symbol 'APPL'" in message


def test_an_unknown_scale_is_refused_by_the_command_before_anything_runs(
    data_dir, tmp_path, monkeypatch, capsys
):
    from vvv_pipeline.cli import main

    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("VVV_SCALE", "huge")
    with pytest.raises(SystemExit) as exited:
        main(["run", "--sessions", "1"])
    assert exited.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert err == ["vvv-pipeline: error: VVV_SCALE='huge'; expected one of " + str(PRESETS)]
    assert list(cwd.iterdir()) == [] and list(data_dir.iterdir()) == []


def test_an_unknown_scale_in_run_config_fails_the_step_once(data_dir):
    result = materialize_alone("equity_ticks", [WEEK[1]], [], scale="huge")
    failures = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert not result.success and len(failures) == 1  # a setting is not retried
    assert "MarketData.scale='huge'" in failures[0].step_failure_data.error.to_string()
