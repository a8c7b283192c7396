"""Run monitoring marks a run failed once its worker process is gone, and only then."""

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg

from vvv_pipeline.defs.automation.run_launcher import (
    WORKER_HOST_TAG,
    LocalRunLauncher,
    process_alive,
    this_host,
)
from vvv_pipeline_tests.dagster_internals import DagsterRunStatus, monitor_started_run
from vvv_pipeline_tests.instance_home import write_home

ROOT = Path(__file__).resolve().parents[2]
LOG = logging.getLogger(__name__)


def _home(tmp_path: Path) -> Path:
    """A DAGSTER_HOME with the shipped dagster.yaml's launcher and run monitoring."""
    shipped = (ROOT / "dagster.yaml").read_text()
    assert "class: LocalRunLauncher" in shipped and "run_monitoring:\n  enabled: true" in shipped
    return write_home(tmp_path / "home")


def _started(instance: dg.DagsterInstance, run_id: str) -> dg.DagsterRun:
    run = instance.get_run_by_id(run_id)
    assert run is not None and run.status == DagsterRunStatus.STARTED
    return run


def test_a_killed_run_is_marked_failed_by_run_monitoring(tmp_path):
    home = _home(tmp_path)
    marker = tmp_path / "running"
    worker = subprocess.Popen(
        [sys.executable, "-m", "vvv_pipeline_tests.automation.slow_run", str(marker)],
        env={**os.environ, "DAGSTER_HOME": str(home)},
        cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert worker.poll() is None and time.monotonic() < deadline, "worker did not start"
            time.sleep(0.05)
        run_id = marker.read_text()
        instance = dg.DagsterInstance.from_config(str(home))
        assert isinstance(instance.run_launcher, LocalRunLauncher)
        assert (
            instance.run_monitoring_enabled and instance.run_monitoring_max_resume_run_attempts == 0
        )

        alive = instance.get_run_record_by_id(run_id)
        monitor_started_run(instance, None, alive, LOG)  # the worker lives: nothing happens
        _started(instance, run_id)

        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=30)
        monitor_started_run(instance, None, instance.get_run_record_by_id(run_id), LOG)
        run = instance.get_run_by_id(run_id)
        assert run.status == DagsterRunStatus.FAILURE
        failure = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)[-1]
        assert f"on {this_host()}) is gone" in failure.message
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()


def test_runs_whose_worker_cannot_be_judged_here_are_left_running(tmp_path):
    instance = dg.DagsterInstance.from_config(str(_home(tmp_path)))
    launcher = instance.run_launcher
    elsewhere = dg.DagsterRun(
        job_name="j", run_id="elsewhere", tags={WORKER_HOST_TAG: "other-host"}
    )
    untagged = dg.DagsterRun(job_name="j", run_id="untagged")
    no_pid_yet = dg.DagsterRun(job_name="j", run_id="no-pid", tags={WORKER_HOST_TAG: this_host()})
    for run in (elsewhere, untagged, no_pid_yet):
        instance.add_run(run._replace(status=DagsterRunStatus.STARTED))
        assert launcher.check_run_worker_health(run).status.value == "RUNNING", run.run_id


def test_process_alive_tells_a_zombie_from_a_live_process():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert process_alive(child.pid)
        child.send_signal(signal.SIGKILL)
        deadline = time.monotonic() + 10
        while process_alive(child.pid):  # killed but not reaped: a zombie counts as gone
            assert time.monotonic() < deadline
            time.sleep(0.02)
    finally:
        child.wait()
    assert not process_alive(child.pid)
