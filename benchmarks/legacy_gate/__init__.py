"""The hand-written numpy gate the pandera schemas replaced, kept as a benchmark baseline only.

These are the modules ``vvv_pipeline/validation/{structure,alignment,continuity,quality}.py``
as they were before the tiers ran through pandera (commit 6fe9cc6), except that the kernels and
constants they share unchanged with today's modules are imported from there.
``bench_pandera.py`` times them side by side with the product and first checks that both flag
the same rows, counts and runs. Nothing in the product imports them.
"""
