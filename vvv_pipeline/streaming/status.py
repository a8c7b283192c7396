"""A collector's live status in a small JSON file, and what a reader concludes from it.

The collector is its own process and the Dagster daemon must not depend on reaching it (a
sensor tick must not hang on a busy or dead collector), nor open the collector's LMDB store
(one ``Arctic`` per path per process, and staging holds the library's file lock). So each
collector rewrites one file, ``<status dir>/crypto_trades-<venue>.json``, about once a second:
written to a temporary file beside it and moved over it with ``os.replace``, so a reader sees
the previous status or the new one, never half of one. The file is a few hundred bytes per
pair; reading it costs a fraction of a millisecond and needs nothing but the file system that
the collector and the daemon already share (the collector runs beside the daemon).

A reader (:func:`assess`) decides whether the stream is healthy from three clocks in it: when
the file was written (a killed or hung collector stops writing), when the last frame arrived
(a connection that delivers nothing), and whether the collector said it stopped. Times are
epoch milliseconds on the collector's wall clock; the reader compares them with its own, so
the two hosts' clocks must agree to well within the stall threshold (NTP does).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

STATUS_VERSION = 1
KIND = "crypto_trades"

Health = Literal["streaming", "closed", "stalled", "stopped", "not reporting", "missing"]
"""``streaming``: frames arrived within the stall threshold. ``closed``: the collector writes
its status and no frames are expected now (an equity stream outside regular hours), whatever it
heard. ``stalled``: the collector writes its status but heard nothing for that long.
``stopped``: the collector exited cleanly.
``not reporting``: the status file is older than the threshold (the collector was killed or
hangs). ``missing``: no status file (never started here, or the wrong status directory)."""


def status_path(directory: Path, venue: str, kind: str = KIND) -> Path:
    """``<kind>-<venue>.json``: ``crypto_trades-binance.json``, ``equity_ticks-iqfeed.json``."""
    return directory / f"{kind}-{venue}.json"


def write_status(path: Path, status: dict[str, Any]) -> None:
    """Replace ``path`` with ``status`` atomically (readers never see a partial file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "w") as out:
            json.dump(status, out, separators=(",", ":"))
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_status(path: Path) -> dict[str, Any] | None:
    """The status in ``path``; None when there is none or it cannot be read as one."""
    try:
        status = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(status, dict) or status.get("version") != STATUS_VERSION:
        return None
    return status


@dataclass(frozen=True)
class PairLag:
    symbol: str
    last_trade_ms: int | None
    lag_seconds: float | None
    """Reader's now minus the pair's last trade time (None: no trade yet)."""
    trades: int
    staged_rows: int
    covered_since_ms: int | None = None
    """Where the pair's latest coverage interval starts (streams that keep coverage)."""


@dataclass(frozen=True)
class Assessment:
    venue: str
    health: Health
    reason: str
    """One line saying why (what an alert and the UI show)."""
    last_message_ms: int | None
    written_ms: int | None
    pairs: tuple[PairLag, ...] = ()
    status: dict[str, Any] | None = None

    @property
    def healthy(self) -> bool:
        return self.health == "streaming"

    @property
    def max_lag_seconds(self) -> float | None:
        lags = [p.lag_seconds for p in self.pairs if p.lag_seconds is not None]
        return max(lags) if lags else None


def _age(now_ms: int, then_ms: int | None) -> float | None:
    return None if then_ms is None else max(0.0, (now_ms - then_ms) / 1000.0)


def assess(
    venue: str,
    status: dict[str, Any] | None,
    now_ms: int,
    stall_seconds: float,
    expected: bool = True,
) -> Assessment:
    """The stream's health at ``now_ms``: see :data:`Health`. ``expected``: whether the
    stream's instruments trade now (silence is a stall only then)."""
    if status is None:
        never = "no status file: the collector never ran here"
        return Assessment(venue, "missing", never, None, None)
    written = status.get("written_ms")
    last = status.get("last_message_ms")
    pairs = tuple(
        PairLag(
            symbol,
            pair.get("last_trade_ms"),
            _age(now_ms, pair.get("last_trade_ms")),
            int(pair.get("trades", 0)),
            int(pair.get("staged_rows", 0)),
            pair.get("covered_since_ms"),
        )
        for symbol, pair in sorted(status.get("pairs", {}).items())
    )
    written_age = _age(now_ms, written)
    message_age = _age(now_ms, last)
    if status.get("state") == "stopped":
        health: Health = "stopped"
        reason = f"the collector stopped {written_age:.0f} s ago"
    elif written_age is None or written_age > stall_seconds:
        health = "not reporting"
        reason = (
            f"the collector last wrote its status {written_age:.0f} s ago "
            f"(killed or hung; pid {status.get('pid')} on {status.get('host')})"
        )
    elif not expected:
        health = "closed"
        heard = "nothing yet" if message_age is None else f"last frame {message_age:.0f} s ago"
        reason = f"no trades expected now: the market is closed ({heard})"
    elif message_age is None or message_age > stall_seconds:
        health = "stalled"
        heard = "nothing yet" if message_age is None else f"nothing for {message_age:.0f} s"
        reason = (
            f"{heard} (threshold {stall_seconds:.0f} s; {status.get('connections', 0)} "
            f"connections, connected: {status.get('connected', False)})"
        )
    else:
        health = "streaming"
        reason = f"last frame {message_age:.1f} s ago"
    return Assessment(venue, health, reason, last, written, pairs, status)
