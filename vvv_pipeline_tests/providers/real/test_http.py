"""The shared HTTP layer against a local fake server: retries, bans, budgets, counters, secrets."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pandas as pd
import pytest

from vvv_pipeline.providers.errors import (
    ProviderBannedError,
    ProviderError,
    RetryableError,
    SchemaDriftError,
)
from vvv_pipeline.providers.live.drift import (
    forget_unknown_fields,
    note_unknown_fields,
    parse_numbers,
    require,
)
from vvv_pipeline.providers.live.http import FetchStats, HttpClient, parse_retry_after
from vvv_pipeline_tests.fakes.base import (
    FakeHttpServer,
    FakeRequest,
    FakeResponse,
    Fault,
    FaultPlan,
)

BODY = {"data": [1, 2, 3]}
BODY_BYTES = len(b'{"data":[1,2,3]}')
SECRET = "s3cr3t-token-value"


def echo(request: FakeRequest, fault: Fault | None) -> FakeResponse:
    return FakeResponse(200, BODY)


@pytest.fixture()
def server() -> Iterator[FakeHttpServer]:
    with FakeHttpServer([(r"/x", echo)], FaultPlan()) as srv:
        srv.stall_seconds = 2.0
        yield srv


def client(server: FakeHttpServer, **options: object) -> HttpClient:
    defaults: dict[str, object] = {
        "headers": {"Authorization": f"Bearer {SECRET}"},
        "requests_per_second": 1000.0,
        "timeout": 10.0,  # generous: CI machines are loaded; only timeout faults use a short one
        "backoff_initial": 0.01,
        "backoff_max": 0.05,
    }
    return HttpClient("testprov", server.url, **{**defaults, **options})  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["429", "500", "timeout", "reset", "truncated"])
def test_transient_fault_is_retried_and_yields_the_same_body(
    server: FakeHttpServer, kind: str
) -> None:
    server.faults.add(Fault(kind, times=2))
    http = client(server, timeout=1.0 if kind == "timeout" else 10.0)
    assert http.get_json("/x") == BODY
    assert http.stats.requests == 3
    assert http.stats.retries == 2
    assert server.faults.pending() == 0


def test_retry_after_seconds_is_honoured(server: FakeHttpServer) -> None:
    waits: list[float] = []
    server.faults.add(Fault("429", retry_after=0.07))
    http = client(server, sleep=waits.append)
    assert http.get_json("/x") == BODY
    assert waits == [0.07]


def test_retry_after_http_date_is_converted_to_seconds() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412460.0) == 20.0
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


@pytest.mark.parametrize("kind", ["ban"])
def test_ban_fails_at_once_without_retry(server: FakeHttpServer, kind: str) -> None:
    server.faults.add(Fault(kind, times=3))
    http = client(server)
    with pytest.raises(ProviderBannedError, match=r"testprov /x: refused \(ban\), HTTP 403"):
        http.get_json("/x")
    assert (http.stats.requests, http.stats.retries) == (1, 0)


def test_other_4xx_fails_at_once_naming_provider_and_endpoint(server: FakeHttpServer) -> None:
    http = client(server)
    with pytest.raises(ProviderError, match=r"testprov /nope: HTTP 404") as caught:
        http.get_json("/nope")
    assert (caught.value.provider, caught.value.endpoint) == ("testprov", "/nope")
    assert http.stats.requests == 1


def test_500_burst_longer_than_the_attempt_budget_gives_up(server: FakeHttpServer) -> None:
    server.faults.add(Fault("500", times=10))
    http = client(server, max_attempts=4)
    with pytest.raises(ProviderError, match=r"gave up after 4 attempt\(s\).*HTTP 500") as caught:
        http.get_json("/x")
    assert not isinstance(caught.value, RetryableError)
    assert (http.stats.requests, http.stats.retries) == (4, 3)


def test_retry_after_beyond_the_time_budget_stops_without_waiting(server: FakeHttpServer) -> None:
    waits: list[float] = []
    server.faults.add(Fault("429", retry_after=30))
    http = client(server, max_total_seconds=5.0, sleep=waits.append)
    with pytest.raises(ProviderError, match="gave up after 1 attempt"):
        http.get_json("/x")
    assert waits == []


def test_check_hook_can_make_a_200_retryable(server: FakeHttpServer) -> None:
    calls = []

    def check(response: object) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise RetryableError("testprov", "/x", "busy flag in body", retry_after=0.0)

    http = client(server, check=check)
    assert http.get_json("/x") == BODY
    assert (http.stats.requests, http.stats.retries, len(calls)) == (2, 1, 2)


def test_stats_count_bytes_of_every_response(server: FakeHttpServer) -> None:
    http = client(server)
    http.get_json("/x")
    http.get_json("/x")
    assert http.stats.as_dict() == {
        "requests": 2,
        "retries": 0,
        "pages": 0,
        "bytes": 2 * BODY_BYTES,
    }
    total = FetchStats(pages=1)
    total.merge(http.stats)
    assert total == FetchStats(requests=2, retries=0, pages=1, bytes=2 * BODY_BYTES)


def test_secrets_never_appear_in_errors_logs_or_repr(
    server: FakeHttpServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.faults.add(Fault("500", times=5))
    http = client(server, max_attempts=2, secret_params={"api_key": "querysecret"})
    with caplog.at_level(logging.DEBUG), pytest.raises(ProviderError) as caught:
        http.get_json("/x")
    text = str(caught.value) + repr(http) + caplog.text
    assert SECRET not in text and "querysecret" not in text
    assert server.requests[0].query["api_key"] == "querysecret"
    assert server.requests[0].headers["Authorization"] == f"Bearer {SECRET}"


def test_require_names_provider_endpoint_and_field() -> None:
    assert require({"a": 1}, "a", "p", "/e") == 1
    with pytest.raises(SchemaDriftError, match=r"p /e: required field 'b' is missing") as caught:
        require({"a": 1}, "b", "p", "/e")
    assert caught.value.field == "b"


def test_unknown_fields_are_logged_once_per_field(caplog: pytest.LogCaptureFixture) -> None:
    forget_unknown_fields()
    with caplog.at_level(logging.INFO, logger="vvv_pipeline.providers"):
        note_unknown_fields({"a": 1, "new": 2}, ["a"], "p", "/e")
        note_unknown_fields({"a": 1, "new": 3}, ["a"], "p", "/e")
    assert [r.getMessage() for r in caplog.records] == ["p /e: ignoring unknown field 'new'"]


def test_parse_numbers_is_correctly_rounded_and_names_an_unreadable_value() -> None:
    texts = [f"{3e9 + i * 0.123456789:.8f}" for i in range(500)]
    got = parse_numbers(pd.Series(texts), "price", "binance", "/api/v3/aggTrades")
    assert got.tolist() == [float(t) for t in texts]  # Python's float() rounds correctly
    with pytest.raises(SchemaDriftError, match="price"):
        parse_numbers(pd.Series(["1.5", "abc"]), "price", "binance", "/api/v3/aggTrades")
