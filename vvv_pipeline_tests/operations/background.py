"""The SQLite rehearsal, started in the background as the test session starts.

The rehearsal is one process, busy for about four minutes, and its test only waits for it. Started
with the session (by the first worker to start; a lock file beside the workers' temporary folders
makes sure of one), it runs beside the other tests and uses the time the cores would otherwise
spend idle while tests wait: for webservers and daemons to start, a browser to load, a subprocess
or a cron minute (about a fifth of the cores' time in a whole-suite run). Its test then waits for
the exit status the wrapper leaves in a file (the worker that started it may have finished by
then) and judges the report as before.

The wrapper runs in the session's process group, so interrupting pytest interrupts it, and
``timeout`` bounds it in any case.
"""

from __future__ import annotations

import fcntl
import os
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 2400


@dataclass(frozen=True)
class Rehearsal:
    """``python -m vvv_pipeline_tests.operations`` with ``args``, its files under ``folder``."""

    folder: Path
    report: Path
    args: tuple[str, ...] = ()

    @property
    def log(self) -> Path:
        return self.folder / "rehearsal.log"

    @property
    def status(self) -> Path:
        return self.folder / "exit-status"


def start(rehearsal: Rehearsal) -> None:
    """Start ``rehearsal`` unless this session already did."""
    rehearsal.folder.mkdir(parents=True, exist_ok=True)
    with (rehearsal.folder / "start.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        started = rehearsal.folder / "started"
        if started.exists():
            return
        rehearsal.report.parent.mkdir(parents=True, exist_ok=True)
        rehearsal.report.unlink(missing_ok=True)  # an earlier run's report must not pass
        command = [
            sys.executable,
            "-m",
            "vvv_pipeline_tests.operations",
            *("--workdir", str(rehearsal.folder / "work")),
            *("--out", str(rehearsal.report)),
            *rehearsal.args,
        ]
        status = shlex.quote(str(rehearsal.status))
        script = (
            f"timeout {TIMEOUT_S} {shlex.join(command)} > {shlex.quote(str(rehearsal.log))} 2>&1;"
            f" echo $? > {status}.part && mv {status}.part {status}"
        )
        subprocess.Popen(["bash", "-c", script], cwd=ROOT, env=os.environ.copy())
        started.touch()


def wait(rehearsal: Rehearsal, timeout_s: float = TIMEOUT_S + 60) -> int:
    """The rehearsal's exit status, once it has ended."""
    deadline = time.monotonic() + timeout_s
    while not rehearsal.status.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the rehearsal in {rehearsal.folder} did not end")
        time.sleep(1)
    return int(rehearsal.status.read_text())
