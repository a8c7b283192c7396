"""The rehearsed production stretch: when the clock runs, and what goes wrong when.

No seven consecutive days hold a New York DST change, an XNYS holiday and an early close (the
November change comes three weeks before Thanksgiving), so the clock runs two legs on one
deployment, with an operator's catch-up backfill of the weeks in between:

- leg 1, Sat 2025-11-01 00:00 to Tue 11-04 00:30 New York: a weekend whose Sunday falls back
  from EDT to EST (a 25-hour New York day) and Monday's session;
- leg 2, Tue 2025-11-25 00:00 to Sat 11-29 00:30 New York: two sessions, Thanksgiving (no
  session) and the 13:00 early close on Friday, its calendar day closed as leg 1 closes Monday's
  (a further weekend day would repeat what leg 1's weekend shows).

Faults, all in leg 2: a two-hour provider outage, an hourly run killed in the middle of its
tick write, and dark-pool prints that fail tier 1 for one session whatever is retried.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

NY = "America/New_York"


def ny(local: str) -> pd.Timestamp:
    return pd.Timestamp(local, tz=NY).tz_convert("UTC")


@dataclass(frozen=True)
class Leg:
    start: pd.Timestamp
    end: pd.Timestamp

    @property
    def days(self) -> float:
        return (self.end - self.start) / pd.Timedelta(days=1)


LEGS = (
    Leg(ny("2025-11-01 00:00"), ny("2025-11-04 00:30")),
    Leg(ny("2025-11-25 00:00"), ny("2025-11-29 00:30")),
)
SHORT_LEGS = (Leg(ny("2025-11-25 00:00"), ny("2025-11-27 00:30")),)
"""One leg of two days holding every fault: for a second storage backend."""

PARTITIONS_START = {
    "VVV_SESSIONS_START": "2025-11-01",
    "VVV_CALENDAR_DAYS_START": "2025-11-01",
    "VVV_HOURLY_START": "2025-11-01-04:00",  # New York midnight of 2025-11-01 (EDT)
}
SHORT_PARTITIONS_START = {
    "VVV_SESSIONS_START": "2025-11-25",
    "VVV_CALENDAR_DAYS_START": "2025-11-25",
    "VVV_HOURLY_START": "2025-11-25-05:00",  # New York midnight of 2025-11-25 (EST)
}

OUTAGE = (pd.Timestamp("2025-11-25 14:00", tz="UTC"), pd.Timestamp("2025-11-25 16:00", tz="UTC"))
"""Every provider request fails (HTTP 503) while the clock is in this window."""
KILLED_HOUR = "2025-11-26-14:00"
"""The hourly schedule's run for this hour (launched 15:05 UTC) is killed mid-write."""
TIER1_FAILURE = ("darkpool_prints", "2025-11-26")
"""Crossed NBBO quotes in every dark-pool print batch of this session: tier 1 fails, always."""

STEP = pd.Timedelta(minutes=5)
"""Clock resolution: schedules fire at their exact cron times within each step."""
SENSOR_EVERY = pd.Timedelta(hours=1)
"""How often at most the sensors and run monitoring are evaluated (the daemon: 30 s to 5 min).
An evaluation is skipped when no run was launched and no hour began since the last one: it
would see exactly what the previous one saw. The runs the sensors react to start on the hour
(the hourly schedule at :05, the others once a day), so an hourly evaluation sees each of them;
the daemon's finer cadence acts on the same state sooner. At 30 minutes the SQLite stretch made
about 340 gap-sensor evaluations (54 s) and 14 gap runs, at an hour about 170 (29 s) and 12 runs,
with the same verdict: the outage's hours and the failing session retried, every expected
partition materialized but those downstream of the failing tier-1 check."""
AUTOMATION_EVERY = pd.Timedelta(hours=12)
"""The same for declarative automation, twice a day: 0.6-1.4 s an evaluation, 40 % of it the
round trip of its 1.6 MB cursor (each of its ~700 partition subsets carries the session
partitions definition with its holiday exclusions). Its one condition, ``eager()`` on the derived
assets, reacts to runs that wrote their inputs; the cursor remembers what the previous
evaluation saw, so a later evaluation still sees every such run (the daemon's 30-second cadence
would only request the same partitions sooner). Every second hour, the SQLite stretch spent
54 s in 84 evaluations and requested nothing; every sixth hour, 30 evaluations and nothing: the
scheduled runs build their derived assets themselves, and the gap sensor heals what they miss."""
CRYPTO_TRADES_PER_HOUR = 600
"""Crypto density of the rehearsal: at the tiny preset's 100 trades an hour, a median minute
holds one trade and tier 4's volume-spike ratio (10,000x the median minute) is noise."""

UNIVERSE = """\
# The rehearsal's instruments: enough of each kind for every asset, few enough that the runs'
# time is the operation's, not the data's.
[equities]
symbols = ["SPY", "AAPL", "NVDA"]
start_price = { SPY = 450.0, AAPL = 185.0, NVDA = 48.0 }

[crypto]
symbols = ["BTCUSDT", "ETHUSDT"]
start_price = { BTCUSDT = 42000.0, ETHUSDT = 2300.0 }

[economic]
series = { DGS10 = "daily", CPIAUCSL = "monthly" }

[daily_ohlcv]
instruments = { SPY = "equity", "EURUSD=X" = "fx", "GC=F" = "commodity" }
"""
HOLDINGS = """\
cash = 25000.0

[positions]
AAPL = { quantity = 200, cost_basis = 180.0 }
SPY = { quantity = -50, cost_basis = 455.0 }
"""
