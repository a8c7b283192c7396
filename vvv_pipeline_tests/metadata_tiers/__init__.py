"""Tests of the per-day metadata tiers."""
