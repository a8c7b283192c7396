"""FredClient against the fake FRED server fed by the simulated market."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.errors import ProviderBannedError, ProviderError, SchemaDriftError
from vvv_pipeline.providers.live.fred import FredClient, release_clock
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.universe import load_universe
from vvv_pipeline_tests.fakes.base import FakeHttpServer, Fault
from vvv_pipeline_tests.fakes.fred import make_server

NY = "America/New_York"
KEY = "abcdefghij0123456789abcdefghij01"
SERIES = list(load_universe().economic)
START = pd.Timestamp("2024-05-03 09:00", tz=NY)  # after UNRATE's 08:30 release that day
END = pd.Timestamp("2024-06-12 12:00", tz=NY)  # after CPI's 08:30, before DGS10's 16:15
PAGE = 7
MARKET = SimulatedMarket(
    SimulationConfig(seed=11, ticks_per_session=500, crypto_trades_per_hour=100), load_universe()
)


@pytest.fixture(scope="module", autouse=True)
def warm_market() -> None:
    # The first fetch builds each series' anchor vector; keep that out of request timeouts.
    MARKET.fetch(Source.ECONOMIC_SERIES, START - pd.Timedelta(days=200), END, SERIES)


@pytest.fixture()
def server() -> Iterator[FakeHttpServer]:
    with make_server(MARKET, api_key=KEY) as srv:
        srv.stall_seconds = 2.0
        yield srv


def fred(server: FakeHttpServer, **options: object) -> FredClient:
    defaults: dict[str, object] = {
        "api_key": KEY,
        "page_size": PAGE,
        "requests_per_second": 1000.0,
        "timeout": 10.0,  # generous: CI machines are loaded; only timeout faults use a short one
        "backoff_initial": 0.01,
        "backoff_max": 0.05,
    }
    return FredClient(server.url, **{**defaults, **options})  # type: ignore[arg-type]


def expected(symbols: list[str] = SERIES) -> pd.DataFrame:
    return MARKET.fetch(Source.ECONOMIC_SERIES, START, END, symbols)


def served_per_series() -> dict[str, int]:
    """Observations the fake serves per series: every release from the NY date before the
    window (the client asks from there to tell clipped rows apart) to its last date."""
    lo, hi = pd.Timestamp("2024-05-02", tz=NY), pd.Timestamp("2024-06-13", tz=NY)
    return {s: len(MARKET.fetch(Source.ECONOMIC_SERIES, lo, hi, [s])) for s in SERIES}


def test_pages_through_every_series_and_equals_the_simulated_market(
    server: FakeHttpServer,
) -> None:
    client = fred(server)
    got = client.fetch(Source.ECONOMIC_SERIES, START, END, SERIES)
    pd.testing.assert_frame_equal(got, expected())
    served = served_per_series()
    assert served == {"DGS10": 29, "DGS2": 29, "CPIAUCSL": 2, "UNRATE": 2, "FEDFUNDS": 1}
    # The day before and the partial first and last days cut five releases: DGS10/DGS2 05-02,
    # UNRATE 05-03 08:30 (before 09:00) and DGS10/DGS2 06-12 16:15 (after 12:00).
    assert len(got) == sum(served.values()) - 5
    pages = sum(max(1, math.ceil(n / PAGE)) for n in served.values())
    assert client.stats.pages == client.stats.requests == pages == len(server.requests)
    assert client.stats.retries == 0 and client.stats.bytes > 0
    dgs10 = [r.query for r in server.requests if r.query["series_id"] == "DGS10"]
    assert [q["offset"] for q in dgs10] == ["0", "7", "14", "21", "28"]
    assert dgs10[0]["realtime_start"] == "2024-05-02" and dgs10[0]["realtime_end"] == "2024-06-12"
    assert dgs10[0]["file_type"] == "json" and dgs10[0]["output_type"] == "4"


def test_ts_is_the_release_date_at_the_series_new_york_clock() -> None:
    # Hand-computed: January is EST (UTC-5), June EDT (UTC-4).
    assert release_clock("UNRATE", "monthly") == "08:30"
    assert release_clock("DGS10", "daily") == "16:15"
    assert release_clock("XYZ", "monthly") == "10:00"
    with make_server(MARKET, api_key=KEY) as srv:
        client = fred(srv)
        jan = client.fetch(
            Source.ECONOMIC_SERIES,
            pd.Timestamp("2024-01-01", tz="UTC"),
            pd.Timestamp("2024-01-13", tz="UTC"),
            ["UNRATE", "CPIAUCSL", "FEDFUNDS"],
        )
        june = client.fetch(
            Source.ECONOMIC_SERIES,
            pd.Timestamp("2024-06-07", tz=NY),
            pd.Timestamp("2024-06-08", tz=NY),
            ["UNRATE", "DGS10"],
        )
    assert jan["symbol"].astype(str).tolist() == ["CPIAUCSL", "FEDFUNDS", "UNRATE"]
    assert jan["ts"].tolist() == [
        pd.Timestamp("2024-01-12 13:30", tz="UTC"),
        pd.Timestamp("2024-01-02 21:15", tz="UTC"),
        pd.Timestamp("2024-01-05 13:30", tz="UTC"),
    ]
    assert (jan["observation_date"] == pd.Timestamp("2023-12-01")).all()
    assert jan["frequency"].astype(str).tolist() == ["monthly"] * 3
    assert june["ts"].tolist() == [
        pd.Timestamp("2024-06-07 20:15", tz="UTC"),
        pd.Timestamp("2024-06-07 12:30", tz="UTC"),
    ]


def test_a_window_without_releases_is_an_empty_canonical_frame(server: FakeHttpServer) -> None:
    client = fred(server)
    got = client.fetch(
        Source.ECONOMIC_SERIES,
        pd.Timestamp("2024-06-08", tz=NY),  # a weekend: no daily and no monthly release
        pd.Timestamp("2024-06-10", tz=NY),
        ["DGS10", "UNRATE"],
    )
    assert got.empty and list(got.columns) == list(expected().columns)
    assert client.stats.pages == 2


def test_dot_values_become_nan(server: FakeHttpServer) -> None:
    with make_server(MARKET, api_key=KEY, missing_dates={"2024-06-05"}) as srv:
        got = fred(srv).fetch(Source.ECONOMIC_SERIES, START, END, ["DGS10", "DGS2"])
    exp = expected(["DGS10", "DGS2"])
    hole = (exp["observation_date"] == pd.Timestamp("2024-06-05")).to_numpy()
    assert hole.sum() == 2 and got["value"].isna().to_numpy().tolist() == hole.tolist()
    np.testing.assert_array_equal(got["value"].to_numpy()[~hole], exp["value"].to_numpy()[~hole])
    assert (got["ts"] == exp["ts"]).all()


@pytest.mark.parametrize("kind", ["500", "timeout", "reset", "truncated"])
def test_transient_faults_are_retried_and_rows_unchanged(server: FakeHttpServer, kind: str) -> None:
    server.faults.add(Fault(kind, times=2))
    client = fred(server, timeout=1.0 if kind == "timeout" else 10.0)
    pd.testing.assert_frame_equal(
        client.fetch(Source.ECONOMIC_SERIES, START, END, SERIES), expected()
    )
    assert client.stats.retries == 2
    assert client.stats.requests == client.stats.pages + 2


def test_429_waits_retry_after_then_retries(server: FakeHttpServer) -> None:
    waits: list[float] = []
    server.faults.add(Fault("429", retry_after=0.03))
    client = fred(server, sleep=waits.append)
    pd.testing.assert_frame_equal(
        client.fetch(Source.ECONOMIC_SERIES, START, END, SERIES), expected()
    )
    assert waits == [0.03] and client.stats.retries == 1


def test_ban_fails_at_once(server: FakeHttpServer) -> None:
    server.faults.add(Fault("ban", times=5))
    client = fred(server)
    with pytest.raises(ProviderBannedError, match="fred /fred/series/observations"):
        client.fetch(Source.ECONOMIC_SERIES, START, END, SERIES)
    assert client.stats.requests == 1


@pytest.mark.parametrize(("kind", "field"), [("malformed", "value"), ("drift", "date")])
def test_bad_records_fail_naming_provider_series_and_field(
    server: FakeHttpServer, kind: str, field: str
) -> None:
    server.faults.add(Fault(kind))
    with pytest.raises(
        SchemaDriftError, match=rf"fred /fred/series/observations\?series_id=DGS10: .*'{field}'"
    ) as caught:
        fred(server).fetch(Source.ECONOMIC_SERIES, START, END, ["DGS10"])
    assert caught.value.field == field


def test_api_key_goes_as_query_parameter_and_never_into_errors_or_logs(
    server: FakeHttpServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.faults.add(Fault("500", times=3))
    client = fred(server, max_attempts=3)
    with pytest.raises(ProviderError, match="gave up after 3 attempt") as caught:
        client.fetch(Source.ECONOMIC_SERIES, START, END, ["DGS10"])
    assert server.requests[0].query["api_key"] == KEY
    assert "api_key" not in " ".join(server.requests[0].headers.values())
    assert any("series_id=DGS10" in r.getMessage() for r in caplog.records)  # urllib3 URL lines
    texts = [str(caught.value), repr(client), *(r.getMessage() for r in caplog.records)]
    assert not [t for t in texts if KEY in t]


def test_unregistered_key_is_retried_once_after_a_pause_then_fails(
    server: FakeHttpServer,
) -> None:
    waits: list[float] = []
    client = fred(server, api_key="wrongkey" * 4, unregistered_key_pause=0.5, sleep=waits.append)
    with pytest.raises(ProviderError, match="not registered") as caught:
        client.fetch(Source.ECONOMIC_SERIES, START, END, ["DGS10"])
    assert waits == [0.5] and client.stats.requests == 2
    assert "wrongkey" not in str(caught.value)


def test_series_without_a_known_frequency_is_refused_before_any_request(
    server: FakeHttpServer,
) -> None:
    with pytest.raises(ValueError, match=r"no frequency known for series \['GDP'\]"):
        fred(server).fetch(Source.ECONOMIC_SERIES, START, END, ["DGS10", "GDP"])
    assert server.requests == []
