"""What the open-interest stream tests share: the collector processes (killed if a test fails
while they run) and the hour finalized through the ``crypto_open_interest`` asset."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from vvv_pipeline.defs.assets.sources import SOURCE_ASSETS
from vvv_pipeline.defs.definitions import build_resources
from vvv_pipeline.defs.resources import MarketData
from vvv_pipeline_tests.streaming.streams import KEY

OPEN_INTEREST = next(a for a in SOURCE_ASSETS if a.key.to_user_string() == "crypto_open_interest")


class Collectors:
    """``vvv-pipeline stream open-interest`` processes, logging to ``log``; any still running
    when the test ends (a failed wait) is killed."""

    def __init__(self, log: Path) -> None:
        self.log, self.started = log, []

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "vvv_pipeline.cli", "stream", "open-interest", *args]
        command += ["--flush-rows", "200", "--flush-ms", "50"]
        with open(self.log, "ab") as sink:
            process = subprocess.Popen(command, env=os.environ.copy(), stdout=sink, stderr=sink)
        self.started.append(process)
        return process


@pytest.fixture
def collectors(tmp_path: Path) -> Iterator[Collectors]:
    running = Collectors(tmp_path / "collector.log")
    yield running
    for process in running.started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def materialize(
    instance: dg.DagsterInstance, rest_url: str, venue: str = "bybit"
) -> dict[str, object]:
    """The hour's ``crypto_open_interest`` through the asset, from ``venue`` (its REST at
    ``rest_url``); the materialization's metadata."""
    urls = {"bybit_url": rest_url} if venue == "bybit" else {"binance_futures_url": rest_url}
    market = MarketData(provider="live", open_interest_venue=venue, requests_per_second=1e3, **urls)
    result = dg.materialize(
        [OPEN_INTEREST],
        partition_key=KEY,
        resources={**build_resources(), "market": market},
        instance=instance,
    )
    assert result.success
    (event,) = result.asset_materializations_for_node("crypto_open_interest")
    return {k: v.value for k, v in event.metadata.items()}
