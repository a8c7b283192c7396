"""Near-real-time trades: a collector staging a venue's stream into ArcticDB segments.

Framework-free like the other pure packages. The pieces, in the order data flows:
:mod:`.binance_ws` (Binance ``<symbol>@aggTrade`` frames to rows) and :mod:`.bybit_ws`
(Bybit ``publicTrade.<symbol>``), :mod:`.iqfeed_l1` (IQFeed Level 1 trade updates to equity
rows, over :mod:`.tcp_lines`, a plain TCP line link), :mod:`.sequence` (aggregate
trade ids: duplicates, gaps, and the holes left in an hour), :mod:`.buffer` (bounded rows
between flushes), :mod:`.collector` (the asyncio receive loop), :mod:`.store` (staged
segments in the ``tick_stream`` library and what the stream holds of an hour),
:mod:`.finalize` (an hour's rows: the stream's, plus its holes filled from REST),
:mod:`.status` (the collector's live status file and what a reader concludes from it) and
:mod:`.service` (the long-running processes behind ``vvv-pipeline stream crypto|equities``).
"""
