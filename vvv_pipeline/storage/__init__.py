"""Where the pipeline keeps data: ArcticDB for tick-scale series, DuckDB for small sources."""
