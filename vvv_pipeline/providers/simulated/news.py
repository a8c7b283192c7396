"""News headlines over the equity universe, one America/New_York calendar day per unit.

Model, per day (a pure function of seed, day and the equity universe):

- **Count**: 15-40 headlines on weekdays, 5-12 on weekends.
- **Times**: any time of day; 60 % fall in the busy stretch (roughly 06:00-18:00 local, the
  middle half of the day), the rest uniformly over the whole day.
- **Text**: one of :data:`TEMPLATES`, filled with one or two tickers and a number; each
  template carries a base sentiment.
- **Tickers**: one uniformly from the universe; a second, distinct one for two-ticker
  templates and for 25 % of others (a headline mentioning a peer). One row per (headline,
  ticker), sharing ``headline_id``, ``ts`` and every other field.
- **Sentiment**: ``score = clip(base + N(0, 0.12), -1, 1)`` rounded to 3 decimals; the label
  follows the score: ``< -0.2`` negative, ``> 0.2`` positive, else neutral.
- **Major**: half of strongly scored headlines (``|score| >= 0.6``), 5 % of the others.
- **Ids**: ``YYYYMMDD-`` plus 12 hex digits from the day's random stream.
"""

from __future__ import annotations

import string

import numpy as np
import pandas as pd

from vvv_pipeline.providers.simulated.seeding import hex_strings, rng_for
from vvv_pipeline.providers.simulated.units import Unit
from vvv_pipeline.schemas import NEWS_SOURCES, SENTIMENTS

TEMPLATES: tuple[tuple[str, float], ...] = (
    ("{T} beats quarterly earnings estimates as revenue climbs {X}%", 0.7),
    ("{T} shares rise {X}% after analyst upgrade", 0.6),
    ("{T} announces ${X} billion share buyback", 0.5),
    ("{T} raises full-year guidance on strong demand", 0.65),
    ("{T} wins major contract; stock gains {X}%", 0.55),
    ("{T} and {U} announce strategic partnership", 0.4),
    ("{T} misses earnings expectations, shares fall {X}%", -0.7),
    ("{T} downgraded to underperform, price target cut {X}%", -0.6),
    ("{T} faces regulatory probe over business practices", -0.5),
    ("{T} cuts outlook citing weak demand", -0.65),
    ("{T} slides {X}% as {U} gains market share", -0.45),
    ("{T} to present at industry conference next week", 0.0),
    ("{T} schedules quarterly earnings call", 0.0),
    ("{T} names new chief financial officer", 0.05),
    ("Options traders eye {T} and {U} ahead of key data", 0.0),
    ("{T} files annual report with the SEC", 0.0),
)
SOURCE_SHARE = (0.25, 0.2, 0.2, 0.15, 0.1, 0.1)
PEER_SHARE = 0.25


def sentiment_label(score: np.ndarray) -> np.ndarray:
    """Index into :data:`SENTIMENTS`: negative below -0.2, positive above 0.2."""
    return np.where(score < -0.2, 0, np.where(score > 0.2, 2, 1))


def render(template: str, fields: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Fill ``template`` for ``n`` rows at once (loops over template pieces, not rows)."""
    out = np.full(n, "", dtype=object)
    for literal, name, _, _ in string.Formatter().parse(template):
        out = out + literal
        if name is not None:
            out = out + fields[name]
    return out


def news_day(seed: int, equities: tuple[str, ...], unit: Unit) -> pd.DataFrame:
    """All headline rows of one New York day, sorted by time, with a ``symbol`` column."""
    rng = rng_for(seed, "news_headlines", unit.key)
    weekend = pd.Timestamp(unit.key).dayofweek >= 5
    n = int(rng.integers(5, 13) if weekend else rng.integers(15, 41))
    busy = rng.random(n) < 0.6
    frac = np.where(busy, rng.uniform(0.25, 0.75, n), rng.random(n))
    length = unit.end_ns - unit.start_ns
    ts = np.sort(unit.start_ns + (frac * length).astype(np.int64))
    template = rng.integers(0, len(TEMPLATES), n)
    two = np.array(["{U}" in TEMPLATES[i][0] for i in range(len(TEMPLATES))])[template]
    two = two | (rng.random(n) < PEER_SHARE)
    count = len(equities)
    first = rng.integers(0, count, n)
    second = (first + 1 + rng.integers(0, max(count - 1, 1), n)) % count
    two = two & (count > 1)
    tickers = np.asarray(equities, dtype=object)
    fields = {
        "T": tickers[first],
        "U": tickers[second],
        "X": np.char.mod("%.1f", rng.uniform(1.0, 12.0, n)).astype(object),
    }
    text = np.empty(n, dtype=object)
    for i, (tpl, _) in enumerate(TEMPLATES):
        rows = template == i
        if rows.any():
            text[rows] = render(tpl, {name: v[rows] for name, v in fields.items()}, int(rows.sum()))
    base = np.array([b for _, b in TEMPLATES])[template]
    score = np.round(np.clip(base + rng.normal(0.0, 0.12, n), -1.0, 1.0), 3)
    major = np.where(np.abs(score) >= 0.6, rng.random(n) < 0.5, rng.random(n) < 0.05)
    source = rng.choice(len(NEWS_SOURCES), n, p=SOURCE_SHARE)
    ids = (unit.key.replace("-", "") + "-") + hex_strings(rng, n, 6)
    rows = np.concatenate([np.arange(n), np.flatnonzero(two)])
    rows.sort(kind="stable")
    is_second = np.concatenate([[False], rows[1:] == rows[:-1]])
    symbol = np.where(is_second, tickers[second[rows]], tickers[first[rows]])
    return pd.DataFrame(
        {
            "ts": ts[rows],
            "symbol": symbol,
            "headline_id": ids[rows],
            "headline": text[rows],
            "source": pd.Categorical.from_codes(source[rows], categories=list(NEWS_SOURCES)),
            "sentiment": pd.Categorical.from_codes(
                sentiment_label(score)[rows], categories=list(SENTIMENTS)
            ),
            "sentiment_score": score[rows],
            "is_major": major[rows],
        }
    )
