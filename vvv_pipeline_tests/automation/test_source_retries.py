"""A source step retries what a retry can fix, fails at once on what it cannot, and stops at
once on a terminate request instead of waiting out a retry delay."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from vvv_pipeline import settings
from vvv_pipeline.defs.automation.policies import source_retries
from vvv_pipeline.defs.cancellation import forget_request, request_stop
from vvv_pipeline.defs.dagster_internals import DagsterExecutionInterruptedError
from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline.defs.resources import MarketData
from vvv_pipeline.providers.base import Source
from vvv_pipeline.providers.errors import ProviderBannedError, RetryableError
from vvv_pipeline.universe import Universe
from vvv_pipeline_tests.assets.helpers import RANGE_TAGS

HOURS = ["2025-11-25-14:00", "2025-11-25-15:00", "2025-11-25-16:00"]
CONFIGURED = settings.current({"VVV_SOURCE_RETRIES": "3", "VVV_SOURCE_RETRY_DELAY_SECONDS": "10"})


def test_a_transient_error_requests_a_retry_after_the_policys_delay():
    with pytest.raises(dg.RetryRequested) as raised, source_retries(CONFIGURED, retry_number=1):
        raise RetryableError("binance", "/api/v3/aggTrades", "HTTP 503")
    assert raised.value.max_retries == 3
    # the second retry: 10 s x (2^2 - 1) = 30 s, jittered by at most the base 10 s either way
    # (the first retry would wait 0-20 s, the third 60-80 s)
    assert 20 <= raised.value.seconds_to_wait <= 40
    assert isinstance(raised.value.__cause__, RetryableError)


def test_what_a_retry_cannot_fix_fails_at_once_and_an_interruption_passes_through():
    with pytest.raises(dg.Failure) as failed, source_retries(CONFIGURED, retry_number=0):
        raise ProviderBannedError("binance", "/api/v3/aggTrades", "HTTP 418")
    assert not failed.value.allow_retries and "(not retried)" in failed.value.description
    with pytest.raises(DagsterExecutionInterruptedError), source_retries(CONFIGURED, 0):
        raise DagsterExecutionInterruptedError()


class FlakyMarket(MarketData):
    """The simulated market; its first crypto-trade fetch fails with HTTP 503, and with
    ``stop_after`` set, a terminate request arrives while that many fetches are done.

    Each crypto-trade fetch's hour is appended to the file ``fetch_log``: the partitions after a
    range's first are fetched in a forked process (``VVV_INGEST_LOOKAHEAD`` auto), whose
    changes to this process's lists would be lost."""

    fail_first: bool = False
    stop_after: int = 0
    fetch_log: str

    def fetches(self) -> list[str]:
        path = Path(self.fetch_log)
        return path.read_text().split() if path.exists() else []

    def fetch(
        self,
        source: Source,
        start: pd.Timestamp,
        end: pd.Timestamp,
        symbols: Sequence[str],
        universe: Universe,
    ) -> pd.DataFrame:
        if source == Source.CRYPTO_TRADES:
            with open(self.fetch_log, "a") as log:
                log.write(f"{start:%H:%M}\n")
            fetched = len(self.fetches())
            if self.fail_first and fetched == 1:
                raise RetryableError("simulated", "/crypto_trades", "HTTP 503")
            if self.stop_after and fetched == self.stop_after:
                request_stop()  # as the command's follower does when the run turns CANCELING
        return super().fetch(source, start, end, symbols, universe)


def _run(market: FlakyMarket, instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    defs = build_definitions(resources={"market": market})
    job = dg.define_asset_job("only_crypto_trades", selection=["crypto_trades"]).resolve(
        asset_graph=defs.resolve_asset_graph(), resource_defs=defs.resources
    )
    tags = dict(zip(RANGE_TAGS, (HOURS[0], HOURS[-1]), strict=True))
    try:
        return job.execute_in_process(instance=instance, tags=tags, raise_on_error=False)
    finally:
        forget_request()


def _events(result: dg.ExecuteInProcessResult, kind: dg.DagsterEventType) -> list:
    return [event for event in result.all_events if event.event_type == kind]


def test_a_step_retried_after_a_503_writes_every_partition(
    data_dir, instance, monkeypatch, tmp_path
):
    monkeypatch.setenv("VVV_SOURCE_RETRY_DELAY_SECONDS", "0")
    market = FlakyMarket(scale="tiny", fail_first=True, fetch_log=str(tmp_path / "fetches"))
    result = _run(market, instance)
    assert result.success
    assert len(_events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY)) == 1
    assert market.fetches() == ["14:00", "14:00", "15:00", "16:00"]  # the failed hour, then all
    assert instance.get_materialized_partitions(dg.AssetKey("crypto_trades")) == set(HOURS)


def test_a_terminate_request_stops_the_step_at_the_next_partition_without_a_retry(
    data_dir, instance, monkeypatch, tmp_path
):
    monkeypatch.setenv("VVV_SOURCE_RETRY_DELAY_SECONDS", "5")  # a retry would wait 5-15 s
    market = FlakyMarket(scale="tiny", stop_after=1, fetch_log=str(tmp_path / "fetches"))
    result = _run(market, instance)
    assert not result.success
    assert market.fetches() == ["14:00"]  # the request came during the first hour: nothing after
    assert _events(result, dg.DagsterEventType.STEP_UP_FOR_RETRY) == []
    assert _events(result, dg.DagsterEventType.STEP_RESTARTED) == []
    (failure,) = _events(result, dg.DagsterEventType.STEP_FAILURE)
    assert "DagsterExecutionInterruptedError" in failure.step_failure_data.error.to_string()
    assert instance.get_materialized_partitions(dg.AssetKey("crypto_trades")) == set()
