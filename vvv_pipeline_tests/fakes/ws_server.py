"""A WebSocket server on 127.0.0.1 running its own event loop in a thread, for the fakes."""

from __future__ import annotations

import asyncio
import threading
from typing import Self

from websockets.asyncio.server import Server, ServerConnection, serve


class LoopServer:
    """Serves :meth:`_handle` on a free port of 127.0.0.1 under ``path`` from :meth:`start` to
    :meth:`close` (or the ``with`` block); the server's keepalive is off, so a fake pings on its
    own schedule."""

    path = "/"

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._server: Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}{self.path}"

    def start(self) -> Self:
        self._thread.start()
        ready = asyncio.run_coroutine_threadsafe(self._serve(), self._loop)
        self.port = ready.result(10)
        return self

    async def _serve(self) -> int:
        self._server = await serve(
            self._handle, "127.0.0.1", 0, ping_interval=None, compression=None, max_queue=64
        )
        return self._server.sockets[0].getsockname()[1]

    async def _handle(self, ws: ServerConnection) -> None:
        raise NotImplementedError

    def close(self) -> None:
        async def stop() -> None:
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
