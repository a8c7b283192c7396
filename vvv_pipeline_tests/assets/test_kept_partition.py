"""A re-run that tier 1 rejects whole keeps the partition's previous stored rows readable.

The partition's tier-1 check fails (the step fails, downstream is blocked) and the quarantine
holds the new rows, but the good rows stored before are neither deleted nor replaced.
"""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest

from vvv_pipeline import settings
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.providers.simulated.config import SCALE_PRESETS, Fault
from vvv_pipeline.storage.quarantine import QuarantineStore
from vvv_pipeline.storage.warehouse_tables import KEPT_PARTITIONS
from vvv_pipeline.universe import load_universe
from vvv_pipeline.validation.gate import KEPT_NOTE, TIER1
from vvv_pipeline_tests.assets.helpers import (
    materialize_alone,
    source_spec,
    stored_partition,
    stored_table,
    symbols_for,
)
from vvv_pipeline_tests.conftest import WEEK

KEY = WEEK[1]
CASES = [
    ("equity_ticks", {"kind": "naive_timezone"}),  # a frame-level failure
    ("darkpool_prints", {"kind": "naive_timezone"}),
    ("equity_ticks", {"kind": "zero_size", "count": 100_000}),  # every row fails a row rule
    ("daily_ohlcv", {"kind": "nan_price"}),
]


def _tier1(result: dg.ExecuteInProcessResult, source: str, key: str):
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            if (data.asset_key.to_user_string(), data.check_name, data.partition) == (
                source,
                TIER1,
                key,
            ):
                return data
    raise AssertionError(f"no {TIER1} evaluation of {source} {key}")


def _served(source: str, faults: list[dict], key: str, seed: int | None = None) -> pd.DataFrame:
    """What the tiny simulated provider serves for ``key`` with ``faults`` (and ``seed``)."""
    ticks, trades = SCALE_PRESETS["tiny"]
    config = SimulationConfig(
        ticks_per_session=ticks,
        crypto_trades_per_hour=trades,
        faults=tuple(Fault(**f) for f in faults),
        **({"seed": seed} if seed is not None else {}),
    )
    window = source_spec(source).partitions().time_window_for_partition_key(key)
    start, end = (pd.Timestamp(t).tz_convert("UTC") for t in (window.start, window.end))
    market = SimulatedMarket(config, load_universe())
    return market.fetch(Source(source), start, end, symbols_for(source))


@pytest.mark.parametrize(("source", "fault"), CASES)
def test_a_rerun_rejected_whole_keeps_the_stored_rows_and_fails_tier1(data_dir, source, fault):
    fault = {"source": source, **fault}
    assert materialize_alone(source, [KEY], []).success
    before = stored_partition(source, KEY)
    assert len(before) > 0

    result = materialize_alone(source, [KEY], [fault])
    assert not result.success
    tier1 = _tier1(result, source, KEY)
    assert tier1.passed is False
    assert tier1.metadata["summary"].value.endswith(KEPT_NOTE)
    pd.testing.assert_frame_equal(stored_partition(source, KEY), before)

    quarantined = QuarantineStore(settings.arctic_uri()).read(source, KEY)
    served = _served(source, [fault], KEY)  # the rows the re-run fetched
    assert len(quarantined) == len(served) > 0
    ts = quarantined["ts"].sort_values(ignore_index=True)
    pd.testing.assert_series_equal(
        ts, served["ts"].sort_values(ignore_index=True), check_names=False
    )
    [materialization] = result.asset_materializations_for_node(source)
    assert materialization.metadata[KEPT_PARTITIONS].value == [KEY]


def test_in_a_range_only_the_rejected_partition_keeps_its_old_rows(data_dir):
    """The warehouse deletes a range run's window except the kept partition's day."""
    days = WEEK[:3]
    assert materialize_alone("darkpool_prints", days, []).success
    old = stored_table("darkpool_prints")
    naive = {
        "kind": "naive_timezone",
        "source": "darkpool_prints",
        "start": f"{days[1]}T00:00:00-05:00",
        "end": f"{days[2]}T00:00:00-05:00",
    }
    result = materialize_alone("darkpool_prints", days, [naive], seed=7)  # new data elsewhere
    assert not result.success
    verdicts = {day: _tier1(result, "darkpool_prints", day).passed for day in days}
    assert verdicts == {days[0]: True, days[1]: False, days[2]: True}
    new = stored_table("darkpool_prints")
    day = new["ts"].dt.tz_convert("America/New_York").dt.strftime("%Y-%m-%d")
    old_day = old["ts"].dt.tz_convert("America/New_York").dt.strftime("%Y-%m-%d")
    kept = new[(day == days[1]).to_numpy()].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, old[(old_day == days[1]).to_numpy()].reset_index(drop=True))
    for other in (days[0], days[2]):
        replaced = new[(day == other).to_numpy()]
        fetched = _served("darkpool_prints", [], other, seed=7)
        assert len(replaced) == len(fetched) > 0  # the old rows are gone, not added to
        assert set(replaced["print_id"]) == set(fetched["print_id"])
