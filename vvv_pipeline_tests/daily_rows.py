"""daily_ohlcv rows for hand-computed cases: open = high = low = close, volume 1,000."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from vvv_pipeline.schemas import DAILY_OHLCV, conform


def daily_ohlcv_rows(
    ts: Sequence[pd.Timestamp],
    symbol: str | Sequence[str],
    close: Sequence[float],
    dividend: float | Sequence[float],
    split_ratio: float | Sequence[float],
    adj_close: Sequence[float],
) -> pd.DataFrame:
    """Canonical daily_ohlcv rows whose every price is ``close``."""
    close = np.asarray(close, dtype=float)
    frame = pd.DataFrame(
        {
            "ts": list(ts),
            "symbol": symbol,
            "asset_class": "equity",
            "open": close,
            "high": close,
            "low": close,
            "close": close,
            "volume": 1000.0,
            "dividend": dividend,
            "split_ratio": split_ratio,
            "adj_close": adj_close,
        }
    )
    return conform(frame, DAILY_OHLCV)
