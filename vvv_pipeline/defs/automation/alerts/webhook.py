"""Where alerts go and how they get there: a Slack-compatible incoming webhook.

``VVV_ALERT_WEBHOOK`` is the webhook URL (unset or empty: alerts off); the body is Slack's
``{"text": ...}``, which Mattermost, Rocket.Chat and most chat relays accept too.
``VVV_UI_URL`` is the Dagster UI's base URL for links (default ``http://localhost:3000``).
``VVV_ALERT_MAX_PER_TICK`` caps the messages one sensor tick posts (default 10).

A post has a short timeout and at most :data:`ATTEMPTS` tries, retried only when a retry can
help (connection errors, timeouts, 429 and 5xx). A post that still fails is logged and dropped:
an alerting outage must never fail a sensor tick or hold up its cursor. Once one post of a
tick has failed for good, the tick's remaining messages are dropped (logged) without trying,
and for :data:`OUTAGE_SECONDS` afterwards each post to that webhook gets a single try: the
run-failure sensor posts once per failed run, and a hanging receiver must not push a tick past
Dagster's sensor timeout (60 s).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from tenacity import Retrying, retry_if_result, stop_after_attempt, wait_exponential

from vvv_pipeline import settings

WEBHOOK_ENV = settings.variable("alert_webhook")
ATTEMPTS = 3
TIMEOUT_SECONDS = 5.0
BACKOFF_SECONDS = 0.5
"""Wait before the second try; doubled before each further one."""
RETRYABLE = {408, 425, 429, 500, 502, 503, 504}
OUTAGE_SECONDS = 60.0
_failed_at: dict[str, float] = {}
"""When a post to each webhook last failed for good (monotonic clock, this process)."""

log = logging.getLogger(__name__)


def webhook_url() -> str | None:
    """The configured webhook, or None when alerts are off (read at each tick)."""
    return settings.current().alert_webhook


def ui_url() -> str:
    """``VVV_UI_URL`` without a trailing slash."""
    return settings.current().ui_url


def per_tick_cap() -> int:
    return settings.current().alert_max_per_tick


def redact(text: str, url: str) -> str:
    """``text`` without the webhook's path: Slack-style webhooks carry their secret there."""
    path = urlsplit(url).path
    return text.replace(path, "/<redacted>") if len(path) > 1 else text


@dataclass(frozen=True)
class PostResult:
    ok: bool
    attempts: int
    error: str | None = None


def post(
    url: str,
    text: str,
    attempts: int = ATTEMPTS,
    timeout: float = TIMEOUT_SECONDS,
    backoff: float = BACKOFF_SECONDS,
) -> PostResult:
    """POST ``{"text": text}`` to ``url``; never raises. Retried (tenacity) only while a retry
    can help; the result says how many tries it took and the last error."""

    def once() -> _Try:
        try:
            response = requests.post(url, json={"text": text}, timeout=timeout)
        except requests.RequestException as exc:
            return _Try(False, redact(f"{type(exc).__name__}: {exc}", url), retryable=True)
        if response.status_code < 300:
            return _Try(True)
        error = f"HTTP {response.status_code}: {response.text[:200]}"
        return _Try(False, error, retryable=response.status_code in RETRYABLE)

    retrying = Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=backoff),
        retry=retry_if_result(lambda tried: tried.retryable),
        retry_error_callback=lambda state: state.outcome.result(),
    )
    tried = retrying(once)
    return PostResult(tried.ok, retrying.statistics.get("attempt_number", 1), tried.error)


@dataclass(frozen=True)
class _Try:
    ok: bool
    error: str | None = None
    retryable: bool = False


@dataclass
class Delivery:
    """What one tick's posting did."""

    posted: int = 0
    failed: list[str] = field(default_factory=list)
    dropped: int = 0


def deliver(url: str, messages: Sequence[str], logger: logging.Logger | None = None) -> Delivery:
    """Post ``messages`` in order; after a post fails for good, drop (and log) the rest."""
    logger = logger or log
    done = Delivery()
    for index, text in enumerate(messages):
        recent = url in _failed_at and time.monotonic() - _failed_at[url] < OUTAGE_SECONDS
        result = post(url, text, attempts=1 if recent else ATTEMPTS)
        if result.ok:
            _failed_at.pop(url, None)
            done.posted += 1
            continue
        _failed_at[url] = time.monotonic()
        done.failed.append(result.error or "")
        done.dropped = len(messages) - index - 1
        logger.error(
            "alert not delivered after %d attempts (%s); %d more alerts of this tick dropped: %s",
            result.attempts,
            result.error,
            done.dropped,
            text.splitlines()[0],
        )
        break
    return done
