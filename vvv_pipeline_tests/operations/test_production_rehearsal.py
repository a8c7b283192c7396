"""The production rehearsal passes: on the shipped SQLite instance through both legs, and on
PostgreSQL through the two-day leg that holds every fault.

Each runs ``python -m vvv_pipeline_tests.operations`` in its own process (the partition start
dates are part of the asset definitions, so the environment must be set before the pipeline is
imported). The SQLite one, four minutes of work, is started in the background as the session
starts (:mod:`.background`, from ``conftest.py``), so it runs beside the other tests; its test
waits for it. The JSON report is kept under ``data/artifacts/`` (git-ignored) for the record.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vvv_pipeline_tests.operations.background import Rehearsal, start, wait

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "data" / "artifacts"


def sqlite_rehearsal(shared: Path) -> Rehearsal:
    """The SQLite rehearsal of this session: started in the background (see
    :mod:`.background`) by ``conftest.py`` when the session collected its test."""
    return Rehearsal(folder=shared / "rehearsal-sqlite", report=ARTIFACTS / "rehearsal-sqlite.json")


def _rehearse(tmp_path: Path, name: str, *args: str) -> dict:
    rehearsal = Rehearsal(
        folder=tmp_path, report=ARTIFACTS / f"rehearsal-{name}.json", args=tuple(args)
    )
    start(rehearsal)
    return _judged(rehearsal, wait(rehearsal))


def _judged(rehearsal: Rehearsal, status: int) -> dict:
    """The rehearsal's report, once its verdict holds and it exited 0."""
    tail = "\n".join(rehearsal.log.read_text().splitlines()[-40:])
    assert rehearsal.report.exists(), f"no report (exit status {status}):\n{tail}"
    result = json.loads(rehearsal.report.read_text())
    assert result["findings"] == [], tail
    assert status == 0, tail
    return result


def _common(result: dict) -> None:
    figures = result["figures"]
    assert figures["expected_partitions"] > 0
    # every expected partition but the blocked downstream of the injected tier-1 failure
    assert figures["materialized_partitions"] < figures["expected_partitions"]
    assert figures["failing_checks"] == [["darkpool_prints", "tier1_structure", "2025-11-26"]]
    assert result["killed_run"] is not None
    check_alerts = [m["text"] for m in result["alert_messages"] if "blocking check" in m["text"]]
    assert len(check_alerts) == 1 and "darkpool_prints" in check_alerts[0]
    retried = figures["gap_targets_retried"]
    assert any("2025-11-25-13:00" in target for target in retried)  # the outage healed by retries


@pytest.mark.slow
def test_a_production_stretch_on_the_shipped_sqlite_instance(shared_tmp_path: Path):
    rehearsal = sqlite_rehearsal(shared_tmp_path)
    start(rehearsal)  # started with the session already, unless this test was picked alone
    result = _judged(rehearsal, wait(rehearsal))
    assert result["clock_days"] >= 7
    _common(result)
    skips = result["skipped_ticks"]
    assert skips["xnys_session_close_schedule"] > 0 and skips["partition_gap_sensor"] > 0


@pytest.mark.slow
def test_the_faulty_days_on_postgresql(tmp_path):
    result = _rehearse(tmp_path, "postgres", "--storage", "postgres", "--short")
    assert result["storage"] == "postgres"
    _common(result)
