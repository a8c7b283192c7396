"""``stream_status``: each monitored stream's live status, as asset events and alerts.

Every :data:`~vvv_pipeline.defs.assets.streams.STATUS_SENSOR_SECONDS` the sensor reads each
monitored stream's status file (:mod:`vvv_pipeline.streaming.status`; ``VVV_STREAM_VENUES``,
``VVV_STREAM_STATUS_DIR``) and records one event on ``crypto_trade_stream/<venue>``,
``crypto_open_interest_stream/<venue>`` or ``equity_tick_stream/iqfeed``:

- a **materialization** when the stream is healthy and frames arrived since the last report
  (what the asset's freshness policy counts);
- an **observation** otherwise (closed, stalled, stopped, not reporting, missing, or nothing
  new).

The equity stream is judged against the XNYS calendar: outside a session's regular hours its
silence is ``closed``, not a stall (a collector that stops writing its status still is).

Both carry the same metadata: ``health``, ``reason``, ``lag_seconds`` (the largest of the
pairs: now minus the pair's last trade time; the UI plots it), ``last_frame_age_seconds``,
counters (trades, rows staged, reconnects, gaps, rows backfilled, malformed frames) and a
table of the pairs.

A stream that is neither healthy nor closed opens an incident: one message to
``VVV_ALERT_WEBHOOK`` (through the alerts' delivery: bounded retries, never raising), then
nothing until it has been healthy (or closed) again. The open incidents and the last reported
frame time are the cursor. Incidents are tracked with alerts off too, so switching alerts on
later posts only new incidents.
"""

from __future__ import annotations

import json
from typing import Any

import dagster as dg
import pandas as pd

from vvv_pipeline import settings
from vvv_pipeline.calendars import in_regular_hours
from vvv_pipeline.defs.assets.streams import STATUS_SENSOR_SECONDS, stream_key
from vvv_pipeline.defs.automation.alerts import messages as msg
from vvv_pipeline.defs.automation.alerts.webhook import deliver, per_tick_cap, ui_url, webhook_url
from vvv_pipeline.defs.automation.clock import now_utc
from vvv_pipeline.streaming.status import Assessment, assess, read_status, status_path


def frames_expected(stream: str, now: pd.Timestamp) -> bool:
    """Crypto around the clock; equities in the XNYS session's regular hours."""
    if settings.MONITORED_STREAMS[stream] != "equity_ticks":
        return True
    return in_regular_hours(now)


COUNTERS = {
    "trades": "trades",
    "staged_rows": "staged_rows",
    "reconnects": "reconnects",
    "gaps": "gaps",
    "backfilled": "backfilled_rows",
    "malformed": "malformed_frames",
}
"""Status file field -> metadata key."""


def _utc_ms(ms: int | None) -> str | None:
    if ms is None:
        return None
    return pd.Timestamp(ms, unit="ms", tz="UTC").strftime("%Y-%m-%d %H:%M:%S UTC")


def pairs_table(found: Assessment) -> str:
    """One row per pair; a "covered since" column where the stream keeps coverage (Bybit:
    from then on its hours can be finalized without asking REST)."""
    covered = any(pair.covered_since_ms is not None for pair in found.pairs)
    head = "| symbol | last trade | lag (s) | trades | staged rows |"
    rows = [head + (" covered since |" if covered else ""), "|---" * (6 if covered else 5) + "|"]
    for pair in found.pairs:
        lag = "" if pair.lag_seconds is None else f"{pair.lag_seconds:.1f}"
        row = (
            f"| {pair.symbol} | {_utc_ms(pair.last_trade_ms) or 'none yet'} | {lag} | "
            f"{pair.trades:,} | {pair.staged_rows:,} |"
        )
        if covered:
            since = pair.covered_since_ms
            shown = "its first trade" if since == 0 else _utc_ms(since) or "not yet"
            row += f" {shown} |"
        rows.append(row)
    return "\n".join(rows)


def stream_metadata(found: Assessment, now_ms: int, path: str) -> dict[str, Any]:
    status = found.status or {}
    meta: dict[str, Any] = {
        "health": dg.MetadataValue.text(found.health),
        "reason": dg.MetadataValue.text(found.reason),
        "status_file": dg.MetadataValue.path(path),
    }
    if found.max_lag_seconds is not None:
        meta["lag_seconds"] = dg.MetadataValue.float(round(found.max_lag_seconds, 3))
    if found.last_message_ms is not None:
        age = max(0.0, (now_ms - found.last_message_ms) / 1000.0)
        meta["last_frame_age_seconds"] = dg.MetadataValue.float(round(age, 3))
        meta["last_frame"] = dg.MetadataValue.timestamp(found.last_message_ms / 1000.0)
    for field, key in COUNTERS.items():
        if field in status:
            meta[key] = dg.MetadataValue.int(int(status[field]))
    if status:
        meta["connected"] = dg.MetadataValue.bool(bool(status.get("connected")))
        meta["collector"] = dg.MetadataValue.text(
            f"pid {status.get('pid')} on {status.get('host')}, started "
            f"{_utc_ms(status.get('started_ms'))}, {status.get('url')}"
        )
    if found.pairs:
        meta["pairs"] = dg.MetadataValue.md(pairs_table(found))
    return meta


@dg.sensor(
    name="stream_status",
    minimum_interval_seconds=STATUS_SENSOR_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Reads each monitored stream's status file (VVV_STREAM_VENUES) and records its "
    "health and lag per instrument on crypto_trade_stream/<venue>, "
    "crypto_open_interest_stream/<venue> or equity_tick_stream/iqfeed "
    "(a materialization when new frames arrived, an observation otherwise); posts one alert to "
    "VVV_ALERT_WEBHOOK per stall incident (no frame for VVV_STREAM_STALL_SECONDS while the "
    "instruments trade, or no status written for that long).",
)
def stream_status(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    current = settings.current()
    venues = settings.stream_venues()
    directory = settings.stream_status_dir()
    state: dict[str, dict[str, Any]] = json.loads(context.cursor) if context.cursor else {}
    now = now_utc()
    now_ms = now.value // 1_000_000
    events: list[dg.AssetMaterialization | dg.AssetObservation] = []
    incidents: list[msg.Incident] = []
    summary = []
    for venue in venues:
        path = status_path(
            directory, settings.stream_venue(venue), settings.MONITORED_STREAMS[venue]
        )
        found = assess(
            venue,
            read_status(path),
            now_ms,
            current.stream_stall_seconds,
            expected=frames_expected(venue, now),
        )
        seen = state.setdefault(venue, {"reported_ms": None, "open": False})
        meta = stream_metadata(found, now_ms, str(path))
        fresh = found.last_message_ms is not None and (
            seen["reported_ms"] is None or found.last_message_ms > seen["reported_ms"]
        )
        if found.healthy and fresh:
            events.append(dg.AssetMaterialization(stream_key(venue), metadata=meta))
            seen["reported_ms"] = found.last_message_ms
        else:
            events.append(dg.AssetObservation(stream_key(venue), metadata=meta))
        note = found.health
        if found.healthy or found.health == "closed":
            seen["open"] = False
        elif not seen["open"]:
            seen["open"] = True
            note += ", incident opened"
            incidents.append(
                msg.stream_stall(
                    ui_url(),
                    stream_key(venue).path,
                    found.health,
                    found.reason,
                    _utc_ms(found.last_message_ms),
                )
            )
        lag = found.max_lag_seconds
        summary.append(f"{venue}: {note}" + ("" if lag is None else f" (lag {lag:.1f} s)"))
    url = webhook_url()
    if incidents and url is not None:
        done = deliver(url, msg.fold(incidents, per_tick_cap()), context.log)
        summary.append(f"{done.posted} alerts posted")
    elif incidents:
        summary.append("alerts off")
    return dg.SensorResult(
        asset_events=events,
        cursor=json.dumps(state, sort_keys=True),
        skip_reason="; ".join(summary) or "no stream monitored",
    )
