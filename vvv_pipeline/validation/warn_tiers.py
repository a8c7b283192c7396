"""Tiers 2 to 4 through their pandera schemas: a lazy validation read back as a TierResult.

Each WARN kind is one check of the tier's schema (:func:`.contract.schema_for`). Pandera's
failure cases give the rows each kind flags (its count, unless the check noted a count of
something else: gap runs, missing samples, absent symbols) and the sample rows; the notes give
rates, thresholds used and runs. A kind fails its tier when its count, or the rate its limit
names, is above the rule table's limit. A ``ts`` that is not tz-aware fails the schema's dtype
and is reported as the one kind ``ts_not_utc``.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from vvv_pipeline.validation.binding import CADENCE_NS, Binding
from vvv_pipeline.validation.failures import run_bound
from vvv_pipeline.validation.results import Collector, TierResult
from vvv_pipeline.validation.rule_table import rules_of_tier


def warn_result(frame: pd.DataFrame, source: str, tier: int, binding: Binding) -> TierResult:
    """Validate ``frame`` with ``source``'s ``tier`` schema and summarise it per kind."""
    source = str(source)
    rules = rules_of_tier(source, tier)
    out = Collector(frame)
    with_runs = tier == 3 or (
        tier == 4 and (not rules or not len(frame) or any(r.check == "stale_runs" for r in rules))
    )
    if not rules:
        return out.result(tier, source, with_runs=with_runs)
    found = run_bound(frame, source, tier, binding)
    if any(case.column == "ts" or case.case == "ts" for case in found.frame_cases):
        n = len(frame)
        out.add("ts_not_utc", n, np.arange(min(n, 1)), failed=n > 0)
        return out.result(tier, source, with_runs=with_runs)
    broken = [c for c in found.frame_cases if c.case != "False"]
    if broken:  # a WARN check that raised is a defect of the check, never a finding
        raise RuntimeError(f"{source} tier {tier}: checks could not run: {broken}")
    for rule in rules:
        note, rows = binding.notes.get(rule.name), found.rows.get(rule.name)
        if note is None and rows is None:
            continue  # not evaluated (a column it reads is absent) or nothing to say
        if note is not None and note.count is not None:
            count = note.count
        else:
            count = 0 if rows is None else len(rows)
        measure = float(count)
        if note is not None:
            out.metrics.update(note.metrics)
            out.runs.extend(note.runs)
        if rule.limit is not None and rule.limit.measure is not None:
            measure = out.metrics.get(rule.limit.measure, 0.0)
        failed = rule.limit is not None and measure > rule.limit.most
        out.add(rule.name, count, rows, failed)
    return out.result(tier, source, with_runs=with_runs)


def check_alignment(
    frame: pd.DataFrame, source: str, window: tuple[pd.Timestamp, pd.Timestamp]
) -> TierResult:
    """Tier 2: session alignment and time zones of one partition (:mod:`.alignment`)."""
    return warn_result(frame, source, 2, Binding.of(window))


def check_continuity(
    frame: pd.DataFrame,
    source: str,
    window: tuple[pd.Timestamp, pd.Timestamp],
    symbols: Collection[str] | None = None,
    cadence_ns: int = CADENCE_NS,
) -> TierResult:
    """Tier 3: continuity of one partition (:mod:`.continuity`); ``symbols`` are expected to
    have rows, ``cadence_ns`` is the open-interest provider's sample spacing."""
    return warn_result(frame, source, 3, Binding.of(window, symbols, cadence_ns))


def check_quality(frame: pd.DataFrame, source: str) -> TierResult:
    """Tier 4: statistical quality of one partition (:mod:`.quality`)."""
    return warn_result(frame, source, 4, Binding.of(None))
