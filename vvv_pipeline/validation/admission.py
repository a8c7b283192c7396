"""Which quarantined rows may join a stored partition: tier 1 on the stored plus replayed rows.

Why in context: some tier-1 rules span rows (an id is unique per symbol within its partition).
Quarantined rows judged on their own pass such a rule trivially (a row rejected as the twin of a
stored row has no twin among the quarantined ones), so replaying them alone let duplicates into
the store. Here the partition's stored rows come first and the candidates after them, tier 1
runs on the union, and a candidate is admitted only if it breaks no rule there. Uniqueness flags
every occurrence after the first, so a stored row always keeps its id and a candidate repeating
it stays out; two candidates sharing a new id admit the first only.

A candidate equal in every column to a stored row is *already stored* (a replay interrupted
between writing the store and trimming the quarantine): it may leave the quarantine but is not
written again. Candidates whose frame is broken (a tz-naive ``ts``, a wrong dtype) are judged
alone and admitted never: they cannot even be compared with the stored rows.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd

from vvv_pipeline.schemas import SOURCE_SCHEMAS, conform
from vvv_pipeline.validation.gate import rule_labels
from vvv_pipeline.validation.structure import check_tier1


@dataclass(frozen=True)
class Admission:
    """Per candidate row (in candidate order): stored already, admitted now, or kept out."""

    present: np.ndarray
    """Equal in every column to a stored row: leaves the quarantine, written never."""
    admitted: np.ndarray
    """Passes tier 1 together with the stored rows: written once, leaves the quarantine."""
    reasons: np.ndarray
    """The rules each kept-out row breaks in the union ("" for the others)."""

    @property
    def kept_out(self) -> np.ndarray:
        return ~(self.present | self.admitted)


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Comparable columns: categories as strings, ``ts`` in nanoseconds."""
    out = frame.reset_index(drop=True).copy()
    for name in out.columns:
        if isinstance(out[name].dtype, pd.CategoricalDtype):
            out[name] = out[name].astype(str)
    out["ts"] = out["ts"].dt.as_unit("ns")
    return out


def already_stored(stored: pd.DataFrame, candidates: pd.DataFrame, names: list[str]) -> np.ndarray:
    """Candidates equal in every column of ``names`` to some stored row (NaN equals NaN)."""
    found = np.zeros(len(candidates), dtype=bool)
    if not len(stored) or not len(candidates):
        return found
    near = stored[stored["ts"].isin(candidates["ts"])]  # equal rows share their timestamp
    if near.empty:
        return found
    left = _plain(candidates[names]).assign(_row=np.arange(len(candidates)))
    matched = left.merge(_plain(near[names]).drop_duplicates(), on=names, how="inner")
    found[matched["_row"].to_numpy()] = True
    return found


def admit(
    stored: pd.DataFrame,
    candidates: pd.DataFrame,
    source: str,
    window: tuple[pd.Timestamp, pd.Timestamp],
    universe_symbols: Collection[str],
) -> Admission:
    """Judge ``candidates`` against the partition's ``stored`` rows (both canonical columns).

    ``stored`` must be the whole stored partition of every symbol the candidates name, or a
    cross-row rule cannot see the row a candidate collides with.
    """
    n = len(candidates)
    none = np.zeros(n, dtype=bool)
    alone = check_tier1(candidates, source, window, universe_symbols)
    if alone.frame_errors:
        reason = "frame: " + "; ".join(alone.frame_errors)
        return Admission(none, none.copy(), np.full(n, reason, dtype=object))
    schema = SOURCE_SCHEMAS[source]
    present = already_stored(stored, candidates, list(schema.names))
    fresh = np.flatnonzero(~present)
    parts = [f for f in (stored, candidates.iloc[fresh]) if len(f)]
    union = conform(pd.concat(parts, ignore_index=True), schema) if parts else schema.empty()
    report = check_tier1(union, source, window, universe_symbols)
    first = len(union) - len(fresh)  # the candidates are the union's last rows
    reasons = np.full(n, "", dtype=object)
    if report.frame_errors:
        bad = np.ones(len(fresh), dtype=bool)
        reasons[fresh] = "frame: " + "; ".join(report.frame_errors)
    else:
        bad = report.bad_rows()[first:]
        tail = {rule: mask[first:] for rule, mask in report.failures.items()}
        reasons[fresh[bad]] = rule_labels(tail, bad)
    admitted = none.copy()
    admitted[fresh] = ~bad
    return Admission(present, admitted, reasons)
