"""The Dagster wing: every module that imports Dagster lives here (assets, checks, jobs,
schedules, sensors, resources, executors, the IO manager, partitions, the instance storage and
run launcher). The packages beside it are pure and never import Dagster nor this package."""
