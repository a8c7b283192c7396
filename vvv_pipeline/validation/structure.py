"""Tier 1: structure and integrity of a canonical frame, through its pandera schema.

:func:`check_tier1` validates one partition's frame with the source's tier-1 schema
(:func:`.contract.schema_for`, bound to the partition's half-open window ``[start, end)`` and the
universe symbols) lazily, and turns pandera's failure cases into a :class:`Tier1Report`:

* ``frame_errors``: whole-frame problems (missing column, wrong dtype, tz-naive or non-UTC
  ``ts``). Rules that read a broken column are not evaluated, and the error says so.
* ``failures``: rule name -> boolean mask (one entry per row) of the rows that break the rule;
  only rules with at least one failing row appear, in the rule table's order. A caller
  quarantines ``bad_rows()`` and keeps the rest.

Rules are kept as orthogonal as is cheap: a NaN price breaks ``price_positive`` (finite and
> 0) but not a separate null rule; OCC consistency is judged only on well-formed OCC symbols;
OHLC consistency only where all four prices are positive and finite; uniqueness flags every
occurrence after the first, so the first keeps its row.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vvv_pipeline.schemas import SOURCE_SCHEMAS, UTC_TS
from vvv_pipeline.validation.binding import Binding
from vvv_pipeline.validation.failures import Failures, run_bound
from vvv_pipeline.validation.rule_table import rules_of_tier


@dataclass(frozen=True)
class Tier1Report:
    """Per-row tier-1 outcome of one frame."""

    n_rows: int
    failures: dict[str, np.ndarray]
    """Rule name -> boolean mask of failing rows (only rules that fail)."""
    frame_errors: list[str]
    """Whole-frame problems (missing column, wrong dtype, naive ts, rules not evaluated)."""

    @property
    def passed(self) -> bool:
        return not self.failures and not self.frame_errors

    def bad_rows(self) -> np.ndarray:
        """Union of every rule's failing rows (a boolean mask over the frame)."""
        out = np.zeros(self.n_rows, dtype=bool)
        for mask in self.failures.values():
            out |= mask
        return out

    def counts(self) -> dict[str, int]:
        return {rule: int(np.count_nonzero(mask)) for rule, mask in self.failures.items()}

    def sample(self, frame: pd.DataFrame, limit: int = 10) -> pd.DataFrame:
        """Up to ``limit`` failing rows per rule, with a ``failed_rule`` column (original order)."""
        parts = []
        for rule, mask in self.failures.items():
            rows = np.flatnonzero(mask)[:limit]
            part = frame.iloc[rows].copy()
            part.insert(0, "failed_rule", rule)
            parts.append(part)
        if not parts:
            return frame.iloc[:0].assign(failed_rule=pd.Series(dtype=object))
        return pd.concat(parts)


def frame_errors(source: str, frame: pd.DataFrame, found: Failures) -> tuple[list[str], set[str]]:
    """The whole-frame failure cases in words, and the columns whose rules cannot be evaluated."""
    schema = SOURCE_SCHEMAS[source]
    missing = {c.case for c in found.frame_cases if c.check == "column_in_dataframe"}
    mistyped = {c.column for c in found.frame_cases if c.check.startswith("dtype(")}
    errors: list[str] = []
    broken: set[str] = set()
    for col in schema.columns:
        name = col.name
        if name in missing:
            errors.append(f"{source}: missing column {name!r}; its rules were not evaluated")
            broken.add(name)
        elif name in mistyped:
            dtype = frame[name].dtype
            if name == "ts" and not isinstance(dtype, pd.DatetimeTZDtype):
                errors.append(
                    f"{source}: ts is tz-naive ({dtype}); expected {UTC_TS}. "
                    "Rule ts_in_window was not evaluated (a naive time has no instant)"
                )
                broken.add(name)
            elif name == "ts":  # an aware instant in another zone still compares with the window
                errors.append(f"{source}: ts has dtype {dtype}; expected {UTC_TS}")
            else:
                errors.append(
                    f"{source}: column {name!r} has dtype {dtype}; expected {col.dtype}; "
                    "its value rules were not evaluated"
                )
                broken.add(name)
    return errors, broken


def check_tier1(
    frame: pd.DataFrame,
    source: str,
    window: tuple[pd.Timestamp, pd.Timestamp],
    universe_symbols: Collection[str],
) -> Tier1Report:
    """Validate ``frame`` with ``source``'s tier-1 pandera schema; see the module docstring."""
    source = str(source)
    if source not in SOURCE_SCHEMAS:
        raise ValueError(f"unknown source {source!r}; expected one of {sorted(SOURCE_SCHEMAS)}")
    binding = Binding.of(window, universe_symbols)
    found = run_bound(frame, source, 1, binding)
    errors, broken = frame_errors(source, frame, found)
    failures: dict[str, np.ndarray] = {}
    for rule in rules_of_tier(source, 1):
        if rule.name in found.rows and not broken.intersection(rule.reads):
            failures[rule.name] = found.mask(rule.name)
    evaluated = {r.name for r in rules_of_tier(source, 1) if not broken.intersection(r.reads)}
    for case in found.frame_cases:  # a check that failed without naming rows, on usable columns
        if case.check in evaluated:
            errors.append(f"{source}: rule {case.check} could not be evaluated: {case.case}")
    return Tier1Report(len(frame), failures, errors)
