"""Tier-1 checks: clean simulated data passes, tier-1 faults are caught exactly, rule by rule."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.providers.simulated.config import Fault, SimulationConfig
from vvv_pipeline.providers.simulated.market import SimulatedMarket
from vvv_pipeline.schemas import EQUITY_TICKS, OPTIONS_FLOW, SOURCE_SCHEMAS, conform
from vvv_pipeline.universe import load_universe
from vvv_pipeline.validation import check_tier1
from vvv_pipeline.validation.masks import duplicate_mask

SESSION_START = pd.Timestamp("2025-11-24 05:00", tz="UTC")  # New York midnight (EST)
DAY = (SESSION_START, SESSION_START + pd.Timedelta(days=1))
HOUR_START = pd.Timestamp("2025-11-25 15:00", tz="UTC")
HOUR = (HOUR_START, HOUR_START + pd.Timedelta(hours=1))
CRYPTO = ("crypto_trades", "crypto_open_interest")
COUNT = 3

FAULT_RULE = {
    "nan_price": "{price}_positive",
    "negative_price": "{price}_positive",
    "zero_size": "size_positive",
    "crossed_quote": "quote_ordered",
    "duplicate_id": "{id}_unique",
    "out_of_window": "ts_in_window",
    "unknown_symbol": "symbol_in_universe",
    "bad_occ_symbol": "occ_symbol_format",
}
PRICE = {"crypto_open_interest": "mark_price", "daily_ohlcv": "close"}
ID = {"darkpool_prints": "print_id", "options_flow": "alert_id"}
PRICED = ("equity_ticks", "crypto_trades", "crypto_open_interest", "darkpool_prints")
APPLICABLE = {
    "nan_price": (*PRICED, "options_flow", "daily_ohlcv"),
    "zero_size": ("equity_ticks", "crypto_trades", "darkpool_prints", "options_flow"),
    "crossed_quote": ("equity_ticks", "darkpool_prints"),
    "duplicate_id": ("equity_ticks", "crypto_trades", "darkpool_prints", "options_flow"),
    "bad_occ_symbol": ("options_flow",),
}
APPLICABLE["negative_price"] = APPLICABLE["nan_price"]
ALL = tuple(SOURCE_SCHEMAS)
for kind in ("out_of_window", "unknown_symbol", "naive_timezone"):
    APPLICABLE[kind] = ALL
CASES = [(kind, source) for kind, sources in APPLICABLE.items() for source in sources]


def window(source: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    return HOUR if source in CRYPTO else DAY


@cache
def market(*faults: Fault) -> SimulatedMarket:
    config = SimulationConfig(ticks_per_session=500, crypto_trades_per_hour=100, faults=faults)
    return SimulatedMarket(config, load_universe())


def fetch(source: str, *faults: Fault) -> pd.DataFrame:
    m = market(*faults)
    return m.fetch(source, *window(source), m.known_symbols(source))


def symbols(source: str) -> tuple[str, ...]:
    return market().known_symbols(source)


@pytest.mark.parametrize("source", ALL)
def test_clean_simulated_data_passes(source: str) -> None:
    frame = fetch(source)
    assert len(frame) > 0
    report = check_tier1(frame, source, window(source), symbols(source))
    assert report.frame_errors == []
    assert report.failures == {}
    assert report.passed
    assert not report.bad_rows().any()


@pytest.mark.parametrize(("kind", "source"), CASES)
def test_fault_is_caught_exactly(kind: str, source: str) -> None:
    target = symbols(source)[0]
    frame = fetch(source, Fault(kind, source, symbol=target, count=COUNT))
    report = check_tier1(frame, source, window(source), symbols(source))
    assert not report.passed
    if kind == "naive_timezone":
        assert report.failures == {}
        assert len(report.frame_errors) == 1
        assert "tz-naive" in report.frame_errors[0]
        assert "ts_in_window was not evaluated" in report.frame_errors[0]
        return
    assert report.frame_errors == []
    rule = FAULT_RULE[kind].format(price=PRICE.get(source, "price"), id=ID.get(source, "trade_id"))
    rows_of_target = int((fetch(source)["symbol"] == target).sum())
    expected = min(COUNT, rows_of_target)
    assert report.counts()[rule] == expected
    bad = report.bad_rows()
    assert int(bad.sum()) == expected, report.counts()
    assert np.array_equal(bad, report.failures[rule])
    flagged = frame.loc[bad, "symbol"].astype(str)
    assert set(flagged) == {"ZZZZ" if kind == "unknown_symbol" else target}
    clean = fetch(source)
    if len(clean) == len(frame) and kind not in ("out_of_window", "unknown_symbol"):
        # same row order: the flagged rows are exactly the rows the fault changed
        changed = np.zeros(len(frame), dtype=bool)
        for column in frame.columns:
            a, b = frame[column].astype(object), clean[column].astype(object)
            changed |= ~((a == b) | (a.isna() & b.isna())).to_numpy()
        assert np.array_equal(changed, bad)
    good = frame.loc[~bad].reset_index(drop=True)
    assert check_tier1(good, source, window(source), symbols(source)).passed


def test_report_helpers() -> None:
    frame = fetch("equity_ticks", Fault("zero_size", "equity_ticks", symbol="AAPL", count=4))
    report = check_tier1(frame, "equity_ticks", DAY, symbols("equity_ticks"))
    assert report.counts() == {"size_positive": 4}
    sample = report.sample(frame, limit=2)
    assert list(sample["failed_rule"]) == ["size_positive"] * 2
    assert (sample["size"] == 0).all()
    clean = check_tier1(fetch("equity_ticks"), "equity_ticks", DAY, symbols("equity_ticks"))
    assert len(clean.sample(frame)) == 0 and "failed_rule" in clean.sample(frame).columns


# ---------------------------------------------------------------- hand-made frames, per rule


def ticks(n: int = 6) -> pd.DataFrame:
    ts = SESSION_START + pd.Timedelta(hours=10) + pd.to_timedelta(np.arange(n), unit="s")
    raw = pd.DataFrame(
        {
            "ts": ts,
            "symbol": ["AAPL"] * (n // 2) + ["MSFT"] * (n - n // 2),
            "price": 100.0,
            "size": 10,
            "bid": 99.99,
            "ask": 100.01,
            "trade_id": np.arange(n) % (n // 2) + 1,  # restarts per symbol: still unique
            "exchange": "Q",
            "condition": "@",
            "aggressor": np.int8(1),
            "extended_hours": False,
        }
    )
    return conform(raw, EQUITY_TICKS)


def run(frame: pd.DataFrame, source: str = "equity_ticks") -> dict[str, list[int]]:
    report = check_tier1(frame, source, DAY, ("AAPL", "MSFT"))
    return {rule: np.flatnonzero(mask).tolist() for rule, mask in report.failures.items()}


def test_handmade_clean_passes() -> None:
    assert run(ticks()) == {}


@pytest.mark.parametrize(
    ("column", "row", "value", "rule"),
    [
        ("price", 1, np.nan, "price_positive"),
        ("price", 1, np.inf, "price_positive"),
        ("price", 1, 0.0, "price_positive"),
        ("price", 1, -5.0, "price_positive"),
        ("size", 2, 0, "size_positive"),
        ("size", 2, -1, "size_positive"),
        ("bid", 3, 100.02, "quote_ordered"),
        ("bid", 3, -0.01, "quote_ordered"),
        ("ask", 3, np.inf, "quote_ordered"),
        ("trade_id", 4, 1, "trade_id_unique"),
        ("aggressor", 0, 2, "aggressor_known"),
        ("ts", 5, DAY[1], "ts_in_window"),
        ("ts", 5, DAY[0] - pd.Timedelta(1, "ns"), "ts_in_window"),
        ("ts", 5, pd.NaT, "ts_not_null"),
    ],
)
def test_handmade_rule(column: str, row: int, value: object, rule: str) -> None:
    frame = ticks()
    data = frame[column].to_numpy(copy=True) if column != "ts" else frame[column].copy()
    data[row] = value
    frame[column] = data
    assert run(frame) == {rule: [row]}


def test_missing_quotes_are_allowed_and_window_start_is_inclusive() -> None:
    frame = ticks()
    frame.loc[0, ["bid", "ask"]] = np.nan
    frame.loc[1, "ts"] = DAY[0]
    assert run(frame) == {}


def test_categorical_rules() -> None:
    frame = ticks()
    frame["exchange"] = frame["exchange"].cat.add_categories(["?"])
    frame.loc[2, "exchange"] = "?"
    frame["condition"] = frame["condition"].cat.add_categories(["!"])
    frame.loc[1, "condition"] = np.nan
    frame["symbol"] = frame["symbol"].cat.add_categories(["ZZZZ"])
    frame.loc[4, "symbol"] = "ZZZZ"
    frame.loc[5, "symbol"] = np.nan
    assert run(frame) == {
        "exchange_known": [2],
        "condition_not_null": [1],
        "symbol_in_universe": [4],
        "symbol_not_null": [5],
    }


def test_frame_errors() -> None:
    naive = ticks()
    naive["ts"] = naive["ts"].dt.tz_localize(None)
    report = check_tier1(naive, "equity_ticks", DAY, ("AAPL", "MSFT"))
    assert not report.passed and report.failures == {}
    assert "tz-naive" in report.frame_errors[0]
    missing = ticks().drop(columns=["bid"])
    report = check_tier1(missing, "equity_ticks", DAY, ("AAPL", "MSFT"))
    assert report.frame_errors == [
        "equity_ticks: missing column 'bid'; its rules were not evaluated"
    ]
    wrong = ticks()
    wrong["size"] = wrong["size"].astype("float64")
    wrong.loc[0, "size"] = -1.0
    report = check_tier1(wrong, "equity_ticks", DAY, ("AAPL", "MSFT"))
    assert "'size' has dtype float64" in report.frame_errors[0]
    assert report.failures == {}  # the rule on a mistyped column is not evaluated
    tokyo = ticks()
    tokyo["ts"] = tokyo["ts"].dt.tz_convert("Asia/Tokyo")
    tokyo.loc[0, "ts"] = DAY[1]
    report = check_tier1(tokyo, "equity_ticks", DAY, ("AAPL", "MSFT"))
    assert "expected datetime64[ns, UTC]" in report.frame_errors[0]
    assert report.counts() == {"ts_in_window": 1}
    with pytest.raises(ValueError, match="unknown source"):
        check_tier1(ticks(), "nope", DAY, ())
    with pytest.raises(ValueError, match="tz-naive"):
        check_tier1(ticks(), "equity_ticks", (pd.Timestamp("2025-11-24"), DAY[1]), ())


def test_duplicate_mask_fast_and_fallback_paths() -> None:
    codes = np.array([0, 0, 0, 1, 1, 1], dtype=np.int8)
    assert not duplicate_mask(codes, np.array([1, 2, 3, 1, 2, 3])).any()
    # not increasing but unique: the fallback finds nothing
    assert not duplicate_mask(codes, np.array([3, 1, 2, 1, 3, 2])).any()
    # duplicates: only the later occurrences are flagged, per symbol
    got = duplicate_mask(codes, np.array([5, 1, 5, 1, 1, 2]))
    assert got.tolist() == [False, False, True, False, True, False]
    # interleaved symbol runs: the same id in two runs of one symbol is a duplicate
    got = duplicate_mask(np.array([0, 1, 0]), np.array([1, 2, 1]))
    assert got.tolist() == [False, False, True]


def options_rows() -> pd.DataFrame:
    return conform(fetch("options_flow").iloc[:4], OPTIONS_FLOW)


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"option_symbol": "AAPL251219X00345000"}, "occ_symbol_format"),
        ({"option_symbol": "aapl251219c00345000"}, "occ_symbol_format"),
        ({"option_symbol": "AAPL251219C0034500"}, "occ_symbol_format"),
        ({"option_symbol": None}, "option_symbol_not_null"),
        ({"strike": 123.5}, "occ_symbol_consistent"),
        ({"expiry": pd.Timestamp("2025-12-26")}, "occ_symbol_consistent"),
        ({"option_type": "put"}, "occ_symbol_consistent"),
        ({"option_symbol": "MSFT251219C00345000"}, "occ_symbol_consistent"),
        ({"rule": "Made-up"}, "rule_known"),
        ({"open_interest": -1}, "open_interest_non_negative"),
    ],
)
def test_options_rules(changes: dict[str, object], rule: str) -> None:
    frame = options_rows()
    frame.loc[1, "option_symbol"] = "AAPL251219C00345000"
    frame.loc[1, ["strike", "expiry", "option_type"]] = [345.0, pd.Timestamp("2025-12-19"), "call"]
    frame.loc[1, "symbol"] = "AAPL"
    if "rule" in changes:
        frame["rule"] = frame["rule"].cat.add_categories([changes["rule"]])
    for column, value in changes.items():
        frame.loc[1, column] = value
    report = check_tier1(frame, "options_flow", DAY, symbols("options_flow"))
    assert {r: np.flatnonzero(m).tolist() for r, m in report.failures.items()} == {rule: [1]}


def test_daily_and_news_and_economic_ranges() -> None:
    daily = fetch("daily_ohlcv")
    daily.loc[0, "high"] = daily.loc[0, "low"] * 0.5
    daily.loc[1, "volume"] = -1.0
    report = check_tier1(daily, "daily_ohlcv", DAY, symbols("daily_ohlcv"))
    assert report.counts() == {"ohlc_consistent": 1, "volume_non_negative": 1}
    news = fetch("news_headlines")
    news.loc[0, "sentiment_score"] = 1.5
    report = check_tier1(news, "news_headlines", DAY, symbols("news_headlines"))
    assert report.counts() == {"sentiment_score_range": 1}
    econ = fetch("economic_series")
    econ.loc[0, "value"] = np.nan  # FRED '.' is allowed
    assert check_tier1(econ, "economic_series", DAY, symbols("economic_series")).passed
    econ.loc[1, "value"] = np.inf
    report = check_tier1(econ, "economic_series", DAY, symbols("economic_series"))
    assert report.counts() == {"value_finite": 1}


@pytest.mark.parametrize("seed", range(5))
def test_duplicate_mask_matches_pandas_keep_first(seed: int) -> None:
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 3, 2000).astype(np.int8)
    ids = rng.integers(0, 300, 2000)
    expected = pd.DataFrame({"s": codes, "id": ids}).duplicated(keep="first").to_numpy()
    assert np.array_equal(duplicate_mask(codes, ids), expected)
    text = ids.astype(str).astype(object)
    assert np.array_equal(duplicate_mask(codes, text), expected)
