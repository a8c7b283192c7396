"""Where a source's next partitions are prepared (``VVV_INGEST_LOOKAHEAD``,
``VVV_INGEST_PROCESSES``) changes nothing that is stored or recorded: a range prepared in one
forked process, in two taking the partitions in turn, in a thread and one partition after the
other writes the same libraries, quarantine included, and the same per-partition metadata."""

from __future__ import annotations

from pathlib import Path

import pytest

from vvv_pipeline import settings
from vvv_pipeline.defs.assets import ingest
from vvv_pipeline.defs.assets.ingest import (
    ONE_PROCESS_BELOW_ROWS,
    PROCESS_BELOW_ROWS,
    lookahead_where,
)
from vvv_pipeline_tests.assets.test_derived import _run
from vvv_pipeline_tests.assets.test_event_bars_and_tiers import _hours
from vvv_pipeline_tests.assets.test_tick_cache_runs import (
    CRYPTO_DAYS,
    SESSIONS,
    assert_same_libraries,
)

SOURCES = ("crypto_trades", "crypto_open_interest", "equity_ticks")
RUN_NAMED = ("snapshot", "read_as_of_this_run", "storage")
"""Metadata naming the run's snapshot (its run ID) or the store's folder."""


def test_auto_forks_only_for_the_simulated_markets_tick_partitions_under_a_million_rows():
    small, medium = ONE_PROCESS_BELOW_ROWS - 1, ONE_PROCESS_BELOW_ROWS
    below, large = PROCESS_BELOW_ROWS - 1, PROCESS_BELOW_ROWS
    assert lookahead_where("auto", "simulated", True, True, small) == "process"
    assert lookahead_where("auto", "simulated", True, True, medium) == "processes"
    assert lookahead_where("auto", "simulated", True, True, below) == "processes"
    assert lookahead_where("auto", "simulated", True, True, large) == "thread"
    assert lookahead_where("auto", "simulated", True, False, small) == "thread"  # warehouse
    assert lookahead_where("auto", "live", True, True, small) == "thread"  # sessions stay here
    assert lookahead_where("thread", "simulated", True, True, small) == "thread"
    assert lookahead_where("process", "simulated", True, False, small) == "process"
    assert lookahead_where("process", "simulated", True, False, large) == "processes"
    assert lookahead_where("process", "live", True, True, small) == "thread"
    assert lookahead_where("off", "simulated", True, True, small) == "off"
    # a stream's finalization prunes the stream's store as it fetches: in turn, whatever is set
    assert lookahead_where("auto", "simulated", False, True, small) == "off"


def _build(root: Path, where: str, instance, monkeypatch: pytest.MonkeyPatch):
    """The hourly crypto sources and the equity ticks over short ranges, prepared ``where``:
    the store's URI, the sources' metadata per partition and where each range was prepared."""
    monkeypatch.setenv("VVV_DATA_DIR", str(root))
    monkeypatch.setenv("VVV_INGEST_LOOKAHEAD", where)
    chosen: list[str] = []

    def recording(*args) -> str:
        chosen.append(lookahead_where(*args))
        return chosen[-1]

    monkeypatch.setattr(ingest, "lookahead_where", recording)
    metadata: dict[tuple[str, str], dict] = {}
    for job, keys, assets in (
        ("hourly_sources_job", list(_hours(CRYPTO_DAYS)), None),
        ("session_sources_job", SESSIONS, ("equity_ticks",)),
    ):
        result = _run(job, keys, instance, assets=assets)
        for event in result.get_asset_materialization_events():
            mat = event.step_materialization_data.materialization
            if mat.partition and mat.asset_key.to_user_string() in SOURCES:
                meta = {k: v.value for k, v in mat.metadata.items() if k not in RUN_NAMED}
                metadata[(mat.asset_key.to_user_string(), mat.partition)] = meta
    return settings.arctic_uri(), metadata, chosen


def test_a_process_a_thread_and_no_lookahead_store_and_record_the_same(
    data_dir, instance, monkeypatch
):
    # tiny partitions: the hours (300 and 2,160 rows) in one process, the sessions (5,000) in two
    monkeypatch.setattr(ingest, "ONE_PROCESS_BELOW_ROWS", 3_000)
    built = {
        where: _build(data_dir / where, where, instance, monkeypatch)
        for where in ("off", "thread", "auto")
    }
    uri_off, meta_off, chosen_off = built["off"]
    assert chosen_off == ["off"] * 3
    assert built["thread"][2] == ["thread"] * 3
    assert built["auto"][2] == ["process", "process", "processes"]
    hours = 24 * len(CRYPTO_DAYS)  # New York days of 24 hours (no clock change in them)
    assert len(meta_off) == 2 * hours + len(SESSIONS)
    for where in ("thread", "auto"):
        uri, meta, _chosen = built[where]
        libraries = assert_same_libraries(uri, uri_off)
        assert {"tick_data", "quarantine"} <= set(libraries), libraries
        assert meta.keys() == meta_off.keys()
        for key, want in meta_off.items():
            assert meta[key] == want, (where, key)
