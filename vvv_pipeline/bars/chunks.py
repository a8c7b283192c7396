"""Driving a kernel whose output size is unknown: guess, fill, grow, resume.

Why: the number of bars is only known after the pass that builds them. Counting first costs a
second pass over the ticks; allocating one row per tick costs hundreds of megabytes at 10M
ticks; growing buffers inside the numba loop makes the loop pay reference counting on every
row. So kernels write into buffers sized from a guess and, when full, stop between bars and
return the row to resume from; this driver keeps the filled part, doubles the capacity and calls
again. Per-symbol state lives in arrays the kernel updates in place, so resuming is exact.

Kernel convention: ``kernel(*fixed, seen, i0, resume, *buffers) -> (status, stop, written)``;
``status`` 0 done, 1 buffers full (resume at ``stop``), negative an input error at row ``stop``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

ERRORS = {
    -1: "rows must be sorted by ts within each symbol (canonical frames are)",
    -2: "each symbol must be one contiguous block of rows (sort by symbol, ts)",
    -3: "no positive threshold for symbol",
}


def first_capacity(guess: int) -> int:
    """Rows of the first buffers (a seam for tests that force many resumptions)."""
    return max(16, int(guess))


def run_chunked(
    kernel: Callable[..., tuple[int, int, int]],
    fixed: tuple,
    codes: np.ndarray,
    categories: pd.Index,
    layouts: Sequence[tuple[int, np.dtype | type]],
    guess: int,
) -> tuple[list[np.ndarray], np.ndarray]:
    """Run ``kernel`` to completion; returns (one 2-D array per layout, ``seen`` ranks).

    ``layouts`` gives (columns, dtype) of each output buffer. ``seen[code]`` is the order in which
    symbols appeared (1-based; 0 for symbols absent from this call).
    """
    seen = np.zeros(max(1, len(categories)), dtype=np.int64)
    pieces: list[list[np.ndarray]] = [[] for _ in layouts]
    i0, resume, cap = 0, False, first_capacity(guess)
    while True:
        buffers = [np.empty((cap, cols), dtype=dtype) for cols, dtype in layouts]
        status, stop, written = kernel(*fixed, seen, i0, resume, *buffers)
        if status < 0:
            symbol = categories[codes[stop]] if 0 <= stop < len(codes) else "?"
            raise ValueError(f"{ERRORS[status]} (row {stop}, symbol {symbol})")
        for piece, buffer in zip(pieces, buffers, strict=True):
            piece.append(buffer[:written])
        if status == 0:
            break
        i0, resume, cap = stop, True, cap * 2
    # seen has at least one slot for the kernels; callers index it by category
    return [np.concatenate(p) if len(p) > 1 else p[0].copy() for p in pieces], seen[
        : len(categories)
    ]
