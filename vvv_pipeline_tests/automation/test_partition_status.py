"""Gaps read from a real Dagster instance after real runs of a source asset."""

from __future__ import annotations

import dagster as dg
import pandas as pd

from vvv_pipeline.defs.automation.partition_status import (
    asset_gaps,
    read_partition_status,
    source_gaps,
)
from vvv_pipeline.defs.dagster_internals import RANGE_TAGS
from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline.defs.partitions import session_partitions
from vvv_pipeline_tests.conftest import WEEK

DARKPOOL = dg.AssetKey("darkpool_prints")
AS_OF = pd.Timestamp("2025-12-01", tz="UTC")


def _darkpool_job() -> dg.JobDefinition:
    defs = build_definitions()
    return dg.define_asset_job("darkpool_only", selection=["darkpool_prints"]).resolve(
        asset_graph=defs.resolve_asset_graph(), resource_defs=defs.resources
    )


def _config(*faults: dict) -> dict:
    # Run config replaces the resource's whole config, so the scale is restated.
    return {"resources": {"market": {"config": {"scale": "tiny", "faults": list(faults)}}}}


def _negative_prices_on(session: str) -> dict:
    day = pd.Timestamp(session)
    return {
        "kind": "negative_price",
        "source": "darkpool_prints",
        "start": f"{session}T00:00:00-05:00",
        "end": f"{(day + pd.Timedelta(days=1)).date()}T00:00:00-05:00",
        "count": 2,
    }


def test_range_run_with_one_faulty_partition_gives_exact_missing_and_failed_sets(
    data_dir, instance
):
    tags = dict(zip(RANGE_TAGS, (WEEK[0], WEEK[3]), strict=True))
    result = _darkpool_job().execute_in_process(
        instance=instance,
        tags=tags,
        run_config=_config(_negative_prices_on(WEEK[2])),
        raise_on_error=False,
    )
    assert not result.success  # the blocking tier-1 check failed for WEEK[2]

    status = read_partition_status(instance, DARKPOOL)
    assert status.materialized == frozenset(WEEK[:4])
    assert status.failed_tier1 == frozenset({WEEK[2]})

    gaps = asset_gaps(instance, DARKPOOL, session_partitions(), WEEK[0], WEEK[-1], AS_OF)
    assert gaps.expected == tuple(WEEK)
    assert gaps.materialized == tuple(WEEK[:4])
    assert gaps.missing == (WEEK[4],)
    assert gaps.failed_tier1 == (WEEK[2],)


def test_latest_run_of_a_partition_decides_whether_it_failed_tier1(data_dir, instance):
    job = _darkpool_job()
    faulty = job.execute_in_process(
        instance=instance,
        partition_key=WEEK[1],
        run_config=_config(_negative_prices_on(WEEK[1])),
        raise_on_error=False,
    )
    assert not faulty.success
    assert read_partition_status(instance, DARKPOOL).failed_tier1 == frozenset({WEEK[1]})

    clean = job.execute_in_process(instance=instance, partition_key=WEEK[1], run_config=_config())
    assert clean.success
    gaps = asset_gaps(instance, DARKPOOL, session_partitions(), WEEK[0], WEEK[-1], AS_OF)
    assert gaps.materialized == (WEEK[1],)
    assert gaps.missing == (WEEK[0], *WEEK[2:])
    assert gaps.failed_tier1 == ()


def test_source_gaps_cover_every_source_with_its_own_calendar(data_dir, instance):
    _darkpool_job().execute_in_process(
        instance=instance, partition_key=WEEK[4], run_config=_config()
    )
    by_asset = {g.asset: g for g in source_gaps(instance, WEEK[0], WEEK[-1], as_of=AS_OF)}
    assert len(by_asset) == 8
    expected_counts = {
        "equity_ticks": 5,
        "darkpool_prints": 5,
        "options_flow": 5,
        "daily_ohlcv": 5,
        "news_headlines": 8,  # every New York day, Thanksgiving and the weekend included
        "economic_series": 8,
        "crypto_trades": 8 * 24,  # no clock change that week
        "crypto_open_interest": 8 * 24,
    }
    assert {a: len(g.expected) for a, g in by_asset.items()} == expected_counts
    assert by_asset["darkpool_prints"].materialized == (WEEK[4],)
    others = [g for a, g in by_asset.items() if a != "darkpool_prints"]
    assert all(len(g.missing) == len(g.expected) and not g.failed_tier1 for g in others)


def test_partition_in_progress_is_not_reported_missing(data_dir, instance):
    during_last_session = pd.Timestamp(f"{WEEK[-1]} 15:00", tz="UTC")
    gaps = asset_gaps(
        instance, DARKPOOL, session_partitions(), WEEK[0], WEEK[-1], during_last_session
    )
    assert gaps.expected == tuple(WEEK[:4])
    assert gaps.missing == tuple(WEEK[:4])
