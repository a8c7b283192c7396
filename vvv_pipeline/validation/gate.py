"""One partition through every validation tier: what to store, what to quarantine, what to say.

Tier 1 splits the frame: rows that break a rule are rejected (to quarantine) and the rest are
stored; a frame-level failure (missing column, wrong dtype, tz-naive ``ts``) rejects the whole
partition. When nothing of the partition passes (the frame fails, or every row does), the caller
keeps the partition's previously stored rows instead of replacing them with nothing, and tier 1's
summary says so. Tiers 2 to 4 then look at the rows that will be stored, so a defect is reported
once, by the tier meant to catch it. What a tier expects of a series the provider shapes (the
open-interest cadence) comes from the provider, through ``oi_cadence_seconds``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from vvv_pipeline.schemas import SOURCE_SCHEMAS, has_fresh_index
from vvv_pipeline.validation.binding import CADENCE_NS
from vvv_pipeline.validation.results import TierResult
from vvv_pipeline.validation.rule_table import rules_of_tier
from vvv_pipeline.validation.structure import check_tier1
from vvv_pipeline.validation.warn_tiers import check_alignment, check_continuity, check_quality

SAMPLE_ROWS = 10
TIER1 = "tier1_structure"
TIER2 = "tier2_alignment"
TIER3 = "tier3_continuity"
TIER4 = "tier4_quality"
KEPT_NOTE = "the partition's previously stored rows (if any) are kept"
"""Ends tier 1's summary when it rejects a whole partition (``rejects_whole_partition``)."""


def warn_tiers(source: str) -> tuple[str, ...]:
    """The WARN tiers with something to check in ``source``: 2 and 3 where the rule table has
    rules for it, 4 always (its great-expectations suite documents every source)."""
    found = [name for tier, name in ((2, TIER2), (3, TIER3)) if rules_of_tier(source, tier)]
    return (*found, TIER4)


WARN_TIERS: dict[str, tuple[str, ...]] = {source: warn_tiers(source) for source in SOURCE_SCHEMAS}
"""Source -> its WARN tiers, from the rule table."""


def check_names(source: str) -> list[str]:
    return [TIER1, *WARN_TIERS[source]]


@dataclass(frozen=True)
class CheckOutcome:
    """What one tier found in one partition, in a form a person can act on."""

    name: str
    passed: bool
    summary: str
    counts: dict[str, int] = field(default_factory=dict)
    sample: pd.DataFrame | None = None
    runs: pd.DataFrame | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    tables: dict[str, str] = field(default_factory=dict)
    """Markdown tables shown as they are (tier 4: the great-expectations results)."""


@dataclass(frozen=True)
class PartitionValidation:
    clean: pd.DataFrame
    rejected: pd.DataFrame
    rejected_rules: pd.Series
    """For each rejected row, the comma-separated tier-1 rules it broke."""
    outcomes: list[CheckOutcome]

    def outcome(self, name: str) -> CheckOutcome:
        return next(o for o in self.outcomes if o.name == name)

    @property
    def rejects_whole_partition(self) -> bool:
        """Tier 1 rejected the frame itself, or every row of it: nothing good is left to store.

        The partition's previous stored version is then kept (a feed that sent only garbage must
        not erase good data); its tier-1 check fails and the quarantine holds the new rows.
        """
        return _rejects_whole(self.clean, self.rejected, self.outcome(TIER1))


def _rejects_whole(clean: pd.DataFrame, rejected: pd.DataFrame, tier1: CheckOutcome) -> bool:
    return bool(tier1.counts.get("frame_errors")) or (len(rejected) > 0 and len(clean) == 0)


def from_tier_result(name: str, result: TierResult) -> CheckOutcome:
    found = {kind: count for kind, count in result.counts.items() if count}
    if result.passed:
        summary = "passed" + (f" (below thresholds: {found})" if found else "")
    else:
        summary = f"failed: {', '.join(result.failed)}"
    return CheckOutcome(
        name,
        result.passed,
        summary,
        counts=found,
        sample=result.samples if len(result.samples) else None,
        runs=result.runs,
        metrics=dict(result.metrics),
    )


def _warn_tier(
    name: str,
    frame: pd.DataFrame,
    source: str,
    window: tuple[pd.Timestamp, pd.Timestamp],
    symbols: Collection[str],
    cadence_ns: int,
) -> CheckOutcome:
    if name == TIER2:
        return from_tier_result(name, check_alignment(frame, source, window))
    if name == TIER3:
        result = check_continuity(frame, source, window, list(symbols), cadence_ns)
        return from_tier_result(name, result)
    return from_tier_result(name, check_quality(frame, source))


def rule_labels(failures: dict[str, np.ndarray], bad: np.ndarray) -> np.ndarray:
    """For each row where ``bad`` holds, the comma-separated rules it broke (quarantine reasons)."""
    labels = np.full(int(bad.sum()), "", dtype=object)
    for rule, mask in failures.items():
        hit = mask[bad]
        joined = np.where(labels[hit] == "", rule, labels[hit] + "," + rule)
        labels[hit] = joined
    return labels


def tier1_split(
    frame: pd.DataFrame,
    source: str,
    window: tuple[pd.Timestamp, pd.Timestamp],
    universe_symbols: Collection[str],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, CheckOutcome]:
    report = check_tier1(frame, source, window, universe_symbols)
    if report.frame_errors:
        rules = pd.Series(["frame: " + "; ".join(report.frame_errors)] * len(frame), dtype=object)
        outcome = CheckOutcome(
            TIER1,
            False,
            f"whole partition rejected: {'; '.join(report.frame_errors)}",
            counts={"frame_errors": len(report.frame_errors), "rejected_rows": len(frame)},
            sample=frame.head(SAMPLE_ROWS),
        )
        return frame.iloc[:0], frame, rules, outcome
    bad = report.bad_rows()
    counts = report.counts()
    rejected = frame[bad]
    rules = pd.Series(rule_labels(report.failures, bad), index=rejected.index, dtype=object)
    clean = _kept_rows(frame, bad)
    if counts:
        summary = f"{int(bad.sum())} of {len(frame)} rows rejected to quarantine"
    else:
        summary = f"all {len(frame)} rows pass"
    outcome = CheckOutcome(
        TIER1,
        not counts,
        summary,
        counts={**counts, "rejected_rows": int(bad.sum())},
        sample=report.sample(frame, SAMPLE_ROWS) if counts else None,
    )
    return clean, rejected.reset_index(drop=True), rules.reset_index(drop=True), outcome


def _kept_rows(frame: pd.DataFrame, bad: np.ndarray) -> pd.DataFrame:
    """The rows not ``bad``, on a fresh RangeIndex: ``frame`` itself when every row passes and
    its index already is one (a fetched partition is), since a boolean selection would copy
    every column of it for nothing."""
    if has_fresh_index(frame) and not bad.any():
        return frame
    return frame[~bad].reset_index(drop=True)


def validate_partition(
    frame: pd.DataFrame,
    source: str,
    window: tuple[pd.Timestamp, pd.Timestamp],
    universe_symbols: Collection[str],
    oi_cadence_seconds: int | None = None,
) -> PartitionValidation:
    """Tier 1 on the fetched frame, then the source's WARN tiers on the rows to be stored.

    ``oi_cadence_seconds`` is the spacing of the open-interest samples the provider serves
    (unset: the simulated market's 5 s); tier 3 expects exactly that grid.
    """
    cadence_ns = CADENCE_NS if oi_cadence_seconds is None else oi_cadence_seconds * 1_000_000_000
    clean, rejected, rules, tier1 = tier1_split(frame, source, window, universe_symbols)
    if _rejects_whole(clean, rejected, tier1):
        tier1 = replace(tier1, summary=f"{tier1.summary}; {KEPT_NOTE}")
    if tier1.counts.get("frame_errors"):
        skipped = "not evaluated: tier 1 rejected the whole partition"
        later = [CheckOutcome(name, True, skipped) for name in WARN_TIERS[source]]
    else:
        later = [
            _warn_tier(name, clean, source, window, universe_symbols, cadence_ns)
            for name in WARN_TIERS[source]
        ]
    return PartitionValidation(clean, rejected, rules, [tier1, *later])
