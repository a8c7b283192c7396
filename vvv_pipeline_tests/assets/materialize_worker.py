"""Worker process for the parallel-writers test: materialize partitions one run at a time.

    python -m vvv_pipeline_tests.assets.materialize_worker JOB KEY [KEY ...]
    python -m vvv_pipeline_tests.assets.materialize_worker JOB --range FIRST LAST

The first form runs one partition per run; ``--range`` runs FIRST..LAST as one single-run
backfill. Waits until the file named by ``VVV_TEST_START_AT`` exists so every worker starts
together.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import dagster as dg

from vvv_pipeline.defs.dagster_internals import RANGE_TAGS
from vvv_pipeline.defs.definitions import build_definitions


def main(job: str, keys: list[str]) -> int:
    defs = build_definitions()
    job_def = defs.resolve_job_def(job)
    gate = Path(os.environ["VVV_TEST_START_AT"])
    deadline = time.monotonic() + 60
    while not gate.exists():
        if time.monotonic() > deadline:
            return 3
        time.sleep(0.01)
    with dg.DagsterInstance.ephemeral() as instance:
        if keys[0] == "--range":
            tags = dict(zip(RANGE_TAGS, keys[1:3], strict=True))
            return 0 if job_def.execute_in_process(instance=instance, tags=tags).success else 1
        for key in keys:
            if not job_def.execute_in_process(partition_key=key, instance=instance).success:
                return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2:]))
