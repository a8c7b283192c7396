"""UnusualWhalesClient against the fake UW server fed by the simulated market."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
import pytest

from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.errors import (
    ProviderBannedError,
    QuotaExhaustedError,
    SchemaDriftError,
)
from vvv_pipeline.providers.live.unusual_whales import UnusualWhalesClient
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.universe import load_universe
from vvv_pipeline_tests.fakes.base import FakeHttpServer, Fault
from vvv_pipeline_tests.fakes.unusual_whales import make_server

START = pd.Timestamp("2024-06-10", tz="America/New_York").tz_convert("UTC")
END = pd.Timestamp("2024-06-11", tz="America/New_York").tz_convert("UTC")
SYMBOLS = ["NVDA"]
MARKET = SimulatedMarket(
    SimulationConfig(seed=11, ticks_per_session=500, crypto_trades_per_hour=100), load_universe()
)


@pytest.fixture()
def server() -> Iterator[FakeHttpServer]:
    with make_server(MARKET) as srv:
        srv.stall_seconds = 2.0
        yield srv


def uw(server: FakeHttpServer, **options: object) -> UnusualWhalesClient:
    defaults: dict[str, object] = {
        "token": "tok-123",
        "darkpool_page_size": 10,
        "flow_page_size": 6,
        "news_page_size": 10,
        "requests_per_second": 1000.0,
        "timeout": 10.0,  # generous: CI machines are loaded; only timeout faults use a short one
        "backoff_initial": 0.01,
        "backoff_max": 0.05,
    }
    return UnusualWhalesClient(server.url, **{**defaults, **options})  # type: ignore[arg-type]


def expected_darkpool() -> pd.DataFrame:
    exp = MARKET.fetch(Source.DARKPOOL_PRINTS, START, END, SYMBOLS)
    exp["ts"] = exp["ts"].dt.floor("s")  # executed_at carries whole seconds
    return exp.sort_values(["symbol", "ts", "print_id"], kind="stable", ignore_index=True)


def assert_same_darkpool(got: pd.DataFrame, exp: pd.DataFrame) -> None:
    assert len(got) == len(exp) > 0
    assert (got["ts"] == exp["ts"]).all()
    for col in ("symbol", "venue"):
        assert got[col].astype(str).tolist() == exp[col].astype(str).tolist()
    for col in ("size", "print_id"):
        np.testing.assert_array_equal(got[col].to_numpy(), exp[col].to_numpy())
    for col in ("price", "premium", "nbbo_bid", "nbbo_ask"):
        np.testing.assert_allclose(got[col].to_numpy(), exp[col].to_numpy(), rtol=1e-12)


def test_darkpool_pages_back_through_the_session_and_matches_the_market(
    server: FakeHttpServer,
) -> None:
    client = uw(server)
    got = client.fetch(Source.DARKPOOL_PRINTS, START, END, SYMBOLS)
    exp = expected_darkpool()
    assert_same_darkpool(got, exp)
    pages = len(server.paths("/api/darkpool/NVDA"))
    assert pages >= len(exp) // 10
    assert client.stats.pages == client.stats.requests == pages
    assert client.stats.retries == 0 and client.stats.bytes > 0


def test_options_flow_matches_the_market_column_by_column(server: FakeHttpServer) -> None:
    got = uw(server).fetch(Source.OPTIONS_FLOW, START, END, ["NVDA", "AAPL"])
    exp = MARKET.fetch(Source.OPTIONS_FLOW, START, END, ["NVDA", "AAPL"])
    exp["ts"] = exp["ts"].dt.floor("us")
    exp = exp.sort_values(["symbol", "ts", "alert_id"], kind="stable", ignore_index=True)
    assert len(got) == len(exp) > 6
    for col in exp.columns:
        left, right = got[col], exp[col]
        if isinstance(right.dtype, pd.CategoricalDtype):
            left, right = left.astype(str), right.astype(str)
        np.testing.assert_array_equal(left.to_numpy(), right.to_numpy(), err_msg=col)


def test_news_is_one_row_per_headline_and_requested_ticker(server: FakeHttpServer) -> None:
    got = uw(server).fetch(Source.NEWS_HEADLINES, START, END, ["NVDA", "AAPL", "MSFT"])
    exp = MARKET.fetch(Source.NEWS_HEADLINES, START, END, ["NVDA", "AAPL", "MSFT"])
    assert len(got) == len(exp) > 0
    key = ["symbol", "ts", "headline"]
    exp["ts"] = exp["ts"].dt.floor("s")
    exp = exp.sort_values(key, ignore_index=True)
    got = got.sort_values(key, ignore_index=True)
    for col in ("symbol", "headline", "source", "sentiment", "is_major"):
        assert got[col].astype(str).tolist() == exp[col].astype(str).tolist(), col
    assert (got["ts"] == exp["ts"]).all()
    assert got["sentiment_score"].isna().all()  # not on the wire
    assert got.groupby("headline_id")["headline"].nunique().max() == 1


@pytest.mark.parametrize("kind", ["500", "timeout", "reset", "truncated"])
def test_transient_faults_are_retried_and_rows_unchanged(server: FakeHttpServer, kind: str) -> None:
    server.faults.add(Fault(kind, path_prefix="/api/darkpool", times=2))
    client = uw(server, timeout=1.0 if kind == "timeout" else 10.0)
    assert_same_darkpool(
        client.fetch(Source.DARKPOOL_PRINTS, START, END, SYMBOLS), expected_darkpool()
    )
    assert client.stats.retries == 2
    assert client.stats.requests == client.stats.pages + 2


def test_per_minute_429_waits_the_advertised_time_then_retries(server: FakeHttpServer) -> None:
    waits: list[float] = []
    server.faults.add(Fault("429", retry_after=0.03))
    client = uw(server, sleep=waits.append)
    assert_same_darkpool(
        client.fetch(Source.DARKPOOL_PRINTS, START, END, SYMBOLS), expected_darkpool()
    )
    assert waits == [0.03]
    assert client.stats.retries == 1


def test_daily_quota_fails_at_once_and_blocks_further_requests(server: FakeHttpServer) -> None:
    server.faults.add(Fault("quota"))
    client = uw(server)
    with pytest.raises(QuotaExhaustedError, match=r"unusual_whales /api/darkpool/NVDA: daily"):
        client.fetch(Source.DARKPOOL_PRINTS, START, END, SYMBOLS)
    with pytest.raises(QuotaExhaustedError):
        client.fetch(Source.OPTIONS_FLOW, START, END, SYMBOLS)
    assert len(server.requests) == 1 and client.stats.retries == 0


def test_ban_fails_at_once(server: FakeHttpServer) -> None:
    server.faults.add(Fault("ban", times=5))
    client = uw(server)
    with pytest.raises(ProviderBannedError, match="unusual_whales /api/darkpool/NVDA"):
        client.fetch(Source.DARKPOOL_PRINTS, START, END, SYMBOLS)
    assert client.stats.requests == 1


@pytest.mark.parametrize(
    ("kind", "prefix", "source", "field"),
    [
        ("malformed", "/api/darkpool", Source.DARKPOOL_PRINTS, "price"),
        ("drift", "/api/darkpool", Source.DARKPOOL_PRINTS, "executed_at"),
        ("malformed", "/api/option-trades", Source.OPTIONS_FLOW, "strike"),
        ("drift", "/api/option-trades", Source.OPTIONS_FLOW, "created_at"),
        ("drift", "/api/news", Source.NEWS_HEADLINES, "created_at"),
    ],
)
def test_bad_records_fail_naming_provider_endpoint_and_field(
    server: FakeHttpServer, kind: str, prefix: str, source: Source, field: str
) -> None:
    server.faults.add(Fault(kind, path_prefix=prefix))
    with pytest.raises(SchemaDriftError, match=rf"unusual_whales {prefix}.*'{field}'") as caught:
        uw(server).fetch(source, START, END, SYMBOLS)
    assert caught.value.field == field


def test_token_is_sent_as_bearer_header_only(server: FakeHttpServer) -> None:
    client = uw(server)
    client.fetch(Source.OPTIONS_FLOW, START, END, SYMBOLS)
    assert server.requests[0].headers["Authorization"] == "Bearer tok-123"
    assert "tok-123" not in repr(client)
