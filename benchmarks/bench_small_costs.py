"""Per-call costs the derived assets and the validation paid per partition or per frame, each
against the code as it was (kept here as the baseline), alternately in this one process.

Run from the repository root:

    python benchmarks/bench_small_costs.py              # 5 rounds
    python benchmarks/bench_small_costs.py --rounds 3

- **event-bar thresholds** of one partition (45 days x 10 symbols of daily bars): one sort and
  one grouping for volume, dollar and ticks (``partition_thresholds``) against one of each per
  measure, the way it was (``vvv_pipeline_tests/name_based_baselines.py``);
- **free-space estimate** of a freshly built derived frame (300 rows, 16 columns): the frame's
  dtypes against taking each column out as a Series (each frame new: pandas caches the Series);
- **validation of an hourly crypto-trades partition** (four tiers): with geopandas recorded as
  absent against pandera searching the import path for it at every column check (only when
  geopandas is not installed, as here).

Prints the median milliseconds per call of each side and their ratio; every pair is checked to
give the same answer before it is timed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vvv_pipeline.bars.partition_events import partition_thresholds  # noqa: E402
from vvv_pipeline.storage.lmdb_space import frame_bytes  # noqa: E402
from vvv_pipeline_tests.name_based_baselines import thresholds_one_measure_at_a_time  # noqa: E402


def frame_bytes_by_series(frame: pd.DataFrame) -> int:
    """The estimate's fixed-width part as it was: every column taken out as a Series."""
    return int(frame.index.nbytes) + sum(int(column.nbytes) for _, column in frame.items())


def history_frame() -> tuple[pd.DataFrame, tuple[pd.Timestamp, pd.Timestamp]]:
    rng = np.random.default_rng(0)
    days = pd.date_range("2025-09-01", periods=45, freq="D", tz="UTC")
    rows = [
        (symbol, day, int(rng.integers(10**5, 10**6)), rng.random() * 100 + 10, 5_000)
        for symbol in "ABCDEFGHIJ"
        for day in days
    ]
    history = pd.DataFrame(rows, columns=["symbol", "ts", "volume", "vwap", "trade_count"])
    return history.sort_values("ts", ignore_index=True), (days[-1], days[-1] + pd.Timedelta("1D"))


def derived_frame() -> pd.DataFrame:
    rows = 300
    frame = pd.DataFrame(
        {f"c{i}": np.arange(rows, dtype=np.float64 if i % 2 else np.int64) for i in range(14)},
        index=pd.date_range("2025-01-01", periods=rows, freq="s", tz="UTC"),
    )
    frame["symbol"] = pd.Categorical(["AAPL"] * rows)
    frame["complete"] = np.ones(rows, dtype=bool)
    return frame


def per_call_ms(function: Callable[[], object], calls: int) -> float:
    began = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - began) / calls * 1000


def compare(name: str, before, after, rounds: int) -> None:
    """``before`` and ``after``: (setup -> args, function); medians over ``rounds`` of each."""
    times: dict[str, list[float]] = {"before": [], "after": []}
    for _ in range(rounds):
        for side, (calls, run) in (("before", before), ("after", after)):
            times[side].append(per_call_ms(run, calls))
    was, now = (statistics.median(times[s]) for s in ("before", "after"))
    print(f"{name:<48} before {was:8.3f} ms  after {now:8.3f} ms  {was / now:5.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    history, window = history_frame()
    pd.testing.assert_frame_equal(
        partition_thresholds(history, window), thresholds_one_measure_at_a_time(history, window)
    )
    compare(
        "event-bar thresholds, one partition",
        (50, lambda: thresholds_one_measure_at_a_time(history, window)),
        (50, lambda: partition_thresholds(history, window)),
        args.rounds,
    )

    sample = derived_frame()
    assert frame_bytes(sample) == frame_bytes_by_series(derived_frame())
    fresh = {side: [derived_frame() for _ in range(500 * args.rounds)] for side in ("b", "a")}
    compare(
        "free-space estimate, one new derived frame",
        (500, lambda: frame_bytes_by_series(fresh["b"].pop())),
        (500, lambda: frame_bytes(fresh["a"].pop())),
        args.rounds,
    )

    import importlib.util

    if importlib.util.find_spec("geopandas") is not None:
        print("geopandas is installed: nothing to compare for the validation")
        return
    from vvv_pipeline.providers.simulated import SimulatedMarket
    from vvv_pipeline.universe import load_universe
    from vvv_pipeline.validation.gate import validate_partition

    universe = load_universe()
    pairs = list(universe.crypto)
    start = pd.Timestamp("2026-12-01 10:00", tz="UTC")
    hour = (start, start + pd.Timedelta(hours=1))
    trades = SimulatedMarket(universe=universe).fetch("crypto_trades", *hour, pairs)

    def validate(searched: bool) -> Callable[[], object]:
        def run() -> object:
            if searched:
                sys.modules.pop("geopandas", None)  # pandera's import searches the path again
            else:
                sys.modules["geopandas"] = None  # type: ignore[assignment]
            return validate_partition(trades, "crypto_trades", hour, pairs)

        return run

    compare(
        "validation, one hourly crypto-trades partition",
        (40, validate(searched=True)),
        (40, validate(searched=False)),
        args.rounds,
    )


if __name__ == "__main__":
    main()
