"""Grouped quantiles by the groups' own sorts: pandas' ``groupby(...).quantile`` to the bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.metadata_tiers.tier2_microstructure import QUANTILES
from vvv_pipeline.metadata_tiers.windows import group_medians, group_quantiles

QS = (*QUANTILES, 0.0, 0.25, 1.0, 1 / 3)


def _pandas(codes: np.ndarray, values: np.ndarray, groups: int, qs) -> np.ndarray:
    out = np.full((groups, len(qs)), np.nan)
    found = pd.Series(values, dtype=np.float64).groupby(codes).quantile(list(qs)).unstack()
    out[found.index.to_numpy()] = found.to_numpy()
    return out


@pytest.mark.parametrize("seed", range(8))
def test_equal_to_pandas_on_sizes_prices_ties_and_unsorted_groups(seed):
    rng = np.random.default_rng(seed)
    groups = int(rng.integers(1, 12))
    rows = int(rng.integers(1, 5_000))
    codes = np.sort(rng.integers(0, groups, rows))  # some groups may be empty
    lots = np.minimum(1 + (rng.pareto(1.2, rows) * 1.5).astype(np.int64), 1_000) * 100
    values = np.where(rng.random(rows) < 0.3, rng.integers(1, 100, rows), lots).astype(float)
    if seed % 2:
        values = 100 + rng.standard_normal(rows) * 3  # prices: few ties, any fractions
    if seed % 3 == 0:
        shuffled = rng.permutation(rows)
        codes, values = codes[shuffled], values[shuffled]
    got = group_quantiles(codes, values, groups, QS)
    want = _pandas(codes, values, groups, QS)
    assert got.shape == (groups, len(QS))
    assert np.array_equal(got, want, equal_nan=True)


def test_single_rows_pairs_infinities_and_missing_values():
    codes = np.array([0, 1, 1, 2, 2, 2])
    values = np.array([5.0, 1.0, 2.0, -np.inf, 3.0, np.inf])
    assert np.array_equal(
        group_quantiles(codes, values, 4, QS), _pandas(codes, values, 4, QS), equal_nan=True
    )
    got = group_quantiles(codes, values, 4, (0.5,))
    assert got[0, 0] == 5.0 and got[1, 0] == 1.5 and got[2, 0] == 3.0 and np.isnan(got[3, 0])
    with_nan = np.array([5.0, np.nan, 2.0, 1.0, np.nan, 4.0])  # pandas leaves NaN out
    assert np.array_equal(
        group_quantiles(codes, with_nan, 3, QS), _pandas(codes, with_nan, 3, QS), equal_nan=True
    )
    assert group_quantiles(codes, with_nan, 3, (0.5,))[2, 0] == 2.5


def _pandas_medians(codes: np.ndarray, values: np.ndarray, groups: int) -> np.ndarray:
    found = pd.Series(values, dtype=np.float64).groupby(codes).median()
    return found.reindex(range(groups)).to_numpy()


@pytest.mark.parametrize("seed", range(8))
def test_medians_equal_pandas_on_spreads_odd_and_even_groups(seed):
    rng = np.random.default_rng(seed)
    groups = int(rng.integers(1, 12))
    rows = int(rng.integers(1, 5_000))
    codes = np.sort(rng.integers(0, groups, rows))
    bid = np.round(100 + rng.standard_normal(rows), 2)
    ask = bid + rng.integers(0, 4, rows) / 100
    values = (ask - bid) / ((ask + bid) / 2.0) * 1e4  # quoted spreads in bps, as tier 1's
    if seed % 3 == 0:
        shuffled = rng.permutation(rows)
        codes, values = codes[shuffled], values[shuffled]
    got = group_medians(codes, values, groups)
    assert np.array_equal(got, _pandas_medians(codes, values, groups), equal_nan=True)


def test_medians_of_pairs_infinities_and_missing_values():
    codes = np.array([0, 1, 1, 2, 2, 2, 3, 3])
    values = np.array([5.0, 0.1, 0.2, -np.inf, 3.0, np.inf, -np.inf, np.inf])
    got = group_medians(codes, values, 5)
    assert np.array_equal(got, _pandas_medians(codes, values, 5), equal_nan=True)
    assert got[1] == (0.2 + 0.1) / 2 and got[2] == 3.0 and np.isnan(got[3]) and np.isnan(got[4])
    with_nan = np.array([5.0, np.nan, 2.0, 1.0, np.nan, 4.0, 7.0, 8.0])
    got = group_medians(codes, with_nan, 4)
    assert np.array_equal(got, _pandas_medians(codes, with_nan, 4), equal_nan=True)
