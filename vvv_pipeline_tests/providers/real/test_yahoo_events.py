"""Yahoo chart corporate actions: ``events.dividends``, ``events.splits`` and ``adjclose``.

The body is hand-made in the wire's shape (section 7 of the provider reference: events keyed
by the epoch second of the ex-date's bar, amounts split-adjusted, ``adjclose`` float32 values
widened to double); every expected value is read off the wire literals by hand.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.errors import SchemaDriftError
from vvv_pipeline.validation import check_tier1
from vvv_pipeline_tests.providers.real.test_yahoo import serve, yahoo

NY = "America/New_York"
# 09:30 New York bar starts: 2020-08-06, 08-07, 08-28, 08-31 (EDT, so 13:30 UTC)
STAMPS = [1596720600, 1596807000, 1598621400, 1598880600]
EVENTS = {
    "dividends": {"1596807000": {"amount": 0.205, "date": 1596807000}},
    "splits": {
        "1598880600": {
            "date": 1598880600,
            "numerator": 4,
            "denominator": 1,
            "splitRatio": "4:1",
        },
        # an event outside the returned bars (2020-09-01) is dropped
        "1598967000": {"date": 1598967000, "numerator": 2, "denominator": 1, "splitRatio": "2:1"},
    },
}
QUOTE = {
    "open": [113.0, 112.0, 124.0, 127.0],
    "high": [114.0, 113.0, 126.0, 131.0],
    "low": [112.0, 110.0, 123.0, 126.0],
    # 113.9, 111.11, 124.81 and 129.04 as float32 widened to double
    "close": [113.9000015258789, 111.11000061035156, 124.80999755859375, 129.0399932861328],
    "volume": [1000, 1000, 1000, 1000],
}
# 112.5581, 109.9989, 123.5619 and 127.7496 as float32 widened to double
ADJCLOSE = [112.55809783935547, 109.99890136718750, 123.56189727783203, 127.74960327148438]


def body(events: Any = EVENTS, adjclose: Any = ADJCLOSE) -> dict[str, Any]:
    meta = {"symbol": "AAPL", "exchangeTimezoneName": NY, "gmtoffset": -14400}
    indicators: dict[str, Any] = {"quote": [QUOTE], "adjclose": [{"adjclose": adjclose}]}
    result = {"meta": meta, "timestamp": STAMPS, "indicators": indicators, "events": events}
    return {"chart": {"result": [result], "error": None}}


def fetch(chart: dict[str, Any]) -> pd.DataFrame:
    with serve(chart) as srv:
        return yahoo(srv.url, asset_classes={"AAPL": "equity"}).fetch(
            Source.DAILY_OHLCV,
            pd.Timestamp("2020-08-06", tz=NY),
            pd.Timestamp("2020-09-01", tz=NY),
            ["AAPL"],
        )


def test_dividends_splits_and_adjclose_land_on_their_sessions() -> None:
    got = fetch(body())
    days = got["ts"].dt.tz_convert(NY).dt.strftime("%Y-%m-%d").tolist()
    assert days == ["2020-08-06", "2020-08-07", "2020-08-28", "2020-08-31"]
    assert got["dividend"].tolist() == [0.0, 0.205, 0.0, 0.0]
    assert got["split_ratio"].tolist() == [1.0, 1.0, 1.0, 4.0]
    assert got["adj_close"].tolist() == [112.5581, 109.9989, 123.5619, 127.7496]
    assert got["close"].tolist() == [113.9, 111.11, 124.81, 129.04]


def test_the_parsed_bars_pass_tier_one() -> None:
    # f = adj / close: 0.98822, 0.98999; 0.98999 x (1 - 0.205 / 113.9) = 0.98821
    got = fetch(body())
    window = (pd.Timestamp("2020-08-06", tz=NY), pd.Timestamp("2020-09-01", tz=NY))
    assert check_tier1(got, "daily_ohlcv", window, ["AAPL"]).failures == {}


def test_without_events_or_adjclose_there_is_nothing_to_adjust() -> None:
    got = fetch(body(events={}, adjclose=None))
    assert got["dividend"].tolist() == [0.0] * 4
    assert got["split_ratio"].tolist() == [1.0] * 4
    assert got["adj_close"].tolist() == got["close"].tolist()


def test_a_null_adjclose_falls_back_to_the_close() -> None:
    got = fetch(body(adjclose=[None, *ADJCLOSE[1:]]))
    assert got["adj_close"].tolist() == [113.9, 109.9989, 123.5619, 127.7496]


@pytest.mark.parametrize(
    "events",
    [
        {"dividends": {"1596807000": {"date": 1596807000}}},  # no amount
        {"splits": {"1598880600": {"date": 1598880600, "numerator": 4}}},  # no denominator
        {"dividends": {"1596807000": {"amount": "n/a", "date": 1596807000}}},
        {"dividends": [1, 2]},
    ],
)
def test_malformed_events_are_schema_drift(events: dict[str, Any]) -> None:
    with pytest.raises(SchemaDriftError):
        fetch(body(events=events))


def test_an_adjclose_of_the_wrong_length_is_schema_drift() -> None:
    with pytest.raises(SchemaDriftError, match="adjclose"):
        fetch(body(adjclose=ADJCLOSE[:2]))
