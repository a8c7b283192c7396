"""The one rule table: every validation rule of every source and tier, declared once.

Each :class:`Rule` names a registered pandera check (:mod:`.registered`, :mod:`.registered_tiers`)
and its statistics. The pandera schemas (:mod:`.contract`) are generated from this table, and so
are the great-expectations suites (:mod:`.expectations`) and the column constraints the Dagster UI
shows. Tier 1 is expanded from the per-source declarations in :mod:`.rules` and the canonical
schema (which columns may hold nulls); tiers 2 to 4 are listed here with the limit above which a
WARN tier fails. A rule's name is what the quarantine and the check metadata call it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from vvv_pipeline.schemas import SOURCE_SCHEMAS
from vvv_pipeline.validation import quality as t4
from vvv_pipeline.validation.rules import RULES

NOT_NULL = "not_nullable"
"""Pandera's own nullability check: a rule with this check sets ``Column(nullable=False)``."""
SESSION_SOURCES = ("equity_ticks", "darkpool_prints", "options_flow")
WINDOW_SOURCES = ("crypto_trades", "crypto_open_interest")


@dataclass(frozen=True)
class Limit:
    """Above ``most`` a WARN kind fails its tier: its count, or a ``measure`` it notes (a rate)."""

    most: float
    measure: str | None = None


@dataclass(frozen=True)
class Rule:
    name: str
    """The rule (tier 1) or kind (tiers 2-4): the pandera check's name."""
    tier: int
    check: str
    """The registered ``pandera.Check`` method (or :data:`NOT_NULL`)."""
    column: str | None = None
    """Set: a column check; None: a dataframe-level check."""
    reads: tuple[str, ...] = ()
    """Columns the rule reads: it is not evaluated when one is missing or mistyped."""
    params: Mapping[str, Any] = field(default_factory=dict)
    """The check's statistics (besides the partition's binding)."""
    description: str = ""
    """The constraint in words: the Dagster column schema and the check's description."""
    limit: Limit | None = None
    """Tiers 2-4 only; tier-1 rules reject every failing row."""


def _col(name: str, tier: int, check: str, column: str, doc: str, **params: Any) -> Rule:
    return Rule(name, tier, check, column, (column,), params, doc)


def _wide(name: str, check: str, reads: tuple[str, ...], doc: str, **params: Any) -> Rule:
    """A tier-1 dataframe-level rule (it reads several columns)."""
    return Rule(name, 1, check, None, reads, params, doc)


ADJUSTMENT_TOLERANCE = 1e-3
"""Relative slack of the adjusted-close rules: Yahoo sends float32 prices (7 significant digits)
and dividends rounded to cents or tenths of a cent, so an exact factor is never on the wire."""


def tier1_rules(source: str) -> tuple[Rule, ...]:
    """The blocking rules of ``source``, in the order the quarantine lists a row's reasons."""
    schema, rules = SOURCE_SCHEMAS[source], RULES[source]
    out: list[Rule] = []
    free = set(rules.nullable) | set(rules.positive) | set(rules.non_negative)
    out += [
        _col(f"{c}_not_null", 1, NOT_NULL, c, "not null") for c in schema.names if c not in free
    ]
    out.append(_col("ts_in_window", 1, "in_window", "ts", "inside the partition window"))
    out.append(_col("symbol_in_universe", 1, "in_universe", "symbol", "in the universe"))
    out += [
        _col(f"{c}_positive", 1, "finite_positive", c, "finite and > 0") for c in rules.positive
    ]
    out += [
        _col(f"{c}_non_negative", 1, "finite_non_negative", c, "finite and >= 0")
        for c in rules.non_negative
    ]
    for c, (lo, hi) in rules.ranges.items():
        doc = f"in [{lo}, {hi}]"
        out.append(
            _col(f"{c}_range", 1, "within", c, doc, lo=lo, hi=hi, nan_ok=c in rules.nullable)
        )
    out += [
        _col(f"{c}_finite", 1, "no_infinity", c, "finite where present")
        for c in rules.finite_or_nan
    ]
    for c, allowed in rules.enums.items():
        doc = "one of " + ", ".join(map(str, allowed))
        out.append(_col(f"{c}_known", 1, "known_codes", c, doc, allowed=tuple(allowed)))
    if rules.quotes:
        bid, ask = rules.quotes
        doc = f"0 <= {bid} <= {ask} where both are present"
        out.append(_wide("quote_ordered", "quotes_ordered", rules.quotes, doc, bid=bid, ask=ask))
    if rules.unique_id:
        key, doc = rules.unique_id, "unique per symbol within a partition"
        out.append(_wide(f"{key}_unique", "unique_per_symbol", ("symbol", key), doc, id_column=key))
    if rules.occ:
        reads = ("option_symbol", "symbol", "expiry", "option_type", "strike")
        out.append(_wide("occ_symbol_format", "occ_format", reads, "an OCC option symbol"))
        doc = "OCC symbol matching symbol, strike, expiry and option_type"
        out.append(_wide("occ_symbol_consistent", "occ_consistent", reads, doc))
    if rules.ohlc:
        reads, doc = ("open", "high", "low", "close"), "low <= open, close <= high"
        out.append(_wide("ohlc_consistent", "ohlc_ordered", reads, doc))
    if rules.adjustment:
        doc = f"adj_close <= close (relative tolerance {ADJUSTMENT_TOLERANCE:g})"
        reads = ("close", "adj_close")
        out.append(
            _wide(
                "adj_close_not_above_close",
                "adjusted_below_close",
                reads,
                doc,
                tolerance=ADJUSTMENT_TOLERANCE,
            )
        )
        doc = (
            "between a symbol's consecutive rows the factor adj_close / close steps by "
            f"1 - dividend / previous close (relative tolerance {ADJUSTMENT_TOLERANCE:g})"
        )
        reads = ("ts", "symbol", "close", "adj_close", "dividend")
        out.append(
            _wide(
                "adjustment_consistent",
                "adjustment_steps",
                reads,
                doc,
                tolerance=ADJUSTMENT_TOLERANCE,
            )
        )
    return tuple(out)


# WARN limits: above them a tier fails (its check still lists every row it flags)
TZ_SHIFT_MAX_SHARE = 0.01
"""Largest share of a partition's rows that may look shifted by the New York offset."""
CROSSED_MAX_RATE = 0.001
"""Largest share of quoted rows with bid > ask."""
LOCKED_MAX_RATE = 0.01
"""Largest share of quoted rows with bid == ask."""
DARKPOOL_MAX_DEVIATION = 0.02
"""Largest |price / NBBO mid - 1| of a dark-pool print (blocks trade near the lit price)."""
VOLUME_SPIKE_RATIO = {"equity_ticks": 1_000.0, "crypto_trades": 10_000.0}
"""A minute is a volume spike above this multiple of the symbol's median minute. Clean simulated
data peaks at 16x for equities at default density (116x in sparse sessions of 2,000 trades) and
at about 3,000x for crypto, whose whale trades are part of the model; a unit error of 1e6 on one
small trade scored 22,700x."""
NONE = Limit(0)
"""Any finding fails the tier."""
GRID_SOURCES = ("equity_ticks", "crypto_trades", "crypto_open_interest")
PRICE = {"equity_ticks": "price", "crypto_trades": "price", "crypto_open_interest": "mark_price"}
STALE = {
    "equity_ticks": ("price", "bid", "ask"),
    "crypto_trades": ("price",),
    "crypto_open_interest": ("mark_price", "open_interest"),
}
QUOTES = {"equity_ticks": ("bid", "ask"), "darkpool_prints": ("nbbo_bid", "nbbo_ask")}
VOLUME = {"equity_ticks": "size", "crypto_trades": "size"}
DUPLICATE = {
    "equity_ticks": ("price", "size"),
    "crypto_trades": ("price", "size"),
    "darkpool_prints": ("price", "size"),
    "crypto_open_interest": ("mark_price", "open_interest"),
}


def _warn(
    name: str,
    tier: int,
    check: str,
    reads: tuple[str, ...],
    doc: str,
    limit: Limit = NONE,
    **p: Any,
) -> Rule:
    """A WARN kind: a dataframe-level check reading ``ts`` and ``reads``."""
    return Rule(name, tier, check, None, ("ts", *reads), p, doc, limit)


SHIFTED = Limit(TZ_SHIFT_MAX_SHARE, "tz_shift_share")
OI = "crypto_open_interest"
TRADE_SOURCES = ("equity_ticks", "crypto_trades")
_SHIFT_DOC = "not New York wall time stamped as UTC (share of rows)"
_SESSION_DOC = "inside an XNYS session (early closes included; flagged extended hours excepted)"
_EXPECTED_DOC = "every expected symbol has rows"
_GAP_DOC = "no run of empty minutes a liquid symbol was expected to fill (counted in runs)"

WARN_RULES: tuple[tuple[tuple[str, ...], Rule], ...] = (
    # tier 2: session alignment and time zones
    (
        ("equity_ticks",),
        _warn(
            "extended_flag_inside",
            2,
            "extended_flag_inside",
            ("extended_hours",),
            "extended_hours is False inside the XNYS session",
        ),
    ),
    (SESSION_SOURCES, _warn("outside_session", 2, "outside_session", (), _SESSION_DOC)),
    (
        SESSION_SOURCES,
        _warn("timezone_shift", 2, "session_timezone_shift", (), _SHIFT_DOC, SHIFTED),
    ),
    (
        WINDOW_SOURCES,
        _warn("outside_window", 2, "outside_window", (), "inside the partition window"),
    ),
    (WINDOW_SOURCES, _warn("timezone_shift", 2, "window_timezone_shift", (), _SHIFT_DOC, SHIFTED)),
    # tier 3: continuity (an OI window where no sample falls due expects no symbol)
    *(
        (
            (s,),
            _warn(
                "symbol_without_rows",
                3,
                "symbols_present",
                ("symbol",),
                _EXPECTED_DOC,
                cadence=s == OI,
            ),
        )
        for s in GRID_SOURCES
    ),
    ((OI,), _warn("off_cadence", 3, "on_cadence", (), "samples on the provider's cadence grid")),
    (
        (OI,),
        _warn(
            "cadence_gap", 3, "cadence_gaps", ("symbol",), "no missing sample (counted in samples)"
        ),
    ),
    *(
        (
            (s,),
            _warn(
                "trade_gap", 3, "trade_gaps", ("symbol",), _GAP_DOC, sessions=s == "equity_ticks"
            ),
        )
        for s in TRADE_SOURCES
    ),
    # tier 4: statistical quality
    *(
        (
            (s,),
            _warn(
                "price_jump",
                4,
                "robust_jumps",
                ("symbol", c),
                "no robust (MAD) price jump",
                column=c,
                floor=t4.JUMP_FLOOR,
            ),
        )
        for s, c in PRICE.items()
    ),
    *(
        (
            (s,),
            _warn(
                "price_spike",
                4,
                "isolated_spikes",
                ("symbol", c),
                "no isolated price spike (a jump and its reversal)",
                column=c,
                floor=t4.JUMP_FLOOR,
            ),
        )
        for s, c in PRICE.items()
    ),
    (
        (OI,),
        _warn(
            "open_interest_jump",
            4,
            "robust_jumps",
            ("symbol", "open_interest"),
            "no robust open-interest jump",
            column="open_interest",
            floor=t4.OI_JUMP_FLOOR,
        ),
    ),
    *(
        (
            (s,),
            _warn(
                "crossed_quote",
                4,
                "crossed_quotes",
                (b, a),
                "bid <= ask (rate)",
                Limit(CROSSED_MAX_RATE, "crossed_rate"),
                bid=b,
                ask=a,
            ),
        )
        for s, (b, a) in QUOTES.items()
    ),
    *(
        (
            (s,),
            _warn(
                "locked_quote",
                4,
                "locked_quotes",
                (b, a),
                "bid < ask (rate)",
                Limit(LOCKED_MAX_RATE, "locked_rate"),
                bid=b,
                ask=a,
            ),
        )
        for s, (b, a) in QUOTES.items()
    ),
    (
        ("equity_ticks",),
        _warn(
            "price_outside_quote",
            4,
            "inside_quote",
            ("bid", "ask", "price"),
            "bid <= price <= ask",
            bid="bid",
            ask="ask",
        ),
    ),
    (
        ("darkpool_prints",),
        _warn(
            "nbbo_deviation",
            4,
            "near_nbbo",
            ("nbbo_bid", "nbbo_ask", "price"),
            f"|price / NBBO mid - 1| <= {DARKPOOL_MAX_DEVIATION}",
            bid="nbbo_bid",
            ask="nbbo_ask",
            most=DARKPOOL_MAX_DEVIATION,
        ),
    ),
    *(
        (
            (s,),
            _warn(
                "stale_price",
                4,
                "stale_runs",
                ("symbol", *cols),
                "no frozen run of identical rows (counted in runs)",
                columns=cols,
            ),
        )
        for s, cols in STALE.items()
    ),
    *(
        (
            (s,),
            _warn(
                "volume_spike",
                4,
                "volume_spikes",
                ("symbol", c),
                f"no minute above {VOLUME_SPIKE_RATIO[s]:g}x the median minute (in minutes)",
                column=c,
                ratio=VOLUME_SPIKE_RATIO[s],
            ),
        )
        for s, c in VOLUME.items()
    ),
    *(
        (
            (s,),
            _warn(
                "duplicate_print",
                4,
                "duplicate_prints",
                ("symbol", *cols),
                "no print repeating the previous one on ts, " + ", ".join(cols),
                columns=cols,
            ),
        )
        for s, cols in DUPLICATE.items()
    ),
)
"""Tiers 2 to 4: (the sources it applies to, the rule), in the order a tier reports its kinds."""


def warn_rules(source: str, tier: int) -> tuple[Rule, ...]:
    return tuple(rule for sources, rule in WARN_RULES if source in sources and rule.tier == tier)


@cache
def rules_of_tier(source: str, tier: int) -> tuple[Rule, ...]:
    """The rules of one source and tier: what its pandera schema checks."""
    if source not in SOURCE_SCHEMAS:
        raise ValueError(f"unknown source {source!r}; expected one of {sorted(SOURCE_SCHEMAS)}")
    return tier1_rules(source) if tier == 1 else warn_rules(source, tier)


REJECTS_NULL = (NOT_NULL, "finite_positive", "finite_non_negative")
"""Checks no null passes: pandera's own, and those that judge a NaN not finite."""


def rules_without_nulls(source: str) -> set[str]:
    """Columns where no null survives tier 1 (the column schema's nullability)."""
    return {r.column for r in rules_of_tier(source, 1) if r.check in REJECTS_NULL and r.column}


def rule_table(source: str) -> tuple[Rule, ...]:
    """Every rule of ``source``, tier by tier."""
    return tuple(r for tier in (1, 2, 3, 4) for r in rules_of_tier(source, tier))
