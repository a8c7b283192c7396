"""Derived assets computed in one process and in two (forked) store identical libraries, with
the tick cache on (the forked processes share its memory) and off (they read their parts), and
the run's tick-cache counts include what the forked processes served."""

from __future__ import annotations

from pathlib import Path

import pytest

from vvv_pipeline import settings
from vvv_pipeline.defs.assets import derive, event_bars
from vvv_pipeline.storage.tick_cache import TickCache
from vvv_pipeline_tests.assets.test_derived import _run
from vvv_pipeline_tests.assets.test_event_bars_and_tiers import _hours
from vvv_pipeline_tests.assets.test_tick_cache_runs import (
    CRYPTO_DAYS,
    CRYPTO_DERIVED,
    EQUITY_ASSETS,
    SESSIONS,
    assert_same_libraries,
)

FORKED = derive.map_forked
CLOSE = TickCache.close
DERIVED = (*EQUITY_ASSETS[1:], *CRYPTO_DERIVED)
RUN_NAMED = ("snapshot", "read_as_of_this_run")
"""Metadata naming the run's snapshot (its run ID)."""


def _build(
    root: Path, workers: str, instance, monkeypatch: pytest.MonkeyPatch, cache_mb: str = "1024"
):
    """Equity ticks with their derived assets in one run; crypto sources, then their derived
    assets. Returns the store's URI, the parts of every chunk computed in several processes,
    the cache hits of each run and the derived materializations' metadata per partition."""
    monkeypatch.setenv("VVV_DATA_DIR", str(root))
    monkeypatch.setenv("VVV_DERIVE_WORKERS", workers)
    monkeypatch.setenv("VVV_TICK_CACHE_MB", cache_mb)
    split: list[list[list[str]]] = []

    def recording(function, parts, workers):
        split.append([list(part) for part in parts])
        return FORKED(function, parts, workers)

    monkeypatch.setattr(derive, "map_forked", recording)
    hits: list[int] = []

    def closing(cache: TickCache) -> None:
        hits.append(cache.stats.hits)
        CLOSE(cache)

    monkeypatch.setattr(TickCache, "close", closing)
    recomputed: list[str] = []
    thresholds = event_bars.partition_thresholds

    def recounted(history, window, *args):
        recomputed.append(str(window[0]))  # a partition's thresholds computed again here
        return thresholds(history, window, *args)

    monkeypatch.setattr(event_bars, "partition_thresholds", recounted)
    metadata: dict[tuple[str, str], dict] = {}
    for job, keys, assets in (
        ("session_sources_job", SESSIONS, EQUITY_ASSETS),
        ("hourly_sources_job", list(_hours(CRYPTO_DAYS)), None),
        ("calendar_day_sources_job", CRYPTO_DAYS, CRYPTO_DERIVED),
    ):
        result = _run(job, keys, instance, assets=assets)
        for event in result.get_asset_materialization_events():
            mat = event.step_materialization_data.materialization
            if mat.partition and mat.asset_key.to_user_string() in DERIVED:
                meta = {k: v.value for k, v in mat.metadata.items() if k not in RUN_NAMED}
                metadata[(mat.asset_key.to_user_string(), mat.partition)] = meta
    assert recomputed == []  # the thresholds of a forked part's partitions came back with it
    return settings.arctic_uri(), split, hits, metadata


def test_two_processes_store_the_same_libraries_as_one(data_dir, instance, monkeypatch):
    uri_one, split_one, hits_one, meta_one = _build(data_dir / "one", "1", instance, monkeypatch)
    uri_two, split_two, hits_two, meta_two = _build(data_dir / "two", "2", instance, monkeypatch)
    uri_off, split_off, hits_off, meta_off = _build(
        data_dir / "off", "2", instance, monkeypatch, cache_mb="0"
    )

    assert split_one == []  # one worker: every chunk computed in the run's process
    # the source's run: time bars, event bars and tiers 1 and 2, each split 2 + 1 sessions
    assert split_two[:4] == [[SESSIONS[:2], SESSIONS[2:]]] * 4
    # the derived-only run: the first reader of the crypto hours reads them here (filling the
    # cache); the assets after it find them held and split the two days
    assert [CRYPTO_DAYS[:1], CRYPTO_DAYS[1:]] in split_two[4:]
    assert hits_one == hits_two and sum(hits_two) > 0  # the children's hits counted here
    # no cache: nothing to share and nothing to keep, every chunk split, parts read where computed
    assert split_off[:4] == split_two[:4] and len(split_off) > len(split_two)
    assert hits_off == [0, 0, 0]

    for uri, meta in ((uri_two, meta_two), (uri_off, meta_off)):
        libraries = assert_same_libraries(uri, uri_one)
        assert {"bars_time_bars", "bars_volume_bars", "metadata_tier1", "metadata_tier2"} <= set(
            libraries
        )
        # each partition's own figures (rows written, thresholds, previews) are the same too
        assert meta.keys() == meta_one.keys() and len(meta_one) >= 4 * len(SESSIONS)
        for key, want in meta_one.items():
            assert meta[key] == want, key
