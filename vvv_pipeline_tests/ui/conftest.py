"""One deployment with the daemon for the UI tests that need it, started once per worker.

The shipped instance (``dagster.yaml``: locked SQLite storage, the run queue, the project's run
launcher, run monitoring) served by ``dagster-webserver`` and ``dagster-daemon`` over the test
code location :mod:`.minutely_location`: the project's definitions plus a schedule that ticks
every minute. ``test_dagster_ui`` walks the asset graph and launches a backfill from the UI on
it; ``test_schedule_tick_graphql`` reads the minutely schedule's first tick, which the real
scheduler fires at the first minute after the daemon starts, while those walks run, instead of
the tests waiting for it on a deployment of their own. Afterwards no process of the deployment
may be left.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from vvv_pipeline_tests.browser import REPO_ROOT
from vvv_pipeline_tests.ui.webserver import (
    DagsterDeployment,
    project_instance_yaml,
    running_dagster,
)

MINUTELY_LOCATION = "vvv_pipeline_minutely"
WORKSPACE_YAML = """\
load_from:
  - python_module:
      module_name: vvv_pipeline_tests.ui.minutely_location
      location_name: {location}
      working_directory: {repo}
"""
DAEMONS = ("SCHEDULER", "QUEUED_RUN_COORDINATOR", "MONITORING", "BACKFILL")
"""Daemons the shipped instance needs for a scheduled run (ticks, the run queue, run monitoring)
and for a backfill launched from the UI."""
TEARDOWN_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class DaemonDeployment:
    dagster: DagsterDeployment
    started: pd.Timestamp
    """When the deployment was started: its schedule's first tick comes after this minute."""


@pytest.fixture(scope="session")
def daemon_deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DaemonDeployment]:
    root = tmp_path_factory.mktemp("daemon_deployment")
    workspace = root / "workspace.yaml"
    workspace.write_text(WORKSPACE_YAML.format(location=MINUTELY_LOCATION, repo=REPO_ROOT))
    home = root / "dagster_home"
    started = pd.Timestamp.now("UTC")
    try:
        with running_dagster(
            root,
            workspace=workspace,
            location_name=MINUTELY_LOCATION,
            instance_yaml=project_instance_yaml,
            daemons=DAEMONS,
        ) as dagster:
            assert dagster.home == home
            dagster.graphql("mutation { setNuxSeen }")  # the newsletter dialog would cover pages
            yield DaemonDeployment(dagster, started)
    finally:
        left = end_leftovers(home)
    assert not left, f"processes of the deployment outlived it (killed now): {left}"


def processes_of(home: Path) -> dict[int, str]:
    """Command line of every live process whose environment names ``home`` as DAGSTER_HOME."""
    marker = f"DAGSTER_HOME={home.resolve()}".encode()
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            if marker not in (proc / "environ").read_bytes().split(b"\0"):
                continue
            state = (proc / "stat").read_text().rsplit(")", 1)[-1].split()[0]
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue
        if state != "Z":  # a zombie has already exited; only its parent's wait is pending
            found[int(proc.name)] = command.strip()
    return found


def end_leftovers(home: Path) -> dict[int, str]:
    """Wait for the deployment's processes to be gone; SIGKILL and return any that stay."""
    deadline = time.monotonic() + TEARDOWN_TIMEOUT_S
    while (left := processes_of(home)) and time.monotonic() < deadline:
        time.sleep(0.5)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return left
