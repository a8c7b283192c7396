"""Unusual options-flow alerts on the equity universe, with valid OCC symbols.

Model, per symbol-session (independent of the tick scale):

- **Count and times**: 5-30 alerts, uniform inside ``[open, close)``.
- **Expiry**: a real listed expiration 0-120 days ahead: every Friday (weeklies, which include
  the monthly third Fridays); when that Friday is not an XNYS session (e.g. Good Friday) the
  expiration moves to the previous session. Near-dated expiries are likelier (weight
  ``1 / (1 + days / 10)``) and monthlies count double.
- **Strike**: the underlying (intraday path at the alert) times ``exp(N(+/-2 %, 6 %))`` (calls
  lean out of the money above, puts below), snapped to the standard grid by underlying price:
  $1 below $50, $2.50 from $50 to $200, $5 at $200 and above.
- **OCC symbol**: ``ROOT + YYMMDD + C|P + strike x 1000`` as 8 digits (``AAPL261218C00250000``).
- **Price**: Black-Scholes (rate 4.5 %, volatility = the symbol's daily sigma x sqrt(252)),
  to the cent, at least $0.01; ``premium = price x size x 100`` exactly (integer cents).
- **Size**: log-uniform 10-5,000 contracts; open interest log-uniform 50-200,000.
- **Sides**: the ask-side share is 50-100 % for 70 % of alerts (buyers lifting offers) and
  0-50 % otherwise; the bid side takes a random part of the rest, so ask + bid <= premium.
- **Rule and flags**: rule drawn from :data:`FLOW_RULES` (55/15/15/15 %); floor rules set
  ``is_floor``; ``SweepsFollowedByFloor`` sets ``is_sweep``, other rules sweep 40 % of the time.
- **Ids**: version-4-shaped UUID strings from the unit's own random stream.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd

from vvv_pipeline.calendars import EXCHANGE_TZ, sessions_between, xnys
from vvv_pipeline.providers.simulated.anchors import equity_sigma
from vvv_pipeline.providers.simulated.paths import equity_path, sample_path, session_window
from vvv_pipeline.providers.simulated.processes import log_uniform, normal_cdf
from vvv_pipeline.providers.simulated.seeding import rng_for, uuid_strings
from vvv_pipeline.schemas import FLOW_RULES, OPTION_TYPES

HORIZON_DAYS = 120
RATE = 0.045
RULE_WEIGHTS = (0.55, 0.15, 0.15, 0.15)


def strike_increment(underlying: np.ndarray) -> np.ndarray:
    """Listed strike spacing by underlying price: $1 (< $50), $2.50 (< $200), else $5."""
    return np.where(underlying < 50.0, 1.0, np.where(underlying < 200.0, 2.5, 5.0))


@lru_cache(maxsize=1024)
def expirations(session: str) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """Listed expirations from ``session`` to 120 days ahead, and whether each is a monthly.

    Fridays that are not sessions expire on the previous session instead.
    """
    day = pd.Timestamp(session)
    last = min(day + pd.Timedelta(days=HORIZON_DAYS), xnys().last_session.tz_localize(None))
    fridays = pd.date_range(day, last, freq="W-FRI")
    sessions = sessions_between(day - pd.Timedelta(days=7), last)
    at = np.searchsorted(sessions.values, fridays.values, side="right") - 1
    expiries = sessions[at]
    monthly = np.asarray((fridays.day >= 15) & (fridays.day <= 21))
    keep = expiries >= day
    return pd.DatetimeIndex(expiries[keep]), monthly[keep]


def occ_symbols(
    root: str, expiry: pd.DatetimeIndex, cp: np.ndarray, strike: np.ndarray
) -> np.ndarray:
    """OCC option symbols: root, YYMMDD, C or P, strike x 1000 zero-padded to 8 digits."""
    millis = np.round(strike * 1000).astype(np.int64)
    text = np.char.add(np.char.add(root, np.asarray(expiry.strftime("%y%m%d"), dtype=str)), cp)
    return np.char.add(text, np.char.zfill(millis.astype(str), 8)).astype(object)


def black_scholes(
    spot: np.ndarray, strike: np.ndarray, years: np.ndarray, vol: float, call: np.ndarray
) -> np.ndarray:
    root_t = np.sqrt(years)
    d1 = (np.log(spot / strike) + (RATE + vol * vol / 2) * years) / (vol * root_t)
    d2 = d1 - vol * root_t
    discount = strike * np.exp(-RATE * years)
    call_value = spot * normal_cdf(d1) - discount * normal_cdf(d2)
    put_value = discount * normal_cdf(-d2) - spot * normal_cdf(-d1)
    return np.where(call, call_value, put_value)


def options_flow(seed: int, symbol: str, session: str, start_price: float) -> pd.DataFrame:
    """One symbol-session of flow alerts in canonical column order (``ts`` as int64 UTC ns)."""
    open_ns, close_ns = session_window(session)
    rng = rng_for(seed, "options_flow", symbol, session)
    n = int(rng.integers(5, 31))
    ts = np.sort(open_ns + rng.integers(0, close_ns - open_ns, n))
    spot = np.round(sample_path(equity_path(seed, symbol, session, start_price), open_ns, ts), 2)
    dates, monthly = expirations(session)
    ahead = (dates - pd.Timestamp(session)).days.to_numpy()
    weight = (1.0 + monthly) / (1.0 + ahead / 10.0)
    pick = rng.choice(len(dates), n, p=weight / weight.sum())
    expiry = pd.DatetimeIndex(dates[pick])
    call = rng.random(n) < 0.6
    skew = np.where(call, 0.02, -0.02)
    increment = strike_increment(spot)
    target = spot * np.exp(rng.normal(skew, 0.06))
    strike = np.maximum(np.round(target / increment) * increment, increment)
    expiry_close = expiry.tz_localize(EXCHANGE_TZ) + pd.Timedelta(hours=16)
    seconds = (expiry_close.asi8 - ts) / 1e9
    years = np.maximum(seconds, 3_600.0) / (365.25 * 86_400)
    vol = equity_sigma(seed, symbol) * math.sqrt(252.0)
    value = black_scholes(spot, strike, years, vol, call)
    price_c = np.maximum(np.round(value * 100.0), 1.0)
    size = np.round(log_uniform(rng, 10, 5_000, n)).astype(np.int64)
    premium = price_c * size
    ask_share = np.where(rng.random(n) < 0.7, rng.uniform(0.5, 1.0, n), rng.uniform(0.0, 0.5, n))
    ask_side = np.round(premium * ask_share, 2)
    bid_side = np.round((premium - ask_side) * rng.random(n), 2)
    rule = rng.choice(len(FLOW_RULES), n, p=RULE_WEIGHTS)
    is_floor = np.isin(rule, [1, 2, 3])
    is_sweep = (rule == 2) | ((rule != 2) & (rng.random(n) < 0.4))
    cp = np.where(call, "C", "P")
    return pd.DataFrame(
        {
            "ts": ts.astype(np.int64),
            "alert_id": uuid_strings(rng, n),
            "option_symbol": occ_symbols(symbol, expiry, cp, strike),
            "option_type": pd.Categorical.from_codes(
                np.where(call, 0, 1).astype(np.int8), categories=list(OPTION_TYPES)
            ),
            "strike": strike,
            "expiry": expiry.to_numpy(dtype="datetime64[ns]"),
            "price": price_c / 100.0,
            "underlying_price": spot,
            "size": size,
            "premium": premium.astype(np.float64),
            "ask_side_premium": ask_side,
            "bid_side_premium": bid_side,
            "open_interest": np.round(log_uniform(rng, 50, 200_000, n)).astype(np.int64),
            "is_sweep": is_sweep,
            "is_floor": is_floor,
            "rule": pd.Categorical.from_codes(rule.astype(np.int8), categories=list(FLOW_RULES)),
        }
    )
