"""Near-real-time crypto trades: a WebSocket collector staging segments into ArcticDB.

Framework-free like the other pure packages. The pieces, in the order data flows:
:mod:`.binance_ws` (Binance ``<symbol>@aggTrade`` frames to rows) and :mod:`.bybit_ws`
(Bybit ``publicTrade.<symbol>``), :mod:`.sequence` (aggregate
trade ids: duplicates, gaps, and the holes left in an hour), :mod:`.buffer` (bounded rows
between flushes), :mod:`.collector` (the asyncio WebSocket loop), :mod:`.store` (staged
segments in the ``tick_stream`` library and what the stream holds of an hour),
:mod:`.finalize` (an hour's rows: the stream's, plus its holes filled from REST),
:mod:`.status` (the collector's live status file and what a reader concludes from it) and
:mod:`.service` (the long-running process behind ``vvv-pipeline stream crypto``).
"""
