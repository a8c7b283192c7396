"""Validation tiers, as pandera schemas over canonical frames.

The rule table (:mod:`.rule_table`) declares every rule of every source and tier once; the
pandera schemas (:mod:`.contract`) are generated from it, their checks registered pandera methods
(:mod:`.registered`, :mod:`.registered_tiers`, :mod:`.registered_quality`) whose bodies are the
numpy kernels (:mod:`.masks`, :mod:`.alignment`, :mod:`.continuity`, :mod:`.quality`). Tier 1
through its schema: :mod:`.structure`; tiers 2 to 4: :mod:`.warn_tiers`. One partition through
all of them: :mod:`.gate`. The great-expectations suites (:mod:`.expectations`) document the same
table.
"""

from vvv_pipeline.validation.results import TierResult
from vvv_pipeline.validation.rules import RULES, SourceRules, rules_of
from vvv_pipeline.validation.structure import Tier1Report, check_tier1
from vvv_pipeline.validation.warn_tiers import check_alignment, check_continuity, check_quality

__all__ = [
    "RULES",
    "SourceRules",
    "Tier1Report",
    "TierResult",
    "check_alignment",
    "check_continuity",
    "check_quality",
    "check_tier1",
    "rules_of",
]
