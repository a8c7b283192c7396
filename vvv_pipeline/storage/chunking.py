"""How a derived asset's range run splits its partition keys into chunks read together.

A chunk is read, computed and written at once, so its size bounds a run's memory. A fixed
number of partitions is right for bars and analytics, whose partitions are small; ticks vary by
orders of magnitude between symbols, sources and providers (a default simulated session holds
200,000 equity ticks, a heavy one 10,000,000), so tick readers also cap a chunk's rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

CHUNK_PARTITIONS = 20
"""Most partitions read, computed and written together."""


def chunks(keys: Sequence[str], size: int = CHUNK_PARTITIONS) -> list[list[str]]:
    """Consecutive runs of at most ``size`` keys."""
    return [list(keys[i : i + size]) for i in range(0, len(keys), size)]


def chunks_by_rows(
    keys: Sequence[str],
    rows: Mapping[str, int],
    budget: int,
    most: int = CHUNK_PARTITIONS,
) -> list[list[str]]:
    """Consecutive runs of keys holding at most ``budget`` rows and ``most`` keys each.

    A key alone above the budget is a chunk of its own (a partition is never split); a key
    missing from ``rows`` counts as empty.
    """
    out: list[list[str]] = []
    current: list[str] = []
    held = 0
    for key in keys:
        size = rows.get(key, 0)
        if current and (len(current) == most or held + size > budget):
            out.append(current)
            current, held = [], 0
        current.append(key)
        held += size
    if current:
        out.append(current)
    return out
