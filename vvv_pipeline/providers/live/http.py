"""The shared HTTP layer of the real provider clients: pooling, pacing, retries, counting.

Every HTTP provider talks through one :class:`HttpClient`, so all of them get the same
behaviour: a pooled ``requests.Session``; a client-side rate limiter below the published
limit; retries (tenacity, exponential backoff with full jitter) on 429, 5xx, timeouts,
connection resets, invalid JSON and anything a provider ``check`` hook marks as
:class:`RetryableError`; ``Retry-After`` honoured; a ban (418/403) or any other 4xx failing at
once; a bounded number of attempts and total time; and counters (:class:`FetchStats`).

Secrets (bearer tokens in headers, FRED's ``api_key`` query parameter) never reach an
exception, a log line or a repr: messages name the endpoint path only and are scrubbed.
"""

from __future__ import annotations

import email.utils
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import asdict, dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
    wait_random_exponential,
)

from vvv_pipeline.providers.errors import ProviderBannedError, ProviderError, RetryableError

LOGGER = logging.getLogger("vvv_pipeline.providers")
SENSITIVE_HEADER = re.compile(r"auth|key|token|secret|sign|passphrase", re.IGNORECASE)
QUERY_STRING = re.compile(r"\?[^\s'\"]*")
BODY_SNIPPET = 200

T = TypeVar("T")


@dataclass
class FetchStats:
    """Counters of one client: HTTP attempts, retries, pages (counted by clients), bytes."""

    requests: int = 0
    retries: int = 0
    pages: int = 0
    bytes: int = 0

    def merge(self, other: FetchStats) -> None:
        self.requests += other.requests
        self.retries += other.retries
        self.pages += other.pages
        self.bytes += other.bytes

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


class RateLimiter:
    """Spaces calls at least ``1 / rate`` seconds apart (a token bucket of depth one).

    A bucket without burst keeps a client strictly below a published per-second or
    per-minute limit; thread-safe, so threads sharing a provider share its pace. A small
    local class rather than ``pyrate-limiter``: that package is not a project dependency and
    its bucket/clock machinery is far more than this one rule needs.
    """

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError(f"requests_per_second must be positive, got {rate}")
        self.interval = 1.0 / rate
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Block until the next call may go; return the seconds waited."""
        with self._lock:
            now = time.monotonic()
            wait = max(0.0, self._next - now)
            self._next = max(now, self._next) + self.interval
        if wait > 0:
            time.sleep(wait)
        return wait


_limiters: dict[tuple[str, float], RateLimiter] = {}
_limiters_lock = threading.Lock()


def shared_limiter(provider: str, rate: float) -> RateLimiter:
    """The process-wide limiter of ``provider`` at ``rate`` (clients of one provider share it)."""
    with _limiters_lock:
        key = (provider, float(rate))
        if key not in _limiters:
            _limiters[key] = RateLimiter(rate)
        return _limiters[key]


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta seconds or an HTTP date), else None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class _SecretScrubber(logging.Filter):
    """Masks registered secret values in log records (urllib3 logs full URLs at DEBUG)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            if any(secret in message for secret in self.secrets):
                record.msg, record.args = _mask(message, self.secrets), None
        return True


_SCRUBBER = _SecretScrubber()
logging.getLogger("urllib3.connectionpool").addFilter(_SCRUBBER)


def _mask(text: str, secrets: Collection[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


class HttpClient:
    """GET with pooling, pacing, bounded retries and counters for one provider.

    ``check`` runs on every response (any status) before the status rules: it may raise
    :class:`RetryableError` (optionally with ``retry_after``) to retry, any other
    :class:`ProviderError` to fail at once, or return to let the status rules decide.
    ``secret_params`` are sent with every request (for APIs that only take a key as a query
    parameter) and, like sensitive header values, are masked wherever text is produced.
    """

    def __init__(
        self,
        provider: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        requests_per_second: float = 5.0,
        timeout: float = 10.0,
        max_attempts: int = 6,
        max_total_seconds: float = 120.0,
        backoff_initial: float = 0.25,
        backoff_max: float = 20.0,
        check: Callable[[requests.Response], None] | None = None,
        secret_params: Mapping[str, str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if max_attempts < 1:
            raise ValueError(f"{provider}: max_attempts must be >= 1, got {max_attempts}")
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.max_total_seconds = max_total_seconds
        self.check = check
        self.stats = FetchStats()
        self._secret_params = dict(secret_params or {})
        self._secrets = {v for v in self._secret_params.values() if v}
        self._secrets |= {v for k, v in (headers or {}).items() if SENSITIVE_HEADER.search(k) and v}
        _SCRUBBER.secrets |= self._secrets
        self._session = requests.Session()
        self._session.headers.update(headers or {})
        self._limiter = shared_limiter(provider, requests_per_second)
        self._backoff = wait_random_exponential(multiplier=backoff_initial, max=backoff_max)
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"HttpClient(provider={self.provider!r}, base_url={self.base_url!r})"

    def get(
        self,
        endpoint: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """The response of ``GET base_url + endpoint`` after retries; raises ProviderError."""
        return self._with_retries(endpoint, lambda: self._attempt(endpoint, params, headers))

    def get_json(
        self,
        endpoint: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """The parsed JSON body; a truncated or invalid body is retried like a 5xx."""

        def attempt() -> Any:
            response = self._attempt(endpoint, params, headers)
            try:
                return json.loads(response.content)
            except ValueError as exc:
                size = len(response.content)
                raise RetryableError(
                    self.provider, endpoint, f"invalid JSON body ({size} bytes): {exc}"
                ) from None

        return self._with_retries(endpoint, attempt)

    def prime(self, url: str) -> int:
        """GET the absolute ``url`` only for the cookies it sets (the session keeps them).

        Any status is an answer (Yahoo's cookie host replies 404 with its cookies); transport
        errors are retried like any request. Returns the status.
        """
        endpoint = urlsplit(url).path or "/"

        def attempt() -> int:
            self._limiter.acquire()
            self.stats.requests += 1
            try:
                response = self._session.get(url, timeout=self.timeout)
            except requests.RequestException as exc:
                detail = f"{type(exc).__name__}: {self._clean(str(exc))}"
                raise RetryableError(self.provider, endpoint, detail) from None
            self.stats.bytes += len(response.content)
            return response.status_code

        return self._with_retries(endpoint, attempt)

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _with_retries(self, endpoint: str, attempt: Callable[[], T]) -> T:
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts) | stop_before_delay(self.max_total_seconds),
            wait=self._wait,
            retry=retry_if_exception_type(RetryableError),
            before_sleep=self._note_retry,
            sleep=self._sleep,
            reraise=True,
        )
        started = time.monotonic()
        try:
            return retrying(attempt)
        except RetryableError as last:
            attempts = retrying.statistics.get("attempt_number", 1)
            elapsed = time.monotonic() - started
            raise ProviderError(
                self.provider,
                endpoint,
                f"gave up after {attempts} attempt(s) in {elapsed:.1f}s "
                f"(limits: {self.max_attempts} attempts, {self.max_total_seconds:g}s); "
                f"last error: {last.detail}",
            ) from None

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return float(retry_after)
        return float(self._backoff(state))

    def _note_retry(self, state: RetryCallState) -> None:
        self.stats.retries += 1
        error = state.outcome.exception() if state.outcome else None
        detail = getattr(error, "detail", repr(error))
        wait = state.upcoming_sleep
        LOGGER.warning(
            "%s: retry %d in %.2fs after: %s", self.provider, state.attempt_number, wait, detail
        )

    def _attempt(
        self, endpoint: str, params: Mapping[str, Any] | None, headers: Mapping[str, str] | None
    ) -> requests.Response:
        self._limiter.acquire()
        self.stats.requests += 1
        query = {**(params or {}), **self._secret_params}
        try:
            response = self._session.get(
                self.base_url + endpoint, params=query, headers=headers, timeout=self.timeout
            )
        except requests.Timeout:
            raise RetryableError(
                self.provider, endpoint, f"timed out after {self.timeout:g}s"
            ) from None
        except requests.RequestException as exc:
            raise RetryableError(
                self.provider, endpoint, f"{type(exc).__name__}: {self._clean(str(exc))}"
            ) from None
        self.stats.bytes += len(response.content)
        if self.check is not None:
            self.check(response)
        self._raise_for_status(endpoint, response)
        return response

    def _raise_for_status(self, endpoint: str, response: requests.Response) -> None:
        status = response.status_code
        if status < 400:
            return
        what = f"HTTP {status}: {self._snippet(response)}"
        if status in (418, 403):
            raise ProviderBannedError(self.provider, endpoint, f"refused (ban), {what}")
        if status == 429 or status == 408 or status >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise RetryableError(self.provider, endpoint, what, retry_after=retry_after)
        raise ProviderError(self.provider, endpoint, what)

    def _snippet(self, response: requests.Response) -> str:
        text = response.content[:BODY_SNIPPET].decode("utf-8", errors="replace").strip()
        return self._clean(text) or "(empty body)"

    def _clean(self, text: str) -> str:
        return _mask(QUERY_STRING.sub("?...", text), self._secrets)


class OverHttp:
    """Base of a provider client whose every request goes through one :class:`HttpClient`
    (``self.http``): its counters, its repr (the base URL, never a secret) and its close are that
    connection's."""

    http: HttpClient

    @property
    def stats(self) -> FetchStats:
        return self.http.stats

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.http.base_url!r})"

    def close(self) -> None:
        self.http.close()
