"""What the benchmarks of hourly runs share: a child process per tree, and in it the tiny
``hourly_sources_job`` on a fresh on-disk instance (the shipped ``dagster.yaml``'s SQLite
storage) with a fresh data directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

FIRST_HOUR = "2025-11-03-00:00"
"""The first hour the benchmarks run (a Monday), inside the tiny scale's hourly partitions."""


def run_in_tree(script: str, tree: Path, args: list[str]) -> dict[str, Any]:
    """``script --child args`` with ``tree`` first on ``PYTHONPATH``; its last line's JSON."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    argv = [sys.executable, str(Path(script).resolve()), "--child", *args]
    done = subprocess.run(argv, cwd=tree, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{tree} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextmanager
def tiny_hourly_job() -> Iterator[tuple[Any, Any]]:
    """(``hourly_sources_job``, an instance) in a temporary directory removed afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        os.environ.update(
            VVV_DATA_DIR=f"{folder}/data",
            VVV_SCALE="tiny",
            VVV_GX="0",
            VVV_HOURLY_START="2025-11-01-00:00",
        )
        import dagster as dg

        from vvv_pipeline.defs.definitions import build_definitions
        from vvv_pipeline_tests.instance_home import write_home

        home = write_home(Path(folder) / "dagster_home")
        job = build_definitions().resolve_job_def("hourly_sources_job")
        with dg.DagsterInstance.from_config(str(home)) as instance:
            yield job, instance
