"""Tier 4 (statistical quality): clean data passes; spikes, stale runs, crossed quotes, volume
spikes and duplicate prints are counted exactly; the robust thresholds behave at their edges."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.providers.simulated.config import Fault
from vvv_pipeline.validation import check_quality
from vvv_pipeline.validation.quality import (
    JUMP_FLOOR,
    JUMP_K,
    MAD_TO_SD,
    STALE_MIN_RUN,
    robust_jumps,
    spike_rows,
    stale_runs,
)
from vvv_pipeline.validation.results import SAMPLE_LIMIT, segments
from vvv_pipeline.validation.rule_table import CROSSED_MAX_RATE
from vvv_pipeline_tests.validation.test_alignment import (
    DAY,
    HOUR,
    clean_partitions,
    day_window,
    fetch,
)

PRICE = {"crypto_open_interest": "mark_price"}


def window(source: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    return HOUR if source.startswith("crypto") else day_window(DAY)


def changed_rows(source: str, fault: Fault, column: str) -> np.ndarray:
    frame = fetch(source, window(source), fault)
    clean = fetch(source, window(source))
    return np.flatnonzero(frame[column].to_numpy() != clean[column].to_numpy())


def test_clean_partitions_pass_tier4() -> None:
    for source, part_window, frame in clean_partitions():
        result = check_quality(frame, source)
        assert result.passed, (source, part_window, result.counts, result.metrics)
        assert all(v == 0 for v in result.counts.values())
        assert result.samples.empty


@pytest.mark.parametrize("source", ["equity_ticks", "crypto_trades", "crypto_open_interest"])
def test_price_spike_is_two_jumps(source: str) -> None:
    symbol = "AAPL" if source == "equity_ticks" else "ETHUSDT"
    fault = Fault("price_spike", source, symbol=symbol, count=3)
    frame = fetch(source, window(source), fault)
    spiked = changed_rows(source, fault, PRICE.get(source, "price"))
    assert len(spiked) == 3
    result = check_quality(frame, source)
    assert result.counts["price_spike"] == 3
    assert result.counts["price_jump"] == 6
    assert "price_spike" in result.failed and "price_jump" in result.failed
    samples = result.samples
    assert sorted(samples.index[samples["kind"] == "price_spike"]) == spiked.tolist()
    jumps = sorted(samples.index[samples["kind"] == "price_jump"])
    assert jumps == sorted([*spiked, *(spiked + 1)])
    if source == "equity_ticks":
        assert result.counts["price_outside_quote"] == 3
    if source == "crypto_open_interest":
        assert result.counts["open_interest_jump"] == 0


def test_darkpool_spike_deviates_from_the_nbbo() -> None:
    fault = Fault("price_spike", "darkpool_prints", symbol="TSLA", count=4)
    frame = fetch("darkpool_prints", window("darkpool_prints"), fault)
    spiked = changed_rows("darkpool_prints", fault, "price")
    result = check_quality(frame, "darkpool_prints")
    assert result.counts["nbbo_deviation"] == 4
    assert result.failed == ("nbbo_deviation",)
    assert sorted(result.samples.index) == spiked.tolist()


@pytest.mark.parametrize(
    ("source", "symbol", "column", "count"),
    [
        ("equity_ticks", "NVDA", "price", 25),
        ("crypto_trades", "BTCUSDT", "price", 30),
        ("crypto_open_interest", "SOLUSDT", "mark_price", 15),
    ],
)
def test_stale_run_is_one_run(source: str, symbol: str, column: str, count: int) -> None:
    fault = Fault("stale_run", source, symbol=symbol, count=count)
    frame = fetch(source, window(source), fault)
    frozen = changed_rows(source, fault, column)  # the run minus its (unchanged) first row
    first, last = frozen.min() - 1, frozen.max()
    assert last - first + 1 <= count
    result = check_quality(frame, source)
    assert result.counts["stale_price"] == 1
    assert result.failed == ("stale_price",)
    assert result.metrics["stale_min_run"] <= count
    run = result.runs.iloc[0]
    assert run["symbol"] == symbol
    assert run["length"] == count
    assert run["start"] <= frame["ts"][first] and run["end"] >= frame["ts"][last]
    at_start = (frame["ts"] == run["start"]) & (frame["symbol"] == symbol)
    assert list(result.samples.index) == [first] == np.flatnonzero(at_start).tolist()


def test_stale_run_shorter_than_the_threshold_passes() -> None:
    fault = Fault("stale_run", "crypto_open_interest", symbol="SOLUSDT", count=STALE_MIN_RUN - 2)
    frame = fetch("crypto_open_interest", HOUR, fault)
    assert check_quality(frame, "crypto_open_interest").passed


@pytest.mark.parametrize("source", ["equity_ticks", "darkpool_prints"])
def test_crossed_quotes_raise_the_crossed_rate(source: str) -> None:
    one = fetch(source, window(source), Fault("crossed_quote", source, symbol="AAPL", count=5))
    every = fetch(source, window(source), Fault("crossed_quote", source, count=5))
    single = check_quality(one, source)
    assert single.counts["crossed_quote"] == 5
    assert single.metrics["crossed_rate"] == pytest.approx(5 / len(one))
    many = check_quality(every, source)
    assert many.counts["crossed_quote"] == 50
    assert many.metrics["crossed_rate"] == pytest.approx(50 / len(every))
    assert many.metrics["crossed_rate"] > CROSSED_MAX_RATE
    assert "crossed_quote" in many.failed
    if source == "equity_ticks":
        # 5 rows in 20,000 is a rate under the threshold: counted, not failed
        assert single.passed and many.failed == ("crossed_quote",)
        assert many.counts["price_outside_quote"] == 0  # a swapped quote is not a trade-through
    assert len(many.samples) <= SAMPLE_LIMIT


def test_locked_quotes_and_duplicates_hand_made() -> None:
    frame = fetch("equity_ticks", window("equity_ticks")).copy()
    ask = frame["ask"].to_numpy(copy=True)
    bid = frame["bid"].to_numpy()
    price = frame["price"].to_numpy(copy=True)
    rows = np.arange(1000, 1000 + 300)  # 1.5 % of rows locked
    ask[rows] = bid[rows]
    price[rows] = bid[rows]
    frame["ask"], frame["price"] = ask, price
    for name in ("ts", "price", "size"):  # rows 50 and 51 become one print twice
        values = frame[name].to_numpy(copy=True)
        values[51] = values[50]
        frame[name] = pd.Series(values, dtype=frame[name].dtype)
    result = check_quality(frame, "equity_ticks")
    assert result.counts["locked_quote"] == 300
    assert result.metrics["locked_rate"] == pytest.approx(300 / len(frame))
    assert result.counts["duplicate_print"] == 1
    assert set(result.failed) == {"locked_quote", "duplicate_print"}
    assert list(result.samples.index[result.samples["kind"] == "duplicate_print"]) == [51]


def test_volume_spike_hand_made() -> None:
    frame = fetch("crypto_trades", HOUR).copy()
    size = frame["size"].to_numpy(copy=True)
    row = int(np.flatnonzero(frame["symbol"] == "ETHUSDT")[200])
    size[row] *= 1e6  # a unit error on one trade (base units read as micro-units)
    frame["size"] = size
    result = check_quality(frame, "crypto_trades")
    assert result.counts["volume_spike"] == 1
    assert result.failed == ("volume_spike",)
    minute = frame["ts"][row].floor("min")
    sample = result.samples.iloc[0]
    assert sample["symbol"] == "ETHUSDT" and sample["ts"].floor("min") == minute


def test_robust_jump_threshold_edges() -> None:
    # returns alternate +/-0.001 (MAD 0.001): threshold max(K * 1.4826 * 0.001, floor)
    steps = np.tile([0.001, -0.001], 50)
    threshold = max(JUMP_K * MAD_TO_SD * 0.001, JUMP_FLOOR)
    for size, jumps in ((threshold * 0.99, 0), (threshold * 1.01, 1)):
        r = steps.copy()
        r[40] = size  # median stays 0 and MAD 0.001
        values = 100 * np.exp(np.concatenate(([0.0], np.cumsum(r))))
        starts, stops = segments(np.zeros(len(values), dtype=np.int64))
        mask, _ = robust_jumps(values, starts, stops, JUMP_K, JUMP_FLOOR)
        assert int(mask.sum()) == jumps
        if jumps:
            assert np.flatnonzero(mask).tolist() == [41]  # the row the jump lands on


def test_jump_floor_when_mad_is_zero_and_spikes() -> None:
    values = np.full(50, 10.0)
    values[20] = 10.4  # +3.9 %: under the 5 % floor although MAD is 0
    values[30] = 11.0  # +9.5 % then back: one spike
    codes = np.zeros(50, dtype=np.int64)
    starts, stops = segments(codes)
    mask, ret = robust_jumps(values, starts, stops, JUMP_K, JUMP_FLOOR)
    assert np.flatnonzero(mask).tolist() == [30, 31]
    assert spike_rows(mask, ret).tolist() == [30]
    # jumps never cross a symbol boundary
    two = np.concatenate((np.full(20, 10.0), np.full(20, 50.0)))
    codes = np.repeat([0, 1], 20)
    starts, stops = segments(codes)
    assert not robust_jumps(two, starts, stops, JUMP_K, JUMP_FLOOR)[0].any()


def test_stale_runs_adapt_to_the_repeat_rate() -> None:
    rng = np.random.default_rng(7)
    moving = np.cumsum(rng.choice([-1.0, 1.0], 1000)) + 1000.0  # never repeats: p = 0
    moving[100:112] = moving[100]  # 12 identical rows
    codes = np.zeros(len(moving), dtype=np.int64)
    starts, stops = segments(codes)
    first, length, need = stale_runs([moving], codes, starts, stops)
    assert first.tolist() == [100] and length.tolist() == [12]
    assert need.tolist() == [STALE_MIN_RUN]
    # a price that repeats half the time needs a much longer run to look stale
    sticky = np.cumsum(rng.choice([0.0, 1.0], 1000))
    first, _, need = stale_runs([sticky], codes, starts, stops)
    assert need[0] > 15 and len(first) == 0
    # a symbol that never moves is not judged
    flat = np.full(100, 5.0)
    c = np.zeros(100, dtype=np.int64)
    assert len(stale_runs([flat], c, *segments(c))[0]) == 0


def test_unsorted_frame_gives_the_same_answer() -> None:
    fault = Fault("price_spike", "crypto_trades", symbol="BTCUSDT", count=2)
    frame = fetch("crypto_trades", HOUR, fault)
    shuffled = frame.sample(frac=1.0, random_state=3)
    a, b = check_quality(frame, "crypto_trades"), check_quality(shuffled, "crypto_trades")
    assert a.counts == b.counts
    assert sorted(a.samples.index) == sorted(b.samples.index)


def test_other_sources_pass_without_kinds() -> None:
    frame = fetch("options_flow", day_window(DAY))
    result = check_quality(frame, "options_flow")
    assert result.passed and result.counts == {}
    assert result.markdown() == "_no failing rows_"
    spiked = fetch("darkpool_prints", day_window(DAY), Fault("price_spike", "darkpool_prints"))
    table = check_quality(spiked, "darkpool_prints").markdown()
    assert table.splitlines()[0].startswith("| kind | ts | symbol |")


@pytest.mark.parametrize("source", ["equity_ticks", "crypto_trades", "crypto_open_interest"])
def test_empty_and_nan_frames(source: str) -> None:
    from vvv_pipeline.schemas import SOURCE_SCHEMAS
    from vvv_pipeline.validation import check_alignment, check_continuity

    empty = SOURCE_SCHEMAS[source].empty()
    assert check_alignment(empty, source, window(source)).passed
    assert check_continuity(empty, source, window(source)).passed
    assert check_quality(empty, source).passed
    frame = fetch(source, window(source)).copy()
    column = PRICE.get(source, "price")
    values = frame[column].to_numpy(copy=True)
    values[[10, 11]] = [np.nan, -1.0]  # tier 1's business: no jump, no crash
    frame[column] = values
    result = check_quality(frame, source)
    assert result.counts["price_jump"] == 0
