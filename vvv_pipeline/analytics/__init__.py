"""Analytics over bars and source frames: pure functions over pandas/numpy, no Dagster.

One module per concept (market profile, price zones, regime, velocity, risk, open-interest
spikes, flow, traps and spoof-like bursts with their event table, fusion). Every per-(symbol,
day) output starts with ``symbol`` (category) and ``date`` (tz-naive midnight: the session date
for equities, the New York calendar date for crypto), and each module's ``COLUMNS`` maps its
output columns to their meaning and units.
"""
