"""Tiers 2 to 4 as pandera dataframe-level checks: registered methods over the numpy kernels.

Each check is one kind of the rule table. It returns ``True`` or the passing rows (pandera's
failure cases then name every flagged row), and notes under its ``kind`` what rows cannot say:
rates, thresholds used, gap and stale runs, counts of absent things (:class:`~.binding.Note`).
Whether a kind fails its tier is the table's limit, applied by :mod:`.warn_tiers`: the check
reports every finding, the limit says how many are tolerated. Work shared by several kinds
(the session mask, the per-symbol sorted view, the jumps spikes are made of) is computed once per
validation through the binding. A check on a frame whose ``ts`` is not tz-aware passes: the
schema's dtype names that (``ts_not_utc``) and nothing else is judged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from vvv_pipeline.validation import alignment as t2
from vvv_pipeline.validation import continuity as t3
from vvv_pipeline.validation.binding import Binding
from vvv_pipeline.validation.registered import Verdict, check_method, verdict
from vvv_pipeline.validation.results import codes_and_names, ts_ns


def _ts(frame: pd.DataFrame, binding: Binding) -> np.ndarray | None:
    if "ts" not in frame.columns:
        return None
    return binding.once("ts", frame, lambda: ts_ns(frame))


def _rows(positions: np.ndarray, frame: pd.DataFrame) -> Verdict:
    mask = np.zeros(len(frame), dtype=bool)
    mask[positions] = True
    return verdict(mask, frame.index)


# ------------------------------------------------------------------ tier 2: alignment


def _session(frame: pd.DataFrame, binding: Binding, t: np.ndarray) -> tuple[np.ndarray, ...]:
    assert binding.window is not None
    window = binding.window
    return binding.once("session", frame, lambda: t2.session_masks(t, window))


def _flagged(frame: pd.DataFrame) -> np.ndarray | None:
    if "extended_hours" not in frame.columns:
        return None
    return frame["extended_hours"].to_numpy(dtype=bool)


@check_method("binding", "kind", frame=True)
def extended_flag_inside(frame: pd.DataFrame, *, binding: Binding, kind: str) -> Verdict:
    """``extended_hours`` True inside the session."""
    t, flagged = _ts(frame, binding), _flagged(frame)
    if t is None or binding.window is None or flagged is None:
        return True
    inside, _, _ = _session(frame, binding, t)
    binding.note(kind).metrics["extended_hours_rows"] = float(np.count_nonzero(flagged & ~inside))
    return verdict(flagged & inside, frame.index)


@check_method("binding", "kind", frame=True)
def outside_session(frame: pd.DataFrame, *, binding: Binding, kind: str) -> Verdict:
    """Outside every XNYS session of the window; a flagged extended-hours print is consistent."""
    t = _ts(frame, binding)
    if t is None or binding.window is None:
        return True
    inside, _, sessions = _session(frame, binding, t)
    outside = ~inside
    flagged = _flagged(frame)
    if flagged is not None:
        outside &= ~flagged
    n = len(frame)
    note = binding.note(kind)
    note.metrics.update(rows=float(n), sessions=float(sessions))
    note.metrics["outside_share"] = np.count_nonzero(outside) / n if n else 0.0
    return verdict(outside, frame.index)


def _shift_verdict(
    frame: pd.DataFrame, binding: Binding, kind: str, shifted: np.ndarray
) -> Verdict:
    n = len(frame)
    binding.note(kind).metrics["tz_shift_share"] = np.count_nonzero(shifted) / n if n else 0.0
    return verdict(shifted, frame.index)


@check_method("binding", "kind", frame=True)
def session_timezone_shift(frame: pd.DataFrame, *, binding: Binding, kind: str) -> Verdict:
    """Outside the session but inside it once the New York offset is added back."""
    t = _ts(frame, binding)
    if t is None or binding.window is None:
        return True
    return _shift_verdict(frame, binding, kind, _session(frame, binding, t)[1])


def _window(frame: pd.DataFrame, binding: Binding, t: np.ndarray) -> tuple[np.ndarray, ...]:
    assert binding.window is not None
    window = binding.window
    return binding.once("window", frame, lambda: t2.window_masks(t, window))


@check_method("binding", "kind", frame=True)
def outside_window(frame: pd.DataFrame, *, binding: Binding, kind: str) -> Verdict:
    t = _ts(frame, binding)
    if t is None or binding.window is None:
        return True
    outside = _window(frame, binding, t)[0]
    n = len(frame)
    note = binding.note(kind)
    note.metrics.update(rows=float(n))
    note.metrics["outside_share"] = np.count_nonzero(outside) / n if n else 0.0
    return verdict(outside, frame.index)


@check_method("binding", "kind", frame=True)
def window_timezone_shift(frame: pd.DataFrame, *, binding: Binding, kind: str) -> Verdict:
    t = _ts(frame, binding)
    if t is None or binding.window is None:
        return True
    return _shift_verdict(frame, binding, kind, _window(frame, binding, t)[1])


# ------------------------------------------------------------------ tier 3: continuity


@dataclass(frozen=True)
class Symbols:
    """Integer symbol codes, the names they index (expected symbols without rows appended),
    which names have rows and which the partition expects."""

    codes: np.ndarray
    names: np.ndarray
    present: np.ndarray
    expected: np.ndarray


def _symbols(frame: pd.DataFrame, binding: Binding) -> Symbols:
    def compute() -> Symbols:
        codes, names = codes_and_names(frame)
        names, present, expected = t3.judged_symbols(codes, names, binding.universe)
        return Symbols(codes, names, present, expected)

    return binding.once("symbols", frame, compute)


@check_method("binding", "kind", "cadence", frame=True)
def symbols_present(frame: pd.DataFrame, *, binding: Binding, kind: str, cadence: bool) -> Verdict:
    """Every expected symbol has rows (an OI window where no sample falls due expects none)."""
    if _ts(frame, binding) is None or binding.window is None:
        return True
    s = _symbols(frame, binding)
    absent = s.expected & ~s.present
    if cadence and t3.cadence_grid(*binding.window, binding.cadence_ns)[2] == 0:
        return True
    if not absent.any():
        return True
    note = binding.note(kind)
    note.count = int(np.count_nonzero(absent))
    note.metrics["symbols_without_rows"] = float(note.count)
    return False


@check_method("binding", "kind", frame=True)
def on_cadence(frame: pd.DataFrame, *, binding: Binding, kind: str) -> Verdict:
    t = _ts(frame, binding)
    if t is None or binding.window is None:
        return True
    binding.note(kind)
    return verdict(t3.off_cadence(t, binding.window, binding.cadence_ns), frame.index)


def _gaps(frame: pd.DataFrame, count: int | None, before: np.ndarray) -> Verdict:
    if count and not len(before):
        return False  # gaps with no row before them to show: the check still fails
    return _rows(before, frame)


@check_method("binding", "kind", frame=True)
def cadence_gaps(frame: pd.DataFrame, *, binding: Binding, kind: str) -> Verdict:
    """No sample missing on the provider's cadence grid (noted in samples, with runs)."""
    t = _ts(frame, binding)
    if t is None or binding.window is None:
        return True
    s, note = _symbols(frame, binding), binding.note(kind)
    judged = s.present | s.expected
    before = t3.cadence_gaps(note, t, s.codes, s.names, judged, binding.window, binding.cadence_ns)
    return _gaps(frame, note.count, before)


@check_method("binding", "kind", "sessions", frame=True)
def trade_gaps(frame: pd.DataFrame, *, binding: Binding, kind: str, sessions: bool) -> Verdict:
    """No empty-minute run a liquid symbol was expected to fill (noted in runs)."""
    t = _ts(frame, binding)
    if t is None or binding.window is None:
        return True
    lo, hi = binding.window
    if sessions:
        window = (pd.Timestamp(lo, tz="UTC"), pd.Timestamp(hi, tz="UTC"))
        grids = [(max(o, lo), min(c, hi)) for o, c, _ in t2.sessions_in(window)]
    else:
        grids = [(lo, hi)]
    s, note = _symbols(frame, binding), binding.note(kind)
    judged = s.present | s.expected
    grids = [g for g in grids if g[1] > g[0]]
    before = t3.trade_gaps(note, t, s.codes, s.names, judged, grids)
    return _gaps(frame, note.count, before)
