"""Automation: gap detection over partitions (pure) and the readers that feed it from Dagster."""
