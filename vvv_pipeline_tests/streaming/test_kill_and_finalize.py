"""The collector as its command runs it, killed mid-stream and restarted, then the hour
finalized by the ``crypto_trades`` asset: no trade lost or repeated against the fake's truth.

The first process is SIGKILLed (what it had not flushed is lost, and nothing of its
connection's end is seen); the second starts with no memory of the first, so the trades
printed in between are a hole only finalization can find; it is stopped with SIGTERM and must
flush and exit 0. The asset then builds the hour from the stream and fills the holes from the
REST fake serving the same trades; a second materialization stores the same rows.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from vvv_pipeline.defs.assets.sources import SOURCE_ASSETS
from vvv_pipeline.defs.definitions import build_resources
from vvv_pipeline.defs.resources import MarketData
from vvv_pipeline.streaming.status import read_status, status_path
from vvv_pipeline_tests.assets.helpers import stored_ticks
from vvv_pipeline_tests.fakes.binance_ws import FakeBinanceStream, StreamScript
from vvv_pipeline_tests.streaming.streams import (
    KEY,
    SIM_HOUR,
    SYMBOLS,
    hour_market,
    rest_client,
    rest_server,
    served_hour,
)

pytestmark = pytest.mark.slow
CRYPTO_TRADES = next(a for a in SOURCE_ASSETS if a.key.to_user_string() == "crypto_trades")


def start_collector(
    ws_url: str, rest_url: str, log: Path, extra: Sequence[str] = ()
) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "vvv_pipeline.cli", "stream", "crypto", *extra]
    command += ["--url", ws_url, "--rest-url", rest_url, "--flush-rows", "200", "--flush-ms", "50"]
    with open(log, "ab") as sink:
        return subprocess.Popen(command, env=os.environ.copy(), stdout=sink, stderr=sink)


def wait_until(done: Callable[[], bool], seconds: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, (
            f"timed out waiting for {what}: {log.read_text()[-2000:]}"
        )
        time.sleep(0.02)


def materialize(instance: dg.DagsterInstance, rest_url: str) -> dict[str, object]:
    market = MarketData(
        provider="live", binance_url=rest_url, binance_futures_url=rest_url, requests_per_second=1e3
    )
    result = dg.materialize(
        [CRYPTO_TRADES],
        partition_key=KEY,
        resources={**build_resources(), "market": market},
        instance=instance,
    )
    assert result.success
    event = instance.get_latest_materialization_event(dg.AssetKey("crypto_trades"))
    assert event is not None and event.asset_materialization is not None
    return {k: v.value for k, v in event.asset_materialization.metadata.items()}


def test_a_killed_and_restarted_collector_loses_and_repeats_nothing_once_finalized(
    data_dir, instance, monkeypatch, tmp_path
):
    monkeypatch.setenv("VVV_STREAM_CRYPTO_TRADES", "1")
    market, trades = hour_market(3000)
    log = tmp_path / "collector.log"
    with (
        rest_server(market, trades) as rest,
        FakeBinanceStream(trades, SYMBOLS, SIM_HOUR, StreamScript(rate=1500)).start() as fake,
    ):
        first = start_collector(fake.url, rest.url, log)
        wait_until(lambda: fake.log.sent > 1500, 30, "the first collector to stream", log)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        at_kill = fake.log.sent
        second = start_collector(fake.url, rest.url, log)
        wait_until(
            lambda: fake.log.sent > at_kill + 1500, 30, "the second collector to stream", log
        )
        second.send_signal(signal.SIGTERM)
        assert second.wait(15) == 0, log.read_text()
        assert fake.log.connections == 2
        assert "stream stopped" in log.read_text()
        # its status file says who stopped, and cleanly
        status = read_status(status_path(data_dir / "stream", "binance"))
        assert status is not None and status["state"] == "stopped"
        assert status["pid"] == second.pid and status["trades"] > 1000

        meta = materialize(instance, rest.url)
        client = rest_client(rest)
        truth = served_hour(client)
        stored = stored_ticks("crypto_trades", [KEY])
        assert len(stored) == len(truth) == 3 * 3000
        assert not stored.duplicated(["symbol", "trade_id"]).any()
        pd.testing.assert_frame_equal(
            stored[truth.columns].reset_index(drop=True), truth, check_categorical=False
        )
        from_stream = meta["rows_from_stream"]
        assert isinstance(from_stream, int) and from_stream > 2500
        assert meta["rows_from_rest_fill"] > 0  # the kill's hole and the hour's unstreamed end
        assert from_stream + meta["rows_from_collector_backfill"] + meta["rows_from_rest_fill"] == (
            len(truth)
        )
        assert meta["streamed_symbols"] == ", ".join(SYMBOLS)
        assert meta["stream_hours_pruned"] == 0  # nothing streamed a week before the hour

        again = materialize(instance, rest.url)
        pd.testing.assert_frame_equal(stored_ticks("crypto_trades", [KEY]), stored)
        assert {k: again[k] for k in again if k.startswith("rows_from")} == {
            k: meta[k] for k in meta if k.startswith("rows_from")
        }
        client.close()
