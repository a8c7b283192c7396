"""What one validation binds the pandera checks to, and what they note beyond failing rows.

A partition's schemas are built for that partition: its window, its universe and the open
-interest cadence are the checks' statistics, passed as one :class:`Binding`. Pandera's
``failure_cases`` name the failing rows of every check; what has no row to name (a gap is rows
that are *absent*, a rate is a share of rows, a stale run has a length) the check notes here, so
the tier result can report it. The binding also memoises the work several checks share (the
session mask, the per-symbol sorted view, the jump mask that spikes are made of): each check
stays one rule, and the tier still reads each array once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pandas as pd

from vvv_pipeline.validation.masks import window_ns

T = TypeVar("T")
CADENCE_NS = 5_000_000_000
"""Open-interest sample spacing when the caller names none (the simulated market's)."""


@dataclass
class Note:
    """What a WARN check found beyond its failing rows."""

    count: int | None = None
    """Findings when they are not rows (gap runs, missing samples, symbols); None: the rows."""
    metrics: dict[str, float] = field(default_factory=dict)
    runs: list[pd.DataFrame] = field(default_factory=list)


@dataclass(eq=False)
class Binding:
    """A partition's window (int64 UTC ns, half-open), universe and cadence, plus the notes."""

    window: tuple[int, int] | None = None
    """None: the partition-free contract (the asset's Dagster type); window rules pass."""
    universe: frozenset[str] | None = None
    """None: universe membership is not judged (no partition bound)."""
    cadence_ns: int = CADENCE_NS
    memoise: bool = True
    """False for the contract reused across frames (see :meth:`once`)."""
    notes: dict[str, Note] = field(default_factory=dict)
    _memo: dict[str, tuple[pd.DataFrame, Any]] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        window: tuple[pd.Timestamp, pd.Timestamp] | None,
        universe: Collection[str] | None = None,
        cadence_ns: int = CADENCE_NS,
    ) -> Binding:
        bounds = None if window is None else window_ns(window)
        symbols = None if universe is None else frozenset(map(str, universe))
        return cls(bounds, symbols, cadence_ns)

    def note(self, kind: str) -> Note:
        return self.notes.setdefault(kind, Note())

    def once(self, key: str, frame: pd.DataFrame, compute: Callable[[], T]) -> T:
        """``compute()`` once per frame object: checks of one validation share the result.

        A validation's own binding memoises (it lives for one validation); the unbound
        contract is reused for every frame its Dagster type checks, so it never holds one.
        """
        if not self.memoise:
            return compute()
        held = self._memo.get(key)
        if held is not None and held[0] is frame:
            return held[1]
        value = compute()
        self._memo[key] = (frame, value)
        return value

    def adopt(self, other: Binding) -> None:
        """Act as ``other`` from now on: its statistics, and its notes and memo (the same
        dictionaries, so what the checks note here lands in ``other``).

        A schema's checks hold one binding for the schema's life; re-pointing it lets one
        schema per source and tier serve every partition (:func:`.contract.bound_schema`).
        """
        self.window, self.universe, self.cadence_ns = other.window, other.universe, other.cadence_ns
        self.memoise, self.notes, self._memo = other.memoise, other.notes, other._memo

    def release(self) -> None:
        """Drop the memoised work once the validation is over.

        Pandera keeps the schema of every frame it validated (and so its checks and this
        binding) until that frame is collected; memoised values such as the per-symbol ordered
        view hold the frame, so without this every partition validated in a process would stay
        in memory until the process ends (about 18 MiB per equity session at default density).
        """
        self._memo.clear()

    def __deepcopy__(self, memo: dict) -> Binding:
        """Itself: pandera deep-copies a schema's columns as it builds it, and a copied binding
        would detach their checks from the one the validation re-points (:meth:`adopt`)."""
        return self

    def __repr__(self) -> str:  # pandera prints statistics in its messages: keep them short
        return f"Binding(window={self.window}, cadence_ns={self.cadence_ns})"
