"""Every source asset materializes into temporary storage, idempotently, by range or one by one."""

import dagster as dg
import pandas as pd
import pytest

from vvv_pipeline.defs.dagster_internals import RANGE_TAGS
from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline.defs.jobs import (
    CALENDAR_DAY_DERIVED,
    CALENDAR_DAY_SOURCES,
    HOURLY_SOURCES,
    SESSION_DERIVED,
    SESSION_SOURCES,
)
from vvv_pipeline_tests.assets.helpers import (
    TICK_SOURCES,
    expected,
    stored_table,
    stored_ticks,
    symbols_for,
)
from vvv_pipeline_tests.conftest import EARLY_CLOSE, HOUR, WEEK

JOBS = {
    "session_sources_job": (SESSION_SOURCES, [EARLY_CLOSE]),
    "calendar_day_sources_job": (CALENDAR_DAY_SOURCES, ["2025-11-25"]),
    "hourly_sources_job": (HOURLY_SOURCES, [HOUR]),
}
DERIVED = {
    "session_sources_job": SESSION_DERIVED,
    "calendar_day_sources_job": CALENDAR_DAY_DERIVED,
    "hourly_sources_job": (),
}


def _run(
    defs: dg.Definitions, job: str, keys: list[str], instance, assets: tuple[str, ...] = ()
) -> dg.ExecuteInProcessResult:
    """A range run of ``job``, or of only its ``assets`` (a test comparing stored sources has no
    use for the bars, tiers, analytics and report the whole job also builds)."""
    tags = dict(zip(RANGE_TAGS, (keys[0], keys[-1]), strict=True))
    selection = [dg.AssetKey(a) for a in assets] or None
    result = defs.resolve_job_def(job).execute_in_process(
        instance=instance, tags=tags, asset_selection=selection
    )
    assert result.success
    return result


def _stored(source: str, keys: list[str]) -> pd.DataFrame:
    return stored_ticks(source, keys) if source in TICK_SOURCES else stored_table(source)


def _assert_matches_simulator(defs: dg.Definitions, source: str, keys: list[str]) -> None:
    partitions_def = defs.resolve_assets_def(source).partitions_def
    want = expected(source, partitions_def, keys)
    got = _stored(source, keys)
    assert len(want) > 0
    if source in TICK_SOURCES:
        pd.testing.assert_frame_equal(got, want)
    else:  # DuckDB keeps microseconds; compare everything else exactly
        assert len(got) == len(want)
        assert (got["ts"] == want["ts"].dt.floor("us")).all()
        assert got["symbol"].astype(str).tolist() == want["symbol"].astype(str).tolist()


@pytest.mark.parametrize("job", list(JOBS))
def test_every_source_materializes_and_stores_what_the_provider_gave(data_dir, instance, job):
    defs = build_definitions()
    sources, keys = JOBS[job]
    result = _run(defs, job, keys, instance)
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert set(sources) <= materialized  # plus the job's derived assets
    assert materialized - set(sources) == set(DERIVED[job])
    for source in sources:
        _assert_matches_simulator(defs, source, keys)
        meta = instance.get_latest_materialization_event(dg.AssetKey(source))
        metadata = meta.asset_materialization.metadata
        assert metadata["dagster/row_count"].value == len(_stored(source, keys))
        assert {"symbols", "first_ts", "last_ts", "preview", "partition_rows"} <= set(metadata)
        if source in TICK_SOURCES:
            assert metadata["symbols"].value == ", ".join(sorted(symbols_for(source)))


def test_rematerializing_is_idempotent(data_dir, instance):
    defs = build_definitions()
    _run(defs, "session_sources_job", WEEK[:2], instance, SESSION_SOURCES)
    first = {s: _stored(s, WEEK[:2]) for s in SESSION_SOURCES}
    _run(defs, "session_sources_job", WEEK[:2], instance, SESSION_SOURCES)
    for source in SESSION_SOURCES:
        again = _stored(source, WEEK[:2])
        assert len(again) == len(first[source])
        pd.testing.assert_frame_equal(again, first[source])


def test_range_in_one_run_equals_partitions_one_by_one(tmp_path, monkeypatch, data_dir, instance):
    defs = build_definitions()
    _run(defs, "session_sources_job", WEEK[:3], instance, SESSION_SOURCES)
    by_range = {s: _stored(s, WEEK[:3]) for s in SESSION_SOURCES}
    monkeypatch.setenv("VVV_DATA_DIR", str(tmp_path / "one_by_one"))
    defs = build_definitions()
    for key in WEEK[:3]:
        _run(defs, "session_sources_job", [key], instance, SESSION_SOURCES)
    for source in SESSION_SOURCES:
        pd.testing.assert_frame_equal(_stored(source, WEEK[:3]), by_range[source])
