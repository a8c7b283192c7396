"""Signal fusion: one score in [-1, 1] per (symbol, day) from the other analytics' daily frames,
with a confidence, conflict rules applied in priority order and the reason for the call.

Inputs (keyword, each optional, at least one): ``regime`` (regime.py), ``velocity``
(velocity.py), ``profile`` (profile.py ``profile_summary``), ``flow`` (flow.py), ``oi``
(oi_spikes.py ``oi_spike_summary``), ``zones`` (zones.py, one row per zone) and ``traps``
(trap_events.py ``trap_summary``), each keyed by (symbol, date). Rows of the output: every
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
- **zones**: the day's rejection tails: ``(demand - supply) / (demand + supply)`` over the summed
  strengths of its ``demand`` (buying tail: lower prices refused) and ``supply`` (selling tail)
  zones; 0 for a day with zones but no tail.
- **traps**: ``tanh(bear_traps - bull_traps + (breakouts_up - breakouts_down) / 2)``: a failed
  breakout points the other way, a held one its own way at half the weight; NaN for a day read
  against no reference level (``levels`` 0), 0 for a day with levels and no event.

**Score** is the weighted mean of the components present in the row with :data:`WEIGHTS`:
``sum(w_i c_i) / sum(w_i)`` over available components only, so a missing component is
renormalised out, not counted as 0. ``conflicts`` counts the strong components
(``|c| >= STRONG``) on the side with fewer of them. **Confidence** = coverage x agreement, with
coverage ``sum(w_present) / sum(w_passed)`` (the weights of the components present in the row
over those of the inputs passed: an input that does not apply to an instrument, options flow to
crypto, does not lower it) and agreement ``|sum(w_i c_i)| / sum(w_i |c_i|)`` (1 when all
components point the same way, 0 when they cancel). **Direction** is ``long`` when ``score >=
DIRECTION_THRESHOLD``, ``short`` when ``score <= -DIRECTION_THRESHOLD``, else ``neutral``. A row
with no usable component has score 0, confidence 0, direction neutral.

**Conflict rules**, in priority order (:data:`RULES`); ``rule`` names the highest one that
fired, ``reason`` says what decided the row:

1. ``trap_veto``: the day's traps oppose the direction (more bull than bear traps under a long
   call, or the reverse under a short): the direction becomes neutral. A failed breakout is the
   market's own refusal of the move the other components describe.
2. ``volatile_regime``: the regime is ``volatile``: confidence is halved and a direction needs
   ``|score| >= VOLATILE_THRESHOLD`` (twice the usual), since wide two-way swings make every
   directional read less reliable.
3. ``participation_disagrees``: the participation component (flow, or open interest) is strong
   (``|c| >= STRONG_OPPOSITION``) against the price side (the sign of the mean of regime,
   velocity and profile): confidence is halved; the weighted mean has already shrunk the score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vvv_pipeline.calendars import EXCHANGE_TZ

WEIGHTS: dict[str, float] = {
    "regime": 0.20,
    "velocity": 0.15,
    "profile": 0.15,
    "flow": 0.15,
    "oi": 0.10,
    "zones": 0.10,
    "traps": 0.15,
}
"""Component weights (they need not sum to 1: the score divides by the present ones). Regime
and traps weigh most: each summarises the whole day's behaviour, the others one aspect of it."""

REGIME_SIGN = {"trend_up": 1.0, "trend_down": -1.0, "range": 0.0, "volatile": 0.0}
VELOCITY_SCALES_PCT = {"roc_5m": 0.25, "roc_15m": 0.5, "roc_60m": 1.0}
OI_SCALE = 0.05
"""net_oi_change_pct (a fraction) that maps to tanh(1): a 5 % net change in a day."""
STRONG = 0.1
DIRECTION_THRESHOLD = 0.2
VOLATILE_THRESHOLD = 2 * DIRECTION_THRESHOLD
STRONG_OPPOSITION = 0.5
PRICE_COMPONENTS = ("regime", "velocity", "profile")
PARTICIPATION_COMPONENTS = ("flow", "oi")
RULES = ("trap_veto", "volatile_regime", "participation_disagrees")
"""The conflict rules in priority order (see the module docs); ``none`` when no rule fired."""

COLUMNS: dict[str, str] = {
    "symbol": "instrument symbol (category)",
    "date": "session / New York calendar date, tz-naive midnight",
    "score": "weighted mean of the available components, in [-1, 1] (positive = bullish)",
    "confidence": "coverage x agreement, in [0, 1]",
    "direction": "long | neutral | short: score against +-DIRECTION_THRESHOLD (0.2)",
    "conflicts": "strong components (|c| >= 0.1) on the minority side (int)",
    "rule": "the highest-priority conflict rule that fired: trap_veto, volatile_regime, "
    "participation_disagrees, or none",
    "reason": "what decided the row: the direction and score, the components for and against "
    "(weighted contributions, largest first) and the rule applied",
    **{f"component_{name}": f"{name} component in [-1, 1]; NaN when missing" for name in WEIGHTS},
}

_KEYS = ["symbol", "date"]


def _days(dates: pd.Series) -> np.ndarray:
    """Tz-naive day midnights; a tz-aware instant names its New York day."""
    date = pd.to_datetime(dates)
    if date.dt.tz is not None:
        date = date.dt.tz_convert(EXCHANGE_TZ).dt.tz_localize(None)
    return date.dt.normalize().to_numpy()


def _keyed(frame: pd.DataFrame, name: str, columns: list[str]) -> pd.DataFrame:
    """``frame``'s ``columns`` indexed by (symbol as text, tz-naive date); errors name it."""
    missing = [c for c in [*_KEYS, *columns] if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing required column(s) {missing}")
    index = pd.MultiIndex.from_arrays(
        [frame["symbol"].astype(str).to_numpy(), _days(frame["date"])], names=_KEYS
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


def zones_component(zones: pd.DataFrame) -> pd.Series:
    frame = _zone_rows(zones)
    tails = frame.assign(
        demand=frame["strength"].where(frame["kind"] == "demand", 0.0),
        supply=frame["strength"].where(frame["kind"] == "supply", 0.0),
    )
    day = tails.groupby(level=_KEYS, sort=True, observed=True)[["demand", "supply"]].sum()
    total = day["demand"] + day["supply"]
    return ((day["demand"] - day["supply"]) / total.where(total > 0)).fillna(0.0)


def traps_component(traps: pd.DataFrame) -> pd.Series:
    counted = ["levels", "bull_traps", "bear_traps", "breakouts_up", "breakouts_down"]
    frame = _keyed(traps, "traps", counted).astype(float)
    net = frame["bear_traps"] - frame["bull_traps"]
    net += (frame["breakouts_up"] - frame["breakouts_down"]) / 2
    return np.tanh(net).where(frame["levels"] > 0)


def _zone_rows(zones: pd.DataFrame) -> pd.DataFrame:
    """``zones`` (many rows per day) indexed by (symbol, date), with kind and strength."""
    missing = [c for c in [*_KEYS, "kind", "strength"] if c not in zones.columns]
    if missing:
        raise ValueError(f"zones: missing required column(s) {missing}")
    one_per_day = zones.drop_duplicates(_KEYS)
    index = _keyed(one_per_day, "zones", []).index
    keys = pd.MultiIndex.from_arrays(
        [zones["symbol"].astype(str).to_numpy(), _days(zones["date"])], names=_KEYS
    )
    frame = pd.DataFrame(
        {"kind": zones["kind"].astype(str).to_numpy(), "strength": zones["strength"].to_numpy()},
        index=keys,
    )
    return frame.astype({"strength": np.float64}).loc[frame.index.isin(index)]


def _resolve(
    components: pd.DataFrame, weights: dict[str, float], passed: list[str]
) -> pd.DataFrame:
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
    confidence = weight_present / sum(weights[name] for name in passed) * agreement
    positive = (filled >= STRONG).sum(axis=1)
    negative = (filled <= -STRONG).sum(axis=1)
    return pd.DataFrame(
        {
            "score": np.clip(score, -1.0, 1.0),
            "confidence": np.clip(confidence, 0.0, 1.0),
            "conflicts": np.minimum(positive, negative).astype(np.int64),
        },
        index=components.index,
    )


def _direction(score: np.ndarray, threshold: np.ndarray | float) -> np.ndarray:
    return np.where(score >= threshold, "long", np.where(score <= -threshold, "short", "neutral"))


def _apply_rules(
    resolved: pd.DataFrame,
    components: pd.DataFrame,
    volatile: np.ndarray,
    trap_balance: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Direction, confidence and the fired rule per row, the rules taken in :data:`RULES`
    order; ``trap_balance`` is bear minus bull traps (0 where unknown)."""
    score = resolved["score"].to_numpy()
    confidence = resolved["confidence"].to_numpy().copy()
    rule = np.full(len(score), "none", dtype=object)

    price_side = np.sign(components[list(PRICE_COMPONENTS)].mean(axis=1, skipna=True).to_numpy())
    participation = components[list(PARTICIPATION_COMPONENTS)].mean(axis=1, skipna=True)
    participation = participation.to_numpy()
    opposed = (
        (price_side != 0)
        & (np.abs(np.nan_to_num(participation)) >= STRONG_OPPOSITION)
        & (np.sign(np.nan_to_num(participation)) == -price_side)
    )
    confidence = np.where(opposed, confidence / 2, confidence)
    rule = np.where(opposed, "participation_disagrees", rule)

    confidence = np.where(volatile, confidence / 2, confidence)
    rule = np.where(volatile, "volatile_regime", rule)
    direction = _direction(score, np.where(volatile, VOLATILE_THRESHOLD, DIRECTION_THRESHOLD))

    vetoed = ((direction == "long") & (trap_balance < 0)) | (
        (direction == "short") & (trap_balance > 0)
    )
    direction = np.where(vetoed, "neutral", direction)
    rule = np.where(vetoed, "trap_veto", rule)
    return direction, confidence, rule


def _reasons(
    out: pd.DataFrame, components: pd.DataFrame, weights: dict[str, float], traps: np.ndarray
) -> list[str]:
    """One line per row: call and score, components for and against, the rule applied."""
    texts = []
    names = list(weights)
    values = components[names].to_numpy(dtype=np.float64)
    w = np.array([weights[name] for name in names])
    for i, row in enumerate(out.itertuples(index=False)):
        contribution = values[i] * w
        order = [
            j
            for j in np.argsort(-np.abs(np.nan_to_num(contribution)))
            if values[i, j] == values[i, j]
        ]
        side = np.sign(row.score) or 1.0
        pro = [f"{names[j]} {values[i, j]:+.2f}" for j in order if np.sign(values[i, j]) == side]
        con = [f"{names[j]} {values[i, j]:+.2f}" for j in order if np.sign(values[i, j]) == -side]
        text = f"{row.direction} {row.score:+.2f}, confidence {row.confidence:.2f}"
        text += f"; for: {', '.join(pro) or 'nothing'}; against: {', '.join(con) or 'nothing'}"
        if row.rule == "trap_veto":
            kind = "bull" if traps[i] < 0 else "bear"
            text += f"; trap_veto: {abs(int(traps[i]))} more {kind} trap(s) than the opposite"
        elif row.rule != "none":
            text += f"; {row.rule}: confidence halved"
        if not np.isfinite(values[i]).any():
            text = "neutral: no component"
        texts.append(text)
    return texts


def fuse(
    regime: pd.DataFrame | None = None,
    velocity: pd.DataFrame | None = None,
    profile: pd.DataFrame | None = None,
    flow: pd.DataFrame | None = None,
    oi: pd.DataFrame | None = None,
    zones: pd.DataFrame | None = None,
    traps: pd.DataFrame | None = None,
    weights: dict[str, float] | None = None,
) -> pd.DataFrame:
    """The fused per-(symbol, date) signal; see the module docstring. Columns in :data:`COLUMNS`."""
    weights = WEIGHTS if weights is None else weights
    if set(weights) != set(WEIGHTS) or any(not w > 0 for w in weights.values()):
        raise ValueError(f"weights: need a positive weight for each of {sorted(WEIGHTS)}")
    weights = {name: weights[name] for name in WEIGHTS}
    builders = {
        "regime": (regime, regime_component),
        "velocity": (velocity, velocity_component),
        "profile": (profile, profile_component),
        "flow": (flow, flow_component),
        "oi": (oi, oi_magnitude),
        "zones": (zones, zones_component),
        "traps": (traps, traps_component),
    }
    parts = {name: build(frame) for name, (frame, build) in builders.items() if frame is not None}
    if not parts:
        raise ValueError(f"fuse: pass at least one of {', '.join(WEIGHTS)}")
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

    resolved = _resolve(components, weights, list(parts))
    volatile = np.zeros(len(index), dtype=bool)
    if regime is not None:
        labels = _keyed(regime, "regime", ["regime"])["regime"].astype(str).reindex(index)
        volatile = (labels == "volatile").to_numpy()
    balance = np.zeros(len(index))
    if traps is not None:
        counts = _keyed(traps, "traps", ["bull_traps", "bear_traps"]).astype(float)
        balance = (counts["bear_traps"] - counts["bull_traps"]).reindex(index).fillna(0.0)
        balance = balance.to_numpy()
    direction, confidence, rule = _apply_rules(resolved, components, volatile, balance)
    resolved["confidence"] = np.clip(confidence, 0.0, 1.0)
    resolved["direction"] = pd.Categorical(direction, categories=["short", "neutral", "long"])
    resolved["rule"] = rule
    resolved["reason"] = _reasons(resolved, components, weights, balance)
    out = resolved.join(components.add_prefix("component_")).reset_index()
    out["symbol"] = pd.Categorical(out["symbol"], categories=sorted(out["symbol"].unique()))
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
    return out[list(COLUMNS)]
