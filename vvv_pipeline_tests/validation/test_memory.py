"""A validated partition is freed once its caller drops it.

Pandera keeps the schema of every frame it validated until the frame is collected; the schema's
checks are bound to the partition's :class:`~vvv_pipeline.validation.binding.Binding`, whose
memoised work (the per-symbol ordered view) holds the frame. Without the binding's release after
each validation, a year-long backfill kept every session's ticks in memory (about 18 MiB each at
default density).
"""

import gc
import weakref

import pandas as pd

from vvv_pipeline.calendars import session_bounds, sessions_between
from vvv_pipeline.providers.simulated import SimulatedMarket, SimulationConfig
from vvv_pipeline.providers.simulated.config import Fault
from vvv_pipeline.universe import load_universe
from vvv_pipeline.validation.binding import Binding
from vvv_pipeline.validation.gate import validate_partition


def _partition_bindings() -> int:
    """Live bindings holding a partition (each schema's own binding holds none between
    validations)."""
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, Binding) and o.window is not None)


def _tick_frames() -> set[int]:
    """Ids of the live frames with a ``trade_id`` column and rows (other tests' may be alive
    too; the empty templates the tiers copy their empty results from, made on first use and
    cached, hold no partition's rows)."""
    gc.collect()
    return {
        id(o)
        for o in gc.get_objects()
        if isinstance(o, pd.DataFrame) and "trade_id" in o and len(o)
    }


def test_no_partition_frame_or_binding_outlives_its_validation():
    market = SimulatedMarket(SimulationConfig(ticks_per_session=2_000))
    symbols = list(load_universe().equities)
    before, frames_before = _partition_bindings(), _tick_frames()
    for day in sessions_between("2025-11-17", "2025-11-21"):
        window = session_bounds(day)
        frame = market.fetch("equity_ticks", *window, symbols)
        result = validate_partition(frame, "equity_ticks", window, symbols)
        assert len(result.clean) == len(frame) > 0  # every tier ran on a whole partition
        del frame, result
    assert _partition_bindings() == before
    assert _tick_frames() <= frames_before


def test_a_validated_frame_is_freed_without_waiting_for_the_cyclic_collector():
    """Pandera caches an accessor on each frame it validates that refers back to the frame;
    large numpy buffers never trigger the cyclic collector, so such frames piled up over a
    range run. Freed by reference counting alone, with a failing tier (spikes) or without."""
    symbols = list(load_universe().equities)
    window = session_bounds("2025-11-18")
    spikes = (Fault("price_spike", "equity_ticks", symbol="AAPL"),)
    for faults in ((), spikes):
        market = SimulatedMarket(SimulationConfig(ticks_per_session=2_000, faults=faults))
        frame = market.fetch("equity_ticks", *window, symbols)
        gc.collect()
        gc.disable()
        try:
            result = validate_partition(frame, "equity_ticks", window, symbols)
            assert all(o.passed for o in result.outcomes) == (not faults)
            fetched, clean = weakref.ref(frame), weakref.ref(result.clean)
            del frame, result
            assert fetched() is None and clean() is None
        finally:
            gc.enable()
