"""Tier 3 (continuity): clean data has no gap; dropped ranges come back as exact runs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.calendars import session_bounds
from vvv_pipeline.providers.simulated.config import Fault
from vvv_pipeline.validation import check_continuity
from vvv_pipeline.validation.continuity import (
    GAP_EXPECTED_TRADES,
    GAP_MIN_MINUTES,
    LIQUID_TRADES_PER_MINUTE,
    min_gap_minutes,
)
from vvv_pipeline.validation.results import MINUTE_NS, true_runs, true_runs_2d
from vvv_pipeline_tests.validation.test_alignment import (
    DAY,
    EARLY_CLOSE,
    HOUR,
    clean_partitions,
    day_window,
    fetch,
)

T = pd.Timestamp


def test_clean_partitions_pass_tier3() -> None:
    judged = 0
    for source, window, frame in clean_partitions():
        result = check_continuity(frame, source, window)
        assert result.passed, (source, window, result.counts, result.runs)
        assert result.runs is not None and result.runs.empty
        assert result.samples.empty
        judged += int(result.metrics.get("liquid_symbol_grids", 0))
        if source == "crypto_open_interest":
            assert result.metrics["cadence_coverage"] == 1.0
    assert judged >= 21 * 10 + 48 * 3  # every equity symbol-session and crypto hour was judged


def test_drop_range_in_equity_ticks_is_one_run() -> None:
    window = day_window(DAY)
    start, end = "2025-11-24 15:00", "2025-11-24 15:20"
    fault = Fault("drop_range", "equity_ticks", symbol="AAPL", start=start, end=end)
    frame = fetch("equity_ticks", window, fault)
    result = check_continuity(frame, "equity_ticks", window)
    assert not result.passed
    assert result.failed == ("trade_gap",)
    assert result.counts["trade_gap"] == 1
    run = result.runs.iloc[0]
    assert (run["kind"], run["symbol"]) == ("trade_gap", "AAPL")
    assert run["start"] == T(start, tz="UTC")
    assert run["end"] == T(end, tz="UTC")
    assert run["length"] == 20
    # the sample is AAPL's last trade before the gap
    sample = result.samples.iloc[0]
    assert sample["symbol"] == "AAPL"
    assert T(start, tz="UTC") - pd.Timedelta(minutes=1) <= sample["ts"] < T(start, tz="UTC")


def test_drop_range_in_open_interest_is_a_cadence_run() -> None:
    start, end = "2025-11-25 15:10:00", "2025-11-25 15:12:30"
    fault = Fault("drop_range", "crypto_open_interest", symbol="ETHUSDT", start=start, end=end)
    frame = fetch("crypto_open_interest", HOUR, fault)
    result = check_continuity(frame, "crypto_open_interest", HOUR)
    assert result.counts == {"off_cadence": 0, "cadence_gap": 30}
    assert result.failed == ("cadence_gap",)
    assert result.runs[["symbol", "start", "end", "length"]].values.tolist() == [
        ["ETHUSDT", T(start, tz="UTC"), T(end, tz="UTC"), 30]
    ]
    assert result.metrics["cadence_coverage"] == pytest.approx(1 - 30 / (3 * 720))


def test_drop_range_in_crypto_trades_is_a_minute_run() -> None:
    start, end = "2025-11-25 15:30", "2025-11-25 15:45"
    fault = Fault("drop_range", "crypto_trades", symbol="SOLUSDT", start=start, end=end)
    frame = fetch("crypto_trades", HOUR, fault)
    result = check_continuity(frame, "crypto_trades", HOUR)
    assert result.counts["trade_gap"] == 1
    assert result.runs[["symbol", "start", "end", "length"]].values.tolist() == [
        ["SOLUSDT", T(start, tz="UTC"), T(end, tz="UTC"), 15]
    ]


def test_open_interest_gap_at_the_window_edges_and_off_cadence() -> None:
    frame = fetch("crypto_open_interest", HOUR)
    ts = frame["ts"]
    btc = frame["symbol"] == "BTCUSDT"
    head = btc & (ts < HOUR[0] + pd.Timedelta(seconds=10))  # the first two samples
    tail = btc & (ts >= HOUR[1] - pd.Timedelta(seconds=5))  # the last sample
    cut = frame[~(head | tail)].reset_index(drop=True)
    moved = cut["ts"].to_numpy(copy=True)
    moved[100] += np.timedelta64(1, "s")
    cut["ts"] = pd.to_datetime(moved, utc=True)
    result = check_continuity(cut, "crypto_open_interest", HOUR)
    assert result.counts == {"off_cadence": 1, "cadence_gap": 4}
    runs = result.runs.sort_values("start")[["symbol", "start", "end", "length"]]
    assert runs.values.tolist() == [
        ["BTCUSDT", HOUR[0], HOUR[0] + pd.Timedelta(seconds=10), 2],
        [
            "BTCUSDT",
            cut["ts"][100] - pd.Timedelta(seconds=1),
            cut["ts"][100] + pd.Timedelta(seconds=4),
            1,
        ],
        ["BTCUSDT", HOUR[1] - pd.Timedelta(seconds=5), HOUR[1], 1],
    ]


def tape(
    session: str, per_minute: int, empty: tuple[int, int] | None, symbol: str = "AAA"
) -> pd.DataFrame:
    """``per_minute`` evenly spaced trades every minute of a session, minutes ``[a, b)`` empty."""
    open_, close = session_bounds(session)
    minutes = (close.value - open_.value) // MINUTE_NS
    minute = np.repeat(np.arange(minutes), per_minute)
    if empty is not None:
        minute = minute[(minute < empty[0]) | (minute >= empty[1])]
    step = MINUTE_NS // per_minute
    offset = np.tile(np.arange(per_minute) * step, minutes)[: len(minute)]
    ts = open_.value + minute * MINUTE_NS + offset
    return pd.DataFrame(
        {
            "ts": pd.to_datetime(ts, utc=True),
            "symbol": pd.Categorical([symbol] * len(ts)),
            "price": 10.0,
            "size": 100,
        }
    )


def test_gap_run_length_boundary() -> None:
    # the shortest reported gap must have held GAP_EXPECTED_TRADES at the observed average rate
    window = day_window(DAY)
    open_, _ = session_bounds(DAY)
    for length in (5, 6):
        frame = tape(DAY, 6, (100, 100 + length))
        rate = len(frame) / 390
        need = int(min_gap_minutes(np.array([rate]))[0])
        assert need == max(GAP_MIN_MINUTES, int(np.ceil(GAP_EXPECTED_TRADES / rate))) == 6
        result = check_continuity(frame, "equity_ticks", window)
        assert result.counts["trade_gap"] == (1 if length >= need else 0)
    run = result.runs.iloc[0]
    assert run["start"] == open_ + pd.Timedelta(minutes=100)
    assert run["end"] == open_ + pd.Timedelta(minutes=106)
    assert run["length"] == 6
    assert min_gap_minutes(np.array([100.0, 3.0, 0.0])).tolist() == [5, 10, np.inf]


def test_gap_at_the_early_close_ends_at_the_close() -> None:
    window = day_window(EARLY_CLOSE)
    open_, close = session_bounds(EARLY_CLOSE)
    minutes = (close - open_) // pd.Timedelta(minutes=1)
    assert minutes == 210
    result = check_continuity(tape(EARLY_CLOSE, 6, (200, 210)), "equity_ticks", window)
    assert result.runs[["start", "end", "length"]].values.tolist() == [
        [close - pd.Timedelta(minutes=10), close, 10]
    ]


def test_illiquid_symbols_are_not_judged() -> None:
    window = day_window(DAY)
    thin = tape(DAY, 1, (100, 200))  # below LIQUID_TRADES_PER_MINUTE
    assert LIQUID_TRADES_PER_MINUTE > 1
    result = check_continuity(thin, "equity_ticks", window)
    assert result.passed
    assert result.metrics["liquid_symbol_grids"] == 0


def test_expected_symbol_without_rows() -> None:
    window = day_window(DAY)
    frame = tape(DAY, 3, None)
    result = check_continuity(frame, "equity_ticks", window, symbols=["AAA", "BBB"])
    assert result.counts["symbol_without_rows"] == 1
    assert result.failed == ("symbol_without_rows",)
    oi = fetch("crypto_open_interest", HOUR)
    oi = oi[oi["symbol"] != "SOLUSDT"].reset_index(drop=True)
    oi["symbol"] = oi["symbol"].cat.remove_unused_categories()
    missing = check_continuity(oi, "crypto_open_interest", HOUR, symbols=["SOLUSDT"])
    assert missing.counts["cadence_gap"] == 720
    assert missing.runs["symbol"].tolist() == ["SOLUSDT"]


def test_run_helpers() -> None:
    starts, lengths = true_runs(np.array([1, 1, 0, 1, 0, 0, 1, 1, 1], dtype=bool))
    assert starts.tolist() == [0, 3, 6] and lengths.tolist() == [2, 1, 3]
    mask = np.array([[0, 1, 1, 0], [1, 0, 0, 1]], dtype=bool)
    rows, first, length = true_runs_2d(mask)
    assert rows.tolist() == [0, 1, 1] and first.tolist() == [1, 0, 3]
    assert length.tolist() == [2, 1, 1]


def test_sparse_sources_have_no_grid() -> None:
    window = day_window(DAY)
    frame = fetch("darkpool_prints", window)
    result = check_continuity(frame, "darkpool_prints", window)
    assert result.passed and result.counts == {}


FIVE_MINUTES_NS = 300_000_000_000


def venue_series(window: tuple[pd.Timestamp, pd.Timestamp]) -> pd.DataFrame:
    """Open interest as a venue publishes it: one sample per symbol every 5 minutes."""
    frame = fetch("crypto_open_interest", window)
    on_period = frame["ts"].astype("int64") % FIVE_MINUTES_NS == 0
    return frame[on_period].reset_index(drop=True)


def test_a_five_minute_series_passes_on_its_cadence_and_a_half_hour_hole_fails() -> None:
    frame = venue_series(HOUR)
    symbols = frame["symbol"].cat.categories.tolist()
    assert len(frame) == 12 * len(symbols) == 36
    healthy = check_continuity(frame, "crypto_open_interest", HOUR, symbols, FIVE_MINUTES_NS)
    assert healthy.passed, (healthy.counts, healthy.runs)
    assert healthy.counts == {"off_cadence": 0, "cadence_gap": 0}
    assert healthy.metrics["cadence_coverage"] == 1.0
    assert healthy.metrics["cadence_seconds"] == 300.0
    # the same series judged on the simulated 5-second grid: 59 of 60 slots "missing" each hour
    assert check_continuity(frame, "crypto_open_interest", HOUR, symbols).counts[
        "cadence_gap"
    ] == 3 * (720 - 12)

    start, end = T("2025-11-25 15:20", tz="UTC"), T("2025-11-25 15:50", tz="UTC")
    hole = (frame["symbol"] == "ETHUSDT") & (frame["ts"] >= start) & (frame["ts"] < end)
    holed = frame[~hole].reset_index(drop=True)
    result = check_continuity(holed, "crypto_open_interest", HOUR, symbols, FIVE_MINUTES_NS)
    assert not result.passed
    assert result.failed == ("cadence_gap",)
    assert result.counts == {"off_cadence": 0, "cadence_gap": 6}
    assert result.runs[["symbol", "start", "end", "length"]].values.tolist() == [
        ["ETHUSDT", start, end, 6]
    ]
    assert result.metrics["cadence_coverage"] == pytest.approx(1 - 6 / 36)


def test_a_sample_off_the_venue_grid_is_off_cadence() -> None:
    frame = venue_series(HOUR)
    moved = frame["ts"].to_numpy(copy=True)
    moved[3] += np.timedelta64(150, "s")  # half a period late: off the grid, its slot empty
    frame["ts"] = pd.to_datetime(moved, utc=True)
    result = check_continuity(frame, "crypto_open_interest", HOUR, cadence_ns=FIVE_MINUTES_NS)
    assert result.counts == {"off_cadence": 1, "cadence_gap": 1}
    assert result.failed == ("off_cadence", "cadence_gap")


def test_a_cadence_longer_than_the_window_expects_samples_only_where_they_fall_due() -> None:
    four_hours = 4 * 3_600_000_000_000
    due = (T("2025-11-25 16:00", tz="UTC"), T("2025-11-25 17:00", tz="UTC"))  # 16:00 % 4h == 0
    assert due[0].value % four_hours == 0 and HOUR[0].value % four_hours != 0
    empty = venue_series(HOUR).iloc[:0]
    quiet = check_continuity(empty, "crypto_open_interest", HOUR, ["BTCUSDT"], four_hours)
    assert quiet.passed and quiet.metrics["cadence_slots"] == 0
    missing = check_continuity(empty, "crypto_open_interest", due, ["BTCUSDT"], four_hours)
    assert not missing.passed
    assert missing.counts["cadence_gap"] == 1 and missing.counts["symbol_without_rows"] == 1
