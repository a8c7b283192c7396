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
        out.append(
            Rule(
                "quote_ordered",
                1,
                "quotes_ordered",
                None,
                rules.quotes,
                {"bid": bid, "ask": ask},
                doc,
            )
        )
    if rules.unique_id:
        key = rules.unique_id
        doc = "unique per symbol within a partition"
        out.append(
            Rule(
                f"{key}_unique",
                1,
                "unique_per_symbol",
                None,
                ("symbol", key),
                {"id_column": key},
                doc,
            )
        )
    if rules.occ:
        reads = ("option_symbol", "symbol", "expiry", "option_type", "strike")
        out.append(
            Rule(
                "occ_symbol_format",
                1,
                "occ_format",
                None,
                reads,
                {},
                "option_symbol is an OCC symbol",
            )
        )
        doc = "OCC symbol matching symbol, strike, expiry and option_type"
        out.append(Rule("occ_symbol_consistent", 1, "occ_consistent", None, reads, {}, doc))
    if rules.ohlc:
        reads = ("open", "high", "low", "close")
        out.append(
            Rule(
                "ohlc_consistent", 1, "ohlc_ordered", None, reads, {}, "low <= open, close <= high"
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
    name: str, tier: int, check: str, reads: tuple[str, ...], doc: str, limit: Limit, **params: Any
) -> Rule:
    return Rule(name, tier, check, None, ("ts", *reads), params, doc, limit)


def tier2_rules(source: str) -> tuple[Rule, ...]:
    shift = Limit(TZ_SHIFT_MAX_SHARE, "tz_shift_share")
    if source in SESSION_SOURCES:
        out = []
        if source == "equity_ticks":
            doc = "extended_hours is False inside the XNYS session"
            out.append(
                _warn(
                    "extended_flag_inside",
                    2,
                    "extended_flag_inside",
                    ("extended_hours",),
                    doc,
                    NONE,
                )
            )
        doc = "inside an XNYS session (early closes included; flagged extended-hours rows excepted)"
        out.append(_warn("outside_session", 2, "outside_session", (), doc, NONE))
        doc = "not New York wall time stamped as UTC (share of rows)"
        out.append(_warn("timezone_shift", 2, "session_timezone_shift", (), doc, shift))
        return tuple(out)
    if source in WINDOW_SOURCES:
        doc = "not New York wall time stamped as UTC (share of rows)"
        return (
            _warn("outside_window", 2, "outside_window", (), "inside the partition window", NONE),
            _warn("timezone_shift", 2, "window_timezone_shift", (), doc, shift),
        )
    return ()


def tier3_rules(source: str) -> tuple[Rule, ...]:
    if source not in GRID_SOURCES:
        return ()
    doc = "every expected symbol has rows"
    oi = source == "crypto_open_interest"
    out = [_warn("symbol_without_rows", 3, "symbols_present", ("symbol",), doc, NONE, cadence=oi)]
    if oi:
        doc = "samples on the provider's cadence grid"
        out.append(_warn("off_cadence", 3, "on_cadence", (), doc, NONE))
        doc = "no missing sample on the cadence grid (counted in samples)"
        out.append(_warn("cadence_gap", 3, "cadence_gaps", ("symbol",), doc, NONE))
    else:
        doc = "no run of empty minutes a liquid symbol was expected to fill (counted in runs)"
        sessions = source == "equity_ticks"
        out.append(_warn("trade_gap", 3, "trade_gaps", ("symbol",), doc, NONE, sessions=sessions))
    return tuple(out)


def tier4_rules(source: str) -> tuple[Rule, ...]:
    out: list[Rule] = []
    if source in PRICE:
        p, floor = PRICE[source], t4.JUMP_FLOOR
        reads = ("symbol", p)
        doc = "no robust (MAD) price jump"
        out.append(_warn("price_jump", 4, "robust_jumps", reads, doc, NONE, column=p, floor=floor))
        doc = "no isolated price spike (a jump and its reversal)"
        out.append(
            _warn("price_spike", 4, "isolated_spikes", reads, doc, NONE, column=p, floor=floor)
        )
    if source == "crypto_open_interest":
        c, floor = "open_interest", t4.OI_JUMP_FLOOR
        doc = "no robust open-interest jump"
        out.append(
            _warn(
                "open_interest_jump",
                4,
                "robust_jumps",
                ("symbol", c),
                doc,
                NONE,
                column=c,
                floor=floor,
            )
        )
    if source in QUOTES:
        bid, ask = QUOTES[source]
        q = {"bid": bid, "ask": ask}
        crossed, locked = (
            Limit(CROSSED_MAX_RATE, "crossed_rate"),
            Limit(LOCKED_MAX_RATE, "locked_rate"),
        )
        out.append(
            _warn(
                "crossed_quote", 4, "crossed_quotes", (bid, ask), "bid <= ask (rate)", crossed, **q
            )
        )
        out.append(
            _warn("locked_quote", 4, "locked_quotes", (bid, ask), "bid < ask (rate)", locked, **q)
        )
        reads = (bid, ask, "price")
        if source == "equity_ticks":
            out.append(
                _warn(
                    "price_outside_quote",
                    4,
                    "inside_quote",
                    reads,
                    "bid <= price <= ask",
                    NONE,
                    **q,
                )
            )
        else:
            doc = f"|price / NBBO mid - 1| <= {DARKPOOL_MAX_DEVIATION}"
            out.append(
                _warn(
                    "nbbo_deviation",
                    4,
                    "near_nbbo",
                    reads,
                    doc,
                    NONE,
                    most=DARKPOOL_MAX_DEVIATION,
                    **q,
                )
            )
    if source in STALE:
        cols = STALE[source]
        doc = "no frozen run of identical rows (counted in runs)"
        out.append(
            _warn("stale_price", 4, "stale_runs", ("symbol", *cols), doc, NONE, columns=cols)
        )
    if source in VOLUME:
        v, ratio = VOLUME[source], VOLUME_SPIKE_RATIO[source]
        doc = f"no minute above {ratio:g}x the symbol's median minute volume (counted in minutes)"
        out.append(
            _warn(
                "volume_spike", 4, "volume_spikes", ("symbol", v), doc, NONE, column=v, ratio=ratio
            )
        )
    if source in DUPLICATE:
        cols = DUPLICATE[source]
        doc = "no print repeating the previous one (ts, " + ", ".join(cols) + ")"
        out.append(
            _warn(
                "duplicate_print", 4, "duplicate_prints", ("symbol", *cols), doc, NONE, columns=cols
            )
        )
    return tuple(out)


@cache
def rules_of_tier(source: str, tier: int) -> tuple[Rule, ...]:
    """The rules of one source and tier: what its pandera schema checks."""
    if source not in SOURCE_SCHEMAS:
        raise ValueError(f"unknown source {source!r}; expected one of {sorted(SOURCE_SCHEMAS)}")
    return {1: tier1_rules, 2: tier2_rules, 3: tier3_rules, 4: tier4_rules}[tier](source)


REJECTS_NULL = (NOT_NULL, "finite_positive", "finite_non_negative")
"""Checks no null passes: pandera's own, and those that judge a NaN not finite."""


def rules_without_nulls(source: str) -> set[str]:
    """Columns where no null survives tier 1 (the column schema's nullability)."""
    return {r.column for r in rules_of_tier(source, 1) if r.check in REJECTS_NULL and r.column}


def rule_table(source: str) -> tuple[Rule, ...]:
    """Every rule of ``source``, tier by tier."""
    return tuple(r for tier in (1, 2, 3, 4) for r in rules_of_tier(source, tier))
