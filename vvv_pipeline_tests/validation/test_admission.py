"""Admission of quarantined rows: tier 1 judged together with the partition's stored rows."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.schemas import EQUITY_TICKS, conform
from vvv_pipeline.validation.admission import admit, already_stored
from vvv_pipeline_tests.validation.test_structure import DAY, ticks

UNIVERSE = ("AAPL", "MSFT")


def _rows(frame: pd.DataFrame, **changes: object) -> pd.DataFrame:
    out = frame.copy()
    for column, value in changes.items():
        out[column] = value
    return conform(out, EQUITY_TICKS)


def test_a_candidate_repeating_a_stored_id_is_kept_out():
    stored = ticks()  # AAPL ids 1..3, MSFT ids 1..3
    twin = _rows(stored.iloc[[1]], price=101.0)  # AAPL id 2 again, other content
    result = admit(stored, twin, "equity_ticks", DAY, UNIVERSE)
    assert result.admitted.tolist() == [False] and result.present.tolist() == [False]
    assert result.reasons.tolist() == ["trade_id_unique"]
    alone = admit(stored.iloc[:0], twin, "equity_ticks", DAY, UNIVERSE)
    assert alone.admitted.tolist() == [True]  # what judging the rows alone let through


def test_the_same_id_under_another_symbol_is_admitted():
    stored = ticks()
    other = _rows(stored.iloc[[1]], symbol="MSFT", trade_id=2, price=99.0)
    assert admit(stored.iloc[:3], other, "equity_ticks", DAY, UNIVERSE).admitted.tolist() == [True]


def test_two_candidates_sharing_a_new_id_admit_the_first_only():
    stored = ticks()
    pair = _rows(stored.iloc[[0, 1]], trade_id=7)
    pair["ts"] = pair["ts"] + pd.Timedelta(minutes=5)
    result = admit(stored, pair, "equity_ticks", DAY, UNIVERSE)
    assert result.admitted.tolist() == [True, False]
    assert result.reasons.tolist() == ["", "trade_id_unique"]


def test_a_row_equal_to_a_stored_row_is_already_stored_not_admitted():
    stored = ticks()
    stored.loc[0, ["bid", "ask"]] = np.nan  # NaN equals NaN when comparing content
    copy = stored.iloc[[0, 4]].reset_index(drop=True)
    result = admit(stored, copy, "equity_ticks", DAY, UNIVERSE)
    assert result.present.tolist() == [True, True]
    assert result.admitted.tolist() == [False, False]
    assert result.kept_out.tolist() == [False, False]


def test_row_rules_still_apply_in_the_union():
    stored = ticks()
    bad = _rows(stored.iloc[[0]], trade_id=9, price=-1.0)
    result = admit(stored, bad, "equity_ticks", DAY, UNIVERSE)
    assert result.admitted.tolist() == [False]
    assert result.reasons.tolist() == ["price_positive"]


def test_a_naive_frame_is_kept_out_whole():
    stored = ticks()
    naive = _rows(stored.iloc[[0, 1]], trade_id=[8, 9])
    naive["ts"] = naive["ts"].dt.tz_localize(None)
    result = admit(stored, naive, "equity_ticks", DAY, UNIVERSE)
    assert result.admitted.tolist() == [False, False]
    assert all(r.startswith("frame: ") for r in result.reasons)


def test_already_stored_compares_every_column():
    stored = ticks()
    names = list(EQUITY_TICKS.names)
    same = stored.iloc[[2]].reset_index(drop=True)
    changed = _rows(same, size=11)
    assert already_stored(stored, same, names).tolist() == [True]
    assert already_stored(stored, changed, names).tolist() == [False]
    assert already_stored(stored.iloc[:0], same, names).tolist() == [False]
