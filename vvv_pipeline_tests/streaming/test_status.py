"""A stream's status: the collector's file, the reader's verdict, the sensor's events and alerts."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from vvv_pipeline.defs.assets.streams import stream_asset_specs, stream_key
from vvv_pipeline.defs.automation.alerts import alert_on_freshness_failure
from vvv_pipeline.defs.automation.streams import pairs_table, stream_status
from vvv_pipeline.defs.definitions import build_definitions
from vvv_pipeline.streaming.status import (
    STATUS_VERSION,
    assess,
    read_status,
    status_path,
    write_status,
)
from vvv_pipeline_tests.automation.freshness_daemon import evaluate_freshness
from vvv_pipeline_tests.frozen_clock import dagster_clock
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


def test_the_pairs_table_shows_coverage_only_for_streams_that_keep_it():
    now = now_ms()
    plain = pairs_table(assess("binance", status(), now, STALL))
    assert plain.splitlines()[0] == "| symbol | last trade | lag (s) | trades | staged rows |"
    assert "covered" not in plain and len(plain.splitlines()) == 4
    kept = status()
    kept["pairs"]["BTCUSDT"]["covered_since_ms"] = 1_764_082_800_000  # 2025-11-25 15:00 UTC
    kept["pairs"]["ETHUSDT"]["covered_since_ms"] = None
    head, rule, btc, eth = pairs_table(assess("bybit", kept, now, STALL)).splitlines()
    assert head.endswith("| staged rows | covered since |") and rule == "|---" * 6 + "|"
    assert btc.endswith("| 2025-11-25 15:00:00 UTC |") and eth.endswith("| not yet |")
    kept["pairs"]["ETHUSDT"]["covered_since_ms"] = 0  # a snapshot that held every trade
    assert pairs_table(assess("bybit", kept, now, STALL)).endswith("| its first trade |")


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
        data = stream_status.evaluate_tick(context)
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
    assert "stream_status" not in {s.name for s in plain.sensors}
    monkeypatch.setenv("VVV_STREAM_VENUES", "bybit")
    monitored = build_definitions()
    dg.Definitions.validate_loadable(monitored)
    (spec,) = [s for s in monitored.resolve_all_asset_specs() if s.key == stream_key("bybit")]
    assert spec.owners == ["team:market-data"] and spec.tags["layer"] == "source"
    assert spec.group_name == "sources" and spec.kinds == {"websocket", "arcticdb"}
    assert spec.freshness_policy.fail_window.to_timedelta() == dt.timedelta(minutes=2)
    assert "stream_status" in {s.name for s in monitored.sensors}


def _equity_status(at: pd.Timestamp, message_ago: float | None, written_ago: float = 0.0) -> dict:
    """The IQFeed collector's status as written at ``at`` (Dagster's clock in these tests)."""
    written = status(written_ago=written_ago, message_ago=message_ago, trade_ago=1.0)
    shift = at.value // 1_000_000 - now_ms()
    for field in ("started_ms", "written_ms", "last_message_ms"):
        if written[field] is not None:
            written[field] += shift
    written["pairs"] = {
        "SPY": {"last_trade_ms": written["pairs"]["BTCUSDT"]["last_trade_ms"] + shift}
        | {"trades": 5, "staged_rows": 5}
    }
    return written | {"kind": "equity_ticks", "venue": "iqfeed", "url": "tcp://127.0.0.1:5009"}


def test_the_equity_stream_is_silent_without_alarm_only_outside_regular_hours(
    instance, streams, monkeypatch
):
    monkeypatch.setenv("VVV_STREAM_VENUES", "iqfeed")
    path = status_path(streams.directory, "iqfeed", "equity_ticks")
    assert path.name == "equity_ticks-iqfeed.json" and stream_key("iqfeed").path == [
        "equity_tick_stream",
        "iqfeed",
    ]
    tick = StatusTicks(instance)
    friday_open = pd.Timestamp("2025-11-28 15:00", tz="UTC")  # 10:00 New York, early close
    steps = [
        (pd.Timestamp("2025-11-27 15:00", tz="UTC"), 80_000.0, 0.0, "iqfeed: closed"),  # holiday
        (friday_open, 0.5, 0.0, "iqfeed: streaming"),
        (pd.Timestamp("2025-11-28 18:30", tz="UTC"), 900.0, 0.0, "iqfeed: closed"),  # 13:30
        (pd.Timestamp("2025-11-29 15:00", tz="UTC"), 80_000.0, 0.0, "iqfeed: closed"),  # Sat
        # Monday 10:00: the collector writes its status but hears nothing -> a stall
        (pd.Timestamp("2025-12-01 15:00", tz="UTC"), 90.0, 0.0, "iqfeed: stalled, incident"),
        (pd.Timestamp("2025-12-01 21:30", tz="UTC"), 90.0, 0.0, "iqfeed: closed"),  # 16:30
        # at night, a collector that stopped writing is an incident all the same
        (pd.Timestamp("2025-12-02 03:00", tz="UTC"), 200.0, 120.0, "iqfeed: not reporting, inc"),
    ]
    seen = []
    for at, message_ago, written_ago, expected in steps:
        with dagster_clock(at):
            write_status(path, _equity_status(at, message_ago, written_ago))
            summary = tick()
        assert summary.startswith(expected), (at, summary)
        seen.append(latest(instance, "iqfeed")["health"])
    assert seen == [
        "closed",
        "streaming",
        "closed",
        "closed",
        "stalled",
        "closed",
        "not reporting",
    ]
    assert materializations(instance, "iqfeed") == 1  # only the streaming tick
    assert "no trades expected now: the market is closed" in latest_reason(instance, steps)
    assert [text.splitlines()[0] for text in streams.receiver.texts] == [
        "[vvv] stream stalled: equity_tick_stream/iqfeed"
    ] * 2
    assert "reason: stalled: nothing for 90 s" in streams.receiver.texts[0]
    assert "reason: not reporting: the collector last wrote" in streams.receiver.texts[1]


def latest_reason(instance: dg.DagsterInstance, steps: list) -> str:
    """Every ``reason`` recorded on the equity stream's asset, joined."""
    records = instance.fetch_observations(stream_key("iqfeed"), limit=len(steps)).records
    return " | ".join(r.asset_observation.metadata["reason"].value for r in records)


def test_the_equity_stream_asset_has_a_session_freshness_policy(monkeypatch):
    monkeypatch.setenv("VVV_STREAM_VENUES", "binance,iqfeed")
    defs = build_definitions()
    dg.Definitions.validate_loadable(defs)
    specs = {s.key: s for s in defs.resolve_all_asset_specs() if s.key.path[0].endswith("stream")}
    assert set(specs) == {stream_key("binance"), stream_key("iqfeed")}
    equity = specs[stream_key("iqfeed")]
    assert equity.kinds == {"iqfeed", "arcticdb"} and equity.tags["asset_class"] == "equity"
    assert equity.freshness_policy.deadline_cron == "0 16 * * 1-5"
    assert equity.freshness_policy.timezone == "America/New_York"
    assert "vvv-pipeline stream equities" in equity.description
    monkeypatch.setenv("VVV_STREAM_VENUES", "nasdaq")
    with pytest.raises(Exception, match=r"unknown venues \['nasdaq'\]"):
        build_definitions()


def test_the_open_interest_stream_is_its_own_asset_read_from_its_own_status(
    instance, streams, monkeypatch
):
    monkeypatch.setenv("VVV_STREAM_VENUES", "bybit,bybit-open-interest,binance-open-interest")
    assert stream_key("bybit-open-interest").path == ["crypto_open_interest_stream", "bybit"]
    assert stream_key("binance-open-interest").path == ["crypto_open_interest_stream", "binance"]
    defs = build_definitions()
    dg.Definitions.validate_loadable(defs)
    specs = {s.key: s for s in defs.resolve_all_asset_specs() if s.key.path[0].endswith("stream")}
    oi = [stream_key("bybit-open-interest"), stream_key("binance-open-interest")]
    assert set(specs) == {stream_key("bybit"), *oi}
    assert specs[oi[1]].kinds == {"rest", "arcticdb"} and "polled" in specs[oi[1]].description
    assert (
        "vvv-pipeline stream open-interest" in specs[stream_key("bybit-open-interest")].description
    )
    # the tickers collector's file, beside the trade collector's (which is missing here)
    path = status_path(streams.directory, "bybit", "crypto_open_interest")
    assert path.name == "crypto_open_interest-bybit.json"
    write_status(path, status() | {"kind": "crypto_open_interest", "venue": "bybit"})
    summary = StatusTicks(instance)()
    assert "bybit-open-interest: streaming (lag 20." in summary
    assert "bybit: missing, incident opened" in summary
    assert "binance-open-interest: missing, incident opened" in summary
    assert materializations(instance, "bybit-open-interest") == 1
    assert latest(instance, "bybit-open-interest")["health"] == "streaming"
    assert latest(instance, "bybit")["health"] == "missing"
