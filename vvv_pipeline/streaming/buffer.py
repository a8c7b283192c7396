"""Rows held between flushes: bounded, flushed every N rows or M milliseconds.

The collector drains the buffer into one staged segment per symbol (:mod:`.store`). Once
``max_rows`` are held (the store fell behind) the collector stops reading the socket until a
flush makes room, so memory stays bounded and the backlog waits in the kernel's socket buffer
and then on the server, never in this process.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class TradeBuffer:
    flush_rows: int
    flush_ms: float
    max_rows: int
    clock: Callable[[], float] = time.monotonic
    rows: dict[tuple[str, int], list[tuple[Any, ...]]] = field(default_factory=dict)
    """Rows by (symbol, origin), in arrival order."""
    held: int = 0
    since: float | None = None
    """Clock reading when the oldest held row arrived."""

    def __post_init__(self) -> None:
        if not 1 <= self.flush_rows <= self.max_rows:
            raise ValueError("need 1 <= flush_rows <= max_rows")

    def add(self, symbol: str, row: tuple[Any, ...], origin: int) -> None:
        self.rows.setdefault((symbol, origin), []).append(row)
        self.held += 1
        if self.since is None:
            self.since = self.clock()

    def due(self) -> bool:
        if not self.held:
            return False
        if self.held >= self.flush_rows:
            return True
        assert self.since is not None
        return (self.clock() - self.since) * 1000.0 >= self.flush_ms

    def full(self) -> bool:
        return self.held >= self.max_rows

    def drain(self) -> dict[tuple[str, int], list[tuple[Any, ...]]]:
        rows, self.rows, self.held, self.since = self.rows, {}, 0, None
        return rows
