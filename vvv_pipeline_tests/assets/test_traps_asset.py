"""equity_traps and crypto_traps in their jobs: stored rows equal the detectors on the stored
inputs, and each session's materialization carries its counts.

Reads the shared two-day store (``two_days_store``: every job over 2025-11-24/25). The first day
has no earlier profile in the store, so it is read against no levels; the second against the
first's value areas and zones.
"""

from __future__ import annotations

import pandas as pd

from vvv_pipeline.analytics.spoofing import oi_bursts, size_bursts
from vvv_pipeline.analytics.trap_events import EQUITY_COLUMNS
from vvv_pipeline.analytics.traps import detect_traps, reference_levels
from vvv_pipeline.defs.assets.frames_io import read_bars, read_days, split_key
from vvv_pipeline.schemas import EQUITY_TICKS
from vvv_pipeline.settings import arctic_uri
from vvv_pipeline.storage.arctic import TICK_PREFIXES, ArcticStore
from vvv_pipeline.storage.derived import MARKET_PROFILE, TIME_BARS, TRAPS, ZONES, DerivedStore
from vvv_pipeline_tests.assets.test_derived import EQUITIES, _span

CRYPTO = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
COUNTS = [name for name in EQUITY_COLUMNS if name not in ("symbol", "date")]


def _events(derived: DerivedStore, symbols: list[str], days: list[str]) -> pd.DataFrame:
    names = [f"{symbol}/events" for symbol in symbols]
    frame = split_key(derived.read(TRAPS, names, *_span(days)))
    return frame.assign(symbol=frame["symbol"].astype(str)) if len(frame) else frame


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.assign(symbol=frame["symbol"].astype(str))
    return frame.sort_values(["symbol", "ts", "kind", "level"], ignore_index=True)


def test_equity_traps_are_the_detectors_on_the_stored_session(two_days_store):
    first, second = two_days_store.days
    derived = DerivedStore(arctic_uri())
    daily = read_days(derived, TRAPS, EQUITIES, *_span(two_days_store.days))
    assert len(daily) == len(EQUITIES) * 2
    on_first = daily[daily["date"] == pd.Timestamp(first)]
    assert (on_first[COUNTS] == 0).all().all()  # nothing earlier in the store to read against
    assert (daily.loc[daily["date"] == pd.Timestamp(second), "levels"] > 0).all()

    bars = read_bars(derived, EQUITIES, "1min", *_span([second]))
    summary = read_days(derived, MARKET_PROFILE, EQUITIES, *_span([first]))
    zones = read_days(derived, ZONES, EQUITIES, *_span([first]))
    days = pd.DataFrame({"symbol": EQUITIES, "date": pd.Timestamp(second)})
    levels = reference_levels(summary, zones, days)
    ticks = ArcticStore(arctic_uri()).read_partitions(
        TICK_PREFIXES["equity_ticks"], EQUITIES, [second], EQUITY_TICKS
    )
    found = [detect_traps(bars, levels), size_bursts(ticks)]
    want = pd.concat([frame for frame in found if len(frame)], ignore_index=True)
    got = _events(derived, EQUITIES, [second])
    assert len(want) > 0  # the second session breaks some of the first's levels
    pd.testing.assert_frame_equal(
        _sorted(got)[list(want.columns)], _sorted(want), check_dtype=False
    )

    for event in two_days_store.session_run.get_asset_materialization_events():
        if event.asset_key.to_user_string() != "equity_traps":
            continue
        metadata = event.materialization.metadata
        rows = daily[daily["date"] == pd.Timestamp(event.partition)]
        assert {c: metadata[c].value for c in COUNTS} == rows[COUNTS].sum().to_dict()


def test_crypto_traps_read_the_stored_open_interest_windows(two_days_store):
    first, second = two_days_store.days
    derived = DerivedStore(arctic_uri())
    daily = read_days(derived, TRAPS, CRYPTO, *_span(two_days_store.days))
    assert len(daily) == len(CRYPTO) * 2 and "oi_spoofs" in daily.columns
    assert (daily.loc[daily["date"] == pd.Timestamp(first), "levels"] == 0).all()
    assert (daily.loc[daily["date"] == pd.Timestamp(second), "levels"] > 0).all()
    names = [f"{symbol}/oi_5s" for symbol in CRYPTO]
    windows = split_key(derived.read(TIME_BARS, names, *_span(two_days_store.days)))
    want = oi_bursts(windows)
    got = _events(derived, CRYPTO, two_days_store.days)
    got = got[got["kind"].str.startswith("oi_")]
    assert len(want) > 0  # the simulated open interest steps a few times a day
    pd.testing.assert_frame_equal(
        _sorted(got)[list(want.columns)], _sorted(want), check_dtype=False
    )
    per_day = got.groupby(got["ts"].dt.tz_convert("America/New_York").dt.date).size()
    assert per_day.sum() == (daily["oi_spoofs"] + daily["oi_steps"]).sum()
