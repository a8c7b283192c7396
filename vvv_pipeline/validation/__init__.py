"""Validation tiers, as pure functions over canonical frames.

Tier 1 (structure and integrity): the rules as data in :mod:`.rules`, their vectorized masks in
:mod:`.masks`, the gate in :mod:`.structure`. Tier 2 (session alignment, time zones):
:mod:`.alignment`. Tier 3 (continuity, gap runs): :mod:`.continuity`. Tier 4 (statistical
quality): :mod:`.quality`, plus the great-expectations suites in :mod:`.expectations`. One
partition through all of them: :mod:`.gate`. Pandera mirrors of the schemas: :mod:`.models`.
"""

from vvv_pipeline.validation.alignment import check_alignment
from vvv_pipeline.validation.continuity import check_continuity
from vvv_pipeline.validation.quality import check_quality
from vvv_pipeline.validation.results import TierResult
from vvv_pipeline.validation.rules import RULES, SourceRules, rules_of
from vvv_pipeline.validation.structure import Tier1Report, check_tier1

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
