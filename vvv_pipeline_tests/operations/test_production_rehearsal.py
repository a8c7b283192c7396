"""The production rehearsal passes: on the shipped SQLite instance through both legs, and on
PostgreSQL through the two-day leg that holds every fault.

Each runs ``python -m vvv_pipeline_tests.operations`` in its own process (the partition start
dates are part of the asset definitions, so the environment must be set before the pipeline is
imported). The JSON report is kept under ``data/artifacts/`` (git-ignored) for the record.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "data" / "artifacts"


def _rehearse(tmp_path: Path, name: str, *args: str) -> dict:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    report = ARTIFACTS / f"rehearsal-{name}.json"
    report.unlink(missing_ok=True)  # an earlier run's report must not pass for this one's
    log = tmp_path / "rehearsal.log"
    with log.open("w") as out:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "vvv_pipeline_tests.operations",
                "--workdir",
                str(tmp_path / "work"),
                "--out",
                str(report),
                *args,
            ],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=2400,
        )
    tail = "\n".join(log.read_text().splitlines()[-40:])
    assert report.exists(), f"no report (rc {done.returncode}):\n{tail}"
    result = json.loads(report.read_text())
    assert result["findings"] == [], tail
    assert done.returncode == 0, tail
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
def test_a_production_stretch_on_the_shipped_sqlite_instance(tmp_path):
    result = _rehearse(tmp_path, "sqlite")
    assert result["clock_days"] >= 7
    _common(result)
    skips = result["skipped_ticks"]
    assert skips["xnys_session_close_schedule"] > 0 and skips["partition_gap_sensor"] > 0


@pytest.mark.slow
def test_the_faulty_days_on_postgresql(tmp_path):
    result = _rehearse(tmp_path, "postgres", "--storage", "postgres", "--short")
    assert result["storage"] == "postgres"
    _common(result)
