"""A stream's status: the collector's file, the reader's verdict, the sensor's events and alerts."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from vvv_pipeline.defs.assets.streams import stream_asset_specs, stream_key
from vvv_pipeline.defs.automation.alerts import alert_on_freshness_failure
from vvv_pipeline.defs.automation.streams import crypto_stream_status
from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline.streaming.status import (
    STATUS_VERSION,
    assess,
    read_status,
    status_path,
    write_status,
)
from vvv_pipeline_tests.automation.freshness_daemon import evaluate_freshness
from vvv_pipeline_tests.webhook_receiver import WebhookReceiver

UI = "http://ui.test:3000"
STALL = 30.0


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def status(
    written_ago: float = 0.0,
    message_ago: float | None = 0.5,
    trade_ago: float = 1.5,
    state: str = "running",
) -> dict:
    now = now_ms()
    last = None if message_ago is None else now - int(message_ago * 1000)
    return {
        "version": STATUS_VERSION,
        "kind": "crypto_trades",
        "venue": "binance",
        "url": "ws://127.0.0.1:1/ws",
        "pid": 4242,
        "host": "collector-1",
        "started_ms": now - 600_000,
        "written_ms": now - int(written_ago * 1000),
        "state": state,
        "connected": True,
        "last_message_ms": last,
        "frames": 1200,
        "trades": 1190,
        "staged_rows": 1150,
        "held_rows": 40,
        "flushes": 12,
        "connections": 2,
        "reconnects": 1,
        "gaps": 1,
        "backfilled": 30,
        "backfill_failures": 0,
        "malformed": 1,
        "repeats": 0,
        "pairs": {
            "BTCUSDT": {
                "last_trade_ms": now - int(trade_ago * 1000),
                "trades": 800,
                "staged_rows": 780,
            },
            "ETHUSDT": {"last_trade_ms": now - 20_000, "trades": 390, "staged_rows": 370},
        },
    }


def test_a_status_file_is_replaced_whole_and_a_broken_one_reads_as_none(tmp_path):
    path = status_path(tmp_path / "stream", "binance")
    assert path.name == "crypto_trades-binance.json" and read_status(path) is None
    written = status()
    write_status(path, written)
    assert read_status(path) == written
    write_status(path, status(state="stopped"))
    assert read_status(path)["state"] == "stopped"
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left
    path.write_text('{"version": 1, "pairs": ')
    assert read_status(path) is None
    path.write_text('{"version": 99}')
    assert read_status(path) is None


def test_the_verdict_follows_the_three_clocks_and_the_stopped_flag():
    now = now_ms()
    healthy = assess("binance", status(), now, STALL)
    assert healthy.health == "streaming" and healthy.healthy
    btc, _ = healthy.pairs
    assert btc.symbol == "BTCUSDT" and 1.4 <= btc.lag_seconds < 2.5 and btc.trades == 800
    assert 19.9 <= healthy.max_lag_seconds < 21
    assert assess("binance", status(message_ago=45), now, STALL).health == "stalled"
    assert "nothing for 45 s" in assess("binance", status(message_ago=45), now, STALL).reason
    assert assess("binance", status(message_ago=None), now, STALL).health == "stalled"
    dead = assess("binance", status(written_ago=40), now, STALL)
    assert dead.health == "not reporting" and "pid 4242 on collector-1" in dead.reason
    assert assess("binance", status(state="stopped"), now, STALL).health == "stopped"
    assert assess("bybit", None, now, STALL).health == "missing"


@dataclass
class Monitored:
    receiver: WebhookReceiver
    directory: Path
    """Where the collectors write their status files."""


@pytest.fixture
def streams(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Monitored]:
    monkeypatch.setenv("VVV_STREAM_VENUES", "binance,bybit")
    monkeypatch.setenv("VVV_STREAM_STATUS_DIR", str(tmp_path / "stream"))
    monkeypatch.setenv("VVV_STREAM_STALL_SECONDS", str(STALL))
    monkeypatch.setenv("VVV_UI_URL", UI)
    with WebhookReceiver() as webhook:
        monkeypatch.setenv("VVV_ALERT_WEBHOOK", webhook.url)
        yield Monitored(webhook, tmp_path / "stream")


class StatusTicks:
    """Sensor ticks as the daemon runs them: cursor carried, asset events stored."""

    def __init__(self, instance: dg.DagsterInstance) -> None:
        self.instance, self.cursor = instance, None

    def __call__(self) -> str | None:
        context = dg.build_sensor_context(instance=self.instance, cursor=self.cursor)
        data = crypto_stream_status.evaluate_tick(context)
        self.cursor = data.cursor
        for event in data.asset_events:
            self.instance.report_runless_asset_event(event)
        return data.skip_message


def latest(instance: dg.DagsterInstance, venue: str) -> dict:
    """The newest event of either kind on the venue's stream asset, as plain metadata."""
    records = instance.fetch_observations(stream_key(venue), limit=1).records
    materialized = instance.get_latest_materialization_event(stream_key(venue))
    candidates = [(r.timestamp, r.asset_observation) for r in records]
    if materialized is not None:
        candidates.append((materialized.timestamp, materialized.asset_materialization))
    _, event = max(candidates, key=lambda c: c[0])
    return {k: v.value for k, v in event.metadata.items()}


def materializations(instance: dg.DagsterInstance, venue: str) -> int:
    return len(instance.fetch_materializations(stream_key(venue), limit=100).records)


def test_the_sensor_reports_lag_and_posts_one_alert_per_stall_incident(instance, streams):
    binance = status_path(streams.directory, "binance")
    write_status(binance, status())
    tick = StatusTicks(instance)
    summary = tick()
    assert summary.startswith("binance: streaming (lag 20.")
    assert "bybit: missing, incident opened" in summary and "1 alerts posted" in summary
    shown = latest(instance, "binance")
    assert shown["health"] == "streaming" and 19.9 <= shown["lag_seconds"] < 22
    assert shown["reconnects"] == 1 and shown["gaps"] == 1 and shown["staged_rows"] == 1150
    assert "| BTCUSDT |" in shown["pairs"] and shown["collector"].startswith("pid 4242")
    assert instance.get_latest_materialization_event(stream_key("bybit")) is None
    assert latest(instance, "bybit")["health"] == "missing"
    assert streams.receiver.texts == [
        "[vvv] stream stalled: crypto_trade_stream/bybit\n"
        "asset: crypto_trade_stream/bybit\n"
        "partition: none (a live stream)\n"
        "reason: missing: no status file: the collector never ran here; no frame recorded\n"
        f"link: {UI}/assets/crypto_trade_stream/bybit"
    ]

    assert materializations(instance, "binance") == 1
    tick()  # nothing new arrived: an observation, not a materialization
    assert materializations(instance, "binance") == 1
    write_status(binance, status(message_ago=0.1))
    tick()
    assert materializations(instance, "binance") == 2

    write_status(binance, status(message_ago=50))  # connected, but silent
    assert "binance: stalled, incident opened" in tick()
    tick()
    write_status(binance, status(written_ago=45, message_ago=46))  # the collector was killed
    tick()  # still the same incident
    assert len(streams.receiver.texts) == 2
    assert streams.receiver.texts[1].splitlines()[3].startswith("reason: stalled: nothing for 50 s")
    assert latest(instance, "binance")["health"] == "not reporting"

    write_status(binance, status())  # restarted: the incident closes
    assert tick().startswith("binance: streaming")
    write_status(binance, status(state="stopped"))
    tick()
    assert len(streams.receiver.texts) == 3
    assert "reason: stopped: the collector stopped" in streams.receiver.texts[2]


STREAM_DEFS = dg.Definitions(assets=stream_asset_specs(("binance",), STALL))


def test_the_freshness_badge_fails_when_reports_stop_and_leaves_the_alert_to_the_sensor(
    instance, streams
):
    fresh = dg.build_sensor_context(instance=instance)
    data = alert_on_freshness_failure.evaluate_tick(fresh)  # starts its cursor
    write_status(status_path(streams.directory, "binance"), status())
    StatusTicks(instance)()
    now = dt.datetime.now(dt.UTC)
    evaluate_freshness(instance, __name__, "STREAM_DEFS", now)
    evaluate_freshness(instance, __name__, "STREAM_DEFS", now + dt.timedelta(minutes=2))
    changes = [
        r.event_log_entry.dagster_event.asset_freshness_state_change_data
        for r in instance.event_log_storage.get_event_records(
            dg.EventRecordsFilter(dg.DagsterEventType.FRESHNESS_STATE_CHANGE)
        )
    ]
    assert [(c.key, c.new_state.value) for c in changes if c.key == stream_key("binance")] == [
        (stream_key("binance"), "FAIL"),
        (stream_key("binance"), "PASS"),
    ]  # newest first: PASS after the report, FAIL two minutes without one
    posted = len(streams.receiver.texts)  # bybit's missing file: the sensor's one alert
    data = alert_on_freshness_failure.evaluate_tick(
        dg.build_sensor_context(instance=instance, cursor=data.cursor)
    )
    assert data.skip_message == "no new incidents (2 freshness changes read)"
    assert len(streams.receiver.texts) == posted == 1


def test_stream_assets_exist_only_when_streams_are_monitored(monkeypatch):
    monkeypatch.delenv("VVV_STREAM_VENUES", raising=False)
    plain = build_definitions()
    assert not [s for s in plain.resolve_all_asset_specs() if s.key.path[0].endswith("stream")]
    assert "crypto_stream_status" not in {s.name for s in plain.sensors}
    monkeypatch.setenv("VVV_STREAM_VENUES", "bybit")
    monitored = build_definitions()
    dg.Definitions.validate_loadable(monitored)
    (spec,) = [s for s in monitored.resolve_all_asset_specs() if s.key == stream_key("bybit")]
    assert spec.owners == ["team:market-data"] and spec.tags["layer"] == "source"
    assert spec.group_name == "sources" and spec.kinds == {"websocket", "arcticdb"}
    assert spec.freshness_policy.fail_window.to_timedelta() == dt.timedelta(minutes=2)
    assert "crypto_stream_status" in {s.name for s in monitored.sensors}
