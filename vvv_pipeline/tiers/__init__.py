"""Validation tiers. Tier 1 (structure and integrity): the rules as data in :mod:`.rules`, their
vectorized masks in :mod:`.masks`, the gate in :mod:`.structure`.

Pandera mirrors of the canonical schemas are in :mod:`.models` (imported on demand, so the
gate itself does not pay pandera's import cost).
"""

from vvv_pipeline.tiers.rules import RULES, SourceRules, rules_of
from vvv_pipeline.tiers.structure import Tier1Report, check_tier1

__all__ = ["RULES", "SourceRules", "Tier1Report", "check_tier1", "rules_of"]
