"""Tick imbalance bars (López de Prado, *Advances in Financial Machine Learning*, 2.3.2.1).

Why: a bar should close when order flow is one-sided beyond what is expected, so bars sample
more often when informed traders are active. With trade signs b_t (aggressor, else tick rule;
see :mod:`~vvv_pipeline.bars.signing`) a bar accumulates the imbalance theta = sum(b_t) and
closes at the first trade where ``|theta| >= E[T] * |E[b]|``, the expected imbalance.

Estimation (documented choices; constants in :class:`~vvv_pipeline.bars.spec.ImbalanceSpec`):

- **E[T]**, the expected bar length in ticks: an EWMA of completed bars' lengths,
  ``E[T] <- alpha * T + (1 - alpha) * E[T]``, seeded with ``initial_expected_ticks`` (per symbol
  if ``initial_ticks`` is given, e.g. ``default_thresholds(..., measure="ticks")``).
- **E[b]** = 2 P[b=1] - 1, the expected signed-tick mean: an EWMA of completed bars' mean sign
  theta / T, seeded with ``initial_expected_imbalance``.
- **Bounds**: E[T] stays within ``[E0 / bounds_ratio, E0 * bounds_ratio]`` (E0 the symbol's
  seed) and |E[b]| is floored at ``min_expected_imbalance``. Without them the rule is unstable:
  balanced flow drives |E[b]| to 0, so bars collapse to one tick, and long bars raise E[T], so
  the threshold (and the next bar) grows without limit. With them the threshold always lies in
  ``[E0 / bounds_ratio * min_expected_imbalance, E0 * bounds_ratio]``.
- A bar's threshold is fixed when it opens, from the expectations then in force; the output
  reports it with those expectations (``expected_ticks``, ``expected_imbalance``) and the
  closing ``imbalance``. A trade of unknown sign (0) adds nothing to theta but counts in T.

Carry and labels work as for volume bars: the carry adds ``imbalance``, ``expected_ticks`` and
``expected_imbalance`` per symbol, so a range processed partition by partition gives the same
bars as one call. Columns: :data:`~vvv_pipeline.bars.event_frames.EVENT_BAR_COLUMNS` plus
``imbalance``, ``expected_ticks``, ``expected_imbalance``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from vvv_pipeline.bars import carry as carry_state
from vvv_pipeline.bars.chunks import run_chunked
from vvv_pipeline.bars.event_frames import append_partials, event_bars_frame
from vvv_pipeline.bars.frames import tick_arrays
from vvv_pipeline.bars.kernels_imbalance import FLOAT_FIELDS, INT_FIELDS, imbalance_bars
from vvv_pipeline.bars.signing import sign_arrays
from vvv_pipeline.bars.spec import ImbalanceSpec

EXTRA_COLUMNS = ("imbalance", "expected_ticks", "expected_imbalance")


def _per_category(
    values: Mapping[str, float] | pd.Series | None, categories: pd.Index
) -> np.ndarray:
    """Per category, ``values``' entry for its name (NaN where it has none)."""
    if values is None:
        return np.full(len(categories), np.nan)
    series = pd.Series(values, dtype=float)
    series.index = series.index.astype(str)
    return series.reindex(np.asarray(categories, dtype=str)).to_numpy()


def tick_imbalance_bars(
    ticks: pd.DataFrame,
    spec: ImbalanceSpec | None = None,
    carry: pd.DataFrame | None = None,
    initial_ticks: Mapping[str, float] | pd.Series | None = None,
    include_partial: bool = False,
    imbalance_floors: Mapping[str, float] | pd.Series | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Tick imbalance bars of a canonical tick frame; returns ``(bars, carry)``.

    ``spec`` holds the estimation constants (default :class:`ImbalanceSpec`); ``initial_ticks``
    optionally seeds E[T] per symbol and ``imbalance_floors`` sets, per symbol, both the seed of
    E[b] and the floor of |E[b]| (symbols they lack use the spec's values). A symbol present in
    ``carry`` resumes from the carried expectations instead of the seeds.
    """
    spec = spec or ImbalanceSpec()
    arrays = tick_arrays(ticks)
    given = _per_category(initial_ticks, arrays.categories)
    seeds = np.where(np.isfinite(given) & (given >= 1), given, spec.initial_expected_ticks)
    given = _per_category(imbalance_floors, arrays.categories)
    floors = np.where(np.isfinite(given), given, spec.min_expected_imbalance)
    initial_imbalance = np.where(np.isfinite(given), given, spec.initial_expected_imbalance)
    sf, si, last_price, last_tick = carry_state.load(
        carry,
        arrays.categories,
        FLOAT_FIELDS,
        INT_FIELDS,
        {"expected_imbalance": spec.initial_expected_imbalance},
    )
    known = np.zeros(arrays.n_symbols, dtype=bool)
    if carry is not None and not carry.empty:
        known = arrays.categories.isin(carry.index)
    e_t, e_b = FLOAT_FIELDS.index("expected_ticks"), FLOAT_FIELDS.index("expected_imbalance")
    sf[~known, e_t] = seeds[~known]
    sf[~known, e_b] = initial_imbalance[~known]
    signs = sign_arrays(arrays, last_price, last_tick)
    fixed = (arrays.ts, arrays.codes, arrays.price, arrays.size, signs, sf, si)
    fixed += (seeds / spec.bounds_ratio, seeds * spec.bounds_ratio, spec.alpha)
    fixed += (floors,)
    layouts = [(len(FLOAT_FIELDS), np.float64), (len(INT_FIELDS), np.int64)]
    guess = 1024 + len(arrays.ts) // int(max(1.0, seeds.min(initial=1.0)))
    (out_f, out_i), seen = run_chunked(
        imbalance_bars, fixed, arrays.codes, arrays.categories, layouts, guess
    )
    if include_partial:
        out_f, out_i = append_partials(out_f, out_i, sf, si, seen)
    bars = event_bars_frame(
        out_f,
        out_i,
        arrays.categories,
        FLOAT_FIELDS,
        INT_FIELDS,
        arrays.size.dtype.kind == "i",
        extra=EXTRA_COLUMNS,
    )
    new_carry = carry_state.dump(
        carry, arrays.categories, seen > 0, sf, si, last_price, last_tick, FLOAT_FIELDS, INT_FIELDS
    )
    return bars, new_carry
