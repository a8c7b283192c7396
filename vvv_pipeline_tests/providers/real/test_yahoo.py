"""YahooClient against the fake chart server fed by the simulated market, and hand-made bodies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.errors import ProviderBannedError, ProviderError, SchemaDriftError
from vvv_pipeline.providers.live.yahoo import YahooClient
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.universe import load_universe
from vvv_pipeline_tests.fakes.base import FakeHttpServer, FakeRequest, FakeResponse, Fault
from vvv_pipeline_tests.fakes.yahoo import make_server

NY = "America/New_York"
SYMBOLS = list(load_universe().daily_ohlcv)
# Spans both DST switches (US 03-10, UK 03-31) and Good Friday (03-29, no session).
START = pd.Timestamp("2024-03-01", tz=NY)
END = pd.Timestamp("2024-04-15 12:00", tz=NY)
MARKET = SimulatedMarket(
    SimulationConfig(seed=11, ticks_per_session=500, crypto_trades_per_hour=100), load_universe()
)


@pytest.fixture(scope="module", autouse=True)
def warm_market() -> None:
    # The first fetch builds the daily anchors and session tapes; keep it out of timeouts.
    MARKET.fetch(
        Source.DAILY_OHLCV, START - pd.Timedelta(days=3), END + pd.Timedelta(days=3), SYMBOLS
    )


@pytest.fixture()
def server() -> Iterator[FakeHttpServer]:
    with make_server(MARKET) as srv:
        srv.stall_seconds = 2.0
        yield srv


def yahoo(url: str, **options: object) -> YahooClient:
    # these tests are about the chart wire; the crumb handshake has its own tests
    defaults: dict[str, object] = {
        "crumb": False,
        "requests_per_second": 1000.0,
        "timeout": 10.0,  # generous: CI machines are loaded; only timeout faults use a short one
        "backoff_initial": 0.01,
        "backoff_max": 0.05,
    }
    return YahooClient(url, **{**defaults, **options})  # type: ignore[arg-type]


def expected(symbols: list[str] = SYMBOLS) -> pd.DataFrame:
    return MARKET.fetch(Source.DAILY_OHLCV, START, END, symbols)


def test_every_instrument_equals_the_simulated_market(server: FakeHttpServer) -> None:
    client = yahoo(server.url)
    got = client.fetch(Source.DAILY_OHLCV, START, END, SYMBOLS)
    pd.testing.assert_frame_equal(got, expected())
    assert len(got) == 6 * 31  # 31 sessions from 03-01 to 04-15 (Good Friday closed)
    assert client.stats.pages == client.stats.requests == len(SYMBOLS)
    assert client.stats.retries == 0 and client.stats.bytes > 0
    query = server.requests[0].query
    assert int(query["period1"]) == int(START.timestamp()) - 86_400
    assert int(query["period2"]) == int(END.timestamp()) + 86_400
    assert query["interval"] == "1d"


def chart_body(stamps: list[int], quote: dict[str, list[Any]], zone: str) -> dict[str, Any]:
    meta = {"symbol": "EURUSD=X", "exchangeTimezoneName": zone, "gmtoffset": 3600}
    result = {"meta": meta, "timestamp": stamps, "indicators": {"quote": [quote]}}
    return {"chart": {"result": [result], "error": None}}


def serve(body: dict[str, Any], status: int = 200) -> FakeHttpServer:
    def handler(request: FakeRequest, fault: Fault | None) -> FakeResponse:
        return FakeResponse(status, body)

    return FakeHttpServer([(r"/v8/finance/chart/.+", handler)]).start()


def test_hand_made_fx_chart_maps_london_midnights_to_sessions_and_handles_nulls() -> None:
    # London midnights: 03-28 is GMT (00:00Z); from 03-31 BST, so 04-01 starts 03-31 23:00Z.
    stamps = [1711584000, 1711926000, 1712012400, 1712098800]
    quote = {
        "open": [1.082900047302246, 1.0786999464035034, None, 1.0772000551223755],
        "high": [1.0841000080108643, 1.0791000127792358, None, 1.0789999961853027],
        "low": [1.0801000595092773, 1.0755000114440918, None, 1.0765999555587769],
        "close": [1.0810999870300293, 1.0769000053405762, None, 1.0782999992370605],
        "volume": [0, 0, None, None],
    }
    with serve(chart_body(stamps, quote, "Europe/London")) as srv:
        got = yahoo(srv.url).fetch(
            Source.DAILY_OHLCV,
            pd.Timestamp("2024-03-28", tz=NY),
            pd.Timestamp("2024-04-04", tz=NY),
            ["EURUSD=X"],
        )
    assert got["ts"].tolist() == [
        pd.Timestamp("2024-03-28 04:00", tz="UTC"),
        pd.Timestamp("2024-04-01 04:00", tz="UTC"),
        pd.Timestamp("2024-04-03 04:00", tz="UTC"),
    ]  # the all-null 04-02 bar is dropped
    assert got["open"].tolist() == [1.0829, 1.0787, 1.0772]
    assert got["high"].tolist() == [1.0841, 1.0791, 1.079]
    assert got["low"].tolist() == [1.0801, 1.0755, 1.0766]
    assert got["close"].tolist() == [1.0811, 1.0769, 1.0783]
    assert got["volume"].tolist() == [0.0, 0.0, 0.0]
    assert got["asset_class"].astype(str).tolist() == ["fx"] * 3
    assert got["symbol"].astype(str).tolist() == ["EURUSD=X"] * 3


def test_null_bars_are_dropped_and_null_volumes_are_zero() -> None:
    with make_server(MARKET, null_bars={"2024-03-12"}, null_volumes={"2024-03-13"}) as srv:
        got = yahoo(srv.url).fetch(Source.DAILY_OHLCV, START, END, ["SPY", "GC=F"])
    exp = expected(["SPY", "GC=F"])
    day = exp["ts"].dt.tz_convert(NY).dt.strftime("%Y-%m-%d")
    exp.loc[(day == "2024-03-13").to_numpy(), "volume"] = 0.0
    exp = exp.loc[(day != "2024-03-12").to_numpy()].reset_index(drop=True)
    assert len(got) == 2 * 30
    pd.testing.assert_frame_equal(got, exp)


def test_a_window_without_sessions_is_an_empty_canonical_frame(server: FakeHttpServer) -> None:
    got = yahoo(server.url).fetch(
        Source.DAILY_OHLCV,
        pd.Timestamp("2024-03-30", tz=NY),  # Saturday and Sunday
        pd.Timestamp("2024-04-01", tz=NY),
        ["SPY"],
    )
    assert got.empty and list(got.columns) == list(expected().columns)


def test_chart_error_404_names_symbol_and_reason_without_retrying(server: FakeHttpServer) -> None:
    client = yahoo(server.url, asset_classes={"ZZZZ": "equity"})
    with pytest.raises(
        ProviderError,
        match=r"yahoo /v8/finance/chart/ZZZZ: ZZZZ: Not Found: No data found, symbol may be",
    ):
        client.fetch(Source.DAILY_OHLCV, START, END, ["ZZZZ"])
    assert client.stats.requests == 1 and client.stats.retries == 0


def test_chart_error_inside_a_200_is_an_error_naming_the_symbol() -> None:
    body = {"chart": {"result": None, "error": {"code": "Bad Request", "description": "oops"}}}
    with serve(body) as srv, pytest.raises(ProviderError, match=r"GC=F: Bad Request: oops"):
        yahoo(srv.url).fetch(Source.DAILY_OHLCV, START, END, ["GC=F"])


@pytest.mark.parametrize("kind", ["500", "timeout", "reset", "truncated"])
def test_transient_faults_are_retried_and_rows_unchanged(server: FakeHttpServer, kind: str) -> None:
    server.faults.add(Fault(kind, times=2))
    client = yahoo(server.url, timeout=1.0 if kind == "timeout" else 10.0)
    pd.testing.assert_frame_equal(client.fetch(Source.DAILY_OHLCV, START, END, SYMBOLS), expected())
    assert client.stats.retries == 2
    assert client.stats.requests == client.stats.pages + 2 == len(SYMBOLS) + 2


def test_plain_text_429_waits_retry_after_then_retries(server: FakeHttpServer) -> None:
    waits: list[float] = []
    server.faults.add(Fault("429", retry_after=0.03))
    client = yahoo(server.url, sleep=waits.append)
    pd.testing.assert_frame_equal(client.fetch(Source.DAILY_OHLCV, START, END, SYMBOLS), expected())
    assert waits == [0.03] and client.stats.retries == 1


def test_ban_fails_at_once(server: FakeHttpServer) -> None:
    server.faults.add(Fault("ban", times=5))
    client = yahoo(server.url)
    with pytest.raises(ProviderBannedError, match="yahoo /v8/finance/chart/SPY"):
        client.fetch(Source.DAILY_OHLCV, START, END, SYMBOLS)
    assert client.stats.requests == 1


@pytest.mark.parametrize("kind", ["malformed", "drift"])
def test_bad_close_values_fail_naming_provider_symbol_and_field(
    server: FakeHttpServer, kind: str
) -> None:
    server.faults.add(Fault(kind, path_prefix="/v8/finance/chart/GC=F"))
    with pytest.raises(
        SchemaDriftError, match=r"yahoo /v8/finance/chart/GC=F: .*'close'"
    ) as caught:
        yahoo(server.url).fetch(Source.DAILY_OHLCV, START, END, ["SPY", "GC=F"])
    assert caught.value.field == "close"


def test_symbol_without_an_asset_class_is_refused_before_any_request(
    server: FakeHttpServer,
) -> None:
    with pytest.raises(ValueError, match=r"no asset class known for symbol\(s\) \['TSLA'\]"):
        yahoo(server.url).fetch(Source.DAILY_OHLCV, START, END, ["SPY", "TSLA"])
    assert server.requests == []


def test_crumb_handshake_collects_the_cookie_then_sends_the_crumb_with_every_chart() -> None:
    with make_server(MARKET, require_crumb=True) as srv:
        client = yahoo(srv.url, crumb=True)
        got = client.fetch(Source.DAILY_OHLCV, START, END, SYMBOLS)
        paths = [r.path for r in srv.requests]
        charts = [r for r in srv.requests if r.path.startswith("/v8/")]
    pd.testing.assert_frame_equal(got, expected())
    # one handshake for the whole fetch, then one chart per symbol, each with the crumb
    assert paths[:2] == ["/", "/v1/test/getcrumb"] and len(paths) == 2 + len(SYMBOLS)
    assert {r.query["crumb"] for r in charts} == {"haT3oykhHqZ"}


def test_a_chart_refused_for_its_crumb_gets_one_fresh_handshake() -> None:
    with make_server(MARKET, require_crumb=True, crumb="Fresh.Crumb") as srv:
        client = yahoo(srv.url, crumb=True)
        client.handshake._crumb = "expired0"  # type: ignore[union-attr]
        got = client.fetch(Source.DAILY_OHLCV, START, END, ["SPY"])
        paths = [r.path for r in srv.requests]
    pd.testing.assert_frame_equal(got, expected(["SPY"]))
    assert paths == ["/v8/finance/chart/SPY", "/", "/v1/test/getcrumb", "/v8/finance/chart/SPY"]


@pytest.mark.parametrize("answer", ["Too Many Requests", "<html><body>blocked</body></html>", ""])
def test_a_throttled_or_html_crumb_answer_is_refused_not_sent_on(answer: str) -> None:
    with make_server(MARKET, crumb=answer) as srv:
        client = yahoo(srv.url, crumb=True)
        with pytest.raises(ProviderError, match=r"unusable crumb .*throttled or blocked"):
            client.fetch(Source.DAILY_OHLCV, START, END, ["SPY"])
        assert not [r for r in srv.requests if r.path.startswith("/v8/")]


def test_naive_bounds_are_read_as_utc_like_the_venue_clients(server: FakeHttpServer) -> None:
    naive = yahoo(server.url).fetch(
        Source.DAILY_OHLCV,
        START.tz_convert("UTC").tz_localize(None),
        END.tz_convert("UTC").tz_localize(None),
        ["SPY"],
    )
    pd.testing.assert_frame_equal(naive, expected(["SPY"]))
