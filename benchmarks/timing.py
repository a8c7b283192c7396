"""The timing rules the benchmark scripts share: the median wall time of repeated calls, and the
wall time of each of a series of calls (for a median per call over several series)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_time(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def call_times(fn: Callable[[int], object], calls: int) -> list[float]:
    """Wall seconds of each call ``fn(0)``, ``fn(1)``, ... ``fn(calls - 1)``."""
    times = []
    for i in range(calls):
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return times
