"""A plain TCP line stream as the collector's link (IQFeed's sockets are not WebSockets).

IQConnect speaks ASCII lines ending ``\\r\\n`` both ways on localhost sockets. The link sends a
request as one line, and yields what arrives as blocks of whole lines (everything the socket
had, cut after its last newline): one Python iteration per read rather than per line, so a
busy stream costs one wakeup per kernel buffer. A connection that says nothing for
``idle_timeout`` seconds is given up (:class:`TimeoutError`, a lost connection to the
collector): IQConnect sends a ``T,`` timestamp every second, so silence means a dead link,
which TCP alone may not notice for minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from urllib.parse import urlsplit

from vvv_pipeline.streaming.collector import CollectorConfig, Link

ENCODING = "latin-1"
"""IQFeed's text is ASCII; latin-1 never fails on a stray byte."""
READ_BYTES = 1 << 16
MAX_LINE = 1 << 20
"""A line longer than this is not IQFeed's: the connection is dropped instead of buffering it."""


def address(url: str) -> tuple[str, int]:
    """``tcp://host:port`` (or ``host:port``) as (host, port)."""
    parts = urlsplit(url if "://" in url else f"tcp://{url}")
    if parts.scheme != "tcp" or not parts.hostname or parts.port is None:
        raise ValueError(f"not a tcp://host:port address: {url!r}")
    return parts.hostname, parts.port


class LineLink:
    """One TCP connection: ``send`` writes a line, iteration yields blocks of whole lines."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, idle_timeout: float
    ) -> None:
        self.reader, self.writer, self.idle_timeout = reader, writer, idle_timeout
        self._partial = b""

    async def send(self, message: str) -> None:
        self.writer.write(message.encode(ENCODING) + b"\r\n")
        await self.writer.drain()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()

    def __aiter__(self) -> AsyncIterator[str]:
        return self._blocks()

    async def _blocks(self) -> AsyncIterator[str]:
        while True:
            chunk = await asyncio.wait_for(self.reader.read(READ_BYTES), self.idle_timeout)
            if not chunk:  # closed by the server (or by our own close)
                return
            data = self._partial + chunk
            cut = data.rfind(b"\n") + 1
            self._partial = data[cut:]
            if len(self._partial) > MAX_LINE:
                raise ConnectionError(f"a line longer than {MAX_LINE} bytes")
            if cut:
                yield data[:cut].decode(ENCODING)


@contextlib.asynccontextmanager
async def _open(url: str, idle_timeout: float, connect_timeout: float) -> AsyncIterator[Link]:
    host, port = address(url)
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), connect_timeout)
    link = LineLink(reader, writer, idle_timeout)
    try:
        yield link
    finally:
        await link.close()


def line_opener(config: CollectorConfig) -> AbstractAsyncContextManager[Link]:
    """The collector's :data:`~.collector.Opener` for a ``tcp://host:port`` line stream; the
    idle limit is the config's ``ping_timeout`` (20 s), the connect limit its reply timeout."""
    idle = config.ping_timeout if config.ping_timeout else 20.0
    return _open(config.url, idle, config.reply_timeout)
