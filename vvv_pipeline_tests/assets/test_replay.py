"""Replay against every fault kind: nothing invalid enters the store, fixed rows enter once.

Each case materializes one partition of one source with a simulator fault, replays the
quarantine with nothing fixed (the store and the quarantine must not change), then fixes the
quarantined rows as an operator would (an obvious correction, or the vendor's corrected copy)
and replays again: the stored partition must then equal the clean provider output exactly,
every row once. Fault kinds caught by tiers 2 to 4 quarantine nothing, so replay has nothing
to move.
"""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from vvv_pipeline import settings
from vvv_pipeline.defs.partitions import window_utc
from vvv_pipeline.schemas import SOURCE_SCHEMAS
from vvv_pipeline.storage.arctic import ArcticStore
from vvv_pipeline.storage.quarantine import QuarantineStore
from vvv_pipeline.storage.replay import ReplayOutcome, replay
from vvv_pipeline.universe import load_universe
from vvv_pipeline.validation.quality import STALE_MIN_RUN
from vvv_pipeline_tests.assets.helpers import (
    ID_COLUMN,
    expected,
    in_total_order,
    materialize_alone,
    plain,
    source_spec,
    stored_partition,
    stored_ticks,
)
from vvv_pipeline_tests.conftest import HOUR, WEEK

KEY = WEEK[1]
PRICE_FAULTS = ("nan_price", "negative_price", "zero_size", "duplicate_id")
ROW_FAULTS = (*PRICE_FAULTS, "crossed_quote", "out_of_window", "unknown_symbol")
CASES = [
    *[("equity_ticks", kind) for kind in (*ROW_FAULTS, "naive_timezone")],
    *[("darkpool_prints", kind) for kind in (*ROW_FAULTS, "naive_timezone")],
    *[("options_flow", kind) for kind in ("bad_occ_symbol", "duplicate_id", "nan_price")],
    *[("crypto_trades", kind) for kind in ("duplicate_id", "unknown_symbol")],
]


def _key(source: str) -> str:
    return HOUR if source == "crypto_trades" else KEY


def _materialize(
    source: str, fault: dict, instance: dg.DagsterInstance
) -> dg.ExecuteInProcessResult:
    return materialize_alone(source, [_key(source)], [fault], instance=instance)


def _replay(source: str) -> ReplayOutcome:
    """What ``vvv-pipeline replay <source> <key>`` does."""
    spec, key = source_spec(source), _key(source)
    window = window_utc(spec.partitions().time_window_for_partition_key(key))
    uri = settings.arctic_uri()
    return replay(
        source,
        key,
        window,
        spec.symbols(load_universe()),
        QuarantineStore(uri),
        ArcticStore(uri),
        settings.duckdb_path(),
    )


def stored(source: str) -> pd.DataFrame:
    return stored_partition(source, _key(source))


def _clean(source: str) -> pd.DataFrame:
    frame = expected(source, source_spec(source).partitions(), [_key(source)])
    return in_total_order(frame, source)


def _restore(column: str) -> Callable[[pd.DataFrame, pd.DataFrame, str], pd.DataFrame]:
    """The vendor's corrected copy: ``column`` taken from the clean row matching the others."""

    def fix(rows: pd.DataFrame, clean: pd.DataFrame, source: str) -> pd.DataFrame:
        keys = [c for c in SOURCE_SCHEMAS[source].names if c != column]
        left = plain(rows[keys]).assign(_row=np.arange(len(rows)))
        right = plain(expected(source, source_spec(source).partitions(), [_key(source)]))
        matched = left.merge(right[[*keys, column]], on=keys, how="left", validate="one_to_one")
        matched = matched.sort_values("_row")
        assert matched[column].notna().all(), f"no clean row matches a quarantined {column}"
        out = rows.copy()
        values = matched[column].to_numpy()
        out[column] = pd.Categorical(values) if column == "symbol" else values
        return out

    return fix


def _swap(source: str) -> tuple[str, str]:
    return ("nbbo_bid", "nbbo_ask") if source == "darkpool_prints" else ("bid", "ask")


def _uncross(rows: pd.DataFrame, _clean: pd.DataFrame, source: str) -> pd.DataFrame:
    bid, ask = _swap(source)
    return rows.assign(**{bid: rows[ask].to_numpy(), ask: rows[bid].to_numpy()})


def _localize(rows: pd.DataFrame, _clean: pd.DataFrame, _source: str) -> pd.DataFrame:
    local = rows["ts"].dt.tz_localize("America/New_York")
    return rows.assign(ts=local.dt.tz_convert("UTC"))


def _fix_id(rows: pd.DataFrame, clean: pd.DataFrame, source: str) -> pd.DataFrame:
    return _restore(ID_COLUMN.get(source, "trade_id"))(rows, clean, source)


FIXES = {
    "nan_price": _restore("price"),
    "negative_price": lambda rows, _c, _s: rows.assign(price=rows["price"].abs()),
    "zero_size": _restore("size"),
    "crossed_quote": _uncross,
    "duplicate_id": _fix_id,
    "naive_timezone": _localize,
    "out_of_window": _restore("ts"),
    "unknown_symbol": _restore("symbol"),
    "bad_occ_symbol": _restore("option_symbol"),
}


@pytest.mark.parametrize(("source", "kind"), CASES)
def test_replay_without_a_fix_moves_nothing_and_after_a_fix_stores_each_row_once(
    data_dir, module_instance, source, kind
):
    _materialize(source, {"kind": kind, "source": source, "count": 2}, module_instance)
    quarantine = QuarantineStore(settings.arctic_uri())
    key = _key(source)
    rejected = quarantine.read(source, key)
    assert len(rejected) > 0
    before = stored(source)

    outcome = _replay(source)
    assert (outcome.replayed, outcome.still_rejected) == (0, len(rejected))
    pd.testing.assert_frame_equal(stored(source), before)
    names = list(SOURCE_SCHEMAS[source].names)
    pd.testing.assert_frame_equal(quarantine.read(source, key)[names], rejected[names])

    clean = _clean(source)
    quarantine.rewrite(source, key, FIXES[kind](rejected, clean, source))
    fixed = _replay(source)
    assert (fixed.replayed, fixed.still_rejected) == (len(rejected), 0)
    assert quarantine.read(source, key).empty
    pd.testing.assert_frame_equal(stored(source), clean)
    assert _replay(source) == ReplayOutcome(0, 0)


LATER_TIER = {
    "shifted_timezone": "tier2_alignment",
    "price_spike": "tier4_quality",
    "stale_run": "tier4_quality",
}


@pytest.mark.parametrize("kind", list(LATER_TIER))
def test_faults_of_later_tiers_quarantine_nothing_so_replay_moves_nothing(
    data_dir, module_instance, kind
):
    # a stale run is only one from STALE_MIN_RUN frozen rows on: fewer is no defect at all
    count = STALE_MIN_RUN if kind == "stale_run" else 3
    fault = {"kind": kind, "source": "equity_ticks", "count": count}
    result = _materialize("equity_ticks", fault, module_instance)
    failed = {e.check_name for e in result.get_asset_check_evaluations() if not e.passed}
    assert failed == {LATER_TIER[kind]}  # the fault is there, and a later tier caught it
    before = stored("equity_ticks")
    assert len(before) > 0
    assert QuarantineStore(settings.arctic_uri()).read("equity_ticks", KEY).empty
    assert _replay("equity_ticks") == ReplayOutcome(0, 0)
    pd.testing.assert_frame_equal(stored("equity_ticks"), before)


def test_an_interrupted_replay_run_again_stores_nothing_twice(data_dir, module_instance):
    fault = {"kind": "zero_size", "source": "darkpool_prints", "count": 1}
    _materialize("darkpool_prints", fault, module_instance)
    quarantine = QuarantineStore(settings.arctic_uri())
    rejected = quarantine.read("darkpool_prints", KEY)
    fixed = FIXES["zero_size"](rejected, _clean("darkpool_prints"), "darkpool_prints")
    quarantine.rewrite("darkpool_prints", KEY, fixed)
    assert _replay("darkpool_prints").replayed == len(rejected) > 0
    quarantine.rewrite("darkpool_prints", KEY, fixed)  # as if the quarantine step had not run
    again = _replay("darkpool_prints")
    assert again == ReplayOutcome(0, 0, already_stored=len(rejected))
    pd.testing.assert_frame_equal(stored("darkpool_prints"), _clean("darkpool_prints"))


def test_the_replay_command_keeps_duplicate_ids_out(data_dir, module_instance, capsys):
    from vvv_pipeline.cli import main

    fault = {"kind": "duplicate_id", "source": "equity_ticks", "count": 1}
    _materialize("equity_ticks", fault, module_instance)
    before = stored_ticks("equity_ticks", [KEY])
    assert main(["replay", "equity_ticks", KEY]) == 0
    rejected = len(QuarantineStore(settings.arctic_uri()).read("equity_ticks", KEY))
    assert rejected > 0
    out = capsys.readouterr().out
    assert f"0 rows replayed into the store, {rejected} still quarantined" in out
    after = stored_ticks("equity_ticks", [KEY])
    assert len(after) == len(before)
    assert not after.duplicated(["symbol", "trade_id"]).any()
