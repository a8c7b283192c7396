"""Alert text: one plain-text message per incident, built from plain values (no Dagster here).

A message names what broke (title), the asset, the partition(s), the reason and a UI link, one
field per line, so it reads the same in Slack, Mattermost or a terminal. Partition lists are
shortened to their first few keys with a count, so a 200-partition range stays one short
message. :func:`fold` enforces the per-tick cap: past it, the rest become one summary message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode

PREFIX = "[vvv]"
SHOWN_PARTITIONS = 5
"""Partition keys listed in a message; the rest are counted."""
MAX_REASON = 300
_QUALIFIED = re.compile(r"^(?:[A-Za-z_]\w*\.)+([A-Za-z_]\w*): ")


@dataclass(frozen=True)
class Incident:
    """What one alert says."""

    title: str
    asset: str
    partition: str
    reason: str
    link: str


def render(incident: Incident) -> str:
    """The message text for ``incident``."""
    return "\n".join(
        [
            f"{PREFIX} {incident.title}",
            f"asset: {incident.asset}",
            f"partition: {incident.partition}",
            f"reason: {incident.reason}",
            f"link: {incident.link}",
        ]
    )


def first_line(text: str | None) -> str:
    """The first non-empty line of an error message, without the exception's module path.

    A line ending with ``:`` announces the next one (Dagster's check-failure errors put the
    failing check there), so the two are joined.
    """
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return "no error message recorded"
    line = lines[0]
    if line.endswith(":") and len(lines) > 1:
        line = f"{line} {lines[1]}"
    line = _QUALIFIED.sub(r"\1: ", line)
    return line if len(line) <= MAX_REASON else line[: MAX_REASON - 1] + "…"


def describe_partitions(keys: Sequence[str], total: int | None = None) -> str:
    """``a`` for one key; ``3 partitions: a, b, c``; ``12 partitions: a, …, e (+7 more)``.

    ``total`` is the number of partitions checked; shown when more than failed.
    """
    if not keys:
        return "none (unpartitioned)"
    partial = total is not None and total > len(keys)
    if len(keys) == 1 and not partial:
        return keys[0]
    count = f"{len(keys)} of {total} partitions" if partial else f"{len(keys)} partitions"
    shown = ", ".join(keys[:SHOWN_PARTITIONS])
    more = f" (+{len(keys) - SHOWN_PARTITIONS} more)" if len(keys) > SHOWN_PARTITIONS else ""
    return f"{count}: {shown}{more}"


def describe_range(start: str, end: str) -> str:
    return f"{start}...{end} (range)"


def run_link(ui: str, run_id: str) -> str:
    return f"{ui}/runs/{run_id}"


def backfill_link(ui: str, backfill_id: str) -> str:
    return f"{ui}/runs/b/{backfill_id}"


def asset_link(ui: str, asset_path: Sequence[str], **query: str) -> str:
    path = "/".join(quote(part, safe="") for part in asset_path)
    return f"{ui}/assets/{path}" + (f"?{urlencode(query)}" if query else "")


def run_failure(
    ui: str,
    job: str,
    run_id: str,
    assets: Sequence[str],
    partition: str,
    step: str | None,
    error: str,
    backfill: str | None = None,
    last_of_backfill: bool = False,
) -> Incident:
    """A failed run: its job, the failing step's assets and error, a link to the run."""
    reason = f"step {step} failed: {error}" if step else error
    if backfill:
        reason += f"; part of backfill {backfill} ({backfill_link(ui, backfill)})"
        if last_of_backfill:
            reason += "; further failed runs of this backfill are not posted"
    return Incident(
        title=f"run failed: {job}",
        asset=", ".join(assets) or "(no asset step)",
        partition=partition,
        reason=reason,
        link=run_link(ui, run_id),
    )


def check_failure(
    ui: str,
    asset_path: Sequence[str],
    check: str,
    partitions: Sequence[str],
    total: int | None,
    reason: str,
    run_ids: Sequence[str],
    backfill: str | None = None,
) -> Incident:
    """Blocking check failures of one check in one run (or backfill), partitions grouped."""
    where = (
        f"backfill {backfill} ({backfill_link(ui, backfill)})"
        if backfill
        else ", ".join(run_link(ui, run_id) for run_id in run_ids[:3])
    )
    return Incident(
        title=f"blocking check failed: {'/'.join(asset_path)} {check}",
        asset="/".join(asset_path),
        partition=describe_partitions(partitions, total),
        reason=f"{reason} (run: {where})" if run_ids else reason,
        link=asset_link(ui, asset_path, view="checks", checkDetail=check),
    )


def freshness_failure(
    ui: str, asset_path: Sequence[str], previous: str, changed_at: str, last_update: str | None
) -> Incident:
    """An asset whose freshness policy turned FAIL."""
    last = f"last materialized {last_update}" if last_update else "never materialized"
    return Incident(
        title=f"freshness FAIL: {'/'.join(asset_path)}",
        asset="/".join(asset_path),
        partition="latest (freshness is per asset)",
        reason=f"freshness policy breached at {changed_at} (was {previous}); {last}",
        link=asset_link(ui, asset_path),
    )


def stream_stall(
    ui: str, asset_path: Sequence[str], health: str, reason: str, last_frame: str | None
) -> Incident:
    """A monitored live stream that delivers nothing (stalled, stopped, not reporting, or
    never seen): posted once when the incident opens."""
    heard = f"last frame {last_frame}" if last_frame else "no frame recorded"
    return Incident(
        title=f"stream stalled: {'/'.join(asset_path)}",
        asset="/".join(asset_path),
        partition="none (a live stream)",
        reason=f"{health}: {reason}; {heard}",
        link=asset_link(ui, asset_path),
    )


def fold(incidents: Sequence[Incident], cap: int) -> list[str]:
    """At most ``cap`` messages: the first ``cap - 1`` incidents, then one summary of the rest."""
    if len(incidents) <= cap:
        return [render(i) for i in incidents]
    kept, rest = incidents[: cap - 1], incidents[cap - 1 :]
    titles = "; ".join(i.title for i in rest[:SHOWN_PARTITIONS])
    more = f" (+{len(rest) - SHOWN_PARTITIONS} more)" if len(rest) > SHOWN_PARTITIONS else ""
    summary = (
        f"{PREFIX} {len(rest)} more alerts this tick, not posted one by one "
        f"(cap {cap} per tick): {titles}{more}"
    )
    return [*(render(i) for i in kept), summary]
