"""Single-run backfills of ticks -> bars -> metadata tiers through the project's own instance.

Run from the repository root:

    python benchmarks/bench_backfill.py                      # 20 sessions, cache vs no cache, 3x
    python benchmarks/bench_backfill.py --sessions 60 --repeats 1
    python benchmarks/bench_backfill.py --sessions 252 --repeats 1 --cases cache   # a year
    python benchmarks/bench_backfill.py --sessions 20 --cases cache per-partition  # run overhead
    python benchmarks/bench_backfill.py --sessions 20 --cases cache oneworker      # both cores
    python benchmarks/bench_backfill.py --sessions 10 --repeats 1 --scale heavy     # 1M a session

Each case runs in its own Python process (so its peak RSS is its own), in a fresh temporary
data directory and a fresh Dagster home holding the shipped ``dagster.yaml`` (the project's
SQLite run/event storage on disk, as ``vvv-pipeline run`` and ``dagster dev`` use it), at the
default simulated density (20,000 trades per symbol-session, 10 equities; ``--scale heavy``:
1,000,000 trades per symbol-session). It materializes
``equity_ticks`` (fetch, four validation tiers, quarantine, ArcticDB), ``equity_time_bars``,
``equity_event_bars`` and ``equity_metadata_tier1/2`` with the in-process executor (what
``vvv-pipeline run`` uses). Tier 3 is left out: it also needs the dark-pool, options and
calendar-day news sources, which a job over one partitions definition cannot hold. The
great-expectations suites are off (``VVV_GX=0``): they document, they are not part of the
ticks -> bars -> tiers path. One untimed warm-up partition runs first in each process (calendar,
price anchors, numba cache, imports), on its own data directory and instance.

Cases, run alternately, ``--repeats`` times each:

- ``cache``: as shipped (``VVV_TICK_CACHE_MB`` default): the derived assets take the partitions
  ``equity_ticks`` just wrote from the run's tick cache;
- ``nocache``: ``VVV_TICK_CACHE_MB=0``, the baseline: every derived asset reads its ticks back;
- ``per-partition``: as shipped, but one run per session (the per-run overhead);
- ``oneworker``: as shipped, but ``VVV_DERIVE_WORKERS=1``: the derived assets compute every
  chunk in the run's process instead of two (see docs/storage.md, "Both cores").

Peak RSS is the run's process's. The case's memory is the peak of all its processes'
proportional set sizes summed (PSS: a page shared between processes counts once, split between
them), sampled every 0.2 s: the run's process, the forked processes that compute parts of the
derived assets' chunks, and Dagster's compute-log tailers.

The same ticks are also written bare, with ``ArcticStore.write_partition`` into a fresh LMDB
store, in the parent process: the floor the end-to-end rate is compared with. Each session is
simulated and validated outside the timing, then written (only the writes are timed; one session
is held at a time, so the heavy scale fits in memory).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ASSETS = [
    "equity_ticks",
    "equity_time_bars",
    "equity_event_bars",
    "equity_metadata_tier1",
    "equity_metadata_tier2",
]
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")
CASES = ("cache", "nocache", "per-partition", "oneworker")
SCALES = ("default", "heavy")
EQUITIES = 10


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass  # the process ended between listing and reading
    return 0


def _descendants(pid: int) -> list[int]:
    found = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as handle:
                children = [int(c) for c in handle.read().split()]
        except OSError:
            continue
        for child in children:
            found += [child, *_descendants(child)]
    return found


INTERVAL = 0.2
"""Seconds between samples of the process tree's memory."""


class TreeMemory:
    """Peak proportional set size (PSS) of this process and its descendants, summed, sampled
    every 0.2 s in a thread (reading a process's PSS walks its mappings, about 6 ms for 800 MiB:
    finer sampling would slow the run it measures). Pages shared between the run's process and
    its forked workers count once, so the peak is what the case takes of the machine's memory."""

    def __init__(self) -> None:
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        me = os.getpid()
        while not self._stop.wait(INTERVAL):
            total = sum(_pss_kib(pid) for pid in [me, *_descendants(me)])
            self.peak_kib = max(self.peak_kib, total)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak_kib / 1024


def session_keys(sessions: int, end: str) -> list[str]:
    from vvv_pipeline.calendars import sessions_between

    return [d.strftime("%Y-%m-%d") for d in sessions_between("2020-01-01", end)[-sessions:]]


# ---- one case, in its own process ----------------------------------------------------------


def _materialize(keys: list[str], one_per_run: bool) -> float:
    """Wall seconds of the job over ``keys`` in a fresh data directory and Dagster home."""
    import dagster as dg

    from vvv_pipeline.defs.definitions import build_definitions
    from vvv_pipeline_tests.instance_home import write_home

    with tempfile.TemporaryDirectory() as folder:
        os.environ["VVV_DATA_DIR"] = f"{folder}/data"
        defs = build_definitions()
        job = dg.define_asset_job("backfill", selection=dg.AssetSelection.assets(*ASSETS))
        job = job.resolve(asset_graph=defs.resolve_asset_graph(), resource_defs=defs.resources)
        home = write_home(Path(folder) / "dagster_home")
        with dg.DagsterInstance.from_config(str(home)) as instance:
            began = time.perf_counter()
            for batch in [[k] for k in keys] if one_per_run else [keys]:
                tags = dict(zip(RANGE_TAGS, (batch[0], batch[-1]), strict=True))
                assert job.execute_in_process(instance=instance, tags=tags).success
            return time.perf_counter() - began


def ticks_per_session(scale: str) -> int:
    from vvv_pipeline.providers.simulated import SCALE_PRESETS

    return EQUITIES * SCALE_PRESETS[scale][0]


def run_child(case: str, sessions: int, end: str, scale: str) -> None:
    os.environ["VVV_GX"] = "0"
    os.environ["VVV_SCALE"] = scale
    if case == "nocache":
        os.environ["VVV_TICK_CACHE_MB"] = "0"
    if case == "oneworker":
        os.environ["VVV_DERIVE_WORKERS"] = "1"
    from vvv_pipeline import settings
    from vvv_pipeline.storage.tick_cache import TICK_CACHE

    keys = session_keys(sessions, end)
    os.environ["VVV_SESSIONS_START"] = min(keys[0], settings.default("sessions_start"))
    _materialize(keys[:1], one_per_run=False)  # warm-up
    memory = TreeMemory()
    seconds = _materialize(keys, one_per_run=case == "per-partition")
    tree_peak = memory.stop()
    stats = TICK_CACHE.stats
    print(
        json.dumps(
            {
                "case": case,
                "seconds": seconds,
                "peak_rss_mib": peak_rss_mib(),
                "tree_peak_pss_mib": tree_peak,
                "cache_hits": stats.hits,
                "cache_peak_mib": stats.peak_bytes / (1 << 20),
            }
        )
    )


# ---- the parent: alternate the cases, time the bare write ------------------------------------


def bare_write_seconds(keys: list[str], repeats: int, scale: str) -> float:
    """Median wall seconds of writing the same validated ticks with ``write_partition`` alone."""
    from vvv_pipeline.defs.assets.ingest import split_by_symbol
    from vvv_pipeline.defs.partitions import session_partitions, window_utc
    from vvv_pipeline.providers.base import Source
    from vvv_pipeline.providers.simulated import SCALE_PRESETS, SimulatedMarket, SimulationConfig
    from vvv_pipeline.storage.arctic import TICK_PREFIXES, ArcticStore
    from vvv_pipeline.universe import load_universe
    from vvv_pipeline.validation.gate import validate_partition

    universe = load_universe()
    symbols = list(universe.equities)
    ticks, crypto = SCALE_PRESETS[scale]
    market = SimulatedMarket(SimulationConfig(20240601, ticks, crypto), universe)

    def validated(key: str) -> dict:
        window = window_utc(session_partitions().time_window_for_partition_key(key))
        frame = market.fetch(Source.EQUITY_TICKS, *window, symbols)
        clean = validate_partition(frame, "equity_ticks", window, symbols).clean
        return split_by_symbol(clean.set_index("ts"), symbols)

    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as folder:
            store = ArcticStore(f"lmdb://{folder}/arcticdb")
            seconds = 0.0
            for key in keys:
                frames = validated(key)
                began = time.perf_counter()
                store.write_partition(TICK_PREFIXES["equity_ticks"], key, frames)
                seconds += time.perf_counter() - began
            times.append(seconds)
    return statistics.median(times)


def child(case: str, sessions: int, end: str, scale: str) -> dict:
    argv = [sys.executable, __file__, "--child", case, "--sessions", str(sessions), "--end", end]
    argv += ["--scale", scale]
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"case {case} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--end", default="2025-11-21", help="last session of the range")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cases", nargs="+", choices=CASES, default=["cache", "nocache"])
    parser.add_argument("--scale", choices=SCALES, default="default", help="simulated density")
    parser.add_argument("--child", choices=CASES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args.child, args.sessions, args.end, args.scale)
        return
    keys = session_keys(args.sessions, args.end)
    ticks = len(keys) * ticks_per_session(args.scale)
    print(
        f"{len(keys)} sessions {keys[0]}..{keys[-1]}, {ticks:,} ticks, {EQUITIES} equities, "
        f"{args.scale} scale",
        flush=True,
    )
    print(f"load before: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}", flush=True)
    results: dict[str, list[dict]] = {case: [] for case in args.cases}
    for repeat in range(args.repeats):
        for case in args.cases:
            got = child(case, args.sessions, args.end, args.scale)
            results[case].append(got)
            print(
                f"  repeat {repeat + 1} {case:>13}: {got['seconds']:7.2f} s "
                f"{ticks / got['seconds']:>11,.0f} ticks/s  peak RSS {got['peak_rss_mib']:,.0f} "
                f"MiB, all processes' PSS {got['tree_peak_pss_mib']:,.0f} MiB  cache hits "
                f"{got['cache_hits']}  load {os.getloadavg()[0]:.2f}",
                flush=True,
            )
    bare = bare_write_seconds(keys, args.repeats, args.scale)
    print(f"load after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    print(f"bare ArcticDB write of the same ticks: {bare:.2f} s ({ticks / bare:,.0f} ticks/s)")
    medians = {c: statistics.median(r["seconds"] for r in runs) for c, runs in results.items()}
    for case, seconds in medians.items():
        rss = max(r["peak_rss_mib"] for r in results[case])
        tree = max(r["tree_peak_pss_mib"] for r in results[case])
        print(
            f"median {case:>13}: {seconds:7.2f} s  {seconds / len(keys):.3f} s/partition  "
            f"{ticks / seconds:>11,.0f} ticks/s  {seconds / bare:5.1f}x the bare write  "
            f"peak RSS {rss:,.0f} MiB, all processes' PSS {tree:,.0f} MiB (max of repeats)"
        )
    if "cache" in medians and "nocache" in medians:
        print(f"no cache / cache: {medians['nocache'] / medians['cache']:.2f}x")
    if "cache" in medians and "oneworker" in medians:
        print(f"one worker / two: {medians['oneworker'] / medians['cache']:.2f}x")
    if "cache" in medians and "per-partition" in medians:
        extra = (medians["per-partition"] - medians["cache"]) / len(keys)
        print(f"per-run overhead: {extra:.2f} s per run (one run per session vs one run)")


if __name__ == "__main__":
    main()
