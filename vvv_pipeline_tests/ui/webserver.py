"""A throwaway Dagster deployment for browser tests: webserver plus daemon on a free local port.

:func:`running_dagster` starts ``dagster-webserver`` and ``dagster-daemon run`` as subprocesses
that share a temporary ``DAGSTER_HOME`` (SQLite storage, telemetry off) and load the project's
``workspace.yaml``, with every store under a temporary data folder at the tiny simulated scale.
The daemon is needed because a backfill launched from the UI is only a request until the backfill
daemon turns it into runs. Callers may swap the workspace (another code location), the instance
configuration (e.g. :func:`project_instance_yaml`, the shipped ``dagster.yaml``) and the daemons
awaited before the block starts. Each process gets its own process group so teardown also ends the
code servers and run workers they spawned. When the block fails, the tail of both logs is written
to stderr (pytest shows it with the failure) and the logs are copied to the artifacts folder
(``dagster_ui_<process>.log``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import dagster as dg

from vvv_pipeline_tests.browser import REPO_ROOT, artifacts_dir
from vvv_pipeline_tests.instance_home import project_instance_yaml

__all__ = ["project_instance_yaml", "running_dagster"]

WORKSPACE = REPO_ROOT / "workspace.yaml"
"""The folder the shipped ``dagster.yaml`` keeps its relative ``base_dir`` paths under."""
LOCATION_NAME = "vvv_pipeline"
"""The code location name ``workspace.yaml`` declares."""
STARTUP_TIMEOUT_S = 120.0
LOG_TAIL_CHARS = 6000
INSTANCE_YAML = """\
storage:
  sqlite:
    base_dir: {home}/storage
local_artifact_storage:
  module: dagster._core.storage.root
  class: LocalArtifactStorage
  config:
    base_dir: {home}
compute_logs:
  module: dagster._core.storage.local_compute_log_manager
  class: LocalComputeLogManager
  config:
    base_dir: {home}/logs
telemetry:
  enabled: false
"""
DAEMON_HEALTH_QUERY = """
query { instance { daemonHealth { allDaemonStatuses { daemonType healthy } } } }
"""
LOCATION_STATUS_QUERY = """
query { workspaceOrError { ... on Workspace { locationEntries {
  name loadStatus
  locationOrLoadError { __typename ... on PythonError { message } }
} } } }
"""


@dataclass(frozen=True)
class DagsterDeployment:
    """A running webserver (at ``url``) and daemon sharing ``home``; stores live in ``data_dir``."""

    url: str
    home: Path
    data_dir: Path
    logs: tuple[Path, ...]
    location_name: str = LOCATION_NAME

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """``data`` of a GraphQL answer from the webserver; raises on transport or query errors."""
        body = json.dumps({"query": query, "variables": dict(variables or {})}).encode()
        request = urllib.request.Request(
            f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
        if answer.get("errors"):
            raise RuntimeError(f"GraphQL errors for {query.split()[:3]}: {answer['errors']}")
        return answer["data"]

    def healthy_daemons(self) -> set[str]:
        statuses = self.graphql(DAEMON_HEALTH_QUERY)["instance"]["daemonHealth"]
        return {s["daemonType"] for s in statuses["allDaemonStatuses"] if s["healthy"]}


def free_port() -> int:
    """A localhost TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def create_instance(home: Path, instance_yaml: str | None = None) -> Path:
    """A private instance in ``home`` (SQLite, no telemetry unless ``instance_yaml`` says
    otherwise) with its databases created.

    Creating the databases here, before any server starts, matters: the webserver, its code
    server and the daemon would otherwise each create and stamp the same fresh SQLite schema at
    once, which leaves two alembic heads and a code location that fails to load.
    """
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    target.write_text(instance_yaml or INSTANCE_YAML.format(home=home.resolve()))
    dg.DagsterInstance.from_config(str(home)).dispose()
    return target


def deployment_environment(home: Path, data_dir: Path) -> dict[str, str]:
    """The subprocesses' environment: private instance and data, tiny scale, no GX."""
    env = {k: v for k, v in os.environ.items() if k not in ("VVV_ARCTIC_URI", "VVV_DUCKDB_PATH")}
    env.update(
        DAGSTER_HOME=str(home.resolve()),
        VVV_DATA_DIR=str(data_dir.resolve()),
        VVV_SCALE="tiny",
        VVV_GX="0",
        PYTHONUNBUFFERED="1",
    )
    return env


@contextmanager
def running_dagster(
    root: Path,
    *,
    daemon: bool = True,
    workspace: Path = WORKSPACE,
    location_name: str = LOCATION_NAME,
    instance_yaml: Callable[[Path], str] | None = None,
    daemons: tuple[str, ...] = ("BACKFILL",),
    unset: tuple[str, ...] = (),
) -> Iterator[DagsterDeployment]:
    """Webserver (and daemon) over a private instance in ``root``; everything ends on exit.

    ``instance_yaml`` makes the text of the instance's ``dagster.yaml`` from the instance folder
    (default: SQLite in that folder, no telemetry); ``daemons`` are the daemon types that must
    report healthy before the block runs; ``unset`` names variables of
    :func:`deployment_environment` the processes must not see (to serve runs made without them:
    settings enter the job's snapshot, and the UI marks a run of another snapshot as changed).
    """
    home, data_dir = root / "dagster_home", root / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    create_instance(home, instance_yaml(home.resolve()) if instance_yaml else None)
    env = deployment_environment(home, data_dir)
    for variable in unset:
        env.pop(variable, None)
    port = free_port()
    bin_dir = Path(sys.executable).parent
    commands = {
        "dagster-webserver": [
            str(bin_dir / "dagster-webserver"),
            *("-h", "127.0.0.1", "-p", str(port), "-w", str(workspace)),
        ],
    }
    if daemon:
        # dagster-daemon run, with a backfill loop that polls every 3 s instead of 30
        daemon_module = "vvv_pipeline_tests.ui.daemon"
        commands["dagster-daemon"] = [sys.executable, "-m", daemon_module, "run"]
        commands["dagster-daemon"] += ["-w", str(workspace)]
    deployment = DagsterDeployment(
        url=f"http://127.0.0.1:{port}",
        home=home,
        data_dir=data_dir,
        logs=tuple(root / f"{name}.log" for name in commands),
        location_name=location_name,
    )
    processes: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []
    try:
        for command, log in zip(commands.values(), deployment.logs, strict=True):
            processes.append(_start(command, env, cwd=root, log=log))
        _wait_until_ready(
            deployment, [proc for proc, _ in processes], daemons=daemons if daemon else ()
        )
        yield deployment
    except BaseException:
        _report_logs(deployment.logs)
        raise
    finally:
        for proc, log_file in reversed(processes):
            _stop_group(proc)
            log_file.close()


def _start(
    command: list[str], env: dict[str, str], *, cwd: Path, log: Path
) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
    log_file = log.open("wb")
    # a new session makes the process a group leader: teardown kills its code servers too
    proc = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True
    )
    return proc, log_file


def _wait_until_ready(
    deployment: DagsterDeployment,
    processes: list[subprocess.Popen[bytes]],
    *,
    daemons: tuple[str, ...],
) -> None:
    """Block until the webserver answers, the location loaded and the ``daemons`` beat."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S

    def _daemons_healthy(deployment: DagsterDeployment) -> bool:
        return set(daemons) <= deployment.healthy_daemons()

    checks = [_server_answers, _location_loaded]
    if daemons:
        checks.append(_daemons_healthy)
    for check in checks:
        while True:
            for proc in processes:
                if proc.poll() is not None:
                    raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode} at startup")
            if check(deployment):
                break
            if time.monotonic() > deadline:
                detail = (
                    f" (awaited {sorted(daemons)}, healthy {sorted(deployment.healthy_daemons())})"
                    if check is _daemons_healthy
                    else ""
                )
                raise TimeoutError(
                    f"Dagster at {deployment.url} not ready: {check.__name__}{detail}"
                )
            time.sleep(0.5)


def _server_answers(deployment: DagsterDeployment) -> bool:
    try:
        with urllib.request.urlopen(f"{deployment.url}/server_info", timeout=5) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _location_loaded(deployment: DagsterDeployment) -> bool:
    entries = deployment.graphql(LOCATION_STATUS_QUERY)["workspaceOrError"]["locationEntries"]
    name = deployment.location_name
    entry = next((e for e in entries if e["name"] == name), None)
    if entry is None or entry["loadStatus"] != "LOADED":
        return False
    error = entry["locationOrLoadError"]
    if error and error["__typename"] == "PythonError":
        raise RuntimeError(f"code location {name} failed to load: {error['message']}")
    return True


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group, SIGKILL what is left after a grace period."""
    for sig, grace_s in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace_s)
            # the leader is gone; children of the group may linger, so signal the group once more
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue
        return


def _report_logs(logs: tuple[Path, ...]) -> None:
    """Tail of each log to stderr, and a copy of each log next to the screenshots."""
    for log in logs:
        if not log.exists():
            continue
        text = log.read_text(errors="replace")
        sys.stderr.write(f"\n----- {log.name} (last {LOG_TAIL_CHARS} chars) -----\n")
        sys.stderr.write(text[-LOG_TAIL_CHARS:])
        shutil.copyfile(log, artifacts_dir() / f"dagster_ui_{log.name}")
