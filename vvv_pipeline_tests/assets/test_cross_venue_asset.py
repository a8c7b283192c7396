"""crypto_cross_venue alone over one New York day: stored series, and the partition's numbers."""

from __future__ import annotations

import pandas as pd
import pytest

from vvv_pipeline import settings
from vvv_pipeline.analytics.cross_venue import cross_venue_days
from vvv_pipeline.defs.assets.frames_io import with_date
from vvv_pipeline.defs.resources import market_from_env
from vvv_pipeline.storage.derived import CROSS_VENUE, DerivedStore
from vvv_pipeline.universe import load_universe
from vvv_pipeline_tests.assets.test_derived import _run

DAY = "2025-11-24"


def test_one_day_is_stored_per_pair_venue_and_minute_with_its_metadata(data_dir, module_instance):
    result = _run(
        "calendar_day_sources_job", [DAY], module_instance, assets=("crypto_cross_venue",)
    )
    pairs = list(load_universe().crypto)
    store = DerivedStore(settings.arctic_uri())
    start = pd.Timestamp(DAY, tz="America/New_York").tz_convert("UTC")
    end = start + pd.Timedelta(days=1)
    # what the asset computed is what the pure layer gives on the same venues' samples
    samples = market_from_env().venue_open_interest(start, end, pairs, load_universe())
    summary, venues = cross_venue_days(samples)
    stored = with_date(store.read(CROSS_VENUE, pairs).rename(columns={"key": "symbol"}))
    stored = stored[["symbol", "date", *summary.columns[2:]]]
    pd.testing.assert_frame_equal(
        stored.reset_index(drop=True), summary.astype({"symbol": object}), check_dtype=False
    )
    per_venue = store.read(CROSS_VENUE, [f"{p}/venues" for p in pairs])
    assert len(per_venue) == 3 * len(pairs)
    assert set(per_venue["venue"]) == {"binance", "bybit", "mexc"}
    minutes = store.read(CROSS_VENUE, [f"{p}/oi" for p in pairs])
    assert len(minutes) == 1440 * len(pairs) and (minutes["venues"] == 3).all()
    shares = minutes[["share_binance", "share_bybit", "share_mexc"]].sum(axis=1)
    assert shares.to_numpy() == pytest.approx(1.0)
    # the simulated lags: Bybit 5 s and MEXC 10 s behind Binance, the leader
    assert set(venues.groupby("venue")["lag_seconds"].first().items()) == {
        ("binance", 0.0),
        ("bybit", 5.0),
        ("mexc", 10.0),
    }
    (event,) = [
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key.to_user_string() == "crypto_cross_venue"
    ]
    metadata = event.materialization.metadata
    assert event.partition == DAY and metadata["venues"].value == 3
    assert metadata["open_interest_value_usd"].value == pytest.approx(
        round(summary["open_interest_value_last"].sum(), 0)
    )
    assert metadata["max_abs_basis_bps"].value == pytest.approx(
        round(summary["max_abs_basis_bps"].max(), 2)
    )
    assert "| BTCUSDT | 3 |" in metadata["pairs"].value
