"""Thin Dagster definitions over the pure layers."""
