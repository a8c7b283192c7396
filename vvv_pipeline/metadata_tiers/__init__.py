"""Per-day metadata tiers as pure functions: one row per (symbol, date), no Dagster here.

- Tier 1 (:mod:`~vvv_pipeline.metadata_tiers.tier1_summary`): OHLC, VWAP, volume, trade count,
  session coverage and quoted-spread statistics, for equity ticks (sessions) or crypto trades
  (NY days).
- Tier 2 (:mod:`~vvv_pipeline.metadata_tiers.tier2_microstructure`): realized variance, bipower
  variation, Roll spread, Amihud illiquidity, Kyle's lambda, order-flow imbalance,
  trade-size quantiles.
- Tier 3 (:mod:`~vvv_pipeline.metadata_tiers.tier3_context`): dark-pool share and premium, options
  flow, news sentiment and crypto open-interest change.

Each tier's ``COLUMNS`` maps column -> definition and units; :func:`markdown` renders it. Tiers 1
and 2 name the tick columns they read (``READS``), so readers of stored ticks copy no others.
Windows and the ``date`` convention live in :mod:`~vvv_pipeline.metadata_tiers.windows`.
"""

from vvv_pipeline.metadata_tiers.tier1_summary import COLUMNS as TIER1_COLUMNS
from vvv_pipeline.metadata_tiers.tier1_summary import READS as TIER1_READS
from vvv_pipeline.metadata_tiers.tier1_summary import tier1_summary
from vvv_pipeline.metadata_tiers.tier2_microstructure import COLUMNS as TIER2_COLUMNS
from vvv_pipeline.metadata_tiers.tier2_microstructure import READS as TIER2_READS
from vvv_pipeline.metadata_tiers.tier2_microstructure import tier2_microstructure
from vvv_pipeline.metadata_tiers.tier3_context import COLUMNS as TIER3_COLUMNS
from vvv_pipeline.metadata_tiers.tier3_context import tier3_context
from vvv_pipeline.metadata_tiers.windows import day_window, markdown

TIER_COLUMNS: dict[str, dict[str, str]] = {
    "tier1_summary": TIER1_COLUMNS,
    "tier2_microstructure": TIER2_COLUMNS,
    "tier3_context": TIER3_COLUMNS,
}

__all__ = [
    "TIER1_COLUMNS",
    "TIER1_READS",
    "TIER2_COLUMNS",
    "TIER2_READS",
    "TIER3_COLUMNS",
    "TIER_COLUMNS",
    "day_window",
    "markdown",
    "tier1_summary",
    "tier2_microstructure",
    "tier3_context",
]
