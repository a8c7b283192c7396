"""Wall time of writing one daily report page, optionally beside a baseline checkout.

Run from the repository root:

    python benchmarks/bench_daily_report.py                              # this tree
    git worktree add /tmp/baseline <commit>
    python benchmarks/bench_daily_report.py --baseline /tmp/baseline --rounds 3

The page is the session 2025-11-25 of the ten default equities at the default simulated density
(20,000 ticks a session, 5-minute bars with their volume profile, regime shading and dark-pool
prints; the tiers and signals tables), written with ``write_daily_report`` as the
``daily_report`` asset writes it. Each tree runs in its own process (the tree first on
``PYTHONPATH``), the trees alternating; each round writes the page ``--pages`` times. Printed:
every page's seconds, each tree's median and their ratio, and whether the two trees' pages draw
the same figures (every ``Plotly.newPlot`` call's traces, layout and config equal as JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SESSION = "2025-11-25"


def write_pages(folder: Path, pages: int) -> list[float]:
    """Write the page ``pages`` times into ``folder``; the seconds of each (the tree's own
    modules: imported here, in the child process whose ``PYTHONPATH`` names the tree)."""
    from vvv_pipeline.reports.daily import write_daily_report
    from vvv_pipeline.universe import load_universe
    from vvv_pipeline_tests.reports.test_daily_report import simulated_report_inputs

    inputs = simulated_report_inputs(tuple(load_universe().equities))
    times = []
    for _ in range(pages):
        started = time.perf_counter()
        write_daily_report(folder / "page.html", SESSION, **inputs)
        times.append(time.perf_counter() - started)
    return times


def plots(page: str) -> list[tuple]:
    """Every ``Plotly.newPlot(div, traces, layout, config)`` call's arguments, parsed."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while (at := page.find("Plotly.newPlot(", at)) >= 0:
        arguments = []
        at = page.index('"', at)
        for opening in ('"', "[", "{", "{"):
            at = page.index(opening, at)
            value, at = decoder.raw_decode(page, at)
            arguments.append(value)
        found.append(tuple(arguments))
    return found


def run_tree(tree: Path, folder: Path, pages: int) -> list[float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, __file__, "--child", str(folder), "--pages", str(pages)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{tree}: the page failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="a checkout to time beside this tree")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pages", type=int, default=3, help="pages written per round")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(write_pages(args.child, args.pages)))
        return
    trees = {"this tree": ROOT}
    if args.baseline:
        trees = {"baseline": args.baseline.resolve(), **trees}
    with tempfile.TemporaryDirectory(prefix="vvv-bench-report-") as scratch:
        folders = {name: Path(scratch) / str(i) for i, name in enumerate(trees)}
        times: dict[str, list[float]] = {name: [] for name in trees}
        for round_ in range(args.rounds):
            for name, tree in trees.items():
                folders[name].mkdir(exist_ok=True)
                seconds = run_tree(tree, folders[name], args.pages)
                times[name] += seconds
                print(f"round {round_ + 1} {name}: " + ", ".join(f"{s:.3f} s" for s in seconds))
        medians = {name: statistics.median(values) for name, values in times.items()}
        for name, median in medians.items():
            print(f"{name}: median {median:.3f} s a page over {len(times[name])} pages")
        if args.baseline:
            ratio = medians["baseline"] / medians["this tree"]
            pages = {n: (f / "page.html").read_text(encoding="utf-8") for n, f in folders.items()}
            same = plots(pages["baseline"]) == plots(pages["this tree"])
            print(f"ratio baseline / this tree: {ratio:.2f}x; same figures: {same}")


if __name__ == "__main__":
    main()
