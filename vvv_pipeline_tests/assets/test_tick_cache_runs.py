"""Runs with and without the tick cache store identical libraries, and a run reads each tick
partition from ArcticDB at most once (none when its source wrote them in the same run)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from vvv_pipeline import settings
from vvv_pipeline.storage.arctic import TICK_LIBRARY, ArcticStore, arctic_for
from vvv_pipeline.storage.tick_cache import TICK_CACHE
from vvv_pipeline_tests.assets.test_derived import _run
from vvv_pipeline_tests.assets.test_event_bars_and_tiers import _hours
from vvv_pipeline_tests.conftest import WEEK

SESSIONS = WEEK[1:4]
CRYPTO_DAYS = WEEK[1:3]
EQUITY_ASSETS = (
    "equity_ticks",
    "equity_time_bars",
    "equity_event_bars",
    "equity_metadata_tier1",
    "equity_metadata_tier2",
)
CRYPTO_DERIVED = (
    "crypto_oi_windows",
    "crypto_time_bars",
    "crypto_event_bars",
    *(f"crypto_metadata_tier{tier}" for tier in (1, 2, 3)),
)
"""Every asset that reads crypto ticks back, in a run that does not write them (derived only)."""


def _build(
    root: Path, cache_mb: str, instance, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, dict[str, Counter]]:
    """Equity ticks and their derived assets in one run; crypto sources in one run and their
    derived assets in another. Returns the store's URI and, per run, the tick partitions read
    from ArcticDB (symbol -> reads)."""
    monkeypatch.setenv("VVV_DATA_DIR", str(root))
    monkeypatch.setenv("VVV_TICK_CACHE_MB", cache_mb)
    # reads are counted in this process: none in forked ones (test_derive_workers covers them)
    monkeypatch.setenv("VVV_DERIVE_WORKERS", "1")
    reads: Counter = Counter()
    settled = ArcticStore._read_settled

    def counting(store: ArcticStore, library: str, names: list[str]):
        if library == TICK_LIBRARY:
            reads.update(names)
        return settled(store, library, names)

    monkeypatch.setattr(ArcticStore, "_read_settled", counting)
    per_run: dict[str, Counter] = {}
    for name, job, keys, assets in (
        ("equity", "session_sources_job", SESSIONS, EQUITY_ASSETS),
        ("crypto sources", "hourly_sources_job", list(_hours(CRYPTO_DAYS)), None),
        ("crypto derived", "calendar_day_sources_job", CRYPTO_DAYS, CRYPTO_DERIVED),
    ):
        reads.clear()
        _run(job, keys, instance, assets=assets)
        per_run[name] = Counter(reads)
        assert TICK_CACHE.bytes == 0 and not TICK_CACHE.active  # dropped when the run ended
    return settings.arctic_uri(), per_run


def test_every_stored_library_is_identical_with_and_without_the_cache(
    data_dir, instance, monkeypatch
):
    uri_on, reads_on = _build(data_dir / "cache", "1024", instance, monkeypatch)
    uri_off, reads_off = _build(data_dir / "nocache", "0", instance, monkeypatch)

    # the source's run: the four derived assets took every partition it wrote from memory
    assert reads_on["equity"] == Counter() and len(reads_off["equity"]) > 0
    assert set(reads_off["equity"].values()) == {4}  # time bars, event bars, tiers 1 and 2
    # a derived-only run: one read of each partition, shared by its readers
    derived_on, derived_off = reads_on["crypto derived"], reads_off["crypto derived"]
    assert set(derived_on) == set(derived_off) and set(derived_on.values()) == {1}
    assert max(derived_off.values()) >= 4

    libraries = assert_same_libraries(uri_on, uri_off)
    assert {TICK_LIBRARY, "bars_time_bars", "bars_volume_bars", "metadata_tier1"} <= set(libraries)


def assert_same_libraries(uri: str, reference: str) -> list[str]:
    """Every library, symbol, row, dtype and index of the store at ``uri`` equals the
    ``reference`` store's; returns the libraries' names."""
    got_store, want_store = arctic_for(uri), arctic_for(reference)
    libraries = sorted(want_store.list_libraries())
    assert libraries == sorted(got_store.list_libraries())
    for library in libraries:
        got_lib, want_lib = got_store.get_library(library), want_store.get_library(library)
        symbols = sorted(want_lib.list_symbols())
        assert symbols == sorted(got_lib.list_symbols()), library
        for symbol in symbols:
            got, want = got_lib.read(symbol).data, want_lib.read(symbol).data
            pd.testing.assert_frame_equal(got, want, check_exact=True, obj=f"{library}:{symbol}")
            assert list(got.dtypes) == list(want.dtypes)
            assert got.index.equals(want.index) and got.index.dtype == want.index.dtype
    return libraries
