"""Stored columns of ``crypto_cross_venue``: the daily summary, the per-venue rows and the
per-minute aggregate open interest (meanings from :mod:`vvv_pipeline.analytics.cross_venue`)."""

from __future__ import annotations

from vvv_pipeline.analytics import cross_venue
from vvv_pipeline.schemas import TEXT, UTC_TS
from vvv_pipeline.storage.derived import CROSS_VENUE
from vvv_pipeline.stored_columns.model import (
    INT,
    SeriesFamily,
    StoredTable,
    day_columns,
    instrument,
    listed_columns,
)

_SUMMARY = {
    "venues": INT,
    "divergence_minutes": INT,
    "reference": TEXT,
    "top_venue": TEXT,
    "leader": TEXT,
}
_SUMMARY_NAN = ("open_interest_change_pct", "min_return_corr", "min_rolling_corr")
"""NaN on a day with one venue, or one minute (no return to correlate, no change)."""
_VENUE_NAN = ("basis_bps_std", "return_corr", "lag_corr")
"""NaN where a venue has too few minutes (one ticker sample) to vary."""
_AGGREGATE_NAN = tuple(f"share_{venue}" for venue in cross_venue.VENUES)
"""A venue without a sample yet at that minute has no share."""

CROSS_VENUE_TABLE = StoredTable(
    "crypto_cross_venue",
    CROSS_VENUE,
    True,
    (
        SeriesFamily(
            instrument(True), ("",), day_columns(cross_venue.COLUMNS, _SUMMARY, _SUMMARY_NAN)
        ),
        SeriesFamily(
            instrument(True) + "/venues",
            ("/venues",),
            day_columns(cross_venue.VENUE_COLUMNS, {"venue": TEXT}, _VENUE_NAN),
        ),
        SeriesFamily(
            instrument(True) + "/oi",
            ("/oi",),
            listed_columns(
                list(cross_venue.AGGREGATE_COLUMNS),
                cross_venue.AGGREGATE_COLUMNS,
                {"ts": UTC_TS, "venues": INT},
                _AGGREGATE_NAN,
            ),
        ),
    ),
)
"""``crypto_cross_venue``: ``{PAIR}`` (one row per day), ``{PAIR}/venues`` (one row per venue
and day, at the day's index), ``{PAIR}/oi`` (one row per minute)."""
