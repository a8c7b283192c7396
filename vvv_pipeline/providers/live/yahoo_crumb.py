"""Yahoo's cookie and crumb handshake, the anti-CSRF pair its API asks browsers for.

A session first collects Yahoo's cookies (from ``fc.yahoo.com``, which answers 404 and sets
them anyway), then asks ``/v1/test/getcrumb`` for a crumb: a short token in a ``text/plain``
body (recorded answers: ``mloUP8q7ZPH``, ``haT3oykhHqZ``). Chart requests carry it as
``crumb=``. A crumb answer that is HTML, empty or ``Too Many Requests`` means throttled or
blocked: it is refused, never sent on. A chart answered 401 (an expired or unknown crumb) gets
one fresh handshake and one more try (:class:`CrumbRejected`).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from vvv_pipeline.providers.errors import ProviderError
from vvv_pipeline.providers.live.http import HttpClient

COOKIE_URL = "https://fc.yahoo.com"
CRUMB_PATH = "/v1/test/getcrumb"
CRUMB_SHAPE = re.compile(r"[A-Za-z0-9./_\-]{4,64}")


class CrumbRejected(ProviderError):
    """A request was refused for its crumb (HTTP 401): a fresh handshake may cure it."""


def cookie_url_for(base_url: str) -> str:
    """Yahoo's cookie host for Yahoo's API; any other base URL (a local server) serves both."""
    host = urlsplit(base_url).hostname or ""
    return COOKIE_URL if host.endswith("yahoo.com") else base_url.rstrip("/") + "/"


class CrumbHandshake:
    """Obtains a crumb on first use and again on :meth:`refresh`; the cookies stay in ``http``."""

    def __init__(self, http: HttpClient, provider: str, cookie_url: str) -> None:
        self.http, self.provider, self.cookie_url = http, provider, cookie_url
        self._crumb: str | None = None

    @property
    def crumb(self) -> str:
        return self._crumb if self._crumb is not None else self.refresh()

    def refresh(self) -> str:
        self.http.prime(self.cookie_url)
        text = self.http.get(CRUMB_PATH).text.strip()
        if not CRUMB_SHAPE.fullmatch(text):
            raise ProviderError(
                self.provider, CRUMB_PATH, f"unusable crumb {text[:40]!r} (throttled or blocked)"
            )
        self._crumb = text
        return text
