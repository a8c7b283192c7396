"""Wall time of the README's main command, ``vvv-pipeline run``, per job and in total.

Run from the repository root, optionally beside a baseline checkout of the project:

    python benchmarks/bench_main_command.py                          # this tree, 3 runs
    git worktree add /tmp/baseline <commit>
    python benchmarks/bench_main_command.py --baseline /tmp/baseline --repeats 2

Each run is the command as a user runs it (``vvv-pipeline run --as-of 2025-11-26``, the default
scale: five sessions), in a fresh project folder holding the tree's ``dagster.yaml`` and
``workspace.yaml``, with the tree first on ``PYTHONPATH`` and ``VVV_DATA_DIR`` in that folder.
Trees run alternately; printed: every run's wall time and its jobs' ``ok in`` seconds, then the
median wall time of each tree and their ratio.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JOB_DONE = re.compile(r"^  (\w+_job): ok in ([\d.]+)s", re.MULTILINE)


def run_once(tree: Path, as_of: str) -> tuple[float, dict[str, float]]:
    """One command in a fresh project folder: its wall seconds and each job's seconds."""
    command = Path(sys.executable).parent / "vvv-pipeline"
    with tempfile.TemporaryDirectory(prefix="vvv-bench-main-") as folder:
        project = Path(folder)
        for name in ("dagster.yaml", "workspace.yaml"):
            (project / name).write_bytes((tree / name).read_bytes())
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("VVV_", "DAGSTER_"))},
            "PYTHONPATH": str(tree),
            "VVV_DATA_DIR": str(project / "data"),
            "HOME": str(project),
        }
        started = time.perf_counter()
        done = subprocess.run(
            [str(command), "run", "--as-of", as_of],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{tree}: the command failed:\n{done.stderr[-3000:]}")
    return wall, {job: float(seconds) for job, seconds in JOB_DONE.findall(done.stdout)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, help="a checkout of the baseline commit")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--as-of", default="2025-11-26")
    args = parser.parse_args()
    trees = {"this tree": ROOT}
    if args.baseline:
        trees = {"baseline": args.baseline.resolve(), **trees}
    walls: dict[str, list[float]] = {name: [] for name in trees}
    for repeat in range(args.repeats):
        for name, tree in trees.items():
            wall, jobs = run_once(tree, args.as_of)
            walls[name].append(wall)
            per_job = " ".join(f"{job} {seconds:.1f}s" for job, seconds in jobs.items())
            print(f"{name} #{repeat + 1}: {wall:.1f}s  ({per_job})", flush=True)
    medians = {name: statistics.median(times) for name, times in walls.items()}
    for name, median in medians.items():
        print(f"{name}: median {median:.1f}s over {len(walls[name])} runs")
    if args.baseline:
        print(f"baseline / this tree: {medians['baseline'] / medians['this tree']:.2f}x")


if __name__ == "__main__":
    main()
