"""Gap-detection benchmark: every source's gaps over years of partitions, as a sensor tick would.

Run from the repository root:

    python benchmarks/bench_gaps.py                  # 5 years daily + 1 year hourly, 7 repeats
    python benchmarks/bench_gaps.py --repeats 3      # quicker

For all 8 source assets, ``gaps_in_range`` computes the expected keys of the asset's partitions
definition (sessions 2021-01-01..2025-12-31: 1,255 keys; calendar days: 1,826; UTC hours
2025-11-01..2026-10-31: 8,760 each), then splits them against a realistic materialized set
(about 2% of partitions missing in runs of 1 to 5, 0.5% failed tier 1, plus keys outside the
range as storage would return them). Timed three ways, medians of ``--repeats`` in one process:

* **cold**: the expected-key cache cleared before every repeat (the first tick of a process);
* **warm**: the cache kept (every later tick; ``as_of`` only cuts the cached arrays);
* **baseline**: Dagster's own ``get_partition_keys_in_range`` (from the range's first to last
  key) with its caches cleared, and Python set differences.

Before timing, both sides must return exactly the same expected, missing and failed keys.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from timing import median_time  # benchmarks/timing.py, beside this script

from vvv_pipeline.defs.assets.source_specs import SOURCE_SPECS
from vvv_pipeline.defs.automation.gaps import Gaps, _windows, expected_partition_keys, gaps_in_range
from vvv_pipeline.defs.partitions import hourly_partitions

# five years of daily partitions, as a deployment with that history configures them (the
# shipped defaults start in 2025-08)
os.environ.setdefault("VVV_SESSIONS_START", "2021-01-04")
os.environ.setdefault("VVV_CALENDAR_DAYS_START", "2021-01-01")
AS_OF = pd.Timestamp("2026-11-01 12:00", tz="UTC")
DAILY_RANGE = ("2021-01-01", "2025-12-31")
HOURLY_RANGE = ("2025-11-01", "2026-10-31")


def realistic_status(keys: np.ndarray, seed: int) -> tuple[set[str], set[str]]:
    """Materialized keys with ~2% missing in short runs, ~0.5% failed tier 1, extra old keys."""
    rng = np.random.default_rng(seed)
    present = np.ones(len(keys), dtype=bool)
    for start in rng.choice(len(keys), size=max(1, len(keys) // 150), replace=False):
        present[start : start + rng.integers(1, 6)] = False
    failed = rng.random(len(keys)) < 0.005
    materialized = {*keys[present].tolist(), "2020-06-01", "2020-06-02"}
    return materialized, set(keys[failed & present].tolist())


def cases() -> list[tuple[str, dg.TimeWindowPartitionsDefinition, tuple[str, str]]]:
    found = []
    for spec in SOURCE_SPECS:
        pdef = spec.partitions()
        hourly = pdef.cron_schedule == hourly_partitions().cron_schedule
        found.append((spec.source.value, pdef, HOURLY_RANGE if hourly else DAILY_RANGE))
    return found


def ours(case_list, statuses) -> list[Gaps]:
    return [
        gaps_in_range(name, pdef, lo, hi, *statuses[name], as_of=AS_OF)
        for name, pdef, (lo, hi) in case_list
    ]


def clear_dagster_caches(case_list) -> None:
    # Dagster memoizes key generation with functools.lru_cache on its classes
    for cls in {c for _, pdef, _ in case_list for c in type(pdef).__mro__}:
        for attribute in vars(cls).values():
            if isinstance(attribute, functools._lru_cache_wrapper):
                attribute.cache_clear()


def baseline(case_list, statuses, bounds) -> list[tuple[list[str], list[str], list[str]]]:
    clear_dagster_caches(case_list)
    out = []
    for name, pdef, _ in case_list:
        first, last = bounds[name]
        keys = list(pdef.get_partition_keys_in_range(dg.PartitionKeyRange(first, last)))
        materialized, failed = statuses[name]
        out.append(
            (keys, [k for k in keys if k not in materialized], [k for k in keys if k in failed])
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    case_list = cases()
    expected = {n: expected_partition_keys(p, *r, as_of=AS_OF) for n, p, r in case_list}
    statuses = {n: realistic_status(k, seed) for seed, (n, k) in enumerate(expected.items())}
    bounds = {n: (k[0], k[-1]) for n, k in expected.items()}

    for gaps, (keys, missing, failed) in zip(
        ours(case_list, statuses), baseline(case_list, statuses, bounds), strict=True
    ):
        assert list(gaps.expected) == keys, gaps.asset
        assert list(gaps.missing) == missing, gaps.asset
        assert list(gaps.failed_tier1) == failed, gaps.asset
    total = sum(len(k) for k in expected.values())
    for gaps in ours(case_list, statuses):
        print(f"  {gaps.asset:22s} {gaps.counts()}")

    def cold() -> list[Gaps]:
        _windows.cache_clear()
        return ours(case_list, statuses)

    cold_s = median_time(cold, args.repeats)
    warm_s = median_time(lambda: ours(case_list, statuses), args.repeats)
    base_s = median_time(lambda: baseline(case_list, statuses, bounds), args.repeats)
    print(f"8 sources, {total:,} expected partitions, median of {args.repeats}")
    print(f"baseline (Dagster keys + set differences): {base_s:.4f} s")
    print(f"gaps_in_range, cold key cache:             {cold_s:.4f} s ({base_s / cold_s:.1f}x)")
    print(f"gaps_in_range, warm key cache:             {warm_s:.4f} s ({base_s / warm_s:.1f}x)")


if __name__ == "__main__":
    main()
