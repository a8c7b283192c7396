"""Errors raised by the real provider clients.

One hierarchy for every provider so callers (assets, retries, the CLI) can react by kind:
retry later, stop for the day, stop at once, or fix the parser. Every message names the
provider and the endpoint at fault and never carries a credential: callers pass endpoints
as paths, and tokens travel in headers that are never formatted into messages.
"""

from __future__ import annotations


class ProviderError(RuntimeError):
    """A provider request failed; ``provider`` and ``endpoint`` say which one."""

    def __init__(self, provider: str, endpoint: str, message: str) -> None:
        self.provider = provider
        self.endpoint = endpoint
        self.detail = message
        super().__init__(f"{provider} {endpoint}: {message}")

    def __reduce__(self) -> tuple[type, tuple[str, str, str]]:
        # Keep pickling working across processes (Dagster runs steps in subprocesses).
        return (type(self), (self.provider, self.endpoint, self.detail))


class RetryableError(ProviderError):
    """A transient failure; raised by a response ``check`` hook to make the HTTP layer retry.

    ``retry_after`` (seconds), when given, replaces the exponential backoff for that retry.
    """

    def __init__(
        self, provider: str, endpoint: str, message: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(provider, endpoint, message)
        self.retry_after = retry_after


class QuotaExhaustedError(ProviderError):
    """A quota that does not refill soon (e.g. the Unusual Whales daily cap): never retried."""


class ProviderBannedError(ProviderError):
    """The provider refused this client (HTTP 418/403): fail at once, retrying makes it worse."""


class SchemaDriftError(ProviderError):
    """A required field is missing or unreadable; ``field`` names it."""

    def __init__(
        self, provider: str, endpoint: str, field: str, message: str | None = None
    ) -> None:
        self.field = field
        super().__init__(provider, endpoint, message or f"required field {field!r} is missing")
        self.detail = message

    def __reduce__(self) -> tuple[type, tuple[str, str, str, str | None]]:
        return (type(self), (self.provider, self.endpoint, self.field, self.detail))
