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


def balanced_parts(
    keys: Sequence[str], parts: int, rows: Mapping[str, int] | None = None
) -> list[list[str]]:
    """``keys`` cut into at most ``parts`` consecutive, non-empty runs of about equal rows
    (equal counts without ``rows``; a key missing from ``rows`` counts as empty), for computing
    one chunk in several processes. Every key is in exactly one run, in order."""
    keys = list(keys)
    parts = max(1, min(parts, len(keys)))
    if parts == 1:
        return [keys] if keys else []
    weights = [rows.get(key, 0) for key in keys] if rows is not None else []
    if not any(weights):  # no rows known: equal counts
        weights = [1] * len(keys)
    total = sum(weights)
    out: list[list[str]] = []
    current: list[str] = []
    done = 0
    for index, (key, weight) in enumerate(zip(keys, weights, strict=True)):
        current.append(key)
        done += weight
        left_parts = parts - len(out) - 1
        left_keys = len(keys) - index - 1
        # close the run at its share of the rows, keeping a key for every run still to come
        if left_parts and (done >= total * (len(out) + 1) / parts or left_keys == left_parts):
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out
