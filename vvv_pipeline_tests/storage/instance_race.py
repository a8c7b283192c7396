"""Race N processes on the first use of fresh Dagster instances, the way commands start together.

Each worker process imports Dagster once and then, for every fresh ``DAGSTER_HOME`` in turn,
waits at a gate until all workers are ready and opens the instance at the same moment, then runs
one query on each storage (runs, event log, schedules). Starting the processes once and gating
each round keeps the import cost out of the race, so rounds are cheap and really concurrent.

Run as ``python -m vvv_pipeline_tests.storage.instance_race MODE CONTROL WORKER HOME...`` where
MODE is ``dagster`` (``DagsterInstance.get()``, what Dagster's commands do) or ``project``
(what ``vvv-pipeline`` does).
"""

from __future__ import annotations

import glob
import os
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

GATE_TIMEOUT_S = 120.0


def _wait_for(paths: list[Path], timeout: float = GATE_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not all(p.exists() for p in paths):
        if time.monotonic() > deadline:
            raise TimeoutError(f"gate: still waiting for {[str(p) for p in paths]}")
        time.sleep(0.0005)


def _open_and_query(mode: str) -> None:
    from dagster import DagsterInstance

    if mode == "dagster":
        instance = DagsterInstance.get()
    else:
        from vvv_pipeline.defs.instance import open_instance, project_instance_ref

        instance = open_instance(project_instance_ref())
    with instance:
        instance.get_run_records(limit=1)
        instance.get_asset_keys()
        instance.all_instigator_state()


def worker(mode: str, control: Path, worker_id: str, homes: list[str]) -> None:
    import dagster  # noqa: F401  (imported before the first gate, outside the race)

    for round_no, home in enumerate(homes):
        (control / f"ready-{round_no}-{worker_id}").touch()
        _wait_for([control / f"go-{round_no}"])
        os.chdir(home)
        os.environ["DAGSTER_HOME"] = home
        try:
            _open_and_query(mode)
            outcome = "ok"
        except Exception as error:  # every failure is the measurement, not a crash
            outcome = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
        (control / f"result-{round_no}-{worker_id}").write_text(outcome)


@dataclass
class Round:
    home: Path
    outcomes: list[str]
    alembic_rows: dict[str, int]
    """SQLite file (relative to the home) -> rows in its ``alembic_version`` table."""

    @property
    def errors(self) -> list[str]:
        return [o for o in self.outcomes if o != "ok"]

    @property
    def broken(self) -> bool:
        """True when the storage was left with other than one alembic head per database."""
        return any(rows != 1 for rows in self.alembic_rows.values())


def alembic_rows(home: Path) -> dict[str, int]:
    rows = {}
    for db in sorted(glob.glob(str(home / "**" / "*.db"), recursive=True)):
        with sqlite3.connect(db) as con:
            found = con.execute(
                "SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'"
            ).fetchone()[0]
            count = (
                con.execute("SELECT count(*) FROM alembic_version").fetchone()[0] if found else 0
            )
        rows[os.path.relpath(db, home)] = count
    return rows


def race(homes: list[Path], modes: list[str], control: Path) -> list[Round]:
    """One round per fresh home; ``modes`` gives one worker process per entry."""
    control.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "vvv_pipeline_tests.storage.instance_race"]
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    procs = [
        subprocess.Popen(
            [*command, mode, str(control), str(i), *map(str, homes)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i, mode in enumerate(modes)
    ]
    try:
        for round_no in range(len(homes)):
            _wait_for([control / f"ready-{round_no}-{i}" for i in range(len(modes))])
            (control / f"go-{round_no}").touch()
    except BaseException:
        for proc in procs:
            proc.kill()
        raise
    for proc in procs:
        _, stderr = proc.communicate(timeout=GATE_TIMEOUT_S)
        if proc.returncode != 0:
            raise RuntimeError(f"race worker exited {proc.returncode}: {stderr[-2000:]}")
    return [
        Round(
            home,
            [(control / f"result-{round_no}-{i}").read_text() for i in range(len(modes))],
            alembic_rows(home),
        )
        for round_no, home in enumerate(homes)
    ]


if __name__ == "__main__":
    worker(sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4:])
