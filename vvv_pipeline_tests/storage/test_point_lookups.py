"""latest_tick and search_ticks on hand-written ticks (exact rows expected) and, for the
pushed-down filters, against the same filter applied in pandas to a full read."""

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.read import latest_tick, search_ticks
from vvv_pipeline.schemas import CRYPTO_TRADES, EQUITY_TICKS, conform
from vvv_pipeline.storage.arctic import ArcticStore
from vvv_pipeline.storage.point_lookups import NoTicksStored

DAY1, DAY2 = "2025-11-24", "2025-11-25"


def _equity(symbol: str, rows: list[tuple]) -> pd.DataFrame:
    """Rows of (UTC time, price, size, bid, exchange); the other columns are filler."""
    ts, price, size, bid, exchange = zip(*rows, strict=True)
    n = len(rows)
    frame = pd.DataFrame(
        {
            "ts": pd.to_datetime(list(ts), utc=True),
            "symbol": [symbol] * n,
            "price": price,
            "size": size,
            "bid": bid,
            "ask": [p + 0.01 for p in price],
            "trade_id": range(n),
            # categories are the values present, so codes differ between the two days
            "exchange": pd.Categorical(exchange),
            "condition": ["@"] * n,
            "aggressor": np.ones(n, dtype="int8"),
            "extended_hours": [False] * n,
        }
    )
    return conform(frame, EQUITY_TICKS)


@pytest.fixture
def uri(tmp_path) -> str:
    uri = f"lmdb://{tmp_path / 'arctic'}"
    store = ArcticStore(uri)
    day1 = [
        (f"{DAY1} 14:30", 100.0, 100, 99.9, "N"),
        (f"{DAY1} 15:00", 101.5, 500, np.nan, "Q"),
        (f"{DAY1} 16:00", 99.0, 1000, 98.9, "N"),
        (f"{DAY1} 20:59", 102.0, 50, 101.9, "P"),
    ]
    day2 = [
        (f"{DAY2} 14:30", 103.0, 600, 102.9, "Q"),
        (f"{DAY2} 15:30", 98.0, 200, 97.9, "Q"),
        (f"{DAY2} 18:00", 104.0, 700, 103.9, "Z"),
        (f"{DAY2} 20:00", 97.0, 1000, 96.9, "N"),
    ]
    other = [(f"{DAY1} 21:00", 500.0, 5, 499.9, "N")]  # later than all of AAPL's day 1
    store.write_partition(
        "equity", DAY1, {"AAPL": _equity("AAPL", day1), "MSFT": _equity("MSFT", other)}
    )
    store.write_partition("equity", DAY2, {"AAPL": _equity("AAPL", day2)})
    return uri


def _times(frame: pd.DataFrame) -> list[str]:
    return [t.strftime("%m-%d %H:%M") for t in frame["ts"]]


def test_latest_tick_without_as_of_is_the_newest_stored_tick(uri):
    row = latest_tick("AAPL", uri=uri)
    assert _times(row) == ["11-25 20:00"] and row["price"].tolist() == [97.0]
    assert list(row.columns) == EQUITY_TICKS.names and str(row["symbol"][0]) == "AAPL"


def test_latest_tick_as_of_is_inclusive_and_walks_back_a_partition(uri):
    assert _times(latest_tick("AAPL", as_of=f"{DAY2} 15:30Z", uri=uri)) == ["11-25 15:30"]
    assert _times(latest_tick("AAPL", as_of=f"{DAY2} 15:29:59Z", uri=uri)) == ["11-25 14:30"]
    # before day 2's first tick: day 1's last one
    assert _times(latest_tick("AAPL", as_of=f"{DAY2} 10:00Z", uri=uri)) == ["11-24 20:59"]
    # New York time is converted: 10:15 EST is 15:15 UTC
    ny = pd.Timestamp(f"{DAY1} 10:15", tz="America/New_York")
    assert _times(latest_tick("AAPL", as_of=ny, uri=uri)) == ["11-24 15:00"]


def test_latest_tick_reads_naive_as_of_as_utc(uri):
    assert _times(latest_tick("AAPL", as_of=f"{DAY1} 15:30", uri=uri)) == ["11-24 15:00"]


def test_latest_tick_before_any_stored_tick_is_none(uri):
    assert latest_tick("AAPL", as_of=f"{DAY1} 14:29:59Z", uri=uri) is None
    assert latest_tick("AAPL", as_of="2020-01-01", uri=uri) is None


def test_unknown_symbol_and_source_are_named(uri):
    with pytest.raises(NoTicksStored, match="'ZZZZ'"):
        latest_tick("ZZZZ", uri=uri)
    with pytest.raises(NoTicksStored, match="'ZZZZ'"):
        search_ticks("ZZZZ", DAY1, DAY2, uri=uri)
    with pytest.raises(ValueError, match="'options_flow'"):
        latest_tick("AAPL", source="options_flow", uri=uri)


def test_search_ticks_numeric_filter_gives_the_hand_computed_rows(uri):
    got = search_ticks(
        "AAPL", DAY1, "2025-11-26", where={"price": (">", 100), "size": (">=", 500)}, uri=uri
    )
    assert _times(got) == ["11-24 15:00", "11-25 14:30", "11-25 18:00"]
    assert got["price"].tolist() == [101.5, 103.0, 104.0]
    assert list(got.columns) == EQUITY_TICKS.names


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (("==", "Q"), ["11-24 15:00", "11-25 14:30", "11-25 15:30"]),
        (("in", ["P", "Z"]), ["11-24 20:59", "11-25 18:00"]),
        (("!=", "N"), ["11-24 15:00", "11-24 20:59", "11-25 14:30", "11-25 15:30", "11-25 18:00"]),
        (("not in", ["N", "Q"]), ["11-24 20:59", "11-25 18:00"]),
        (("==", "X"), []),  # a venue never stored: no partition is read at all
    ],
)
def test_category_filters_use_each_partitions_codes(uri, condition, expected):
    got = search_ticks("AAPL", DAY1, "2025-11-26", where={"exchange": condition}, uri=uri)
    assert _times(got) == expected
    assert list(got.columns) == EQUITY_TICKS.names


def test_window_is_half_open(uri):
    got = search_ticks("AAPL", f"{DAY1} 16:00Z", f"{DAY2} 15:30Z", uri=uri)
    assert _times(got) == ["11-24 16:00", "11-24 20:59", "11-25 14:30"]


def test_nan_compares_as_in_pandas(uri):
    unequal = search_ticks("AAPL", DAY1, DAY2, where={"bid": ("!=", 99.9)}, uri=uri)
    assert _times(unequal) == ["11-24 15:00", "11-24 16:00", "11-24 20:59"]  # NaN is unequal
    above = search_ticks("AAPL", DAY1, DAY2, where={"bid": (">", 0)}, uri=uri)
    assert _times(above) == ["11-24 14:30", "11-24 16:00", "11-24 20:59"]  # NaN fails


def test_columns_limit_the_read_and_may_differ_from_the_filtered_ones(uri):
    got = search_ticks("AAPL", DAY1, DAY2, where={"size": (">=", 500)}, columns=["price"], uri=uri)
    assert list(got.columns) == ["ts", "symbol", "price"]
    assert got["price"].tolist() == [101.5, 99.0]


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ({"prize": (">", 1)}, "'prize'"),
        ({"ts": (">", 1)}, "'ts'"),
        ({"exchange": ("<", "N")}, "'<'"),
        ({"price": ("~", 1)}, "'~'"),
        ({"exchange": ("in", "NQ")}, "takes a list"),
        ({"price": 100}, "pair"),
    ],
)
def test_bad_filters_name_what_is_wrong(uri, where, message):
    with pytest.raises(ValueError, match=message):
        search_ticks("AAPL", DAY1, DAY2, where=where, uri=uri)


@pytest.fixture
def simulated(tmp_path) -> tuple[str, pd.DataFrame]:
    """Three simulated sessions of AAPL, and their full read."""
    from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig

    uri = f"lmdb://{tmp_path / 'sim'}"
    store = ArcticStore(uri)
    market = SimulatedMarket(SimulationConfig(ticks_per_session=3000))
    sessions = ["2025-11-24", "2025-11-25", "2025-11-26"]
    for day in sessions:
        start = pd.Timestamp(day, tz="America/New_York").tz_convert("UTC")
        frame = market.fetch("equity_ticks", start, start + pd.Timedelta(days=1), ["AAPL"])
        store.write_partition("equity", day, {"AAPL": frame})
    full = store.read_partitions("equity", ["AAPL"], sessions, EQUITY_TICKS)
    return uri, full


@pytest.mark.parametrize(
    ("where", "mask"),
    [
        ({"size": (">=", 500)}, lambda f: f["size"] >= 500),
        (
            {"price": ("<", 0), "size": ("==", 100)},
            lambda f: (f["price"] < 0) & (f["size"] == 100),
        ),
        (
            {"aggressor": ("==", -1), "exchange": ("in", ["N", "Q"]), "condition": ("!=", "@")},
            lambda f: (
                (f["aggressor"] == -1) & f["exchange"].isin(["N", "Q"]) & (f["condition"] != "@")
            ),
        ),
        (
            {"trade_id": ("not in", [0, 1, 2]), "extended_hours": ("==", False)},
            lambda f: ~f["trade_id"].isin([0, 1, 2]) & ~f["extended_hours"],
        ),
    ],
)
def test_search_equals_pandas_filter_of_a_full_read(simulated, where, mask):
    uri, full = simulated
    lo, hi = pd.Timestamp("2025-11-24 18:00Z"), pd.Timestamp("2025-11-26 16:00Z")
    window = full[(full["ts"] >= lo) & (full["ts"] < hi)]
    expected = window[mask(window)].reset_index(drop=True)
    got = search_ticks("AAPL", lo, hi, where=where, uri=uri)
    if "price" in where:  # nothing matches: an empty canonical frame (no categories)
        assert expected.empty and got.empty and list(got.columns) == EQUITY_TICKS.names
        return
    assert len(expected) > 0  # the filters are not vacuous
    pd.testing.assert_frame_equal(got, expected)


def test_search_with_a_median_price_filter_equals_pandas(simulated):
    uri, full = simulated
    median = float(full["price"].median())
    got = search_ticks("AAPL", "2025-11-24", "2025-11-27", where={"price": (">", median)}, uri=uri)
    expected = full[full["price"] > median].reset_index(drop=True)
    assert 0 < len(got) < len(full)
    pd.testing.assert_frame_equal(got, expected)


def test_latest_tick_equals_the_last_row_of_a_full_read(simulated):
    uri, full = simulated
    for as_of in ["2025-11-25 17:03:10Z", "2025-11-26 03:00Z", "2025-11-27"]:
        cut = pd.Timestamp(as_of)
        cut = cut if cut.tzinfo else cut.tz_localize("UTC")
        expected = full[full["ts"] <= cut].tail(1).reset_index(drop=True)
        pd.testing.assert_frame_equal(latest_tick("AAPL", as_of=as_of, uri=uri), expected)


def test_hourly_crypto_partitions(tmp_path):
    uri = f"lmdb://{tmp_path / 'crypto'}"
    store = ArcticStore(uri)
    for hour, n in (("2025-11-24-13:00", 3), ("2025-11-24-14:00", 2)):
        ts = pd.date_range(hour[:10] + " " + hour[11:], periods=n, freq="10min", tz="UTC")
        frame = pd.DataFrame(
            {
                "ts": ts,
                "symbol": ["BTCUSDT"] * n,
                "price": [100.0 + i for i in range(n)],
                "size": [0.5 * (i + 1) for i in range(n)],
                "trade_id": range(n),
                "aggressor": np.ones(n, dtype="int8"),
                "venue": ["binance"] * n,
            }
        )
        store.write_partition("crypto", hour, {"BTCUSDT": conform(frame, CRYPTO_TRADES)})
    kw = {"source": "crypto_trades", "uri": uri}
    assert _times(latest_tick("BTCUSDT", **kw)) == ["11-24 14:10"]
    assert _times(latest_tick("BTCUSDT", as_of="2025-11-24 14:05Z", **kw)) == ["11-24 14:00"]
    got = search_ticks("BTCUSDT", "2025-11-24", "2025-11-25", where={"size": (">", 0.5)}, **kw)
    assert _times(got) == ["11-24 13:10", "11-24 13:20", "11-24 14:10"]
    assert list(got.columns) == CRYPTO_TRADES.names


def test_category_next_to_value_conditions_filters_the_narrowed_rows(uri):
    where = {"size": (">=", 500), "exchange": ("==", "Q")}
    got = search_ticks("AAPL", DAY1, "2025-11-26", where=where, columns=["price"], uri=uri)
    assert list(got.columns) == ["ts", "symbol", "price"]  # exchange read for the filter only
    assert _times(got) == ["11-24 15:00", "11-25 14:30"] and got["price"].tolist() == [101.5, 103.0]
    where = {"price": ("<", 103), "exchange": ("not in", ["N"])}
    got = search_ticks("AAPL", DAY1, "2025-11-26", where=where, uri=uri)
    assert _times(got) == ["11-24 15:00", "11-24 20:59", "11-25 15:30"]


def test_a_partition_key_of_unknown_form_is_named(uri):
    store = ArcticStore(uri)
    store.write_partition(
        "equity", "h1", {"AAPL": _equity("AAPL", [(f"{DAY1} 15:00", 1.0, 1, 1.0, "N")])}
    )
    with pytest.raises(ValueError, match="'equity/AAPL/h1'"):
        latest_tick("AAPL", uri=uri)


def test_a_string_filter_is_refused_not_evaluated(uri):
    with pytest.raises(TypeError, match="mapping"):
        search_ticks("AAPL", DAY1, DAY2, where="price > 100", uri=uri)
