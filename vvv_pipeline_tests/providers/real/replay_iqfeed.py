"""A local IQConnect Lookup socket replaying recorded ticks and list lines (``recorded/iqfeed``).

The recorded rows are the protocol 6.2 tick fields after the message id, newest first, as
IQFeed.CSharpApiClient saved them; the server frames them as IQConnect does
(``<request id>,LH,<row>`` lines, then ``<request id>,!ENDMSG!,``), keeps the rows whose
Eastern time lies in the ``HTT`` bounds (inclusive, at second resolution) in the requested
direction, and answers ``E,!NO_DATA!,,`` when none does. ``SLM``/``STC`` are answered with
the recorded ``LS`` lines.
"""

from __future__ import annotations

import socketserver
import threading

import pandas as pd

from vvv_pipeline_tests.providers.real.replay import recorded_text

PROTOCOL = "6.2"


class RecordedLookup:
    """A started server on 127.0.0.1 (``.port``, ``.commands``, ``close()``)."""

    def __init__(self, ticks: str, slm: str, stc: str) -> None:
        self.rows = [line for line in recorded_text(ticks).splitlines() if line]
        self.lists = {
            "SLM": recorded_text(slm).splitlines(),
            "STC": recorded_text(stc).splitlines(),
        }
        self.times = pd.to_datetime([r.split(",", 1)[0] for r in self.rows])
        self.commands: list[str] = []
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> RecordedLookup:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def ticks(self, fields: list[str]) -> list[str]:
        begin, end, direction, request_id = fields[1], fields[2], fields[6], fields[7]
        prefix = f"{request_id}," if request_id else ""
        lo = pd.Timestamp(begin)
        hi = pd.Timestamp(end) + pd.Timedelta(seconds=1)
        keep = [r for r, t in zip(self.rows, self.times, strict=True) if lo <= t < hi]
        if direction == "1":  # oldest to newest; the recording is newest first
            keep.reverse()
        lines = [f"{prefix}LH,{row}" for row in keep] or [f"{prefix}E,!NO_DATA!,,"]
        return [*lines, f"{prefix}!ENDMSG!,"]

    def listing(self, name: str, request_id: str) -> list[str]:
        prefix = f"{request_id}," if request_id else ""
        return [prefix + line for line in self.lists[name]] + [f"{prefix}!ENDMSG!,"]


def _handler(server: RecordedLookup) -> type[socketserver.StreamRequestHandler]:
    class _Lookup(socketserver.StreamRequestHandler):
        def handle(self) -> None:
            for raw in self.rfile:
                command = raw.decode("latin-1").rstrip("\r\n")
                server.commands.append(command)
                fields = command.split(",")
                if command.startswith("S,SET PROTOCOL,"):
                    self._write([f"S,CURRENT PROTOCOL,{PROTOCOL}"])
                elif fields[0] in server.lists:
                    self._write(server.listing(fields[0], fields[1] if len(fields) > 1 else ""))
                elif fields[0] == "HTT":
                    self._write(server.ticks(fields[1:]))

        def _write(self, lines: list[str]) -> None:
            self.wfile.write(("\r\n".join(lines) + "\r\n").encode("latin-1"))
            self.wfile.flush()

    return _Lookup
