"""Dagster's clock held at an instant: what schedules, sensors and partitions read as "now"."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pandas as pd

from vvv_pipeline_tests.dagster_internals import freeze_time


@contextmanager
def dagster_clock(at: pd.Timestamp) -> Iterator[None]:
    with freeze_time(pd.Timestamp(at).to_pydatetime()):
        yield
