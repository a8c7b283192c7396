"""The time sensors and schedules reason about: Dagster's clock, not the wall clock.

Dagster's daemon, partitions definitions and test harnesses all read "now" from Dagster's time
module; reading ``pd.Timestamp.now()`` instead would let a sensor disagree with the partitions
it inspects whenever that clock is moved (a production-week rehearsal, a frozen test). The
private import is confined here.
"""

from __future__ import annotations

import pandas as pd

from vvv_pipeline.defs.dagster_internals import get_current_datetime


def now_utc() -> pd.Timestamp:
    """Dagster's current time as a UTC timestamp."""
    return pd.Timestamp(get_current_datetime()).tz_convert("UTC")
