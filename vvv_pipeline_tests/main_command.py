"""The README's main command, run once per test session for every test that starts from its result.

``vvv-pipeline run --sessions 2 --scale tiny --as-of 2025-11-26`` in a project folder as on a
fresh clone (the shipped ``dagster.yaml`` and ``workspace.yaml``, no data directory, no
``DAGSTER_HOME``) takes about half a minute. ``test_cli`` reads its output and runs it a second
time (idempotence), on a copy of the project as the first run left it (the instance's SQLite
files, ArcticDB's LMDB store, the DuckDB file and the reports hold no absolute path of the
folder). ``ui/test_ui_tells_the_truth`` opens the UI over the project where the command ran: the
resources' configuration holds the data folder's path, so the jobs' snapshots of a copy differ
from its runs' and the UI would mark every run as made by other code. It is the only test that
uses the project in place (it re-executes a run there); the copies come from a pristine copy made
right after the command. With ``pytest -n 2`` the workers share the first run through a lock
file beside their temporary folders: the first worker to need it runs the command, another waits
for it.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARGUMENTS = ("run", "--sessions", "2", "--scale", "tiny", "--as-of", "2025-11-26")


@dataclass(frozen=True)
class FirstRun:
    """The project folder the command ran in, a pristine copy of it, and its stdout."""

    project: Path
    pristine: Path
    stdout: str

    def copy_to(self, destination: Path) -> Path:
        """A private copy of the project as the first run left it."""
        shutil.copytree(self.pristine, destination, symlinks=True)
        return destination


def fresh_project(folder: Path) -> Path:
    """``folder`` holding what a fresh clone's root holds for the command: the two yaml files."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "dagster.yaml", folder / "dagster.yaml")
    shutil.copy(ROOT / "workspace.yaml", folder / "workspace.yaml")
    return folder


def main_command(project: Path, *arguments: str, **env: str) -> tuple[list[str], dict[str, str]]:
    """The command line (default arguments: :data:`ARGUMENTS`) and the minimal environment
    the command gets in ``project``, data under ``project/data``."""
    command = [sys.executable, "-m", "vvv_pipeline.cli", *(arguments or ARGUMENTS)]
    environment = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(project),
        "VVV_DATA_DIR": str(project / "data"),
        **env,
    }
    return command, environment


def run_main_command(
    project: Path, *arguments: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """:func:`main_command` run to its end in ``project`` (any subcommand: ``arguments``)."""
    command, environment = main_command(project, *arguments, **env)
    return subprocess.run(command, cwd=project, env=environment, capture_output=True, text=True)


def first_run(shared: Path) -> FirstRun:
    """The session's first run of the command under ``shared``, made on first request."""
    shared.mkdir(parents=True, exist_ok=True)
    project, pristine = shared / "project", shared / "pristine"
    stdout = shared / "stdout.txt"
    with (shared / "first-run.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not stdout.exists():
            for left in (project, pristine):  # what a failed attempt left
                shutil.rmtree(left, ignore_errors=True)
            done = run_main_command(fresh_project(project))
            assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
            shutil.copytree(project, pristine, symlinks=True)
            stdout.write_text(done.stdout)
    return FirstRun(project=project, pristine=pristine, stdout=stdout.read_text())
