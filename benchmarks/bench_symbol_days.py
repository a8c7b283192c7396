"""Symbol-day grouping (``analytics.days.symbol_days``) and the size-burst detector built on it.

Run from the repository root, optionally beside a baseline checkout of the project:

    python benchmarks/bench_symbol_days.py                        # this tree
    git worktree add /tmp/baseline <commit>
    python benchmarks/bench_symbol_days.py --baseline /tmp/baseline --repeats 5

Input, built once per process outside the timing: ``--trades`` simulated-like trades (three
pairs, random times over seven days, random sizes and sides), with ``symbol`` as plain strings
and as a category (what ArcticDB reads back). Timed: ``symbol_days`` and ``size_bursts`` on
each. Each tree runs in its own process with the tree first on ``sys.path``; trees alternate.
Printed: each tree's medians, the ratio, and whether both trees found the same groups and bursts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_child(trades: int, repeats: int) -> None:
    import numpy as np
    import pandas as pd

    from vvv_pipeline.analytics.days import symbol_days
    from vvv_pipeline.analytics.spoofing import size_bursts

    rng = np.random.default_rng(1)
    seconds = np.sort(rng.integers(1_763_900_000, 1_764_500_000, trades))
    frame = pd.DataFrame(
        {
            "symbol": rng.choice(["BTCUSDT", "ETHUSDT", "SOLUSDT"], trades),
            "ts": pd.to_datetime(seconds * 10**9, utc=True),
            "size": rng.pareto(1.5, trades) + 0.01,
            "aggressor": rng.choice(np.array([-1, 1], dtype=np.int8), trades),
        }
    )
    out: dict[str, object] = {}
    for label, data in (("str", frame), ("category", frame.astype({"symbol": "category"}))):
        for name, call in (
            ("symbol_days", lambda d=data: symbol_days(d, ("symbol", "ts"), "trades")),
            ("size_bursts", lambda d=data: size_bursts(d)),
        ):
            times = []
            for _ in range(repeats):
                began = time.perf_counter()
                result = call()
                times.append(time.perf_counter() - began)
            out[f"{name} ({label})"] = statistics.median(times)
            if name == "symbol_days":
                out[f"check {label}"] = [int(result.count), int(result.day.sum())]
            else:
                out[f"check bursts {label}"] = [len(result), float(result["size"].sum())]
    print(json.dumps(out))


def child(tree: Path, trades: int, repeats: int) -> dict:
    argv = [sys.executable, str(Path(__file__).resolve()), "--child"]
    argv += ["--trades", str(trades), "--repeats", str(repeats)]
    done = subprocess.run(
        argv, cwd=tree, env={"PYTHONPATH": str(tree)}, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"{tree} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trades", type=int, default=1_500_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--baseline", type=Path, help="a checkout of the baseline commit")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, str(Path.cwd()))
        run_child(args.trades, args.repeats)
        return
    trees = {"this tree": ROOT}
    if args.baseline:
        trees = {"baseline": args.baseline.resolve(), **trees}
    results = {name: child(tree, args.trades, args.repeats) for name, tree in trees.items()}
    timed = [key for key in results["this tree"] if not key.startswith("check")]
    print(f"{args.trades:,} trades, median of {args.repeats} calls")
    print("| call | " + " | ".join(trees) + (" | ratio |" if args.baseline else " |"))
    print("| --- |" + " ---: |" * (len(trees) + bool(args.baseline)))
    for key in timed:
        cells = [f"{results[name][key]:.3f} s" for name in trees]
        ratio = (
            [f"{results['baseline'][key] / results['this tree'][key]:.1f}x"]
            if args.baseline
            else []
        )
        print(f"| {key} | " + " | ".join([*cells, *ratio]) + " |")
    if args.baseline:
        checks = [key for key in results["this tree"] if key.startswith("check")]
        same = all(results["baseline"][k] == results["this tree"][k] for k in checks)
        print(f"\nsame groups and bursts in both trees: {same}")


if __name__ == "__main__":
    main()
