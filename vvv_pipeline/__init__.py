"""vvv-pipeline: a market-data platform as one Dagster code location."""
