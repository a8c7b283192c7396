"""Tier 2 (session alignment, time zones): clean data passes, each defect is caught exactly.

Also holds the cached market and clean partitions shared with the tier-3 and tier-4 tests.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.calendars import EXCHANGE_TZ, session_bounds, sessions_between
from vvv_pipeline.providers.simulated.config import Fault, SimulationConfig
from vvv_pipeline.providers.simulated.market import SimulatedMarket
from vvv_pipeline.universe import load_universe
from vvv_pipeline.validation import check_alignment, check_continuity, check_quality
from vvv_pipeline.validation.alignment import sessions_in
from vvv_pipeline.validation.results import SAMPLE_LIMIT

EQUITY = ("equity_ticks", "darkpool_prints", "options_flow")
CRYPTO = ("crypto_trades", "crypto_open_interest")
SESSIONS = [d.strftime("%Y-%m-%d") for d in sessions_between("2025-10-27", "2025-11-24")]
EARLY_CLOSE = "2025-11-28"
DAY = "2025-11-24"
CRYPTO_START = pd.Timestamp("2025-11-20 00:00", tz="UTC")
HOUR = (pd.Timestamp("2025-11-25 15:00", tz="UTC"), pd.Timestamp("2025-11-25 16:00", tz="UTC"))


@cache
def market(*faults: Fault) -> SimulatedMarket:
    config = SimulationConfig(ticks_per_session=2000, crypto_trades_per_hour=300, faults=faults)
    return SimulatedMarket(config, load_universe())


def day_window(day: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The equity partition window: New York midnight to midnight, in UTC."""
    start = pd.Timestamp(day).tz_localize(EXCHANGE_TZ)
    return start.tz_convert("UTC"), (start + pd.Timedelta(days=1)).tz_convert("UTC")


def fetch(source: str, window: tuple[pd.Timestamp, pd.Timestamp], *faults: Fault) -> pd.DataFrame:
    m = market(*faults)
    return m.fetch(source, *window, m.known_symbols(source))


@cache
def clean_partitions() -> tuple[tuple[str, tuple[pd.Timestamp, pd.Timestamp], pd.DataFrame], ...]:
    """20 sessions + the early close of the equity sources, 48 hours of crypto (cached)."""
    out = []
    for day in [*SESSIONS, EARLY_CLOSE]:
        for source in EQUITY:
            out.append((source, day_window(day), fetch(source, day_window(day))))
    for source in CRYPTO:
        whole = fetch(source, (CRYPTO_START, CRYPTO_START + pd.Timedelta(hours=48)))
        ts = whole["ts"]
        for hour in range(48):
            lo = CRYPTO_START + pd.Timedelta(hours=hour)
            window = (lo, lo + pd.Timedelta(hours=1))
            part = whole[(ts >= window[0]) & (ts < window[1])].reset_index(drop=True)
            out.append((source, window, part))
    return tuple(out)


def test_clean_partitions_pass_tier2() -> None:
    parts = clean_partitions()
    assert len(SESSIONS) >= 20
    assert sum(1 for s, _, _ in parts if s == "crypto_open_interest") == 48
    for source, window, frame in parts:
        assert len(frame) > 0
        result = check_alignment(frame, source, window)
        assert result.passed, (source, window, result.counts)
        assert result.failed == ()
        assert all(v == 0 for v in result.counts.values())
        assert result.samples.empty
        assert result.metrics["tz_shift_share"] == 0.0


def test_sessions_in_honours_early_close_and_offsets() -> None:
    spans = sessions_in(day_window(EARLY_CLOSE))
    open_, close = session_bounds(EARLY_CLOSE)
    assert spans.tolist() == [[open_.value, close.value, pd.Timedelta(hours=5).value]]
    assert close == pd.Timestamp("2025-11-28 18:00", tz="UTC")
    summer = sessions_in(day_window("2025-07-15"))
    assert summer[0, 2] == pd.Timedelta(hours=4).value
    weekend = sessions_in(day_window("2025-11-22"))
    assert weekend.shape == (0, 3)


def test_shifted_timezone_on_equity_ticks() -> None:
    window = day_window(DAY)
    fault = Fault("shifted_timezone", "equity_ticks", symbol="AAPL")
    frame = fetch("equity_ticks", window, fault)
    clean = fetch("equity_ticks", window)
    open_, _ = session_bounds(DAY)
    aapl = clean["symbol"] == "AAPL"
    # rows moved 5 h earlier leave the session when they printed in its first 5 hours
    expected = int((aapl & (clean["ts"] < open_ + pd.Timedelta(hours=5))).sum())
    assert 0 < expected < int(aapl.sum())
    result = check_alignment(frame, "equity_ticks", window)
    assert not result.passed
    assert result.counts["outside_session"] == expected
    assert result.counts["timezone_shift"] == expected
    assert result.counts["extended_flag_inside"] == 0
    assert set(result.failed) == {"outside_session", "timezone_shift"}
    assert result.metrics["tz_shift_share"] == pytest.approx(expected / len(frame))
    assert len(result.samples) <= SAMPLE_LIMIT
    assert set(result.samples["symbol"].astype(str)) == {"AAPL"}
    assert set(result.samples["kind"]) == {"outside_session", "timezone_shift"}


@pytest.mark.parametrize("source", ["darkpool_prints", "options_flow"])
def test_shifted_timezone_on_sparse_equity_sources(source: str) -> None:
    window = day_window(DAY)
    frame = fetch(source, window, Fault("shifted_timezone", source, symbol="MSFT"))
    result = check_alignment(frame, source, window)
    open_, _ = session_bounds(DAY)
    clean = fetch(source, window)
    expected = int(
        ((clean["symbol"] == "MSFT") & (clean["ts"] < open_ + pd.Timedelta(hours=5))).sum()
    )
    assert expected > 0
    assert result.counts["outside_session"] == expected
    assert result.counts["timezone_shift"] == expected
    assert "outside_session" in result.failed


@pytest.mark.parametrize("source", CRYPTO)
def test_shifted_timezone_on_crypto_leaves_the_window(source: str) -> None:
    frame = fetch(source, HOUR, Fault("shifted_timezone", source, symbol="BTCUSDT"))
    n_btc = int((fetch(source, HOUR)["symbol"] == "BTCUSDT").sum())
    result = check_alignment(frame, source, HOUR)
    assert result.counts == {"outside_window": n_btc, "timezone_shift": n_btc}
    assert set(result.failed) == {"outside_window", "timezone_shift"}
    assert result.metrics["tz_shift_share"] == pytest.approx(n_btc / len(frame))


def test_out_of_window_fault_is_outside_the_session() -> None:
    window = day_window(DAY)
    frame = fetch("equity_ticks", window, Fault("out_of_window", "equity_ticks", "NVDA", count=4))
    result = check_alignment(frame, "equity_ticks", window)
    assert result.counts["outside_session"] == 4
    assert result.counts["timezone_shift"] == 0
    assert result.failed == ("outside_session",)


def test_hand_made_out_of_session_rows() -> None:
    window = day_window(DAY)
    frame = fetch("equity_ticks", window).copy()
    ts = frame["ts"].to_numpy(copy=True)
    ts[[10, 11]] = np.datetime64("2025-11-24T22:30")  # after the 21:00 UTC close
    ts[12] = np.datetime64("2025-11-24T14:29:59.999999999")  # 1 ns before the open
    ts[13] = np.datetime64("2025-11-24T14:30")  # the open itself is inside
    ts[14] = np.datetime64("2025-11-24T21:00")  # the close itself is outside
    frame["ts"] = pd.to_datetime(ts, utc=True)
    result = check_alignment(frame, "equity_ticks", window)
    assert result.counts["outside_session"] == 4
    samples = result.samples
    assert sorted(samples.index[samples["kind"] == "outside_session"]) == [10, 11, 12, 14]
    assert list(samples.index[samples["kind"] == "timezone_shift"]) == [12]
    # 14:29:59 + 5 h is inside the session, but 1 row in 20,000 is no time-zone pattern
    assert result.counts["timezone_shift"] == 1
    assert result.failed == ("outside_session",)


def test_early_close_rows_after_13_00_are_outside() -> None:
    window = day_window(EARLY_CLOSE)
    frame = fetch("equity_ticks", window).copy()
    assert check_alignment(frame, "equity_ticks", window).passed
    ts = frame["ts"].to_numpy(copy=True)
    ts[[5, 6, 7]] = np.datetime64("2025-11-28T18:30")  # 13:30 New York: after the early close
    frame["ts"] = pd.to_datetime(ts, utc=True)
    result = check_alignment(frame, "equity_ticks", window)
    assert result.counts["outside_session"] == 3
    assert result.failed == ("outside_session",)


def test_wrong_extended_hours_flags() -> None:
    window = day_window(DAY)
    frame = fetch("equity_ticks", window).copy()
    flags = frame["extended_hours"].to_numpy(copy=True)
    flags[[100, 200, 300]] = True  # inside the session: wrongly flagged
    ts = frame["ts"].to_numpy(copy=True)
    ts[[400, 401]] = np.datetime64("2025-11-24T23:00")  # after hours ...
    flags[400] = True  # ... one correctly flagged, one not
    frame["ts"] = pd.to_datetime(ts, utc=True)
    frame["extended_hours"] = flags
    result = check_alignment(frame, "equity_ticks", window)
    assert result.counts["extended_flag_inside"] == 3
    assert result.counts["outside_session"] == 1
    assert result.metrics["extended_hours_rows"] == 1.0
    assert set(result.failed) == {"extended_flag_inside", "outside_session"}
    samples = result.samples
    assert sorted(samples.index[samples["kind"] == "extended_flag_inside"]) == [100, 200, 300]
    assert list(samples.index[samples["kind"] == "outside_session"]) == [401]


def test_naive_ts_and_other_sources() -> None:
    window = day_window(DAY)
    frame = fetch("equity_ticks", window).copy()
    frame["ts"] = frame["ts"].dt.tz_localize(None)
    result = check_alignment(frame, "equity_ticks", window)
    assert result.failed == ("ts_not_utc",)
    news = fetch("news_headlines", window)
    assert check_alignment(news, "news_headlines", window).passed


def test_all_tiers_pass_the_early_close_session() -> None:
    window = day_window(EARLY_CLOSE)
    frame = fetch("equity_ticks", window)
    assert check_continuity(frame, "equity_ticks", window).passed
    assert check_quality(frame, "equity_ticks").passed
    assert frame["ts"].max() < session_bounds(EARLY_CLOSE)[1]
