"""IQFeed's market-centre and trade-condition tables, from DTN's lists and refreshed from them.

A tick carries its market centre as a DTN *listed market* id (DTN's developer documentation:
"See Listed Market Codes for possible values") and up to four trade conditions as 2-hex-digit
ids of DTN's *trade condition* list. Both lists are served by IQConnect itself: ``SLM``
answers ``LS,<id>,<short name>,<long name>,<group id>,<group name>,`` per listed market and
``STC`` answers ``LS,<id>,<short name>,<description>,`` per condition (decimal ids; a tick
writes the same id in hex). DTN renumbers and extends the lists over time, so the client
refreshes its tables from the running IQConnect (:func:`market_center_table` and
:func:`condition_table` over the parsed replies) and falls back to the defaults below only
when it cannot.

The defaults hold only what a public source states:

* listed markets: DTN's list as IQConnect's ``SLM`` answers it, published by QuantTools
  (GPL-2, ``R/iqfeed.R``, "Markets": id, short and long name of every listed market, 1 NGM
  to 159 UNKNOWN) and by IQFeed.CSharpApiClient (MIT; its ``SLM`` parser tests:
  ``LS,7,NYSE,New York Stock Exchange,7,NYSE,``, ``LS,2,NCM,National Capital Market,5,
  NASDAQ,``); IQML's user guide quotes IQFeed naming market centres 25 "Direct Edge A
  (EDGA)" and 26 "Direct Edge X (EDGX)", as the list does. Both lists are in the recorded
  corpus, and a test rebuilds :data:`DEFAULT_MARKET_CENTERS` from them;
* conditions 0x01 REGULAR ("Normal Trade", the same parser tests), 0x3D intermarket sweep and
  0x87 odd lot (IQML: ``3D87`` = "Intramarket Sweep; Odd lot trade"), 0x17 Form-T (IQML:
  ``0517`` = "Average Price Trade; Form-T Trade").

Every US equity venue of the list maps to its CTA/UTP participant id, the canonical exchange
code (:data:`~vvv_pipeline.schemas.EQUITY_EXCHANGES`, the set tier 1 accepts): the FINRA
facilities (ADF, the Nasdaq and NYSE trade reporting facilities) are ``D`` as on the
consolidated tape, Direct Edge A is ``J``, BATS Y ``Y``, NSX (now NYSE National) ``C``, the
Boston Stock Exchange (now Nasdaq BX) ``B``, CHX (now NYSE Chicago) ``M``, NYSE MKT (now NYSE
American) ``A``. Markets where no equity trade prints (options, futures, indexes, OTC and pink
sheet tiers, foreign exchanges) stay unmapped, as does an id DTN's answer does not list (a
venue added after it): such a tick carries a null exchange and tier 1 quarantines it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from vvv_pipeline.schemas import EQUITY_CONDITIONS, EQUITY_EXCHANGES

DEFAULT_MARKET_CENTERS: dict[int, str] = {
    1: "Q", 2: "Q", 5: "Q", 6: "A", 7: "N", 8: "M", 10: "C", 11: "P", 12: "B", 15: "D",
    18: "Z", 19: "D", 21: "Q", 24: "D", 25: "J", 26: "K", 28: "Y", 80: "X", 116: "Z", 153: "V",
}  # fmt: skip
"""DTN listed-market id -> exchange code for the US equity venues of DTN's published list."""
DEFAULT_CONDITION_CODES: dict[str, str] = {"01": "@", "3D": "F", "87": "I", "17": "T"}

MARKET_NAMES: dict[str, str] = {
    "NYSE": "N", "NASDAQ": "Q", "NMS": "Q", "NGM": "Q", "NGSM": "Q", "NCM": "Q", "SMCAP": "Q",
    "ARCA": "P", "NYSE_ARCA": "P", "BATS": "Z", "BZX": "Z", "EDGX": "K", "IEX": "V",
    "PSX": "X", "NASD_ADF": "D", "ADF": "D", "NTRF": "D", "NYSE_TRF": "D", "EDGA": "J",
    "BYX": "Y", "NSX": "C", "BX": "B", "CHX": "M", "NYSE_MKT": "A", "NYSE_AMERICAN": "A",
    "AMEX": "A",
}  # fmt: skip
"""DTN short names (and group names) -> canonical exchange code."""
MARKET_WORDS: tuple[tuple[str, str], ...] = (
    (r"options|futures|pink sheets|\botc\b", ""),  # no equity trade prints there
    (r"trade reporting facility|alternat\w* display", "D"),
    (r"\bnew york stock exchange\b$", "N"),
    (r"archipelago|\barca\b", "P"),
    (r"\bedgx\b|direct edge x", "K"),
    (r"\bedga\b|direct edge a", "J"),
    (r"investors.? exchange|\biex\b", "V"),
    (r"\bpsx\b", "X"),
    (r"\bbzx\b|bats z exchange|better alternative trading", "Z"),
    (r"\bbyx\b|bats y exchange", "Y"),
    (r"nyse mkt|nyse american|american stock exchange", "A"),
    (r"^national stock exchange$|nyse national", "C"),
    (r"^boston stock exchange$|nasdaq bx", "B"),
    (r"^chicago stock exchange$|nyse chicago", "M"),
)
"""Long-name patterns (lower case) for short names DTN may spell differently; the first that
matches decides, and an empty code means the market has no equity trades."""
CONDITION_WORDS: tuple[tuple[str, str], ...] = (
    (r"^normal trade$|^regular", "@"),
    (r"odd.?lot", "I"),
    (r"inter.?market sweep|intramarket sweep", "F"),
    (r"form.?t\b", "T"),
    (r"opening (trade|print)|market open", "O"),
    (r"closing (trade|print)|market close", "6"),
)
"""Description patterns (lower case) -> canonical sale condition."""

LOOKUP_LINE = re.compile(r"^(?:[^,]*,)?LS,(\d+),([^,]*),([^,]*)(?:,(\d*),([^,]*))?,?$")


def parse_lookup_reply(text: str) -> list[tuple[int, str, str, str]]:
    """``(id, short name, long name, group name)`` of each ``LS`` line of an SLM/STC reply.

    Lines with a request id before ``LS`` are read the same; ``S,`` lines, the terminator
    and error lines are skipped (an empty list means the lookup gave nothing).
    """
    rows = []
    for line in text.replace("\r", "").split("\n"):
        found = LOOKUP_LINE.match(line)
        if found:
            ident, short, long_name, _, group = found.groups()
            rows.append((int(ident), short.strip(), long_name.strip(), (group or "").strip()))
    return rows


def market_center_table(listed: list[tuple[int, str, str, str]]) -> dict[int, str]:
    """Listed-market id -> canonical exchange code, for every US equity venue listed."""
    table = {}
    for ident, short, long_name, group in listed:
        code = MARKET_NAMES.get(short.upper())
        if code is None:
            code = _by_words(long_name, MARKET_WORDS)
        if code is None and group.upper() in ("NASDAQ", "NYSE") and short.upper() == group.upper():
            code = MARKET_NAMES[group.upper()]
        if code in EQUITY_EXCHANGES:
            table[ident] = code
    return table


def condition_table(conditions: list[tuple[int, str, str, str]]) -> dict[str, str]:
    """2-hex-digit condition code -> canonical sale condition, for the conditions it names."""
    table = {}
    for ident, short, description, _ in conditions:
        code = _by_words(description, CONDITION_WORDS) or _by_words(short, CONDITION_WORDS)
        if code in EQUITY_CONDITIONS and 0 <= ident <= 0xFF:
            table[f"{ident:02X}"] = code
    return table


def merged(defaults: Mapping[object, str], fresh: Mapping[object, str]) -> dict[object, str]:
    """The refreshed table over the defaults: DTN's current answer wins where it speaks."""
    return {**defaults, **fresh}


def _by_words(text: str, rules: tuple[tuple[str, str], ...]) -> str | None:
    lowered = text.lower().strip()
    for pattern, code in rules:
        if re.search(pattern, lowered):
            return code
    return None
