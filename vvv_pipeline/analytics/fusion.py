"""Signal fusion: one score in [-1, 1] per (symbol, day) from the other analytics' daily frames.

Inputs (keyword, each optional, at least one): ``regime`` (regime.py), ``velocity``
(velocity.py), ``profile`` (profile.py ``profile_summary``), ``flow`` (flow.py) and ``oi``
(oi_spikes.py ``oi_spike_summary``), each one row per (symbol, date). Rows of the output: every
(symbol, date) in any passed input, sorted. Each component is mapped to [-1, 1] (positive =
bullish):

- **regime**: ``+confidence`` for ``trend_up``, ``-confidence`` for ``trend_down``, 0 for
  ``range`` and ``volatile`` (observed, but without a direction).
- **velocity**: the mean over the available horizons of ``tanh(roc_h / scale_h)``, scales in
  :data:`VELOCITY_SCALES_PCT` (percent; a move of one scale maps to tanh(1) = 0.76).
- **profile**: +1 when the close is above the value area, -1 below; inside it, the close's
  position from the POC to the value-area edge on its side: ``(close - poc) / (vah - poc)`` above
  the POC, ``(close - poc) / (poc - val)`` below (0 for a zero-width side).
- **flow**: the mean of the available options tilt ``(call - put) / (call + put)`` premium and
  the news ``sentiment_mean`` (dark-pool activity has no side, so it does not enter).
- **oi**: rising open interest backs the price move (new positions), falling OI fades it
  (covering, liquidation): ``price_sign x tanh(net_oi_change_pct / OI_SCALE)`` with ``price_sign``
  the sign of the mean of the row's available price components (regime, velocity, profile);
  NaN when the row has none.

**Score** is the weighted mean of the components present in the row with :data:`WEIGHTS`:
``sum(w_i c_i) / sum(w_i)`` over available components only, so a missing component is
renormalised out, not counted as 0. **Conflicts** are resolved by that weighted mean itself
(the heavier side wins, the net is shrunk by the opposition) and they lower the confidence:
``conflicts`` counts the strong components (``|c| >= STRONG``) on the side with fewer of them.
**Confidence** = coverage x agreement, with coverage ``sum(w_available) / sum(w_all)`` and
agreement ``|sum(w_i c_i)| / sum(w_i |c_i|)`` (1 when all components point the same way, 0 when
they cancel). **Direction** is ``long`` when ``score >= DIRECTION_THRESHOLD``, ``short`` when
``score <= -DIRECTION_THRESHOLD``, else ``neutral``. A row with no usable component has score 0,
confidence 0, direction neutral.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.calendars import EXCHANGE_TZ

WEIGHTS: dict[str, float] = {
    "regime": 0.25,
    "velocity": 0.20,
    "profile": 0.20,
    "flow": 0.20,
    "oi": 0.15,
}
"""Component weights (they need not sum to 1: the score divides by the present ones)."""

REGIME_SIGN = {"trend_up": 1.0, "trend_down": -1.0, "range": 0.0, "volatile": 0.0}
VELOCITY_SCALES_PCT = {"roc_5m": 0.25, "roc_15m": 0.5, "roc_60m": 1.0}
OI_SCALE = 0.05
"""net_oi_change_pct (a fraction) that maps to tanh(1): a 5 % net change in a day."""
STRONG = 0.1
DIRECTION_THRESHOLD = 0.2
PRICE_COMPONENTS = ("regime", "velocity", "profile")

COLUMNS: dict[str, str] = {
    "symbol": "instrument symbol (category)",
    "date": "session / New York calendar date, tz-naive midnight",
    "score": "weighted mean of the available components, in [-1, 1] (positive = bullish)",
    "confidence": "coverage x agreement, in [0, 1]",
    "direction": "long | neutral | short: score against +-DIRECTION_THRESHOLD (0.2)",
    "conflicts": "strong components (|c| >= 0.1) on the minority side (int)",
    **{f"component_{name}": f"{name} component in [-1, 1]; NaN when missing" for name in WEIGHTS},
}

_KEYS = ["symbol", "date"]


def _keyed(frame: pd.DataFrame, name: str, columns: list[str]) -> pd.DataFrame:
    """``frame``'s ``columns`` indexed by (symbol as text, tz-naive date); errors name it."""
    missing = [c for c in [*_KEYS, *columns] if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing required column(s) {missing}")
    date = pd.to_datetime(frame["date"])
    if date.dt.tz is not None:  # a tz-aware instant names its New York day
        date = date.dt.tz_convert(EXCHANGE_TZ).dt.tz_localize(None)
    index = pd.MultiIndex.from_arrays(
        [frame["symbol"].astype(str).to_numpy(), date.dt.normalize().to_numpy()], names=_KEYS
    )
    if index.has_duplicates:
        raise ValueError(f"{name}: more than one row for a (symbol, date)")
    return pd.DataFrame({c: frame[c].to_numpy() for c in columns}, index=index)


def regime_component(regime: pd.DataFrame) -> pd.Series:
    frame = _keyed(regime, "regime", ["regime", "confidence"])
    label = frame["regime"].astype(str)
    unknown = sorted(set(label) - set(REGIME_SIGN))
    if unknown:
        raise ValueError(f"regime: unknown regime label(s) {unknown}")
    return label.map(REGIME_SIGN) * frame["confidence"].astype(float).clip(0.0, 1.0)


def velocity_component(velocity: pd.DataFrame) -> pd.Series:
    frame = _keyed(velocity, "velocity", list(VELOCITY_SCALES_PCT)).astype(float)
    mapped = np.tanh(frame / pd.Series(VELOCITY_SCALES_PCT))
    return mapped.mean(axis=1, skipna=True)


def profile_component(profile: pd.DataFrame) -> pd.Series:
    frame = _keyed(profile, "profile", ["close", "poc", "vah", "val", "close_location"])
    close, poc = frame["close"].astype(float), frame["poc"].astype(float)
    up = (frame["vah"].astype(float) - poc).where(lambda width: width > 0)
    down = (poc - frame["val"].astype(float)).where(lambda width: width > 0)
    inside = ((close - poc) / up.where(close >= poc, down)).fillna(0.0).clip(-1.0, 1.0)
    inside = inside.where(close.notna() & poc.notna())
    location = frame["close_location"].astype(str)
    labels = set(frame["close_location"].dropna().astype(str))
    unknown = sorted(labels - {"above_value", "in_value", "below_value"})
    if unknown:
        raise ValueError(f"profile: unknown close_location value(s) {unknown}")
    edge = location.map({"above_value": 1.0, "below_value": -1.0})
    return edge.where(location != "in_value", inside)


def flow_component(flow: pd.DataFrame) -> pd.Series:
    frame = _keyed(flow, "flow", ["call_premium", "put_premium", "sentiment_mean"]).astype(float)
    total = frame["call_premium"] + frame["put_premium"]
    tilt = (frame["call_premium"] - frame["put_premium"]) / total.where(total > 0)
    return pd.concat([tilt, frame["sentiment_mean"]], axis=1).mean(axis=1, skipna=True)


def oi_magnitude(oi: pd.DataFrame) -> pd.Series:
    """``tanh(net_oi_change_pct / OI_SCALE)``; the price side is applied in :func:`fuse`."""
    frame = _keyed(oi, "oi", ["net_oi_change_pct"]).astype(float)
    return np.tanh(frame["net_oi_change_pct"] / OI_SCALE)


def _resolve(components: pd.DataFrame, weights: dict[str, float]) -> pd.DataFrame:
    """Score, confidence, direction and conflicts of a (row x component) frame."""
    values = components[list(weights)].to_numpy(dtype=np.float64)
    w = np.array(list(weights.values()))
    present = ~np.isnan(values)
    filled = np.where(present, values, 0.0)
    weight_present = (present * w).sum(axis=1)
    net = (filled * w).sum(axis=1)
    gross = (np.abs(filled) * w).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(weight_present > 0, net / weight_present, 0.0)
        agreement = np.where(gross > 0, np.abs(net) / gross, 0.0)
    confidence = weight_present / w.sum() * agreement
    positive = (filled >= STRONG).sum(axis=1)
    negative = (filled <= -STRONG).sum(axis=1)
    direction = np.where(
        score >= DIRECTION_THRESHOLD,
        "long",
        np.where(score <= -DIRECTION_THRESHOLD, "short", "neutral"),
    )
    return pd.DataFrame(
        {
            "score": np.clip(score, -1.0, 1.0),
            "confidence": np.clip(confidence, 0.0, 1.0),
            "direction": pd.Categorical(direction, categories=["short", "neutral", "long"]),
            "conflicts": np.minimum(positive, negative).astype(np.int64),
        },
        index=components.index,
    )


def fuse(
    regime: pd.DataFrame | None = None,
    velocity: pd.DataFrame | None = None,
    profile: pd.DataFrame | None = None,
    flow: pd.DataFrame | None = None,
    oi: pd.DataFrame | None = None,
    weights: dict[str, float] | None = None,
) -> pd.DataFrame:
    """The fused per-(symbol, date) signal; see the module docstring. Columns in :data:`COLUMNS`."""
    weights = WEIGHTS if weights is None else weights
    if set(weights) != set(WEIGHTS) or any(not w > 0 for w in weights.values()):
        raise ValueError(f"weights: need a positive weight for each of {sorted(WEIGHTS)}")
    builders = {
        "regime": (regime, regime_component),
        "velocity": (velocity, velocity_component),
        "profile": (profile, profile_component),
        "flow": (flow, flow_component),
        "oi": (oi, oi_magnitude),
    }
    parts = {name: build(frame) for name, (frame, build) in builders.items() if frame is not None}
    if not parts:
        raise ValueError("fuse: pass at least one of regime, velocity, profile, flow, oi")
    index = pd.MultiIndex.from_tuples([], names=_KEYS)
    for part in parts.values():
        index = index.union(part.index)
    index = index.sort_values()
    components = pd.DataFrame(
        {name: parts[name].reindex(index) if name in parts else np.nan for name in WEIGHTS},
        index=index,
    ).astype(np.float64)
    price_sign = np.sign(components[list(PRICE_COMPONENTS)].mean(axis=1, skipna=True))
    components["oi"] = components["oi"] * price_sign
    out = _resolve(components, weights).join(components.add_prefix("component_"))
    out = out.reset_index()
    out["symbol"] = pd.Categorical(out["symbol"], categories=sorted(out["symbol"].unique()))
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
    return out[list(COLUMNS)]
