"""The simulated market, the default data provider: deterministic, independent, realistic.

Every partition (an equity symbol-session, a crypto symbol-hour, a news day, an economic
release day) is a pure function of (seed, source, symbol, unit, scale, faults); see
``SimulatedMarket`` for the entry point and the modules for each source's model.
"""

from vvv_pipeline.providers.simulated.config import (
    FAULT_KINDS,
    SCALE_PRESETS,
    Fault,
    SimulationConfig,
)
from vvv_pipeline.providers.simulated.market import SimulatedMarket

__all__ = ["FAULT_KINDS", "SCALE_PRESETS", "Fault", "SimulatedMarket", "SimulationConfig"]
